//! The groups of the report: an overview with the sources that named each group, the
//! candidate groups of the sponsor meeting, and a page per group.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kwm_model::catalogue::Catalogue;
use kwm_model::risk::{Group, GROUP_SOURCES};
use kwm_model::Level;
use kwm_monitor::risk::{self, GroupAreas};
use kwm_monitor::{query, MonitorError};
use maud::{html, Markup};

use super::risk_common::{
    capitalised, factor_label, indicator_label, level_singular, run_note, theme_label,
};
use super::stacking::themes_href;
use super::{error_page, layout, level_label, respond, Nav, PageCtx};
use crate::components::table::table_head;
use crate::state::AppState;

fn source_name(ctx: &PageCtx, s: &str) -> &'static str {
    match s {
        "MSP" => ctx.t(
            "Maatschappelijk Steunpakket (februari 2021)",
            "Social Support Package (February 2021)",
        ),
        "NndC" => ctx.t("Nederland na de Crisis", "Netherlands after the Crisis"),
        "KNAW" => ctx.t("studie van de KNAW", "study of the KNAW"),
        "Dept" => ctx.t("departementen", "ministries"),
        "Veld" => ctx.t("veldpartijen", "field parties"),
        _ => "",
    }
}

fn status_text(ctx: &PageCtx, g: &Group) -> &'static str {
    if g.status == "nieuw" {
        ctx.t(
            "nieuw kwetsbaar door de crisis",
            "newly vulnerable through the crisis",
        )
    } else {
        ctx.t("bestaande kwetsbare groep", "existing vulnerable group")
    }
}

