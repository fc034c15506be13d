//! The store conformance suite: what every `Store` implementation must do, written once and run
//! against each backend (`tests/sqlite.rs`, `tests/postgres.rs`) through a [`Harness`].
//!
//! Adding a `Store` method: add its answers to [`dump`] (then both backends are compared on
//! it, on the fixture and on the real demo data), and a check of its expected answers to
//! [`queries_answer_as_specified`] or a new check listed in `conformance_suite!`.

// Each test crate that includes this module uses a different part of it.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use kwm_ingest::{Boundary, Dataset, LoadBatch, ReadOptions, RegionRecord};
use kwm_model::catalogue::{Catalogue, CatalogueFile};
use kwm_model::{
    Direction, Indicator, IndicatorId, Level, Observation, Period, RegionCode, ValueStatus,
};
use kwm_store::{LoadOutcome, Store, StoreError};
pub use kwm_testkit::repo;

/// One store under test, with access to what lies beneath it.
pub trait Harness {
    /// The store.
    fn store(&mut self) -> &mut dyn Store;
    /// The raw stored state, such that any write shows: the SQLite file's bytes; for
    /// PostgreSQL every row's physical address and creating transaction (a rewritten row gets
    /// new ones even when its values are the same).
    fn physical(&mut self) -> Vec<u8>;
    /// Drops the connection and opens the store again, as a new process would.
    fn reopen(&mut self) -> Result<(), StoreError>;
    /// Records a schema version in the store, as a newer (or older) program would.
    fn set_schema_version(&mut self, version: i64);
    /// A second connection to the same store, as a server's reader in another process has.
    fn reader(&mut self) -> Box<dyn Store>;
}

/// Generates one `#[test]` per check, for a backend's `fn(&str) -> Box<dyn Harness>`.
macro_rules! conformance_suite {
    ($harness:path) => {
        #[test]
        fn a_failing_load_changes_nothing() {
            common::a_failing_load_changes_nothing(&mut *$harness("failing"));
        }
        #[test]
        fn loading_the_same_file_twice_changes_nothing() {
            common::loading_the_same_file_twice_changes_nothing(&mut *$harness("twice"));
        }
        #[test]
        fn a_corrected_file_replaces_values_and_keeps_provenance() {
            common::a_corrected_file_replaces_values_and_keeps_provenance(&mut *$harness(
                "corrected",
            ));
        }
        #[test]
        fn catalogue_metadata_wins_over_file_metadata() {
            common::catalogue_metadata_wins_over_file_metadata(&mut *$harness("catalogue"));
        }
        #[test]
        fn queries_answer_as_specified() {
            common::queries_answer_as_specified(&mut *$harness("queries"));
        }
        #[test]
        fn only_missing_parents_are_set() {
            common::only_missing_parents_are_set(&mut *$harness("parents"));
        }
        #[test]
        fn write_all_commits_a_load_and_its_derivations_together() {
            common::write_all_commits_a_load_and_its_derivations_together(&mut *$harness(
                "write_all",
            ));
        }
        #[test]
        fn a_restricted_load_is_never_readable_unrestricted() {
            common::a_restricted_load_is_never_readable_unrestricted(&mut *$harness("restricted"));
        }
        #[test]
        fn access_rules_tokens_and_the_audit_log() {
            common::access_rules_tokens_and_the_audit_log(&mut *$harness("access"));
        }
        #[test]
        fn a_risk_run_round_trips_and_a_new_run_replaces_it() {
            common::a_risk_run_round_trips_and_a_new_run_replaces_it(&mut *$harness("risk"));
        }
        #[test]
        fn harmonised_figures_round_trip() {
            common::harmonised_figures_round_trip(&mut *$harness("harmonised"));
        }
        #[test]
        fn ranks_round_trip_and_show_when_stale() {
            common::ranks_round_trip_and_show_when_stale(&mut *$harness("ranks"));
        }
        #[test]
        fn data_survives_reopening_and_a_newer_schema_is_refused() {
            common::data_survives_reopening_and_a_newer_schema_is_refused(&mut *$harness("schema"));
        }
    };
}

pub fn indicator(id: &str, source: &str) -> Indicator {
    Indicator {
        id: IndicatorId::new(id).unwrap(),
        label_nl: id.into(),
        label_en: id.into(),
        unit: "%".into(),
        direction: Direction::HigherIsWorse,
        source: source.into(),
        decimals: 1,
        description: String::new(),
        additive: false,
        curated: false,
    }
}

pub fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

pub fn observation(id: &str, region: &str, period: i32, value: f64) -> Observation {
    Observation {
        indicator: IndicatorId::new(id).unwrap(),
        region: code(region),
        period: Period(period),
        breakdown: String::new(),
        value: Some(value),
        lower: None,
        upper: None,
        n: None,
        status: ValueStatus::Ok,
    }
}

fn region(c: &str, layout: i32, name: Option<&str>, parent: Option<&str>) -> RegionRecord {
    RegionRecord {
        code: code(c),
        layout,
        name: name.map(str::to_string),
        parent: parent.map(code),
    }
}

/// A square boundary with its lower-left corner at (x, y), in WGS84 degrees.
fn square(c: &str, layout: i32, x: f64, y: f64, size: f64) -> Boundary {
    let ring = geo::LineString::from(vec![
        (x, y),
        (x + size, y),
        (x + size, y + size),
        (x, y + size),
        (x, y),
    ]);
    Boundary {
        code: code(c),
        layout,
        geometry: geo::MultiPolygon(vec![geo::Polygon::new(ring, vec![])]),
    }
}

/// A file's worth of data: the regions named by its observations, in layout 2024.
pub fn batch(
    checksum: &str,
    indicators: Vec<Indicator>,
    observations: Vec<Observation>,
) -> LoadBatch {
    LoadBatch {
        file_name: format!("{checksum}.csv"),
        checksum: checksum.into(),
        dataset: Dataset {
            id: "t".into(),
            ..Default::default()
        },
        // One region record per observation, duplicates included, as a file may name a region
        // on many rows.
        regions: observations
            .iter()
            .map(|o| RegionRecord {
                code: o.region.clone(),
                layout: 2024,
                name: None,
                parent: None,
            })
            .collect(),
        rows: observations.len(),
        indicators,
        observations,
        ..Default::default()
    }
}

