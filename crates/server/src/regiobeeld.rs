//! The regiobeeld (regional picture) in words and as a one-page drawing. [`View`] turns the
//! gathered figures (`kwm_monitor::regiobeeld`) into the texts every output shows — the HTML
//! page, the SVG and the PDF print the same strings, so they never disagree — and [`scene`]
//! lays them out on A4 for [`crate::picture`].

use kwm_model::catalogue::Catalogue;
use kwm_model::risk::FactorKind;
use kwm_model::{Level, RegionCode};
use kwm_monitor::regiobeeld::{KeyFigure, Regiobeeld};

use crate::components::text::{interval_text, level_label, status_note, value_text};
use crate::i18n::Lang;
use crate::map::MapShapes;
use crate::picture::{fit, text_width, wrap, Anchor, Rgb, Scene};

/// The texts of a regiobeeld in one language.
pub struct View<'a> {
    /// The figures.
    pub data: &'a Regiobeeld,
    /// The catalogue (labels, populations, sources).
    pub catalogue: &'a Catalogue,
    /// Language.
    pub lang: Lang,
}

/// One key figure as text.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRow {
    /// Indicator id.
    pub id: String,
    /// Period of the figure.
    pub period: Option<i32>,
    /// Label (with the year when it differs from the picture's).
    pub label: String,
    /// Whom it describes (full label), when the catalogue says.
    pub population: Option<String>,
    /// Short form of the population (`18+`).
    pub population_short: Option<String>,
    /// The region's value, or why there is none.
    pub value: String,
    /// Whether `value` is a figure (false: a gap note).
    pub has_value: bool,
    /// National value.
    pub national: String,
    /// The parent's name.
    pub parent_name: Option<String>,
    /// The parent's value.
    pub parent: String,
    /// Whether `parent` is a figure (the parent has a value for this key figure).
    pub has_parent: bool,
    /// Range among the similar areas.
    pub similar: String,
    /// Whether `similar` is a range (similar areas with values exist).
    pub has_similar: bool,
    /// Series for the sparkline.
    pub series: Vec<(i32, f64)>,
    /// Series as words ("2019 12,3 → 2023 10,1").
    pub series_text: String,
}

/// One theme as text.
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeRow {
    /// Label.
    pub label: String,
    /// Exposure 0–100.
    pub exposure: Option<f64>,
    /// Exposure as shown.
    pub exposure_text: String,
    /// "12 / 342".
    pub rank: String,
}

const DASH: &str = "—";

