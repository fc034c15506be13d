//! A small vector scene — text, rectangles, shapes and lines on an A4 page in points — written
//! once and rendered two ways by the server itself (no browser): as a self-contained SVG and as
//! a PDF. The regiobeeld draws into it.
//!
//! Why not convert SVG to PDF (svg2pdf, krilla) or typeset (typst): those bring a font stack
//! and tens of crates; this scene only needs what a one-page picture uses. The PDF uses the
//! standard Helvetica font (one of the 14 fonts every PDF reader has, WinAnsi encoding), so
//! nothing is embedded and text stays text (searchable, `pdftotext` reads it). Widths come
//! from Helvetica's published metrics, so the SVG (which names Helvetica/Arial, same metrics)
//! and the PDF break lines at the same places.

use std::fmt::Write;

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// A4 width in points.
pub const A4_WIDTH: f64 = 595.28;
/// A4 height in points.
pub const A4_HEIGHT: f64 = 841.89;

/// An RGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    fn floats(self) -> (f32, f32, f32) {
        (
            f32::from(self.0) / 255.0,
            f32::from(self.1) / 255.0,
            f32::from(self.2) / 255.0,
        )
    }
}

/// Where a text's x lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// x is the left end.
    Start,
    /// x is the middle.
    Middle,
    /// x is the right end (numbers in columns).
    End,
}

/// One thing drawn. Coordinates are points from the top left.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// One line of text; `y` is the baseline.
    Text {
        /// x.
        x: f64,
        /// Baseline.
        y: f64,
        /// Font size.
        size: f64,
        /// Bold face.
        bold: bool,
        /// Colour.
        color: Rgb,
        /// Alignment.
        anchor: Anchor,
        /// The text.
        text: String,
    },
    /// A rectangle.
    Rect {
        /// Left.
        x: f64,
        /// Top.
        y: f64,
        /// Width.
        w: f64,
        /// Height.
        h: f64,
        /// Fill.
        fill: Option<Rgb>,
        /// Outline.
        stroke: Option<Rgb>,
    },
    /// Closed rings (holes included, non-zero fill), e.g. a region's outline.
    Shape {
        /// Rings of points.
        rings: Vec<Vec<(f64, f64)>>,
        /// Fill.
        fill: Option<Rgb>,
        /// Outline.
        stroke: Option<Rgb>,
        /// Outline width.
        width: f64,
    },
    /// An open polyline (a sparkline).
    Line {
        /// Points.
        points: Vec<(f64, f64)>,
        /// Colour.
        stroke: Rgb,
        /// Width.
        width: f64,
    },
}

/// A page of items.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    /// Width in points.
    pub width: f64,
    /// Height in points.
    pub height: f64,
    /// Title (SVG `<title>`, PDF document title).
    pub title: String,
    /// Language (`nl`, `en`).
    pub lang: String,
    /// Items, painted in order.
    pub items: Vec<Item>,
}

/// Helvetica's advance widths (1/1000 em) for ASCII 32–126, from Adobe's AFM.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];
/// Helvetica-Bold's advance widths for ASCII 32–126.
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667,
    611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556,
    278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

/// The width of a text in points (letters outside ASCII count as their base letter's width or
/// an average one).
pub fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let table = if bold { &HELVETICA_BOLD } else { &HELVETICA };
    let units: u32 = text
        .chars()
        .map(|c| {
            let c = fold(c);
            if (' '..='~').contains(&c) {
                u32::from(table[c as usize - 32])
            } else {
                556
            }
        })
        .sum();
    f64::from(units) * size / 1000.0
}

/// The base letter of an accented one, for widths.
fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ä' | 'ã' => 'a',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ò' | 'ó' | 'ô' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'É' | 'È' | 'Ë' => 'E',
        'Ö' => 'O',
        'ç' => 'c',
        'ñ' => 'n',
        '–' | '−' => '-',
        '’' | '‘' => '\'',
        '·' => '.',
        _ => c,
    }
}

/// The text cut to fit `width`, with "…" when cut.
pub fn fit(text: &str, size: f64, bold: bool, width: f64) -> String {
    if text_width(text, size, bold) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        let mut next = out.clone();
        next.push(c);
        if text_width(&format!("{next}…"), size, bold) > width {
            break;
        }
        out = next;
    }
    format!("{}…", out.trim_end())
}

