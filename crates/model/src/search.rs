//! Matching region names and codes as people type them: without capitals, accents, hyphens or
//! apostrophes. "sudwest fryslan" finds Súdwest-Fryslân, "s gravenhage" finds 's-Gravenhage.
//!
//! One place for the folding rule, so the API, the search page and any later suggestion list
//! agree on what matches and in which order.

use crate::Level;

/// Folds text for matching: lower case, letters without diacritics (`ú` → `u`, `æ` → `ae`,
/// `ĳ` → `ij`), apostrophes dropped, every other non-alphanumeric character (hyphens, slashes,
/// dots, brackets) read as a space, runs of spaces collapsed, trimmed.
///
/// ```
/// use kwm_model::search::fold;
/// assert_eq!(fold("Súdwest-Fryslân"), "sudwest fryslan");
/// assert_eq!(fold("'s-Gravenhage"), "s gravenhage");
/// ```
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // A separator seen since the last letter; leading and trailing ones vanish.
    let mut pending_space = false;
    for c in text.chars() {
        // Apostrophes join, never separate: "'s-Hertogenbosch", "Sint-Michielsgestel's".
        if matches!(c, '\'' | '’' | '‘' | '`' | '´' | 'ʼ') {
            continue;
        }
        let mut any = false;
        for l in c.to_lowercase() {
            let mut buf = [0u8; 4];
            let piece: &str = match base_letter(l) {
                Some(letters) => letters,
                // A letter outside Latin is kept as it is, never dropped, so unrelated names
                // do not become equal.
                None if l.is_alphanumeric() => l.encode_utf8(&mut buf),
                None => continue,
            };
            any = true;
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push_str(piece);
        }
        if !any {
            pending_space = true;
        }
    }
    out
}

/// A lower-case character's letters without diacritics. Covers Latin-1 and Latin Extended-A,
/// which hold every letter in Dutch, Frisian and Limburgish place names. `None` for anything
/// else (punctuation, spaces, letters of other scripts).
fn base_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        c if c.is_ascii_alphanumeric() => ascii(c),
        _ => return None,
    })
}

fn ascii(c: char) -> &'static str {
    const ALNUM: &str = "0123456789abcdefghijklmnopqrstuvwxyz";
    let i = ALNUM.find(c).expect("lower-case ASCII letter or digit");
    &ALNUM[i..i + 1]
}

/// How well a name or code matches a query. Orders best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchKind {
    /// The whole name or code.
    Exact,
    /// The start of the name or code.
    Prefix,
    /// Somewhere inside the name.
    Substring,
}

impl MatchKind {
    /// Identifier on the wire: `exact`, `prefix`, `substring`.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKind::Exact => "exact",
            MatchKind::Prefix => "prefix",
            MatchKind::Substring => "substring",
        }
    }
}

/// A query, folded once and matched against many regions.
#[derive(Debug, Clone)]
pub struct Query {
    folded: String,
    /// The query as a code (upper case, no spaces), for `gm0599` or `WK0599`.
    code: String,
}

impl Query {
    /// Folds a query; `None` when nothing is left to match (empty, or only punctuation).
    pub fn new(text: &str) -> Option<Query> {
        let folded = fold(text);
        if folded.is_empty() {
            return None;
        }
        let code = folded.replace(' ', "").to_ascii_uppercase();
        Some(Query { folded, code })
    }

    /// The folded query text.
    pub fn folded(&self) -> &str {
        &self.folded
    }

