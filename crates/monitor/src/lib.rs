//! The monitor's use cases, shared by the CLI and the HTTP server.
//!
//! Data flows one way: files → [`ingest`] → store → [`query`] (store + engine) → callers.
//! [`risk`] computes the risk model (engine) and stores its results with a fingerprint of what
//! they were computed from; its queries read those stored results, among them the composite's
//! method comparison and rank intervals ([`composite`]) and spatial clusters ([`clusters`]).
//! This crate decides *what* to compute and fetch; the engine computes, the store persists,
//! and neither the CLI nor the server computes statistics themselves.

pub mod catalogue;
pub mod clusters;
pub mod composite;
mod error;
pub mod ingest;
pub mod query;
pub mod risk;
pub mod shrinkage;

pub use error::MonitorError;
