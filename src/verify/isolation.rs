//! Which isolation layers are actually in force. Each warm worker's zygote tries them at start
//! and reports what worked; `rslm verify` prints it, so nobody assumes more than is there.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The layers around each candidate, as the worker found them on this machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Isolation {
    /// The tests run and the verdict is decided in a trusted process; the candidate runs in a
    /// separate process, forked from a zygote that never held a test, and is reached only by
    /// calls that carry plain data.
    #[serde(default)]
    pub trusted_judge: bool,
    /// Own process group per candidate, killed as a whole at the deadline.
    pub process_group: bool,
    /// RLIMIT_CPU, RLIMIT_AS, RLIMIT_FSIZE, RLIMIT_NOFILE (and no core files).
    pub rlimits: bool,
    /// Every capability dropped (bounding, ambient, effective, permitted) and no_new_privs set.
    #[serde(default)]
    pub caps_dropped: bool,
    /// The zygote is a child subreaper: orphans of a candidate come back to it and are killed.
    pub subreaper: bool,
    /// The zygote runs in its own user + network namespace: no network at all.
    pub network_namespace: bool,
    /// Without Landlock: the candidates' mount namespace covers `/proc` with an empty tmpfs.
    #[serde(default)]
    pub proc_hidden: bool,
    /// Without Landlock, rslm running as root: candidates run as `nobody`.
    #[serde(default)]
    pub separate_uid: bool,
    /// Landlock ABI used per candidate, 0 when unavailable. 1+: writes confined to the
    /// candidate's temp dir; 4+: TCP bind/connect denied; 6+: signals and abstract Unix
    /// sockets scoped to the candidate's own processes.
    pub landlock_abi: u32,
    /// Landlock also confines reads (and execution) to the Python installation and the system's
    /// library directories: no task file, no rslm binary, no `/proc`.
    #[serde(default)]
    pub landlock_reads: bool,
    /// A seccomp filter denies Unix and other non-INET sockets, ptrace, reading other processes'
    /// memory, signals outside the candidate's group, keyrings, io_uring, mounts and namespaces.
    #[serde(default)]
    pub seccomp: bool,
    /// Tasks allowed in the zygote's own `pids` cgroup (0: none; a fork bomb is then contained
    /// only by the deadline and killing, RLIMIT_NPROC being void for root).
    #[serde(default)]
    pub pids_limit: u32,
    /// `v1` or `v2`: which cgroup hierarchy holds the pids limit.
    #[serde(default)]
    pub pids_cgroup_version: Option<String>,
    /// The zygote's cgroup directory, removed when the worker is gone.
    #[serde(default, skip_serializing)]
    pub pids_cgroup: Option<std::path::PathBuf>,
    /// Child exit watched through a pidfd (else polled).
    pub pidfd: bool,
    /// Warm workers that fork per candidate (false: a fresh interpreter per candidate).
    #[serde(default)]
    pub warm_workers: bool,
    /// Each candidate is a freshly spawned interpreter rather than forked from a zygote
    /// (Windows, macOS, or `RSLM_VERIFY_DISABLE=fork`): the trusted worker is still separate.
    #[serde(default)]
    pub spawned: bool,
    /// Windows: each candidate in its own Job Object (killed as a whole on close, at most
    /// `pids_limit` processes, a memory limit and a CPU-time limit), output capped by the worker.
    #[serde(default)]
    pub job_object: bool,
    /// Windows: the candidate runs at Low integrity, so it cannot open the worker's or rslm's
    /// process (memory, handles) nor write outside Low-labelled folders.
    #[serde(default)]
    pub low_integrity: bool,
    /// The system has no `/proc` (Windows, macOS): nothing to read there.
    #[serde(default)]
    pub no_proc: bool,
}

impl Isolation {
    /// Landlock stops writes outside the temp dir.
    pub fn confines_writes(&self) -> bool {
        self.landlock_abi >= 1
    }

    /// Landlock stops reads outside the Python installation and library directories.
    pub fn confines_reads(&self) -> bool {
        self.landlock_abi >= 1 && self.landlock_reads
    }

    /// A candidate cannot reach the network (namespace, or Landlock's TCP rules).
    pub fn blocks_network(&self) -> bool {
        self.network_namespace || self.landlock_abi >= 4
    }

    /// A candidate cannot signal processes outside its own tree (its worker, rslm, others).
    pub fn scopes_signals(&self) -> bool {
        self.landlock_abi >= 6 || self.seccomp
    }
}

impl Isolation {
    /// What a candidate can read when Landlock does not confine its reads.
    fn unconfined_reads(&self) -> &'static str {
        if self.proc_hidden || self.separate_uid || self.no_proc {
            "the candidate can read what its user can read, task files included"
        } else {
            "the candidate can read what its user can read, task files and other processes' /proc included"
        }
    }
}

