//! Hand-computed tables, tables built to be unsafe, and property tests of the whole
//! suppress-then-attack flow.

use proptest::prelude::*;

use super::attack::attack;
use super::primary::frequency;
use super::profile::Profile;
use super::protect::protect;
use super::*;
use crate::table::{Dimension, Hierarchy, Shape};

/// A rows × cols table with margins; `interior[r][c]`.
fn table_2d(interior: &[Vec<f64>]) -> SdcTable {
    let rows: Vec<String> = (0..interior.len()).map(|r| format!("r{r}")).collect();
    let cols: Vec<String> = (0..interior[0].len()).map(|c| format!("c{c}")).collect();
    let rr: Vec<&str> = rows.iter().map(String::as_str).collect();
    let cc: Vec<&str> = cols.iter().map(String::as_str).collect();
    let shape = Shape::new(vec![
        Dimension {
            name: "row".into(),
            hierarchy: Hierarchy::flat("T", &rr),
        },
        Dimension {
            name: "col".into(),
            hierarchy: Hierarchy::flat("T", &cc),
        },
    ])
    .unwrap();
    let mut v = vec![0.0; shape.len()];
    for (r, row) in interior.iter().enumerate() {
        for (c, x) in row.iter().enumerate() {
            v[shape.cell(&[r as u32 + 1, c as u32 + 1])] = *x;
        }
    }
    shape.aggregate_up(&mut v, 0.0, |a, x| *a += x);
    SdcTable::new(shape, v)
}

fn at(t: &SdcTable, r: u32, c: u32) -> usize {
    t.shape.cell(&[r, c])
}

fn req(cell: usize) -> Requirement {
    Requirement {
        cell,
        up: 0.0,
        down: 0.0,
        width: 10.0,
    }
}

fn limits() -> profile::AttackerLimits {
    Profile::default().attacker
}

#[test]
fn a_lone_suppressed_cell_is_recovered_exactly_and_refused() {
    let mut t = table_2d(&[vec![3.0, 20.0, 40.0], vec![25.0, 30.0, 50.0]]);
    let c = at(&t, 1, 1);
    t.status[c] = Status::Primary(PrimaryRule::Frequency);
    let report = attack(&t, &[req(c)], &limits());
    assert!(!report.passed());
    let f = &report.failures[0];
    assert_eq!((f.cell, f.up, f.down, f.exact), (c, 0.0, 0.0, true));
}

#[test]
fn a_rectangle_hides_a_cell_by_the_hand_computed_amount() {
    // Suppress the 2×2 block (3, 20 / 25, 30): the 3 can rise by min(20, 25) = 20 and fall by
    // min(3, 30) = 3, an interval [0, 23] of width 23 ≥ 10.
    let mut t = table_2d(&[vec![3.0, 20.0, 40.0], vec![25.0, 30.0, 50.0]]);
    for (r, c) in [(1, 1), (1, 2), (2, 1), (2, 2)] {
        let cell = at(&t, r, c);
        t.status[cell] = Status::Secondary;
    }
    let target = at(&t, 1, 1);
    t.status[target] = Status::Primary(PrimaryRule::Frequency);
    let cert = boxes::BoxSearch::new(&t, boxes::Mode::Certify).certify(&Requirement {
        width: 100.0,
        ..req(target)
    });
    assert_eq!((cert.up, cert.down), (20.0, 3.0));
    let iv = lp::attack_cell(&t, target, 100, 1e6, 1e6).unwrap();
    assert_eq!((iv.up, iv.down, iv.complete), (20.0, 3.0, true));
    assert!(attack(&t, &[req(target)], &limits()).passed());
}

