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

use serde::Serialize;

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
