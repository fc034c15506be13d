//! The real regional frame of the synthetic population: gemeente and wijk populations from
//! CBS Kerncijfers wijken en buurten 2024 (StatLine 85984NED, the repository's
//! `data/kwb/kwb_2024_85984NED_gemeente_wijk_basis.csv`), and per gemeente the age groups and
//! household types of 1 January 2025 (StatLine 70072NED, derived into
//! `crates/microdata/data/gemeente_profiles_2025.csv`). Both are compiled in, so
//! `kwm microdata generate` works from any directory.

use std::collections::BTreeMap;

use super::rng::Rng;

const KWB_2024: &str =
    include_str!("../../../../data/kwb/kwb_2024_85984NED_gemeente_wijk_basis.csv");
const PROFILES_2025: &str = include_str!("../../data/gemeente_profiles_2025.csv");

/// Lower bounds of the nine age groups of the profiles; the last group is 80+.
pub const AGE_GROUP_LOWER: [u32; 9] = [0, 5, 10, 15, 20, 25, 45, 65, 80];

/// One gemeente of the frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Gemeente {
    /// GM code.
    pub code: String,
    /// Inhabitants 1-1-2024 (KWB).
    pub population: u64,
    /// Share of women.
    pub female_share: f64,
    /// Inhabitants per km² (KWB); national median when missing.
    pub density: f64,
    /// Persons per age group (profile 2025).
    pub age_groups: [f64; 9],
    /// Private households: one-person, multi-person without children, with children.
    pub households: [f64; 3],
    /// Wijken: code, inhabitants, share of women.
    pub wijken: Vec<(String, u64, f64)>,
}

/// Parses the compiled-in frame.
pub fn frame() -> Vec<Gemeente> {
    let mut profiles: BTreeMap<String, ([f64; 9], [f64; 3])> = BTreeMap::new();
    for line in PROFILES_2025.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let num = |i: usize| f[i].parse::<f64>().expect("profile numbers");
        let mut ages = [0.0; 9];
        for (k, a) in ages.iter_mut().enumerate() {
            *a = num(3 + k);
        }
        profiles.insert(f[0].to_string(), (ages, [num(13), num(14), num(15)]));
    }
    let mut gemeenten: BTreeMap<String, Gemeente> = BTreeMap::new();
    let mut wijken: Vec<(String, u64, f64)> = Vec::new();
    for line in KWB_2024.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let pop: u64 = f[2].parse().unwrap_or(0);
        let men: f64 = f[3].parse().unwrap_or(0.0);
        let women: f64 = f[4].parse().unwrap_or(0.0);
        let female_share = if men + women > 0.0 {
            women / (men + women)
        } else {
            0.5
        };
        match f[1] {
            "Gemeente" => {
                let (age_groups, households) =
                    profiles.get(f[0]).cloned().unwrap_or(([1.0; 9], [1.0; 3]));
                gemeenten.insert(
                    f[0].to_string(),
                    Gemeente {
                        code: f[0].to_string(),
                        population: pop,
                        female_share,
                        density: f[5].parse().unwrap_or(f64::NAN),
                        age_groups,
                        households,
                        wijken: Vec::new(),
                    },
                );
            }
            _ => wijken.push((f[0].to_string(), pop, female_share)),
        }
    }
    for (code, pop, fs) in wijken {
        if let Some(g) = gemeenten.get_mut(&format!("GM{}", &code[2..6])) {
            g.wijken.push((code, pop, fs));
        }
    }
    let mut out: Vec<Gemeente> = gemeenten.into_values().collect();
    let mut densities: Vec<f64> = out
        .iter()
        .map(|g| g.density)
        .filter(|d| d.is_finite())
        .collect();
    densities.sort_by(f64::total_cmp);
    let median = densities[densities.len() / 2];
    for g in &mut out {
        if !g.density.is_finite() {
            g.density = median;
        }
        if g.wijken.iter().all(|w| w.1 == 0) {
            let code = format!("WK{}00", &g.code[2..]);
            g.wijken = vec![(code, g.population, g.female_share)];
        }
    }
    out
}