#[test]
fn a_rectangle_with_small_partners_is_unsafe_and_protect_repairs_it() {
    // Partners 2 and 1 let the 3 rise by only 1: the attacker knows it lies in [0, 4].
    let mut t = table_2d(&[
        vec![3.0, 2.0, 40.0],
        vec![1.0, 30.0, 50.0],
        vec![60.0, 70.0, 80.0],
    ]);
    for (r, c) in [(1, 2), (2, 1), (2, 2)] {
        let cell = at(&t, r, c);
        t.status[cell] = Status::Secondary;
    }
    let target = at(&t, 1, 1);
    t.status[target] = Status::Primary(PrimaryRule::Frequency);
    let report = attack(&t, &[req(target)], &limits());
    assert!(!report.passed());
    assert_eq!((report.failures[0].up, report.failures[0].down), (1.0, 3.0));
    // The full flow on the same numbers ends safe.
    let mut t = table_2d(&[
        vec![3.0, 2.0, 40.0],
        vec![1.0, 30.0, 50.0],
        vec![60.0, 70.0, 80.0],
    ]);
    let reqs = frequency(&mut t, &Profile::default());
    assert_eq!(reqs.len(), 3);
    let outcome = protect(&mut t, &reqs, &Profile::default());
    assert!(outcome.attack.passed(), "{:?}", outcome.attack.failures);
    assert!(outcome.secondary > 0);
}

#[test]
fn a_six_cycle_needs_the_lp() {
    // Each row and column holds two suppressed cells, in a staircase no 2×2 box covers.
    let mut t = table_2d(&[
        vec![5.0, 40.0, 0.0],
        vec![0.0, 50.0, 45.0],
        vec![35.0, 0.0, 60.0],
    ]);
    let cells = [(1, 1), (1, 2), (2, 2), (2, 3), (3, 3), (3, 1)];
    for (r, c) in cells {
        let cell = at(&t, r, c);
        t.status[cell] = Status::Secondary;
    }
    let target = at(&t, 1, 1);
    t.status[target] = Status::Primary(PrimaryRule::Frequency);
    // The cycle moves +t on (1,1),(2,2),(3,3) and −t on the others: up to min(40, 45, 35) = 35
    // up and min(5, 50, 60) = 5 down.
    let iv = lp::attack_cell(&t, target, 100, 1e6, 1e6).unwrap();
    assert_eq!((iv.up, iv.down), (35.0, 5.0));
    let report = attack(&t, &[req(target)], &limits());
    assert!(report.passed(), "{:?}", report.failures);
    // The target and its five secondary partners, none of which a 2×2 box covers.
    assert_eq!((report.proven_by_lp, report.proven_by_boxes), (6, 0));
}

#[test]
fn margins_across_the_region_hierarchy_are_used_by_the_attacker() {
    // NL → GM1 {WK1, WK2}, GM2 {WK3, WK4}; columns x, y. GM totals are published.
    let mut h = Hierarchy::new("NL");
    let gm1 = h.add_child(0, "GM1");
    let wk1 = h.add_child(gm1, "WK1");
    let wk2 = h.add_child(gm1, "WK2");
    let gm2 = h.add_child(0, "GM2");
    let wk3 = h.add_child(gm2, "WK3");
    let wk4 = h.add_child(gm2, "WK4");
    let shape = Shape::new(vec![
        Dimension {
            name: "region".into(),
            hierarchy: h,
        },
        Dimension {
            name: "col".into(),
            hierarchy: Hierarchy::flat("T", &["x", "y"]),
        },
    ])
    .unwrap();
    let mut v = vec![0.0; shape.len()];
    for (w, [x, y]) in [
        (wk1, [4.0, 30.0]),
        (wk2, [40.0, 35.0]),
        (wk3, [50.0, 20.0]),
        (wk4, [25.0, 45.0]),
    ] {
        v[shape.cell(&[w, 1])] = x;
        v[shape.cell(&[w, 2])] = y;
    }
    shape.aggregate_up(&mut v, 0.0, |a, x| *a += x);
    let base = SdcTable::new(shape, v);
    let c = |t: &SdcTable, r: u32, col: u32| t.shape.cell(&[r, col]);
    // A box across gemeenten (WK1/WK3 × x/y) is safe in a flat table but not here: GM1's
    // published totals give WK1 = GM1 − WK2 exactly.
    let mut t = base.clone();
    for (r, col) in [(wk1, 1), (wk1, 2), (wk3, 1), (wk3, 2)] {
        let cell = c(&t, r, col);
        t.status[cell] = Status::Secondary;
    }
    let target = c(&t, wk1, 1);
    t.status[target] = Status::Primary(PrimaryRule::Frequency);
    let report = attack(&t, &[req(target)], &limits());
    assert!(!report.passed());
    assert!(report.failures[0].exact && report.failures[0].up == 0.0);
    // Within one gemeente the same box is fine.
    let mut t = base.clone();
    for (r, col) in [(wk1, 1), (wk1, 2), (wk2, 1), (wk2, 2)] {
        let cell = c(&t, r, col);
        t.status[cell] = Status::Secondary;
    }
    t.status[target] = Status::Primary(PrimaryRule::Frequency);
    assert!(attack(&t, &[req(target)], &limits()).passed());
    // And protect finds such a pattern by itself.
    let mut t = base;
    let reqs = frequency(&mut t, &Profile::default());
    let outcome = protect(&mut t, &reqs, &Profile::default());
    assert!(outcome.attack.passed());
    assert!(
        t.status[c(&t, gm1, 0)] == Status::Published,
        "the gemeente total need not go"
    );
}

