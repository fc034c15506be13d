//! k-nearest-neighbour weights on representative points (usually polygon centroids).

use geo::{Centroid, MultiPolygon};
use rstar::primitives::GeomWithData;
use rstar::RTree;

use super::weights::Neighbours;
use super::SpatialError;

/// The area-weighted centroid of each polygon (what libpysal's `KNN.from_dataframe` uses),
/// in the polygons' own planar coordinates. `None` for an empty geometry.
pub fn centroids(polygons: &[MultiPolygon<f64>]) -> Vec<Option<[f64; 2]>> {
    polygons
        .iter()
        .map(|p| p.centroid().map(|c| [c.x(), c.y()]))
        .collect()
}

/// The `k` nearest other points of every point (Euclidean distance; ties broken by the lower
/// index, so the result does not depend on the index's internal order). The result is not
/// symmetric: `j` can be among `i`'s nearest without `i` being among `j`'s.
///
/// ```
/// use kwm_engine::spatial::k_nearest;
/// let points = [[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [10.0, 0.0]];
/// let nb = k_nearest(&points, 1).unwrap();
/// assert_eq!(nb.of(3), &[2]);
/// assert_eq!(nb.of(2), &[1]);
/// ```
pub fn k_nearest(points: &[[f64; 2]], k: usize) -> Result<Neighbours, SpatialError> {
    if k == 0 || k >= points.len() {
        return Err(SpatialError::Weights(format!(
            "k-nearest neighbours needs 1 <= k < number of sites ({}), got k = {k}",
            points.len()
        )));
    }
    if let Some(i) = points
        .iter()
        .position(|p| !p[0].is_finite() || !p[1].is_finite())
    {
        return Err(SpatialError::Weights(format!(
            "site {i} has no finite representative point"
        )));
    }
    let tree = RTree::bulk_load(
        points
            .iter()
            .enumerate()
            .map(|(i, &p)| GeomWithData::new(p, i as u32))
            .collect::<Vec<_>>(),
    );
    let mut lists = Vec::with_capacity(points.len());
    let mut found: Vec<(f64, u32)> = Vec::with_capacity(k + 8);
    for (i, &p) in points.iter().enumerate() {
        found.clear();
        // Take candidates in order of distance until k others are found and the next one is
        // strictly farther, so that every point tied with the k-th is seen before choosing.
        for c in tree.nearest_neighbor_iter_with_distance_2(&p) {
            let (item, d2) = c;
            if item.data as usize == i {
                continue;
            }
            if found.len() >= k && d2 > found[k - 1].0 {
                break;
            }
            found.push((d2, item.data));
        }
        found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        lists.push(found.iter().take(k).map(|&(_, j)| j as usize).collect());
    }
    Neighbours::from_lists(lists)
}
