//! The attacker's linear programme around one cell, solved with the pure-Rust `microlp`.
//!
//! Variables are the movable cells reachable from the target through lines (breadth-first, at
//! most `max_cells`); every other cell keeps its true value. Constraints are all lines that
//! touch a variable. Maximising and minimising the target gives an interval that is contained
//! in the attacker's true interval; it *is* the attacker's interval (of the LP relaxation) when
//! the search exhausted all linked movable cells (`complete`).

use std::collections::VecDeque;

use microlp::{ComparisonOp, OptimizationDirection, Problem, SolveOutcome};

use super::{CellMap, CellSet, SdcTable};

/// The outcome of one attacker LP.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LpInterval {
    /// How far the target can rise (∞ when unbounded).
    pub up: f64,
    /// How far the target can fall.
    pub down: f64,
    /// Whether every movable cell linked to the target was a variable (then the interval is
    /// the attacker's exact LP interval).
    pub complete: bool,
    /// Number of variables.
    pub variables: usize,
}

/// The cells that share a line with `cell`: (line key, parent cell, child cells) for the line
/// where it is a child and the line where it is the parent, in every dimension.
fn lines_of(t: &SdcTable, cell: usize, mut f: impl FnMut(usize, usize, Vec<usize>)) {
    let shape = &t.shape;
    for j in 0..shape.ndims() {
        let h = shape.hierarchy(j);
        let u = shape.coord(cell, j);
        if let Some(p) = h.parent(u) {
            let parent = shape.with(cell, j, p);
            let kids = h
                .children(p)
                .iter()
                .map(|&c| shape.with(cell, j, c))
                .collect();
            f(parent * 64 + j, parent, kids);
        }
        if !h.is_leaf(u) {
            let kids = h
                .children(u)
                .iter()
                .map(|&c| shape.with(cell, j, c))
                .collect();
            f(cell * 64 + j, cell, kids);
        }
    }
}

/// Solves the attacker's LP for `target` on a neighbourhood of at most `max_cells` variables.
///
/// The target is kept within `[value − goal_down, value + goal_up]`: reaching a goal is all a
/// proof needs, and it keeps the LP bounded. Every answer is a point of the LP that is checked
/// here against all rows and bounds before it counts; the reach proven is that point's value.
/// Returns `None` when the solver fails (then nothing is proven).
pub(crate) fn attack_cell(
    t: &SdcTable,
    target: usize,
    max_cells: usize,
    goal_up: f64,
    goal_down: f64,
) -> Option<LpInterval> {
    // Neighbourhood: breadth-first through lines, movable cells only.
    let mut var_of: CellMap<usize> = CellMap::default();
    let mut order = Vec::new();
    let mut queue = VecDeque::from([target]);
    var_of.insert(target, 0);
    order.push(target);
    let mut complete = true;
    while let Some(cell) = queue.pop_front() {
        lines_of(t, cell, |_, parent, kids| {
            for c in std::iter::once(parent).chain(kids) {
                if var_of.contains_key(&c) || !t.is_movable(c) {
                    continue;
                }
                if order.len() >= max_cells {
                    complete = false;
                    continue;
                }
                var_of.insert(c, order.len());
                order.push(c);
                queue.push_back(c);
            }
        });
    }
    // Constraints: every line touching a variable.
    let mut seen = CellSet::default();
    let mut rows: Vec<(Vec<(usize, f64)>, f64)> = Vec::new();
    for &cell in &order {
        lines_of(t, cell, |key, parent, kids| {
            if !seen.insert(key) {
                return;
            }
            let mut terms = Vec::new();
            let mut rhs = 0.0;
            for &k in &kids {
                match var_of.get(&k) {
                    Some(&v) => terms.push((v, 1.0)),
                    None => rhs -= t.values[k],
                }
            }
            match var_of.get(&parent) {
                Some(&v) => terms.push((v, -1.0)),
                None => rhs += t.values[parent],
            }
            rows.push((terms, rhs));
        });
    }
    let x0 = t.values[target];
    let bounds: Vec<(f64, f64)> = order
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let x = t.values[c];
            let (lo, hi) = (x - t.slack_down(c), x + t.slack_up(c));
            if i == 0 {
                (lo.max(x0 - goal_down), hi.min(x0 + goal_up))
            } else {
                (lo, hi)
            }
        })
        .collect();
    let solve = |direction: OptimizationDirection| -> Option<f64> {
        let mut p = Problem::new(direction);
        let vars: Vec<_> = bounds
            .iter()
            .enumerate()
            .map(|(i, &b)| p.add_var(if i == 0 { 1.0 } else { 0.0 }, b))
            .collect();
        for (terms, rhs) in &rows {
            let expr: Vec<_> = terms.iter().map(|&(v, c)| (vars[v], c)).collect();
            p.add_constraint(expr.as_slice(), ComparisonOp::Eq, *rhs);
        }
        let solution = match p.solve() {
            Ok(SolveOutcome::Solution(s)) => s,
            _ => return None,
        };
        let value: Vec<f64> = vars.iter().map(|&v| solution.var_value(v)).collect();
        // Check the point ourselves: only a feasible alternative table proves anything.
        const TOL: f64 = 1e-6;
        let in_bounds = value
            .iter()
            .zip(&bounds)
            .all(|(&v, &(lo, hi))| v.is_finite() && v >= lo - TOL && v <= hi + TOL);
        let rows_hold = rows.iter().all(|(terms, rhs)| {
            let sum: f64 = terms.iter().map(|&(v, c)| c * value[v]).sum();
            let scale = 1.0
                + rhs.abs()
                + terms
                    .iter()
                    .map(|&(v, c)| (c * value[v]).abs())
                    .sum::<f64>();
            (sum - rhs).abs() <= TOL * scale
        });
        (in_bounds && rows_hold).then_some(value[0])
    };
    let x = t.values[target];
    let max = solve(OptimizationDirection::Maximize)?;
    let min = solve(OptimizationDirection::Minimize)?;
    // Solver tolerance: never claim more uncertainty than the point shows.
    let clean = |v: f64| if v < 1e-6 { 0.0 } else { v };
    Some(LpInterval {
        up: clean(max - x),
        down: clean(x - min),
        complete,
        variables: order.len(),
    })
}
