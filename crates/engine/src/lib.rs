//! The computational core of the Kwetsbaarheidsmonitor.
//!
//! Pure functions over in-memory tables: they take values and return values. This crate does
//! no I/O, no async and knows no database or HTTP; it can be used from any Rust program.
//! Every method is named and parameterised so that a result can be traced to its inputs.
//! [`stacking`] holds the risk model's computation: scores per characteristic, flags, stacking
//! counts, theme exposure and a composite. For the policy agenda and findability: [`did`]
//! (difference-in-differences with a pre-trend check and honest labels), [`regression`] (least
//! squares with leave-one-out prediction intervals) and [`radar`] (areas with high need and
//! clearly lower use of support than expected).

pub mod aggregate;
pub mod classify;
pub mod composite;
pub mod crosswalk;
pub mod did;
pub mod geometry;
pub mod harmonise;
pub mod radar;
pub mod rank;
pub mod regression;
pub mod similar;
pub mod spatial;
pub mod stacking;
pub mod stats;
pub mod svi;
pub mod trend;
pub mod warning;
