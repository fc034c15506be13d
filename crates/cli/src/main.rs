//! `kwm`, the Kwetsbaarheidsmonitor command line: a thin layer that parses arguments and
//! calls the library crates.

mod monitor_cmds;
mod time_cmds;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "kwm",
    version,
    about = "Kwetsbaarheidsmonitor: vulnerability per gemeente, wijk and buurt, over the years"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the catalogue comes from.
#[derive(Args, Clone, Debug)]
pub struct CatalogueArg {
    /// Catalogue directory (default: ./catalogue when present, else the built-in copy).
    #[arg(long, value_name = "DIR")]
    pub catalogue: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Load the bundled real demo data into an embedded store and serve the dashboard.
    Demo {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// Store file (created when missing).
        #[arg(long, default_value = "kwm-demo.sqlite")]
        db: PathBuf,
        /// Directory with the demo data (default: ./data, else the repository's data/).
        #[arg(long)]
        data: Option<PathBuf>,
        #[command(flatten)]
        catalogue: CatalogueArg,
    },
    /// Create an empty store (migrations applied).
    Init {
        /// Store file.
        #[arg(long)]
        db: PathBuf,
    },
    /// Load files into a store: all or nothing, recorded with provenance.
    Ingest(monitor_cmds::IngestArgs),
    /// List the region layouts in a store and the changes between consecutive ones
    /// (mergers, splits, renames, re-codes, boundary corrections).
    Layouts(time_cmds::LayoutsArgs),
    /// Carry every series onto one region layout (default: the newest), storing a flag per
    /// value: published, exact, recomputed, weighted_mean or estimated.
    Harmonise(time_cmds::HarmoniseArgs),
    /// Serve the API and dashboard from a store.
    Serve {
        /// Store file.
        #[arg(long)]
        db: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        #[command(flatten)]
        catalogue: CatalogueArg,
    },
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo {
            addr,
            db,
            data,
            catalogue,
        } => monitor_cmds::demo(&addr, &db, data.as_deref(), &catalogue),
        Command::Init { db } => monitor_cmds::init(&db),
        Command::Ingest(args) => monitor_cmds::ingest(&args),
        Command::Layouts(args) => time_cmds::layouts(&args),
        Command::Harmonise(args) => time_cmds::harmonise_cmd(&args),
        Command::Serve {
            db,
            addr,
            catalogue,
        } => monitor_cmds::serve(&db, &addr, &catalogue),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}
