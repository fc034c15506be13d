//! Long-term monitoring on the real demo files: layouts and their changes derived from the
//! code lists and boundaries, the official change table, and KWB 2019 population harmonised
//! onto the 2024 layout — checked against published numbers (CBS KWB 2019: Appingedam +
//! Delfzijl + Loppersum = 46,051; Amsterdam + Weesp = 882,299; the Netherlands 17,282,163).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use kwm_ingest::ReadOptions;
use kwm_model::{ChangeKind, Level, RegionCode};
use kwm_monitor::layouts;
use kwm_store::{ChangeOrigin, SqliteStore, Store};
use kwm_testkit::repo;

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

const FILES: &[&str] = &[
    "codelists/gemeenten_2019.csv",
    "codelists/gemeenten_2021_provincie.csv",
    "changes/gemeentelijke_indelingswijzigingen_2019_2024.csv",
    "boundaries/gemeente_2019_haaren_cbs_wijk2017.geojson",
    "boundaries/gemeente_2022_cartomap_wgs84.topojson",
    "boundaries/gemeente_2023_cartomap_wgs84.topojson",
    "boundaries/gemeente_2024_pdok_gegeneraliseerd.geojson",
    "kwb/85984NED_DataProperties.json",
    "kwb/kwb_2024_85984NED_gemeente_wijk_basis.csv",
    "kwb/kwb_2019_gemeente_bevolking_long.csv",
];

/// One store per test binary, harmonised onto 2024.
fn store() -> &'static Mutex<SqliteStore> {
    static STORE: OnceLock<Mutex<SqliteStore>> = OnceLock::new();
    STORE.get_or_init(|| {
        let catalogue = kwm_monitor::catalogue::load_dir(&repo().join("catalogue")).unwrap();
        let mut store = SqliteStore::open_in_memory().unwrap();
        let files: Vec<PathBuf> = kwm_testkit::data_files(FILES);
        kwm_monitor::ingest::ingest_files(
            &mut store,
            &catalogue,
            &files,
            &ReadOptions::default(),
            "2026-11-23T00:00:00Z",
        )
        .unwrap();
        let report =
            kwm_monitor::harmonise::harmonise(&mut store, &catalogue, 2024, "2026-11-23T00:00:00Z")
                .unwrap();
        assert!(report.ran);
        Mutex::new(store)
    })
}

fn population_2019_on_2024(store: &SqliteStore) -> BTreeMap<RegionCode, (f64, String)> {
    store
        .harmonised(2024, "kwb_aantal_inwoners", Level::Gemeente)
        .unwrap()
        .into_iter()
        .filter(|h| h.period == 2019)
        .map(|h| (h.region, (h.value, h.method)))
        .collect()
}

#[test]
fn merges_add_up_exactly_to_the_published_numbers() {
    let store = store().lock().unwrap_or_else(|e| e.into_inner());
    let pop = population_2019_on_2024(&store);
    assert_eq!(
        pop[&code("GM1979")],
        (46_051.0, "exact".to_string()),
        "Eemsdelta = Appingedam + Delfzijl + Loppersum"
    );
    assert_eq!(
        pop[&code("GM0363")],
        (882_299.0, "exact".to_string()),
        "Amsterdam + Weesp"
    );
    assert_eq!(pop[&code("GM1992")].1, "exact");
    // Every 2024 gemeente gets a 2019 figure, and the Haaren split loses no one.
    assert_eq!(pop.len(), 342);
    let total: f64 = pop.values().map(|(v, _)| v).sum();
    assert!(
        (total - 17_282_163.0).abs() < 1e-6,
        "national total 1-1-2019: {total}"
    );
    // An unchanged gemeente keeps its published figure.
    assert_eq!(pop[&code("GM0014")].1, "published");
}

