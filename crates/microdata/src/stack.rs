//! From counted persons to protected stacking tables and the rows that leave.
//!
//! One table per year, with dimensions
//!
//! ```text
//! region (Nederland ⊃ gemeente [⊃ wijk [⊃ buurt]])  ×  breakdowns (total ⊃ categories)
//!   ×  one yes/no dimension per combination  ×  stacking count (total ⊃ 0, 1, 2, 3+ [⊃ 3 … 12])
//! ```
//!
//! The stacking count is top-coded as the profile's `[stacking]` says: by default `3+` is a
//! leaf and 3 … 12 are not modelled at all; with detail they are, and are published only where
//! the profile allows (else they are internal cells, unknown to the attacker).
//! Published are: persons by stacking count (every published node of the count dimension,
//! including `3+`), and per combination the persons having it. The yes/no × count interior is never
//! published: it is what ties the combination counts to the stacking counts exactly (a person
//! with all characteristics of a combination of three has at least three), so the attacker
//! check sees those relations too. Cells that cannot be non-zero by construction are known
//! zeros, fixed for the attacker as well.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kwm_model::RegionCode;

use crate::aggregate::{Breakdown, Counter, LeafLayout, RegionLevel};
use crate::characteristic::{CharacteristicSet, Combination};
use crate::config::ReadConfig;
use crate::error::MicrodataError;
use crate::sdc::attack::AttackReport;
use crate::sdc::primary::{self, MagnitudeStats};
use crate::sdc::profile::{Profile, StackDetail, StackingRule};
use crate::sdc::protect::{protect, ProtectOutcome};
use crate::sdc::{PrimaryRule, Requirement, SdcTable, Status};
use crate::table::{Dimension, Hierarchy, Shape};

/// What to tabulate.
#[derive(Debug, Clone, PartialEq)]
pub struct StackSpec {
    /// Finest region level.
    pub level: RegionLevel,
    /// Breakdowns, in output order.
    pub breakdowns: Vec<Breakdown>,
    /// Combinations whose co-occurrence is counted.
    pub combinations: Vec<Combination>,
    /// Name of a numeric input column whose mean is published per cell (magnitude table).
    pub measure: Option<String>,
    /// Also write percentages of persons (derived from published values only).
    pub percentages: bool,
    /// Indicator id prefix: `mds_`, or `synthetic_mds_` for synthetic input.
    pub prefix: String,
}

impl StackSpec {
    /// The leaf layout for a counter.
    pub fn layout(&self, cfg: &ReadConfig) -> LeafLayout {
        LeafLayout {
            breakdowns: self.breakdowns.clone(),
            sizes: self
                .breakdowns
                .iter()
                .map(|b| b.labels(cfg).len())
                .collect(),
            combinations: self.combinations.iter().map(|c| c.set).collect(),
        }
    }
}

/// The stacking-count dimension, top-coded by the profile: total → 0 … top−1, `top+`, and below
/// `top+` the counts top … 12 unless the detail is published nowhere (then `top+` is a leaf:
/// a count that is never published need not be modelled, and the attacker learns nothing from
/// cells that do not exist). Returns it and the node every count 0..=12 is counted in.
fn stack_dimension(rule: &StackingRule) -> (Hierarchy, [u32; 13]) {
    let top = rule.top as usize;
    let mut h = Hierarchy::new("persons");
    let mut node = [0u32; 13];
    for (k, n) in node.iter_mut().enumerate().take(top) {
        *n = h.add_child(0, &k.to_string());
    }
    let plus = h.add_child(0, &format!("{top}plus"));
    for (k, n) in node.iter_mut().enumerate().skip(top) {
        *n = if rule.detail == StackDetail::Never {
            plus
        } else {
            h.add_child(plus, &k.to_string())
        };
    }
    (h, node)
}

/// The role of every dimension of a stacking table.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Number of breakdown dimensions (dimensions 1..=n).
    pub breakdowns: Vec<Breakdown>,
    /// Combinations (one yes/no dimension each, after the breakdowns).
    pub combinations: Vec<Combination>,
}

impl Layout {
    fn combo_dim(&self, i: usize) -> usize {
        1 + self.breakdowns.len() + i
    }
    fn stack_dim(&self) -> usize {
        1 + self.breakdowns.len() + self.combinations.len()
    }
}

