//! Everything that differs between Linux, macOS and Windows, in one place per concern, so the
//! rest of rslm has no `cfg`: starting and ending worker process trees, the line link to a
//! worker, whether a process is alive, keeping this process's memory from other processes, and
//! a path's bytes. `unix.rs` serves Linux and macOS, `windows.rs` Windows; `pipes.rs` is the
//! link every platform can use (Windows always, Unix when candidates are spawned).

mod pipes;
#[cfg(unix)]
mod unix;
#[cfg(windows)]
mod windows;

#[cfg(unix)]
use unix as os;
#[cfg(windows)]
use windows as os;

pub(crate) use os::{ProcessTree, kill_candidate, os_path_bytes, process_alive};

use std::io;
use std::process::{Child, Command};
use std::time::Instant;

/// Whether the verifier's workers fork a zygote per worker and a process per candidate (Linux,
/// where every confinement layer lives), rather than spawn each candidate as a new interpreter.
pub(crate) const FORKS_CANDIDATES: bool = cfg!(target_os = "linux");

/// Keeps other processes of this user (every candidate among them) from reading this process's
/// memory and environment, where the platform allows it; harmless where it fails.
pub(crate) fn forbid_memory_reading() {
    os::forbid_memory_reading();
}

/// The environment a verifier worker starts with (the parent's is cleared): just enough for the
/// platform's Python to start, with `root` as home and temp.
pub(crate) fn worker_env(root: &std::path::Path) -> Vec<(String, String)> {
    os::worker_env(root)
}

/// Why a line could not be read from a worker.
#[derive(Debug)]
pub(crate) enum LinkError {
    /// The worker closed its end or exited.
    Closed,
    /// Nothing arrived before the deadline.
    TimedOut,
    Other(String),
}

/// A worker's line link, made before it starts: a Unix socket pair on its stdin and stdout
/// where there is one (Unix, forking workers), else its stdin and stdout pipes.
pub(crate) enum PendingLink {
    #[cfg(unix)]
    Socket(unix::SocketLink),
    Pipes,
}

impl PendingLink {
    /// Connects `command`'s stdin and stdout to a new link (`socket`: a Unix socket, where
    /// there is one) and makes it the leader of its own process tree.
    pub(crate) fn attach(command: &mut Command, socket: bool) -> io::Result<PendingLink> {
        os::start_own_tree(command);
        #[cfg(unix)]
        if socket {
            return Ok(PendingLink::Socket(unix::SocketLink::attach(command)?));
        }
        let _ = socket;
        pipes::attach(command);
        Ok(PendingLink::Pipes)
    }

    /// The link to the started worker.
    pub(crate) fn connect(self, child: &mut Child) -> io::Result<Link> {
        match self {
            #[cfg(unix)]
            PendingLink::Socket(link) => Ok(Link::Socket(link)),
            PendingLink::Pipes => Ok(Link::Pipes(pipes::PipeLink::connect(child)?)),
        }
    }
}

/// The line link to a running worker: whole lines, each read with a deadline.
pub(crate) enum Link {
    #[cfg(unix)]
    Socket(unix::SocketLink),
    Pipes(pipes::PipeLink),
}

impl Link {
    /// Writes all of `data`; a worker that takes more than a few seconds to accept it is an
    /// error, not a wait.
    pub(crate) fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        match self {
            #[cfg(unix)]
            Link::Socket(link) => link.write_all(data),
            Link::Pipes(link) => link.write_all(data),
        }
    }

    /// Replaces `line` with the next whole line (newline included), or fails at `deadline`.
    pub(crate) fn read_line(
        &mut self,
        line: &mut String,
        deadline: Instant,
    ) -> Result<(), LinkError> {
        match self {
            #[cfg(unix)]
            Link::Socket(link) => link.read_line(line, deadline),
            Link::Pipes(link) => link.read_line(line, deadline),
        }
    }

    /// Tells the worker there will be no more requests (its input ends).
    pub(crate) fn close(self) {
        match self {
            #[cfg(unix)]
            Link::Socket(link) => link.close(),
            Link::Pipes(link) => link.close(),
        }
    }
}
