//! CBS StatLine downloads: the TypedDataSet CSV (`;`-separated, UTF-8 with BOM, region codes
//! right-padded with spaces, empty cells for suppressed values, dimension codes such as
//! `T009002` or `MW00000` instead of labels) and the same data as OData JSON
//! (`{"value": [...]}`), plus the `DataProperties` metadata that names and types the columns.
//!
//! Columns are mapped by **key stem**: `AantalInwoners_5` has stem `AantalInwoners`; the
//! numeric suffix changes between table years, the stem does not.

use std::collections::{BTreeMap, HashMap, HashSet};

use kwm_model::catalogue::{Catalogue, Source};
use kwm_model::{
    Direction, Indicator, IndicatorId, Level, Observation, Period, RegionCode, RegionCodeError,
    ValueStatus,
};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::batch::{Dataset, LoadBatch, RegionRecord};
use crate::error::{line_col, IngestError, LineIndex};
use crate::ReadOptions;

/// Column keys StatLine uses for the region dimension.
const GEO_KEYS: &[&str] = &[
    "RegioS",
    "WijkenEnBuurten",
    "Gemeenten",
    "Regio",
    "Regios",
    "GemeentenIndeling",
    "Gemeente",
];
/// Topic stems that hold text about the region rather than a figure.
const TEXT_STEMS: &[&str] = &[
    "Gemeentenaam",
    "SoortRegio",
    "Codering",
    "IndelingswijzigingGemeenteWijkBuurt",
    "MeestVoorkomendePostcode",
    "Dekkingspercentage",
];

/// Metadata of one StatLine topic (column), from `DataProperties`.
#[derive(Debug, Clone, Default)]
pub struct TopicMeta {
    /// Title (`Aantal inwoners`).
    pub title: String,
    /// Unit (`aantal`, `%`).
    pub unit: String,
    /// Decimals.
    pub decimals: u8,
    /// `Long`, `Double`, `String`, ...
    pub datatype: String,
    /// `Absolute` or `Relative`.
    pub presentation: String,
    /// Titles of the enclosing topic groups, nearest first.
    pub groups: Vec<String>,
}

/// A table's `DataProperties`: topics by key, and which keys are dimensions.
#[derive(Debug, Clone, Default)]
pub struct Metadata {
    /// Topics by full key (`AantalInwoners_5`).
    pub topics: HashMap<String, TopicMeta>,
    /// Keys of the geographic dimension.
    pub geo_keys: Vec<String>,
    /// Keys of other dimensions.
    pub dimension_keys: Vec<String>,
    /// Region names from a dimension file (`85984NED_WijkenEnBuurten.json`), by code.
    pub region_names: HashMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawProperty {
    #[serde(rename = "ID")]
    id: i64,
    #[serde(rename = "ParentID")]
    parent_id: Option<i64>,
    #[serde(rename = "Type")]
    kind: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    decimals: Option<u8>,
    #[serde(default)]
    datatype: Option<String>,
    #[serde(default)]
    presentation_type: Option<String>,
}

/// Items of an OData JSON document: either a bare array or `{"value": [...]}`.
fn odata_items<'a>(file: &str, text: &'a str) -> Result<Vec<&'a RawValue>, IngestError> {
    #[derive(Deserialize)]
    struct Wrapped<'a> {
        #[serde(borrow)]
        value: Vec<&'a RawValue>,
    }
    let trimmed = text.trim_start();
    let result = if trimmed.starts_with('[') {
        serde_json::from_str::<Vec<&RawValue>>(text)
    } else {
        serde_json::from_str::<Wrapped>(text).map(|w| w.value)
    };
    result.map_err(|e| {
        IngestError::at(
            file,
            e.line(),
            e.column(),
            format!("expected OData JSON (an array, or an object with a \"value\" array): {e}"),
        )
    })
}

fn raw_offset(text: &str, raw: &RawValue) -> usize {
    (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize)
}

/// True when a JSON document looks like StatLine `DataProperties` metadata.
pub fn is_data_properties(text: &str) -> bool {
    let head: String = text.chars().take(4000).collect();
    head.contains("\"Type\"")
        && head.contains("\"Key\"")
        && (head.contains("\"Topic") || head.contains("Dimension") || head.contains("GeoDetail"))
}

