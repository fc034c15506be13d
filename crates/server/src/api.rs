//! The JSON/CSV API. Handlers parse parameters, call one monitor query, and shape the answer.
//! The wire format is defined here, not by the monitor's or store's types.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kwm_model::catalogue::Catalogue;
use kwm_model::Level;
use kwm_monitor::query::{self, IndicatorTable, NationalValue, RegionProfile, TableRow};
use kwm_store::{IndicatorRecord, LoadRecord, RegionRecord};
use serde::Serialize;

use crate::error::ApiError;
use crate::state::AppState;

/// Query parameters of one API route, as a struct: `api_params!` declares it with its field
/// names, so the extractor can refuse unknown names with the list of those allowed, and the
/// OpenAPI test can compare them with the document.
pub(crate) trait ApiParams: serde::de::DeserializeOwned {
    /// The names this route accepts, in the order the document lists them.
    const NAMES: &'static [&'static str];

    /// The value of a parameter by name (every field is an optional string: values are parsed
    /// by the handler, so that their errors name the parameter and what it allows).
    fn get(&self, name: &str) -> Option<&str>;

    /// A required parameter.
    fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name)
            .ok_or_else(|| ApiError::bad_request(format!("parameter '{name}' is required")))
    }

    /// `level=`, gemeenten when absent.
    fn level(&self) -> Result<Level, ApiError> {
        match self.get("level") {
            None => Ok(Level::Gemeente),
            Some(raw) => Ok(query::parse_level(raw)?),
        }
    }

    /// `period=`, `None` when absent.
    fn period(&self) -> Result<Option<i32>, ApiError> {
        self.get("period")
            .map(query::parse_period)
            .transpose()
            .map_err(ApiError::from)
    }

    /// `format=csv` (else JSON).
    fn csv(&self) -> Result<bool, ApiError> {
        match self.get("format") {
            None | Some("json") => Ok(false),
            Some("csv") => Ok(true),
            Some(other) => Err(ApiError::bad_request(format!(
                "expected format json or csv, found '{other}'"
            ))),
        }
    }
}