/// `GET /groepen`
pub async fn overview(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let c = state.catalogue();
    let title = ctx.t("Kwetsbare groepen", "Vulnerable groups");
    let body = html! {
        h1 { (title) }
        p.lead {
            (ctx.t("Twaalf groepen die het rapport Herstelopgave Kwetsbare Groepen (2021) noemt, met de bronnen die hen noemden. Tien ervan hebben meerdere bekende risicokenmerken; twee zijn nieuw kwetsbaar door de crisis. Het rapport erkent dat de lijst mogelijk niet volledig is en dat groepen overlappen.",
                   "Twelve groups named by the report of the recovery task on vulnerable groups (2021), with the sources that named them. Ten have several known risk characteristics; two are newly vulnerable through the crisis. The report acknowledges the list may be incomplete and that groups overlap."))
        }
        p.note {
            (ctx.t("De monitor beschrijft groepen met tabellen over gebieden. Hij wijst nooit personen aan als lid van een groep.",
                   "The monitor describes groups with tables about areas. It never identifies persons as members of a group."))
        }
        div.table-scroll.full tabindex="0" role="region" aria-labelledby="groups-caption" {
            table.data.groups {
                caption #groups-caption { (ctx.t("De twaalf groepen en wie ze noemde", "The twelve groups and who named them")) }
                thead { tr {
                    th scope="col" { (ctx.t("Nr", "No")) }
                    th scope="col" { (ctx.t("Groep", "Group")) }
                    @for s in GROUP_SOURCES { th scope="col" { abbr title=(source_name(&ctx, s)) { (s) } } }
                    th scope="col" { (ctx.t("Kenmerken die typisch samenkomen", "Characteristics that typically stack")) }
                } }
                tbody {
                    @for g in &c.risk.groups {
                        tr {
                            td.num { (g.number) }
                            th scope="row" {
                                a href=(format!("/groepen/{}", g.id)) { (ctx.t(&g.label_nl, &g.label_en)) }
                                span.meta { (status_text(&ctx, g)) }
                            }
                            @for s in GROUP_SOURCES {
                                td.mark {
                                    @if g.named_by.iter().any(|x| x == s) {
                                        span aria-hidden="true" { "✓" }
                                        span.visually-hidden { (ctx.t("genoemd door ", "named by ")) (s) }
                                    } @else {
                                        span.visually-hidden { (ctx.t("niet genoemd door ", "not named by ")) (s) }
                                    }
                                }
                            }
                            td { (g.characteristics.iter().map(|id| factor_label(&ctx, c, id)).collect::<Vec<_>>().join(", ")) }
                        }
                    }
                }
            }
        }
        p.meta {
            @for (i, s) in GROUP_SOURCES.iter().enumerate() {
                @if i > 0 { " · " }
                strong { (s) } " = " (source_name(&ctx, s))
            }
        }
        h2 { (ctx.t("Kandidaatgroepen uit het sponsoroverleg", "Candidate groups from the sponsor meeting")) }
        p { (ctx.t("Het sponsoroverleg van SZW, VWS, BZK, OCW en LNV (13 september 2021) koos 5 tot 7 groepen uit deze lijst. Wat ervan terechtkwam in de eindlijst:",
                   "The sponsor meeting of SZW, VWS, BZK, OCW and LNV (13 September 2021) chose 5 to 7 groups from this list. What became of them in the final list:")) }
        div.table-scroll.full tabindex="0" role="region" aria-labelledby="candidates-caption" {
            table.data {
                caption #candidates-caption { (ctx.t("Kandidaatgroepen", "Candidate groups")) }
                (table_head(&ctx, &[("Voorgesteld", "Proposed"), ("In de eindlijst", "In the final list")]))
                tbody {
                    @for k in &c.risk.candidates {
                        tr {
                            th scope="row" { (ctx.t(&k.label_nl, &k.label_en)) }
                            td {
                                @match k.group.as_deref().and_then(|id| c.risk.group(id)) {
                                    Some(g) => { a href=(format!("/groepen/{}", g.id)) { (g.number) ". " (ctx.t(&g.label_nl, &g.label_en)) } }
                                    None => { span.status { (ctx.t(&k.note_nl, &k.note_en)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    respond(&ctx, StatusCode::OK, layout(&ctx, title, Nav::Groups, body))
}

/// `GET /groepen/{id}`
pub async fn page(State(state): State<AppState>, Path(id): Path<String>, ctx: PageCtx) -> Response {
    let Some(g) = state.catalogue().risk.group(&id).cloned() else {
        return error_page(
            &ctx,
            &MonitorError::NotFound(format!(
                "{} '{id}'",
                ctx.t("Onbekende groep", "Unknown group")
            )),
        );
    };
    // `?gemeente=GM…` cuts the areas to that gemeente's wijken (or `level=buurt`, buurten):
    // where in a city the group's characteristics stack, the question of local outreach.
    let within = match ctx.params.get("gemeente").filter(|v| !v.is_empty()) {
        None => None,
        Some(raw) => match query::parse_region(raw) {
            Ok(code) => Some(code),
            Err(e) => return error_page(&ctx, &e),
        },
    };
    let level = match (&within, ctx.params.get("level").map(String::as_str)) {
        (None, _) => Level::Gemeente,
        (Some(_), Some("buurt")) => Level::Buurt,
        (Some(_), _) => Level::Wijk,
    };
    let catalogue = state.catalogue().clone();
    let group_id = g.id.clone();
    let cut = within.clone();
    let areas = state
        .query(move |s| {
            match risk::group_areas(s, &catalogue, &group_id, level, None, cut.as_ref()) {
                Ok(a) => Ok(Some(a)),
                // No results at all for the level is said on the page; a gemeente without
                // wijken or buurten in the results is an unknown part, said as an error.
                Err(MonitorError::NotFound(_)) if cut.is_none() => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await;
    match areas {
        Ok(areas) => {
            let c = state.catalogue();
            let title = ctx.t(&g.label_nl, &g.label_en).to_string();
            respond(
                &ctx,
                StatusCode::OK,
                layout(
                    &ctx,
                    &title,
                    Nav::Groups,
                    group_body(&ctx, c, &g, level, areas.as_ref()),
                ),
            )
        }
        Err(e) => error_page(&ctx, &e),
    }
}

fn group_body(
    ctx: &PageCtx,
    c: &Catalogue,
    g: &Group,
    level: Level,
    areas: Option<&GroupAreas>,
) -> Markup {
    let within = areas.and_then(|a| a.within.as_ref());
    let place = within.map(|w| w.name.clone().unwrap_or_else(|| w.gemeente.to_string()));
    let areas_title = match &place {
        None => ctx
            .t(
                "Gemeenten waar deze kenmerken samenkomen",
                "Municipalities where these characteristics stack",
            )
            .to_string(),
        Some(place) => format!(
            "{} {} {place} {}",
            capitalised(level_label(ctx.lang, level)),
            ctx.t("in", "in"),
            ctx.t(
                "waar deze kenmerken samenkomen",
                "where these characteristics stack"
            )
        ),
    };
    let level_words = level_label(ctx.lang, level);
    let api = match within {
        None => format!("/api/groups/{}", g.id),
        Some(w) => format!(
            "/api/groups/{}?level={}&gemeente={}",
            g.id,
            level.as_str(),
            w.gemeente
        ),
    };
    html! {
        nav.breadcrumb aria-label=(ctx.t("Kruimelpad", "Breadcrumb")) {
            ol {
                li { a href="/groepen" { (ctx.t("Groepen", "Groups")) } }
                li aria-current="page" { (ctx.t(&g.label_nl, &g.label_en)) }
            }
        }
        h1 { (ctx.t(&g.label_nl, &g.label_en)) }
        p.lead { (ctx.t("Groep", "Group")) " " (g.number) " · " (status_text(ctx, g)) }
        p { (ctx.t(&g.description_nl, &g.description_en)) }
        div.group-facts {
            section aria-labelledby="named-title" {
                h2 #named-title { (ctx.t("Genoemd door", "Named by")) }
                ul { @for s in &g.named_by { li { strong { (s) } " — " (source_name(ctx, s)) } } }
            }
            section aria-labelledby="chars-title" {
                h2 #chars-title { (ctx.t("Kenmerken die typisch samenkomen", "Characteristics that typically stack")) }
                ul {
                    @for id in &g.characteristics {
                        li {
                            (factor_label(ctx, c, id))
                            @if let Some(a) = areas {
                                @if a.gaps.contains(id) { " — " span.gap { (ctx.t("gat: niet gemeten voor ", "gap: not measured for ")) (level_words) " " (ctx.t("in", "in")) " " (a.run.record.period) } }
                            }
                        }
                    }
                }
                @if !g.themes.is_empty() {
                    p { strong { (ctx.t("Thema's", "Themes")) ": " } (g.themes.iter().map(|t| theme_label(ctx, c, t)).collect::<Vec<_>>().join(", ")) }
                }
            }
        }
        section aria-labelledby="policy-title" {
            h2 #policy-title { (ctx.t("Lopend beleid en acties", "Running policies and actions")) }
            @if g.policies.is_empty() { p.status { (ctx.t("Het rapport noemt geen lopend beleid.", "The report names no running policies.")) } }
            ul { @for p in &g.policies { li { (p) } } }
            p {
                strong { (ctx.t("Betrokken directie", "Directorate involved")) ": " }
                @if g.directorates.is_empty() { span.status { (ctx.t("niet genoemd in het rapport", "not named in the report")) } }
                @else { (g.directorates.join("; ")) }
            }
            p.meta { (ctx.t("Beleid zoals het rapport het in 2021 beschreef; (Nederlandstalige) namen van regelingen en programma's.", "Policies as the report described them in 2021; names of schemes and programmes in Dutch.")) }
        }
        (super::agenda::group_recommendations(ctx, c, &g.id))
        section aria-labelledby="data-title" {
            h2 #data-title { (ctx.t("Bronnen en cijfers", "Sources and figures")) }
            @if g.data_sources.is_empty() { p.status { (ctx.t("Het rapport noemt geen databronnen voor deze groep.", "The report names no data sources for this group.")) } }
            ul { @for d in &g.data_sources { li { (d) } } }
            @if !g.indicators.is_empty() {
                p { (ctx.t("Indicatoren in deze monitor die de situatie per gebied beschrijven:", "Indicators in this monitor that describe the situation per area:")) }
                ul {
                    @for i in &g.indicators {
                        li { a href=(format!("/?indicator={i}")) { (indicator_label(ctx, c, i.as_str())) }
                            @if let Some(p) = c.population_of(i.as_str()) { " " span.meta { (ctx.t(&p.label_nl, &p.label_en)) } } }
                    }
                }
            }
        }
        section aria-labelledby="areas-title" {
            h2 #areas-title { (areas_title) }
            p.note { (ctx.t("Dit zijn gebieden waar de kenmerken die bij deze groep horen gemarkeerd zijn. Het zegt niet waar leden van de groep wonen: de monitor wijst nooit personen aan.",
                            "These are areas where the characteristics that belong to this group are flagged. It does not say where members of the group live: the monitor never identifies persons.")) }
            @if let Some(w) = within {
                p.within {
                    (ctx.t("Markeringen zijn die van heel Nederland: een kenmerk is gemarkeerd als het gebied bij de ongunstigste van alle ", "Flags are those of the whole country: a characteristic is flagged when the area is among the least favourable of all "))
                    (level_words) (ctx.t(" hoort. ", ". "))
                    a href=(format!("/stapeling?level={}&gemeente={}", level.as_str(), w.gemeente)) { (ctx.t("Stapeling in ", "Stacking in ")) (place.clone().unwrap_or_default()) }
                    " · "
                    @if level == Level::Wijk {
                        a href=(ctx.url_with(&[("level", Some("buurt"))])) { (ctx.t("per buurt", "per buurt")) }
                    } @else {
                        a href=(ctx.url_with(&[("level", Some("wijk"))])) { (ctx.t("per wijk", "per wijk")) }
                    }
                    " · "
                    a href=(format!("/groepen/{}", g.id)) { (ctx.t("alle gemeenten", "all municipalities")) }
                }
            }
            @match areas {
                None => p { (ctx.t("Er zijn nog geen stapelingsresultaten op gemeenteniveau; bereken ze met ", "There are no stacking results at municipal level yet; compute them with ")) code { "kwm compute" } "." }
                Some(a) if a.measured.is_empty() => p { (ctx.t("Geen van de kenmerken van deze groep is gemeten voor ", "None of this group's characteristics is measured for ")) (level_words) (ctx.t(" in ", " in ")) (a.run.record.period) "." }
                Some(a) => {
                    (run_note(ctx, &a.run))
                    p {
                        strong { (ctx.t("Over wie", "About whom")) ": " }
                        (a.populations.iter().filter_map(|p| c.population(p)).map(|p| ctx.t(&p.label_nl, &p.label_en).to_string()).collect::<Vec<_>>().join(", "))
                        @if let Some(wanted) = g.population.as_deref().and_then(|p| c.population(p)) {
                            @if !a.populations.iter().any(|p| p == &wanted.id) {
                                " — " (ctx.t("de kenmerken zijn niet apart gemeten voor ", "the characteristics are not measured separately for ")) (ctx.t(&wanted.label_nl, &wanted.label_en)) (ctx.t("; de indicatoren hierboven wel, waar genoemd.", "; the indicators above are, where stated."))
                            }
                        }
                    }
                    p { (ctx.t("Gemeten", "Measured")) ": " (a.measured.iter().map(|id| factor_label(ctx, c, id)).collect::<Vec<_>>().join(", ")) ". "
                        (a.areas.len()) " " (level_words) " " (ctx.t("hebben er minstens één gemarkeerd.", "have at least one flagged.")) }
                    div.table-scroll.full tabindex="0" role="region" aria-labelledby="areas-title" {
                        table.data {
                            thead { tr {
                                th scope="col" { (capitalised(level_singular(ctx, level))) }
                                th scope="col" { (ctx.t("Gemarkeerd", "Flagged")) }
                                th scope="col" { (ctx.t("Welke", "Which")) }
                            } }
                            tbody {
                                @for x in a.areas.iter().take(25) {
                                    tr {
                                        th scope="row" { a href=(themes_href(x.code.as_str(), a.run.record.period)) { (x.name.clone().unwrap_or_else(|| x.code.to_string())) } }
                                        td.num { (x.flagged.len()) " / " (a.measured.len()) }
                                        td { (x.flagged.iter().map(|id| factor_label(ctx, c, id)).collect::<Vec<_>>().join(", ")) }
                                    }
                                }
                            }
                        }
                    }
                    @if a.areas.len() > 25 { p.meta { (ctx.t("De eerste 25; alle staan in ", "The first 25; all are in ")) a href=(api.as_str()) { (api) } "." } }
                }
            }
        }
    }
}
