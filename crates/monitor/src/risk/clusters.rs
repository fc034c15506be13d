//! Spatial clusters of the risk model's stored results: local Moran's I (LISA) and Getis–Ord
//! G_i* of the stacking count, the composite and every measured characteristic's score, per
//! level and period, on the stored boundaries.
//!
//! They are computed inside [`super::compute()`] and stored with the run, not on request:
//! pages and the API only read stored results; the permutations (999 per region by default)
//! are paid once per run; and a result carries the run's fingerprint, seed and settings, so
//! the same map is reproduced by anyone with the same data. On the demo data all variables of
//! all runs take well under a second.
//!
//! Neighbours are queen contiguity on the boundaries of the run's layout (the map's layout),
//! in RD New metres, with the snapping tolerance of `method.toml` for generalised boundaries.
//! Regions without a value are left out and the weights subset (libpysal's `w_subset`);
//! regions left without a neighbour are islands: reported, never given a statistic.
//! Significance is decided when reading, from the stored pseudo p-values: at `alpha`, or at the
//! Benjamini–Hochberg false-discovery-rate cut-off over the analysed regions.

use std::collections::{BTreeMap, HashMap};

use kwm_engine::spatial::{
    self, Alternative, Contiguity, LocalG, LocalMoran, Neighbours, PermutationOptions,
    SpatialWeights, Transform,
};
use kwm_model::catalogue::Catalogue;
use kwm_model::risk::{ClusterAlternative, ClusterParams};
use kwm_model::{Level, RegionCode};
use kwm_store::{RiskClusterRecord, Store};
use serde::Serialize;

use super::runs::{pick_run, result_periods, run_info, RunInfo};
pub use super::summary::{ClustersSummary, GlobalSummary, VariableSummary};
use crate::layouts::map_layout_for;
use crate::layouts::region_names;
use crate::MonitorError;

/// The variable of the stacking count.
pub const STACKING: &str = "stacking";
/// The variable of the composite score.
pub const COMPOSITE: &str = "composite";
/// The statistics computed.
pub const STATISTICS: [&str; 2] = ["lisa", "gistar"];

/// One variable's values for the run's regions (in the run's region order).
pub(crate) struct Variable {
    pub id: String,
    pub values: Vec<Option<f64>>,
}

fn alternative(a: ClusterAlternative) -> Alternative {
    match a {
        ClusterAlternative::TwoSided => Alternative::TwoSided,
        ClusterAlternative::Directed => Alternative::Directed,
        ClusterAlternative::Folded => Alternative::Folded,
    }
}

/// Computes LISA and G_i* of every variable for the regions of a run.
pub(crate) fn compute(
    store: &dyn Store,
    settings: &ClusterParams,
    level: Level,
    layout: Option<i32>,
    codes: &[RegionCode],
    variables: &[Variable],
) -> Result<(ClustersSummary, Vec<RiskClusterRecord>), MonitorError> {
    let mut summary = ClustersSummary {
        settings: settings.clone(),
        weights: Contiguity::Queen.as_str().into(),
        boundary_layout: None,
        with_boundary: 0,
        without_boundary: Vec::new(),
        links: 0,
        variables: Vec::new(),
        note: None,
    };
    if settings.permutations == 0 {
        summary.note = Some("switched off (clusters.permutations = 0 in method.toml)".into());
        return Ok((summary, Vec::new()));
    }
    let boundary_layout = match layout {
        Some(l) => map_layout_for(store, level, l)?,
        None => None,
    };
    let Some(boundary_layout) = boundary_layout else {
        summary.note = Some(format!(
            "no boundaries are loaded for level {level}: neighbours cannot be determined"
        ));
        return Ok((summary, Vec::new()));
    };
    summary.boundary_layout = Some(boundary_layout);
    let boundaries = store.boundaries(level, boundary_layout)?;
    let position: HashMap<&RegionCode, usize> =
        codes.iter().enumerate().map(|(i, c)| (c, i)).collect();
    // Only the run's regions take part: boundaries of other codes are not neighbours of anything.
    let sited: Vec<(usize, &geo::MultiPolygon<f64>)> = boundaries
        .iter()
        .filter_map(|b| position.get(&b.code).map(|&i| (i, &b.geometry)))
        .collect();
    // The run's region of each site.
    let shapes: Vec<usize> = sited.iter().map(|(i, _)| *i).collect();
    let mut site_of: Vec<Option<usize>> = vec![None; codes.len()];
    for (s, i) in shapes.iter().enumerate() {
        site_of[*i] = Some(s);
    }
    summary.with_boundary = shapes.len();
    summary.without_boundary = codes
        .iter()
        .zip(&site_of)
        .filter(|(_, s)| s.is_none())
        .map(|(c, _)| c.to_string())
        .collect();
    let all = spatial::contiguity_rd_new(
        sited.iter().map(|(_, g)| *g),
        Contiguity::Queen,
        settings.snap_metres,
    );
    summary.links = all.links() / 2;
    let options = PermutationOptions {
        permutations: settings.permutations,
        seed: settings.seed,
        alternative: alternative(settings.alternative),
        threads: 0,
    };

    let mut records = Vec::new();
    for var in variables {
        let (summary_v, mut recs) =
            one_variable(var, codes, &site_of, &shapes, &all, &options, settings)?;
        summary.variables.push(summary_v);
        records.append(&mut recs);
    }
    Ok((summary, records))
}

