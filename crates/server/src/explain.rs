//! Trends, tests and early-warning assessments in words, Dutch and English. Presentation
//! only: every number comes from the engine's results.

use kwm_engine::harmonise::Method;
use kwm_engine::trend::{Appearance, Change, TestKind};
use kwm_engine::warning::{Assessment, Criterion};

use crate::i18n::Lang;

/// The name of a test.
pub fn test_name(lang: Lang, t: TestKind) -> &'static str {
    match t {
        TestKind::IntervalZ => lang.t(
            "z-toets op het verschil, met standaardfouten uit de gepubliceerde 95%-intervallen",
            "z-test on the difference, standard errors from the published 95% intervals",
        ),
        TestKind::TwoProportionZ => lang.t("z-toets voor twee proporties", "two-proportion z-test"),
        TestKind::FisherExact => lang.t(
            "exacte toets van Fisher (kleine aantallen)",
            "Fisher's exact test (small numbers)",
        ),
        TestKind::PoissonExact => lang.t("exacte Poisson-toets", "exact Poisson test"),
        TestKind::PoissonZ => lang.t(
            "Poisson-toets (normale benadering)",
            "Poisson test (normal approximation)",
        ),
        TestKind::NotTestable => lang.t(
            "niet te toetsen: geen interval of aantallen bekend",
            "not testable: no interval or counts known",
        ),
    }
}

/// How a value was obtained, in words.
pub fn method_label(lang: Lang, method: &str, weighted_by: Option<&str>) -> String {
    match Method::parse(method) {
        Some(Method::Published) => lang.t("zoals gepubliceerd", "as published").into(),
        Some(Method::Exact) => lang
            .t(
                "exact: som van hele voormalige gebieden",
                "exact: sum of whole former areas",
            )
            .into(),
        Some(Method::Recomputed) => lang
            .t(
                "herberekend uit opgetelde tellers en noemers",
                "recomputed from summed numerators and denominators",
            )
            .into(),
        Some(Method::WeightedMean) => match weighted_by {
            Some("denominator") => lang
                .t(
                    "gewogen gemiddelde naar de noemer (tellers niet gepubliceerd)",
                    "mean weighted by the denominator (numerators not published)",
                )
                .into(),
            _ => lang
                .t(
                    "bevolkingsgewogen gemiddelde (aantallen niet gepubliceerd)",
                    "population-weighted mean (counts not published)",
                )
                .into(),
        },
        Some(Method::Estimated) => lang
            .t(
                "schatting: bevat een deel van een gesplitst of hernoemd gebied",
                "estimate: includes a share of a split or re-coded area",
            )
            .into(),
        None => method.to_string(),
    }
}

/// The unit of a difference: percentage points for percentages.
pub fn delta_unit(lang: Lang, unit: &str) -> String {
    match unit {
        "%" => lang.t("procentpunt", "percentage points").into(),
        "" | "aantal" => String::new(),
        u => u.to_string(),
    }
}

fn signed(lang: Lang, v: f64, decimals: u8) -> String {
    let n = lang.number(v.abs(), decimals);
    if v > 0.0 && n.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("+{n}")
    } else if v < 0.0 && n.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("−{n}")
    } else {
        n
    }
}

fn p_text(lang: Lang, p: f64) -> String {
    if p < 0.001 {
        lang.t("p < 0,001", "p < 0.001").into()
    } else {
        format!("p = {}", lang.number(p, 3))
    }
}

/// A change with its interval and test: "+3,0 procentpunt (95%-interval +1,0 tot +5,0);
/// significant (z-toets voor twee proporties, p = 0,003)".
pub fn change_text(lang: Lang, c: &Change, decimals: u8, unit: &str) -> String {
    let d = decimals;
    let u = delta_unit(lang, unit);
    let mut s = signed(lang, c.delta, d);
    if !u.is_empty() {
        s.push(' ');
        s.push_str(&u);
    }
    if let (Some(lo), Some(hi)) = (c.lower, c.upper) {
        s.push_str(&format!(
            " ({} {} {} {})",
            lang.t("95%-interval", "95% interval"),
            signed(lang, lo, d),
            lang.t("tot", "to"),
            signed(lang, hi, d)
        ));
    }
    s.push_str("; ");
    s.push_str(&significance_text(lang, c));
    s
}

/// "significant (test, p = …)" / "not significant (…)" / "not testable".
pub fn significance_text(lang: Lang, c: &Change) -> String {
    match (c.significant, c.p_value) {
        (Some(true), Some(p)) => format!(
            "{} ({}, {})",
            lang.t("significant", "significant"),
            test_name(lang, c.test),
            p_text(lang, p)
        ),
        (Some(false), Some(p)) => format!(
            "{} ({}, {})",
            lang.t("niet significant", "not significant"),
            test_name(lang, c.test),
            p_text(lang, p)
        ),
        _ => test_name(lang, c.test).to_string(),
    }
}

/// "1 signaal" / "2 signalen".
pub fn signals_count(lang: Lang, n: usize) -> String {
    match (lang, n) {
        (Lang::Nl, 1) => "1 signaal".into(),
        (Lang::Nl, n) => format!("{n} signalen"),
        (Lang::En, 1) => "1 signal".into(),
        (Lang::En, n) => format!("{n} signals"),
    }
}

