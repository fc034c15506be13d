//! `kwm regiobeeld`: the regional picture of one region, or of every region of a level, as PDF,
//! SVG or HTML files made without a server or browser.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use clap::Args;
use kwm_model::RegionCode;
use kwm_server::i18n::Lang;
use kwm_server::{render_file, FileFormat, ShapeCache};
use kwm_store::StoreLocation;

use crate::CatalogueArg;

/// Arguments of `kwm regiobeeld`.
#[derive(Args, Debug)]
pub struct RegiobeeldArgs {
    /// Store: a SQLite file or a postgres:// URL.
    #[arg(long, value_name = "FILE|URL")]
    db: StoreLocation,
    /// One region (GM, WK or BU code); `--out` is then a file whose extension (.pdf, .svg,
    /// .html) chooses the format.
    #[arg(long, conflicts_with = "all", required_unless_present = "all")]
    region: Option<String>,
    /// Every region of this level in the newest layout; `--out` is then a directory.
    #[arg(long, value_parser = ["gemeente", "wijk", "buurt"])]
    all: Option<String>,
    /// Format of the files with `--all`.
    #[arg(long, default_value = "pdf", value_parser = ["pdf", "svg", "html"])]
    format: String,
    /// Language: nl (default) or en.
    #[arg(long, default_value = "nl", value_parser = ["nl", "en"])]
    lang: String,
    /// Output file (with --region) or directory (with --all).
    #[arg(long)]
    out: PathBuf,
    /// Address of the monitor the pictures point to.
    #[arg(long, default_value = "http://localhost:8080")]
    base_url: String,
    #[command(flatten)]
    catalogue: CatalogueArg,
}

/// `kwm regiobeeld`
pub fn run(args: &RegiobeeldArgs) -> anyhow::Result<()> {
    if args.db.is_missing() {
        return Err(anyhow!(
            "store {} does not exist; load figures first with `kwm ingest` or `kwm demo`",
            args.db
        ));
    }
    let (catalogue, _) = kwm_monitor::catalogue::resolve(args.catalogue.catalogue.as_deref())?;
    let store = args
        .db
        .open()
        .map_err(|e| anyhow!("cannot open store {}: {e}", args.db))?;
    let lang = if args.lang == "en" {
        Lang::En
    } else {
        Lang::Nl
    };
    let mut shapes = ShapeCache::new();
    if let Some(raw) = &args.region {
        let code = kwm_monitor::query::parse_region(raw)?;
        let format = FileFormat::from_path(&args.out).ok_or_else(|| {
            anyhow!(
                "{}: expected a file name ending in .pdf, .svg or .html",
                args.out.display()
            )
        })?;
        let bytes = render_file(
            &*store,
            &catalogue,
            &code,
            lang,
            format,
            &mut shapes,
            &args.base_url,
        )?;
        write(&args.out, &bytes)?;
        println!("{} ({} bytes)", args.out.display(), bytes.len());
        return Ok(());
    }
    let level = kwm_monitor::query::parse_level(args.all.as_deref().unwrap_or("gemeente"))?;
    let format = match args.format.as_str() {
        "svg" => FileFormat::Svg,
        "html" => FileFormat::Html,
        _ => FileFormat::Pdf,
    };
    let (layout, regions) = kwm_monitor::query::regions(&*store, level, None)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create directory {}", args.out.display()))?;
    let started = std::time::Instant::now();
    let bar = indicatif::ProgressBar::new(regions.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} {msg} ({elapsed}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut failed: Vec<String> = Vec::new();
    let mut bytes_total = 0usize;
    for r in &regions {
        bar.set_message(r.code.to_string());
        match render_file(
            &*store,
            &catalogue,
            &r.code,
            lang,
            format,
            &mut shapes,
            &args.base_url,
        ) {
            Ok(bytes) => {
                bytes_total += bytes.len();
                write(&file_name(&args.out, &r.code, lang, format), &bytes)?;
            }
            // One region without figures does not stop the batch; it is reported at the end.
            Err(e) => failed.push(format!("{}: {e}", r.code)),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!(
        "{} {} regiobeelden ({level}, layout {layout}) in {} — {:.1} s, {:.1} MB",
        regions.len() - failed.len(),
        format.extension(),
        args.out.display(),
        started.elapsed().as_secs_f64(),
        bytes_total as f64 / 1e6
    );
    if !failed.is_empty() {
        return Err(anyhow!(
            "{} region(s) failed:\n{}",
            failed.len(),
            failed.join("\n")
        ));
    }
    Ok(())
}

fn file_name(dir: &Path, code: &RegionCode, lang: Lang, format: FileFormat) -> PathBuf {
    dir.join(format!(
        "regiobeeld_{code}_{}.{}",
        lang.code(),
        format.extension()
    ))
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}
