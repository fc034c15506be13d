//! StatLine downloads "met labels" (columns named by their titles, not keys), including the
//! shape R's `write.csv` gives them: a leading row-number column `""`, headers mangled to
//! `Bevolking.Aantal.inwoners..aantal.`, space-padded codes and numbers, decimal commas in
//! quoted strings (`"2,1"`), and `NA`, `.` or blanks for missing values.
//!
//! Columns are matched to catalogue indicators through their `labels` (compared on letters and
//! digits only). Columns the catalogue does not describe are not loaded; the load's notes say
//! how many and which.

use std::collections::{BTreeMap, HashMap};

use kwm_model::catalogue::{label_key, Catalogue};
use kwm_model::{Indicator, IndicatorId, Observation, Period, RegionCode, ValueStatus};

use crate::batch::{Dataset, LoadBatch, RegionRecord};
use crate::boundaries::year_in_name;
use crate::error::{IngestError, LineIndex};
use crate::statline::{csv_error, parse_number};
use crate::ReadOptions;

/// Label keys of the region code column ("Regioaanduiding/Codering (code)").
const CODE_KEYS: &[&str] = &["regioaanduidingcoderingcode", "coderingcode", "codering"];
/// Label keys of the region name column.
const NAME_KEYS: &[&str] = &["wijkenenbuurten", "regios", "regioaanduidingregionaamnaam"];

/// True when a CSV header line is a StatLine "met labels" header with a region code column.
pub fn is_labels_header(first_line: &str) -> bool {
    first_line
        .split([',', ';'])
        .any(|c| CODE_KEYS[..2].contains(&label_key(c).as_str()))
}

fn is_missing(raw: &str) -> bool {
    matches!(raw.trim(), "" | "." | "NA" | "x" | "-" | "?")
}

