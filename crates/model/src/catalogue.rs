//! The catalogue: the editable, versioned description of what the monitor measures.
//!
//! It lives in plain TOML files (`catalogue/` at the repository root) so that a researcher can
//! change it without code. This module parses and validates the text of those files; reading
//! them from disk is the caller's job. Every validation error names the file, the line and the
//! field.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use serde::Deserialize;
use toml::Spanned;

use crate::warning::WarningRule;
use crate::{Direction, Indicator, IndicatorId};

/// One catalogue file handed in by the caller.
#[derive(Debug, Clone)]
pub struct CatalogueFile {
    /// File name as shown in errors (`indicators.toml`).
    pub name: String,
    /// The file's text.
    pub text: String,
}

/// A validation or syntax error in a catalogue file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueError {
    /// File name.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The field concerned, when there is one.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CatalogueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if let Some(field) = &self.field {
            write!(f, "field '{field}': ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for CatalogueError {}

/// A publisher's data source, possibly published as a different table every year
/// (CBS Kerncijfers wijken en buurten: 83765NED for 2017, 84583NED for 2019, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// Short id, also the prefix of indicator ids registered from this source (`kwb`, `jv`).
    pub id: String,
    /// Dutch title.
    pub title_nl: String,
    /// English title.
    pub title_en: String,
    /// Who publishes it.
    pub publisher: String,
    /// Licence (`CC BY 4.0`).
    pub licence: String,
    /// Where to find it.
    pub url: String,
    /// The population the figures refer to (`16–25 jaar`), empty for all residents.
    pub population: String,
    /// Unit of indicators registered from this source without a catalogue entry (`%`).
    pub unit: String,
    /// Decimals shown for those indicators.
    pub decimals: u8,
    /// The tables, one per period.
    pub tables: Vec<SourceTable>,
}

/// One published table of a source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceTable {
    /// StatLine table id, e.g. `85984NED`.
    pub table: String,
    /// The period its figures describe.
    pub period: i32,
    /// The region layout (indeling) year; the period when not given.
    pub layout: i32,
}

/// An indicator described in the catalogue, with where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogueIndicator {
    /// The indicator itself.
    pub indicator: Indicator,
    /// The source id it is read from.
    pub source_id: String,
    /// StatLine key stems (the key without its numeric suffix) that hold it.
    pub keys: Vec<String>,
    /// The population it refers to.
    pub population: String,
    /// Column labels in StatLine "met labels" downloads (`Bevolking/Aantal inwoners (aantal)`),
    /// compared after keeping only letters and digits, so R-mangled headers
    /// (`Bevolking.Aantal.inwoners..aantal.`) match too.
    pub labels: Vec<String>,
    /// How this indicator relates to counts: a rate is numerator / denominator × scale.
    pub relation: Option<Relation>,
}

/// A rate's relation to counts, so that it can be recomputed after regions are merged
/// instead of averaging percentages.
#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    /// The count above the line, when published (`kwb_wmo_clienten`). Without it, merged
    /// values are a mean weighted by the denominator, marked as such.
    pub numerator: Option<IndicatorId>,
    /// The count below the line (`kwb_aantal_inwoners`, `kwb_huishoudens_totaal`).
    pub denominator: IndicatorId,
    /// The multiplier: 100 for a percentage, 1000 for "per 1,000".
    pub scale: f64,
}

