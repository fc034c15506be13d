//! The catalogue: the editable, versioned description of what the monitor measures.
//!
//! It lives in plain TOML files (`catalogue/` at the repository root) so that a researcher can
//! change it without code. This module parses and validates the text of those files; reading
//! them from disk is the caller's job. Every validation error names the file, the line and the
//! field.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;
use toml::Spanned;

use crate::warning::WarningRule;
use crate::{Direction, Indicator, IndicatorId};

mod agenda;
mod characteristics;
mod diag;
mod groups;
mod method;
mod radar;
mod region_sets;
mod risk_model;
mod similar;
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPopulations {
    #[serde(default)]
    population: Vec<Spanned<RawPopulation>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPopulation {
    id: String,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    short_nl: String,
    #[serde(default)]
    short_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPopulationDimension {
    key: String,
    codes: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSources {
    #[serde(default)]
    source: Vec<Spanned<RawSource>>,
    #[serde(default)]
    service: Vec<Spanned<RawService>>,
    #[serde(default)]
    boundaries: Vec<Spanned<RawBoundaryService>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBoundaryService {
    id: String,
    items: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    id: String,
    odata_v3: String,
    #[serde(default = "default_row_limit")]
    row_limit: usize,
}

fn default_row_limit() -> usize {
    10_000
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
    population_dimension: Option<RawPopulationDimension>,
    #[serde(default)]
    unit: String,
    #[serde(default = "default_decimals")]
    decimals: u8,
    #[serde(default)]
    tables: Vec<RawTable>,
    #[serde(default)]
    caveat_nl: String,
    #[serde(default)]
    caveat_en: String,
    #[serde(default)]
    service: String,
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
    /// Populations of the source's population dimension to split this indicator into.
    #[serde(default)]
    populations: Vec<String>,
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
            let ctx = Ctx { file };
            let raw: RawPopulations = ctx.parse()?;
            for spanned in raw.population {
                let start = spanned.span().start;
                let p = spanned.into_inner();
                if !is_population_id(&p.id) {
                    return Err(ctx.located(start, Some("id"), format!(
                        "expected a population id of lower-case letters, digits and '_', found '{}'", p.id)));
                }
                if catalogue.populations.iter().any(|q| q.id == p.id) {
                    return Err(ctx.located(
                        start,
                        Some("id"),
                        format!("duplicate population id '{}'", p.id),
                    ));
                }
                let label_en = if p.label_en.is_empty() {
                    p.label_nl.clone()
                } else {
                    p.label_en
                };
                catalogue.populations.push(Population {
                    short_nl: if p.short_nl.is_empty() {
                        p.label_nl.clone()
                    } else {
                        p.short_nl
                    },
                    short_en: if p.short_en.is_empty() {
                        label_en.clone()
                    } else {
                        p.short_en
                    },
                    id: p.id,
                    label_nl: p.label_nl,
                    label_en,
                });
            }
        }
        // With a populations file, every population named elsewhere must be one of it.
        let check_population =
            |ctx: &Ctx<'_>, offset: usize, field: &str, id: &str, populations: &[Population]| {
                if populations.is_empty() || id.is_empty() || populations.iter().any(|p| p.id == id)
                {
                    Ok(())
                } else {
                    Err(ctx.located(
                        offset,
                        Some(field),
                        format!(
                            "unknown population '{id}': expected one of {} (populations.toml)",
                            populations
                                .iter()
                                .map(|p| p.id.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ))
                }
            };

        if let Some(file) = find("sources.toml") {
            let ctx = Ctx { file };
            let raw: RawSources = ctx.parse()?;
            for spanned in raw.service {
                let start = spanned.span().start;
                let s = spanned.into_inner();
                if !is_source_id(&s.id) {
                    return Err(ctx.located(
                        start,
                        Some("id"),
                        format!(
                            "expected a service id of lower-case letters and digits, found '{}'",
                            s.id
                        ),
                    ));
                }
                if catalogue.services.iter().any(|x| x.id == s.id) {
                    return Err(ctx.located(
                        start,
                        Some("id"),
                        format!("duplicate service id '{}'", s.id),
                    ));
                }
                if !(s.odata_v3.starts_with("http://") || s.odata_v3.starts_with("https://")) {
                    return Err(ctx.located(
                        start,
                        Some("odata_v3"),
                        format!("expected an http(s) URL, found '{}'", s.odata_v3),
                    ));
                }
                if s.row_limit == 0 {
                    return Err(ctx.located(start, Some("row_limit"), "expected at least 1 row"));
                }
                catalogue.services.push(Service {
                    id: s.id,
                    odata_v3: s.odata_v3.trim_end_matches('/').to_string(),
                    row_limit: s.row_limit,
                });
            }
            for spanned in raw.boundaries {
                let start = spanned.span().start;
                let b = spanned.into_inner();
                if !(b.items.starts_with("http://") || b.items.starts_with("https://"))
                    || !b.items.contains("{year}")
                {
                    return Err(ctx.located(
                        start,
                        Some("items"),
                        format!(
                            "expected an http(s) URL with {{year}} (and {{level}}) to fill in, found '{}'",
                            b.items
                        ),
                    ));
                }
                catalogue.boundary_services.push(BoundaryService {
                    id: b.id,
                    items: b.items,
                });
            }
            let mut seen_ids = HashSet::new();
            let mut seen_tables = HashMap::new();
            for spanned in raw.source {
                let start = spanned.span().start;
                let s = spanned.into_inner();
                if !is_source_id(&s.id) {
                    return Err(ctx.located(
                        start,
                        Some("id"),
                        format!(
                            "expected a source id of lower-case letters and digits, found '{}'",
                            s.id
                        ),
                    ));
                }
                if !seen_ids.insert(s.id.clone()) {
                    return Err(ctx.located(
                        start,
                        Some("id"),
                        format!("duplicate source id '{}'", s.id),
                    ));
                }
                if !s.service.is_empty() && !catalogue.services.iter().any(|x| x.id == s.service) {
                    return Err(ctx.located(
                        start,
                        Some("service"),
                        format!(
                            "unknown service '{}' (not a [[service]] in sources.toml)",
                            s.service
                        ),
                    ));
                }
                let mut tables = Vec::new();
                for t in s.tables {
                    if let Some(prev) = seen_tables.insert(t.table.clone(), s.id.clone()) {
                        return Err(ctx.located(
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
                check_population(
                    &ctx,
                    start,
                    "population",
                    &s.population,
                    &catalogue.populations,
                )?;
                let population_dimension = match s.population_dimension {
                    None => None,
                    Some(d) => {
                        if d.codes.is_empty() {
                            return Err(ctx.located(
                                start,
                                Some("population_dimension.codes"),
                                "expected at least one code = population pair",
                            ));
                        }
                        for pop in d.codes.values() {
                            check_population(
                                &ctx,
                                start,
                                "population_dimension.codes",
                                pop,
                                &catalogue.populations,
                            )?;
                        }
                        Some(PopulationDimension {
                            key: d.key,
                            codes: d.codes,
                        })
                    }
                };
                catalogue.sources.push(Source {
                    population_dimension,
                    caveat_en: if s.caveat_en.is_empty() {
                        s.caveat_nl.clone()
                    } else {
                        s.caveat_en
                    },
                    caveat_nl: s.caveat_nl,
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
                    service: s.service,
                });
            }
        }

        if let Some(file) = find("indicators.toml") {
            let ctx = Ctx { file };
            let raw: RawIndicators = ctx.parse()?;
            let mut seen = HashSet::new();
            let mut seen_keys: BTreeMap<(String, String), String> = BTreeMap::new();
            // Relations name other indicators, which may come later in the file: checked after.
            let mut pending: Vec<PendingRelation> = Vec::new();
            for spanned in raw.indicator {
                let table_start = spanned.span().start;
                let r = spanned.into_inner();
                let id = IndicatorId::new(r.id.get_ref())
                    .map_err(|m| ctx.located(r.id.span().start, Some("id"), m))?;
                if !seen.insert(id.clone()) {
                    return Err(ctx.located(
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
                        ctx.located(
                            r.source.span().start,
                            Some("source"),
                            format!(
                                "unknown source '{}' (not in sources.toml)",
                                r.source.get_ref()
                            ),
                        )
                    })?;
                let direction = match &r.direction {
                    None => return Err(ctx.located(table_start, Some("direction"), format!(
                        "indicator '{id}' has no direction: expected higher_is_worse, higher_is_better or neutral"))),
                    Some(d) => Direction::parse(d.get_ref()).ok_or_else(|| ctx.located(d.span().start, Some("direction"), format!(
                        "expected higher_is_worse, higher_is_better or neutral, found '{}'", d.get_ref())))?,
                };
                for key in &r.keys {
                    if let Some(other) =
                        seen_keys.insert((source.id.clone(), key.clone()), id.to_string())
                    {
                        return Err(ctx.located(table_start, Some("keys"), format!(
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
                let population = if r.population.is_empty() {
                    source.population.clone()
                } else {
                    r.population.clone()
                };
                check_population(
                    &ctx,
                    table_start,
                    "population",
                    &population,
                    &catalogue.populations,
                )?;
                let label_en = if r.label_en.is_empty() {
                    r.label_nl.clone()
                } else {
                    r.label_en.clone()
                };
                let base = CatalogueIndicator {
                    indicator: Indicator {
                        label_en,
                        id: id.clone(),
                        label_nl: r.label_nl.clone(),
                        unit: r.unit.clone(),
                        direction,
                        source: format!("{} ({})", source.title_nl, source.publisher),
                        decimals: r.decimals,
                        description: r.description.clone(),
                        additive: r.additive,
                        curated: true,
                    },
                    source_id: source.id.clone(),
                    keys: r.keys.clone(),
                    population,
                    population_code: None,
                    labels: r.labels.clone(),
                    relation: None,
                };
                if r.populations.is_empty() {
                    catalogue.indicators.push(base);
                    continue;
                }
                // Split by the source's population dimension: one indicator per population,
                // `{id}_{population}`, labelled with the population so no list can mix them up.
                let Some(dim) = &source.population_dimension else {
                    return Err(ctx.located(
                        table_start,
                        Some("populations"),
                        format!(
                            "source '{}' has no population_dimension to split '{id}' by",
                            source.id
                        ),
                    ));
                };
                if pending
                    .last()
                    .is_some_and(|p| p.index == catalogue.indicators.len())
                {
                    return Err(ctx.located(
                        table_start,
                        Some("populations"),
                        "an indicator split by population cannot have a numerator or denominator",
                    ));
                }
                for pop in &r.populations {
                    let Some((code, _)) = dim.codes.iter().find(|(_, p)| *p == pop) else {
                        return Err(ctx.located(
                            table_start,
                            Some("populations"),
                            format!(
                                "population '{pop}' is not a code of source '{}''s dimension {}",
                                source.id, dim.key
                            ),
                        ));
                    };
                    let split_id = IndicatorId::new(&format!("{id}_{pop}"))
                        .map_err(|m| ctx.located(table_start, Some("populations"), m))?;
                    if !seen.insert(split_id.clone()) {
                        return Err(ctx.located(
                            table_start,
                            Some("populations"),
                            format!("duplicate indicator id '{split_id}'"),
                        ));
                    }
                    let (short_nl, short_en) = catalogue
                        .populations
                        .iter()
                        .find(|p| &p.id == pop)
                        .map_or((pop.clone(), pop.clone()), |p| {
                            (p.short_nl.clone(), p.short_en.clone())
                        });
                    let mut split = base.clone();
                    split.indicator.id = split_id;
                    split.indicator.label_nl = format!("{} ({short_nl})", base.indicator.label_nl);
                    split.indicator.label_en = format!("{} ({short_en})", base.indicator.label_en);
                    split.population = pop.clone();
                    split.population_code = Some(code.clone());
                    catalogue.indicators.push(split);
                }
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
    ctx: &Ctx<'_>,
    catalogue: &Catalogue,
    p: &PendingRelation,
) -> Result<Relation, CatalogueError> {
    let this = &catalogue.indicators[p.index].indicator;
    let count = |field: &str, raw: &Spanned<String>| -> Result<IndicatorId, CatalogueError> {
        let id = IndicatorId::new(raw.get_ref())
            .map_err(|m| ctx.located(raw.span().start, Some(field), m))?;
        let other = catalogue.indicator(&id).ok_or_else(|| {
            ctx.located(
                raw.span().start,
                Some(field),
                format!("unknown indicator '{id}' (not in indicators.toml)"),
            )
        })?;
        if !other.indicator.additive {
            return Err(ctx.located(
                raw.span().start,
                Some(field),
                format!("'{id}' is not a count (additive = true): a rate can only be recomputed from counts"),
            ));
        }
        if id == this.id {
            return Err(ctx.located(
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
            return Err(ctx.located(
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
            return Err(ctx.located(
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
            return Err(ctx.located(
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
        return Err(ctx.located(
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

fn is_population_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
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
