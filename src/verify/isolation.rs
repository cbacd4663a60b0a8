//! Which isolation layers are actually in force. Each warm worker tries them at start and
//! reports what worked; `rslm verify` prints it, so nobody assumes more than is there.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The layers around each candidate, as the worker found them on this machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Isolation {
    /// Own process group per candidate, killed as a whole at the deadline.
    pub process_group: bool,
    /// RLIMIT_CPU, RLIMIT_AS, RLIMIT_FSIZE, RLIMIT_NOFILE (and no core files).
    pub rlimits: bool,
    /// The worker is a child subreaper: orphans of a candidate come back to it and are killed.
    pub subreaper: bool,
    /// The worker runs in its own user + network namespace: no network at all.
    pub network_namespace: bool,
    /// Landlock ABI used per candidate, 0 when unavailable. 1+: writes confined to the
    /// candidate's temp dir; 4+: TCP bind/connect denied; 6+: signals and abstract Unix
    /// sockets scoped to the candidate's own processes.
    pub landlock_abi: u32,
    /// Tasks allowed per worker by its own cgroup-v1 `pids` group (0: none; a fork bomb is
    /// then contained only by the deadline and killing, RLIMIT_NPROC being void for root).
    #[serde(default)]
    pub pids_limit: u32,
    /// The worker's cgroup directory, removed when the worker is gone.
    #[serde(default, skip_serializing)]
    pub pids_cgroup: Option<std::path::PathBuf>,
    /// Child exit watched through a pidfd (else polled).
    pub pidfd: bool,
    /// Warm workers that fork per candidate (false: a fresh interpreter per candidate).
    #[serde(default)]
    pub warm_workers: bool,
}

impl Isolation {
    /// Landlock stops writes outside the temp dir.
    pub fn confines_writes(&self) -> bool {
        self.landlock_abi >= 1
    }

    /// A candidate cannot reach the network (namespace, or Landlock's TCP rules).
    pub fn blocks_network(&self) -> bool {
        self.network_namespace || self.landlock_abi >= 4
    }

    /// A candidate cannot signal processes outside its own tree (its worker, rslm, others).
    pub fn scopes_signals(&self) -> bool {
        self.landlock_abi >= 6
    }
}

impl fmt::Display for Isolation {
    /// One line, e.g. `isolation: process group, rlimits, subreaper, network namespace,
    /// landlock ABI 7 (writes, tcp, signals)`; missing layers are named after `missing:`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut on = Vec::new();
        let mut off = Vec::new();
        for (flag, name) in [
            (self.process_group, "process group"),
            (self.rlimits, "rlimits"),
            (self.subreaper, "subreaper"),
            (self.network_namespace, "network namespace"),
        ] {
            if flag {
                on.push(name.to_string())
            } else {
                off.push(name)
            }
        }
        if self.pids_limit > 0 {
            on.push(format!("pids cgroup ({})", self.pids_limit));
        } else {
            off.push("pids cgroup");
        }
        if self.landlock_abi > 0 {
            let mut scope = vec!["writes"];
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
        } else {
            off.push("landlock");
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
            process_group: true,
            rlimits: true,
            subreaper: true,
            network_namespace: true,
            landlock_abi: 7,
            pids_limit: 64,
            pids_cgroup: None,
            pidfd: true,
            warm_workers: true,
        };
        assert_eq!(
            full.to_string(),
            "isolation: process group, rlimits, subreaper, network namespace, pids cgroup (64), landlock ABI 7 (writes, tcp, signals)"
        );
        let bare = Isolation {
            network_namespace: false,
            landlock_abi: 0,
            pids_limit: 0,
            ..full.clone()
        };
        assert_eq!(
            bare.to_string(),
            "isolation: process group, rlimits, subreaper; missing: network namespace, pids cgroup, landlock"
        );
    }
}