/// A small store's worth of data that exercises every query: several layouts, levels and
/// periods, names and parents given in some layouts only, duplicate keys within a file,
/// suppressed and missing values, breakdowns, boundaries, and ids and sources whose bytewise
/// order differs from a linguistic one (`v_a1` < `v_a_b` bytewise, `Zeta` < `alpha`).
/// Applied as three calls to `apply_loads`, then a catalogue sync.
pub fn fixture() -> Vec<Vec<LoadBatch>> {
    let mut regions = LoadBatch {
        file_name: "gemeenten_2021.csv".into(),
        checksum: "regions-2021".into(),
        format: Some(kwm_ingest::Format::Regions),
        dataset: Dataset {
            id: "gemeenten_2021".into(),
            title: "Gemeenten 2021".into(),
            publisher: "CBS".into(),
            licence: "CC BY 4.0".into(),
        },
        regions: vec![
            region("NL01", 2021, Some("Nederland"), None),
            region("PV27", 2021, Some("Noord-Holland"), Some("NL01")),
            region("GM0363", 2021, Some("Amsterdam"), Some("PV27")),
            region("GM0014", 2021, Some("Groningen"), None),
            region("GM0060", 2021, Some("Ameland"), None),
            region(
                "WK036300",
                2021,
                Some("Burgwallen-Oude Zijde"),
                Some("GM0363"),
            ),
            region("WK0363AA", 2021, Some("Centrum-West"), Some("GM0363")),
            // The same key again: a later name or parent wins, a missing one keeps the earlier.
            region("GM0014", 2021, None, Some("PV20")),
            region("GM0060", 2021, Some("Ameland (Fr.)"), None),
        ],
        rows: 9,
        notes: vec!["2 rows of other region types skipped".into()],
        ..Default::default()
    };
    regions
        .regions
        .push(region("PV20", 2021, Some("Groningen"), Some("NL01")));

    let mut figures_2023 = batch(
        "figures-2023",
        vec![
            indicator("v_a1", "Zeta"),
            indicator("v_a_b", "alpha"),
            indicator("v_z", "alpha"),
        ],
        vec![
            observation("v_a1", "GM0363", 2023, 10.0),
            observation("v_a1", "GM0014", 2023, 12.5),
            observation("v_a1", "WK0363AA", 2023, 7.0),
            observation("v_a1", "WK036300", 2023, 8.0),
            observation("v_a1", "NL01", 2023, 11.0),
            observation("v_a_b", "GM0363", 2023, 1.0),
            // Duplicate key: the later row wins, and counts as a replacement.
            observation("v_a_b", "GM0363", 2023, 2.0),
            Observation {
                value: None,
                status: ValueStatus::Suppressed,
                ..observation("v_a_b", "GM0014", 2023, 0.0)
            },
            Observation {
                value: None,
                status: ValueStatus::Missing,
                ..observation("v_z", "GM0060", 2023, 0.0)
            },
            Observation {
                lower: Some(9.5),
                upper: Some(10.5),
                n: Some(1234.0),
                ..observation("v_z", "GM0363", 2023, 10.0)
            },
            Observation {
                breakdown: "leeftijd=18-24".into(),
                ..observation("v_a1", "GM0363", 2023, 20.0)
            },
        ],
    );
    figures_2023.file_name = "figuren 2023.csv".into();
    figures_2023.format = Some(kwm_ingest::Format::Long);
    figures_2023.dataset.publisher = "RIVM".into();

    let mut boundaries = LoadBatch {
        file_name: "gemeenten_2023.geojson".into(),
        checksum: "boundaries-2023".into(),
        format: Some(kwm_ingest::Format::Geojson),
        dataset: Dataset {
            id: "gemeenten_2023".into(),
            ..Default::default()
        },
        boundaries: vec![
            square("GM0363", 2023, 4.8, 52.3, 0.1),
            square("GM0014", 2023, 6.5, 53.2, 0.1),
            square("PV27", 2023, 4.5, 52.2, 0.6),
            // A corrected shape later in the same file wins.
            square("GM0014", 2023, 6.5, 53.2, 0.2),
        ],
        regions: vec![
            region("GM0363", 2023, None, None),
            region("GM0014", 2023, Some("Groningen"), None),
        ],
        ..Default::default()
    };
    boundaries.rows = boundaries.boundaries.len();

    let mut v_a1_renamed = indicator("v_a1", "Zeta");
    v_a1_renamed.label_nl = "Nieuw label uit het bestand".into();
    let figures_2024 = batch(
        "figures-2024",
        vec![v_a1_renamed, indicator("v_a_b", "alpha")],
        vec![
            observation("v_a1", "GM0363", 2024, 9.0),
            observation("v_a1", "GM0014", 2024, 13.0),
            // A corrected 2023 value.
            observation("v_a1", "GM0363", 2023, 10.5),
            observation("v_a_b", "GM0014", 2024, 3.0),
            // Breakdown cells, one suppressed; `Sex` sorts before `age` bytewise only.
            Observation {
                breakdown: "ses_class=low".into(),
                ..observation("v_a1", "GM0363", 2024, 4.0)
            },
            Observation {
                breakdown: "age_class=65+;ses_class=low".into(),
                value: None,
                status: ValueStatus::Suppressed,
                n: Some(40.0),
                ..observation("v_a1", "GM0363", 2024, 0.0)
            },
            Observation {
                breakdown: "Sex=v".into(),
                ..observation("v_a1", "GM0363", 2024, 1.0)
            },
            Observation {
                breakdown: "ses_class=low".into(),
                ..observation("v_a1", "GM0014", 2024, 6.0)
            },
        ],
    );

    vec![
        vec![regions, figures_2023],
        vec![boundaries],
        vec![figures_2024],
    ]
}

/// The catalogue sync after the fixture's loads: one indicator curated, one only known.
pub fn fixture_catalogue() -> Vec<Indicator> {
    let mut curated = indicator("v_a_b", "alpha");
    curated.curated = true;
    curated.label_nl = "Uit de catalogus".into();
    curated.decimals = 2;
    curated.additive = true;
    vec![curated, indicator("v_empty", "catalogus")]
}

/// Loads the fixture; returns the outcomes of each `apply_loads` call.
pub fn load_fixture(store: &mut dyn Store) -> Vec<Vec<LoadOutcome>> {
    let outcomes = fixture()
        .iter()
        .enumerate()
        .map(|(i, batches)| {
            store
                .apply_loads(batches, &format!("2026-01-0{}T00:00:00Z", i + 1))
                .unwrap()
        })
        .collect();
    store.sync_indicators(&fixture_catalogue()).unwrap();
    outcomes
}

