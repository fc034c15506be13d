//! The risk model's stored results, read once for both backends (`?N` placeholders): a run per
//! level and period with its regions, factor scores, theme exposure, method ranks and
//! clusters. Each backend keeps its inserts (PostgreSQL sends a region's child rows in one
//! `UNNEST` statement and numbers them in `ord`; SQLite inserts row by row).

use std::collections::HashMap;

use kwm_model::{Level, RegionCode};

use crate::row::Dialect;
use crate::row::{parse_code, parse_level, Columns, Query};
use crate::{
    Result, RiskClusterRecord, RiskFactorRecord, RiskMethodRankRecord, RiskRegionRecord, RiskRun,
    RiskRunRecord, RiskThemeRecord,
};

/// Forgets the run of level `?1` and period `?2` (its rows go with it: `ON DELETE CASCADE`).
pub(crate) const DELETE_RUN: &str = "DELETE FROM risk_runs WHERE level = ?1 AND period = ?2";

/// Stores one region of run `?1`.
pub(crate) const INSERT_REGION: &str = "INSERT INTO risk_regions (run_id, region, flagged, with_data, weak_protective, protective_with_data, composite, composite_rank, composite_percentile, rank_median, rank_lower, rank_upper)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

const RUN_COLUMNS: &str =
    "SELECT id, level, period, layout, catalogue_version, fingerprint, parameters, summary, computed_at FROM risk_runs";

/// Rows of a run's child tables in the order they were stored within their region: SQLite
/// keeps it in the rowid; PostgreSQL tables have no such order, so there the rows carry `ord`.
fn child_order(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "rowid",
        Dialect::Postgres => "region, ord",
    }
}

fn run_record(r: &impl Columns) -> Result<RiskRunRecord> {
    Ok(RiskRunRecord {
        id: r.get(0)?,
        level: parse_level(&r.get::<String>(1)?)?,
        period: r.get(2)?,
        layout: r.get(3)?,
        catalogue_version: r.get(4)?,
        fingerprint: r.get(5)?,
        parameters: r.get(6)?,
        summary: r.get(7)?,
        computed_at: r.get(8)?,
    })
}

/// `Store::risk_runs`.
pub(crate) fn runs(q: &impl Query) -> Result<Vec<RiskRunRecord>> {
    q.records(
        &format!("{RUN_COLUMNS} ORDER BY level, period"),
        &[],
        "reading risk runs",
        |r| run_record(r),
    )
}

