use kwm_ingest::IngestError;
use kwm_model::catalogue::CatalogueError;
use kwm_store::StoreError;

/// Errors of the monitor's use cases, sorted by who must act on them.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// A requested thing does not exist (unknown region, indicator or period): HTTP 404.
    #[error("{0}")]
    NotFound(String),
    /// A request is malformed (bad level, bad period): HTTP 400.
    #[error("{0}")]
    BadRequest(String),
    /// An input file is wrong; nothing was stored.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The catalogue is wrong.
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading a file failed (the catalogue directory or one of its files).
    #[error("{0}")]
    Io(String),
    /// What the store holds cannot be read back (a stored run's summary, parameters or trace):
    /// written by another version, or altered.
    #[error("{0}")]
    Stored(String),
    /// A bug: an invariant of the monitor did not hold, results could not be serialised, or a
    /// query task panicked. Never the caller's or the data's fault.
    #[error("{0}")]
    Internal(String),
}
