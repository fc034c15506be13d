//! The policy agenda: an overview (task → recommendation → programmes and parties → linked
//! indicators → what the figures say so far) and a page per recommendation with its effect
//! views — a chart of target and comparison regions over time with the same figures as a table,
//! the difference-in-differences estimate with its interval, and an honest label.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kwm_engine::did::{DidEstimate, EffectLabel, Phase};
use kwm_model::agenda::{Agenda, Expect, Recommendation, RegionSet};
use kwm_model::catalogue::Catalogue;
use kwm_monitor::agenda::{self, EffectView, Effects};
use kwm_monitor::MonitorError;
use maud::{html, Markup, PreEscaped};

use super::risk_common::{factor_label, indicator_label};
use super::{error_page, layout, level_label, respond, Nav, PageCtx};
use crate::components::table::table_head;
use crate::i18n::Lang;
use crate::state::AppState;

/// The link of a recommendation's page.
pub fn href(id: &str) -> String {
    format!("/agenda/{id}")
}

/// The words for an effect label.
pub fn label_text(ctx: &PageCtx, l: EffectLabel) -> &'static str {
    match l {
        EffectLabel::NoPeriods => ctx.t(
            "Eén meetmoment: nog niets te vergelijken",
            "One period only: nothing to compare yet",
        ),
        EffectLabel::NoPeriodBefore => ctx.t(
            "Geen cijfers van vóór de start",
            "No figures from before the start",
        ),
        EffectLabel::PlaceboOnly => ctx.t(
            "Controle van de trend vooraf (placebotoets vóór de start) — geen effect van het programma",
            "Pre-trend check (placebo check before the start) — not an effect of the programme",
        ),
        EffectLabel::TooFewRegions => ctx.t(
            "Te weinig gebieden om iets te zeggen",
            "Too few areas to say anything",
        ),
        EffectLabel::Indicative => ctx.t(
            "Indicatief: één meting vóór de start",
            "Indicative: one period before the start",
        ),
        EffectLabel::Estimate => ctx.t("Schatting", "Estimate"),
        EffectLabel::PreTrendDiverges => ctx.t(
            "Onbetrouwbaar: de gebieden liepen al vóór de start uiteen",
            "Unreliable: the areas were already drifting apart before the start",
        ),
    }
}

fn label_class(l: EffectLabel) -> &'static str {
    match l {
        EffectLabel::Estimate => "effect-label e-estimate",
        EffectLabel::Indicative => "effect-label e-indicative",
        EffectLabel::PlaceboOnly => "effect-label e-placebo",
        EffectLabel::PreTrendDiverges => "effect-label e-warning",
        _ => "effect-label e-none",
    }
}

fn badge(ctx: &PageCtx, l: EffectLabel) -> Markup {
    html! { span class=(label_class(l)) { (label_text(ctx, l)) } }
}

fn decimals_of(c: &Catalogue, id: &str) -> u8 {
    c.indicators
        .iter()
        .find(|i| i.indicator.id.as_str() == id)
        .map_or(1, |i| i.indicator.decimals.max(1))
}

/// The unit of a *change* in an indicator: a change in a percentage is in percentage points.
fn change_unit(ctx: &PageCtx, c: &Catalogue, id: &str) -> String {
    let unit = c
        .indicators
        .iter()
        .find(|i| i.indicator.id.as_str() == id)
        .map(|i| i.indicator.unit.clone())
        .unwrap_or_default();
    if unit == "%" {
        ctx.t("procentpunt", "percentage points").to_string()
    } else {
        unit
    }
}

/// Whether a view has an estimate or a placebo check to show (the others get one line).
fn informative(l: EffectLabel) -> bool {
    matches!(
        l,
        EffectLabel::Estimate
            | EffectLabel::Indicative
            | EffectLabel::PreTrendDiverges
            | EffectLabel::PlaceboOnly
    )
}

/// Why a view without an estimate has none, in one line.
fn short_reason(ctx: &PageCtx, c: &Catalogue, v: &EffectView) -> Markup {
    html! {
        @match v.result.label {
            EffectLabel::NoPeriods => { (ctx.t("alleen cijfers voor ", "figures only for ")) (periods_text(&v.periods)) }
            EffectLabel::NoPeriodBefore => { (ctx.t("alleen cijfers van na de start", "figures only from after the start")) }
            _ => {
                (v.targets.len()) " " (ctx.t("doelgebied(en) en ", "target area(s) and ")) (v.comparisons.len()) " "
                (ctx.t("vergelijkingsgebieden met cijfers (nodig: ", "comparison areas with figures (needed: "))
                (c.agenda.effect.min_targets) " " (ctx.t("en", "and")) " " (c.agenda.effect.min_comparisons) ")"
            }
        }
    }
}

fn signed(lang: Lang, v: f64, d: u8) -> String {
    let s = lang.number(v, d);
    if v > 0.0 && !s.starts_with('-') {
        format!("+{s}")
    } else {
        s.replace('-', "−")
    }
}

fn periods_text(p: &[i32]) -> String {
    match p {
        [] => String::new(),
        [one] => one.to_string(),
        [first, .., last] => format!("{first}–{last}"),
    }
}

fn expect_text(ctx: &PageCtx, e: Expect) -> &'static str {
    match e {
        Expect::Lower => ctx.t("moet dalen", "should fall"),
        Expect::Higher => ctx.t("moet stijgen", "should rise"),
    }
}

/// What an estimate says, in one sentence (direction relative to what the recommendation aims
/// at, or that it cannot be told from zero).
fn direction_text(ctx: &PageCtx, e: &DidEstimate, expect: Expect) -> &'static str {
    if !e.excludes_zero() {
        return ctx.t(
            "Het verschil is niet te onderscheiden van nul.",
            "The difference cannot be told apart from zero.",
        );
    }
    let wanted = match expect {
        Expect::Lower => e.estimate < 0.0,
        Expect::Higher => e.estimate > 0.0,
    };
    if wanted {
        ctx.t(
            "Het verschil wijst in de beoogde richting.",
            "The difference points in the intended direction.",
        )
    } else {
        ctx.t(
            "Het verschil wijst tegen de beoogde richting in.",
            "The difference points against the intended direction.",
        )
    }
}