/// Every answer the store gives, one line per call, for every argument worth asking: all
/// indicators, levels, layouts, periods and regions it holds, plus a few it does not.
pub fn dump(store: &dyn Store) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = |call: String, answer: String| out.push(format!("{call} => {answer}"));
    let indicators = store.indicators().unwrap();
    line("indicators()".into(), format!("{indicators:?}"));
    let mut ids: Vec<String> = indicators
        .iter()
        .map(|i| i.indicator.id.as_str().to_string())
        .collect();
    ids.push("v_nope".into());
    for id in &ids {
        line(
            format!("indicator({id})"),
            format!("{:?}", store.indicator(id).unwrap()),
        );
    }
    let mut codes: BTreeSet<String> = BTreeSet::new();
    for level in Level::ALL {
        let layouts = store.layouts(level).unwrap();
        line(format!("layouts({level:?})"), format!("{layouts:?}"));
        line(
            format!("boundary_layouts({level:?})"),
            format!("{:?}", store.boundary_layouts(level).unwrap()),
        );
        for &layout in layouts.iter().chain([&1900]) {
            let regions = store.regions(level, layout).unwrap();
            codes.extend(regions.iter().map(|r| r.code.as_str().to_string()));
            line(
                format!("regions({level:?}, {layout})"),
                format!("{regions:?}"),
            );
            line(
                format!("boundaries({level:?}, {layout})"),
                format!("{:?}", store.boundaries(level, layout).unwrap()),
            );
        }
        let periods = store.periods(level).unwrap();
        line(format!("periods({level:?})"), format!("{periods:?}"));
        for &period in periods.iter().chain([&1900]) {
            line(
                format!("indicator_ids_at({level:?}, {period})"),
                format!("{:?}", store.indicator_ids_at(level, period).unwrap()),
            );
            line(
                format!("observations_at({level:?}, {period})"),
                format!("{:?}", store.observations_at(level, period).unwrap()),
            );
            for id in &ids {
                let observations = store.observations(id, level, period).unwrap();
                codes.extend(observations.iter().map(|o| o.region.as_str().to_string()));
                line(
                    format!("observations({id}, {level:?}, {period})"),
                    format!("{observations:?}"),
                );
                let breakdown = "ses_class=low";
                line(
                    format!("breakdown_cell_observations({id}, {level:?}, {period}, {breakdown})"),
                    format!(
                        "{:?}",
                        store
                            .breakdown_cell_observations(id, level, period, breakdown)
                            .unwrap()
                    ),
                );
            }
        }
    }
    codes.insert("GM9999".into());
    // Every breakdown cell of the indicators a region has totals for, on the first regions
    // only: all of them would be a query per stored figure on the demo data.
    for c in codes.iter().take(60) {
        let c = code(c);
        for period in store.region_periods(&c).unwrap() {
            let mut with_totals: Vec<String> = store
                .region_observations(&c, period)
                .unwrap()
                .into_iter()
                .map(|o| o.indicator)
                .collect();
            with_totals.push("v_nope".into());
            for id in &with_totals {
                line(
                    format!("breakdown_observations({id}, {c}, {period})"),
                    format!(
                        "{:?}",
                        store.breakdown_observations(id, &c, period).unwrap()
                    ),
                );
            }
        }
    }
    for c in &codes {
        let c = code(c);
        let periods = store.region_periods(&c).unwrap();
        line(format!("region_periods({c})"), format!("{periods:?}"));
        for &period in periods.iter().chain([&1900]) {
            line(
                format!("region_observations({c}, {period})"),
                format!("{:?}", store.region_observations(&c, period).unwrap()),
            );
        }
        for layout in [1900, 2019, 2021, 2022, 2023, 2024, 2100] {
            line(
                format!("region({c}, {layout})"),
                format!("{:?}", store.region(&c, layout).unwrap()),
            );
        }
    }
    line("loads()".into(), format!("{:?}", store.loads().unwrap()));
    out
}

/// Asserts two dumps are equal, showing the first difference rather than two huge lists.
pub fn assert_same_answers(left: &[String], right: &[String], what: &str) {
    for (l, r) in left.iter().zip(right) {
        assert_eq!(l, r, "{what}: first differing answer");
    }
    assert_eq!(left.len(), right.len(), "{what}: number of answers differs");
}

pub fn a_failing_load_changes_nothing(h: &mut dyn Harness) {
    load_fixture(h.store());
    let physical = h.physical();
    let answers = dump(h.store());

    // The first file is fine and would add an indicator, regions, boundaries and replace a
    // value; the second refers to an indicator nobody registered, which the database refuses
    // half-way through writing. Neither may remain.
    let mut good = batch(
        "good",
        vec![indicator("v_new", "test")],
        vec![
            observation("v_new", "GM0014", 2024, 20.0),
            observation("v_a1", "GM0363", 2024, 99.0),
        ],
    );
    good.boundaries = vec![square("GM0060", 2024, 5.6, 53.4, 0.1)];
    let bad = batch(
        "bad",
        vec![],
        vec![
            observation("v_a1", "GM0014", 2024, 1.0),
            observation("v_unknown", "GM0014", 2024, 30.0),
        ],
    );
    let err = h
        .store()
        .apply_loads(&[good, bad], "2026-02-01T00:00:00Z")
        .unwrap_err();
    assert!(err.to_string().contains("bad.csv"), "{err}");
    assert_eq!(
        h.physical(),
        physical,
        "stored data changed by a failed load"
    );
    assert_same_answers(&dump(h.store()), &answers, "after a failed load");

    // The next load gets the id the failed one would have had: nothing of it remains.
    let out = h
        .store()
        .apply_loads(
            &[batch(
                "next",
                vec![],
                vec![observation("v_a1", "GM0014", 2024, 1.0)],
            )],
            "2026-02-02T00:00:00Z",
        )
        .unwrap();
    assert_eq!(
        out,
        vec![LoadOutcome::Loaded {
            load_id: 5,
            inserted: 0,
            replaced: 1
        }]
    );
}

pub fn loading_the_same_file_twice_changes_nothing(h: &mut dyn Harness) {
    let b = batch(
        "ddd",
        vec![indicator("x_a", "test")],
        vec![observation("x_a", "GM0363", 2024, 10.0)],
    );
    let first = h
        .store()
        .apply_loads(std::slice::from_ref(&b), "2026-01-01T00:00:00Z")
        .unwrap();
    assert_eq!(
        first,
        vec![LoadOutcome::Loaded {
            load_id: 1,
            inserted: 1,
            replaced: 0
        }]
    );
    h.store()
        .sync_indicators(&[indicator("x_a", "test")])
        .unwrap();
    let physical = h.physical();
    h.reopen().unwrap();
    let again = h
        .store()
        .apply_loads(&[b.clone(), b], "2026-01-03T00:00:00Z")
        .unwrap();
    let earlier = LoadOutcome::AlreadyLoaded {
        load_id: 1,
        loaded_at: "2026-01-01T00:00:00Z".into(),
    };
    assert_eq!(again, vec![earlier.clone(), earlier]);
    // Neither the skipped load nor a catalogue sync that changes nothing writes anything.
    h.store()
        .sync_indicators(&[indicator("x_a", "test")])
        .unwrap();
    h.store().set_missing_parents(&[]).unwrap();
    assert_eq!(h.physical(), physical, "a no-op write changed stored data");
}

pub fn a_corrected_file_replaces_values_and_keeps_provenance(h: &mut dyn Harness) {
    let store = h.store();
    store
        .apply_loads(
            &[batch(
                "e1",
                vec![indicator("x_a", "test")],
                vec![observation("x_a", "GM0363", 2024, 10.0)],
            )],
            "t1",
        )
        .unwrap();
    let out = store
        .apply_loads(
            &[batch(
                "e2",
                vec![indicator("x_a", "test")],
                vec![
                    observation("x_a", "GM0363", 2024, 11.0),
                    observation("x_a", "GM0014", 2024, 5.0),
                ],
            )],
            "t2",
        )
        .unwrap();
    assert_eq!(
        out[0],
        LoadOutcome::Loaded {
            load_id: 2,
            inserted: 1,
            replaced: 1
        }
    );
    let obs = store.observations("x_a", Level::Gemeente, 2024).unwrap();
    assert!(obs.iter().all(|o| o.load_id == 2), "{obs:?}");
    assert_eq!(
        obs.iter()
            .map(|o| (o.region.as_str(), o.value))
            .collect::<Vec<_>>(),
        [("GM0014", Some(5.0)), ("GM0363", Some(11.0))]
    );
    let loads = store.loads().unwrap();
    assert_eq!(
        loads
            .iter()
            .map(|l| (l.id, l.checksum.as_str(), l.loaded_at.as_str()))
            .collect::<Vec<_>>(),
        [(2, "e2", "t2"), (1, "e1", "t1")]
    );
}