/// Breaks a text into lines of at most `width` points, at spaces; a word longer than a line
/// is cut with [`fit`].
pub fn wrap(text: &str, size: f64, bold: bool, width: f64) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if text_width(&candidate, size, bold) <= width || line.is_empty() {
            line = candidate;
        } else {
            lines.push(std::mem::take(&mut line));
            line = word.to_string();
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
        .into_iter()
        .map(|l| fit(&l, size, bold, width))
        .collect()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn n(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

impl Scene {
    /// An empty A4 portrait page.
    pub fn a4(title: &str, lang: &str) -> Scene {
        Scene {
            width: A4_WIDTH,
            height: A4_HEIGHT,
            title: title.to_string(),
            lang: lang.to_string(),
            items: Vec::new(),
        }
    }

    /// Adds a line of text.
    #[allow(clippy::too_many_arguments)]
    pub fn text(
        &mut self,
        x: f64,
        y: f64,
        size: f64,
        bold: bool,
        color: Rgb,
        anchor: Anchor,
        text: impl Into<String>,
    ) {
        self.items.push(Item::Text {
            x,
            y,
            size,
            bold,
            color,
            anchor,
            text: text.into(),
        });
    }

    /// Adds a filled rectangle.
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: Rgb) {
        self.items.push(Item::Rect {
            x,
            y,
            w,
            h,
            fill: Some(fill),
            stroke: None,
        });
    }

    /// The scene as a standalone SVG document (A4 size, fonts named, no external references).
    pub fn to_svg(&self) -> String {
        self.to_svg_with_id("t")
    }

    /// [`Scene::to_svg`] with the title's element id chosen, so several drawings can sit inline
    /// in one HTML page.
    pub fn to_svg_with_id(&self, id: &str) -> String {
        let mut s = String::new();
        let _ = write!(
            s,
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}pt" height="{h}pt" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}" xml:lang="{lang}" font-family="Helvetica, Arial, 'Liberation Sans', sans-serif"><title id="{id}">{title}</title><rect width="100%" height="100%" fill="#ffffff"/>"##,
            w = n(self.width),
            h = n(self.height),
            lang = escape(&self.lang),
            title = escape(&self.title),
            id = escape(id)
        );
        for item in &self.items {
            match item {
                Item::Text {
                    x,
                    y,
                    size,
                    bold,
                    color,
                    anchor,
                    text,
                } => {
                    let a = match anchor {
                        Anchor::Start => "",
                        Anchor::Middle => r#" text-anchor="middle""#,
                        Anchor::End => r#" text-anchor="end""#,
                    };
                    let b = if *bold { r#" font-weight="bold""# } else { "" };
                    let _ = write!(
                        s,
                        r#"<text x="{}" y="{}" font-size="{}" fill="{}"{a}{b}>{}</text>"#,
                        n(*x),
                        n(*y),
                        n(*size),
                        color.hex(),
                        escape(text)
                    );
                }
                Item::Rect {
                    x,
                    y,
                    w,
                    h,
                    fill,
                    stroke,
                } => {
                    let _ = write!(
                        s,
                        r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"{}/>"#,
                        n(*x),
                        n(*y),
                        n(*w),
                        n(*h),
                        fill.map_or("none".to_string(), Rgb::hex),
                        stroke.map_or(String::new(), |c| format!(
                            r#" stroke="{}" stroke-width="0.5""#,
                            c.hex()
                        ))
                    );
                }
                Item::Shape {
                    rings,
                    fill,
                    stroke,
                    width,
                } => {
                    let mut d = String::new();
                    for ring in rings {
                        for (i, (x, y)) in ring.iter().enumerate() {
                            d.push(if i == 0 { 'M' } else { 'L' });
                            let _ = write!(d, "{} {}", n(*x), n(*y));
                        }
                        d.push('Z');
                    }
                    let _ = write!(
                        s,
                        r#"<path d="{d}" fill="{}" stroke="{}" stroke-width="{}" stroke-linejoin="round"/>"#,
                        fill.map_or("none".to_string(), Rgb::hex),
                        stroke.map_or("none".to_string(), Rgb::hex),
                        n(*width)
                    );
                }
                Item::Line {
                    points,
                    stroke,
                    width,
                } => {
                    let pts: Vec<String> = points
                        .iter()
                        .map(|(x, y)| format!("{},{}", n(*x), n(*y)))
                        .collect();
                    let _ = write!(
                        s,
                        r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="{}" stroke-linejoin="round"/>"#,
                        pts.join(" "),
                        stroke.hex(),
                        n(*width)
                    );
                }
            }
        }
        s.push_str("</svg>\n");
        s
    }

    /// The scene as a one-page PDF with the standard Helvetica fonts (nothing embedded).
    pub fn to_pdf(&self) -> Vec<u8> {
        let (catalog, tree, page, regular, bold, contents, info) = (
            Ref::new(1),
            Ref::new(2),
            Ref::new(3),
            Ref::new(4),
            Ref::new(5),
            Ref::new(6),
            Ref::new(7),
        );
        let mut pdf = Pdf::new();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree).kids([page]).count(1);
        {
            let mut p = pdf.page(page);
            p.media_box(Rect::new(0.0, 0.0, self.width as f32, self.height as f32));
            p.parent(tree);
            p.contents(contents);
            let mut resources = p.resources();
            let mut fonts = resources.fonts();
            fonts.pair(Name(b"F1"), regular);
            fonts.pair(Name(b"F2"), bold);
            fonts.finish();
            resources.finish();
            p.finish();
        }
        pdf.type1_font(regular)
            .base_font(Name(b"Helvetica"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold)
            .base_font(Name(b"Helvetica-Bold"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        let h = self.height;
        let mut c = Content::new();
        for item in &self.items {
            match item {
                Item::Text {
                    x,
                    y,
                    size,
                    bold,
                    color,
                    anchor,
                    text,
                } => {
                    let w = text_width(text, *size, *bold);
                    let left = match anchor {
                        Anchor::Start => *x,
                        Anchor::Middle => x - w / 2.0,
                        Anchor::End => x - w,
                    };
                    let (r, g, b) = color.floats();
                    c.set_fill_rgb(r, g, b);
                    c.begin_text();
                    c.set_font(Name(if *bold { b"F2" } else { b"F1" }), *size as f32);
                    c.set_text_matrix([1.0, 0.0, 0.0, 1.0, left as f32, (h - y) as f32]);
                    c.show(Str(&win_ansi(text)));
                    c.end_text();
                }
                Item::Rect {
                    x,
                    y,
                    w,
                    h: rh,
                    fill,
                    stroke,
                } => {
                    c.rect(*x as f32, (h - y - rh) as f32, *w as f32, *rh as f32);
                    paint(&mut c, *fill, *stroke, 0.5);
                }
                Item::Shape {
                    rings,
                    fill,
                    stroke,
                    width,
                } => {
                    for ring in rings {
                        for (i, (x, y)) in ring.iter().enumerate() {
                            if i == 0 {
                                c.move_to(*x as f32, (h - y) as f32);
                            } else {
                                c.line_to(*x as f32, (h - y) as f32);
                            }
                        }
                        c.close_path();
                    }
                    paint(&mut c, *fill, *stroke, *width);
                }
                Item::Line {
                    points,
                    stroke,
                    width,
                } => {
                    for (i, (x, y)) in points.iter().enumerate() {
                        if i == 0 {
                            c.move_to(*x as f32, (h - y) as f32);
                        } else {
                            c.line_to(*x as f32, (h - y) as f32);
                        }
                    }
                    let (r, g, b) = stroke.floats();
                    c.set_stroke_rgb(r, g, b);
                    c.set_line_width(*width as f32);
                    c.stroke();
                }
            }
        }
        pdf.stream(contents, &c.finish());
        pdf.document_info(info)
            .title(TextStr(&self.title))
            .creator(TextStr("Kwetsbaarheidsmonitor"));
        pdf.finish()
    }
}

fn paint(c: &mut Content, fill: Option<Rgb>, stroke: Option<Rgb>, width: f64) {
    if let Some(f) = fill {
        let (r, g, b) = f.floats();
        c.set_fill_rgb(r, g, b);
    }
    if let Some(s) = stroke {
        let (r, g, b) = s.floats();
        c.set_stroke_rgb(r, g, b);
        c.set_line_width(width as f32);
    }
    match (fill, stroke) {
        (Some(_), Some(_)) => c.fill_nonzero_and_stroke(),
        (Some(_), None) => c.fill_nonzero(),
        (None, Some(_)) => c.stroke(),
        (None, None) => c.end_path(),
    };
}

/// Text in the PDF's WinAnsi encoding (Windows-1252): Latin-1 as is, the typographic marks
/// Windows-1252 adds, and a plain stand-in for the rest (− as -, ≥ as >=).
fn win_ansi(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match c {
            ' '..='~' => out.push(c as u8),
            '\u{a0}'..='\u{ff}' => out.push(c as u32 as u8),
            '€' => out.push(0x80),
            '…' => out.push(0x85),
            '‘' => out.push(0x91),
            '’' => out.push(0x92),
            '“' => out.push(0x93),
            '”' => out.push(0x94),
            '•' => out.push(0x95),
            '–' => out.push(0x96),
            '—' => out.push(0x97),
            '−' => out.push(b'-'),
            '≥' => out.extend_from_slice(b">="),
            '→' => out.extend_from_slice(b"->"),
            '≤' => out.extend_from_slice(b"<="),
            _ => out.push(b'?'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_helvetica_and_lines_wrap_at_spaces() {
        // Digits are 556/1000 em: "100" at 10 pt is 16.68 pt wide.
        assert!((text_width("100", 10.0, false) - 16.68).abs() < 1e-9);
        let lines = wrap("een twee drie vier vijf zes", 10.0, false, 45.0);
        assert!(lines.len() > 1);
        assert!(lines
            .iter()
            .all(|l| text_width(l, 10.0, false) <= 45.0 + 1e-9));
        assert_eq!(win_ansi("Súdwest−3 ≥ €"), b"S\xfadwest-3 >= \x80".to_vec());
    }

    #[test]
    fn one_scene_gives_an_svg_and_a_one_page_pdf_with_the_same_text() {
        let mut s = Scene::a4("Test & co", "nl");
        s.text(10.0, 20.0, 12.0, true, Rgb(0, 0, 0), Anchor::End, "651.157");
        let svg = s.to_svg();
        assert!(svg.contains("<title id=\"t\">Test &amp; co</title>"));
        assert!(svg.contains(">651.157</text>"));
        let pdf = s.to_pdf();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        assert_eq!(
            text.matches("/Type /Page\n").count()
                + text.matches("/Type /Page/").count()
                + text.matches("/Type /Page ").count(),
            1
        );
        assert!(text.contains("(651.157)"));
    }
}
