//! The national files: RIVM 50090NED (adults and the elderly down to buurt, split by its
//! `Leeftijd` dimension) and KWB 2020 in the Wijk- en Buurtkaart attribute format (CBS's negative
//! sentinels), on the real extracts in data/ and on broken variants. Reference values are the
//! published ones in the shared data's PROVENANCE.md files.

use std::path::PathBuf;

use kwm_ingest::{detect, read_path, FileKind, Format, IngestError, LoadBatch, ReadOptions};
use kwm_model::catalogue::{Catalogue, CatalogueFile};
use kwm_model::{Level, ValueStatus};
use kwm_testkit::repo;

fn data(rel: &str) -> PathBuf {
    repo().join("data").join(rel)
}

fn catalogue() -> Catalogue {
    let files: Vec<CatalogueFile> = [
        "catalogue.toml",
        "populations.toml",
        "sources.toml",
        "indicators.toml",
    ]
    .iter()
    .map(|n| CatalogueFile {
        name: n.to_string(),
        text: std::fs::read_to_string(repo().join("catalogue").join(n)).unwrap(),
    })
    .collect();
    Catalogue::parse(&files).unwrap()
}

fn read(rel: &str) -> Result<LoadBatch, IngestError> {
    read_path(&data(rel), &catalogue(), &ReadOptions::default(), None)
}

