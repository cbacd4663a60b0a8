//! The unbiased pass@k estimator of Chen et al. (2021): with n samples of which c pass,
//! pass@k = 1 - C(n-c, k) / C(n, k), computed as a stable product instead of binomials.

/// pass@k for one task; `None` when k is 0 or there are fewer than k samples.
pub fn pass_at_k(n: usize, c: usize, k: usize) -> Option<f64> {
    if k == 0 || n < k || c > n {
        return None;
    }
    if n - c < k {
        return Some(1.0);
    }
    // C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k / i)
    let ratio: f64 = ((n - c + 1)..=n)
        .map(|i| 1.0 - k as f64 / i as f64)
        .product();
    Some(1.0 - ratio)
}

/// The mean pass@k over tasks given as (samples, passed); `None` if any task has fewer than
/// k samples (the estimate would be biased) or there are no tasks.
pub fn mean_pass_at_k(counts: &[(usize, usize)], k: usize) -> Option<f64> {
    if counts.is_empty() {
        return None;
    }
    let mut sum = 0.0;
    for &(n, c) in counts {
        sum += pass_at_k(n, c, k)?;
    }
    Some(sum / counts.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binomial(n: u64, k: u64) -> f64 {
        if k > n {
            return 0.0;
        }
        (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
    }

    #[test]
    fn matches_the_binomial_definition() {
        for n in 1..=20usize {
            for c in 0..=n {
                for k in 1..=n {
                    let want =
                        1.0 - binomial((n - c) as u64, k as u64) / binomial(n as u64, k as u64);
                    let got = pass_at_k(n, c, k).unwrap();
                    assert!(
                        (got - want).abs() < 1e-9,
                        "n={n} c={c} k={k}: {got} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn edge_cases() {
        assert_eq!(pass_at_k(10, 0, 1), Some(0.0));
        assert_eq!(pass_at_k(10, 10, 10), Some(1.0));
        assert!((pass_at_k(10, 3, 1).unwrap() - 0.3).abs() < 1e-12);
        assert_eq!(pass_at_k(3, 1, 5), None);
        assert_eq!(pass_at_k(3, 1, 0), None);
        assert_eq!(mean_pass_at_k(&[(2, 1), (2, 2)], 1), Some(0.75));
        assert_eq!(mean_pass_at_k(&[(2, 1), (1, 1)], 2), None);
    }
}
