//! The agenda, region sets and radar of the default catalogue: their content against the
//! sources they were taken from, no personal names, and errors with file, line and field when
//! they are edited wrongly.

use kwm_model::catalogue::{Catalogue, CatalogueError, CatalogueFile};
use kwm_model::Level;
use kwm_testkit::repo;

fn files() -> Vec<CatalogueFile> {
    kwm_monitor::catalogue::EMBEDDED
        .iter()
        .map(|(n, t)| CatalogueFile {
            name: n.to_string(),
            text: t.to_string(),
        })
        .collect()
}

#[test]
fn the_agenda_holds_the_reports_recommendations_and_sub_points() {
    let c = kwm_monitor::catalogue::embedded().unwrap();
    let a = &c.agenda;
    let numbers: Vec<u32> = a.recommendations.iter().map(|r| r.number).collect();
    assert_eq!(numbers, (1..=9).collect::<Vec<_>>());
    // Sub-points per recommendation as lettered in chapters 10–13 (8 and 9 are bulleted there;
    // they are lettered here in the report's order).
    let points: Vec<usize> = a.recommendations.iter().map(|r| r.points.len()).collect();
    assert_eq!(points, vec![3, 7, 2, 5, 2, 4, 2, 5, 5]);
    // Tasks: recommendations 1–3, 4, 5–7, 8–9 (§9).
    let task_of = |n: u32| {
        let r = a.recommendations.iter().find(|r| r.number == n).unwrap();
        a.task(&r.task).unwrap().number
    };
    assert_eq!(
        (1..=9).map(task_of).collect::<Vec<_>>(),
        vec![1, 1, 1, 2, 3, 3, 3, 4, 4]
    );
    // Every recommendation is covered by a row of the follow-up table of herstelopgave 1.
    for r in &a.recommendations {
        let rows = a.rows_for(&r.id);
        assert_eq!(rows.len(), 1, "{}", r.id);
        assert_eq!(rows[0].herstelopgave, 1);
        assert!(
            !r.programmes.is_empty() && !r.parties.is_empty(),
            "{}",
            r.id
        );
    }
    // The recommendations that 002 and 004 tie to the 16 pilot areas get the NPLV as targets.
    for id in [
        "hulpbronnen_lokaal",
        "participatie",
        "bestaanszekerheid",
        "radar_lokaal",
    ] {
        let r = a.recommendation(id).unwrap();
        assert_eq!(r.region_set.as_deref(), Some("nplv_focusgebieden"), "{id}");
        assert_eq!(r.start.unwrap().to_string(), "2022-07");
    }
    assert!(a.recommendation("radar_lokaal").unwrap().radar);
    // Groups link back: every group addressed by some recommendation exists, and the new groups
    // (long COVID, vaccination does not work) are addressed by 8 and 9.
    for g in ["langdurige_covid", "vaccinatie_werkt_niet"] {
        let recs: Vec<u32> = a.for_group(g).iter().map(|r| r.number).collect();
        assert!(recs.contains(&8) && recs.contains(&9), "{g}: {recs:?}");
    }
    println!(
        "agenda: {} tasks, {} recommendations, {} sub-points, {} programmes, {} parties, {} overarching, {} follow-up rows, {} group links, {} indicator links, {} characteristic links",
        a.tasks.len(),
        a.recommendations.len(),
        points.iter().sum::<usize>(),
        a.programmes.len(),
        a.parties.len(),
        a.overarching.len(),
        a.follow_up_rows.len(),
        a.recommendations.iter().map(|r| r.groups.len()).sum::<usize>(),
        a.recommendations.iter().map(|r| r.indicators.len()).sum::<usize>(),
        a.recommendations.iter().map(|r| r.characteristics.len()).sum::<usize>(),
    );
}

