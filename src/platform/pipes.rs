//! A worker's line link over its stdin and stdout pipes, for every platform. Pipes have no read
//! or write timeouts, so a thread reads whole lines into a channel and another writes requests:
//! the caller waits on channels with deadlines, and a frozen worker never holds it past one.

use std::io::{self, BufRead as _, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::time::{Duration, Instant};

use super::LinkError;

/// How long a worker may take to accept one request.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) fn attach(command: &mut Command) {
    command.stdin(Stdio::piped()).stdout(Stdio::piped());
}

pub(crate) struct PipeLink {
    lines: Receiver<io::Result<String>>,
    requests: Option<Sender<Vec<u8>>>,
    written: Receiver<io::Result<()>>,
}

impl PipeLink {
    pub(super) fn connect(child: &mut Child) -> io::Result<PipeLink> {
        let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(io::Error::other("the worker's pipes were not set up"));
        };
        let (line_tx, lines) = mpsc::sync_channel::<io::Result<String>>(4);
        std::thread::Builder::new()
            .name("rslm-worker-reader".into())
            .spawn(move || read_lines(BufReader::new(stdout), line_tx))?;
        let (requests, request_rx) = mpsc::channel::<Vec<u8>>();
        let (written_tx, written) = mpsc::sync_channel::<io::Result<()>>(1);
        std::thread::Builder::new()
            .name("rslm-worker-writer".into())
            .spawn(move || {
                // Ends when the link is closed (the sender dropped), closing the worker's stdin.
                for data in request_rx {
                    let result = stdin.write_all(&data).and_then(|()| stdin.flush());
                    if written_tx.send(result).is_err() {
                        break;
                    }
                }
            })?;
        Ok(PipeLink {
            lines,
            requests: Some(requests),
            written,
        })
    }

    pub(super) fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        let sent = self
            .requests
            .as_ref()
            .is_some_and(|requests| requests.send(data.to_vec()).is_ok());
        if !sent {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        match self.written.recv_timeout(WRITE_TIMEOUT) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the worker did not accept the request",
            )),
            Err(RecvTimeoutError::Disconnected) => Err(io::ErrorKind::BrokenPipe.into()),
        }
    }

    pub(super) fn read_line(
        &mut self,
        line: &mut String,
        deadline: Instant,
    ) -> Result<(), LinkError> {
        line.clear();
        let remaining = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(remaining) {
            Ok(Ok(text)) => {
                *line = text;
                Ok(())
            }
            Ok(Err(e)) => Err(LinkError::Other(e.to_string())),
            Err(RecvTimeoutError::Timeout) => Err(LinkError::TimedOut),
            Err(RecvTimeoutError::Disconnected) => Err(LinkError::Closed),
        }
    }

    pub(super) fn close(mut self) {
        self.requests.take();
    }
}

/// Sends each whole line until the worker's stdout ends (then the channel closes).
fn read_lines(
    mut reader: BufReader<std::process::ChildStdout>,
    lines: SyncSender<io::Result<String>>,
) {
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) => return,
            Ok(_) if line.ends_with('\n') => {
                if lines.send(Ok(line)).is_err() {
                    return;
                }
            }
            Ok(_) => return, // a last line without its newline: the worker died mid-line
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = lines.send(Err(e));
                return;
            }
        }
    }
}
