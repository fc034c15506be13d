//! `kwm`, the Kwetsbaarheidsmonitor command line.

use clap::{Parser, Subcommand};

mod svi;

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
    /// CDC/ATSDR Social Vulnerability Index from a CDC county or tract file.
    Svi(svi::SviArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Version => println!("kwm {}", env!("CARGO_PKG_VERSION")),
        Command::Svi(args) => svi::run(&args)?,
    }
    Ok(())
}
