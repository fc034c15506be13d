//! Person-level stacking read back from a store: the committed SYNTHETIC demo table
//! (`data/synthetic/`), and a small hand-made real-prefix table that takes precedence.

use std::path::PathBuf;

use kwm_ingest::ReadOptions;
use kwm_model::catalogue::Catalogue;
use kwm_model::RegionCode;
use kwm_monitor::persons::{person_stacking, Cell};
use kwm_store::SqliteStore;
use kwm_testkit::repo;

fn store(name: &str, files: &[PathBuf]) -> SqliteStore {
    let dir = std::env::temp_dir().join(format!("kwm-persons-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.sqlite"));
    let _ = std::fs::remove_file(&path);
    let mut store = SqliteStore::open(&path).unwrap();
    kwm_monitor::ingest::ingest_files(
        &mut store,
        &Catalogue::default(),
        files,
        &ReadOptions::default(),
        "2026-11-23T00:00:00Z",
    )
    .unwrap();
    store
}

fn synthetic() -> PathBuf {
    repo().join("data/synthetic/persons_stacking_synthetic_2024.csv")
}

#[test]
fn the_synthetic_demo_table_reads_back_top_coded_and_labelled_synthetic() {
    let store = store("synthetic", &[synthetic()]);
    let s = person_stacking(&store, None, None, None).unwrap().unwrap();
    assert!(s.synthetic);
    assert_eq!(s.prefix, "synthetic_mds_");
    assert_eq!(s.period, 2024);
    assert_eq!(s.region.as_str(), "NL01");
    let labels: Vec<&str> = s.classes.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["0", "1", "2", "3+"]);
    // The national total and its distribution add up (all published).
    assert_eq!(s.total.persons, Cell::Value(17_942_942.0));
    let sum: f64 = s.total.counts.iter().map(|c| c.value().unwrap()).sum();
    assert_eq!(sum, 17_942_942.0);
    let share_sum: f64 = s.total.shares.iter().map(|x| x.unwrap()).sum();
    assert!((share_sum - 100.0).abs() < 1e-9);
    // Age class and SES class, then crossed; categories in their own order.
    let dims: Vec<Vec<String>> = s.groups.iter().map(|g| g.dimensions.clone()).collect();
    assert_eq!(
        dims,
        [
            vec!["age_class".to_string()],
            vec!["ses_class".to_string()],
            vec!["age_class".to_string(), "ses_class".to_string()]
        ]
    );
    let ses: Vec<&str> = s.groups[1]
        .rows
        .iter()
        .map(|r| r.parts[0].1.as_str())
        .collect();
    assert_eq!(ses, ["low", "middle", "high"]);
    assert_eq!(s.regions.len(), 7);
    assert_eq!(s.regions[0].0.as_str(), "NL01");

    // Vlieland (about 1,250 invented inhabitants): suppressed cells stay suppressed, and no
    // share is made up for them.
    let vlieland = RegionCode::parse("GM0096").unwrap();
    let v = person_stacking(&store, None, Some(&vlieland), Some(2024))
        .unwrap()
        .unwrap();
    let rows = v.groups.iter().flat_map(|g| &g.rows);
    let mut suppressed = 0;
    for r in rows {
        for (c, share) in r.counts.iter().zip(&r.shares) {
            if *c == Cell::Suppressed {
                suppressed += 1;
                assert_eq!(*share, None);
            }
        }
    }
    assert!(suppressed > 10, "{suppressed}");
    // Unknown period or region: not found.
    assert!(person_stacking(&store, None, None, Some(2019)).is_err());
    let nowhere = RegionCode::parse("GM0344").unwrap();
    assert!(person_stacking(&store, None, Some(&nowhere), None).is_err());
}

#[test]
fn a_real_table_comes_before_a_synthetic_one_and_nothing_loaded_is_none() {
    let empty = store("empty", &[]);
    assert_eq!(person_stacking(&empty, None, None, None).unwrap(), None);
    let dir = std::env::temp_dir().join(format!("kwm-persons-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let real = dir.join("real.csv");
    std::fs::write(
        &real,
        "region,period,indicator,value,n,breakdown\n\
         GM0014,2023,mds_persons,40,40,\n\
         GM0014,2023,mds_stack_0,30,40,\n\
         GM0014,2023,mds_stack_1,,40,\n\
         GM0014,2023,mds_stack_2plus,,40,\n\
         GM0014,2023,mds_persons,20,20,sex=female\n\
         GM0014,2023,mds_stack_0,20,20,sex=female\n\
         GM0014,2023,mds_stack_1,0,20,sex=female\n\
         GM0014,2023,mds_stack_2plus,0,20,sex=female\n",
    )
    .unwrap();
    let store = store("both", &[synthetic(), real]);
    let s = person_stacking(&store, None, None, None).unwrap().unwrap();
    assert!(!s.synthetic);
    assert_eq!(s.prefixes, ["mds_", "synthetic_mds_"]);
    assert_eq!(s.region.as_str(), "GM0014");
    let labels: Vec<&str> = s.classes.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["0", "1", "2+"]);
    assert_eq!(
        s.total.counts,
        [Cell::Value(30.0), Cell::Suppressed, Cell::Suppressed]
    );
    assert_eq!(s.total.shares, [Some(75.0), None, None]);
    assert_eq!(
        s.groups[0].rows[0].shares,
        [Some(100.0), Some(0.0), Some(0.0)]
    );
    let synthetic = person_stacking(&store, Some("synthetic_mds_"), None, None)
        .unwrap()
        .unwrap();
    assert!(synthetic.synthetic);
    assert!(person_stacking(&store, Some("other_"), None, None).is_err());
}
