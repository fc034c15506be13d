//! Errors of `kwm fetch`: every one names the table and, where there was one, the URL.

use std::path::PathBuf;

/// Why a fetch failed. Nothing is stored when any table fails.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The service answered with an error status.
    #[error("{table}: {url}: HTTP {status}{attempts}: {message}")]
    Status {
        /// StatLine table id.
        table: String,
        /// The request.
        url: String,
        /// HTTP status.
        status: u16,
        /// The service's error message (OData error body), or the start of the body.
        message: String,
        /// ` after N attempts` when retried, else empty.
        attempts: String,
    },
    /// No answer, or the connection broke off.
    #[error("{table}: {url}: {message}{attempts} (pages already downloaded stay in the cache; run again to resume)")]
    Transport {
        /// StatLine table id.
        table: String,
        /// The request.
        url: String,
        /// What went wrong.
        message: String,
        /// ` after N attempts` when retried, else empty.
        attempts: String,
    },
    /// The answer is not what the OData service documents.
    #[error("{table}: {url}: unexpected response: {message}")]
    Wire {
        /// StatLine table id.
        table: String,
        /// The request.
        url: String,
        /// What is wrong with it.
        message: String,
    },
    /// `--offline` and the table is not complete in the cache.
    #[error("{table}: not in the cache {} (or incomplete); fetch it once without --offline", dir.display())]
    NotCached {
        /// StatLine table id.
        table: String,
        /// Where it was looked for.
        dir: PathBuf,
    },
    /// The cache directory could not be written or read.
    #[error("{table}: cache {}: {message}", path.display())]
    Cache {
        /// StatLine table id.
        table: String,
        /// File concerned.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The downloaded table does not read as StatLine data.
    #[error("{table}: {url}: {source}")]
    Ingest {
        /// StatLine table id.
        table: String,
        /// Where the data came from.
        url: String,
        /// The ingest error (names the document, line and column).
        source: kwm_ingest::IngestError,
    },
    /// A table or option the catalogue does not allow.
    #[error("{0}")]
    Request(String),
    /// Storing failed.
    #[error("{table}: storing failed: {source}")]
    Store {
        /// StatLine table id.
        table: String,
        /// The monitor's error.
        source: kwm_monitor::MonitorError,
    },
}
