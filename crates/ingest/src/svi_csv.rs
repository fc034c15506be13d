//! CDC/ATSDR Social Vulnerability Index files (`SVI2018_US_COUNTY.csv`, tract files).
//!
//! Comma-separated, UTF-8, one header line, one area per row, `-999` for "no data". `FIPS` is
//! kept as text: county codes such as `01001` start with a zero, which a spreadsheet silently
//! drops — a file whose all-digit FIPS codes differ in length is refused rather than guessed.
//! Only the columns asked for are parsed; the file has ~120.
//!
//! Writing goes the other way: [`write_svi_csv`] writes `FIPS` and computed columns with the
//! missing code for missing values and the shortest decimal that reads back as the same number
//! (`0.5922`, `1`, `0.0006`).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use kwm_model::svi::SviEdition;

use crate::error::{decode_utf8, IngestError, LineIndex};
use crate::statline::csv_error;

/// Numeric columns of an SVI file, one value per area, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct SviTable {
    /// The file as named by the caller.
    pub file: String,
    /// FIPS code of every area, as text (leading zeros kept).
    pub fips: Vec<String>,
    /// The 1-based line of every area, for messages about a row.
    pub lines: Vec<usize>,
    /// Requested columns by name; the missing code is read as `None`.
    pub columns: BTreeMap<String, Vec<Option<f64>>>,
}

/// The inputs an SVI edition needs, read from a CDC file.
#[derive(Debug, Clone, PartialEq)]
pub struct SviInputs {
    /// FIPS code per area.
    pub fips: Vec<String>,
    /// The population column of the edition (`E_TOTPOP`), when it names one.
    pub population: Option<Vec<Option<f64>>>,
    /// `EP_<id>` per variable id.
    pub variables: BTreeMap<String, Vec<Option<f64>>>,
}

/// Reads `FIPS` and the named numeric columns from the bytes of an SVI file. Every requested
/// column must exist and every cell must be a number (the missing code included).
pub fn read_svi_columns(
    file: &str,
    bytes: &[u8],
    columns: &[String],
    missing_code: f64,
) -> Result<SviTable, IngestError> {
    // Validate without copying (a tract file is ~45 MB); decode_utf8 only to locate an error.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if std::str::from_utf8(bytes).is_err() {
        decode_utf8(file, bytes)?;
    }
    let lines_index = LineIndex::new(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b',')
        .flexible(false)
        .from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(file, &lines_index, &e))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let find = |name: &str| header.iter().position(|h| h == name);
    let fips_col = find("FIPS").ok_or_else(|| {
        IngestError::at(
            file,
            1,
            1,
            format!(
                "expected a FIPS column in the header of a CDC SVI file, found '{}'",
                abbreviated(&header)
            ),
        )
    })?;
    let mut wanted = Vec::with_capacity(columns.len());
    for name in columns {
        let index = find(name).ok_or_else(|| {
            IngestError::at(
                file,
                1,
                1,
                format!(
                    "expected a column '{name}' in the header (the edition needs it), found '{}'",
                    abbreviated(&header)
                ),
            )
        })?;
        wanted.push((name.clone(), index));
    }

    let mut fips = Vec::new();
    let mut lines = Vec::new();
    let mut values: Vec<Vec<Option<f64>>> = vec![Vec::new(); wanted.len()];
    let mut first_line_of: HashMap<String, usize> = HashMap::new();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(file, &lines_index, &e)),
        }
        let line = record.position().map_or(0, |p| lines_index.line(p.byte()));
        let code = std::str::from_utf8(&record[fips_col])
            .unwrap_or("")
            .trim()
            .to_string();
        if code.is_empty() {
            return Err(IngestError::at(
                file,
                line,
                fips_col + 1,
                "expected a FIPS code, found an empty cell",
            ));
        }
        if let Some(first) = first_line_of.insert(code.clone(), line) {
            return Err(IngestError::at(
                file,
                line,
                fips_col + 1,
                format!("FIPS {code} appears twice (first on line {first})"),
            ));
        }
        for ((name, index), out) in wanted.iter().zip(values.iter_mut()) {
            let raw = std::str::from_utf8(&record[*index]).unwrap_or("").trim();
            let value = raw
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    IngestError::at(
                        file,
                        line,
                        index + 1,
                        format!(
                            "expected a number or {missing_code} in column '{name}', found '{raw}'"
                        ),
                    )
                })?;
            out.push(if value == missing_code {
                None
            } else {
                Some(value)
            });
        }
        fips.push(code);
        lines.push(line);
    }
    if fips.is_empty() {
        return Err(IngestError::at(
            file,
            2,
            1,
            "expected at least one area after the header, found none",
        ));
    }
    check_leading_zeros(file, &fips, &lines, fips_col + 1)?;
    Ok(SviTable {
        file: file.to_string(),
        fips,
        lines,
        columns: wanted
            .into_iter()
            .map(|(name, _)| name)
            .zip(values)
            .collect(),
    })
}