pub fn catalogue_metadata_wins_over_file_metadata(h: &mut dyn Harness) {
    let store = h.store();
    let mut curated = indicator("x_a", "test");
    curated.curated = true;
    curated.label_nl = "Uit de catalogus".into();
    store
        .sync_indicators(std::slice::from_ref(&curated))
        .unwrap();
    let mut from_file = indicator("x_a", "bestand");
    from_file.label_nl = "Uit het bestand".into();
    from_file.decimals = 3;
    store
        .apply_loads(
            &[batch(
                "f1",
                vec![from_file],
                vec![observation("x_a", "GM0363", 2024, 1.0)],
            )],
            "t",
        )
        .unwrap();
    assert_eq!(store.indicator("x_a").unwrap().unwrap().indicator, curated);
    // The catalogue itself may change what it said.
    let mut edited = curated.clone();
    edited.label_en = "Edited".into();
    store
        .sync_indicators(std::slice::from_ref(&edited))
        .unwrap();
    assert_eq!(store.indicator("x_a").unwrap().unwrap().indicator, edited);
}

pub fn queries_answer_as_specified(h: &mut dyn Harness) {
    let outcomes = load_fixture(h.store());
    assert_eq!(
        outcomes,
        vec![
            vec![
                LoadOutcome::Loaded {
                    load_id: 1,
                    inserted: 0,
                    replaced: 0
                },
                LoadOutcome::Loaded {
                    load_id: 2,
                    inserted: 10,
                    replaced: 1
                },
            ],
            vec![LoadOutcome::Loaded {
                load_id: 3,
                inserted: 0,
                replaced: 0
            }],
            vec![LoadOutcome::Loaded {
                load_id: 4,
                inserted: 7,
                replaced: 1
            }],
        ]
    );
    let store = h.store();

    // Curated first, then by source and id, bytewise.
    let indicators = store.indicators().unwrap();
    let order: Vec<(&str, bool, &str)> = indicators
        .iter()
        .map(|i| {
            (
                i.indicator.id.as_str(),
                i.indicator.curated,
                i.indicator.source.as_str(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("v_a_b", true, "alpha"),
            ("v_a1", false, "Zeta"),
            ("v_z", false, "alpha"),
            ("v_empty", false, "catalogus"),
        ]
    );
    let v_a1 = &indicators[1];
    assert_eq!(v_a1.indicator.label_nl, "Nieuw label uit het bestand");
    assert_eq!(v_a1.periods, [2023, 2024]);
    assert_eq!(v_a1.levels, [Level::Land, Level::Gemeente, Level::Wijk]);
    let v_a_b = &indicators[0];
    assert_eq!(
        (v_a_b.indicator.decimals, v_a_b.indicator.additive),
        (2, true)
    );
    // Suppressed values are stored but give no coverage.
    assert_eq!(
        (v_a_b.periods.as_slice(), v_a_b.levels.as_slice()),
        ([2023, 2024].as_slice(), [Level::Gemeente].as_slice())
    );
    let v_z = store.indicator("v_z").unwrap().unwrap();
    assert_eq!(
        (v_z.periods, v_z.levels),
        (vec![2023], vec![Level::Gemeente])
    );
    let empty = store.indicator("v_empty").unwrap().unwrap();
    assert!(empty.periods.is_empty() && empty.levels.is_empty());
    assert!(store.indicator("v_nope").unwrap().is_none());

    // Figures: total population only, by region code; the duplicate's later value and the
    // corrected 2023 value won.
    let obs = store.observations("v_a1", Level::Gemeente, 2023).unwrap();
    assert_eq!(
        obs.iter()
            .map(|o| (o.region.as_str(), o.value, o.load_id))
            .collect::<Vec<_>>(),
        [("GM0014", Some(12.5), 2), ("GM0363", Some(10.5), 4)]
    );
    let wijken = store.observations("v_a1", Level::Wijk, 2023).unwrap();
    assert_eq!(
        wijken.iter().map(|o| o.region.as_str()).collect::<Vec<_>>(),
        ["WK036300", "WK0363AA"]
    );
    let v_a_b_2023 = store.observations("v_a_b", Level::Gemeente, 2023).unwrap();
    assert_eq!(
        v_a_b_2023
            .iter()
            .map(|o| (o.region.as_str(), o.value, o.status))
            .collect::<Vec<_>>(),
        [
            ("GM0014", None, ValueStatus::Suppressed),
            ("GM0363", Some(2.0), ValueStatus::Ok)
        ]
    );
    let v_z_2023 = store.observations("v_z", Level::Gemeente, 2023).unwrap();
    assert_eq!(
        (v_z_2023[1].lower, v_z_2023[1].upper, v_z_2023[1].n),
        (Some(9.5), Some(10.5), Some(1234.0))
    );
    assert_eq!(v_z_2023[0].status, ValueStatus::Missing);
    assert_eq!(
        store.indicator_ids_at(Level::Gemeente, 2023).unwrap(),
        ["v_a1", "v_a_b", "v_z"]
    );
    assert_eq!(
        store.indicator_ids_at(Level::Land, 2024).unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(store.periods(Level::Gemeente).unwrap(), [2023, 2024]);
    assert_eq!(store.periods(Level::Provincie).unwrap(), Vec::<i32>::new());
    assert_eq!(store.region_periods(&code("GM0363")).unwrap(), [2023, 2024]);
    assert_eq!(
        store
            .region_observations(&code("GM0363"), 2023)
            .unwrap()
            .iter()
            .map(|o| (o.indicator.as_str(), o.value))
            .collect::<Vec<_>>(),
        [
            ("v_a1", Some(10.5)),
            ("v_a_b", Some(2.0)),
            ("v_z", Some(10.0))
        ]
    );

    // Breakdowns: every cell of one region, total first, then bytewise; one cell across a
    // level; totals-only queries do not see them.
    assert_eq!(
        store
            .breakdown_observations("v_a1", &code("GM0363"), 2024)
            .unwrap()
            .iter()
            .map(|o| (o.breakdown.as_str(), o.value, o.status, o.n))
            .collect::<Vec<_>>(),
        [
            ("", Some(9.0), ValueStatus::Ok, None),
            ("Sex=v", Some(1.0), ValueStatus::Ok, None),
            (
                "age_class=65+;ses_class=low",
                None,
                ValueStatus::Suppressed,
                Some(40.0)
            ),
            ("ses_class=low", Some(4.0), ValueStatus::Ok, None),
        ]
    );
    assert_eq!(
        store
            .breakdown_observations("v_a1", &code("GM0363"), 2023)
            .unwrap()
            .iter()
            .map(|o| (o.breakdown.as_str(), o.value))
            .collect::<Vec<_>>(),
        [("", Some(10.5)), ("leeftijd=18-24", Some(20.0))]
    );
    assert!(store
        .breakdown_observations("v_z", &code("GM0363"), 2024)
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .breakdown_cell_observations("v_a1", Level::Gemeente, 2024, "ses_class=low")
            .unwrap()
            .iter()
            .map(|o| (o.region.as_str(), o.value))
            .collect::<Vec<_>>(),
        [("GM0014", Some(6.0)), ("GM0363", Some(4.0))]
    );
    assert_eq!(
        store
            .breakdown_cell_observations("v_a1", Level::Gemeente, 2024, "")
            .unwrap(),
        store.observations("v_a1", Level::Gemeente, 2024).unwrap()
    );
    assert_eq!(
        store
            .observations("v_a1", Level::Gemeente, 2024)
            .unwrap()
            .len(),
        2
    );

    // Regions and layouts: layout years from regions and boundaries alike.
    assert_eq!(store.layouts(Level::Gemeente).unwrap(), [2021, 2023, 2024]);
    assert_eq!(store.layouts(Level::Provincie).unwrap(), [2021, 2023]);
    assert_eq!(store.boundary_layouts(Level::Gemeente).unwrap(), [2023]);
    assert_eq!(
        store.boundary_layouts(Level::Wijk).unwrap(),
        Vec::<i32>::new()
    );
    let gemeenten = store.regions(Level::Gemeente, 2021).unwrap();
    assert_eq!(
        gemeenten
            .iter()
            .map(|r| (
                r.code.as_str(),
                r.name.as_deref(),
                r.parent.as_ref().map(|p| p.as_str())
            ))
            .collect::<Vec<_>>(),
        [
            ("GM0014", Some("Groningen"), Some("PV20")),
            ("GM0060", Some("Ameland (Fr.)"), None),
            ("GM0363", Some("Amsterdam"), Some("PV27")),
        ]
    );
    assert_eq!(
        store
            .regions(Level::Wijk, 2021)
            .unwrap()
            .iter()
            .map(|r| r.code.as_str())
            .collect::<Vec<_>>(),
        ["WK036300", "WK0363AA"]
    );
    // Nearest layout: same year, else latest earlier, else earliest later; name and parent
    // from the nearest layout that has them.
    let amsterdam = |layout| store.region(&code("GM0363"), layout).unwrap().unwrap();
    assert_eq!(amsterdam(2022).layout, 2021);
    assert_eq!(amsterdam(2019).layout, 2021);
    let in_2023 = amsterdam(2023);
    assert_eq!(
        (
            in_2023.layout,
            in_2023.name.as_deref(),
            in_2023.parent.as_ref().map(|p| p.as_str())
        ),
        (2023, Some("Amsterdam"), Some("PV27"))
    );
    assert_eq!(amsterdam(2030).layout, 2024);
    assert!(store.region(&code("GM9999"), 2024).unwrap().is_none());

    // Boundaries: by code, the later shape of a duplicate.
    let shapes = store.boundaries(Level::Gemeente, 2023).unwrap();
    assert_eq!(
        shapes.iter().map(|b| b.code.as_str()).collect::<Vec<_>>(),
        ["GM0014", "GM0363"]
    );
    assert_eq!(
        shapes[0].geometry,
        square("GM0014", 2023, 6.5, 53.2, 0.2).geometry
    );
    assert_eq!(shapes[0].layout, 2023);

    // Loads: newest first, with their provenance.
    let loads = store.loads().unwrap();
    assert_eq!(
        loads
            .iter()
            .map(|l| (l.id, l.file_name.as_str(), l.loaded_at.as_str()))
            .collect::<Vec<_>>(),
        [
            (4, "figures-2024.csv", "2026-01-03T00:00:00Z"),
            (3, "gemeenten_2023.geojson", "2026-01-02T00:00:00Z"),
            (2, "figuren 2023.csv", "2026-01-01T00:00:00Z"),
            (1, "gemeenten_2021.csv", "2026-01-01T00:00:00Z"),
        ]
    );
    let regions_load = &loads[3];
    assert_eq!(
        (
            regions_load.format.as_str(),
            regions_load.dataset.as_str(),
            regions_load.title.as_str(),
            regions_load.publisher.as_str(),
            regions_load.licence.as_str(),
        ),
        (
            "regions",
            "gemeenten_2021",
            "Gemeenten 2021",
            "CBS",
            "CC BY 4.0"
        )
    );
    assert_eq!(
        (
            regions_load.rows,
            regions_load.observations,
            regions_load.regions,
            regions_load.boundaries
        ),
        (9, 0, 10, 0)
    );
    assert_eq!(regions_load.notes, ["2 rows of other region types skipped"]);
    assert_eq!((loads[2].observations, loads[1].boundaries), (11, 4));
}

pub fn only_missing_parents_are_set(h: &mut dyn Harness) {
    load_fixture(h.store());
    let store = h.store();
    let n = store
        .set_missing_parents(&[
            (code("GM0014"), 2021, code("PV27")),
            (code("GM0060"), 2021, code("PV20")),
            (code("GM0060"), 2021, code("PV27")),
            (code("GM9999"), 2021, code("PV27")),
        ])
        .unwrap();
    assert_eq!(n, 1);
    let parent = |c: &str| {
        store
            .region(&code(c), 2021)
            .unwrap()
            .unwrap()
            .parent
            .map(|p| p.as_str().to_string())
    };
    assert_eq!(parent("GM0014").as_deref(), Some("PV20"));
    assert_eq!(parent("GM0060").as_deref(), Some("PV20"));
}

pub fn data_survives_reopening_and_a_newer_schema_is_refused(h: &mut dyn Harness) {
    load_fixture(h.store());
    let answers = dump(h.store());
    let physical = h.physical();
    h.reopen().unwrap();
    assert_eq!(
        h.physical(),
        physical,
        "opening an up-to-date store wrote to it"
    );
    assert_same_answers(&dump(h.store()), &answers, "after reopening");
    h.set_schema_version(99);
    match h.reopen() {
        Err(StoreError::TooNew { found: 99, .. }) => {}
        Err(e) => panic!("expected TooNew, got {e}"),
        Ok(()) => panic!("a store of schema version 99 was opened"),
    }
}

/// The real demo files (as `kwm demo` loads them), read with the repository's catalogue, and
/// the catalogue's indicators (which `kwm ingest` syncs after a load).
pub fn demo_data() -> (Vec<LoadBatch>, Vec<Indicator>) {
    let dir = repo().join("catalogue");
    let files: Vec<CatalogueFile> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| CatalogueFile {
            name: p.file_name().unwrap().to_string_lossy().to_string(),
            text: std::fs::read_to_string(&p).unwrap(),
        })
        .collect();
    let catalogue = Catalogue::parse(&files).unwrap();
    let paths: Vec<PathBuf> = kwm_testkit::data_files(kwm_testkit::CORE_DEMO_FILES);
    let batches = kwm_ingest::read_inputs(&paths, &catalogue, &ReadOptions::default()).unwrap();
    let indicators = catalogue
        .indicators
        .iter()
        .map(|c| c.indicator.clone())
        .collect();
    (batches, indicators)
}

fn risk_region(code_: &str, flagged: i64) -> kwm_store::RiskRegionRecord {
    use kwm_store::{RiskFactorRecord, RiskRegionRecord, RiskThemeRecord};
    RiskRegionRecord {
        region: code(code_),
        flagged,
        with_data: 2,
        weak_protective: 0,
        protective_with_data: 1,
        composite: Some(0.5),
        composite_rank: Some(1),
        composite_percentile: Some(100.0),
        rank_median: Some(1.5),
        rank_lower: Some(1.0),
        rank_upper: None,
        // Not in alphabetical order: stored order must survive.
        method_ranks: vec![
            kwm_store::RiskMethodRankRecord {
                method: "z_score".into(),
                score: Some(0.7),
                rank: Some(2),
            },
            kwm_store::RiskMethodRankRecord {
                method: "geometric".into(),
                score: None,
                rank: None,
            },
        ],
        factors: vec![
            RiskFactorRecord {
                factor: "health".into(),
                score: None,
                rank: None,
                ranked: 1,
                percentile: None,
                flagged: false,
                trace: "[]".into(),
            },
            RiskFactorRecord {
                factor: "buffer".into(),
                score: Some(0.9),
                rank: Some(1),
                ranked: 2,
                percentile: Some(100.0),
                flagged: flagged > 0,
                trace: "[{\"x\":1}]".into(),
            },
        ],
        themes: vec![
            RiskThemeRecord {
                theme: "mental".into(),
                exposure: Some(80.0),
                rank: Some(1),
                ranked: 2,
                coverage: 0.5,
                flagged_weight: 2,
                drivers: "[]".into(),
            },
            RiskThemeRecord {
                theme: "cohesion".into(),
                exposure: None,
                rank: None,
                ranked: 1,
                coverage: 0.0,
                flagged_weight: 0,
                drivers: "[]".into(),
            },
        ],
    }
}

fn risk_run_fixture(
    fingerprint: &str,
    regions: Vec<kwm_store::RiskRegionRecord>,
) -> kwm_store::RiskRun {
    kwm_store::RiskRun {
        run: kwm_store::RiskRunRecord {
            id: 0,
            level: Level::Gemeente,
            period: 2024,
            layout: Some(2024),
            catalogue_version: "t1".into(),
            fingerprint: fingerprint.into(),
            parameters: "{}".into(),
            summary: "{}".into(),
            computed_at: "2026-11-23T00:00:00Z".into(),
        },
        clusters: regions
            .iter()
            .flat_map(|r| {
                ["lisa", "gistar"].map(|statistic| kwm_store::RiskClusterRecord {
                    variable: "stacking".into(),
                    statistic: statistic.into(),
                    region: r.region.clone(),
                    status: "ok".into(),
                    value: Some(r.flagged as f64),
                    stat: Some(0.25),
                    z: Some(1.5),
                    p_sim: Some(0.04),
                    quadrant: (statistic == "lisa").then(|| "HH".to_string()),
                })
            })
            .collect(),
        regions,
    }
}

/// Risk runs: stored as computed (factor and theme order included), one per level and period;
/// a new run replaces the old one; one region's results can be read alone.
pub fn a_risk_run_round_trips_and_a_new_run_replaces_it(h: &mut dyn Harness) {
    let store = h.store();
    assert!(store
        .risk_run(Level::Gemeente, 2024, None)
        .unwrap()
        .is_none());
    let first = risk_run_fixture(
        "a",
        vec![risk_region("GM0363", 1), risk_region("GM0599", 0)],
    );
    let id = store.save_risk_run(&first).unwrap();
    assert_eq!(id, 1);
    let back = store
        .risk_run(Level::Gemeente, 2024, None)
        .unwrap()
        .unwrap();
    assert_eq!(back.run.id, id);
    assert_eq!(back.run.fingerprint, "a");
    assert_eq!(back.regions, first.regions);
    let one = store
        .risk_run(Level::Gemeente, 2024, Some(&code("GM0599")))
        .unwrap()
        .unwrap();
    assert_eq!(one.regions.len(), 1);
    assert_eq!(one.regions[0], first.regions[1]);
    // The lean read for pages listing every region: the same run without traces, theme
    // exposure or method ranks.
    let flags = store
        .risk_run_flags(Level::Gemeente, 2024)
        .unwrap()
        .unwrap();
    let mut lean = first.regions.clone();
    for r in &mut lean {
        r.themes.clear();
        r.method_ranks.clear();
        for f in &mut r.factors {
            f.trace.clear();
        }
    }
    assert_eq!((flags.run.id, &flags.regions), (id, &lean));
    assert!(lean.iter().any(|r| !r.factors.is_empty()));
    store
        .save_risk_run(&risk_run_fixture("b", vec![risk_region("GM0363", 0)]))
        .unwrap();
    let runs = store.risk_runs().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!((runs[0].id, runs[0].fingerprint.as_str()), (1, "b"));
    let back = store
        .risk_run(Level::Gemeente, 2024, None)
        .unwrap()
        .unwrap();
    assert_eq!(back.regions.len(), 1);
    assert_eq!(back.regions[0].flagged, 0);
    assert!(store.risk_run(Level::Ggd, 2024, None).unwrap().is_none());
}

/// A stored run whose every region carries `generation` as its stacking count, so a reader can
/// tell two runs apart region by region.
fn generation_run(generation: i64, regions: usize) -> kwm_store::RiskRun {
    use kwm_store::{RiskRegionRecord, RiskRun, RiskRunRecord};
    RiskRun {
        run: RiskRunRecord {
            id: 0,
            level: Level::Gemeente,
            period: 2024,
            layout: Some(2024),
            catalogue_version: "t".into(),
            fingerprint: format!("{generation}/{regions}"),
            parameters: "{}".into(),
            summary: "{}".into(),
            computed_at: "2026-12-07T00:00:00Z".into(),
        },
        regions: (0..regions)
            .map(|i| RiskRegionRecord {
                region: code(&format!("GM{:04}", i + 1)),
                flagged: generation,
                with_data: 1,
                weak_protective: 0,
                protective_with_data: 0,
                composite: None,
                composite_rank: None,
                composite_percentile: None,
                rank_median: None,
                rank_lower: None,
                rank_upper: None,
                method_ranks: Vec::new(),
                factors: Vec::new(),
                themes: Vec::new(),
            })
            .collect(),
        clusters: Vec::new(),
    }
}

/// While a writer replaces the stored run again and again (a large one, then a small one),
/// readers through `Readers` only ever see a whole run: its region rows are those of the run
/// record they read with, never none and never a mix.
pub fn readers_never_see_a_partial_run(
    mut writer: Box<dyn Store + Send>,
    readers: kwm_store::Readers,
) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    writer.save_risk_run(&generation_run(0, 400)).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let mut handles = Vec::new();
    for _ in 0..2 {
        let (readers, done) = (readers.clone(), done.clone());
        handles.push(std::thread::spawn(move || {
            let mut seen = 0;
            while !done.load(Ordering::Relaxed) || seen == 0 {
                let run = readers
                    .read(|s| s.risk_run(Level::Gemeente, 2024, None))
                    .unwrap()
                    .unwrap()
                    .expect("a run is stored");
                let (generation, regions) = run.run.fingerprint.split_once('/').unwrap();
                let generation: i64 = generation.parse().unwrap();
                assert_eq!(
                    run.regions.len(),
                    regions.parse::<usize>().unwrap(),
                    "run {} read with another run's regions",
                    run.run.fingerprint
                );
                assert!(
                    run.regions.iter().all(|r| r.flagged == generation),
                    "run {} read with regions of two runs",
                    run.run.fingerprint
                );
                seen += 1;
            }
            seen
        }));
    }
    for generation in 1..=80 {
        let regions = if generation % 2 == 0 { 400 } else { 7 };
        writer
            .save_risk_run(&generation_run(generation, regions))
            .unwrap();
    }
    done.store(true, Ordering::Relaxed);
    for h in handles {
        assert!(h.join().unwrap() > 0);
    }
}

/// Stored ranks: saved as given, read back per region with what they were computed from; a
/// later load of the same figures shows in the state (newer load), so stale ranks are known.
pub fn ranks_round_trip_and_show_when_stale(h: &mut dyn Harness) {
    use kwm_store::{FigureRank, FigureRanks};
    load_fixture(h.store());
    let before = h.store().rank_states().unwrap();
    let a1 = before
        .iter()
        .find(|s| s.indicator == "v_a1" && s.level == Level::Gemeente && s.period == 2023)
        .expect("a state for every total series and period")
        .clone();
    assert_eq!((a1.figures, a1.basis.clone()), (2, None));
    assert!(
        before.iter().all(|s| s.basis.is_none()),
        "nothing stored yet"
    );
    h.store()
        .save_figure_ranks(&[FigureRanks {
            indicator: "v_a1".into(),
            level: Level::Gemeente,
            period: 2023,
            basis: "b1".into(),
            ranked: 2,
            rows: vec![
                FigureRank {
                    region: code("GM0014"),
                    rank: Some(1),
                    percentile: Some(100.0),
                    class: Some(4),
                },
                FigureRank {
                    region: code("GM0363"),
                    rank: Some(2),
                    percentile: Some(0.0),
                    class: Some(0),
                },
            ],
        }])
        .unwrap();
    let ranks = h.store().region_ranks(&code("GM0363"), 2023).unwrap();
    let mine = ranks.iter().find(|r| r.indicator == "v_a1").unwrap();
    assert_eq!(
        (
            mine.basis.as_deref(),
            mine.ranked,
            mine.rank,
            mine.percentile,
            mine.class
        ),
        (Some("b1"), Some(2), Some(2), Some(0.0), Some(0))
    );
    assert_eq!((mine.figures, mine.last_load), (a1.figures, a1.last_load));
    // Indicators without stored ranks are listed too, with the figures' state.
    let other = ranks.iter().find(|r| r.indicator == "v_a_b").unwrap();
    assert_eq!((other.basis.as_ref(), other.rank), (None, None));
    // Ranks of a region without a figure in the series: none, but the series' count is there.
    let ameland = h.store().region_ranks(&code("GM0060"), 2023).unwrap();
    let a1_ameland = ameland.iter().find(|r| r.indicator == "v_a1").unwrap();
    assert_eq!((a1_ameland.ranked, a1_ameland.rank), (Some(2), None));

    // A new load of one figure: its series shows a newer load, the stored basis stays.
    let newer = batch(
        "newer",
        vec![indicator("v_a1", "Zeta")],
        vec![observation("v_a1", "GM0014", 2023, 13.0)],
    );
    h.store()
        .apply_loads(&[newer], "2026-02-01T00:00:00Z")
        .unwrap();
    let after = h.store().rank_states().unwrap();
    let a1_after = after
        .iter()
        .find(|s| s.indicator == "v_a1" && s.level == Level::Gemeente && s.period == 2023)
        .unwrap();
    assert!(a1_after.last_load > a1.last_load);
    assert_eq!(a1_after.basis.as_deref(), Some("b1"));
    // Saving again replaces, never adds.
    h.store()
        .save_figure_ranks(&[FigureRanks {
            indicator: "v_a1".into(),
            level: Level::Gemeente,
            period: 2023,
            basis: "b2".into(),
            ranked: 1,
            rows: vec![FigureRank {
                region: code("GM0014"),
                rank: Some(1),
                percentile: None,
                class: None,
            }],
        }])
        .unwrap();
    let ranks = h.store().region_ranks(&code("GM0363"), 2023).unwrap();
    let mine = ranks.iter().find(|r| r.indicator == "v_a1").unwrap();
    assert_eq!((mine.basis.as_deref(), mine.rank), (Some("b2"), None));
}

/// Harmonised figures round-trip: a region's own figure (stored without sources) and one
/// weighted from two old regions; replacing a target layout's figures replaces them all.
pub fn harmonised_figures_round_trip(h: &mut dyn Harness) {
    use kwm_store::{HarmonisationRecord, HarmonisedRecord};
    load_fixture(h.store());
    let run = HarmonisationRecord {
        target_layout: 2024,
        signature: "s1".into(),
        created_at: "2026-12-07T00:00:00Z".into(),
        rows: 2,
        notes: vec!["n".into()],
    };
    let own = HarmonisedRecord {
        target_layout: 2024,
        indicator: "v_a1".into(),
        region: code("GM0363"),
        period: 2023,
        source_layout: 2024,
        value: 10.0,
        lower: None,
        upper: None,
        n: None,
        method: "published".into(),
        weighted_by: None,
        sources: vec![(code("GM0363"), 1.0)],
    };
    let weighted = HarmonisedRecord {
        region: code("GM1979"),
        value: 7.5,
        lower: Some(7.0),
        upper: Some(8.0),
        n: Some(100.0),
        method: "weighted_mean".into(),
        weighted_by: Some("population".into()),
        sources: vec![(code("GM0010"), 0.5), (code("GM0024"), 0.5)],
        ..own.clone()
    };
    h.store()
        .replace_harmonised(&run, &[weighted.clone(), own.clone()])
        .unwrap();
    let got = h.store().harmonised(2024, "v_a1", Level::Gemeente).unwrap();
    assert_eq!(got, vec![own.clone(), weighted.clone()]);
    assert_eq!(
        h.store()
            .harmonised_indicator_ids(2024, &code("GM1979"))
            .unwrap(),
        vec!["v_a1".to_string()]
    );
    // The figures' own coverage is untouched: harmonising adds no figure.
    assert!(h
        .store()
        .rank_states()
        .unwrap()
        .iter()
        .all(|s| s.indicator != "v_a1" || s.level != Level::Gemeente || s.figures == 2));
    h.store()
        .replace_harmonised(
            &HarmonisationRecord {
                signature: "s2".into(),
                rows: 1,
                ..run
            },
            std::slice::from_ref(&own),
        )
        .unwrap();
    assert_eq!(
        h.store().harmonised(2024, "v_a1", Level::Gemeente).unwrap(),
        vec![own]
    );
}

/// Access rules with the series of a restricted load, the filtered view of the store for a
/// principal without and with access, tokens (by hash, revoked once), and the audit log.
pub fn access_rules_tokens_and_the_audit_log(h: &mut dyn Harness) {
    use kwm_store::{AuditEntry, Filtered, LoadAccess, Visibility};
    load_fixture(h.store());
    let store = h.store();
    // The first load whose figures are still stored (a later file may have replaced some).
    let (first, rule) = store
        .loads()
        .unwrap()
        .iter()
        .rev()
        .find_map(|l| {
            let access = LoadAccess {
                restricted: true,
                until: Some("2030-01-01".into()),
                reason: "embargo".into(),
            };
            let rule = store
                .set_load_access(l.id, &access, "2026-12-07T00:00:00Z", "test")
                .unwrap();
            (!rule.series.is_empty()).then_some((l.id, rule))
        })
        .expect("a load with figures");
    assert!(store
        .set_load_access(
            999,
            &LoadAccess {
                restricted: true,
                until: None,
                reason: "x".into()
            },
            "t",
            "test"
        )
        .is_err());
    assert!(rule.restricts_on("2029-12-31") && !rule.restricts_on("2030-01-01"));
    let rules = store.access_rules().unwrap();
    assert_eq!(
        rules
            .iter()
            .filter(|r| r.access.restricted && !r.series.is_empty())
            .count(),
        1
    );
    assert!(rules.contains(&rule));
    let (indicator, level, period) = rule.series[0].clone();
    let all = store.observations(&indicator, level, period).unwrap();
    assert!(all.iter().any(|o| o.load_id == first));

    let public = Visibility::new(&rules, "2026-12-07", false);
    let view = Filtered::new(&*store, &public);
    let seen = view.observations(&indicator, level, period).unwrap();
    assert!(seen.iter().all(|o| o.load_id != first));
    assert!(view.seen().is_empty());
    let after = Visibility::new(&rules, "2030-01-01", false);
    assert_eq!(
        Filtered::new(&*store, &after)
            .observations(&indicator, level, period)
            .unwrap(),
        all
    );
    let analyst = Visibility::new(&rules, "2026-12-07", true);
    let view = Filtered::new(&*store, &analyst);
    assert_eq!(view.observations(&indicator, level, period).unwrap(), all);
    assert!(view.seen().contains(&indicator));

    // Public again: no series kept.
    let rule = store
        .set_load_access(
            first,
            &LoadAccess {
                restricted: false,
                until: None,
                reason: "published".into(),
            },
            "2026-12-08T00:00:00Z",
            "test",
        )
        .unwrap();
    assert!(rule.series.is_empty() && !rule.access.restricted);

    let a = store.create_token("script", "analyst", "h1", "t1").unwrap();
    let b = store.create_token("other", "admin", "h2", "t2").unwrap();
    assert!(b > a);
    assert!(store.create_token("dup", "admin", "h2", "t3").is_err());
    assert!(store.revoke_token(a, "t4").unwrap());
    assert!(!store.revoke_token(a, "t5").unwrap());
    let t = store.token_by_hash("h1").unwrap().unwrap();
    assert_eq!((t.id, t.revoked_at.as_deref()), (a, Some("t4")));
    assert!(store.token_by_hash("nope").unwrap().is_none());
    let tokens = store.tokens().unwrap();
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[1].name, "other");

    for (i, action) in ["load", "read_restricted"].iter().enumerate() {
        store
            .append_audit(&AuditEntry {
                id: 0,
                at: format!("2026-12-07T00:00:0{i}Z"),
                actor: "script".into(),
                via: "token".into(),
                action: (*action).into(),
                subject: "v_a1,v_a2".into(),
                origin: "127.0.0.1 /api/observations".into(),
            })
            .unwrap();
    }
    let log = store.audit_log().unwrap();
    assert_eq!(
        log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["load", "read_restricted"]
    );
    assert!(log[0].id < log[1].id);
}

