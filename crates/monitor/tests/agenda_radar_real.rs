//! The findability radar and the agenda's effect views on the real Amsterdam KWB data (2017 and
//! 2019, 99 wijken), checked against the rules they state and against independent computations
//! from the stored figures — plus a hand-made dataset, loaded through `kwm ingest`'s long format,
//! where the radar candidates are known by construction.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kwm_engine::did::EffectLabel;
use kwm_ingest::ReadOptions;
use kwm_model::catalogue::Catalogue;
use kwm_model::{Level, RegionCode};
use kwm_monitor::radar::{RadarOutcome, RadarQuery};
use kwm_store::{SqliteStore, Store};
use kwm_testkit::repo;

fn catalogue() -> Catalogue {
    kwm_monitor::catalogue::load_dir(&repo().join("catalogue")).unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kwm-agenda-radar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

fn load(path: &Path, files: &[&str]) -> SqliteStore {
    let files: Vec<PathBuf> = kwm_testkit::data_files(files);
    let mut store = SqliteStore::open(path).unwrap();
    let c = catalogue();
    kwm_monitor::ingest::ingest_files(&mut store, &c, &files, &ReadOptions::default(), "t")
        .unwrap();
    kwm_monitor::risk::compute_all(&mut store, &c, None, None, "t", false).unwrap();
    store
}

/// Amsterdam's KWB 2017 and 2019 with the 2017 wijk boundaries, risk model computed.
fn amsterdam() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = tmp("amsterdam.sqlite");
        load(
            &path,
            &[
                "codelists/gemeenten_2019.csv",
                "boundaries/wijk_2017_amsterdam_cbs.geojson",
                "kwb_amsterdam/kwb_2017_amsterdam_gemeente_wijk_buurt.csv",
                "kwb_amsterdam/kwb_2019_amsterdam_gemeente_wijk_buurt.csv",
            ],
        );
        path
    })
}

/// Values of an indicator per region at a level and period, straight from the store.
fn column(store: &dyn Store, id: &str, level: Level, period: i32) -> HashMap<RegionCode, f64> {
    store
        .observations(id, level, period)
        .unwrap()
        .into_iter()
        .filter_map(|o| o.value.map(|v| (o.region, v)))
        .collect()
}

#[test]
fn the_radar_on_amsterdam_wijken_follows_its_own_rules() {
    let store = SqliteStore::open(amsterdam()).unwrap();
    let c = catalogue();
    let population = column(&store, "kwb_aantal_inwoners", Level::Wijk, 2019);
    for support in ["wmo", "jeugdzorg", "bijstand"] {
        let r = kwm_monitor::radar::radar(
            &store,
            &c,
            &RadarQuery {
                level: Level::Wijk,
                period: None,
                support: Some(support.into()),
                gemeente: None,
            },
        )
        .unwrap();
        assert_eq!(
            r.period, 2019,
            "{support}: the latest period with its figures"
        );
        // The wijk-level stacking (small financial buffer, low education, age) sets high need.
        assert_eq!(r.need_rule, "stacking");
        let RadarOutcome::Model(m) = &r.outcome else {
            panic!("{support}: {:?}", r.outcome)
        };
        // The areas in the model, counted independently: every figure present, ≥ 1,000 residents.
        let s = c.radar.support(support).unwrap();
        let ids: Vec<&str> = s.required_indicators().iter().map(|i| i.as_str()).collect();
        let cols: Vec<HashMap<RegionCode, f64>> = ids
            .iter()
            .map(|id| column(&store, id, Level::Wijk, 2019))
            .collect();
        let expected_n = population
            .iter()
            .filter(|(code, pop)| **pop >= 1000.0 && cols.iter().all(|col| col.contains_key(*code)))
            .count();
        assert_eq!(m.n, expected_n, "{support}");
        assert!(
            m.r_squared > 0.2 && m.r_squared < 1.0,
            "{support}: {}",
            m.r_squared
        );
        let mut candidates = Vec::new();
        for a in &r.areas {
            if a.row.excluded.is_some() {
                assert!(!a.row.candidate);
                continue;
            }
            let (obs, lower) = (a.row.observed.unwrap(), a.row.lower.unwrap());
            // High need is exactly "at least one flagged risk characteristic and a need score
            // (mean percentile of this support's need indicators) of at least 50".
            let score = a.row.need_score.unwrap();
            let percentiles: Vec<f64> = a.row.need_percentiles.iter().map(|p| p.unwrap()).collect();
            assert!(
                (score - percentiles.iter().sum::<f64>() / percentiles.len() as f64).abs() < 1e-9
            );
            assert_eq!(
                a.row.high_need,
                a.stacking.is_some_and(|s| s.flagged >= 1) && score >= 50.0,
                "{}",
                a.code
            );
            assert_eq!(
                a.row.candidate,
                a.row.high_need && obs < lower,
                "{}",
                a.code
            );
            if a.row.candidate {
                assert!(a.row.p_below.unwrap() < 0.05);
                assert!(
                    !a.flagged.is_empty(),
                    "a candidate names its characteristics"
                );
                candidates.push(format!(
                    "{} {} (obs {obs:.1}, exp {:.1}, p {:.3}, flagged {:?})",
                    a.code,
                    a.name.clone().unwrap_or_default(),
                    a.row.expected.unwrap(),
                    a.row.p_below.unwrap(),
                    a.flagged
                ));
            }
        }
        println!(
            "{support}: n = {}, R² = {:.2}, candidates: {candidates:?}",
            m.n, m.r_squared
        );
    }
}