/// Parses StatLine `DataProperties` JSON.
pub fn parse_data_properties(file: &str, text: &str) -> Result<Metadata, IngestError> {
    let items = odata_items(file, text)?;
    let mut props = Vec::with_capacity(items.len());
    for raw in items {
        let p: RawProperty = serde_json::from_str(raw.get()).map_err(|e| {
            let (l, c) = line_col(text, raw_offset(text, raw));
            IngestError::at(
                file,
                l,
                c,
                format!("expected a DataProperties entry with ID, Type, Key and Title: {e}"),
            )
        })?;
        props.push(p);
    }
    let by_id: HashMap<i64, &RawProperty> = props.iter().map(|p| (p.id, p)).collect();
    let mut meta = Metadata::default();
    for p in &props {
        match p.kind.as_str() {
            "Topic" => {
                let mut groups = Vec::new();
                let mut parent = p.parent_id;
                while let Some(pid) = parent {
                    match by_id.get(&pid) {
                        Some(g) => {
                            groups.push(g.title.trim().to_string());
                            parent = g.parent_id;
                        }
                        None => break,
                    }
                }
                meta.topics.insert(
                    p.key.clone(),
                    TopicMeta {
                        title: p.title.trim().to_string(),
                        unit: p.unit.clone().unwrap_or_default().trim().to_string(),
                        decimals: p.decimals.unwrap_or(1),
                        datatype: p.datatype.clone().unwrap_or_default(),
                        presentation: p.presentation_type.clone().unwrap_or_default(),
                        groups,
                    },
                );
            }
            "GeoDetail" | "GeoDimension" => meta.geo_keys.push(p.key.clone()),
            "Dimension" | "TimeDimension" => meta.dimension_keys.push(p.key.clone()),
            _ => {}
        }
    }
    Ok(meta)
}

/// Parses a StatLine dimension file (`[{"Key": "GM0014", "Title": "Groningen"}, ...]`) into
/// region names by code.
pub fn parse_dimension_names(
    file: &str,
    text: &str,
) -> Result<HashMap<String, String>, IngestError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Item {
        key: String,
        title: String,
    }
    let mut names = HashMap::new();
    for raw in odata_items(file, text)? {
        let item: Item = serde_json::from_str(raw.get()).map_err(|e| {
            let (l, c) = line_col(text, raw_offset(text, raw));
            IngestError::at(
                file,
                l,
                c,
                format!("expected a dimension entry with Key and Title: {e}"),
            )
        })?;
        names.insert(item.key.trim().to_string(), item.title.trim().to_string());
    }
    Ok(names)
}

/// Where a row came from, for error messages.
#[derive(Debug, Clone, Copy)]
struct RowPos {
    line: usize,
    /// Column of each field (CSV: field number; JSON: the row's column for all).
    json_column: Option<usize>,
}

