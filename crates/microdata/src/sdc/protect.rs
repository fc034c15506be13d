//! Secondary suppression: for every sensitive cell that the current pattern does not yet hide,
//! suppress the cheapest box of published cells around it (hypercube method); repeat until
//! every cell is hidden by boxes, then let the attacker check decide, and repair what it
//! finds.

use super::attack::{attack_with_witnesses, AttackReport};
use super::boxes::{BoxSearch, FoundBox, Mode, Witnesses};
use super::profile::Profile;
use super::{CellSet, PrimaryRule, Requirement, SdcTable, Status};

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

/// Adds secondary suppressions until boxes hide every requirement; returns whether anything
/// changed. A requirement once proven stays proven (suppressing more only widens what the
/// attacker cannot know), so `done` skips it in later rounds.
fn suppress_boxes(
    t: &mut SdcTable,
    requirements: &[Requirement],
    done: &mut [bool],
    witnesses: &mut Witnesses,
    outcome: &mut ProtectOutcome,
) -> bool {
    let mut changed = false;
    for (req, done) in requirements.iter().zip(done.iter_mut()) {
        if *done {
            continue;
        }
        // A quick look first; the construction step below considers every box anyway.
        let cert = BoxSearch::new(t, Mode::Certify).certify_quick(req);
        let used: Vec<FoundBox> = cert.used.into_iter().map(|(b, _, _)| b).collect();
        if req.met_by(cert.up, cert.down) {
            *done = true;
            witnesses.insert(req.cell, used);
            continue;
        }
        witnesses.insert(req.cell, used);
        let (suppressed, met) = harden(t, req, witnesses, outcome);
        changed |= suppressed;
        *done = met;
    }
    changed
}

/// Makes one requirement safe by suppressing more: the sensitive cell itself when it was only
/// rounded and rounding does not hide it, then boxes chosen together with the boxes already
/// proving part of it.
/// Returns (whether anything was suppressed, whether the requirement is now proven).
fn harden(
    t: &mut SdcTable,
    req: &Requirement,
    witnesses: &mut Witnesses,
    outcome: &mut ProtectOutcome,
) -> (bool, bool) {
    let mut changed = false;
    let mut met = false;
    let mine = witnesses.entry(req.cell).or_default();
    if t.status[req.cell] == Status::Published {
        let cert = BoxSearch::new(t, Mode::Certify).certify(req);
        if req.met_by(cert.up, cert.down) {
            *mine = cert.used.into_iter().map(|(b, _, _)| b).collect();
            return (false, true);
        }
        t.status[req.cell] = Status::Primary(PrimaryRule::RoundingInsufficient);
        outcome.rounding_failures += 1;
        changed = true;
    }
    for round in 0..10 {
        let cert = BoxSearch::new(t, Mode::Certify).verify(req, mine);
        let used: Vec<FoundBox> = cert.used.into_iter().map(|(b, _, _)| b).collect();
        if req.met_by(cert.up, cert.down) {
            *mine = used;
            met = true;
            break;
        }
        // The cheapest box that, with the boxes in use, meets the requirement; boxes of cells
        // already suppressed cost nothing.
        // Look much wider only when the normal search finds nothing, or keeps not finishing.
        let search = if round < 6 {
            BoxSearch::new(t, Mode::Construct)
        } else {
            BoxSearch::wide(t, Mode::Construct)
        };
        let Some(b) = search
            .construct(req, &used)
            .or_else(|| BoxSearch::wide(t, Mode::Construct).construct(req, &used))
        else {
            break;
        };
        for &(c, _) in &b.cells {
            if t.status[c] == Status::Published {
                t.status[c] = Status::Secondary;
                outcome.secondary += 1;
                changed = true;
            }
        }
        *mine = used;
        mine.push(b);
    }
    (changed, met)
}

