//! Harmonising every stored series onto one target layout (`kwm harmonise --to 2024`).
//!
//! For each level and period, the period's figures are in the layout of that period (the
//! latest stored layout up to it). The effective changes between that layout and the target
//! are chained ([`kwm_engine::crosswalk::compose`]) and each target region's value is built
//! from its contributions by the indicator's rule ([`kwm_engine::harmonise`]): counts add,
//! rates with counts are recomputed, rates with only a denominator are weighted by it, other
//! rates by population. The result is stored with a flag per value.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kwm_engine::crosswalk::{self, Link, Step};
use kwm_engine::harmonise::{self as engine, Contribution, Method, Rule, SourceValue};
use kwm_model::catalogue::Catalogue;
use kwm_model::{Level, RegionCode};
use kwm_store::{HarmonisationRecord, HarmonisedRecord, Store};
use serde::Serialize;

use crate::layouts::layout_for;
use crate::layouts::{self, ChangeView, CHANGING_LEVELS, POPULATION_INDICATOR};
use crate::MonitorError;

/// What one harmonisation run did.
#[derive(Debug, Clone, Serialize)]
pub struct HarmoniseReport {
    /// Target layout year.
    pub target: i32,
    /// False when the inputs had not changed since the last run onto this target.
    pub ran: bool,
    /// Figures stored.
    pub rows: usize,
    /// Figures per method.
    pub by_method: BTreeMap<String, usize>,
    /// Target layout used per level.
    pub layouts: BTreeMap<Level, i32>,
    /// What could not be carried over, and why.
    pub notes: Vec<String>,
}

/// Fingerprint of everything a run depends on: loads, changes, the catalogue's relations.
fn signature(
    store: &dyn Store,
    catalogue: &Catalogue,
    target: i32,
) -> Result<String, MonitorError> {
    let mut text = format!("target {target}\ncatalogue {}\n", catalogue.version);
    for l in store.loads()? {
        text.push_str(&format!("load {} {}\n", l.id, l.checksum));
    }
    for c in store.region_changes(None)? {
        text.push_str(&format!("{c:?}\n"));
    }
    for i in &catalogue.indicators {
        text.push_str(&format!(
            "{} {} {:?}\n",
            i.indicator.id, i.indicator.additive, i.relation
        ));
    }
    Ok(kwm_ingest::checksum(text.as_bytes()))
}

/// The steps that take figures of `source` layout to `target` (`source < to_layout ≤ target`).
/// Per old code, official links win; their open weights come from the derived ones.
fn steps(changes: &[ChangeView], source: i32, target: i32) -> (Vec<Step>, Vec<String>) {
    let mut by_layout: BTreeMap<i32, Vec<Link>> = BTreeMap::new();
    let mut open = Vec::new();
    for c in changes {
        let ch = &c.change;
        if ch.to_layout <= source || ch.to_layout > target || !layouts::moves_figures(c) {
            continue;
        }
        match Link::from_change(ch) {
            Some(link) => by_layout.entry(ch.to_layout).or_default().push(link),
            None => open.push(format!(
                "{} → {} ({}, {}): no weight known for this {}; figures of {} are not carried to layout {target}",
                ch.old_code,
                ch.new_code,
                ch.kind,
                ch.to_layout,
                ch.kind,
                ch.old_code
            )),
        }
    }
    (
        by_layout
            .into_iter()
            .map(|(to_layout, links)| Step { to_layout, links })
            .collect(),
        open,
    )
}

struct Relations<'a> {
    rule_of: HashMap<String, RuleSpec<'a>>,
}

#[derive(Clone, Copy)]
enum RuleSpec<'a> {
    Count,
    Ratio {
        numerator: &'a str,
        denominator: &'a str,
        scale: f64,
    },
    DenominatorWeighted {
        denominator: &'a str,
    },
    PopulationWeighted,
}

impl<'a> Relations<'a> {
    fn new(catalogue: &'a Catalogue, store: &dyn Store) -> Result<Relations<'a>, MonitorError> {
        let mut rule_of = HashMap::new();
        for r in store.indicators()? {
            if r.indicator.additive {
                rule_of.insert(r.indicator.id.to_string(), RuleSpec::Count);
            }
        }
        for i in &catalogue.indicators {
            let spec = match &i.relation {
                Some(rel) => match &rel.numerator {
                    Some(n) => RuleSpec::Ratio {
                        numerator: n.as_str(),
                        denominator: rel.denominator.as_str(),
                        scale: rel.scale,
                    },
                    None => RuleSpec::DenominatorWeighted {
                        denominator: rel.denominator.as_str(),
                    },
                },
                None if i.indicator.additive => RuleSpec::Count,
                None => RuleSpec::PopulationWeighted,
            };
            rule_of.insert(i.indicator.id.to_string(), spec);
        }
        Ok(Relations { rule_of })
    }

    fn spec(&self, id: &str) -> RuleSpec<'a> {
        self.rule_of
            .get(id)
            .copied()
            .unwrap_or(RuleSpec::PopulationWeighted)
    }