impl View<'_> {
    fn t<'b>(&self, nl: &'b str, en: &'b str) -> &'b str {
        self.lang.t(nl, en)
    }

    /// "Regiobeeld Rotterdam".
    pub fn title(&self) -> String {
        format!(
            "{} {}",
            self.t("Regiobeeld", "Regional picture"),
            self.data.name
        )
    }

    /// The singular name of the region's level.
    pub fn level_name(&self) -> &'static str {
        match self.data.code.level() {
            Level::Gemeente => self.lang.t("gemeente", "municipality"),
            Level::Wijk => self.lang.t("wijk", "district"),
            Level::Buurt => self.lang.t("buurt", "neighbourhood"),
            Level::Provincie => self.lang.t("provincie", "province"),
            Level::Ggd => self.lang.t("GGD-regio", "GGD region"),
            Level::Land => self.lang.t("land", "country"),
        }
    }

    /// "GM0599 · gemeente · in Zuid-Holland · cijfers 2023".
    pub fn subtitle(&self) -> String {
        let mut s = format!("{} · {}", self.data.code, self.level_name());
        let parents: Vec<String> = self
            .data
            .parents
            .iter()
            .rev()
            .map(|p| p.name.clone().unwrap_or_else(|| p.code.to_string()))
            .collect();
        if !parents.is_empty() {
            s.push_str(&format!(" · {} {}", self.t("in", "in"), parents.join(", ")));
        }
        if let Some(p) = self.data.period {
            s.push_str(&format!(" · {} {p}", self.t("cijfers", "figures")));
        }
        s
    }

    fn number(&self, k: &KeyFigure, v: f64) -> String {
        match &k.indicator {
            Some(i) => value_text(self.lang, v, i.indicator.decimals, &i.indicator.unit),
            None => self.lang.number(v, 1),
        }
    }

    /// The key figures as text.
    pub fn key_rows(&self) -> Vec<KeyRow> {
        self.data
            .key_figures
            .iter()
            .map(|k| {
                let label = match &k.indicator {
                    Some(i) => self
                        .t(&i.indicator.label_nl, &i.indicator.label_en)
                        .to_string(),
                    None => self
                        .catalogue
                        .indicator(&kwm_model::IndicatorId::new(&k.id).unwrap_or_else(|_| {
                            kwm_model::IndicatorId::new("unknown").expect("valid id")
                        }))
                        .map_or(k.id.clone(), |c| {
                            self.t(&c.indicator.label_nl, &c.indicator.label_en)
                                .to_string()
                        }),
                };
                let pop = self.catalogue.population_of(&k.id);
                // A figure from an earlier year than the picture's says so.
                let year = match (k.period, self.data.period) {
                    (Some(a), Some(b)) if a != b => format!(" ({a})"),
                    _ => String::new(),
                };
                let label = format!("{label}{year}");
                let (value, has_value) = match (&k.row, k.period) {
                    (None, None) => (
                        self.t(
                            "geen cijfers op dit niveau geladen",
                            "no figures loaded at this level",
                        )
                        .to_string(),
                        false,
                    ),
                    // The level has figures that year, but not for this code (a new or
                    // re-coded area in that year's layout).
                    (None, Some(p)) => (
                        format!(
                            "{} {p}",
                            self.t(
                                "geen cijfer voor deze regio in",
                                "no figure for this region in"
                            )
                        ),
                        false,
                    ),
                    (Some(r), _) => match r.value {
                        Some(v) => (self.number(k, v), true),
                        None => (status_note(self.lang, r.status).to_string(), false),
                    },
                };
                let national = k
                    .national
                    .as_ref()
                    .map_or(DASH.to_string(), |n| self.number(k, n.value));
                let (parent_name, parent, has_parent) = match &k.parent {
                    Some((link, v)) => (
                        Some(link.name.clone().unwrap_or_else(|| link.code.to_string())),
                        v.map_or(DASH.to_string(), |v| self.number(k, v)),
                        v.is_some(),
                    ),
                    None => (None, DASH.to_string(), false),
                };
                let similar = k.similar_range.map_or(DASH.to_string(), |(lo, hi, _)| {
                    format!("{}–{}", self.number(k, lo), self.number(k, hi))
                });
                let series_text = match (k.series.first(), k.series.last()) {
                    (Some(a), Some(b)) if k.series.len() > 1 => format!(
                        "{}: {} → {}: {}",
                        a.0,
                        self.number(k, a.1),
                        b.0,
                        self.number(k, b.1)
                    ),
                    _ => self.t("geen reeks", "no series").to_string(),
                };
                KeyRow {
                    id: k.id.clone(),
                    period: k.period,
                    label,
                    population: pop.map(|p| self.t(&p.label_nl, &p.label_en).to_string()),
                    population_short: pop.map(|p| self.t(&p.short_nl, &p.short_en).to_string()),
                    value,
                    has_value,
                    national,
                    parent_name,
                    parent,
                    has_parent,
                    has_similar: k.similar_range.is_some(),
                    similar,
                    series: k.series.clone(),
                    series_text,
                }
            })
            .collect()
    }

    /// The stacking count as "4 van 9" and the rest of the sentence, when a run exists.
    pub fn stacking(&self) -> Option<(String, String)> {
        let r = self.data.risk.as_ref()?;
        let total = r
            .factors
            .iter()
            .filter(|f| f.kind == FactorKind::Risk)
            .count();
        let threshold = if r.run.method.threshold == 90.0 {
            self.t("de ongunstigste 10%", "the least favourable 10%")
                .to_string()
        } else {
            format!(
                "{} {}",
                self.t("percentiel ≥", "percentile ≥"),
                self.lang
                    .number(r.run.method.threshold, r.run.method.percentile_decimals)
            )
        };
        Some((
            format!("{} {} {}", r.flagged, self.t("van", "of"), r.with_data),
            format!(
                "{} ({} {} {}; {} {} {total} {})",
                self.t(
                    "gemeten risicokenmerken gemarkeerd",
                    "measured risk characteristics flagged"
                ),
                threshold,
                self.t("van alle", "of all"),
                level_label(self.lang, self.data.code.level()),
                total - r.with_data,
                self.t("van de", "of the"),
                self.t("kenmerken zonder gegevens", "characteristics without data"),
            ),
        ))
    }

    /// "Stapeling van risicokenmerken (2023)": with the year of the stored run.
    pub fn stacking_title(&self) -> String {
        let t = self.t(
            "Stapeling van risicokenmerken",
            "Stacking of risk characteristics",
        );
        match &self.data.risk {
            Some(r) => format!("{t} ({})", r.run.record.period),
            None => t.to_string(),
        }
    }

    /// Names of the flagged characteristics with their percentile.
    pub fn flagged(&self) -> Vec<String> {
        let Some(r) = &self.data.risk else {
            return Vec::new();
        };
        r.factors
            .iter()
            .filter(|f| f.kind == FactorKind::Risk && f.flagged)
            .map(|f| {
                let label = self.factor_label(&f.id);
                match f.percentile {
                    Some(p) => format!(
                        "{label} ({} {})",
                        self.t("percentiel", "percentile"),
                        self.lang.number(p, r.run.method.percentile_decimals)
                    ),
                    None => label,
                }
            })
            .collect()
    }

    fn factor_label(&self, id: &str) -> String {
        self.catalogue.risk.factor(id).map_or_else(
            || id.to_string(),
            |f| self.t(&f.label_nl, &f.label_en).to_string(),
        )
    }

    /// "Rang 12 / 342 op de samengestelde index; bij andere redelijke methoden 8–20 (mediaan 12)".
    pub fn rank(&self) -> Option<String> {
        let r = self.data.risk.as_ref()?;
        let rank = r.composite_rank?;
        let mut s = format!(
            "{} {rank} / {} {}",
            self.t("Rang", "Rank"),
            r.composite_ranked,
            self.t(
                "op de samengestelde index (1 = meest kwetsbaar)",
                "on the composite index (1 = most vulnerable)"
            )
        );
        if let Some(i) = &r.rank_interval {
            s.push_str(&format!(
                "; {} {}",
                self.t(
                    "90%-interval bij andere redelijke methoden:",
                    "90% interval under other reasonable methods:"
                ),
                interval_text(self.lang, i)
            ));
        }
        Some(s)
    }

    /// The themes as text.
    pub fn themes(&self) -> Vec<ThemeRow> {
        let Some(r) = &self.data.risk else {
            return Vec::new();
        };
        r.themes
            .iter()
            .map(|t| ThemeRow {
                label: self.catalogue.risk.theme(&t.id).map_or_else(
                    || t.id.clone(),
                    |x| self.t(&x.label_nl, &x.label_en).to_string(),
                ),
                exposure: t.exposure,
                exposure_text: t.exposure.map_or_else(
                    || self.t("niet gemeten", "not measured").to_string(),
                    |e| self.lang.number(e, r.run.method.percentile_decimals),
                ),
                rank: t
                    .rank
                    .map_or(DASH.to_string(), |k| format!("{k} / {}", t.ranked)),
            })
            .collect()
    }

    /// The similar areas in one sentence, or why there are none.
    pub fn similar(&self) -> String {
        let Some(s) = &self.data.similar else {
            return self
                .t(
                    "Geen vergelijkbare gebieden: er zijn geen cijfers voor deze regio.",
                    "No similar areas: there are no figures for this region.",
                )
                .to_string();
        };
        if s.rule.variables.is_empty() {
            return self
                .t(
                    "Geen vergelijkbare gebieden: de catalogus heeft geen regel (similar.toml).",
                    "No similar areas: the catalogue has no rule (similar.toml).",
                )
                .to_string();
        }
        if !s.missing.is_empty() {
            return format!(
                "{} {}",
                self.t(
                    "Geen vergelijkbare gebieden: voor deze regio ontbreekt",
                    "No similar areas: this region lacks"
                ),
                s.missing
                    .iter()
                    .map(|id| self.indicator_label(id))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let names: Vec<String> = s
            .areas
            .iter()
            .map(|a| a.name.clone().unwrap_or_else(|| a.code.to_string()))
            .collect();
        names.join(", ")
    }

    /// The rule behind the similar areas, in words.
    pub fn similar_rule(&self) -> String {
        let Some(s) = &self.data.similar else {
            return String::new();
        };
        let vars: Vec<String> = s
            .rule
            .variables
            .iter()
            .zip(&s.periods)
            .map(|(v, (_, at))| {
                let l = self.indicator_label(v.indicator.as_str());
                let log = if v.log { ", log" } else { "" };
                match at {
                    Some(p) => format!("{l} ({p}{log})"),
                    None => format!(
                        "{l} ({}{log})",
                        self.t("nooit op dit niveau", "never at this level")
                    ),
                }
            })
            .collect();
        format!(
            "{} {} {} {}: {} — {} {}.",
            s.rule.k,
            self.t("dichtstbijzijnde", "nearest"),
            level_label(self.lang, self.data.code.level()),
            self.t("op gestandaardiseerde", "on standardised"),
            vars.join("; "),
            s.compared,
            self.t("vergeleken", "compared"),
        )
    }

    fn indicator_label(&self, id: &str) -> String {
        self.catalogue
            .indicators
            .iter()
            .find(|i| i.indicator.id.as_str() == id)
            .map_or(id.to_string(), |i| {
                self.t(&i.indicator.label_nl, &i.indicator.label_en)
                    .to_string()
            })
    }

    /// The heading of the key figures' parent column (the area the region lies in), or `None`
    /// when the parent has no value for any key figure: a column of dashes would only look
    /// like data (no source here publishes provinces, so a gemeente's picture has none).
    pub fn parent_column(rows: &[KeyRow]) -> Option<String> {
        if rows.iter().any(|r| r.has_parent) {
            rows.iter().find_map(|r| r.parent_name.clone())
        } else {
            None
        }
    }

    /// Whether the key figures get a column for the similar areas' range: not when no key
    /// figure has one (wijken and buurten have no similar areas here; the section says why).
    pub fn similar_column(rows: &[KeyRow]) -> bool {
        rows.iter().any(|r| r.has_similar)
    }

    /// What is missing, named: key figures without a value, the parent without figures,
    /// characteristics without data, the birth slots with who would fill them, a stale or
    /// absent risk run.
    pub fn gaps(&self) -> Vec<String> {
        let mut out = Vec::new();
        let rows = self.key_rows();
        for k in rows.iter().filter(|k| !k.has_value) {
            out.push(format!("{}: {}", k.label, k.value.to_lowercase()));
        }
        if Self::parent_column(&rows).is_none() {
            if let Some(parent) = rows.iter().find_map(|r| r.parent_name.clone()) {
                out.push(format!(
                    "{parent}: {}",
                    self.t(
                        "geen cijfers voor deze kerncijfers in de geladen bronnen, dus geen kolom",
                        "no figures for these key figures in the loaded sources, so no column"
                    )
                ));
            }
        }
        match &self.data.risk {
            None => out.push(
                self.t(
                    "Stapeling en thema's: geen berekende risicoresultaten voor dit niveau en jaar",
                    "Stacking and themes: no computed risk results for this level and year",
                )
                .to_string(),
            ),
            Some(r) => {
                let missing: Vec<String> = r
                    .factors
                    .iter()
                    .filter(|f| f.kind == FactorKind::Risk && (f.gap || f.score.is_none()))
                    .map(|f| self.factor_label(&f.id))
                    .collect();
                if !missing.is_empty() {
                    out.push(format!(
                        "{} {}",
                        self.t(
                            "Risicokenmerken zonder gegevens:",
                            "Risk characteristics without data:"
                        ),
                        missing.join(", ")
                    ));
                }
                if r.run.stale {
                    out.push(
                        self.t(
                            "Risicoresultaten verouderd: voer kwm compute uit",
                            "Risk results out of date: run kwm compute",
                        )
                        .to_string(),
                    );
                }
            }
        }
        for s in self.data.slots.iter().filter(|s| !s.loaded) {
            out.push(format!(
                "{}: {} — {} {}",
                self.t(s.label_nl, s.label_en),
                self.t("niet geladen", "not loaded"),
                self.t("bron:", "source:"),
                s.source
            ));
        }
        out
    }

    /// The sources of the key figures and of the risk model's indicators, with licence.
    pub fn sources(&self) -> Vec<String> {
        // Source ids: the catalogue's for its indicators, else the id's prefix (`kwb_…`).
        let source_of = |id: &str| -> String {
            self.catalogue
                .indicators
                .iter()
                .find(|i| i.indicator.id.as_str() == id)
                .map_or_else(
                    || id.split('_').next().unwrap_or(id).to_string(),
                    |i| i.source_id.clone(),
                )
        };
        let mut ids: Vec<String> = self
            .data
            .key_figures
            .iter()
            .filter(|k| k.row.as_ref().is_some_and(|r| r.value.is_some()))
            .map(|k| source_of(&k.id))
            .collect();
        if let Some(r) = &self.data.risk {
            for f in &r.factors {
                for t in f.terms.iter().filter(|t| t.value.is_some()) {
                    ids.push(source_of(&t.indicator));
                }
            }
        }
        let mut out: Vec<String> = Vec::new();
        for id in ids {
            let text = match self.catalogue.source(&id) {
                Some(s) => format!(
                    "{} ({}, {})",
                    self.t(&s.title_nl, &s.title_en),
                    s.publisher,
                    s.licence
                ),
                None => id.clone(),
            };
            if !out.contains(&text) {
                out.push(text);
            }
        }
        out
    }

    /// When and with what the risk results were computed.
    pub fn run_text(&self) -> Option<String> {
        let r = self.data.risk.as_ref()?;
        Some(format!(
            "{} {} {} {}",
            self.t("risicoresultaten berekend op", "risk results computed on"),
            r.run
                .record
                .computed_at
                .get(..10)
                .unwrap_or(&r.run.record.computed_at),
            self.t("met catalogus", "with catalogue"),
            r.run.record.catalogue_version
        ))
    }

    /// The locator map's caption.
    pub fn locator_caption(&self) -> String {
        let l = &self.data.locator;
        if l.map_layout.is_none() {
            return self
                .t(
                    "Geen grenzen geladen voor dit niveau.",
                    "No boundaries loaded for this level.",
                )
                .to_string();
        }
        if !l.drawn {
            return format!(
                "{} {}",
                self.t(
                    "Deze regio heeft geen grens in de kaartindeling",
                    "This region has no boundary in map layout"
                ),
                l.map_layout.unwrap_or_default()
            );
        }
        let shown = if l.stand_in {
            let wijk = self
                .data
                .parents
                .iter()
                .find(|p| p.code.level() == Level::Wijk)
                .map_or_else(String::new, |p| {
                    p.name.clone().unwrap_or_else(|| p.code.to_string())
                });
            format!(
                "{} {wijk} {}",
                self.t("Wijk", "District"),
                self.t(
                    "(donker; geen buurtgrenzen geladen)",
                    "(dark; no neighbourhood boundaries loaded)"
                )
            )
        } else {
            format!("{} {}", self.data.name, self.t("(donker)", "(dark)"))
        };
        match &l.context_area {
            Some(a) => format!(
                "{shown} {} {}",
                self.t("in", "in"),
                a.name.clone().unwrap_or_else(|| a.code.to_string())
            ),
            None => shown,
        }
    }
}

/// Today's date (UTC) as `YYYY-MM-DD`, for "made on".
pub fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The rings of a region's outline in map units, read back from [`MapShapes`] path data
/// (`M x y l dx dy … z`, integers).
pub fn rings_of(d: &str) -> Vec<Vec<(f64, f64)>> {
    let mut rings = Vec::new();
    for part in d.split('M').filter(|p| !p.is_empty()) {
        let body = part.trim_end_matches('z');
        let (start, rel) = body.split_once('l').unwrap_or((body, ""));
        let nums = |s: &str| -> Vec<f64> {
            // Numbers are separated by spaces or by the sign of the next one.
            let mut out = Vec::new();
            let mut cur = String::new();
            for ch in s.chars() {
                if ch == ' ' || (ch == '-' && !cur.is_empty()) {
                    if !cur.is_empty() {
                        out.push(cur.parse().unwrap_or(0.0));
                    }
                    cur.clear();
                    if ch == '-' {
                        cur.push(ch);
                    }
                } else {
                    cur.push(ch);
                }
            }
            if !cur.is_empty() {
                out.push(cur.parse().unwrap_or(0.0));
            }
            out
        };
        let s = nums(start);
        if s.len() < 2 {
            continue;
        }
        let (mut x, mut y) = (s[0], s[1]);
        let mut ring = vec![(x, y)];
        for pair in nums(rel).chunks(2) {
            if let [dx, dy] = pair {
                x += dx;
                y += dy;
                ring.push((x, y));
            }
        }
        rings.push(ring);
    }
    rings
}

const INK: Rgb = Rgb(0x1a, 0x1a, 0x1a);
const MUTED: Rgb = Rgb(0x55, 0x55, 0x55);
const ACCENT: Rgb = Rgb(0x15, 0x42, 0x73);
const LIGHT: Rgb = Rgb(0xe6, 0xec, 0xf2);
const WARM: Rgb = Rgb(0xb3, 0x4a, 0x00);
const LINE: Rgb = Rgb(0xc8, 0xc8, 0xc8);

/// The regiobeeld laid out on one A4 page. `address` is printed as the page's address;
/// `made_on` as the date it was made.
pub fn scene(view: &View<'_>, shapes: Option<&MapShapes>, address: &str, made_on: &str) -> Scene {
    let lang = view.lang;
    let mut s = Scene::a4(&view.title(), lang.code());
    let (left, right) = (36.0, A4_RIGHT);
    let width = right - left;
    // Header.
    s.rect(0.0, 0.0, s.width, 6.0, ACCENT);
    s.text(
        left,
        42.0,
        20.0,
        true,
        INK,
        Anchor::Start,
        fit(&view.title(), 20.0, true, width),
    );
    s.text(
        left,
        58.0,
        9.0,
        false,
        MUTED,
        Anchor::Start,
        fit(&view.subtitle(), 9.0, false, width),
    );

    // Locator map, top left.
    let (mx, my, mw, mh) = (left, 70.0, 170.0, 160.0);
    s.items.push(crate::picture::Item::Rect {
        x: mx,
        y: my,
        w: mw,
        h: mh,
        fill: None,
        stroke: Some(LINE),
    });
    if let Some(shapes) = shapes {
        draw_locator(
            &mut s,
            view,
            shapes,
            (mx + 4.0, my + 4.0, mw - 8.0, mh - 8.0),
        );
    }
    let mut cy = my + mh + 10.0;
    for line in wrap(&view.locator_caption(), 7.5, false, mw) {
        s.text(mx, cy, 7.5, false, MUTED, Anchor::Start, line);
        cy += 9.0;
    }

    // Stacking, top right.
    let rx = mx + mw + 16.0;
    let rw = right - rx;
    let mut y = 82.0;
    s.text(
        rx,
        y,
        11.0,
        true,
        ACCENT,
        Anchor::Start,
        view.stacking_title(),
    );
    y += 24.0;
    match view.stacking() {
        Some((big, rest)) => {
            s.text(rx, y, 22.0, true, INK, Anchor::Start, big.clone());
            let bw = text_width(&big, 22.0, true) + 8.0;
            let lines = wrap(&rest, 8.5, false, rw - bw);
            let mut ly = y - 12.0;
            for l in lines.iter().take(3) {
                s.text(rx + bw, ly, 8.5, false, INK, Anchor::Start, l.clone());
                ly += 10.0;
            }
            y = y.max(ly) + 6.0;
            for f in view.flagged().iter().take(6) {
                s.text(
                    rx,
                    y,
                    8.5,
                    false,
                    INK,
                    Anchor::Start,
                    fit(&format!("• {f}"), 8.5, false, rw),
                );
                y += 10.5;
            }
            if let Some(rank) = view.rank() {
                y += 3.0;
                for l in wrap(&rank, 8.5, false, rw).iter().take(3) {
                    s.text(rx, y, 8.5, false, INK, Anchor::Start, l.clone());
                    y += 10.5;
                }
            }
        }
        None => {
            s.text(
                rx,
                y,
                8.5,
                false,
                MUTED,
                Anchor::Start,
                view.t(
                    "Geen berekende risicoresultaten voor dit niveau.",
                    "No computed risk results for this level.",
                ),
            );
            y += 12.0;
        }
    }

    // Themes under the stacking, right column.
    let themes = view.themes();
    if !themes.is_empty() {
        y += 6.0;
        s.text(
            rx,
            y,
            11.0,
            true,
            ACCENT,
            Anchor::Start,
            view.t(
                "Blootstelling per thema (0–100)",
                "Exposure per theme (0–100)",
            ),
        );
        y += 6.0;
        let (lw, bw) = (120.0, rw - 120.0 - 70.0);
        for t in &themes {
            y += 12.0;
            s.text(
                rx,
                y,
                8.0,
                false,
                INK,
                Anchor::Start,
                fit(&t.label, 8.0, false, lw - 4.0),
            );
            if let Some(e) = t.exposure {
                s.rect(rx + lw, y - 7.0, bw, 8.0, LIGHT);
                s.rect(
                    rx + lw,
                    y - 7.0,
                    bw * e.clamp(0.0, 100.0) / 100.0,
                    8.0,
                    WARM,
                );
            }
            s.text(
                rx + lw + bw + 30.0,
                y,
                8.0,
                false,
                INK,
                Anchor::End,
                t.exposure_text.clone(),
            );
            s.text(right, y, 7.0, false, MUTED, Anchor::End, t.rank.clone());
        }
    }
    let mut y = y.max(cy) + 20.0;

    // Key figures table.
    s.text(
        left,
        y,
        11.0,
        true,
        ACCENT,
        Anchor::Start,
        view.t("Kerncijfers", "Key figures"),
    );
    y += 14.0;
    let rows = view.key_rows();
    let parent_name = View::parent_column(&rows);
    // Columns: label 160, value 58, NL 58, parent 58, similar 86, series the rest (~100);
    // without a parent column the similar areas move left and the series widen.
    let similar_column = View::similar_column(&rows);
    let parent_end = if parent_name.is_some() { 334.0 } else { 276.0 };
    let similar_end = if similar_column {
        parent_end + 86.0
    } else {
        parent_end
    };
    let cols = [
        left + 218.0,
        left + 276.0,
        left + parent_end,
        left + similar_end,
    ];
    let head = [
        view.data.name.clone(),
        view.t("Nederland", "Netherlands").to_string(),
        parent_name.clone().unwrap_or_default(),
        if similar_column {
            view.t("vergelijkbaar", "similar").to_string()
        } else {
            String::new()
        },
    ];
    s.text(
        left,
        y,
        7.0,
        true,
        MUTED,
        Anchor::Start,
        view.t("Indicator (populatie)", "Indicator (population)"),
    );
    for (x, h) in cols.iter().zip(&head) {
        s.text(
            *x,
            y,
            7.0,
            true,
            MUTED,
            Anchor::End,
            fit(h, 7.0, true, 56.0),
        );
    }
    s.text(
        right,
        y,
        7.0,
        true,
        MUTED,
        Anchor::End,
        view.t("reeks", "series"),
    );
    y += 4.0;
    s.rect(left, y, width, 0.6, LINE);
    for r in &rows {
        y += 11.0;
        s.text(
            left,
            y,
            8.0,
            false,
            INK,
            Anchor::Start,
            fit(&r.label, 8.0, false, 160.0),
        );
        if r.has_value {
            s.text(cols[0], y, 8.5, true, INK, Anchor::End, r.value.clone());
        } else {
            s.text(
                cols[0],
                y,
                7.0,
                false,
                WARM,
                Anchor::End,
                fit(view.t("geen cijfer", "no figure"), 7.0, false, 60.0),
            );
        }
        s.text(cols[1], y, 8.0, false, INK, Anchor::End, r.national.clone());
        if parent_name.is_some() {
            s.text(cols[2], y, 8.0, false, INK, Anchor::End, r.parent.clone());
        }
        if similar_column {
            s.text(
                cols[3],
                y,
                8.0,
                false,
                INK,
                Anchor::End,
                fit(&r.similar, 8.0, false, 84.0),
            );
        }
        sparkline(
            &mut s,
            &r.series,
            (cols[3] + 10.0, y - 9.0, right - cols[3] - 10.0, 10.0),
        );
        y += 9.0;
        let pop = r.population.clone().unwrap_or_else(|| {
            view.t("populatie onbekend", "population unknown")
                .to_string()
        });
        s.text(
            left + 6.0,
            y,
            6.5,
            false,
            MUTED,
            Anchor::Start,
            fit(&pop, 6.5, false, 150.0),
        );
        s.text(
            right,
            y,
            6.5,
            false,
            MUTED,
            Anchor::End,
            fit(&r.series_text, 6.5, false, right - cols[3] - 10.0),
        );
        y += 3.0;
        s.rect(left, y, width, 0.3, LINE);
    }
    y += 18.0;

    // Similar areas.
    s.text(
        left,
        y,
        11.0,
        true,
        ACCENT,
        Anchor::Start,
        view.t("Vergelijkbare gebieden", "Similar areas"),
    );
    y += 12.0;
    for l in wrap(&view.similar(), 8.0, false, width).iter().take(3) {
        s.text(left, y, 8.0, false, INK, Anchor::Start, l.clone());
        y += 10.0;
    }
    for l in wrap(&view.similar_rule(), 7.0, false, width).iter().take(2) {
        s.text(left, y, 7.0, false, MUTED, Anchor::Start, l.clone());
        y += 9.0;
    }
    y += 10.0;

    // Gaps.
    s.text(
        left,
        y,
        11.0,
        true,
        ACCENT,
        Anchor::Start,
        view.t("Wat ontbreekt", "What is missing"),
    );
    y += 12.0;
    for g in view.gaps() {
        for (i, l) in wrap(&format!("• {g}"), 7.5, false, width)
            .iter()
            .take(2)
            .enumerate()
        {
            s.text(
                left + if i == 0 { 0.0 } else { 6.0 },
                y,
                7.5,
                false,
                INK,
                Anchor::Start,
                l.clone(),
            );
            y += 9.5;
        }
        if y > A4_HEIGHT_LIMIT - 70.0 {
            break;
        }
    }

    // Footer: sources, date, address.
    let mut fy = A4_HEIGHT_LIMIT - 44.0;
    s.rect(left, fy - 10.0, width, 0.6, LINE);
    let sources = format!(
        "{} {}",
        view.t("Bronnen:", "Sources:"),
        view.sources().join("; ")
    );
    for l in wrap(&sources, 6.5, false, width).iter().take(3) {
        s.text(left, fy, 6.5, false, MUTED, Anchor::Start, l.clone());
        fy += 8.0;
    }
    let mut made = format!("{} {made_on}", view.t("Gemaakt op", "Made on"));
    if let Some(run) = view.run_text() {
        made.push_str(&format!(" · {run}"));
    }
    made.push_str(&format!(
        " · {}",
        view.t(
            "cijfers over gebieden, nooit over personen",
            "figures about areas, never about persons"
        )
    ));
    s.text(
        left,
        fy,
        6.5,
        false,
        MUTED,
        Anchor::Start,
        fit(&made, 6.5, false, width),
    );
    fy += 8.0;
    s.text(
        left,
        fy,
        6.5,
        false,
        ACCENT,
        Anchor::Start,
        fit(address, 6.5, false, width),
    );
    s
}

const A4_RIGHT: f64 = crate::picture::A4_WIDTH - 36.0;
const A4_HEIGHT_LIMIT: f64 = crate::picture::A4_HEIGHT - 20.0;

fn sparkline(s: &mut Scene, series: &[(i32, f64)], (x, y, w, h): (f64, f64, f64, f64)) {
    if series.len() < 2 {
        return;
    }
    let (p0, p1) = (series[0].0 as f64, series[series.len() - 1].0 as f64);
    let lo = series.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let hi = series.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let points: Vec<(f64, f64)> = series
        .iter()
        .map(|(p, v)| {
            (
                x + if p1 > p0 {
                    (*p as f64 - p0) / (p1 - p0) * w
                } else {
                    0.0
                },
                y + h - (v - lo) / span * h,
            )
        })
        .collect();
    if let Some(&(lx, ly)) = points.last() {
        s.rect(lx - 1.5, ly - 1.5, 3.0, 3.0, ACCENT);
    }
    s.items.push(crate::picture::Item::Line {
        points,
        stroke: ACCENT,
        width: 1.0,
    });
}

/// Closed rings of points, one region's outline.
type Rings = Vec<Vec<(f64, f64)>>;

/// The locator map alone, as a drawing of `w` × `h` points (for the HTML page and the map's
/// SVG download).
pub fn locator_scene(view: &View<'_>, shapes: &MapShapes, w: f64, h: f64) -> Scene {
    let mut s = Scene {
        width: w,
        height: h,
        title: format!(
            "{}: {}",
            view.t("Ligging", "Location"),
            view.locator_caption()
        ),
        lang: view.lang.code().to_string(),
        items: Vec::new(),
    };
    draw_locator(&mut s, view, shapes, (2.0, 2.0, w - 4.0, h - 4.0));
    s
}

/// The context regions and the region itself, fitted into the box.
fn draw_locator(
    s: &mut Scene,
    view: &View<'_>,
    shapes: &MapShapes,
    (x, y, w, h): (f64, f64, f64, f64),
) {
    let loc = &view.data.locator;
    let drawn: Vec<(&RegionCode, Rings)> = shapes
        .paths
        .iter()
        .filter(|(c, _)| loc.context.contains(c))
        .map(|(c, d)| (c, rings_of(d)))
        .collect();
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for (_, rings) in &drawn {
        for &(px, py) in rings.iter().flatten() {
            x0 = x0.min(px);
            x1 = x1.max(px);
            y0 = y0.min(py);
            y1 = y1.max(py);
        }
    }
    if drawn.is_empty() || x1 <= x0 || y1 <= y0 {
        return;
    }
    let scale = (w / (x1 - x0)).min(h / (y1 - y0));
    let (ox, oy) = (
        x + (w - (x1 - x0) * scale) / 2.0,
        y + (h - (y1 - y0) * scale) / 2.0,
    );
    let to = |rings: &[Vec<(f64, f64)>]| -> Vec<Vec<(f64, f64)>> {
        rings
            .iter()
            .map(|r| {
                r.iter()
                    .map(|(px, py)| (ox + (px - x0) * scale, oy + (py - y0) * scale))
                    .collect()
            })
            .collect()
    };
    let highlighted = loc.highlighted.as_ref().unwrap_or(&view.data.code);
    // The region last, so its outline lies on top.
    for (_, rings) in drawn.iter().filter(|(c, _)| *c != highlighted) {
        s.items.push(crate::picture::Item::Shape {
            rings: to(rings),
            fill: Some(LIGHT),
            stroke: Some(Rgb(0xff, 0xff, 0xff)),
            width: 0.4,
        });
    }
    for (_, rings) in drawn.iter().filter(|(c, _)| *c == highlighted) {
        s.items.push(crate::picture::Item::Shape {
            rings: to(rings),
            fill: Some(ACCENT),
            stroke: Some(INK),
            width: 0.6,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_paths_read_back_as_absolute_rings() {
        assert_eq!(
            rings_of("M0 0l10 0 0 10zM5 5l-1-2 3 4z"),
            vec![
                vec![(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)],
                vec![(5.0, 5.0), (4.0, 3.0), (7.0, 7.0)]
            ]
        );
    }
}
