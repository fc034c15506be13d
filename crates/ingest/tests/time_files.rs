//! The readers added for long-term monitoring, on the real files and broken variants of them:
//! the municipal change table, and the Amsterdam KWB 2017/2019 "met labels" files as R wrote
//! them (decimal commas, NA, space padding). Reference values are the published ones listed
//! in the shared data's PROVENANCE.md.

use std::path::PathBuf;

use kwm_ingest::{detect, read_path, FileKind, Format, IngestError, ReadOptions};
use kwm_model::catalogue::{Catalogue, CatalogueFile};
use kwm_model::{ChangeKind, Level, ValueStatus};
use kwm_testkit::repo;

fn data(rel: &str) -> PathBuf {
    repo().join("data").join(rel)
}

fn catalogue() -> Catalogue {
    let files: Vec<CatalogueFile> = ["catalogue.toml", "sources.toml", "indicators.toml"]
        .iter()
        .map(|n| CatalogueFile {
            name: n.to_string(),
            text: std::fs::read_to_string(repo().join("catalogue").join(n)).unwrap(),
        })
        .collect();
    Catalogue::parse(&files).unwrap()
}

const CHANGES: &str = "changes/gemeentelijke_indelingswijzigingen_2019_2024.csv";
const KWB_2017: &str = "kwb_amsterdam/kwb_2017_amsterdam_gemeente_wijk_buurt.csv";
const KWB_2019: &str = "kwb_amsterdam/kwb_2019_amsterdam_gemeente_wijk_buurt.csv";

fn read(rel: &str) -> Result<kwm_ingest::LoadBatch, IngestError> {
    read_path(&data(rel), &catalogue(), &ReadOptions::default(), None)
}