#[test]
fn the_computed_wmo_rate_agrees_with_the_published_one() {
    // The radar computes use as clients / residents × 1,000; CBS publishes the same rate. CBS
    // rounds client counts to 5, so a wijk may differ by up to 2.5 clients' worth.
    let store = SqliteStore::open(amsterdam()).unwrap();
    let c = catalogue();
    let r = kwm_monitor::radar::radar(
        &store,
        &c,
        &RadarQuery {
            level: Level::Wijk,
            period: Some(2019),
            support: Some("wmo".into()),
            gemeente: None,
        },
    )
    .unwrap();
    let published = column(&store, "kwb_wmo_clienten_relatief", Level::Wijk, 2019);
    let mut compared = 0;
    for a in r.areas.iter().filter(|a| a.row.excluded.is_none()) {
        let (Some(obs), Some(pop), Some(p)) =
            (a.row.observed, a.population, published.get(&a.code))
        else {
            continue;
        };
        let tolerance = 0.5 + 2.5 * 1000.0 / pop + 1e-9;
        assert!((obs - p).abs() <= tolerance, "{}: {obs} vs {p}", a.code);
        compared += 1;
    }
    assert!(compared > 80, "{compared}");
}

#[test]
fn an_expectation_is_the_fit_without_the_area() {
    // Refit the Wmo model without the area with the lowest studentised residual, from the
    // stored figures, and compare its prediction with the radar's expectation.
    let store = SqliteStore::open(amsterdam()).unwrap();
    let c = catalogue();
    let r = kwm_monitor::radar::radar(
        &store,
        &c,
        &RadarQuery {
            level: Level::Wijk,
            period: Some(2019),
            support: Some("wmo".into()),
            gemeente: None,
        },
    )
    .unwrap();
    let fitted: Vec<_> = r
        .areas
        .iter()
        .filter(|a| a.row.expected.is_some())
        .collect();
    let lowest = fitted
        .iter()
        .min_by(|a, b| a.row.t.unwrap().total_cmp(&b.row.t.unwrap()))
        .unwrap();
    let pop = column(&store, "kwb_aantal_inwoners", Level::Wijk, 2019);
    let clients = column(&store, "kwb_wmo_clienten", Level::Wijk, 2019);
    let minimum = column(&store, "kwb_sociaal_minimum", Level::Wijk, 2019);
    let old = column(&store, "kwb_65_jaar_of_ouder", Level::Wijk, 2019);
    let mut rows = Vec::new();
    let mut y = Vec::new();
    for a in fitted.iter().filter(|a| a.code != lowest.code) {
        let p = pop[&a.code];
        rows.push(vec![minimum[&a.code], 100.0 * old[&a.code] / p]);
        y.push(1000.0 * clients[&a.code] / p);
    }
    // The model is on the log scale (every wijk in the fit has some Wmo use, so no offset).
    let RadarOutcome::Model(m) = &r.outcome else {
        panic!("{:?}", r.outcome)
    };
    assert_eq!(m.log_offset, 0.0);
    let log_y: Vec<f64> = y.iter().map(|v| v.ln()).collect();
    let fit = kwm_engine::regression::fit_linear(&rows, &log_y, None, 0.9).unwrap();
    let p = pop[&lowest.code];
    let x = [minimum[&lowest.code], 100.0 * old[&lowest.code] / p];
    let prediction =
        (fit.coefficients[0] + fit.coefficients[1] * x[0] + fit.coefficients[2] * x[1]).exp();
    assert!(
        (prediction - lowest.row.expected.unwrap()).abs() < 1e-6,
        "{prediction} vs {:?}",
        lowest.row.expected
    );
}