    /// Ratio indicators the catalogue defines whose counts are both present.
    fn computable(&self, present: &BTreeSet<String>) -> Vec<String> {
        self.rule_of
            .iter()
            .filter_map(|(id, spec)| match spec {
                RuleSpec::Ratio {
                    numerator,
                    denominator,
                    ..
                } if present.contains(*numerator) && present.contains(*denominator) => {
                    Some(id.clone())
                }
                _ => None,
            })
            .collect()
    }
}

type Values = HashMap<RegionCode, SourceValue>;

fn values_of(
    store: &dyn Store,
    indicator: &str,
    level: Level,
    period: i32,
) -> Result<Values, MonitorError> {
    Ok(store
        .observations(indicator, level, period)?
        .into_iter()
        .map(|o| {
            (
                o.region,
                SourceValue {
                    value: o.value,
                    lower: o.lower,
                    upper: o.upper,
                    n: o.n,
                },
            )
        })
        .collect())
}

fn counts_of(values: &Values) -> HashMap<RegionCode, f64> {
    values
        .iter()
        .filter_map(|(c, v)| v.value.map(|x| (c.clone(), x)))
        .collect()
}

/// Harmonises every stored series onto the layout of `target` (per level: the latest stored
/// layout up to `target`) and stores the result, replacing an earlier run onto the same
/// target. Skips the work when nothing it depends on changed since the last run.
pub fn harmonise(
    store: &mut dyn Store,
    catalogue: &Catalogue,
    target: i32,
    created_at: &str,
) -> Result<HarmoniseReport, MonitorError> {
    let sig = signature(store, catalogue, target)?;
    if let Some(run) = store
        .harmonisations()?
        .into_iter()
        .find(|h| h.target_layout == target)
    {
        if run.signature == sig {
            return Ok(HarmoniseReport {
                target,
                ran: false,
                rows: run.rows,
                by_method: BTreeMap::new(),
                layouts: BTreeMap::new(),
                notes: run.notes,
            });
        }
    }
    let relations = Relations::new(catalogue, store)?;
    let mut rows: Vec<HarmonisedRecord> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut used_layouts = BTreeMap::new();
    for level in Level::ALL {
        let periods = store.periods(level)?;
        if periods.is_empty() {
            continue;
        }
        let layouts = store.layouts(level)?;
        let Some(target_layout) = layouts.iter().copied().filter(|&l| l <= target).max() else {
            notes.push(format!(
                "{level}: no layout up to {target} is stored; figures not harmonised"
            ));
            continue;
        };
        used_layouts.insert(level, target_layout);
        let changing = CHANGING_LEVELS.contains(&level);
        let target_regions: BTreeSet<RegionCode> = store
            .regions(level, target_layout)?
            .into_iter()
            .map(|r| r.code)
            .collect();
        let changes = if changing {
            layouts::effective_changes(store, level)?
        } else {
            Vec::new()
        };
        let mut dropped: BTreeMap<i32, BTreeSet<RegionCode>> = BTreeMap::new();
        let mut later = BTreeSet::new();
        for period in periods {
            let source_layout = layout_for(store, level, period)?.unwrap_or(period);
            if source_layout > target_layout {
                later.insert(period);
                continue;
            }
            let (chain, open) = steps(&changes, source_layout, target_layout);
            for n in open {
                if !notes.contains(&n) {
                    notes.push(n);
                }
            }
            let present: BTreeSet<String> =
                store.indicator_ids_at(level, period)?.into_iter().collect();
            let mut ids: BTreeSet<String> = present.clone();
            ids.extend(relations.computable(&present));
            let mut cache: HashMap<String, Values> = HashMap::new();
            let mut load = |id: &str| -> Result<Values, MonitorError> {
                if let Some(v) = cache.get(id) {
                    return Ok(v.clone());
                }
                let v = if present.contains(id) {
                    values_of(store, id, level, period)?
                } else {
                    HashMap::new()
                };
                cache.insert(id.to_string(), v.clone());
                Ok(v)
            };
            let population = counts_of(&load(POPULATION_INDICATOR)?);
            // Source codes: every region with a figure in this period.
            let mut sources: BTreeSet<RegionCode> = BTreeSet::new();
            for id in &present {
                sources.extend(load(id)?.into_keys());
            }
            // Plus every region the chain moves that existed in the source layout, with or
            // without figures: a merged region whose part has no figure must come out
            // incomplete, not as the other part alone. A code is new to the chain (so of the
            // source layout) when no earlier step produced it.
            let mut produced: BTreeSet<&RegionCode> = BTreeSet::new();
            for step in &chain {
                for link in &step.links {
                    if !produced.contains(&link.from) {
                        sources.insert(link.from.clone());
                    }
                }
                produced.extend(step.links.iter().map(|l| &l.to));
            }
            let sources: Vec<RegionCode> = sources.into_iter().collect();
            let map = crosswalk::compose(&sources, &chain);
            let mut contributions: BTreeMap<RegionCode, Vec<Contribution>> = BTreeMap::new();
            for (source, shares) in &map {
                for s in shares {
                    contributions
                        .entry(s.target.clone())
                        .or_default()
                        .push(Contribution {
                            source: source.clone(),
                            weight: s.weight,
                            estimated: s.estimated,
                        });
                }
            }
            if changing {
                contributions.retain(|t, _| {
                    let keep = target_regions.contains(t);
                    if !keep {
                        dropped.entry(source_layout).or_default().insert(t.clone());
                    }
                    keep
                });
            }
            for id in &ids {
                let own = load(id)?;
                let spec = relations.spec(id);
                let (num, den);
                let rule = match spec {
                    RuleSpec::Count => Rule::Count,
                    RuleSpec::Ratio {
                        numerator,
                        denominator,
                        scale,
                    } => {
                        num = counts_of(&load(numerator)?);
                        den = counts_of(&load(denominator)?);
                        Rule::Ratio {
                            numerator: &num,
                            denominator: &den,
                            scale,
                            population: &population,
                        }
                    }
                    RuleSpec::DenominatorWeighted { denominator } => {
                        den = counts_of(&load(denominator)?);
                        Rule::DenominatorWeighted {
                            denominator: &den,
                            population: &population,
                        }
                    }
                    RuleSpec::PopulationWeighted => Rule::PopulationWeighted {
                        population: &population,
                    },
                };
                for (t, parts) in &contributions {
                    if let Some(h) = engine::harmonise(t, parts, &own, rule) {
                        rows.push(HarmonisedRecord {
                            target_layout: target,
                            indicator: id.clone(),
                            region: t.clone(),
                            period,
                            source_layout,
                            value: h.value,
                            lower: h.lower,
                            upper: h.upper,
                            n: h.n,
                            method: h.method.as_str().to_string(),
                            weighted_by: h.weighted_by.map(str::to_string),
                            sources: parts.iter().map(|c| (c.source.clone(), c.weight)).collect(),
                        });
                    }
                }
            }
        }
        for (layout, codes) in dropped {
            let shown: Vec<&str> = codes.iter().take(6).map(RegionCode::as_str).collect();
            notes.push(format!(
                "{level}: {} region(s) of layout {layout} have no known successor in layout {target_layout} (their change is not in a change table and the data cannot show it), e.g. {}",
                codes.len(),
                shown.join(", ")
            ));
        }
        if !later.is_empty() {
            notes.push(format!(
                "{level}: periods {} are in a layout after {target_layout}; harmonising backwards is not supported",
                later.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    let mut by_method: BTreeMap<String, usize> = BTreeMap::new();
    for r in &rows {
        *by_method.entry(r.method.clone()).or_default() += 1;
    }
    let run = HarmonisationRecord {
        target_layout: target,
        signature: sig,
        created_at: created_at.to_string(),
        rows: rows.len(),
        notes: notes.clone(),
    };
    store.replace_harmonised(&run, &rows)?;
    Ok(HarmoniseReport {
        target,
        ran: true,
        rows: rows.len(),
        by_method,
        layouts: used_layouts,
        notes,
    })
}

/// The layout years worth harmonising onto by default: every stored layout that is the
/// layout of some period with figures (so each period's own regions get a series), newest
/// included.
pub fn default_targets(store: &dyn Store) -> Result<Vec<i32>, MonitorError> {
    let mut targets = BTreeSet::new();
    for level in CHANGING_LEVELS {
        for period in store.periods(level)? {
            if let Some(l) = layout_for(store, level, period)? {
                targets.insert(l);
            }
        }
    }
    Ok(targets.into_iter().collect())
}

/// Which method names mean what, for reports.
pub fn method_label(method: &str) -> &'static str {
    match Method::parse(method) {
        Some(Method::Published) => "as published",
        Some(Method::Exact) => "exact sum of whole regions",
        Some(Method::Recomputed) => "rate recomputed from summed counts",
        Some(Method::WeightedMean) => "weighted mean (counts not published)",
        Some(Method::Estimated) => "estimated (includes a split share)",
        None => "unknown",
    }
}
