//! A SYNTHETIC national population of person records, for tests and benchmarks only.
//!
//! Regional totals follow the real gemeente and wijk populations (CBS KWB 2024), the age and
//! household structure per gemeente the real 2025 figures; buurten are invented
//! subdivisions of real wijken; the risk characteristics come from an illustrative latent
//! model ([`model`]). Persons are generated in batches on all cores (each batch has its own
//! random stream, so the output does not depend on the number of threads) and written in
//! order; memory stays at a few batches.

pub mod model;
pub mod population;
pub mod rng;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::characteristic::Characteristic;
use crate::error::MicrodataError;
pub use crate::person::PersonBatch;
use model::{Calibration, GemeenteParams, Latent};
use population::Buurt;
use rng::{splitmix64, Rng};

/// Where generated batches go; an empty batch closes the file.
type BatchSink<'a> = dyn FnMut(&PersonBatch) -> Result<(), MicrodataError> + 'a;

/// The Dutch population on 1 January 2024 (CBS), the default size.
pub const DEFAULT_PERSONS: u64 = 17_942_942;
/// Persons per batch (and Parquet row group).
pub const BATCH_SIZE: usize = 1 << 20;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    /// Number of persons.
    pub persons: u64,
    /// Seed.
    pub seed: u64,
    /// Reference year written in every record.
    pub year: i32,
}

/// A ready-to-run generator: frame, allocation and calibration done.
pub struct Generator {
    options: GenerateOptions,
    buurten: Vec<Buurt>,
    /// First person number of every buurt (prefix sums).
    starts: Vec<u64>,
    gemeenten: Vec<GemeenteParams>,
    areas: Vec<model::Area>,
    calibration: Calibration,
}

/// What a generation run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateSummary {
    /// Persons written.
    pub persons: u64,
    /// Synthetic buurten.
    pub buurten: usize,
    /// Prevalence of each characteristic in the written population.
    pub prevalence: Vec<(Characteristic, f64)>,
    /// Share of persons per stacking count 0..=12.
    pub stacking: Vec<f64>,
    /// Wall time.
    pub time: Duration,
}

impl Generator {
    /// Prepares the frame, the allocation and the calibration (on 200,000 sampled persons).
    pub fn new(options: GenerateOptions) -> Generator {
        let frame = population::frame();
        let buurten = population::allocate(&frame, options.persons, options.seed);
        let mut starts = Vec::with_capacity(buurten.len() + 1);
        let mut acc = 0;
        for b in &buurten {
            starts.push(acc);
            acc += b.persons;
        }
        starts.push(acc);
        let gemeenten = GemeenteParams::all(&frame, options.seed);
        let areas = buurten
            .iter()
            .map(|b| {
                // One effect per wijk: buurten of a wijk share it.
                let wijk_effect = Rng::new(
                    options.seed,
                    0xC0_0000 + b.gemeente as u64 * 1000 + b.wijk as u64,
                )
                .normal();
                gemeenten[b.gemeente].area(wijk_effect)
            })
            .collect();
        let mut g = Generator {
            options,
            buurten,
            starts,
            gemeenten,
            areas,
            calibration: Calibration {
                thresholds: [0.0; 11],
                deciles: [0.0; 9],
            },
        };
        let mut rng = Rng::new(g.options.seed, 0xCA1);
        let n = g.options.persons.max(1);
        let sample: Vec<Latent> = (0..200_000u64)
            .map(|i| {
                let person = i * n / 200_000;
                let b = g.buurt_of(person);
                model::draw(&mut rng, &g.gemeenten[g.buurten[b].gemeente], g.areas[b])
            })
            .collect();
        g.calibration = Calibration::from_sample(&sample);
        g
    }

    /// The region codes batches refer to.
    pub fn region_codes(&self) -> Vec<String> {
        self.buurten.iter().map(|b| b.code.clone()).collect()
    }

    fn buurt_of(&self, person: u64) -> usize {
        self.starts
            .partition_point(|&s| s <= person)
            .saturating_sub(1)
            .min(self.buurten.len().saturating_sub(1))
    }

    /// Number of batches.
    pub fn batches(&self) -> usize {
        self.options.persons.div_ceil(BATCH_SIZE as u64) as usize
    }

    /// Generates batch `k` (persons `k × BATCH_SIZE ..`), from its own random stream.
    pub fn batch(&self, k: usize) -> PersonBatch {
        let first = k as u64 * BATCH_SIZE as u64;
        let last = (first + BATCH_SIZE as u64).min(self.options.persons);
        let n = (last - first) as usize;
        let mut rng = Rng::new(self.options.seed, 0x1_0000_0000 + k as u64);
        let mut out = PersonBatch {
            year: self.options.year,
            person_id: Vec::with_capacity(n),
            region: Vec::with_capacity(n),
            age: Vec::with_capacity(n),
            sex: Vec::with_capacity(n),
            household: Vec::with_capacity(n),
            income_decile: Vec::with_capacity(n),
            migration: Vec::with_capacity(n),
            income: Vec::with_capacity(n),
            characteristics: Vec::with_capacity(n),
        };
        let mut b = self.buurt_of(first);
        for person in first..last {
            while person >= self.starts[b + 1] {
                b += 1;
            }
            let l = model::draw(
                &mut rng,
                &self.gemeenten[self.buurten[b].gemeente],
                self.areas[b],
            );
            out.person_id
                .push((splitmix64(person ^ splitmix64(self.options.seed)) >> 1) as i64);
            out.region.push(b as u32);
            out.age.push(l.age.min(255) as u8);
            out.sex.push(l.sex);
            out.household.push(l.household);
            out.income_decile.push(self.calibration.decile(l.ses));
            out.migration.push(l.migration);
            out.income.push(model::income(&mut rng, l.ses));
            out.characteristics
                .push(self.calibration.characteristics(&l));
        }
        out
    }