#[test]
fn rounding_hides_small_counts_without_suppression() {
    let mut p = Profile::built_in("cbs-income").unwrap();
    p.magnitude.min_observations = 0;
    let mut t = table_2d(&[vec![3.0, 120.0, 440.0], vec![250.0, 330.0, 510.0]]);
    t.rounding_base = 100;
    let reqs = frequency(&mut t, &p);
    assert_eq!(reqs.len(), 1);
    let outcome = protect(&mut t, &reqs, &p);
    assert!(outcome.attack.passed(), "{:?}", outcome.attack.failures);
    assert!(t.status.iter().all(|s| *s == Status::Published));
    assert_eq!(t.published_value(at(&t, 1, 1)), Some(0.0));
}

/// Small random 2- and 3-dimensional count tables.
fn random_table() -> impl Strategy<Value = (Vec<usize>, Vec<u32>)> {
    prop::collection::vec(2usize..5, 2..4).prop_flat_map(|sizes| {
        let n: usize = sizes.iter().product();
        (
            Just(sizes),
            prop::collection::vec(prop_oneof![3 => 0u32..12, 2 => 10u32..80], n),
        )
    })
}

fn build(sizes: &[usize], leaves: &[u32]) -> SdcTable {
    let labels: Vec<Vec<String>> = sizes
        .iter()
        .map(|&k| (0..k).map(|i| format!("v{i}")).collect())
        .collect();
    let dims = labels
        .iter()
        .enumerate()
        .map(|(j, l)| {
            let l: Vec<&str> = l.iter().map(String::as_str).collect();
            Dimension {
                name: format!("d{j}"),
                hierarchy: Hierarchy::flat("T", &l),
            }
        })
        .collect();
    let shape = Shape::new(dims).unwrap();
    let mut v = vec![0.0; shape.len()];
    let mut idx = vec![0usize; sizes.len()];
    for &x in leaves {
        let coords: Vec<u32> = idx.iter().map(|&i| i as u32 + 1).collect();
        v[shape.cell(&coords)] = x as f64;
        for j in (0..sizes.len()).rev() {
            idx[j] += 1;
            if idx[j] < sizes[j] {
                break;
            }
            idx[j] = 0;
        }
    }
    shape.aggregate_up(&mut v, 0.0, |a, x| *a += x);
    SdcTable::new(shape, v)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn protected_tables_pass_an_exact_attack((sizes, leaves) in random_table()) {
        let profile = Profile::default();
        let mut t = build(&sizes, &leaves);
        let truth = t.values.clone();
        let reqs = frequency(&mut t, &profile);
        let outcome = protect(&mut t, &reqs, &profile);
        prop_assert!(outcome.attack.passed(), "{:?}", outcome.attack.failures);
        // Totals are preserved: what is published is the true value.
        prop_assert_eq!(&t.values, &truth);
        for (c, &true_value) in truth.iter().enumerate() {
            if let Some(v) = t.published_value(c) {
                prop_assert_eq!(v, true_value);
                // No published cell below the threshold.
                prop_assert!(v == 0.0 || v >= 10.0, "published {} at {}", v, c);
            }
        }
        // Independent of the boxes: the exact LP over all linked cells (these tables are small
        // enough for the neighbourhood to cover everything) gives every sensitive cell an
        // interval of at least 10 and every suppressed cell more than one value.
        for c in 0..t.values.len() {
            if !t.status[c].is_suppressed() {
                continue;
            }
            let need = if matches!(t.status[c], Status::Primary(_)) { 10.0 } else { 1.0 };
            let iv = lp::attack_cell(&t, c, 100_000, need, need).unwrap();
            prop_assert!(iv.complete);
            prop_assert!(iv.up + iv.down >= need - 1e-7, "cell {} interval {:?}", c, iv);
        }
    }
}