/// A load and what is derived from it are one write: when a derivation fails after the load,
/// neither remains (not a byte of it); when all succeed, both do. A write that fails inside
/// is undone alone, and the rest of the write still commits.
pub fn write_all_commits_a_load_and_its_derivations_together(h: &mut dyn Harness) {
    let load = || {
        batch(
            "derived",
            vec![indicator("x_d", "t")],
            vec![observation("x_d", "GM0363", 2024, 1.0)],
        )
    };
    let physical = h.physical();
    let err = h
        .store()
        .write_all(&mut |s| {
            s.apply_loads(&[load()], "t")?;
            s.sync_indicators(&[indicator("x_d", "catalogue")])?;
            Err(StoreError::Unavailable("a derivation failed".into()))
        })
        .unwrap_err();
    assert!(err.to_string().contains("derivation failed"));
    let store = h.store();
    assert!(store.loads().unwrap().is_empty());
    assert!(store.indicator("x_d").unwrap().is_none());
    assert_eq!(
        h.physical(),
        physical,
        "a failed write_all left data behind"
    );

    let bad = || {
        batch(
            "bad",
            vec![],
            vec![observation("v_unknown", "GM0014", 2024, 30.0)],
        )
    };
    h.store()
        .write_all(&mut |s| {
            // Refused half-way by the database: on PostgreSQL that aborts the transaction
            // unless the failed write is rolled back to its own savepoint.
            assert!(s.apply_loads(&[bad()], "t").is_err());
            s.apply_loads(&[load()], "t")?;
            s.sync_indicators(&[indicator("x_d", "catalogue")])?;
            Ok(())
        })
        .unwrap();
    let store = h.store();
    let loads = store.loads().unwrap();
    assert_eq!(loads.len(), 1);
    assert_eq!(
        (loads[0].id, loads[0].file_name.as_str()),
        (1, "derived.csv")
    );
    assert_eq!(
        store.indicator("x_d").unwrap().unwrap().indicator.source,
        "catalogue"
    );

    // A panic inside the work rolls back and leaves the store usable: the next write (through
    // the same connection) goes through, nothing of the panicked one remains.
    let physical = h.physical();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = h.store().write_all(&mut |s| {
            s.sync_indicators(&[indicator("x_panic", "t")])?;
            panic!("a bug inside a write");
        });
    }));
    assert!(panicked.is_err());
    assert!(h.store().indicator("x_panic").unwrap().is_none());
    assert_eq!(
        h.physical(),
        physical,
        "a panicked write_all left data behind"
    );
    h.store()
        .write_all(&mut |s| s.sync_indicators(&[indicator("x_after", "t")]))
        .unwrap();
    assert!(h.store().indicator("x_after").unwrap().is_some());
}