/// Reads what an edition needs (`EP_<id>` of every variable and the population column) from
/// the bytes of an SVI file.
pub fn read_svi_inputs(
    file: &str,
    bytes: &[u8],
    edition: &SviEdition,
) -> Result<SviInputs, IngestError> {
    let mut names: Vec<String> = edition.variables().map(|v| v.input_column()).collect();
    names.extend(edition.population_column.iter().cloned());
    let mut table = read_svi_columns(file, bytes, &names, edition.missing_code)?;
    let population = edition
        .population_column
        .as_ref()
        .and_then(|c| table.columns.remove(c));
    let variables = edition
        .variables()
        .map(|v| {
            (
                v.id.clone(),
                table.columns.remove(&v.input_column()).unwrap_or_default(),
            )
        })
        .collect();
    Ok(SviInputs {
        fips: table.fips,
        population,
        variables,
    })
}

/// Writes `FIPS` and the given columns as CSV: missing values as `missing_code`, numbers in
/// their shortest exact decimal form without exponent (`0.5922`, `1`, `0.0006`, `-999`),
/// FIPS as text. `decimals` is the rounding the numbers already have (the edition's); it
/// only selects a faster way to print them, the text is the same.
pub fn write_svi_csv<W: Write>(
    mut out: W,
    fips: &[String],
    columns: &[(String, Vec<Option<f64>>)],
    missing_code: f64,
    decimals: u32,
) -> std::io::Result<()> {
    // Numbers never need quoting, so rows are assembled by hand; only text (FIPS, column
    // names) goes through the quoting rule. A tract file has ~3 million cells.
    let mut row: Vec<u8> = Vec::with_capacity(64 + 12 * columns.len());
    push_text(&mut row, "FIPS");
    for (name, _) in columns {
        row.push(b',');
        push_text(&mut row, name);
    }
    row.push(b'\n');
    out.write_all(&row)?;
    let format = NumberFormat::new(decimals);
    for (i, code) in fips.iter().enumerate() {
        row.clear();
        push_text(&mut row, code);
        for (_, values) in columns {
            row.push(b',');
            format.write(&mut row, values[i].unwrap_or(missing_code));
        }
        row.push(b'\n');
        out.write_all(&row)?;
    }
    out.flush()
}

/// A CSV text field, quoted (with doubled quotes) only when it holds a delimiter, quote or
/// line break — the same rule as the `csv` crate's default.
fn push_text(row: &mut Vec<u8>, text: &str) {
    if text
        .bytes()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        row.push(b'"');
        for b in text.bytes() {
            if b == b'"' {
                row.push(b'"');
            }
            row.push(b);
        }
        row.push(b'"');
    } else {
        row.extend_from_slice(text.as_bytes());
    }
}

/// Prints numbers as Rust's `Display` for `f64` does — the shortest string that parses back
/// to the same value, never with an exponent — but without its general float-to-decimal
/// search for the common case of a number with at most `decimals` decimals: printing
/// three million cells is most of the time `kwm svi` takes.
struct NumberFormat {
    decimals: usize,
    scale: f64,
}

impl NumberFormat {
    fn new(decimals: u32) -> NumberFormat {
        let decimals = decimals.min(15);
        NumberFormat {
            decimals: decimals as usize,
            scale: 10f64.powi(decimals as i32),
        }
    }

    fn write(&self, out: &mut Vec<u8>, v: f64) {
        let scaled = (v.abs() * self.scale).round();
        // Exactly k/10^d with few enough digits: that decimal is the shortest round-trip form
        // (two different decimals of at most 15 significant digits never share a double).
        if scaled < 1e15 && scaled / self.scale == v.abs() {
            let k = scaled as u64;
            if v < 0.0 && k != 0 {
                out.push(b'-');
            }
            // The digits of k, little-endian, at least one before the point.
            let mut digits = [0u8; 20];
            let mut len = 0;
            let mut rest = k;
            while rest > 0 || len <= self.decimals {
                digits[len] = b'0' + (rest % 10) as u8;
                rest /= 10;
                len += 1;
            }
            // Trailing zeros of the fraction are not printed.
            let mut end = 0;
            while end < self.decimals && digits[end] == b'0' {
                end += 1;
            }
            out.extend(digits[self.decimals..len].iter().rev());
            if end < self.decimals {
                out.push(b'.');
                out.extend(digits[end..self.decimals].iter().rev());
            }
        } else {
            use std::io::Write as _;
            let _ = write!(out, "{v}");
        }
    }
}

/// Refuses all-digit FIPS codes of unequal length: the shorter ones lost a leading zero.
fn check_leading_zeros(
    file: &str,
    fips: &[String],
    lines: &[usize],
    column: usize,
) -> Result<(), IngestError> {
    if !fips.iter().all(|f| f.bytes().all(|b| b.is_ascii_digit())) {
        return Ok(());
    }
    let longest = fips.iter().map(String::len).max().unwrap_or(0);
    if let Some(i) = fips.iter().position(|f| f.len() != longest) {
        return Err(IngestError::at(file, lines[i], column, format!(
            "FIPS '{}' has {} digits where others have {longest}: leading zeros were lost (the file was probably opened in a spreadsheet); keep FIPS as text",
            fips[i], fips[i].len()
        )));
    }
    Ok(())
}

