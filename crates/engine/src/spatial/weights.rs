//! Spatial weights: who neighbours whom, and with what weight.

use super::SpatialError;

/// Binary neighbour lists in compressed form: for each site, the sorted indices of its
/// neighbours (never itself). Sites without neighbours are *islands*; they stay in the list
/// with an empty row, so that a caller always sees them (see [`Neighbours::islands`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Neighbours {
    offsets: Vec<usize>,
    indices: Vec<u32>,
}

impl Neighbours {
    /// Builds neighbour lists from one list per site. Lists are sorted and deduplicated;
    /// a site listed as its own neighbour or an index out of range is an error.
    pub fn from_lists(lists: Vec<Vec<usize>>) -> Result<Neighbours, SpatialError> {
        let n = lists.len();
        let mut offsets = Vec::with_capacity(n + 1);
        let mut indices = Vec::with_capacity(lists.iter().map(Vec::len).sum());
        offsets.push(0);
        for (i, mut list) in lists.into_iter().enumerate() {
            list.sort_unstable();
            list.dedup();
            for &j in &list {
                if j == i {
                    return Err(SpatialError::Weights(format!(
                        "site {i} is listed as its own neighbour"
                    )));
                }
                if j >= n {
                    return Err(SpatialError::Weights(format!(
                        "site {i} has neighbour {j}, but there are only {n} sites"
                    )));
                }
                indices.push(j as u32);
            }
            offsets.push(indices.len());
        }
        Ok(Neighbours { offsets, indices })
    }

    /// Builds symmetric neighbour lists from unordered pairs `(a, b)`, `a != b`.
    pub(crate) fn from_pairs(n: usize, pairs: impl IntoIterator<Item = (u32, u32)>) -> Neighbours {
        let mut lists: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (a, b) in pairs {
            if a != b {
                lists[a as usize].push(b as usize);
                lists[b as usize].push(a as usize);
            }
        }
        Neighbours::from_lists(lists).expect("pairs are in range and not self-pairs")
    }

    /// Number of sites.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether there are no sites.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The neighbours of site `i`, sorted.
    pub fn of(&self, i: usize) -> &[u32] {
        &self.indices[self.offsets[i]..self.offsets[i + 1]]
    }

    /// Number of neighbours of site `i`.
    pub fn cardinality(&self, i: usize) -> usize {
        self.offsets[i + 1] - self.offsets[i]
    }

    /// Total number of (directed) neighbour links; twice the number of pairs when symmetric.
    pub fn links(&self) -> usize {
        self.indices.len()
    }

    /// Sites without any neighbour.
    pub fn islands(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|&i| self.cardinality(i) == 0)
            .collect()
    }

    /// The largest number of neighbours of any site.
    pub fn max_cardinality(&self) -> usize {
        (0..self.len())
            .map(|i| self.cardinality(i))
            .max()
            .unwrap_or(0)
    }

    /// The weights restricted to the sites where `keep[i]` is true, renumbered in order
    /// (like libpysal's `w_subset`). Sites can become islands when all their neighbours
    /// are dropped; [`Neighbours::islands`] on the result tells which.
    pub fn subset(&self, keep: &[bool]) -> Neighbours {
        assert_eq!(keep.len(), self.len(), "one keep flag per site");
        let mut new_index = vec![u32::MAX; self.len()];
        let mut next = 0u32;
        for (i, &k) in keep.iter().enumerate() {
            if k {
                new_index[i] = next;
                next += 1;
            }
        }
        let mut offsets = vec![0];
        let mut indices = Vec::new();
        for i in (0..self.len()).filter(|&i| keep[i]) {
            indices.extend(
                self.of(i)
                    .iter()
                    .filter(|&&j| keep[j as usize])
                    .map(|&j| new_index[j as usize]),
            );
            offsets.push(indices.len());
        }
        Neighbours { offsets, indices }
    }
}

