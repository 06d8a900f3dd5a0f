//! Numbers written in the style of the original question: digits, words, money, fractions.

use crate::mentions::Mention;
use crate::number::Number;
use crate::text_numbers::{find_numbers, MentionKind};

// ---------------------------------------------------------------------------------------------
// Numbers in the style of the original

/// A value as digits: integers plainly, terminating decimals, else `p/q`.
pub(super) fn plain(v: Number) -> String {
    v.to_string()
}

/// A money amount: whole dollars plainly, else with cents (`2.50`).
pub(super) fn money_digits(v: Number) -> String {
    if v.is_integer() {
        return v.to_string();
    }
    match v.to_decimal_string() {
        Some(s) => {
            let decimals = s.split('.').nth(1).map_or(0, str::len);
            if decimals == 1 {
                format!("{s}0")
            } else {
                s
            }
        }
        None => v.to_string(),
    }
}

/// `1234567` → `1,234,567` (the sign and any fraction part kept).
pub(super) fn group_thousands(s: &str) -> String {
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", s),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    if !int.chars().all(|c| c.is_ascii_digit()) {
        return s.to_string();
    }
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// `v` written like the digits `written` (`1,200`, `18.00`), money with cents when needed.
pub(super) fn digits_like(written: &str, v: Number, money: bool) -> String {
    let decimals = written.split('.').nth(1).map_or(0, str::len);
    let mut s = match v.to_decimal_string() {
        Some(s) => s,
        None => return v.to_string(),
    };
    let have = s.split('.').nth(1).map_or(0, str::len);
    let want = if money && have > 0 { 2 } else { decimals };
    if have < want {
        if have == 0 {
            s.push('.');
        }
        s.push_str(&"0".repeat(want - have));
    }
    if written.contains(',') {
        s = group_thousands(&s);
    }
    s
}

pub(super) const UNITS: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
pub(super) const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];

/// An integer in words where words read well (0–100, round hundreds and thousands).
pub(super) fn cardinal_words(n: i128) -> Option<String> {
    match n {
        0..=19 => Some(UNITS[n as usize].to_string()),
        20..=99 => {
            let t = TENS[(n / 10) as usize];
            Some(if n % 10 == 0 {
                t.to_string()
            } else {
                format!("{t}-{}", UNITS[(n % 10) as usize])
            })
        }
        100..=900 if n % 100 == 0 => Some(format!("{} hundred", UNITS[(n / 100) as usize])),
        1000..=9000 if n % 1000 == 0 => Some(format!("{} thousand", UNITS[(n / 1000) as usize])),
        _ => None,
    }
}

/// `third`, `quarter`, … for denominators 3–10.
pub(super) fn ordinal(d: i128) -> Option<&'static str> {
    Some(match d {
        3 => "third",
        4 => "quarter",
        5 => "fifth",
        6 => "sixth",
        7 => "seventh",
        8 => "eighth",
        9 => "ninth",
        10 => "tenth",
        _ => return None,
    })
}

/// A fraction in words (`half`, `a third`, `two-thirds`), or `None` when words read badly.
pub(super) fn fraction_words(f: Number, article: bool) -> Option<String> {
    if f.is_integer() {
        return f.to_integer().and_then(cardinal_words);
    }
    let (p, d) = (f.numer(), f.denom());
    if p == 1 && d == 2 {
        return Some(if article { "a half" } else { "half" }.to_string());
    }
    if p == 1 {
        return ordinal(d).map(|o| format!("a {o}"));
    }
    if (2..=19).contains(&p) {
        let o = if d == 2 { Some("half") } else { ordinal(d) }?;
        let plural = if o == "half" {
            "halves".to_string()
        } else {
            format!("{o}s")
        };
        return Some(format!("{}-{plural}", UNITS[p as usize]));
    }
    None
}

/// How a number word works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum WordClass {
    /// `three`, `a dozen`, `two and a half`.
    Cardinal,
    /// `half`, `a quarter`, `two-thirds`.
    Fraction,
    /// `twice`, `thrice`.
    Times,
    /// `double`, `tripled`, `quadrupling`.
    Verb,
    /// `pair`, `couple`.
    Pair,
}

pub(super) fn word_class(w: &str) -> WordClass {
    let lw = w.to_ascii_lowercase();
    let last = lw.rsplit([' ', '-']).next().unwrap_or("");
    if lw.ends_with("and a half") {
        return WordClass::Cardinal;
    }
    match last {
        "half" | "halves" | "third" | "thirds" | "quarter" | "quarters" | "fourth" | "fourths"
        | "fifth" | "fifths" | "sixth" | "sixths" | "seventh" | "sevenths" | "eighth"
        | "eighths" | "ninth" | "ninths" | "tenth" | "tenths" => WordClass::Fraction,
        "twice" | "thrice" => WordClass::Times,
        "pair" | "couple" => WordClass::Pair,
        _ if last.starts_with("doubl")
            || last.starts_with("tripl")
            || last.starts_with("quadrupl") =>
        {
            WordClass::Verb
        }
        _ => WordClass::Cardinal,
    }
}