#[allow(clippy::too_many_arguments)]
fn one_variable(
    var: &Variable,
    codes: &[RegionCode],
    site_of: &[Option<usize>],
    shapes: &[usize],
    all: &Neighbours,
    options: &PermutationOptions,
    settings: &ClusterParams,
) -> Result<(VariableSummary, Vec<RiskClusterRecord>), MonitorError> {
    let mut summary = VariableSummary {
        variable: var.id.clone(),
        analysed: 0,
        islands: Vec::new(),
        global: None,
        errors: Vec::new(),
    };
    // Sites with a value, in site order.
    let site_values: Vec<Option<f64>> = shapes.iter().map(|&i| var.values[i]).collect();
    let analysed = match spatial::with_values(all, &site_values) {
        Ok(a) => a,
        Err(too_few) => {
            summary.analysed = too_few.with_value;
            summary.errors.push(format!(
                "only {} region(s) with a boundary have a value; at least {} are needed",
                too_few.with_value,
                spatial::MIN_SITES
            ));
            return Ok((summary, Vec::new()));
        }
    };
    summary.analysed = analysed.sites.len();
    let (neighbours, y) = (&analysed.neighbours, &analysed.y);
    summary.islands = analysed
        .islands()
        .iter()
        .map(|&s| codes[shapes[s]].to_string())
        .collect();
    // Position among the analysed sites, per site.
    let rank_of = analysed.positions(shapes.len());
    let weights = SpatialWeights::new(neighbours, Transform::Row);
    let lisa = spatial::local_moran(y, &weights, options)
        .map_err(|e| summary.errors.push(format!("lisa: {e}")))
        .ok();
    let gistar = spatial::getis_ord_local(y, neighbours, Transform::Row, Some(1.0), options)
        .map_err(|e| summary.errors.push(format!("gistar: {e}")))
        .ok();
    summary.global = spatial::global_moran(y, &weights, settings.permutations, settings.seed)
        .ok()
        .map(|g| GlobalSummary {
            i: g.i,
            expected: g.expected,
            p_sim: g.simulated.map(|s| s.p_sim),
        });

    let mut records = Vec::new();
    for (statistic, computed) in [("lisa", lisa.is_some()), ("gistar", gistar.is_some())] {
        if !computed {
            continue;
        }
        for (i, code) in codes.iter().enumerate() {
            let value = var.values[i];
            let mut rec = RiskClusterRecord {
                variable: var.id.clone(),
                statistic: statistic.into(),
                region: code.clone(),
                status: String::new(),
                value,
                stat: None,
                z: None,
                p_sim: None,
                quadrant: None,
            };
            let k = site_of[i].and_then(|s| rank_of[s]);
            rec.status = match (site_of[i], value, k) {
                (None, _, _) => "no_boundary",
                (Some(_), None, _) | (Some(_), Some(_), None) => "no_value",
                (Some(_), Some(_), Some(k)) => {
                    fill(&mut rec, statistic, k, lisa.as_ref(), gistar.as_ref())
                }
            }
            .into();
            records.push(rec);
        }
    }
    Ok((summary, records))
}