/// Declares the query parameters of an API route: a struct of optional strings that refuses
/// unknown fields, and its [`ApiParams`] implementation.
macro_rules! api_params {
    ($(#[$doc:meta])* $name:ident { $($field:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Default, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub(crate) struct $name {
            $(pub(crate) $field: Option<String>,)*
        }

        impl $crate::api::ApiParams for $name {
            const NAMES: &'static [&'static str] = &[$(stringify!($field)),*];

            #[allow(unused_variables)]
            fn get(&self, name: &str) -> Option<&str> {
                match name {
                    $(stringify!($field) => self.$field.as_deref(),)*
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use api_params;

/// The typed query parameters of an API request. Refused with the API's JSON 400 before the
/// handler runs: a malformed query string, a name the route does not accept (the message lists
/// those it does) and an empty value (neither a boolean, a number nor a code; leave it out for
/// the default).
pub(crate) struct ApiQuery<T>(pub(crate) T);

impl<S: Send + Sync, T: ApiParams> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<ApiQuery<T>, ApiError> {
        let Query(map) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request(format!("malformed query string: {e}")))?;
        if let Some(unknown) = map.keys().find(|k| !T::NAMES.contains(&k.as_str())) {
            return Err(ApiError::bad_request(format!(
                "unknown parameter '{unknown}'; allowed: {}",
                T::NAMES.join(", ")
            )));
        }
        let mut empty: Vec<&String> = map
            .iter()
            .filter(|(_, v)| v.is_empty())
            .map(|(k, _)| k)
            .collect();
        empty.sort();
        if let Some(name) = empty.first() {
            return Err(ApiError::bad_request(format!(
                "parameter '{name}' is empty; leave it out for the default"
            )));
        }
        let params = T::deserialize(serde::de::value::MapDeserializer::<
            _,
            serde::de::value::Error,
        >::new(
            map.into_iter().map(|(k, v)| (k, QueryValue(v)))
        ))
        .map_err(|e| ApiError::bad_request(format!("malformed query string: {e}")))?;
        Ok(ApiQuery(params))
    }
}

/// One parameter's value for serde: a string that an `Option` field takes as `Some` (serde's
/// own string deserializer refuses to be an option). The map the values come from is the one
/// checked above, so a repeated name keeps its last value, as the handlers always read it.
struct QueryValue(String);

impl<'de> serde::de::IntoDeserializer<'de, serde::de::value::Error> for QueryValue {
    type Deserializer = QueryValue;

    fn into_deserializer(self) -> QueryValue {
        self
    }
}

impl<'de> serde::Deserializer<'de> for QueryValue {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        v.visit_string(self.0)
    }

    fn deserialize_option<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        v.visit_some(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

api_params!(
    /// Query parameters shared by several routes: `level`, `period` and `format`: a level's figures of a year, as JSON or CSV.
    LevelPeriodFormat { level, period, format }
);

api_params!(
    /// Query parameters shared by several routes: `indicator`, `level`, `period` and `format`: one indicator's figures at a level in a year.
    IndicatorLevelPeriodFormat { indicator, level, period, format }
);

api_params!(
    /// Query parameters shared by several routes: `level` and `period`.
    LevelPeriod { level, period }
);

api_params!(
    /// The query parameters of a route that takes none.
    NoParams {}
);

/// Every CSV the server sends is written here, so that every cell passes
/// [`crate::hardening::csv_cell`] (spreadsheet formula injection) — a test checks no other
/// module writes CSV.
pub(crate) fn csv_response(
    filename: &str,
    header_row: &[&str],
    rows: Vec<Vec<String>>,
) -> Response {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(
        header_row
            .iter()
            .map(|c| crate::hardening::csv_cell(c).into_owned()),
    );
    for r in rows {
        let _ = w.write_record(r.iter().map(|c| crate::hardening::csv_cell(c).into_owned()));
    }
    let body = w.into_inner().unwrap_or_default();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

pub(crate) fn opt(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// Labels in both languages.
#[derive(Serialize, Clone)]
pub struct Label {
    pub(crate) nl: String,
    pub(crate) en: String,
}

/// An indicator on the wire.
#[derive(Serialize)]
pub struct IndicatorDto {
    id: String,
    label: Label,
    unit: String,
    direction: &'static str,
    source: String,
    decimals: u8,
    additive: bool,
    curated: bool,
    description: String,
    periods: Vec<i32>,
    levels: Vec<&'static str>,
    /// Whom the figures describe (all residents, 18+, 65+, 16–25, households, …); `null` when
    /// neither the catalogue nor the file says.
    population: Option<PopulationDto>,
}

/// A population as the API shows it: id and labels.
#[derive(Serialize, Clone)]
pub struct PopulationDto {
    id: String,
    label: Label,
    short: Label,
}

impl PopulationDto {
    /// The population an indicator describes, from the catalogue.
    pub fn of(c: &Catalogue, indicator: &str) -> Option<PopulationDto> {
        c.population_of(indicator).map(|p| PopulationDto {
            id: p.id.clone(),
            label: Label {
                nl: p.label_nl.clone(),
                en: p.label_en.clone(),
            },
            short: Label {
                nl: p.short_nl.clone(),
                en: p.short_en.clone(),
            },
        })
    }
}

impl IndicatorDto {
    /// The wire form of a stored indicator, with its population from the catalogue.
    pub fn new(r: &IndicatorRecord, c: &Catalogue) -> Self {
        let i = &r.indicator;
        IndicatorDto {
            population: PopulationDto::of(c, i.id.as_str()),
            id: i.id.to_string(),
            label: Label {
                nl: i.label_nl.clone(),
                en: i.label_en.clone(),
            },
            unit: i.unit.clone(),
            direction: i.direction.as_str(),
            source: i.source.clone(),
            decimals: i.decimals,
            additive: i.additive,
            curated: i.curated,
            description: i.description.clone(),
            periods: r.periods.clone(),
            levels: r.levels.iter().map(|l| l.as_str()).collect(),
        }
    }
}

/// `GET /healthz` (no parameters; an unknown one is refused like on every API route).
pub async fn healthz(
    State(state): State<AppState>,
    _: ApiQuery<NoParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let loads = state.query(|store| Ok(store.loads()?.len())).await?;
    Ok(Json(
        serde_json::json!({ "status": "ok", "loads": loads, "catalogue": state.catalogue().version }),
    ))
}

api_params!(
    /// The query parameters of `GET /api/indicators`.
    IndicatorsParams { format }
);

/// `GET /api/indicators`
pub async fn indicators(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<IndicatorsParams>,
) -> Result<Response, ApiError> {
    let records = state.query(|store| Ok(store.indicators()?)).await?;
    let c = state.catalogue();
    let dtos: Vec<IndicatorDto> = records.iter().map(|r| IndicatorDto::new(r, c)).collect();
    if p.csv()? {
        let rows = dtos
            .iter()
            .map(|d| {
                vec![
                    d.id.clone(),
                    d.label.nl.clone(),
                    d.label.en.clone(),
                    d.unit.clone(),
                    d.direction.to_string(),
                    d.source.clone(),
                    d.periods
                        .iter()
                        .map(i32::to_string)
                        .collect::<Vec<_>>()
                        .join(" "),
                    d.levels.join(" "),
                ]
            })
            .collect();
        return Ok(csv_response(
            "indicators.csv",
            &[
                "id",
                "label_nl",
                "label_en",
                "unit",
                "direction",
                "source",
                "periods",
                "levels",
            ],
            rows,
        ));
    }
    Ok(Json(dtos).into_response())
}

#[derive(Serialize)]
struct RegionDto {
    code: String,
    name: Option<String>,
    parent: Option<String>,
}

impl From<&RegionRecord> for RegionDto {
    fn from(r: &RegionRecord) -> Self {
        RegionDto {
            code: r.code.to_string(),
            name: r.name.clone(),
            parent: r.parent.as_ref().map(ToString::to_string),
        }
    }
}

/// `GET /api/regions?level=&period=`
pub async fn regions(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<LevelPeriodFormat>,
) -> Result<Response, ApiError> {
    let (level, period, csv) = (p.level()?, p.period()?, p.csv()?);
    let (layout, regions) = state
        .query(move |store| query::regions(store, level, period))
        .await?;
    if csv {
        let rows = regions
            .iter()
            .map(|r| {
                vec![
                    r.code.to_string(),
                    r.name.clone().unwrap_or_default(),
                    r.parent
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                ]
            })
            .collect();
        return Ok(csv_response(
            &format!("regions_{level}_{layout}.csv"),
            &["code", "name", "parent"],
            rows,
        ));
    }
    Ok(Json(serde_json::json!({
        "level": level.as_str(),
        "layout": layout,
        "regions": regions.iter().map(RegionDto::from).collect::<Vec<_>>(),
    }))
    .into_response())
}

#[derive(Serialize)]
struct NationalDto {
    value: f64,
    derived: bool,
}

fn national(n: &Option<NationalValue>) -> Option<NationalDto> {
    n.as_ref().map(|n| NationalDto {
        value: n.value,
        derived: n.derived,
    })
}

#[derive(Serialize)]
struct ObservationDto {
    code: String,
    name: Option<String>,
    value: Option<f64>,
    lower: Option<f64>,
    upper: Option<f64>,
    status: &'static str,
    rank: Option<usize>,
    percentile: Option<f64>,
}

impl From<&TableRow> for ObservationDto {
    fn from(r: &TableRow) -> Self {
        ObservationDto {
            code: r.code.to_string(),
            name: r.name.clone(),
            value: r.value,
            lower: r.lower,
            upper: r.upper,
            status: r.status.as_str(),
            rank: r.rank,
            percentile: r
                .percentile
                .map(|p| kwm_engine::rank::round_half_away(p, 1)),
        }
    }
}

fn table_json(t: &IndicatorTable, c: &Catalogue) -> serde_json::Value {
    serde_json::json!({
        "indicator": IndicatorDto::new(&t.indicator, c),
        "level": t.level.as_str(),
        "period": t.period,
        "layout": t.layout,
        "ranked": t.ranked,
        "rank_rule": "1 = least favourable (highest value for neutral indicators); ties share the lowest rank; computed on values rounded to the indicator's decimals",
        "percentile_rule": "PERCENTRANK.INC × 100 over regions with a value: (min rank ascending − 1) / (n − 1)",
        "national": national(&t.national),
        "classes": t.classes,
        "observations": t.rows.iter().map(ObservationDto::from).collect::<Vec<_>>(),
    })
}

/// `GET /api/observations?indicator=&level=&period=`
pub async fn observations(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<IndicatorLevelPeriodFormat>,
) -> Result<Response, ApiError> {
    let indicator = p.required("indicator")?.to_string();
    let (level, period, csv) = (p.level()?, p.period()?, p.csv()?);
    let table = state
        .query(move |store| query::indicator_table(store, &indicator, level, period))
        .await?;
    if csv {
        // Whom the figures describe and where they come from, on every row: a CSV travels
        // without the page that explained it.
        let population =
            population_columns(state.catalogue(), table.indicator.indicator.id.as_str())[0].clone();
        let rows = table
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.code.to_string(),
                    r.name.clone().unwrap_or_default(),
                    opt(r.value),
                    opt(r.lower),
                    opt(r.upper),
                    r.status.as_str().to_string(),
                    r.rank.map(|x| x.to_string()).unwrap_or_default(),
                    opt(r
                        .percentile
                        .map(|p| kwm_engine::rank::round_half_away(p, 1))),
                    population.clone(),
                    table.indicator.indicator.source.clone(),
                ]
            })
            .collect();
        return Ok(csv_response(
            &format!(
                "{}_{}_{}.csv",
                table.indicator.indicator.id, table.level, table.period
            ),
            &[
                "code",
                "name",
                "value",
                "lower",
                "upper",
                "status",
                "rank",
                "percentile",
                "population",
                "source",
            ],
            rows,
        ));
    }
    Ok(Json(table_json(&table, state.catalogue())).into_response())
}

/// A region's profile on the wire (`GET /api/regions/{code}`): written straight from these
/// types, not through a `serde_json::Value` tree (measured: building and dropping that tree was
/// a fifth of a profile request).
#[derive(Serialize)]
struct ProfileDto<'a> {
    region: ProfileRegionDto<'a>,
    period: Option<i32>,
    periods: &'a [i32],
    indicators: Vec<ProfileIndicatorDto>,
    parents: Vec<ProfileLinkDto<'a>>,
    children: Vec<ProfileChildDto<'a>>,
    children_level: Option<&'static str>,
    children_layout: Option<i32>,
    person_stacking: Option<PersonStackingDto>,
}

#[derive(Serialize)]
struct ProfileRegionDto<'a> {
    code: &'a str,
    name: &'a Option<String>,
    level: &'static str,
    layout: Option<i32>,
    parent: Option<ProfileChildDto<'a>>,
}

