//! The versioned schema. Each migration runs in its own transaction and bumps
//! `PRAGMA user_version`; `application_id` marks the file as an rslm store.

/// `PRAGMA application_id` of an rslm store: "RSLM" in ASCII.
pub const APPLICATION_ID: i32 = 0x5253_4c4d;

/// Migrations in order; the store's `user_version` is the number applied.
pub const MIGRATIONS: &[&str] = &[
    V1_CORE,
    V2_KNOWLEDGE,
    V3_ADAPTER_HISTORY,
    V4_RUN_OWNER,
    V5_EVAL_SAMPLES,
    V6_KNOWLEDGE_THAT_HELPS,
    V7_ROUND_STEPS,
];

/// The latest schema version this binary knows.
pub const LATEST_VERSION: i64 = MIGRATIONS.len() as i64;

const NOW: &str = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))";

/// Runs, verified episodes, failures, held-out attempts, eval runs and adapters, with the
/// FTS index over episodes that retrieval uses.
const V1_CORE: &str = r#"
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('iteration', 'eval', 'consolidate', 'self-improve', 'train')),
    status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'interrupted', 'failed')),
    started_at TEXT NOT NULL DEFAULT NOW,
    finished_at TEXT,
    rslm_version TEXT NOT NULL,
    backend TEXT,
    model TEXT,
    simulation INTEGER NOT NULL DEFAULT 0,
    seed INTEGER,
    mode TEXT,
    prompt_version TEXT,
    tasks_source TEXT,
    config_json TEXT NOT NULL,
    -- The task ids a run set out to do, so a resumed run finishes exactly these.
    selection_json TEXT,
    counts_json TEXT
);

-- One row per task finished by a run, written in the same transaction as its candidates:
-- a task is either fully recorded or absent, and an interrupted run can resume from here.
CREATE TABLE run_tasks (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    task_id TEXT NOT NULL,
    candidates INTEGER NOT NULL,
    passed INTEGER NOT NULL,
    finished_at TEXT NOT NULL DEFAULT NOW,
    PRIMARY KEY (run_id, task_id)
);

-- Verified candidates only: the retrievable memory and the training data.
CREATE TABLE episodes (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    task_id TEXT NOT NULL,
    family TEXT,
    condition TEXT NOT NULL,
    prompt TEXT NOT NULL,
    function_name TEXT NOT NULL,
    candidate_code TEXT NOT NULL,
    passed INTEGER NOT NULL DEFAULT 1 CHECK (passed = 1),
    test_log TEXT NOT NULL DEFAULT '',
    code_hash TEXT NOT NULL,
    sample_index INTEGER NOT NULL,
    verdict TEXT NOT NULL DEFAULT 'pass',
    tests_run INTEGER NOT NULL DEFAULT 0,
    raw_response TEXT,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    latency_ms REAL,
    verify_ms REAL,
    created_at TEXT NOT NULL DEFAULT NOW,
    UNIQUE (task_id, code_hash)
);
CREATE INDEX episodes_task ON episodes(task_id);

-- Candidates of train-pool tasks that did not pass: kept for analysis, never retrieved.
CREATE TABLE failures (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    task_id TEXT NOT NULL,
    family TEXT,
    condition TEXT NOT NULL,
    prompt TEXT NOT NULL,
    candidate_code TEXT NOT NULL,
    passed INTEGER NOT NULL DEFAULT 0,
    test_log TEXT NOT NULL DEFAULT '',
    code_hash TEXT NOT NULL,
    sample_index INTEGER NOT NULL,
    verdict TEXT NOT NULL,
    first_failure TEXT,
    tests_run INTEGER NOT NULL DEFAULT 0,
    tests_passed INTEGER NOT NULL DEFAULT 0,
    raw_response TEXT,
    error TEXT,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    latency_ms REAL,
    verify_ms REAL,
    created_at TEXT NOT NULL DEFAULT NOW
);
CREATE INDEX failures_task ON failures(task_id);

-- Every candidate of a held-out task (run-iteration --mode heldout). Never retrievable.
CREATE TABLE heldout_attempts (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    task_id TEXT NOT NULL,
    condition TEXT NOT NULL,
    candidate_code TEXT NOT NULL,
    passed INTEGER NOT NULL,
    verdict TEXT NOT NULL,
    first_failure TEXT,
    code_hash TEXT NOT NULL,
    sample_index INTEGER NOT NULL,
    raw_response TEXT,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    latency_ms REAL,
    created_at TEXT NOT NULL DEFAULT NOW
);

CREATE TABLE eval_runs (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id),
    created_at TEXT NOT NULL DEFAULT NOW,
    heldout_size INTEGER NOT NULL,
    k INTEGER NOT NULL,
    backend TEXT NOT NULL,
    payload_json TEXT NOT NULL
);

CREATE TABLE adapters (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT NOW,
    notes TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 0
);

