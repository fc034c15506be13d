//! Primary rules: which cells are sensitive, and how much uncertainty each must keep.

use super::profile::Profile;
use super::{PrimaryRule, Requirement, SdcTable, Status};

/// Marks sensitive counts and returns what must be proven for them.
///
/// A published count `x` with `0 < x < min_count` (or `x = 0` when zeros are protected) is
/// sensitive; it must keep an attacker interval at least `protection.min_width` wide. With
/// `frequency.suppress` it becomes a primary suppression; otherwise it stays published
/// (rounded) and the attacker check has to show that rounding hides it.
pub fn frequency(t: &mut SdcTable, profile: &Profile) -> Vec<Requirement> {
    let min = profile.frequency.min_count as f64;
    let mut reqs = Vec::new();
    for cell in 0..t.values.len() {
        if t.status[cell] != Status::Published {
            continue;
        }
        let x = t.values[cell];
        let sensitive = x < min && (x > 0.0 || profile.frequency.protect_zeros);
        if sensitive {
            if profile.frequency.suppress {
                t.status[cell] = Status::Primary(PrimaryRule::Frequency);
            }
            reqs.push(Requirement {
                cell,
                up: 0.0,
                down: 0.0,
                width: profile.protection.min_width,
            });
        }
    }
    reqs
}

/// What the magnitude rules need to know about the contributions to one cell.
#[derive(Debug, Clone, PartialEq)]
pub struct MagnitudeStats {
    /// Number of contributions.
    pub n: u64,
    /// Their sum.
    pub sum: f64,
    /// The largest contributions, descending (as many as the rules need, at least two).
    pub top: Vec<f64>,
    /// Smallest contribution.
    pub min: f64,
    /// Largest contribution.
    pub max: f64,
    /// Sum of the negative contributions (the floor an attacker may assume).
    pub negative_sum: f64,
}

impl MagnitudeStats {
    /// Statistics of no contributions; `keep` = how many top contributions to keep (≥ 2).
    pub fn empty(keep: usize) -> MagnitudeStats {
        MagnitudeStats {
            n: 0,
            sum: 0.0,
            top: Vec::with_capacity(keep.max(2)),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            negative_sum: 0.0,
        }
    }

    /// Adds one contribution.
    pub fn add(&mut self, x: f64, keep: usize) {
        self.n += 1;
        self.sum += x;
        self.min = self.min.min(x);
        self.max = self.max.max(x);
        if x < 0.0 {
            self.negative_sum += x;
        }
        insert_top(&mut self.top, x, keep.max(2));
    }

    /// Merges another cell's statistics (for margins).
    pub fn merge(&mut self, other: &MagnitudeStats, keep: usize) {
        self.n += other.n;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.negative_sum += other.negative_sum;
        for &x in &other.top {
            insert_top(&mut self.top, x, keep.max(2));
        }
    }
}

fn insert_top(top: &mut Vec<f64>, x: f64, keep: usize) {
    let pos = top.partition_point(|&y| y >= x);
    if pos < keep {
        top.insert(pos, x);
        top.truncate(keep);
    }
}