#[derive(Serialize)]
struct ProfileIndicatorDto {
    indicator: IndicatorDto,
    value: Option<f64>,
    lower: Option<f64>,
    upper: Option<f64>,
    status: &'static str,
    rank: Option<usize>,
    ranked: usize,
    percentile: Option<f64>,
    national: Option<NationalDto>,
}

#[derive(Serialize)]
struct ProfileLinkDto<'a> {
    code: &'a str,
    name: &'a Option<String>,
    level: &'static str,
}

#[derive(Serialize)]
struct ProfileChildDto<'a> {
    code: &'a str,
    name: &'a Option<String>,
}

#[derive(Serialize)]
struct PersonStackingDto {
    synthetic: bool,
    href: String,
}

fn profile_dto<'a>(p: &'a RegionProfile, c: &Catalogue) -> ProfileDto<'a> {
    ProfileDto {
        region: ProfileRegionDto {
            code: p.region.code.as_str(),
            name: &p.region.name,
            level: p.region.code.level().as_str(),
            layout: p.region.layout,
            parent: p
                .region
                .parent
                .as_ref()
                .map(|(code, name)| ProfileChildDto {
                    code: code.as_str(),
                    name,
                }),
        },
        period: p.period,
        periods: &p.periods,
        indicators: p
            .rows
            .iter()
            .map(|r| ProfileIndicatorDto {
                indicator: IndicatorDto::new(&r.indicator, c),
                value: r.row.value,
                lower: r.row.lower,
                upper: r.row.upper,
                status: r.row.status.as_str(),
                rank: r.row.rank,
                ranked: r.ranked,
                percentile: r
                    .row
                    .percentile
                    .map(|x| kwm_engine::rank::round_half_away(x, 1)),
                national: national(&r.national),
            })
            .collect(),
        parents: p
            .links
            .parents
            .iter()
            .map(|l| ProfileLinkDto {
                code: l.code.as_str(),
                name: &l.name,
                level: l.code.level().as_str(),
            })
            .collect(),
        children: p
            .links
            .children
            .iter()
            .map(|l| ProfileChildDto {
                code: l.code.as_str(),
                name: &l.name,
            })
            .collect(),
        children_level: p.links.children.first().map(|l| l.code.level().as_str()),
        children_layout: p.links.children_layout,
        person_stacking: p.person_stacking.map(|synthetic| PersonStackingDto {
            synthetic,
            href: format!(
                "/api/persons-stacking?region={}&period={}",
                p.region.code,
                p.period.unwrap_or_default()
            ),
        }),
    }
}