    /// How `name` (already folded with [`fold`]) or `code` matches, the better of the two.
    /// Codes match from their start only: "0599" inside every Rotterdam code is no match.
    pub fn matches(&self, folded_name: Option<&str>, code: &str) -> Option<MatchKind> {
        let by_code = if code == self.code {
            Some(MatchKind::Exact)
        } else if code.starts_with(&self.code) {
            Some(MatchKind::Prefix)
        } else {
            None
        };
        let by_name = folded_name.and_then(|name| {
            if name == self.folded {
                Some(MatchKind::Exact)
            } else if name.starts_with(&self.folded) {
                Some(MatchKind::Prefix)
            } else if name.contains(&self.folded) {
                Some(MatchKind::Substring)
            } else {
                None
            }
        });
        match (by_code, by_name) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The order of search results: match kind, then level (larger areas first: provincie, GGD
/// region, gemeente, wijk, buurt), then folded name, then code. Sort by this key ascending.
pub fn rank_key<'a>(
    kind: MatchKind,
    level: Level,
    folded_name: &'a str,
    code: &'a str,
) -> (MatchKind, Level, &'a str, &'a str) {
    (kind, level, folded_name, code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_case_accents_hyphens_and_apostrophes() {
        for (raw, folded) in [
            ("Súdwest-Fryslân", "sudwest fryslan"),
            ("SUDWEST FRYSLAN", "sudwest fryslan"),
            ("Noardeast-Fryslân", "noardeast fryslan"),
            ("'s-Gravenhage", "s gravenhage"),
            ("’s-Hertogenbosch", "s hertogenbosch"),
            ("s gravenhage", "s gravenhage"),
            ("Feijenoord", "feijenoord"),
            ("FEIJENOORD", "feijenoord"),
            (
                "Nuenen, Gerwen en Nederwetten",
                "nuenen gerwen en nederwetten",
            ),
            ("Bergen (NH.)", "bergen nh"),
            ("Wijk 00 Centrum - De Hoven", "wijk 00 centrum de hoven"),
            ("  Hillegersberg-Schiebroek ", "hillegersberg schiebroek"),
            ("Sûdwest Fryslân", "sudwest fryslan"),
            ("Doniawerstal", "doniawerstal"),
            ("Tytsjerksteradiel", "tytsjerksteradiel"),
            ("Ŷ", "y"),
            (
                "Überwald Ïsselmeer Öde Ëlst Á",
                "uberwald isselmeer ode elst a",
            ),
            ("ĲSSELSTEIN", "ijsselstein"),
            ("IJsselstein", "ijsselstein"),
            ("---", ""),
        ] {
            assert_eq!(fold(raw), folded, "{raw}");
        }
    }

    #[test]
    fn names_match_exactly_by_prefix_or_inside() {
        let q = Query::new("feijenoord").unwrap();
        assert_eq!(
            q.matches(Some(&fold("Feijenoord")), "WK059910"),
            Some(MatchKind::Exact)
        );
        assert_eq!(
            q.matches(Some(&fold("Feijenoord-Noord")), "BU05991001"),
            Some(MatchKind::Prefix)
        );
        assert_eq!(
            q.matches(Some(&fold("Oud Feijenoord")), "BU05991002"),
            Some(MatchKind::Substring)
        );
        assert_eq!(q.matches(Some("delfshaven"), "WK059903"), None);
        let q = Query::new("sudwest fryslan").unwrap();
        assert_eq!(
            q.matches(Some(&fold("Súdwest-Fryslân")), "GM1900"),
            Some(MatchKind::Exact)
        );
        let q = Query::new("s-gravenhage").unwrap();
        assert_eq!(
            q.matches(Some(&fold("'s-Gravenhage")), "GM0518"),
            Some(MatchKind::Exact)
        );
    }

    #[test]
    fn codes_match_whole_or_from_their_start() {
        let q = Query::new("gm0599").unwrap();
        assert_eq!(
            q.matches(Some("rotterdam"), "GM0599"),
            Some(MatchKind::Exact)
        );
        let q = Query::new("WK0599").unwrap();
        assert_eq!(
            q.matches(Some("feijenoord"), "WK059910"),
            Some(MatchKind::Prefix)
        );
        let q = Query::new("0599").unwrap();
        assert_eq!(q.matches(Some("feijenoord"), "WK059910"), None);
        // A nameless region is still found by its code.
        let q = Query::new("BU03630000").unwrap();
        assert_eq!(q.matches(None, "BU03630000"), Some(MatchKind::Exact));
    }

    #[test]
    fn exact_before_prefix_before_substring_then_larger_areas_then_name() {
        let mut hits = [
            (
                MatchKind::Substring,
                Level::Gemeente,
                "oud centrum",
                "GM9999",
            ),
            (MatchKind::Exact, Level::Wijk, "centrum", "WK001400"),
            (MatchKind::Prefix, Level::Gemeente, "centrum oost", "GM9998"),
            (MatchKind::Exact, Level::Buurt, "centrum", "BU00140000"),
            (MatchKind::Exact, Level::Wijk, "centrum", "WK010600"),
            (MatchKind::Exact, Level::Gemeente, "centrum", "GM9997"),
        ];
        hits.sort_by(|a, b| rank_key(a.0, a.1, a.2, a.3).cmp(&rank_key(b.0, b.1, b.2, b.3)));
        let codes: Vec<&str> = hits.iter().map(|h| h.3).collect();
        assert_eq!(
            codes,
            [
                "GM9997",
                "WK001400",
                "WK010600",
                "BU00140000",
                "GM9998",
                "GM9999"
            ]
        );
    }

    #[test]
    fn a_query_of_only_punctuation_is_no_query() {
        assert!(Query::new("").is_none());
        assert!(Query::new(" - ' ").is_none());
        assert!(Query::new("a").is_some());
    }
}
