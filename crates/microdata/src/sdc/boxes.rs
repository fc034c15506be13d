//! Box perturbations: the cheap witnesses of the attacker's uncertainty.
//!
//! In each dimension `j` a *move* is a small signed set of categories that keeps every line of
//! that dimension balanced:
//!
//! - a **sibling pair** `(u, w)` under one parent, +1 on `u` and −1 on `w` (each continued down
//!   to a leaf when it has children, because a changed parent needs a changed child), or
//! - a **unit path** from the total down through `u` to a leaf, +1 everywhere.
//!
//! The product of one move per dimension (a "box", the hypercube of tau-ARGUS' GHMITER) changes
//! no line of the table: adding `t × sign` to its cells gives another table with the same sums.
//! If every cell of the box is unknown to the attacker (or rounded with room to move), that
//! alternative table is consistent with the publication, and the target cell moves by `t`.
//! `t` is limited by the cells that move towards their bounds.

use super::{CellMap, Requirement, SdcTable, Status};

/// Slack already used per cell while adding up boxes: a short list (the usual case, a few
/// boxes of a few dozen cells, where hashing and allocating a map dominated the profile),
/// turned into a map when it grows.
#[derive(Default)]
struct Booking {
    small: Vec<(usize, f64)>,
    big: Option<CellMap<f64>>,
}

impl Booking {
    fn get(&self, cell: usize) -> f64 {
        match &self.big {
            Some(m) => m.get(&cell).copied().unwrap_or(0.0),
            None => self
                .small
                .iter()
                .find(|(c, _)| *c == cell)
                .map_or(0.0, |(_, v)| *v),
        }
    }

    fn add(&mut self, cell: usize, amount: f64) {
        if let Some(m) = &mut self.big {
            *m.entry(cell).or_insert(0.0) += amount;
            return;
        }
        match self.small.iter_mut().find(|(c, _)| *c == cell) {
            Some((_, v)) => *v += amount,
            None => self.small.push((cell, amount)),
        }
        if self.small.len() > 128 {
            self.big = Some(self.small.drain(..).collect());
        }
    }
}

/// Whether a search proves safety with the current pattern or designs new suppressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Only cells the attacker cannot pin down may move.
    Certify,
    /// Published cells may move too, at a cost: they would be suppressed.
    Construct,
}

/// Called with every complete box (cells with signs, cost); returns the cost bound for pruning.
type BoxVisitor<'v> = dyn FnMut(&[(usize, i8)], f64) -> f64 + 'v;

/// One dimension's part of a box.
#[derive(Debug, Clone)]
struct DimMove {
    nodes: Vec<(u32, i8)>,
    cost: f64,
    capacity: f64,
}

/// Boxes that proved a cell during suppression, handed to the attacker check as witnesses to
/// verify (cheaper than searching again; the check still verifies every one).
pub(crate) type Witnesses = CellMap<Vec<FoundBox>>;

/// A box found for a target: its cells with their sign relative to the target.
#[derive(Debug, Clone)]
pub(crate) struct FoundBox {
    pub cells: Vec<(usize, i8)>,
    pub cost: f64,
}

/// What boxes proved for one cell.
#[derive(Debug, Clone, Default)]
pub(crate) struct BoxCertificate {
    /// Proven upward reach.
    pub up: f64,
    /// Proven downward reach.
    pub down: f64,
    /// The boxes used and how far each moves the target up / down.
    pub used: Vec<(FoundBox, f64, f64)>,
}

/// The box search over one table.
pub(crate) struct BoxSearch<'a> {
    t: &'a SdcTable,
    mode: Mode,
    /// Candidate moves kept per dimension.
    per_dim: usize,
    /// Complete boxes examined at most per target.
    max_visits: usize,
}

/// Cost of suppressing a published cell: its value, so that large cells (margins above all)
/// are kept and the information loss in persons stays small; +1 so zero cells are not free.
/// (Extra weight on totals was tried; on the national benchmark it suppressed more without
/// keeping more national cells.)
fn weight(t: &SdcTable, cell: usize) -> f64 {
    t.values[cell].abs() + 1.0
}