/// What disclosure control did to one table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableSummary {
    /// Year of the table.
    pub year: i32,
    /// Which table (`stacking` or `mean income`).
    pub kind: String,
    /// Cells that are written (published or suppressed).
    pub publishable: usize,
    /// Primary suppressions per rule.
    pub primary: BTreeMap<&'static str, usize>,
    /// Sensitive cells left published because rounding hides them.
    pub hidden_by_rounding: usize,
    /// Secondary suppressions.
    pub secondary: usize,
    /// Information loss: persons in suppressed cells at the finest level (count tables) or
    /// suppressed sum (magnitude), as a share of the total.
    pub hidden_share: f64,
    /// The final attacker check.
    pub attack: AttackReport,
    /// Time spent in secondary suppression and the check.
    pub sdc_time: Duration,
}

/// A protected table ready to be written; only [`protect_stacking`] and [`protect_magnitude`]
/// make one, and only when the attacker check passed.
#[derive(Debug, Clone)]
pub struct ProtectedTable {
    year: i32,
    table: SdcTable,
    layout: Layout,
    kind: TableKind,
    /// What disclosure control did.
    pub summary: TableSummary,
}

#[derive(Debug, Clone)]
enum TableKind {
    Stacking,
    /// Mean of a measure; `counts` are the published person counts of the stacking table per
    /// region × breakdown cell, for `n` and to know which means may be shown.
    Magnitude {
        measure: String,
        counts: Vec<Option<f64>>,
        n: Vec<u64>,
    },
}

/// Builds the unprotected stacking table of one year from the counter, with the stacking
/// count top-coded as `rule` says.
pub fn stacking_table(
    counter: &Counter,
    year: i32,
    spec: &StackSpec,
    cfg: &ReadConfig,
    rule: &StackingRule,
) -> Result<SdcTable, MicrodataError> {
    let (region, leaf_of_block) = region_hierarchy(counter, year)?;
    let mut dims = vec![Dimension {
        name: "region".into(),
        hierarchy: region,
    }];
    for b in &spec.breakdowns {
        let labels = b.labels(cfg);
        let l: Vec<&str> = labels.iter().map(String::as_str).collect();
        dims.push(Dimension {
            name: b.key().into(),
            hierarchy: Hierarchy::flat("total", &l),
        });
    }
    for c in &spec.combinations {
        dims.push(Dimension {
            name: c.indicator_suffix(),
            hierarchy: Hierarchy::flat("total", &["yes", "no"]),
        });
    }
    let (stack, k_node) = stack_dimension(rule);
    dims.push(Dimension {
        name: "stack".into(),
        hierarchy: stack,
    });
    let shape = Shape::new(dims).map_err(MicrodataError::Invalid)?;
    let layout = counter.layout();
    let inner = layout.inner();
    let nb = spec.breakdowns.len();
    let m = spec.combinations.len();
    // Offset of every leaf index within a region, excluding the region coordinate.
    let mut offset = vec![0usize; inner];
    let mut coords = vec![0u32; shape.ndims()];
    for (i, off) in offset.iter_mut().enumerate() {
        let k = i % 13;
        let rest = i / 13;
        let pattern = rest & ((1 << m) - 1);
        let mut bd = rest >> m;
        for j in (0..nb).rev() {
            coords[1 + j] = (bd % layout.sizes[j]) as u32 + 1;
            bd /= layout.sizes[j];
        }
        for c in 0..m {
            coords[1 + nb + c] = if pattern & (1 << c) != 0 { 1 } else { 2 };
        }
        coords[1 + nb + m] = k_node[k];
        coords[0] = 0;
        *off = shape.cell(&coords);
    }
    let region_stride = shape.cell(&{
        let mut c = vec![0u32; shape.ndims()];
        c[0] = 1;
        c
    });
    let mut values = vec![0.0; shape.len()];
    for (b, (y, _)) in counter.blocks.iter().enumerate() {
        if *y != year {
            continue;
        }
        let base = leaf_of_block[&b] as usize * region_stride;
        for (i, &off) in offset.iter().enumerate() {
            values[base + off] += counter.counts[b * inner + i] as f64;
        }
    }
    shape.aggregate_up(&mut values, 0.0, |a, x| *a += x);
    let mut t = SdcTable::new(shape, values);
    mark_unpublished(&mut t, spec, rule);
    Ok(t)
}