#[test]
fn the_radar_filters_by_gemeente_and_says_what_it_cannot_do() {
    let store = SqliteStore::open(amsterdam()).unwrap();
    let c = catalogue();
    let q = |level, period, support: &str, gemeente: Option<&str>| RadarQuery {
        level,
        period,
        support: Some(support.into()),
        gemeente: gemeente.map(|g| RegionCode::parse(g).unwrap()),
    };
    let r = kwm_monitor::radar::radar(&store, &c, &q(Level::Wijk, None, "wmo", Some("GM0363")))
        .unwrap();
    assert!(r
        .areas
        .iter()
        .all(|a| a.code.as_str().starts_with("WK0363")));
    assert_eq!(r.gemeenten.len(), 1);
    // Only Amsterdam has support figures as a gemeente: no model on one area.
    let r = kwm_monitor::radar::radar(&store, &c, &q(Level::Gemeente, Some(2019), "wmo", None))
        .unwrap();
    assert!(matches!(
        r.outcome,
        RadarOutcome::NoModel(kwm_engine::radar::NoModel::TooFewAreas { usable: 1, .. })
    ));
    // KWB 2017 for Amsterdam carries no Wmo columns: the radar names what it needs.
    let r =
        kwm_monitor::radar::radar(&store, &c, &q(Level::Wijk, Some(2017), "wmo", None)).unwrap();
    let RadarOutcome::MissingData(missing) = &r.outcome else {
        panic!("{:?}", r.outcome)
    };
    let wmo = missing
        .iter()
        .find(|m| m.id.as_str() == "kwb_wmo_clienten")
        .unwrap();
    assert_eq!(wmo.keys, vec!["WmoClienten".to_string()]);
    assert!(wmo.tables.contains(&("83765NED".to_string(), 2017)));
    assert_eq!(wmo.loaded_periods, vec![2019]);
    assert!(
        !missing
            .iter()
            .any(|m| m.id.as_str() == "kwb_aantal_inwoners"),
        "residents are loaded for 2017"
    );
    // Levels and periods where a model can be fitted: 2017 too (social assistance has every
    // figure then), never the gemeente level (one gemeente).
    let available = kwm_monitor::radar::available(&store, &c).unwrap();
    assert_eq!(
        available,
        vec![
            (Level::Wijk, vec![2017, 2019]),
            (Level::Buurt, vec![2017, 2019])
        ]
    );
    assert!(kwm_monitor::radar::radar(&store, &c, &q(Level::Land, None, "wmo", None)).is_err());
    // A support computed only per gemeente is refused at wijk level, with the reason.
    let e = kwm_monitor::radar::radar(&store, &c, &q(Level::Wijk, None, "ao", None)).unwrap_err();
    assert!(e.to_string().contains("only at level gemeente"), "{e}");
}

