//! Series over time on one layout, their trend, and early warnings — read from the harmonised
//! figures (`kwm harmonise`), computed by the engine.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kwm_engine::trend::{self, FirstPeriod, Measure, Point, TestSettings, Trend};
use kwm_engine::warning::{self, Assessment, Signal};
use kwm_model::catalogue::Catalogue;
use kwm_model::warning::WarningRule;
use kwm_model::{Direction, Level, RegionCode};
use kwm_store::{HarmonisedRecord, IndicatorRecord, Store};

use crate::layouts::layout_for;
use crate::MonitorError;

/// One value of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesPoint {
    /// Period.
    pub period: i32,
    /// Value.
    pub value: f64,
    /// 95% interval.
    pub lower: Option<f64>,
    /// Upper bound.
    pub upper: Option<f64>,
    /// Count behind the value (denominator of a rate).
    pub n: Option<f64>,
    /// How it was obtained (`published`, `exact`, `recomputed`, `weighted_mean`, `estimated`).
    pub method: String,
    /// For weighted means: by what.
    pub weighted_by: Option<String>,
    /// Layout the figures were published in.
    pub source_layout: i32,
    /// Source regions and shares.
    pub sources: Vec<(RegionCode, f64)>,
}

impl From<&HarmonisedRecord> for SeriesPoint {
    fn from(h: &HarmonisedRecord) -> Self {
        SeriesPoint {
            period: h.period,
            value: h.value,
            lower: h.lower,
            upper: h.upper,
            n: h.n,
            method: h.method.clone(),
            weighted_by: h.weighted_by.clone(),
            source_layout: h.source_layout,
            sources: h.sources.clone(),
        }
    }
}

impl SeriesPoint {
    fn point(&self) -> Point {
        Point {
            period: self.period,
            value: self.value,
            lower: self.lower,
            upper: self.upper,
            n: self.n,
        }
    }
}

/// A region's series of one indicator on one layout.
#[derive(Debug, Clone)]
pub struct Series {
    /// The indicator.
    pub indicator: IndicatorRecord,
    /// Region.
    pub code: RegionCode,
    /// Its name in the layout.
    pub name: Option<String>,
    /// Layout of the series.
    pub layout: i32,
    /// Layouts with harmonised figures for this region and indicator.
    pub layouts: Vec<i32>,
    /// Values, by period.
    pub points: Vec<SeriesPoint>,
    /// National values, by period.
    pub national: Vec<(i32, f64)>,
    /// Kind of quantity (decides the test).
    pub measure: Measure,
    /// Change since the previous period and over the whole series.
    pub trend: Trend,
    /// First period the indicator has figures at this level, and whether that was a new
    /// appearance in its source.
    pub first_period: Option<FirstPeriod>,
    /// Other indicators with a series for this region on this layout.
    pub other_indicators: Vec<String>,
}

/// What kind of quantity an indicator is, for the significance test: a rate when the
/// catalogue relates it to counts (or it is a percentage), a count when it is additive.
pub fn measure_of(catalogue: &Catalogue, indicator: &IndicatorRecord) -> Measure {
    let i = &indicator.indicator;
    if let Some(rel) = catalogue.indicator(&i.id).and_then(|c| c.relation.as_ref()) {
        return Measure::Rate { scale: rel.scale };
    }
    if i.additive {
        Measure::Count
    } else if i.unit == "%" {
        Measure::Rate { scale: 100.0 }
    } else {
        Measure::Other
    }
}

fn test_settings(rule: &WarningRule) -> TestSettings {
    TestSettings {
        alpha: rule.alpha,
        min_expected: rule.min_expected,
    }
}

fn harmonised_targets(store: &dyn Store) -> Result<Vec<i32>, MonitorError> {
    Ok(store
        .harmonisations()?
        .into_iter()
        .map(|h| h.target_layout)
        .collect())
}

/// Just the values of a region's series of several indicators, for sparklines: on the newest
/// harmonised layout that has the region, without trend tests or warnings (a page showing many
/// small series needs only the points; [`series`] gives the assessed one).
pub fn region_points(
    store: &dyn Store,
    code: &RegionCode,
    indicators: &[String],
) -> Result<HashMap<String, Vec<(i32, f64)>>, MonitorError> {
    let mut targets = harmonised_targets(store)?;
    targets.sort_unstable();
    targets.dedup();
    let level = code.level();
    let mut out = HashMap::new();
    for id in indicators {
        for &t in targets.iter().rev() {
            let mut points: Vec<(i32, f64)> = store
                .harmonised(t, id, level)?
                .iter()
                .filter(|r| &r.region == code)
                .map(|r| (r.period, r.value))
                .collect();
            if !points.is_empty() {
                points.sort_by_key(|p| p.0);
                out.insert(id.clone(), points);
                break;
            }
        }
    }
    Ok(out)
}

