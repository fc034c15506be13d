//! The region map every map page draws: an SVG of linked shapes, one per region, coloured by a
//! class the page chooses, with the hatch pattern for regions without a figure; and the note
//! under it when the map's boundary layout differs from the figures' or regions are off it.

use kwm_model::RegionCode;
use maud::{html, Markup, PreEscaped};

use super::page::PageCtx;

/// One region as the map draws it.
pub struct MapArea {
    /// CSS classes of the shape (`region` and its colour class, or `region nodata`).
    pub class: String,
    /// Where the shape links to.
    pub href: String,
    /// The region's name (tooltip and screen reader).
    pub name: String,
    /// The region's figure in words (tooltip and screen reader).
    pub text: String,
}

/// The map: `paths` drawn in `view_box`, named by the heading with id `title_id`; `area` says
/// how each region is drawn. Each shape is a link whose accessible name is "name: text", so the
/// map can be used by keyboard and screen reader (the table beside it has the same figures).
pub fn region_map<'a>(
    view_box: &str,
    title_id: &str,
    paths: impl IntoIterator<Item = &'a (RegionCode, String)>,
    area: impl Fn(&RegionCode) -> MapArea,
) -> Markup {
    html! {
        svg.map viewBox=(view_box) aria-labelledby=(title_id) focusable="false" {
            defs {
                pattern #nodata-hatch patternUnits="userSpaceOnUse" width="60" height="60" patternTransform="rotate(45)" {
                    rect width="60" height="60" fill="#f4f5f6" {}
                    line x1="0" y1="0" x2="0" y2="60" stroke="#8a96a8" stroke-width="18" {}
                }
            }
            @for (code, d) in paths {
                @let a = area(code);
                a class=(a.class) href=(a.href) aria-label=(format!("{}: {}", a.name, a.text)) data-name=(a.name) data-value=(a.text) {
                    path d=(PreEscaped(d)) {}
                }
            }
        }
    }
}

/// What the note under a map says of the table's regions it leaves off, on most map pages.
pub const OFF_MAP_REGIONS: (&str, &str) = (
    "regio's uit de tabel staan niet op de kaart (andere indeling).",
    "regions in the table are not on the map (different layout).",
);

/// The note under a map whose boundary layout differs from the figures' or that leaves regions
/// of the table off: "Kaart in de indeling van 2022. 10 regio's uit de tabel staan niet op de
/// kaart (andere indeling)." `between` goes before the first full stop (what the figures'
/// layout is); `off_map` is the number of regions left off, `regions` the words for them.
pub fn layout_note(
    ctx: &PageCtx,
    map_layout: Option<i32>,
    between: Markup,
    off_map: usize,
    regions: (&str, &str),
) -> Markup {
    html! {
        (ctx.t("Kaart in de indeling van ", "Map in the region layout of ")) (map_layout.map(|l| l.to_string()).unwrap_or_default())
        (between)
        ". "
        @if off_map > 0 {
            (off_map) " " (ctx.t(regions.0, regions.1))
        }
    }
}

/// The list of regions of the table that are not on the map, folded, each a link.
pub fn off_map_list<'a>(
    ctx: &PageCtx,
    regions: impl IntoIterator<Item = (&'a RegionCode, Option<&'a str>)>,
    count: usize,
    href: impl Fn(&RegionCode) -> String,
) -> Markup {
    html! {
        details.off-map {
            summary { (ctx.t("Welke regio's niet op de kaart staan", "Which regions are not on the map")) " (" (count) ")" }
            ul.subarea-list {
                @for (code, name) in regions {
                    li { a href=(href(code)) { (name.map(str::to_string).unwrap_or_else(|| code.to_string())) } " " span.meta { (code.as_str()) } }
                }
            }
        }
    }
}
