//! The attacker check: proves, from the final publication pattern alone, that every sensitive
//! cell keeps the uncertainty it needs and that no suppressed cell can be computed exactly.
//! It does not trust the suppression algorithm; [`crate::stack`] refuses to write a table for
//! which it reports any failure.

use super::boxes::{BoxSearch, Mode, Witnesses};
use super::lp;
use super::profile::AttackerLimits;
use super::{CellMap, Requirement, SdcTable, Status};

/// A cell the check could not prove safe.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The cell.
    pub cell: usize,
    /// Proven upward reach of the attacker's interval.
    pub up: f64,
    /// Proven downward reach.
    pub down: f64,
    /// What was required.
    pub required: Requirement,
    /// True when the LP covered every linked suppressed cell: the attacker really can narrow
    /// the cell to `[value − down, value + up]`. False: the neighbourhood limit was reached.
    pub exact: bool,
}

/// The outcome of the attacker check of one table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttackReport {
    /// Sensitive cells checked.
    pub sensitive_checked: usize,
    /// Secondary suppressions checked for exact recoverability.
    pub secondary_checked: usize,
    /// Cells proven by box perturbations alone.
    pub proven_by_boxes: usize,
    /// Cells that needed the LP.
    pub proven_by_lp: usize,
    /// Largest LP solved (variables).
    pub largest_lp: usize,
    /// Cells not proven safe.
    pub failures: Vec<Failure>,
}

impl AttackReport {
    /// Whether the table may be written.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    fn merge(&mut self, other: AttackReport) {
        self.sensitive_checked += other.sensitive_checked;
        self.secondary_checked += other.secondary_checked;
        self.proven_by_boxes += other.proven_by_boxes;
        self.proven_by_lp += other.proven_by_lp;
        self.largest_lp = self.largest_lp.max(other.largest_lp);
        self.failures.extend(other.failures);
    }
}

/// Proves one requirement: witness boxes first (verified), then a box search, then the LP.
fn prove(
    t: &SdcTable,
    req: &Requirement,
    witnesses: &Witnesses,
    limits: &AttackerLimits,
    report: &mut AttackReport,
) -> Vec<(usize, f64)> {
    let search = BoxSearch::new(t, Mode::Certify);
    let mut cert = witnesses
        .get(&req.cell)
        .map(|w| search.verify(req, w))
        .unwrap_or_default();
    if !req.met_by(cert.up, cert.down) {
        cert = search.certify(req);
    }
    if req.met_by(cert.up, cert.down) {
        report.proven_by_boxes += 1;
        // Every cell of a used box moves too, so none of them is exactly recoverable.
        return cert
            .used
            .iter()
            .flat_map(|(b, tu, td)| b.cells.iter().map(move |&(c, _)| (c, tu + td)))
            .collect();
    }
    let goal_up = req.up.max(req.width);
    let goal_down = req.down.max(req.width.min(t.slack_down(req.cell)));
    match lp::attack_cell(t, req.cell, limits.lp_max_cells, goal_up, goal_down) {
        Some(iv) => {
            report.largest_lp = report.largest_lp.max(iv.variables);
            let (up, down) = (iv.up.max(cert.up), iv.down.max(cert.down));
            if req.met_by(up, down) {
                report.proven_by_lp += 1;
            } else {
                report.failures.push(Failure {
                    cell: req.cell,
                    up,
                    down,
                    required: *req,
                    exact: iv.complete,
                });
            }
        }
        None => report.failures.push(Failure {
            cell: req.cell,
            up: cert.up,
            down: cert.down,
            required: *req,
            exact: false,
        }),
    }
    Vec::new()
}

/// Runs the check on all cores (each cell is independent), searching every proof itself.
pub fn attack(t: &SdcTable, requirements: &[Requirement], limits: &AttackerLimits) -> AttackReport {
    attack_with_witnesses(t, requirements, &Witnesses::default(), limits)
}

/// Like [`attack`], but first verifies the boxes the suppression step found (witnesses). A
/// witness is checked, never trusted: every cell must be unknown to the attacker and every
/// line must stay balanced.
pub(crate) fn attack_with_witnesses(
    t: &SdcTable,
    requirements: &[Requirement],
    witnesses: &Witnesses,
    limits: &AttackerLimits,
) -> AttackReport {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    // Sensitive cells.
    let parts: Vec<(AttackReport, Vec<(usize, f64)>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|k| {
                s.spawn(move || {
                    let mut report = AttackReport::default();
                    let mut moved = Vec::new();
                    for req in requirements.iter().skip(k).step_by(threads) {
                        report.sensitive_checked += 1;
                        moved.extend(prove(t, req, witnesses, limits, &mut report));
                    }
                    (report, moved)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("attacker thread"))
            .collect()
    });
    let mut report = AttackReport::default();
    let mut moved: CellMap<f64> = CellMap::default();
    for (r, m) in parts {
        report.merge(r);
        for (c, w) in m {
            let e = moved.entry(c).or_insert(0.0);
            *e = e.max(w);
        }
    }
    // Secondary suppressions: each must not be computable exactly (an interval at least 1 wide).
    let secondaries: Vec<Requirement> = (0..t.values.len())
        .filter(|&c| {
            t.status[c] == Status::Secondary && moved.get(&c).copied().unwrap_or(0.0) < 1.0
        })
        .map(|cell| Requirement {
            cell,
            up: 0.0,
            down: 0.0,
            width: 1.0,
        })
        .collect();
    let already = t.status.iter().filter(|s| **s == Status::Secondary).count() - secondaries.len();
    let parts: Vec<AttackReport> = std::thread::scope(|s| {
        let secondaries = &secondaries;
        let handles: Vec<_> = (0..threads)
            .map(|k| {
                s.spawn(move || {
                    let mut report = AttackReport::default();
                    for req in secondaries.iter().skip(k).step_by(threads) {
                        prove(t, req, witnesses, limits, &mut report);
                    }
                    report
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("attacker thread"))
            .collect()
    });
    for r in parts {
        report.merge(r);
    }
    report.secondary_checked = secondaries.len() + already;
    report.failures.sort_by_key(|f| f.cell);
    report
}
