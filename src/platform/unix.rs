//! Linux and macOS: process groups and signals, a Unix socket to each worker, `kill(pid, 0)`
//! for liveness, and (Linux) a process that is not dumpable.

use std::io::{self, BufRead as _, BufReader, Write as _};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::LinkError;

pub(super) fn forbid_memory_reading() {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
}

pub(super) fn worker_env(root: &Path) -> Vec<(String, String)> {
    let root = root.to_string_lossy().into_owned();
    [
        ("PATH", "/usr/bin:/bin".to_string()),
        ("HOME", root.clone()),
        ("TMPDIR", root),
        ("TZ", "UTC".into()),
        ("LANG", "C.UTF-8".into()),
        ("PYTHONHASHSEED", "0".into()),
        ("PYTHONDONTWRITEBYTECODE", "1".into()),
        ("PYTHONNOUSERSITE", "1".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

pub(super) fn start_own_tree(command: &mut Command) {
    command.process_group(0);
}

/// A worker's process tree: on Unix its process group, which the candidates leave (each gets
/// its own), so they are killed by their group ([`kill_candidate`]) and by their parent's death.
pub(crate) struct ProcessTree;

impl ProcessTree {
    pub(crate) fn adopt(_child: &Child) -> io::Result<ProcessTree> {
        Ok(ProcessTree)
    }

    pub(crate) fn kill(&mut self) {}
}

/// Kills a candidate's whole process group (after its worker died or hung).
pub(crate) fn kill_candidate(pgid: i32) {
    if let Some(pid) = rustix::process::Pid::from_raw(pgid) {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

/// Whether a process with this pid exists (signal 0 checks without sending anything).
pub(crate) fn process_alive(pid: i64) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        Err(e) => e != rustix::io::Errno::SRCH,
    }
}

pub(crate) fn os_path_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt as _;
    path.as_os_str().as_bytes().to_vec()
}

/// One Unix socket on the worker's stdin and stdout: unlike pipes it has read timeouts.
pub(crate) struct SocketLink {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl SocketLink {
    pub(super) fn attach(command: &mut Command) -> io::Result<SocketLink> {
        let (ours, theirs) = UnixStream::pair()?;
        command
            .stdin(Stdio::from(OwnedFd::from(theirs.try_clone()?)))
            .stdout(Stdio::from(OwnedFd::from(theirs)));
        let writer = ours.try_clone()?;
        Ok(SocketLink {
            reader: BufReader::new(ours),
            writer,
        })
    }

    pub(super) fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.writer
            .set_write_timeout(Some(Duration::from_secs(10)))?;
        self.writer.write_all(data)
    }

    pub(super) fn read_line(
        &mut self,
        line: &mut String,
        deadline: Instant,
    ) -> Result<(), LinkError> {
        line.clear();
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(LinkError::TimedOut);
            }
            if let Err(e) = self.reader.get_ref().set_read_timeout(Some(remaining)) {
                return Err(LinkError::Other(e.to_string()));
            }
            match self.reader.read_line(line) {
                Ok(0) => return Err(LinkError::Closed),
                Ok(_) if line.ends_with('\n') => return Ok(()),
                Ok(_) => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return Err(LinkError::Closed),
            }
        }
    }

    pub(super) fn close(self) {
        let _ = self.writer.shutdown(std::net::Shutdown::Both);
    }
}
