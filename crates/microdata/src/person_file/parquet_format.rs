//! Person files as Parquet, through the `parquet` crate's low-level column API (no Arrow,
//! which would triple the build time). Row groups are read on all cores, each thread with its
//! own file handle and counter, in batches so memory stays bounded.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parquet::basic::Compression;
use parquet::column::reader::ColumnReader;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use super::{Field, Plan, ReadSummary, SYNTHETIC_KEY, SYNTHETIC_MARKER};
use kwm_model::Period;

use crate::aggregate::{Breakdown, Counter};
use crate::characteristic::Characteristic;
use crate::characteristic::CharacteristicSet;
use crate::config::ReadConfig;
use crate::error::{DropLog, ErrorPolicy, MicrodataError, RowError};
use crate::person::PersonBatch;
use crate::person::{Household, Migration, SesClass, Sex};
use crate::stack::StackSpec;

const BATCH: usize = 65_536;

/// One decoded batch of one column: values of the non-null rows plus, for nullable columns,
/// which rows they belong to.
enum Values {
    Bool(Vec<bool>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Bytes(Vec<ByteArray>),
}

struct ColumnBatch {
    values: Values,
    /// `value_index[row]`, −1 for null; empty when the column is required.
    value_index: Vec<i32>,
}

impl ColumnBatch {
    /// The first `n` values as a slice, when the column is required and of a type the
    /// column-wise path handles.
    fn whole(&self, n: usize) -> Option<super::ColumnValues<'_>> {
        if !self.value_index.is_empty() {
            return None;
        }
        match &self.values {
            Values::Bool(v) => v.get(..n).map(super::ColumnValues::Bool),
            Values::I32(v) => v.get(..n).map(super::ColumnValues::I32),
            Values::F64(v) => v.get(..n).map(super::ColumnValues::F64),
            _ => None,
        }
    }

    fn field(&self, row: usize) -> Field<'_> {
        let i = if self.value_index.is_empty() {
            row
        } else {
            match self.value_index[row] {
                -1 => return Field::Missing,
                i => i as usize,
            }
        };
        match &self.values {
            Values::Bool(v) => Field::Bool(v[i]),
            Values::I32(v) => Field::Int(v[i] as i64),
            Values::I64(v) => Field::Int(v[i]),
            Values::F32(v) => Field::Float(v[i] as f64),
            Values::F64(v) => Field::Float(v[i]),
            Values::Bytes(v) => match std::str::from_utf8(v[i].data()) {
                Ok(s) if s.trim().is_empty() => Field::Missing,
                Ok(s) => Field::Text(s),
                Err(_) => Field::Missing,
            },
        }
    }
}

fn perr(file: &str, e: parquet::errors::ParquetError) -> MicrodataError {
    MicrodataError::file(file, format!("cannot read Parquet: {e}"))
}

/// Reads up to `BATCH` records of one column.
fn read_batch(
    reader: &mut ColumnReader,
    max_def: i16,
    def: &mut Vec<i16>,
) -> parquet::errors::Result<(usize, ColumnBatch)> {
    def.clear();
    macro_rules! go {
        ($r:expr, $variant:ident) => {{
            let mut v = Vec::with_capacity(BATCH);
            let (records, _, _) = $r.read_records(BATCH, Some(def), None, &mut v)?;
            (records, Values::$variant(v))
        }};
    }
    let (records, values) = match reader {
        ColumnReader::BoolColumnReader(r) => go!(r, Bool),
        ColumnReader::Int32ColumnReader(r) => go!(r, I32),
        ColumnReader::Int64ColumnReader(r) => go!(r, I64),
        ColumnReader::FloatColumnReader(r) => go!(r, F32),
        ColumnReader::DoubleColumnReader(r) => go!(r, F64),
        ColumnReader::ByteArrayColumnReader(r) => go!(r, Bytes),
        _ => {
            return Err(parquet::errors::ParquetError::General(
                "unsupported column type (INT96 or fixed-length bytes)".into(),
            ))
        }
    };
    let mut value_index = Vec::new();
    if max_def > 0 {
        let mut next = 0i32;
        value_index.extend(def.iter().map(|&d| {
            if d == max_def {
                next += 1;
                next - 1
            } else {
                -1
            }
        }));
    }
    Ok((
        records,
        ColumnBatch {
            values,
            value_index,
        },
    ))
}

/// Buffers of the column-wise path, reused across batches.
#[derive(Default)]
struct Scratch {
    blocks: Vec<u32>,
    cells: Vec<usize>,
}