/// Writes `text` to a temporary file with this name and reads it.
fn read_text(name: &str, text: &str) -> Result<LoadBatch, IngestError> {
    let dir = std::env::temp_dir().join(format!("kwm-national-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    read_path(&path, &catalogue(), &ReadOptions::default(), None)
}

fn value(b: &LoadBatch, indicator: &str, region: &str) -> Option<f64> {
    b.observations
        .iter()
        .find(|o| o.indicator.as_str() == indicator && o.region.as_str() == region)
        .unwrap_or_else(|| panic!("no figure {indicator} for {region}"))
        .value
}

#[test]
fn rivm_adults_are_split_by_population_down_to_buurt() {
    let b = read("rivm/50090NED_2020_18plus.csv").unwrap();
    assert_eq!(b.dataset.id, "50090NED");
    assert_eq!(b.rows, 17_341);
    // 1 Land + 355 gemeenten + 3,177 wijken + 13,808 buurten, all on the 2020 layout.
    let count = |l: Level| b.regions.iter().filter(|r| r.code.level() == l).count();
    assert_eq!(
        (
            count(Level::Gemeente),
            count(Level::Wijk),
            count(Level::Buurt)
        ),
        (355, 3_177, 13_808)
    );
    assert!(b.regions.iter().all(|r| r.layout == 2020));
    // Every indicator says whom it describes: the population is part of its id and label.
    assert!(!b.indicators.is_empty());
    for i in &b.indicators {
        assert!(i.id.as_str().ends_with("_18plus"), "{}", i.id);
        assert!(i.label_nl.ends_with("(18+)"), "{}", i.label_nl);
    }
    let c = catalogue();
    assert_eq!(
        c.population_of("vo_moeite_met_rondkomen_18plus")
            .map(|p| p.id.as_str()),
        Some("18plus")
    );
    // Published: NL 18+ 2020 financial difficulty 13.9 %, lonely 47.0 %, severely lonely 11.2 %;
    // Amsterdam 24.3 % and 53.2 %.
    assert_eq!(
        value(&b, "vo_moeite_met_rondkomen_18plus", "NL01"),
        Some(13.9)
    );
    assert_eq!(value(&b, "vo_eenzaam_18plus", "NL01"), Some(47.0));
    assert_eq!(value(&b, "vo_ernstig_eenzaam_18plus", "NL01"), Some(11.2));
    assert_eq!(
        value(&b, "vo_moeite_met_rondkomen_18plus", "GM0363"),
        Some(24.3)
    );
    assert_eq!(value(&b, "vo_eenzaam_18plus", "GM0363"), Some(53.2));
    // A wijk of Rotterdam (Feijenoord) and a buurt have figures too.
    assert!(value(&b, "vo_moeite_met_rondkomen_18plus", "WK059910").is_some());
    assert!(value(&b, "vo_moeite_met_rondkomen_18plus", "BU16800000").is_some());
}

#[test]
fn rivm_series_2012_and_2016_are_on_the_2020_layout() {
    let b2012 = read("rivm/50090NED_2012_18plus.csv").unwrap();
    let b2016 = read("rivm/50090NED_2016_18plus.csv").unwrap();
    assert!(b2012.regions.iter().all(|r| r.layout == 2020));
    assert!(b2012.observations.iter().all(|o| o.period.0 == 2012));
    // Published NL 18+: 24.0 (2012), 19.2 (2016).
    assert_eq!(
        value(&b2012, "vo_moeite_met_rondkomen_18plus", "NL01"),
        Some(24.0)
    );
    assert_eq!(
        value(&b2016, "vo_moeite_met_rondkomen_18plus", "NL01"),
        Some(19.2)
    );
    // Questions the 2012 wave did not ask are said, not loaded as gaps of zeros.
    assert!(
        b2012.notes.iter().any(|n| n.contains("SociaalEenzaam_31")),
        "{:?}",
        b2012.notes
    );
}

#[test]
fn one_file_may_hold_several_populations_and_never_mixes_them() {
    let adults = std::fs::read_to_string(data("rivm/50090NED_2020_18plus.csv")).unwrap();
    let elderly = std::fs::read_to_string(data("rivm/50090NED_2020_65plus.csv")).unwrap();
    let mut both = adults.clone();
    both.extend(elderly.lines().skip(1).map(|l| format!("{l}\n")));
    let b = read_text("50090NED_2020_both.csv", &both).unwrap();
    let a = value(&b, "vo_eenzaam_18plus", "GM0599");
    let e = value(&b, "vo_eenzaam_65plus", "GM0599");
    assert!(a.is_some() && e.is_some());
    assert_ne!(a, e, "18+ and 65+ are different figures");
    let elderly_only = read("rivm/50090NED_2020_65plus.csv").unwrap();
    assert_eq!(e, value(&elderly_only, "vo_eenzaam_65plus", "GM0599"));
    assert!(elderly_only
        .indicators
        .iter()
        .all(|i| i.id.as_str().ends_with("_65plus")));
}

#[test]
fn an_unknown_population_code_is_a_located_error_and_loads_nothing() {
    let text = std::fs::read_to_string(data("rivm/50090NED_2020_18plus.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[3] = lines[3].replacen(",20300,", ",53105,", 1);
    let err = read_text("50090NED_2020_18plus.csv", &(lines.join("\n") + "\n")).unwrap_err();
    assert_eq!((err.line, err.column), (4, 2), "{err}");
    assert!(err.message.contains("Leeftijd"), "{err}");
    assert!(err.message.contains("20300 = 18plus"), "{err}");
}

const KWB_2020: &str = "kwb/kwb_2020_gemeente_wijkbuurtkaart.csv";

#[test]
fn kwb_2020_map_attributes_per_gemeente() {
    let path = data(KWB_2020);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        detect(KWB_2020, &text).unwrap(),
        FileKind::Load(Format::KwbMap)
    );
    let b = read(KWB_2020).unwrap();
    assert_eq!(b.rows, 355);
    assert_eq!(b.regions.len(), 355);
    assert!(b
        .regions
        .iter()
        .all(|r| r.layout == 2020 && r.name.is_some()));
    // Published: NL population 1-1-2020 17,407,585; Amsterdam 872,757 inhabitants and 39,780
    // persons with bijstand; 12.4 % of its households at or around the social minimum.
    let total: f64 = b
        .observations
        .iter()
        .filter(|o| o.indicator.as_str() == "kwb_aantal_inwoners")
        .filter_map(|o| o.value)
        .sum();
    assert_eq!(total, 17_407_585.0);
    assert_eq!(value(&b, "kwb_aantal_inwoners", "GM0363"), Some(872_757.0));
    assert_eq!(value(&b, "kwb_bijstand", "GM0363"), Some(39_780.0));
    assert_eq!(value(&b, "kwb_sociaal_minimum", "GM0363"), Some(12.4));
    // Map names and StatLine keys both reach their catalogue indicators.
    assert!(value(&b, "kwb_opleiding_laag", "GM0363").is_some());
    assert!(b.observations.iter().all(|o| o.period.0 == 2020));
}

#[test]
fn cbs_sentinels_become_statuses_never_numbers() {
    let text = "GM_CODE,GM_NAAM,JAAR,AANT_INW,WWB_UITTOT,P_EENP_HH\n\
                GM0003,Appingedam,2020,11642,-99999999,38\n\
                GM0010,Delfzijl,2020,24678,970,-99999997\n\
                GM0014,Groningen,2020,232874,,55\n";
    let b = read_text("kwb_map.csv", text).unwrap();
    let status = |i: &str, r: &str| {
        b.observations
            .iter()
            .find(|o| o.indicator.as_str() == i && o.region.as_str() == r)
            .map(|o| (o.value, o.status))
            .unwrap()
    };
    assert_eq!(
        status("kwb_bijstand", "GM0003"),
        (None, ValueStatus::Suppressed)
    );
    assert_eq!(
        status("kwb_eenpersoonshuishoudens_pct", "GM0010"),
        (None, ValueStatus::NotApplicable)
    );
    assert_eq!(
        status("kwb_bijstand", "GM0014"),
        (None, ValueStatus::Suppressed)
    );
    assert_eq!(
        status("kwb_bijstand", "GM0010"),
        (Some(970.0), ValueStatus::Ok)
    );
    assert!(
        b.notes.iter().any(|n| n.contains("not applicable")),
        "{:?}",
        b.notes
    );
}

#[test]
fn broken_kwb_map_files_are_located_errors() {
    let err = read_text(
        "kwb_map.csv",
        "GM_CODE,GM_NAAM,JAAR,AANT_INW\nGM0003,Appingedam,2020,veel\n",
    )
    .unwrap_err();
    assert_eq!((err.line, err.column), (2, 4), "{err}");
    assert!(err.message.contains("AANT_INW"), "{err}");
    let err = read_text("kwb_map.csv", "GM_CODE,GM_NAAM,JAAR,AANT_INW\n").unwrap_err();
    assert!(err.message.contains("at least one data row"), "{err}");
    let err = read_text(
        "kwb_map.csv",
        "GM_CODE,GM_NAAM,AANT_INW\nGM0003,Appingedam,11642\n",
    )
    .unwrap_err();
    assert!(err.message.contains("JAAR"), "{err}");
    let err = read_text(
        "kwb_map.csv",
        "GM_CODE,GM_NAAM,JAAR,AANT_INW\nGM0003,Appingedam,2020,1\nGM0003,Appingedam,2020,2\n",
    )
    .unwrap_err();
    assert_eq!(err.line, 3, "{err}");
    assert!(err.message.contains("duplicate of line 2"), "{err}");
}

#[test]
fn boundary_properties_become_figures_only_when_asked() {
    // The first feature of the shared 2022 wijk boundaries (CBS/PDOK geometry, 85318NED values),
    // its ring reduced to a square.
    let text = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"statcode":"WK001400","statnaam":"Centrum","AantalInwoners_5":23065,"k_40PersonenMetLaagsteInkomen_73":60.3,"Nettoarbeidsparticipatie_67":null},"geometry":{"type":"Polygon","coordinates":[[[6.56,53.21],[6.58,53.21],[6.58,53.22],[6.56,53.22],[6.56,53.21]]]}}]}"#;
    let dir = std::env::temp_dir().join(format!("kwm-boundary-figures-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("wijk_2022_test.geojson");
    std::fs::write(&path, text).unwrap();
    let plain = read_path(&path, &catalogue(), &ReadOptions::default(), None).unwrap();
    assert!(
        plain.observations.is_empty(),
        "figures only with --boundary-figures"
    );
    let options = ReadOptions {
        boundary_figures: true,
        table: Some("85318NED".into()),
        ..Default::default()
    };
    let b = read_path(&path, &catalogue(), &options, None).unwrap();
    assert_eq!(b.boundaries.len(), 1);
    assert_eq!(b.observations.len(), 3);
    // A key the catalogue knows reaches its curated indicator; the period is the layout year.
    let inhabitants = b
        .observations
        .iter()
        .find(|o| o.indicator.as_str() == "kwb_aantal_inwoners")
        .unwrap();
    assert_eq!(
        (inhabitants.value, inhabitants.period.0),
        (Some(23065.0), 2022)
    );
    let missing = b.observations.iter().find(|o| o.value.is_none()).unwrap();
    assert_eq!(missing.status, ValueStatus::Suppressed);
    // A text value where a figure is expected is a located error.
    std::fs::write(&path, text.replace("60.3", "\"veel\"")).unwrap();
    let err = read_path(&path, &catalogue(), &options, None).unwrap_err();
    assert!(
        err.message.contains("k_40PersonenMetLaagsteInkomen_73"),
        "{err}"
    );
    assert_eq!(err.line, 1);
}
