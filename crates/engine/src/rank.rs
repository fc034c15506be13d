//! Ranks and percentile ranks.
//!
//! The percentile rank is Excel's `PERCENTRANK.INC` as the CDC/ATSDR Social Vulnerability
//! Index uses it: `(r − 1) / (n − 1)` with `r` the *minimum* rank among ties (ascending), over
//! the `n` regions that have a value. Missing values are left out of `n` and get no rank.

use kwm_model::Direction;

/// Ascending minimum ranks (1-based; ties share the lowest rank) of the present values.
///
/// ```
/// let r = kwm_engine::rank::min_ranks_ascending(&[Some(3.0), None, Some(1.0), Some(3.0)]);
/// assert_eq!(r, vec![Some(2), None, Some(1), Some(2)]);
/// ```
pub fn min_ranks_ascending(values: &[Option<f64>]) -> Vec<Option<usize>> {
    let mut present: Vec<(f64, usize)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.filter(|x| !x.is_nan()).map(|x| (x, i)))
        .collect();
    present.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut ranks = vec![None; values.len()];
    let mut k = 0;
    while k < present.len() {
        let mut j = k;
        while j + 1 < present.len() && present[j + 1].0 == present[k].0 {
            j += 1;
        }
        for item in &present[k..=j] {
            ranks[item.1] = Some(k + 1);
        }
        k = j + 1;
    }
    ranks
}

/// `PERCENTRANK.INC` of every present value among the present values, in `0..=1`, unrounded.
/// With a single present value its percentile rank is 0 (as Excel gives for n = 1 via the
/// limit; CDC never ranks fewer than two areas).
pub fn percent_rank_inc(values: &[Option<f64>]) -> Vec<Option<f64>> {
    let ranks = min_ranks_ascending(values);
    let n = ranks.iter().flatten().count();
    ranks
        .into_iter()
        .map(|r| {
            r.map(|r| {
                if n > 1 {
                    (r - 1) as f64 / (n - 1) as f64
                } else {
                    0.0
                }
            })
        })
        .collect()
}

/// Rounds half away from zero to `decimals` decimals the way Excel's `ROUND` does (and so CDC):
/// on the value's 15-significant-digit decimal form, so that `0.285` rounds to `0.29` even
/// though its binary value is slightly below it.
pub fn round_half_away(value: f64, decimals: u32) -> f64 {
    if !value.is_finite() || value == 0.0 {
        return value;
    }
    // Fast path: away from the half-way point the decimal form and the binary value round the
    // same way. The 15-digit form differs from the value by at most 5e-15 relative, so
    // "away" means by more than that (with margin) on the scaled value. Only values within
    // that distance of a half take the exact decimal route below; results are identical
    // (tested), and `kwm svi` on 75,000 rows no longer spends most of its time formatting.
    let scale = 10f64.powi(decimals as i32);
    let scaled = value.abs() * scale;
    // Below 1e13 the rounding digit is within the 15 significant digits (above, the decimal
    // route may keep the value as it is).
    if scaled < 1e13 {
        let floor = scaled.floor();
        let frac = scaled - floor;
        if (frac - 0.5).abs() > scaled * 1e-14 + 1e-9 {
            let kept = if frac > 0.5 { floor + 1.0 } else { floor };
            return (kept / scale).copysign(value);
        }
    }
    round_half_away_decimal(value, decimals)
}

/// [`round_half_away`] on the 15-significant-digit decimal digits of the value.
fn round_half_away_decimal(value: f64, decimals: u32) -> f64 {
    if !value.is_finite() || value == 0.0 {
        return value;
    }
    let formatted = format!("{:.14e}", value.abs());
    let (mantissa, exponent) = formatted.split_once('e').expect("exponent form");
    let exponent: i32 = exponent.parse().expect("integer exponent");
    let digits: Vec<u64> = mantissa
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| u64::from(b - b'0'))
        .collect();
    // value = 0.d1 d2 … d15 × 10^(exponent + 1); keep this many leading digits:
    let keep = exponent + 1 + decimals as i32;
    if keep < 0 {
        return 0.0_f64.copysign(value);
    }
    let keep = keep as usize;
    if keep >= digits.len() {
        return value;
    }
    let mut kept = digits[..keep].iter().fold(0u64, |acc, d| acc * 10 + d);
    if digits[keep] >= 5 {
        kept += 1;
    }
    (kept as f64 / 10f64.powi(decimals as i32)).copysign(value)
}

