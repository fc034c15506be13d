//! The monitor's use cases, shared by the CLI and the HTTP server.
//!
//! Data flows one way: files → [`ingest`] → store → [`query`] (store + engine) → callers.
//! [`risk`] computes the risk model (engine) and stores its results with a fingerprint of what
//! they were computed from; its queries read those stored results, among them the composite's
//! method comparison and rank intervals ([`composite`]) and spatial clusters ([`clusters`]).
//! Over time: [`layouts`] derives the changes between stored region layouts (after every
//! ingest), [`harmonise`] carries every series onto one layout, and [`series`] reads them
//! back with trends and early warnings. [`persons`] reads person-level stacking tables
//! (made and disclosure-checked by `kwm microdata stack`) per region and breakdown.
//! For the policy agenda and findability: [`agenda`] draws the effect view of a
//! recommendation (target regions against comparable regions, before and after a programme's
//! start) and [`radar`] finds areas with high need and clearly lower use of support than
//! expected.
//! This crate decides *what* to compute and fetch; the engine computes, the store persists,
//! and neither the CLI nor the server computes statistics themselves.

pub mod agenda;
pub mod catalogue;
mod error;
pub mod harmonise;
pub mod ingest;
pub mod layouts;
pub mod persons;
pub mod query;
pub mod radar;
pub mod regiobeeld;
pub mod risk;
pub mod series;
pub mod shrinkage;
pub mod similar;

pub use error::MonitorError;
/// The risk model's composite and clusters, also at the crate root (their paths before they
/// moved under [`risk`]).
pub use risk::{clusters, composite};