#[test]
fn the_haaren_split_is_allocated_by_documented_weights_and_marked_estimated() {
    let store = store().lock().unwrap_or_else(|e| e.into_inner());
    let changes = layouts::effective_changes(&*store, Level::Gemeente).unwrap();
    let haaren: Vec<_> = changes
        .iter()
        .filter(|c| c.change.old_code == code("GM0788"))
        .collect();
    let targets: Vec<&str> = haaren.iter().map(|c| c.change.new_code.as_str()).collect();
    assert_eq!(targets, ["GM0757", "GM0824", "GM0855", "GM0865"]);
    assert!(haaren
        .iter()
        .all(|c| c.change.kind == ChangeKind::Split && c.origin == ChangeOrigin::Official));
    let shares: Vec<f64> = haaren.iter().map(|c| c.change.weight.unwrap()).collect();
    assert!(
        (shares.iter().sum::<f64>() - 1.0).abs() < 1e-9,
        "{shares:?}"
    );
    assert!(
        shares.iter().all(|s| *s > 0.05),
        "every village lies in its successor: {shares:?}"
    );
    // The weight is population: KWB 2024 gives the wijken that Esch (WK075730 + WK075731:
    // 1,850 + 355), Biezenmortel (WK085568: 1,485) and Helvoirt (WK086503: 4,915) became;
    // Haaren village's wijk in Oisterwijk (WK082420) has no 2024 figure (Oisterwijk re-coded its
    // wijken), so it gets the rest of Haaren's 14,195 inhabitants of 1-1-2019.
    let basis = haaren[0].change.weight_basis.as_deref().unwrap();
    assert!(
        basis.starts_with("bevolking van de delen in 2024"),
        "{basis}"
    );
    assert!(
        basis.contains("WK082420 zonder cijfer krijgt de rest van GM0788 in 2019"),
        "{basis}"
    );
    let expected = [
        1_850.0 + 355.0,
        14_195.0 - (1_850.0 + 355.0 + 1_485.0 + 4_915.0),
        1_485.0,
        4_915.0,
    ]
    .map(|n| n / 14_195.0);
    for (share, want) in shares.iter().zip(expected) {
        assert!((share - want).abs() < 1e-12, "{shares:?} vs {expected:?}");
    }
    assert!(haaren.iter().all(|c| c.weight_derived));
    let pop = population_2019_on_2024(&store);
    for (c, share) in haaren.iter().zip(&shares) {
        let (value, method) = &pop[&c.change.new_code];
        assert_eq!(method, "estimated");
        let own = store
            .observations("kwb_aantal_inwoners", Level::Gemeente, 2019)
            .unwrap()
            .into_iter()
            .find(|o| o.region == c.change.new_code)
            .unwrap()
            .value
            .unwrap();
        assert!(
            (value - own - share * 14_195.0).abs() < 1e-6,
            "Haaren had 14,195 inhabitants on 1-1-2019"
        );
    }
}

