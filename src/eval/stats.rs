//! The estimators behind every number rslm reports: unbiased pass@k, Wilson and bootstrap
//! intervals, and the exact McNemar test for paired conditions. They live apart from the
//! report types so that each one can be checked against published values.

use serde::{Deserialize, Serialize};

/// Two-sided 95% normal quantile (the 0.975 quantile of N(0, 1)).
const Z_95: f64 = 1.959_963_984_540_054;

/// Why an estimate cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    #[error("k must be at least 1")]
    ZeroK,
    #[error("pass@{k} needs at least {k} samples per task, but a task has {n}")]
    TooFewSamples { k: usize, n: usize },
    #[error("{passed} passing samples out of {n}: more passes than samples")]
    PassedExceedsSamples { passed: usize, n: usize },
    #[error("no tasks to estimate over")]
    NoTasks,
}

/// A closed interval `[low, high]`, written in JSON as a two-element array.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(from = "[f64; 2]", into = "[f64; 2]")]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl From<[f64; 2]> for Interval {
    fn from([low, high]: [f64; 2]) -> Self {
        Self { low, high }
    }
}

impl From<Interval> for [f64; 2] {
    fn from(i: Interval) -> Self {
        [i.low, i.high]
    }
}

/// Unbiased pass@k of one task with `passed` of `n` samples correct (Chen et al. 2021):
/// `1 - C(n - passed, k) / C(n, k)`.
///
/// The ratio of binomials is evaluated as the product `prod_{i = n-passed+1..=n} (1 - k/i)`,
/// which never forms a large binomial coefficient and so stays exact enough for any `n`.
pub fn pass_at_k(n: usize, passed: usize, k: usize) -> Result<f64, StatsError> {
    if k == 0 {
        return Err(StatsError::ZeroK);
    }
    if k > n {
        return Err(StatsError::TooFewSamples { k, n });
    }
    if passed > n {
        return Err(StatsError::PassedExceedsSamples { passed, n });
    }
    let failed = n - passed;
    if failed < k {
        // Every draw of k samples contains a passing one.
        return Ok(1.0);
    }
    let all_fail: f64 = (failed + 1..=n)
        .map(|i| 1.0 - k as f64 / i as f64)
        .product();
    Ok(1.0 - all_fail)
}

/// Mean pass@k over tasks, each given as `(n, passed)`.
pub fn mean_pass_at_k(tasks: &[(usize, usize)], k: usize) -> Result<f64, StatsError> {
    let per_task = tasks
        .iter()
        .map(|&(n, passed)| pass_at_k(n, passed, k))
        .collect::<Result<Vec<_>, _>>()?;
    mean(&per_task).ok_or(StatsError::NoTasks)
}

