//! `themes.toml`: the themes and the characteristic × theme matrix.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use toml::Spanned;

use super::diag::{check_id, Ctx};
use super::CatalogueError;
use crate::risk::{Factor, Matrix, Theme};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThemesFile {
    #[serde(default)]
    theme: Vec<Spanned<RawTheme>>,
    matrix: Option<Spanned<RawMatrix>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    id: Spanned<String>,
    label_nl: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    description_nl: String,
    #[serde(default)]
    description_en: String,
}

/// One matrix row as written: its values, each with its position for errors.
type RawMatrixRow = Spanned<Vec<Spanned<i64>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatrix {
    themes: Spanned<Vec<Spanned<String>>>,
    rows: Spanned<BTreeMap<Spanned<String>, RawMatrixRow>>,
}

pub(crate) fn parse_themes(
    ctx: &Ctx<'_>,
    characteristics: &[Factor],
) -> Result<(Vec<Theme>, Matrix), CatalogueError> {
    let raw: RawThemesFile = ctx.parse()?;
    let mut themes = Vec::new();
    let mut seen = HashSet::new();
    for spanned in raw.theme {
        let t = spanned.into_inner();
        check_id(ctx, &t.id, "theme")?;
        if !seen.insert(t.id.get_ref().clone()) {
            return Err(ctx.duplicate(&t.id, "theme"));
        }
        themes.push(Theme {
            id: t.id.into_inner(),
            label_en: if t.label_en.is_empty() {
                t.label_nl.clone()
            } else {
                t.label_en
            },
            label_nl: t.label_nl,
            description_nl: t.description_nl,
            description_en: t.description_en,
        });
    }
    let Some(matrix) = raw.matrix else {
        if characteristics.is_empty() || themes.is_empty() {
            return Ok((themes, Matrix::default()));
        }
        return Err(CatalogueError {
            file: ctx.file.name.clone(),
            line: 1,
            column: 1,
            field: Some("matrix".into()),
            message:
                "the [matrix] table is missing: one row per characteristic, one value per theme"
                    .into(),
        });
    };
    let matrix_start = matrix.span().start;
    let m = matrix.into_inner();
    // Columns: the matrix names its themes, so a reordered [[theme]] list cannot shift values.
    let mut column_of = Vec::with_capacity(m.themes.get_ref().len());
    let mut cols_seen = HashSet::new();
    for c in m.themes.get_ref() {
        let Some(t) = themes.iter().position(|t| &t.id == c.get_ref()) else {
            return Err(ctx.err(
                c.span().start,
                "matrix.themes",
                format!("unknown theme '{}' (not a [[theme]] id)", c.get_ref()),
            ));
        };
        if !cols_seen.insert(t) {
            return Err(ctx.err(
                c.span().start,
                "matrix.themes",
                format!("theme '{}' appears twice", c.get_ref()),
            ));
        }
        column_of.push(t);
    }
    if let Some(missing) = themes
        .iter()
        .find(|t| !m.themes.get_ref().iter().any(|c| c.get_ref() == &t.id))
    {
        return Err(ctx.err(
            m.themes.span().start,
            "matrix.themes",
            format!(
                "matrix of the wrong shape: it has {} theme columns, expected {} (theme '{}' is missing)",
                m.themes.get_ref().len(),
                themes.len(),
                missing.id
            ),
        ));
    }
    let mut values = vec![vec![0u8; themes.len()]; characteristics.len()];
    let mut filled = vec![false; characteristics.len()];
    for (key, row) in m.rows.get_ref() {
        let Some(c) = characteristics.iter().position(|f| &f.id == key.get_ref()) else {
            return Err(ctx.err(
                key.span().start,
                "matrix.rows",
                format!(
                    "unknown characteristic '{}' (not a [[characteristic]] id in characteristics.toml)",
                    key.get_ref()
                ),
            ));
        };
        if row.get_ref().len() != column_of.len() {
            return Err(ctx.err(
                row.span().start,
                &format!("matrix.rows.{}", key.get_ref()),
                format!(
                    "matrix of the wrong shape: row '{}' has {} values, expected {} (one per theme in matrix.themes)",
                    key.get_ref(),
                    row.get_ref().len(),
                    column_of.len()
                ),
            ));
        }
        for (k, v) in row.get_ref().iter().enumerate() {
            if !(0..=i64::from(Matrix::MAX)).contains(v.get_ref()) {
                return Err(ctx.err(
                    v.span().start,
                    &format!("matrix.rows.{}", key.get_ref()),
                    format!("expected a value from 0 to 3, found {}", v.get_ref()),
                ));
            }
            values[c][column_of[k]] = *v.get_ref() as u8;
        }
        filled[c] = true;
    }
    if let Some(c) = filled.iter().position(|f| !f) {
        return Err(ctx.err(
            m.rows.span().start.max(matrix_start),
            "matrix.rows",
            format!(
                "matrix of the wrong shape: {} rows, expected {} (characteristic '{}' has no row)",
                m.rows.get_ref().len(),
                characteristics.len(),
                characteristics[c].id
            ),
        ));
    }
    Ok((themes, Matrix { values }))
}
