//! Person-level stacking of risk characteristics, with statistical disclosure control before
//! anything leaves.
//!
//! See the crate README for the architecture; in short:
//!
//! - pure core: [`table`] (hierarchical tables), [`sdc`] (primary rules, secondary suppression,
//!   rounding, the attacker check), [`stack`] (records → protected stacking tables);
//! - adapters at the edges: [`input`] (CSV and Parquet person files), [`output`] (long CSV for
//!   `kwm ingest`, run report), [`generate`] (the synthetic population).
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
