//! The catalogue: the editable, versioned description of what the monitor measures.
//!
//! It lives in plain TOML files (`catalogue/` at the repository root) so that a researcher can
//! change it without code. This module parses and validates the text of those files; reading
//! them from disk is the caller's job. Every validation error names the file, the line and the
//! field.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::warning::WarningRule;
use crate::{Direction, Indicator, IndicatorId};

mod agenda;
mod characteristics;
mod diag;
mod groups;
mod indicators;
mod method;
mod populations;
mod radar;
mod region_sets;
mod risk_model;
mod similar;
mod sources;
mod themes;
mod warnings;

use diag::Ctx;
pub use diag::{line_col, CatalogueError};

/// One catalogue file handed in by the caller.
#[derive(Debug, Clone)]
pub struct CatalogueFile {
    /// File name as shown in errors (`indicators.toml`).
    pub name: String,
    /// The file's text.
    pub text: String,
}

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
    /// Id of the population the figures describe (`16_25`, see [`Population`]); empty when
    /// the source does not say (then every indicator must).
    pub population: String,
    /// A dimension of the source's tables that says which population a row describes
    /// (`Leeftijd` in RIVM 50090NED: `20300` = 18 and over), when there is one.
    pub population_dimension: Option<PopulationDimension>,
    /// Unit of indicators registered from this source without a catalogue entry (`%`).
    pub unit: String,
    /// Decimals shown for those indicators.
    pub decimals: u8,
    /// The tables, one per period.
    pub tables: Vec<SourceTable>,
    /// Id of the [`Service`] its tables are fetched from (`kwm fetch`); empty when the source
    /// is not fetched (then the catalogue's first service is tried).
    pub service: String,
    /// What a reader must know about every figure of this source (Dutch), e.g. that wijk and
    /// buurt values are model estimates without margins; empty when nothing.
    pub caveat_nl: String,
    /// The same in English.
    pub caveat_en: String,
}

/// A statistics service that publishes tables (`[[service]]` in `sources.toml`), read by
/// `kwm fetch`. Configuration, not code: a mirror or proxy is another root here.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// Short id sources refer to (`cbs`, `dataderden`).
    pub id: String,
    /// OData v3 service root, to which the table id is appended
    /// (`https://opendata.cbs.nl/ODataApi/odata`).
    pub odata_v3: String,
    /// Rows the service returns per request at most (CBS: 10,000); larger tables come in pages.
    pub row_limit: usize,
}

/// Where region boundaries are fetched from (`[[boundaries]]` in `sources.toml`): an OGC API
/// Features `items` request with `{level}` (`gemeente`, `wijk`, `buurt`) and `{year}` (layout
/// year) to fill in, answering GeoJSON in WGS84 (PDOK's CBS gebiedsindelingen, generalised).
#[derive(Debug, Clone, PartialEq)]
pub struct BoundaryService {
    /// Short id (`pdok`).
    pub id: String,
    /// The request template.
    pub items: String,
}

/// A table dimension whose codes are populations: each row describes the population of its code.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationDimension {
    /// The column key (`Leeftijd`).
    pub key: String,
    /// Code in the file → population id (`20300` → `18plus`).
    pub codes: BTreeMap<String, String>,
}