/// Region tree of one year: Nederland → gemeenten → wijken → buurten, from the codes counted.
/// Returns the tree and the leaf node of every counter block of that year.
fn region_hierarchy(
    counter: &Counter,
    year: i32,
) -> Result<(Hierarchy, std::collections::HashMap<usize, u32>), MicrodataError> {
    // code → blocks; sorted so output order is stable.
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    for (b, (y, code)) in counter.blocks.iter().enumerate() {
        if *y == year {
            codes.insert(code.clone(), b);
        }
    }
    let mut tree: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for code in codes.keys() {
        let rc = RegionCode::parse(code).map_err(|e| MicrodataError::Invalid(e.to_string()))?;
        let gm = rc
            .gemeente()
            .expect("counted codes are gemeente, wijk or buurt")
            .to_string();
        let entry = tree.entry(gm).or_default();
        match counter.level() {
            RegionLevel::Gemeente => {}
            RegionLevel::Wijk => {
                entry.entry(code.clone()).or_default();
            }
            RegionLevel::Buurt => {
                let wk = rc.parent().expect("buurt codes have a wijk").to_string();
                entry.entry(wk).or_default().push(code.clone());
            }
        }
    }
    let mut h = Hierarchy::new("NL01");
    let mut leaf = std::collections::HashMap::new();
    for (gm, wijken) in &tree {
        let g = h.add_child(0, gm);
        if counter.level() == RegionLevel::Gemeente {
            leaf.insert(codes[gm], g);
        }
        for (wk, buurten) in wijken {
            let w = h.add_child(g, wk);
            if counter.level() == RegionLevel::Wijk {
                leaf.insert(codes[wk], w);
            }
            for bu in buurten {
                let n = h.add_child(w, bu);
                leaf.insert(codes[bu], n);
            }
        }
    }
    Ok((h, leaf))
}

/// Marks the never-published model cells: the combination interior, the structural zeros, and
/// the detailed stacking counts where the profile does not publish them.
fn mark_unpublished(t: &mut SdcTable, spec: &StackSpec, rule: &StackingRule) {
    let nb = spec.breakdowns.len();
    let m = spec.combinations.len();
    let stack_dim = 1 + nb + m;
    // The characteristic part of the table (combination dims × count) as a small table, to
    // decide per characteristic coordinate what is published and what is impossible.
    let (stack, k_node) = stack_dimension(rule);
    // Detailed counts (top … 12) sit two levels below the total.
    let is_detail: Vec<bool> = (0..stack.len() as u32)
        .map(|n| stack.depth(n) == 2)
        .collect();
    let mut dims: Vec<Dimension> = (0..m)
        .map(|i| Dimension {
            name: format!("c{i}"),
            hierarchy: Hierarchy::flat("total", &["yes", "no"]),
        })
        .collect();
    dims.push(Dimension {
        name: "stack".into(),
        hierarchy: stack,
    });
    let small = Shape::new(dims).expect("small shape");
    let mut possible = vec![0.0; small.len()];
    for bits in 0u16..(1 << 12) {
        let x = CharacteristicSet::from_bits(bits);
        let mut coords: Vec<u32> = spec
            .combinations
            .iter()
            .map(|c| if x.contains_all(c.set) { 1 } else { 2 })
            .collect();
        coords.push(k_node[x.len() as usize]);
        possible[small.cell(&coords)] = 1.0;
    }
    small.aggregate_up(&mut possible, 0.0, |a, x| *a += x);
    let status_of: Vec<Status> = (0..small.len())
        .map(|c| {
            let co = small.coords(c);
            let yes: Vec<usize> = (0..m).filter(|&i| co[i] == 1).collect();
            let any_no = (0..m).any(|i| co[i] == 2);
            let published =
                (yes.is_empty() && !any_no) || (yes.len() == 1 && !any_no && co[m] == 0);
            if published {
                Status::Published
            } else if possible[c] == 0.0 {
                Status::KnownZero
            } else {
                Status::Unpublished
            }
        })
        .collect();
    let restrict_detail = rule.detail == StackDetail::GemeenteTotals;
    if m == 0 && !restrict_detail {
        return; // everything is published
    }
    let shape = &t.shape;
    let mut co = Vec::with_capacity(m + 1);
    for cell in 0..t.values.len() {
        co.clear();
        for i in 0..m {
            co.push(shape.coord(cell, 1 + nb + i));
        }
        let k = shape.coord(cell, stack_dim);
        co.push(k);
        let mut s = status_of[small.cell(&co)];
        if s == Status::KnownZero {
            debug_assert_eq!(t.values[cell], 0.0);
        }
        // Detail only for Nederland (depth 0) and gemeenten (depth 1) without breakdown.
        if restrict_detail
            && s == Status::Published
            && is_detail[k as usize]
            && (shape.hierarchy(0).depth(shape.coord(cell, 0)) > 1
                || (1..=nb).any(|j| shape.coord(cell, j) != 0))
        {
            s = Status::Unpublished;
        }
        t.status[cell] = s;
    }
}