/// Counts a batch column by column when every column it needs is required, of the usual type
/// and valid in every row. Returns false, having counted nothing, otherwise: the row-by-row
/// path then counts the batch and reports each bad row precisely.
fn count_fast(
    plan: &Plan,
    batch: &[ColumnBatch],
    n: usize,
    masks: &[u16],
    counter: &mut Counter,
    scratch: &mut Scratch,
) -> bool {
    let required = |c: usize| batch[c].value_index.is_empty();
    if !required(plan.person_id) || !required(plan.region) || !required(plan.year) {
        return false;
    }
    if let Values::Bytes(ids) = &batch[plan.person_id].values {
        if ids[..n]
            .iter()
            .any(|b| b.data().iter().all(u8::is_ascii_whitespace))
        {
            return false;
        }
    }
    let year = |i: usize| -> Option<i32> {
        let y = match &batch[plan.year].values {
            Values::I32(v) => v[i] as i64,
            Values::I64(v) => v[i],
            _ => return None,
        };
        (*Period::RANGE.start() as i64..=*Period::RANGE.end() as i64)
            .contains(&y)
            .then_some(y as i32)
    };
    let Values::Bytes(regions) = &batch[plan.region].values else {
        return false;
    };
    scratch.blocks.clear();
    // Files are usually sorted by region: a row with the same bytes and year as the row before
    // gets its block without decoding, trimming and looking the code up again (that was a
    // sixth of the reading time on the benchmark).
    let mut previous: Option<(&[u8], i32, u32)> = None;
    for (i, r) in regions[..n].iter().enumerate() {
        let Some(y) = year(i) else {
            return false;
        };
        let raw = r.data();
        if let Some((p, py, b)) = previous {
            if py == y && p == raw {
                scratch.blocks.push(b);
                continue;
            }
        }
        let Ok(code) = std::str::from_utf8(raw) else {
            return false;
        };
        match counter.block(y, code.trim()) {
            Ok(b) => {
                scratch.blocks.push(b);
                previous = Some((raw, y, b));
            }
            Err(_) => return false,
        }
    }
    scratch.cells.clear();
    scratch.cells.resize(n, 0);
    let layout = counter.layout().clone();
    for (b, &size) in layout.breakdowns.iter().zip(&layout.sizes) {
        let ok = match b {
            Breakdown::AgeClass => {
                let Some(c) = plan.age.filter(|&c| required(c)) else {
                    return false;
                };
                let classes = counter.age_classes();
                let lookup: Vec<usize> = (0..=130u32).map(|a| classes.class_of(a)).collect();
                column_ints(&batch[c].values, n, |i, a| match lookup.get(a as usize) {
                    Some(&k) if a >= 0 => {
                        scratch.cells[i] = scratch.cells[i] * size + k;
                        true
                    }
                    _ => false,
                })
            }
            Breakdown::SesClass => match plan.ses {
                Some((c, true)) if required(c) => column_ints(&batch[c].values, n, |i, d| match (1
                    ..=10)
                    .contains(&d)
                    .then(|| plan.ses_classes.class_of(d as u8))
                    .flatten()
                {
                    Some(k) => {
                        scratch.cells[i] = scratch.cells[i] * size + k as usize;
                        true
                    }
                    None => false,
                }),
                Some((c, false)) if required(c) => {
                    column_texts(&batch[c].values, n, |i, t| match SesClass::parse(t) {
                        Some(k) => {
                            scratch.cells[i] = scratch.cells[i] * size + k as usize;
                            true
                        }
                        None => false,
                    })
                }
                _ => false,
            },
            Breakdown::Sex | Breakdown::Migration | Breakdown::Household => {
                let col = match b {
                    Breakdown::Sex => plan.sex,
                    Breakdown::Migration => plan.migration,
                    _ => plan.household,
                };
                let Some(c) = col.filter(|&c| required(c)) else {
                    return false;
                };
                let parse = |t: &str| -> Option<usize> {
                    match b {
                        Breakdown::Sex => Sex::parse(t).map(|x| x as usize),
                        Breakdown::Migration => Migration::parse(t).map(|x| x as usize),
                        _ => Household::parse(t).map(|x| x as usize),
                    }
                };
                column_texts(&batch[c].values, n, |i, t| match parse(t) {
                    Some(k) => {
                        scratch.cells[i] = scratch.cells[i] * size + k;
                        true
                    }
                    None => false,
                })
            }
        };
        if !ok {
            return false;
        }
    }
    let measure: Option<&[f64]> = match plan.measure {
        Some(c) => match (&batch[c].values, required(c)) {
            (Values::F64(v), true) if v[..n].iter().all(|x| x.is_finite()) => Some(&v[..n]),
            _ => return false,
        },
        None => None,
    };
    for i in 0..n {
        let set = CharacteristicSet::from_bits(masks[i]);
        if counter
            .count(
                scratch.blocks[i],
                scratch.cells[i],
                set,
                measure.map(|m| m[i]),
            )
            .is_err()
        {
            unreachable!("every value was checked above");
        }
    }
    true
}

