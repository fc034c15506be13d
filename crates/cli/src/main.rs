//! `kwm`, the Kwetsbaarheidsmonitor command line.

use clap::{Parser, Subcommand};

mod microdata;

#[derive(Parser)]
#[command(name = "kwm", version, about = "Kwetsbaarheidsmonitor: vulnerability monitoring per gemeente, wijk and buurt")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Placeholder until the foundation lands.
    Version,
    /// Person-level microdata: synthetic populations and disclosure-controlled stacking tables.
    Microdata(microdata::MicrodataArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Version => println!("kwm {}", env!("CARGO_PKG_VERSION")),
        Command::Microdata(args) => microdata::run(args)?,
    }
    Ok(())
}
