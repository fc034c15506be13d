//! `kwm radar`: the findability radar in the terminal — the areas with high need and clearly
//! lower use of support than expected, and why. Areas only, never persons.

use anyhow::anyhow;
use clap::Args;
use kwm_monitor::radar::{RadarOutcome, RadarQuery};
use kwm_store::StoreLocation;

use crate::CatalogueArg;

/// Arguments of `kwm radar`.
#[derive(Args, Debug)]
pub struct RadarArgs {
    /// Store: a SQLite file or a postgres:// URL.
    #[arg(long, value_name = "FILE|URL")]
    db: StoreLocation,
    /// Level of the areas.
    #[arg(long, default_value = "wijk", value_parser = ["gemeente", "wijk", "buurt"])]
    level: String,
    /// Period (default: the latest with the support's figures).
    #[arg(long)]
    period: Option<i32>,
    /// Kind of support from the catalogue's radar.toml (default: the first with figures).
    #[arg(long)]
    support: Option<String>,
    /// Only the areas of this gemeente (GM code); the model still uses the whole level.
    #[arg(long)]
    gemeente: Option<String>,
    /// List every area, not only the candidates.
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    catalogue: CatalogueArg,
}

fn num(v: Option<f64>, d: usize) -> String {
    v.map_or_else(|| "–".to_string(), |x| format!("{x:.d$}"))
}

/// `kwm radar`
pub fn run(args: &RadarArgs) -> anyhow::Result<()> {
    if args.db.is_missing() {
        return Err(anyhow!(
            "store {} does not exist; load figures first with `kwm ingest`",
            args.db
        ));
    }
    let (catalogue, _) = kwm_monitor::catalogue::resolve(args.catalogue.catalogue.as_deref())?;
    let store = args
        .db
        .open()
        .map_err(|e| anyhow!("cannot open store {}: {e}", args.db))?;
    let query = RadarQuery {
        level: kwm_monitor::query::parse_level(&args.level)?,
        period: args.period,
        support: args.support.clone(),
        gemeente: args
            .gemeente
            .as_deref()
            .map(kwm_monitor::query::parse_region)
            .transpose()?,
    };
    let r = kwm_monitor::radar::radar(&*store, &catalogue, &query)?;
    println!(
        "radar {} — {} {} ({})",
        r.support.label_nl, r.level, r.period, r.support.unit_nl
    );
    match &r.outcome {
        RadarOutcome::MissingData(missing) => {
            println!("figures not loaded for this level and period:");
            for m in missing {
                let tables: Vec<String> =
                    m.tables.iter().map(|(t, p)| format!("{t} ({p})")).collect();
                println!(
                    "  {} ({}): StatLine key {} in {}; loaded for [{}]",
                    m.label_nl,
                    m.id,
                    m.keys.join(", "),
                    if tables.is_empty() {
                        "an unknown table".to_string()
                    } else {
                        tables.join(", ")
                    },
                    m.loaded_periods
                        .iter()
                        .map(i32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            println!("load that year's table with `kwm ingest --db STORE FILE`");
            return Ok(());
        }
        RadarOutcome::NoModel(reason) => {
            println!("no expectation can be computed: {reason:?}");
            return Ok(());
        }
        RadarOutcome::Model(m) => println!(
            "model: log(use{}) on need and controls, {} areas, R² {:.2} and residual sd {:.3} on the log scale, {:.0}% prediction intervals; high need by {}",
            if m.log_offset > 0.0 {
                format!(" + {:.2}", m.log_offset)
            } else {
                String::new()
            },
            m.n,
            m.r_squared,
            m.residual_sd,
            100.0 * m.interval,
            r.need_rule
        ),
    }
    if let Some(g) = &r.gemeente_without_figures {
        println!(
            "no figures for {} ({}) at level {} in {}: nothing to assess there (not zero candidates)",
            g.name.clone().unwrap_or_else(|| g.code.to_string()),
            g.code,
            r.level,
            r.period
        );
        for m in &g.missing {
            println!("  needed: {} ({}), columns {:?}", m.label_en, m.id, m.keys);
        }
        for (l, p) in &g.elsewhere {
            println!("  figures exist at: --level {l} --period {p}");
        }
        return Ok(());
    }
    let candidates = r.candidates().count();
    println!(
        "{candidates} radar candidate(s) — need may be out of sight there (areas, never persons)"
    );
    for a in r.areas.iter().filter(|a| args.all || a.row.candidate) {
        println!(
            "{}{} {}: use {} expected {} [{}–{}], difference {}, p {} q {}, need score {}, flagged [{}]",
            if a.row.candidate { "* " } else { "  " },
            a.code,
            a.name.clone().unwrap_or_default(),
            num(a.row.observed, 1),
            num(a.row.expected, 1),
            num(a.row.lower, 1),
            num(a.row.upper, 1),
            match (a.row.gap, a.row.relative_gap) {
                (Some(g), Some(rel)) => format!("{g:+.1} ({:+.0}%)", 100.0 * rel),
                (Some(g), None) => format!("{g:+.1}"),
                _ => "–".to_string(),
            },
            num(a.row.p_below, 3),
            num(a.row.q_below, 2),
            num(a.row.need_score, 0),
            a.flagged.join(", ")
        );
    }
    Ok(())
}
