//! The CBS OData v3 wire format: URLs of a table's parts and the shape of their answers.
//!
//! A table lives at `{root}/{TABLE}`; `TableInfos` carries its `Modified` date,
//! `DataProperties` names and types its columns, the region dimension (`WijkenEnBuurten`,
//! `RegioS`, …) lists region codes and names, and `TypedDataSet` holds the rows. An answer is
//! `{"odata.metadata": …, "value": [ … ]}`; the service sends at most its row limit (10,000)
//! per request, and says where the rest is with `odata.nextLink`. A client may also page itself
//! with `$top`/`$skip`; both are followed here.

use serde::Deserialize;
use serde_json::value::RawValue;

/// The rows of one answer and the link to the next page.
pub struct Page<'a> {
    /// Rows as received (kept raw so the assembled table has the bytes the service sent).
    pub rows: Vec<&'a RawValue>,
    /// `odata.nextLink`, when the service pages.
    pub next_link: Option<String>,
}

/// Reads a `{"value": [...]}` answer.
pub fn parse_page(body: &[u8]) -> Result<Page<'_>, String> {
    #[derive(Deserialize)]
    struct Raw<'a> {
        #[serde(borrow)]
        value: Vec<&'a RawValue>,
        #[serde(rename = "odata.nextLink", alias = "@odata.nextLink")]
        next_link: Option<String>,
    }
    let text = std::str::from_utf8(body).map_err(|e| format!("not UTF-8: {e}"))?;
    let raw: Raw<'_> = serde_json::from_str(text).map_err(|e| {
        format!(
            "expected OData JSON {{\"value\": [...]}} at line {}, column {}: {e}",
            e.line(),
            e.column()
        )
    })?;
    Ok(Page {
        rows: raw.value,
        next_link: raw.next_link,
    })
}

/// What `TableInfos` says about a table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableInfo {
    /// When the table was last changed (`2025-03-27T02:00:00`).
    pub modified: String,
    /// Title.
    pub title: String,
    /// The periods it covers, as CBS writes them (`2024`, `2019-2023`).
    pub period: String,
}

/// `Modified`, `Title` and `Period` of `TableInfos`.
pub fn parse_table_infos(body: &[u8]) -> Result<TableInfo, String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Info {
        modified: String,
        #[serde(default)]
        title: String,
        #[serde(default)]
        period: String,
    }
    let page = parse_page(body)?;
    let first = page
        .rows
        .first()
        .ok_or("expected one TableInfos entry, found none")?;
    let info: Info = serde_json::from_str(first.get())
        .map_err(|e| format!("expected TableInfos with Modified: {e}"))?;
    Ok(TableInfo {
        modified: info.modified,
        title: info.title,
        period: info.period,
    })
}

/// Puts the rows of all pages back together as one OData JSON document, the form
/// `kwm ingest` reads from a file.
pub fn assemble(pages: &[Vec<u8>]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(pages.iter().map(Vec::len).sum::<usize>() + 16);
    out.extend_from_slice(b"{\"value\":[");
    let mut first = true;
    for (i, body) in pages.iter().enumerate() {
        let page = parse_page(body).map_err(|e| format!("page {}: {e}", i + 1))?;
        for row in page.rows {
            if !first {
                out.push(b',');
            }
            out.push(b'\n');
            out.extend_from_slice(row.get().as_bytes());
            first = false;
        }
    }
    out.extend_from_slice(b"\n]}\n");
    Ok(out)
}

/// Percent-encodes a query value (OData filters contain spaces, quotes and parentheses).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~$,".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The request of the `TypedDataSet` page that starts at row `skip`.
pub fn data_url(
    root: &str,
    table: &str,
    limit: usize,
    skip: usize,
    filter: Option<&str>,
) -> String {
    let mut url = format!("{root}/{table}/TypedDataSet?$top={limit}");
    if skip > 0 {
        url.push_str(&format!("&$skip={skip}"));
    }
    if let Some(f) = filter {
        url.push_str("&$filter=");
        url.push_str(&encode(f));
    }
    url
}

/// The `$skip` of a page request made by [`data_url`] (0 when absent).
pub fn skip_of(url: &str) -> usize {
    url.split(['?', '&'])
        .find_map(|p| p.strip_prefix("$skip="))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_assembled_row_for_row() {
        let a = br#"{"odata.metadata":"x","value":[{"ID":0,"A_1":1},{"ID":1,"A_1":null}],"odata.nextLink":"n"}"#.to_vec();
        let b = br#"{"value":[{"ID":2,"A_1":2.5}]}"#.to_vec();
        assert_eq!(parse_page(&a).unwrap().next_link.as_deref(), Some("n"));
        let doc = assemble(&[a, b]).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&doc).unwrap();
        assert_eq!(v["value"].as_array().unwrap().len(), 3);
        assert_eq!(v["value"][2]["A_1"], 2.5);
    }

    #[test]
    fn urls_page_and_filter() {
        let u = data_url(
            "http://h/odata",
            "85984NED",
            10,
            20,
            Some("substringof('GM',WijkenEnBuurten)"),
        );
        assert_eq!(
            u,
            "http://h/odata/85984NED/TypedDataSet?$top=10&$skip=20&$filter=substringof%28%27GM%27,WijkenEnBuurten%29"
        );
        assert_eq!(skip_of(&u), 20);
        assert_eq!(skip_of("http://h/odata/T/TypedDataSet?$top=10"), 0);
    }
}