impl RowPos {
    fn column(&self, field: usize) -> usize {
        self.json_column.unwrap_or(field + 1)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Role {
    Skip,
    Region,
    Period,
    Margin,
    Breakdown(String),
    /// The source's population dimension (`Leeftijd` in 50090NED): part of the indicator.
    Population,
    RegionName,
    Topic(usize),
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum MarginKind {
    Value,
    Lower,
    Upper,
}

fn margin_kind(code: &str) -> Option<MarginKind> {
    let c = code.trim();
    if c.starts_with("MW") {
        Some(MarginKind::Value)
    } else if c.starts_with("MOG") {
        Some(MarginKind::Lower)
    } else if c.starts_with("MBG") {
        Some(MarginKind::Upper)
    } else {
        None
    }
}

/// Splits `AantalInwoners_5` into (`AantalInwoners`, 5).
pub fn key_stem(key: &str) -> Option<(&str, u32)> {
    let (stem, suffix) = key.rsplit_once('_')?;
    if stem.is_empty() || suffix.is_empty() || !suffix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((stem, suffix.parse().ok()?))
}

/// `MoeiteMetRondkomen` → `Moeite met rondkomen`; `k_65JaarOfOuder` → `65 jaar of ouder`.
pub fn label_from_stem(stem: &str) -> String {
    let stem = stem.strip_prefix("k_").unwrap_or(stem);
    let mut out = String::new();
    let chars: Vec<char> = stem.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let prev = if i > 0 { Some(chars[i - 1]) } else { None };
        let next = chars.get(i + 1).copied();
        let boundary = match prev {
            None => false,
            Some(p) => {
                (c.is_uppercase() && (p.is_lowercase() || p.is_ascii_digit()))
                    || (c.is_uppercase()
                        && p.is_uppercase()
                        && next.is_some_and(|n| n.is_lowercase()))
                    || (c.is_ascii_digit() && p.is_alphabetic())
            }
        };
        if boundary {
            out.push(' ');
        }
        if c == '_' {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    let mut words: Vec<String> = out.split_whitespace().map(str::to_string).collect();
    for (i, w) in words.iter_mut().enumerate() {
        // Keep acronyms (ADHD, GHB) as they are; lower-case ordinary words after the first.
        let is_acronym = w.chars().filter(|c| c.is_uppercase()).count() > 1;
        if i > 0 && !is_acronym {
            *w = w.to_lowercase();
        }
    }
    words.join(" ")
}

pub(crate) fn parse_number(raw: &str) -> Option<f64> {
    let s = raw.trim();
    if let Ok(v) = s.parse::<f64>() {
        return v.is_finite().then_some(v);
    }
    // StatLine "met labels" downloads and Dutch spreadsheets write a decimal comma.
    if s.matches(',').count() == 1 && !s.contains('.') {
        return s
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite());
    }
    None
}

fn is_suppressed(raw: &str) -> bool {
    let s = raw.trim();
    s.is_empty() || s == "." || s == "x"
}

/// Everything needed to read one StatLine file.
pub(crate) struct StatlineInput<'a> {
    pub file: &'a str,
    pub file_stem: &'a str,
    pub text: &'a str,
    pub catalogue: &'a Catalogue,
    pub options: &'a ReadOptions,
    pub metadata: Option<&'a Metadata>,
}

/// Finds a StatLine table id (`85984NED`) in a file name.
pub fn table_id_from_name(name: &str) -> Option<String> {
    let b = name.as_bytes();
    (0..b.len().saturating_sub(7)).find_map(|i| {
        let w = &b[i..i + 8];
        let ok = w[..5].iter().all(u8::is_ascii_digit)
            && w[5..].iter().all(u8::is_ascii_alphabetic)
            && (i == 0 || !b[i - 1].is_ascii_digit())
            && b.get(i + 8).is_none_or(|c| !c.is_ascii_alphanumeric());
        ok.then(|| std::str::from_utf8(w).unwrap().to_ascii_uppercase())
    })
}

/// Reads a TypedDataSet CSV.
pub(crate) fn read_csv(input: StatlineInput<'_>) -> Result<LoadBatch, IngestError> {
    let file = input.file;
    let first_line = input.text.lines().next().unwrap_or("");
    let delimiter = if first_line.contains(';') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(input.text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| IngestError::at(file, 1, 1, format!("could not read the header: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let lines = LineIndex::new(input.text);
    let mut rows = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|e| csv_error(file, &lines, &e))?;
        let line = record.position().map_or(0, |p| lines.line(p.byte()));
        rows.push((
            RowPos {
                line,
                json_column: None,
            },
            record.iter().map(str::to_string).collect::<Vec<_>>(),
        ));
    }
    process(input, header, rows)
}

pub(crate) fn csv_error(file: &str, lines: &LineIndex, e: &csv::Error) -> IngestError {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { pos, expected_len, len } => IngestError::at(
            file,
            pos.as_ref().map_or(0, |p| lines.line(p.byte())),
            *len as usize,
            format!(
                "expected {expected_len} fields as in the header, found {len} (truncated row, or a value with an unquoted delimiter?)"
            ),
        ),
        csv::ErrorKind::Utf8 { pos, err } => IngestError::at(
            file,
            pos.as_ref().map_or(0, |p| lines.line(p.byte())),
            err.field() + 1,
            "expected UTF-8 text (the file looks Latin-1/Windows-1252 encoded; save it as UTF-8)",
        ),
        _ => {
            let line = e.position().map_or(0, |p| lines.line(p.byte()));
            IngestError::at(file, line, 1, format!("expected delimited fields: {e}"))
        }
    }
}

/// Reads a TypedDataSet as OData JSON.
pub(crate) fn read_json(input: StatlineInput<'_>) -> Result<LoadBatch, IngestError> {
    let file = input.file;
    let items = odata_items(file, input.text)?;
    let mut header: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut rows = Vec::with_capacity(items.len());
    // Located incrementally: a scan from the start per row made large files quadratic.
    let mut positions = crate::error::Positions::new(input.text);
    for raw in items {
        let (line, column) = positions.of(raw);
        let obj: serde_json::Map<String, serde_json::Value> = serde_json::from_str(raw.get())
            .map_err(|e| {
                IngestError::at(file, line, column, format!("expected a row object: {e}"))
            })?;
        if header.is_empty() {
            let limit = input.options.limits.max_columns;
            if obj.len() > limit {
                return Err(IngestError::at(file, line, column, format!(
                    "expected at most {limit} fields per row, found {} (raise the limit with --max-columns N)",
                    obj.len())));
            }
            for k in obj.keys() {
                index.insert(k.clone(), header.len());
                header.push(k.clone());
            }
        }
        let mut cells = vec![String::new(); header.len()];
        for (k, v) in obj {
            let Some(&i) = index.get(&k) else {
                return Err(IngestError::at(
                    file,
                    line,
                    column,
                    format!("unexpected field '{k}' (not in the first row)"),
                ));
            };
            cells[i] = match v {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                other => {
                    return Err(IngestError::at(
                        file,
                        line,
                        column,
                        format!(
                            "expected a number, a string or null in field '{k}', found {other}"
                        ),
                    ))
                }
            };
        }
        rows.push((
            RowPos {
                line,
                json_column: Some(column),
            },
            cells,
        ));
    }
    if header.is_empty() {
        return Err(IngestError::at(
            file,
            1,
            1,
            "expected at least one row in \"value\", found none",
        ));
    }
    process(input, header, rows)
}

struct TopicColumn {
    field: usize,
    key: String,
    /// The population dimension's code whose rows hold this indicator, when the source has one.
    population_code: Option<String>,
    indicator: Indicator,
    any_value: bool,
}

struct Builder {
    value: Option<Option<f64>>,
    lower: Option<f64>,
    upper: Option<f64>,
}

fn process(
    input: StatlineInput<'_>,
    header: Vec<String>,
    rows: Vec<(RowPos, Vec<String>)>,
) -> Result<LoadBatch, IngestError> {
    let file = input.file;
    let table = input
        .options
        .table
        .clone()
        .or_else(|| table_id_from_name(input.file_stem));
    let catalogue_entry = table.as_deref().and_then(|t| input.catalogue.table(t));
    let source: Option<&Source> = catalogue_entry.map(|(s, _)| s);
    let population_dimension = source.and_then(|s| s.population_dimension.as_ref());
    let prefix = match (source, &table) {
        (Some(s), _) => s.id.clone(),
        (None, Some(t)) => format!("t{}", t.to_ascii_lowercase()),
        (None, None) => "x".to_string(),
    };

    // Classify columns.
    let meta = input.metadata;
    let is_geo =
        |h: &str| GEO_KEYS.contains(&h) || meta.is_some_and(|m| m.geo_keys.iter().any(|k| k == h));
    let mut roles = Vec::with_capacity(header.len());
    let mut stems: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let role = if h == "ID" {
            Role::Skip
        } else if is_geo(h) {
            Role::Region
        } else if h == "Perioden" {
            Role::Period
        } else if h == "Marges" {
            Role::Margin
        } else if population_dimension.is_some_and(|d| d.key == *h) {
            Role::Population
        } else if let Some((stem, _)) = key_stem(h) {
            let text_topic = TEXT_STEMS.contains(&stem)
                || meta
                    .and_then(|m| m.topics.get(h))
                    .is_some_and(|t| t.datatype == "String");
            if stem == "Gemeentenaam" {
                Role::RegionName
            } else if text_topic {
                Role::Skip
            } else {
                stems.entry(stem.to_string()).or_default().push(i);
                Role::Topic(usize::MAX)
            }
        } else if TEXT_STEMS.contains(&h.as_str()) {
            Role::Skip
        } else {
            Role::Breakdown(h.clone())
        };
        roles.push(role);
    }
    let Some(region_field) = roles.iter().position(|r| *r == Role::Region) else {
        let hint = if header.len() == 1 {
            " (the header has a single column: is the delimiter ';'?)"
        } else {
            ""
        };
        return Err(IngestError::at(
            file,
            1,
            1,
            format!(
                "expected a StatLine header with a region column ({}), found '{}'{hint}",
                GEO_KEYS[..2].join(" or "),
                header.join(",").chars().take(80).collect::<String>()
            ),
        ));
    };
    let period_field = roles.iter().position(|r| *r == Role::Period);
    let margin_field = roles.iter().position(|r| *r == Role::Margin);

    let fixed_period = match (period_field, input.options.period, catalogue_entry) {
        (Some(_), _, _) => None,
        (None, Some(p), _) => Some(p),
        (None, None, Some((_, t))) => Some(t.period),
        (None, None, None) => {
            return Err(IngestError::at(file, 1, 1, format!(
                "expected a Perioden column, or a table known to the catalogue{}; found neither: give --period YEAR",
                table.as_ref().map(|t| format!(" (table {t} is not in catalogue/sources.toml)")).unwrap_or_default()
            )))
        }
    };
    let layout_for = |period: i32| {
        input
            .options
            .layout
            .or(catalogue_entry.map(|(_, t)| t.layout))
            .unwrap_or(period)
    };

    // The populations the rows describe, when the source has a population dimension: every
    // code must be one the catalogue knows, so that no figure loses whom it describes.
    let population_field = roles.iter().position(|r| *r == Role::Population);
    let mut population_codes: Vec<Option<String>> = Vec::new();
    if let (Some(f), Some(dim)) = (population_field, population_dimension) {
        for (pos, cells) in &rows {
            let code = cells[f].trim();
            if !dim.codes.contains_key(code) {
                return Err(IngestError::at(
                    file,
                    pos.line,
                    pos.column(f),
                    format!(
                        "expected a {} code the catalogue knows ({}), found '{code}'",
                        dim.key,
                        dim.codes
                            .iter()
                            .map(|(c, p)| format!("{c} = {p}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            if !population_codes.iter().any(|c| c.as_deref() == Some(code)) {
                population_codes.push(Some(code.to_string()));
            }
        }
    } else {
        population_codes.push(None);
    }

    // Build one indicator per topic column (and population).
    let mut topics: Vec<TopicColumn> = Vec::new();
    let mut ids_seen: HashMap<IndicatorId, String> = HashMap::new();
    for population_code in &population_codes {
        let population = population_code.as_deref().and_then(|code| {
            let id = population_dimension?.codes.get(code)?;
            Some(
                input
                    .catalogue
                    .population(id)
                    .map_or((id.clone(), id.clone()), |p| {
                        (p.short_nl.clone(), p.id.clone())
                    }),
            )
        });
        for i in 0..header.len() {
            if roles[i] != Role::Topic(usize::MAX) {
                continue;
            }
            let key = header[i].clone();
            let (stem, _) = key_stem(&key).expect("topic keys have a stem");
            let topic_meta = meta.and_then(|m| m.topics.get(&key));
            let curated = source.and_then(|s| {
                input
                    .catalogue
                    .indicator_for_key_in(&s.id, stem, population_code.as_deref())
            });
            let duplicated_stem = stems.get(stem).is_some_and(|v| v.len() > 1);
            let indicator = match curated {
                Some(c) if !duplicated_stem => c.indicator.clone(),
                _ => {
                    let (qualified, label_suffix) = if duplicated_stem {
                        match topic_meta.and_then(|t| t.groups.first()) {
                            Some(group) => (format!("{group} {stem}"), format!(" ({group})")),
                            None => (key.clone(), format!(" ({key})")),
                        }
                    } else {
                        (stem.to_string(), String::new())
                    };
                    let id = IndicatorId::from_key_stem(&prefix, &qualified)
                        .and_then(|id| match &population {
                            Some((_, pop_id)) => IndicatorId::new(&format!("{id}_{pop_id}")),
                            None => Ok(id),
                        })
                        .map_err(|m| IngestError::at(file, 1, i + 1, m))?;
                    let label_suffix = match &population {
                        Some((short, _)) => format!("{label_suffix} ({short})"),
                        None => label_suffix,
                    };
                    let label = topic_meta
                        .map(|t| t.title.clone())
                        .filter(|t| !t.is_empty())
                        .unwrap_or_else(|| label_from_stem(stem))
                        + &label_suffix;
                    let unit = topic_meta
                        .map(|t| t.unit.clone())
                        .or_else(|| source.map(|s| s.unit.clone()))
                        .unwrap_or_default();
                    let decimals = topic_meta
                        .map(|t| t.decimals)
                        .or_else(|| source.map(|s| s.decimals))
                        .unwrap_or(1);
                    // Counts and areas add up over regions; averages (kWh per dwelling, also
                    // "Absolute" in StatLine) do not, hence the unit list.
                    let additive = topic_meta.is_some_and(|t| {
                        t.presentation == "Absolute"
                            && matches!(t.unit.as_str(), "aantal" | "ha")
                            && t.decimals == 0
                    });
                    Indicator {
                        id,
                        label_en: label.clone(),
                        label_nl: label,
                        unit,
                        direction: Direction::Neutral,
                        source: match (source, &table) {
                            (Some(s), _) => format!("{} ({})", s.title_nl, s.publisher),
                            (None, Some(t)) => format!("CBS StatLine {t}"),
                            (None, None) => input.file_stem.to_string(),
                        },
                        decimals,
                        description: String::new(),
                        additive,
                        curated: false,
                    }
                }
            };
            if let Some(other) = ids_seen.insert(indicator.id.clone(), key.clone()) {
                return Err(IngestError::at(file, 1, i + 1, format!(
                "expected each column to map to its own indicator, found '{key}' and '{other}' both mapping to '{}'",
                indicator.id
            )));
            }
            topics.push(TopicColumn {
                field: i,
                key,
                population_code: population_code.clone(),
                indicator,
                any_value: false,
            });
        }
    }
    for t in &topics {
        roles[t.field] = Role::Topic(0);
    }
    if topics.is_empty() {
        return Err(IngestError::at(
            file,
            1,
            1,
            "expected at least one topic column (a key like AantalInwoners_5), found none",
        ));
    }

    // Read rows.
    type Key = (RegionCode, i32, String);
    let mut builders: HashMap<(usize, Key), Builder> = HashMap::new();
    let mut seen_rows: HashMap<(Key, MarginKind, Option<String>), usize> = HashMap::new();
    let mut order: Vec<Key> = Vec::new();
    let mut order_seen: HashSet<Key> = HashSet::new();
    let mut regions: BTreeMap<(RegionCode, i32), Option<String>> = BTreeMap::new();
    let mut skipped_types: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let row_count = rows.len();
    for (pos, cells) in &rows {
        let region = match RegionCode::parse(&cells[region_field]) {
            Ok(c) => c,
            Err(RegionCodeError::UnsupportedType { prefix, code }) => {
                skipped_types.entry(prefix).or_default().push(code);
                continue;
            }
            Err(e) => {
                return Err(IngestError::at(
                    file,
                    pos.line,
                    pos.column(region_field),
                    e.to_string(),
                ))
            }
        };
        let period = match period_field {
            Some(f) => Period::parse(&cells[f])
                .ok_or_else(|| {
                    IngestError::at(
                        file,
                        pos.line,
                        pos.column(f),
                        format!(
                            "expected a period like 2024 or 2024JJ00, found '{}'",
                            cells[f].trim()
                        ),
                    )
                })?
                .year(),
            None => fixed_period.expect("checked above"),
        };
        let margin = match margin_field {
            Some(f) => margin_kind(&cells[f]).ok_or_else(|| IngestError::at(file, pos.line, pos.column(f), format!(
                "expected a Marges code (MW00000 value, MOG… lower bound, MBG… upper bound), found '{}'", cells[f].trim())))?,
            None => MarginKind::Value,
        };
        let mut breakdown = Vec::new();
        for (f, role) in roles.iter().enumerate() {
            if let Role::Breakdown(dim) = role {
                let code = cells[f].trim();
                if code.is_empty() {
                    return Err(IngestError::at(
                        file,
                        pos.line,
                        pos.column(f),
                        format!("expected a {dim} code, found an empty cell"),
                    ));
                }
                // CBS codes totals as T followed by digits (T001038, T009002).
                let is_total = code.len() > 1
                    && code.starts_with('T')
                    && code[1..].bytes().all(|b| b.is_ascii_digit());
                if !is_total {
                    breakdown.push(format!("{dim}={code}"));
                }
            }
        }
        let key: Key = (region.clone(), period, breakdown.join(";"));
        let population = population_field.map(|f| cells[f].trim().to_string());
        if let Some(first) = seen_rows.insert((key.clone(), margin, population), pos.line) {
            return Err(IngestError::at(file, pos.line, pos.column(region_field), format!(
                "expected one row per region, period and category, found a duplicate of line {first} (region {}, period {period})",
                region
            )));
        }
        let name = roles
            .iter()
            .position(|r| *r == Role::RegionName)
            .map(|f| cells[f].trim().to_string())
            .filter(|n| !n.is_empty() && region.level() == Level::Gemeente)
            .or_else(|| meta.and_then(|m| m.region_names.get(region.as_str()).cloned()));
        let entry = regions
            .entry((region.clone(), layout_for(period)))
            .or_insert(None);
        if entry.is_none() {
            *entry = name;
        }
        let row_population = population_field.map(|f| cells[f].trim());
        for (ti, t) in topics.iter_mut().enumerate() {
            if t.population_code.as_deref() != row_population {
                continue;
            }
            let raw = &cells[t.field];
            let value = if is_suppressed(raw) {
                None
            } else {
                Some(parse_number(raw).ok_or_else(|| IngestError::at(file, pos.line, pos.column(t.field), format!(
                    "expected a number, '.' or an empty cell (suppressed) in column '{}', found '{}'", t.key, raw.trim())))?)
            };
            t.any_value |= value.is_some();
            let b = builders
                .entry((ti, key.clone()))
                .or_insert_with(|| Builder {
                    value: None,
                    lower: None,
                    upper: None,
                });
            match margin {
                MarginKind::Value => b.value = Some(value),
                MarginKind::Lower => b.lower = value,
                MarginKind::Upper => b.upper = value,
            }
        }
        if order_seen.insert(key.clone()) {
            order.push(key);
        }
    }

    let mut notes = Vec::new();
    for (prefix, codes) in &skipped_types {
        notes.push(format!(
            "skipped {} row(s) with region type {prefix} ({}), which the monitor does not model",
            codes.len(),
            codes.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    let mut indicators = Vec::new();
    let mut observations = Vec::with_capacity(order.len() * topics.len());
    for (ti, t) in topics.iter().enumerate() {
        if !t.any_value {
            notes.push(format!(
                "column '{}' has no values at all; not loaded",
                t.key
            ));
            continue;
        }
        indicators.push(t.indicator.clone());
        for key in &order {
            let Some(b) = builders.get(&(ti, key.clone())) else {
                continue;
            };
            let value = b.value.flatten();
            observations.push(Observation {
                indicator: t.indicator.id.clone(),
                region: key.0.clone(),
                period: Period(key.1),
                breakdown: key.2.clone(),
                value,
                lower: b.lower,
                upper: b.upper,
                n: None,
                status: match b.value {
                    Some(Some(_)) => ValueStatus::Ok,
                    Some(None) => ValueStatus::Suppressed,
                    None => ValueStatus::Missing,
                },
            });
        }
    }
    let regions = regions
        .into_iter()
        .map(|((code, layout), name)| RegionRecord {
            parent: code.parent(),
            code,
            layout,
            name,
        })
        .collect();
    let dataset = Dataset {
        id: table.clone().unwrap_or_else(|| input.file_stem.to_string()),
        title: source
            .map(|s| s.title_nl.clone())
            .unwrap_or_else(|| format!("StatLine {}", table.clone().unwrap_or_default())),
        publisher: source
            .map(|s| s.publisher.clone())
            .unwrap_or_else(|| "CBS (StatLine)".into()),
        licence: source.map(|s| s.licence.clone()).unwrap_or_default(),
    };
    Ok(LoadBatch {
        dataset,
        indicators,
        observations,
        regions,
        rows: row_count,
        notes,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_and_labels() {
        assert_eq!(key_stem("AantalInwoners_5"), Some(("AantalInwoners", 5)));
        assert_eq!(
            key_stem("k_65JaarOfOuder_12"),
            Some(("k_65JaarOfOuder", 12))
        );
        assert_eq!(key_stem("RegioS"), None);
        assert_eq!(
            label_from_stem("MoeiteMetRondkomen"),
            "Moeite met rondkomen"
        );
        assert_eq!(label_from_stem("k_65JaarOfOuder"), "65 jaar of ouder");
        assert_eq!(
            label_from_stem("ADHDMedZonderRecept"),
            "ADHD med zonder recept"
        );
    }

    #[test]
    fn table_ids_are_found_in_file_names() {
        assert_eq!(
            table_id_from_name("50140NED_TypedDataSet_22092025_192544").as_deref(),
            Some("50140NED")
        );
        assert_eq!(
            table_id_from_name("kwb_2024_85984NED_gemeente_wijk_basis").as_deref(),
            Some("85984NED")
        );
        assert_eq!(table_id_from_name("gemeente_2024"), None);
    }
}