#[test]
fn no_personal_names_of_the_sources_are_in_the_catalogue() {
    // Names of persons that occur in the source documents (civil servants, politicians, a
    // mayor, people quoted). Parties are organisations; a motion or amendment is named by its
    // subject, never by its author.
    let names = [
        "Halsema",
        "Omtzigt",
        "Renkema",
        "Roscam",
        "Abbing",
        "Kuper",
        "Stinissen",
        "Schuurmans",
        "ten Brink",
        "Leij",
        "Zijlstra",
        "van der Hoeven",
        "Cremers",
        "wethouder Rip",
        "Wendela",
        "Elvira",
        "Wimke",
        "Tessa",
        "Ilse",
        "Coen",
        "Mike",
        "Nina",
    ];
    for (file, text) in kwm_monitor::catalogue::EMBEDDED {
        for name in names {
            let hit = text.match_indices(name).any(|(i, _)| {
                // Whole words only ("Nina" must not match inside another word).
                let before = text[..i].chars().last();
                let after = text[i + name.len()..].chars().next();
                !before.is_some_and(char::is_alphanumeric)
                    && !after.is_some_and(char::is_alphanumeric)
            });
            assert!(!hit, "{file} names a person: {name}");
        }
    }
}

#[test]
fn the_nplv_region_set_matches_the_shared_data_file() {
    let c = kwm_monitor::catalogue::embedded().unwrap();
    let set = c
        .region_sets
        .iter()
        .find(|s| s.id == "nplv_focusgebieden")
        .unwrap();
    let mut reader =
        csv::Reader::from_path(repo().join("data/nplv/nplv_focusgebieden.csv")).unwrap();
    let mut rows = 0;
    for record in reader.records() {
        let r = record.unwrap();
        rows += 1;
        let (name, gemeente, wijken) = (&r[1], &r[2], &r[4]);
        let area = set
            .areas
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("{name} missing from region_sets.toml"));
        assert_eq!(area.gemeente.as_str(), gemeente, "{name}");
        for w in wijken.split(';').filter(|w| !w.is_empty()) {
            assert!(
                area.wijken.iter().any(|x| x.as_str() == w),
                "{name}: {w} of the CSV is not listed"
            );
        }
        // Areas the CSV does not delimit stay gemeente-only (no invented wijken).
        if wijken.is_empty() {
            assert!(area.wijken.is_empty(), "{name}");
        }
    }
    assert_eq!(rows, 20);
    assert_eq!(set.areas.len(), 20);
    let gemeenten = set.codes_at(Level::Gemeente);
    assert_eq!(gemeenten.len(), 19, "20 focus areas in 19 gemeenten");
}

/// Parses the embedded catalogue with one file's text changed.
fn parse_with(file: &str, from: &str, to: &str) -> (Result<Catalogue, CatalogueError>, usize) {
    let mut files = files();
    let f = files.iter_mut().find(|f| f.name == file).unwrap();
    let at = f
        .text
        .find(from)
        .unwrap_or_else(|| panic!("'{from}' not in {file}"));
    let line = f.text[..at].matches('\n').count() + 1;
    f.text = f.text.replacen(from, to, 1);
    (Catalogue::parse(&files), line)
}

