//! Spatial clusters: where values pile up among neighbouring areas.
//!
//! The pipeline a caller runs (steps 1 and the subset are [`contiguity_rd_new`] and
//! [`with_values`], shared by `kwm spatial` and the risk model's clusters):
//!
//! 1. **Weights** — who neighbours whom: [`contiguity`] (queen or rook, exact or snapped) on
//!    polygons in planar metres ([`to_rd_new`] projects WGS84 boundaries to the Dutch grid), or
//!    [`k_nearest`] on [`centroids`]. The result, [`Neighbours`], lists islands explicitly;
//!    [`Neighbours::subset`] drops sites without a value. [`SpatialWeights`] applies a
//!    [`Transform`] (binary or row-standardised); islands never get a made-up weight.
//! 2. **Statistics** — [`global_moran`], [`local_moran`] (LISA with quadrants) and
//!    [`getis_ord_local`] (G_i and G_i*), each with esda's analytic moments and a conditional
//!    permutation test ([`PermutationOptions`], [`Alternative`]); [`fdr_cutoff`] gives
//!    esda's Benjamini–Hochberg cut-off.
//!
//! Everything reproduces PySAL esda/libpysal: the same formulas in the same order of operations,
//! and the same random draws for the same seed (see [`random`]), so that pseudo p-values can be
//! compared one to one. Permutations run on all cores; results do not depend on the number of
//! threads. No I/O happens here.

mod contiguity;
mod getis_ord;
mod inference;
mod knn;
mod moran;
mod pipeline;
pub mod random;
mod weights;

pub use contiguity::{contiguity, Contiguity};
pub use getis_ord::{getis_ord_local, LocalG, LocalGSite};
pub use inference::{fdr_cutoff, Alternative, PermutationOptions, Simulated};
pub use knn::{centroids, k_nearest};
pub use moran::{
    global_moran, is_significant, local_moran, GlobalMoran, GlobalSimulated, LocalMoran,
    LocalMoranSite, Quadrant,
};
pub use pipeline::{contiguity_rd_new, planar, with_values, Analysed, TooFewValues, MIN_SITES};
pub use weights::{Neighbours, SpatialWeights, Transform};

use geo::{Coord, MapCoords, MultiPolygon};

/// Why a spatial statistic could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpatialError {
    /// The weights are unusable (wrong size, self-links, too many neighbours).
    #[error("spatial weights: {0}")]
    Weights(String),
    /// The values are unusable (wrong count, not finite, constant, negative for G).
    #[error("values: {0}")]
    Values(String),
}

/// Checks that there is one finite value per site.
fn check_values(values: &[f64], weights: &SpatialWeights) -> Result<(), SpatialError> {
    if values.len() != weights.len() {
        return Err(SpatialError::Values(format!(
            "expected {} values (one per site), got {}",
            weights.len(),
            values.len()
        )));
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(SpatialError::Values(format!(
            "site {i} has a value that is not a finite number"
        )));
    }
    Ok(())
}

/// Upper tail probability of the standard normal distribution, `P(Z > z)`.
pub use crate::stats::normal_sf;

/// Projects a WGS84 (lon/lat) boundary to RD New (EPSG:28992) metres, so that snapping
/// tolerances and centroid distances are in metres.
pub fn to_rd_new(geometry: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    geometry.map_coords(|c| {
        let (x, y) = kwm_model::rd::wgs84_to_rd(c.x, c.y);
        Coord { x, y }
    })
}