fn abbreviated(header: &[String]) -> String {
    let shown: Vec<&str> = header.iter().take(8).map(String::as_str).collect();
    if header.len() > 8 {
        format!("{},… ({} columns)", shown.join(","), header.len())
    } else {
        shown.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str =
        "ST,FIPS,E_TOTPOP,EP_A\n01,01001,10,2.5\n01,01003,0,-999\n02,02013,7,6e-4\n";

    #[test]
    fn reads_fips_as_text_and_missing_as_none() {
        let t = read_svi_columns(
            "s.csv",
            SMALL.as_bytes(),
            &["EP_A".into(), "E_TOTPOP".into()],
            -999.0,
        )
        .unwrap();
        assert_eq!(t.fips, ["01001", "01003", "02013"]);
        assert_eq!(t.columns["EP_A"], [Some(2.5), None, Some(0.0006)]);
        assert_eq!(t.columns["E_TOTPOP"], [Some(10.0), Some(0.0), Some(7.0)]);
        assert_eq!(t.lines, [2, 3, 4]);
    }

    #[test]
    fn bom_is_skipped_and_latin1_located() {
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), SMALL.as_bytes()].concat();
        let t = read_svi_columns("s.csv", &with_bom, &["EP_A".into()], -999.0).unwrap();
        assert_eq!(t.fips[0], "01001");
        // "S\xE9,FIPS,…": a Latin-1 byte in the header.
        let mut bytes = SMALL.as_bytes().to_vec();
        bytes[1] = 0xE9;
        let e = read_svi_columns("s.csv", &bytes, &[], -999.0).unwrap_err();
        assert_eq!((e.line, e.column), (1, 2), "{e}");
    }

    #[test]
    fn errors_point_at_file_line_and_column() {
        let bad = SMALL.replace("6e-4", "n/a");
        let e = read_svi_columns("s.csv", bad.as_bytes(), &["EP_A".into()], -999.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "s.csv:4:4: expected a number or -999 in column 'EP_A', found 'n/a'"
        );

        let e = read_svi_columns("s.csv", SMALL.as_bytes(), &["EP_B".into()], -999.0).unwrap_err();
        assert!(e.message.contains("'EP_B'") && e.line == 1, "{e}");

        let dup = SMALL.replace("02013", "01001");
        let e = read_svi_columns("s.csv", dup.as_bytes(), &[], -999.0).unwrap_err();
        assert!(
            e.message.contains("twice (first on line 2)") && e.line == 4,
            "{e}"
        );

        let short = SMALL.replace(",01001,", ",1001,");
        let e = read_svi_columns("s.csv", short.as_bytes(), &[], -999.0).unwrap_err();
        assert!(
            e.message.contains("leading zeros") && (e.line, e.column) == (2, 2),
            "{e}"
        );

        let ragged = SMALL.replace("01,01003,0,-999", "01,01003,0");
        let e = read_svi_columns("s.csv", ragged.as_bytes(), &[], -999.0).unwrap_err();
        assert_eq!(e.line, 3, "{e}");
    }

    #[test]
    fn fast_number_format_prints_what_display_prints() {
        let f = NumberFormat::new(4);
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -999.0,
            0.0006,
            0.5922,
            // CDC's file spells this one 0.30620000000000003: the same double as 0.3062.
            "0.30620000000000003".parse().unwrap(),
            12.0847,
            1e-7,
            123456.78901,
            2.5e15,
            -3.25,
        ];
        // Every 4-decimal rank of a 3,142-county ranking, and sums of them.
        values.extend((0..3142).map(|k| round4(k as f64 / 3141.0)));
        values.extend(
            (0..3142).map(|k| round4(k as f64 / 3141.0) + round4((3141 - k) as f64 / 3141.0 * 0.7)),
        );
        for v in values {
            let mut out = Vec::new();
            f.write(&mut out, v);
            let out = String::from_utf8(out).unwrap();
            let expected = if v == 0.0 {
                "0".to_string()
            } else {
                format!("{v}")
            };
            assert_eq!(out, expected, "{v:?}");
        }
    }

    fn round4(x: f64) -> f64 {
        (x * 1e4).round() / 1e4
    }

    #[test]
    fn writes_missing_code_and_shortest_numbers() {
        let mut out = Vec::new();
        let cols = vec![
            ("EPL_A".to_string(), vec![Some(0.5922), None, Some(0.0006)]),
            ("F_A".to_string(), vec![Some(1.0), None, Some(-0.0)]),
        ];
        write_svi_csv(
            &mut out,
            &["01001".into(), "01003".into(), "02013".into()],
            &cols,
            -999.0,
            4,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "FIPS,EPL_A,F_A\n01001,0.5922,1\n01003,-999,-999\n02013,0.0006,0\n"
        );
        let mut row = Vec::new();
        push_text(&mut row, "Rio Arriba County, \"NM\"");
        assert_eq!(row, b"\"Rio Arriba County, \"\"NM\"\"\"");
    }
}
