//! What every catalogue file's parser shares: located errors ([`Ctx`], which knows the file and
//! turns a byte offset into line and column), the id rule ([`check_id`]) and indicator lookup
//! ([`known_indicator`]), the range and choice checks ([`checked`], [`choice`]). Used by every
//! file's module; imports none of them.

use toml::Spanned;

use std::fmt;

use super::{CatalogueFile, CatalogueIndicator};

/// One catalogue file being parsed: makes its located errors.
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

    /// The error at byte `offset` of the file, about `field`.
    pub(crate) fn err(
        &self,
        offset: usize,
        field: &str,
        message: impl Into<String>,
    ) -> CatalogueError {
        self.located(offset, Some(field), message)
    }

    /// The error at byte `offset` of the file, about `field` when there is one.
    pub(crate) fn located(
        &self,
        offset: usize,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> CatalogueError {
        let (line, column) = line_col(&self.file.text, offset);
        CatalogueError {
            file: self.file.name.clone(),
            line,
            column,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    pub(crate) fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, CatalogueError> {
        toml::from_str(&self.file.text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            self.located(offset, None, e.message().to_string())
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

/// A validation or syntax error in a catalogue file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueError {
    /// File name.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The field concerned, when there is one.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CatalogueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if let Some(field) = &self.field {
            write!(f, "field '{field}': ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for CatalogueError {}

/// Converts a byte offset into a 1-based (line, column).
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Parses a choice by name, or says which names there are.
pub(crate) fn choice<T: Copy>(
    ctx: &Ctx<'_>,
    value: &Spanned<String>,
    field: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, CatalogueError> {
    all.iter()
        .copied()
        .find(|c| name(*c) == value.get_ref())
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|c| name(*c)).collect();
            ctx.err(
                value.span().start,
                field,
                format!(
                    "expected one of {}, found '{}'",
                    names.join(", "),
                    value.get_ref()
                ),
            )
        })
}

/// A list of choices: at least one, no duplicates.
pub(crate) fn choices<T: Copy + PartialEq>(
    ctx: &Ctx<'_>,
    list: &Spanned<Vec<Spanned<String>>>,
    field: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<Vec<T>, CatalogueError> {
    if list.get_ref().is_empty() {
        return Err(ctx.err(
            list.span().start,
            field,
            "expected at least one choice (list only the nominal one to keep it fixed)",
        ));
    }
    let mut out = Vec::new();
    for v in list.get_ref() {
        let c = choice(ctx, v, field, all, name)?;
        if out.contains(&c) {
            return Err(ctx.err(
                v.span().start,
                field,
                format!("'{}' is listed twice", v.get_ref()),
            ));
        }
        out.push(c);
    }
    Ok(out)
}

/// The one range check of `method.toml`: a number that `ok` accepts, else
/// `expected {what}, found {value}` at it.
pub(crate) fn checked<T: Copy + std::fmt::Display>(
    ctx: &Ctx<'_>,
    v: &Spanned<T>,
    field: &str,
    ok: impl FnOnce(&T) -> bool,
    what: &str,
) -> Result<T, CatalogueError> {
    if ok(v.get_ref()) {
        Ok(*v.get_ref())
    } else {
        Err(ctx.err(
            v.span().start,
            field,
            format!("expected {what}, found {}", v.get_ref()),
        ))
    }
}

/// An English text, or the Dutch one where the catalogue gives none.
pub(crate) fn or_nl(en: String, nl: &str) -> String {
    if en.is_empty() {
        nl.to_string()
    } else {
        en
    }
}

/// With a populations file, every population named elsewhere must be one of it: `id` (empty:
/// none named) at `offset` in `field`.
pub(crate) fn known_population(
    ctx: &Ctx<'_>,
    offset: usize,
    field: &str,
    id: &str,
    populations: &[super::Population],
) -> Result<(), CatalogueError> {
    if populations.is_empty() || id.is_empty() || populations.iter().any(|p| p.id == id) {
        Ok(())
    } else {
        Err(ctx.located(
            offset,
            Some(field),
            format!(
                "unknown population '{id}': expected one of {} (populations.toml)",
                populations
                    .iter()
                    .map(|p| p.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ))
    }
}
