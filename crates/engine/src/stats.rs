//! Distribution functions the significance tests need: the normal tail (on libm's `erfc`), and,
//! implemented here, the log-gamma function, exact two-sided tests on
//! the hypergeometric (Fisher) and binomial distributions, and Student's t distribution (for the
//! intervals of the effect view and the findability radar).

use std::f64::consts::PI;

/// Upper tail of the standard normal distribution, P(Z > z).
/// The one normal tail of the engine: the spatial statistics (esda's `norm.sf`) and the trend
/// tests use it; `erfc` is libm's (a port of FreeBSD's msun, within 1 ulp).
pub fn normal_sf(z: f64) -> f64 {
    0.5 * libm::erfc(z / std::f64::consts::SQRT_2)
}

/// Two-sided p-value of a standard normal statistic.
pub fn two_sided_p(z: f64) -> f64 {
    (2.0 * normal_sf(z.abs())).min(1.0)
}

/// `ln Γ(x)` for x > 0 (Lanczos, g = 7, nine coefficients; ~1e-15 relative).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection keeps the approximation in its accurate range.
        return (PI / (PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// `ln C(n, k)`.
fn ln_choose(n: f64, k: f64) -> f64 {
    ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
}

/// Sums the probabilities of all outcomes no more likely than the observed one (the usual
/// two-sided exact p-value), with a small relative tolerance so ties in floating point count.
fn two_sided_exact(lo: u64, hi: u64, observed: u64, ln_p: impl Fn(u64) -> f64) -> f64 {
    let threshold = ln_p(observed) + 1e-7;
    let mut p = 0.0;
    for k in lo..=hi {
        let l = ln_p(k);
        if l <= threshold {
            p += l.exp();
        }
    }
    p.min(1.0)
}

/// Fisher's exact test, two-sided, on the 2×2 table
/// `[[x1, n1 − x1], [x2, n2 − x2]]`.
///
/// ```
/// // Fisher's tea-tasting table [[3, 1], [1, 3]]: p = 0.486.
/// let p = kwm_engine::stats::fisher_exact(3, 4, 1, 4);
/// assert!((p - 0.4857).abs() < 1e-4);
/// ```
pub fn fisher_exact(x1: u64, n1: u64, x2: u64, n2: u64) -> f64 {
    let successes = x1 + x2;
    let total = n1 + n2;
    let lo = successes.saturating_sub(n2);
    let hi = successes.min(n1);
    let ln_denominator = ln_choose(total as f64, successes as f64);
    two_sided_exact(lo, hi, x1, |k| {
        ln_choose(n1 as f64, k as f64) + ln_choose(n2 as f64, (successes - k) as f64)
            - ln_denominator
    })
}

/// Exact two-sided binomial test of `k` successes in `n` trials with probability `p`.
pub fn binomial_exact(k: u64, n: u64, p: f64) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let (lp, lq) = (p.ln(), (1.0 - p).ln());
    two_sided_exact(0, n, k, |i| {
        ln_choose(n as f64, i as f64) + i as f64 * lp + (n - i) as f64 * lq
    })
}

/// The regularised incomplete beta function `I_x(a, b)` for a, b > 0 and 0 ≤ x ≤ 1
/// (continued fraction by Lentz's method, on the side where it converges fast).
pub fn incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x.is_nan() || a <= 0.0 || b <= 0.0 {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    // The fraction converges quickly for x < (a + 1) / (a + b + 2); otherwise use the symmetry
    // I_x(a, b) = 1 − I_{1−x}(b, a).
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_fraction(x, a, b) / a
    } else {
        1.0 - ln_front.exp() * beta_fraction(1.0 - x, b, a) / b
    }
}

fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    let tiny = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    d = if d.abs() < tiny { tiny } else { d };
    d = 1.0 / d;
    let mut h = d;
    for m in 1..500 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// P(T ≤ t) for Student's t distribution with `df` degrees of freedom (df > 0, not