impl fmt::Display for Isolation {
    /// One line, e.g. `isolation: verdict outside the candidate's process, process group,
    /// rlimits, ...`; missing layers are named after `missing:`, with what their absence leaves
    /// open.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut on = Vec::new();
        let mut off = Vec::new();
        if self.trusted_judge {
            on.push("verdict outside the candidate's process".to_string());
        } else {
            off.push("separate judge".to_string());
        }
        if self.spawned {
            on.push("candidates spawned, not forked".to_string());
        }
        if self.job_object {
            on.push(format!(
                "job object (killed as a whole, {} processes, memory, CPU time)",
                self.pids_limit
            ));
        }
        if self.low_integrity {
            on.push("low integrity".to_string());
        }
        let mut layers = Vec::new();
        if !self.job_object {
            // On Windows the job stands for the process group, rlimits and pids cgroup.
            layers.push((self.process_group, "process group"));
            layers.push((self.rlimits, "rlimits"));
        }
        layers.extend([
            (self.caps_dropped, "no capabilities"),
            (self.subreaper, "subreaper"),
            (self.network_namespace, "network namespace"),
        ]);
        for (flag, name) in layers {
            if flag {
                on.push(name.to_string())
            } else if name == "no capabilities" {
                off.push("capability drop".to_string())
            } else {
                off.push(name.to_string())
            }
        }
        if !self.job_object && self.pids_limit > 0 {
            let version = self.pids_cgroup_version.as_deref().unwrap_or("v1");
            on.push(format!("pids cgroup {version} ({})", self.pids_limit));
        } else if !self.job_object {
            off.push("pids cgroup".into());
        }
        if self.landlock_abi > 0 {
            let mut scope = Vec::new();
            if self.landlock_reads {
                scope.push("reads");
            }
            scope.push("writes");
            if self.landlock_abi >= 4 {
                scope.push("tcp");
            }
            if self.landlock_abi >= 6 {
                scope.push("signals");
            }
            on.push(format!(
                "landlock ABI {} ({})",
                self.landlock_abi,
                scope.join(", ")
            ));
            if !self.landlock_reads {
                off.push(format!("read confinement ({})", self.unconfined_reads()));
            }
        } else {
            off.push(format!(
                "landlock (reads and writes are not confined: {})",
                self.unconfined_reads()
            ));
        }
        if self.proc_hidden {
            on.push("/proc hidden".into());
        }
        if self.separate_uid {
            on.push("uid nobody".into());
        }
        if self.seccomp {
            on.push("seccomp (no unix sockets, ptrace or outside signals)".into());
        } else {
            off.push("seccomp (unix sockets of the host are reachable)".into());
        }
        write!(f, "isolation: {}", on.join(", "))?;
        if !off.is_empty() {
            write!(f, "; missing: {}", off.join(", "))?;
        }
        if !self.warm_workers {
            write!(f, "; fresh interpreter per candidate")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_one_line_naming_what_is_missing() {
        let full = Isolation {
            trusted_judge: true,
            process_group: true,
            rlimits: true,
            caps_dropped: true,
            subreaper: true,
            network_namespace: true,
            proc_hidden: false,
            separate_uid: false,
            landlock_abi: 7,
            landlock_reads: true,
            seccomp: true,
            pids_limit: 64,
            pids_cgroup_version: Some("v2".into()),
            pids_cgroup: None,
            pidfd: true,
            warm_workers: true,
            spawned: false,
            job_object: false,
            low_integrity: false,
            no_proc: false,
        };
        assert_eq!(
            full.to_string(),
            "isolation: verdict outside the candidate's process, process group, rlimits, no capabilities, subreaper, network namespace, pids cgroup v2 (64), landlock ABI 7 (reads, writes, tcp, signals), seccomp (no unix sockets, ptrace or outside signals)"
        );
        let bare = Isolation {
            network_namespace: false,
            landlock_abi: 0,
            landlock_reads: false,
            seccomp: false,
            pids_limit: 0,
            ..full.clone()
        };
        assert_eq!(
            bare.to_string(),
            "isolation: verdict outside the candidate's process, process group, rlimits, no capabilities, subreaper; missing: network namespace, pids cgroup, landlock (reads and writes are not confined: the candidate can read what its user can read, task files and other processes' /proc included), seccomp (unix sockets of the host are reachable)"
        );
        let hidden = Isolation {
            proc_hidden: true,
            ..bare
        };
        assert!(hidden.to_string().contains(", /proc hidden;"), "{hidden}");
        assert!(
            hidden.to_string().contains("task files included)"),
            "{hidden}"
        );
    }

    /// What `spawned.py` reports on Windows and macOS, as the README quotes it.
    #[test]
    fn windows_and_macos_lines_name_what_they_lack() {
        let macos = Isolation {
            trusted_judge: true,
            process_group: true,
            rlimits: true,
            caps_dropped: false,
            subreaper: false,
            network_namespace: false,
            proc_hidden: false,
            separate_uid: false,
            landlock_abi: 0,
            landlock_reads: false,
            seccomp: false,
            pids_limit: 0,
            pids_cgroup_version: None,
            pids_cgroup: None,
            pidfd: false,
            warm_workers: true,
            spawned: true,
            job_object: false,
            low_integrity: false,
            no_proc: true,
        };
        assert_eq!(
            macos.to_string(),
            "isolation: verdict outside the candidate's process, candidates spawned, not forked, process group, rlimits; missing: capability drop, subreaper, network namespace, pids cgroup, landlock (reads and writes are not confined: the candidate can read what its user can read, task files included), seccomp (unix sockets of the host are reachable)"
        );
        let windows = Isolation {
            process_group: false,
            rlimits: false,
            pids_limit: 64,
            job_object: true,
            low_integrity: true,
            ..macos
        };
        assert_eq!(
            windows.to_string(),
            "isolation: verdict outside the candidate's process, candidates spawned, not forked, job object (killed as a whole, 64 processes, memory, CPU time), low integrity; missing: capability drop, subreaper, network namespace, landlock (reads and writes are not confined: the candidate can read what its user can read, task files included), seccomp (unix sockets of the host are reachable)"
        );
    }
}
