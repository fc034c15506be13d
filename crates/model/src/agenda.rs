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

use std::collections::{BTreeSet, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::catalogue::{CatalogueError, CatalogueFile, CatalogueIndicator};
use crate::diag::{check_id, known_indicator, Ctx};
use crate::risk::RiskModel;
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

// ---------------------------------------------------------------------------------------------
// region_sets.toml

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegionSetsFile {
    #[serde(default)]
    region_set: Vec<RawRegionSet>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegionSet {
    id: Spanned<String>,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    description_nl: String,
    #[serde(default)]
    description_en: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    area: Vec<RawArea>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArea {
    name: Spanned<String>,
    gemeente: Spanned<String>,
    #[serde(default)]
    wijken: Vec<Spanned<String>>,
    #[serde(default)]
    note_nl: String,
    #[serde(default)]
    note_en: String,
}

fn or_nl(en: String, nl: &str) -> String {
    if en.is_empty() {
        nl.to_string()
    } else {
        en
    }
}

/// Parses and validates `region_sets.toml`.
pub fn parse_region_sets(file: &CatalogueFile) -> Result<Vec<RegionSet>, CatalogueError> {
    let ctx = Ctx { file };
    let raw: RawRegionSetsFile = ctx.parse()?;
    let mut seen = HashSet::new();
    let mut sets = Vec::new();
    for s in raw.region_set {
        check_id(&ctx, &s.id, "region set")?;
        if !seen.insert(s.id.get_ref().clone()) {
            return Err(ctx.duplicate(&s.id, "region set"));
        }
        let mut areas = Vec::new();
        let mut names = HashSet::new();
        for a in s.area {
            if a.name.get_ref().trim().is_empty() || !names.insert(a.name.get_ref().clone()) {
                return Err(ctx.err(
                    a.name.span().start,
                    "name",
                    format!(
                        "expected a unique, non-empty area name, found '{}'",
                        a.name.get_ref()
                    ),
                ));
            }
            let gemeente = RegionCode::parse(a.gemeente.get_ref())
                .ok()
                .filter(|c| c.level() == Level::Gemeente)
                .ok_or_else(|| {
                    ctx.err(
                        a.gemeente.span().start,
                        "gemeente",
                        format!(
                            "expected a gemeente code like GM0363, found '{}'",
                            a.gemeente.get_ref()
                        ),
                    )
                })?;
            let mut wijken = Vec::new();
            for w in &a.wijken {
                let code = RegionCode::parse(w.get_ref())
                    .ok()
                    .filter(|c| c.level() == Level::Wijk)
                    .ok_or_else(|| {
                        ctx.err(
                            w.span().start,
                            "wijken",
                            format!(
                                "expected a wijk code like WK036300, found '{}'",
                                w.get_ref()
                            ),
                        )
                    })?;
                if code.gemeente().as_ref() != Some(&gemeente) {
                    return Err(ctx.err(
                        w.span().start,
                        "wijken",
                        format!(
                            "wijk {code} does not lie in the area's gemeente {gemeente} (its code says {})",
                            code.gemeente().map(|g| g.to_string()).unwrap_or_default()
                        ),
                    ));
                }
                if wijken.contains(&code) {
                    return Err(ctx.err(
                        w.span().start,
                        "wijken",
                        format!("wijk {code} is listed twice"),
                    ));
                }
                wijken.push(code);
            }
            areas.push(Area {
                name: a.name.into_inner(),
                gemeente,
                wijken,
                note_en: or_nl(a.note_en, &a.note_nl),
                note_nl: a.note_nl,
            });
        }
        sets.push(RegionSet {
            id: s.id.into_inner(),
            label_en: or_nl(s.label_en, &s.label_nl),
            label_nl: s.label_nl,
            description_en: or_nl(s.description_en, &s.description_nl),
            description_nl: s.description_nl,
            source: s.source,
            areas,
        });
    }
    Ok(sets)
}

// ---------------------------------------------------------------------------------------------
// agenda.toml

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgendaFile {
    #[serde(default)]
    agenda: Option<RawAgendaMeta>,
    #[serde(default)]
    effect: Option<RawEffect>,
    #[serde(default)]
    task: Vec<RawTask>,
    #[serde(default)]
    condition: Vec<RawCondition>,
    #[serde(default)]
    principle: Vec<RawPrinciple>,
    #[serde(default)]
    programme: Vec<RawProgramme>,
    #[serde(default)]
    party: Vec<RawParty>,
    #[serde(default)]
    recommendation: Vec<RawRecommendation>,
    #[serde(default)]
    follow_up: Option<RawFollowUp>,
    #[serde(default)]
    herstelopgave: Vec<RawHerstelopgave>,
    #[serde(default)]
    overarching: Vec<RawOverarching>,
    #[serde(default)]
    follow_up_row: Vec<RawFollowUpRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgendaMeta {
    title_nl: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    source_nl: String,
    #[serde(default)]
    source_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEffect {
    min_population: Option<Spanned<f64>>,
    min_targets: Option<Spanned<i64>>,
    min_comparisons: Option<Spanned<i64>>,
    confidence: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTask {
    id: Spanned<String>,
    number: Spanned<u32>,
    chapter: u32,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    description_nl: String,
    #[serde(default)]
    description_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    letter: String,
    text_nl: String,
    #[serde(default)]
    text_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrinciple {
    text_nl: String,
    #[serde(default)]
    text_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProgramme {
    id: Spanned<String>,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    scope: Spanned<String>,
    #[serde(default)]
    note_nl: String,
    #[serde(default)]
    note_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParty {
    id: Spanned<String>,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    kind: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicatorLink {
    indicator: Spanned<String>,
    expect: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPoint {
    letter: Spanned<String>,
    text_nl: String,
    #[serde(default)]
    text_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecommendation {
    id: Spanned<String>,
    number: Spanned<u32>,
    task: Spanned<String>,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    summary_nl: String,
    #[serde(default)]
    summary_en: String,
    #[serde(default)]
    point: Vec<RawPoint>,
    #[serde(default)]
    programmes: Vec<Spanned<String>>,
    #[serde(default)]
    parties: Vec<Spanned<String>>,
    #[serde(default)]
    groups: Vec<Spanned<String>>,
    #[serde(default)]
    characteristics: Vec<Spanned<String>>,
    #[serde(default)]
    indicators: Vec<RawIndicatorLink>,
    region_set: Option<Spanned<String>>,
    start: Option<Spanned<String>>,
    #[serde(default)]
    start_note_nl: String,
    #[serde(default)]
    start_note_en: String,
    #[serde(default)]
    radar: bool,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    link_note_nl: String,
    #[serde(default)]
    link_note_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFollowUp {
    #[serde(default)]
    date: String,
    #[serde(default)]
    request_nl: String,
    #[serde(default)]
    request_en: String,
    #[serde(default)]
    findings: Vec<Text>,
    #[serde(default)]
    principles: Vec<Text>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHerstelopgave {
    number: Spanned<u32>,
    label_nl: String,
    #[serde(default)]
    label_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverarching {
    number: Spanned<u32>,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    points: Vec<Text>,
    #[serde(default)]
    programmes: Vec<Spanned<String>>,
    #[serde(default)]
    recommendations: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFollowUpRow {
    herstelopgave: Spanned<u32>,
    number: Spanned<u32>,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    points: Vec<Text>,
    #[serde(default)]
    recommendations: Vec<Spanned<String>>,
    #[serde(default)]
    programmes: Vec<Spanned<String>>,
    #[serde(default)]
    parties: Vec<Spanned<String>>,
    #[serde(default)]
    lead: Vec<Spanned<String>>,
    #[serde(default)]
    lead_note_nl: String,
    #[serde(default)]
    lead_note_en: String,
}

/// Checks every id of a list against the known ones; returns them as plain strings.
fn known_ids(
    ctx: &Ctx<'_>,
    raw: Vec<Spanned<String>>,
    field: &str,
    what: &str,
    where_: &str,
    known: &dyn Fn(&str) -> bool,
) -> Result<Vec<String>, CatalogueError> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for r in raw {
        if !known(r.get_ref()) {
            return Err(ctx.err(
                r.span().start,
                field,
                format!("unknown {what} '{}' (not in {where_})", r.get_ref()),
            ));
        }
        if out.contains(r.get_ref()) {
            return Err(ctx.err(
                r.span().start,
                field,
                format!("{what} '{}' is listed twice", r.get_ref()),
            ));
        }
        out.push(r.into_inner());
    }
    Ok(out)
}

fn unique_number(
    ctx: &Ctx<'_>,
    seen: &mut HashSet<(u32, u32)>,
    key: (u32, u32),
    span_start: usize,
    what: &str,
) -> Result<(), CatalogueError> {
    if key.1 == 0 || !seen.insert(key) {
        return Err(ctx.err(
            span_start,
            "number",
            format!("expected a unique {what} number from 1, found {}", key.1),
        ));
    }
    Ok(())
}

/// Parses and validates `agenda.toml` against the indicators, the risk model (characteristics,
/// protective factors, groups) and the region sets.
pub fn parse_agenda(
    file: &CatalogueFile,
    indicators: &[CatalogueIndicator],
    risk: &RiskModel,
    region_sets: &[RegionSet],
) -> Result<Agenda, CatalogueError> {
    let ctx = Ctx { file };
    let raw: RawAgendaFile = ctx.parse()?;
    let mut agenda = Agenda::default();
    if let Some(m) = raw.agenda {
        agenda.title_en = or_nl(m.title_en, &m.title_nl);
        agenda.title_nl = m.title_nl;
        agenda.source_en = or_nl(m.source_en, &m.source_nl);
        agenda.source_nl = m.source_nl;
    }
    if let Some(e) = raw.effect {
        agenda.effect = parse_effect(&ctx, e)?;
    }

    let mut numbers = HashSet::new();
    for t in raw.task {
        check_id(&ctx, &t.id, "task")?;
        if agenda.task(t.id.get_ref()).is_some() {
            return Err(ctx.duplicate(&t.id, "task"));
        }
        unique_number(
            &ctx,
            &mut numbers,
            (0, *t.number.get_ref()),
            t.number.span().start,
            "task",
        )?;
        agenda.tasks.push(Task {
            id: t.id.into_inner(),
            number: t.number.into_inner(),
            chapter: t.chapter,
            label_en: or_nl(t.label_en, &t.label_nl),
            label_nl: t.label_nl,
            description_en: or_nl(t.description_en, &t.description_nl),
            description_nl: t.description_nl,
        });
    }
    agenda.tasks.sort_by_key(|t| t.number);
    for c in raw.condition {
        agenda.conditions.push(Condition {
            letter: c.letter,
            text: Text {
                en: or_nl(c.text_en, &c.text_nl),
                nl: c.text_nl,
            },
        });
    }
    for p in raw.principle {
        agenda.principles.push(Text {
            en: or_nl(p.text_en, &p.text_nl),
            nl: p.text_nl,
        });
    }
    for p in raw.programme {
        check_id(&ctx, &p.id, "programme")?;
        if agenda.programme(p.id.get_ref()).is_some() {
            return Err(ctx.duplicate(&p.id, "programme"));
        }
        ctx.one_of(&p.scope, "scope", &PROGRAMME_SCOPES)?;
        agenda.programmes.push(Programme {
            id: p.id.into_inner(),
            label_en: or_nl(p.label_en, &p.label_nl),
            label_nl: p.label_nl,
            scope: p.scope.into_inner(),
            note_en: or_nl(p.note_en, &p.note_nl),
            note_nl: p.note_nl,
        });
    }
    for p in raw.party {
        check_id(&ctx, &p.id, "party")?;
        if agenda.party(p.id.get_ref()).is_some() {
            return Err(ctx.duplicate(&p.id, "party"));
        }
        ctx.one_of(&p.kind, "kind", &PARTY_KINDS)?;
        agenda.parties.push(Party {
            id: p.id.into_inner(),
            label_en: or_nl(p.label_en, &p.label_nl),
            label_nl: p.label_nl,
            kind: p.kind.into_inner(),
        });
    }

    // Sets of known ids, so the checks below do not hold a borrow of the agenda being built.
    let programme_ids: HashSet<String> = agenda.programmes.iter().map(|p| p.id.clone()).collect();
    let party_ids: HashSet<String> = agenda.parties.iter().map(|p| p.id.clone()).collect();
    let task_ids: HashSet<String> = agenda.tasks.iter().map(|t| t.id.clone()).collect();
    let programme_known = |id: &str| programme_ids.contains(id);
    let party_known = |id: &str| party_ids.contains(id);
    let group_known = |id: &str| risk.group(id).is_some();
    let factor_known = |id: &str| risk.factor(id).is_some();
    let task_known = |id: &str| task_ids.contains(id);
    let mut recommendations = Vec::new();
    let mut numbers = HashSet::new();
    let mut ids = HashSet::new();
    for r in raw.recommendation {
        check_id(&ctx, &r.id, "recommendation")?;
        if !ids.insert(r.id.get_ref().clone()) {
            return Err(ctx.duplicate(&r.id, "recommendation"));
        }
        unique_number(
            &ctx,
            &mut numbers,
            (0, *r.number.get_ref()),
            r.number.span().start,
            "recommendation",
        )?;
        if !task_known(r.task.get_ref()) {
            return Err(ctx.err(
                r.task.span().start,
                "task",
                format!("unknown task '{}' (not a [[task]] id)", r.task.get_ref()),
            ));
        }
        let mut points: Vec<Point> = Vec::new();
        for p in r.point {
            let l = p.letter.get_ref();
            let ok = l.len() == 1 && l.as_bytes()[0].is_ascii_lowercase();
            if !ok || points.iter().any(|x| &x.letter == l) {
                return Err(ctx.err(
                    p.letter.span().start,
                    "letter",
                    format!("expected a unique lower-case letter, found '{l}'"),
                ));
            }
            points.push(Point {
                letter: p.letter.into_inner(),
                text_en: or_nl(p.text_en, &p.text_nl),
                text_nl: p.text_nl,
            });
        }
        let mut links: Vec<IndicatorLink> = Vec::new();
        for l in r.indicators {
            let ind = known_indicator(&ctx, indicators, &l.indicator, "indicators")?;
            let expect = match l.expect.get_ref().as_str() {
                "lower" => Expect::Lower,
                "higher" => Expect::Higher,
                other => {
                    return Err(ctx.err(
                        l.expect.span().start,
                        "expect",
                        format!("expected lower or higher, found '{other}'"),
                    ))
                }
            };
            if links.iter().any(|x| x.indicator == ind.indicator.id) {
                return Err(ctx.err(
                    l.indicator.span().start,
                    "indicators",
                    format!("indicator '{}' is listed twice", ind.indicator.id),
                ));
            }
            links.push(IndicatorLink {
                indicator: ind.indicator.id.clone(),
                expect,
            });
        }
        if let Some(s) = &r.region_set {
            if !region_sets.iter().any(|x| &x.id == s.get_ref()) {
                return Err(ctx.err(
                    s.span().start,
                    "region_set",
                    format!(
                        "unknown region set '{}' (not in region_sets.toml)",
                        s.get_ref()
                    ),
                ));
            }
        }
        let start = match &r.start {
            None => None,
            Some(s) => Some(StartMonth::parse(s.get_ref()).ok_or_else(|| {
                ctx.err(
                    s.span().start,
                    "start",
                    format!("expected a month like 2022-07, found '{}'", s.get_ref()),
                )
            })?),
        };
        if r.region_set.is_some() != start.is_some() {
            let at = r
                .region_set
                .as_ref()
                .map(|s| s.span().start)
                .or(r.start.as_ref().map(|s| s.span().start))
                .unwrap_or(r.id.span().start);
            return Err(ctx.err(
                at,
                "start",
                "region_set and start go together: an effect view needs target regions and the month the programme started",
            ));
        }
        recommendations.push(Recommendation {
            programmes: known_ids(
                &ctx,
                r.programmes,
                "programmes",
                "programme",
                "[[programme]]",
                &programme_known,
            )?,
            parties: known_ids(
                &ctx,
                r.parties,
                "parties",
                "party",
                "[[party]]",
                &party_known,
            )?,
            groups: known_ids(
                &ctx,
                r.groups,
                "groups",
                "group",
                "groups.toml",
                &group_known,
            )?,
            characteristics: known_ids(
                &ctx,
                r.characteristics,
                "characteristics",
                "characteristic or protective factor",
                "characteristics.toml",
                &factor_known,
            )?,
            id: r.id.into_inner(),
            number: r.number.into_inner(),
            task: r.task.into_inner(),
            label_en: or_nl(r.label_en, &r.label_nl),
            label_nl: r.label_nl,
            summary_en: or_nl(r.summary_en, &r.summary_nl),
            summary_nl: r.summary_nl,
            points,
            indicators: links,
            region_set: r.region_set.map(Spanned::into_inner),
            start,
            start_note_en: or_nl(r.start_note_en, &r.start_note_nl),
            start_note_nl: r.start_note_nl,
            radar: r.radar,
            sources: r.sources,
            link_note_en: or_nl(r.link_note_en, &r.link_note_nl),
            link_note_nl: r.link_note_nl,
        });
    }
    recommendations.sort_by_key(|r| r.number);
    let recommendation_ids: HashSet<String> =
        recommendations.iter().map(|r| r.id.clone()).collect();
    agenda.recommendations = recommendations;
    let recommendation_known = |id: &str| recommendation_ids.contains(id);

    if let Some(f) = raw.follow_up {
        agenda.follow_up = FollowUp {
            date: f.date,
            request_en: or_nl(f.request_en, &f.request_nl),
            request_nl: f.request_nl,
            findings: f.findings,
            principles: f.principles,
        };
    }
    let mut numbers = HashSet::new();
    for h in raw.herstelopgave {
        unique_number(
            &ctx,
            &mut numbers,
            (0, *h.number.get_ref()),
            h.number.span().start,
            "herstelopgave",
        )?;
        agenda.herstelopgaven.push(Herstelopgave {
            number: h.number.into_inner(),
            label_en: or_nl(h.label_en, &h.label_nl),
            label_nl: h.label_nl,
        });
    }
    let mut overarching = Vec::new();
    let mut numbers = HashSet::new();
    for o in raw.overarching {
        unique_number(
            &ctx,
            &mut numbers,
            (0, *o.number.get_ref()),
            o.number.span().start,
            "overarching recommendation",
        )?;
        overarching.push(Overarching {
            number: o.number.into_inner(),
            label_en: or_nl(o.label_en, &o.label_nl),
            label_nl: o.label_nl,
            points: o.points,
            programmes: known_ids(
                &ctx,
                o.programmes,
                "programmes",
                "programme",
                "[[programme]]",
                &programme_known,
            )?,
            recommendations: known_ids(
                &ctx,
                o.recommendations,
                "recommendations",
                "recommendation",
                "[[recommendation]]",
                &recommendation_known,
            )?,
        });
    }
    let mut rows = Vec::new();
    let mut numbers = HashSet::new();
    for r in raw.follow_up_row {
        let opgave = *r.herstelopgave.get_ref();
        if !agenda.herstelopgaven.iter().any(|h| h.number == opgave) {
            return Err(ctx.err(
                r.herstelopgave.span().start,
                "herstelopgave",
                format!("unknown herstelopgave {opgave} (not a [[herstelopgave]] number)"),
            ));
        }
        unique_number(
            &ctx,
            &mut numbers,
            (opgave, *r.number.get_ref()),
            r.number.span().start,
            "row",
        )?;
        let parties = known_ids(
            &ctx,
            r.parties,
            "parties",
            "party",
            "[[party]]",
            &party_known,
        )?;
        for l in &r.lead {
            if !parties.contains(l.get_ref()) {
                return Err(ctx.err(
                    l.span().start,
                    "lead",
                    format!(
                        "lead party '{}' is not among the row's parties",
                        l.get_ref()
                    ),
                ));
            }
        }
        rows.push(FollowUpRow {
            herstelopgave: opgave,
            number: r.number.into_inner(),
            label_en: or_nl(r.label_en, &r.label_nl),
            label_nl: r.label_nl,
            points: r.points,
            recommendations: known_ids(
                &ctx,
                r.recommendations,
                "recommendations",
                "recommendation",
                "[[recommendation]]",
                &recommendation_known,
            )?,
            programmes: known_ids(
                &ctx,
                r.programmes,
                "programmes",
                "programme",
                "[[programme]]",
                &programme_known,
            )?,
            parties,
            lead: r.lead.into_iter().map(Spanned::into_inner).collect(),
            lead_note_en: or_nl(r.lead_note_en, &r.lead_note_nl),
            lead_note_nl: r.lead_note_nl,
        });
    }
    agenda.overarching = overarching;
    agenda.follow_up_rows = rows;
    Ok(agenda)
}

fn parse_effect(ctx: &Ctx<'_>, e: RawEffect) -> Result<EffectParams, CatalogueError> {
    let mut p = EffectParams::default();
    if let Some(v) = e.min_population {
        if v.get_ref().is_nan() || *v.get_ref() < 0.0 {
            return Err(ctx.err(
                v.span().start,
                "effect.min_population",
                format!("expected a number of residents ≥ 0, found {}", v.get_ref()),
            ));
        }
        p.min_population = *v.get_ref();
    }
    for (v, field, target) in [
        (e.min_targets, "effect.min_targets", &mut p.min_targets),
        (
            e.min_comparisons,
            "effect.min_comparisons",
            &mut p.min_comparisons,
        ),
    ] {
        if let Some(v) = v {
            // Two regions per side is the least a spread (and so an interval) can be taken from.
            if *v.get_ref() < 2 {
                return Err(ctx.err(
                    v.span().start,
                    field,
                    format!("expected at least 2 regions, found {}", v.get_ref()),
                ));
            }
            *target = *v.get_ref() as usize;
        }
    }
    if let Some(v) = e.confidence {
        if !(*v.get_ref() > 0.5 && *v.get_ref() < 1.0) {
            return Err(ctx.err(
                v.span().start,
                "effect.confidence",
                format!(
                    "expected a confidence level between 0.5 and 1, found {}",
                    v.get_ref()
                ),
            ));
        }
        p.confidence = *v.get_ref();
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_months_split_years_into_before_during_and_after() {
        let s = StartMonth::parse("2022-07").unwrap();
        assert!(s.is_before(2021) && !s.is_before(2022));
        // July 2022: the year 2022 is partly exposed, so it is neither before nor after.
        assert!(!s.is_after(2022) && s.is_after(2023));
        let jan = StartMonth::parse("2022-01").unwrap();
        assert!(jan.is_after(2022) && !jan.is_before(2022));
        assert_eq!(s.to_string(), "2022-07");
        for bad in ["2022", "2022-13", "22-07", "2022-7", "abcd-ef"] {
            assert!(StartMonth::parse(bad).is_none(), "{bad}");
        }
    }

    fn file(name: &str, text: &str) -> CatalogueFile {
        CatalogueFile {
            name: name.into(),
            text: text.into(),
        }
    }

    #[test]
    fn region_set_errors_name_line_and_field() {
        let ok = parse_region_sets(&file(
            "region_sets.toml",
            "[[region_set]]\nid = \"s\"\nlabel_nl = \"S\"\n[[region_set.area]]\nname = \"A\"\ngemeente = \"GM0363\"\nwijken = [\"WK036393\"]\n",
        ))
        .unwrap();
        assert_eq!(ok[0].codes_at(Level::Wijk).len(), 1);
        assert_eq!(ok[0].codes_at(Level::Gemeente).len(), 1);
        assert!(ok[0].codes_at(Level::Buurt).is_empty());
        let e = parse_region_sets(&file(
            "region_sets.toml",
            "[[region_set]]\nid = \"s\"\nlabel_nl = \"S\"\n[[region_set.area]]\nname = \"A\"\ngemeente = \"GM0363\"\nwijken = [\"WK059910\"]\n",
        ))
        .unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (7, Some("wijken")));
        assert!(e.message.contains("does not lie in"), "{e}");
        let e = parse_region_sets(&file(
            "region_sets.toml",
            "[[region_set]]\nid = \"s\"\nlabel_nl = \"S\"\n[[region_set.area]]\nname = \"A\"\ngemeente = \"WK036300\"\n",
        ))
        .unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (6, Some("gemeente")));
    }
}