/// Random tables with a region hierarchy (Nederland → 2–3 gemeenten → 2–3 wijken each) and
/// one flat breakdown.
fn random_hierarchy() -> impl Strategy<Value = (Vec<usize>, usize, Vec<u32>)> {
    (prop::collection::vec(2usize..4, 2..4), 2usize..4).prop_flat_map(|(wijken, cols)| {
        let n = wijken.iter().sum::<usize>() * cols;
        (
            Just(wijken),
            Just(cols),
            prop::collection::vec(prop_oneof![3 => 0u32..12, 2 => 10u32..60], n),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn hierarchical_tables_are_safe_across_levels((wijken, cols, leaves) in random_hierarchy()) {
        let mut h = Hierarchy::new("NL");
        let mut leaf_nodes = Vec::new();
        for (g, &w) in wijken.iter().enumerate() {
            let gm = h.add_child(0, &format!("GM{g}"));
            for k in 0..w {
                leaf_nodes.push(h.add_child(gm, &format!("WK{g}{k}")));
            }
        }
        let labels: Vec<String> = (0..cols).map(|c| format!("c{c}")).collect();
        let l: Vec<&str> = labels.iter().map(String::as_str).collect();
        let shape = Shape::new(vec![
            Dimension { name: "region".into(), hierarchy: h },
            Dimension { name: "col".into(), hierarchy: Hierarchy::flat("T", &l) },
        ]).unwrap();
        let mut v = vec![0.0; shape.len()];
        for (i, &x) in leaves.iter().enumerate() {
            v[shape.cell(&[leaf_nodes[i / cols], (i % cols) as u32 + 1])] = x as f64;
        }
        shape.aggregate_up(&mut v, 0.0, |a, x| *a += x);
        let mut t = SdcTable::new(shape, v);
        let profile = Profile::default();
        let reqs = frequency(&mut t, &profile);
        let outcome = protect(&mut t, &reqs, &profile);
        prop_assert!(outcome.attack.passed(), "{:?}", outcome.attack.failures);
        for c in 0..t.values.len() {
            if let Some(v) = t.published_value(c) {
                prop_assert!(v == 0.0 || v >= 10.0);
            }
            if t.status[c].is_suppressed() {
                let need = if matches!(t.status[c], Status::Primary(_)) { 10.0 } else { 1.0 };
                let iv = lp::attack_cell(&t, c, 100_000, need, need).unwrap();
                prop_assert!(iv.complete && iv.up + iv.down >= need - 1e-7, "cell {} {:?}", c, iv);
            }
        }
    }
}
