//! Fixtures for unit tests that need a store with verified episodes and knowledge in it.
#![cfg(test)]

use super::Store;
use super::episodes::{Attempt, Pool};
use super::knowledge::{KnowledgeKind, NewKnowledge};
use super::runs::{NewRun, RunKind};
use crate::candidate::Candidate;
use crate::tasks::Task;
use crate::verify::{Verdict, VerdictKind};

/// A task with a one-parameter signature and no tests.
pub(crate) fn task(id: &str, prompt: &str) -> Task {
    Task {
        task_id: id.into(),
        prompt: prompt.into(),
        function_name: "f".into(),
        signature: "(values)".into(),
        reference_tests: "def test_a(): pass".into(),
        assert_tests: vec![],
        family: None,
        category: None,
        difficulty: None,
        tags: vec![],
    }
}

/// A candidate that passed its tests.
pub(crate) fn passing(code: &str) -> Attempt {
    Attempt {
        sample_index: 0,
        candidate: Candidate {
            code: code.into(),
            ..Candidate::default()
        },
        verdict: Verdict {
            verdict: VerdictKind::Pass,
            tests_run: 1,
            tests_passed: 1,
            first_failure: None,
            log: String::new(),
            duration_ms: 1.0,
        },
    }
}

/// An in-memory store holding one verified episode per `(task id, prompt, code)`, in order.
pub(crate) fn episode_store(episodes: &[(&str, &str, &str)]) -> Store {
    let mut store = Store::in_memory().unwrap();
    let run = store
        .start_run(&NewRun {
            kind: RunKind::Iteration,
            backend: "mock".into(),
            model: "m".into(),
            simulation: true,
            seed: 0,
            mode: None,
            prompt_version: None,
            tasks_source: None,
            config: serde_json::json!({}),
        })
        .unwrap();
    for (id, prompt, code) in episodes {
        store
            .record_task(
                run,
                &task(id, prompt),
                Pool::Train,
                "memory",
                &[passing(code)],
                &Default::default(),
            )
            .unwrap();
    }
    store
}

/// A rule (`body` empty) or procedure resting on `episode_ids`.
pub(crate) fn knowledge(
    kind: KnowledgeKind,
    title: &str,
    body: &str,
    episode_ids: &[i64],
) -> NewKnowledge {
    NewKnowledge {
        kind,
        title: title.into(),
        body: body.into(),
        family: None,
        episode_ids: episode_ids.to_vec(),
        failure_ids: Vec::new(),
        scope: None,
        evidence_count: episode_ids.len(),
        origin: "offline".into(),
        run_id: None,
        validation: None,
    }
}
