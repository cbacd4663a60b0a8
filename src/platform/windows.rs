//! Windows: each worker and everything it starts in a Job Object that is killed as a whole,
//! process handles for liveness. Memory of this process is guarded by Windows' own process
//! security (another process needs PROCESS_VM_READ on it); there is nothing to switch on.

use std::io;
use std::os::windows::io::AsRawHandle as _;
use std::path::Path;
use std::process::{Child, Command};

use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, STILL_ACTIVE};
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JobObjectExtendedLimitInformation,
    SetInformationJobObject, TerminateJobObject,
};
use windows_sys::Win32::System::Threading::{
    GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
};

pub(super) fn forbid_memory_reading() {}

pub(super) fn worker_env(root: &Path) -> Vec<(String, String)> {
    let root = root.to_string_lossy().into_owned();
    // Python on Windows needs SYSTEMROOT (its random numbers and sockets) and the system's PATH
    // for its DLLs.
    let mut env: Vec<(String, String)> = ["SYSTEMROOT", "WINDIR", "PATH", "PATHEXT", "COMSPEC"]
        .into_iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
        .collect();
    for (k, v) in [
        ("USERPROFILE", root.as_str()),
        ("HOME", root.as_str()),
        ("TEMP", root.as_str()),
        ("TMP", root.as_str()),
        ("TMPDIR", root.as_str()),
        ("TZ", "UTC"),
        ("PYTHONHASHSEED", "0"),
        ("PYTHONDONTWRITEBYTECODE", "1"),
        ("PYTHONNOUSERSITE", "1"),
        ("PYTHONUTF8", "1"),
    ] {
        env.push((k.to_string(), v.to_string()));
    }
    env
}

pub(super) fn start_own_tree(command: &mut Command) {
    use std::os::windows::process::CommandExt as _;
    const CREATE_NO_WINDOW: u32 = 0x0800_0000;
    command.creation_flags(CREATE_NO_WINDOW);
}

/// A worker's Job Object: the worker and every candidate it starts (each also in a job of its
/// own, nested in this one), killed together by [`ProcessTree::kill`] or when rslm exits.
pub(crate) struct ProcessTree {
    job: HANDLE,
}

// The handle is owned by this value alone; Windows handles may be used from any thread.
unsafe impl Send for ProcessTree {}

impl ProcessTree {
    /// Puts a just-started worker in a new kill-on-close job. The worker starts no candidate
    /// before its first request, so nothing escapes it.
    pub(crate) fn adopt(child: &Child) -> io::Result<ProcessTree> {
        // SAFETY: plain Win32 calls on a handle this function owns and the child's live handle;
        // the information block is a properly sized, zero-initialised struct.
        unsafe {
            let job = CreateJobObjectW(std::ptr::null(), std::ptr::null());
            if job.is_null() {
                return Err(io::Error::last_os_error());
            }
            let tree = ProcessTree { job };
            let mut info: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = std::mem::zeroed();
            info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
            let size = std::mem::size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32;
            if SetInformationJobObject(
                job,
                JobObjectExtendedLimitInformation,
                (&raw const info).cast(),
                size,
            ) == 0
                || AssignProcessToJobObject(job, child.as_raw_handle() as HANDLE) == 0
            {
                return Err(io::Error::last_os_error());
            }
            Ok(tree)
        }
    }

    /// Kills every process in the tree.
    pub(crate) fn kill(&mut self) {
        // SAFETY: the job handle is owned and open until drop.
        unsafe {
            TerminateJobObject(self.job, 1);
        }
    }
}

impl Drop for ProcessTree {
    fn drop(&mut self) {
        // SAFETY: closing the owned handle once; kill-on-close ends whatever is left in it.
        unsafe {
            CloseHandle(self.job);
        }
    }
}

/// Nothing to do on Windows: a candidate lives in its own kill-on-close job inside its
/// worker's, and the caller kills the worker's tree.
pub(crate) fn kill_candidate(_pid: i32) {}

/// Whether a process with this pid exists and has not exited.
pub(crate) fn process_alive(pid: i64) -> bool {
    let Ok(pid) = u32::try_from(pid) else {
        return false;
    };
    // SAFETY: the handle is checked and closed; the exit code is written to a local.
    unsafe {
        let handle = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
        if handle.is_null() {
            // Access denied still means it exists.
            return io::Error::last_os_error().raw_os_error() == Some(5);
        }
        let mut code = 0u32;
        let ok = GetExitCodeProcess(handle, &mut code) != 0;
        CloseHandle(handle);
        ok && code == STILL_ACTIVE as u32
    }
}

/// A path as bytes for an SQLite `file:` URI: forward slashes, and a drive-letter path starts
/// with `/` (`/C:/...`).
pub(crate) fn os_path_bytes(path: &Path) -> Vec<u8> {
    let text = path.to_string_lossy().replace('\\', "/");
    let absolute_drive = text.as_bytes().get(1) == Some(&b':');
    let mut bytes = Vec::with_capacity(text.len() + 1);
    if absolute_drive {
        bytes.push(b'/');
    }
    bytes.extend_from_slice(text.as_bytes());
    bytes
}
