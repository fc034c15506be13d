//! The methodology page (the model, the matrix as a heat table, thresholds, rules, caveats) and
//! the data-coverage page (every characteristic × level × period: measured, or a gap).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kwm_model::catalogue::Catalogue;
use kwm_model::risk::{Factor, FactorKind};
use kwm_model::{Direction, Level};
use kwm_monitor::query;
use kwm_monitor::risk::{self, Coverage, CoverageStatus};
use maud::{html, Markup};

use super::risk_common::{
    capitalised, factor_label, indicator_label, term_label, threshold_text, threshold_words,
};
use super::{error_page, layout, level_label, respond, Nav, PageCtx};
use crate::components::table::table_head;
use crate::labels;
use crate::state::AppState;

fn matrix_word(ctx: &PageCtx, v: u8) -> &'static str {
    match v {
        0 => ctx.t("amper", "hardly"),
        1 => ctx.t("enige", "some"),
        2 => ctx.t("duidelijke", "clear"),
        _ => ctx.t("sterke", "strong"),
    }
}

fn term_text(ctx: &PageCtx, c: &Catalogue, f: &Factor, level: Level) -> Markup {
    let defs: Vec<_> = f.definitions_at(level).collect();
    html! {
        @for d in &defs {
            @if defs.len() > 1 || !d.periods.is_empty() {
                p.meta {
                    @if d.periods.is_empty() {
                        (ctx.t("Andere jaren", "Other years"))
                    } @else {
                        (d.periods.iter().map(i32::to_string).collect::<Vec<_>>().join(", "))
                    }
                    " · " (ctx.t(&d.population, &d.population_en))
                }
            }
            ul.terms {
                @for t in &d.terms {
                    li {
                        (term_label(ctx, c, t))
                        span.meta {
                            (ctx.t("gewicht", "weight")) " " (ctx.lang.number(t.weight, 2)) " · "
                            @match t.direction {
                                Direction::HigherIsBetter => (ctx.t("lager is ongunstiger", "lower is less favourable")),
                                _ => (ctx.t("hoger is ongunstiger", "higher is less favourable")),
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /methode`
pub async fn method(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let c = state.catalogue();
    let m = &c.risk.method;
    let title = ctx.t("Methode van het risicomodel", "Method of the risk model");
    let body = html! {
        h1 { (title) }
        p.lead {
            (ctx.t("De monitor volgt het rapport Herstelopgave Kwetsbare Groepen (2021): kwetsbaarheid blijkt op zeven thema's en wordt voorspeld door twaalf risicokenmerken (TNO), in balans met beschermende factoren. Het gaat om stapeling: gebieden waar meerdere kenmerken samenkomen.",
                   "The monitor follows the report of the recovery task on vulnerable groups (2021): vulnerability shows on seven themes and is predicted by twelve risk characteristics (TNO), balanced by protective factors. What matters is stacking: areas where several characteristics come together."))
        }
        nav aria-label=(ctx.t("Op deze pagina", "On this page")) {
            ul.toc {
                li { a href="#berekening" { (ctx.t("Berekening", "Computation")) } }
                li { a href="#matrix" { (ctx.t("Matrix kenmerk × thema", "Characteristic × theme matrix")) } }
                li { a href="#kenmerken" { (ctx.t("Kenmerken en hun indicatoren", "Characteristics and their indicators")) } }
                li { a href="#beperkingen" { (ctx.t("Beperkingen", "Limitations")) } }
            }
        }
        section aria-labelledby="berekening" {
            h2 #berekening { (ctx.t("Berekening", "Computation")) }
            p { (ctx.t("Per niveau (gemeente, GGD-regio, wijk, buurt) en jaar, over alle regio's van dat niveau:", "Per level (municipality, GGD region, district, neighbourhood) and year, over all regions of that level:")) }
            ol.steps {
                li { strong { (ctx.t("Indicatoren", "Indicators")) } ": "
                    (ctx.t("elke indicator wordt afgerond zoals getoond, zo gedraaid dat hoger ongunstiger is, en omgezet in een percentielrang (PERCENTRANK.INC, zoals de Social Vulnerability Index van het CDC; 4 decimalen). Aandelen uit aantallen (zoals het aandeel ouderen) worden eerst berekend als 100 × teller / noemer.",
                           "each indicator is rounded as displayed, turned so that higher is less favourable, and converted to a percentile rank (PERCENTRANK.INC, as the CDC Social Vulnerability Index; 4 decimals). Shares from counts (such as the share of older residents) are first computed as 100 × numerator / denominator.")) }
                li { strong { (ctx.t("Score per kenmerk", "Score per characteristic")) } ": "
                    (ctx.t("het gewogen gemiddelde van de percentielrangen van zijn indicatoren (gewichten uit de catalogus, samen 1).", "the weighted mean of the percentile ranks of its indicators (weights from the catalogue, summing to 1).")) }
                li { strong { (ctx.t("Ontbrekende indicatoren", "Missing indicators")) } ": "
                    (ctx.t("mist een regio een indicator (geheimhouding, te weinig waarnemingen), dan telt de score over de andere indicatoren met herschaalde gewichten — maar alleen als hun gewicht samen ten minste ", "when a region lacks an indicator (confidentiality, too few observations), the score is taken over the other indicators with rescaled weights — but only if their weights add up to at least "))
                    strong { (ctx.lang.number(m.min_available_weight, 2)) }
                    (ctx.t(" is; anders heeft het kenmerk daar geen score. Er wordt nooit iets bijgeschat.", "; otherwise the characteristic has no score there. Nothing is ever imputed.")) }
                li { strong { (ctx.t("Markering", "Flag")) } ": "
                    (ctx.t("de scores worden opnieuw gerangschikt; een kenmerk is gemarkeerd als het percentiel, afgerond op ", "the scores are ranked again; a characteristic is flagged when the percentile, rounded to "))
                    (m.percentile_decimals) (ctx.t(" decimaal, ten minste ", " decimal(s), is at least "))
                    strong { (threshold_text(&ctx, m)) } " (" (threshold_words(&ctx, m)) "). "
                    (ctx.t("Het getoonde en het vergeleken getal zijn hetzelfde: een regio die 90,0 toont is gemarkeerd, een regio die 89,9 toont niet.",
                           "The number shown and the number compared are the same: a region showing 90.0 is flagged, one showing 89.9 is not.")) }
                li { strong { (ctx.t("Stapeling", "Stacking")) } ": "
                    (ctx.t("het aantal gemarkeerde risicokenmerken in een regio, van het aantal kenmerken met gegevens daar. Beschermende factoren heten zwak bij dezelfde drempel (van sterk naar zwak) en tellen niet mee in de stapeling.",
                           "the number of flagged risk characteristics in a region, out of the characteristics with data there. Protective factors are called weak at the same threshold (from strong to weak) and do not count in stacking.")) }
                li { strong { (ctx.t("Thema's", "Themes")) } ": "
                    (ctx.t("blootstelling aan een thema is het gemiddelde percentiel van de gemeten kenmerken, gewogen met de matrix hieronder; daarbij staat welk deel van het matrixgewicht gemeten is.",
                           "exposure to a theme is the mean percentile of the measured characteristics, weighted by the matrix below, reported with the share of the matrix weight that is measured.")) }
                li { strong { (ctx.t("Samengestelde index", "Composite index")) } ": "
                    (ctx.t("de scores van de gemeten kenmerken samengenomen tot één rang (1 = meest kwetsbaar) met ", "the scores of the measured characteristics combined into one rank (1 = most vulnerable) with "))
                    strong { (labels::method(ctx.lang, m.composite)) }
                    @if m.composite == kwm_model::risk::CompositeMethod::default() {
                        (ctx.t(" — dat is het gemiddelde percentiel van de kenmerken zoals getoond", " — that is the mean percentile of the characteristics as shown"))
                    }
                    (ctx.t("; alleen voor regio's met scores voor ten minste ", "; only for regions with scores for at least "))
                    (ctx.lang.number(m.composite_min_share * 100.0, 0)) "% "
                    (ctx.t("van de kenmerken met gegevens op dat niveau.", "of the characteristics with data at that level.")) }
                li { strong { (ctx.t("Onzekerheid van de rang", "Uncertainty of the rank")) } ": "
                    (ctx.t("de index wordt ", "the index is recomputed "))
                    (ctx.lang.number(kwm_monitor::composite::planned_runs(m) as f64, 0))
                    (ctx.t(" keer herberekend met willekeurig getrokken andere keuzes (normalisatie: percentielrang, min-max, z-score of de exponentiële transformatie van de Engelse IMD; gelijke gewichten of gewichten via de themamatrix; rekenkundig of meetkundig gemiddelde; ruis op de gewichten). Per regio volgen daaruit de mediane rang en een 90%-interval, en per keuze gevoeligheidsindices (Jansen); de ",
                           " times with other choices drawn at random (normalisation: percentile rank, min-max, z-score or the English IMD's exponential transform; equal or theme-matrix weights; arithmetic or geometric mean; noise on the weights). Per region this gives the median rank and a 90% interval, and per choice sensitivity indices (Jansen); the "))
                    a href="/methodevergelijking" { (ctx.t("methodevergelijking", "method comparison")) }
                    (ctx.t(" toont ze, met de rangen onder elke andere methode.", " shows them, with the ranks under every other method.")) }
                li { strong { (ctx.t("Clusters", "Clusters")) } ": "
                    (ctx.t("lokale Moran's I en Getis-Ord G_i* van het aantal gemarkeerde kenmerken, de index en elk gemeten kenmerk, over aangrenzende gebieden (", "local Moran's I and Getis-Ord G_i* of the number of flagged characteristics, the index and every measured characteristic, over adjacent areas ("))
                    (m.clusters.permutations) (ctx.t(" permutaties, vast zaad); zie de ", " permutations, fixed seed); see the "))
                    a href="/clusters" { (ctx.t("clusterkaart", "cluster map")) } "." }
            }
            p { (ctx.t("Alle parameters staan in ", "All parameters are in ")) code { "catalogue/method.toml" } (ctx.t(" en worden met elk resultaat opgeslagen, samen met de catalogusversie (", " and are stored with every result, together with the catalogue version (")) code { (c.version.clone()) } (ctx.t(") en een vingerafdruk van catalogus en gegevens. Verandert er iets, dan berekent ", ") and a fingerprint of catalogue and data. When something changes, ")) code { "kwm compute" } (ctx.t(" opnieuw.", " recomputes.")) }
        }
        section aria-labelledby="matrix" {
            h2 #matrix { (ctx.t("Matrix kenmerk × thema", "Characteristic × theme matrix")) }
            div.note.caveat {
                p { strong { (ctx.t("Mogelijke samenhang, geen oorzaken. ", "Possible correlations, not causes. ")) }
                    (ctx.t("Tabel 1 van het rapport verloor in de gepubliceerde tekst zijn celwaarden; het rapport zegt zelf dat de tabel mogelijke correlaties demonstreert en geen uitputtende verkenning van causale verbanden is. Deze standaardwaarden zijn afgeleid uit de tekst van het rapport (§2.2–2.5) en zijn aan te passen in ",
                           "The report's Table 1 lost its cell values in the published text; the report itself says the table demonstrates possible correlations and is not an exhaustive exploration of causal links. These default values are derived from the report's prose (§2.2–2.5) and can be edited in "))
                    code { "catalogue/themes.toml" } "." }
            }
            div.table-scroll.full tabindex="0" role="region" aria-labelledby="matrix-caption" {
                table.data.heat {
                    caption #matrix-caption { (ctx.t("Samenhang per kenmerk en thema: 0 = amper, 1 = enige, 2 = duidelijke, 3 = sterke correlatie", "Correlation per characteristic and theme: 0 = hardly, 1 = some, 2 = clear, 3 = strong")) }
                    thead { tr {
                        th scope="col" { (ctx.t("Kenmerk", "Characteristic")) }
                        @for t in &c.risk.themes { th scope="col" { (ctx.t(&t.label_nl, &t.label_en)) } }
                    } }
                    tbody {
                        @for (f, row) in c.risk.characteristics.iter().zip(&c.risk.matrix.values) {
                            tr {
                                th scope="row" { a href=(format!("#k-{}", f.id)) { (ctx.t(&f.label_nl, &f.label_en)) } }
                                @for v in row {
                                    td class=(format!("h{v}")) title=(format!("{} {}", matrix_word(&ctx, *v), ctx.t("correlatie", "correlation"))) { (v) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="kenmerken" {
            h2 #kenmerken { (ctx.t("Kenmerken en hun indicatoren", "Characteristics and their indicators")) }
            p { (ctx.t("Per kenmerk de indicatoren op gemeenteniveau, met gewicht en richting, en voor wie de cijfers gelden. Een niveau zonder definitie is een gat; ", "Per characteristic the indicators at municipal level, with weight and direction, and whom the figures are about. A level without a definition is a gap; ")) a href="/dekking" { (ctx.t("de datadekking", "data coverage")) } (ctx.t(" toont alle niveaus en jaren.", " shows every level and year.")) }
            div.table-scroll.full tabindex="0" role="region" aria-labelledby="kenmerken" {
                table.data.definitions {
                    (table_head(&ctx, &[("Kenmerk", "Characteristic"), ("Indicatoren (gemeente)", "Indicators (municipality)"), ("Populatie en niveaus", "Population and levels"), ("Toelichting", "Notes")]))
                    tbody {
                        @for f in c.risk.factors() {
                            tr id=(format!("k-{}", f.id)) {
                                th scope="row" {
                                    (ctx.t(&f.label_nl, &f.label_en))
                                    span.meta { @if f.kind == FactorKind::Protective { (ctx.t("beschermende factor", "protective factor")) } @else { (ctx.t("risicokenmerk", "risk characteristic")) } }
                                }
                                td {
                                    @if f.definitions_at(Level::Gemeente).next().is_some() { (term_text(&ctx, c, f, Level::Gemeente)) }
                                    @else { span.gap { (ctx.t("gat op gemeenteniveau", "gap at municipal level")) } }
                                }
                                td {
                                    @for d in &f.definitions {
                                        p.def {
                                            (ctx.t(&d.population, &d.population_en)) span.meta {
                                                (d.levels.iter().map(|l| level_label(ctx.lang, *l)).collect::<Vec<_>>().join(", "))
                                                @if !d.periods.is_empty() { " · " (d.periods.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")) }
                                                @if d.proxy { " · " strong { (ctx.t("benadering", "proxy")) } }
                                            }
                                        }
                                    }
                                }
                                td {
                                    @for d in &f.definitions { @let n = ctx.t(&d.note_nl, &d.note_en); @if !n.is_empty() { p.def { (n) } } }
                                    @let gap = ctx.t(&f.gap_note_nl, &f.gap_note_en);
                                    @if !gap.is_empty() { p.def { strong { (ctx.t("Gat: ", "Gap: ")) } (gap) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="beperkingen" {
            h2 #beperkingen { (ctx.t("Beperkingen", "Limitations")) }
            ul {
                li { (ctx.t("De open demodata meten zes van de twaalf kenmerken, en die alleen voor jongvolwassenen van 16–25 jaar (Gezondheidsmonitor Jongvolwassenen 2024). Een gemarkeerd kenmerk zegt iets over de jongvolwassenen in een gebied, niet over alle inwoners. Leeftijd is gemeten voor 2019 (KWB).",
                            "The open demo data measure six of the twelve characteristics, and those only for young adults aged 16–25 (Young Adults Health Monitor 2024). A flagged characteristic says something about the young adults in an area, not about all residents. Age is measured for 2019 (KWB).")) }
                li { (ctx.t("Percentielen zijn relatief: ze vergelijken regio's van hetzelfde niveau en jaar. Een lage stapeling betekent niet dat er geen kwetsbare mensen zijn.",
                            "Percentiles are relative: they compare regions of the same level and year. Low stacking does not mean there are no vulnerable people.")) }
                li { (ctx.t("Stapeling per gebied is niet hetzelfde als stapeling bij personen: twee kenmerken die in één gemeente gemarkeerd zijn, kunnen bij verschillende mensen voorkomen.",
                            "Stacking per area is not stacking per person: two characteristics flagged in one municipality may occur in different people.")) }
                li { (ctx.t("Gebieden en tabellen, nooit personen: de monitor rangschikt en markeert gebieden, nooit individuele mensen of huishoudens.",
                            "Areas and tables, never persons: the monitor ranks and flags areas, never individual people or households.")) }
            }
        }
    };
    respond(&ctx, StatusCode::OK, layout(&ctx, title, Nav::Method, body))
}

/// `GET /dekking?level=`
pub async fn coverage(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let level = match ctx.params.get("level").filter(|l| !l.is_empty()) {
        None => None,
        Some(l) => match query::parse_level(l) {
            Ok(l) => Some(l),
            Err(e) => return error_page(&ctx, &e),
        },
    };
    let catalogue = state.catalogue().clone();
    let cov = match state
        .query(move |s| risk::coverage(s, &catalogue, level))
        .await
    {
        Ok(c) => c,
        Err(e) => return error_page(&ctx, &e),
    };
    let title = ctx.t("Datadekking", "Data coverage");
    let body = coverage_body(&ctx, state.catalogue(), &cov, level);
    respond(
        &ctx,
        StatusCode::OK,
        layout(&ctx, title, Nav::Coverage, body),
    )
}

fn coverage_body(ctx: &PageCtx, c: &Catalogue, cov: &Coverage, level: Option<Level>) -> Markup {
    let measured = cov
        .rows
        .iter()
        .filter(|r| r.kind == FactorKind::Risk)
        .flat_map(|r| r.cells.iter())
        .filter(|x| x.status == CoverageStatus::Measured)
        .count();
    let cells = cov
        .rows
        .iter()
        .filter(|r| r.kind == FactorKind::Risk)
        .map(|r| r.cells.len())
        .sum::<usize>();
    html! {
        h1 { (ctx.t("Datadekking", "Data coverage")) }
        p.lead {
            (ctx.t("Welk kenmerk is gemeten op welk niveau en in welk jaar, met welke indicatoren — en waar een gat zit. Een gat wordt getoond, nooit opgevuld.",
                   "Which characteristic is measured at which level and in which year, with which indicators — and where there is a gap. A gap is shown, never filled in."))
        }
        form.controls method="get" action="/dekking" {
            div.field {
                label for="level" { (ctx.t("Niveau", "Level")) }
                select #level name="level" {
                    option value="" selected[level.is_none()] { (ctx.t("alle niveaus", "all levels")) }
                    @for l in risk::LEVELS { option value=(l.as_str()) selected[Some(l) == level] { (level_label(ctx.lang, l)) } }
                }
            }
            button.button.primary type="submit" { (ctx.t("Toon", "Show")) }
        }
        p { strong { (measured) " " (ctx.t("van", "of")) " " (cells) } " " (ctx.t("combinaties van risicokenmerk, niveau en jaar zijn gemeten.", "combinations of risk characteristic, level and year are measured.")) }
        ul.coverage-key {
            li { span.cov.measured { (ctx.t("gemeten", "measured")) } " — " (ctx.t("alle indicatoren van ten minste één term hebben cijfers; tussen haakjes het aantal regio's met een cijfer", "every indicator of at least one term has figures; in brackets the number of regions with a figure")) }
            li { span.cov.nodata { (ctx.t("gat: geen cijfers", "gap: no figures")) } " — " (ctx.t("gedefinieerd op dit niveau, maar de cijfers zijn niet geladen", "defined at this level, but the figures are not loaded")) }
            li { span.cov.nodef { (ctx.t("gat: geen definitie", "gap: no definition")) } " — " (ctx.t("de catalogus heeft geen indicator voor dit niveau", "the catalogue has no indicator for this level")) }
        }
        div.table-scroll.full tabindex="0" role="region" aria-labelledby="coverage-caption" {
            table.data.coverage {
                caption #coverage-caption { (ctx.t("Kenmerk × niveau × jaar", "Characteristic × level × year")) }
                thead { tr {
                    th scope="col" { (ctx.t("Kenmerk", "Characteristic")) }
                    @for (l, p) in &cov.columns {
                        th scope="col" { (capitalised(level_label(ctx.lang, *l))) br; @match p { Some(p) => (p), None => span.meta { (ctx.t("geen cijfers geladen", "nothing loaded")) } } }
                    }
                } }
                tbody {
                    @for r in &cov.rows {
                        tr {
                            th scope="row" {
                                (factor_label(ctx, c, &r.factor))
                                @if r.kind == FactorKind::Protective { span.meta { (ctx.t("beschermende factor", "protective factor")) } }
                            }
                            @for cell in &r.cells {
                                td {
                                    @match cell.status {
                                        CoverageStatus::Measured => {
                                            span.cov.measured { (ctx.t("gemeten", "measured")) }
                                            ul.cov-indicators {
                                                @for i in &cell.indicators {
                                                    li { (indicator_label(ctx, c, &i.id)) " (" (i.regions) ")" }
                                                }
                                            }
                                            @if let Some((nl, en)) = &cell.population { span.meta { (ctx.t(nl, en)) @if cell.proxy { " · " (ctx.t("benadering", "proxy")) } } }
                                        }
                                        CoverageStatus::NoData => {
                                            span.cov.nodata { (ctx.t("gat: geen cijfers", "gap: no figures")) }
                                            span.meta { (cell.indicators.iter().map(|i| indicator_label(ctx, c, &i.id)).collect::<Vec<_>>().join(", ")) }
                                        }
                                        CoverageStatus::NoDefinition => { span.cov.nodef { (ctx.t("gat: geen definitie", "gap: no definition")) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        p { (ctx.t("Waarom een kenmerk een gat is en welke open bron het zou kunnen vullen, staat op de ", "Why a characteristic is a gap and which open source could fill it is on the ")) a href="/methode#kenmerken" { (ctx.t("methodepagina", "method page")) } ". "
            (ctx.t("Ook als JSON: ", "Also as JSON: ")) a href="/api/coverage" { "/api/coverage" } "." }
    }
}
