use geo::MultiPolygon;
use kwm_model::{Indicator, Observation, RegionChange, RegionCode};

/// The input formats `kwm ingest` understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A CBS StatLine download: TypedDataSet CSV (`;`, BOM, padded codes) or OData JSON.
    Statline,
    /// Plain long CSV: `region,period,indicator,value[,lower,upper,n,breakdown]`.
    Long,
    /// A region code list: `code,name[,parent][,layout]` or CBS's `year,gemeente_code,gemeente_naam,...`.
    Regions,
    /// GeoJSON boundaries (WGS84 or RD New).
    Geojson,
    /// TopoJSON boundaries (WGS84, quantised or not).
    Topojson,
    /// A region change table: old code, new code, date, kind, share.
    Changes,
    /// A StatLine download "met labels" (titles as headers), also as rewritten by R.
    StatlineLabels,
    /// The attribute table of CBS's Wijk- en Buurtkaart (`GM_CODE`, `AANT_INW`, … with CBS's
    /// negative sentinels for secret and not applicable).
    KwbMap,
}

impl Format {
    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Statline => "statline",
            Format::Long => "long",
            Format::Regions => "regions",
            Format::Geojson => "geojson",
            Format::Topojson => "topojson",
            Format::Changes => "changes",
            Format::StatlineLabels => "statline-labels",
            Format::KwbMap => "kwb-map",
        }
    }

    /// Parses a command-line name.
    pub fn parse(s: &str) -> Option<Format> {
        [
            Format::Statline,
            Format::Long,
            Format::Regions,
            Format::Geojson,
            Format::Topojson,
            Format::Changes,
            Format::StatlineLabels,
            Format::KwbMap,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
    }
}

/// What a loaded file is: its table and who publishes it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dataset {
    /// StatLine table id or the file stem.
    pub id: String,
    /// Title.
    pub title: String,
    /// Publisher, when known.
    pub publisher: String,
    /// Licence, when known.
    pub licence: String,
}

/// A region named by a load, in the layout (indeling) of a given year.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionRecord {
    /// The code.
    pub code: RegionCode,
    /// Layout year.
    pub layout: i32,
    /// Name, when the file gives one.
    pub name: Option<String>,
    /// Parent, when the file gives one or the code implies it.
    pub parent: Option<RegionCode>,
}

/// A region's boundary in WGS84 (lon/lat).
#[derive(Debug, Clone, PartialEq)]
pub struct Boundary {
    /// The region.
    pub code: RegionCode,
    /// Layout year.
    pub layout: i32,
    /// The shape.
    pub geometry: MultiPolygon<f64>,
}

/// Everything read from one file, validated, ready to store in one transaction.
#[derive(Debug, Clone, Default)]
pub struct LoadBatch {
    /// File name as given.
    pub file_name: String,
    /// SHA-256 of the file's bytes, hex.
    pub checksum: String,
    /// Format it was read as.
    pub format: Option<Format>,
    /// What it is.
    pub dataset: Dataset,
    /// Indicators it carries (curated from the catalogue, or registered from its metadata).
    pub indicators: Vec<Indicator>,
    /// Figures.
    pub observations: Vec<Observation>,
    /// Regions it names.
    pub regions: Vec<RegionRecord>,
    /// Boundaries.
    pub boundaries: Vec<Boundary>,
    /// Region changes between layouts (from a change table).
    pub changes: Vec<RegionChange>,
    /// Data rows read.
    pub rows: usize,
    /// What was deliberately not loaded, and why (never silent).
    pub notes: Vec<String>,
}
