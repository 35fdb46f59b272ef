//! Whether two rates differ by more than chance: the two-proportion z-test.

/// Two-sided p-value of the two-proportion z-test of `x1/n1` against `x2/n2`, with the
/// pooled proportion. 1 when either sample is empty or both proportions are 0 or 1 (no
/// variance: nothing to tell apart).
pub fn two_proportion_p_value(x1: i64, n1: i64, x2: i64, n2: i64) -> f64 {
    if n1 <= 0 || n2 <= 0 {
        return 1.0;
    }
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let pooled = (x1 + x2) as f64 / (n1f + n2f);
    let variance = pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f);
    if variance <= 0.0 {
        return 1.0;
    }
    let z = (x1 as f64 / n1f - x2 as f64 / n2f) / variance.sqrt();
    // P(|Z| ≥ |z|) = erfc(|z| / √2).
    libm::erfc(z.abs() / std::f64::consts::SQRT_2).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::two_proportion_p_value as p;

    #[test]
    fn known_values() {
        // Equal proportions: no evidence of a difference.
        assert_eq!(p(50, 100, 50, 100), 1.0);
        // 60/100 vs 40/100: z = 2.828…, p ≈ 0.00468.
        assert!((p(60, 100, 40, 100) - 0.004_677_7).abs() < 1e-6);
        // Symmetric in its two samples.
        assert_eq!(p(30, 200, 45, 210), p(45, 210, 30, 200));
        // Tiny samples cannot tell 1/2 from 0/2 apart.
        assert!(p(1, 2, 0, 2) > 0.2);
        assert_eq!(p(0, 0, 5, 10), 1.0);
    }
}