pub(crate) fn read(
    file: &str,
    file_stem: &str,
    text: &str,
    catalogue: &Catalogue,
    options: &ReadOptions,
) -> Result<LoadBatch, IngestError> {
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.contains(';') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| IngestError::at(file, 1, 1, format!("could not read the header: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let keys: Vec<String> = header.iter().map(|h| label_key(h)).collect();
    let code_col = keys
        .iter()
        .position(|k| CODE_KEYS.contains(&k.as_str()))
        .ok_or_else(|| {
            IngestError::at(
                file,
                1,
                1,
                "expected a region code column (Regioaanduiding/Codering (code)), found none",
            )
        })?;
    let name_col = keys.iter().position(|k| NAME_KEYS.contains(&k.as_str()));

    let period = match options.period.or_else(|| year_in_name(file_stem)) {
        Some(p) => p,
        None => {
            return Err(IngestError::at(
                file,
                1,
                1,
                "expected a year in the file name or --period YEAR; found neither",
            ))
        }
    };
    let period = Period::parse(&period.to_string()).ok_or_else(|| {
        IngestError::at(
            file,
            1,
            1,
            format!("expected a period between 1900 and 2100, found {period}"),
        )
    })?;

    // Match columns to catalogue indicators.
    let mut columns: Vec<(usize, Indicator)> = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    let mut mapped_from: HashMap<IndicatorId, usize> = HashMap::new();
    let mut source_ids: Vec<String> = Vec::new();
    for (i, h) in header.iter().enumerate() {
        if i == code_col || Some(i) == name_col || keys[i].is_empty() {
            continue;
        }
        match catalogue.indicator_for_label(h) {
            Some(c) => {
                if let Some(first) = mapped_from.insert(c.indicator.id.clone(), i) {
                    return Err(IngestError::at(
                        file,
                        1,
                        i + 1,
                        format!(
                            "expected each indicator once, found '{}' in columns {} and {}",
                            c.indicator.id,
                            first + 1,
                            i + 1
                        ),
                    ));
                }
                if !source_ids.contains(&c.source_id) {
                    source_ids.push(c.source_id.clone());
                }
                columns.push((i, c.indicator.clone()));
            }
            // Region descriptions (name, type, layout-change flag) are not figures.
            None if keys[i].starts_with("regioaanduiding") => {}
            None => skipped.push(h.clone()),
        }
    }
    if columns.is_empty() {
        return Err(IngestError::at(
            file,
            1,
            1,
            "expected at least one column the catalogue describes (see `labels` in indicators.toml), found none",
        ));
    }
    let source = match source_ids.as_slice() {
        [one] => catalogue.source(one),
        _ => None,
    };
    let table = source.and_then(|s| s.tables.iter().find(|t| t.period == period.year()));
    let layout = options
        .layout
        .or(table.map(|t| t.layout))
        .unwrap_or(period.year());

    let lines = LineIndex::new(text);
    let mut observations = Vec::new();
    let mut regions: BTreeMap<RegionCode, RegionRecord> = BTreeMap::new();
    let mut first_line_of: HashMap<RegionCode, usize> = HashMap::new();
    let mut rows = 0;
    for result in reader.records() {
        let record = result.map_err(|e| csv_error(file, &lines, &e))?;
        let line = record.position().map_or(0, |p| lines.line(p.byte()));
        rows += 1;
        let code = RegionCode::parse(&record[code_col])
            .map_err(|e| IngestError::at(file, line, code_col + 1, e.to_string()))?;
        if let Some(first) = first_line_of.insert(code.clone(), line) {
            return Err(IngestError::at(
                file,
                line,
                code_col + 1,
                format!("expected one row per region, found {code} again (first on line {first})"),
            ));
        }
        let name = name_col
            .map(|c| record[c].trim().to_string())
            .filter(|n| !n.is_empty());
        regions.insert(
            code.clone(),
            RegionRecord {
                parent: code.parent(),
                code: code.clone(),
                layout,
                name,
            },
        );
        for (c, indicator) in &columns {
            let raw = &record[*c];
            let value = if is_missing(raw) {
                None
            } else {
                Some(parse_number(raw).ok_or_else(|| {
                    IngestError::at(
                        file,
                        line,
                        c + 1,
                        format!(
                            "expected a number (decimal point or comma), NA, '.' or an empty cell in column '{}', found '{}'",
                            header[*c],
                            raw.trim()
                        ),
                    )
                })?)
            };
            observations.push(Observation {
                indicator: indicator.id.clone(),
                region: code.clone(),
                period,
                breakdown: String::new(),
                status: if value.is_some() {
                    ValueStatus::Ok
                } else {
                    ValueStatus::Suppressed
                },
                value,
                lower: None,
                upper: None,
                n: None,
            });
        }
    }
    let mut notes = Vec::new();
    if !skipped.is_empty() {
        let shown: Vec<&str> = skipped.iter().take(5).map(String::as_str).collect();
        notes.push(format!(
            "{} column(s) not described in the catalogue were not loaded (add `labels` in indicators.toml to load them), e.g. {}",
            skipped.len(),
            shown.join(", ")
        ));
    }
    Ok(LoadBatch {
        dataset: Dataset {
            id: table.map_or_else(|| file_stem.to_string(), |t| t.table.clone()),
            title: source.map_or_else(
                || file_stem.to_string(),
                |s| format!("{} {} ({file_stem})", s.title_nl, period),
            ),
            publisher: source.map(|s| s.publisher.clone()).unwrap_or_default(),
            licence: source.map(|s| s.licence.clone()).unwrap_or_default(),
        },
        indicators: columns.into_iter().map(|(_, i)| i).collect(),
        observations,
        regions: regions.into_values().collect(),
        rows,
        notes,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kwm_model::catalogue::CatalogueFile;

    fn catalogue() -> Catalogue {
        Catalogue::parse(&[
            CatalogueFile { name: "catalogue.toml".into(), text: "version = \"t\"\n".into() },
            CatalogueFile {
                name: "sources.toml".into(),
                text: "[[source]]\nid = \"kwb\"\ntitle_nl = \"KWB\"\npublisher = \"CBS\"\nlicence = \"CC BY 4.0\"\ntables = [{ table = \"84583NED\", period = 2019 }]\n".into(),
            },
            CatalogueFile {
                name: "indicators.toml".into(),
                text: "[[indicator]]\nid = \"kwb_aantal_inwoners\"\nsource = \"kwb\"\nlabels = [\"Bevolking/Aantal inwoners (aantal)\"]\nlabel_nl = \"Inwoners\"\nunit = \"aantal\"\ndirection = \"neutral\"\nadditive = true\n\n[[indicator]]\nid = \"kwb_laag_inkomen\"\nsource = \"kwb\"\nlabels = [\"Inkomen/Huishoudens met een laag inkomen (%)\"]\nlabel_nl = \"Laag inkomen\"\nunit = \"%\"\ndirection = \"higher_is_worse\"\n".into(),
            },
        ])
        .unwrap()
    }

    const HEADER: &str = "\"\",\"Wijken.en.buurten\",\"Regioaanduiding.Codering..code.\",\"Bevolking.Aantal.inwoners..aantal.\",\"Inkomen.Huishoudens.met.een.laag.inkomen....\",\"Wonen.WOZ\"\n";

    #[test]
    fn r_mangled_headers_decimal_commas_and_na_are_read() {
        let text = format!("{HEADER}\"1\",\"Amsterdam\",\"GM0363    \",862965,\"12,8\",\"375\"\n\"2\",\"Centrum\",\"WK036300  \",4295,NA,\"1\"\n\"3\",\"Oost\",\"WK036301  \",\"   120\",\"    2.5\",\".\"\n");
        let b = read(
            "kwb_2019.csv",
            "kwb_2019",
            &text,
            &catalogue(),
            &ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(b.dataset.id, "84583NED");
        assert_eq!(b.observations.len(), 6);
        let v = |code: &str, id: &str| {
            b.observations
                .iter()
                .find(|o| o.region.as_str() == code && o.indicator.as_str() == id)
                .unwrap()
                .value
        };
        assert_eq!(v("GM0363", "kwb_laag_inkomen"), Some(12.8));
        assert_eq!(v("WK036300", "kwb_laag_inkomen"), None);
        assert_eq!(v("WK036301", "kwb_aantal_inwoners"), Some(120.0));
        assert_eq!(v("WK036301", "kwb_laag_inkomen"), Some(2.5));
        assert_eq!(b.regions[1].parent.as_ref().unwrap().as_str(), "GM0363");
        assert!(b.notes[0].contains("Wonen.WOZ"), "{:?}", b.notes);
    }

    #[test]
    fn a_bad_number_is_located() {
        let text = format!("{HEADER}\"1\",\"A\",\"GM0363\",\"8 62\",\"1\",\"1\"\n");
        let e = read(
            "kwb_2019.csv",
            "kwb_2019",
            &text,
            &catalogue(),
            &ReadOptions::default(),
        )
        .unwrap_err();
        assert_eq!((e.line, e.column), (2, 4), "{e}");
    }
}
