//! Person-level stacking of risk characteristics, with statistical disclosure control before
//! anything leaves.
//!
//! See the crate README for the architecture; in short:
//!
//! - pure core: [`table`] (hierarchical tables), [`sdc`] (primary rules, secondary suppression,
//!   rounding, the attacker check), [`aggregate`] (counting), [`stack`] (counts → protected
//!   stacking tables → output rows);
//! - adapters at the edges: [`person_file`] (CSV and Parquet person files), [`output`] (long
//!   CSV for `kwm ingest`, run report), [`generate`] (the synthetic population), and [`run`],
//!   which strings one `stack` run together.
//!
//! ```no_run
//! use kwm_microdata::{aggregate::parse_by, run::stack_file, sdc::profile::Profile, stack::StackSpec};
//! use kwm_microdata::{ErrorPolicy, ReadConfig};
//! let (level, breakdowns) = parse_by("gemeente,age_class").unwrap();
//! let spec = StackSpec { level, breakdowns, combinations: vec![], measure: None, percentages: false, prefix: "mds_".into() };
//! let run = stack_file("persons.parquet".as_ref(), &ReadConfig::default(), spec, Profile::default(), ErrorPolicy::default())?;
//! for table in &run.tables {
//!     assert!(table.summary.attack.passed()); // only protected tables exist
//! }
//! let rows = run.rows(); // region, period, indicator, value (None = suppressed), n, breakdown
//! # Ok::<(), kwm_microdata::MicrodataError>(())
//! ```
//!
//! **Areas and tables, never scores on persons.** Nothing in this crate outputs, ranks or lists
//! individual persons: person records go in, only aggregated tables that passed the attacker
//! check come out.

pub mod aggregate;
pub mod characteristic;
pub mod config;
pub mod error;
pub mod generate;
pub mod output;
pub mod person;
pub mod person_file;
pub mod run;
pub mod sdc;
pub mod stack;
pub mod table;

pub use characteristic::{Characteristic, CharacteristicSet, Combination};
pub use config::ReadConfig;
pub use error::{DropLog, ErrorPolicy, MicrodataError, RowError};