impl<'a> BoxSearch<'a> {
    pub(crate) fn new(t: &'a SdcTable, mode: Mode) -> BoxSearch<'a> {
        // Keep the product of candidates per target near a few thousand boxes.
        let d = t.shape.ndims().max(1) as f64;
        let per_dim = (2048f64.powf(1.0 / d).floor() as usize).clamp(2, 12);
        BoxSearch {
            t,
            mode,
            per_dim,
            max_visits: 8192,
        }
    }

    /// A search that looks at many more candidates per dimension (slower; for the few cells
    /// the normal search cannot protect).
    pub(crate) fn wide(t: &'a SdcTable, mode: Mode) -> BoxSearch<'a> {
        let d = t.shape.ndims().max(1) as f64;
        let per_dim = (262_144f64.powf(1.0 / d).floor() as usize).clamp(4, 64);
        BoxSearch {
            t,
            mode,
            per_dim,
            max_visits: 262_144,
        }
    }

    /// Cost of letting a cell move, `None` when it cannot move.
    #[inline]
    fn admit(&self, cell: usize) -> Option<f64> {
        match self.mode {
            Mode::Certify => self.t.is_movable(cell).then_some(0.0),
            Mode::Construct => match self.t.status[cell] {
                Status::KnownZero => None,
                Status::Published => Some(weight(self.t, cell)),
                _ => Some(0.0),
            },
        }
    }

    #[inline]
    fn slack_up(&self, cell: usize) -> f64 {
        if self.mode == Mode::Construct && self.t.status[cell] == Status::Published {
            f64::INFINITY
        } else {
            self.t.slack_up(cell)
        }
    }

    #[inline]
    fn slack_down(&self, cell: usize) -> f64 {
        if self.mode == Mode::Construct && self.t.status[cell] == Status::Published {
            (self.t.values[cell] - self.t.floor_of(cell)).max(0.0)
        } else {
            self.t.slack_down(cell)
        }
    }

    /// A path from `node` down to a leaf of dimension `j` (excluding `node`), through cells of
    /// the line of `target` that may move; greedy: cheapest, then largest.
    fn descend(&self, target: usize, j: usize, node: u32) -> Option<(Vec<u32>, f64)> {
        let h = self.t.shape.hierarchy(j);
        let mut chain = Vec::new();
        let mut cost = 0.0;
        let mut n = node;
        while !h.is_leaf(n) {
            let mut best: Option<(u32, f64, f64)> = None;
            for &ch in h.children(n) {
                let cell = self.t.shape.with(target, j, ch);
                if let Some(c) = self.admit(cell) {
                    let v = self.slack_down(cell);
                    if best.is_none_or(|(_, bc, bv)| c < bc || (c == bc && v > bv)) {
                        best = Some((ch, c, v));
                    }
                }
            }
            let (ch, c, _) = best?;
            chain.push(ch);
            cost += c;
            n = ch;
        }
        Some((chain, cost))
    }

    /// Candidate moves in dimension `j` for `target`, best first, at most `per_dim`.
    fn dim_moves(&self, target: usize, j: usize, need: f64) -> Vec<DimMove> {
        let h = self.t.shape.hierarchy(j);
        let u = self.t.shape.coord(target, j);
        let line = |node: u32| self.t.shape.with(target, j, node);
        let mut moves = Vec::new();
        let Some((own, own_cost)) = self.descend(target, j, u) else {
            return moves;
        };
        let own_nodes = || std::iter::once((u, 1i8)).chain(own.iter().map(|&n| (n, 1i8)));
        match h.parent(u) {
            Some(_) => {
                // Pair the target's branch with a sibling branch at every level up (a sibling,
                // a cousin, …), and finally the unit path through the total. Above the target
                // the cells on its path move with it.
                let mut up: Vec<u32> = Vec::new();
                let mut up_cost = 0.0;
                let mut c = u;
                while let Some(a) = h.parent(c) {
                    for &w in h.children(a) {
                        if w == c {
                            continue;
                        }
                        let Some(cw) = self.admit(line(w)) else {
                            continue;
                        };
                        let Some((chain_w, chain_cost)) = self.descend(target, j, w) else {
                            continue;
                        };
                        let capacity = std::iter::once(w)
                            .chain(chain_w.iter().copied())
                            .map(|n| self.slack_down(line(n)))
                            .fold(f64::INFINITY, f64::min);
                        let mut nodes: Vec<(u32, i8)> = own_nodes().collect();
                        nodes.extend(up.iter().map(|&n| (n, 1i8)));
                        nodes.push((w, -1));
                        nodes.extend(chain_w.iter().map(|&n| (n, -1i8)));
                        moves.push(DimMove {
                            nodes,
                            cost: own_cost + up_cost + cw + chain_cost,
                            capacity,
                        });
                    }
                    let Some(ca) = self.admit(line(a)) else { break };
                    up.push(a);
                    up_cost += ca;
                    if h.parent(a).is_none() {
                        let mut nodes: Vec<(u32, i8)> = own_nodes().collect();
                        nodes.extend(up.iter().map(|&n| (n, 1i8)));
                        moves.push(DimMove {
                            nodes,
                            cost: own_cost + up_cost,
                            capacity: f64::INFINITY,
                        });
                    }
                    c = a;
                }
            }
            None => {
                // The target is a total in this dimension: only a path down moves it.
                for &ch in h.children(u) {
                    let Some(c) = self.admit(line(ch)) else {
                        continue;
                    };
                    let Some((chain, chain_cost)) = self.descend(target, j, ch) else {
                        continue;
                    };
                    let mut nodes = vec![(u, 1i8), (ch, 1i8)];
                    nodes.extend(chain.iter().map(|&n| (n, 1i8)));
                    moves.push(DimMove {
                        nodes,
                        cost: c + chain_cost,
                        capacity: f64::INFINITY,
                    });
                }
            }
        }
        // Moves that can carry the needed amount first, then the cheapest, then the widest.
        let order = |a: &DimMove, b: &DimMove| {
            (a.capacity < need)
                .cmp(&(b.capacity < need))
                .then(a.cost.total_cmp(&b.cost))
                .then(b.capacity.total_cmp(&a.capacity))
        };
        if moves.len() > self.per_dim {
            moves.select_nth_unstable_by(self.per_dim - 1, order);
            moves.truncate(self.per_dim);
        }
        moves.sort_by(order);
        moves
    }

    /// Depth-first over one move per dimension; `visit` gets every complete box whose cells may
    /// all move and returns the cost bound for pruning (∞: no pruning).
    fn enumerate(&self, target: usize, need: f64, visit: &mut BoxVisitor) {
        let d = self.t.shape.ndims();
        let per_dim: Vec<Vec<DimMove>> = (0..d).map(|j| self.dim_moves(target, j, need)).collect();
        if per_dim.iter().any(Vec::is_empty) {
            return;
        }
        let mut visits = 0usize;
        let mut bound = f64::INFINITY;
        // One buffer per depth, reused across the whole search.
        let mut levels: Vec<Vec<(usize, i8)>> = (0..=d).map(|_| Vec::with_capacity(64)).collect();
        levels[0].push((target, 1i8));
        self.dfs(
            &per_dim,
            0,
            &mut levels,
            0.0,
            &mut bound,
            &mut visits,
            visit,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn dfs(
        &self,
        per_dim: &[Vec<DimMove>],
        j: usize,
        levels: &mut [Vec<(usize, i8)>],
        cost: f64,
        bound: &mut f64,
        visits: &mut usize,
        visit: &mut BoxVisitor,
    ) {
        if *visits >= self.max_visits {
            return;
        }
        if j == per_dim.len() {
            *visits += 1;
            *bound = visit(&levels[j], cost);
            return;
        }
        for m in &per_dim[j] {
            let mut extra = 0.0;
            let mut ok = true;
            {
                let (cur, rest) = levels.split_at_mut(j + 1);
                let next = &mut rest[0];
                next.clear();
                'outer: for &(cell, s) in &cur[j] {
                    let here = self.t.shape.coord(cell, j);
                    for &(node, ns) in &m.nodes {
                        let c = if node == here {
                            cell
                        } else {
                            self.t.shape.with(cell, j, node)
                        };
                        if node != here {
                            match self.admit(c) {
                                Some(w) => extra += w,
                                None => {
                                    ok = false;
                                    break 'outer;
                                }
                            }
                        }
                        next.push((c, s * ns));
                    }
                }
            }
            if !ok || cost + extra >= *bound {
                continue;
            }
            self.dfs(per_dim, j + 1, levels, cost + extra, bound, visits, visit);
            if *visits >= self.max_visits {
                return;
            }
        }
    }

    /// Proves as much of `req` as boxes of movable cells can. Several boxes add up; the slack
    /// each uses is booked so that together they stay within every cell's bounds.
    pub(crate) fn certify(&self, req: &Requirement) -> BoxCertificate {
        debug_assert_eq!(self.mode, Mode::Certify);
        // The first boxes in search order usually suffice; otherwise look at all of them.
        let quick = self.certify_with(req, 32, false);
        if req.met_by(quick.up, quick.down) {
            return quick;
        }
        self.certify_with(req, usize::MAX, true)
    }

    /// Only the first boxes in search order: cheap, and enough for most cells.
    pub(crate) fn certify_quick(&self, req: &Requirement) -> BoxCertificate {
        self.certify_with(req, 32, false)
    }

    fn certify_with(&self, req: &Requirement, limit: usize, best_first: bool) -> BoxCertificate {
        let target = req.cell;
        let own_down = self.t.slack_down(target);
        let goal_up = req.up.max(req.width);
        let goal_down = req.down.max(req.width.min(own_down));
        // Collect the boxes with their standalone reach, then use the best first: the search
        // order alone says little about how far a box moves the target.
        let mut found: Vec<(f64, FoundBox)> = Vec::new();
        self.enumerate(target, goal_up, &mut |cells, cost| {
            let mut cu = f64::INFINITY;
            let mut cd = f64::INFINITY;
            for &(a, s) in cells {
                if s > 0 {
                    cu = cu.min(self.t.slack_up(a));
                    cd = cd.min(self.t.slack_down(a));
                } else {
                    cu = cu.min(self.t.slack_down(a));
                    cd = cd.min(self.t.slack_up(a));
                }
            }
            let score = cu.min(goal_up) + cd.min(goal_down);
            if score > 0.0 {
                found.push((
                    score,
                    FoundBox {
                        cells: cells.to_vec(),
                        cost,
                    },
                ));
            }
            if found.len() >= limit {
                0.0 // enough: stop the search
            } else {
                f64::INFINITY
            }
        });
        if best_first {
            found.sort_by(|a, b| b.0.total_cmp(&a.0));
            found.truncate(256);
        }
        self.accumulate(req, found.iter().map(|(_, b)| b))
    }

    /// Checks given boxes (from the suppression step) as witnesses: a box counts only if every
    /// one of its cells may move in the final pattern. Nothing is taken on trust.
    pub(crate) fn verify(&self, req: &Requirement, boxes: &[FoundBox]) -> BoxCertificate {
        debug_assert_eq!(self.mode, Mode::Certify);
        let valid = boxes.iter().filter(|b| {
            b.cells.iter().any(|&(c, s)| c == req.cell && s == 1)
                && b.cells.iter().all(|&(c, _)| self.t.is_movable(c))
                && self.balanced(b)
        });
        self.accumulate(req, valid)
    }

    /// Whether a box changes no line: along every line, the signed changes of its cells add up
    /// to the change of the line's parent. Only lines that touch the box can change, and those
    /// are found from the box's own cells.
    fn balanced(&self, b: &FoundBox) -> bool {
        let shape = &self.t.shape;
        let sign_of = |cell: usize| {
            b.cells
                .iter()
                .find(|&&(c, _)| c == cell)
                .map_or(0, |&(_, s)| s as i32)
        };
        // (parent cell, dimension) → sum of the signs of the box's cells below it.
        let mut lines: Vec<((usize, usize), i32)> =
            Vec::with_capacity(b.cells.len() * shape.ndims());
        for &(cell, s) in &b.cells {
            for j in 0..shape.ndims() {
                let h = shape.hierarchy(j);
                let u = shape.coord(cell, j);
                if let Some(p) = h.parent(u) {
                    lines.push(((shape.with(cell, j, p), j), s as i32));
                }
                if !h.is_leaf(u) {
                    lines.push(((cell, j), 0)); // the line below a box cell must exist too
                }
            }
        }
        lines.sort_unstable_by_key(|&(k, _)| k);
        let mut i = 0;
        while i < lines.len() {
            let key = lines[i].0;
            let mut sum = 0;
            while i < lines.len() && lines[i].0 == key {
                sum += lines[i].1;
                i += 1;
            }
            if sum != sign_of(key.0) {
                return false;
            }
        }
        true
    }

    /// Adds up boxes, best first as given, booking the slack each uses.
    fn accumulate<'b>(
        &self,
        req: &Requirement,
        boxes: impl IntoIterator<Item = &'b FoundBox>,
    ) -> BoxCertificate {
        let own_down = self.slack_down(req.cell);
        let goal_up = req.up.max(req.width);
        let goal_down = req.down.max(req.width.min(own_down));
        let mut cert = BoxCertificate::default();
        let mut booked: [Booking; 4] = Default::default(); // up-inc, up-dec, down-inc, down-dec
        for b in boxes {
            if req.met_by(cert.up, cert.down) {
                break;
            }
            let mut cu = f64::INFINITY;
            let mut cd = f64::INFINITY;
            for &(a, s) in &b.cells {
                let used = |k: usize| booked[k].get(a);
                if s > 0 {
                    cu = cu.min(self.slack_up(a) - used(0));
                    cd = cd.min(self.slack_down(a) - used(3));
                } else {
                    cu = cu.min(self.slack_down(a) - used(1));
                    cd = cd.min(self.slack_up(a) - used(2));
                }
            }
            let tu = cu.max(0.0).min((goal_up - cert.up).max(0.0));
            let td = cd.max(0.0).min((goal_down - cert.down).max(0.0));
            if tu <= 0.0 && td <= 0.0 {
                continue;
            }
            for &(a, s) in &b.cells {
                let (ku, kd) = if s > 0 { (0, 3) } else { (1, 2) };
                if tu > 0.0 {
                    booked[ku].add(a, tu);
                }
                if td > 0.0 {
                    booked[kd].add(a, td);
                }
            }
            cert.up += tu;
            cert.down += td;
            cert.used.push((b.clone(), tu, td));
        }
        cert
    }

    /// The cheapest box that alone meets `req` if its published cells were suppressed; when no
    /// box meets it, the one that moves the target furthest. `None` when no box exists.
    /// Boxes in `used` are already counted: a candidate is judged together with them (slack
    /// they use is not available twice), and never chosen again.
    pub(crate) fn construct(&self, req: &Requirement, used: &[FoundBox]) -> Option<FoundBox> {
        debug_assert_eq!(self.mode, Mode::Construct);
        let goal_up = req.up.max(req.width);
        let goal_down = req.down.max(req.width.min(self.slack_down(req.cell)));
        let reach = |up: f64, down: f64| up.min(goal_up) + down.min(goal_down);
        let current = if used.is_empty() {
            0.0
        } else {
            let c = self.accumulate(req, used.iter());
            reach(c.up, c.down)
        };
        let need = (goal_up + goal_down - current).max(f64::MIN_POSITIVE);
        // Greedy by gain per cost (the set-cover heuristic): a box that finishes the job at
        // cost C competes with a cheaper box that does part of it, so one huge margin is not
        // suppressed where a few small cells would do.
        let mut best: Option<(f64, FoundBox)> = None;
        let mut best_ok: Option<FoundBox> = None;
        self.enumerate(req.cell, goal_up, &mut |cells, cost| {
            let bound = |best: &Option<(f64, FoundBox)>| {
                best.as_ref().map_or(f64::INFINITY, |(r, _)| need / r - 1.0)
            };
            if used.iter().any(|u| u.cells == cells) {
                return bound(&best);
            }
            let mut cu = f64::INFINITY;
            let mut cd = f64::INFINITY;
            for &(a, s) in cells {
                if s > 0 {
                    cu = cu.min(self.slack_up(a));
                    cd = cd.min(self.slack_down(a));
                } else {
                    cu = cu.min(self.slack_down(a));
                    cd = cd.min(self.slack_up(a));
                }
            }
            // Alone, the box can add at most its own reach: skip the exact (booked) sum when
            // even that could not beat the best so far.
            let at_most = reach(cu, cd).min(need);
            let cheaper_finish = best_ok.as_ref().is_none_or(|b| cost < b.cost);
            if !used.is_empty()
                && !cheaper_finish
                && best
                    .as_ref()
                    .is_some_and(|(r, _)| at_most / (cost + 1.0) <= *r)
            {
                return bound(&best);
            }
            let (cu, cd) = if used.is_empty() {
                (cu, cd)
            } else {
                let candidate = FoundBox {
                    cells: cells.to_vec(),
                    cost,
                };
                let together = self.accumulate(req, used.iter().chain(std::iter::once(&candidate)));
                (together.up, together.down)
            };
            let done = req.met_by(cu, cd);
            if done && best_ok.as_ref().is_none_or(|b| cost < b.cost) {
                best_ok = Some(FoundBox {
                    cells: cells.to_vec(),
                    cost,
                });
            }
            let gain = if done {
                need
            } else {
                (reach(cu, cd) - current).max(0.0)
            };
            if gain > 1e-9 {
                let ratio = gain / (cost + 1.0);
                if best
                    .as_ref()
                    .is_none_or(|(r, b)| ratio > *r || (ratio == *r && cost < b.cost))
                {
                    best = Some((
                        ratio,
                        FoundBox {
                            cells: cells.to_vec(),
                            cost,
                        },
                    ));
                }
            }
            bound(&best)
        });
        // The cheapest box that finishes the job, unless doing it in parts promises to cost
        // far less (then the most efficient part now, the rest in later rounds).
        match (best_ok, best) {
            (Some(ok), Some((ratio, part))) => Some(if ok.cost + 1.0 <= 4.0 * need / ratio {
                ok
            } else {
                part
            }),
            (ok, part) => ok.or(part.map(|(_, b)| b)),
        }
    }
}