CREATE VIRTUAL TABLE episodes_fts USING fts5(
    prompt, candidate_code,
    content='episodes', content_rowid='id',
    tokenize="porter unicode61 tokenchars '_'"
);
CREATE TRIGGER episodes_fts_insert AFTER INSERT ON episodes BEGIN
    INSERT INTO episodes_fts(rowid, prompt, candidate_code) VALUES (new.id, new.prompt, new.candidate_code);
END;
CREATE TRIGGER episodes_fts_delete AFTER DELETE ON episodes BEGIN
    INSERT INTO episodes_fts(episodes_fts, rowid, prompt, candidate_code) VALUES ('delete', old.id, old.prompt, old.candidate_code);
END;
CREATE TRIGGER episodes_fts_update AFTER UPDATE ON episodes BEGIN
    INSERT INTO episodes_fts(episodes_fts, rowid, prompt, candidate_code) VALUES ('delete', old.id, old.prompt, old.candidate_code);
    INSERT INTO episodes_fts(rowid, prompt, candidate_code) VALUES (new.id, new.prompt, new.candidate_code);
END;
"#;

/// Consolidated knowledge with provenance: rules and procedures are append-only, de-duplicated
/// by a key derived from their text, and retired rather than deleted.
const V2_KNOWLEDGE: &str = r#"
CREATE TABLE semantic_rules (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    rule_text TEXT NOT NULL,
    evidence_count INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
    origin TEXT NOT NULL DEFAULT 'offline',
    run_id INTEGER REFERENCES runs(id),
    validation_json TEXT,
    created_at TEXT NOT NULL DEFAULT NOW,
    last_verified_at TEXT NOT NULL DEFAULT NOW
);
CREATE TABLE rule_sources (
    rule_id INTEGER NOT NULL REFERENCES semantic_rules(id),
    episode_id INTEGER NOT NULL REFERENCES episodes(id),
    PRIMARY KEY (rule_id, episode_id)
);
CREATE TABLE procedures (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    family TEXT,
    pattern TEXT NOT NULL,
    recipe_text TEXT NOT NULL,
    evidence_count INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
    origin TEXT NOT NULL DEFAULT 'offline',
    run_id INTEGER REFERENCES runs(id),
    created_at TEXT NOT NULL DEFAULT NOW,
    last_verified_at TEXT NOT NULL DEFAULT NOW
);
CREATE TABLE procedure_sources (
    procedure_id INTEGER NOT NULL REFERENCES procedures(id),
    episode_id INTEGER NOT NULL REFERENCES episodes(id),
    PRIMARY KEY (procedure_id, episode_id)
);
CREATE TABLE knowledge_events (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('rule', 'procedure')),
    item_id INTEGER NOT NULL,
    action TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL DEFAULT NOW
);

CREATE VIRTUAL TABLE rules_fts USING fts5(
    rule_text, content='semantic_rules', content_rowid='id',
    tokenize="porter unicode61 tokenchars '_'"
);
CREATE TRIGGER rules_fts_insert AFTER INSERT ON semantic_rules BEGIN
    INSERT INTO rules_fts(rowid, rule_text) VALUES (new.id, new.rule_text);
END;
CREATE TRIGGER rules_fts_delete AFTER DELETE ON semantic_rules BEGIN
    INSERT INTO rules_fts(rules_fts, rowid, rule_text) VALUES ('delete', old.id, old.rule_text);
END;
CREATE TRIGGER rules_fts_update AFTER UPDATE ON semantic_rules BEGIN
    INSERT INTO rules_fts(rules_fts, rowid, rule_text) VALUES ('delete', old.id, old.rule_text);
    INSERT INTO rules_fts(rowid, rule_text) VALUES (new.id, new.rule_text);
END;

CREATE VIRTUAL TABLE procedures_fts USING fts5(
    pattern, recipe_text, content='procedures', content_rowid='id',
    tokenize="porter unicode61 tokenchars '_'"
);
CREATE TRIGGER procedures_fts_insert AFTER INSERT ON procedures BEGIN
    INSERT INTO procedures_fts(rowid, pattern, recipe_text) VALUES (new.id, new.pattern, new.recipe_text);
END;
CREATE TRIGGER procedures_fts_delete AFTER DELETE ON procedures BEGIN
    INSERT INTO procedures_fts(procedures_fts, rowid, pattern, recipe_text) VALUES ('delete', old.id, old.pattern, old.recipe_text);
END;
CREATE TRIGGER procedures_fts_update AFTER UPDATE ON procedures BEGIN
    INSERT INTO procedures_fts(procedures_fts, rowid, pattern, recipe_text) VALUES ('delete', old.id, old.pattern, old.recipe_text);
    INSERT INTO procedures_fts(rowid, pattern, recipe_text) VALUES (new.id, new.pattern, new.recipe_text);
END;
"#;

/// Adapter manifests and an audit trail of every activation, so rollback knows where to return.
const V3_ADAPTER_HISTORY: &str = r#"
ALTER TABLE adapters ADD COLUMN base_model TEXT;
ALTER TABLE adapters ADD COLUMN manifest_json TEXT;
CREATE TABLE adapter_activations (
    id INTEGER PRIMARY KEY,
    adapter_id INTEGER REFERENCES adapters(id),
    previous_adapter_id INTEGER REFERENCES adapters(id),
    reason TEXT NOT NULL,
    activated_at TEXT NOT NULL DEFAULT NOW
);
"#;

