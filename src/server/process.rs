//! The server's process: started in a process group of its own (so one signal reaches every
//! process it forks, and a Ctrl-C in the terminal reaches only rslm, which then stops it), its
//! output appended to a log, and stopped by signalling the whole group: SIGTERM, a grace period,
//! then SIGKILL. A server that must not outlive rslm (one a self-improve run manages) also gets
//! a parent-death signal, so even `kill -9` of rslm leaves no server behind.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;

/// How long a server may take to exit after SIGTERM before it gets SIGKILL.
const GRACE: Duration = Duration::from_secs(15);

/// Starts `command` in its own process group with its output appended to `log`.
pub fn spawn(mut command: Command, log: &Path, tie_to_parent: bool) -> anyhow::Result<Child> {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("cannot open the server log {}", log.display()))?;
    let err = out.try_clone()?;
    command
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        command.process_group(0);
        #[cfg(target_os = "linux")]
        if tie_to_parent {
            // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
            unsafe {
                command.pre_exec(|| {
                    rustix::process::set_parent_process_death_signal(Some(
                        rustix::process::Signal::KILL,
                    ))
                    .map_err(std::io::Error::from)
                });
            }
        }
    }
    #[cfg(not(all(unix, target_os = "linux")))]
    let _ = tie_to_parent;
    let program = command.get_program().to_string_lossy().into_owned();
    command
        .spawn()
        .with_context(|| format!("cannot start the model server ({program})"))
}

/// Whether `pid` is a live process (a zombie counts as gone).
#[cfg(target_os = "linux")]
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
            !matches!(state.and_then(|s| s.chars().next()), Some('Z' | 'X') | None)
        }
        Err(_) => false,
    }
}

/// Whether any process of group `pgid` is alive (on Windows, which has no process groups, the
/// process whose id the group carries).
#[cfg(windows)]
pub fn group_alive(pgid: u32) -> bool {
    crate::platform::process_alive(i64::from(pgid))
}

/// Whether any process of group `pgid` is alive.
#[cfg(unix)]
pub fn group_alive(pgid: u32) -> bool {
    let Some(pid) = i32::try_from(pgid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    if rustix::process::test_kill_process_group(pid).is_err() {
        return false;
    }
    // Zombies still count for kill(0); on Linux look for a live member.
    #[cfg(target_os = "linux")]
    {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return true;
        };
        entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .any(|p| group_of(p) == Some(pgid) && alive(p))
    }
    #[cfg(not(target_os = "linux"))]
    true
}

/// The process group of `pid` (Linux, from /proc).
#[cfg(target_os = "linux")]
pub fn group_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    // Fields after the name: state, ppid, pgrp.
    rest.split_whitespace().nth(2)?.parse().ok()
}

/// Asks every process of the group to stop (`force`: kills them).
#[cfg(unix)]
fn signal_group(pgid: u32, force: bool) {
    let signal = if force {
        rustix::process::Signal::KILL
    } else {
        rustix::process::Signal::TERM
    };
    if let Some(pid) = i32::try_from(pgid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, signal);
    }
}

/// Windows has no process groups: `taskkill /T` ends the process and the tree it started.
#[cfg(windows)]
fn signal_group(pid: u32, force: bool) {
    let mut taskkill = Command::new("taskkill");
    taskkill.args(["/T", "/PID", &pid.to_string()]);
    if force {
        taskkill.arg("/F");
    }
    let _ = taskkill
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Stops every process of group `pgid`: SIGTERM, up to `GRACE`, then SIGKILL. `child` (when
/// rslm started it in this process) is reaped. Returns whether SIGKILL was needed.
pub fn stop_group(pgid: u32, mut child: Option<&mut Child>) -> anyhow::Result<bool> {
    signal_group(pgid, false);
    let started = Instant::now();
    let mut killed = false;
    loop {
        if let Some(c) = child.as_deref_mut() {
            let _ = c.try_wait();
        }
        if !group_alive(pgid) {
            break;
        }
        if started.elapsed() > GRACE && !killed {
            signal_group(pgid, true);
            killed = true;
        }
        if started.elapsed() > GRACE * 2 {
            anyhow::bail!("process group {pgid} is still alive after SIGKILL");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if let Some(c) = child {
        let _ = c.wait();
    }
    Ok(killed)
}