/// Publishes again every secondary suppression that no proof uses. Each requirement keeps
/// exactly the boxes that prove it; a cell outside all of them constrains none of those
/// proofs, so publishing it leaves every proof valid and only lowers the information loss.
fn release_unneeded(
    t: &mut SdcTable,
    requirements: &[Requirement],
    witnesses: &mut Witnesses,
    outcome: &mut ProtectOutcome,
) {
    let mut needed = CellSet::default();
    for req in requirements {
        let boxes = witnesses.remove(&req.cell).unwrap_or_default();
        let cert = BoxSearch::new(t, Mode::Certify).verify(req, &boxes);
        if !req.met_by(cert.up, cert.down) {
            // Not proven by its witnesses (the attacker check will say so): keep everything
            // it might rely on.
            needed.extend(boxes.iter().flat_map(|b| b.cells.iter().map(|&(c, _)| c)));
            witnesses.insert(req.cell, boxes);
            continue;
        }
        let used: Vec<FoundBox> = cert.used.into_iter().map(|(b, _, _)| b).collect();
        needed.extend(used.iter().flat_map(|b| b.cells.iter().map(|&(c, _)| c)));
        witnesses.insert(req.cell, used);
    }
    for cell in 0..t.status.len() {
        if t.status[cell] == Status::Secondary && !needed.contains(&cell) {
            t.status[cell] = Status::Published;
            outcome.secondary -= 1;
        }
    }
}

/// Protects a table: secondary suppression, then the attacker check with up to three repair
/// rounds. The returned outcome's `attack` is the check of the final pattern; the caller must
/// refuse the table unless it passed.
pub fn protect(
    t: &mut SdcTable,
    requirements: &[Requirement],
    profile: &Profile,
) -> ProtectOutcome {
    let mut outcome = ProtectOutcome::default();
    // Coarse cells first: protecting a margin suppresses cells that often protect the finer
    // cells below it as well.
    let mut order: Vec<Requirement> = requirements.to_vec();
    let leaves_below = |cell: usize| -> usize {
        (0..t.shape.ndims())
            .filter(|&j| !t.shape.hierarchy(j).is_leaf(t.shape.coord(cell, j)))
            .count()
    };
    order.sort_by_key(|r| (std::cmp::Reverse(leaves_below(r.cell)), r.cell));
    let trace = std::env::var_os("KWM_TRACE").is_some();
    let started = std::time::Instant::now();
    let mut done = vec![false; order.len()];
    let mut witnesses = Witnesses::default();
    for _ in 0..8 {
        outcome.rounds += 1;
        let changed = suppress_boxes(t, &order, &mut done, &mut witnesses, &mut outcome);
        if trace {
            eprintln!(
                "[sdc] round {}: {} secondary so far, {:.1} s",
                outcome.rounds,
                outcome.secondary,
                started.elapsed().as_secs_f64()
            );
        }
        if !changed {
            break;
        }
    }
    release_unneeded(t, &order, &mut witnesses, &mut outcome);
    if trace {
        eprintln!(
            "[sdc] after release: {} secondary, {:.1} s",
            outcome.secondary,
            started.elapsed().as_secs_f64()
        );
    }
    for _ in 0..3 {
        outcome.attack = attack_with_witnesses(t, requirements, &witnesses, &profile.attacker);
        if trace {
            let a = &outcome.attack;
            eprintln!(
                "[sdc] attack: {} sensitive, {} secondary, {} by boxes, {} by LP (largest {}), {} failures, {:.1} s",
                a.sensitive_checked, a.secondary_checked, a.proven_by_boxes, a.proven_by_lp, a.largest_lp, a.failures.len(),
                started.elapsed().as_secs_f64()
            );
        }
        if outcome.attack.passed() {
            break;
        }
        let mut changed = false;
        for f in outcome.attack.failures.clone() {
            changed |= harden(t, &f.required, &mut witnesses, &mut outcome).0;
        }
        if !changed {
            break;
        }
        outcome.rounds += 1;
    }
    outcome
}
