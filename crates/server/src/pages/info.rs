//! Indicator list, sources and provenance, about/method, and the accessibility statement.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::dashboard::label;
use super::{direction_label, error_page, layout, level_label, respond, Nav, PageCtx};
use crate::components::table::table_head;
use crate::state::AppState;

/// `GET /indicatoren`
pub async fn indicators(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let records = match state.query(|s| Ok(s.indicators()?)).await {
        Ok(r) => r,
        Err(e) => return error_page(&ctx, &e),
    };
    let body = html! {
        h1 { (ctx.t("Indicatoren", "Indicators")) }
        p { (ctx.t("Alle indicatoren in de monitor. Beschreven indicatoren komen uit de catalogus (labels, eenheid, richting); overige kolommen zijn geladen met de metadata van het bronbestand en hebben geen richting.",
                   "All indicators in the monitor. Described indicators come from the catalogue (labels, unit, direction); other columns were loaded with the source file's metadata and have no direction.")) }
        div.table-scroll tabindex="0" role="region" aria-label=(ctx.t("Indicatoren", "Indicators")) {
            table.data {
                (table_head(&ctx, &[("Indicator", "Indicator"), ("Eenheid", "Unit"), ("Richting", "Direction"), ("Bron", "Source"), ("Jaren", "Years"), ("Niveaus", "Levels")]))
                tbody {
                    @for r in &records {
                        tr {
                            th scope="row" {
                                @if kwm_monitor::persons::is_person_level(r.indicator.id.as_str()) {
                                    // Person-level stacking has its own page, never the area map.
                                    a href="/stapeling-personen" { (label(ctx.lang, r)) }
                                    @if r.indicator.id.as_str().starts_with(kwm_monitor::persons::PREFIX_SYNTHETIC) {
                                        " " span.synthetic-tag { (ctx.t("synthetisch", "synthetic")) }
                                    }
                                } @else if let Some(level) = r.levels.iter().find(|l| **l == kwm_model::Level::Gemeente).or(r.levels.first()) {
                                    a href=(format!("/?indicator={}&level={}", r.indicator.id, level)) { (label(ctx.lang, r)) }
                                } @else {
                                    (label(ctx.lang, r))
                                }
                                span.meta { code { (r.indicator.id.as_str()) } @if !r.indicator.curated { " · " (ctx.t("niet beschreven", "not described")) } }
                            }
                            td { (r.indicator.unit.clone()) }
                            td { (direction_label(ctx.lang, r.indicator.direction)) }
                            td { (r.indicator.source.clone()) }
                            td { (r.periods.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")) }
                            td { (r.levels.iter().map(|l| level_label(ctx.lang, *l)).collect::<Vec<_>>().join(", ")) }
                        }
                    }
                }
            }
        }
    };
    respond(
        &ctx,
        StatusCode::OK,
        layout(
            &ctx,
            ctx.t("Indicatoren", "Indicators"),
            Nav::Indicators,
            body,
        ),
    )
}

/// `GET /bronnen`
pub async fn sources(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let loads = match state.query(|s| Ok(s.loads()?)).await {
        Ok(r) => r,
        Err(e) => return error_page(&ctx, &e),
    };
    let catalogue = state.catalogue();
    let body = html! {
        h1 { (ctx.t("Bronnen en herkomst", "Sources and provenance")) }
        h2 { (ctx.t("Bronnen in de catalogus", "Sources in the catalogue")) }
        ul.source-list {
            @for s in &catalogue.sources {
                li {
                    strong { (ctx.t(&s.title_nl, &s.title_en)) }
                    " — " (s.publisher.clone()) ". " (ctx.t("Licentie", "Licence")) ": " (s.licence.clone()) ". "
                    @if !s.url.is_empty() { a href=(s.url) { (s.url.clone()) } }
                }
            }
        }
        p { (ctx.t("Catalogusversie", "Catalogue version")) " " code { (catalogue.version.clone()) } " (" (state.catalogue_source()) ")." }
        h2 { (ctx.t("Geladen bestanden", "Loaded files")) }
        p { (ctx.t("Elk cijfer in de monitor verwijst naar het bestand waaruit het kwam, met controlegetal (SHA-256) en tijdstip.",
                   "Every figure in the monitor points to the file it came from, with checksum (SHA-256) and time.")) }
        div.table-scroll tabindex="0" role="region" aria-label=(ctx.t("Geladen bestanden", "Loaded files")) {
            table.data {
                (table_head(&ctx, &[("Bestand", "File"), ("Uitgever", "Publisher"), ("Licentie", "Licence"), ("Inhoud", "Contents"), ("Geladen", "Loaded")]))
                tbody {
                    @for l in &loads {
                        tr {
                            th scope="row" {
                                (l.file_name.clone())
                                span.meta { (l.format.clone()) " · " code title=(l.checksum.clone()) { (l.checksum.chars().take(12).collect::<String>()) } }
                            }
                            td { (l.publisher.clone()) }
                            td { (l.licence.clone()) }
                            td {
                                (l.observations) " " (ctx.t("cijfers", "figures")) ", " (l.regions) " " (ctx.t("regio's", "regions"))
                                @if l.boundaries > 0 { ", " (l.boundaries) " " (ctx.t("grenzen", "boundaries")) }
                                @if !l.notes.is_empty() {
                                    // The ingest's notes are written in English for the log.
                                    details.load-notes {
                                        summary { (ctx.t("Meldingen bij het laden", "Notes from loading")) " (" (l.notes.len()) ")" @if ctx.lang == crate::i18n::Lang::Nl { " — " span lang="en" { "in English" } } }
                                        ul lang="en" { @for n in &l.notes { li.meta { (n) } } }
                                    }
                                }
                            }
                            td { time datetime=(l.loaded_at.clone()) { (minute_utc(&l.loaded_at)) } }
                        }
                    }
                }
            }
        }
    };
    respond(
        &ctx,
        StatusCode::OK,
        layout(&ctx, ctx.t("Bronnen", "Sources"), Nav::Sources, body),
    )
}

/// `GET /over`
pub async fn about(ctx: PageCtx) -> Response {
    let body = html! {
        h1 { (ctx.t("Over de Kwetsbaarheidsmonitor", "About the vulnerability monitor")) }
        p { (ctx.t("De monitor volgt per gemeente, wijk en buurt hoe risicokenmerken van kwetsbaarheid zich opstapelen, wat dat betekent voor zeven levensthema's, waar mensen met hulpvragen uit beeld zijn en of de beleidsagenda effect heeft. Hij volgt het eindrapport van de herstelopgave Kwetsbare Groepen (2021).",
                   "The monitor follows, per municipality, district and neighbourhood, how risk characteristics of vulnerability stack up, what that means for seven themes of life, where people in need are out of sight, and whether the policy agenda has effect. It follows the final report of the recovery task on vulnerable groups (2021).")) }
        h2 { (ctx.t("Gebieden en tabellen, nooit personen", "Areas and tables, never persons")) }
        p { (ctx.t("De monitor rangschikt, markeert of noemt nooit individuele mensen of huishoudens. Gegevens over personen worden alleen samengevat tot tabellen over gebieden en groepen, met geheimhouding.",
                   "The monitor never ranks, flags or lists individual people or households. Data about persons is only summarised into tables about areas and groups, under disclosure control.")) }
        h2 { (ctx.t("Hoe de cijfers worden berekend", "How the figures are computed")) }
        ul {
            li { strong { (ctx.t("Rang", "Rank")) } ": " (ctx.t("1 is de meest ongunstige regio van het niveau (bij indicatoren zonder richting: de hoogste waarde). Gelijke waarden delen de laagste rang.",
                                                                  "1 is the least favourable region of the level (for indicators without a direction: the highest value). Equal values share the lowest rank.")) }
            li { strong { (ctx.t("Percentiel", "Percentile")) } ": " (ctx.t("het aandeel regio's dat er gunstiger voor staat, (r − 1)/(n − 1) met r de laagste rang bij gelijke waarden — dezelfde regel als de Social Vulnerability Index van het Amerikaanse CDC. 100 is dus altijd het meest ongunstig, op elke pagina; bij een indicator zonder richting telt de hoogste waarde als 100.",
                                                                              "the share of regions that are better off, (r − 1)/(n − 1) with r the lowest rank among ties — the same rule as the US CDC Social Vulnerability Index. So 100 is always the least favourable, on every page; for an indicator without a direction the highest value counts as 100.")) }
            li { strong { (ctx.t("Afronding", "Rounding")) } ": " (ctx.t("rang, percentiel en kaartklasse worden berekend op de getoonde (afgeronde) waarde, zodat twee regio's die hetzelfde cijfer tonen nooit verschillend worden ingedeeld.",
                                                                             "rank, percentile and map class are computed on the displayed (rounded) value, so two regions showing the same figure are never classified differently.")) }
            li { strong { (ctx.t("Kaartklassen", "Map classes")) } ": " (ctx.t("kwantielen: vijf klassen met ongeveer evenveel regio's; donkerder is ongunstiger.",
                                                                                 "quantiles: five classes with about equally many regions; darker is less favourable.")) }
            li { strong { (ctx.t("Ontbrekende cijfers", "Missing figures")) } ": " (ctx.t("een leeg cijfer in de bron (te weinig waarnemingen of geheimhouding) telt niet mee in rang en percentiel en wordt nooit aangevuld.",
                                                                                               "an empty figure in the source (too few observations or confidentiality) is left out of rank and percentile and is never filled in.")) }
        }
        h2 { (ctx.t("Over de jaren heen", "Over the years")) }
        ul {
            li { strong { (ctx.t("Indelingen", "Layouts")) } ": " (ctx.t("de gemeentelijke en wijkindeling van elk jaar wordt bewaard, met de wijzigingen tussen opeenvolgende jaren: samenvoeging, splitsing, naamswijziging, nieuwe code, grenscorrectie. Ze komen uit een geladen wijzigingenbestand (zoals het overzicht van CBS) of worden afgeleid uit de codes, namen en grenzen zelf. Grenscorrecties die alleen uit vereenvoudigde grenzen blijken, worden getoond maar niet op cijfers toegepast.",
                                                                      "each year's municipal and district layout is kept, with the changes between consecutive years: merger, split, rename, new code, boundary correction. They come from a loaded change table (like CBS's overview) or are derived from the codes, names and boundaries themselves. Boundary corrections seen only in generalised boundaries are shown but not applied to figures.")) }
            li { strong { (ctx.t("Omrekenen", "Harmonising")) } ": " (ctx.t("om jaren te vergelijken worden oudere cijfers omgerekend naar één indeling. Aantallen van samengevoegde gebieden worden opgeteld (exact); percentages worden herberekend uit opgetelde tellers en noemers, nooit gemiddeld; zonder tellers volgt een gemiddelde gewogen naar de noemer of de bevolking, zo gemarkeerd. Bij een splitsing krijgt elk deel een aandeel naar bevolking van de delen waar die bekend is, anders naar oppervlakte; die waarden heten geschat.",
                                                                          "to compare years, older figures are converted to one layout. Counts of merged areas are added (exact); rates are recomputed from summed numerators and denominators, never averaged; without numerators a mean weighted by the denominator or population follows, marked as such. After a split each part gets a share by the population of the parts where known, else by area; those values are marked estimated.")) }
            li { strong { (ctx.t("Verandering", "Change")) } ": " (ctx.t("per regio sinds het vorige jaar en over de hele reeks, met een 95%-interval en een toets die kleine aantallen meeneemt: z-toets voor twee proporties, de exacte toets van Fisher bij kleine verwachte aantallen, een Poisson-toets voor tellingen, of een z-toets op het verschil met de gepubliceerde intervallen. Een indicator die voor het eerst verschijnt is nieuw, geen stijging vanaf nul.",
                                                                             "per region since the previous year and over the whole series, with a 95% interval and a test that accounts for small numbers: two-proportion z-test, Fisher's exact test for small expected counts, a Poisson test for counts, or a z-test on the difference using the published intervals. An indicator that appears for the first time is new, not a rise from zero.")) }
            li { strong { (ctx.t("Vroegsignalering", "Early warning")) } ": " a href="/signalen" { (ctx.t("gebieden", "areas")) } " " (ctx.t("waar een kernsignaal significant verslechtert, meer dan de eigen eerdere schommelingen en meer dan landelijk. De regel staat in de catalogus en is aan te passen.",
                                                                                                  "where a key signal worsens significantly, more than its own earlier variation and more than nationally. The rule is in the catalogue and can be changed.")) }
        }
        h2 { (ctx.t("Open en herbruikbaar", "Open and reusable")) }
        p { (ctx.t("De software is open source (EUPL-1.2). Alle cijfers zijn ook op te halen via de ", "The software is open source (EUPL-1.2). All figures are also available through the ")) a href="/api/openapi.json" { "API" } "." }
    };
    respond(
        &ctx,
        StatusCode::OK,
        layout(&ctx, ctx.t("Over de monitor", "About"), Nav::About, body),
    )
}

/// `GET /toegankelijkheid`
pub async fn accessibility(ctx: PageCtx) -> Response {
    let body = html! {
        h1 { (ctx.t("Toegankelijkheid", "Accessibility")) }
        p { (ctx.t("Deze monitor streeft naar WCAG 2.1 niveau AA, zoals het Besluit digitale toegankelijkheid overheid voorschrijft.",
                   "This monitor aims at WCAG 2.1 level AA, as Dutch law (Besluit digitale toegankelijkheid overheid) requires.")) }
        h2 { (ctx.t("Wat we doen", "What we do")) }
        ul {
            li { (ctx.t("Naast elke kaart staat een tabel met dezelfde cijfers, te sorteren en met het toetsenbord te bedienen.", "Every map has a table with the same figures beside it, sortable and keyboard operable.")) }
            li { (ctx.t("Elke regio op de kaart is een link met een naam en waarde die schermlezers voorlezen; Tab en Enter openen het regioprofiel.", "Every region on the map is a link with a name and value that screen readers announce; Tab and Enter open the region profile.")) }
            li { (ctx.t("De pagina's werken zonder JavaScript; JavaScript voegt alleen een tooltip toe.", "Pages work without JavaScript; JavaScript only adds a tooltip.")) }
            li { (ctx.t("Elke wijziging wordt automatisch getest met axe-core op WCAG 2.1 A en AA.", "Every change is tested automatically with axe-core against WCAG 2.1 A and AA.")) }
        }
        h2 { (ctx.t("Status", "Status")) }
        p { (ctx.t("Er is nog geen volledig onderzoek volgens WCAG-EM uitgevoerd. Een organisatie die deze monitor publiceert, stelt haar eigen toegankelijkheidsverklaring op via toegankelijkheidsverklaring.nl en linkt die vanaf deze pagina.",
                   "No full WCAG-EM evaluation has been done yet. An organisation that publishes this monitor draws up its own accessibility statement at toegankelijkheidsverklaring.nl and links it from this page.")) }
    };
    respond(
        &ctx,
        StatusCode::OK,
        layout(
            &ctx,
            ctx.t("Toegankelijkheid", "Accessibility"),
            Nav::None,
            body,
        ),
    )
}

/// An RFC 3339 time as people read it: `2026-12-07 15:27 UTC` (seconds and their fractions are
/// noise on a page).
fn minute_utc(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(day), Some(minute)) if rfc3339.ends_with('Z') => format!("{day} {minute} UTC"),
        (Some(day), Some(minute)) => format!("{day} {minute}"),
        _ => rfc3339.to_string(),
    }
}