/// Whom a figure describes: all residents, adults (18+), the elderly (65+), young adults
/// (16–25), households, … Every indicator names one, and every view says it.
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    /// Stable id (`18plus`), also the suffix of indicator ids split by a population dimension.
    pub id: String,
    /// Dutch label (`volwassenen (18 jaar en ouder)`).
    pub label_nl: String,
    /// English label.
    pub label_en: String,
    /// Short Dutch form for table cells and map titles (`18+`).
    pub short_nl: String,
    /// Short English form.
    pub short_en: String,
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
    /// Id of the population it describes (see [`Population`]).
    pub population: String,
    /// For an indicator split by its source's population dimension: the code of that dimension
    /// whose rows hold it (`20300`).
    pub population_code: Option<String>,
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
    /// Populations that figures describe (`populations.toml`).
    pub populations: Vec<Population>,
    /// Data sources.
    pub sources: Vec<Source>,
    /// Services tables are fetched from (`[[service]]` in `sources.toml`).
    pub services: Vec<Service>,
    /// Where boundaries are fetched from (`[[boundaries]]` in `sources.toml`).
    pub boundary_services: Vec<BoundaryService>,
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
    /// Which areas count as similar to a region (`similar.toml`; no variables when absent).
    pub similar: crate::similar::SimilarRule,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    version: String,
    #[allow(dead_code)]
    #[serde(default)]
    title: String,
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
        let meta: RawMeta = Ctx { file: meta_file }.parse()?;

        let mut catalogue = Catalogue {
            version: meta.version,
            ..Default::default()
        };

        if let Some(file) = find("populations.toml") {
            populations::parse(file, &mut catalogue)?;
        }

        if let Some(file) = find("sources.toml") {
            sources::parse(file, &mut catalogue)?;
        }

        if let Some(file) = find("indicators.toml") {
            indicators::parse(file, &mut catalogue)?;
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
        if !catalogue.populations.is_empty() {
            // Definitions name a population id; the labels come from populations.toml.
            let file = find("characteristics.toml");
            let factors = catalogue
                .risk
                .characteristics
                .iter_mut()
                .chain(catalogue.risk.protective.iter_mut());
            for factor in factors {
                for d in &mut factor.definitions {
                    let Some(p) = catalogue.populations.iter().find(|p| p.id == d.population)
                    else {
                        let needle = format!("population = \"{}\"", d.population);
                        return Err(CatalogueError {
                            file: "characteristics.toml".into(),
                            line: file.map_or(0, |f| {
                                f.text.lines().position(|l| l.contains(&needle)).map_or(1, |i| i + 1)
                            }),
                            column: 1,
                            field: Some("definition.population".into()),
                            message: format!(
                                "unknown population '{}' in a definition of '{}': expected one of {} (populations.toml)",
                                d.population,
                                factor.id,
                                catalogue.populations.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", ")
                            ),
                        });
                    };
                    d.population_id = Some(p.id.clone());
                    d.population = p.label_nl.clone();
                    d.population_en = p.label_en.clone();
                }
            }
        }
        if let Some(file) = find("similar.toml") {
            catalogue.similar = crate::similar::SimilarRule::parse(file, &catalogue.indicators)?;
        }
        // The agenda refers to region sets, indicators, characteristics and groups: parsed last.
        if let Some(file) = find("region_sets.toml") {
            catalogue.region_sets = region_sets::parse_region_sets(file)?;
        }
        if let Some(file) = find("radar.toml") {
            catalogue.radar = radar::parse_radar(file, &catalogue.indicators, &catalogue.risk)?;
        }
        if let Some(file) = find("agenda.toml") {
            catalogue.agenda = agenda::parse_agenda(
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

    /// The catalogue indicator that a source's key stem maps to (for a source split by a
    /// population dimension: the one that is not split, if any).
    pub fn indicator_for_key(&self, source_id: &str, stem: &str) -> Option<&CatalogueIndicator> {
        self.indicator_for_key_in(source_id, stem, None)
    }

    /// The catalogue indicator that a source's key stem maps to in the rows of one code of the
    /// source's population dimension (`Some("20300")`), or outside any (`None`).
    pub fn indicator_for_key_in(
        &self,
        source_id: &str,
        stem: &str,
        population_code: Option<&str>,
    ) -> Option<&CatalogueIndicator> {
        self.indicators.iter().find(|i| {
            i.source_id == source_id
                && i.population_code.as_deref() == population_code
                && i.keys.iter().any(|k| k == stem)
        })
    }

    /// The source a curated indicator is read from.
    pub fn source_of(&self, indicator: &str) -> Option<&Source> {
        let i = self
            .indicators
            .iter()
            .find(|i| i.indicator.id.as_str() == indicator)?;
        self.source(&i.source_id)
    }

    /// The population with this id.
    pub fn population(&self, id: &str) -> Option<&Population> {
        self.populations.iter().find(|p| p.id == id)
    }

    /// The population an indicator describes: the catalogue's word for a curated one; for one
    /// registered from a file, its source's (from the id's prefix) or the population suffix
    /// the ingest gave it (`…_18plus`).
    pub fn population_of(&self, indicator: &str) -> Option<&Population> {
        if let Some(i) = self
            .indicators
            .iter()
            .find(|i| i.indicator.id.as_str() == indicator)
        {
            return self.population(&i.population);
        }
        if let Some(p) = self
            .populations
            .iter()
            .find(|p| indicator.ends_with(&format!("_{}", p.id)))
        {
            return Some(p);
        }
        let prefix = indicator.split('_').next()?;
        self.source(prefix)
            .and_then(|s| self.population(&s.population))
    }

    /// The catalogue indicator with this id.
    pub fn indicator(&self, id: &IndicatorId) -> Option<&CatalogueIndicator> {
        self.indicators.iter().find(|i| &i.indicator.id == id)
    }
}

/// Decimals shown when neither a source nor an indicator says (serde default).
fn default_decimals() -> u8 {
    1
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
    fn services_are_read_and_a_source_naming_an_unknown_one_is_refused() {
        let with_service = format!(
            "[[service]]\nid = \"cbs\"\nodata_v3 = \"https://opendata.cbs.nl/ODataApi/odata/\"\n{}",
            SOURCES.replace("licence =", "service = \"cbs\"\nlicence =")
        );
        let c = Catalogue::parse(&files(&with_service, "")).unwrap();
        assert_eq!(
            c.services[0].odata_v3,
            "https://opendata.cbs.nl/ODataApi/odata"
        );
        assert_eq!(c.services[0].row_limit, 10_000);
        assert_eq!(c.sources[0].service, "cbs");
        let err = Catalogue::parse(&files(
            &SOURCES.replace("licence =", "service = \"cbss\"\nlicence ="),
            "",
        ))
        .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("service"));
        assert!(err.message.contains("unknown service 'cbss'"), "{err}");
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