api_params!(
    /// The query parameters of `GET /api/regions/{code}`.
    RegionParams { period, source, format }
);

/// `GET /api/regions/{code}?period=&source=&format=`: the region's profile; `source` keeps the
/// indicators of one source (one table of the profile page), `format=csv` gives one row per
/// indicator with the population it describes and its source.
pub async fn region(
    State(state): State<AppState>,
    Path(code): Path<String>,
    ApiQuery(p): ApiQuery<RegionParams>,
) -> Result<Response, ApiError> {
    let code = query::parse_region(&code)?;
    let (period, csv) = (p.period()?, p.csv()?);
    let mut profile = state
        .query(move |store| query::region_profile(store, &code, period))
        .await?;
    if let Some(source) = p.get("source").filter(|s| !s.is_empty()) {
        profile
            .rows
            .retain(|r| r.indicator.indicator.source == source);
        if profile.rows.is_empty() {
            // A source the region has no figures of is something not found, as on the chart
            // route, not a malformed request.
            return Err(ApiError::not_found(format!(
                "no indicators of source '{source}' for this region"
            )));
        }
    }
    if csv {
        return Ok(profile_csv(&profile, state.catalogue()));
    }
    Ok(Json(profile_dto(&profile, state.catalogue())).into_response())
}

/// A population's columns in a CSV: id and labels; `unknown` when neither the catalogue nor the
/// file says whom a figure describes, so the column is never silently empty.
pub(crate) fn population_columns(c: &Catalogue, indicator: &str) -> [String; 3] {
    match c.population_of(indicator) {
        Some(p) => [p.id.clone(), p.label_nl.clone(), p.label_en.clone()],
        None => ["unknown".into(), "niet vermeld".into(), "not stated".into()],
    }
}