/// Copies the case of the first letter of `like` onto `s`.
pub(super) fn same_case(like: &str, s: String) -> String {
    if like.starts_with(|c: char| c.is_uppercase()) {
        let mut cs = s.chars();
        match cs.next() {
            Some(c) => c.to_uppercase().chain(cs).collect(),
            None => s,
        }
    } else {
        s
    }
}

/// The written parts of a fraction mention (`3/4` → 3 and 4, `half` → 1 and 2), when it has
/// them.
pub(super) fn written_parts(f: &crate::text_numbers::Mention) -> Option<(Number, Number)> {
    let vals = f.values();
    let whole = vals.first()?;
    match vals.len() {
        3 => Some((vals[1], vals[2])),
        2 if f.kind == MentionKind::Word && whole.numer() == 1 && vals[1].is_integer() => {
            Some((Number::ONE, vals[1]))
        }
        _ => {
            (!whole.is_integer()).then(|| (Number::int(whole.numer()), Number::int(whole.denom())))
        }
    }
}

/// A fraction mention rewritten after `changes` (reading → new value), a part or the whole.
pub(super) fn fraction_rewrite(
    written: &str,
    f: &crate::text_numbers::Mention,
    changes: &[(Number, Number)],
) -> Option<String> {
    let whole = f.primary();
    let (mut p, mut d) = written_parts(f)?;
    let mut whole_new = None;
    for &(reading, new) in changes {
        if reading == p && reading != whole {
            p = new;
        } else if reading == d && reading != whole {
            d = new;
        } else {
            whole_new = Some(new);
        }
    }
    let article = {
        let lw = written.to_ascii_lowercase();
        lw.starts_with("a ") || lw.starts_with("an ")
    };
    if let Some(new) = whole_new {
        return Some(if f.kind == MentionKind::Word {
            same_case(
                written,
                fraction_words(new, article).unwrap_or_else(|| fraction_digits(new, written)),
            )
        } else {
            fraction_digits(new, written)
        });
    }
    let (pi, di) = (p.to_integer()?, d.to_integer()?);
    if di == 0 {
        return None;
    }
    if f.kind == MentionKind::Word {
        if let Some(w) = fraction_part_words(pi, di, article) {
            return Some(same_case(written, w));
        }
    }
    Some(format!("{pi}/{di}"))
}

/// `p/d` in words as written, not reduced (`three-ninths`), when words read well.
pub(super) fn fraction_part_words(p: i128, d: i128, article: bool) -> Option<String> {
    if d == 1 {
        // `one as many` reads badly: digits (`1/1`) instead.
        return (p > 1).then(|| cardinal_words(p)).flatten();
    }
    if p == 1 {
        return if d == 2 {
            Some(if article { "a half" } else { "half" }.to_string())
        } else {
            ordinal(d).map(|o| format!("a {o}"))
        };
    }
    if (2..=19).contains(&p) {
        let o = if d == 2 { Some("half") } else { ordinal(d) }?;
        let plural = if o == "half" {
            "halves".to_string()
        } else {
            format!("{o}s")
        };
        return Some(format!("{}-{plural}", UNITS[p as usize]));
    }
    None
}

