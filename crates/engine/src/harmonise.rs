//! Harmonising figures onto one region layout.
//!
//! Given where each source region's figures go ([`crate::crosswalk::compose`]), the value of
//! a target region is built from its contributions:
//!
//! - **counts** (additive) add up: exactly for whole regions, as an estimate when a split
//!   share is involved;
//! - **rates with their counts** (numerator/denominator) are recomputed from the summed
//!   counts — never an average of percentages;
//! - **rates with only their denominator** are a mean weighted by the denominator;
//! - **other rates** are a population-weighted mean, marked as such.
//!
//! A target whose contributions are not all known gets no value: a total over part of an area
//! would understate it.

use std::collections::HashMap;

use kwm_model::RegionCode;
use serde::Serialize;

/// How a harmonised value was obtained, from the most to the least direct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The published value; the region did not change.
    Published,
    /// Counts of whole regions added up exactly.
    Exact,
    /// A rate recomputed from summed numerator and denominator counts.
    Recomputed,
    /// A mean of the parts' rates weighted by the denominator or the population; the exact
    /// counts are not published.
    WeightedMean,
    /// Involves a share of a split or boundary correction, allocated by a weight: an estimate.
    Estimated,
}

impl Method {
    /// Identifier used in the store and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Published => "published",
            Method::Exact => "exact",
            Method::Recomputed => "recomputed",
            Method::WeightedMean => "weighted_mean",
            Method::Estimated => "estimated",
        }
    }

    /// Parses the identifier.
    pub fn parse(s: &str) -> Option<Method> {
        [
            Method::Published,
            Method::Exact,
            Method::Recomputed,
            Method::WeightedMean,
            Method::Estimated,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }

    /// True when the value is not simply the published one.
    pub fn harmonised(self) -> bool {
        self != Method::Published
    }
}

/// A source region's share in a target region.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    /// Source region (in the layout of the figures).
    pub source: RegionCode,
    /// Share of the source that lies in the target.
    pub weight: f64,
    /// True when the share is an estimate.
    pub estimated: bool,
}

/// A figure of a source region.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SourceValue {
    /// Value; `None` when suppressed or missing.
    pub value: Option<f64>,
    /// Lower bound of a published 95% interval.
    pub lower: Option<f64>,
    /// Upper bound.
    pub upper: Option<f64>,
    /// Count behind the value.
    pub n: Option<f64>,
}

/// How an indicator combines over areas.
#[derive(Debug, Clone, Copy)]
pub enum Rule<'a> {
    /// A count: sums.
    Count,
    /// numerator / denominator × scale, both counts known per source region.
    Ratio {
        /// Numerator counts.
        numerator: &'a HashMap<RegionCode, f64>,
        /// Denominator counts.
        denominator: &'a HashMap<RegionCode, f64>,
        /// Multiplier.
        scale: f64,
        /// Population, for the fallback when the counts are incomplete.
        population: &'a HashMap<RegionCode, f64>,
    },
    /// A rate whose denominator is known but not its numerator.
    DenominatorWeighted {
        /// Denominator counts.
        denominator: &'a HashMap<RegionCode, f64>,
        /// Population, for the fallback.
        population: &'a HashMap<RegionCode, f64>,
    },
    /// Any other rate or average: population-weighted mean.
    PopulationWeighted {
        /// Population counts.
        population: &'a HashMap<RegionCode, f64>,
    },
}

/// A harmonised figure of one target region.
#[derive(Debug, Clone, PartialEq)]
pub struct Harmonised {
    /// Value.
    pub value: f64,
    /// Lower bound (published, or propagated for weighted means of estimates with intervals).
    pub lower: Option<f64>,
    /// Upper bound.
    pub upper: Option<f64>,
    /// Count behind the value: the published n, or for rates the (summed) denominator.
    pub n: Option<f64>,
    /// How it was obtained.
    pub method: Method,
    /// What the weighted mean was weighted by, when it is one (`denominator`, `population`).
    pub weighted_by: Option<&'static str>,
}

const Z95: f64 = 1.959_963_984_540_054;

fn weighted_sum(
    contributions: &[Contribution],
    f: impl Fn(&RegionCode) -> Option<f64>,
) -> Option<f64> {
    contributions
        .iter()
        .filter(|c| c.weight > 0.0)
        .try_fold(0.0, |acc, c| f(&c.source).map(|v| acc + c.weight * v))
}

