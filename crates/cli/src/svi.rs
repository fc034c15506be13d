//! `kwm svi`: the CDC/ATSDR Social Vulnerability Index computed from a CDC county or tract file.
//!
//! Reads the `EP_*` estimates (and `E_TOTPOP`) with `kwm-ingest`, computes every SVI column
//! with `kwm-engine` under the chosen edition, and writes `FIPS` plus the computed columns in
//! CDC's layout and `-999` convention.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use kwm_engine::svi::{compute_svi, SviInput};
use kwm_ingest::svi_csv::{read_svi_inputs, write_svi_csv};
use kwm_model::svi::SviEdition;

/// Arguments of `kwm svi`.
#[derive(clap::Args, Debug)]
pub struct SviArgs {
    /// SVI edition: 2018, 2020, or the path of an edition file in the format of catalogue/svi/*.toml.
    #[arg(long)]
    pub edition: String,
    /// A CDC SVI CSV file (county or tract level), e.g. SVI2018_US_COUNTY.csv.
    pub input: PathBuf,
    /// Output CSV: FIPS and every computed column (EPL_*, SPL_*, RPL_*, F_*); '-' for stdout.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `kwm svi`. Every error message is complete on its own (no cause chain to print).
pub fn run(args: &SviArgs) -> anyhow::Result<()> {
    let edition = load_edition(&args.edition)?;
    let name = args.input.display().to_string();
    let bytes = std::fs::read(&args.input).map_err(|e| anyhow!("cannot read {name}: {e}"))?;
    let inputs = read_svi_inputs(&name, &bytes, &edition)?;
    let areas = inputs.fips.len();
    let result = compute_svi(
        &edition,
        &SviInput {
            areas,
            population: inputs.population,
            variables: inputs.variables,
        },
    )
    .map_err(|e| anyhow!("{name}: cannot apply edition {}: {e}", edition.id))?;
    let excluded = result.ranked.iter().filter(|r| !**r).count();
    let incomplete = result
        .rpl_themes
        .iter()
        .zip(&result.ranked)
        .filter(|(r, ranked)| r.is_none() && **ranked)
        .count();
    let columns = result.into_columns();

    if args.out.as_os_str() == "-" {
        write_svi_csv(
            std::io::stdout().lock(),
            &inputs.fips,
            &columns,
            edition.missing_code,
            edition.decimals,
        )?;
    } else {
        write_atomically(&args.out, |file| {
            write_svi_csv(
                file,
                &inputs.fips,
                &columns,
                edition.missing_code,
                edition.decimals,
            )
        })?;
    }
    eprintln!(
        "{}: {areas} areas, {excluded} left out for zero population, {incomplete} without an overall rank (missing inputs); wrote {}",
        edition.name,
        args.out.display()
    );
    Ok(())
}

fn load_edition(arg: &str) -> anyhow::Result<SviEdition> {
    if let Ok(year) = arg.parse::<i32>() {
        return SviEdition::builtin(year).with_context(|| {
            format!("no built-in SVI edition {year}: use 2018, 2020 or an edition file")
        });
    }
    let text =
        std::fs::read_to_string(arg).map_err(|e| anyhow!("cannot read edition file {arg}: {e}"))?;
    Ok(SviEdition::parse(arg, &text)?)
}

/// Writes to a temporary file next to `path` and renames it, so a failed run leaves no
/// half-written output.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(std::io::BufWriter<&std::fs::File>) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name()
            .map_or("svi".into(), |n| n.to_string_lossy())
    ));
    let file =
        std::fs::File::create(&tmp).map_err(|e| anyhow!("cannot create {}: {e}", tmp.display()))?;
    let result = write(std::io::BufWriter::with_capacity(1 << 16, &file));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(anyhow!("cannot write {}: {e}", path.display()));
    }
    std::fs::rename(&tmp, path)
        .map_err(|e| anyhow!("cannot move {} to {}: {e}", tmp.display(), path.display()))
}