/// The replacement that writes the new values of `changes` (reading as written → new value)
/// where mention `m` writes them, in the style of the original; returns the byte range to
/// replace (sometimes wider than the mention) and its text.
pub(super) fn restyle(
    q: &str,
    found: &super::reading::Found,
    m: &Mention,
    changes: &[(Number, Number)],
) -> (usize, usize, String) {
    let Some(&(old, new)) = changes.last() else {
        return (
            m.start,
            m.end,
            q.get(m.start..m.end).unwrap_or("").to_string(),
        );
    };
    let written = q.get(m.start..m.end).unwrap_or("");
    let f = found.get(&m.start);
    let kind = f.map_or(MentionKind::Digits, |f| f.kind);
    let money = kind == MentionKind::Money || q.get(..m.start).is_some_and(|b| b.ends_with('$'));
    let fallback = || digits_like(written, new, money);
    let fraction = |f: &crate::text_numbers::Mention| fraction_rewrite(written, f, changes);
    let (start, end, text) = match (kind, f) {
        (MentionKind::Digits | MentionKind::Money, _) | (_, None) => (m.start, m.end, fallback()),
        (MentionKind::Percent, Some(f)) => {
            let scaled = if f.primary() == old {
                new
            } else {
                new.mul(Number::int(100)).unwrap_or(new)
            };
            (m.start, m.end, digits_like(written, scaled, false))
        }
        (MentionKind::Fraction, Some(f)) => (
            m.start,
            m.end,
            fraction(f).unwrap_or_else(|| fraction_digits(new, written)),
        ),
        (MentionKind::Word, Some(f)) => {
            if word_class(written) == WordClass::Fraction {
                match fraction(f) {
                    Some(t) => (m.start, m.end, t),
                    None => (m.start, m.end, fallback()),
                }
            } else {
                word_like(q, m, old, new).unwrap_or((m.start, m.end, fallback()))
            }
        }
    };
    // The replacement must read back as every new value; else plain digits.
    if changes
        .iter()
        .all(|&(_, n)| reads_as(q, start, end, &text, n))
    {
        (start, end, text)
    } else {
        (m.start, m.end, plain(new))
    }
}

/// Whether `text` put at `start..end` of `q` is read as a number meaning `v`.
pub(super) fn reads_as(q: &str, start: usize, end: usize, text: &str, v: Number) -> bool {
    let before: String = q
        .get(..start)
        .unwrap_or("")
        .chars()
        .rev()
        .take(12)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let after: String = q.get(end..).unwrap_or("").chars().take(24).collect();
    let s = format!("{before}{text}{after}");
    let (a, b) = (before.len(), before.len() + text.len());
    find_numbers(&s).iter().any(|m| {
        let (ms, me) = (m.span.start as usize, m.span.end as usize);
        ms < b && a < me && m.means(v)
    })
}

/// A value as a digit fraction in the style of `written` (`3/4`, `1 1/2`).
pub(super) fn fraction_digits(v: Number, written: &str) -> String {
    if v.is_integer() || v.denom() > 1_000_000 {
        return plain(v);
    }
    let mixed = written.contains(' ');
    let (p, d) = (v.numer(), v.denom());
    if mixed && p > d && !v.is_negative() {
        let w = p / d;
        format!("{w} {}/{d}", p - w * d)
    } else {
        format!("{p}/{d}")
    }
}

/// A number word rewritten: `three` → `five`, `twice` → `three times`, `half` → `a third`.
pub(super) fn word_like(
    q: &str,
    m: &Mention,
    old: Number,
    new: Number,
) -> Option<(usize, usize, String)> {
    let written = q.get(m.start..m.end)?;
    let lw = written.to_ascii_lowercase();
    let article = lw.starts_with("a ") || lw.starts_with("an ");
    let int = new.to_integer().filter(|n| *n >= 0);
    match word_class(written) {
        WordClass::Cardinal => {
            if lw.ends_with("and a half") {
                let whole = new.sub(Number::ratio(1, 2).ok()?).ok()?;
                let base = if old.is_integer() { new } else { whole };
                let w = cardinal_words(base.to_integer()?)?;
                return Some((
                    m.start,
                    m.end,
                    same_case(written, format!("{w} and a half")),
                ));
            }
            let n = int?;
            let w = if n == 100 && article {
                "a hundred".to_string()
            } else if n == 12 && lw.contains("dozen") {
                written.to_string()
            } else {
                cardinal_words(n)?
            };
            Some((m.start, m.end, same_case(written, w)))
        }
        WordClass::Fraction => None,
        WordClass::Times => {
            let n = int?;
            let w = match n {
                2 => "twice".to_string(),
                _ => format!(
                    "{} times",
                    cardinal_words(n).unwrap_or_else(|| n.to_string())
                ),
            };
            Some((m.start, m.end, same_case(written, w)))
        }
        WordClass::Verb => {
            let n = int?;
            let last = lw.rsplit(' ').next().unwrap_or("");
            let suffix = ["ing", "ed", "es", "e"]
                .into_iter()
                .find(|s| last.ends_with(s))
                .unwrap_or("");
            let base = match n {
                2 => "doubl",
                3 => "tripl",
                4 => "quadrupl",
                _ => {
                    let grow = match suffix {
                        "ing" => "growing",
                        "ed" => "grew",
                        "es" => "grows",
                        _ => "grow",
                    };
                    return Some((
                        m.start,
                        m.end,
                        same_case(written, format!("{grow} {n}-fold")),
                    ));
                }
            };
            Some((
                m.start,
                m.end,
                same_case(written, format!("{base}{suffix}")),
            ))
        }
        WordClass::Pair => {
            let n = int?;
            let before = q.get(..m.start)?;
            let word = if lw.contains("couple") {
                "couple"
            } else {
                "pair"
            };
            let w = cardinal_words(n).unwrap_or_else(|| n.to_string());
            for art in ["a ", "A "] {
                if before.ends_with(art) {
                    let s = m.start - 2;
                    let after = q.get(m.end..).unwrap_or("");
                    if word == "couple" && after.starts_with(" of ") {
                        return Some((s, m.end + 3, same_case(art, w)));
                    }
                    return Some((s, m.end, same_case(art, format!("{w} {word}s"))));
                }
            }
            Some((m.start, m.end, w))
        }
    }
}

