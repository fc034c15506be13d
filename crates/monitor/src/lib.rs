//! The monitor's use cases, shared by the CLI and the HTTP server.
//!
//! Data flows one way: files → [`ingest`] → store → [`query`] (store + engine) → callers.
//! This crate decides *what* to compute and fetch; the engine computes, the store persists,
//! and neither the CLI nor the server computes statistics themselves.

pub mod catalogue;
mod error;
pub mod ingest;
pub mod query;

pub use error::MonitorError;