/// Applies primary rules, secondary suppression and the attacker check to a stacking table.
/// Refuses (returns [`MicrodataError::Unsafe`]) when the check does not pass.
pub fn protect_stacking(
    mut t: SdcTable,
    year: i32,
    spec: &StackSpec,
    profile: &Profile,
) -> Result<ProtectedTable, MicrodataError> {
    let started = Instant::now();
    t.rounding_base = profile.rounding.base;
    let reqs = primary::frequency(&mut t, profile);
    let outcome = protect(&mut t, &reqs, profile);
    let layout = Layout {
        breakdowns: spec.breakdowns.clone(),
        combinations: spec.combinations.clone(),
    };
    let summary = summarise(
        &t,
        year,
        "stacking",
        &reqs,
        &outcome,
        started.elapsed(),
        |cell| {
            // Finest level: leaf region and breakdowns, all combinations total, and a count
            // that is a leaf of what is published there (`top+` where its detail is not).
            let s = &t.shape;
            let sd = layout.stack_dim();
            let h = s.hierarchy(sd);
            let k = s.coord(cell, sd);
            (0..=spec.breakdowns.len()).all(|j| s.hierarchy(j).is_leaf(s.coord(cell, j)))
                && (0..spec.combinations.len()).all(|i| s.coord(cell, layout.combo_dim(i)) == 0)
                && (h.is_leaf(k)
                    || (k != 0
                        && t.status[s.with(cell, sd, h.children(k)[0])] == Status::Unpublished))
        },
    );
    refuse_unless_passed(&t, &summary)?;
    Ok(ProtectedTable {
        year,
        table: t,
        layout,
        kind: TableKind::Stacking,
        summary,
    })
}

fn refuse_unless_passed(t: &SdcTable, summary: &TableSummary) -> Result<(), MicrodataError> {
    if summary.attack.passed() {
        return Ok(());
    }
    let examples: Vec<String> = summary
        .attack
        .failures
        .iter()
        .take(5)
        .map(|f| {
            let labels: Vec<String> = t
                .shape
                .coords(f.cell)
                .iter()
                .enumerate()
                .map(|(j, &n)| t.shape.hierarchy(j).label(n).to_string())
                .collect();
            format!(
                "cell ({}) could be narrowed to [{} − {}, {} + {}] ({}); it needs {}",
                labels.join(", "),
                t.values[f.cell],
                f.down,
                t.values[f.cell],
                f.up,
                if f.exact {
                    "exact attack"
                } else {
                    "not proven within the LP limit"
                },
                f.required.width.max(f.required.up + f.required.down)
            )
        })
        .collect();
    Err(MicrodataError::Unsafe(format!(
        "the {} table {} failed the attacker check for {} cell(s):\n  {}",
        summary.kind,
        summary.year,
        summary.attack.failures.len(),
        examples.join("\n  ")
    )))
}

fn summarise(
    t: &SdcTable,
    year: i32,
    kind: &str,
    reqs: &[Requirement],
    outcome: &ProtectOutcome,
    time: Duration,
    finest: impl Fn(usize) -> bool,
) -> TableSummary {
    let mut s = TableSummary {
        year,
        kind: kind.into(),
        sdc_time: time,
        attack: outcome.attack.clone(),
        ..Default::default()
    };
    let mut hidden = 0.0;
    let mut total = 0.0;
    for cell in 0..t.values.len() {
        let st = t.status[cell];
        if matches!(
            st,
            Status::Published | Status::Primary(_) | Status::Secondary
        ) {
            s.publishable += 1;
        }
        match st {
            Status::Primary(rule) => *s.primary.entry(rule.label()).or_insert(0) += 1,
            Status::Secondary => s.secondary += 1,
            _ => {}
        }
        if finest(cell) && !matches!(st, Status::Unpublished | Status::KnownZero) {
            total += t.values[cell].abs();
            if st.is_suppressed() {
                hidden += t.values[cell].abs();
            }
        }
    }
    s.hidden_by_rounding = reqs
        .iter()
        .filter(|r| t.status[r.cell] == Status::Published)
        .count();
    s.hidden_share = if total > 0.0 { hidden / total } else { 0.0 };
    s
}