/// Writes `text` to a temporary file named like the original and reads it.
fn read_variant(name: &str, text: &str) -> IngestError {
    let dir = std::env::temp_dir().join(format!("kwm-time-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    read_path(&path, &catalogue(), &ReadOptions::default(), None).unwrap_err()
}

#[test]
fn the_change_table_covers_every_code_change_2019_2024() {
    let b = read(CHANGES).unwrap();
    assert_eq!(b.format, Some(Format::Changes));
    assert_eq!(b.changes.len(), 21);
    let by_layout = |layout: i32| b.changes.iter().filter(|c| c.to_layout == layout).count();
    assert_eq!(
        (by_layout(2021), by_layout(2022), by_layout(2023)),
        (7, 10, 4)
    );
    let weesp = b
        .changes
        .iter()
        .find(|c| c.old_code.as_str() == "GM0457")
        .unwrap();
    assert_eq!(
        (weesp.to_layout, weesp.effective.as_deref()),
        (2023, Some("2022-03-24"))
    );
    let haaren: Vec<_> = b
        .changes
        .iter()
        .filter(|c| c.old_code.as_str() == "GM0788")
        .collect();
    assert_eq!(haaren.len(), 4);
    assert!(haaren
        .iter()
        .all(|c| c.kind == ChangeKind::Split && c.weight.is_none()));
    assert_eq!(haaren[0].parts.len(), 2, "Esch and its scattered houses");
    // Every code that disappears between the code lists and boundary files is in the table.
    let codes = |rel: &str| -> Vec<String> {
        read(rel)
            .unwrap()
            .regions
            .into_iter()
            .filter(|r| r.code.level() == Level::Gemeente)
            .map(|r| r.code.to_string())
            .collect()
    };
    let (c2019, c2021) = (
        codes("codelists/gemeenten_2019.csv"),
        codes("codelists/gemeenten_2021_provincie.csv"),
    );
    let c2022 = codes("boundaries/gemeente_2022_cartomap_wgs84.topojson");
    let c2023 = codes("boundaries/gemeente_2023_cartomap_wgs84.topojson");
    for (old, new) in [(&c2019, &c2021), (&c2021, &c2022), (&c2022, &c2023)] {
        for gone in old.iter().filter(|c| !new.contains(c)) {
            assert!(
                b.changes.iter().any(|c| c.old_code.as_str() == gone),
                "{gone} missing from the table"
            );
        }
        for fresh in new.iter().filter(|c| !old.contains(c)) {
            assert!(
                b.changes.iter().any(|c| c.new_code.as_str() == fresh),
                "{fresh} missing from the table"
            );
        }
    }
}

#[test]
fn broken_change_tables_are_located() {
    let text = std::fs::read_to_string(data(CHANGES)).unwrap();
    let header_line = text
        .lines()
        .position(|l| l.starts_with("datum_ingang"))
        .unwrap()
        + 1;
    // A typo in a kind.
    let e = read_variant(
        "w.csv",
        &text.replacen(
            "2021-01-01,samenvoeging,GM0003",
            "2021-01-01,samenvoegin,GM0003",
            1,
        ),
    );
    assert_eq!((e.line, e.column), (header_line + 1, 2), "{e}");
    assert!(e.message.contains("samenvoegin"), "{e}");
    // A share that makes Haaren's parts add up to more than 1.
    let e = read_variant(
        "w.csv",
        &text
            .replacen("GM0855,Tilburg,,", "GM0855,Tilburg,0.7,", 1)
            .replacen("GM0865,Vught,,", "GM0865,Vught,0.6,", 1),
    );
    assert!(e.message.contains("add up to 1"), "{e}");
    // A wijk as the successor of a gemeente.
    let e = read_variant(
        "w.csv",
        &text.replacen("GM1979,Eemsdelta", "WK197900,Eemsdelta", 1),
    );
    assert_eq!((e.line, e.column), (header_line + 1, 5), "{e}");
}

#[test]
fn amsterdam_kwb_2019_as_written_by_r() {
    let text = std::fs::read_to_string(data(KWB_2019)).unwrap();
    assert_eq!(
        detect("kwb.csv", &text).unwrap(),
        FileKind::Load(Format::StatlineLabels)
    );
    let b = read(KWB_2019).unwrap();
    assert_eq!(
        b.dataset.id, "84583NED",
        "the catalogue's KWB table for 2019"
    );
    assert_eq!(b.rows, 580);
    assert_eq!(b.regions.len(), 580);
    let v = |code: &str, id: &str| {
        b.observations
            .iter()
            .find(|o| o.region.as_str() == code && o.indicator.as_str() == id)
            .unwrap_or_else(|| panic!("{code} {id}"))
    };
    // Reference values 2019 (PROVENANCE.md).
    assert_eq!(v("GM0363", "kwb_aantal_inwoners").value, Some(862_965.0));
    assert_eq!(
        v("GM0363", "kwb_eenpersoonshuishoudens").value,
        Some(257_453.0)
    );
    assert_eq!(
        v("GM0363", "kwb_laag_inkomen").value,
        Some(12.8),
        "decimal comma"
    );
    assert_eq!(v("GM0363", "kwb_sociaal_minimum").value, Some(12.4));
    assert_eq!(v("GM0363", "kwb_bijstand").value, Some(40_340.0));
    assert_eq!(v("GM0363", "kwb_jeugdzorg").value, Some(20_735.0));
    assert_eq!(v("GM0363", "kwb_jeugdzorg_pct").value, Some(10.2));
    assert_eq!(v("GM0363", "kwb_wmo_clienten").value, Some(70_295.0));
    assert_eq!(v("GM0363", "kwb_wmo_clienten_relatief").value, Some(81.0));
    assert_eq!(v("NL00", "kwb_laag_inkomen").value, Some(7.5));
    assert_eq!(v("NL00", "kwb_bijstand").value, Some(431_360.0));
    assert_eq!(v("NL00", "kwb_wmo_clienten").value, Some(1_166_485.0));
    // Non-missing counts at wijk / buurt level (PROVENANCE.md): low income 98 / 387.
    let present = |level: Level, id: &str| {
        b.observations
            .iter()
            .filter(|o| {
                o.region.level() == level
                    && o.indicator.as_str() == id
                    && o.status == ValueStatus::Ok
            })
            .count()
    };
    assert_eq!(
        (
            present(Level::Wijk, "kwb_laag_inkomen"),
            present(Level::Buurt, "kwb_laag_inkomen")
        ),
        (98, 387)
    );
    assert_eq!(
        (
            present(Level::Wijk, "kwb_bijstand"),
            present(Level::Buurt, "kwb_bijstand")
        ),
        (98, 423)
    );
    assert_eq!(
        (
            present(Level::Wijk, "kwb_wmo_clienten"),
            present(Level::Buurt, "kwb_wmo_clienten")
        ),
        (96, 379)
    );
    // Names and parents from the file and the codes.
    let wk = b
        .regions
        .iter()
        .find(|r| r.code.as_str() == "WK036300")
        .unwrap();
    assert_eq!(wk.name.as_deref(), Some("Burgwallen-Oude Zijde"));
    assert_eq!(wk.parent.as_ref().unwrap().as_str(), "GM0363");
    assert!(
        b.notes
            .iter()
            .any(|n| n.contains("not described in the catalogue")),
        "{:?}",
        b.notes
    );
}

#[test]
fn amsterdam_kwb_2017_with_space_padded_decimal_points() {
    let b = read(KWB_2017).unwrap();
    assert_eq!(b.dataset.id, "83765NED");
    let v = |code: &str, id: &str| {
        b.observations
            .iter()
            .find(|o| o.region.as_str() == code && o.indicator.as_str() == id)
            .unwrap()
            .value
    };
    assert_eq!(v("GM0363", "kwb_aantal_inwoners"), Some(844_947.0));
    assert_eq!(
        v("GM0363", "kwb_laag_inkomen"),
        Some(13.7),
        "\"    13.7\" in the file"
    );
    assert_eq!(v("NL00", "kwb_laag_inkomen"), Some(7.9));
    // The zorg columns are not in the 2017 table: nothing invented.
    assert!(!b
        .observations
        .iter()
        .any(|o| o.indicator.as_str() == "kwb_wmo_clienten"));
}

#[test]
fn broken_labels_files_are_located() {
    let text = std::fs::read_to_string(data(KWB_2019)).unwrap();
    // A number with two decimal separators on the gemeente row, in the population column.
    let broken = text.replacen(",862965,", ",\"862.965,0\",", 1);
    let e = read_variant("kwb_2019_amsterdam.csv", &broken);
    assert_eq!((e.line, e.column), (3, 7), "{e}");
    assert!(
        e.message.contains("Bevolking.Aantal.inwoners..aantal."),
        "{e}"
    );
    // Without a year in the name or --period there is no period.
    let e = read_variant("kwb_amsterdam.csv", &text);
    assert!(e.message.contains("--period"), "{e}");
}