/// Fills the statistic of analysed site `k`; returns its status.
fn fill(
    rec: &mut RiskClusterRecord,
    statistic: &str,
    k: usize,
    lisa: Option<&LocalMoran>,
    gistar: Option<&LocalG>,
) -> &'static str {
    if statistic == "lisa" {
        match lisa.and_then(|l| l.sites[k].as_ref()) {
            None => "island",
            Some(site) => {
                rec.stat = Some(site.i);
                rec.z = site.simulated.map(|s| s.z);
                rec.p_sim = site.simulated.map(|s| s.p_sim);
                rec.quadrant = Some(site.quadrant.label().into());
                "ok"
            }
        }
    } else {
        match gistar.and_then(|g| g.sites[k].as_ref()) {
            None => "island",
            Some(site) => {
                rec.stat = Some(site.g);
                rec.z = Some(site.z);
                rec.p_sim = site.simulated.map(|s| s.p_sim);
                "ok"
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading results

/// What a region is, for one variable and statistic, at the chosen significance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// LISA: high value among high neighbours (significant).
    HighHigh,
    /// LISA: low among low.
    LowLow,
    /// LISA: high among low (an outlier).
    HighLow,
    /// LISA: low among high (an outlier).
    LowHigh,
    /// G_i*: significantly high neighbourhood sum.
    HotSpot,
    /// G_i*: significantly low neighbourhood sum.
    ColdSpot,
    /// Analysed, not significant.
    NotSignificant,
    /// No neighbour with a value.
    Island,
    /// No value.
    NoValue,
    /// No boundary in the layout used.
    NoBoundary,
}

impl Category {
    /// Identifier used in the API and as CSS class.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::HighHigh => "high_high",
            Category::LowLow => "low_low",
            Category::HighLow => "high_low",
            Category::LowHigh => "low_high",
            Category::HotSpot => "hot_spot",
            Category::ColdSpot => "cold_spot",
            Category::NotSignificant => "not_significant",
            Category::Island => "island",
            Category::NoValue => "no_value",
            Category::NoBoundary => "no_boundary",
        }
    }

    /// The categories of a statistic, in legend order.
    pub fn of_statistic(statistic: &str) -> Vec<Category> {
        let mut v = if statistic == "lisa" {
            vec![
                Category::HighHigh,
                Category::LowLow,
                Category::HighLow,
                Category::LowHigh,
            ]
        } else {
            vec![Category::HotSpot, Category::ColdSpot]
        };
        v.extend([
            Category::NotSignificant,
            Category::Island,
            Category::NoValue,
            Category::NoBoundary,
        ]);
        v
    }
}

/// One region on the cluster map.
#[derive(Debug, Clone)]
pub struct ClusterRow {
    /// Region.
    pub code: RegionCode,
    /// Name.
    pub name: Option<String>,
    /// The stored statistic.
    pub record: RiskClusterRecord,
    /// Significant at the cut-off.
    pub significant: bool,
    /// What that makes the region.
    pub category: Category,
}

/// The cluster map of a variable and statistic.
#[derive(Debug, Clone)]
pub struct Clusters {
    /// The run.
    pub run: RunInfo,
    /// Level.
    pub level: Level,
    /// Period.
    pub period: i32,
    /// Periods with results at this level.
    pub periods: Vec<i32>,
    /// The variable.
    pub variable: String,
    /// `lisa` or `gistar`.
    pub statistic: String,
    /// Significance level.
    pub alpha: f64,
    /// Whether the false-discovery-rate cut-off is used.
    pub fdr: bool,
    /// The cut-off: a region is significant when its pseudo p-value is below it.
    pub cutoff: f64,
    /// Regions by category.
    pub counts: BTreeMap<Category, usize>,
    /// What was computed (settings, boundaries, per variable).
    pub summary: ClustersSummary,
    /// The variable's summary (islands, global Moran's I, errors).
    pub variable_summary: Option<VariableSummary>,
    /// Rows in code order.
    pub rows: Vec<ClusterRow>,
}

/// The p-value cut-off for a set of pseudo p-values.
fn cutoff(p_values: &[f64], alpha: f64, fdr: bool) -> f64 {
    if fdr && !p_values.is_empty() {
        spatial::fdr_cutoff(p_values, alpha)
    } else {
        alpha
    }
}

fn category(r: &RiskClusterRecord, significant: bool) -> Category {
    match r.status.as_str() {
        "no_boundary" => Category::NoBoundary,
        "no_value" => Category::NoValue,
        "island" => Category::Island,
        _ if !significant => Category::NotSignificant,
        _ if r.statistic == "lisa" => match r.quadrant.as_deref() {
            Some("HH") => Category::HighHigh,
            Some("LL") => Category::LowLow,
            Some("HL") => Category::HighLow,
            _ => Category::LowHigh,
        },
        _ if r.z.is_some_and(|z| z > 0.0) => Category::HotSpot,
        _ => Category::ColdSpot,
    }
}

