//! Hierarchical multi-dimensional tables: every dimension is a tree of categories (node 0 is
//! the total), and a cell is one node per dimension. The value of a cell is the sum of the
//! leaf cells below it, so every parent/children group along one dimension, with the other
//! coordinates fixed, is an additive *line*: `parent = Σ children`. Those lines are all an
//! attacker can use, which is why the disclosure-control code works on them.
//!
//! Pure data; no I/O.

/// The largest number of dimensions a table may have (region, five breakdowns, combinations
/// and the stacking count fit easily).
pub const MAX_DIMS: usize = 16;

/// A tree of categories. Node 0 is the root (the total); every other node's parent has a
/// smaller index, so iterating indices downwards visits children before parents.
#[derive(Debug, Clone, PartialEq)]
pub struct Hierarchy {
    labels: Vec<String>,
    parent: Vec<u32>,
    children: Vec<Vec<u32>>,
}

const NO_PARENT: u32 = u32::MAX;

impl Hierarchy {
    /// A tree with only a root.
    pub fn new(root_label: &str) -> Hierarchy {
        Hierarchy {
            labels: vec![root_label.to_string()],
            parent: vec![NO_PARENT],
            children: vec![Vec::new()],
        }
    }

    /// A total with these leaves below it.
    pub fn flat(root_label: &str, leaves: &[&str]) -> Hierarchy {
        let mut h = Hierarchy::new(root_label);
        for l in leaves {
            h.add_child(0, l);
        }
        h
    }

    /// Adds a node below `parent` and returns its index.
    pub fn add_child(&mut self, parent: u32, label: &str) -> u32 {
        let id = self.labels.len() as u32;
        self.labels.push(label.to_string());
        self.parent.push(parent);
        self.children.push(Vec::new());
        self.children[parent as usize].push(id);
        id
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Always false: a hierarchy has at least its root.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The label of a node.
    pub fn label(&self, node: u32) -> &str {
        &self.labels[node as usize]
    }

    /// The parent, `None` for the root.
    pub fn parent(&self, node: u32) -> Option<u32> {
        let p = self.parent[node as usize];
        (p != NO_PARENT).then_some(p)
    }

    /// The children of a node.
    pub fn children(&self, node: u32) -> &[u32] {
        &self.children[node as usize]
    }

    /// Whether a node has no children.
    pub fn is_leaf(&self, node: u32) -> bool {
        self.children[node as usize].is_empty()
    }

    /// The leaves, in index order.
    pub fn leaves(&self) -> Vec<u32> {
        (0..self.len() as u32)
            .filter(|&n| self.is_leaf(n))
            .collect()
    }

    /// Depth: 0 for the root.
    pub fn depth(&self, node: u32) -> usize {
        let mut d = 0;
        let mut n = node;
        while let Some(p) = self.parent(n) {
            d += 1;
            n = p;
        }
        d
    }

    /// Whether `node` lies below `ancestor` (or is it).
    pub fn is_under(&self, node: u32, ancestor: u32) -> bool {
        let mut n = node;
        loop {
            if n == ancestor {
                return true;
            }
            match self.parent(n) {
                Some(p) => n = p,
                None => return false,
            }
        }
    }
}

/// A named dimension of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Dimension {
    /// Name as used in breakdown keys (`age_class`) or internally (`region`, `stack`).
    pub name: String,
    /// The categories.
    pub hierarchy: Hierarchy,
}

/// The shape of a table: its dimensions and the row-major index of every cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    dims: Vec<Dimension>,
    sizes: Vec<usize>,
    strides: Vec<usize>,
    len: usize,
}

