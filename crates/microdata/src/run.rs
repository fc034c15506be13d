//! One `stack` run end to end: read and count, build a table per year, protect and check each,
//! and hand back only protected tables. The binary adds nothing but argument parsing and
//! writing.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::aggregate::Counter;
use crate::config::ReadConfig;
use crate::error::{ErrorPolicy, MicrodataError};
use crate::person_file::{read_into, ReadSummary};
use crate::sdc::profile::Profile;
use crate::stack::{
    protect_magnitude, protect_stacking, stacking_table, OutputRow, ProtectedTable, StackSpec,
};

/// Everything a run produced; tables exist only if they passed the attacker check.
#[derive(Debug)]
pub struct StackRun {
    /// The spec as run (prefix set from the input's synthetic marker).
    pub spec: StackSpec,
    /// The profile used.
    pub profile: Profile,
    /// What reading did.
    pub read: ReadSummary,
    /// Persons counted.
    pub persons: u64,
    /// Protected tables (stacking, and the magnitude table when asked), per year.
    pub tables: Vec<ProtectedTable>,
    /// Time to build the tables (margins).
    pub build_time: Duration,
}

impl StackRun {
    /// All output rows, table by table.
    pub fn rows(&self) -> Vec<OutputRow> {
        self.tables
            .iter()
            .flat_map(|t| t.rows(&self.spec, &self.profile))
            .collect()
    }
}

/// Runs stacking with disclosure control on one person file.
pub fn stack_file(
    input: &Path,
    cfg: &ReadConfig,
    mut spec: StackSpec,
    profile: Profile,
    policy: ErrorPolicy,
) -> Result<StackRun, MicrodataError> {
    if let Some(m) = &spec.measure {
        let id = format!("{}mean_{}", spec.prefix, m.to_ascii_lowercase());
        kwm_model::IndicatorId::new(&id).map_err(|e| {
            MicrodataError::Invalid(format!("--measure '{m}' gives no valid indicator id: {e}"))
        })?;
    }
    let keep = (profile.magnitude.dominance_n as usize).max(2);
    let counter = Counter::new(
        spec.level,
        spec.layout(cfg),
        cfg,
        spec.measure.is_some(),
        keep,
    );
    let (counter, read) = read_into(input, cfg, &spec, policy, counter)?;
    if read.synthetic && !spec.prefix.starts_with("synthetic_") {
        spec.prefix = format!("synthetic_{}", spec.prefix);
    }
    if counter.persons == 0 {
        return Err(MicrodataError::file(
            &read.file,
            "no person was counted; nothing to tabulate",
        ));
    }
    let mut years: Vec<i32> = counter.blocks.iter().map(|(y, _)| *y).collect();
    years.sort_unstable();
    years.dedup();
    let mut tables = Vec::new();
    let mut build_time = Duration::ZERO;
    for year in years {
        let started = Instant::now();
        let table = stacking_table(&counter, year, &spec, cfg, &profile.stacking)?;
        build_time += started.elapsed();
        let stacking = protect_stacking(table, year, &spec, &profile)?;
        if spec.measure.is_some() {
            let magnitude = protect_magnitude(&counter, &stacking, &spec, cfg, &profile)?;
            tables.push(stacking);
            tables.push(magnitude);
        } else {
            tables.push(stacking);
        }
    }
    Ok(StackRun {
        spec,
        profile,
        read,
        persons: counter.persons,
        tables,
        build_time,
    })
}
