//! The shapes others rely on, as inline snapshots: the results JSON of `rslm eval --json` (read
//! by `rslm plot`, scripts and notebooks) and the table `rslm eval` prints. Values are masked
//! (`support::snapshot`); keys, their order and types, columns and lines are compared whole.

use std::path::{Path, PathBuf};

use crate::support::command::rslm;
use crate::support::snapshot::{filter, json_shape};
use crate::support::tempdir;

/// A store with a few verified episodes of the mock backend, so memory has something to show.
fn store_with_memory(dir: &Path) -> PathBuf {
    let db = dir.join("m.sqlite");
    rslm("run-iteration --fast --k 4 --task-limit 10 --heldout-size 20 --memory-enabled")
        .db(&db)
        .run()
        .success();
    db
}

const EVAL: &str = "eval --fast --conditions all --k 2 --n 2 --heldout-size 20 --task-limit 4";

#[test]
fn eval_json_has_the_results_shape() {
    let dir = tempdir();
    let db = store_with_memory(dir.path());
    let report = rslm(EVAL).arg("--json").db(&db).run().success().json();
    assert_eq!(
        json_shape(&report),
        "\
schema_version: number
rslm_version: string
simulation: bool
backend: string
model: string
created_at: string
run_id: number
seed: number
k: number
n: number
heldout_size: number
split_seed: number
tasks_source: string
task_count: number
conditions: array
conditions[]: object
conditions[].condition: string
conditions[].pass_at_1: number
conditions[].pass_at_k: number
conditions[].notes: string
conditions[].pass_at_1_ci: array
conditions[].pass_at_1_ci[]: number
conditions[].pass_at_k_ci: array
conditions[].pass_at_k_ci[]: number
conditions[].ci_method: string
conditions[].tasks: number
conditions[].samples_per_task: number
conditions[].vs_baseline: null | object
conditions[].per_task: array
conditions[].per_task[]: object
conditions[].per_task[].task_id: string
conditions[].per_task[].family: string
conditions[].per_task[].passed: number
conditions[].per_task[].samples: number
conditions[].pass_at_1_ci_family: array
conditions[].pass_at_1_ci_family[]: number
conditions[].families: number
conditions[].vs_baseline.both: number
conditions[].vs_baseline.only_condition: number
conditions[].vs_baseline.only_baseline: number
conditions[].vs_baseline.neither: number
conditions[].vs_baseline.p_value: number
conditions[].vs_baseline.primary: bool
conditions[].vs_baseline.p_value_adjusted: number
conditions[].vs_baseline.delta_ci: array
conditions[].vs_baseline.delta_ci[]: number
conditions[].vs_baseline.delta_ci_family: array
conditions[].vs_baseline.delta_ci_family[]: number
memory_precision: number
memory_precision_detail: object
memory_precision_detail.checked: number
memory_precision_detail.still_passing: number
regression_check: null
notes: array
notes[]: string
eval_split: string
split: object
split.kind: string
split.seed: number
split.train: number
split.dev: number
split.heldout: number
split.heldout_families: number
split.dropped_twins: number
split.dropped: array
split.dropped[]: object
split.dropped[].task_id: string
split.dropped[].side: string
split.dropped[].twin_of: string
primary: string
config: object
config.backend: string
config.model: string
config.server_model: null
config.sampling: object
config.sampling.temperature: number
config.sampling.max_tokens: number
config.sampling.n: number
config.sampling.k: number
config.sampling.seed: number
config.prompt_version: string
config.verify_mode: string
config.verify_cpu_seconds: number
config.tasks_source: string
config.tasks_sha256: string
config.split_seed: number
config.heldout_size: number
config.task_limit: number
config.conditions: array
config.conditions[]: string
config.retrieval: string
config.rslm_version: string
config.git_commit: string
memory_state: object
memory_state.iterations: number
memory_state.episodes: number
"
    );
}

#[test]
fn eval_prints_the_results_table() {
    let dir = tempdir();
    let db = store_with_memory(dir.path());
    let run = rslm(EVAL)
        .db(&db)
        .arg("--output")
        .arg(dir.path().join("results.json"))
        .run()
        .success();
    assert_eq!(
        filter(&run.stdout_text(), dir.path()),
        "\
SIMULATION (mock backend): these numbers exercise the pipeline, they measure no model
backend mock, model mock-weak-v1, run #, k=#, n=#, # held-out (test split) tasks (bundled, hash split, split seed ####)
condition        pass@1  ##% CI           by family         pass@2  Δ pass@1      b/c  McNemar p   Holm p
baseline          #.###  [#.###, #.###]   [#.###, #.###]     #.###         —        —          —        —
memory            #.###  [#.###, #.###]   [#.###, #.###]     #.###    ±#.###      #/#      #.###  primary
semantic          #.###  [#.###, #.###]   [#.###, #.###]     #.###    ±#.###      #/#      #.###    #.###
memory_learning   #.###  [#.###, #.###]   [#.###, #.###]     #.###    ±#.###      #/#      #.###    #.###
b/c: tasks solved only with the condition / only by baseline (solved = at least half of the samples pass)
by family: ##% bootstrap interval resampling whole families (# families; a task without one is its own)
primary comparison: memory vs baseline, Δ pass@1 ##% CI [±#.###, ±#.###] per task, [±#.###, ±#.###] by family, p = #.### (unadjusted); Holm p: the other comparisons, adjusted together
memory precision: #.### (# of # remembered episodes still pass)
note: SIMULATION: the mock backend is a simulated weak model; its memory gain measures retrieval quality, not a real model's learning.
note: verifier: isolation: [ISOLATION]
results: [TMP]/results.json
"
    );
}
