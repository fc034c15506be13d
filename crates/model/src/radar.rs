//! The findability radar of the catalogue (`radar.toml`): which kinds of support are measured,
//! by which indicators, which need indicators set the expected use, and the radar's parameters.
//!
//! Errors name the file, the line and the field: an unknown indicator or characteristic, a
//! support measured both as a rate and as a count, a need list that is empty, an unknown or
//! repeated level, parameters out of range.
//!
//! A support may restrict itself to some levels (`levels`) and may model need differently at a
//! level (`[[support.at]]`): sources differ per level (the KWB map per gemeente publishes the
//! share aged 65+, the wijk tables its count), so one need list cannot serve every level.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::catalogue::{CatalogueError, CatalogueFile, CatalogueIndicator};
use crate::diag::{check_id, known_indicator, Ctx};
use crate::risk::RiskModel;
use crate::{Direction, IndicatorId, Level};

/// Parameters of the radar.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RadarParams {
    /// Areas with fewer residents are left out.
    pub min_population: f64,
    /// Fewer areas with every figure: no model.
    pub min_regions: usize,
    /// Two-sided prediction interval (0.90).
    pub interval: f64,
    /// High need where the risk model has results: stacking count at least this…
    pub min_stacking: usize,
    /// …and a need score (mean percentile of the support's need indicators) at least this.
    pub min_need_score: f64,
    /// High need where it has none: mean need percentile at least this (0–100).
    pub need_percentile: f64,
}

impl Default for RadarParams {
    fn default() -> Self {
        RadarParams {
            min_population: 1000.0,
            min_regions: 20,
            interval: 0.90,
            min_stacking: 1,
            min_need_score: 50.0,
            need_percentile: 75.0,
        }
    }
}

/// How a support's use is measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UseMeasure {
    /// A published rate indicator.
    Rate {
        /// The rate.
        rate: IndicatorId,
    },
    /// A count per a denominator, times a scale.
    Count {
        /// The count (`kwb_wmo_clienten`).
        count: IndicatorId,
        /// The denominator (`kwb_aantal_inwoners`).
        per: IndicatorId,
        /// The multiplier (1000 for "per 1,000").
        scale: f64,
    },
}

/// One need indicator of a support: an indicator, or a share `100 × indicator / per`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NeedTerm {
    /// The indicator (the numerator when `per` is set).
    pub indicator: IndicatorId,
    /// The denominator of a share.
    pub per: Option<IndicatorId>,
    /// The risk characteristic it measures, if any.
    pub characteristic: Option<String>,
    /// Which way is more need (`HigherIsWorse` for shares).
    pub direction: Direction,
}

/// One kind of support whose use the radar compares with need.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Support {
    /// Stable id (`wmo`).
    pub id: String,
    /// Dutch label.
    pub label_nl: String,
    /// English label.
    pub label_en: String,
    /// How use is measured.
    pub measure: UseMeasure,
    /// The count shown beside a published rate (optional).
    pub count: Option<IndicatorId>,
    /// Unit of the rate, Dutch.
    pub unit_nl: String,
    /// Unit of the rate, English.
    pub unit_en: String,
    /// Need indicators the expected use is modelled on; they make up the need score.
    pub need: Vec<NeedTerm>,
    /// Control variables: in the model, not in the need score (figures that shape use without
    /// being need). Their direction is not used.
    pub controls: Vec<NeedTerm>,
    /// Why these, in Dutch.
    pub note_nl: String,
    /// Why these, in English.
    pub note_en: String,
    /// Levels the support is computed at; empty = every level with its figures.
    pub levels: Vec<Level>,
    /// Need lists for particular levels, replacing `need` and `controls` there.
    pub by_level: Vec<LevelTerms>,
}

/// The need indicators and controls of a support at one level (`[[support.at]]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelTerms {
    /// The level.
    pub level: Level,
    /// Need indicators at this level.
    pub need: Vec<NeedTerm>,
    /// Control variables at this level.
    pub controls: Vec<NeedTerm>,
    /// Why these at this level, Dutch (empty: the support's note only).
    pub note_nl: String,
    /// Why these at this level, English.
    pub note_en: String,
}

impl Support {
    /// Whether the support is computed at a level.
    pub fn applies_at(&self, level: Level) -> bool {
        self.levels.is_empty() || self.levels.contains(&level)
    }

