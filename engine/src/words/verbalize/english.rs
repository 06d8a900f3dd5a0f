//! English for the verbalizer: sentences, words, nouns and plurals.

use std::collections::BTreeSet;

use crate::text_numbers::find_numbers;

// ---------------------------------------------------------------------------------------------
// Sentences and words

/// Sentences of `text` as byte ranges (from the first non-space character to the end of the
/// closing punctuation), in order.
pub(super) fn sentences(text: &str) -> Vec<(usize, usize)> {
    // (Room for a problem's few sentences made at once.)
    let mut out = Vec::with_capacity(8);
    let mut start: Option<usize> = None;
    // The text is walked char by char at byte positions (nothing allocated): `pos` is the
    // current char's start.
    // An ASCII byte is its char; anything else is decoded.
    let bytes = text.as_bytes();
    let char_at = |at: usize| match bytes.get(at) {
        Some(&b) if b < 0x80 => Some(b as char),
        Some(_) => text.get(at..).and_then(|t| t.chars().next()),
        None => None,
    };
    let mut pos = 0;
    while let Some(c) = char_at(pos) {
        let next = pos + c.len_utf8();
        if start.is_none() {
            if c.is_whitespace() {
                pos = next;
                continue;
            }
            start = Some(pos);
        }
        if matches!(c, '.' | '?' | '!') {
            // Past the closing quotes and brackets.
            let mut j = next;
            while let Some(d) = char_at(j).filter(|d| matches!(d, '"' | '\'' | ')' | '”' | '’'))
            {
                j += d.len_utf8();
            }
            let at_end = char_at(j).is_none_or(char::is_whitespace);
            // (Only a mark at the end of a sentence is looked at for an abbreviation.)
            let abbreviation = at_end && c == '.' && abbreviation_at(text, pos, j);
            if at_end && !abbreviation {
                if let Some(s) = start.take() {
                    out.push((s, j));
                }
                pos = j;
                continue;
            }
        }
        // Inside a sentence only `.`, `?` and `!` matter: on to the next one (ASCII bytes,
        // so never inside another char's encoding). (The search stops at a `/` or `>` too,
        // which is read as any other char, and the search goes on past it.)
        pos = next_mark(bytes, next);
    }
    if let Some(s) = start {
        let end = text.trim_end().len().max(s);
        if end > s {
            out.push((s, end));
        }
    }
    out
}

/// Whether the period at byte `pos` of `text` (followed by whitespace from byte `after`, past
/// closing quotes) ends an abbreviation rather than a sentence: a title ("Mr."), an initial
/// ("J."), or a unit's short form before a word in lower case or a number ("600 sq. ft.",
/// seed 306's Linda, whose change was put between "sq." and "ft.").
fn abbreviation_at(text: &str, pos: usize, after: usize) -> bool {
    // The letters right before the period (a slice: nothing allocated).
    let from = letters_start(text, pos);
    let before = &text[from..pos];
    matches!(
        before,
        "Mr" | "Mrs" | "Ms" | "Dr" | "St" | "Jr" | "vs" | "etc"
    ) || (before.len() == 1 && text[..pos].ends_with(|c: char| c.is_uppercase()))
        || matches!(
            before,
            "sq" | "ft"
                | "in"
                | "yd"
                | "yds"
                | "mi"
                | "oz"
                | "lb"
                | "lbs"
                | "hr"
                | "hrs"
                | "min"
                | "mins"
                | "sec"
                | "gal"
                | "qt"
                | "pt"
                | "approx"
                | "cu"
        ) && text
            .get(after..)
            .and_then(|rest| rest.trim_start().chars().next())
            .is_some_and(|c| c.is_lowercase() || c.is_ascii_digit())
}

/// Where the letters (`char::is_alphabetic`) right before byte `pos` (a char boundary) of
/// `text` start (`pos` when there are none): ASCII letters read as bytes, back to a byte that
/// is none; past a non-ASCII byte, the chars are read from `pos` back instead
/// ([`letters_before`]).
fn letters_start(text: &str, pos: usize) -> usize {
    let bytes = text.as_bytes();
    let mut from = pos;
    while from > 0 && bytes[from - 1].is_ascii_alphabetic() {
        from -= 1;
    }
    if from > 0 && bytes[from - 1] >= 0x80 {
        return letters_before(text, pos);
    }
    from
}

