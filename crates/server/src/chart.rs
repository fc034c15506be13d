//! Charts as self-contained SVG files, for downloading: a horizontal bar chart of values on a
//! fixed scale (percentiles, exposure 0–100). The file carries its own title, whom the figures
//! describe and their source, so it can be used without the page it came from.

use std::fmt::Write;

/// One bar of a [`BarChart`].
pub struct Bar {
    /// What the bar is about.
    pub label: String,
    /// Its value on the chart's scale; `None` draws no bar and prints `text` as the reason.
    pub value: Option<f64>,
    /// The value as the page prints it, or why there is none.
    pub text: String,
}

/// A horizontal bar chart on a scale from 0 to `max`.
pub struct BarChart {
    /// Heading of the file.
    pub title: String,
    /// What the scale means (`percentiel, 100 = meest ongunstig`).
    pub axis: String,
    /// Lines under the chart: whom the figures describe, the source, the address.
    pub notes: Vec<String>,
    /// The bars, top to bottom.
    pub bars: Vec<Bar>,
    /// The end of the scale.
    pub max: f64,
}

/// A label with its population in brackets, unless the label already ends with it (the
/// catalogue's labels of split indicators do: "Eenzaam (18+)").
pub fn with_population(label: &str, population: &str) -> String {
    let bracketed = format!("({population})");
    if label.contains(&bracketed) {
        label.to_string()
    } else {
        format!("{label} {bracketed}")
    }
}

/// Escapes text for SVG content and attributes.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Shortens a label to `max` characters with an ellipsis; the full label stays in the bar's
/// `<title>`, which SVG viewers show on hover and screen readers read.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

/// Breaks a note into lines of at most `width` characters at spaces.
fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

impl BarChart {
    /// The chart as a standalone SVG document (fonts: the viewer's sans-serif).
    pub fn to_svg(&self) -> String {
        const W: f64 = 760.0;
        const LABEL_W: f64 = 330.0;
        const BAR_W: f64 = 300.0;
        const ROW: f64 = 22.0;
        const TOP: f64 = 64.0;
        let notes: Vec<String> = self.notes.iter().flat_map(|n| wrap(n, 118)).collect();
        let bars_h = self.bars.len() as f64 * ROW;
        let h = TOP + bars_h + 36.0 + notes.len() as f64 * 15.0 + 10.0;
        let mut s = String::new();
        let _ = write!(
            s,
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{h:.0}" viewBox="0 0 {W} {h:.0}" role="img" aria-labelledby="chart-title chart-desc" font-family="Helvetica, Arial, sans-serif" font-size="12" fill="#1a1a1a">"##
        );
        let _ = write!(
            s,
            r#"<title id="chart-title">{}</title><desc id="chart-desc">{}</desc>"#,
            esc(&self.title),
            esc(&format!("{}. {}", self.axis, self.notes.join(" ")))
        );
        let _ = write!(
            s,
            r##"<rect width="{W}" height="{h:.0}" fill="#ffffff"/><text x="12" y="24" font-size="16" font-weight="bold">{}</text><text x="12" y="44" fill="#555555">{}</text>"##,
            esc(&shorten(&self.title, 90)),
            esc(&self.axis)
        );
        let x0 = 12.0 + LABEL_W;
        // Grid at 0, 25, 50, 75, 100 % of the scale, so a bar's length can be read.
        for k in 0..=4 {
            let x = x0 + BAR_W * k as f64 / 4.0;
            let _ = write!(
                s,
                r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#cccccc"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#555555" font-size="10">{}</text>"##,
                TOP - 6.0,
                TOP + bars_h,
                TOP + bars_h + 14.0,
                self.max * k as f64 / 4.0
            );
        }
        for (i, b) in self.bars.iter().enumerate() {
            let y = TOP + i as f64 * ROW;
            let _ = write!(
                s,
                r#"<g><title>{}: {}</title><text x="12" y="{:.1}">{}</text>"#,
                esc(&b.label),
                esc(&b.text),
                y + 15.0,
                esc(&shorten(&b.label, 52))
            );
            match b.value {
                Some(v) => {
                    let len = (v / self.max).clamp(0.0, 1.0) * BAR_W;
                    let _ = write!(
                        s,
                        r##"<rect x="{x0:.1}" y="{:.1}" width="{len:.1}" height="14" fill="#b5532a"/><text x="{:.1}" y="{:.1}">{}</text>"##,
                        y + 4.0,
                        x0 + BAR_W + 8.0,
                        y + 15.0,
                        esc(&b.text)
                    );
                }
                None => {
                    let _ = write!(
                        s,
                        r##"<text x="{x0:.1}" y="{:.1}" fill="#555555" font-style="italic">{}</text>"##,
                        y + 15.0,
                        esc(&b.text)
                    );
                }
            }
            s.push_str("</g>");
        }
        for (i, n) in notes.iter().enumerate() {
            let _ = write!(
                s,
                r##"<text x="12" y="{:.1}" fill="#333333" font-size="11">{}</text>"##,
                TOP + bars_h + 36.0 + i as f64 * 15.0,
                esc(n)
            );
        }
        s.push_str("</svg>");
        s
    }
}

/// One panel of a [`SeriesChart`]: an indicator's values over the years.
pub struct Panel {
    /// The indicator and whom it describes.
    pub label: String,
    /// (year, value), oldest first.
    pub points: Vec<(i32, f64)>,
    /// The values as the page prints them ("2020: 12,3 · 2024: 13,1"), or why there are none.
    pub text: String,
}