/// The whole catalogue.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Catalogue {
    /// Version string, recorded with every computed result.
    pub version: String,
    /// Data sources.
    pub sources: Vec<Source>,
    /// Described indicators.
    pub indicators: Vec<CatalogueIndicator>,
    /// The risk model: characteristics, protective factors, themes, matrix, groups, method.
    pub risk: crate::risk::RiskModel,
    /// The early-warning rule (`warnings.toml`; defaults without signals when absent).
    pub warning_rule: WarningRule,
    /// Named lists of target areas (`region_sets.toml`).
    pub region_sets: Vec<crate::agenda::RegionSet>,
    /// The findability radar (`radar.toml`; empty when absent).
    pub radar: crate::radar::RadarSpec,
    /// The policy agenda (`agenda.toml`; empty when absent).
    pub agenda: crate::agenda::Agenda,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    version: String,
    #[allow(dead_code)]
    #[serde(default)]
    title: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSources {
    #[serde(default)]
    source: Vec<Spanned<RawSource>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    id: String,
    title_nl: String,
    #[serde(default)]
    title_en: String,
    publisher: String,
    licence: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    population: String,
    #[serde(default)]
    unit: String,
    #[serde(default = "default_decimals")]
    decimals: u8,
    #[serde(default)]
    tables: Vec<RawTable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    table: String,
    period: i32,
    layout: Option<i32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicators {
    #[serde(default)]
    indicator: Vec<Spanned<RawIndicator>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    id: Spanned<String>,
    source: Spanned<String>,
    #[serde(default)]
    keys: Vec<String>,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    unit: String,
    direction: Option<Spanned<String>>,
    #[serde(default = "default_decimals")]
    decimals: u8,
    #[serde(default)]
    additive: bool,
    #[serde(default)]
    population: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    labels: Vec<String>,
    numerator: Option<Spanned<String>>,
    denominator: Option<Spanned<String>>,
    scale: Option<Spanned<f64>>,
}

fn default_decimals() -> u8 {
    1
}

/// Converts a byte offset into a 1-based (line, column).
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

struct FileCtx<'a> {
    file: &'a CatalogueFile,
}