/// The Wilson score 95% interval for `successes` out of `trials`.
///
/// Unlike the normal (Wald) interval it stays inside [0, 1] and does not collapse to a point
/// at 0 or `trials` successes, which matters for the small held-out sets rslm evaluates on.
pub fn wilson_interval(successes: usize, trials: usize) -> Result<Interval, StatsError> {
    if trials == 0 {
        return Err(StatsError::NoTasks);
    }
    if successes > trials {
        return Err(StatsError::PassedExceedsSamples {
            passed: successes,
            n: trials,
        });
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = Z_95 * Z_95;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z_95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Ok(Interval {
        low: (centre - half).max(0.0),
        high: (centre + half).min(1.0),
    })
}

/// Number of resamples of the percentile bootstrap: enough that the 2.5% and 97.5%
/// quantiles move by well under 0.01 between seeds, cheap for a few hundred tasks.
pub const BOOTSTRAP_RESAMPLES: usize = 10_000;

/// A seeded percentile-bootstrap 95% interval for the mean of `values` (one value per task),
/// resampling tasks with replacement `resamples` times. The same seed gives the same interval.
///
/// With every value equal the interval collapses to that value: the bootstrap only knows the
/// variation between the tasks it was given.
pub fn bootstrap_mean_interval(
    values: &[f64],
    resamples: usize,
    seed: u64,
) -> Result<Interval, StatsError> {
    if values.is_empty() || resamples == 0 {
        return Err(StatsError::NoTasks);
    }
    let mut rng = SplitMix64::new(seed);
    let len = values.len();
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| {
            let sum: f64 = (0..len).map(|_| values[rng.below(len)]).sum();
            sum / len as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    Ok(Interval {
        low: quantile_sorted(&means, 0.025),
        high: quantile_sorted(&means, 0.975),
    })
}

/// A seeded percentile-bootstrap 95% interval for the mean of `values` that resamples whole
/// clusters (`clusters[i]` names the cluster of `values[i]`; rslm's clusters are task families)
/// with replacement, keeping every value of a drawn cluster. When outcomes within a family move
/// together, as sibling tasks do, this interval is wider than the per-task one and honest about
/// how few independent units there are.
pub fn cluster_bootstrap_mean_interval(
    values: &[f64],
    clusters: &[&str],
    resamples: usize,
    seed: u64,
) -> Result<Interval, StatsError> {
    if values.is_empty() || resamples == 0 || values.len() != clusters.len() {
        return Err(StatsError::NoTasks);
    }
    // Per cluster: (sum, count), in first-seen order so the result does not depend on hashing.
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut totals: Vec<(f64, usize)> = Vec::new();
    for (&value, &cluster) in values.iter().zip(clusters) {
        let i = *index.entry(cluster).or_insert_with(|| {
            totals.push((0.0, 0));
            totals.len() - 1
        });
        totals[i].0 += value;
        totals[i].1 += 1;
    }
    let mut rng = SplitMix64::new(seed);
    let count = totals.len();
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| {
            let (mut sum, mut n) = (0.0, 0usize);
            for _ in 0..count {
                let (s, c) = totals[rng.below(count)];
                sum += s;
                n += c;
            }
            sum / n as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    Ok(Interval {
        low: quantile_sorted(&means, 0.025),
        high: quantile_sorted(&means, 0.975),
    })
}

/// Holm's step-down adjustment of p-values for a family of tests (Holm 1979): sorted
/// ascending, the i-th smallest (from 0) is multiplied by `m - i`, and adjusted values never
/// decrease along that order; capped at 1. Returned in the input's order.
pub fn holm_adjust(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]).then(a.cmp(&b)));
    let mut adjusted = vec![0.0; m];
    let mut running = 0.0_f64;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p_values[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

/// Mean, sample standard deviation, minimum and maximum of one figure over several runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub mean: f64,
    /// Sample standard deviation (n - 1); 0 for a single run.
    pub sd: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    /// The spread of `values`, or `None` for no values.
    pub fn of(values: &[f64]) -> Option<Spread> {
        let mean = mean(values)?;
        let sd = if values.len() < 2 {
            0.0
        } else {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64)
                .sqrt()
        };
        Some(Spread {
            mean,
            sd,
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        })
    }
}

/// The exact two-sided McNemar test on the discordant pairs of a paired comparison:
/// `b` tasks solved only under one condition, `c` only under the other.
///
/// Under the null hypothesis each discordant task is a fair coin, so
/// `p = min(1, 2 * P(X <= min(b, c)))` with `X ~ Bin(b + c, 1/2)`; `p = 1` without discordant
/// pairs. The exact form is used because held-out sets are small and the chi-squared
/// approximation is poor below about 25 discordant pairs.
pub fn mcnemar_exact(b: usize, c: usize) -> f64 {
    let n = b + c;
    if n == 0 {
        return 1.0;
    }
    let m = b.min(c);
    // Sum the binomial terms in log space: 2^-n underflows for n > 1074.
    let ln_half_n = n as f64 * std::f64::consts::LN_2;
    let mut ln_choose = 0.0; // ln C(n, 0)
    let mut tail = 0.0;
    for i in 0..=m {
        if i > 0 {
            ln_choose += ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        tail += (ln_choose - ln_half_n).exp();
    }
    (2.0 * tail).min(1.0)
}

/// The arithmetic mean, or `None` for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        None
    } else {
        Some(values.iter().sum::<f64>() / values.len() as f64)
    }
}

/// Linear-interpolation quantile (Hyndman & Fan type 7) of sorted, non-empty data.
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    let fraction = position - below as f64;
    sorted[below] + (sorted[above] - sorted[below]) * fraction
}

/// SplitMix64 (Steele, Lea & Flood 2014): a few lines, statistically sound for resampling, and
/// stable across platforms and crate versions, which a results file that must be reproducible
/// from its seed needs. Not the design card's `rand`: its `StdRng` may change between versions,
/// and moving to `rand_chacha` would change every bootstrap interval already published (the
/// README's demo table among them) for no statistical gain.
struct SplitMix64(u64);

