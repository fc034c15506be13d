//! Secondary suppression: for every sensitive cell that the current pattern does not yet hide,
//! suppress the cheapest box of published cells around it (hypercube method); repeat until
//! every cell is hidden by boxes, then let the attacker check decide, and repair what it
//! finds.

use super::attack::{attack, AttackReport};
use super::boxes::{BoxSearch, Mode};
use super::profile::Profile;
use super::{PrimaryRule, Requirement, SdcTable, Status};

/// What protecting one table did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProtectOutcome {
    /// Secondary suppressions added.
    pub secondary: usize,
    /// Published-but-rounded sensitive cells that rounding did not hide and that were suppressed.
    pub rounding_failures: usize,
    /// Rounds of the repair loop.
    pub rounds: usize,
    /// The final attacker check.
    pub attack: AttackReport,
}

/// Adds secondary suppressions until boxes hide every requirement; returns how many.
fn suppress_boxes(t: &mut SdcTable, requirements: &[Requirement], outcome: &mut ProtectOutcome) -> bool {
    let mut changed = false;
    for req in requirements {
        let cert = BoxSearch::new(t, Mode::Certify).certify(req);
        if req.met_by(cert.up, cert.down) {
            continue;
        }
        changed |= harden(t, req, outcome);
    }
    changed
}

/// Makes one requirement safe by suppressing more: the sensitive cell itself when it was only
/// rounded, then up to a few boxes.
fn harden(t: &mut SdcTable, req: &Requirement, outcome: &mut ProtectOutcome) -> bool {
    let mut changed = false;
    if t.status[req.cell] == Status::Published {
        t.status[req.cell] = Status::Primary(PrimaryRule::RoundingInsufficient);
        outcome.rounding_failures += 1;
        changed = true;
    }
    for _ in 0..4 {
        let cert = BoxSearch::new(t, Mode::Certify).certify(req);
        if req.met_by(cert.up, cert.down) {
            break;
        }
        let Some(b) = BoxSearch::new(t, Mode::Construct).construct(req) else { break };
        let mut added = false;
        for &(c, _) in &b.cells {
            if t.status[c] == Status::Published {
                t.status[c] = Status::Secondary;
                outcome.secondary += 1;
                added = true;
            }
        }
        if !added {
            break;
        }
        changed = true;
    }
    changed
}

/// Protects a table: secondary suppression, then the attacker check with up to three repair
/// rounds. The returned outcome's `attack` is the check of the final pattern; the caller must
/// refuse the table unless it passed.
pub fn protect(t: &mut SdcTable, requirements: &[Requirement], profile: &Profile) -> ProtectOutcome {
    let mut outcome = ProtectOutcome::default();
    // Coarse cells first: protecting a margin suppresses cells that often protect the finer
    // cells below it as well.
    let mut order: Vec<Requirement> = requirements.to_vec();
    let leaves_below = |cell: usize| -> usize {
        (0..t.shape.ndims()).filter(|&j| !t.shape.hierarchy(j).is_leaf(t.shape.coord(cell, j))).count()
    };
    order.sort_by_key(|r| (std::cmp::Reverse(leaves_below(r.cell)), r.cell));
    for _ in 0..8 {
        outcome.rounds += 1;
        if !suppress_boxes(t, &order, &mut outcome) {
            break;
        }
    }
    for _ in 0..3 {
        outcome.attack = attack(t, requirements, &profile.attacker);
        if outcome.attack.passed() {
            break;
        }
        let mut changed = false;
        for f in outcome.attack.failures.clone() {
            changed |= harden(t, &f.required, &mut outcome);
        }
        if !changed {
            break;
        }
        outcome.rounds += 1;
    }
    outcome
}
