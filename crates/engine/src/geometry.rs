//! Geometry on region boundaries.

use geo::{Area, BoundingRect, Contains, InteriorPoint, MultiPolygon, Rect};

/// For each child shape, the index of the parent shape that contains the child's interior
/// point (a point guaranteed inside the child, unlike the centroid of a crescent-shaped
/// gemeente). `None` when no parent contains it, e.g. an islet dropped by simplification.
pub fn containing_parent(
    children: &[MultiPolygon<f64>],
    parents: &[MultiPolygon<f64>],
) -> Vec<Option<usize>> {
    let boxes: Vec<Option<Rect<f64>>> = parents.iter().map(BoundingRect::bounding_rect).collect();
    children
        .iter()
        .map(|child| {
            // Use the interior point of the largest polygon: small islands are often missing in
            // a simplified parent layer.
            let largest = child
                .0
                .iter()
                .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))?;
            let point = largest.interior_point()?;
            parents.iter().enumerate().position(|(i, p)| {
                boxes[i].is_some_and(|b| {
                    b.min().x <= point.x()
                        && point.x() <= b.max().x
                        && b.min().y <= point.y()
                        && point.y() <= b.max().y
                }) && p.contains(&point)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, MultiPolygon};

    #[test]
    fn children_find_their_parent() {
        let parent_a: MultiPolygon<f64> =
            polygon![(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.)].into();
        let parent_b: MultiPolygon<f64> =
            polygon![(x: 10., y: 0.), (x: 20., y: 0.), (x: 20., y: 10.), (x: 10., y: 10.)].into();
        let child: MultiPolygon<f64> =
            polygon![(x: 12., y: 1.), (x: 14., y: 1.), (x: 14., y: 3.), (x: 12., y: 3.)].into();
        let outside: MultiPolygon<f64> =
            polygon![(x: 30., y: 1.), (x: 31., y: 1.), (x: 31., y: 2.)].into();
        assert_eq!(
            containing_parent(&[child, outside], &[parent_a, parent_b]),
            vec![Some(1), None]
        );
    }
}
