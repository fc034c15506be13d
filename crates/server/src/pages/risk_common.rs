//! Pieces shared by the risk-model pages: labels from the catalogue, percentile text, and the
//! note that says what stored results were computed with.

use kwm_model::catalogue::Catalogue;
use kwm_model::risk::{MethodParams, Term};
use kwm_model::Level;
use kwm_monitor::risk::RunInfo;
use maud::{html, Markup};

use super::PageCtx;

/// A factor's label in the page language (its id when the catalogue no longer has it).
pub fn factor_label(ctx: &PageCtx, c: &Catalogue, id: &str) -> String {
    c.risk.factor(id).map_or_else(
        || id.to_string(),
        |f| ctx.t(&f.label_nl, &f.label_en).to_string(),
    )
}

/// A theme's label in the page language.
pub fn theme_label(ctx: &PageCtx, c: &Catalogue, id: &str) -> String {
    c.risk.theme(id).map_or_else(
        || id.to_string(),
        |t| ctx.t(&t.label_nl, &t.label_en).to_string(),
    )
}

/// An indicator's label in the page language.
pub fn indicator_label(ctx: &PageCtx, c: &Catalogue, id: &str) -> String {
    c.indicators
        .iter()
        .find(|i| i.indicator.id.as_str() == id)
        .map_or_else(
            || id.to_string(),
            |i| {
                ctx.t(&i.indicator.label_nl, &i.indicator.label_en)
                    .to_string()
            },
        )
}

/// A term as words: the indicator, or a share `(a + b) / d` of counts.
pub fn term_label(ctx: &PageCtx, c: &Catalogue, t: &Term) -> String {
    let mut numerator = indicator_label(ctx, c, t.indicator.as_str());
    for p in &t.plus {
        numerator = format!("{numerator} + {}", indicator_label(ctx, c, p.as_str()));
    }
    match &t.per {
        None => numerator,
        Some(per) => format!(
            "{} ({}) {} {}",
            ctx.t("aandeel", "share"),
            numerator,
            ctx.t("van", "of"),
            indicator_label(ctx, c, per.as_str()).to_lowercase()
        ),
    }
}

/// The label of a traced term, through the definition the trace came from when the catalogue
/// still has it.
pub fn trace_label(
    ctx: &PageCtx,
    c: &Catalogue,
    factor: &str,
    level: Level,
    period: i32,
    indicator: &str,
) -> String {
    c.risk
        .factor(factor)
        .and_then(|f| f.definition_at(level, period))
        .and_then(|d| d.terms.iter().find(|t| t.indicator.as_str() == indicator))
        .map_or_else(
            || indicator_label(ctx, c, indicator),
            |t| term_label(ctx, c, t),
        )
}

/// A displayed percentile with the run's decimals — exactly the number the flag compared.
pub fn percentile_text(ctx: &PageCtx, p: f64, m: &MethodParams) -> String {
    ctx.lang.number(p, m.percentile_decimals)
}

/// The threshold as shown.
pub fn threshold_text(ctx: &PageCtx, m: &MethodParams) -> String {
    ctx.lang.number(m.threshold, m.percentile_decimals)
}

/// "Top decile" in words when the threshold is 90, else the threshold itself.
pub fn threshold_words(ctx: &PageCtx, m: &MethodParams) -> String {
    if m.threshold == 90.0 {
        ctx.t("de ongunstigste 10%", "the least favourable 10%")
            .to_string()
    } else {
        format!(
            "{} {}",
            ctx.t("percentiel ten minste", "percentile at least"),
            threshold_text(ctx, m)
        )
    }
}

/// Says what the stored results were computed with, and warns when they are stale.
pub fn run_note(ctx: &PageCtx, run: &RunInfo) -> Markup {
    let fp: String = run.record.fingerprint.chars().take(12).collect();
    html! {
        p.run-meta {
            (ctx.t("Berekend op ", "Computed on ")) (run.record.computed_at.get(..10).unwrap_or(&run.record.computed_at))
            (ctx.t(" met catalogusversie ", " with catalogue version ")) code { (run.record.catalogue_version) }
            ", " (ctx.t("drempel", "threshold")) " " (threshold_text(ctx, &run.method))
            ", " (ctx.t("vingerafdruk", "fingerprint")) " " code title=(run.record.fingerprint) { (fp) } ". "
            a href="/methode" { (ctx.t("Hoe dit berekend is", "How this is computed")) }
        }
        @if run.stale {
            p.error-message role="status" {
                strong { (ctx.t("Verouderd: ", "Out of date: ")) }
                (ctx.t("deze resultaten zijn berekend met een andere catalogus, andere methodeparameters of andere gegevens dan waarmee de server nu draait. Voer ",
                       "these results were computed with another catalogue, other method parameters or other data than the server runs with now. Run "))
                code { "kwm compute" } (ctx.t(" uit; heeft u de catalogus net aangepast en al herberekend, herstart dan ", "; if you just edited the catalogue and already recomputed, restart "))
                code { "kwm serve" } "."
            }
        }
    }
}

/// The singular name of a level.
pub fn level_singular(ctx: &PageCtx, level: Level) -> &'static str {
    match level {
        Level::Land => ctx.t("land", "country"),
        Level::Provincie => ctx.t("provincie", "province"),
        Level::Ggd => ctx.t("GGD-regio", "GGD region"),
        Level::Gemeente => ctx.t("gemeente", "municipality"),
        Level::Wijk => ctx.t("wijk", "district"),
        Level::Buurt => ctx.t("buurt", "neighbourhood"),
    }
}

/// The distinct populations of the measured characteristics' definitions at a level, for "who
/// these figures are about" notes.
pub fn populations(
    ctx: &PageCtx,
    c: &Catalogue,
    level: Level,
    period: i32,
    measured: &[String],
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in c
        .risk
        .characteristics
        .iter()
        .filter(|f| measured.contains(&f.id))
    {
        if let Some(d) = f.definition_at(level, period) {
            let p = ctx.t(&d.population, &d.population_en).to_string();
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// The text with its first letter upper-cased, for column headers built from labels.
pub fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