/// Builds, protects and checks the magnitude table (mean of the measure per region ×
/// breakdown cell) of one year. A mean is published only where the stacking table publishes
/// its person count; the magnitude rules of the profile apply on top.
pub fn protect_magnitude(
    counter: &Counter,
    stacking: &ProtectedTable,
    spec: &StackSpec,
    cfg: &ReadConfig,
    profile: &Profile,
) -> Result<ProtectedTable, MicrodataError> {
    let started = Instant::now();
    let measure = spec
        .measure
        .clone()
        .ok_or_else(|| MicrodataError::Invalid("no measure".into()))?;
    let year = stacking.year;
    let (region, leaf_of_block) = region_hierarchy(counter, year)?;
    let mut dims = vec![Dimension {
        name: "region".into(),
        hierarchy: region,
    }];
    for b in &spec.breakdowns {
        let labels = b.labels(cfg);
        let l: Vec<&str> = labels.iter().map(String::as_str).collect();
        dims.push(Dimension {
            name: b.key().into(),
            hierarchy: Hierarchy::flat("total", &l),
        });
    }
    let shape = Shape::new(dims).map_err(MicrodataError::Invalid)?;
    let keep = (profile.magnitude.dominance_n as usize).max(2);
    let mut stats: Vec<MagnitudeStats> = vec![MagnitudeStats::empty(keep); shape.len()];
    let sizes = &counter.layout().sizes;
    let per_region: usize = sizes.iter().product();
    for (b, (y, _)) in counter.blocks.iter().enumerate() {
        if *y != year {
            continue;
        }
        let r = leaf_of_block[&b];
        for i in 0..per_region {
            let mut coords = vec![r; 1 + sizes.len()];
            let mut rest = i;
            for j in (0..sizes.len()).rev() {
                coords[1 + j] = (rest % sizes[j]) as u32 + 1;
                rest /= sizes[j];
            }
            stats[shape.cell(&coords)] = counter.magnitudes[b * per_region + i].clone();
        }
    }
    shape.aggregate_up(&mut stats, MagnitudeStats::empty(keep), |a, x| {
        a.merge(x, keep)
    });
    // The person count of each magnitude cell in the stacking table: same region and
    // breakdowns, every combination total, count total.
    let st = &stacking.table;
    let count_cells: Vec<usize> = (0..shape.len())
        .map(|cell| {
            let mut c = vec![0u32; st.shape.ndims()];
            for (j, slot) in c.iter_mut().enumerate().take(1 + spec.breakdowns.len()) {
                *slot = shape.coord(cell, j);
            }
            st.shape.cell(&c)
        })
        .collect();
    let values: Vec<f64> = stats.iter().map(|s| s.sum).collect();
    let mut t = SdcTable::new(shape, values);
    t.floor = Some(stats.iter().map(|s| s.negative_sum).collect());
    let mut reqs = Vec::new();
    let mut counts = Vec::with_capacity(t.values.len());
    let mut n = Vec::with_capacity(t.values.len());
    for (cell, s) in stats.iter().enumerate() {
        let cc = count_cells[cell];
        counts.push(st.published_value(cc));
        n.push(s.n);
        if s.n == 0 {
            continue;
        }
        if let Some((rule, need)) = primary::magnitude(s, profile) {
            t.status[cell] = Status::Primary(rule);
            // Downwards the cell cannot go below its floor, whatever the rule asks.
            let down = need.min((s.sum - s.negative_sum).max(0.0));
            reqs.push(Requirement {
                cell,
                up: need,
                down,
                width: need.max(1.0),
            });
        } else if st.status[cc] != Status::Published {
            t.status[cell] = Status::Primary(PrimaryRule::LinkedCount);
            reqs.push(Requirement {
                cell,
                up: 0.0,
                down: 0.0,
                width: 1.0,
            });
        }
    }
    let outcome = protect(&mut t, &reqs, profile);
    let nb = spec.breakdowns.len();
    let summary = summarise(
        &t,
        year,
        &format!("mean {measure}"),
        &reqs,
        &outcome,
        started.elapsed(),
        |cell| (0..=nb).all(|j| t.shape.hierarchy(j).is_leaf(t.shape.coord(cell, j))),
    );
    refuse_unless_passed(&t, &summary)?;
    let layout = Layout {
        breakdowns: spec.breakdowns.clone(),
        combinations: Vec::new(),
    };
    Ok(ProtectedTable {
        year,
        table: t,
        layout,
        kind: TableKind::Magnitude { measure, counts, n },
        summary,
    })
}