/// [`letters_start`] read char by char.
fn letters_before(text: &str, pos: usize) -> usize {
    text[..pos]
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphabetic())
        .last()
        .map_or(pos, |(k, _)| k)
}

/// The first `.`, `?` or `!` of `bytes` at or after `from`, or `/` or `>` before it
/// (`bytes.len()` when there is none): eight bytes at a time. (`| 0x11` takes `.` and `?`,
/// and only `/` and `>` besides, to `?`: two tests a chunk find the five, where the three
/// marks alone take three.)
fn next_mark(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // The bytes of `x` that are zero have their high bit set (and no byte before the first
    // zero byte has: the lowest set bit marks the first zero byte).
    let zeros = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(chunk);
        let x = u64::from_le_bytes(eight);
        let hits =
            zeros((x | (ONES * 0x11)) ^ (ONES * b'?' as u64)) | zeros(x ^ (ONES * b'!' as u64));
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    bytes
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| is_mark_or_stop(b)))
        .map_or(bytes.len(), |k| i + k)
}

/// Whether [`next_mark`] stops at byte `b`: `.`, `?`, `!`, `/` or `>`.
fn is_mark_or_stop(b: u8) -> bool {
    matches!(b, b'.' | b'?' | b'!' | b'/' | b'>')
}

/// Lowercase words (letters, digits, apostrophes) of a text.
pub(super) fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

pub(super) const STOP: &[&str] = &[
    "what",
    "how",
    "many",
    "much",
    "does",
    "did",
    "do",
    "the",
    "and",
    "for",
    "with",
    "that",
    "this",
    "are",
    "was",
    "were",
    "have",
    "has",
    "had",
    "will",
    "would",
    "there",
    "their",
    "they",
    "she",
    "his",
    "her",
    "him",
    "its",
    "all",
    "can",
    "each",
    "per",
    "from",
    "into",
    "than",
    "then",
    "more",
    "less",
    "now",
    "after",
    "before",
    "total",
    "value",
    "question",
    "answer",
    "number",
    "which",
    "who",
    "whom",
    "whose",
    "when",
    "where",
    "why",
    "many",
    "some",
    "any",
    "she's",
    "he's",
    "it's",
    "be",
    "is",
    "in",
    "on",
    "at",
    "to",
    "of",
    "a",
    "an",
    "if",
    "or",
    "by",
    "does",
    "together",
    "altogether",
    "still",
    "also",
    "get",
    "gets",
    "got",
    "will",
];

/// Content words of a text, lowercased, a plural `s` dropped.
pub(super) fn content_words(text: &str) -> BTreeSet<String> {
    words(text)
        .into_iter()
        .filter(|w| w.len() >= 3 && !STOP.contains(&w.as_str()))
        .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
        .map(|w| stem(&w))
        .collect()
}

pub(super) fn stem(w: &str) -> String {
    if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
        w[..w.len() - 1].to_string()
    } else {
        w.to_string()
    }
}

/// What the final question of a variant must be about.
pub(super) fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

