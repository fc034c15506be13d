//! `kwm`, the Kwetsbaarheidsmonitor command line.

use clap::{Parser, Subcommand};

mod spatial;

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
    /// Spatial clusters of one value column: local Moran's I (LISA), Getis-Ord G_i/G_i*, global Moran's I.
    Spatial(Box<spatial::SpatialArgs>),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Version => println!("kwm {}", env!("CARGO_PKG_VERSION")),
        Command::Spatial(args) => spatial::run(*args)?,
    }
    Ok(())
}
