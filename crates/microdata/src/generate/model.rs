//! The person model of the synthetic population. Every number here is **illustrative**: the
//! structure (who is where, of what age and household) follows real CBS figures, but the
//! prevalences and correlations of the risk characteristics are plausible orders of magnitude
//! chosen for testing and benchmarking, not estimates. See the crate README
//! ("Synthetic population") for the model in words.

use super::population::{Gemeente, AGE_GROUP_LOWER};
use super::rng::Rng;
use crate::characteristic::{Characteristic, CharacteristicSet};
use crate::person::{Household, Migration, Sex};

/// Illustrative national prevalence of each characteristic among the persons it applies to
/// (see [`applies`]); `age_old_young` is not drawn but follows from age.
pub const PREVALENCE: [(Characteristic, f64); 11] = [
    (Characteristic::FlexibleEmployment, 0.16),
    (Characteristic::VulnerableSector, 0.12),
    (Characteristic::SmallFinancialBuffer, 0.20),
    (Characteristic::Disability, 0.10),
    (Characteristic::VulnerableHealth, 0.15),
    (Characteristic::PsychologicalProblems, 0.10),
    (Characteristic::LowParentalEducation, 0.20),
    (Characteristic::LowSocialCapital, 0.10),
    (Characteristic::FamilySituation, 0.08),
    (Characteristic::LowLanguageDigitalSkills, 0.13),
    (Characteristic::LowTrust, 0.20),
];

/// Loading of each characteristic on the person's general vulnerability factor.
const LOADING: [f64; 11] = [
    0.45, 0.45, 0.75, 0.55, 0.6, 0.6, 0.6, 0.55, 0.45, 0.55, 0.45,
];
/// Extra loading on the area's deprivation (beyond what runs through the person's SES).
const AREA_LOADING: f64 = 0.15;

/// Whether a drawn characteristic can apply at an age: labour-market characteristics
/// 16–70, trust from 16, the rest at every age.
pub fn applies(c: Characteristic, age: u32) -> bool {
    match c {
        Characteristic::FlexibleEmployment | Characteristic::VulnerableSector => {
            (16..=70).contains(&age)
        }
        Characteristic::LowTrust => age >= 16,
        _ => true,
    }
}

/// The characteristic that follows from age: 16–24 or 75 and older.
pub fn age_old_young(age: u32) -> bool {
    (16..25).contains(&age) || age >= 75
}

/// Area effects of one synthetic buurt's wijk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    /// Deprivation, about standard normal: urbanity + gemeente effect + wijk effect.
    pub deprivation: f64,
    /// Urbanity: standardised log population density of the gemeente.
    pub urbanity: f64,
}

/// Per-gemeente draws that do not change per person.
#[derive(Debug, Clone)]
pub struct GemeenteParams {
    age_cumulative: [f64; 9],
    households: [f64; 3],
    female_share: f64,
    urbanity: f64,
    effect: f64,
}

impl GemeenteParams {
    /// Derives the parameters of every gemeente; gemeente effects are seeded.
    pub fn all(frame: &[Gemeente], seed: u64) -> Vec<GemeenteParams> {
        let logs: Vec<f64> = frame.iter().map(|g| g.density.max(1.0).ln()).collect();
        let mean = logs.iter().sum::<f64>() / logs.len() as f64;
        let sd = (logs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / logs.len() as f64).sqrt();
        frame
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let mut cum = [0.0; 9];
                let total: f64 = g.age_groups.iter().sum();
                let mut acc = 0.0;
                for (k, c) in cum.iter_mut().enumerate() {
                    acc += g.age_groups[k] / total;
                    *c = acc;
                }
                let pop = g.population.max(1) as f64;
                // Persons living alone, in multi-person households without and with children.
                let alone = (g.households[0] / pop).clamp(0.02, 0.6);
                let without = (2.0 * g.households[1] / pop).clamp(0.05, 0.8);
                let with = (1.0 - alone - without).max(0.05);
                GemeenteParams {
                    age_cumulative: cum,
                    households: [alone, without, with],
                    female_share: g.female_share,
                    urbanity: (logs[i] - mean) / sd,
                    effect: Rng::new(seed, 0xA0_0000 + i as u64).normal(),
                }
            })
            .collect()
    }

    /// The area of a wijk with its seeded wijk effect.
    pub fn area(&self, wijk_effect: f64) -> Area {
        Area {
            deprivation: 0.35 * self.urbanity + 0.55 * self.effect + 0.75 * wijk_effect,
            urbanity: self.urbanity,
        }
    }
}