/// The replacement that writes the variable `var` where mention `m` writes the inverted input.
pub(super) fn variable_style(
    q: &str,
    found: &super::reading::Found,
    m: &Mention,
    reading: Number,
    var: &str,
) -> (usize, usize, String) {
    let written = q.get(m.start..m.end).unwrap_or("");
    let f = found.get(&m.start);
    let kind = f.map_or(MentionKind::Digits, |f| f.kind);
    let parts = f.and_then(written_parts);
    let whole = f.map_or(reading, |f| f.primary());
    let (mut start, end, text) = match kind {
        MentionKind::Fraction => match (parts, written.split_once('/')) {
            (Some((p, _)), Some((_, b))) if reading == p && reading != whole => {
                (m.start, m.end, format!("{var}/{b}"))
            }
            (Some((_, d)), Some((a, _))) if reading == d && reading != whole => {
                (m.start, m.end, format!("{a}/{var}"))
            }
            _ => (m.start, m.end, var.to_string()),
        },
        MentionKind::Word => match word_class(written) {
            WordClass::Times => (m.start, m.end, format!("{var} times")),
            WordClass::Verb => {
                let lw = written.to_ascii_lowercase();
                let grow = if lw.ends_with("ing") {
                    "growing"
                } else if lw.ends_with("ed") {
                    "grew"
                } else if lw.ends_with("es") {
                    "grows"
                } else {
                    "grow"
                };
                (m.start, m.end, format!("{grow} {var}-fold"))
            }
            WordClass::Fraction => match parts {
                _ if reading == whole => (m.start, m.end, format!("a fraction {var}")),
                Some((p, d)) if reading == d => {
                    let p = p
                        .to_integer()
                        .and_then(cardinal_words)
                        .unwrap_or_else(|| p.to_string());
                    (m.start, m.end, format!("{p} {var}-th"))
                }
                Some((_, d)) => {
                    let w = d
                        .to_integer()
                        .and_then(|d| fraction_part_words(2, d, false))
                        .and_then(|w| w.split_once('-').map(|(_, o)| o.to_string()))
                        .unwrap_or_else(|| format!("parts of {d}"));
                    (m.start, m.end, format!("{var} {w}"))
                }
                None => (m.start, m.end, var.to_string()),
            },
            WordClass::Pair => {
                let before = q.get(..m.start).unwrap_or("");
                let after = q.get(m.end..).unwrap_or("");
                let word = if written.to_ascii_lowercase().contains("couple") {
                    "couple"
                } else {
                    "pair"
                };
                if before.ends_with("a ") || before.ends_with("A ") {
                    if word == "couple" && after.starts_with(" of ") {
                        (m.start - 2, m.end + 3, var.to_string())
                    } else {
                        (m.start - 2, m.end, format!("{var} {word}s"))
                    }
                } else {
                    (m.start, m.end, var.to_string())
                }
            }
            WordClass::Cardinal => (m.start, m.end, var.to_string()),
        },
        _ => (m.start, m.end, var.to_string()),
    };
    // `4th` → `x-th`.
    let (end, text) = match q.get(end..) {
        Some(rest) if !text.contains(' ') => {
            let suffix: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            if matches!(suffix.as_str(), "st" | "nd" | "rd" | "th") {
                (end + 2, format!("{text}-th"))
            } else {
                (end, text)
            }
        }
        _ => (end, text),
    };
    // `a x-page letter` → `an x-page letter` (x, n and m start with a vowel sound).
    let mut text = text;
    if start == m.start && matches!(var, "x" | "n" | "m") {
        let before = q.get(..start).unwrap_or("");
        for (art, an) in [(" a ", " an "), (" A ", " An ")] {
            if before.ends_with(art) || before == art.trim_start() {
                let cut = if before == art.trim_start() {
                    before.len()
                } else {
                    art.len() - 1
                };
                start -= cut;
                text = format!("{}{text}", an.trim_start());
                break;
            }
        }
    }
    (start, end, text)
}
