//! `radar.toml`: the findability radar ([`crate::radar::RadarSpec`]), checked against the
//! indicators and the risk model.

use std::collections::HashSet;

use serde::Deserialize;
use toml::Spanned;

use super::diag::{check_id, known_indicator, or_nl, Ctx};
use super::{CatalogueError, CatalogueFile, CatalogueIndicator};
use crate::radar::{LevelTerms, NeedTerm, RadarParams, RadarSpec, Support, UseMeasure};
use crate::risk::RiskModel;
use crate::{Direction, Level};

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

/// Parses and validates `radar.toml` against the indicators and the risk model.
pub(crate) fn parse_radar(
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