    /// The support as it is modelled at a level: its need list and controls replaced by the
    /// level's own (`[[support.at]]`) where it has them, the level's note appended.
    pub fn at_level(&self, level: Level) -> Support {
        let mut out = self.clone();
        if let Some(t) = self.by_level.iter().find(|t| t.level == level) {
            out.need = t.need.clone();
            out.controls = t.controls.clone();
            if !t.note_nl.is_empty() {
                out.note_nl = format!("{} {}", self.note_nl, t.note_nl);
                out.note_en = format!("{} {}", self.note_en, t.note_en);
            }
        }
        out
    }

    /// Every indicator the support needs loaded: its use figures and its need figures.
    pub fn required_indicators(&self) -> Vec<&IndicatorId> {
        let mut out: Vec<&IndicatorId> = match &self.measure {
            UseMeasure::Rate { rate } => vec![rate],
            UseMeasure::Count { count, per, .. } => vec![count, per],
        };
        for n in self.need.iter().chain(&self.controls) {
            out.push(&n.indicator);
            out.extend(n.per.iter());
        }
        let mut seen = HashSet::new();
        out.retain(|i| seen.insert(*i));
        out
    }
}

/// The radar part of the catalogue.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct RadarSpec {
    /// Parameters.
    pub params: RadarParams,
    /// Kinds of support, in catalogue order.
    pub supports: Vec<Support>,
}

