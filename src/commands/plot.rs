//! `rslm plot`: draws the results of one eval run (a results JSON) or of every run stored in
//! the database into a PNG.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::eval::report::EvalReport;
use crate::usage;

/// The first 16 bytes of every SQLite 3 database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Arguments of `rslm plot`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A results JSON written by `rslm eval --output`, the SQLite database (plots every
    /// stored eval run, oldest first), or a `self-improve --rounds` report.json (pass@1 across
    /// its rounds).
    #[arg(long, value_name = "PATH", default_value = "artifacts/memory.sqlite")]
    pub input: PathBuf,
    /// Where to write the PNG.
    #[arg(long, value_name = "PATH", default_value = "artifacts/results.png")]
    pub output: PathBuf,
    /// Draw only the newest eval run and the older ones comparable with it (same held-out set,
    /// backend and model, sampling, prompt version, verify mode) instead of refusing when the
    /// stored runs differ.
    #[arg(long)]
    pub latest_compatible: bool,
}

/// Loads the runs, draws them, and prints the path of the PNG.
pub fn run(args: Args) -> anyhow::Result<()> {
    let is_png = args
        .output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"));
    if !is_png {
        usage!(
            "--output {}: the plot is a PNG; give a path ending in .png",
            args.output.display()
        );
    }
    crate::output::check_target("--output", &args.output, Some(&args.input))?;
    let selection = if args.latest_compatible {
        crate::plot::RunSelection::LatestCompatible
    } else {
        crate::plot::RunSelection::AllOrRefuse
    };
    // A self-improve rounds report is drawn as pass@1 across its rounds.
    let rounds = crate::self_improve::report::read_chart(&args.input);
    let reports = match rounds {
        Some(_) => Vec::new(),
        None => {
            let (reports, skipped) =
                crate::plot::comparable_runs(load_reports(&args.input)?, selection)?;
            if skipped > 0 {
                eprintln!(
                    "plot: {skipped} eval run(s) left out: not comparable with the newest (see their config blocks)"
                );
            }
            reports
        }
    };
    if let Some(parent) = args.output.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    // Drawn beside the target, then renamed over it: a PNG appears whole or not at all.
    let dir = args
        .output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let tmp = tempfile::Builder::new()
        .suffix(".png")
        .tempfile_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    match &rounds {
        Some(chart) => crate::plot::rounds::plot_rounds(chart, tmp.path())?,
        None => crate::plot::plot_reports(&reports, tmp.path())?,
    }
    crate::output::make_readable(tmp.path());
    tmp.persist(&args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    println!("{}", args.output.display());
    Ok(())
}

/// The eval runs in `path`: every run of an rslm database in the order stored, or the one run
/// of a results JSON.
pub fn load_reports(path: &Path) -> anyhow::Result<Vec<EvalReport>> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            usage!(
                "--input {}: no such file; run `rslm eval` first or give a results JSON",
                path.display()
            )
        }
        Err(e) => return Err(e).with_context(|| format!("cannot open {}", path.display())),
    };
    let mut header = [0u8; 16];
    let read = read_up_to(&mut file, &mut header)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if read == header.len() && &header == SQLITE_HEADER {
        drop(file);
        load_from_database(path)
    } else {
        let mut bytes = header[..read].to_vec();
        file.read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let report = parse_report(&bytes)
            .with_context(|| format!("{}: not a results JSON", path.display()))?;
        Ok(vec![report])
    }
}

/// Reads into `buf` until it is full or the file ends; returns the bytes read.
fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Every stored eval run, oldest first. The database is opened read-only: plotting never
/// creates or changes a file.
fn load_from_database(path: &Path) -> anyhow::Result<Vec<EvalReport>> {
    let rows = crate::store::Store::open_read_only(path)?
        .eval_payloads()
        .with_context(|| {
            format!(
                "{}: cannot read eval runs (is this an rslm database?)",
                path.display()
            )
        })?;
    if rows.is_empty() {
        anyhow::bail!(
            "{}: no eval runs in DB; run rslm eval first",
            path.display()
        );
    }
    rows.into_iter()
        .map(|(id, payload)| {
            parse_report(payload.as_bytes()).with_context(|| {
                format!(
                    "{}: eval run {id}: payload is not a results JSON",
                    path.display()
                )
            })
        })
        .collect()
}

/// Parses and sanity-checks one results JSON.
fn parse_report(json: &[u8]) -> anyhow::Result<EvalReport> {
    let report: EvalReport = serde_json::from_slice(json)?;
    if report.conditions.is_empty() {
        anyhow::bail!("it has no conditions");
    }
    for c in &report.conditions {
        for (name, value) in [("pass_at_1", c.pass_at_1), ("pass_at_k", c.pass_at_k)] {
            if !(0.0..=1.0).contains(&value) {
                anyhow::bail!("condition {}: {name} = {value} is not a rate", c.condition);
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEGACY: &str = r#"{"conditions":[{"condition":"baseline","pass_at_1":0.35,"pass_at_k":0.35,"notes":""}],"memory_precision":null,"regression_check":null}"#;

    #[test]
    fn json_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.json");
        std::fs::write(&path, "{not json").unwrap();
        let err = load_reports(&path).unwrap_err();
        let message = format!("{err:#}");
        assert!(
            message.starts_with(&format!("{}: not a results JSON: ", path.display())),
            "{message}"
        );

        std::fs::write(&path, r#"{"conditions":[]}"#).unwrap();
        let message = format!("{:#}", load_reports(&path).unwrap_err());
        assert!(
            message.ends_with("not a results JSON: it has no conditions"),
            "{message}"
        );

        std::fs::write(&path, "").unwrap();
        assert!(load_reports(&path).is_err());
    }

    #[test]
    fn a_legacy_json_loads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        std::fs::write(&path, LEGACY).unwrap();
        let reports = load_reports(&path).unwrap();
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].conditions[0].pass_at_1_ci, None);
    }

    #[test]
    fn rates_outside_zero_one_are_refused() {
        let err =
            parse_report(br#"{"conditions":[{"condition":"x","pass_at_1":1.5,"pass_at_k":0.2}]}"#)
                .unwrap_err();
        assert_eq!(
            err.to_string(),
            "condition x: pass_at_1 = 1.5 is not a rate"
        );
    }

    #[test]
    fn a_missing_input_is_a_usage_error_and_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("memory.sqlite");
        let err = load_reports(&path).unwrap_err();
        assert_eq!(crate::error::exit_code(&err), crate::error::EXIT_USAGE);
        assert!(err.to_string().contains(&path.display().to_string()));
        assert!(!path.exists());
    }

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    #[test]
    fn flags_and_defaults() {
        use clap::{CommandFactory, Parser};
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from(["plot"]).unwrap();
        assert_eq!(cli.args.input, PathBuf::from("artifacts/memory.sqlite"));
        assert_eq!(cli.args.output, PathBuf::from("artifacts/results.png"));
        let cli = Cli::try_parse_from(["plot", "--input", "r.json", "--output", "o.png"]).unwrap();
        assert_eq!(cli.args.input, PathBuf::from("r.json"));
        assert_eq!(cli.args.output, PathBuf::from("o.png"));
    }

    #[test]
    fn output_must_be_a_png() {
        let err = run(Args {
            input: PathBuf::from("unused.json"),
            output: PathBuf::from("results.svg"),
            latest_compatible: false,
        })
        .unwrap_err();
        assert_eq!(crate::error::exit_code(&err), crate::error::EXIT_USAGE);
    }
}