fn weighted_mean(
    contributions: &[Contribution],
    values: &HashMap<RegionCode, SourceValue>,
    weights: &HashMap<RegionCode, f64>,
) -> Option<(f64, Option<f64>, Option<f64>, f64)> {
    let mut total_w = 0.0;
    let mut sum = 0.0;
    let mut parts: Vec<(f64, Option<(f64, f64)>)> = Vec::new();
    for c in contributions.iter().filter(|c| c.weight > 0.0) {
        let v = values.get(&c.source)?;
        let w = c.weight * weights.get(&c.source)?;
        let value = v.value?;
        total_w += w;
        sum += w * value;
        parts.push((w, v.lower.zip(v.upper)));
    }
    if total_w <= 0.0 {
        return None;
    }
    let mean = sum / total_w;
    // Intervals of independent estimates combine as Σ (wᵢ/W)² seᵢ², with seᵢ from the
    // published 95% half-width.
    let interval = parts
        .iter()
        .map(|(w, b)| b.map(|(l, u)| (w / total_w * (u - l) / (2.0 * Z95)).powi(2)))
        .sum::<Option<f64>>()
        .map(|var| var.sqrt());
    Some((
        mean,
        interval.map(|se| mean - Z95 * se),
        interval.map(|se| mean + Z95 * se),
        total_w,
    ))
}