/// Splits `total` into integer parts proportional to `weights` (largest remainder).
pub fn apportion(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    if sum <= 0.0 || weights.is_empty() {
        let mut v = vec![0; weights.len()];
        if let Some(first) = v.first_mut() {
            *first = total;
        }
        return v;
    }
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut parts: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
    let mut rest = total - parts.iter().sum::<u64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    for i in order {
        if rest == 0 {
            break;
        }
        parts[i] += 1;
        rest -= 1;
    }
    parts
}

/// A synthetic buurt: a real wijk subdivided into invented buurten of about 1,500 people.
#[derive(Debug, Clone, PartialEq)]
pub struct Buurt {
    /// `BU` + the wijk's digits + a two-digit number; not a real CBS buurt.
    pub code: String,
    /// Index of the gemeente in the frame.
    pub gemeente: usize,
    /// Index of the wijk within the gemeente.
    pub wijk: usize,
    /// Persons assigned.
    pub persons: u64,
}

/// Assigns `n` persons: to gemeenten in proportion to their 2024 population, within a
/// gemeente to its wijken in proportion to theirs, within a wijk to synthetic buurten of
/// random size (about 1,500 inhabitants each, at most 100 per wijk).
pub fn allocate(frame: &[Gemeente], n: u64, seed: u64) -> Vec<Buurt> {
    let per_gemeente = apportion(
        n,
        &frame
            .iter()
            .map(|g| g.population as f64)
            .collect::<Vec<_>>(),
    );
    let mut out = Vec::new();
    for (gi, (g, &ng)) in frame.iter().zip(&per_gemeente).enumerate() {
        let per_wijk = apportion(ng, &g.wijken.iter().map(|w| w.1 as f64).collect::<Vec<_>>());
        for (wi, ((code, pop, _), &nw)) in g.wijken.iter().zip(&per_wijk).enumerate() {
            if nw == 0 {
                continue;
            }
            let mut rng = Rng::new(seed, 0xB0_0000 + (gi as u64) * 1000 + wi as u64);
            let count = ((*pop as f64 / 1500.0).round() as usize).clamp(1, 100);
            let weights: Vec<f64> = (0..count).map(|_| 0.4 + rng.uniform()).collect();
            for (bi, nb) in apportion(nw, &weights).into_iter().enumerate() {
                if nb > 0 {
                    out.push(Buurt {
                        code: format!("BU{}{:02}", &code[2..], bi),
                        gemeente: gi,
                        wijk: wi,
                        persons: nb,
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_has_all_gemeenten_with_their_real_population() {
        let f = frame();
        assert_eq!(f.len(), 342);
        assert_eq!(f.iter().map(|g| g.population).sum::<u64>(), 17_942_942);
        let ams = f.iter().find(|g| g.code == "GM0363").unwrap();
        assert!(ams.wijken.len() > 90 && ams.density > 4000.0);
        assert!(f
            .iter()
            .all(|g| g.age_groups.iter().sum::<f64>() > 0.0 && !g.wijken.is_empty()));
    }

    #[test]
    fn apportioning_is_exact_and_proportional() {
        assert_eq!(apportion(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        assert_eq!(apportion(7, &[0.0, 2.0]), vec![0, 7]);
        assert_eq!(apportion(5, &[]), Vec::<u64>::new());
    }

    #[test]
    fn allocation_follows_gemeente_populations() {
        let f = frame();
        let b = allocate(&f, 1_000_000, 1);
        assert_eq!(b.iter().map(|x| x.persons).sum::<u64>(), 1_000_000);
        let ams: u64 = b
            .iter()
            .filter(|x| x.code.starts_with("BU0363"))
            .map(|x| x.persons)
            .sum();
        let expect = 1_000_000.0 * f.iter().find(|g| g.code == "GM0363").unwrap().population as f64
            / 17_942_942.0;
        assert!((ams as f64 - expect).abs() <= 1.0, "{ams} vs {expect}");
        for x in &b {
            let code = kwm_model::RegionCode::parse(&x.code).unwrap();
            assert_eq!(code.level(), kwm_model::Level::Buurt);
            assert_eq!(
                code.parent().unwrap().as_str(),
                f[x.gemeente].wijken[x.wijk].0
            );
        }
    }
}