/// Ranks with 1 = least favourable region: for "higher is worse" the highest value, for
/// "higher is better" the lowest, for neutral indicators the highest. Ties share the best
/// (lowest) rank number, like sports tables.
pub fn ranks_unfavourable_first(
    values: &[Option<f64>],
    direction: Direction,
) -> Vec<Option<usize>> {
    let aligned: Vec<Option<f64>> = values
        .iter()
        .map(|v| {
            v.map(|x| {
                if direction == Direction::HigherIsBetter {
                    x
                } else {
                    -x
                }
            })
        })
        .collect();
    min_ranks_ascending(&aligned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hand_computed_percent_ranks() {
        // Values 10, 20, 20, 40: min ranks 1, 2, 2, 4 over n = 4 → 0, 1/3, 1/3, 1.
        let p = percent_rank_inc(&[Some(10.0), Some(20.0), Some(20.0), Some(40.0), None]);
        assert_eq!(p[0], Some(0.0));
        assert_eq!(p[1], Some(1.0 / 3.0));
        assert_eq!(p[2], Some(1.0 / 3.0));
        assert_eq!(p[3], Some(1.0));
        assert_eq!(p[4], None);
    }

    #[test]
    fn rounding_matches_excel_on_binary_edge_cases() {
        assert_eq!(round_half_away(0.285, 2), 0.29);
        assert_eq!(round_half_away(1.0005, 3), 1.001);
        assert_eq!(round_half_away(-2.5, 0), -3.0);
        assert_eq!(round_half_away(0.12344, 4), 0.1234);
    }

    #[test]
    fn unfavourable_first_follows_direction() {
        let v = [Some(5.0), Some(9.0), Some(1.0)];
        assert_eq!(
            ranks_unfavourable_first(&v, Direction::HigherIsWorse),
            vec![Some(2), Some(1), Some(3)]
        );
        assert_eq!(
            ranks_unfavourable_first(&v, Direction::HigherIsBetter),
            vec![Some(2), Some(3), Some(1)]
        );
    }

    proptest! {
        #[test]
        fn percent_ranks_are_bounded_and_permutation_invariant(
            values in proptest::collection::vec(proptest::option::of(-1e6f64..1e6), 1..60),
            seed in any::<u64>(),
        ) {
            let p = percent_rank_inc(&values);
            for (v, r) in values.iter().zip(&p) {
                prop_assert_eq!(v.is_some(), r.is_some());
                if let Some(r) = r { prop_assert!((0.0..=1.0).contains(r)); }
            }
            // Permute with a simple seeded shuffle and compare per value.
            let mut idx: Vec<usize> = (0..values.len()).collect();
            let mut s = seed | 1;
            for i in (1..idx.len()).rev() {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                idx.swap(i, (s % (i as u64 + 1)) as usize);
            }
            let permuted: Vec<Option<f64>> = idx.iter().map(|&i| values[i]).collect();
            let pp = percent_rank_inc(&permuted);
            for (k, &i) in idx.iter().enumerate() { prop_assert_eq!(pp[k], p[i]); }
        }

        #[test]
        fn fast_rounding_equals_the_decimal_route(
            k in 0u64..2_000_000, decimals in 0u32..9, offset in -3i64..=3, magnitude in -3i32..12,
        ) {
            // Values on and next to half-way points (k + 0.5)/10^d, and arbitrary ones.
            let half = (k as f64 + 0.5) / 10f64.powi(decimals as i32);
            let near = f64::from_bits((half.to_bits() as i64 + offset) as u64);
            for v in [half, near, k as f64 * 10f64.powi(magnitude) / 7.0] {
                prop_assert_eq!(round_half_away(v, decimals), round_half_away_decimal(v, decimals), "{} at {}", v, decimals);
                prop_assert_eq!(round_half_away(-v, decimals), round_half_away_decimal(-v, decimals));
            }
        }

        #[test]
        fn percent_ranks_are_monotone(values in proptest::collection::vec(-1e6f64..1e6, 2..60)) {
            let opt: Vec<Option<f64>> = values.iter().copied().map(Some).collect();
            let p = percent_rank_inc(&opt);
            for i in 0..values.len() {
                for j in 0..values.len() {
                    if values[i] < values[j] { prop_assert!(p[i] < p[j]); }
                    if values[i] == values[j] { prop_assert_eq!(p[i], p[j]); }
                }
            }
        }
    }
}