fn national_series(
    store: &dyn Store,
    target: i32,
    indicator: &str,
) -> Result<Vec<(i32, f64)>, MonitorError> {
    let mut by_period: BTreeMap<i32, f64> = BTreeMap::new();
    for h in store.harmonised(target, indicator, Level::Land)? {
        by_period.entry(h.period).or_insert(h.value);
    }
    Ok(by_period.into_iter().collect())
}

/// The series of one region and indicator. `layout` defaults to the newest harmonised layout
/// holding figures for the region and indicator.
pub fn series(
    store: &dyn Store,
    catalogue: &Catalogue,
    code: &RegionCode,
    indicator_id: &str,
    layout: Option<i32>,
) -> Result<Series, MonitorError> {
    let indicator = store
        .indicator(indicator_id)?
        .ok_or_else(|| MonitorError::NotFound(format!("unknown indicator '{indicator_id}'")))?;
    let targets = harmonised_targets(store)?;
    if targets.is_empty() {
        return Err(MonitorError::NotFound(
            "no harmonised series are stored yet: run `kwm harmonise --db FILE`".into(),
        ));
    }
    if let Some(l) = layout {
        if !targets.contains(&l) {
            return Err(MonitorError::NotFound(format!(
                "no series harmonised onto layout {l} (available: {}); run `kwm harmonise --to {l}`",
                targets.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
            )));
        }
    }
    let level = code.level();
    let mut with_data = Vec::new();
    let mut rows_by_target = BTreeMap::new();
    for &t in &targets {
        let rows = store.harmonised(t, indicator_id, level)?;
        if rows.iter().any(|r| &r.region == code) {
            with_data.push(t);
        }
        rows_by_target.insert(t, rows);
    }
    let layout = match layout {
        Some(l) => l,
        None => *with_data.last().ok_or_else(|| {
            MonitorError::NotFound(format!(
                "region '{code}' has no series of '{indicator_id}' on any harmonised layout"
            ))
        })?,
    };
    let all = &rows_by_target[&layout];
    let points: Vec<SeriesPoint> = all
        .iter()
        .filter(|r| &r.region == code)
        .map(SeriesPoint::from)
        .collect();
    if points.is_empty() {
        return Err(MonitorError::NotFound(format!(
            "region '{code}' has no series of '{indicator_id}' on layout {layout} (layouts with one: {})",
            with_data.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
        )));
    }
    let first_period = Appearances::new(store, level)?
        .first(indicator_id)
        .or_else(|| {
            // Computed indicators have no stored figures; their series starts with the data.
            all.iter()
                .map(|r| r.period)
                .min()
                .map(|period| FirstPeriod { period, new: false })
        });
    let measure = measure_of(catalogue, &indicator);
    let pts: Vec<Point> = points.iter().map(SeriesPoint::point).collect();
    let trend = trend::trend(
        &pts,
        measure,
        first_period,
        &test_settings(&catalogue.warning_rule),
    );
    let name = store
        .region(code, layout)?
        .and_then(|r| r.name)
        .or_else(|| store.region(code, 9999).ok().flatten().and_then(|r| r.name));
    let other_indicators = store.harmonised_indicator_ids(layout, code)?;
    Ok(Series {
        national: national_series(store, layout, indicator_id)?,
        indicator,
        code: code.clone(),
        name,
        layout,
        layouts: with_data,
        points,
        measure,
        trend,
        first_period,
        other_indicators,
    })
}

/// Which indicators have figures at a level in which period, to tell a new appearance from the
/// start of the data.
struct Appearances {
    by_period: Vec<(i32, BTreeSet<String>)>,
    source_of: HashMap<String, String>,
}

impl Appearances {
    fn new(store: &dyn Store, level: Level) -> Result<Appearances, MonitorError> {
        let by_period = store
            .periods(level)?
            .into_iter()
            .map(|p| Ok((p, store.indicator_ids_at(level, p)?.into_iter().collect())))
            .collect::<Result<Vec<_>, MonitorError>>()?;
        let source_of = store
            .indicators()?
            .into_iter()
            .map(|r| (r.indicator.id.to_string(), r.indicator.source))
            .collect();
        Ok(Appearances {
            by_period,
            source_of,
        })
    }

