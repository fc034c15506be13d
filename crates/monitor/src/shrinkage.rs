//! Small-area shrinkage of an indicator's published figures toward the parent region's figure
//! (`engine::composite::shrink_to_parent`): a wijk with a wide interval is pulled toward its
//! gemeente, a precise one hardly moves. The shrunk value is shown beside the published one,
//! never instead of it.
//!
//! What it needs from the data, per region: a value, its precision — a published interval
//! (`lower`, `upper`, read as a 95% interval) or, for a percentage, the number of respondents
//! `n` (`s = 100·√(p(1 − p)/n)`) — and the parent's value of the same indicator and period.
//! Parents: buurt → wijk → gemeente follow from the codes; a gemeente's parent is the province
//! stored with it. (The GGD region of a gemeente is not in the demo data, so gemeente figures
//! of the Gezondheidsmonitor cannot be shrunk toward their GGD region; the demo figures carry no
//! intervals or respondent counts either.)
//!
//! The between-area variance `τ²` is estimated by the method of moments from the regions that
//! have both: the sample variance of `value − parent value` minus the mean squared standard
//! error, at least 0.

use std::collections::HashMap;

use kwm_engine::composite::{between_area_variance, shrink_to_parent, Shrunk, Z_95};
use kwm_model::{Level, RegionCode};
use kwm_store::{IndicatorRecord, Store};

use crate::layouts::layout_for;
use crate::MonitorError;

/// Where a region's standard error came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// `(upper − lower) / (2 · 1.96)`.
    Interval,
    /// `100·√(p(1 − p)/n)` for a percentage.
    Respondents,
}

impl Precision {
    /// `interval` or `n`.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Interval => "interval",
            Precision::Respondents => "n",
        }
    }
}

/// One region.
#[derive(Debug, Clone)]
pub struct ShrinkageRow {
    /// Region.
    pub code: RegionCode,
    /// Name.
    pub name: Option<String>,
    /// Published value.
    pub value: Option<f64>,
    /// Published interval.
    pub lower: Option<f64>,
    /// Published interval.
    pub upper: Option<f64>,
    /// Respondents behind the value.
    pub n: Option<f64>,
    /// Standard error of the value, and where it came from.
    pub standard_error: Option<(f64, Precision)>,
    /// Parent region.
    pub parent: Option<RegionCode>,
    /// The parent's value.
    pub parent_value: Option<f64>,
    /// The shrunk estimate with its 95% interval; `None` when something it needs is missing.
    pub shrunk: Option<Shrunk>,
}

/// An indicator's figures at a level with their shrunk estimates.
#[derive(Debug, Clone)]
pub struct Shrinkage {
    /// The indicator.
    pub indicator: IndicatorRecord,
    /// Level.
    pub level: Level,
    /// Period.
    pub period: i32,
    /// The between-area variance used.
    pub tau2: Option<f64>,
    /// Regions with value, standard error and parent value (those that are shrunk).
    pub shrunk: usize,
    /// Why nothing could be shrunk, when nothing was.
    pub note: Option<String>,
    /// Regions in code order.
    pub rows: Vec<ShrinkageRow>,
}

/// The standard error of a published figure, when the figure says how precise it is.
fn standard_error(
    value: f64,
    lower: Option<f64>,
    upper: Option<f64>,
    n: Option<f64>,
    percent: bool,
) -> Option<(f64, Precision)> {
    match (lower, upper, n) {
        (Some(lo), Some(hi), _) if hi >= lo => {
            Some(((hi - lo) / (2.0 * Z_95), Precision::Interval))
        }
        (_, _, Some(n)) if percent && n > 0.0 && (0.0..=100.0).contains(&value) => {
            let p = value / 100.0;
            Some((100.0 * (p * (1.0 - p) / n).sqrt(), Precision::Respondents))
        }
        _ => None,
    }
}