/// A restricted load and its access rule are one write: another connection sees neither
/// until both are committed, never the figures without the rule; when a later step fails,
/// neither remains.
pub fn a_restricted_load_is_never_readable_unrestricted(h: &mut dyn Harness) {
    use kwm_store::{Filtered, LoadAccess, Visibility};
    load_fixture(h.store());
    let reader = h.reader();
    let loads_before = reader.loads().unwrap().len();
    let physical = h.physical();
    let embargo = LoadAccess {
        restricted: true,
        until: None,
        reason: "embargo".into(),
    };
    let secret = || {
        batch(
            "secret",
            vec![indicator("v_secret", "test")],
            vec![observation("v_secret", "GM0363", 2024, 7.0)],
        )
    };
    let mut seen_between = Vec::new();
    for fail in [true, false] {
        let result = h.store().write_all(&mut |s| {
            let out = s.apply_loads(&[secret()], "2026-12-07T00:00:00Z")?;
            let LoadOutcome::Loaded { load_id, .. } = out[0] else {
                panic!("not loaded: {out:?}");
            };
            // Between the figures and their rule, another connection sees neither.
            seen_between.push((
                reader.loads()?.len(),
                reader
                    .observations("v_secret", Level::Gemeente, 2024)?
                    .len(),
            ));
            s.set_load_access(load_id, &embargo, "2026-12-07T00:00:00Z", "test")?;
            if fail {
                return Err(StoreError::Unavailable("the audit entry failed".into()));
            }
            Ok(())
        });
        if fail {
            assert!(result.is_err());
            assert_eq!(
                h.physical(),
                physical,
                "a failed restricted load left data behind"
            );
            assert!(h.store().access_rules().unwrap().is_empty());
        } else {
            result.unwrap();
        }
    }
    assert_eq!(seen_between, vec![(loads_before, 0), (loads_before, 0)]);

    let rules = reader.access_rules().unwrap();
    assert_eq!(rules.len(), 1);
    assert!(rules[0].access.restricted);
    let all = reader
        .observations("v_secret", Level::Gemeente, 2024)
        .unwrap();
    assert_eq!(all.len(), 1);
    let public = Visibility::new(&rules, "2026-12-07", false);
    assert!(Filtered::new(&*reader, &public)
        .observations("v_secret", Level::Gemeente, 2024)
        .unwrap()
        .is_empty());
}
