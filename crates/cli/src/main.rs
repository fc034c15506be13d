//! `kwm`, the Kwetsbaarheidsmonitor command line: a thin layer that parses arguments and
//! calls the library crates.

mod access_cmds;
mod fetch_cmd;
mod monitor_cmds;
mod radar_cmd;
mod regiobeeld_cmd;
mod spatial;
mod svi;
mod time_cmds;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use kwm_store::StoreLocation;

mod microdata;

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
        /// Store: a SQLite file (created when missing) or a postgres:// URL.
        #[arg(long, value_name = "FILE|URL", default_value = "kwm-demo.sqlite")]
        db: StoreLocation,
        /// Directory with the demo data (default: ./data, else the repository's data/).
        #[arg(long)]
        data: Option<PathBuf>,
        #[command(flatten)]
        catalogue: CatalogueArg,
    },
    /// Create an empty store (migrations applied).
    Init {
        /// Store: a SQLite file or a postgres:// URL (tables are created in the database).
        #[arg(long, value_name = "FILE|URL")]
        db: StoreLocation,
    },
    /// Load files into a store: all or nothing, recorded with provenance.
    Ingest(monitor_cmds::IngestArgs),
    /// Fetch StatLine tables from the CBS open-data service (or a mirror) and load them like
    /// files: cached, resumable, retried; `--catalogue` fetches every table the catalogue names.
    Fetch(Box<fetch_cmd::FetchArgs>),
    /// Compute the risk model (stacking, themes, composite) and store the results; does nothing
    /// when the stored results already match the catalogue, its parameters and the data.
    Compute(monitor_cmds::ComputeArgs),
    /// CDC/ATSDR Social Vulnerability Index from a CDC county or tract file.
    Svi(svi::SviArgs),
    /// Spatial clusters of one value column: local Moran's I (LISA), Getis-Ord G_i/G_i*, global Moran's I.
    Spatial(Box<spatial::SpatialArgs>),
    /// List the region layouts in a store and the changes between consecutive ones
    /// (mergers, splits, renames, re-codes, boundary corrections).
    Layouts(time_cmds::LayoutsArgs),
    /// Carry every series onto one region layout (default: the newest), storing a flag per
    /// value: published, exact, recomputed, weighted_mean or estimated.
    Harmonise(time_cmds::HarmoniseArgs),
    /// Findability radar: areas with high need and clearly lower use of support (Wmo, youth
    /// care, social assistance) than expected, and why. Areas only, never persons.
    Radar(radar_cmd::RadarArgs),
    /// The regional picture (regiobeeld) of a gemeente, wijk or buurt on one A4 page, as PDF,
    /// SVG or HTML; `--all gemeente --out DIR` makes one per region.
    Regiobeeld(regiobeeld_cmd::RegiobeeldArgs),
    /// Person-level microdata: synthetic populations and disclosure-controlled stacking tables.
    Microdata(microdata::MicrodataArgs),
    /// Serve the API and dashboard from a store.
    Serve {
        /// Store: a SQLite file or a postgres:// URL (any number of `kwm serve` processes can
        /// share one PostgreSQL database).
        #[arg(long, value_name = "FILE|URL")]
        db: StoreLocation,
        /// Address to listen on: loopback unless told otherwise (e.g. `0.0.0.0:8080`; without
        /// `--auth` or `--oidc` the server has no sign-in, so put it behind a proxy that has).
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        #[command(flatten)]
        catalogue: CatalogueArg,
        #[command(flatten)]
        limits: monitor_cmds::ServeLimits,
        /// Access control (TOML: API tokens, trusted proxy, sign-in; see README.md).
        /// Without it the server is public only: restricted figures are shown to nobody.
        #[arg(long, value_name = "FILE")]
        auth: Option<PathBuf>,
        /// Sign-in with OpenID Connect: a TOML file with an `[oidc]` table (see README).
        #[arg(long, value_name = "FILE.toml")]
        oidc: Option<PathBuf>,
    },
    /// API tokens for scripts (`Authorization: Bearer TOKEN`): create, list, revoke.
    Tokens(access_cmds::TokensArgs),
    /// Who may see a load's figures: `--load ID --public|--restricted [--until DATE] --reason
    /// TEXT`; without `--load`, list the rules.
    Access(access_cmds::AccessArgs),
    /// Print the audit log (reads of restricted figures, loads, access changes, tokens,
    /// sign-ins).
    Audit(access_cmds::AuditArgs),
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
        Command::Fetch(args) => fetch_cmd::run(&args),
        Command::Compute(args) => monitor_cmds::compute(&args),
        Command::Layouts(args) => time_cmds::layouts(&args),
        Command::Harmonise(args) => time_cmds::harmonise_cmd(&args),
        Command::Serve {
            db,
            addr,
            catalogue,
            limits,
            auth,
            oidc,
        } => monitor_cmds::serve(
            &db,
            &addr,
            &catalogue,
            &limits,
            auth.as_deref(),
            oidc.as_deref(),
        ),
        Command::Tokens(args) => access_cmds::tokens(&args),
        Command::Access(args) => access_cmds::access(&args),
        Command::Audit(args) => access_cmds::audit_log(&args),
        Command::Svi(args) => svi::run(&args),
        Command::Spatial(args) => spatial::run(*args),
        Command::Microdata(args) => microdata::run(args),
        Command::Radar(args) => radar_cmd::run(&args),
        Command::Regiobeeld(args) => regiobeeld_cmd::run(&args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The time now (UTC, RFC 3339) for loads, tokens and audit entries; every command stamps
/// with this one clock.
pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "unknown".into())
}