/// The process and host that run a run, so a run whose process died (kill -9, a crash) is found
/// on the next open and marked interrupted instead of staying `running` forever.
const V4_RUN_OWNER: &str = r#"
ALTER TABLE runs ADD COLUMN pid INTEGER;
ALTER TABLE runs ADD COLUMN host TEXT;
"#;

/// Every eval candidate, so an eval can be re-scored, diffed and audited (`export-samples`), and
/// the memory each prompt was built from, for evals and iterations alike. Code and raw replies
/// are stored once per distinct text: conditions and samples repeat answers often.
const V5_EVAL_SAMPLES: &str = r#"
CREATE TABLE sample_texts (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL
);
CREATE TABLE eval_samples (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    condition TEXT NOT NULL,
    task_id TEXT NOT NULL,
    sample_index INTEGER NOT NULL,
    code_id INTEGER NOT NULL REFERENCES sample_texts(id),
    raw_id INTEGER REFERENCES sample_texts(id),
    verdict TEXT NOT NULL,
    first_failure TEXT,
    -- {"episodes": [ids], "procedures": [ids], "rules": [ids]}; NULL when nothing was retrieved.
    retrieved_json TEXT,
    PRIMARY KEY (run_id, condition, task_id, sample_index)
) WITHOUT ROWID;
-- The memory the prompt of a task was built from in an iteration (all its candidates share it).
ALTER TABLE run_tasks ADD COLUMN retrieved_json TEXT;
"#;

/// Knowledge that earns its place: each rule and procedure carries its measured effect (passes
/// on a dev slice of the train pool with it and without it, paired) and a vote count; a rule may
/// be scoped to one task shape; rules keep the failed attempts they were contrasted from; the
/// contrasts consolidation has classified, and how far each consolidation setting has read, so
/// a consolidation only processes what is new. Failure ids carry no foreign key: compacting
/// failed candidates must not be blocked by knowledge that cites them.
const V6_KNOWLEDGE_THAT_HELPS: &str = r#"
ALTER TABLE semantic_rules ADD COLUMN scope TEXT;
ALTER TABLE semantic_rules ADD COLUMN votes INTEGER NOT NULL DEFAULT 1;
ALTER TABLE semantic_rules ADD COLUMN effect_with INTEGER;
ALTER TABLE semantic_rules ADD COLUMN effect_without INTEGER;
ALTER TABLE semantic_rules ADD COLUMN effect_n INTEGER;
ALTER TABLE procedures ADD COLUMN votes INTEGER NOT NULL DEFAULT 1;
ALTER TABLE procedures ADD COLUMN effect_with INTEGER;
ALTER TABLE procedures ADD COLUMN effect_without INTEGER;
ALTER TABLE procedures ADD COLUMN effect_n INTEGER;
CREATE INDEX procedures_by_pattern ON procedures(pattern, status);
CREATE INDEX rules_by_scope ON semantic_rules(scope, status);
CREATE TABLE rule_attempts (
    rule_id INTEGER NOT NULL REFERENCES semantic_rules(id),
    failure_id INTEGER NOT NULL,
    PRIMARY KEY (rule_id, failure_id)
);
CREATE TABLE contrasts (
    failure_id INTEGER PRIMARY KEY,
    episode_id INTEGER NOT NULL REFERENCES episodes(id),
    task_id TEXT NOT NULL,
    shape TEXT NOT NULL,
    slip TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT NOW
);
CREATE INDEX contrasts_by_slip ON contrasts(slip);
CREATE TABLE consolidation_marks (
    config_key TEXT PRIMARY KEY,
    last_episode_id INTEGER NOT NULL,
    last_failure_id INTEGER NOT NULL,
    at TEXT NOT NULL DEFAULT NOW
);
"#;

/// The stages of `self-improve --rounds`, one row per round and stage of a self-improve run, so
/// an interrupted run resumes at the first stage not completed and never repeats a finished one.
const V7_ROUND_STEPS: &str = r#"
CREATE TABLE round_steps (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    round INTEGER NOT NULL,
    stage TEXT NOT NULL CHECK (stage IN ('generate', 'consolidate', 'train', 'gate', 'eval')),
    status TEXT NOT NULL CHECK (status IN ('running', 'completed')),
    attempts INTEGER NOT NULL DEFAULT 1,
    started_at TEXT NOT NULL DEFAULT NOW,
    finished_at TEXT,
    seconds REAL,
    result_json TEXT,
    PRIMARY KEY (run_id, round, stage)
);
"#;

/// A migration's SQL with the timestamp default expanded.
pub fn migration_sql(index: usize) -> String {
    MIGRATIONS[index].replace("DEFAULT NOW", &format!("DEFAULT {NOW}"))
}
