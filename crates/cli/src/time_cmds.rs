//! `kwm layouts` and `kwm harmonise`: region layouts over time.

use anyhow::anyhow;
use clap::Args;
use kwm_model::ChangeKind;
use kwm_monitor::harmonise::{self, HarmoniseReport};
use kwm_monitor::layouts;
use kwm_store::{Store, StoreLocation};

use crate::CatalogueArg;

/// Arguments of `kwm layouts`.
#[derive(Args, Debug)]
pub struct LayoutsArgs {
    /// Store: a SQLite file or a postgres:// URL.
    #[arg(long, value_name = "FILE|URL")]
    db: StoreLocation,
    /// List every change, not only the counts per pair of layouts.
    #[arg(long)]
    all: bool,
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `kwm harmonise`.
#[derive(Args, Debug)]
pub struct HarmoniseArgs {
    /// Store: a SQLite file or a postgres:// URL.
    #[arg(long, value_name = "FILE|URL")]
    db: StoreLocation,
    /// Target layout year (repeatable). Default: the newest stored layout.
    #[arg(long = "to", value_name = "YEAR")]
    to: Vec<i32>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    catalogue: CatalogueArg,
}

fn open_existing(db: &StoreLocation) -> anyhow::Result<Box<dyn Store + Send>> {
    if db.is_missing() {
        return Err(anyhow!(
            "store {db} does not exist; create it with `kwm ingest --db {db} FILES`"
        ));
    }
    db.open()
        .map_err(|e| anyhow!("cannot open store {db}: {e}"))
}

fn kinds_text(counts: &std::collections::BTreeMap<ChangeKind, usize>) -> String {
    if counts.is_empty() {
        return "no changes".into();
    }
    counts
        .iter()
        .map(|(k, n)| format!("{n} {}", k.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn codes_text(codes: &[kwm_model::RegionCode]) -> String {
    let shown: Vec<&str> = codes.iter().take(8).map(|c| c.as_str()).collect();
    let more = codes.len().saturating_sub(shown.len());
    if more > 0 {
        format!("{} … (+{more})", shown.join(" "))
    } else {
        shown.join(" ")
    }
}

/// `kwm layouts`
pub fn layouts(args: &LayoutsArgs) -> anyhow::Result<()> {
    let mut store = open_existing(&args.db)?;
    // Bring the comparisons up to date (a store loaded by an older kwm has none yet).
    layouts::derive_changes(&mut *store).map_err(|e| anyhow!("{e}"))?;
    let overview = layouts::overview(&*store).map_err(|e| anyhow!("{e}"))?;
    if args.json {
        let changes =
            layouts::changes_between(&*store, None, None, None).map_err(|e| anyhow!("{e}"))?;
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "levels": overview, "changes": changes })
            )?
        );
        return Ok(());
    }
    for level in &overview {
        println!("{}", level.level);
        for l in &level.layouts {
            println!(
                "  layout {}: {} regions ({} named), {} boundaries",
                l.layout, l.regions, l.named, l.boundaries
            );
        }
        for p in &level.pairs {
            println!(
                "  {} → {}: {} ({} from a change table); {} regions compared",
                p.from_layout,
                p.to_layout,
                kinds_text(&p.counts),
                p.official,
                p.compared
            );
            if !p.unexplained_disappeared.is_empty() {
                println!(
                    "    disappeared, successor unknown ({}): {}",
                    p.unexplained_disappeared.len(),
                    codes_text(&p.unexplained_disappeared)
                );
            }
            if !p.unexplained_appeared.is_empty() {
                println!(
                    "    appeared, predecessor unknown ({}): {}",
                    p.unexplained_appeared.len(),
                    codes_text(&p.unexplained_appeared)
                );
            }
        }
        if args.all && layouts::CHANGING_LEVELS.contains(&level.level) {
            for c in layouts::effective_changes(&*store, level.level).map_err(|e| anyhow!("{e}"))? {
                let ch = &c.change;
                let candidate =
                    c.origin == kwm_store::ChangeOrigin::Derived && ch.kind == ChangeKind::Boundary;
                println!(
                    "    {} {} {} {} → {} {}{}{}{}",
                    ch.effective
                        .clone()
                        .unwrap_or_else(|| format!("layout {}", ch.to_layout)),
                    ch.kind,
                    ch.old_code,
                    ch.old_name.clone().unwrap_or_default(),
                    ch.new_code,
                    ch.new_name.clone().unwrap_or_default(),
                    ch.weight
                        .filter(|w| *w < 1.0)
                        .map(|w| format!(", share {w:.4}"))
                        .unwrap_or_default(),
                    ch.weight_basis
                        .as_ref()
                        .filter(|_| ch.weight.is_some_and(|w| w < 1.0))
                        .map(|b| format!(" ({b})"))
                        .unwrap_or_default(),
                    if candidate {
                        " — candidate from generalised boundaries, not applied to figures"
                    } else {
                        ""
                    },
                );
            }
        }
    }
    Ok(())
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "unknown".into())
}

/// Harmonises onto each target; used by `kwm harmonise` and `kwm demo`.
pub fn run_harmonise(
    store: &mut dyn Store,
    catalogue: &kwm_model::catalogue::Catalogue,
    targets: &[i32],
) -> anyhow::Result<Vec<HarmoniseReport>> {
    layouts::derive_changes(store).map_err(|e| anyhow!("{e}"))?;
    targets
        .iter()
        .map(|&t| harmonise::harmonise(store, catalogue, t, &now()).map_err(|e| anyhow!("{e}")))
        .collect()
}

/// The default targets of `kwm harmonise`: the newest stored layout.
fn newest_layout(store: &dyn Store) -> anyhow::Result<i32> {
    store
        .layout_summaries()?
        .iter()
        .map(|s| s.layout)
        .max()
        .ok_or_else(|| anyhow!("the store holds no regions yet; load files with `kwm ingest`"))
}

/// `kwm harmonise`
pub fn harmonise_cmd(args: &HarmoniseArgs) -> anyhow::Result<()> {
    let (catalogue, _) = kwm_monitor::catalogue::resolve(args.catalogue.catalogue.as_deref())
        .map_err(|e| anyhow!("{e}"))?;
    let mut store = open_existing(&args.db)?;
    let targets = if args.to.is_empty() {
        vec![newest_layout(&*store)?]
    } else {
        args.to.clone()
    };
    let reports = run_harmonise(&mut *store, &catalogue, &targets)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
        return Ok(());
    }
    for r in &reports {
        print_report(r);
    }
    Ok(())
}

/// Prints one harmonisation report.
pub fn print_report(r: &HarmoniseReport) {
    if !r.ran {
        println!(
            "layout {}: up to date ({} figures); nothing changed",
            r.target, r.rows
        );
        return;
    }
    let layouts: Vec<String> = r.layouts.iter().map(|(l, y)| format!("{l} {y}")).collect();
    println!(
        "layout {}: {} figures harmonised ({})",
        r.target,
        r.rows,
        layouts.join(", ")
    );
    for (method, n) in &r.by_method {
        println!("  {n:>7}  {method}: {}", harmonise::method_label(method));
    }
    for n in &r.notes {
        println!("  note: {n}");
    }
}