/// A person before thresholds: everything but the characteristic flags and the decile.
#[derive(Debug, Clone, Copy)]
pub struct Latent {
    /// Age.
    pub age: u32,
    /// Sex.
    pub sex: Sex,
    /// Household.
    pub household: Household,
    /// Migration background.
    pub migration: Migration,
    /// SES latent (higher = better off).
    pub ses: f64,
    /// Latent propensity of each drawn characteristic (order of [`PREVALENCE`]).
    pub z: [f64; 11],
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Draws one person in a gemeente and area.
pub fn draw(rng: &mut Rng, g: &GemeenteParams, area: Area) -> Latent {
    // Age: a group from the gemeente's 2025 age structure, uniform within it; 80+ thins out.
    let u = rng.uniform();
    let group = g.age_cumulative.iter().position(|&c| u < c).unwrap_or(8);
    let age = if group == 8 {
        80 + (-(1.0 - rng.uniform()).ln() * 6.0).min(25.0) as u32
    } else {
        AGE_GROUP_LOWER[group]
            + (rng.uniform() * (AGE_GROUP_LOWER[group + 1] - AGE_GROUP_LOWER[group]) as f64) as u32
    };
    let female = if age >= 80 { 0.62 } else { g.female_share };
    let sex = if rng.uniform() < female {
        Sex::Female
    } else {
        Sex::Male
    };
    // Migration background: more often outside Europe in dense and deprived areas.
    let p_outside = logistic(
        -2.0 + 0.55 * area.urbanity + 0.35 * area.deprivation - if age >= 65 { 0.8 } else { 0.0 },
    );
    let p_europe = 0.10 + 0.02 * area.urbanity.clamp(-2.0, 2.0);
    let m = rng.uniform();
    let migration = if m < p_outside {
        Migration::OutsideEurope
    } else if m < p_outside + p_europe {
        Migration::Europe
    } else {
        Migration::Dutch
    };
    // Household: the gemeente's mix, shifted by age.
    let f: [f64; 4] = match age {
        0..=17 => [0.0, 0.0, 1.0, 0.004],
        18..=24 => [1.0, 0.5, 1.2, 0.02],
        25..=44 => [1.0, 0.8, 1.3, 0.01],
        45..=64 => [0.8, 1.3, 0.8, 0.01],
        65..=79 => [1.3, 1.8, 0.05, 0.02],
        _ => [2.2, 1.0, 0.02, 0.12],
    };
    let w = [
        g.households[0] * f[0],
        g.households[1] * f[1],
        g.households[2] * f[2],
        f[3],
    ];
    let household = match rng.pick(&w) {
        0 => Household::Single,
        1 => Household::Couple,
        2 => {
            if rng.uniform() < (0.18 + 0.05 * area.deprivation).clamp(0.05, 0.4) {
                Household::SingleParent
            } else {
                Household::CoupleWithChildren
            }
        }
        _ => Household::Other,
    };
    // SES: area, household, age and background, plus individual variation.
    let mut ses = -0.55 * area.deprivation + 0.75 * rng.normal();
    ses -= match household {
        Household::SingleParent => 0.45,
        Household::Single => 0.2,
        Household::Other => 0.3,
        _ => 0.0,
    };
    ses -= if (18..25).contains(&age) {
        0.4
    } else if age >= 65 {
        0.1
    } else {
        0.0
    };
    ses -= if migration == Migration::OutsideEurope {
        0.35
    } else {
        0.0
    };
    // General vulnerability: lower SES, plus a personal part.
    let factor = -0.55 * ses + 0.8 * rng.normal();
    let mut z = [0.0; 11];
    for (i, (c, _)) in PREVALENCE.iter().enumerate() {
        let b = LOADING[i];
        let mut x =
            b * factor + AREA_LOADING * area.deprivation + (1.0 - b * b).sqrt() * rng.normal();
        x += match c {
            Characteristic::Disability | Characteristic::VulnerableHealth => {
                0.025 * (age as f64 - 45.0).max(-20.0)
            }
            Characteristic::PsychologicalProblems if (16..30).contains(&age) => 0.25,
            Characteristic::LowLanguageDigitalSkills => {
                0.02 * (age as f64 - 50.0).max(0.0)
                    + if migration == Migration::OutsideEurope {
                        0.5
                    } else {
                        0.0
                    }
            }
            Characteristic::LowSocialCapital => {
                (if household == Household::Single {
                    0.4
                } else {
                    0.0
                }) + if age >= 80 { 0.4 } else { 0.0 }
            }
            Characteristic::FamilySituation => match household {
                Household::SingleParent => 1.5,
                Household::Single => 0.3,
                _ => 0.0,
            },
            Characteristic::SmallFinancialBuffer if household == Household::SingleParent => 0.5,
            Characteristic::FlexibleEmployment if age < 30 => 0.6,
            _ => 0.0,
        };
        z[i] = x;
    }
    Latent {
        age,
        sex,
        household,
        migration,
        ses,
        z,
    }
}

/// Thresholds calibrated on a sample: characteristic cut-offs for the target prevalences
/// and SES decile cut-points.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// One threshold per drawn characteristic.
    pub thresholds: [f64; 11],
    /// Nine cut-points of the SES latent.
    pub deciles: [f64; 9],
}