impl Shape {
    /// A shape over these dimensions; fails above [`MAX_DIMS`] dimensions or 2³¹ cells.
    pub fn new(dims: Vec<Dimension>) -> Result<Shape, String> {
        if dims.is_empty() || dims.len() > MAX_DIMS {
            return Err(format!(
                "a table needs 1..={MAX_DIMS} dimensions, found {}",
                dims.len()
            ));
        }
        let sizes: Vec<usize> = dims.iter().map(|d| d.hierarchy.len()).collect();
        let mut strides = vec![1usize; dims.len()];
        for j in (0..dims.len().saturating_sub(1)).rev() {
            strides[j] = strides[j + 1] * sizes[j + 1];
        }
        let len = strides[0].checked_mul(sizes[0]).filter(|&n| n < (1 << 31)).ok_or_else(|| {
            format!("the table would have more than 2^31 cells ({sizes:?} categories per dimension)")
        })?;
        Ok(Shape {
            dims,
            sizes,
            strides,
            len,
        })
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for a table without cells (never: every dimension has a root).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The dimensions.
    pub fn dims(&self) -> &[Dimension] {
        &self.dims
    }

    /// Number of dimensions.
    pub fn ndims(&self) -> usize {
        self.dims.len()
    }

    /// The hierarchy of dimension `j`.
    pub fn hierarchy(&self, j: usize) -> &Hierarchy {
        &self.dims[j].hierarchy
    }

    /// Coordinate of `cell` in dimension `j`.
    #[inline]
    pub fn coord(&self, cell: usize, j: usize) -> u32 {
        ((cell / self.strides[j]) % self.sizes[j]) as u32
    }

    /// All coordinates of a cell.
    pub fn coords(&self, cell: usize) -> Vec<u32> {
        (0..self.ndims()).map(|j| self.coord(cell, j)).collect()
    }

    /// The cell at these coordinates.
    pub fn cell(&self, coords: &[u32]) -> usize {
        coords
            .iter()
            .zip(&self.strides)
            .map(|(&c, &s)| c as usize * s)
            .sum()
    }

    /// The cell with coordinate `j` replaced by `node`.
    #[inline]
    pub fn with(&self, cell: usize, j: usize, node: u32) -> usize {
        let old = self.coord(cell, j) as usize;
        cell - old * self.strides[j] + node as usize * self.strides[j]
    }

    /// Whether every coordinate of the cell is a leaf.
    pub fn is_leaf_cell(&self, cell: usize) -> bool {
        (0..self.ndims()).all(|j| self.hierarchy(j).is_leaf(self.coord(cell, j)))
    }

    /// Calls `f(parent_cell, child_cells)` for every line of dimension `j`: every non-leaf node
    /// `u` of `j` with every combination of the other coordinates. Children of a node come
    /// before the node itself (indices are visited downwards), so a bottom-up sum works.
    pub fn for_each_line(&self, j: usize, mut f: impl FnMut(usize, &[usize])) {
        let h = self.hierarchy(j);
        let stride = self.strides[j];
        let block = stride * self.sizes[j];
        let outer = self.len / block;
        let mut kids = Vec::new();
        for u in (0..h.len() as u32).rev() {
            let children = h.children(u);
            if children.is_empty() {
                continue;
            }
            for o in 0..outer {
                let base = o * block;
                for i in 0..stride {
                    kids.clear();
                    kids.extend(children.iter().map(|&c| base + c as usize * stride + i));
                    f(base + u as usize * stride + i, &kids);
                }
            }
        }
    }

    /// Fills every non-leaf cell of `data` from its leaves with `merge(acc, child)`, starting
    /// each parent from `zero`. Leaf cells must be filled; other cells are overwritten.
    pub fn aggregate_up<T: Clone>(&self, data: &mut [T], zero: T, merge: impl Fn(&mut T, &T)) {
        assert_eq!(data.len(), self.len);
        for j in 0..self.ndims() {
            self.for_each_line(j, |parent, children| {
                let mut acc = zero.clone();
                for &c in children {
                    merge(&mut acc, &data[c]);
                }
                data[parent] = acc;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape_2x3() -> Shape {
        Shape::new(vec![
            Dimension {
                name: "a".into(),
                hierarchy: Hierarchy::flat("T", &["a1", "a2"]),
            },
            Dimension {
                name: "b".into(),
                hierarchy: Hierarchy::flat("T", &["b1", "b2", "b3"]),
            },
        ])
        .unwrap()
    }

    #[test]
    fn cells_and_coordinates_round_trip() {
        let s = shape_2x3();
        assert_eq!(s.len(), 12);
        for cell in 0..s.len() {
            assert_eq!(s.cell(&s.coords(cell)), cell);
        }
        assert_eq!(s.with(s.cell(&[1, 2]), 1, 0), s.cell(&[1, 0]));
        assert!(s.is_leaf_cell(s.cell(&[2, 3])));
        assert!(!s.is_leaf_cell(s.cell(&[0, 3])));
    }

    #[test]
    fn margins_are_sums_of_leaves_in_every_dimension() {
        let s = shape_2x3();
        let mut v = vec![0.0; s.len()];
        // a1: 1 2 3, a2: 4 5 6
        for (a, row) in [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]].iter().enumerate() {
            for (b, x) in row.iter().enumerate() {
                v[s.cell(&[a as u32 + 1, b as u32 + 1])] = *x;
            }
        }
        s.aggregate_up(&mut v, 0.0, |acc, x| *acc += x);
        assert_eq!(v[s.cell(&[0, 0])], 21.0);
        assert_eq!(v[s.cell(&[1, 0])], 6.0);
        assert_eq!(v[s.cell(&[0, 3])], 9.0);
    }

    #[test]
    fn nested_hierarchies_sum_bottom_up() {
        let mut h = Hierarchy::new("NL");
        let g1 = h.add_child(0, "GM1");
        let w1 = h.add_child(g1, "WK1");
        let w2 = h.add_child(g1, "WK2");
        let g2 = h.add_child(0, "GM2");
        let w3 = h.add_child(g2, "WK3");
        assert!(h.is_under(w2, 0) && h.is_under(w2, g1) && !h.is_under(w3, g1));
        assert_eq!(h.depth(w3), 2);
        let s = Shape::new(vec![Dimension {
            name: "region".into(),
            hierarchy: h,
        }])
        .unwrap();
        let mut v = vec![0.0; s.len()];
        v[w1 as usize] = 1.0;
        v[w2 as usize] = 2.0;
        v[w3 as usize] = 4.0;
        s.aggregate_up(&mut v, 0.0, |acc, x| *acc += x);
        assert_eq!(v, vec![7.0, 3.0, 1.0, 2.0, 4.0, 4.0]);
    }
}