    /// The first period an indicator has figures, and whether it is a new appearance:
    /// another indicator of the same source had figures in an earlier period.
    fn first(&self, id: &str) -> Option<FirstPeriod> {
        let source = self.source_of.get(id)?;
        let mut source_seen = false;
        for (period, ids) in &self.by_period {
            if ids.contains(id) {
                return Some(FirstPeriod {
                    period: *period,
                    new: source_seen,
                });
            }
            source_seen |= ids.iter().any(|i| self.source_of.get(i) == Some(source));
        }
        None
    }
}

/// One region's assessed signals.
#[derive(Debug, Clone)]
pub struct RegionWarning {
    /// Region.
    pub code: RegionCode,
    /// Name.
    pub name: Option<String>,
    /// Assessments, one per signal with a value in the period and one before.
    pub assessments: Vec<(String, Assessment)>,
}

impl RegionWarning {
    /// Signals flagged.
    pub fn flagged(&self) -> usize {
        self.assessments.iter().filter(|(_, a)| a.flagged).count()
    }
}

/// The early warnings of a level in a period.
#[derive(Debug, Clone)]
pub struct Warnings {
    /// Level.
    pub level: Level,
    /// Period assessed.
    pub period: i32,
    /// Layout of the series.
    pub layout: i32,
    /// The rule applied.
    pub rule: WarningRule,
    /// Signals with a series at this level (by id), with the period they are compared with.
    pub signals: Vec<IndicatorRecord>,
    /// Signals of the rule with no earlier period to compare at this level.
    pub not_comparable: Vec<String>,
    /// Signals that appear for the first time in this period (new effects).
    pub new_signals: Vec<String>,
    /// Any indicator with figures at this level for the first time in this period: a new
    /// effect to show as such, never as a change from zero.
    pub new_indicators: Vec<IndicatorRecord>,
    /// Regions with at least one assessed signal; flagged ones first.
    pub regions: Vec<RegionWarning>,
    /// Other (level, period) combinations with assessable signals.
    pub options: Vec<(Level, i32)>,
}

/// Level/period pairs where some signal has a value in the period and in an earlier one, with
/// the layout they are assessed on and how many regions have a signal value in the period.
fn assessable(
    store: &dyn Store,
    catalogue: &Catalogue,
) -> Result<Vec<(Level, i32, i32, usize)>, MonitorError> {
    let targets: BTreeSet<i32> = harmonised_targets(store)?.into_iter().collect();
    let mut out = Vec::new();
    for level in [Level::Gemeente, Level::Wijk, Level::Buurt] {
        for period in store.periods(level)? {
            let Some(layout) = series_layout(store, &targets, level, period)? else {
                continue;
            };
            let mut regions: BTreeSet<RegionCode> = BTreeSet::new();
            for id in &catalogue.warning_rule.signals {
                let rows = store.harmonised(layout, id.as_str(), level)?;
                let periods: BTreeSet<i32> = rows.iter().map(|r| r.period).collect();
                if periods.contains(&period) && periods.iter().any(|&p| p < period) {
                    regions.extend(
                        rows.into_iter()
                            .filter(|r| r.period == period)
                            .map(|r| r.region),
                    );
                }
            }
            if !regions.is_empty() {
                out.push((level, period, layout, regions.len()));
            }
        }
    }
    Ok(out)
}

/// The layout whose series a period is assessed on: the period's own layout when figures were
/// harmonised onto it, else the earliest harmonised layout after it.
fn series_layout(
    store: &dyn Store,
    targets: &BTreeSet<i32>,
    level: Level,
    period: i32,
) -> Result<Option<i32>, MonitorError> {
    let own = layout_for(store, level, period)?.unwrap_or(period);
    Ok(targets.iter().copied().find(|&t| t >= own))
}