impl FileCtx<'_> {
    fn err(
        &self,
        offset: usize,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> CatalogueError {
        let (line, column) = line_col(&self.file.text, offset);
        CatalogueError {
            file: self.file.name.clone(),
            line,
            column,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, CatalogueError> {
        toml::from_str(&self.file.text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            self.err(offset, None, e.message().to_string())
        })
    }
}

impl Catalogue {
    /// Parses and validates the catalogue files `catalogue.toml`, `sources.toml`,
    /// `indicators.toml` and the risk model's files (`characteristics.toml`, `themes.toml`,
    /// `groups.toml`, `method.toml`, see [`crate::risk`]), the policy agenda and its region sets
    /// (`agenda.toml`, `region_sets.toml`, see [`crate::agenda`]) and the findability radar
    /// (`radar.toml`, see [`crate::radar`]). Files with other names are ignored
    /// here (later parts of the catalogue read their own files).
    pub fn parse(files: &[CatalogueFile]) -> Result<Catalogue, CatalogueError> {
        let find = |name: &str| files.iter().find(|f| f.name == name);
        let missing = |name: &str| CatalogueError {
            file: name.to_string(),
            line: 0,
            column: 0,
            field: None,
            message: "file missing from the catalogue directory".into(),
        };

        let meta_file = find("catalogue.toml").ok_or_else(|| missing("catalogue.toml"))?;
        let meta: RawMeta = FileCtx { file: meta_file }.parse()?;

        let mut catalogue = Catalogue {
            version: meta.version,
            ..Default::default()
        };

        if let Some(file) = find("sources.toml") {
            let ctx = FileCtx { file };
            let raw: RawSources = ctx.parse()?;
            let mut seen_ids = HashSet::new();
            let mut seen_tables = HashMap::new();
            for spanned in raw.source {
                let start = spanned.span().start;
                let s = spanned.into_inner();
                if !is_source_id(&s.id) {
                    return Err(ctx.err(
                        start,
                        Some("id"),
                        format!(
                            "expected a source id of lower-case letters and digits, found '{}'",
                            s.id
                        ),
                    ));
                }
                if !seen_ids.insert(s.id.clone()) {
                    return Err(ctx.err(
                        start,
                        Some("id"),
                        format!("duplicate source id '{}'", s.id),
                    ));
                }
                let mut tables = Vec::new();
                for t in s.tables {
                    if let Some(prev) = seen_tables.insert(t.table.clone(), s.id.clone()) {
                        return Err(ctx.err(
                            start,
                            Some("tables"),
                            format!("table {} is already listed under source '{prev}'", t.table),
                        ));
                    }
                    tables.push(SourceTable {
                        layout: t.layout.unwrap_or(t.period),
                        table: t.table,
                        period: t.period,
                    });
                }
                catalogue.sources.push(Source {
                    title_en: if s.title_en.is_empty() {
                        s.title_nl.clone()
                    } else {
                        s.title_en
                    },
                    id: s.id,
                    title_nl: s.title_nl,
                    publisher: s.publisher,
                    licence: s.licence,
                    url: s.url,
                    population: s.population,
                    unit: s.unit,
                    decimals: s.decimals,
                    tables,
                });
            }
        }

        if let Some(file) = find("indicators.toml") {
            let ctx = FileCtx { file };
            let raw: RawIndicators = ctx.parse()?;
            let mut seen = HashSet::new();
            let mut seen_keys: BTreeMap<(String, String), String> = BTreeMap::new();
            // Relations name other indicators, which may come later in the file: checked after.
            let mut pending: Vec<PendingRelation> = Vec::new();
            for spanned in raw.indicator {
                let table_start = spanned.span().start;
                let r = spanned.into_inner();
                let id = IndicatorId::new(r.id.get_ref())
                    .map_err(|m| ctx.err(r.id.span().start, Some("id"), m))?;
                if !seen.insert(id.clone()) {
                    return Err(ctx.err(
                        r.id.span().start,
                        Some("id"),
                        format!("duplicate indicator id '{id}'"),
                    ));
                }
                let source = catalogue
                    .sources
                    .iter()
                    .find(|s| &s.id == r.source.get_ref())
                    .ok_or_else(|| {
                        ctx.err(
                            r.source.span().start,
                            Some("source"),
                            format!(
                                "unknown source '{}' (not in sources.toml)",
                                r.source.get_ref()
                            ),
                        )
                    })?;
                let direction = match &r.direction {
                    None => return Err(ctx.err(table_start, Some("direction"), format!(
                        "indicator '{id}' has no direction: expected higher_is_worse, higher_is_better or neutral"))),
                    Some(d) => Direction::parse(d.get_ref()).ok_or_else(|| ctx.err(d.span().start, Some("direction"), format!(
                        "expected higher_is_worse, higher_is_better or neutral, found '{}'", d.get_ref())))?,
                };
                for key in &r.keys {
                    if let Some(other) =
                        seen_keys.insert((source.id.clone(), key.clone()), id.to_string())
                    {
                        return Err(ctx.err(table_start, Some("keys"), format!(
                            "key '{key}' of source '{}' is already mapped to indicator '{other}'", source.id)));
                    }
                }
                if r.numerator.is_some() || r.denominator.is_some() || r.scale.is_some() {
                    pending.push(PendingRelation {
                        index: catalogue.indicators.len(),
                        table_start,
                        numerator: r.numerator.clone(),
                        denominator: r.denominator.clone(),
                        scale: r.scale.clone(),
                    });
                }
                catalogue.indicators.push(CatalogueIndicator {
                    indicator: Indicator {
                        label_en: if r.label_en.is_empty() {
                            r.label_nl.clone()
                        } else {
                            r.label_en
                        },
                        id,
                        label_nl: r.label_nl,
                        unit: r.unit,
                        direction,
                        source: format!("{} ({})", source.title_nl, source.publisher),
                        decimals: r.decimals,
                        description: r.description,
                        additive: r.additive,
                        curated: true,
                    },
                    source_id: source.id.clone(),
                    keys: r.keys,
                    population: if r.population.is_empty() {
                        source.population.clone()
                    } else {
                        r.population
                    },
                    labels: r.labels,
                    relation: None,
                });
            }
            for p in pending {
                let relation = resolve_relation(&ctx, &catalogue, &p)?;
                catalogue.indicators[p.index].relation = Some(relation);
            }
        }

        if let Some(file) = find("warnings.toml") {
            let rule = WarningRule::parse(file)?;
            for id in &rule.signals {
                let known = catalogue.indicator(id).ok_or_else(|| CatalogueError {
                    file: file.name.clone(),
                    line: signal_line(&file.text, id.as_str()),
                    column: 1,
                    field: Some("indicator".into()),
                    message: format!("signal '{id}' is not an indicator of indicators.toml"),
                })?;
                if known.indicator.direction == Direction::Neutral {
                    return Err(CatalogueError {
                        file: file.name.clone(),
                        line: signal_line(&file.text, id.as_str()),
                        column: 1,
                        field: Some("indicator".into()),
                        message: format!(
                            "signal '{id}' has direction neutral: a signal must be able to worsen"
                        ),
                    });
                }
            }
            catalogue.warning_rule = rule;
        }
        catalogue.risk = crate::risk::RiskModel::parse(files, &catalogue.indicators)?;
        // The agenda refers to region sets, indicators, characteristics and groups: parsed last.
        if let Some(file) = find("region_sets.toml") {
            catalogue.region_sets = crate::agenda::parse_region_sets(file)?;
        }
        if let Some(file) = find("radar.toml") {
            catalogue.radar =
                crate::radar::parse_radar(file, &catalogue.indicators, &catalogue.risk)?;
        }
        if let Some(file) = find("agenda.toml") {
            catalogue.agenda = crate::agenda::parse_agenda(
                file,
                &catalogue.indicators,
                &catalogue.risk,
                &catalogue.region_sets,
            )?;
        }
        Ok(catalogue)
    }

    /// The catalogue indicator whose `labels` match a "met labels" column header, compared on
    /// letters and digits only (so `Bevolking/Aantal inwoners (aantal)` matches the R-mangled
    /// `Bevolking.Aantal.inwoners..aantal.`).
    pub fn indicator_for_label(&self, header: &str) -> Option<&CatalogueIndicator> {
        let wanted = label_key(header);
        if wanted.is_empty() {
            return None;
        }
        self.indicators
            .iter()
            .find(|i| i.labels.iter().any(|l| label_key(l) == wanted))
    }

    /// The source and table entry for a StatLine table id.
    pub fn table(&self, table_id: &str) -> Option<(&Source, &SourceTable)> {
        self.sources.iter().find_map(|s| {
            s.tables
                .iter()
                .find(|t| t.table.eq_ignore_ascii_case(table_id))
                .map(|t| (s, t))
        })
    }

    /// The source with this id.
    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }

    /// The catalogue indicator that a source's key stem maps to.
    pub fn indicator_for_key(&self, source_id: &str, stem: &str) -> Option<&CatalogueIndicator> {
        self.indicators
            .iter()
            .find(|i| i.source_id == source_id && i.keys.iter().any(|k| k == stem))
    }

    /// The catalogue indicator with this id.
    pub fn indicator(&self, id: &IndicatorId) -> Option<&CatalogueIndicator> {
        self.indicators.iter().find(|i| &i.indicator.id == id)
    }
}