/// The title of the source an indicator comes from (catalogue), else the indicator id's prefix
/// (`kwb_…`), so a CSV row always names where its figure comes from.
pub(crate) fn source_title(c: &Catalogue, indicator: &str) -> String {
    let id = c
        .indicators
        .iter()
        .find(|i| i.indicator.id.as_str() == indicator)
        .map_or_else(
            || indicator.split('_').next().unwrap_or(indicator).to_string(),
            |i| i.source_id.clone(),
        );
    match c.source(&id) {
        Some(s) => format!("{} ({})", s.title_nl, s.publisher),
        None => id,
    }
}

/// Distinct texts joined with "; ", in first-seen order.
pub(crate) fn joined(items: impl IntoIterator<Item = String>) -> String {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !i.is_empty() && !out.contains(&i) {
            out.push(i);
        }
    }
    out.join("; ")
}

/// The profile as CSV: the same figures as [`profile_dto`], one row per indicator.
fn profile_csv(p: &RegionProfile, c: &Catalogue) -> Response {
    let rows = p
        .rows
        .iter()
        .map(|r| {
            let i = &r.indicator.indicator;
            let [pop, pop_nl, pop_en] = population_columns(c, i.id.as_str());
            vec![
                p.region.code.to_string(),
                p.region.name.clone().unwrap_or_default(),
                p.period.map(|y| y.to_string()).unwrap_or_default(),
                i.id.to_string(),
                i.label_nl.clone(),
                i.label_en.clone(),
                pop,
                pop_nl,
                pop_en,
                i.source.clone(),
                i.unit.clone(),
                opt(r.row.value),
                opt(r.row.lower),
                opt(r.row.upper),
                r.row.status.as_str().to_string(),
                r.row.rank.map(|x| x.to_string()).unwrap_or_default(),
                r.ranked.to_string(),
                opt(r
                    .row
                    .percentile
                    .map(|x| kwm_engine::rank::round_half_away(x, 1))),
                opt(r.national.as_ref().map(|n| n.value)),
                r.national
                    .as_ref()
                    .map(|n| n.derived.to_string())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    csv_response(
        &format!(
            "{}_{}.csv",
            p.region.code,
            p.period.map(|y| y.to_string()).unwrap_or_default()
        ),
        &[
            "region",
            "region_name",
            "period",
            "indicator",
            "label_nl",
            "label_en",
            "population",
            "population_nl",
            "population_en",
            "source",
            "unit",
            "value",
            "lower",
            "upper",
            "status",
            "rank",
            "ranked",
            "percentile",
            "national",
            "national_derived",
        ],
        rows,
    )
}

api_params!(
    /// The query parameters of `GET /api/regions/{code}/similar`.
    SimilarParams { period, format }
);

/// `GET /api/regions/{code}/similar?period=&format=`: the similar areas under the catalogue's
/// rule, with the rule itself so the answer explains itself.
pub async fn similar(
    State(state): State<AppState>,
    Path(code): Path<String>,
    ApiQuery(p): ApiQuery<SimilarParams>,
) -> Result<Response, ApiError> {
    let code = query::parse_region(&code)?;
    let (period, csv) = (p.period()?, p.csv()?);
    let catalogue = state.catalogue().clone();
    let s = state
        .query(move |store| kwm_monitor::similar::similar(store, &catalogue, &code, period))
        .await?;
    if csv {
        let (header, rows) = similar_table(state.catalogue(), &s);
        return Ok(csv_response(
            &format!("similar_{}_{}.csv", s.code, s.period),
            &header,
            rows,
        ));
    }
    Ok(Json(serde_json::json!({
        "region": s.code.to_string(),
        "level": s.code.level().as_str(),
        "period": s.period,
        "rule": {
            "k": s.rule.k,
            "same_level": true,
            "method": "k nearest regions of the same level by Euclidean distance on z-scores (population standard deviation over the regions with every variable), each multiplied by its weight; log = natural logarithm before standardising",
            "source": "catalogue/similar.toml",
            "variables": s.rule.variables.iter().zip(&s.periods).map(|(v, (_, at))| serde_json::json!({
                "indicator": v.indicator.to_string(), "weight": v.weight, "log": v.log, "period": at,
            })).collect::<Vec<_>>(),
        },
        "compared": s.compared,
        "missing": s.missing,
        "similar": s.areas.iter().map(|a| serde_json::json!({
            "code": a.code.to_string(), "name": a.name, "distance": a.distance,
        })).collect::<Vec<_>>(),
    }))
    .into_response())
}

/// The similar areas as CSV rows: code, name and distance, and on every row what the distance
/// is computed on (the rule's variables with their periods), whom those figures describe and
/// their sources — a distance compares whole areas, not one population.
pub(crate) fn similar_table(
    c: &Catalogue,
    s: &kwm_monitor::similar::SimilarAreas,
) -> ([&'static str; 6], Vec<Vec<String>>) {
    let based_on = s
        .rule
        .variables
        .iter()
        .zip(&s.periods)
        .map(|(v, (_, at))| match at {
            Some(y) => format!("{} {y}", v.indicator),
            None => v.indicator.to_string(),
        })
        .collect::<Vec<_>>()
        .join("; ");
    let population = joined(
        s.rule
            .variables
            .iter()
            .map(|v| population_columns(c, v.indicator.as_str())[0].clone()),
    );
    let source = format!(
        "{}; rule: catalogue/similar.toml",
        joined(
            s.rule
                .variables
                .iter()
                .map(|v| source_title(c, v.indicator.as_str()))
        )
    );
    let rows = s
        .areas
        .iter()
        .map(|a| {
            vec![
                a.code.to_string(),
                a.name.clone().unwrap_or_default(),
                format!("{:.4}", a.distance),
                based_on.clone(),
                population.clone(),
                source.clone(),
            ]
        })
        .collect();
    (
        [
            "code",
            "name",
            "distance",
            "based_on",
            "population",
            "source",
        ],
        rows,
    )
}

/// A search hit on the wire.
#[derive(Serialize)]
struct SearchHitDto {
    code: String,
    name: Option<String>,
    level: &'static str,
    gemeente_code: Option<String>,
    gemeente_name: Option<String>,
    layout: i32,
    r#match: &'static str,
}

api_params!(
    /// The query parameters of `GET /api/search`.
    SearchParams { q, limit }
);

/// `GET /api/search?q=&limit=`: regions by name or code, best matches first.
pub async fn search(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> Result<Response, ApiError> {
    let text = p.required("q")?.to_string();
    let limit = p
        .get("limit")
        .map(|raw| {
            raw.parse::<usize>().map_err(|_| {
                ApiError::bad_request(format!("limit must be a whole number, found '{raw}'"))
            })
        })
        .transpose()?;
    let hits = state
        .query(move |store| query::search(store, &text, limit))
        .await?;
    let dtos: Vec<SearchHitDto> = hits
        .into_iter()
        .map(|h| SearchHitDto {
            level: h.code.level().as_str(),
            code: h.code.to_string(),
            name: h.name,
            gemeente_code: h.gemeente.as_ref().map(|(g, _)| g.to_string()),
            gemeente_name: h.gemeente.and_then(|(_, n)| n),
            layout: h.layout,
            r#match: h.kind.as_str(),
        })
        .collect();
    Ok(Json(dtos).into_response())
}

/// `GET /api/loads`: provenance of everything in the store.
pub async fn loads(
    State(state): State<AppState>,
    _: ApiQuery<NoParams>,
) -> Result<Response, ApiError> {
    let loads: Vec<LoadRecord> = state.query(|store| Ok(store.loads()?)).await?;
    Ok(Json(loads).into_response())
}

/// Unknown `/api/...` paths.
pub async fn not_found() -> ApiError {
    ApiError::not_found("no such API endpoint; see /api/openapi.json")
}
