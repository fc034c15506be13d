//! Language of the pages: Dutch first, English on request (`?lang=en`, remembered in a cookie).

use axum::http::HeaderMap;

/// Page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Dutch (default).
    Nl,
    /// English.
    En,
}

/// Name of the cookie that remembers the language.
pub const COOKIE: &str = "kwm_lang";

impl Lang {
    /// The language from a `lang` query value, else the cookie, else Dutch.
    pub fn detect(query_lang: Option<&str>, headers: &HeaderMap) -> Lang {
        if let Some(l) = query_lang.and_then(Lang::parse) {
            return l;
        }
        headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == COOKIE)
            .and_then(|(_, v)| Lang::parse(v))
            .unwrap_or(Lang::Nl)
    }

    fn parse(s: &str) -> Option<Lang> {
        match s {
            "nl" => Some(Lang::Nl),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// ISO code for `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::En => "en",
        }
    }

    /// Picks the text for this language.
    pub fn t<'a>(self, nl: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Nl => nl,
            Lang::En => en,
        }
    }

    /// Formats a number with `decimals` decimals: `12.345,6` in Dutch, `12,345.6` in English.
    pub fn number(self, value: f64, decimals: u8) -> String {
        let (thousands, decimal) = match self {
            Lang::Nl => ('.', ','),
            Lang::En => (',', '.'),
        };
        let rounded = kwm_engine::rank::round_half_away(value, u32::from(decimals));
        let text = format!("{:.*}", decimals as usize, rounded.abs());
        let (int_part, frac_part) = match text.split_once('.') {
            Some((i, f)) => (i.to_string(), Some(f.to_string())),
            None => (text, None),
        };
        let mut grouped = String::new();
        // Four-digit numbers are not grouped (Dutch style guides: 4500, not 4.500).
        let group = int_part.len() > 4;
        for (i, ch) in int_part.chars().enumerate() {
            if group && i > 0 && (int_part.len() - i) % 3 == 0 {
                grouped.push(thousands);
            }
            grouped.push(ch);
        }
        let sign = if value < 0.0 && rounded != 0.0 {
            "−"
        } else {
            ""
        };
        match frac_part {
            Some(f) => format!("{sign}{grouped}{decimal}{f}"),
            None => format!("{sign}{grouped}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_language_conventions() {
        assert_eq!(Lang::Nl.number(882299.0, 0), "882.299");
        assert_eq!(Lang::En.number(882299.0, 0), "882,299");
        assert_eq!(Lang::Nl.number(28.25, 1), "28,3");
        assert_eq!(Lang::Nl.number(4500.0, 0), "4500");
        assert_eq!(Lang::En.number(-1234567.891, 2), "−1,234,567.89");
    }
}
