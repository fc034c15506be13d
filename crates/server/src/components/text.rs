//! Words every page writes the same way: levels, directions, values with their unit, what a
//! missing value means, rank intervals. Used by the pages and by the regiobeeld's drawing.

use kwm_model::{Direction, Level, ValueStatus};
use kwm_monitor::risk::RankInterval;

use crate::i18n::Lang;

/// Plural label of a level.
pub fn level_label(lang: Lang, level: Level) -> &'static str {
    match lang {
        Lang::Nl => level.label_nl_plural(),
        Lang::En => level.label_en_plural(),
    }
}

/// Explains an indicator's direction in words.
pub fn direction_label(lang: Lang, d: Direction) -> &'static str {
    match d {
        Direction::HigherIsWorse => lang.t("hoger is ongunstiger", "higher is less favourable"),
        Direction::HigherIsBetter => lang.t("hoger is gunstiger", "higher is more favourable"),
        Direction::Neutral => lang.t("context, geen oordeel", "context, no judgement"),
    }
}

/// Formats a value with the indicator's decimals and unit.
pub fn value_text(lang: Lang, value: f64, decimals: u8, unit: &str) -> String {
    let n = lang.number(value, decimals);
    match unit {
        "%" => format!("{n}%"),
        "" | "aantal" => n,
        u => format!("{n} {u}"),
    }
}

/// What a missing or suppressed value means, in words.
pub fn status_note(lang: Lang, status: ValueStatus) -> &'static str {
    match status {
        ValueStatus::Ok => "",
        ValueStatus::Suppressed => lang.t(
            "Niet gepubliceerd: te weinig waarnemingen of geheimhouding",
            "Not published: too few observations or confidentiality",
        ),
        ValueStatus::Missing => lang.t(
            "Geen cijfer voor deze regio in deze bron",
            "No figure for this region in this source",
        ),
        ValueStatus::NotApplicable => lang.t(
            "Niet van toepassing voor deze regio",
            "Not applicable to this region",
        ),
    }
}

/// A rank interval as text: `12–35 (mediaan 20)`.
pub fn interval_text(lang: Lang, i: &RankInterval) -> String {
    format!(
        "{}–{} ({} {})",
        lang.number(i.lower, 0),
        lang.number(i.upper, 0),
        lang.t("mediaan", "median"),
        lang.number(i.median, 0)
    )
}
