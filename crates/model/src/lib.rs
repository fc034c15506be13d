//! Domain types of the Kwetsbaarheidsmonitor.
//!
//! Everything here is plain data plus validation: region codes ([`RegionCode`]) with their
//! [`Level`], periods, indicators and observations, and the editable [`catalogue`].
//! No I/O happens in this crate except reading catalogue text handed to it.

pub mod agenda;
pub mod catalogue;
pub mod change;
mod indicator;
mod observation;
mod period;
pub mod radar;
pub mod rd;
mod region;
pub mod risk;
pub mod search;
pub mod similar;
pub mod svi;
pub mod warning;

pub use change::{ChangeKind, RegionChange};
pub use indicator::{Direction, Indicator, IndicatorId};
pub use observation::{Observation, ValueStatus};
pub use period::Period;
pub use region::{Level, RegionCode, RegionCodeError};