#[test]
fn a_gemeente_without_figures_says_so_instead_of_zero_candidates() {
    // Rotterdam has no wijk figures in the Amsterdam store: the radar must not answer
    // "0 candidates in GM0599" as if it had looked.
    let store = SqliteStore::open(amsterdam()).unwrap();
    let c = catalogue();
    let r = kwm_monitor::radar::radar(
        &store,
        &c,
        &RadarQuery {
            level: Level::Wijk,
            period: Some(2019),
            support: Some("wmo".into()),
            gemeente: Some(RegionCode::parse("GM0599").unwrap()),
        },
    )
    .unwrap();
    assert!(
        matches!(r.outcome, RadarOutcome::Model(_)),
        "the level has a model"
    );
    assert!(r.areas.is_empty());
    let g = r.gemeente_without_figures.as_ref().expect("says so");
    assert_eq!(g.code.as_str(), "GM0599");
    assert_eq!(g.name.as_deref(), Some("Rotterdam"));
    // What would be needed: every figure of the support, per wijk of Rotterdam.
    let needed: BTreeSet<&str> = g.missing.iter().map(|m| m.id.as_str()).collect();
    let required: BTreeSet<&str> = c
        .radar
        .support("wmo")
        .unwrap()
        .required_indicators()
        .iter()
        .map(|i| i.as_str())
        .collect();
    assert_eq!(needed, required);
    assert!(
        g.elsewhere.is_empty(),
        "no Rotterdam figures at any level here"
    );
    // Amsterdam has figures: no such note.
    let r = kwm_monitor::radar::radar(
        &store,
        &c,
        &RadarQuery {
            level: Level::Wijk,
            period: Some(2019),
            support: Some("wmo".into()),
            gemeente: Some(RegionCode::parse("GM0363").unwrap()),
        },
    )
    .unwrap();
    assert!(r.gemeente_without_figures.is_none());
}

#[test]
fn the_effect_view_on_amsterdam_is_a_placebo_check_and_adds_up() {
    let store = SqliteStore::open(amsterdam()).unwrap();
    let c = catalogue();
    let rec = c.agenda.recommendation("bestaanszekerheid").unwrap();
    let effects = kwm_monitor::agenda::effects(&store, &c, rec).unwrap();
    let view = effects
        .views
        .iter()
        .find(|v| v.indicator.as_str() == "kwb_laag_inkomen" && v.level == Level::Wijk)
        .unwrap();
    // Both years lie before the NPLV's start (July 2022): only a placebo check is possible.
    assert_eq!(view.result.label, EffectLabel::PlaceboOnly);
    assert!(view.result.effect.is_none());
    let pre = view.result.pre_trend.as_ref().unwrap();
    assert_eq!(
        (pre.before.clone(), pre.after.clone()),
        (vec![2017], vec![2019])
    );

    // The same estimate from the stored figures and the documented rule.
    let set = c
        .region_sets
        .iter()
        .find(|s| s.id == "nplv_focusgebieden")
        .unwrap();
    let targets = set.codes_at(Level::Wijk);
    let (v17, v19) = (
        column(&store, "kwb_laag_inkomen", Level::Wijk, 2017),
        column(&store, "kwb_laag_inkomen", Level::Wijk, 2019),
    );
    let pop = column(&store, "kwb_aantal_inwoners", Level::Wijk, 2019);
    let mut t_changes = Vec::new();
    let mut t_base = Vec::new();
    let mut c_pairs = Vec::new();
    for (code, b) in &v17 {
        let (Some(a), Some(p)) = (v19.get(code), pop.get(code)) else {
            continue;
        };
        if *p < 1000.0 {
            continue;
        }
        if targets.contains(code) {
            t_changes.push(a - b);
            t_base.push(*b);
        } else {
            c_pairs.push((*b, a - b));
        }
    }
    let lo = t_base.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = t_base.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let c_changes: Vec<f64> = c_pairs
        .iter()
        .filter(|(b, _)| *b >= lo && *b <= hi)
        .map(|(_, d)| *d)
        .collect();
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    assert_eq!(pre.targets, t_changes.len());
    assert_eq!(pre.comparisons, c_changes.len());
    assert_eq!(pre.outside_support, c_pairs.len() - c_changes.len());
    assert!((pre.estimate - (mean(&t_changes) - mean(&c_changes))).abs() < 1e-9);
    // Zuidoost and Nieuw-West in the 2017/2019 layout: 6 + 14 wijken listed, those with at
    // least 1,000 residents take part.
    let listed_2019: BTreeSet<&RegionCode> =
        targets.iter().filter(|c| v19.contains_key(*c)).collect();
    assert_eq!(listed_2019.len(), 20);
    assert_eq!(view.targets.len(), t_changes.len());
    println!(
        "placebo check kwb_laag_inkomen: {:.2} [{:.2}, {:.2}], {} targets, {} comparisons",
        pre.estimate, pre.lower, pre.upper, pre.targets, pre.comparisons
    );

    // At gemeente level only Amsterdam has these figures: too few regions, no estimate.
    let gm = effects
        .views
        .iter()
        .find(|v| v.indicator.as_str() == "kwb_laag_inkomen" && v.level == Level::Gemeente)
        .unwrap();
    assert_eq!(gm.result.label, EffectLabel::TooFewRegions);

    // A rate computed from its counts where it is not published.
    let bijstand = effects
        .views
        .iter()
        .find(|v| v.indicator.as_str() == "kwb_bijstand_per_1000" && v.level == Level::Wijk)
        .unwrap();
    assert!(bijstand.derived);
    assert_eq!(bijstand.result.label, EffectLabel::PlaceboOnly);

    // Recommendations without target regions have no view, and say which indicators.
    let monitoring = c.agenda.recommendation("monitoring_anders").unwrap();
    let e = kwm_monitor::agenda::effects(&store, &c, monitoring).unwrap();
    assert!(e.views.is_empty() && e.not_measured.is_empty());
    let q = c.agenda.recommendation("lessen_q_koorts").unwrap();
    let e = kwm_monitor::agenda::effects(&store, &c, q).unwrap();
    assert!(e.views.is_empty());
    assert_eq!(e.not_measured.len(), 1);
}