/// How raw binary links become weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// Every link weighs 1 (libpysal `"B"`).
    Binary,
    /// Each site's weights sum to 1 (libpysal `"R"`, esda's default for Moran's I and Gi).
    /// An island's row stays empty: it gets no weight at all rather than a made-up one.
    Row,
}

impl Transform {
    /// The name used on the command line and in output (`binary`, `row`).
    pub fn as_str(self) -> &'static str {
        match self {
            Transform::Binary => "binary",
            Transform::Row => "row",
        }
    }
}

/// Weighted neighbour lists, optionally with a weight on the site itself (used by Gi*).
#[derive(Debug, Clone, PartialEq)]
pub struct SpatialWeights {
    neighbours: Neighbours,
    weights: Vec<f64>,
    self_weights: Vec<f64>,
    transform: Transform,
}

impl SpatialWeights {
    /// Weights from binary neighbours, without self-weights.
    pub fn new(neighbours: &Neighbours, transform: Transform) -> SpatialWeights {
        SpatialWeights::with_self_weight(neighbours, transform, 0.0)
    }

    /// Weights from binary neighbours where every site that has neighbours also weighs
    /// itself with `self_weight` before the transform — esda's Gi* construction
    /// (`fill_diagonal` on binary weights, then row-standardising the whole row). Islands
    /// get no self-weight either: their statistic would only describe their own value.
    pub fn with_self_weight(
        neighbours: &Neighbours,
        transform: Transform,
        self_weight: f64,
    ) -> SpatialWeights {
        let n = neighbours.len();
        let mut weights = Vec::with_capacity(neighbours.links());
        let mut self_weights = Vec::with_capacity(n);
        for i in 0..n {
            let k = neighbours.cardinality(i);
            let own = if k == 0 { 0.0 } else { self_weight };
            let scale = match transform {
                Transform::Binary => 1.0,
                Transform::Row if k == 0 => 1.0,
                Transform::Row => 1.0 / (k as f64 + own),
            };
            weights.extend(std::iter::repeat_n(scale, k));
            self_weights.push(own * scale);
        }
        SpatialWeights {
            neighbours: neighbours.clone(),
            weights,
            self_weights,
            transform,
        }
    }

    /// Number of sites.
    pub fn len(&self) -> usize {
        self.neighbours.len()
    }

    /// Whether there are no sites.
    pub fn is_empty(&self) -> bool {
        self.neighbours.is_empty()
    }

    /// The underlying binary neighbours.
    pub fn neighbours(&self) -> &Neighbours {
        &self.neighbours
    }

    /// The transform that produced these weights.
    pub fn transform(&self) -> Transform {
        self.transform
    }