    /// The description written into every output file.
    pub fn description(&self) -> String {
        format!(
            "SYNTHETIC population generated by `kwm microdata generate` (persons={}, seed={}, year={}); \
             NOT real persons. Gemeente and wijk totals follow CBS KWB 2024, age and household structure \
             CBS 70072NED 2025 (CC BY 4.0); buurten are invented subdivisions of real wijken; \
             risk characteristics follow an illustrative latent model (crates/microdata/README.md).",
            self.options.persons, self.options.seed, self.options.year
        )
    }

    /// Generates everything and writes it to `out` (`.parquet` or CSV); batches are made on
    /// all cores and written in order.
    pub fn write(&self, out: &Path) -> Result<GenerateSummary, MicrodataError> {
        let started = Instant::now();
        let parquet = out
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
        let regions = self.region_codes();
        let mut sink: Box<BatchSink> = if parquet {
            #[cfg(feature = "parquet")]
            {
                let meta = vec![
                    (
                        crate::person_file::SYNTHETIC_KEY.to_string(),
                        "true".to_string(),
                    ),
                    ("kwm.description".to_string(), self.description()),
                    ("kwm.seed".to_string(), self.options.seed.to_string()),
                    ("kwm.persons".to_string(), self.options.persons.to_string()),
                ];
                let mut w = Some(crate::person_file::ParquetPersonWriter::create(
                    out, meta, &regions,
                )?);
                Box::new(move |b: &PersonBatch| match b.is_empty() {
                    true => w.take().map_or(Ok(()), |w| w.finish()),
                    false => w.as_mut().expect("writer open").write(b),
                })
            }
            #[cfg(not(feature = "parquet"))]
            return Err(MicrodataError::Invalid(
                "this build has no Parquet support (feature `parquet`)".into(),
            ));
        } else {
            let name = out.display().to_string();
            let mut w = Some(crate::person_file::CsvPersonWriter::create(
                out,
                &self.description(),
            )?);
            Box::new(move |b: &PersonBatch| {
                let r = match b.is_empty() {
                    true => w.take().map_or(Ok(()), |w| w.finish()),
                    false => w.as_mut().expect("writer open").write(b, &regions),
                };
                r.map_err(|e| MicrodataError::io(&name, e))
            })
        };
        let mut counts = [0u64; 12];
        let mut stacking = [0u64; 13];
        let batches = self.batches();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 8);
        let next = AtomicUsize::new(0);
        std::thread::scope(|s| -> Result<(), MicrodataError> {
            // A bounded channel keeps at most a few batches in memory.
            let (tx, rx) = mpsc::sync_channel::<(usize, PersonBatch)>(threads);
            for _ in 0..threads {
                let tx = tx.clone();
                let next = &next;
                s.spawn(move || loop {
                    let k = next.fetch_add(1, Ordering::SeqCst);
                    if k >= batches || tx.send((k, self.batch(k))).is_err() {
                        break;
                    }
                });
            }
            drop(tx);
            let mut pending = BTreeMap::new();
            let mut want = 0;
            for (k, b) in rx {
                pending.insert(k, b);
                while let Some(b) = pending.remove(&want) {
                    for set in &b.characteristics {
                        stacking[set.len() as usize] += 1;
                        for c in set.iter() {
                            counts[c.index()] += 1;
                        }
                    }
                    sink(&b)?;
                    want += 1;
                }
            }
            Ok(())
        })?;
        sink(&PersonBatch::default())?;
        let n = self.options.persons.max(1) as f64;
        Ok(GenerateSummary {
            persons: self.options.persons,
            buurten: self.buurten.len(),
            prevalence: Characteristic::ALL
                .iter()
                .map(|c| (*c, counts[c.index()] as f64 / n))
                .collect(),
            stacking: stacking.iter().map(|&x| x as f64 / n).collect(),
            time: started.elapsed(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::person::Household;

    #[test]
    fn batches_are_reproducible_and_follow_the_model() {
        let g = Generator::new(GenerateOptions {
            persons: 300_000,
            seed: 42,
            year: 2024,
        });
        let b = g.batch(0);
        assert_eq!(
            b,
            Generator::new(GenerateOptions {
                persons: 300_000,
                seed: 42,
                year: 2024
            })
            .batch(0)
        );
        assert_eq!(b.len(), 300_000);
        let n = b.len() as f64;
        // Calibrated prevalences land near their targets (age applicability aside).
        let buffer = b
            .characteristics
            .iter()
            .filter(|s| s.contains(Characteristic::SmallFinancialBuffer))
            .count() as f64
            / n;
        assert!((buffer - 0.20).abs() < 0.01, "{buffer}");
        // Characteristics are positively correlated: more people have none of them than
        // independence with the same prevalences would give.
        let independent_zero: f64 = Characteristic::ALL
            .iter()
            .map(|c| 1.0 - b.characteristics.iter().filter(|s| s.contains(*c)).count() as f64 / n)
            .product();
        let zero = b.characteristics.iter().filter(|s| s.is_empty()).count() as f64 / n;
        assert!(
            zero > independent_zero + 0.03,
            "{zero} vs {independent_zero}"
        );
        // Deciles are about equal.
        let low = b.income_decile.iter().filter(|&&d| d == 1).count() as f64 / n;
        assert!((low - 0.1).abs() < 0.01, "{low}");
        // Children live with children, never alone.
        assert!(b
            .age
            .iter()
            .zip(&b.household)
            .all(|(a, h)| *a >= 18 || !matches!(h, Household::Single | Household::Couple)));
    }
}
