//! `method.toml`: the computation's thresholds, the composite's method, the Monte Carlo and
//! cluster settings ([`crate::risk::MethodParams`]); every number through the one range check.

use serde::Deserialize;
use toml::Spanned;

use super::diag::{checked, choice, choices, Ctx};
use super::CatalogueError;
use crate::risk::{
    AggregationChoice, ClusterAlternative, MethodParams, NormalisationChoice, WeightingChoice,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMethodFile {
    #[serde(default)]
    stacking: Option<Spanned<RawStacking>>,
    #[serde(default)]
    composite: Option<Spanned<RawComposite>>,
    #[serde(default)]
    uncertainty: Option<Spanned<RawUncertainty>>,
    #[serde(default)]
    clusters: Option<Spanned<RawClusters>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUncertainty {
    runs: Option<Spanned<i64>>,
    seed: Option<Spanned<i64>>,
    normalisations: Option<Spanned<Vec<Spanned<String>>>>,
    weightings: Option<Spanned<Vec<Spanned<String>>>>,
    aggregations: Option<Spanned<Vec<Spanned<String>>>>,
    weight_noise: Option<Spanned<f64>>,
    weight_noise_sets: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClusters {
    permutations: Option<Spanned<i64>>,
    seed: Option<Spanned<i64>>,
    alternative: Option<Spanned<String>>,
    alpha: Option<Spanned<f64>>,
    fdr: Option<bool>,
    snap_metres: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStacking {
    threshold: Option<Spanned<f64>>,
    percentile_decimals: Option<Spanned<i64>>,
    min_available_weight: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComposite {
    normalisation: Option<Spanned<String>>,
    weighting: Option<Spanned<String>>,
    aggregation: Option<Spanned<String>>,
    min_characteristics_share: Option<Spanned<f64>>,
}

pub(crate) fn parse_method(ctx: &Ctx<'_>) -> Result<MethodParams, CatalogueError> {
    let raw: RawMethodFile = ctx.parse()?;
    let mut p = MethodParams::default();
    if let Some(s) = raw.stacking {
        let s = s.into_inner();
        if let Some(t) = &s.threshold {
            p.threshold = checked(
                ctx,
                t,
                "stacking.threshold",
                |t| (0.0..=100.0).contains(t),
                "a percentile between 0 and 100",
            )?;
        }
        if let Some(d) = &s.percentile_decimals {
            p.percentile_decimals = checked(
                ctx,
                d,
                "stacking.percentile_decimals",
                |d| (0..=4).contains(d),
                "0 to 4 decimals",
            )? as u8;
        }
        if let Some(w) = &s.min_available_weight {
            p.min_available_weight = checked(
                ctx,
                w,
                "stacking.min_available_weight",
                |w| *w > 0.0 && *w <= 1.0,
                "a share above 0 and at most 1",
            )?;
        }
    }
    if let Some(c) = raw.composite {
        let c = c.into_inner();
        if let Some(v) = &c.normalisation {
            p.composite.normalisation = choice(
                ctx,
                v,
                "composite.normalisation",
                &NormalisationChoice::ALL,
                NormalisationChoice::as_str,
            )?;
        }
        if let Some(v) = &c.weighting {
            p.composite.weighting = choice(
                ctx,
                v,
                "composite.weighting",
                &WeightingChoice::ALL,
                WeightingChoice::as_str,
            )?;
        }
        if let Some(v) = &c.aggregation {
            p.composite.aggregation = choice(
                ctx,
                v,
                "composite.aggregation",
                &AggregationChoice::ALL,
                AggregationChoice::as_str,
            )?;
        }
        if let Some(s) = &c.min_characteristics_share {
            p.composite_min_share = checked(
                ctx,
                s,
                "composite.min_characteristics_share",
                |s| (0.0..=1.0).contains(s),
                "a share from 0 to 1",
            )?;
        }
    }
    if let Some(u) = raw.uncertainty {
        let u = u.into_inner();
        let q = &mut p.uncertainty;
        if let Some(v) = &u.runs {
            q.runs = checked(
                ctx,
                v,
                "uncertainty.runs",
                |x| (0..=100_000).contains(x),
                "0 (off) or a number of runs from 2 to 100000",
            )? as usize;
            if q.runs == 1 {
                return Err(ctx.err(
                    v.span().start,
                    "uncertainty.runs",
                    "expected 0 (off) or at least 2 runs, found 1",
                ));
            }
        }
        if let Some(v) = &u.seed {
            q.seed = checked(
                ctx,
                v,
                "uncertainty.seed",
                |x| (0..=i64::MAX).contains(x),
                "a seed ≥ 0",
            )? as u64;
        }
        if let Some(v) = &u.normalisations {
            q.normalisations = choices(
                ctx,
                v,
                "uncertainty.normalisations",
                &NormalisationChoice::ALL,
                NormalisationChoice::as_str,
            )?;
        }
        if let Some(v) = &u.weightings {
            q.weightings = choices(
                ctx,
                v,
                "uncertainty.weightings",
                &WeightingChoice::ALL,
                WeightingChoice::as_str,
            )?;
        }
        if let Some(v) = &u.aggregations {
            q.aggregations = choices(
                ctx,
                v,
                "uncertainty.aggregations",
                &AggregationChoice::ALL,
                AggregationChoice::as_str,
            )?;
        }
        if let Some(v) = &u.weight_noise {
            q.weight_noise = checked(
                ctx,
                v,
                "uncertainty.weight_noise",
                |v| (0.0..1.0).contains(v),
                "a share from 0 (off) to below 1",
            )?;
        }
        if let Some(v) = &u.weight_noise_sets {
            q.weight_noise_sets = checked(
                ctx,
                v,
                "uncertainty.weight_noise_sets",
                |x| (1..=10_000).contains(x),
                "1 to 10000 weight sets",
            )? as usize;
        }
    }
    if let Some(c) = raw.clusters {
        let c = c.into_inner();
        let q = &mut p.clusters;
        if let Some(v) = &c.permutations {
            q.permutations = checked(
                ctx,
                v,
                "clusters.permutations",
                |x| (0..=99_999).contains(x),
                "0 (off) to 99999 permutations",
            )? as usize;
        }
        if let Some(v) = &c.seed {
            q.seed = checked(
                ctx,
                v,
                "clusters.seed",
                |x| (0..=i64::from(u32::MAX)).contains(x),
                "a seed from 0 to 4294967295",
            )? as u32;
        }
        if let Some(v) = &c.alternative {
            q.alternative = choice(
                ctx,
                v,
                "clusters.alternative",
                &[
                    ClusterAlternative::TwoSided,
                    ClusterAlternative::Directed,
                    ClusterAlternative::Folded,
                ],
                ClusterAlternative::as_str,
            )?;
        }
        if let Some(v) = &c.alpha {
            q.alpha = checked(
                ctx,
                v,
                "clusters.alpha",
                |a| *a > 0.0 && *a < 0.5,
                "a significance level above 0 and below 0.5",
            )?;
        }
        if let Some(v) = c.fdr {
            q.fdr = v;
        }
        if let Some(v) = &c.snap_metres {
            q.snap_metres = checked(
                ctx,
                v,
                "clusters.snap_metres",
                |m| (0.0..=1000.0).contains(m),
                "0 to 1000 metres",
            )?;
        }
    }
    Ok(p)
}