fn estimate_sentence(ctx: &PageCtx, e: &DidEstimate, d: u8, unit: &str) -> Markup {
    let lang = ctx.lang;
    let pct = format!("{:.0}%", 100.0 * e.confidence);
    html! {
        (ctx.t("Van ", "From ")) (periods_text(&e.before)) (ctx.t(" tot ", " to ")) (periods_text(&e.after))
        (ctx.t(" veranderde het in de ", " it changed in the ")) (e.targets) (ctx.t(" doelgebieden gemiddeld ", " target areas by ")) strong { (signed(lang, e.target_change, d)) } " " (unit)
        (ctx.t(", in ", ", in ")) (e.comparisons) (ctx.t(" vergelijkbare gebieden ", " comparable areas by ")) strong { (signed(lang, e.comparison_change, d)) } " " (unit) ". "
        (ctx.t("Verschil in verschillen: ", "Difference in differences: ")) strong { (signed(lang, e.estimate, d)) } " " (unit)
        " (" (pct) (ctx.t("-interval ", " interval ")) (signed(lang, e.lower, d)) (ctx.t(" tot ", " to ")) (signed(lang, e.upper, d)) "; p = " (lang.number(e.p_value, 2)) ")."
        @if e.outside_support > 0 {
            " " (e.outside_support) (ctx.t(" gebieden met een uitgangswaarde buiten die van de doelgebieden tellen niet mee.", " areas with a baseline outside the targets' range are left out."))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Chart

const W: f64 = 720.0;
const H: f64 = 300.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 44.0;

/// About five round tick values (steps of 1, 2, 2.5 or 5 × 10ᵏ) inside [lo, hi].
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
        return vec![lo];
    }
    let raw = (hi - lo) / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|f| f * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let mut out = Vec::new();
    let mut t = (lo / step).ceil() * step;
    while t <= hi + step * 1e-9 {
        out.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
        t += step;
    }
    out
}

fn chart(ctx: &PageCtx, c: &Catalogue, v: &EffectView, title_id: &str) -> Markup {
    let d = decimals_of(c, v.indicator.as_str());
    let means = &v.result.means;
    let values: Vec<f64> = means
        .iter()
        .flat_map(|m| [m.target_mean, m.comparison_mean])
        .flatten()
        .collect();
    let (mut lo, mut hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(*x), b.max(*x))
        });
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.15).max(hi.abs() * 0.05).max(1e-6);
    lo = (lo - pad).max(if values.iter().all(|x| *x >= 0.0) {
        0.0
    } else {
        f64::MIN
    });
    hi += pad;
    let periods = &v.periods;
    let (p0, p1) = (
        *periods.first().unwrap_or(&0),
        *periods.last().unwrap_or(&0),
    );
    let x = |p: f64| {
        if p1 == p0 {
            LEFT + (W - LEFT - RIGHT) / 2.0
        } else {
            LEFT + 30.0 + (p - f64::from(p0)) / f64::from(p1 - p0) * (W - LEFT - RIGHT - 60.0)
        }
    };
    let y = |val: f64| TOP + (hi - val) / (hi - lo) * (H - TOP - BOTTOM);
    let mut svg = String::new();
    for t in ticks(lo, hi) {
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            y(t),
            W - RIGHT,
            y(t),
            LEFT - 8.0,
            y(t) + 4.0,
            ctx.lang.number(t, d)
        );
    }
    let _ = write!(
        svg,
        r#"<line class="axis" x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/>"#,
        H - BOTTOM,
        W - RIGHT,
        H - BOTTOM
    );
    for p in periods {
        let _ = write!(
            svg,
            r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">{p}</text>"#,
            x(f64::from(*p)),
            H - BOTTOM + 22.0
        );
    }
    // The start of the programme, when it falls inside the chart; else the placebo split.
    let start = f64::from(v.start.year) + f64::from(v.start.month - 1) / 12.0;
    let marker = if start >= f64::from(p0) && start <= f64::from(p1) {
        Some((start, ctx.t("start", "start").to_string()))
    } else if v.result.label == EffectLabel::PlaceboOnly {
        v.result.pre_trend.as_ref().and_then(|e| {
            let (a, b) = (*e.before.last()?, *e.after.first()?);
            Some((
                (f64::from(a) + f64::from(b)) / 2.0,
                ctx.t("placebo", "placebo").to_string(),
            ))
        })
    } else {
        None
    };
    if let Some((at, text)) = marker {
        let _ = write!(
            svg,
            r#"<line class="start-line" x1="{:.1}" y1="{TOP}" x2="{:.1}" y2="{:.1}"/><text class="start-text" x="{:.1}" y="{:.1}">{text}</text>"#,
            x(at),
            x(at),
            H - BOTTOM,
            x(at) + 5.0,
            TOP + 12.0
        );
    }
    for (class, get) in [("line-targets", true), ("line-comparisons", false)] {
        let pts: Vec<(f64, f64)> = means
            .iter()
            .filter_map(|m| {
                let val = if get {
                    m.target_mean
                } else {
                    m.comparison_mean
                }?;
                Some((x(f64::from(m.period)), y(val)))
            })
            .collect();
        if pts.len() > 1 {
            let s: Vec<String> = pts.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
            let _ = write!(
                svg,
                r#"<polyline class="{class}" points="{}"/>"#,
                s.join(" ")
            );
        }
        for (a, b) in pts {
            if get {
                let _ = write!(
                    svg,
                    r#"<circle class="m-targets" cx="{a:.1}" cy="{b:.1}" r="5.5"/>"#
                );
            } else {
                let _ = write!(
                    svg,
                    r#"<rect class="m-comparisons" x="{:.1}" y="{:.1}" width="10" height="10"/>"#,
                    a - 5.0,
                    b - 5.0
                );
            }
        }
    }
    let desc = means
        .iter()
        .map(|m| {
            format!(
                "{}: {} {}, {} {}",
                m.period,
                ctx.t("doelgebieden", "target areas"),
                m.target_mean
                    .map_or_else(|| "–".to_string(), |x| ctx.lang.number(x, d)),
                ctx.t("vergelijkbare gebieden", "comparable areas"),
                m.comparison_mean
                    .map_or_else(|| "–".to_string(), |x| ctx.lang.number(x, d)),
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    html! {
        figure.effect-figure {
            svg.trend-chart.effect-chart viewBox=(format!("0 0 {W} {H}")) role="img" aria-labelledby=(format!("{title_id} {title_id}-desc")) {
                desc id=(format!("{title_id}-desc")) { (desc) }
                (PreEscaped(svg))
            }
            figcaption.trend-legend {
                span { svg.key viewBox="0 0 28 14" aria-hidden="true" { line.line-targets x1="0" y1="7" x2="28" y2="7" {} circle.m-targets cx="14" cy="7" r="4" {} } " " (ctx.t("doelgebieden (gemiddelde)", "target areas (mean)")) }
                " "
                span { svg.key viewBox="0 0 28 14" aria-hidden="true" { line.line-comparisons x1="0" y1="7" x2="28" y2="7" {} rect.m-comparisons x="10" y="3" width="8" height="8" {} } " " (ctx.t("vergelijkbare gebieden (gemiddelde)", "comparable areas (mean)")) }
            }
        }
    }
}

fn means_table(ctx: &PageCtx, c: &Catalogue, v: &EffectView, caption_id: &str) -> Markup {
    let d = decimals_of(c, v.indicator.as_str());
    let phase_text = |p: Phase| match p {
        Phase::Before => ctx.t("vóór de start", "before the start"),
        Phase::During => ctx.t("startjaar (telt niet mee)", "start year (left out)"),
        Phase::After => ctx.t("na de start", "after the start"),
    };
    html! {
        div.table-scroll.fit tabindex="0" role="region" aria-labelledby=(caption_id) {
            table.data.effect-table {
                caption id=(caption_id) { (ctx.t("Gemiddelden per jaar", "Means per year")) }
                (table_head(ctx, &[("Jaar", "Year"), ("Fase", "Phase"), ("Doelgebieden", "Target areas"), ("Vergelijkbare gebieden", "Comparable areas")]))
                tbody {
                    @for m in &v.result.means {
                        tr {
                            th scope="row" { (m.period) }
                            td { (phase_text(m.phase)) }
                            td.num { @if let Some(x) = m.target_mean { (ctx.lang.number(x, d)) span.meta { "n = " (m.targets) } } @else { "–" } }
                            td.num { @if let Some(x) = m.comparison_mean { (ctx.lang.number(x, d)) span.meta { "n = " (m.comparisons) } } @else { "–" } }
                        }
                    }
                }
            }
        }
    }
}

fn view_section(ctx: &PageCtx, c: &Catalogue, v: &EffectView, k: usize) -> Markup {
    let id = v.indicator.as_str();
    let d = decimals_of(c, id);
    let unit = change_unit(ctx, c, id);
    let title_id = format!("effect-{k}");
    let set_label = c
        .region_sets
        .iter()
        .find(|s| s.id == v.region_set)
        .map_or(v.region_set.clone(), |s| {
            ctx.t(&s.label_nl, &s.label_en).to_string()
        });
    html! {
        article.effect-view id=(format!("{}-{}", id, v.level.as_str())) {
            h3 id=(title_id) {
                (indicator_label(ctx, c, id)) " — " (level_label(ctx.lang, v.level))
            }
            p {
                (badge(ctx, v.result.label)) " "
                span.meta.inline { (ctx.t("Beoogd: ", "Intended: ")) (expect_text(ctx, v.expect)) ". "
                    (ctx.t("Doelgebieden: ", "Target areas: ")) (set_label) " (" (v.targets.len()) " " (level_label(ctx.lang, v.level)) " " (ctx.t("met cijfers", "with figures")) "). "
                    (ctx.t("Start: ", "Start: ")) (v.start) "."
                    @if v.derived { " " (ctx.t("Berekend uit de aantallen (teller en noemer).", "Computed from the counts (numerator and denominator).")) }
                }
            }
            @if !v.unmatched_areas.is_empty() {
                p.meta.unmatched {
                    (ctx.t("Niet te volgen op dit niveau (geen code van dit niveau bekend, of alleen codes van een indeling waarin deze cijfers niet staan): ", "Not traceable at this level (no code of this level known, or only codes of a layout these figures are not on): "))
                    (v.unmatched_areas.join(", ")) "."
                }
            }
            @match v.result.label {
                EffectLabel::NoPeriods => p { (ctx.t("Er zijn op dit niveau alleen cijfers voor ", "At this level there are only figures for ")) (periods_text(&v.periods)) (ctx.t(". Met één meetmoment valt geen verandering te zien; de vergelijking komt zodra een volgend jaar geladen is.", ". With one period no change can be seen; the comparison appears once another year is loaded.")) }
                EffectLabel::NoPeriodBefore => p { (ctx.t("Alle cijfers zijn van na de start: er is geen uitgangssituatie om mee te vergelijken.", "All figures are from after the start: there is no baseline to compare with.")) }
                EffectLabel::TooFewRegions => p {
                    (ctx.t("Er zijn te weinig gebieden met cijfers in alle vergeleken jaren: ", "There are too few areas with figures in every year compared: "))
                    (v.targets.len()) " " (ctx.t("doelgebied(en) en ", "target area(s) and ")) (v.comparisons.len()) " " (ctx.t("mogelijke vergelijkingsgebieden (nodig: ", "possible comparison areas (needed: "))
                    (c.agenda.effect.min_targets) " " (ctx.t("en", "and")) " " (c.agenda.effect.min_comparisons) "). "
                    (ctx.t("Een schatting op zo weinig gebieden zou vooral toeval laten zien.", "An estimate on so few areas would mostly show chance."))
                }
                EffectLabel::PlaceboOnly => {
                    @if let Some(e) = &v.result.pre_trend {
                        p { (estimate_sentence(ctx, e, d, &unit)) }
                        p.note {
                            strong { (ctx.t("Dit is geen effect van het programma. ", "This is not an effect of the programme. ")) }
                            (ctx.t("Alle jaren met cijfers liggen vóór de start (", "Every year with figures lies before the start ("))
                            (v.start) "). "
                            (ctx.t("De vergelijking tussen die jaren is een placebotoets: liepen doel- en vergelijkingsgebieden al uiteen voordat het programma begon? ", "The comparison between those years is a placebo check: were target and comparison areas already drifting apart before the programme began? "))
                            @if e.excludes_zero() {
                                (ctx.t("Ja: een latere schatting moet daar rekening mee houden.", "Yes: a later estimate must take that into account."))
                            } @else {
                                (ctx.t("Daar is geen aanwijzing voor: het interval bevat nul.", "There is no sign of that: the interval contains zero."))
                            }
                        }
                    }
                }
                _ => {
                    @if let Some(e) = &v.result.effect {
                        p { (estimate_sentence(ctx, e, d, &unit)) " " (direction_text(ctx, e, v.expect)) }
                    }
                    @if let Some(pre) = &v.result.pre_trend {
                        p.meta {
                            (ctx.t("Placebotoets vóór de start: ", "Placebo check before the start: ")) (signed(ctx.lang, pre.estimate, d))
                            " (" (signed(ctx.lang, pre.lower, d)) (ctx.t(" tot ", " to ")) (signed(ctx.lang, pre.upper, d)) ") — "
                            @if pre.excludes_zero() { (ctx.t("de gebieden liepen al uiteen.", "the areas were already drifting apart.")) }
                            @else { (ctx.t("geen aanwijzing dat ze al uiteenliepen.", "no sign that they were already drifting apart.")) }
                        }
                    } @else if v.result.label == EffectLabel::Indicative {
                        p.meta { (ctx.t("Met één jaar vóór de start valt niet na te gaan of de gebieden daarvoor gelijk opliepen.", "With one year before the start it cannot be checked whether the areas moved in step before it.")) }
                    }
                }
            }
            @if v.periods.len() > 1 && v.result.means.iter().any(|m| m.target_mean.is_some()) {
                div.effect-layout {
                    (chart(ctx, c, v, &title_id))
                    (means_table(ctx, c, v, &format!("{title_id}-table")))
                }
            }
            @if !v.targets.is_empty() {
                details.targets {
                    summary { (ctx.t("Doelgebieden met cijfers", "Target areas with figures")) " (" (v.targets.len()) ")" }
                    ul.compact {
                        @for t in &v.targets {
                            li {
                                a href=(format!("/regio/{}", t.code)) { (t.name.clone().unwrap_or_else(|| t.code.to_string())) }
                                span.meta.inline { " " (t.code.as_str()) @if let Some(a) = &t.area { " · " (a) } }
                            }
                        }
                    }
                    @if v.small > 0 {
                        p.meta { (v.small) " " (ctx.t("gebieden tellen niet mee: minder dan ", "areas are left out: fewer than ")) (ctx.lang.number(c.agenda.effect.min_population, 0)) (ctx.t(" inwoners of onbekend aantal.", " residents or an unknown number.")) }
                    }
                }
            }
        }
    }
}

fn method_details(ctx: &PageCtx, c: &Catalogue) -> Markup {
    let e = &c.agenda.effect;
    html! {
        details.rule #methode-effect {
            summary { (ctx.t("Hoe het effectbeeld berekend wordt", "How the effect view is computed")) }
            ol.steps {
                li { (ctx.t("Jaren vóór de start van het programma tellen als 'voor', jaren erna als 'na'; het jaar waarin het begon telt niet mee (deels blootgesteld).", "Years before the programme's start count as 'before', years after as 'after'; the year it started in is left out (partly exposed).")) }
                li { (ctx.t("Doelgebieden zijn de gebieden van de gekoppelde lijst op dit niveau. Vergelijkbare gebieden: hetzelfde niveau, niet in de lijst, minstens ", "Target areas are those of the linked list at this level. Comparable areas: the same level, not in the list, at least "))
                     (ctx.lang.number(e.min_population, 0))
                     (ctx.t(" inwoners, op wijk- en buurtniveau in dezelfde gemeenten als de doelgebieden, en met een uitgangswaarde binnen die van de doelgebieden.", " residents, at district and neighbourhood level in the same municipalities as the target areas, and with a baseline within the targets' range.")) }
                li { (ctx.t("Per gebied de verandering: gemiddelde na min gemiddelde voor (alleen gebieden met een cijfer in elk vergeleken jaar). Elk gebied telt één keer, ongeacht zijn grootte.", "Per area the change: mean after minus mean before (only areas with a figure in every year compared). Each area counts once, whatever its size.")) }
                li { (ctx.t("Het effectbeeld is de gemiddelde verandering in de doelgebieden min die in de vergelijkbare gebieden (verschil in verschillen), met een Welch-t-interval van ", "The effect view is the mean change in the target areas minus that in the comparable areas (difference in differences), with a Welch t interval of "))
                     (format!("{:.0}%", 100.0 * e.confidence)) "." }
                li { (ctx.t("Met twee of meer jaren vóór de start volgt een placebotoets tussen die jaren. Liepen de gebieden toen al uiteen, dan is de schatting onbetrouwbaar.", "With two or more years before the start a placebo check between those years follows. If the areas were already drifting apart, the estimate is unreliable.")) }
                li { (ctx.t("Onder ", "Below ")) (e.min_targets) (ctx.t(" doelgebieden of ", " target areas or ")) (e.min_comparisons) (ctx.t(" vergelijkbare gebieden geeft de monitor geen schatting.", " comparable areas the monitor gives no estimate.")) }
            }
            p.caveat { (ctx.t("Een verschil tussen gebieden in de tijd bewijst niet dat het programma het veroorzaakte: ander beleid, een veranderende bevolking en toeval spelen ook mee. De parameters staan in de catalogus (agenda.toml, [effect]).", "A difference between areas over time does not prove the programme caused it: other policy, a changing population and chance play a part too. The parameters are in the catalogue (agenda.toml, [effect]).")) }
        }
    }
}

/// The section of a group page that links to the recommendations addressing the group.
pub fn group_recommendations(ctx: &PageCtx, c: &Catalogue, group: &str) -> Markup {
    let recs = c.agenda.for_group(group);
    html! {
        section aria-labelledby="agenda-title" {
            h2 #agenda-title { (ctx.t("Aanbevelingen voor deze groep", "Recommendations for this group")) }
            @if recs.is_empty() {
                p.status { (ctx.t("Geen van de negen aanbevelingen noemt deze groep in het bijzonder.", "None of the nine recommendations names this group in particular.")) }
            } @else {
                ul.recommendation-links {
                    @for r in recs {
                        li {
                            a href=(href(&r.id)) { (ctx.t("Aanbeveling", "Recommendation")) " " (r.number) ": " (ctx.t(&r.label_nl, &r.label_en)) }
                            span.meta { (r.programmes.iter().filter_map(|id| c.agenda.programme(id)).map(|p| ctx.t(&p.label_nl, &p.label_en).to_string()).take(4).collect::<Vec<_>>().join("; ")) @if r.programmes.len() > 4 { " …" } }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Overview

/// `GET /agenda`
pub async fn overview(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let catalogue = state.catalogue().clone();
    let effects = state.query(move |s| agenda::overview(s, &catalogue)).await;
    match effects {
        Ok(effects) => {
            let c = state.catalogue();
            let title = ctx.t("Beleidsagenda", "Policy agenda");
            let map: HashMap<String, Effects> = effects.into_iter().collect();
            respond(
                &ctx,
                StatusCode::OK,
                layout(&ctx, title, Nav::Agenda, overview_body(&ctx, c, &map)),
            )
        }
        Err(e) => error_page(&ctx, &e),
    }
}

fn headline_cell(ctx: &PageCtx, c: &Catalogue, e: Option<&Effects>) -> Markup {
    let Some(v) = e.and_then(Effects::headline) else {
        return html! { span.status { (ctx.t("geen cijfer om te volgen", "no figure to follow")) } };
    };
    let id = v.indicator.as_str();
    let shown = v.result.effect.as_ref().or(v.result.pre_trend.as_ref());
    html! {
        (badge(ctx, v.result.label))
        span.meta { (indicator_label(ctx, c, id)) ", " (level_label(ctx.lang, v.level)) " " (periods_text(&v.periods)) }
        @if let Some(e) = shown {
            @let d = decimals_of(c, id);
            span.meta { (ctx.t("verschil ", "difference ")) (signed(ctx.lang, e.estimate, d)) " " (change_unit(ctx, c, id)) " (" (signed(ctx.lang, e.lower, d)) (ctx.t(" tot ", " to ")) (signed(ctx.lang, e.upper, d)) ")" }
        }
    }
}

fn names(ids: &[String], f: impl Fn(&str) -> Option<String>) -> Vec<String> {
    ids.iter()
        .map(|id| f(id).unwrap_or_else(|| id.clone()))
        .collect()
}

fn programme_name(ctx: &PageCtx, a: &Agenda, id: &str) -> Option<String> {
    a.programme(id)
        .map(|p| ctx.t(&p.label_nl, &p.label_en).to_string())
}

fn party_name(ctx: &PageCtx, a: &Agenda, id: &str) -> Option<String> {
    a.party(id)
        .map(|p| ctx.t(&p.label_nl, &p.label_en).to_string())
}

fn region_set_section(ctx: &PageCtx, s: &RegionSet) -> Markup {
    let caption = format!("set-{}", s.id);
    html! {
        section.region-set aria-labelledby=(caption) {
            h3 id=(caption) { (ctx.t(&s.label_nl, &s.label_en)) " (" (s.areas.len()) ")" }
            p { (ctx.t(&s.description_nl, &s.description_en)) }
            p.meta { (ctx.t("Bron: ", "Source: ")) (s.source) }
            div.table-scroll.full tabindex="0" role="region" aria-labelledby=(caption) {
                table.data.areas {
                    (table_head(ctx, &[("Gebied", "Area"), ("Gemeente", "Municipality"), ("CBS-wijken", "CBS districts"), ("Toelichting", "Note")]))
                    tbody {
                        @for a in &s.areas {
                            tr {
                                th scope="row" { (a.name) }
                                td { a href=(format!("/regio/{}", a.gemeente)) { (a.gemeente.as_str()) } }
                                td.codes { @if a.wijken.is_empty() { span.status { (ctx.t("onbekend: gemeente als geheel", "unknown: municipality as a whole")) } } @else { (a.wijken.iter().map(|w| w.as_str()).collect::<Vec<_>>().join(", ")) } }
                                td { (ctx.t(&a.note_nl, &a.note_en)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn overview_body(ctx: &PageCtx, c: &Catalogue, effects: &HashMap<String, Effects>) -> Markup {
    let a = &c.agenda;
    html! {
        h1 { (ctx.t("Beleidsagenda", "Policy agenda")) }
        p.lead {
            (ctx.t("De negen aanbevelingen van het rapport Herstelopgave Kwetsbare Groepen (2021) in vier opgaven, met de lopende programma's en partijen die ze dragen, de indicatoren die ze zouden moeten bewegen en wat de cijfers daar tot nu toe over zeggen.",
                   "The nine recommendations of the report on the recovery task for vulnerable groups (2021) in four tasks, with the running programmes and parties that carry them, the indicators they should move and what the figures say about that so far."))
        }
        p.note {
            (ctx.t("In eigen woorden samengevat, trouw aan de bronnen: ", "Summarised in our own words, faithful to the sources: ")) (ctx.t(&a.source_nl, &a.source_en)) " "
            (ctx.t("Partijen zijn organisaties, nooit personen. Een effectbeeld vergelijkt gebieden en bewijst geen oorzaak.", "Parties are organisations, never persons. An effect view compares areas and proves no cause."))
        }
        // The table of contents opens the folded section it points to (app.js; without
        // JavaScript a section opens with its summary). On a phone the unfolded page is about
        // 22,000 px tall.
        nav.page-toc aria-labelledby="toc-title" {
            h2 #toc-title { (ctx.t("Op deze pagina", "On this page")) }
            ul.toc {
                @for t in &a.tasks { li { a href=(format!("#opgave-{}", t.number)) { (ctx.t("Opgave", "Task")) " " (t.number) ": " (ctx.t(&t.label_nl, &t.label_en)) } } }
                li { a href="#algemeen" { (ctx.t("Algemene agenda", "General agenda")) } }
                li { a href="#vervolg" { (ctx.t("Vervolg (december 2021)", "Follow-up (December 2021)")) } }
                li { a href="#programmas" { (ctx.t("Programma's", "Programmes")) } }
                li { a href="#doelgebieden" { (ctx.t("Doelgebieden", "Target areas")) } }
                li { a href="#methode-effect" { (ctx.t("Hoe het effectbeeld berekend wordt", "How the effect view is computed")) } }
            }
        }
        @for t in &a.tasks {
            @let recs: Vec<&Recommendation> = a.recommendations.iter().filter(|r| r.task == t.id).collect();
            section.task aria-labelledby=(format!("opgave-{}-titel", t.number)) {
              details.fold id=(format!("opgave-{}", t.number)) {
                summary { h2 id=(format!("opgave-{}-titel", t.number)) { (ctx.t("Opgave", "Task")) " " (t.number) ": " (ctx.t(&t.label_nl, &t.label_en)) span.fold-count { " (" (recs.len()) " " (if recs.len() == 1 { ctx.t("aanbeveling", "recommendation") } else { ctx.t("aanbevelingen", "recommendations") }) ")" } } }
                p { (ctx.t(&t.description_nl, &t.description_en)) span.meta { (ctx.t("Rapport, hoofdstuk ", "Report, chapter ")) (t.chapter) } }
                div.table-scroll.full tabindex="0" role="region" aria-labelledby=(format!("opgave-{}-titel", t.number)) {
                    table.data.agenda {
                        (table_head(ctx, &[("Aanbeveling", "Recommendation"), ("Programma's en partijen", "Programmes and parties"), ("Moet bewegen", "Should move"), ("Wat de cijfers zeggen", "What the figures say")]))
                        tbody {
                            @for r in recs {
                                tr data-recommendation=(r.id) {
                                    th scope="row" {
                                        a href=(href(&r.id)) { (r.number) ". " (ctx.t(&r.label_nl, &r.label_en)) }
                                        span.meta { (r.points.len()) " " (ctx.t("deelpunten", "sub-points")) }
                                    }
                                    td {
                                        p.cell { strong { (ctx.t("Programma's: ", "Programmes: ")) } (names(&r.programmes, |id| programme_name(ctx, a, id)).join("; ")) }
                                        p.cell { strong { (ctx.t("Partijen: ", "Parties: ")) } (names(&r.parties, |id| party_name(ctx, a, id)).join("; ")) }
                                    }
                                    td {
                                        @if r.indicators.is_empty() && r.characteristics.is_empty() {
                                            span.status { (ctx.t("een instrument, geen cijfer", "an instrument, not a figure")) }
                                        }
                                        ul.compact {
                                            @for l in &r.indicators { li { (indicator_label(ctx, c, l.indicator.as_str())) span.meta.inline { " (" (expect_text(ctx, l.expect)) ")" } } }
                                            @for f in &r.characteristics {
                                                @let protective = c.risk.protective.iter().any(|x| &x.id == f);
                                                li { (factor_label(ctx, c, f)) span.meta.inline { " (" (if protective { ctx.t("beschermende factor", "protective factor") } else { ctx.t("risicokenmerk", "risk characteristic") }) ")" } }
                                            }
                                            @if r.radar { li { a href="/radar" { (ctx.t("Vindbaarheidsradar", "Findability radar")) } } }
                                        }
                                    }
                                    td { (headline_cell(ctx, c, effects.get(&r.id))) }
                                }
                            }
                        }
                    }
                }
              }
            }
        }
        section aria-labelledby="algemeen-title" {
          details.fold #algemeen {
            summary { h2 #algemeen-title { (ctx.t("Algemene agenda", "General agenda")) } }
            p { (ctx.t("Complexe, hardnekkige problemen vragen een lange adem, met:", "Complex, persistent problems need staying power, with:")) }
            ol.lettered { @for x in &a.conditions { li { strong { (x.letter) ") " } (ctx.t(&x.text.nl, &x.text.en)) } } }
            p { (ctx.t("Om de aanbevelingen te borgen stelt het rapport voor:", "To anchor the recommendations the report proposes:")) }
            ul { @for p in &a.principles { li { (ctx.t(&p.nl, &p.en)) } } }
          }
        }
        section aria-labelledby="vervolg-title" {
          details.fold #vervolg {
            summary { h2 #vervolg-title { (ctx.t("Vervolg: aanbevelingen gekoppeld aan programma's", "Follow-up: recommendations linked to programmes")) } }
            p { (ctx.t(&a.follow_up.request_nl, &a.follow_up.request_en)) }
            h3 { (ctx.t("Overkoepelende aanbevelingen", "Overarching recommendations")) }
            ol.overarching {
                @for o in &a.overarching {
                    li {
                        strong { (ctx.t(&o.label_nl, &o.label_en)) }
                        ul { @for p in &o.points { li { (ctx.t(&p.nl, &p.en)) } } }
                        @if !o.recommendations.is_empty() {
                            p.meta { (ctx.t("Sluit aan bij aanbeveling ", "Connects to recommendation "))
                                @for (k, id) in o.recommendations.iter().enumerate() {
                                    @if k > 0 { ", " }
                                    @if let Some(r) = a.recommendation(id) { a href=(href(id)) { (r.number) } }
                                }
                            }
                        }
                    }
                }
            }
            h3 #vervolg-tabel { (ctx.t("Top-aanbevelingen per herstelopgave, met programma's en trekkers", "Top recommendations per recovery task, with programmes and leads")) }
            div.table-scroll.full tabindex="0" role="region" aria-labelledby="vervolg-tabel" {
                table.data.follow-up {
                    (table_head(ctx, &[("Herstelopgave", "Recovery task"), ("Aanbeveling", "Recommendation"), ("Programma's", "Programmes"), ("Trekkers", "Leads")]))
                    tbody {
                        @for row in &a.follow_up_rows {
                            tr {
                                td { @if let Some(h) = a.herstelopgaven.iter().find(|h| h.number == row.herstelopgave) { (h.number) ". " (ctx.t(&h.label_nl, &h.label_en)) } }
                                th scope="row" {
                                    (row.number) ". " (ctx.t(&row.label_nl, &row.label_en))
                                    @if !row.recommendations.is_empty() {
                                        span.meta { (ctx.t("rapport: aanbeveling ", "report: recommendation ")) (row.recommendations.iter().filter_map(|id| a.recommendation(id)).map(|r| r.number.to_string()).collect::<Vec<_>>().join(", ")) }
                                    }
                                }
                                td { (names(&row.programmes, |id| programme_name(ctx, a, id)).join("; ")) }
                                td { (ctx.t(&row.lead_note_nl, &row.lead_note_en)) }
                            }
                        }
                    }
                }
            }
            details.rule {
                summary { (ctx.t("Bevindingen en uitgangspunten van het vervolg", "Findings and principles of the follow-up")) }
                h4 { (ctx.t("Bevindingen", "Findings")) }
                ul { @for f in &a.follow_up.findings { li { (ctx.t(&f.nl, &f.en)) } } }
                h4 { (ctx.t("Uitgangspunten", "Principles")) }
                ul { @for p in &a.follow_up.principles { li { (ctx.t(&p.nl, &p.en)) } } }
            }
          }
        }
        section aria-labelledby="programmas-title" {
          details.fold #programmas {
            summary { h2 #programmas-title { (ctx.t("Programma's en de aanbevelingen die ze dragen", "Programmes and the recommendations they carry")) } }
            div.table-scroll.full tabindex="0" role="region" aria-labelledby="programmas-title" {
                table.data.programmes {
                    (table_head(ctx, &[("Programma", "Programme"), ("Niveau", "Scope"), ("Aanbevelingen (rapport)", "Recommendations (report)")]))
                    tbody {
                        @for p in &a.programmes {
                            @let carried = a.carried_by(&p.id);
                            tr {
                                th scope="row" { (ctx.t(&p.label_nl, &p.label_en)) @if !p.note_nl.is_empty() { span.meta { (ctx.t(&p.note_nl, &p.note_en)) } } }
                                td { (p.scope) }
                                td {
                                    @if carried.is_empty() { span.status { (ctx.t("vervolgtabel", "follow-up table")) } }
                                    @for (k, r) in carried.iter().enumerate() { @if k > 0 { ", " } a href=(href(&r.id)) { (r.number) } }
                                }
                            }
                        }
                    }
                }
            }
          }
        }
        section aria-labelledby="doelgebieden-title" {
          details.fold #doelgebieden {
            summary { h2 #doelgebieden-title { (ctx.t("Doelgebieden", "Target areas")) } }
            p { (ctx.t("Het rapport noemt 16 stedelijke vernieuwingsgebieden als proeftuin. Die lijst is in de geraadpleegde openbare bronnen niet gevonden. Het Nationaal Programma Leefbaarheid en Veiligheid dat erop volgde (juli 2022) noemt 20 focusgebieden in 19 gemeenten; die gebruikt de monitor als doelgebieden.",
                       "The report names 16 urban-renewal areas as pilot labs. That list was not found in the public sources consulted. The National Programme for Liveability and Safety that followed (July 2022) names 20 focus areas in 19 municipalities; the monitor uses those as target areas.")) }
            @for s in &c.region_sets { (region_set_section(ctx, s)) }
          }
        }
        (method_details(ctx, c))
    }
}

// ---------------------------------------------------------------------------------------------
// One recommendation

/// `GET /agenda/{id}`
pub async fn page(State(state): State<AppState>, Path(id): Path<String>, ctx: PageCtx) -> Response {
    let r = match agenda::recommendation(state.catalogue(), &id) {
        Ok(r) => r.clone(),
        Err(_) => {
            return error_page(
                &ctx,
                &MonitorError::NotFound(format!(
                    "{} '{id}'",
                    ctx.t("Onbekende aanbeveling", "Unknown recommendation")
                )),
            )
        }
    };
    let catalogue = state.catalogue().clone();
    let rec = r.clone();
    match state
        .query(move |s| agenda::effects(s, &catalogue, &rec))
        .await
    {
        Ok(effects) => {
            let c = state.catalogue();
            let title = format!(
                "{} {}: {}",
                ctx.t("Aanbeveling", "Recommendation"),
                r.number,
                ctx.t(&r.label_nl, &r.label_en)
            );
            respond(
                &ctx,
                StatusCode::OK,
                layout(
                    &ctx,
                    &title,
                    Nav::Agenda,
                    page_body(&ctx, c, &r, &effects, &title),
                ),
            )
        }
        Err(e) => error_page(&ctx, &e),
    }
}

fn page_body(
    ctx: &PageCtx,
    c: &Catalogue,
    r: &Recommendation,
    effects: &Effects,
    title: &str,
) -> Markup {
    let a = &c.agenda;
    let task = a.task(&r.task);
    let rows = a.rows_for(&r.id);
    let set = r
        .region_set
        .as_ref()
        .and_then(|id| c.region_sets.iter().find(|s| &s.id == id));
    html! {
        nav.breadcrumb aria-label=(ctx.t("Kruimelpad", "Breadcrumb")) {
            ol {
                li { a href="/agenda" { (ctx.t("Beleidsagenda", "Policy agenda")) } }
                li aria-current="page" { (ctx.t("Aanbeveling", "Recommendation")) " " (r.number) }
            }
        }
        h1 { (title) }
        @if let Some(t) = task {
            p.lead { a href=(format!("/agenda#opgave-{}", t.number)) { (ctx.t("Opgave", "Task")) " " (t.number) ": " (ctx.t(&t.label_nl, &t.label_en)) } }
        }
        p { (ctx.t(&r.summary_nl, &r.summary_en)) }
        p.meta { (ctx.t("Bron: ", "Source: ")) (r.sources.join("; ")) }
        section aria-labelledby="points-title" {
            h2 #points-title { (ctx.t("Wat de aanbeveling vraagt", "What the recommendation asks")) }
            ol.lettered.points {
                @for p in &r.points { li { strong { (p.letter) ") " } (ctx.t(&p.text_nl, &p.text_en)) } }
            }
        }
        section aria-labelledby="who-title" {
            h2 #who-title { (ctx.t("Wie het draagt", "Who carries it")) }
            div.group-facts {
                div {
                    h3 { (ctx.t("Programma's", "Programmes")) }
                    ul.programme-list {
                        @for id in &r.programmes {
                            @if let Some(p) = a.programme(id) {
                                li { (ctx.t(&p.label_nl, &p.label_en)) span.meta.inline { " · " (p.scope) }
                                     @if !p.note_nl.is_empty() { span.meta { (ctx.t(&p.note_nl, &p.note_en)) } } }
                            }
                        }
                    }
                }
                div {
                    h3 { (ctx.t("Partijen", "Parties")) }
                    ul.party-list {
                        @for id in &r.parties { @if let Some(p) = a.party(id) { li { (ctx.t(&p.label_nl, &p.label_en)) } } }
                    }
                }
            }
            @for row in &rows {
                p.note {
                    (ctx.t("In de follow-up van december 2021 valt deze aanbeveling onder top-aanbeveling ", "In the follow-up of December 2021 this recommendation falls under top recommendation "))
                    (row.number) (ctx.t(" van herstelopgave ", " of recovery task ")) (row.herstelopgave) ": "
                    em { (ctx.t(&row.label_nl, &row.label_en)) } ". "
                    strong { (ctx.t("Trekkers: ", "Leads: ")) } (ctx.t(&row.lead_note_nl, &row.lead_note_en)) " "
                    (ctx.t("Programma's daar: ", "Programmes there: ")) (names(&row.programmes, |id| programme_name(ctx, a, id)).join("; ")) "."
                }
            }
        }
        section aria-labelledby="groups-title" {
            h2 #groups-title { (ctx.t("Voor welke groepen", "For which groups")) }
            @if r.groups.is_empty() { p.status { (ctx.t("Geen specifieke groep.", "No specific group.")) } }
            ul.region-links {
                @for g in &r.groups {
                    @if let Some(grp) = c.risk.group(g) { li { a href=(format!("/groepen/{}", grp.id)) { (ctx.t(&grp.label_nl, &grp.label_en)) } } }
                }
            }
        }
        section aria-labelledby="moves-title" {
            h2 #moves-title { (ctx.t("Wat het zou moeten bewegen", "What it should move")) }
            @if r.indicators.is_empty() && r.characteristics.is_empty() {
                p { (ctx.t("Geen cijfer: deze aanbeveling vraagt om een instrument of middelen.", "No figure: this recommendation asks for an instrument or means.")) }
            }
            ul {
                @for l in &r.indicators { li { (indicator_label(ctx, c, l.indicator.as_str())) " — " (expect_text(ctx, l.expect)) } }
                @for f in &r.characteristics {
                    li {
                        (factor_label(ctx, c, f))
                        @if c.risk.protective.iter().any(|x| &x.id == f) { " — " (ctx.t("beschermende factor, moet sterker worden", "protective factor, should grow stronger")) }
                        @else { " — " (ctx.t("risicokenmerk, moet minder vaak voorkomen", "risk characteristic, should become less common")) }
                    }
                }
            }
            @if !r.link_note_nl.is_empty() { p.note { (ctx.t(&r.link_note_nl, &r.link_note_en)) } }
            @if r.radar {
                p { a.button-link href="/radar" { (ctx.t("Naar de vindbaarheidsradar", "To the findability radar")) } " — " (ctx.t("waar de nood hoog is maar het gebruik van ondersteuning achterblijft", "where need is high but the use of support lags behind")) }
            }
            @if !r.characteristics.is_empty() {
                p.meta { a href="/dekking" { (ctx.t("Welke kenmerken per niveau gemeten worden", "Which characteristics are measured per level")) } }
            }
        }
        section aria-labelledby="effect-title" {
            h2 #effect-title { (ctx.t("Wat de cijfers tot nu toe zeggen", "What the figures say so far")) }
            @match (set, r.start) {
                (Some(s), Some(start)) => p {
                    (ctx.t("Doelgebieden: ", "Target areas: ")) (ctx.t(&s.label_nl, &s.label_en)) "; "
                    (ctx.t("start ", "start ")) (start) " (" (ctx.t(&r.start_note_nl, &r.start_note_en)) "). "
                    (ctx.t("Per indicator en niveau: de doelgebieden tegenover vergelijkbare gebieden, vóór en na de start.", "Per indicator and level: the target areas against comparable areas, before and after the start."))
                },
                _ => p { (ctx.t("Aan deze aanbeveling zijn geen doelgebieden gekoppeld: er is geen effectbeeld.", "No target areas are linked to this recommendation: there is no effect view.")) },
            }
            @for (k, v) in effects.views.iter().enumerate().filter(|(_, v)| informative(v.result.label)) { (view_section(ctx, c, v, k)) }
            @let rest: Vec<&EffectView> = effects.views.iter().filter(|v| !informative(v.result.label)).collect();
            @if !rest.is_empty() {
                h3 { (ctx.t("Nog niet te beoordelen", "Not yet assessable")) }
                ul.not-assessable {
                    @for v in rest {
                        li { (indicator_label(ctx, c, v.indicator.as_str())) ", " (level_label(ctx.lang, v.level)) ": " (badge(ctx, v.result.label)) " — " (short_reason(ctx, c, v)) "." }
                    }
                }
            }
            @if !effects.not_measured.is_empty() && set.is_some() {
                h3 { (ctx.t("Zonder cijfers voor de doelgebieden", "Without figures for the target areas")) }
                ul {
                    @for n in &effects.not_measured {
                        li {
                            (indicator_label(ctx, c, n.indicator.as_str())) ": "
                            @if n.levels_with_figures.is_empty() { (ctx.t("niet geladen", "not loaded")) }
                            @else { (ctx.t("alleen cijfers voor ", "figures only for ")) (n.levels_with_figures.iter().map(|l| level_label(ctx.lang, *l)).collect::<Vec<_>>().join(", ")) (ctx.t(", waar de doelgebieden niet zijn afgebakend", ", where the target areas are not delimited")) }
                        }
                    }
                }
            }
            (method_details(ctx, c))
        }
        @if let Some(s) = set { (region_set_section(ctx, s)) }
        p.meta {
            a href=(format!("/api/agenda/{}", r.id)) { (ctx.t("Deze aanbeveling als JSON", "This recommendation as JSON")) }
        }
    }
}
