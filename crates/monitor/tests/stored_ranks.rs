//! Region profiles read stored ranks (a few indexed reads) when they are up to date, and rank
//! every region of the level themselves when they are not: both ways give the same profile, on
//! real national figures (RIVM 50090NED 2020 adults down to buurt; KWB 2024 per gemeente, wijk
//! and buurt, with additive counts and a national total summed from the gemeenten).

use std::path::PathBuf;

use kwm_ingest::ReadOptions;
use kwm_model::RegionCode;
use kwm_monitor::query::{refresh_ranks, region_profile, RegionProfile};
use kwm_store::{SqliteStore, Store};
use kwm_testkit::repo;

fn summary(p: &RegionProfile) -> Vec<String> {
    p.rows
        .iter()
        .map(|r| {
            format!(
                "{} {:?} {:?} {:?} {:?} {:?} {} {:?}",
                r.indicator.indicator.id,
                r.row.value,
                r.row.status,
                r.row.rank,
                r.row.percentile,
                r.row.class,
                r.ranked,
                r.national
            )
        })
        .collect()
}

#[test]
fn stored_and_computed_ranks_give_the_same_profiles() {
    let catalogue = kwm_monitor::catalogue::load_dir(&repo().join("catalogue")).unwrap();
    let files: Vec<PathBuf> = [
        "rivm/50090NED_2020_18plus.csv",
        "kwb/kwb_2024_85984NED_alle_niveaus_leeftijd.csv",
        "kwb/kwb_2019_gemeente_bevolking_long.csv",
        "codelists/gemeenten_2019.csv",
    ]
    .iter()
    .map(|f| repo().join("data").join(f))
    .collect();
    // Without stored ranks: the files and the catalogue's metadata, nothing derived.
    let batches = kwm_ingest::read_inputs(&files, &catalogue, &ReadOptions::default()).unwrap();
    let mut store = SqliteStore::open_in_memory().unwrap();
    store.apply_loads(&batches, "t").unwrap();
    let indicators: Vec<_> = catalogue
        .indicators
        .iter()
        .map(|c| c.indicator.clone())
        .collect();
    store.sync_indicators(&indicators).unwrap();
    assert!(store
        .rank_states()
        .unwrap()
        .iter()
        .all(|s| s.basis.is_none()));

    let regions = [
        "GM0599",
        "GM0363",
        "WK059910",
        "BU05990110",
        "BU03630000",
        "NL01",
    ];
    let periods = [None, Some(2020), Some(2024), Some(2019)];
    let mut computed = Vec::new();
    for code in regions {
        let code = RegionCode::parse(code).unwrap();
        for period in periods {
            if let Ok(p) = region_profile(&store, &code, period) {
                computed.push((code.clone(), period, summary(&p)));
            }
        }
    }
    assert!(computed.len() >= 12, "profiles found: {}", computed.len());
    assert!(
        computed
            .iter()
            .any(|(_, _, rows)| rows.iter().any(|r| r.contains("Some(NationalValue"))),
        "some national values"
    );

    let refreshed = refresh_ranks(&mut store).unwrap();
    assert!(refreshed > 50, "{refreshed} series ranked");
    assert_eq!(
        refresh_ranks(&mut store).unwrap(),
        0,
        "nothing stale after a refresh"
    );
    for (code, period, rows) in &computed {
        let stored = region_profile(&store, code, *period).unwrap();
        assert_eq!(&summary(&stored), rows, "profile of {code} {period:?}");
    }
}