/// Early warnings for a level and period (defaults: the latest period with assessable signals,
/// and within it the level with the most assessable regions).
pub fn warnings(
    store: &dyn Store,
    catalogue: &Catalogue,
    level: Option<Level>,
    period: Option<i32>,
) -> Result<Warnings, MonitorError> {
    let rule = catalogue.warning_rule.clone();
    if rule.signals.is_empty() {
        return Err(MonitorError::NotFound(
            "the catalogue lists no signals (warnings.toml)".into(),
        ));
    }
    let options: Vec<(Level, i32, i32, usize)> = assessable(store, catalogue)?;
    let targets: BTreeSet<i32> = harmonised_targets(store)?.into_iter().collect();
    if targets.is_empty() {
        return Err(MonitorError::NotFound(
            "no harmonised series are stored yet: run `kwm harmonise --db FILE`".into(),
        ));
    }
    let (level, period) = match (level, period) {
        (Some(l), Some(p)) => (l, p),
        (Some(l), None) => (
            l,
            options
                .iter()
                .filter(|o| o.0 == l)
                .map(|o| o.1)
                .max()
                .or(store.periods(l)?.last().copied())
                .ok_or_else(|| MonitorError::NotFound(format!("no figures at level {l}")))?,
        ),
        // The latest period, and within it the level where the most regions can be assessed
        // (a level with a single assessable region makes a poor first view).
        (None, p) => options
            .iter()
            .filter(|o| p.is_none_or(|p| o.1 == p))
            .max_by_key(|o| (o.1, o.3, std::cmp::Reverse(o.0)))
            .map(|o| (o.0, o.1))
            .ok_or_else(|| {
                MonitorError::NotFound("no signal has figures in two periods yet".into())
            })?,
    };
    if !store.periods(level)?.contains(&period) {
        return Err(MonitorError::NotFound(format!(
            "no figures at level {level} for {period}"
        )));
    }
    let layout = series_layout(store, &targets, level, period)?.ok_or_else(|| {
        MonitorError::NotFound(format!(
            "no series harmonised onto a layout for {level} {period}"
        ))
    })?;
    let names: HashMap<RegionCode, Option<String>> = store
        .regions(level, layout)?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect();
    let mut signals = Vec::new();
    let mut not_comparable = Vec::new();
    let mut new_signals = Vec::new();
    let mut by_region: BTreeMap<RegionCode, Vec<(String, Assessment)>> = BTreeMap::new();
    for id in &rule.signals {
        let Some(record) = store.indicator(id.as_str())? else {
            continue;
        };
        let rows = store.harmonised(layout, id.as_str(), level)?;
        let periods: BTreeSet<i32> = rows.iter().map(|r| r.period).collect();
        if !periods.contains(&period) {
            continue;
        }
        if !periods.iter().any(|&p| p < period) {
            if periods.first() == Some(&period) {
                new_signals.push(id.to_string());
            }
            not_comparable.push(id.to_string());
            continue;
        }
        let national = national_series(store, layout, id.as_str())?;
        let measure = measure_of(catalogue, &record);
        let direction: Direction = record.indicator.direction;
        let mut per_region: BTreeMap<&RegionCode, Vec<Point>> = BTreeMap::new();
        for r in &rows {
            per_region
                .entry(&r.region)
                .or_default()
                .push(SeriesPoint::from(r).point());
        }
        for (code, points) in per_region {
            let signal = Signal {
                points: &points,
                national: &national,
                direction,
                measure,
            };
            if let Some(a) = warning::assess(&signal, period, &rule) {
                by_region
                    .entry(code.clone())
                    .or_default()
                    .push((id.to_string(), a));
            }
        }
        signals.push(record);
    }
    let mut regions: Vec<RegionWarning> = by_region
        .into_iter()
        .map(|(code, assessments)| RegionWarning {
            name: names.get(&code).cloned().flatten(),
            code,
            assessments,
        })
        .collect();
    regions.sort_by(|a, b| {
        b.flagged()
            .cmp(&a.flagged())
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.code.cmp(&b.code))
    });
    let appearances = Appearances::new(store, level)?;
    let mut new_indicators = Vec::new();
    for id in store.indicator_ids_at(level, period)? {
        if appearances.first(&id) == Some(FirstPeriod { period, new: true }) {
            new_indicators.extend(store.indicator(&id)?);
        }
    }
    Ok(Warnings {
        new_indicators,
        level,
        period,
        layout,
        rule,
        signals,
        not_comparable,
        new_signals,
        regions,
        options: options.into_iter().map(|(l, p, _, _)| (l, p)).collect(),
    })
}

/// The indicator a region's trend page opens with: among the watched signals and population,
/// the one with the longest series for the region (newest harmonised layout first); else any.
pub fn default_series_indicator(
    store: &dyn Store,
    catalogue: &Catalogue,
    code: &RegionCode,
) -> Result<Option<String>, MonitorError> {
    let mut targets = harmonised_targets(store)?;
    targets.reverse();
    for t in targets {
        let ids = store.harmonised_indicator_ids(t, code)?;
        if ids.is_empty() {
            continue;
        }
        let mut best: Option<(usize, String)> = None;
        let candidates = catalogue
            .warning_rule
            .signals
            .iter()
            .map(|s| s.as_str())
            .chain([crate::layouts::POPULATION_INDICATOR]);
        for id in candidates.filter(|c| ids.iter().any(|i| i == c)) {
            let points = store
                .harmonised(t, id, code.level())?
                .iter()
                .filter(|r| &r.region == code)
                .count();
            if best.as_ref().is_none_or(|(n, _)| points > *n) {
                best = Some((points, id.to_string()));
            }
        }
        return Ok(best.map(|(_, id)| id).or_else(|| ids.first().cloned()));
    }
    Ok(None)
}