/// Significance per record of one variable and statistic, with the cut-off used.
fn classify(records: &[RiskClusterRecord], alpha: f64, fdr: bool) -> (f64, Vec<(bool, Category)>) {
    let p: Vec<f64> = records
        .iter()
        .filter(|r| r.status == "ok")
        .filter_map(|r| r.p_sim)
        .collect();
    let cut = cutoff(&p, alpha, fdr);
    let out = records
        .iter()
        .map(|r| {
            let significant = r.status == "ok" && r.p_sim.is_some_and(|p| p < cut);
            (significant, category(r, significant))
        })
        .collect();
    (cut, out)
}

/// The variables with stored clusters of a run, in summary order.
pub fn variables(summary: &ClustersSummary) -> Vec<&str> {
    summary
        .variables
        .iter()
        .map(|v| v.variable.as_str())
        .collect()
}

/// What [`clusters`] is asked for; every field is optional.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClusterQuery<'a> {
    /// Period (default: the latest with results).
    pub period: Option<i32>,
    /// `stacking` (default), `composite` or a characteristic id.
    pub variable: Option<&'a str>,
    /// `lisa` (default) or `gistar`.
    pub statistic: Option<&'a str>,
    /// Significance level (default: the run's setting).
    pub alpha: Option<f64>,
    /// Use the false-discovery-rate cut-off (default: the run's setting).
    pub fdr: Option<bool>,
}

/// The cluster map of `variable` (default: the stacking count) and `statistic` (default LISA)
/// for a level and period (default: the latest); `alpha` and `fdr` default to the settings the
/// run was computed with.
pub fn clusters(
    store: &dyn Store,
    catalogue: &Catalogue,
    level: Level,
    query: &ClusterQuery<'_>,
) -> Result<Clusters, MonitorError> {
    let ClusterQuery {
        period,
        variable,
        statistic,
        alpha,
        fdr,
    } = *query;
    let statistic = statistic.unwrap_or("lisa");
    if !STATISTICS.contains(&statistic) {
        return Err(MonitorError::BadRequest(format!(
            "unknown statistic '{statistic}': expected lisa (local Moran's I) or gistar (Getis-Ord G_i*)"
        )));
    }
    if let Some(a) = alpha {
        if !(a > 0.0 && a < 0.5) {
            return Err(MonitorError::BadRequest(format!(
                "alpha must be above 0 and below 0.5, found {a}"
            )));
        }
    }
    let record = pick_run(store, level, period)?;
    let period = record.period;
    let info = run_info(store, catalogue, record)?;
    let summary = info.summary.clusters.clone().ok_or_else(|| {
        MonitorError::NotFound(format!(
            "the results for {level} in {period} have no clusters (computed before clusters existed); run `kwm compute`"
        ))
    })?;
    let variable = variable.unwrap_or(STACKING).to_string();
    let known = variables(&summary);
    if !known.is_empty() && !known.contains(&variable.as_str()) {
        return Err(MonitorError::NotFound(format!(
            "no clusters of '{variable}' for {level} in {period}; variables: {}",
            known.join(", ")
        )));
    }
    let alpha = alpha.unwrap_or(summary.settings.alpha);
    let fdr = fdr.unwrap_or(summary.settings.fdr);
    let records = store.risk_clusters(level, period, Some(&variable), Some(statistic), None)?;
    let (cut, classes) = classify(&records, alpha, fdr);
    let names = region_names(store, level, info.record.layout)?;
    let mut counts = BTreeMap::new();
    let rows: Vec<ClusterRow> = records
        .into_iter()
        .zip(classes)
        .map(|(record, (significant, category))| {
            *counts.entry(category).or_insert(0) += 1;
            ClusterRow {
                name: names.get(&record.region).cloned().flatten(),
                code: record.region.clone(),
                record,
                significant,
                category,
            }
        })
        .collect();
    Ok(Clusters {
        periods: result_periods(store, level)?,
        variable_summary: summary
            .variables
            .iter()
            .find(|v| v.variable == variable)
            .cloned(),
        run: info,
        level,
        period,
        statistic: statistic.to_string(),
        variable,
        alpha,
        fdr,
        cutoff: cut,
        counts,
        summary,
        rows,
    })
}

