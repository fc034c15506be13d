//! The steps before the statistics, shared by every caller (`kwm spatial` and the risk model's
//! clusters): boundaries to planar metres, contiguity among them, and the sites of one variable
//! that take part — those with a value, the weights subset to them, at least [`MIN_SITES`].

use geo::MultiPolygon;

use super::{contiguity, to_rd_new, Contiguity, Neighbours};

/// Fewer sites with a value than this get no statistics.
pub const MIN_SITES: usize = 4;

/// WGS84 boundaries in RD New metres (see [`to_rd_new`]).
pub fn planar<'a>(
    geometries: impl IntoIterator<Item = &'a MultiPolygon<f64>>,
) -> Vec<MultiPolygon<f64>> {
    geometries.into_iter().map(to_rd_new).collect()
}

/// Contiguity of WGS84 boundaries, computed in RD New metres (`tolerance` in metres).
pub fn contiguity_rd_new<'a>(
    geometries: impl IntoIterator<Item = &'a MultiPolygon<f64>>,
    rule: Contiguity,
    tolerance: f64,
) -> Neighbours {
    contiguity(&planar(geometries), rule, tolerance)
}

/// The sites of one variable that take part in the analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysed {
    /// Index into the full weights of each analysed site, in site order.
    pub sites: Vec<usize>,
    /// Their values, in the same order.
    pub y: Vec<f64>,
    /// The weights among them (libpysal's `w_subset`), numbered like `sites`.
    pub neighbours: Neighbours,
}

impl Analysed {
    /// Analysed sites left without a neighbour with a value, as indices into the full weights.
    pub fn islands(&self) -> Vec<usize> {
        self.neighbours
            .islands()
            .into_iter()
            .map(|k| self.sites[k])
            .collect()
    }

    /// Per site of the full weights, its position among the analysed sites.
    pub fn positions(&self, sites: usize) -> Vec<Option<usize>> {
        let mut position = vec![None; sites];
        for (k, &i) in self.sites.iter().enumerate() {
            position[i] = Some(k);
        }
        position
    }
}

/// Fewer than [`MIN_SITES`] sites have a value; `with_value` says how many do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooFewValues {
    /// Sites with a value.
    pub with_value: usize,
}

/// The sites of `all` that have a value (`values` holds one per site), with the weights subset
/// to them; an error when fewer than [`MIN_SITES`] have one.
pub fn with_values(all: &Neighbours, values: &[Option<f64>]) -> Result<Analysed, TooFewValues> {
    assert_eq!(values.len(), all.len(), "one value per site");
    let keep: Vec<bool> = values.iter().map(Option::is_some).collect();
    let sites: Vec<usize> = (0..values.len()).filter(|&i| keep[i]).collect();
    if sites.len() < MIN_SITES {
        return Err(TooFewValues {
            with_value: sites.len(),
        });
    }
    let y = sites.iter().filter_map(|&i| values[i]).collect();
    let neighbours = all.subset(&keep);
    Ok(Analysed {
        sites,
        y,
        neighbours,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_without_a_value_are_left_out_and_may_leave_islands() {
        // A path 0 – 1 – 2 – 3 – 4; site 1 has no value, so 0 becomes an island.
        let all =
            Neighbours::from_lists(vec![vec![1], vec![0, 2], vec![1, 3], vec![2, 4], vec![3]])
                .unwrap();
        let values = [Some(1.0), None, Some(3.0), Some(4.0), Some(5.0)];
        let a = with_values(&all, &values).unwrap();
        assert_eq!(a.sites, vec![0, 2, 3, 4]);
        assert_eq!(a.y, vec![1.0, 3.0, 4.0, 5.0]);
        assert_eq!(a.islands(), vec![0]);
        assert_eq!(
            a.positions(5),
            vec![Some(0), None, Some(1), Some(2), Some(3)]
        );
        let too_few = with_values(&all, &[Some(1.0), None, None, Some(2.0), Some(3.0)]);
        assert_eq!(too_few, Err(TooFewValues { with_value: 3 }));
    }
}