impl SplitMix64 {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform index in `0..bound` by multiply-shift; the bias is below 2^-50 for any
    /// task count rslm will see.
    fn below(&mut self, bound: usize) -> usize {
        ((u128::from(self.next_u64()) * bound as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    /// C(n, k) by exact integer arithmetic, for checking the product form.
    fn choose(n: u64, k: u64) -> f64 {
        (0..k).fold(1u128, |acc, i| acc * u128::from(n - i) / u128::from(i + 1)) as f64
    }

    #[test]
    fn pass_at_1_is_the_fraction_passing() {
        assert!(close(pass_at_k(10, 3, 1).unwrap(), 0.3, 1e-12));
        assert!(close(pass_at_k(1, 1, 1).unwrap(), 1.0, 0.0));
        assert!(close(pass_at_k(1, 0, 1).unwrap(), 0.0, 0.0));
    }

    #[test]
    fn pass_at_k_matches_the_binomial_formula() {
        let expected = 1.0 - choose(7, 5) / choose(10, 5);
        assert!(close(expected, 0.916_666_666_666_666_6, 1e-12));
        assert!(close(pass_at_k(10, 3, 5).unwrap(), expected, 1e-12));
        for n in 1..=20u64 {
            for c in 0..=n {
                for k in 1..=n {
                    let direct = if n - c < k {
                        1.0
                    } else {
                        1.0 - choose(n - c, k) / choose(n, k)
                    };
                    let got = pass_at_k(n as usize, c as usize, k as usize).unwrap();
                    assert!(close(got, direct, 1e-12), "n={n} c={c} k={k}");
                }
            }
        }
    }

    #[test]
    fn pass_at_k_is_stable_for_large_n() {
        // C(1000, 100) overflows f64; the product form does not.
        let p = pass_at_k(1000, 10, 100).unwrap();
        assert!(p > 0.0 && p < 1.0);
        assert!(close(pass_at_k(1000, 0, 100).unwrap(), 0.0, 0.0));
        assert!(close(pass_at_k(1000, 950, 100).unwrap(), 1.0, 0.0));
    }

    #[test]
    fn pass_at_k_refuses_bad_arguments() {
        assert_eq!(pass_at_k(3, 1, 0), Err(StatsError::ZeroK));
        assert_eq!(
            pass_at_k(3, 1, 4),
            Err(StatsError::TooFewSamples { k: 4, n: 3 })
        );
        assert_eq!(
            pass_at_k(3, 4, 1),
            Err(StatsError::PassedExceedsSamples { passed: 4, n: 3 })
        );
    }

    #[test]
    fn mean_pass_at_k_averages_over_tasks() {
        let m = mean_pass_at_k(&[(10, 3), (10, 0), (10, 10)], 1).unwrap();
        assert!(close(m, 1.3 / 3.0, 1e-12));
        assert_eq!(mean_pass_at_k(&[], 1), Err(StatsError::NoTasks));
    }

    #[test]
    fn wilson_matches_published_values() {
        // 8/20: Wilson 95% interval [0.2188, 0.6134] (Newcombe 1998 style tables).
        let i = wilson_interval(8, 20).unwrap();
        assert!(close(i.low, 0.218_8, 1e-4), "{i:?}");
        assert!(close(i.high, 0.613_4, 1e-4), "{i:?}");
        // 7/20 = 0.35: [0.1812, 0.5671].
        let i = wilson_interval(7, 20).unwrap();
        assert!(close(i.low, 0.181_2, 1e-4), "{i:?}");
        assert!(close(i.high, 0.567_1, 1e-4), "{i:?}");
    }

    #[test]
    fn wilson_stays_informative_at_the_edges() {
        let zero = wilson_interval(0, 20).unwrap();
        assert_eq!(zero.low, 0.0);
        assert!(close(zero.high, 0.161_1, 1e-4), "{zero:?}");
        let all = wilson_interval(20, 20).unwrap();
        assert!(close(all.low, 1.0 - 0.161_1, 1e-4), "{all:?}");
        assert_eq!(all.high, 1.0);
        assert_eq!(wilson_interval(0, 0), Err(StatsError::NoTasks));
    }

    #[test]
    fn bootstrap_is_deterministic_per_seed_and_brackets_the_mean() {
        let values: Vec<f64> = (0..40).map(|i| f64::from(i % 3 == 0)).collect();
        let a = bootstrap_mean_interval(&values, BOOTSTRAP_RESAMPLES, 7).unwrap();
        let b = bootstrap_mean_interval(&values, BOOTSTRAP_RESAMPLES, 7).unwrap();
        assert_eq!(a, b);
        let m = mean(&values).unwrap();
        assert!(a.low < m && m < a.high, "{a:?} around {m}");
        // Close to the Wilson interval for the same proportion (14/40).
        let w = wilson_interval(14, 40).unwrap();
        assert!(close(a.low, w.low, 0.05) && close(a.high, w.high, 0.05));
        // Another seed resamples differently but lands on nearly the same interval.
        let c = bootstrap_mean_interval(&values, BOOTSTRAP_RESAMPLES, 8).unwrap();
        assert!(close(a.low, c.low, 0.02) && close(a.high, c.high, 0.02));
    }

    #[test]
    fn bootstrap_seeds_give_different_resamples() {
        let values: Vec<f64> = (0..30).map(|i| f64::from(i * i % 17) / 16.0).collect();
        let a = bootstrap_mean_interval(&values, 200, 1).unwrap();
        let b = bootstrap_mean_interval(&values, 200, 2).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn bootstrap_of_constant_values_is_a_point() {
        let i = bootstrap_mean_interval(&[0.5; 10], 100, 1).unwrap();
        assert_eq!(
            i,
            Interval {
                low: 0.5,
                high: 0.5
            }
        );
        assert_eq!(
            bootstrap_mean_interval(&[], 100, 1),
            Err(StatsError::NoTasks)
        );
    }

    #[test]
    fn mcnemar_matches_the_exact_binomial() {
        // P(X <= 2 | n = 12) = 79/4096.
        assert!(close(mcnemar_exact(10, 2), 2.0 * 79.0 / 4096.0, 1e-12));
        assert!(close(mcnemar_exact(10, 2), 0.0386, 1e-4));
        assert!(close(mcnemar_exact(2, 10), mcnemar_exact(10, 2), 1e-15));
        // 6 against 1: 2 * 8/128.
        assert!(close(mcnemar_exact(6, 1), 0.125, 1e-12));
        assert!(close(mcnemar_exact(5, 0), 0.0625, 1e-12));
    }

    #[test]
    fn mcnemar_is_one_without_evidence() {
        assert_eq!(mcnemar_exact(0, 0), 1.0);
        assert_eq!(mcnemar_exact(4, 4), 1.0);
        assert_eq!(mcnemar_exact(1, 0), 1.0);
    }

    #[test]
    fn mcnemar_survives_many_pairs() {
        let p = mcnemar_exact(1500, 500);
        assert!((0.0..1e-10).contains(&p));
        assert!(close(mcnemar_exact(1000, 1000), 1.0, 1e-12));
    }

    #[test]
    fn clustered_bootstrap_sees_two_families_not_twenty_tasks() {
        // Family a solves all ten of its tasks, family b none: per task the mean looks sure of
        // itself; per family there are two units, and a resample is {a,a}, {a,b} or {b,b}.
        let values: Vec<f64> = (0..20).map(|i| f64::from(i < 10)).collect();
        let clusters: Vec<&str> = (0..20).map(|i| if i < 10 { "a" } else { "b" }).collect();
        let per_task = bootstrap_mean_interval(&values, BOOTSTRAP_RESAMPLES, 1).unwrap();
        let per_family =
            cluster_bootstrap_mean_interval(&values, &clusters, BOOTSTRAP_RESAMPLES, 1).unwrap();
        assert!(per_task.low > 0.25 && per_task.high < 0.75, "{per_task:?}");
        assert_eq!(
            per_family,
            Interval {
                low: 0.0,
                high: 1.0
            }
        );
        // Every task its own cluster: the per-task bootstrap, draw for draw.
        let own: Vec<String> = (0..20).map(|i| format!("t{i}")).collect();
        let own: Vec<&str> = own.iter().map(String::as_str).collect();
        assert_eq!(
            cluster_bootstrap_mean_interval(&values, &own, 500, 9).unwrap(),
            bootstrap_mean_interval(&values, 500, 9).unwrap()
        );
        assert_eq!(
            cluster_bootstrap_mean_interval(&values, &clusters[..3], 10, 1),
            Err(StatsError::NoTasks)
        );
    }

    #[test]
    fn holm_matches_a_worked_example() {
        // p = 0.01, 0.04, 0.03, 0.005 (m = 4): sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1
        // = 0.02, 0.03, 0.06, 0.04 -> monotone 0.02, 0.03, 0.06, 0.06.
        let adjusted = holm_adjust(&[0.01, 0.04, 0.03, 0.005]);
        let expected = [0.03, 0.06, 0.06, 0.02];
        for (a, e) in adjusted.iter().zip(expected) {
            assert!(close(*a, e, 1e-12), "{adjusted:?}");
        }
        assert_eq!(holm_adjust(&[0.5, 0.9]), vec![1.0, 1.0]);
        assert_eq!(holm_adjust(&[0.2]), vec![0.2]);
        assert!(holm_adjust(&[]).is_empty());
    }

    #[test]
    fn spread_over_runs() {
        let s = Spread::of(&[0.3, 0.4, 0.5]).unwrap();
        assert!(close(s.mean, 0.4, 1e-12) && close(s.sd, 0.1, 1e-12));
        assert_eq!((s.min, s.max), (0.3, 0.5));
        assert_eq!(Spread::of(&[0.7]).unwrap().sd, 0.0);
        assert_eq!(Spread::of(&[]), None);
    }

    #[test]
    fn interval_serializes_as_an_array() {
        let i = Interval {
            low: 0.25,
            high: 0.5,
        };
        assert_eq!(serde_json::to_string(&i).unwrap(), "[0.25,0.5]");
        let back: Interval = serde_json::from_str("[0.25,0.5]").unwrap();
        assert_eq!(back, i);
    }
}
