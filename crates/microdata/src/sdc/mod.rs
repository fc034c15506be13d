//! Statistical disclosure control of hierarchical tables.
//!
//! The flow for one table: [`primary`] rules mark sensitive cells; [`protect`] adds secondary
//! suppressions until every sensitive cell is hidden well enough; [`attack`] then checks the
//! final pattern *from scratch*, as an attacker would, and only a table that passes may be
//! written.
//!
//! ## The attacker model
//!
//! The attacker knows every published value of the table (exactly, or within its rounding
//! interval), that all counts are non-negative (magnitudes: at least a known floor), and that
//! every line of the table adds up (`parent = Σ children` along each dimension, including the
//! region hierarchy buurt ⊂ wijk ⊂ gemeente ⊂ Nederland). The attacker's knowledge of a
//! suppressed cell is then the interval [min, max] of a linear programme.
//!
//! ## How safety is proven
//!
//! A cell is *proven* safe when we exhibit alternative tables that agree with everything
//! published and move the cell far enough up and down. Two kinds of witness are used:
//!
//! - **box perturbations** (`boxes`): in each dimension a pair of sibling categories (or a
//!   category and its path to the total), all cells of the resulting "hypercube" suppressed;
//!   adding +t/−t with alternating signs changes no line sum. Cheap, and enough for almost all
//!   cells;
//! - **a local linear programme** (`lp`, solved with the pure-Rust `minilp`): the LP over the
//!   suppressed cells around the cell, every other cell held at its true value.
//!
//! Both only ever *under*-estimate what the attacker cannot know (holding cells fixed shrinks
//! the set of alternative tables), so a cell they prove safe is safe. When the neighbourhood
//! covers all suppressed cells linked to the cell, the LP is the attacker's exact problem (as
//! a linear relaxation, the convention of tau-ARGUS and sdcTable), and a cell it cannot prove
//! safe is really exposed: the table is refused.

pub mod attack;
mod boxes;
mod lp;
pub mod primary;
pub mod profile;
pub mod protect;

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use crate::table::Shape;

/// A fast hasher for cell indices (SipHash's protection against crafted keys is not needed
/// for indices we make ourselves, and it dominated the attacker check's profile).
#[derive(Default, Clone, Copy)]
pub(crate) struct CellHasher(u64);

impl Hasher for CellHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
        }
    }
    fn write_usize(&mut self, i: usize) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
    }
}

/// Map keyed by cell index.
pub(crate) type CellMap<V> = HashMap<usize, V, BuildHasherDefault<CellHasher>>;
/// Set of cell indices.
pub(crate) type CellSet = HashSet<usize, BuildHasherDefault<CellHasher>>;

/// Why a sensitive cell was suppressed first (primary suppression).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrimaryRule {
    /// Count below the minimum frequency.
    Frequency,
    /// Magnitude cell with too few observations.
    MinObservations,
    /// (n,k) dominance.
    Dominance,
    /// p% rule.
    PPercent,
    /// |min| or |max| too large a share of |sum| (CBS income rule).
    ExtremeShare,
    /// Mean whose count is suppressed in the count table.
    LinkedCount,
    /// A rounded count that the attacker check found not hidden by rounding.
    RoundingInsufficient,
}

impl PrimaryRule {
    /// Label for reports.
    pub fn label(self) -> &'static str {
        match self {
            PrimaryRule::Frequency => "frequency (count below the minimum)",
            PrimaryRule::MinObservations => "too few observations",
            PrimaryRule::Dominance => "(n,k) dominance",
            PrimaryRule::PPercent => "p% rule",
            PrimaryRule::ExtremeShare => "extreme value share (CBS)",
            PrimaryRule::LinkedCount => "count suppressed in the count table",
            PrimaryRule::RoundingInsufficient => "rounding does not hide it",
        }
    }
}

/// The publication status of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Published (exactly, or rounded when the table has a rounding base).
    Published,
    /// Not published, but known to be zero by construction (a structural zero): fixed.
    KnownZero,
    /// Never published (an internal cell of the model): unknown to the attacker, no loss.
    Unpublished,
    /// Suppressed because sensitive.
    Primary(PrimaryRule),
    /// Suppressed to protect other cells.
    Secondary,
}

impl Status {
    /// Unknown to the attacker beyond the table's lines and bounds.
    pub fn is_free(self) -> bool {
        matches!(
            self,
            Status::Unpublished | Status::Primary(_) | Status::Secondary
        )
    }

    /// Suppressed (primary or secondary).
    pub fn is_suppressed(self) -> bool {
        matches!(self, Status::Primary(_) | Status::Secondary)
    }
}