/// Whether a magnitude cell is sensitive under the profile, and if so by which rule (the
/// first that applies, in the order below) and the protection it needs up and down (the
/// largest any applying rule needs).
///
/// - fewer than `min_observations` contributions: `protection_share × |sum|`;
/// - (n,k) dominance, the n largest more than k % of the sum: `100/k × top_n − sum`;
/// - p %: the rest after the two largest less than p % of the largest: `p/100 × x1 − rest`;
/// - CBS: |min| or |max| more than `max_extreme_share` of |sum|: `extreme/share − |sum|`.
pub fn magnitude(s: &MagnitudeStats, profile: &Profile) -> Option<(PrimaryRule, f64)> {
    let m = &profile.magnitude;
    let mut hit: Option<(PrimaryRule, f64)> = None;
    let mut note = |rule: PrimaryRule, need: f64| {
        let need = need.max(0.0);
        hit = Some(match hit {
            Some((r, n)) => (r, n.max(need)),
            None => (rule, need),
        });
    };
    if s.n == 0 {
        return None;
    }
    if s.n < m.min_observations as u64 {
        note(
            PrimaryRule::MinObservations,
            m.protection_share * s.sum.abs(),
        );
    }
    let x1 = s.top.first().copied().unwrap_or(0.0).max(0.0);
    let x2 = s.top.get(1).copied().unwrap_or(0.0).max(0.0);
    if m.dominance_n > 0 {
        let top_n: f64 = s
            .top
            .iter()
            .take(m.dominance_n as usize)
            .map(|x| x.max(0.0))
            .sum();
        if top_n > m.dominance_k / 100.0 * s.sum {
            note(
                PrimaryRule::Dominance,
                100.0 / m.dominance_k * top_n - s.sum,
            );
        }
    }
    if m.p_percent > 0.0 {
        let rest = s.sum - x1 - x2;
        if rest < m.p_percent / 100.0 * x1 {
            note(PrimaryRule::PPercent, m.p_percent / 100.0 * x1 - rest);
        }
    }
    if m.max_extreme_share > 0.0 {
        let extreme = s.min.abs().max(s.max.abs());
        if extreme > m.max_extreme_share * s.sum.abs() {
            note(
                PrimaryRule::ExtremeShare,
                extreme / m.max_extreme_share - s.sum.abs(),
            );
        }
    }
    hit
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{Dimension, Hierarchy, Shape};

    fn stats(xs: &[f64]) -> MagnitudeStats {
        let mut s = MagnitudeStats::empty(3);
        for &x in xs {
            s.add(x, 3);
        }
        s
    }

    #[test]
    fn frequency_rule_marks_small_nonzero_counts() {
        let shape = Shape::new(vec![Dimension {
            name: "a".into(),
            hierarchy: Hierarchy::flat("T", &["x", "y", "z"]),
        }])
        .unwrap();
        let mut t = SdcTable::new(shape, vec![32.0, 0.0, 9.0, 23.0]);
        let reqs = frequency(&mut t, &Profile::default());
        assert_eq!(reqs.iter().map(|r| r.cell).collect::<Vec<_>>(), [2]);
        assert_eq!(t.status[2], Status::Primary(PrimaryRule::Frequency));
        assert_eq!(
            t.status[1],
            Status::Published,
            "zero is not sensitive by default"
        );
        assert_eq!(reqs[0].width, 10.0);
    }

    #[test]
    fn dominance_and_p_percent_by_hand() {
        let mut p = Profile::default();
        p.magnitude.min_observations = 0;
        // (2,85): 50 + 40 = 90 > 85 % of 100 → protection 100/85 × 90 − 100 = 5.88.
        let (rule, need) = magnitude(&stats(&[50.0, 40.0, 10.0]), &p).unwrap();
        assert_eq!(rule, PrimaryRule::Dominance);
        // p% = 10: rest 10 ≥ 10 % of 50, so only dominance applies.
        assert!(
            (need - (100.0 / 85.0 * 90.0 - 100.0)).abs() < 1e-9,
            "{need}"
        );
        // 80 + 15 + 5: dominance 95 > 85 → 11.76; p%: rest 5 < 8 → 3; the larger wins.
        let (_, need) = magnitude(&stats(&[80.0, 15.0, 5.0]), &p).unwrap();
        assert!((need - (100.0 / 85.0 * 95.0 - 100.0)).abs() < 1e-9);
        // An even spread is safe.
        assert_eq!(magnitude(&stats(&[10.0; 12]), &p), None);
    }

    #[test]
    fn cbs_income_rules_by_hand() {
        let p = Profile::built_in("cbs-income").unwrap();
        // 99 observations are too few, whatever their spread.
        let (rule, _) = magnitude(&stats(&[1.0; 99]), &p).unwrap();
        assert_eq!(rule, PrimaryRule::MinObservations);
        // 100 observations, one of them 31 % of the sum: sensitive.
        let mut xs = vec![1.0; 99];
        xs.push(45.0); // sum 144, 45/144 = 31 %
        let (rule, need) = magnitude(&stats(&xs), &p).unwrap();
        assert_eq!(rule, PrimaryRule::ExtremeShare);
        assert!((need - (45.0 / 0.3 - 144.0)).abs() < 1e-9);
        xs[99] = 40.0; // 40/139 = 28.8 %: fine
        assert_eq!(magnitude(&stats(&xs), &p), None);
        // A large negative value counts by its absolute size.
        xs[99] = -40.0;
        assert_eq!(
            magnitude(&stats(&xs), &p).unwrap().0,
            PrimaryRule::ExtremeShare
        );
    }

    #[test]
    fn merged_statistics_keep_the_largest_contributions() {
        let mut a = stats(&[5.0, 1.0]);
        a.merge(&stats(&[7.0, 3.0, -2.0]), 3);
        assert_eq!(
            (a.n, a.sum, a.min, a.max, a.negative_sum),
            (5, 14.0, -2.0, 7.0, -2.0)
        );
        assert_eq!(a.top, vec![7.0, 5.0, 3.0]);
    }
}