/// necessarily whole: Welch's approximation gives fractional ones).
///
/// ```
/// let p = kwm_engine::stats::student_t_cdf(2.228_138_852, 10.0);
/// assert!((p - 0.975).abs() < 1e-9);
/// ```
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return if t > 0.0 { 1.0 } else { 0.0 };
    }
    let tail = 0.5 * incomplete_beta(df / (df + t * t), df / 2.0, 0.5);
    if t >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// The quantile of Student's t distribution: the t with P(T ≤ t) = p, for 0 < p < 1.
///
/// ```
/// let q = kwm_engine::stats::student_t_quantile(0.975, 10.0);
/// assert!((q - 2.228_138_852).abs() < 1e-8);
/// ```
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if p < 0.5 {
        return -student_t_quantile(1.0 - p, df);
    }
    // Bracket, then bisect: the CDF is monotone, so this always converges.
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    while student_t_cdf(hi, df) < p {
        lo = hi;
        hi *= 2.0;
        if hi > 1e12 {
            return f64::INFINITY;
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if student_t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-13 * hi.max(1.0) {
            break;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_tail_matches_tables() {
        // Published values of the standard normal distribution.
        assert!((normal_sf(1.959_963_984_540_054) - 0.025).abs() < 1e-12);
        assert!((normal_sf(0.0) - 0.5).abs() < 1e-15);
        assert!((normal_sf(3.0) - 0.001_349_898_031_630_094_6).abs() < 1e-15);
        assert!((normal_sf(6.0) - 9.865_876_450_376_98e-10).abs() < 1e-20);
        assert!((normal_sf(-1.0) - 0.841_344_746_068_542_9).abs() < 1e-13);
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        assert!((ln_gamma(1.0)).abs() < 1e-14);
        assert!((ln_gamma(11.0) - 3_628_800f64.ln()).abs() < 1e-12);
        assert!((ln_gamma(0.5) - PI.sqrt().ln()).abs() < 1e-13);
    }

    #[test]
    fn exact_tests_match_reference_values() {
        // The 2×2 table [[1, 11], [9, 3]] (Wikipedia's worked example of Fisher's test): p = 0.002759456.
        assert!((fisher_exact(1, 10, 11, 14) - 0.002_759_456).abs() < 1e-8);
        // 7 of 10 with p = ½: P(k ≤ 3) + P(k ≥ 7) = 352/1024 = 0.34375.
        assert!((binomial_exact(7, 10, 0.5) - 0.343_75).abs() < 1e-12);
        assert_eq!(fisher_exact(0, 5, 0, 5), 1.0);
    }

    #[test]
    fn student_t_matches_published_tables() {
        // Quantiles from standard tables (R: qt(p, df)).
        for (p, df, q) in [
            (0.975, 1.0, 12.706_204_736),
            (0.975, 10.0, 2.228_138_852),
            (0.95, 5.0, 2.015_048_373),
            (0.995, 30.0, 2.749_995_654),
            (0.975, 1e6, 1.959_966_361),
        ] {
            let got = student_t_quantile(p, df);
            assert!(
                (got - q).abs() < 1e-6 * q.max(1.0),
                "qt({p}, {df}) = {got}, expected {q}"
            );
            assert!((student_t_cdf(q, df) - p).abs() < 1e-9);
        }
        assert!((student_t_quantile(0.025, 10.0) + 2.228_138_852).abs() < 1e-8);
        assert_eq!(student_t_cdf(0.0, 7.0), 0.5);
        assert!(student_t_quantile(1.0, 3.0).is_nan());
        // I_x(a, b) against closed forms: I_x(1, 1) = x, I_x(a, 1) = x^a.
        assert!((incomplete_beta(0.3, 1.0, 1.0) - 0.3).abs() < 1e-14);
        assert!((incomplete_beta(0.6, 3.0, 1.0) - 0.216).abs() < 1e-13);
    }
}
