//! Person-level stacking: `GET /api/persons-stacking` (the distribution of persons by number of
//! risk characteristics per region, in total and per breakdown cell) and `GET /api/breakdowns`
//! (every breakdown cell of one indicator for one region). Only disclosure-checked tables are
//! stored; a suppressed cell is answered as suppressed, with no value.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kwm_monitor::persons::{self, Cell, DistributionRow, PersonStacking};
use kwm_monitor::query;
use serde::Serialize;

use crate::api::{api_params, csv_response, opt, ApiParams, ApiQuery};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Serialize)]
struct CellOut {
    value: Option<f64>,
    status: &'static str,
}

fn cell(c: Cell) -> CellOut {
    match c {
        Cell::Value(v) => CellOut {
            value: Some(v),
            status: "ok",
        },
        Cell::Suppressed => CellOut {
            value: None,
            status: "suppressed",
        },
        Cell::Missing => CellOut {
            value: None,
            status: "missing",
        },
    }
}

fn status(c: Cell) -> &'static str {
    cell(c).status
}

#[derive(Serialize)]
struct ClassOut<'a> {
    indicator: &'a str,
    label: &'a str,
    from: u8,
    open: bool,
}

#[derive(Serialize)]
struct CountOut<'a> {
    class: &'a str,
    value: Option<f64>,
    status: &'static str,
    /// Percentage of the persons, from published figures only.
    share: Option<f64>,
}

#[derive(Serialize)]
struct RowOut<'a> {
    breakdown: &'a str,
    dimensions: serde_json::Map<String, serde_json::Value>,
    persons: CellOut,
    counts: Vec<CountOut<'a>>,
}

#[derive(Serialize)]
struct PersonsOut<'a> {
    synthetic: bool,
    note: &'static str,
    indicator_prefix: &'a str,
    available_prefixes: &'a [String],
    region: &'a str,
    name: Option<&'a str>,
    period: i32,
    periods: &'a [i32],
    classes: Vec<ClassOut<'a>>,
    rows: Vec<RowOut<'a>>,
    load_ids: &'a [i64],
}

fn rows(s: &PersonStacking) -> Vec<&DistributionRow> {
    std::iter::once(&s.total)
        .chain(s.groups.iter().flat_map(|g| &g.rows))
        .collect()
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

api_params!(
    /// The query parameters of `GET /api/persons-stacking`.
    PersonsStackingParams { region, period, data, format }
);

/// `GET /api/persons-stacking?region=&period=&data=&format=`
pub async fn persons_stacking(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<PersonsStackingParams>,
) -> Result<Response, ApiError> {
    let region = p
        .get("region")
        .filter(|r| !r.is_empty())
        .map(query::parse_region)
        .transpose()?;
    let prefix = match p.get("data") {
        None | Some("") => None,
        Some("real") => Some(persons::PREFIX_REAL),
        Some("synthetic") => Some(persons::PREFIX_SYNTHETIC),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "expected data real or synthetic, found '{other}'"
            )))
        }
    };
    let (period, csv) = (p.period()?, p.csv()?);
    let s = state
        .query(move |st| persons::person_stacking(st, prefix, region.as_ref(), period))
        .await?
        .ok_or_else(|| {
            ApiError::from(kwm_monitor::MonitorError::NotFound(
                "no person-level stacking table is loaded (make one with `kwm microdata stack` and load it with `kwm ingest`)".into(),
            ))
        })?;
    if csv {
        let mut out = Vec::new();
        for r in rows(&s) {
            for (c, (count, share)) in s.classes.iter().zip(r.counts.iter().zip(&r.shares)) {
                out.push(vec![
                    s.region.to_string(),
                    s.period.to_string(),
                    r.breakdown.clone(),
                    c.label.clone(),
                    opt(count.value()),
                    status(*count).to_string(),
                    opt(r.persons.value()),
                    opt(share.map(round1)),
                    s.synthetic.to_string(),
                ]);
            }
        }
        return Ok(csv_response(
            &format!("{}persons_stacking_{}_{}.csv", s.prefix, s.region, s.period),
            &[
                "region",
                "period",
                "breakdown",
                "class",
                "persons_in_class",
                "status",
                "persons",
                "share",
                "synthetic",
            ],
            out,
        ));
    }
    let out = PersonsOut {
        synthetic: s.synthetic,
        note: if s.synthetic {
            "SYNTHETIC: made from invented persons by `kwm microdata generate`; not statistics of real persons."
        } else {
            "Tables made from person-level data with disclosure control (`kwm microdata stack`); suppressed cells have no value."
        },
        indicator_prefix: &s.prefix,
        available_prefixes: &s.prefixes,
        region: s.region.as_str(),
        name: s.region_name.as_deref(),
        period: s.period,
        periods: &s.periods,
        classes: s
            .classes
            .iter()
            .map(|c| ClassOut {
                indicator: &c.indicator,
                label: &c.label,
                from: c.from,
                open: c.open,
            })
            .collect(),
        rows: rows(&s)
            .into_iter()
            .map(|r| RowOut {
                breakdown: &r.breakdown,
                dimensions: r
                    .parts
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                    .collect(),
                persons: cell(r.persons),
                counts: s
                    .classes
                    .iter()
                    .zip(r.counts.iter().zip(&r.shares))
                    .map(|(c, (count, share))| CountOut {
                        class: &c.label,
                        value: count.value(),
                        status: status(*count),
                        share: share.map(round1),
                    })
                    .collect(),
            })
            .collect(),
        load_ids: &s.load_ids,
    };
    Ok(Json(out).into_response())
}

#[derive(Serialize)]
struct BreakdownOut {
    breakdown: String,
    value: Option<f64>,
    n: Option<f64>,
    status: &'static str,
    load_id: i64,
}

api_params!(
    /// The query parameters of `GET /api/breakdowns`.
    BreakdownsParams { indicator, region, period }
);

/// `GET /api/breakdowns?indicator=&region=&period=`
pub async fn breakdowns(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<BreakdownsParams>,
) -> Result<Response, ApiError> {
    let indicator = p.required("indicator")?.to_string();
    let region = query::parse_region(p.required("region")?)?;
    let period = query::parse_period(p.required("period")?)?;
    let cells = state
        .query(move |st| persons::breakdown_cells(st, &indicator, &region, period))
        .await?;
    let out: Vec<BreakdownOut> = cells
        .into_iter()
        .map(|o| BreakdownOut {
            breakdown: o.breakdown,
            value: o.value,
            n: o.n,
            status: o.status.as_str(),
            load_id: o.load_id,
        })
        .collect();
    Ok(Json(out).into_response())
}