/// A significant cluster a region is part of.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Membership {
    /// The variable.
    pub variable: String,
    /// `lisa` or `gistar`.
    pub statistic: String,
    /// High-high, hot spot, …
    pub category: Category,
    /// Pseudo p-value.
    pub p_sim: f64,
}

/// The significant LISA clusters and G_i* spots a region is part of in its level's run for
/// `period` (default: the latest), with the run's own significance settings. Empty when the
/// level has no results or no clusters.
pub fn region_memberships(
    store: &dyn Store,
    code: &RegionCode,
    period: Option<i32>,
) -> Result<(Option<i32>, Vec<Membership>), MonitorError> {
    let level = code.level();
    let Ok(record) = pick_run(store, level, period) else {
        return Ok((None, Vec::new()));
    };
    let summary: Option<ClustersSummary> =
        serde_json::from_str::<super::RunSummary>(&record.summary)
            .ok()
            .and_then(|s| s.clusters);
    let Some(summary) = summary else {
        return Ok((Some(record.period), Vec::new()));
    };
    let mut out = Vec::new();
    // Significance under FDR depends on every region's p-value, so read the variable's whole set.
    for v in &summary.variables {
        for statistic in STATISTICS {
            let records = store.risk_clusters(
                level,
                record.period,
                Some(&v.variable),
                Some(statistic),
                None,
            )?;
            let Some(pos) = records.iter().position(|r| &r.region == code) else {
                continue;
            };
            let (_, classes) = classify(&records, summary.settings.alpha, summary.settings.fdr);
            let (significant, category) = classes[pos];
            if significant {
                out.push(Membership {
                    variable: v.variable.clone(),
                    statistic: statistic.into(),
                    category,
                    p_sim: records[pos].p_sim.unwrap_or(1.0),
                });
            }
        }
    }
    Ok((Some(record.period), out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(
        status: &str,
        p: Option<f64>,
        quadrant: Option<&str>,
        z: Option<f64>,
    ) -> RiskClusterRecord {
        RiskClusterRecord {
            variable: "stacking".into(),
            statistic: if quadrant.is_some() { "lisa" } else { "gistar" }.into(),
            region: RegionCode::parse("GM0363").unwrap(),
            status: status.into(),
            value: Some(1.0),
            stat: Some(0.1),
            z,
            p_sim: p,
            quadrant: quadrant.map(String::from),
        }
    }

    #[test]
    fn significance_at_alpha_or_the_fdr_cut_off() {
        let records = vec![
            rec("ok", Some(0.001), Some("HH"), None),
            rec("ok", Some(0.01), Some("LL"), None),
            rec("ok", Some(0.03), Some("HL"), None),
            rec("ok", Some(0.5), Some("HH"), None),
            rec("island", None, Some("HH"), None),
            rec("no_value", None, Some("HH"), None),
        ];
        let (cut, c) = classify(&records, 0.05, false);
        assert_eq!(cut, 0.05);
        let cats: Vec<Category> = c.iter().map(|x| x.1).collect();
        assert_eq!(
            cats,
            [
                Category::HighHigh,
                Category::LowLow,
                Category::HighLow,
                Category::NotSignificant,
                Category::Island,
                Category::NoValue
            ]
        );
        // esda.fdr([0.001, 0.01, 0.03, 0.5], 0.05) = 3·0.05/4 = 0.0375: the same three pass.
        let (cut, c) = classify(&records, 0.05, true);
        assert!((cut - 0.0375).abs() < 1e-15);
        assert_eq!(c.iter().filter(|x| x.0).count(), 3);
        // At alpha 0.02 FDR: largest k with p_(k) < k·0.02/4 is k = 2 (0.01 < 0.01? no) → k = 1.
        let (cut, c) = classify(&records, 0.02, true);
        assert!((cut - 0.005).abs() < 1e-15);
        assert_eq!(c.iter().filter(|x| x.0).count(), 1);
    }

    #[test]
    fn getis_ord_spots_follow_the_sign_of_z() {
        let records = vec![
            rec("ok", Some(0.001), None, Some(3.0)),
            rec("ok", Some(0.001), None, Some(-3.0)),
        ];
        let (_, c) = classify(&records, 0.05, false);
        assert_eq!((c[0].1, c[1].1), (Category::HotSpot, Category::ColdSpot));
    }
}
