//! The policy agenda of the catalogue (`agenda.toml`) and the region sets it points at
//! (`region_sets.toml`).
//!
//! The agenda is the report's 9 recommendations in 4 tasks, with their lettered sub-points, the
//! running programmes and parties named for each, the groups they address, the indicators and
//! characteristics they should move and the target regions of their effect view; plus the
//! general agenda of the report and the follow-up note's overarching recommendations and table.
//! Parties are organisations, never persons.
//!
//! Every validation error names the file, the line and the field: an unknown programme, party,
//! group, characteristic, indicator or region set, a duplicate id or number, a malformed start
//! month, a wijk code outside its area's gemeente.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{IndicatorId, Level, RegionCode};

/// A text in Dutch and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// Dutch.
    pub nl: String,
    /// English.
    pub en: String,
}

/// How the effect view chooses comparable regions and when it refuses to estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EffectParams {
    /// Regions with fewer residents are neither targets nor comparisons.
    pub min_population: f64,
    /// Fewer target regions with figures: no estimate.
    pub min_targets: usize,
    /// Fewer comparable regions: no estimate.
    pub min_comparisons: usize,
    /// Two-sided confidence level of the interval (0.95).
    pub confidence: f64,
}

impl Default for EffectParams {
    fn default() -> Self {
        EffectParams {
            min_population: 1000.0,
            min_targets: 3,
            min_comparisons: 5,
            confidence: 0.95,
        }
    }
}

/// One of the four tasks (opgaven) of the agenda.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Task {
    /// Stable id.
    pub id: String,
    /// Number (1–4).
    pub number: u32,
    /// The report's chapter.
    pub chapter: u32,
    /// Dutch label.
    pub label_nl: String,
    /// English label.
    pub label_en: String,
    /// Dutch description.
    pub description_nl: String,
    /// English description.
    pub description_en: String,
}

/// A lettered general condition of the agenda (§9 a–e).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    /// Letter.
    pub letter: String,
    /// The condition.
    pub text: Text,
}

/// A running programme named in the sources.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Programme {
    /// Stable id.
    pub id: String,
    /// Dutch name.
    pub label_nl: String,
    /// English name.
    pub label_en: String,
    /// `lokaal`, `nationaal` or `interbestuurlijk`.
    pub scope: String,
    /// Note in Dutch (may be empty).
    pub note_nl: String,
    /// Note in English (may be empty).
    pub note_en: String,
}

/// Scopes a programme may have.
pub const PROGRAMME_SCOPES: [&str; 3] = ["lokaal", "nationaal", "interbestuurlijk"];

/// A party named in the sources: an organisation, ministry, level of government or
/// consultative body — never a person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Party {
    /// Stable id.
    pub id: String,
    /// Dutch name.
    pub label_nl: String,
    /// English name.
    pub label_en: String,
    /// `rijk`, `medeoverheid`, `uitvoering`, `maatschappelijk`, `kennis` or `overleg`.
    pub kind: String,
}

/// Kinds a party may have.
pub const PARTY_KINDS: [&str; 6] = [
    "rijk",
    "medeoverheid",
    "uitvoering",
    "maatschappelijk",
    "kennis",
    "overleg",
];

/// Which way a recommendation should move an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// The indicator should fall.
    Lower,
    /// The indicator should rise.
    Higher,
}

impl Expect {
    /// Identifier used in the catalogue and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Expect::Lower => "lower",
            Expect::Higher => "higher",
        }
    }
}

/// An indicator a recommendation should move.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorLink {
    /// The indicator.
    pub indicator: IndicatorId,
    /// The direction it should move in.
    pub expect: Expect,
}

/// A month, the start of a programme (`2022-07`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct StartMonth {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
}

impl StartMonth {
    /// Parses `YYYY-MM`.
    pub fn parse(s: &str) -> Option<StartMonth> {
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let year: i32 = y.parse().ok()?;
        let month: u32 = m.parse().ok()?;
        ((1900..=2100).contains(&year) && (1..=12).contains(&month))
            .then_some(StartMonth { year, month })
    }