/// A stored run (`Store::risk_run`, `Store::risk_run_flags`); `full`: with traces, theme
/// exposure and method ranks; `region`: only that region's rows.
pub(crate) fn run(
    q: &impl Query,
    level: Level,
    period: i32,
    region: Option<&RegionCode>,
    full: bool,
) -> Result<Option<RiskRun>> {
    let Some(run) = q
        .records(
            &format!("{RUN_COLUMNS} WHERE level = ?1 AND period = ?2"),
            &[&level.as_str(), &period],
            "reading risk run",
            |r| run_record(r),
        )?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    // An empty filter matches every region; a code filters to one.
    let filter = region.map_or("", |r| r.as_str());
    let order = child_order(q.dialect());
    let mut regions = q.records(
        "SELECT region, flagged, with_data, weak_protective, protective_with_data, composite, composite_rank, composite_percentile, rank_median, rank_lower, rank_upper
         FROM risk_regions WHERE run_id = ?1 AND (?2 = '' OR region = ?2) ORDER BY region",
        &[&run.id, &filter],
        "reading risk regions",
        |r| {
            Ok(RiskRegionRecord {
                region: parse_code(r.get(0)?)?,
                flagged: r.get(1)?,
                with_data: r.get(2)?,
                weak_protective: r.get(3)?,
                protective_with_data: r.get(4)?,
                composite: r.get(5)?,
                composite_rank: r.get(6)?,
                composite_percentile: r.get(7)?,
                rank_median: r.get(8)?,
                rank_lower: r.get(9)?,
                rank_upper: r.get(10)?,
                method_ranks: Vec::new(),
                factors: Vec::new(),
                themes: Vec::new(),
            })
        },
    )?;
    let index: HashMap<String, usize> = regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.region.as_str().to_string(), i))
        .collect();
    for (code, f) in q.records(
        &format!(
            "SELECT region, factor, score, rank, ranked, percentile, flagged, CASE WHEN ?3 THEN trace ELSE '' END AS trace
             FROM risk_factor_scores WHERE run_id = ?1 AND (?2 = '' OR region = ?2) ORDER BY {order}"
        ),
        &[&run.id, &filter, &full],
        "reading risk factor scores",
        |r| {
            Ok((
                r.get::<String>(0)?,
                RiskFactorRecord {
                    factor: r.get(1)?,
                    score: r.get(2)?,
                    rank: r.get(3)?,
                    ranked: r.get(4)?,
                    percentile: r.get(5)?,
                    flagged: r.get(6)?,
                    trace: r.get(7)?,
                },
            ))
        },
    )? {
        if let Some(&i) = index.get(&code) {
            regions[i].factors.push(f);
        }
    }
    if full {
        for (code, t) in q.records(
            &format!(
                "SELECT region, theme, exposure, rank, ranked, coverage, flagged_weight, drivers
                 FROM risk_theme_exposure WHERE run_id = ?1 AND (?2 = '' OR region = ?2) ORDER BY {order}"
            ),
            &[&run.id, &filter],
            "reading risk theme exposure",
            |r| {
                Ok((
                    r.get::<String>(0)?,
                    RiskThemeRecord {
                        theme: r.get(1)?,
                        exposure: r.get(2)?,
                        rank: r.get(3)?,
                        ranked: r.get(4)?,
                        coverage: r.get(5)?,
                        flagged_weight: r.get(6)?,
                        drivers: r.get(7)?,
                    },
                ))
            },
        )? {
            if let Some(&i) = index.get(&code) {
                regions[i].themes.push(t);
            }
        }
        for (code, m) in q.records(
            &format!(
                "SELECT region, method, score, rank
                 FROM risk_method_ranks WHERE run_id = ?1 AND (?2 = '' OR region = ?2) ORDER BY {order}"
            ),
            &[&run.id, &filter],
            "reading method ranks",
            |r| {
                Ok((
                    r.get::<String>(0)?,
                    RiskMethodRankRecord {
                        method: r.get(1)?,
                        score: r.get(2)?,
                        rank: r.get(3)?,
                    },
                ))
            },
        )? {
            if let Some(&i) = index.get(&code) {
                regions[i].method_ranks.push(m);
            }
        }
    }
    Ok(Some(RiskRun {
        run,
        regions,
        clusters: Vec::new(),
    }))
}

/// `Store::risk_clusters`: an empty filter matches all.
pub(crate) fn clusters(
    q: &impl Query,
    level: Level,
    period: i32,
    variable: Option<&str>,
    statistic: Option<&str>,
    region: Option<&RegionCode>,
) -> Result<Vec<RiskClusterRecord>> {
    q.records(
        "SELECT c.variable, c.statistic, c.region, c.status, c.value, c.stat, c.z, c.p_sim, c.quadrant
         FROM risk_clusters c JOIN risk_runs r ON r.id = c.run_id
         WHERE r.level = ?1 AND r.period = ?2
           AND (?3 = '' OR c.variable = ?3) AND (?4 = '' OR c.statistic = ?4) AND (?5 = '' OR c.region = ?5)
         ORDER BY c.variable, c.statistic, c.region",
        &[
            &level.as_str(),
            &period,
            &variable.unwrap_or(""),
            &statistic.unwrap_or(""),
            &region.map_or("", |r| r.as_str()),
        ],
        "reading clusters",
        |r| {
            Ok(RiskClusterRecord {
                variable: r.get(0)?,
                statistic: r.get(1)?,
                region: parse_code(r.get(2)?)?,
                status: r.get(3)?,
                value: r.get(4)?,
                stat: r.get(5)?,
                z: r.get(6)?,
                p_sim: r.get(7)?,
                quadrant: r.get(8)?,
            })
        },
    )
}