#[test]
fn layouts_and_changes_are_derived_from_the_real_files() {
    let store = store().lock().unwrap_or_else(|e| e.into_inner());
    let overview = layouts::overview(&*store).unwrap();
    let gemeente = overview
        .iter()
        .find(|l| l.level == Level::Gemeente)
        .unwrap();
    let sizes: Vec<(i32, usize)> = gemeente
        .layouts
        .iter()
        .map(|l| (l.layout, l.regions))
        .collect();
    assert_eq!(
        sizes,
        [
            (2019, 355),
            (2021, 352),
            (2022, 345),
            (2023, 342),
            (2024, 342)
        ]
    );
    let pairs: Vec<(i32, i32)> = gemeente
        .pairs
        .iter()
        .map(|p| (p.from_layout, p.to_layout))
        .collect();
    assert_eq!(
        pairs,
        [(2019, 2021), (2021, 2022), (2022, 2023), (2023, 2024)]
    );
    // With the official table loaded nothing is left unexplained.
    for p in &gemeente.pairs {
        assert!(
            p.unexplained_disappeared.is_empty() && p.unexplained_appeared.is_empty(),
            "{p:?}"
        );
    }
    let merges = |p: usize| {
        gemeente.pairs[p]
            .counts
            .get(&ChangeKind::Merge)
            .copied()
            .unwrap_or(0)
    };
    assert_eq!((merges(0), merges(1), merges(2)), (3, 10, 4));
    assert_eq!(gemeente.pairs[0].counts.get(&ChangeKind::Split), Some(&4));
    assert!(
        gemeente.pairs[3].counts.is_empty(),
        "no code changes on 1-1-2024"
    );
    // Where both layouts have boundaries (2022 → 2023), the overlay finds the same mergers as
    // the official table, independently.
    let derived: Vec<(String, String)> = store
        .region_changes(Some(Level::Gemeente))
        .unwrap()
        .into_iter()
        .filter(|c| c.origin == ChangeOrigin::Derived && c.change.kind == ChangeKind::Merge)
        .map(|c| (c.change.old_code.to_string(), c.change.new_code.to_string()))
        .collect();
    assert_eq!(
        derived,
        [
            ("GM0457", "GM0363"),
            ("GM0501", "GM1992"),
            ("GM0530", "GM1992"),
            ("GM0614", "GM1992")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    // Spelling differences between sources ("Hengelo" / "Hengelo (O.)") are not renames.
    assert!(!store
        .region_changes(Some(Level::Gemeente))
        .unwrap()
        .iter()
        .any(|c| c.change.kind == ChangeKind::Rename));
}

#[test]
fn a_merged_rate_is_recomputed_from_counts_on_real_codes() {
    // Counts and rates for the three gemeenten that became Eemsdelta, in the long format (the
    // figures are made up; the populations are the published ones). The merged rate must be
    // Σ clients / Σ population × 1000, not the mean of the three rates.
    let dir = std::env::temp_dir().join(format!("kwm-time-rate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("wmo_2019.csv");
    let rows = [
        ("GM0003", 11_721.0, 900.0),
        ("GM0010", 24_716.0, 2_500.0),
        ("GM0024", 9_614.0, 600.0),
    ];
    let mut text = String::from("region,period,indicator,value\n");
    for (c, pop, clients) in rows {
        text.push_str(&format!(
            "{c},2019,kwb_wmo_clienten,{clients}\n{c},2019,kwb_wmo_clienten_relatief,{}\n",
            (clients / pop * 1000.0_f64).round()
        ));
    }
    std::fs::write(&file, text).unwrap();
    let catalogue = kwm_monitor::catalogue::load_dir(&repo().join("catalogue")).unwrap();
    let mut store = SqliteStore::open_in_memory().unwrap();
    let mut files: Vec<PathBuf> = kwm_testkit::data_files(FILES);
    files.push(file);
    kwm_monitor::ingest::ingest_files(&mut store, &catalogue, &files, &ReadOptions::default(), "t")
        .unwrap();
    kwm_monitor::harmonise::harmonise(&mut store, &catalogue, 2024, "t").unwrap();
    let h = store
        .harmonised(2024, "kwb_wmo_clienten_relatief", Level::Gemeente)
        .unwrap()
        .into_iter()
        .find(|h| h.region == code("GM1979") && h.period == 2019)
        .unwrap();
    let clients: f64 = rows.iter().map(|r| r.2).sum();
    let population: f64 = rows.iter().map(|r| r.1).sum();
    assert_eq!(population, 46_051.0);
    assert!(
        (h.value - clients / population * 1000.0).abs() < 1e-9,
        "{h:?}"
    );
    assert_eq!(h.method, "recomputed");
    assert_eq!(
        h.n,
        Some(population),
        "the denominator travels with the rate, for tests"
    );
    let mean_of_rates: f64 = rows
        .iter()
        .map(|r| (r.2 / r.1 * 1000.0_f64).round())
        .sum::<f64>()
        / 3.0;
    assert!(
        (h.value - mean_of_rates).abs() > 1.0,
        "differs from averaging the published rates"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn harmonising_again_without_new_inputs_does_nothing() {
    let mut store = store().lock().unwrap_or_else(|e| e.into_inner());
    let catalogue = kwm_monitor::catalogue::load_dir(&repo().join("catalogue")).unwrap();
    let again = kwm_monitor::harmonise::harmonise(&mut *store, &catalogue, 2024, "later").unwrap();
    assert!(!again.ran);
    assert_eq!(
        store.harmonisations().unwrap()[0].created_at,
        "2026-11-23T00:00:00Z"
    );
}

#[test]
fn without_the_parts_population_the_split_falls_back_to_area() {
    let catalogue = kwm_monitor::catalogue::load_dir(&repo().join("catalogue")).unwrap();
    let mut store = SqliteStore::open_in_memory().unwrap();
    let files: Vec<PathBuf> = FILES
        .iter()
        .filter(|f| !f.contains("kwb_2024"))
        .map(|f| repo().join("data").join(f))
        .collect();
    kwm_monitor::ingest::ingest_files(&mut store, &catalogue, &files, &ReadOptions::default(), "t")
        .unwrap();
    let changes = layouts::effective_changes(&store, Level::Gemeente).unwrap();
    let haaren: Vec<_> = changes
        .iter()
        .filter(|c| c.change.old_code == code("GM0788"))
        .collect();
    let shares: Vec<f64> = haaren.iter().map(|c| c.change.weight.unwrap()).collect();
    assert!(
        (shares.iter().sum::<f64>() - 1.0).abs() < 1e-9,
        "{shares:?}"
    );
    assert!(
        shares.iter().all(|s| *s > 0.05),
        "each village's wijk lies in its successor: {shares:?}"
    );
    let basis = haaren[0].change.weight_basis.as_deref().unwrap();
    assert_eq!(
        basis,
        "oppervlakte: grens van GM0788 (2019) over de grenzen van 2022"
    );
}
