//! The report of a `self-improve --rounds` run, rebuilt from its stored steps (so a resumed run
//! reports every round, whichever process ran it): per round the episodes gained, the adapter
//! and the gate's decision, held-out pass@1 per condition with its 95% interval, and the wall
//! time of every stage. Written as JSON (what `plot` reads) and Markdown; a mock run says
//! SIMULATION in both.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::lab::Lab;
use crate::store::runs::RunStatus;

/// Marks the JSON as a rounds report (`plot` tells it from a results file by this).
pub const REPORT_KIND: &str = "rslm-self-improve-rounds";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoundsReport {
    pub kind: String,
    pub run_id: i64,
    /// The mock backend: the numbers exercise the loop, they measure no model.
    pub simulation: bool,
    pub backend: String,
    pub model: String,
    pub status: String,
    pub settings: serde_json::Value,
    pub rounds: Vec<RoundReport>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoundReport {
    pub round: u32,
    /// Stages completed, in order.
    pub completed: Vec<String>,
    /// New verified episodes stored by this round's generation.
    pub episodes_gained: Option<u64>,
    /// Verified episodes in the store after it.
    pub memory_episodes: Option<u64>,
    pub tasks_solved: Option<u64>,
    pub tasks: Option<u64>,
    pub adapter: Option<String>,
    pub training_examples: Option<u64>,
    pub promoted: Option<bool>,
    pub gate_reason: Option<String>,
    /// The adapter active after the gate (None: the base model).
    pub active_adapter: Option<String>,
    pub conditions: Vec<ConditionPoint>,
    /// Wall seconds per completed stage, and how many attempts it took (more than one: resumed).
    pub stages: Vec<StageTime>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConditionPoint {
    pub condition: String,
    pub pass_at_1: f64,
    pub ci95: Option<[f64; 2]>,
    pub vs_baseline_p: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageTime {
    pub stage: String,
    pub seconds: Option<f64>,
    pub attempts: u32,
    pub completed: bool,
}

impl RoundsReport {
    /// Rounds whose every stage completed.
    pub fn rounds_completed(&self) -> usize {
        self.rounds
            .iter()
            .filter(|r| r.completed.len() == super::round::Stage::ALL.len())
            .count()
    }
}

/// The report of run `run_id` from its steps.
pub fn build(
    lab: &Lab,
    settings: &serde_json::Value,
    run_id: i64,
    status: RunStatus,
) -> anyhow::Result<RoundsReport> {
    let mut rounds: Vec<RoundReport> = Vec::new();
    for step in lab.store.steps(run_id)? {
        if rounds.last().map(|r| r.round) != Some(step.round) {
            rounds.push(empty_round(step.round));
        }
        let round = rounds.last_mut().expect("pushed above");
        round.stages.push(StageTime {
            stage: step.stage.clone(),
            seconds: step.seconds,
            attempts: step.attempts,
            completed: step.completed,
        });
        let (Some(r), true) = (step.result, step.completed) else {
            continue;
        };
        round.completed.push(step.stage.clone());
        match step.stage.as_str() {
            "generate" => {
                round.episodes_gained = r["new_episodes"].as_u64();
                round.memory_episodes = r["memory_episodes"].as_u64();
                round.tasks_solved = r["tasks_solved"].as_u64();
                round.tasks = r["tasks"].as_u64();
            }
            "train" => {
                round.adapter = r["adapter"].as_str().map(str::to_string);
                round.training_examples = r["examples"].as_u64();
            }
            "gate" => {
                round.promoted = r["promoted"].as_bool();
                round.gate_reason = r["reason"]
                    .as_str()
                    .or(r["skipped"].as_str())
                    .map(str::to_string);
            }
            "eval" => {
                round.active_adapter = r["active_adapter"].as_str().map(str::to_string);
                round.conditions = serde_json::from_value(r["conditions"].clone())?;
            }
            _ => {}
        }
    }
    Ok(RoundsReport {
        kind: REPORT_KIND.to_string(),
        run_id,
        simulation: lab.backend.is_simulation(),
        backend: lab.backend.name().to_string(),
        model: lab.backend.model(),
        status: status.as_str().to_string(),
        settings: settings.clone(),
        rounds,
    })
}

fn empty_round(round: u32) -> RoundReport {
    RoundReport {
        round,
        completed: Vec::new(),
        episodes_gained: None,
        memory_episodes: None,
        tasks_solved: None,
        tasks: None,
        adapter: None,
        training_examples: None,
        promoted: None,
        gate_reason: None,
        active_adapter: None,
        conditions: Vec::new(),
        stages: Vec::new(),
    }
}

/// Writes `report.json` and `report.md` into `dir`.
pub fn write(report: &RoundsReport, dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let json = dir.join("report.json");
    let markdown = dir.join("report.md");
    crate::output::write_json(&json, &serde_json::to_value(report)?)?;
    crate::output::write_atomic(&markdown, to_markdown(report).as_bytes())?;
    Ok((json, markdown))
}

/// The report as Markdown: a table of rounds, then the wall time of every stage.
pub fn to_markdown(report: &RoundsReport) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# self-improve run {} ({} rounds, {})\n",
        report.run_id,
        report.rounds.len(),
        report.status
    );
    if report.simulation {
        let _ = writeln!(
            md,
            "**SIMULATION** ({} backend): these numbers exercise the loop, they measure no model.\n",
            report.backend
        );
    }
    let _ = writeln!(md, "Backend {}, model {}.\n", report.backend, report.model);
    let conditions: Vec<String> = report
        .rounds
        .iter()
        .flat_map(|r| r.conditions.iter().map(|c| c.condition.clone()))
        .fold(Vec::new(), |mut seen, c| {
            if !seen.contains(&c) {
                seen.push(c);
            }
            seen
        });
    let _ = write!(
        md,
        "| round | episodes gained (memory) | adapter (examples) | gate | active after |"
    );
    for c in &conditions {
        let _ = write!(md, " {c} pass@1 [95% CI] |");
    }
    let _ = writeln!(md);
    let _ = writeln!(md, "|{}", "---|".repeat(5 + conditions.len()));
    let show = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
    for r in &report.rounds {
        let gate = match (r.promoted, &r.gate_reason) {
            (Some(true), _) => "promoted".to_string(),
            (Some(false), Some(reason)) => format!("kept: {reason}"),
            (_, Some(reason)) => reason.clone(),
            _ => "-".to_string(),
        };
        let _ = write!(
            md,
            "| {} | {} ({}) | {} ({}) | {} | {} |",
            r.round,
            show(r.episodes_gained),
            show(r.memory_episodes),
            r.adapter.as_deref().unwrap_or("-"),
            show(r.training_examples),
            gate.replace('|', "/"),
            r.active_adapter.as_deref().unwrap_or("base"),
        );
        for c in &conditions {
            match r.conditions.iter().find(|p| &p.condition == c) {
                Some(p) => {
                    let ci = p
                        .ci95
                        .map_or(String::new(), |[lo, hi]| format!(" [{lo:.3}, {hi:.3}]"));
                    let _ = write!(md, " {:.3}{ci} |", p.pass_at_1);
                }
                None => {
                    let _ = write!(md, " - |");
                }
            }
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(
        md,
        "\nWall time per stage (seconds; attempts when resumed):\n"
    );
    let stages: Vec<&str> = super::round::Stage::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    let _ = writeln!(md, "| round | {} |", stages.join(" | "));
    let _ = writeln!(md, "|{}", "---|".repeat(1 + stages.len()));
    for r in &report.rounds {
        let _ = write!(md, "| {} |", r.round);
        for s in &stages {
            match r.stages.iter().find(|t| t.stage == *s) {
                Some(t) => {
                    let time = t.seconds.map_or("-".into(), |x| format!("{x:.1}"));
                    let note = match (t.completed, t.attempts) {
                        (false, _) => " (unfinished)".to_string(),
                        (true, 1) => String::new(),
                        (true, n) => format!(" ({n} attempts)"),
                    };
                    let _ = write!(md, " {time}{note} |");
                }
                None => {
                    let _ = write!(md, " - |");
                }
            }
        }
        let _ = writeln!(md);
    }
    md
}

/// One line saying what a completed stage did, from its stored result.
pub fn describe(stage: super::round::Stage, r: &serde_json::Value) -> String {
    use super::round::Stage;
    match stage {
        Stage::Generate => format!(
            "{} of {} tasks solved, +{} verified episodes (memory: {})",
            r["tasks_solved"], r["tasks"], r["new_episodes"], r["memory_episodes"]
        ),
        Stage::Consolidate => format!(
            "+{} procedures, +{} rules",
            r["procedures_created"], r["rules_created"]
        ),
        Stage::Train => match r["skipped"].as_str() {
            Some(why) => format!("skipped: {why}"),
            None => format!(
                "adapter {} from {} examples{}",
                r["adapter"].as_str().unwrap_or("?"),
                r["examples"],
                if r["simulation"] == true {
                    " (a simulated adapter)"
                } else {
                    ""
                }
            ),
        },
        Stage::Gate => match (r["skipped"].as_str(), r["promoted"].as_bool()) {
            (Some(why), _) => format!("skipped: {why}"),
            (None, Some(true)) => format!(
                "promoted {}: {}",
                r["candidate"].as_str().unwrap_or("?"),
                r["reason"].as_str().unwrap_or("")
            ),
            _ => format!(
                "kept {}: {}",
                r["active"].as_str().unwrap_or("the base model"),
                r["reason"].as_str().unwrap_or("")
            ),
        },
        Stage::Eval => {
            let rates: Vec<String> = r["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    let ci = match c["ci95"].as_array().map(|a| (a[0].as_f64(), a[1].as_f64())) {
                        Some((Some(lo), Some(hi))) => format!(" [{lo:.2}, {hi:.2}]"),
                        _ => String::new(),
                    };
                    format!(
                        "{} {:.2}{ci}",
                        c["condition"].as_str().unwrap_or("?"),
                        c["pass_at_1"].as_f64().unwrap_or(0.0)
                    )
                })
                .collect();
            format!("held-out pass@1 {}", rates.join(", "))
        }
    }
}

/// The chart of a rounds report at `path`, or `None` when the file is not one (`plot` then
/// reads it as a results JSON or a store).
pub fn read_chart(path: &Path) -> Option<crate::plot::rounds::RoundsChart> {
    if !path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let report: RoundsReport = serde_json::from_str(&text).ok()?;
    (report.kind == REPORT_KIND).then(|| chart(&report))
}

/// pass@1 per condition across the rounds of a report.
pub fn chart(report: &RoundsReport) -> crate::plot::rounds::RoundsChart {
    use crate::plot::rounds::{RoundsChart, RoundsSeries};
    let mut series: Vec<RoundsSeries> = Vec::new();
    let rounds = report.rounds.len();
    for (i, round) in report.rounds.iter().enumerate() {
        for c in &round.conditions {
            let index = match series.iter().position(|s| s.condition == c.condition) {
                Some(index) => index,
                None => {
                    series.push(RoundsSeries {
                        condition: c.condition.clone(),
                        points: vec![None; rounds],
                    });
                    series.len() - 1
                }
            };
            series[index].points[i] = Some((c.pass_at_1, c.ci95));
        }
    }
    RoundsChart {
        title: format!(
            "Held-out pass@1 across self-improve rounds (run {}, {} {})",
            report.run_id, report.backend, report.model
        ),
        simulation: report.simulation,
        rounds,
        promoted: report
            .rounds
            .iter()
            .map(|r| r.promoted == Some(true))
            .collect(),
        series,
    }
}