    /// Whether a yearly period lies wholly before the start.
    pub fn is_before(self, period: i32) -> bool {
        period < self.year
    }

    /// Whether a yearly period lies wholly after the start: a later year, or the start year when
    /// the programme started in January. A year the programme started during is neither.
    pub fn is_after(self, period: i32) -> bool {
        period > self.year || (period == self.year && self.month == 1)
    }
}

impl fmt::Display for StartMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for StartMonth {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// A lettered sub-point of a recommendation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// Letter (`a`).
    pub letter: String,
    /// Dutch text.
    pub text_nl: String,
    /// English text.
    pub text_en: String,
}

/// One of the report's recommendations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// Stable id (`bestaanszekerheid`).
    pub id: String,
    /// Number in the report (1–9).
    pub number: u32,
    /// The task it belongs to (id).
    pub task: String,
    /// Dutch label.
    pub label_nl: String,
    /// English label.
    pub label_en: String,
    /// Dutch summary.
    pub summary_nl: String,
    /// English summary.
    pub summary_en: String,
    /// Lettered sub-points.
    pub points: Vec<Point>,
    /// Programmes that carry it (ids).
    pub programmes: Vec<String>,
    /// Parties involved (ids).
    pub parties: Vec<String>,
    /// Groups of `groups.toml` it addresses (ids).
    pub groups: Vec<String>,
    /// Risk characteristics or protective factors it should move (ids).
    pub characteristics: Vec<String>,
    /// Indicators it should move.
    pub indicators: Vec<IndicatorLink>,
    /// The region set its effect view targets (id).
    pub region_set: Option<String>,
    /// When the programme that carries it started.
    pub start: Option<StartMonth>,
    /// What the start is, in Dutch.
    pub start_note_nl: String,
    /// What the start is, in English.
    pub start_note_en: String,
    /// Linked to the findability radar.
    pub radar: bool,
    /// Where in the sources it comes from.
    pub sources: Vec<String>,
    /// Why these links (a judgement), in Dutch.
    pub link_note_nl: String,
    /// Why these links, in English.
    pub link_note_en: String,
}

/// The follow-up note's findings and principles.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct FollowUp {
    /// Date of the note (`2021-12-23`).
    pub date: String,
    /// What was asked, in Dutch.
    pub request_nl: String,
    /// What was asked, in English.
    pub request_en: String,
    /// Findings.
    pub findings: Vec<Text>,
    /// Principles of the follow-up.
    pub principles: Vec<Text>,
}

/// An overarching recommendation of the follow-up note.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overarching {
    /// Number.
    pub number: u32,
    /// Dutch label.
    pub label_nl: String,
    /// English label.
    pub label_en: String,
    /// Its points.
    pub points: Vec<Text>,
    /// Programmes it names (ids).
    pub programmes: Vec<String>,
    /// The report's recommendations it takes up (ids).
    pub recommendations: Vec<String>,
}

/// A row of the follow-up note's table: a top recommendation of a recovery task with the
/// programmes that can carry it and the lead parties.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowUpRow {
    /// The recovery task (herstelopgave) number.
    pub herstelopgave: u32,
    /// Number within the task's top 3.
    pub number: u32,
    /// Dutch label.
    pub label_nl: String,
    /// English label.
    pub label_en: String,
    /// Its points.
    pub points: Vec<Text>,
    /// The report's recommendations it covers (herstelopgave 1 only; ids).
    pub recommendations: Vec<String>,
    /// Programmes (ids).
    pub programmes: Vec<String>,
    /// Parties (ids).
    pub parties: Vec<String>,
    /// The parties in front (ids, among `parties`).
    pub lead: Vec<String>,
    /// Who leads, in Dutch.
    pub lead_note_nl: String,
    /// Who leads, in English.
    pub lead_note_en: String,
}

/// A recovery task of the government programme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Herstelopgave {
    /// Number.
    pub number: u32,
    /// Dutch label.
    pub label_nl: String,
    /// English label.
    pub label_en: String,
}