/// A date from the store (`2021-01-01`) as the language writes it.
pub fn date_text(lang: Lang, iso: &str) -> String {
    match (lang, kwm_model::change::parse_date(iso)) {
        (Lang::Nl, Some((y, m, d))) => format!("{d}-{m}-{y}"),
        _ => iso.to_string(),
    }
}

/// What a first value means.
pub fn appearance_text(lang: Lang, a: Appearance, period: i32) -> String {
    match a {
        Appearance::NewIndicator => {
            format!(
            "{} {period} {}",
            lang.t("Nieuw: deze indicator is in", "New: this indicator is published in"),
            lang.t(
                "voor het eerst gepubliceerd. Dat is een nieuw gegeven, geen stijging vanaf nul.",
                "for the first time. That is a new effect, not a rise from zero."
            )
        )
        }
        Appearance::FirstForRegion => format!(
            "{} {period}.",
            lang.t(
                "Eerste cijfer voor deze regio (eerdere jaren niet gepubliceerd of niet geladen):",
                "First figure for this region (earlier years not published or not loaded):"
            )
        ),
    }
}

fn criterion_word(lang: Lang, c: Criterion) -> &'static str {
    match c {
        Criterion::Met => lang.t("ja", "yes"),
        Criterion::NotMet => lang.t("nee", "no"),
        Criterion::NotAssessable => lang.t("niet te beoordelen", "not assessable"),
    }
}

/// Why a region is (not) flagged for a signal, criterion by criterion.
pub fn assessment_lines(lang: Lang, a: &Assessment, decimals: u8, unit: &str) -> Vec<String> {
    // Yearly changes are smaller than the values themselves: one decimal more.
    let d = decimals + 1;
    let u = delta_unit(lang, unit);
    let with_unit = |v: f64| {
        if u.is_empty() {
            signed(lang, v, d)
        } else {
            format!("{} {u}", signed(lang, v, d))
        }
    };
    let mut lines = vec![format!(
        "{} {}–{}: {}",
        lang.t("Verandering", "Change"),
        a.change.from,
        a.change.to,
        change_text(lang, &a.change, decimals, unit)
    )];
    lines.push(format!(
        "{}: {}",
        lang.t("Verslechterd", "Worsened"),
        if a.worsened {
            lang.t("ja", "yes")
        } else {
            lang.t("nee", "no")
        }
    ));
    lines.push(format!(
        "{}: {}",
        lang.t("Buiten toeval (significant)", "Beyond chance (significant)"),
        criterion_word(lang, a.significance)
    ));
    let past = match (a.past.mean_per_year, a.past.sd_per_year) {
        (Some(m), Some(sd)) => format!(
            "{} ({} {} {}, {} {}; {} {} {})",
            criterion_word(lang, a.past.criterion),
            lang.t("nu", "now"),
            with_unit(a.past.current_per_year),
            lang.t("per jaar", "per year"),
            lang.t("eerder gemiddeld", "earlier on average"),
            with_unit(m),
            lang.t("spreiding", "spread"),
            lang.number(sd, d),
            lang.t("per jaar", "per year"),
        ),
        _ => format!(
            "{} ({} {} {})",
            criterion_word(lang, a.past.criterion),
            lang.t("te weinig eerdere jaren:", "too few earlier years:"),
            a.past.changes_used,
            lang.t("eerdere veranderingen", "earlier changes")
        ),
    };
    lines.push(format!(
        "{}: {past}",
        lang.t(
            "Buiten de eigen eerdere schommelingen",
            "Beyond its own earlier variation"
        )
    ));
    let national = match a.national.national_delta {
        Some(n) => format!(
            "{} ({} {})",
            criterion_word(lang, a.national.criterion),
            lang.t("landelijk", "national"),
            with_unit(n)
        ),
        None => format!(
            "{} ({})",
            criterion_word(lang, a.national.criterion),
            lang.t("geen landelijk cijfer", "no national figure")
        ),
    };
    lines.push(format!(
        "{}: {national}",
        lang.t(
            "Ongunstiger dan de landelijke verandering",
            "Less favourable than the national change"
        )
    ));
    lines
}

/// One sentence: why (not) flagged.
pub fn assessment_summary(lang: Lang, a: &Assessment, decimals: u8, unit: &str) -> String {
    let verdict = if a.flagged {
        lang.t("Gesignaleerd", "Flagged")
    } else {
        lang.t("Niet gesignaleerd", "Not flagged")
    };
    format!(
        "{verdict}. {}",
        assessment_lines(lang, a, decimals, unit).join(". ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_units_read_naturally() {
        assert_eq!(signed(Lang::Nl, 3.04, 1), "+3,0");
        assert_eq!(signed(Lang::En, -0.4, 1), "−0.4");
        assert_eq!(signed(Lang::Nl, -0.01, 1), "0,0");
        assert_eq!(delta_unit(Lang::Nl, "%"), "procentpunt");
    }
}
