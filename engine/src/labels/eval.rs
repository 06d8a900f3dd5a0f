//! The statistics of a model evaluation: the Wilson score interval of an accuracy and the
//! unbiased pass@k estimator. Pure arithmetic on counts (no I/O), shared by `graft score`,
//! the stored evaluation report (`types::eval`) and, through it, the browser.

/// The two-sided 95% normal quantile (z for a 95% interval).
pub const Z95: f64 = 1.959_963_984_540_054;

/// The Wilson score interval (95%) of `correct` successes in `n` trials, as fractions
/// `(low, high)` within `0..=1`. No trials: `(0, 1)` (nothing is known). A `correct` above
/// `n` is read as `n`.
pub fn wilson(correct: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let z = Z95;
    let (n, p) = (n as f64, correct.min(n) as f64 / n as f64);
    let denom = 1.0 + z * z / n;
    let center = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    ((center - half).max(0.0), (center + half).min(1.0))
}

/// The unbiased estimate of pass@k for one problem with `n` samples of which `c` are
/// correct: the chance that at least one of `k` samples drawn without replacement is correct,
/// `1 − C(n−c, k) / C(n, k)` (Chen et al. 2021), computed as a product so that nothing
/// overflows, in `min(c, k)` steps. `None` when `k` is 0 or more than `n` (the estimate needs
/// `k ≤ n` samples). A `c` above `n` is read as `n`.
pub fn pass_at_k(n: u64, c: u64, k: u64) -> Option<f64> {
    if k == 0 || k > n {
        return None;
    }
    let c = c.min(n);
    if n - c < k {
        return Some(1.0);
    }
    // C(n−c, k) / C(n, k) = Π_{i = n−c+1}^{n} (1 − k / i) = Π_{i = 0}^{k−1} (n−c−i) / (n−i):
    // the shorter product of the two, so the work is min(c, k) steps.
    let miss: f64 = if c <= k {
        ((n - c + 1)..=n)
            .map(|i| 1.0 - k as f64 / i as f64)
            .product()
    } else {
        (0..k)
            .map(|i| (n - c - i) as f64 / (n - i) as f64)
            .product()
    };
    Some(1.0 - miss)
}

/// pass@k over problems: the mean of [`pass_at_k`] over the problems with at least `k`
/// samples, given as `(samples, correct)` pairs, and how many problems that was. `None` when
/// no problem has `k` samples (or `k` is 0).
pub fn mean_pass_at_k(problems: &[(u64, u64)], k: u64) -> Option<(f64, u64)> {
    let (sum, count) = problems
        .iter()
        .filter_map(|&(n, c)| pass_at_k(n, c, k))
        .fold((0.0, 0u64), |(s, m), p| (s + p, m + 1));
    (count > 0).then(|| (sum / count as f64, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-4
    }

    #[test]
    fn wilson_intervals_are_known_values() {
        // 8 of 10: [0.4902, 0.9433] (Wilson 1927; the usual tables).
        let (lo, hi) = wilson(8, 10);
        assert!(close(lo, 0.4902) && close(hi, 0.9433), "{lo} {hi}");
        // 50 of 100: 0.5 ± 0.0962 around a centre of 0.5.
        let (lo, hi) = wilson(50, 100);
        assert!(close(lo, 0.4038) && close(hi, 0.5962), "{lo} {hi}");
        // All correct: the top is 1, the bottom n / (n + z²).
        let (lo, hi) = wilson(5, 5);
        assert!(close(lo, 5.0 / (5.0 + Z95 * Z95)) && hi == 1.0, "{lo} {hi}");
        // None correct: the bottom is 0.
        let (lo, hi) = wilson(0, 5);
        assert!(
            lo == 0.0 && close(hi, Z95 * Z95 / (5.0 + Z95 * Z95)),
            "{hi}"
        );
        assert_eq!(wilson(0, 0), (0.0, 1.0));
        // Nonsense counts are clamped, never NaN.
        assert_eq!(wilson(7, 5), wilson(5, 5));
    }

    #[test]
    fn the_interval_holds_the_estimate_and_narrows_with_more_trials() {
        for n in 1..60u64 {
            for k in 0..=n {
                let (lo, hi) = wilson(k, n);
                let p = k as f64 / n as f64;
                assert!(lo <= p + 1e-12 && p <= hi + 1e-12, "{k}/{n}: {lo} {hi}");
                let (lo4, hi4) = wilson(4 * k, 4 * n);
                assert!(hi4 - lo4 < hi - lo, "{k}/{n}");
            }
        }
    }

    #[test]
    fn pass_at_k_is_the_unbiased_estimator() {
        // pass@1 is the fraction correct.
        assert!(close(pass_at_k(10, 3, 1).unwrap(), 0.3));
        // n = 4, c = 1, k = 2: 1 − C(3,2)/C(4,2) = 1 − 3/6.
        assert!(close(pass_at_k(4, 1, 2).unwrap(), 0.5));
        // n = 5, c = 2, k = 3: 1 − C(3,3)/C(5,3) = 1 − 1/10.
        assert!(close(pass_at_k(5, 2, 3).unwrap(), 0.9));
        // n = 10, c = 2, k = 5: 1 − C(8,5)/C(10,5) = 1 − 56/252.
        assert!(close(pass_at_k(10, 2, 5).unwrap(), 1.0 - 56.0 / 252.0));
        // Too few wrong samples to fill k: certain.
        assert_eq!(pass_at_k(4, 3, 2), Some(1.0));
        assert_eq!(pass_at_k(4, 0, 4), Some(0.0));
        assert_eq!(pass_at_k(4, 4, 1), Some(1.0));
        // k must be within 1..=n.
        assert_eq!(pass_at_k(3, 1, 4), None);
        assert_eq!(pass_at_k(3, 1, 0), None);
        // Large n does not overflow; both products agree.
        let p = pass_at_k(1_000_000, 1, 1000).unwrap();
        assert!(close(p, 0.001), "{p}");
        for n in 1..30u64 {
            for c in 0..=n {
                for k in 1..=n {
                    let by_c: f64 = if n - c < k {
                        0.0
                    } else {
                        ((n - c + 1)..=n)
                            .map(|i| 1.0 - k as f64 / i as f64)
                            .product()
                    };
                    let p = pass_at_k(n, c, k).unwrap();
                    assert!((p - (1.0 - by_c)).abs() < 1e-9, "{n} {c} {k}: {p}");
                }
            }
        }
    }

    #[test]
    fn pass_at_k_over_problems_skips_those_with_too_few_samples() {
        let problems = [(4, 1), (4, 0), (1, 1)];
        let (p1, m1) = mean_pass_at_k(&problems, 1).unwrap();
        assert_eq!(m1, 3);
        assert!(close(p1, (0.25 + 0.0 + 1.0) / 3.0), "{p1}");
        let (p2, m2) = mean_pass_at_k(&problems, 2).unwrap();
        assert_eq!(m2, 2);
        assert!(close(p2, (0.5 + 0.0) / 2.0), "{p2}");
        assert_eq!(mean_pass_at_k(&problems, 5), None);
        assert_eq!(mean_pass_at_k(&[], 1), None);
    }
}