/// The national files: KWB 2020 per gemeente, RIVM adults 2012/2016/2020 down to buurt, KWB 2024
/// residents at every level (the RIVM files have none) and Amsterdam's KWB 2019, the 2021
/// gemeente code list; the risk
/// model computed at gemeente level for 2020 only (wijk level takes minutes in a debug build,
/// and neither test below needs it).
fn national() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = tmp("national.sqlite");
        let files: Vec<PathBuf> = [
            "codelists/gemeenten_2021_provincie.csv",
            "kwb/kwb_2020_gemeente_wijkbuurtkaart.csv",
            "kwb/kwb_2024_85984NED_alle_niveaus_leeftijd.csv",
            // Amsterdam re-coded its wijken in 2022: the 2024 residents do not reach the 2020
            // codes there; KWB 2019 (the same codes as 2020) does, as in `kwm demo`.
            "kwb_amsterdam/kwb_2019_amsterdam_gemeente_wijk_buurt.csv",
            "rivm/50090NED_2012_18plus.csv",
            "rivm/50090NED_2016_18plus.csv",
            "rivm/50090NED_2020_18plus.csv",
        ]
        .iter()
        .map(|f| repo().join("data").join(f))
        .collect();
        let mut store = SqliteStore::open(&path).unwrap();
        let c = catalogue();
        kwm_monitor::ingest::ingest_files(&mut store, &c, &files, &ReadOptions::default(), "t")
            .unwrap();
        kwm_monitor::risk::compute_all(
            &mut store,
            &c,
            Some(Level::Gemeente),
            Some(2020),
            "t",
            false,
        )
        .unwrap();
        path
    })
}