/// Calls `f(row, value)` for an integer column; false when it is not one or `f` says no.
fn column_ints(values: &Values, n: usize, mut f: impl FnMut(usize, i64) -> bool) -> bool {
    match values {
        Values::I32(v) => v[..n].iter().enumerate().all(|(i, &x)| f(i, x as i64)),
        Values::I64(v) => v[..n].iter().enumerate().all(|(i, &x)| f(i, x)),
        _ => false,
    }
}

/// Calls `f(row, text)` for a text column; false when it is not one or `f` says no.
fn column_texts(values: &Values, n: usize, mut f: impl FnMut(usize, &str) -> bool) -> bool {
    match values {
        Values::Bytes(v) => v[..n]
            .iter()
            .enumerate()
            .all(|(i, b)| std::str::from_utf8(b.data()).is_ok_and(|t| f(i, t))),
        _ => false,
    }
}

pub(crate) fn read(
    path: &Path,
    cfg: &ReadConfig,
    spec: &StackSpec,
    policy: ErrorPolicy,
    counter: Counter,
) -> Result<(Counter, ReadSummary), MicrodataError> {
    let started = Instant::now();
    let name = path.display().to_string();
    let open = || -> Result<SerializedFileReader<File>, MicrodataError> {
        let f = File::open(path).map_err(|e| MicrodataError::io(&name, e))?;
        SerializedFileReader::new(f).map_err(|e| perr(&name, e))
    };
    let reader = open()?;
    let meta = reader.metadata();
    let synthetic = meta.file_metadata().key_value_metadata().is_some_and(|kv| {
        kv.iter().any(|k| {
            k.key == SYNTHETIC_KEY
                || k.value
                    .as_deref()
                    .is_some_and(|v| v.contains(SYNTHETIC_MARKER))
        })
    });
    let schema = meta.file_metadata().schema_descr();
    let names: Vec<String> = schema.columns().iter().map(|c| c.path().string()).collect();
    let plan = Plan::new(cfg, spec, |n| {
        names.iter().any(|c| c.eq_ignore_ascii_case(n))
    });
    let mut column_of = Vec::new();
    for col in &plan.columns {
        let i = names
            .iter()
            .position(|c| c.eq_ignore_ascii_case(col))
            .ok_or_else(|| {
                MicrodataError::file(
                    &name,
                    format!("expected a column '{col}', found: {}", names.join(",")),
                )
            })?;
        column_of.push(i);
    }
    let max_def: Vec<i16> = column_of
        .iter()
        .map(|&i| schema.column(i).max_def_level())
        .collect();
    // First row number of every row group, for error positions.
    let groups = meta.num_row_groups();
    let mut first_row = vec![0u64; groups + 1];
    for g in 0..groups {
        first_row[g + 1] = first_row[g] + meta.row_group(g).num_rows() as u64;
    }
    drop(reader);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
        .min(groups.max(1));
    let dropped = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let results: Vec<Result<(Counter, DropLog), MicrodataError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|k| {
                let mut counter = counter.clone();
                let (plan, column_of, max_def, first_row, name) =
                    (&plan, &column_of, &max_def, &first_row, &name);
                let (dropped, stop) = (dropped.clone(), stop.clone());
                s.spawn(move || -> Result<(Counter, DropLog), MicrodataError> {
                    let reader = open()?;
                    let mut log = DropLog::default();
                    let mut def = Vec::with_capacity(BATCH);
                    let mut scratch = Scratch::default();
                    for g in (k..groups).step_by(threads) {
                        let rg = reader.get_row_group(g).map_err(|e| perr(name, e))?;
                        let mut readers: Vec<ColumnReader> = column_of
                            .iter()
                            .map(|&i| rg.get_column_reader(i))
                            .collect::<Result<_, _>>()
                            .map_err(|e| perr(name, e))?;
                        let mut row = first_row[g];
                        loop {
                            if stop.load(Ordering::Relaxed) {
                                return Ok((counter, log));
                            }
                            let mut batch = Vec::with_capacity(readers.len());
                            let mut n = usize::MAX;
                            for (c, r) in readers.iter_mut().enumerate() {
                                let (records, b) = read_batch(r, max_def[c], &mut def)
                                    .map_err(|e| perr(name, e))?;
                                n = n.min(records);
                                batch.push(b);
                            }
                            if n == 0 || n == usize::MAX {
                                break;
                            }
                            let masks = plan.masks(n, |c| batch[c].whole(n));
                            if let Some(m) = &masks {
                                if count_fast(plan, &batch, n, m, &mut counter, &mut scratch) {
                                    row += n as u64;
                                    continue;
                                }
                            }
                            for i in 0..n {
                                row += 1;
                                let result = plan.row_masked(
                                    |c| batch[c].field(i),
                                    masks.as_ref().map(|m| m[i]),
                                );
                                let error = match result {
                                    Ok(person) => match counter.add(&person) {
                                        Ok(()) => continue,
                                        Err(issue) => (plan.region, issue.reason, issue.message),
                                    },
                                    Err(fe) => (fe.column, fe.reason, fe.message),
                                };
                                let e = RowError {
                                    file: name.clone(),
                                    line: row,
                                    column: column_of[error.0] + 1,
                                    column_name: plan.columns[error.0].clone(),
                                    reason: error.1,
                                    message: error.2,
                                };
                                // The limit is global across threads.
                                let before = dropped.fetch_add(1, Ordering::SeqCst);
                                let local = ErrorPolicy {
                                    max_errors: if before < policy.max_errors {
                                        u64::MAX
                                    } else {
                                        0
                                    },
                                };
                                if let Err(err) = log.record(e, local) {
                                    stop.store(true, Ordering::Relaxed);
                                    return Err(match err {
                                        MicrodataError::Row(last) if policy.max_errors > 0 => {
                                            MicrodataError::TooManyBadRows {
                                                limit: policy.max_errors,
                                                last,
                                                log: Box::new(log.clone()),
                                            }
                                        }
                                        other => other,
                                    });
                                }
                            }
                        }
                    }
                    Ok((counter, log))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("reader thread"))
            .collect()
    });
    let mut merged: Option<Counter> = None;
    let mut drops = DropLog::default();
    let mut first_error = None;
    for r in results {
        match r {
            Ok((c, log)) => {
                drops.merge(log);
                match merged.as_mut() {
                    Some(m) => m.merge(c),
                    None => merged = Some(c),
                }
            }
            Err(e) => {
                // Prefer the error at the earliest row, as a sequential reader would give.
                let line = |e: &MicrodataError| match e {
                    MicrodataError::Row(r) => r.line,
                    MicrodataError::TooManyBadRows { last, .. } => last.line,
                    _ => 0,
                };
                if first_error.as_ref().is_none_or(|f| line(&e) < line(f)) {
                    first_error = Some(e);
                }
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    let counter = merged.unwrap_or(counter);
    let rows = first_row[groups];
    Ok((
        counter,
        ReadSummary {
            file: name,
            format: "parquet",
            rows,
            drops,
            synthetic,
            time: started.elapsed(),
        },
    ))
}

const SCHEMA_HEAD: &str = "
  REQUIRED INT64 person_id;
  REQUIRED BYTE_ARRAY region (STRING);
  REQUIRED INT32 year;
  REQUIRED INT32 age;
  REQUIRED BYTE_ARRAY sex (STRING);
  REQUIRED BYTE_ARRAY household (STRING);
  REQUIRED INT32 income_decile;
  REQUIRED BYTE_ARRAY migration (STRING);
  REQUIRED DOUBLE income;";

/// Writes person batches as Parquet: one row group per batch, snappy-compressed, strings
/// dictionary-encoded; the file metadata carries the SYNTHETIC marker and the description.
pub struct ParquetPersonWriter {
    writer: SerializedFileWriter<File>,
    file: String,
    labels: Labels,
}

struct Labels {
    regions: Vec<ByteArray>,
    sex: Vec<ByteArray>,
    household: Vec<ByteArray>,
    migration: Vec<ByteArray>,
}

impl ParquetPersonWriter {
    /// Creates the file. `metadata` is written as key-value metadata (the synthetic marker
    /// among it); `regions` are the region codes batches refer to by index.
    pub fn create(
        path: &Path,
        metadata: Vec<(String, String)>,
        regions: &[String],
    ) -> Result<ParquetPersonWriter, MicrodataError> {
        let file = path.display().to_string();
        let mut message = String::from("message kwm_persons {");
        message.push_str(SCHEMA_HEAD);
        for c in Characteristic::ALL {
            message.push_str(&format!("\n  REQUIRED BOOLEAN {};", c.id()));
        }
        message.push_str("\n}");
        let schema = Arc::new(parse_message_type(&message).expect("valid schema"));
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(usize::MAX / 2))
            .set_created_by(format!("kwm microdata {}", env!("CARGO_PKG_VERSION")))
            .set_key_value_metadata(Some(
                metadata
                    .into_iter()
                    .map(|(k, v)| KeyValue::new(k, v))
                    .collect(),
            ))
            .build();
        let out = File::create(path).map_err(|e| MicrodataError::io(&file, e))?;
        let writer = SerializedFileWriter::new(out, schema, Arc::new(props))
            .map_err(|e| MicrodataError::file(&file, e.to_string()))?;
        let bytes = |s: &str| ByteArray::from(s);
        let labels = Labels {
            regions: regions.iter().map(|r| bytes(r)).collect(),
            sex: Sex::ALL.iter().map(|x| bytes(x.label())).collect(),
            household: Household::ALL.iter().map(|x| bytes(x.label())).collect(),
            migration: Migration::ALL.iter().map(|x| bytes(x.label())).collect(),
        };
        Ok(ParquetPersonWriter {
            writer,
            file,
            labels,
        })
    }

    /// Appends one batch as one row group.
    pub fn write(&mut self, batch: &PersonBatch) -> Result<(), MicrodataError> {
        let n = batch.len();
        let e = |e: parquet::errors::ParquetError| MicrodataError::file(&self.file, e.to_string());
        let mut rg = self.writer.next_row_group().map_err(e)?;
        let mut index = 0usize;
        let l = &self.labels;
        while let Some(mut col) = rg.next_column().map_err(e)? {
            match index {
                0 => {
                    col.typed::<Int64Type>()
                        .write_batch(&batch.person_id, None, None)
                        .map_err(e)?;
                }
                1 => {
                    let v: Vec<ByteArray> = batch
                        .region
                        .iter()
                        .map(|&r| l.regions[r as usize].clone())
                        .collect();
                    col.typed::<ByteArrayType>()
                        .write_batch(&v, None, None)
                        .map_err(e)?;
                }
                2 => {
                    col.typed::<Int32Type>()
                        .write_batch(&vec![batch.year; n], None, None)
                        .map_err(e)?;
                }
                3 => {
                    let v: Vec<i32> = batch.age.iter().map(|&a| a as i32).collect();
                    col.typed::<Int32Type>()
                        .write_batch(&v, None, None)
                        .map_err(e)?;
                }
                4 => {
                    let v: Vec<ByteArray> = batch
                        .sex
                        .iter()
                        .map(|&x| l.sex[x as usize].clone())
                        .collect();
                    col.typed::<ByteArrayType>()
                        .write_batch(&v, None, None)
                        .map_err(e)?;
                }
                5 => {
                    let v: Vec<ByteArray> = batch
                        .household
                        .iter()
                        .map(|&x| l.household[x as usize].clone())
                        .collect();
                    col.typed::<ByteArrayType>()
                        .write_batch(&v, None, None)
                        .map_err(e)?;
                }
                6 => {
                    let v: Vec<i32> = batch.income_decile.iter().map(|&d| d as i32).collect();
                    col.typed::<Int32Type>()
                        .write_batch(&v, None, None)
                        .map_err(e)?;
                }
                7 => {
                    let v: Vec<ByteArray> = batch
                        .migration
                        .iter()
                        .map(|&x| l.migration[x as usize].clone())
                        .collect();
                    col.typed::<ByteArrayType>()
                        .write_batch(&v, None, None)
                        .map_err(e)?;
                }
                8 => {
                    col.typed::<DoubleType>()
                        .write_batch(&batch.income, None, None)
                        .map_err(e)?;
                }
                k => {
                    let c = Characteristic::ALL[k - 9];
                    let v: Vec<bool> = batch
                        .characteristics
                        .iter()
                        .map(|s| s.contains(c))
                        .collect();
                    col.typed::<BoolType>()
                        .write_batch(&v, None, None)
                        .map_err(e)?;
                }
            }
            col.close().map_err(e)?;
            index += 1;
        }
        rg.close().map_err(e)?;
        Ok(())
    }

    /// Writes the footer.
    pub fn finish(self) -> Result<(), MicrodataError> {
        let file = self.file.clone();
        self.writer
            .close()
            .map_err(|e| MicrodataError::file(&file, e.to_string()))?;
        Ok(())
    }
}

/// Writes one batch to a new Parquet file (tests and small files).
pub fn write_persons_parquet(
    path: &Path,
    metadata: Vec<(String, String)>,
    regions: &[String],
    batch: &PersonBatch,
) -> Result<(), MicrodataError> {
    let mut w = ParquetPersonWriter::create(path, metadata, regions)?;
    w.write(batch)?;
    w.finish()
}