impl RadarSpec {
    /// A support by id.
    pub fn support(&self, id: &str) -> Option<&Support> {
        self.supports.iter().find(|s| s.id == id)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRadarFile {
    #[serde(default)]
    radar: Option<RawParams>,
    #[serde(default)]
    support: Vec<RawSupport>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParams {
    min_population: Option<Spanned<f64>>,
    min_regions: Option<Spanned<i64>>,
    interval: Option<Spanned<f64>>,
    min_stacking: Option<Spanned<i64>>,
    min_need_score: Option<Spanned<f64>>,
    need_percentile: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSupport {
    id: Spanned<String>,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    rate: Option<Spanned<String>>,
    count: Option<Spanned<String>>,
    per: Option<Spanned<String>>,
    scale: Option<Spanned<f64>>,
    #[serde(default)]
    unit_nl: String,
    #[serde(default)]
    unit_en: String,
    need: Spanned<Vec<RawNeed>>,
    #[serde(default)]
    controls: Vec<RawNeed>,
    #[serde(default)]
    note_nl: String,
    #[serde(default)]
    note_en: String,
    #[serde(default)]
    levels: Vec<Spanned<String>>,
    #[serde(default)]
    at: Vec<RawAt>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAt {
    level: Spanned<String>,
    need: Spanned<Vec<RawNeed>>,
    #[serde(default)]
    controls: Vec<RawNeed>,
    #[serde(default)]
    note_nl: String,
    #[serde(default)]
    note_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNeed {
    indicator: Spanned<String>,
    per: Option<Spanned<String>>,
    characteristic: Option<Spanned<String>>,
}

fn or_nl(en: String, nl: &str) -> String {
    if en.is_empty() {
        nl.to_string()
    } else {
        en
    }
}

/// Parses and validates `radar.toml` against the indicators and the risk model.
pub fn parse_radar(
    file: &CatalogueFile,
    indicators: &[CatalogueIndicator],
    risk: &RiskModel,
) -> Result<RadarSpec, CatalogueError> {
    let ctx = Ctx { file };
    let raw: RawRadarFile = ctx.parse()?;
    let mut spec = RadarSpec::default();
    if let Some(p) = raw.radar {
        spec.params = parse_params(&ctx, p)?;
    }
    let mut seen = HashSet::new();
    for s in raw.support {
        check_id(&ctx, &s.id, "support")?;
        if !seen.insert(s.id.get_ref().clone()) {
            return Err(ctx.duplicate(&s.id, "support"));
        }
        let id_of = |raw: &Spanned<String>, field: &str| {
            known_indicator(&ctx, indicators, raw, field).map(|i| i.indicator.id.clone())
        };
        let count = s.count.as_ref().map(|c| id_of(c, "count")).transpose()?;
        let measure = match (&s.rate, &s.per) {
            (Some(rate), None) => {
                if let Some(scale) = &s.scale {
                    return Err(ctx.err(
                        scale.span().start,
                        "scale",
                        "a published rate has its own scale; scale goes with count and per",
                    ));
                }
                UseMeasure::Rate {
                    rate: id_of(rate, "rate")?,
                }
            }
            (None, Some(per)) => {
                let Some(count) = count.clone() else {
                    return Err(ctx.err(
                        per.span().start,
                        "count",
                        "per needs a count: use is count / per × scale",
                    ));
                };
                let scale = s.scale.as_ref().map_or(1000.0, |x| *x.get_ref());
                if scale.is_nan() || scale <= 0.0 {
                    return Err(ctx.err(
                        s.scale.as_ref().map_or(0, |x| x.span().start),
                        "scale",
                        format!("expected a positive multiplier, found {scale}"),
                    ));
                }
                UseMeasure::Count {
                    count,
                    per: id_of(per, "per")?,
                    scale,
                }
            }
            (Some(rate), Some(_)) => {
                return Err(ctx.err(
                    rate.span().start,
                    "rate",
                    "give either rate (a published rate) or count and per, not both",
                ))
            }
            (None, None) => {
                return Err(ctx.err(
                    s.id.span().start,
                    "rate",
                    format!(
                        "support '{}' says nothing about how use is measured: give rate, or count and per",
                        s.id.get_ref()
                    ),
                ))
            }
        };
        let need = parse_need(&ctx, indicators, risk, s.need, "need")?;
        let mut controls = Vec::new();
        for n in s.controls {
            controls.push(parse_term(&ctx, indicators, risk, n, true, "")?);
        }
        let mut levels = Vec::new();
        for l in &s.levels {
            let level = radar_level(&ctx, l, "levels")?;
            if levels.contains(&level) {
                return Err(ctx.err(
                    l.span().start,
                    "levels",
                    format!("level {level} is listed twice"),
                ));
            }
            levels.push(level);
        }
        let mut by_level: Vec<LevelTerms> = Vec::new();
        for a in s.at {
            let level = radar_level(&ctx, &a.level, "at.level")?;
            if by_level.iter().any(|t| t.level == level) {
                return Err(ctx.err(
                    a.level.span().start,
                    "at.level",
                    format!(
                        "support '{}' already has a need list for level {level}",
                        s.id.get_ref()
                    ),
                ));
            }
            if !levels.is_empty() && !levels.contains(&level) {
                return Err(ctx.err(
                    a.level.span().start,
                    "at.level",
                    format!("level {level} is not among the support's levels"),
                ));
            }
            let need = parse_need(&ctx, indicators, risk, a.need, "at.need")?;
            let mut controls = Vec::new();
            for n in a.controls {
                controls.push(parse_term(&ctx, indicators, risk, n, true, "at.")?);
            }
            by_level.push(LevelTerms {
                level,
                need,
                controls,
                note_en: or_nl(a.note_en, &a.note_nl),
                note_nl: a.note_nl,
            });
        }
        spec.supports.push(Support {
            id: s.id.into_inner(),
            label_en: or_nl(s.label_en, &s.label_nl),
            label_nl: s.label_nl,
            measure,
            count,
            unit_en: or_nl(s.unit_en, &s.unit_nl),
            unit_nl: s.unit_nl,
            need,
            controls,
            note_en: or_nl(s.note_en, &s.note_nl),
            note_nl: s.note_nl,
            levels,
            by_level,
        });
    }
    Ok(spec)
}

/// A level of the radar: gemeente, wijk or buurt (the levels it compares).
fn radar_level(ctx: &Ctx<'_>, raw: &Spanned<String>, field: &str) -> Result<Level, CatalogueError> {
    let level: Level = raw
        .get_ref()
        .parse()
        .map_err(|m: String| ctx.err(raw.span().start, field, m))?;
    if !matches!(level, Level::Gemeente | Level::Wijk | Level::Buurt) {
        return Err(ctx.err(
            raw.span().start,
            field,
            format!("the radar compares gemeenten, wijken or buurten, not level {level}"),
        ));
    }
    Ok(level)
}

/// A need list: at least one term, each with a direction.
fn parse_need(
    ctx: &Ctx<'_>,
    indicators: &[CatalogueIndicator],
    risk: &RiskModel,
    raw: Spanned<Vec<RawNeed>>,
    field: &str,
) -> Result<Vec<NeedTerm>, CatalogueError> {
    let span = raw.span().start;
    let raw = raw.into_inner();
    if raw.is_empty() {
        return Err(ctx.err(
            span,
            field,
            "expected at least one need indicator: the expected use is modelled on them",
        ));
    }
    let prefix = field.strip_suffix("need").unwrap_or("");
    raw.into_iter()
        .map(|n| parse_term(ctx, indicators, risk, n, false, prefix))
        .collect()
}

/// One need term or control variable. A need term must say which way is more need; a control's
/// direction is not used (`Neutral` when its indicator says so).
fn parse_term(
    ctx: &Ctx<'_>,
    indicators: &[CatalogueIndicator],
    risk: &RiskModel,
    n: RawNeed,
    control: bool,
    prefix: &str,
) -> Result<NeedTerm, CatalogueError> {
    let field = |f: &str| {
        if control {
            format!("{prefix}controls.{f}")
        } else {
            format!("{prefix}need.{f}")
        }
    };
    let ind = known_indicator(ctx, indicators, &n.indicator, &field("indicator"))?;
    let per = n
        .per
        .as_ref()
        .map(|p| known_indicator(ctx, indicators, p, &field("per")).map(|i| i.indicator.id.clone()))
        .transpose()?;
    // A share of residents is more need when higher; a published rate keeps its own
    // direction, which must say which way is worse.
    let direction = if per.is_some() {
        Direction::HigherIsWorse
    } else {
        match ind.indicator.direction {
            Direction::Neutral if !control => {
                return Err(ctx.err(
                    n.indicator.span().start,
                    &field("indicator"),
                    format!(
                        "indicator '{}' has direction neutral: a need indicator must say which way is more need",
                        ind.indicator.id
                    ),
                ))
            }
            d => d,
        }
    };
    let characteristic = match &n.characteristic {
        None => None,
        Some(c) => {
            if risk.factor(c.get_ref()).is_none() {
                return Err(ctx.err(
                    c.span().start,
                    &field("characteristic"),
                    format!(
                        "unknown characteristic '{}' (not in characteristics.toml)",
                        c.get_ref()
                    ),
                ));
            }
            Some(c.get_ref().clone())
        }
    };
    Ok(NeedTerm {
        indicator: ind.indicator.id.clone(),
        per,
        characteristic,
        direction,
    })
}

fn parse_params(ctx: &Ctx<'_>, p: RawParams) -> Result<RadarParams, CatalogueError> {
    let mut out = RadarParams::default();
    if let Some(v) = p.min_population {
        if v.get_ref().is_nan() || *v.get_ref() < 0.0 {
            return Err(ctx.err(
                v.span().start,
                "radar.min_population",
                format!("expected a number of residents ≥ 0, found {}", v.get_ref()),
            ));
        }
        out.min_population = *v.get_ref();
    }
    if let Some(v) = p.min_regions {
        // A regression with an intercept and a few need indicators needs some room to spare.
        if *v.get_ref() < 8 {
            return Err(ctx.err(
                v.span().start,
                "radar.min_regions",
                format!("expected at least 8 regions, found {}", v.get_ref()),
            ));
        }
        out.min_regions = *v.get_ref() as usize;
    }
    if let Some(v) = p.interval {
        if !(*v.get_ref() > 0.5 && *v.get_ref() < 1.0) {
            return Err(ctx.err(
                v.span().start,
                "radar.interval",
                format!(
                    "expected a two-sided level between 0.5 and 1, found {}",
                    v.get_ref()
                ),
            ));
        }
        out.interval = *v.get_ref();
    }
    if let Some(v) = p.min_stacking {
        if *v.get_ref() < 1 {
            return Err(ctx.err(
                v.span().start,
                "radar.min_stacking",
                format!(
                    "expected at least 1 flagged characteristic, found {}",
                    v.get_ref()
                ),
            ));
        }
        out.min_stacking = *v.get_ref() as usize;
    }
    if let Some(v) = p.min_need_score {
        if !(0.0..=100.0).contains(v.get_ref()) {
            return Err(ctx.err(
                v.span().start,
                "radar.min_need_score",
                format!("expected a percentile from 0 to 100, found {}", v.get_ref()),
            ));
        }
        out.min_need_score = *v.get_ref();
    }
    if let Some(v) = p.need_percentile {
        if !(0.0..=100.0).contains(v.get_ref()) {
            return Err(ctx.err(
                v.span().start,
                "radar.need_percentile",
                format!("expected a percentile from 0 to 100, found {}", v.get_ref()),
            ));
        }
        out.need_percentile = *v.get_ref();
    }
    Ok(out)
}