#[test]
fn the_gemeente_radar_on_kwb_2020_never_expects_negative_use() {
    let store = SqliteStore::open(national()).unwrap();
    let c = catalogue();
    let population = column(&store, "kwb_aantal_inwoners", Level::Gemeente, 2020);
    for support in ["bijstand", "ao"] {
        let r = kwm_monitor::radar::radar(
            &store,
            &c,
            &RadarQuery {
                level: Level::Gemeente,
                period: Some(2020),
                support: Some(support.into()),
                gemeente: None,
            },
        )
        .unwrap();
        let RadarOutcome::Model(m) = &r.outcome else {
            panic!("{support}: {:?}", r.outcome)
        };
        assert_eq!(r.need_rule, "stacking", "{support}: the 2020 gemeente run");
        // The gemeente need list of radar.toml ([[support.at]]) is the one used.
        assert!(
            r.support
                .need
                .iter()
                .any(|n| n.indicator.as_str() == "vo_moeite_met_rondkomen_18plus")
                || support == "ao",
            "{support}"
        );
        // n, counted independently: every figure present, ≥ 1,000 residents.
        let cols: Vec<HashMap<RegionCode, f64>> = r
            .support
            .required_indicators()
            .iter()
            .map(|id| column(&store, id.as_str(), Level::Gemeente, 2020))
            .collect();
        let expected_n = population
            .iter()
            .filter(|(code, pop)| **pop >= 1000.0 && cols.iter().all(|col| col.contains_key(*code)))
            .count();
        assert_eq!(m.n, expected_n, "{support}");
        assert!((340..=355).contains(&m.n), "{support}: n = {}", m.n);
        assert!(
            m.r_squared > 0.3 && m.r_squared < 1.0,
            "{support}: {}",
            m.r_squared
        );
        let mut candidates = Vec::new();
        for a in r.areas.iter().filter(|a| a.row.excluded.is_none()) {
            let (obs, exp) = (a.row.observed.unwrap(), a.row.expected.unwrap());
            let (lo, hi) = (a.row.lower.unwrap(), a.row.upper.unwrap());
            assert!(
                exp >= 0.0 && lo >= 0.0 && lo <= exp && exp <= hi,
                "{}: {:?}",
                a.code,
                a.row
            );
            // The difference: observed − expected, and as a share of the expectation, one sign.
            let (gap, rel) = (a.row.gap.unwrap(), a.row.relative_gap.unwrap());
            assert!((gap - (obs - exp)).abs() < 1e-9);
            assert_eq!(gap < 0.0, rel < 0.0, "{}", a.code);
            assert_eq!(a.row.candidate, a.row.high_need && obs < lo, "{}", a.code);
            if a.row.candidate {
                candidates.push(format!(
                    "{} {} (obs {obs:.1}, exp {exp:.1} [{lo:.1}–{hi:.1}], q {:.2})",
                    a.code,
                    a.name.clone().unwrap_or_default(),
                    a.row.q_below.unwrap()
                ));
            }
        }
        println!(
            "{support}: n = {}, R² (log) = {:.3}, {} candidates: {candidates:?}",
            m.n,
            m.r_squared,
            candidates.len()
        );
    }
    // A Rotterdam wijk's radar link goes to the gemeente level, where the figures are.
    let wijk = RegionCode::parse("WK059910").unwrap();
    assert_eq!(
        kwm_monitor::radar::region_target(&store, &c, &wijk).unwrap(),
        Some((Level::Gemeente, 2020, None))
    );
}

#[test]
fn the_focus_areas_pre_trend_check_runs_on_rivm_wijken() {
    let store = SqliteStore::open(national()).unwrap();
    let c = catalogue();
    let set = c
        .region_sets
        .iter()
        .find(|s| s.id == "nplv_focusgebieden")
        .unwrap();
    for (rec, indicator) in [
        ("bestaanszekerheid", "vo_moeite_met_rondkomen_18plus"),
        ("radar_lokaal", "vo_eenzaam_18plus"),
    ] {
        let r = c.agenda.recommendation(rec).unwrap();
        let e = kwm_monitor::agenda::effects(&store, &c, r).unwrap();
        let v = e
            .views
            .iter()
            .find(|v| v.indicator.as_str() == indicator && v.level == Level::Wijk)
            .unwrap_or_else(|| panic!("{rec}: no wijk view of {indicator}"));
        assert_eq!(v.periods, vec![2012, 2016, 2020]);
        // Every year lies before the NPLV's start (2022-07): a pre-trend check, never an effect.
        assert_eq!(v.result.label, EffectLabel::PlaceboOnly, "{rec}");
        assert!(v.result.effect.is_none());
        let pre = v.result.pre_trend.as_ref().unwrap();
        assert_eq!(
            (pre.before.clone(), pre.after.clone()),
            (vec![2012, 2016], vec![2020])
        );
        assert!(pre.targets >= 10, "{rec}: {} target wijken", pre.targets);
        // Focus areas that could not be matched at wijk level are named: those without wijk
        // codes, and any whose codes are not among the figures' wijken.
        let codes: BTreeSet<RegionCode> = v
            .targets
            .iter()
            .chain(&v.comparisons)
            .map(|t| t.code.clone())
            .collect();
        for a in &set.areas {
            let unmatched = v.unmatched_areas.contains(&a.name);
            if a.wijken.is_empty() {
                assert!(unmatched, "{} has no wijk codes", a.name);
            }
            if !unmatched {
                assert!(
                    a.wijken.iter().any(|w| codes.contains(w)) || v.small > 0,
                    "{}",
                    a.name
                );
            }
        }
        println!(
            "{rec} {indicator}: pre-trend {:.2} [{:.2}, {:.2}] ({} targets, {} comparisons, {} outside support); {} codes matched; unmatched: {:?}",
            pre.estimate,
            pre.lower,
            pre.upper,
            pre.targets,
            pre.comparisons,
            pre.outside_support,
            v.targets_matched,
            v.unmatched_areas
        );
    }
}