#[test]
fn mistakes_in_the_agenda_name_file_line_and_field() {
    let cases = [
        (
            "agenda.toml",
            "programmes = [\"sv_pilotlabs\", \"gezondin\"",
            "programmes = [\"sv_pilotlab\", \"gezondin\"",
            "programmes",
            "unknown programme",
        ),
        (
            "agenda.toml",
            "groups = [\"eenzame_ouderen\", \"isolement\", \"kwetsbare_jongeren\", \"mbo_1_2\"",
            "groups = [\"eenzame_oudere\", \"isolement\", \"kwetsbare_jongeren\", \"mbo_1_2\"",
            "groups",
            "unknown group",
        ),
        (
            "agenda.toml",
            "{ indicator = \"kwb_laag_inkomen\", expect = \"lower\" }",
            "{ indicator = \"kwb_laag_inkomn\", expect = \"lower\" }",
            "indicators",
            "unknown indicator",
        ),
        (
            "agenda.toml",
            "{ indicator = \"kwb_sociaal_minimum\", expect = \"lower\" }",
            "{ indicator = \"kwb_sociaal_minimum\", expect = \"down\" }",
            "expect",
            "expected lower or higher",
        ),
        (
            "agenda.toml",
            "start = \"2022-07\"",
            "start = \"juli 2022\"",
            "start",
            "expected a month",
        ),
        (
            "agenda.toml",
            "region_set = \"nplv_focusgebieden\"",
            "region_set = \"nplv\"",
            "region_set",
            "unknown region set",
        ),
        (
            "agenda.toml",
            "task = \"beschermende_factoren\"",
            "task = \"beschermend\"",
            "task",
            "unknown task",
        ),
        (
            "agenda.toml",
            "lead = [\"gemeenten\", \"vng\"]",
            "lead = [\"gemeenten\", \"bzk2\"]",
            "lead",
            "not among the row's parties",
        ),
        (
            "agenda.toml",
            "scope = \"lokaal\"",
            "scope = \"regionaal\"",
            "scope",
            "expected one of",
        ),
        (
            "agenda.toml",
            "characteristics = [\"kleine_financiele_buffer\", \"flexibel_werkverband\"]",
            "characteristics = [\"kleine_buffer\", \"flexibel_werkverband\"]",
            "characteristics",
            "unknown characteristic",
        ),
        (
            "agenda.toml",
            "id = \"participatie\"\nnumber = 2",
            "id = \"participatie\"\nnumber = 1",
            "number",
            "unique recommendation number",
        ),
        (
            "region_sets.toml",
            "wijken = [\"WK075801\"]",
            "wijken = [\"WK059910\"]",
            "wijken",
            "does not lie in",
        ),
        (
            "radar.toml",
            "rate = \"kwb_jeugdzorg_pct\"",
            "rate = \"kwb_jeugdzorg_pct\"\nper = \"kwb_aantal_inwoners\"",
            "rate",
            "not both",
        ),
        (
            "radar.toml",
            "{ indicator = \"kwb_laag_inkomen\", characteristic = \"kleine_financiele_buffer\" }",
            "{ indicator = \"kwb_laag_inkomen\", characteristic = \"armoede\" }",
            "need.characteristic",
            "unknown characteristic",
        ),
        (
            "radar.toml",
            "{ level = \"gemeente\", need = [",
            "{ level = \"land\", need = [",
            "at.level",
            "gemeenten, wijken or buurten",
        ),
        (
            "radar.toml",
            "levels = [\"gemeente\"]",
            "levels = [\"gemeente\", \"gemeente\"]",
            "levels",
            "listed twice",
        ),
        (
            "radar.toml",
            "{ indicator = \"vo_moeite_met_rondkomen_18plus\", characteristic",
            "{ indicator = \"vo_moeite_met_rondkomen_18pls\", characteristic",
            "at.need.indicator",
            "unknown indicator",
        ),
        (
            "radar.toml",
            "interval = 0.90",
            "interval = 1.5",
            "radar.interval",
            "between 0.5 and 1",
        ),
    ];
    for (file, from, to, field, message) in cases {
        let (result, line) = parse_with(file, from, to);
        let Err(e) = result else {
            panic!("{file}: '{to}' should be refused")
        };
        assert_eq!(e.file, file, "{e}");
        assert_eq!(e.field.as_deref(), Some(field), "{e}");
        assert!(e.message.contains(message), "{e}");
        // The error points at the changed line (or, for the duplicate number, the line after).
        assert!(
            e.line == line || e.line == line + 1,
            "{e} (changed line {line})"
        );
    }
    // A typo in a field name is refused too (unknown fields are errors, not ignored).
    let (result, _) = parse_with(
        "agenda.toml",
        "radar = true\nsources",
        "radr = true\nsources",
    );
    let Err(e) = result else {
        panic!("a misspelt field was accepted")
    };
    assert!(e.message.contains("unknown field"), "{e}");
}
