//! Totals over areas.

/// Sum of counts over all regions, but only when every region has a value: a sum over an
/// incomplete set would understate the total. Returns the sum and how many regions it covers.
pub fn complete_sum(values: &[Option<f64>]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.iter().try_fold(0.0, |acc, v| v.map(|x| acc + x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_only_complete_sets() {
        assert_eq!(complete_sum(&[Some(1.0), Some(2.5)]), Some(3.5));
        assert_eq!(complete_sum(&[Some(1.0), None]), None);
        assert_eq!(complete_sum(&[]), None);
    }
}