pub(super) const VERBS: &[&str] = &[
    "holds",
    "keeps",
    "lasts",
    "spends",
    "spend",
    "gives",
    "takes",
    "makes",
    "sells",
    "buys",
    "gets",
    "does",
    "goes",
    "reads",
    "rides",
    "runs",
    "uses",
    "needs",
    "earns",
    "saves",
    "picks",
    "adds",
    "weighs",
    "walks",
    "works",
    "loads",
    "wants",
    "means",
    "worked",
    "earned",
    "bought",
    "sold",
    "took",
    "made",
    "paid",
    "left",
    "still",
    "also",
    "already",
    "step",
    "need",
    "want",
    "buy",
    "sell",
    "earn",
    "save",
    "receive",
    "receives",
    "received",
    "remain",
    "remains",
    "has",
    "had",
    "have",
    "will",
    "can",
    "did",
    "get",
    "got",
    "is",
    "are",
    "was",
    "were",
    "be",
    "do",
    "go",
    "went",
    "said",
    "says",
    "there",
    "here",
    "then",
    "now",
    "so",
    "just",
    "only",
    "again",
    "altogether",
    "together",
    "finally",
    "result",
    "answer",
    "hold",
    "keep",
    "last",
    "give",
    "take",
    "make",
    "read",
    "ride",
    "run",
    "use",
    "pick",
    "add",
    "weigh",
    "walk",
    "work",
    "load",
    "mean",
    "plant",
    "throw",
    "eat",
    "ate",
    "tuesday",
    "monday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The words of a node name that may name its quantity: no verbs, gerunds or proper names
/// (words the question writes capitalized only).
pub(super) const JUNK: &[&str] = &[
    "many", "much", "them", "those", "these", "this", "that", "it", "its", "they", "off", "value",
    "more", "some", "other", "n", "x", "const", "give", "gives", "spent", "goes", "has", "have",
    "buys", "sells", "uses", "makes", "takes", "gets", "after", "before", "every", "each", "what",
    "how", "first", "new", "ones", "one", "all", "are", "is", "was", "were", "plus", "minus",
    "times", "split", "with",
];

/// Connectors that may not start or end a phrase.
pub(super) const CONNECT: &[&str] = &[
    "of", "per", "and", "a", "an", "the", "in", "on", "at", "to", "for", "by", "from", "or",
    "since", "until", "during", "over", "under", "about", "into", "onto", "than", "around",
    "between", "with", "without", "if", "when", "while",
];

/// A node name as words (`apples_2` → `apples`, `total_cost` → `total cost`), without number
/// words or parts that say nothing; `None` when nothing is left.
pub(super) fn name_words(name: &str) -> Option<String> {
    let mut parts: Vec<String> = name
        .split(|c: char| c == '_' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .map(|p| p.to_ascii_lowercase())
        .filter(|p| p.chars().all(|c| c.is_ascii_alphabetic()) && p.len() > 1)
        .filter(|p| !JUNK.contains(&p.as_str()))
        .filter(|p| find_numbers(p).is_empty())
        .collect();
    while parts.first().is_some_and(|p| CONNECT.contains(&p.as_str())) {
        parts.remove(0);
    }
    while parts.last().is_some_and(|p| CONNECT.contains(&p.as_str())) {
        parts.pop();
    }
    parts.dedup();
    if parts.is_empty() || parts.len() > 5 {
        return None;
    }
    Some(parts.join(" "))
}

/// Whether a word or phrase ends with a plural noun.
pub(super) fn is_plural(phrase: &str) -> bool {
    // The last word: what follows the last space (as `rsplit(' ')` gives it first).
    let last = phrase
        .as_bytes()
        .iter()
        .rposition(|&b| b == b' ')
        .map_or(phrase, |at| &phrase[at + 1..]);
    // (No irregular plural below ends in `s`: a word that does is read by the rule alone.)
    if last.ends_with('s') {
        return last.len() > 3
            && !last.ends_with("ss")
            && !last.ends_with("us")
            && !last.ends_with("is");
    }
    matches!(
        last,
        "people"
            | "children"
            | "men"
            | "women"
            | "feet"
            | "teeth"
            | "geese"
            | "mice"
            | "fish"
            | "sheep"
            | "deer"
            | "dice"
    )
}

/// Whether a word writes a number: digits, money (`$4.50`), or a common number word (`two`,
/// `dozen`, `half`).
pub(super) fn is_number_word(w: &str) -> bool {
    let w = w.trim_start_matches('$');
    w.as_bytes().first().is_some_and(u8::is_ascii_digit)
        || [
            "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            "eleven", "twelve", "twenty", "thirty", "hundred", "half", "dozen",
        ]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(w))
}

/// A plural noun's singular (`boxes` → `box`, `berries` → `berry`).
pub(super) fn singular(p: &str) -> String {
    let irregular = [
        ("people", "person"),
        ("children", "child"),
        ("men", "man"),
        ("women", "woman"),
        ("feet", "foot"),
        ("teeth", "tooth"),
        ("geese", "goose"),
        ("mice", "mouse"),
        ("dice", "die"),
    ];
    for (many, one) in irregular {
        if let Some(stem) = p.strip_suffix(many) {
            return format!("{stem}{one}");
        }
    }
    // `cookies` → `cookie`, not `cooky`.
    const IE: &[&str] = &[
        "cookies",
        "movies",
        "calories",
        "brownies",
        "pies",
        "ties",
        "lies",
        "rookies",
        "smoothies",
        "zombies",
        "goalies",
        "selfies",
        "genies",
        "hoodies",
        "veggies",
        "aunties",
        "birdies",
        "collies",
        "magpies",
        "pixies",
        "prairies",
        "sweeties",
        "budgies",
    ];
    // (The whole word, or the last of several: `families` is no `lies`, `parties` no
    // `ties`.)
    if IE.iter().any(|w| {
        p.strip_suffix(w)
            .is_some_and(|s| s.is_empty() || s.ends_with([' ', '-']))
    }) {
        return p[..p.len() - 1].to_string();
    }
    // `tomatoes` → `tomato`, but `shoes` → `shoe`.
    const OES: &[&str] = &[
        "potatoes",
        "tomatoes",
        "heroes",
        "echoes",
        "mangoes",
        "volcanoes",
        "torpedoes",
        "mosquitoes",
        "buffaloes",
    ];
    if OES.iter().any(|w| p.ends_with(w)) {
        return p[..p.len() - 2].to_string();
    }
    if let Some(s) = p.strip_suffix("ies") {
        return format!("{s}y");
    }
    for end in ["ches", "shes", "xes", "sses", "zes"] {
        if p.ends_with(end) {
            return p[..p.len() - 2].to_string();
        }
    }
    p.strip_suffix('s').unwrap_or(p).to_string()
}

/// What a plural noun and its singular both start with, for finding either in a text:
/// [`singular`], but `guppies` → `gupp` (its singular `guppy` does not start `guppies`).
pub(super) fn common_stem(p: &str) -> String {
    let one = singular(p);
    if p.starts_with(one.as_str()) {
        one
    } else {
        p.strip_suffix("ies").map_or(one, str::to_string)
    }
}

pub(super) const MONEY_WORDS: &[&str] = &[
    "cost",
    "price",
    "fare",
    "money",
    "dollars",
    "dollar",
    "pay",
    "payment",
    "bill",
    "fee",
    "salary",
    "wage",
    "budget",
    "rent",
    "allowance",
    "savings",
    "change",
    "charge",
    "earnings",
    "profit",
    "revenue",
    "income",
    "tip",
    "spending",
    "amount",
    "fees",
    "prices",
    "costs",
];

/// The plural noun written right after a number, with up to two adjectives before it
/// (`24 apples` → `apples`, `26 pink hard hats` → `pink hard hats`).
pub(super) fn noun_after(q: &str, end: usize) -> Option<String> {
    let rest = q.get(end..)?.strip_prefix(' ')?;
    let skip = [
        "percent",
        "times",
        "less",
        "was",
        "has",
        "does",
        "is",
        "its",
        "this",
        "thus",
        "yes",
        "as",
        "his",
        "hers",
        "ours",
        "yours",
        "theirs",
        "always",
        "afterwards",
        "towards",
        "besides",
        "perhaps",
        "sometimes",
        "plus",
        "minus",
        "days",
        "weeks",
        "months",
        "years",
        "hours",
        "minutes",
        "seconds",
    ];
    let mut taken: Vec<String> = Vec::new();
    let mut at = rest;
    for _ in 0..3 {
        let w: String = at.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        let after = at.get(w.len()..).unwrap_or("");
        if w.is_empty()
            || after.starts_with(|c: char| c.is_alphanumeric() || c == '-' || c == '\'')
            || w.starts_with(|c: char| c.is_uppercase())
        {
            return None;
        }
        let lw = w.to_ascii_lowercase();
        if STOP.contains(&lw.as_str())
            || CONNECT.contains(&lw.as_str())
            || VERBS.contains(&lw.as_str())
            || !find_numbers(&lw).is_empty()
        {
            return None;
        }
        taken.push(lw.clone());
        if is_plural(&lw) {
            // Units of time read badly as things added ("5 more days are added").
            return (!skip.contains(&lw.as_str())).then(|| taken.join(" "));
        }
        at = after.strip_prefix(' ')?;
    }
    None
}

/// The letter to use for the unknown of an inverted problem (one the question does not use).
pub(super) fn pick_variable(q: &str) -> String {
    const VARS: [&str; 5] = ["x", "y", "n", "k", "m"];
    // The words of `words(q)` that can equal a variable: those of one character (lowercasing
    // never makes a word shorter), each lowercased without allocating for the others.
    let mut used = [false; VARS.len()];
    for w in q.split(|c: char| !(c.is_alphanumeric() || c == '\'')) {
        let mut cs = w.chars();
        if let (Some(c), None) = (cs.next(), cs.next()) {
            let lower: String = c.to_lowercase().collect();
            if let Some(i) = VARS.iter().position(|v| *v == lower) {
                used[i] = true;
            }
        }
    }
    VARS.iter()
        .zip(used)
        .find(|&(_, used)| !used)
        .map_or("x", |(v, _)| v)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_short_form_ends_no_sentence() {
        let t = "The wall area is 600 sq. ft. If a gallon covers 400 sq. ft., how many cans? He ran 3 mi. Then he rested.";
        let said: Vec<&str> = sentences(t).into_iter().map(|(s, e)| &t[s..e]).collect();
        assert_eq!(
            said,
            [
                "The wall area is 600 sq. ft.",
                "If a gallon covers 400 sq. ft., how many cans?",
                "He ran 3 mi.",
                "Then he rested."
            ]
        );
    }

    #[test]
    fn singular_reads_whole_words() {
        for (many, one) in [
            ("cookies", "cookie"),
            ("oatmeal cookies", "oatmeal cookie"),
            ("families", "family"),
            ("parties", "party"),
            ("puppies", "puppy"),
            ("pies", "pie"),
            ("apple pies", "apple pie"),
            ("tomatoes", "tomato"),
            ("shoes", "shoe"),
            ("boxes", "box"),
            ("children", "child"),
        ] {
            assert_eq!(singular(many), one);
        }
    }

    #[test]
    fn letters_start_is_the_char_by_char_reading() {
        for t in [
            "Mr. Lee works 2.5 hours! How much?",
            "Zoë and José. Dr. Müller etc. I.",
            "Straße1. ÉA.b Ωmega? 日本語. x",
            "",
            ".",
            "a",
        ] {
            for pos in (0..=t.len()).filter(|&p| t.is_char_boundary(p)) {
                assert_eq!(
                    letters_start(t, pos),
                    letters_before(t, pos),
                    "{t:?} at {pos}"
                );
            }
        }
    }

    #[test]
    fn is_plural_reads_the_last_word_as_rsplit_gives_it() {
        let by_rsplit = |phrase: &str| {
            let last = phrase.rsplit(' ').next().unwrap_or("");
            is_plural(last)
        };
        for p in [
            "",
            " ",
            "boxes",
            "the red boxes",
            "many children",
            "a glass",
            "tons ",
            "crêpes ünd naïve cafés",
            "two  bus",
            "x is",
        ] {
            assert_eq!(is_plural(p), by_rsplit(p), "{p:?}");
        }
        assert!(is_plural("the red boxes"));
        assert!(!is_plural("tons "));
    }

    /// [`sentences`] read char by char, each tested for a mark: what skipping to the next
    /// mark must give.
    fn sentences_char_by_char(text: &str) -> Vec<(usize, usize)> {
        // (Room for a problem's few sentences made at once.)
        let mut out = Vec::with_capacity(8);
        let mut start: Option<usize> = None;
        // The text is walked char by char at byte positions (nothing allocated): `pos` is the
        // current char's start.
        // An ASCII byte is its char; anything else is decoded.
        let bytes = text.as_bytes();
        let char_at = |at: usize| match bytes.get(at) {
            Some(&b) if b < 0x80 => Some(b as char),
            Some(_) => text.get(at..).and_then(|t| t.chars().next()),
            None => None,
        };
        let mut pos = 0;
        while let Some(c) = char_at(pos) {
            let next = pos + c.len_utf8();
            if start.is_none() {
                if c.is_whitespace() {
                    pos = next;
                    continue;
                }
                start = Some(pos);
            }
            if matches!(c, '.' | '?' | '!') {
                // Past the closing quotes and brackets.
                let mut j = next;
                while let Some(d) = char_at(j).filter(|d| matches!(d, '"' | '\'' | ')' | '”' | '’'))
                {
                    j += d.len_utf8();
                }
                let at_end = char_at(j).is_none_or(char::is_whitespace);
                // (Only a mark at the end of a sentence is looked at for an abbreviation.)
                let abbreviation = at_end && c == '.' && abbreviation_at(text, pos, j);
                if at_end && !abbreviation {
                    if let Some(s) = start.take() {
                        out.push((s, j));
                    }
                    pos = j;
                    continue;
                }
            }
            // Inside a sentence only `.`, `?` and `!` matter: on to the next one (ASCII bytes,
            // so never inside another char's encoding). (The search stops at a `/` or `>` too,
            // which is read as any other char, and the search goes on past it.)
            pos = next;
        }
        if let Some(s) = start {
            let end = text.trim_end().len().max(s);
            if end > s {
                out.push((s, end));
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn sentences_are_the_sentences_read_char_by_char(
            t in "(Mr|Dr|A|a|x|Ann|etc|sq|ft| |  |\\.|\\?|!|/|>|\"|'|\\)|”|’|é|3|,|\n){0,30}",
        ) {
            proptest::prop_assert_eq!(sentences(&t), sentences_char_by_char(&t));
        }
    }

    /// The first mark (or `/` or `>`) at or after `from`, byte by byte: what [`next_mark`]
    /// must find.
    fn next_mark_by_bytes(bytes: &[u8], from: usize) -> usize {
        bytes
            .get(from..)
            .and_then(|rest| {
                rest.iter()
                    .position(|b| matches!(b, b'.' | b'?' | b'!' | b'/' | b'>'))
            })
            .map_or(bytes.len(), |k| from + k)
    }

    #[test]
    fn next_mark_is_the_first_mark() {
        let text = "Ann has 3.5 kg! Does she? Yes… “No.” !?.. \u{2e}\u{ff}\u{80}/-,> @ 3/4 a>b";
        let bytes = text.as_bytes();
        for from in 0..=bytes.len() + 2 {
            assert_eq!(
                next_mark(bytes, from),
                next_mark_by_bytes(bytes, from),
                "{from}"
            );
        }
        // Every byte, in every place of an eight-byte chunk.
        for b in 0..=255u8 {
            for at in 0..17 {
                let mut v = vec![b'x'; 17];
                v[at] = b;
                assert_eq!(next_mark(&v, 0), next_mark_by_bytes(&v, 0), "{b} {at}");
                assert_eq!(next_mark(&v, 1), next_mark_by_bytes(&v, 1), "{b} {at}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn next_mark_is_the_byte_by_byte_search(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(b'.'),
                    proptest::strategy::Just(b'?'),
                    proptest::strategy::Just(b'!'),
                    proptest::strategy::Just(b'/'),
                    proptest::strategy::Just(b'>'),
                    proptest::num::u8::ANY,
                ],
                0..40,
            ),
            from in 0usize..44,
        ) {
            proptest::prop_assert_eq!(next_mark(&bytes, from), next_mark_by_bytes(&bytes, from));
        }
    }
}
