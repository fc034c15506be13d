//! `kwm spatial`: spatial clusters (LISA, Getis–Ord G_i/G_i*, global Moran's I) of one value
//! column over region boundaries. Reading goes through `kwm_ingest`, computing through
//! `kwm_engine::spatial`; this file only wires them and writes the results.

use std::path::PathBuf;

use anyhow::{anyhow, bail};
use clap::{Args, ValueEnum};
use kwm_engine::spatial::{
    self, Alternative, Analysed, Contiguity, GlobalMoran, LocalG, LocalMoran, Neighbours,
    PermutationOptions, Simulated, SpatialWeights, Transform,
};
use kwm_ingest::{read_path, read_values, ReadOptions};
use kwm_model::catalogue::Catalogue;

/// Arguments of `kwm spatial`.
#[derive(Args, Debug)]
#[command(after_help = "\
The values CSV is keyed by region code: the key column is the first of code, region, regio, \
statcode, RegioS, gm_code, wk_code, bu_code (any case), so a StatLine TypedDataSet download works \
as it is. Delimiter ',' or ';'; empty, '.' and NA are missing. Regions without a value are left \
out of the analysis (the weights are subset, like libpysal's w_subset) and written with status \
'no value'; regions left without neighbours are written with status 'island' and get no \
local statistic.

Weights are computed in RD New metres. --snap 0 reproduces libpysal's exact shared-vertex \
(queen) and shared-edge (rook) rules; the default 1 m also joins generalised boundaries that touch \
without sharing a vertex (T-junctions).

Pseudo p-values use esda's conditional permutation with the same random draws for the same \
--seed: esda.Moran_Local(y, w, permutations=999, seed=N) gives the same lisa_p_sim.")]
pub struct SpatialArgs {
    /// Boundaries (GeoJSON or TopoJSON, WGS84 or RD New).
    #[arg(long)]
    boundaries: PathBuf,
    /// CSV with the values, keyed by region code (see below).
    #[arg(long)]
    values: PathBuf,
    /// Name of the value column in the CSV.
    #[arg(long)]
    column: String,
    /// Neighbours: queen, rook or knn:K (K nearest centroids).
    #[arg(long, default_value = "queen")]
    weights: String,
    /// Snapping tolerance for queen/rook in metres; 0 = exact shared coordinates (libpysal).
    #[arg(long, default_value_t = 1.0)]
    snap: f64,
    /// Weight transform: row (row-standardised, esda's default) or binary.
    #[arg(long, value_enum, default_value_t = TransformArg::Row)]
    transform: TransformArg,
    /// Number of permutations for pseudo p-values (0 = none).
    #[arg(long, default_value_t = 999)]
    permutations: usize,
    /// Random seed; the same seed gives the same draws as esda's `seed=`.
    #[arg(long, default_value_t = 12345)]
    seed: u32,
    /// Alternative hypothesis for the pseudo p-values (esda's names).
    #[arg(long, default_value = "directed", value_parser = ["directed", "two-sided", "greater", "lesser", "folded"])]
    alternative: String,
    /// Statistics to compute; repeat or comma-separate. Default: all.
    #[arg(long, value_enum, value_delimiter = ',')]
    statistic: Vec<Statistic>,
    /// Significance level for the cluster columns.
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    /// Use the Benjamini–Hochberg false-discovery-rate cut-off (esda.fdr) instead of --alpha.
    #[arg(long)]
    fdr: bool,
    /// Worker threads for the permutations (0 = all cores); results do not depend on it.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Output CSV, one row per region.
    #[arg(long)]
    out: PathBuf,
    /// Also write global Moran's I and a weights summary as JSON.
    #[arg(long)]
    summary: Option<PathBuf>,
    /// Also write the neighbour links of all boundaries as CSV (code,neighbour).
    #[arg(long)]
    neighbours_out: Option<PathBuf>,
    /// Print how long each phase took (to standard error).
    #[arg(long)]
    timings: bool,
}

/// Wall-clock time per phase, for `--timings`.
struct Timings {
    enabled: bool,
    last: std::time::Instant,
    phases: Vec<(&'static str, f64)>,
}

impl Timings {
    fn new(enabled: bool) -> Timings {
        Timings {
            enabled,
            last: std::time::Instant::now(),
            phases: Vec::new(),
        }
    }

    fn lap(&mut self, phase: &'static str) {
        let now = std::time::Instant::now();
        self.phases.push((phase, (now - self.last).as_secs_f64()));
        self.last = now;
    }

    fn report(&self) {
        if self.enabled {
            let parts: Vec<String> = self
                .phases
                .iter()
                .map(|(p, s)| format!("{p} {s:.3}s"))
                .collect();
            eprintln!("timings: {}", parts.join(", "));
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum TransformArg {
    Row,
    Binary,
}

/// The statistics `kwm spatial` can compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Statistic {
    /// Local Moran's I with quadrants.
    Lisa,
    /// Getis–Ord G_i* (own value included).
    Gistar,
    /// Getis–Ord G_i (own value excluded).
    Gi,
    /// Global Moran's I.
    Moran,
}

enum WeightsSpec {
    Contiguity(Contiguity),
    Knn(usize),
}

fn parse_weights(s: &str) -> anyhow::Result<WeightsSpec> {
    match s {
        "queen" => Ok(WeightsSpec::Contiguity(Contiguity::Queen)),
        "rook" => Ok(WeightsSpec::Contiguity(Contiguity::Rook)),
        _ => match s.strip_prefix("knn:").map(str::parse::<usize>) {
            Some(Ok(k)) if k > 0 => Ok(WeightsSpec::Knn(k)),
            _ => bail!("--weights: expected queen, rook or knn:K with K ≥ 1, found '{s}'"),
        },
    }
}

/// Runs `kwm spatial`.
pub fn run(args: SpatialArgs) -> anyhow::Result<()> {
    let spec = parse_weights(&args.weights)?;
    if !(args.snap >= 0.0 && args.snap.is_finite()) {
        bail!(
            "--snap: expected a distance in metres ≥ 0, found {}",
            args.snap
        );
    }
    let statistics = if args.statistic.is_empty() {
        vec![
            Statistic::Lisa,
            Statistic::Gistar,
            Statistic::Gi,
            Statistic::Moran,
        ]
    } else {
        args.statistic.clone()
    };
    let transform = match args.transform {
        TransformArg::Row => Transform::Row,
        TransformArg::Binary => Transform::Binary,
    };
    let options = PermutationOptions {
        permutations: args.permutations,
        seed: args.seed,
        alternative: Alternative::parse(&args.alternative).expect("clap restricts the values"),
        threads: args.threads,
    };

    let mut timings = Timings::new(args.timings);
    let batch = read_path(
        &args.boundaries,
        &Catalogue::default(),
        &ReadOptions::default(),
        None,
    )?;
    if batch.boundaries.is_empty() {
        bail!("{}: no boundaries found", args.boundaries.display());
    }
    timings.lap("read boundaries");
    let table = read_values(&args.values, &args.column)?;
    timings.lap("read values");
    for note in &table.notes {
        eprintln!("{}: {note}", table.file);
    }

    // Weights on all boundaries, in metres.
    let geometries = batch.boundaries.iter().map(|b| &b.geometry);
    let all_neighbours = match spec {
        WeightsSpec::Contiguity(rule) => spatial::contiguity_rd_new(geometries, rule, args.snap),
        WeightsSpec::Knn(k) => {
            let points: Vec<[f64; 2]> = spatial::centroids(&spatial::planar(geometries))
                .into_iter()
                .map(|c| c.unwrap_or([f64::NAN, f64::NAN]))
                .collect();
            spatial::k_nearest(&points, k)?
        }
    };
    timings.lap("weights");
    let codes: Vec<&str> = batch.boundaries.iter().map(|b| b.code.as_str()).collect();
    if let Some(path) = &args.neighbours_out {
        write_neighbours(path, &codes, &all_neighbours)?;
    }

    // Join the values; the analysis runs on the regions that have one.
    let by_code: std::collections::HashMap<&str, Option<f64>> =
        table.values.iter().map(|(c, v)| (c.as_str(), *v)).collect();
    let region_values: Vec<Option<f64>> = codes
        .iter()
        .map(|c| by_code.get(c).copied().flatten())
        .collect();
    let known: std::collections::HashSet<&str> = codes.iter().copied().collect();
    let unmatched = table
        .values
        .iter()
        .filter(|(c, _)| !known.contains(c.as_str()))
        .count();
    if unmatched > 0 {
        eprintln!(
            "{}: {unmatched} region(s) in the values are not in the boundaries and were ignored",
            table.file
        );
    }
    let Analysed {
        sites: analysed,
        y,
        neighbours,
    } = spatial::with_values(&all_neighbours, &region_values).map_err(|too_few| {
        anyhow!(
            "only {} region(s) of {} have a value in column '{}'; need at least {}",
            too_few.with_value,
            codes.len(),
            table.column,
            spatial::MIN_SITES
        )
    })?;
    let wants_g = statistics
        .iter()
        .any(|s| matches!(s, Statistic::Gi | Statistic::Gistar));
    if let Some(&i) = analysed
        .iter()
        .find(|&&i| wants_g && region_values[i].is_some_and(|v| v < 0.0))
    {
        bail!(
            "Getis-Ord G needs non-negative values, but {} has {} in '{}'; use --statistic lisa,moran for such a column",
            codes[i],
            region_values[i].unwrap_or_default(),
            table.column
        );
    }
    let islands: Vec<&str> = neighbours
        .islands()
        .iter()
        .map(|&i| codes[analysed[i]])
        .collect();
    let weights = SpatialWeights::new(&neighbours, transform);
    timings.lap("join and subset");

    let lisa = statistics
        .contains(&Statistic::Lisa)
        .then(|| spatial::local_moran(&y, &weights, &options))
        .transpose()?;
    timings.lap("lisa");
    let gistar = statistics
        .contains(&Statistic::Gistar)
        .then(|| spatial::getis_ord_local(&y, &neighbours, transform, Some(1.0), &options))
        .transpose()?;
    timings.lap("gistar");
    let gi = statistics
        .contains(&Statistic::Gi)
        .then(|| spatial::getis_ord_local(&y, &neighbours, transform, None, &options))
        .transpose()?;
    timings.lap("gi");
    let moran = statistics
        .contains(&Statistic::Moran)
        .then(|| spatial::global_moran(&y, &weights, args.permutations, args.seed))
        .transpose()?;
    timings.lap("moran");

    let cutoff = |p: Vec<f64>| {
        if args.fdr {
            spatial::fdr_cutoff(&p, args.alpha)
        } else {
            args.alpha
        }
    };
    let lisa_cutoff = lisa.as_ref().map(|l| {
        cutoff(
            l.sites
                .iter()
                .flatten()
                .filter_map(|s| s.simulated.map(|m| m.p_sim))
                .collect(),
        )
    });
    let g_cutoff = |g: &Option<LocalG>| {
        g.as_ref().map(|g| {
            cutoff(
                g.sites
                    .iter()
                    .flatten()
                    .filter_map(|s| s.simulated.map(|m| m.p_sim))
                    .collect(),
            )
        })
    };
    let (gistar_cutoff, gi_cutoff) = (g_cutoff(&gistar), g_cutoff(&gi));

    let results = Results {
        lisa: lisa.as_ref().zip(lisa_cutoff),
        gistar: gistar.as_ref().zip(gistar_cutoff),
        gi: gi.as_ref().zip(gi_cutoff),
    };
    write_rows(
        &args.out,
        &codes,
        &region_values,
        &all_neighbours,
        &analysed,
        &neighbours,
        &results,
    )?;
    timings.lap("write");
    timings.report();

    let label = match spec {
        WeightsSpec::Contiguity(rule) => format!("{} (snap {} m)", rule.as_str(), args.snap),
        WeightsSpec::Knn(k) => format!("knn:{k}"),
    };
    println!(
        "{} regions, {} with a value in '{}'; weights {label}, {}: {} links; islands: {}",
        codes.len(),
        analysed.len(),
        table.column,
        transform.as_str(),
        neighbours.links(),
        if islands.is_empty() {
            "none".to_string()
        } else {
            islands.join(", ")
        }
    );
    if let Some(m) = &moran {
        let sim = m.simulated.as_ref().map_or(String::new(), |s| {
            format!(", p_sim = {:.4} ({} permutations)", s.p_sim, s.permutations)
        });
        println!(
            "global Moran's I = {:.6} (E = {:.6}, z = {:.3}, p = {:.3e}{sim})",
            m.i, m.expected, m.z_random, m.p_random
        );
    }
    for (name, c) in [
        ("lisa", lisa_cutoff),
        ("gistar", gistar_cutoff),
        ("gi", gi_cutoff),
    ] {
        if let Some(c) = c {
            println!(
                "{name}: significant at p < {c:.6}{}",
                if args.fdr { " (FDR)" } else { "" }
            );
        }
    }
    if let Some(path) = &args.summary {
        write_summary(
            path,
            &args,
            &label,
            transform,
            codes.len(),
            &analysed,
            &neighbours,
            &islands,
            moran.as_ref(),
        )?;
    }
    println!("wrote {} ({} rows)", args.out.display(), codes.len());
    Ok(())
}

struct Results<'a> {
    lisa: Option<(&'a LocalMoran, f64)>,
    gistar: Option<(&'a LocalG, f64)>,
    gi: Option<(&'a LocalG, f64)>,
}

fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

fn sim_fields(s: Option<Simulated>) -> [String; 5] {
    match s {
        Some(s) => [num(s.p_sim), num(s.mean), num(s.sd), num(s.z), num(s.p_z)],
        None => Default::default(),
    }
}

fn write_rows(
    path: &PathBuf,
    codes: &[&str],
    values: &[Option<f64>],
    all_neighbours: &Neighbours,
    analysed: &[usize],
    neighbours: &Neighbours,
    results: &Results,
) -> anyhow::Result<()> {
    let mut out = csv::Writer::from_path(path)
        .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
    let mut header: Vec<String> = ["code", "value", "status", "neighbours"]
        .map(String::from)
        .to_vec();
    if results.lisa.is_some() {
        header.extend(
            [
                "lisa_i",
                "lisa_quadrant",
                "lisa_cluster",
                "lisa_p_sim",
                "lisa_mean_sim",
                "lisa_sd_sim",
                "lisa_z_sim",
                "lisa_p_z_sim",
                "lisa_ei_conditional",
                "lisa_vi_conditional",
                "lisa_ei_total",
                "lisa_vi_total",
                "lisa_lag",
            ]
            .map(String::from),
        );
    }
    for (prefix, present) in [
        ("gistar", results.gistar.is_some()),
        ("gi", results.gi.is_some()),
    ] {
        if present {
            header.extend(
                [
                    "g", "expected", "variance", "z", "p_norm", "p_sim", "mean_sim", "sd_sim",
                    "z_sim", "p_z_sim", "cluster",
                ]
                .map(|c| format!("{prefix}_{c}")),
            );
        }
    }
    out.write_record(&header)?;
    let mut position = vec![None; codes.len()];
    for (k, &i) in analysed.iter().enumerate() {
        position[i] = Some(k);
    }
    for (i, code) in codes.iter().enumerate() {
        let mut row: Vec<String> = vec![code.to_string(), values[i].map_or(String::new(), num)];
        let k = position[i];
        let status = match k {
            None => "no value",
            Some(k) if neighbours.cardinality(k) == 0 => "island",
            Some(_) => "ok",
        };
        row.push(status.into());
        row.push(
            k.map_or(all_neighbours.cardinality(i), |k| neighbours.cardinality(k))
                .to_string(),
        );
        if let Some((lisa, cutoff)) = results.lisa {
            match k.and_then(|k| lisa.sites[k].as_ref()) {
                Some(s) => {
                    let significant = spatial::is_significant(s, cutoff);
                    let [p, mean, sd, z, pz] = sim_fields(s.simulated);
                    row.extend([
                        num(s.i),
                        s.quadrant.code().to_string(),
                        if significant {
                            s.quadrant.label().to_string()
                        } else {
                            "ns".to_string()
                        },
                        p,
                        mean,
                        sd,
                        z,
                        pz,
                        num(s.expected_conditional),
                        num(s.variance_conditional),
                        num(s.expected_total),
                        num(s.variance_total),
                        num(s.lag),
                    ]);
                }
                None => row.extend(std::iter::repeat_n(String::new(), 13)),
            }
        }
        for (g, cutoff) in [results.gistar, results.gi].into_iter().flatten() {
            match k.and_then(|k| g.sites[k].as_ref()) {
                Some(s) => {
                    let [p, mean, sd, z, pz] = sim_fields(s.simulated);
                    let cluster = match s.simulated {
                        Some(m) if m.p_sim < cutoff && s.z > 0.0 => "hot",
                        Some(m) if m.p_sim < cutoff => "cold",
                        _ => "ns",
                    };
                    row.extend([
                        num(s.g),
                        num(s.expected),
                        num(s.variance),
                        num(s.z),
                        num(s.p_norm),
                        p,
                        mean,
                        sd,
                        z,
                        pz,
                        cluster.to_string(),
                    ]);
                }
                None => row.extend(std::iter::repeat_n(String::new(), 11)),
            }
        }
        out.write_record(&row)?;
    }
    out.flush()?;
    Ok(())
}

fn write_neighbours(path: &PathBuf, codes: &[&str], neighbours: &Neighbours) -> anyhow::Result<()> {
    let mut out = csv::Writer::from_path(path)
        .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
    out.write_record(["code", "neighbour"])?;
    for (i, code) in codes.iter().enumerate() {
        for &j in neighbours.of(i) {
            out.write_record([*code, codes[j as usize]])?;
        }
    }
    out.flush()?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn write_summary(
    path: &PathBuf,
    args: &SpatialArgs,
    weights: &str,
    transform: Transform,
    regions: usize,
    analysed: &[usize],
    neighbours: &Neighbours,
    islands: &[&str],
    moran: Option<&GlobalMoran>,
) -> anyhow::Result<()> {
    let moran = moran.map(|m| {
        serde_json::json!({
            "I": m.i, "EI": m.expected,
            "VI_norm": m.variance_normal, "z_norm": m.z_normal, "p_norm": m.p_normal,
            "VI_rand": m.variance_random, "z_rand": m.z_random, "p_rand": m.p_random,
            "p_sim": m.simulated.as_ref().map(|s| s.p_sim),
            "EI_sim": m.simulated.as_ref().map(|s| s.mean),
            "seI_sim": m.simulated.as_ref().map(|s| s.sd),
            "z_sim": m.simulated.as_ref().map(|s| s.z),
            "p_z_sim": m.simulated.as_ref().map(|s| s.p_z),
        })
    });
    let summary = serde_json::json!({
        "boundaries": args.boundaries.display().to_string(),
        "values": args.values.display().to_string(),
        "column": args.column,
        "weights": weights,
        "transform": transform.as_str(),
        "snap_metres": args.snap,
        "permutations": args.permutations,
        "seed": args.seed,
        "alternative": args.alternative,
        "regions": regions,
        "analysed": analysed.len(),
        "links": neighbours.links(),
        "islands": islands,
        "global_moran": moran,
    });
    std::fs::write(path, serde_json::to_string_pretty(&summary)? + "\n")
        .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(())
}
