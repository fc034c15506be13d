//! What every catalogue file's parser shares: located errors ([`Ctx`], which knows the file and
//! turns a byte offset into line and column), the id rule ([`check_id`]) and indicator lookup
//! ([`known_indicator`]). Used by `risk`, `agenda` and `radar`; imports none of them.

use toml::Spanned;

use crate::catalogue::{line_col, CatalogueError, CatalogueFile, CatalogueIndicator};

pub(crate) struct Ctx<'a> {
    pub(crate) file: &'a CatalogueFile,
}

impl Ctx<'_> {
    /// The error for an id given twice: `duplicate {kind} id '{id}'` at the id.
    pub(crate) fn duplicate(&self, id: &Spanned<String>, kind: &str) -> CatalogueError {
        self.err(
            id.span().start,
            "id",
            format!("duplicate {kind} id '{}'", id.get_ref()),
        )
    }

    /// Checks that a value is one of `allowed`, else `expected one of …, found '…'` at it.
    pub(crate) fn one_of(
        &self,
        value: &Spanned<String>,
        field: &str,
        allowed: &[&str],
    ) -> Result<(), CatalogueError> {
        if allowed.contains(&value.get_ref().as_str()) {
            return Ok(());
        }
        Err(self.err(
            value.span().start,
            field,
            format!(
                "expected one of {}, found '{}'",
                allowed.join(", "),
                value.get_ref()
            ),
        ))
    }

    pub(crate) fn err(
        &self,
        offset: usize,
        field: &str,
        message: impl Into<String>,
    ) -> CatalogueError {
        let (line, column) = line_col(&self.file.text, offset);
        CatalogueError {
            file: self.file.name.clone(),
            line,
            column,
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    pub(crate) fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, CatalogueError> {
        toml::from_str(&self.file.text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let (line, column) = line_col(&self.file.text, offset);
            CatalogueError {
                file: self.file.name.clone(),
                line,
                column,
                field: None,
                message: e.message().to_string(),
            }
        })
    }
}

/// Ids of factors, themes and groups: lower-case letters, digits and `_`, starting with a letter.
pub(crate) fn check_id(
    ctx: &Ctx<'_>,
    id: &Spanned<String>,
    what: &str,
) -> Result<(), CatalogueError> {
    let s = id.get_ref();
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.as_bytes()[0].is_ascii_lowercase()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ctx.err(
            id.span().start,
            "id",
            format!("expected a {what} id of lower-case letters, digits and '_' starting with a letter, found '{s}'"),
        ))
    }
}

pub(crate) fn known_indicator<'a>(
    ctx: &Ctx<'_>,
    indicators: &'a [CatalogueIndicator],
    raw: &Spanned<String>,
    field: &str,
) -> Result<&'a CatalogueIndicator, CatalogueError> {
    indicators
        .iter()
        .find(|i| i.indicator.id.as_str() == raw.get_ref())
        .ok_or_else(|| {
            ctx.err(
                raw.span().start,
                field,
                format!(
                    "unknown indicator '{}' (not in indicators.toml)",
                    raw.get_ref()
                ),
            )
        })
}