/// A column label reduced to lower-case letters and digits: what survives every spelling
/// (StatLine's `/` and `(…)`, R's dots). `²` and other symbols are dropped because R replaces them.
pub fn label_key(label: &str) -> String {
    label
        .chars()
        .filter(|c| c.is_alphabetic() || c.is_ascii_digit())
        .flat_map(char::to_lowercase)
        .collect()
}

struct PendingRelation {
    index: usize,
    table_start: usize,
    numerator: Option<Spanned<String>>,
    denominator: Option<Spanned<String>>,
    scale: Option<Spanned<f64>>,
}

fn resolve_relation(
    ctx: &FileCtx<'_>,
    catalogue: &Catalogue,
    p: &PendingRelation,
) -> Result<Relation, CatalogueError> {
    let this = &catalogue.indicators[p.index].indicator;
    let count = |field: &str, raw: &Spanned<String>| -> Result<IndicatorId, CatalogueError> {
        let id = IndicatorId::new(raw.get_ref())
            .map_err(|m| ctx.err(raw.span().start, Some(field), m))?;
        let other = catalogue.indicator(&id).ok_or_else(|| {
            ctx.err(
                raw.span().start,
                Some(field),
                format!("unknown indicator '{id}' (not in indicators.toml)"),
            )
        })?;
        if !other.indicator.additive {
            return Err(ctx.err(
                raw.span().start,
                Some(field),
                format!("'{id}' is not a count (additive = true): a rate can only be recomputed from counts"),
            ));
        }
        if id == this.id {
            return Err(ctx.err(
                raw.span().start,
                Some(field),
                format!("'{id}' cannot relate to itself"),
            ));
        }
        Ok(id)
    };
    let denominator = match &p.denominator {
        Some(d) => count("denominator", d)?,
        None => {
            return Err(ctx.err(
                p.table_start,
                Some("denominator"),
                format!(
                    "indicator '{}' names a numerator or scale but no denominator",
                    this.id
                ),
            ))
        }
    };
    let numerator = p
        .numerator
        .as_ref()
        .map(|n| count("numerator", n))
        .transpose()?;
    let scale = match &p.scale {
        Some(s) if *s.get_ref() > 0.0 && s.get_ref().is_finite() => *s.get_ref(),
        Some(s) => {
            return Err(ctx.err(
                s.span().start,
                Some("scale"),
                format!(
                    "expected a positive multiplier (100 for %, 1000 for per 1,000), found {}",
                    s.get_ref()
                ),
            ))
        }
        None if this.unit == "%" => 100.0,
        None => {
            return Err(ctx.err(
                p.table_start,
                Some("scale"),
                format!(
                    "indicator '{}' (unit '{}') needs a scale: 100 for %, 1000 for per 1,000",
                    this.id, this.unit
                ),
            ))
        }
    };
    if this.additive {
        return Err(ctx.err(
            p.table_start,
            Some("denominator"),
            format!("indicator '{}' is a count (additive); only rates have a numerator/denominator relation", this.id),
        ));
    }
    Ok(Relation {
        numerator,
        denominator,
        scale,
    })
}

