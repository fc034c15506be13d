//! Words for the composite's method choices, the compared methods and the cluster categories,
//! in both languages: shared by the API (as `{nl, en}` labels) and the pages.

use kwm_model::catalogue::Catalogue;
use kwm_model::risk::{AggregationChoice, CompositeMethod, NormalisationChoice, WeightingChoice};
use kwm_monitor::clusters::{Category, COMPOSITE, STACKING};
use kwm_monitor::composite::ChoiceKind;

use crate::i18n::Lang;

/// A normalisation in words.
pub fn normalisation(lang: Lang, c: NormalisationChoice) -> &'static str {
    match c {
        NormalisationChoice::PercentRank => lang.t("percentielrang", "percentile rank"),
        NormalisationChoice::MinMax => lang.t("min-max", "min-max"),
        NormalisationChoice::ZScore => lang.t("z-score", "z-score"),
        NormalisationChoice::ExponentialRank => lang.t(
            "exponentiële transformatie (IMD)",
            "exponential transform (IMD)",
        ),
    }
}

/// A weighting in words.
pub fn weighting(lang: Lang, c: WeightingChoice) -> &'static str {
    match c {
        WeightingChoice::Equal => lang.t("gelijke gewichten", "equal weights"),
        WeightingChoice::Matrix => lang.t("gewichten via de themamatrix", "theme-matrix weights"),
    }
}

/// An aggregation in words.
pub fn aggregation(lang: Lang, c: AggregationChoice) -> &'static str {
    match c {
        AggregationChoice::Arithmetic => lang.t("rekenkundig gemiddelde", "arithmetic mean"),
        AggregationChoice::Geometric => lang.t("meetkundig gemiddelde", "geometric mean"),
    }
}

/// A whole method in words: `percentielrang, gelijke gewichten, rekenkundig gemiddelde`.
pub fn method(lang: Lang, m: CompositeMethod) -> String {
    format!(
        "{}, {}, {}",
        normalisation(lang, m.normalisation),
        weighting(lang, m.weighting),
        aggregation(lang, m.aggregation)
    )
}

/// A compared method by what it changes: `nominaal` or the changed choice.
pub fn compared(lang: Lang, changes: ChoiceKind, m: CompositeMethod) -> String {
    match changes {
        ChoiceKind::Nominal => lang.t("nominaal", "nominal").to_string(),
        ChoiceKind::Normalisation => normalisation(lang, m.normalisation).to_string(),
        ChoiceKind::Weighting => weighting(lang, m.weighting).to_string(),
        ChoiceKind::Aggregation => aggregation(lang, m.aggregation).to_string(),
    }
}

/// An uncertain choice of the Monte Carlo analysis.
pub fn factor(lang: Lang, name: &str) -> String {
    match name {
        "normalisation" => lang.t("normalisatie", "normalisation").into(),
        "weighting" => lang.t("weging", "weighting").into(),
        "aggregation" => lang.t("aggregatie", "aggregation").into(),
        "weights" => lang
            .t("ruis op de gewichten", "noise on the weights")
            .into(),
        other => other.into(),
    }
}

/// A cluster variable: the stacking count, the composite, or a characteristic.
pub fn variable(lang: Lang, c: &Catalogue, id: &str) -> String {
    match id {
        STACKING => lang
            .t(
                "aantal gemarkeerde kenmerken",
                "number of flagged characteristics",
            )
            .into(),
        COMPOSITE => lang.t("samengestelde index", "composite index").into(),
        other => c.risk.factor(other).map_or_else(
            || other.to_string(),
            |f| lang.t(&f.label_nl, &f.label_en).to_string(),
        ),
    }
}

/// A local statistic.
pub fn statistic(lang: Lang, s: &str) -> &'static str {
    match s {
        "lisa" => lang.t("lokale Moran's I (LISA)", "local Moran's I (LISA)"),
        _ => lang.t("Getis-Ord G_i* (hot spots)", "Getis-Ord G_i* (hot spots)"),
    }
}

/// A cluster category.
pub fn category(lang: Lang, c: Category) -> &'static str {
    match c {
        Category::HighHigh => lang.t("hoog-hoog (cluster)", "high-high (cluster)"),
        Category::LowLow => lang.t("laag-laag (cluster)", "low-low (cluster)"),
        Category::HighLow => lang.t("hoog tussen laag (uitschieter)", "high among low (outlier)"),
        Category::LowHigh => lang.t("laag tussen hoog (uitschieter)", "low among high (outlier)"),
        Category::HotSpot => lang.t("hot spot", "hot spot"),
        Category::ColdSpot => lang.t("cold spot", "cold spot"),
        Category::NotSignificant => lang.t("niet significant", "not significant"),
        Category::Island => lang.t("geen buren met gegevens", "no neighbours with data"),
        Category::NoValue => lang.t("geen gegevens", "no data"),
        Category::NoBoundary => lang.t("geen grens in deze indeling", "no boundary in this layout"),
    }
}