/// Small multiples: one line chart per indicator, each on its own scale.
pub struct SeriesChart {
    /// Heading of the file.
    pub title: String,
    /// Lines under the panels: population, source, address.
    pub notes: Vec<String>,
    /// The panels, in reading order.
    pub panels: Vec<Panel>,
}

impl SeriesChart {
    /// The panels as a standalone SVG document, three to a row.
    pub fn to_svg(&self) -> String {
        const W: f64 = 760.0;
        const COLS: usize = 3;
        const PW: f64 = 240.0;
        const PH: f64 = 110.0;
        const TOP: f64 = 44.0;
        let rows = self.panels.len().div_ceil(COLS).max(1);
        let notes: Vec<String> = self.notes.iter().flat_map(|n| wrap(n, 118)).collect();
        let h = TOP + rows as f64 * PH + 16.0 + notes.len() as f64 * 15.0 + 10.0;
        let mut s = String::new();
        let _ = write!(
            s,
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{h:.0}" viewBox="0 0 {W} {h:.0}" role="img" aria-labelledby="chart-title chart-desc" font-family="Helvetica, Arial, sans-serif" font-size="11" fill="#1a1a1a">"##
        );
        let _ = write!(
            s,
            r##"<title id="chart-title">{}</title><desc id="chart-desc">{}</desc><rect width="{W}" height="{h:.0}" fill="#ffffff"/><text x="12" y="26" font-size="16" font-weight="bold">{}</text>"##,
            esc(&self.title),
            esc(&self.notes.join(" ")),
            esc(&shorten(&self.title, 90))
        );
        for (i, p) in self.panels.iter().enumerate() {
            let (px, py) = (
                12.0 + (i % COLS) as f64 * (PW + 8.0),
                TOP + (i / COLS) as f64 * PH,
            );
            let _ = write!(
                s,
                r##"<g><title>{}: {}</title><rect x="{px:.1}" y="{py:.1}" width="{PW}" height="{:.1}" fill="none" stroke="#dddddd"/><text x="{:.1}" y="{:.1}" font-weight="bold">{}</text>"##,
                esc(&p.label),
                esc(&p.text),
                PH - 8.0,
                px + 6.0,
                py + 15.0,
                esc(&shorten(&p.label, 40))
            );
            let (x0, x1, y0, y1) = (px + 10.0, px + PW - 10.0, py + 26.0, py + PH - 34.0);
            if p.points.len() >= 2 {
                let (a, b) = (p.points[0].0 as f64, p.points[p.points.len() - 1].0 as f64);
                let lo = p.points.iter().map(|x| x.1).fold(f64::INFINITY, f64::min);
                let hi = p
                    .points
                    .iter()
                    .map(|x| x.1)
                    .fold(f64::NEG_INFINITY, f64::max);
                let span = if hi > lo { hi - lo } else { 1.0 };
                let pts: Vec<String> = p
                    .points
                    .iter()
                    .map(|(t, v)| {
                        let x = if b > a {
                            x0 + (*t as f64 - a) / (b - a) * (x1 - x0)
                        } else {
                            x0
                        };
                        let y = y1 - (v - lo) / span * (y1 - y0);
                        format!("{x:.1},{y:.1}")
                    })
                    .collect();
                let _ = write!(
                    s,
                    r##"<polyline points="{}" fill="none" stroke="#b5532a" stroke-width="2"/>"##,
                    pts.join(" ")
                );
            }
            for (k, line) in wrap(&p.text, 40).iter().take(2).enumerate() {
                let _ = write!(
                    s,
                    r##"<text x="{:.1}" y="{:.1}" fill="#333333" font-size="10">{}</text>"##,
                    px + 6.0,
                    py + PH - 22.0 + k as f64 * 12.0,
                    esc(line)
                );
            }
            s.push_str("</g>");
        }
        for (i, n) in notes.iter().enumerate() {
            let _ = write!(
                s,
                r##"<text x="12" y="{:.1}" fill="#333333" font-size="11">{}</text>"##,
                TOP + rows as f64 * PH + 16.0 + i as f64 * 15.0,
                esc(n)
            );
        }
        s.push_str("</svg>");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_names_every_bar_and_escapes_text() {
        let chart = BarChart {
            title: "A & B".into(),
            axis: "0–100".into(),
            notes: vec!["Populatie: 18+".into(), "Bron: CBS".into()],
            bars: vec![
                Bar {
                    label: "een".into(),
                    value: Some(50.0),
                    text: "50".into(),
                },
                Bar {
                    label: "twee <x>".into(),
                    value: None,
                    text: "geen cijfer".into(),
                },
            ],
            max: 100.0,
        };
        let svg = chart.to_svg();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("A &amp; B"));
        assert!(svg.contains("twee &lt;x&gt;: geen cijfer"));
        assert!(svg.contains("Populatie: 18+"));
        assert_eq!(svg.matches("<rect").count(), 2, "background and one bar");
    }

    #[test]
    fn a_population_is_named_once() {
        assert_eq!(with_population("Eenzaam (18+)", "18+"), "Eenzaam (18+)");
        assert_eq!(with_population("Eenzaam", "18+"), "Eenzaam (18+)");
    }

    #[test]
    fn long_notes_wrap_at_spaces() {
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(shorten("abcdef", 4), "abc…");
    }
}
