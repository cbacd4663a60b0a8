//! The promotion gate's decision: a new adapter replaces the active one only when it beats it on
//! the held-out set with a significant paired test and does not lose ground on a separate check
//! set. One lucky task flip never promotes: the exact McNemar test needs several discordant
//! tasks before its p-value can fall below the threshold.

use serde::Serialize;

use crate::eval::stats::mcnemar_exact;

/// Per-task outcomes of the same tasks under the current and the candidate adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paired {
    pub current: bool,
    pub candidate: bool,
}

/// The gate's verdict with the numbers behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub promote: bool,
    pub reason: String,
    /// Held-out tasks only the candidate solves, and only the current one solves.
    pub heldout_wins: usize,
    pub heldout_losses: usize,
    pub p_value: f64,
    pub check_current: usize,
    pub check_candidate: usize,
}

/// Decides on promotion at significance level `alpha` (e.g. 0.05).
pub fn decide(heldout: &[Paired], check: &[Paired], alpha: f64) -> Decision {
    let wins = heldout.iter().filter(|p| p.candidate && !p.current).count();
    let losses = heldout.iter().filter(|p| p.current && !p.candidate).count();
    let p_value = mcnemar_exact(wins, losses);
    let check_current = check.iter().filter(|p| p.current).count();
    let check_candidate = check.iter().filter(|p| p.candidate).count();
    let (promote, reason) = if check.is_empty() {
        (
            false,
            "no check set: regressions cannot be ruled out".to_string(),
        )
    } else if wins <= losses {
        (
            false,
            format!("no held-out gain ({wins} tasks won, {losses} lost)"),
        )
    } else if p_value >= alpha {
        (
            false,
            format!(
                "held-out gain not significant ({wins} won, {losses} lost, exact McNemar p = {} >= {alpha})",
                show_p(p_value)
            ),
        )
    } else if check_candidate < check_current {
        (
            false,
            format!(
                "regression on the check set ({check_candidate} < {check_current} tasks passed)"
            ),
        )
    } else {
        (
            true,
            format!(
                "held-out {wins} won, {losses} lost (exact McNemar p = {} < {alpha}); check set {check_candidate} >= {check_current} passed",
                show_p(p_value)
            ),
        )
    };
    Decision {
        promote,
        reason,
        heldout_wins: wins,
        heldout_losses: losses,
        p_value,
        check_current,
        check_candidate,
    }
}

/// A p-value for a recorded reason: three decimals, or two significant digits below 0.001.
pub fn show_p(p: f64) -> String {
    if p < 0.001 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(both: usize, wins: usize, losses: usize, neither: usize) -> Vec<Paired> {
        let mut v = Vec::new();
        let mut push = |n, current, candidate| {
            for _ in 0..n {
                v.push(Paired { current, candidate });
            }
        };
        push(both, true, true);
        push(wins, false, true);
        push(losses, true, false);
        push(neither, false, false);
        v
    }

    #[test]
    fn a_single_lucky_flip_does_not_promote() {
        let d = decide(&pairs(10, 1, 0, 9), &pairs(5, 0, 0, 5), 0.05);
        assert!(!d.promote, "{}", d.reason);
        assert!(d.reason.contains("not significant"));
    }

    #[test]
    fn a_clear_gain_without_regression_promotes() {
        let d = decide(&pairs(5, 9, 0, 6), &pairs(8, 1, 1, 10), 0.05);
        assert!(d.promote, "{}", d.reason);
        assert!(d.p_value < 0.01);
    }

    #[test]
    fn a_check_set_regression_blocks_promotion() {
        let d = decide(&pairs(5, 9, 0, 6), &pairs(8, 0, 2, 10), 0.05);
        assert!(!d.promote);
        assert!(d.reason.contains("regression"));
        assert!(!decide(&pairs(5, 9, 0, 6), &[], 0.05).promote);
    }
}