    /// Neighbour indices and their weights for site `i` (self-weight excluded).
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.neighbours.offsets[i], self.neighbours.offsets[i + 1]);
        (&self.neighbours.indices[a..b], &self.weights[a..b])
    }

    /// The weight of site `i` on itself (0 unless built for Gi*).
    pub fn self_weight(&self, i: usize) -> f64 {
        self.self_weights[i]
    }

    /// Sum of all weights including self-weights (libpysal `s0`).
    pub fn s0(&self) -> f64 {
        self.weights.iter().sum::<f64>() + self.self_weights.iter().sum::<f64>()
    }

    /// Sum of row `i` including the self-weight.
    pub fn row_sum(&self, i: usize) -> f64 {
        self.row(i).1.iter().sum::<f64>() + self.self_weights[i]
    }

    /// The weight `w_ij` (0 when `j` is not a neighbour of `i`).
    pub fn weight(&self, i: usize, j: usize) -> f64 {
        if i == j {
            return self.self_weights[i];
        }
        let (idx, w) = self.row(i);
        idx.binary_search(&(j as u32)).map_or(0.0, |p| w[p])
    }

    /// `s1 = ½ Σ_ij (w_ij + w_ji)²` and `s2 = Σ_i (w_i· + w_·i)²`, the moments libpysal uses
    /// for Moran's I. Works for asymmetric weights (k-nearest neighbours, row-standardised).
    pub fn s1_s2(&self) -> (f64, f64) {
        let n = self.len();
        let mut s1 = 0.0;
        let mut col_sums = vec![0.0; n];
        for i in 0..n {
            let d = self.self_weights[i];
            s1 += 0.5 * (2.0 * d) * (2.0 * d);
            col_sums[i] += d;
            let (idx, w) = self.row(i);
            for (&j, &wij) in idx.iter().zip(w) {
                let j = j as usize;
                col_sums[j] += wij;
                let wji = self.weight(j, i);
                if wji != 0.0 {
                    // Visited again from j's row: each ordered pair contributes half.
                    s1 += 0.5 * (wij + wji) * (wij + wji);
                } else {
                    // (i, j) and (j, i) both equal w_ij², and only this row sees them.
                    s1 += wij * wij;
                }
            }
        }
        let s2 = (0..n)
            .map(|i| (self.row_sum(i) + col_sums[i]).powi(2))
            .sum();
        (s1, s2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(n: usize) -> Neighbours {
        Neighbours::from_pairs(n, (0..n as u32 - 1).map(|i| (i, i + 1)))
    }

    #[test]
    fn row_standardised_rows_sum_to_one_and_islands_stay_empty() {
        let mut lists = vec![vec![1], vec![0, 2], vec![1], vec![]];
        lists[0].push(2);
        let nb = Neighbours::from_lists(lists).unwrap();
        let w = SpatialWeights::new(&nb, Transform::Row);
        for i in 0..3 {
            assert!((w.row_sum(i) - 1.0).abs() < 1e-15);
        }
        assert_eq!(w.row_sum(3), 0.0);
        assert_eq!(nb.islands(), vec![3]);
    }

    #[test]
    fn s1_and_s2_match_hand_computation_for_a_path() {
        // Path 0-1-2, binary: s1 = ½·Σ(2)² over 4 ordered links = 8; row sums 1,2,1 ⇒ s2 = Σ(2·r)² = 4+16+4.
        let w = SpatialWeights::new(&path(3), Transform::Binary);
        assert_eq!(w.s1_s2(), (8.0, 24.0));
        assert_eq!(w.s0(), 4.0);
    }

    #[test]
    fn asymmetric_links_count_in_s1_once_per_direction() {
        // 0 → 1 only: (w01 + w10)² = 1 for both ordered pairs ⇒ s1 = 1; s2 = (1+0)² + (0+1)².
        let nb = Neighbours::from_lists(vec![vec![1], vec![]]).unwrap();
        let w = SpatialWeights::new(&nb, Transform::Binary);
        assert_eq!(w.s1_s2(), (1.0, 2.0));
    }

    #[test]
    fn self_weight_is_part_of_the_row_before_standardising() {
        let w = SpatialWeights::with_self_weight(&path(3), Transform::Row, 1.0);
        assert!((w.self_weight(1) - 1.0 / 3.0).abs() < 1e-15);
        assert!((w.row(1).1[0] - 1.0 / 3.0).abs() < 1e-15);
        assert!((w.row_sum(0) - 1.0).abs() < 1e-15);
    }

    #[test]
    fn subsets_renumber_and_can_create_islands() {
        let sub = path(4).subset(&[true, false, true, true]);
        assert_eq!(sub.len(), 3);
        assert_eq!(sub.of(0), &[] as &[u32]);
        assert_eq!(sub.of(1), &[2]);
        assert_eq!(sub.islands(), vec![0]);
    }

    #[test]
    fn self_neighbours_are_rejected() {
        assert!(Neighbours::from_lists(vec![vec![0]]).is_err());
        assert!(Neighbours::from_lists(vec![vec![5]]).is_err());
    }
}