impl Calibration {
    /// Calibrates on sampled persons: the (1 − p) quantile of each latent among the persons
    /// it applies to, and the deciles of SES.
    pub fn from_sample(sample: &[Latent]) -> Calibration {
        let quantile = |mut v: Vec<f64>, q: f64| -> f64 {
            v.sort_by(f64::total_cmp);
            v[((v.len() as f64 * q) as usize).min(v.len() - 1)]
        };
        let mut thresholds = [0.0; 11];
        for (i, (c, p)) in PREVALENCE.iter().enumerate() {
            let v: Vec<f64> = sample
                .iter()
                .filter(|l| applies(*c, l.age))
                .map(|l| l.z[i])
                .collect();
            thresholds[i] = quantile(v, 1.0 - p);
        }
        let ses: Vec<f64> = sample.iter().map(|l| l.ses).collect();
        let mut sorted = ses.clone();
        sorted.sort_by(f64::total_cmp);
        let mut deciles = [0.0; 9];
        for (k, d) in deciles.iter_mut().enumerate() {
            *d = sorted[(sorted.len() * (k + 1)) / 10];
        }
        Calibration {
            thresholds,
            deciles,
        }
    }

    /// The characteristics of a drawn person.
    pub fn characteristics(&self, l: &Latent) -> CharacteristicSet {
        let mut set = CharacteristicSet::EMPTY;
        for (i, (c, _)) in PREVALENCE.iter().enumerate() {
            if applies(*c, l.age) && l.z[i] > self.thresholds[i] {
                set.insert(*c);
            }
        }
        if age_old_young(l.age) {
            set.insert(Characteristic::AgeOldYoung);
        }
        set
    }

    /// Income decile 1..=10.
    pub fn decile(&self, ses: f64) -> u8 {
        1 + self.deciles.partition_point(|&c| c <= ses) as u8
    }
}

/// Standardised disposable household income in euros: log-normal around €33,000 by SES, and
/// a few negative incomes (business losses) so that magnitude rules meet them.
pub fn income(rng: &mut Rng, ses: f64) -> f64 {
    if rng.uniform() < 0.003 {
        return -(7.0 + 1.5 * rng.normal()).exp().min(250_000.0);
    }
    (10.4 + 0.45 * ses + 0.15 * rng.normal()).exp().round()
}
