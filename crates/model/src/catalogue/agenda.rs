//! `agenda.toml`: the policy agenda ([`crate::agenda::Agenda`]), checked against the
//! indicators, the risk model and the region sets.

use std::collections::HashSet;

use serde::Deserialize;
use toml::Spanned;

use super::diag::{check_id, known_indicator, or_nl, Ctx};
use super::{CatalogueError, CatalogueFile, CatalogueIndicator};
use crate::agenda::{
    Agenda, Condition, EffectParams, Expect, FollowUp, FollowUpRow, Herstelopgave, IndicatorLink,
    Overarching, Party, Point, Programme, Recommendation, RegionSet, StartMonth, Task, Text,
    PARTY_KINDS, PROGRAMME_SCOPES,
};
use crate::risk::RiskModel;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgendaFile {
    #[serde(default)]
    agenda: Option<RawAgendaMeta>,
    #[serde(default)]
    effect: Option<RawEffect>,
    #[serde(default)]
    task: Vec<RawTask>,
    #[serde(default)]
    condition: Vec<RawCondition>,
    #[serde(default)]
    principle: Vec<RawPrinciple>,
    #[serde(default)]
    programme: Vec<RawProgramme>,
    #[serde(default)]
    party: Vec<RawParty>,
    #[serde(default)]
    recommendation: Vec<RawRecommendation>,
    #[serde(default)]
    follow_up: Option<RawFollowUp>,
    #[serde(default)]
    herstelopgave: Vec<RawHerstelopgave>,
    #[serde(default)]
    overarching: Vec<RawOverarching>,
    #[serde(default)]
    follow_up_row: Vec<RawFollowUpRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgendaMeta {
    title_nl: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    source_nl: String,
    #[serde(default)]
    source_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEffect {
    min_population: Option<Spanned<f64>>,
    min_targets: Option<Spanned<i64>>,
    min_comparisons: Option<Spanned<i64>>,
    confidence: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTask {
    id: Spanned<String>,
    number: Spanned<u32>,
    chapter: u32,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    description_nl: String,
    #[serde(default)]
    description_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    letter: String,
    text_nl: String,
    #[serde(default)]
    text_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrinciple {
    text_nl: String,
    #[serde(default)]
    text_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProgramme {
    id: Spanned<String>,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    scope: Spanned<String>,
    #[serde(default)]
    note_nl: String,
    #[serde(default)]
    note_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParty {
    id: Spanned<String>,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    kind: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicatorLink {
    indicator: Spanned<String>,
    expect: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPoint {
    letter: Spanned<String>,
    text_nl: String,
    #[serde(default)]
    text_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecommendation {
    id: Spanned<String>,
    number: Spanned<u32>,
    task: Spanned<String>,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    summary_nl: String,
    #[serde(default)]
    summary_en: String,
    #[serde(default)]
    point: Vec<RawPoint>,
    #[serde(default)]
    programmes: Vec<Spanned<String>>,
    #[serde(default)]
    parties: Vec<Spanned<String>>,
    #[serde(default)]
    groups: Vec<Spanned<String>>,
    #[serde(default)]
    characteristics: Vec<Spanned<String>>,
    #[serde(default)]
    indicators: Vec<RawIndicatorLink>,
    region_set: Option<Spanned<String>>,
    start: Option<Spanned<String>>,
    #[serde(default)]
    start_note_nl: String,
    #[serde(default)]
    start_note_en: String,
    #[serde(default)]
    radar: bool,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    link_note_nl: String,
    #[serde(default)]
    link_note_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFollowUp {
    #[serde(default)]
    date: String,
    #[serde(default)]
    request_nl: String,
    #[serde(default)]
    request_en: String,
    #[serde(default)]
    findings: Vec<Text>,
    #[serde(default)]
    principles: Vec<Text>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHerstelopgave {
    number: Spanned<u32>,
    label_nl: String,
    #[serde(default)]
    label_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverarching {
    number: Spanned<u32>,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    points: Vec<Text>,
    #[serde(default)]
    programmes: Vec<Spanned<String>>,
    #[serde(default)]
    recommendations: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFollowUpRow {
    herstelopgave: Spanned<u32>,
    number: Spanned<u32>,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    points: Vec<Text>,
    #[serde(default)]
    recommendations: Vec<Spanned<String>>,
    #[serde(default)]
    programmes: Vec<Spanned<String>>,
    #[serde(default)]
    parties: Vec<Spanned<String>>,
    #[serde(default)]
    lead: Vec<Spanned<String>>,
    #[serde(default)]
    lead_note_nl: String,
    #[serde(default)]
    lead_note_en: String,
}

/// Checks every id of a list against the known ones; returns them as plain strings.
fn known_ids(
    ctx: &Ctx<'_>,
    raw: Vec<Spanned<String>>,
    field: &str,
    what: &str,
    where_: &str,
    known: &dyn Fn(&str) -> bool,
) -> Result<Vec<String>, CatalogueError> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for r in raw {
        if !known(r.get_ref()) {
            return Err(ctx.err(
                r.span().start,
                field,
                format!("unknown {what} '{}' (not in {where_})", r.get_ref()),
            ));
        }
        if out.contains(r.get_ref()) {
            return Err(ctx.err(
                r.span().start,
                field,
                format!("{what} '{}' is listed twice", r.get_ref()),
            ));
        }
        out.push(r.into_inner());
    }
    Ok(out)
}

fn unique_number(
    ctx: &Ctx<'_>,
    seen: &mut HashSet<(u32, u32)>,
    key: (u32, u32),
    span_start: usize,
    what: &str,
) -> Result<(), CatalogueError> {
    if key.1 == 0 || !seen.insert(key) {
        return Err(ctx.err(
            span_start,
            "number",
            format!("expected a unique {what} number from 1, found {}", key.1),
        ));
    }
    Ok(())
}

/// Parses and validates `agenda.toml` against the indicators, the risk model (characteristics,
/// protective factors, groups) and the region sets.
pub(crate) fn parse_agenda(
    file: &CatalogueFile,
    indicators: &[CatalogueIndicator],
    risk: &RiskModel,
    region_sets: &[RegionSet],
) -> Result<Agenda, CatalogueError> {
    let ctx = Ctx { file };
    let raw: RawAgendaFile = ctx.parse()?;
    let mut agenda = Agenda::default();
    if let Some(m) = raw.agenda {
        agenda.title_en = or_nl(m.title_en, &m.title_nl);
        agenda.title_nl = m.title_nl;
        agenda.source_en = or_nl(m.source_en, &m.source_nl);
        agenda.source_nl = m.source_nl;
    }
    if let Some(e) = raw.effect {
        agenda.effect = parse_effect(&ctx, e)?;
    }

    let mut numbers = HashSet::new();
    for t in raw.task {
        check_id(&ctx, &t.id, "task")?;
        if agenda.task(t.id.get_ref()).is_some() {
            return Err(ctx.duplicate(&t.id, "task"));
        }
        unique_number(
            &ctx,
            &mut numbers,
            (0, *t.number.get_ref()),
            t.number.span().start,
            "task",
        )?;
        agenda.tasks.push(Task {
            id: t.id.into_inner(),
            number: t.number.into_inner(),
            chapter: t.chapter,
            label_en: or_nl(t.label_en, &t.label_nl),
            label_nl: t.label_nl,
            description_en: or_nl(t.description_en, &t.description_nl),
            description_nl: t.description_nl,
        });
    }
    agenda.tasks.sort_by_key(|t| t.number);
    for c in raw.condition {
        agenda.conditions.push(Condition {
            letter: c.letter,
            text: Text {
                en: or_nl(c.text_en, &c.text_nl),
                nl: c.text_nl,
            },
        });
    }
    for p in raw.principle {
        agenda.principles.push(Text {
            en: or_nl(p.text_en, &p.text_nl),
            nl: p.text_nl,
        });
    }
    for p in raw.programme {
        check_id(&ctx, &p.id, "programme")?;
        if agenda.programme(p.id.get_ref()).is_some() {
            return Err(ctx.duplicate(&p.id, "programme"));
        }
        ctx.one_of(&p.scope, "scope", &PROGRAMME_SCOPES)?;
        agenda.programmes.push(Programme {
            id: p.id.into_inner(),
            label_en: or_nl(p.label_en, &p.label_nl),
            label_nl: p.label_nl,
            scope: p.scope.into_inner(),
            note_en: or_nl(p.note_en, &p.note_nl),
            note_nl: p.note_nl,
        });
    }
    for p in raw.party {
        check_id(&ctx, &p.id, "party")?;
        if agenda.party(p.id.get_ref()).is_some() {
            return Err(ctx.duplicate(&p.id, "party"));
        }
        ctx.one_of(&p.kind, "kind", &PARTY_KINDS)?;
        agenda.parties.push(Party {
            id: p.id.into_inner(),
            label_en: or_nl(p.label_en, &p.label_nl),
            label_nl: p.label_nl,
            kind: p.kind.into_inner(),
        });
    }

    // Sets of known ids, so the checks below do not hold a borrow of the agenda being built.
    let programme_ids: HashSet<String> = agenda.programmes.iter().map(|p| p.id.clone()).collect();
    let party_ids: HashSet<String> = agenda.parties.iter().map(|p| p.id.clone()).collect();
    let task_ids: HashSet<String> = agenda.tasks.iter().map(|t| t.id.clone()).collect();
    let programme_known = |id: &str| programme_ids.contains(id);
    let party_known = |id: &str| party_ids.contains(id);
    let group_known = |id: &str| risk.group(id).is_some();
    let factor_known = |id: &str| risk.factor(id).is_some();
    let task_known = |id: &str| task_ids.contains(id);
    let mut recommendations = Vec::new();
    let mut numbers = HashSet::new();
    let mut ids = HashSet::new();
    for r in raw.recommendation {
        check_id(&ctx, &r.id, "recommendation")?;
        if !ids.insert(r.id.get_ref().clone()) {
            return Err(ctx.duplicate(&r.id, "recommendation"));
        }
        unique_number(
            &ctx,
            &mut numbers,
            (0, *r.number.get_ref()),
            r.number.span().start,
            "recommendation",
        )?;
        if !task_known(r.task.get_ref()) {
            return Err(ctx.err(
                r.task.span().start,
                "task",
                format!("unknown task '{}' (not a [[task]] id)", r.task.get_ref()),
            ));
        }
        let mut points: Vec<Point> = Vec::new();
        for p in r.point {
            let l = p.letter.get_ref();
            let ok = l.len() == 1 && l.as_bytes()[0].is_ascii_lowercase();
            if !ok || points.iter().any(|x| &x.letter == l) {
                return Err(ctx.err(
                    p.letter.span().start,
                    "letter",
                    format!("expected a unique lower-case letter, found '{l}'"),
                ));
            }
            points.push(Point {
                letter: p.letter.into_inner(),
                text_en: or_nl(p.text_en, &p.text_nl),
                text_nl: p.text_nl,
            });
        }
        let mut links: Vec<IndicatorLink> = Vec::new();
        for l in r.indicators {
            let ind = known_indicator(&ctx, indicators, &l.indicator, "indicators")?;
            let expect = match l.expect.get_ref().as_str() {
                "lower" => Expect::Lower,
                "higher" => Expect::Higher,
                other => {
                    return Err(ctx.err(
                        l.expect.span().start,
                        "expect",
                        format!("expected lower or higher, found '{other}'"),
                    ))
                }
            };
            if links.iter().any(|x| x.indicator == ind.indicator.id) {
                return Err(ctx.err(
                    l.indicator.span().start,
                    "indicators",
                    format!("indicator '{}' is listed twice", ind.indicator.id),
                ));
            }
            links.push(IndicatorLink {
                indicator: ind.indicator.id.clone(),
                expect,
            });
        }
        if let Some(s) = &r.region_set {
            if !region_sets.iter().any(|x| &x.id == s.get_ref()) {
                return Err(ctx.err(
                    s.span().start,
                    "region_set",
                    format!(
                        "unknown region set '{}' (not in region_sets.toml)",
                        s.get_ref()
                    ),
                ));
            }
        }
        let start = match &r.start {
            None => None,
            Some(s) => Some(StartMonth::parse(s.get_ref()).ok_or_else(|| {
                ctx.err(
                    s.span().start,
                    "start",
                    format!("expected a month like 2022-07, found '{}'", s.get_ref()),
                )
            })?),
        };
        if r.region_set.is_some() != start.is_some() {
            let at = r
                .region_set
                .as_ref()
                .map(|s| s.span().start)
                .or(r.start.as_ref().map(|s| s.span().start))
                .unwrap_or(r.id.span().start);
            return Err(ctx.err(
                at,
                "start",
                "region_set and start go together: an effect view needs target regions and the month the programme started",
            ));
        }
        recommendations.push(Recommendation {
            programmes: known_ids(
                &ctx,
                r.programmes,
                "programmes",
                "programme",
                "[[programme]]",
                &programme_known,
            )?,
            parties: known_ids(
                &ctx,
                r.parties,
                "parties",
                "party",
                "[[party]]",
                &party_known,
            )?,
            groups: known_ids(
                &ctx,
                r.groups,
                "groups",
                "group",
                "groups.toml",
                &group_known,
            )?,
            characteristics: known_ids(
                &ctx,
                r.characteristics,
                "characteristics",
                "characteristic or protective factor",
                "characteristics.toml",
                &factor_known,
            )?,
            id: r.id.into_inner(),
            number: r.number.into_inner(),
            task: r.task.into_inner(),
            label_en: or_nl(r.label_en, &r.label_nl),
            label_nl: r.label_nl,
            summary_en: or_nl(r.summary_en, &r.summary_nl),
            summary_nl: r.summary_nl,
            points,
            indicators: links,
            region_set: r.region_set.map(Spanned::into_inner),
            start,
            start_note_en: or_nl(r.start_note_en, &r.start_note_nl),
            start_note_nl: r.start_note_nl,
            radar: r.radar,
            sources: r.sources,
            link_note_en: or_nl(r.link_note_en, &r.link_note_nl),
            link_note_nl: r.link_note_nl,
        });
    }
    recommendations.sort_by_key(|r| r.number);
    let recommendation_ids: HashSet<String> =
        recommendations.iter().map(|r| r.id.clone()).collect();
    agenda.recommendations = recommendations;
    let recommendation_known = |id: &str| recommendation_ids.contains(id);

    if let Some(f) = raw.follow_up {
        agenda.follow_up = FollowUp {
            date: f.date,
            request_en: or_nl(f.request_en, &f.request_nl),
            request_nl: f.request_nl,
            findings: f.findings,
            principles: f.principles,
        };
    }
    let mut numbers = HashSet::new();
    for h in raw.herstelopgave {
        unique_number(
            &ctx,
            &mut numbers,
            (0, *h.number.get_ref()),
            h.number.span().start,
            "herstelopgave",
        )?;
        agenda.herstelopgaven.push(Herstelopgave {
            number: h.number.into_inner(),
            label_en: or_nl(h.label_en, &h.label_nl),
            label_nl: h.label_nl,
        });
    }
    let mut overarching = Vec::new();
    let mut numbers = HashSet::new();
    for o in raw.overarching {
        unique_number(
            &ctx,
            &mut numbers,
            (0, *o.number.get_ref()),
            o.number.span().start,
            "overarching recommendation",
        )?;
        overarching.push(Overarching {
            number: o.number.into_inner(),
            label_en: or_nl(o.label_en, &o.label_nl),
            label_nl: o.label_nl,
            points: o.points,
            programmes: known_ids(
                &ctx,
                o.programmes,
                "programmes",
                "programme",
                "[[programme]]",
                &programme_known,
            )?,
            recommendations: known_ids(
                &ctx,
                o.recommendations,
                "recommendations",
                "recommendation",
                "[[recommendation]]",
                &recommendation_known,
            )?,
        });
    }
    let mut rows = Vec::new();
    let mut numbers = HashSet::new();
    for r in raw.follow_up_row {
        let opgave = *r.herstelopgave.get_ref();
        if !agenda.herstelopgaven.iter().any(|h| h.number == opgave) {
            return Err(ctx.err(
                r.herstelopgave.span().start,
                "herstelopgave",
                format!("unknown herstelopgave {opgave} (not a [[herstelopgave]] number)"),
            ));
        }
        unique_number(
            &ctx,
            &mut numbers,
            (opgave, *r.number.get_ref()),
            r.number.span().start,
            "row",
        )?;
        let parties = known_ids(
            &ctx,
            r.parties,
            "parties",
            "party",
            "[[party]]",
            &party_known,
        )?;
        for l in &r.lead {
            if !parties.contains(l.get_ref()) {
                return Err(ctx.err(
                    l.span().start,
                    "lead",
                    format!(
                        "lead party '{}' is not among the row's parties",
                        l.get_ref()
                    ),
                ));
            }
        }
        rows.push(FollowUpRow {
            herstelopgave: opgave,
            number: r.number.into_inner(),
            label_en: or_nl(r.label_en, &r.label_nl),
            label_nl: r.label_nl,
            points: r.points,
            recommendations: known_ids(
                &ctx,
                r.recommendations,
                "recommendations",
                "recommendation",
                "[[recommendation]]",
                &recommendation_known,
            )?,
            programmes: known_ids(
                &ctx,
                r.programmes,
                "programmes",
                "programme",
                "[[programme]]",
                &programme_known,
            )?,
            parties,
            lead: r.lead.into_iter().map(Spanned::into_inner).collect(),
            lead_note_en: or_nl(r.lead_note_en, &r.lead_note_nl),
            lead_note_nl: r.lead_note_nl,
        });
    }
    agenda.overarching = overarching;
    agenda.follow_up_rows = rows;
    Ok(agenda)
}

fn parse_effect(ctx: &Ctx<'_>, e: RawEffect) -> Result<EffectParams, CatalogueError> {
    let mut p = EffectParams::default();
    if let Some(v) = e.min_population {
        if v.get_ref().is_nan() || *v.get_ref() < 0.0 {
            return Err(ctx.err(
                v.span().start,
                "effect.min_population",
                format!("expected a number of residents ≥ 0, found {}", v.get_ref()),
            ));
        }
        p.min_population = *v.get_ref();
    }
    for (v, field, target) in [
        (e.min_targets, "effect.min_targets", &mut p.min_targets),
        (
            e.min_comparisons,
            "effect.min_comparisons",
            &mut p.min_comparisons,
        ),
    ] {
        if let Some(v) = v {
            // Two regions per side is the least a spread (and so an interval) can be taken from.
            if *v.get_ref() < 2 {
                return Err(ctx.err(
                    v.span().start,
                    field,
                    format!("expected at least 2 regions, found {}", v.get_ref()),
                ));
            }
            *target = *v.get_ref() as usize;
        }
    }
    if let Some(v) = e.confidence {
        if !(*v.get_ref() > 0.5 && *v.get_ref() < 1.0) {
            return Err(ctx.err(
                v.span().start,
                "effect.confidence",
                format!(
                    "expected a confidence level between 0.5 and 1, found {}",
                    v.get_ref()
                ),
            ));
        }
        p.confidence = *v.get_ref();
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::super::region_sets::parse_region_sets;
    use super::*;
    use crate::Level;

    #[test]
    fn start_months_split_years_into_before_during_and_after() {
        let s = StartMonth::parse("2022-07").unwrap();
        assert!(s.is_before(2021) && !s.is_before(2022));
        // July 2022: the year 2022 is partly exposed, so it is neither before nor after.
        assert!(!s.is_after(2022) && s.is_after(2023));
        let jan = StartMonth::parse("2022-01").unwrap();
        assert!(jan.is_after(2022) && !jan.is_before(2022));
        assert_eq!(s.to_string(), "2022-07");
        for bad in ["2022", "2022-13", "22-07", "2022-7", "abcd-ef"] {
            assert!(StartMonth::parse(bad).is_none(), "{bad}");
        }
    }

    fn file(name: &str, text: &str) -> CatalogueFile {
        CatalogueFile {
            name: name.into(),
            text: text.into(),
        }
    }

    #[test]
    fn region_set_errors_name_line_and_field() {
        let ok = parse_region_sets(&file(
            "region_sets.toml",
            "[[region_set]]\nid = \"s\"\nlabel_nl = \"S\"\n[[region_set.area]]\nname = \"A\"\ngemeente = \"GM0363\"\nwijken = [\"WK036393\"]\n",
        ))
        .unwrap();
        assert_eq!(ok[0].codes_at(Level::Wijk).len(), 1);
        assert_eq!(ok[0].codes_at(Level::Gemeente).len(), 1);
        assert!(ok[0].codes_at(Level::Buurt).is_empty());
        let e = parse_region_sets(&file(
            "region_sets.toml",
            "[[region_set]]\nid = \"s\"\nlabel_nl = \"S\"\n[[region_set.area]]\nname = \"A\"\ngemeente = \"GM0363\"\nwijken = [\"WK059910\"]\n",
        ))
        .unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (7, Some("wijken")));
        assert!(e.message.contains("does not lie in"), "{e}");
        let e = parse_region_sets(&file(
            "region_sets.toml",
            "[[region_set]]\nid = \"s\"\nlabel_nl = \"S\"\n[[region_set.area]]\nname = \"A\"\ngemeente = \"WK036300\"\n",
        ))
        .unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (6, Some("gemeente")));
    }
}