/// One row of the long CSV that `kwm ingest` loads.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputRow {
    /// Region code (`NL01`, `GM0363`, …).
    pub region: String,
    /// Year.
    pub period: i32,
    /// Indicator id.
    pub indicator: String,
    /// Published value; `None` = suppressed (written as an empty cell).
    pub value: Option<f64>,
    /// Published number of persons of the cell; `None` when that is suppressed.
    pub n: Option<f64>,
    /// `age_class=25-44;ses_class=low`; empty for the total.
    pub breakdown: String,
}

impl ProtectedTable {
    /// The year.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// Every written cell as a row; suppressed cells have no value. Percentages (when asked)
    /// are computed from published numbers only, so they reveal nothing the counts do not.
    pub fn rows(&self, spec: &StackSpec, profile: &Profile) -> Vec<OutputRow> {
        let t = &self.table;
        let s = &t.shape;
        let nb = self.layout.breakdowns.len();
        let m = self.layout.combinations.len();
        let mut out = Vec::new();
        let mut buf = Vec::new();
        // Iterate region × breakdown positions, then the characteristic cells within.
        let positions = (0..=nb).map(|j| s.hierarchy(j).len()).product::<usize>();
        let per_position = t.values.len() / positions;
        for pos in 0..positions {
            let base = pos * per_position;
            let region = s.hierarchy(0).label(s.coord(base, 0)).to_string();
            buf.clear();
            for j in 1..=nb {
                let node = s.coord(base, j);
                if node != 0 {
                    buf.push(format!(
                        "{}={}",
                        s.dims()[j].name,
                        s.hierarchy(j).label(node)
                    ));
                }
            }
            let breakdown = buf.join(";");
            match &self.kind {
                TableKind::Stacking => {
                    let persons_cell = base; // all combination and count coordinates total
                    let persons = t.published_value(persons_cell);
                    for cell in base..base + per_position {
                        if !matches!(
                            t.status[cell],
                            Status::Published | Status::Primary(_) | Status::Secondary
                        ) {
                            continue;
                        }
                        let k = s.coord(cell, self.layout.stack_dim());
                        let combo = (0..m).find(|&i| s.coord(cell, self.layout.combo_dim(i)) == 1);
                        let suffix = match combo {
                            Some(i) => self.layout.combinations[i].indicator_suffix(),
                            None if k == 0 => "persons".to_string(),
                            None => {
                                format!("stack_{}", s.hierarchy(self.layout.stack_dim()).label(k))
                            }
                        };
                        let value = t.published_value(cell);
                        out.push(OutputRow {
                            region: region.clone(),
                            period: self.year,
                            indicator: format!("{}{}", spec.prefix, suffix),
                            value,
                            n: persons,
                            breakdown: breakdown.clone(),
                        });
                        if spec.percentages && cell != persons_cell {
                            // Judged on the *published* number of persons: gating on the
                            // true one would tell a reader on which side of the threshold a
                            // rounded count lies.
                            let denominator_ok = persons
                                .is_some_and(|p| p >= profile.percentages.min_denominator as f64);
                            let pct = match (value, persons) {
                                (Some(v), Some(p)) if p > 0.0 && denominator_ok => {
                                    Some((1000.0 * v / p).round() / 10.0)
                                }
                                _ => None,
                            };
                            out.push(OutputRow {
                                region: region.clone(),
                                period: self.year,
                                indicator: format!("{}{}_pct", spec.prefix, suffix),
                                value: pct,
                                n: persons,
                                breakdown: breakdown.clone(),
                            });
                        }
                    }
                }
                TableKind::Magnitude { measure, counts, n } => {
                    let cell = base;
                    // A row for every cell, with or without a value: whether a row exists must
                    // not depend on the true count (a missing row would reveal a suppressed 0).
                    // A published count above zero implies persons in the cell (n > 0).
                    let mean = match (t.status[cell], counts[cell]) {
                        (Status::Published, Some(c)) if c > 0.0 && n[cell] > 0 => {
                            Some((t.values[cell] / n[cell] as f64 * 100.0).round() / 100.0)
                        }
                        _ => None,
                    };
                    out.push(OutputRow {
                        region,
                        period: self.year,
                        indicator: format!("{}mean_{}", spec.prefix, measure.to_ascii_lowercase()),
                        value: mean,
                        n: counts[cell],
                        breakdown,
                    });
                }
            }
        }
        out
    }

    /// The protected table (for inspection and tests).
    pub fn table(&self) -> &SdcTable {
        &self.table
    }
}