/// A table under disclosure control: true values, publication status, and what an attacker
/// may assume about bounds.
#[derive(Debug, Clone)]
pub struct SdcTable {
    /// Dimensions.
    pub shape: Shape,
    /// True values.
    pub values: Vec<f64>,
    /// Status of every cell.
    pub status: Vec<Status>,
    /// Lower bound an attacker may assume per cell (`None`: 0 for all, as for counts).
    pub floor: Option<Vec<f64>>,
    /// Rounding base of published values (0/1: exact).
    pub rounding_base: u32,
}

impl SdcTable {
    /// A table with every cell published.
    pub fn new(shape: Shape, values: Vec<f64>) -> SdcTable {
        let n = shape.len();
        assert_eq!(values.len(), n);
        SdcTable {
            shape,
            values,
            status: vec![Status::Published; n],
            floor: None,
            rounding_base: 0,
        }
    }

    /// The attacker's lower bound of a cell.
    #[inline]
    pub fn floor_of(&self, cell: usize) -> f64 {
        self.floor.as_ref().map_or(0.0, |f| f[cell])
    }

    /// The value as published (rounded when the table is rounded), `None` when not published.
    pub fn published_value(&self, cell: usize) -> Option<f64> {
        match self.status[cell] {
            Status::Published => Some(profile::round_half_up(
                self.values[cell],
                self.rounding_base,
            )),
            _ => None,
        }
    }

    /// How far the cell may rise in an alternative table consistent with what is published.
    #[inline]
    pub fn slack_up(&self, cell: usize) -> f64 {
        match self.status[cell] {
            s if s.is_free() => f64::INFINITY,
            Status::Published if self.rounding_base > 1 => {
                let b = self.rounding_base as f64;
                let r = profile::round_half_up(self.values[cell], self.rounding_base);
                (r + (b / 2.0).ceil() - 1.0 - self.values[cell]).max(0.0)
            }
            _ => 0.0,
        }
    }

    /// How far the cell may fall in an alternative table consistent with what is published.
    #[inline]
    pub fn slack_down(&self, cell: usize) -> f64 {
        let x = self.values[cell];
        let floor = self.floor_of(cell);
        match self.status[cell] {
            s if s.is_free() => (x - floor).max(0.0),
            Status::Published if self.rounding_base > 1 => {
                let b = self.rounding_base as f64;
                let r = profile::round_half_up(x, self.rounding_base);
                (x - (r - (b / 2.0).floor()).max(floor)).max(0.0)
            }
            _ => 0.0,
        }
    }

    /// Whether an alternative table may change this cell at all.
    #[inline]
    pub fn is_movable(&self, cell: usize) -> bool {
        self.status[cell].is_free()
            || (self.status[cell] == Status::Published && self.rounding_base > 1)
    }
}

/// What must be proven for one sensitive cell: in alternative tables consistent with the
/// publication the cell must reach at least `value + up` and at most `value − down`, and the
/// two must lie at least `width` apart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Requirement {
    /// The cell.
    pub cell: usize,
    /// Required upward uncertainty.
    pub up: f64,
    /// Required downward uncertainty.
    pub down: f64,
    /// Required width of the attacker's interval.
    pub width: f64,
}

impl Requirement {
    /// Whether an interval with these up/down reaches is enough.
    pub fn met_by(&self, up: f64, down: f64) -> bool {
        const EPS: f64 = 1e-7;
        up + EPS >= self.up && down + EPS >= self.down && up + down + EPS >= self.width
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{Dimension, Hierarchy};

    #[test]
    fn rounding_intervals_give_slack_both_ways() {
        let shape = Shape::new(vec![Dimension {
            name: "a".into(),
            hierarchy: Hierarchy::flat("T", &["x", "y"]),
        }])
        .unwrap();
        let mut t = SdcTable::new(shape, vec![130.0, 120.0, 10.0]);
        assert_eq!((t.slack_up(0), t.slack_down(0)), (0.0, 0.0));
        t.rounding_base = 100;
        // 130 is published as 100, so the attacker knows [50, 149].
        assert_eq!((t.slack_up(0), t.slack_down(0)), (19.0, 80.0));
        // 10 is published as 0: [0, 49].
        assert_eq!((t.slack_up(2), t.slack_down(2)), (39.0, 10.0));
        t.status[2] = Status::Primary(PrimaryRule::Frequency);
        assert_eq!((t.slack_up(2), t.slack_down(2)), (f64::INFINITY, 10.0));
        assert_eq!(t.published_value(1), Some(100.0));
        assert_eq!(t.published_value(2), None);
    }
}

#[cfg(test)]
mod tests_flow;