/// A hand-made dataset where the radar candidates are known, loaded as a long CSV.
///
/// 40 fictitious gemeenten (GM0101–GM0140), period 2030, no risk-model results (so high need is
/// the mean need percentile, at least 75). Need rises with the area number: social-minimum share
/// `m = 4 + 0.5 i` and 65+ share `o = 10 + 0.3 i + w(i)` (w a small zero-mean wiggle). True Wmo
/// use per 1,000 = `15 + 2.5 m + 1.5 o` plus a wiggle; residents 5,000 + 100 i. Planted:
/// - GM0138 and GM0139 (high need) use 30 fewer → the candidates;
/// - GM0105 (low need) uses 30 fewer → clearly low, not high need, no candidate;
/// - GM0136 (high need) uses 30 more → no candidate.
#[test]
fn a_hand_made_dataset_gives_the_planted_candidates() {
    let wiggle = [0.4, -0.3, 0.1, -0.2, 0.3, -0.4, 0.2, 0.0, -0.1, 0.0];
    let mut csv = String::from("region,period,indicator,value\n");
    for i in 0..40usize {
        let code = format!("GM{:04}", 101 + i);
        let m = 4.0 + 0.5 * i as f64;
        let o = 10.0 + 0.3 * i as f64 + wiggle[i % 10] * 3.0;
        let pop = 5000.0 + 100.0 * i as f64;
        let mut rate = 15.0 + 2.5 * m + 1.5 * o + wiggle[(i * 3) % 10] * 4.0;
        match i {
            37 | 38 | 4 => rate -= 30.0,
            35 => rate += 30.0,
            _ => {}
        }
        let clients = (rate * pop / 1000.0).round();
        let old = (o * pop / 100.0).round();
        for (id, v) in [
            ("kwb_aantal_inwoners", pop),
            ("kwb_wmo_clienten", clients),
            ("kwb_sociaal_minimum", m),
            ("kwb_65_jaar_of_ouder", old),
        ] {
            csv.push_str(&format!("{code},2030,{id},{v}\n"));
        }
    }
    let file = tmp("handmade_radar.csv");
    std::fs::write(&file, csv).unwrap();
    let path = tmp("handmade.sqlite");
    let mut store = SqliteStore::open(&path).unwrap();
    let c = catalogue();
    kwm_monitor::ingest::ingest_files(
        &mut store,
        &c,
        &[file],
        &ReadOptions {
            format: kwm_ingest::Format::parse("long"),
            ..Default::default()
        },
        "t",
    )
    .unwrap();
    let r = kwm_monitor::radar::radar(
        &store,
        &c,
        &RadarQuery {
            level: Level::Gemeente,
            period: Some(2030),
            support: Some("wmo".into()),
            gemeente: None,
        },
    )
    .unwrap();
    assert_eq!(r.need_rule, "need_percentile");
    let RadarOutcome::Model(m) = &r.outcome else {
        panic!("{:?}", r.outcome)
    };
    assert_eq!(m.n, 40);
    let candidates: BTreeSet<&str> = r
        .areas
        .iter()
        .filter(|a| a.row.candidate)
        .map(|a| a.code.as_str())
        .collect();
    assert_eq!(candidates, BTreeSet::from(["GM0138", "GM0139"]));
    let by: BTreeMap<&str, _> = r.areas.iter().map(|a| (a.code.as_str(), a)).collect();
    let low = by["GM0105"];
    assert!(low.row.observed.unwrap() < low.row.lower.unwrap() && !low.row.high_need);
    assert!(by["GM0136"].row.high_need && !by["GM0136"].row.candidate);
    // Candidates come first in the answer.
    assert!(r.areas[..2].iter().all(|a| a.row.candidate));
}