/// Harmonises one target region from its contributions.
///
/// `values` holds the indicator's own figures per source region. Returns `None` when a
/// contribution lacks what the rule needs.
///
/// ```
/// use std::collections::HashMap;
/// use kwm_engine::harmonise::{harmonise, Contribution, Method, Rule, SourceValue};
/// use kwm_model::RegionCode;
/// let c = |s: &str| RegionCode::parse(s).unwrap();
/// let values = HashMap::from([
///     (c("GM0363"), SourceValue { value: Some(862_965.0), ..Default::default() }),
///     (c("GM0457"), SourceValue { value: Some(19_334.0), ..Default::default() }),
/// ]);
/// let parts = [c("GM0363"), c("GM0457")].map(|s| Contribution { source: s, weight: 1.0, estimated: false });
/// let h = harmonise(&c("GM0363"), &parts, &values, Rule::Count).unwrap();
/// assert_eq!((h.value, h.method), (882_299.0, Method::Exact));
/// ```
pub fn harmonise(
    target: &RegionCode,
    contributions: &[Contribution],
    values: &HashMap<RegionCode, SourceValue>,
    rule: Rule<'_>,
) -> Option<Harmonised> {
    let estimated = contributions.iter().any(|c| c.estimated && c.weight > 0.0);
    let unchanged = matches!(contributions, [only] if only.source == *target && only.weight == 1.0 && !only.estimated);
    let changed_method = |m: Method| if estimated { Method::Estimated } else { m };

    if unchanged {
        let own = values.get(target).copied().unwrap_or_default();
        let n_from = |d: &HashMap<RegionCode, f64>| own.n.or_else(|| d.get(target).copied());
        if let Some(value) = own.value {
            let n = match rule {
                Rule::Ratio { denominator, .. } | Rule::DenominatorWeighted { denominator, .. } => {
                    n_from(denominator)
                }
                _ => own.n,
            };
            return Some(Harmonised {
                value,
                lower: own.lower,
                upper: own.upper,
                n,
                method: Method::Published,
                weighted_by: None,
            });
        }
        // Not published, but computable from its counts (an indicator the catalogue defines
        // as a ratio, e.g. persons on social assistance per 1,000 residents).
        if let Rule::Ratio {
            numerator,
            denominator,
            scale,
            ..
        } = rule
        {
            let (x, d) = (numerator.get(target)?, denominator.get(target)?);
            return (*d > 0.0).then(|| Harmonised {
                value: x / d * scale,
                lower: None,
                upper: None,
                n: Some(*d),
                method: Method::Recomputed,
                weighted_by: None,
            });
        }
        return None;
    }

    let by_mean = |weights: &HashMap<RegionCode, f64>, label: &'static str| {
        weighted_mean(contributions, values, weights).map(|(value, lower, upper, w)| Harmonised {
            value,
            lower,
            upper,
            n: (label == "denominator").then_some(w),
            method: changed_method(Method::WeightedMean),
            weighted_by: Some(label),
        })
    };
    match rule {
        Rule::Count => {
            let value = weighted_sum(contributions, |s| values.get(s).and_then(|v| v.value))?;
            Some(Harmonised {
                value,
                lower: None,
                upper: None,
                n: None,
                method: changed_method(Method::Exact),
                weighted_by: None,
            })
        }
        Rule::Ratio {
            numerator,
            denominator,
            scale,
            population,
        } => {
            let x = weighted_sum(contributions, |s| numerator.get(s).copied());
            let d = weighted_sum(contributions, |s| denominator.get(s).copied());
            match (x, d) {
                (Some(x), Some(d)) if d > 0.0 => Some(Harmonised {
                    value: x / d * scale,
                    lower: None,
                    upper: None,
                    n: Some(d),
                    method: changed_method(Method::Recomputed),
                    weighted_by: None,
                }),
                _ => by_mean(denominator, "denominator")
                    .or_else(|| by_mean(population, "population")),
            }
        }
        Rule::DenominatorWeighted {
            denominator,
            population,
        } => by_mean(denominator, "denominator").or_else(|| by_mean(population, "population")),
        Rule::PopulationWeighted { population } => by_mean(population, "population"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    fn whole(codes: &[&str]) -> Vec<Contribution> {
        codes
            .iter()
            .map(|s| Contribution {
                source: c(s),
                weight: 1.0,
                estimated: false,
            })
            .collect()
    }

    fn values(pairs: &[(&str, f64)]) -> HashMap<RegionCode, SourceValue> {
        pairs
            .iter()
            .map(|(s, v)| {
                (
                    c(s),
                    SourceValue {
                        value: Some(*v),
                        ..Default::default()
                    },
                )
            })
            .collect()
    }

    fn counts(pairs: &[(&str, f64)]) -> HashMap<RegionCode, f64> {
        pairs.iter().map(|(s, v)| (c(s), *v)).collect()
    }

    #[test]
    fn a_merged_rate_is_recomputed_from_counts_not_averaged() {
        // A: 10 of 100 (10%), B: 90 of 300 (30%). The mean of percentages would be 20%;
        // the merged rate is 100 / 400 = 25%.
        let num = counts(&[("GM0001", 10.0), ("GM0002", 90.0)]);
        let den = counts(&[("GM0001", 100.0), ("GM0002", 300.0)]);
        let pop = HashMap::new();
        let rates = values(&[("GM0001", 10.0), ("GM0002", 30.0)]);
        let h = harmonise(
            &c("GM0100"),
            &whole(&["GM0001", "GM0002"]),
            &rates,
            Rule::Ratio {
                numerator: &num,
                denominator: &den,
                scale: 100.0,
                population: &pop,
            },
        )
        .unwrap();
        assert_eq!(
            (h.value, h.method, h.n),
            (25.0, Method::Recomputed, Some(400.0))
        );
    }

    #[test]
    fn without_a_numerator_the_mean_is_weighted_and_marked() {
        let den = counts(&[("GM0001", 100.0), ("GM0002", 300.0)]);
        let pop = HashMap::new();
        let rates = values(&[("GM0001", 10.0), ("GM0002", 30.0)]);
        let h = harmonise(
            &c("GM0100"),
            &whole(&["GM0001", "GM0002"]),
            &rates,
            Rule::DenominatorWeighted {
                denominator: &den,
                population: &pop,
            },
        )
        .unwrap();
        assert_eq!(
            (h.value, h.method, h.weighted_by),
            (25.0, Method::WeightedMean, Some("denominator"))
        );
        // Population-weighted fallback with published intervals propagates them.
        let pop = counts(&[("GM0001", 1000.0), ("GM0002", 1000.0)]);
        let mut rates = rates;
        for (code, half) in [("GM0001", 2.0), ("GM0002", 2.0)] {
            let v = rates.get_mut(&c(code)).unwrap();
            v.lower = Some(v.value.unwrap() - half);
            v.upper = Some(v.value.unwrap() + half);
        }
        let h = harmonise(
            &c("GM0100"),
            &whole(&["GM0001", "GM0002"]),
            &rates,
            Rule::PopulationWeighted { population: &pop },
        )
        .unwrap();
        assert_eq!(h.value, 20.0);
        // Two independent estimates of equal weight: half-width 2 / √2.
        assert!((h.upper.unwrap() - 20.0 - 2.0 / 2f64.sqrt()).abs() < 1e-9);
    }

    #[test]
    fn splits_are_estimates_and_incomplete_targets_get_nothing() {
        let parts = vec![
            Contribution {
                source: c("GM0757"),
                weight: 1.0,
                estimated: false,
            },
            Contribution {
                source: c("GM0788"),
                weight: 0.25,
                estimated: true,
            },
        ];
        let v = values(&[("GM0757", 30_000.0), ("GM0788", 14_000.0)]);
        let h = harmonise(&c("GM0757"), &parts, &v, Rule::Count).unwrap();
        assert_eq!((h.value, h.method), (33_500.0, Method::Estimated));
        let missing = values(&[("GM0757", 30_000.0)]);
        assert_eq!(harmonise(&c("GM0757"), &parts, &missing, Rule::Count), None);
    }

    #[test]
    fn unchanged_regions_keep_their_published_figures() {
        let mut v = values(&[("GM0014", 12.0)]);
        v.get_mut(&c("GM0014")).unwrap().lower = Some(11.0);
        let pop = HashMap::new();
        let h = harmonise(
            &c("GM0014"),
            &whole(&["GM0014"]),
            &v,
            Rule::PopulationWeighted { population: &pop },
        )
        .unwrap();
        assert_eq!(
            (h.value, h.lower, h.method),
            (12.0, Some(11.0), Method::Published)
        );
        // A defined ratio with no published value is computed from its counts.
        let num = counts(&[("GM0014", 5.0)]);
        let den = counts(&[("GM0014", 1000.0)]);
        let h = harmonise(
            &c("GM0014"),
            &whole(&["GM0014"]),
            &HashMap::new(),
            Rule::Ratio {
                numerator: &num,
                denominator: &den,
                scale: 1000.0,
                population: &pop,
            },
        )
        .unwrap();
        assert_eq!((h.value, h.method), (5.0, Method::Recomputed));
    }
}
