//! Table headers the data tables share: plain column headers in both languages, and the
//! sortable header, whose sort is in the address (`sort=`,
//! `order=desc`), each column header is a link, and `aria-sort` and the visible mark say the
//! order of the rows as they are shown.

use maud::{html, Markup};

use super::page::PageCtx;

/// The sort a table's address asks for.
#[derive(Debug, Clone, Copy)]
pub struct Sort<'a> {
    /// The column sorted on: one of the table's keys, else its default.
    pub key: &'a str,
    /// `order=desc`.
    pub descending: bool,
}

impl<'a> Sort<'a> {
    /// Reads `sort=` (one of `keys`, else `default`) and `order=` from the page's address.
    pub fn of(ctx: &'a PageCtx, keys: &[&str], default: &'a str) -> Sort<'a> {
        let key = ctx
            .params
            .get("sort")
            .map(String::as_str)
            .filter(|k| keys.contains(k))
            .unwrap_or(default);
        let descending = ctx.params.get("order").is_some_and(|o| o == "desc");
        Sort { key, descending }
    }

    /// The header of column `key`: a link that sorts on it (ascending first, then the other
    /// way). `reversed` is for a column whose natural order is largest first (its ascending
    /// parameter shows the rows descending): what a screen reader hears and the mark shows is
    /// the order of the rows, not the name of the parameter.
    pub fn header(&self, ctx: &PageCtx, key: &str, text: &str, reversed: bool) -> Markup {
        let active = key == self.key;
        let next = if active && !self.descending {
            "desc"
        } else {
            "asc"
        };
        let shown_descending = self.descending != reversed;
        let aria = match (active, shown_descending) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        };
        html! {
            th scope="col" aria-sort=(aria) {
                a href=(ctx.url_with(&[("sort", Some(key)), ("order", Some(next))])) {
                    (text)
                    span.sort-mark aria-hidden="true" { @if active { @if shown_descending { " ▼" } @else { " ▲" } } }
                }
            }
        }
    }
}

/// A table's column headers, Dutch and English for each column (`th scope="col"`), for
/// tables whose headers are plain words.
pub fn table_head(ctx: &PageCtx, columns: &[(&str, &str)]) -> Markup {
    html! {
        thead { tr {
            @for (nl, en) in columns {
                th scope="col" { (ctx.t(nl, en)) }
            }
        } }
    }
}