/// The whole agenda.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Agenda {
    /// Dutch title.
    pub title_nl: String,
    /// English title.
    pub title_en: String,
    /// Sources, in Dutch.
    pub source_nl: String,
    /// Sources, in English.
    pub source_en: String,
    /// Effect-view parameters.
    pub effect: EffectParams,
    /// Tasks, in number order.
    pub tasks: Vec<Task>,
    /// General conditions (§9 a–e).
    pub conditions: Vec<Condition>,
    /// How to anchor the recommendations (§9).
    pub principles: Vec<Text>,
    /// Programmes.
    pub programmes: Vec<Programme>,
    /// Parties.
    pub parties: Vec<Party>,
    /// Recommendations, in number order.
    pub recommendations: Vec<Recommendation>,
    /// The follow-up note.
    pub follow_up: FollowUp,
    /// Recovery tasks of the follow-up table.
    pub herstelopgaven: Vec<Herstelopgave>,
    /// Overarching recommendations of the follow-up note.
    pub overarching: Vec<Overarching>,
    /// Rows of the follow-up table.
    pub follow_up_rows: Vec<FollowUpRow>,
}

impl Agenda {
    /// A recommendation by id.
    pub fn recommendation(&self, id: &str) -> Option<&Recommendation> {
        self.recommendations.iter().find(|r| r.id == id)
    }

    /// A task by id.
    pub fn task(&self, id: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.id == id)
    }

    /// A programme by id.
    pub fn programme(&self, id: &str) -> Option<&Programme> {
        self.programmes.iter().find(|p| p.id == id)
    }

    /// A party by id.
    pub fn party(&self, id: &str) -> Option<&Party> {
        self.parties.iter().find(|p| p.id == id)
    }

    /// The recommendations that address a group, in number order.
    pub fn for_group(&self, group: &str) -> Vec<&Recommendation> {
        self.recommendations
            .iter()
            .filter(|r| r.groups.iter().any(|g| g == group))
            .collect()
    }

    /// The follow-up rows that cover a recommendation.
    pub fn rows_for(&self, recommendation: &str) -> Vec<&FollowUpRow> {
        self.follow_up_rows
            .iter()
            .filter(|r| r.recommendations.iter().any(|x| x == recommendation))
            .collect()
    }

    /// The recommendations a programme carries (from the recommendations themselves).
    pub fn carried_by(&self, programme: &str) -> Vec<&Recommendation> {
        self.recommendations
            .iter()
            .filter(|r| r.programmes.iter().any(|p| p == programme))
            .collect()
    }
}

/// One area of a region set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Area {
    /// The area's name.
    pub name: String,
    /// The gemeente it lies in.
    pub gemeente: RegionCode,
    /// CBS wijk codes that make it up, where known (any layout).
    pub wijken: Vec<RegionCode>,
    /// How it was matched, in Dutch.
    pub note_nl: String,
    /// How it was matched, in English.
    pub note_en: String,
}

/// A named list of target areas.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionSet {
    /// Stable id.
    pub id: String,
    /// Dutch label.
    pub label_nl: String,
    /// English label.
    pub label_en: String,
    /// Dutch description.
    pub description_nl: String,
    /// English description.
    pub description_en: String,
    /// Where the list comes from.
    pub source: String,
    /// Its areas.
    pub areas: Vec<Area>,
}

impl RegionSet {
    /// The codes of the set at a level: its gemeenten, or its known wijken. Other levels have
    /// none (a buurt delimitation is never given).
    pub fn codes_at(&self, level: Level) -> BTreeSet<RegionCode> {
        match level {
            Level::Gemeente => self.areas.iter().map(|a| a.gemeente.clone()).collect(),
            Level::Wijk => self
                .areas
                .iter()
                .flat_map(|a| a.wijken.iter().cloned())
                .collect(),
            _ => BTreeSet::new(),
        }
    }

    /// The area a code belongs to (a gemeente's first area, or the area listing a wijk).
    pub fn area_of(&self, code: &RegionCode) -> Option<&Area> {
        self.areas
            .iter()
            .find(|a| &a.gemeente == code || a.wijken.contains(code))
    }
}