/// Shrinks the figures of `indicator` at `level` in `period` (default: the latest) toward
/// their parents' figures.
pub fn shrinkage(
    store: &dyn Store,
    indicator: &str,
    level: Level,
    period: Option<i32>,
) -> Result<Shrinkage, MonitorError> {
    let record = store
        .indicator(indicator)?
        .ok_or_else(|| MonitorError::NotFound(format!("unknown indicator '{indicator}'")))?;
    if !record.levels.contains(&level) {
        return Err(MonitorError::NotFound(format!(
            "indicator '{indicator}' has no figures at level {level}"
        )));
    }
    let period = match period {
        Some(p) => p,
        None => *record.periods.last().ok_or_else(|| {
            MonitorError::NotFound(format!("indicator '{indicator}' has no figures"))
        })?,
    };
    let observations = store.observations(indicator, level, period)?;
    if observations.is_empty() {
        return Err(MonitorError::NotFound(format!(
            "indicator '{indicator}' has no figures for {level} in {period}"
        )));
    }
    let layout = layout_for(store, level, period)?.unwrap_or(period);
    let regions: HashMap<RegionCode, (Option<String>, Option<RegionCode>)> = store
        .regions(level, layout)?
        .into_iter()
        .map(|r| (r.code, (r.name, r.parent)))
        .collect();
    let parent_of = |code: &RegionCode| {
        code.parent()
            .or_else(|| regions.get(code).and_then(|r| r.1.clone()))
    };
    // The parents' figures, per parent level.
    let mut parent_values: HashMap<RegionCode, Option<f64>> = HashMap::new();
    let mut levels_read: Vec<Level> = Vec::new();
    for o in &observations {
        if let Some(p) = parent_of(&o.region) {
            if !levels_read.contains(&p.level()) {
                levels_read.push(p.level());
                for po in store.observations(indicator, p.level(), period)? {
                    parent_values.insert(po.region, po.value);
                }
            }
        }
    }
    let percent = record.indicator.unit.trim() == "%";
    let mut rows: Vec<ShrinkageRow> = observations
        .iter()
        .map(|o| {
            let parent = parent_of(&o.region);
            ShrinkageRow {
                name: regions.get(&o.region).and_then(|r| r.0.clone()),
                value: o.value,
                lower: o.lower,
                upper: o.upper,
                n: o.n,
                standard_error: o
                    .value
                    .and_then(|v| standard_error(v, o.lower, o.upper, o.n, percent)),
                parent_value: parent
                    .as_ref()
                    .and_then(|p| parent_values.get(p).copied().flatten()),
                parent,
                code: o.region.clone(),
                shrunk: None,
            }
        })
        .collect();
    rows.sort_by(|a, b| a.code.cmp(&b.code));
    let usable: Vec<usize> = (0..rows.len())
        .filter(|&i| {
            let r = &rows[i];
            r.value.is_some() && r.standard_error.is_some() && r.parent_value.is_some()
        })
        .collect();
    let (d, s): (Vec<f64>, Vec<f64>) = usable
        .iter()
        .map(|&i| {
            let r = &rows[i];
            (
                r.value.unwrap_or_default() - r.parent_value.unwrap_or_default(),
                r.standard_error.map_or(0.0, |x| x.0),
            )
        })
        .unzip();
    let tau2 = between_area_variance(&d, &s);
    let mut shrunk = 0;
    if let Some(t) = tau2 {
        for &i in &usable {
            let r = &mut rows[i];
            if let (Some(z), Some((se, _)), Some(zp)) = (r.value, r.standard_error, r.parent_value)
            {
                // Undefined only when both the error and τ² are 0: nothing to weigh, left as is.
                if let Ok(x) = shrink_to_parent(z, se, zp, t, Z_95) {
                    r.shrunk = Some(x);
                    shrunk += 1;
                }
            }
        }
    }
    let with_precision = rows.iter().filter(|r| r.standard_error.is_some()).count();
    let with_parent = rows.iter().filter(|r| r.parent_value.is_some()).count();
    let note = (shrunk == 0).then(|| {
        if with_precision == 0 {
            format!(
                "no figure of '{indicator}' at level {level} in {period} carries an interval (lower, upper) or a number of respondents (n), so there is no precision to weigh; load figures that do (long format: region,period,indicator,value,lower,upper,n)"
            )
        } else if with_parent == 0 {
            format!(
                "no {level} has a parent region with a figure of '{indicator}' in {period} (parents: wijk → gemeente and buurt → wijk from the codes, gemeente → province as stored; the GGD region of a gemeente is not in the data)"
            )
        } else {
            "fewer than two regions have both a precision and a parent figure: the between-area variance cannot be estimated".to_string()
        }
    });
    Ok(Shrinkage {
        indicator: record,
        level,
        period,
        tau2,
        shrunk,
        note,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_errors_from_intervals_or_respondents() {
        let (s, from) = standard_error(30.0, Some(26.08), Some(33.92), None, true).unwrap();
        // Width 7.84 of a 95% interval: s = 7.84 / 3.92 = 2 (with z = 1.95996…, just over 2).
        assert!((s - (33.92 - 26.08) / (2.0 * Z_95)).abs() < 1e-12 && (s - 2.0).abs() < 1e-3);
        assert_eq!(from, Precision::Interval);
        // p = 0.2, n = 100: √(0.16/100) = 0.04 → 4 percentage points.
        let (s, from) = standard_error(20.0, None, None, Some(100.0), true).unwrap();
        assert!((s - 4.0).abs() < 1e-12 && from == Precision::Respondents);
        assert!(
            standard_error(20.0, None, None, Some(100.0), false).is_none(),
            "not a percentage"
        );
        assert!(standard_error(20.0, Some(25.0), Some(21.0), None, true).is_none());
    }
}