fn signal_line(text: &str, id: &str) -> usize {
    text.lines()
        .position(|l| l.contains(&format!("\"{id}\"")))
        .map_or(1, |i| i + 1)
}

fn is_source_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 16
        && s.as_bytes()[0].is_ascii_lowercase()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(sources: &str, indicators: &str) -> Vec<CatalogueFile> {
        vec![
            CatalogueFile {
                name: "catalogue.toml".into(),
                text: "version = \"t1\"\n".into(),
            },
            CatalogueFile {
                name: "sources.toml".into(),
                text: sources.into(),
            },
            CatalogueFile {
                name: "indicators.toml".into(),
                text: indicators.into(),
            },
        ]
    }

    const SOURCES: &str = r#"
[[source]]
id = "jv"
title_nl = "Gezondheidsmonitor Jongvolwassenen"
publisher = "RIVM"
licence = "CC BY 4.0"
tables = [{ table = "50140NED", period = 2024 }]
"#;

    #[test]
    fn a_valid_catalogue_maps_tables_and_keys() {
        let c = Catalogue::parse(&files(
            SOURCES,
            r#"
[[indicator]]
id = "jv_moeite_met_rondkomen"
source = "jv"
keys = ["MoeiteMetRondkomen"]
label_nl = "Moeite met rondkomen"
unit = "%"
direction = "higher_is_worse"
"#,
        ))
        .unwrap();
        assert_eq!(c.table("50140ned").unwrap().1.period, 2024);
        let i = c.indicator_for_key("jv", "MoeiteMetRondkomen").unwrap();
        assert_eq!(i.indicator.direction, Direction::HigherIsWorse);
        assert_eq!(i.indicator.label_en, "Moeite met rondkomen");
    }

    #[test]
    fn a_missing_direction_names_file_line_and_field() {
        let err = Catalogue::parse(&files(
            SOURCES,
            "\n\n[[indicator]]\nid = \"a\"\nsource = \"jv\"\nlabel_nl = \"A\"\nunit = \"%\"\n",
        ))
        .unwrap_err();
        assert_eq!(err.file, "indicators.toml");
        assert_eq!(err.line, 3);
        assert_eq!(err.field.as_deref(), Some("direction"));
        assert!(err.to_string().starts_with("indicators.toml:3:"), "{err}");
    }

    #[test]
    fn unknown_source_and_duplicate_ids_are_errors() {
        let bad_source = "[[indicator]]\nid = \"a\"\nsource = \"nope\"\nlabel_nl = \"A\"\nunit = \"%\"\ndirection = \"neutral\"\n";
        let err = Catalogue::parse(&files(SOURCES, bad_source)).unwrap_err();
        assert_eq!((err.line, err.field.as_deref()), (3, Some("source")));
        let dup = format!("{0}\n{0}", "[[indicator]]\nid = \"a\"\nsource = \"jv\"\nlabel_nl = \"A\"\nunit = \"%\"\ndirection = \"neutral\"\n");
        let err = Catalogue::parse(&files(SOURCES, &dup)).unwrap_err();
        assert!(err.message.contains("duplicate indicator id"), "{err}");
        assert_eq!(err.line, 9);
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        let err = Catalogue::parse(&files(SOURCES, "[[indicator]\nid=1")).unwrap_err();
        assert_eq!(err.file, "indicators.toml");
        assert_eq!(err.line, 1);
    }
}
