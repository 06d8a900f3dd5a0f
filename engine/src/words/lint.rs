//! The offline well-posedness lint: what a careful reader would trip over in a variant's text.
//!
//! Offline checks (exact execution, text ↔ graph numbers) cannot see whether the wording makes
//! sense. [`lint`] looks for the defects an independent solver named in issue #11, each with
//! the byte span of the text that caused it and a message that says what, where and how to fix:
//!
//! - [`LintKind::ChangeBeforeQuantity`]: a sentence states a change ("goes up by", "becomes 4
//!   times as large", "is doubled", "5 more apples are added", …) to a quantity whose head noun
//!   no earlier text introduces ("After that, the number of cards goes down by 16." as the
//!   first sentence; "the number of hours" when only minutes were mentioned before).
//! - [`LintKind::UnknownName`]: the changed quantity is named with a raw identifier
//!   (`eggs_left`, `eggsLeft`, `apples2`), with garbled words (a verb, a function word, a bare
//!   unit or a comparative used as the noun: "the find", "the hence kg", "the year younger",
//!   "the number of total number oranges"), or with content words found in neither the rest of
//!   the text, nor the worked solution, nor the original question.
//! - [`LintKind::QuestionContradicts`]: the asked-for quantity was changed (the variant's answer
//!   is a proxy of the original answer) but the final question asks as if nothing changed (no
//!   "now", "new", "after", "then", "in the end", …); or a later sentence restates a count of a
//!   changed quantity from before the change ("2 more pies are added" … "set the five pies
//!   out").
//! - [`LintKind::UnnaturalValue`]: against the original graph, a value that was whole is now
//!   fractional, one that was non-negative is now negative, money in cents now has more than two
//!   decimals; and numbers written in the text with long decimals.
//!
//! The lint is deliberately conservative on well-written text: it only reads sentences that
//! state a change with one of the phrasings above, so the original GSM8K questions (linted
//! against themselves) almost never trip it (see `engine/tests/lint.rs`).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::graph::{Graph, NodeId, NodeKind, Span};
use crate::number::Number;
use crate::text_numbers::{find_numbers, MentionKind};

/// The kind of defect the lint found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LintKind {
    /// A change is stated before the quantity it changes is introduced.
    ChangeBeforeQuantity,
    /// A quantity is named with words found in neither the text nor the solution (or a raw
    /// identifier).
    UnknownName,
    /// The question (or a later sentence) contradicts a stated change.
    QuestionContradicts,
    /// A value is unnatural: a fractional or negative count, money not in cents.
    UnnaturalValue,
}

impl LintKind {
    /// Every kind, in a stable order.
    pub const ALL: [LintKind; 4] = [
        LintKind::ChangeBeforeQuantity,
        LintKind::UnknownName,
        LintKind::QuestionContradicts,
        LintKind::UnnaturalValue,
    ];

    /// The snake_case name (as serialised).
    pub fn as_str(self) -> &'static str {
        match self {
            LintKind::ChangeBeforeQuantity => "change_before_quantity",
            LintKind::UnknownName => "unknown_name",
            LintKind::QuestionContradicts => "question_contradicts",
            LintKind::UnnaturalValue => "unnatural_value",
        }
    }

    /// A short reason in words, for summaries ("a change before its quantity").
    pub fn reason(self) -> &'static str {
        match self {
            LintKind::ChangeBeforeQuantity => "a change before its quantity is introduced",
            LintKind::UnknownName => "a quantity named with unknown or garbled words",
            LintKind::QuestionContradicts => "a question or sentence that contradicts a change",
            LintKind::UnnaturalValue => "an unnatural value",
        }
    }
}

/// One defect, with the part of the text that caused it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LintFinding {
    /// What kind of defect.
    pub kind: LintKind,
    /// The complaint in words: what, where, how to fix.
    pub message: String,
    /// The byte range of the text it is about, when it is about one place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

/// Lints `text` (and its worked `solution`, when there is one) written for `variant`, an
/// intervened copy of `original`. An empty result means no defect was found; see the module
/// documentation for what each finding means.
pub fn lint(
    original: &Graph,
    variant: &Graph,
    text: &str,
    solution: Option<&str>,
) -> Vec<LintFinding> {
    let mut out = Vec::new();
    let words = tokenize(text);
    let sentences = sentences(text);
    let mut known: HashSet<String> = HashSet::new();
    for src in [solution, original.question()].into_iter().flatten() {
        for w in tokenize(src) {
            known.insert(stem(&w.lower));
        }
    }
    // A quantity the question only implies is named in the solution's words: it counts as
    // introduced once the story has begun.
    let solved: HashSet<String> = solution
        .map(|s| tokenize(s).into_iter().map(|w| stem(&w.lower)).collect())
        .unwrap_or_default();
    let mut changes: Vec<Change> = Vec::new();
    for s in &sentences {
        for c in find_changes(text, &words, *s) {
            check_change(text, &words, &known, &solved, &c, &mut out);
            changes.push(c);
        }
    }
    restated_counts(text, &words, &changes, &mut out);
    question_after_change(original, variant, text, &sentences, &mut out);
    unnatural_values(original, variant, text, &mut out);
    long_decimals(text, &mut out);
    out.sort_by_key(|f| f.span.map_or((u32::MAX, 0), |s| (s.start, s.end)));
    out.dedup();
    out
}

// ---------------------------------------------------------------------------------------------
// Words and sentences.

/// A word of the text: letters, digits, apostrophes, underscores (raw identifiers stay one
/// word), with its byte range.
#[derive(Debug, Clone)]
struct Word {
    start: usize,
    end: usize,
    raw: String,
    lower: String,
}

fn tokenize(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start = None;
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '\'' || c == '’';
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (start, is_word(c)) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                let raw = text[s..i].trim_matches(|c| c == '\'' || c == '’');
                if !raw.is_empty() {
                    let off = text[s..i].find(raw).unwrap_or(0);
                    let lower = raw
                        .to_lowercase()
                        .trim_end_matches("'s")
                        .trim_end_matches("’s")
                        .to_string();
                    out.push(Word {
                        start: s + off,
                        end: s + off + raw.len(),
                        raw: raw.to_string(),
                        lower,
                    });
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// Byte ranges of the sentences: cut after `.`, `?` or `!` followed by white space (or the
/// end), except after common abbreviations and inside numbers.
fn sentences(text: &str) -> Vec<(usize, usize)> {
    const ABBREV: [&str; 10] = ["mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "etc", "no"];
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..b.len() {
        if !matches!(b[i], b'.' | b'?' | b'!') {
            continue;
        }
        let next_ws = i + 1 >= b.len() || b[i + 1].is_ascii_whitespace() || b[i + 1] == b'"';
        if !next_ws {
            continue;
        }
        if b[i] == b'.' {
            let before = &text[start..i];
            let last = before
                .rsplit(|c: char| !c.is_alphabetic())
                .next()
                .unwrap_or("")
                .to_lowercase();
            if ABBREV.contains(&last.as_str()) {
                continue;
            }
        }
        out.push((start, i + 1));
        start = i + 1;
    }
    if !text[start..].trim().is_empty() {
        out.push((start, text.len()));
    }
    out
}

/// A crude stem: lower case, no possessive, plural `-s`/`-es` removed, and a final consonant +
/// `y` written `ie`, so that `candy`/`candies` and `cookie`/`cookies` meet.
fn stem(w: &str) -> String {
    let s = plain_stem(w);
    let b = s.as_bytes();
    if b.len() > 2 && b[b.len() - 1] == b'y' && !b"aeiou".contains(&b[b.len() - 2]) {
        return format!("{}ie", &s[..s.len() - 1]);
    }
    s
}

fn plain_stem(w: &str) -> String {
    let w = w.trim_end_matches("'s").trim_end_matches("’s");
    if w.len() > 4
        && (w.ends_with("ches") || w.ends_with("shes") || w.ends_with("xes") || w.ends_with("sses"))
    {
        return w[..w.len() - 2].to_string();
    }
    if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") {
        return w[..w.len() - 1].to_string();
    }
    w.to_string()
}

/// Words that never carry a quantity's name.
const FUNCTION: &[&str] = &[
    "the", "a", "an", "of", "his", "her", "their", "its", "this", "that", "these", "those", "each",
    "every", "all", "and", "or", "to", "in", "on", "at", "for", "from", "with", "by", "per", "she",
    "he", "they", "it", "we", "i", "you", "has", "have", "had", "is", "are", "was", "were", "be",
    "some", "any", "my", "our", "your", "them", "him", "there", "what", "how", "much", "many",
    "total", "number", "amount", "new", "now", "then", "after", "before", "up", "down", "as",
    "than",
];

/// Words that begin a relative clause or a prepositional phrase after a noun.
const NP_END: &[&str] = &[
    "there",
    "she",
    "he",
    "they",
    "it",
    "we",
    "i",
    "you",
    "that",
    "which",
    "who",
    "whom",
    "whose",
    "in",
    "on",
    "at",
    "for",
    "from",
    "with",
    "per",
    "to",
    "after",
    "before",
    "by",
    "when",
    "if",
    "since",
    "during",
    "into",
    "than",
    "as",
    "over",
    "under",
    "about",
    "while",
    "has",
    "have",
    "had",
    "will",
    "would",
    "can",
    "could",
    "does",
    "did",
    "is",
    "are",
    "was",
    "were",
    "also",
    "been",
    "every",
    "each",
    "got",
    "gets",
    "get",
    "the",
    "a",
    "an",
    "his",
    "her",
    "their",
    "suddenly",
    "recently",
    "only",
    "still",
    "just",
    "quickly",
    "slowly",
    "gradually",
    "eventually",
    "finally",
    "immediately",
    "soon",
    "again",
    "left",
    "remaining",
];

/// Words after which a change's subject starts (a subordinate clause or a verb of knowing).
const SUBORD: &[&str] = &[
    "if", "that", "when", "whenever", "because", "since", "while", "where", "until", "once",
    "though", "although", "realized", "realizes", "noticed", "notices", "found", "finds",
    "learned", "learns", "saw", "sees", "knew", "knows", "out",
];

/// Verbs, adverbs and function words that turn up as nouns in garbled names (often from
/// program identifiers or solution sentences).
const GARBLE: &[&str] = &[
    "subtract",
    "subtracted",
    "subtracting",
    "add",
    "adding",
    "find",
    "finding",
    "calculate",
    "calculated",
    "compute",
    "computed",
    "multiply",
    "multiplied",
    "divide",
    "hence",
    "therefore",
    "thus",
    "so",
    "equals",
    "equal",
    "minus",
    "plus",
    "times",
    "split",
    "get",
    "gets",
    "got",
    "calc",
    "tmp",
    "temp",
    "var",
    "val",
    "result",
    "res",
    "ans",
    "answer",
    "solution",
    "step",
    "value",
];

/// Units that cannot stand alone as the name of a quantity ("the kg").
const BARE_UNITS: &[&str] = &[
    "kg", "g", "mg", "km", "m", "cm", "mm", "lb", "lbs", "oz", "ml", "l", "hr", "hrs", "min",
    "mins", "sec", "secs", "mph", "ft", "yd", "mi", "gal", "qt", "pt", "kph", "kmh",
];

/// Words for money that a text with amounts of money (`$2`) may use without stating them.
const MONEY_WORDS: &[&str] = &["price", "cost", "money", "fee", "charge", "total"];

/// Comparatives that cannot be a quantity's head noun ("the year younger").
const COMPARATIVES: &[&str] = &[
    "younger", "older", "more", "less", "fewer", "bigger", "smaller", "larger", "taller",
    "shorter", "longer", "faster", "slower", "cheaper", "higher", "lower", "heavier", "lighter",
    "greater", "further", "farther", "earlier", "later", "richer", "poorer",
];

/// Heads that say only "a quantity": another content word must pin the quantity down.
const GENERIC: &[&str] = &[
    "amount", "number", "total", "count", "sum", "value", "quantity", "result",
];

/// Leading words of a change sentence that only sequence it.
const MARKERS: &[&str] = &[
    "then",
    "after",
    "suppose",
    "instead",
    "that",
    "later",
    "next",
    "finally",
    "meanwhile",
    "and",
    "but",
    "so",
    "now",
    "also",
    "afterwards",
    "afterward",
    "on",
    "top",
    "of",
    "this",
    "in",
    "the",
    "end",
];

// ---------------------------------------------------------------------------------------------
// Change sentences.

/// A stated change: the words naming the changed quantity, and the change phrase.
#[derive(Debug, Clone)]
struct Change {
    /// Index (in the word list) of the first and one past the last subject word.
    subject: (usize, usize),
    /// Byte range of the whole clause.
    clause: (usize, usize),
    /// The head noun's stem, when the subject names one (not a pronoun).
    head: Option<String>,
    /// Stems of the subject's content words.
    content: Vec<String>,
}

/// Whether a change phrase starts at word `i` (the sentence's words end before `end`), and if
/// so how many words it takes: "goes up by", "increases by 3", "rises to a third", "becomes 4
/// times as large", "is doubled", "is divided by 2", "is cut to a third", and a bare "doubles"
/// at the end of a clause. The subject is what comes before.
fn change_at(text: &str, words: &[Word], i: usize, end: usize) -> Option<usize> {
    let w = |k: usize| {
        words
            .get(i + k)
            .filter(|_| i + k < end)
            .map(|w| w.lower.as_str())
    };
    let num = |k: usize| w(k).is_some_and(is_number_word);
    let be = |k: usize| matches!(w(k), Some("is" | "are" | "was" | "were" | "gets" | "get"));
    match w(0)? {
        "goes" | "go" | "went" | "moves" => {
            matches!(w(1), Some("up" | "down")).then_some(())?;
            (w(2) == Some("by")).then_some(3)
        }
        "climbs" | "rises" | "falls" | "drops" | "jumps" | "rose" | "fell" | "dropped"
        | "jumped" => (matches!(w(1), Some("by" | "to"))
            && (num(2) || matches!(w(2), Some("a" | "half"))))
        .then_some(2),
        "doubles" | "triples" | "quadruples" | "halves" | "doubled" | "tripled" | "halved"
        | "quadrupled" => {
            // Only the intransitive use ends the clause: "her savings double." / "…, and then";
            // not a noun ("a few are doubles", "into halves").
            let prev = i.checked_sub(1).map(|p| words[p].lower.as_str());
            if matches!(
                prev,
                Some(
                    "is" | "are"
                        | "was"
                        | "were"
                        | "a"
                        | "the"
                        | "into"
                        | "in"
                        | "of"
                        | "two"
                        | "both"
                        | "some"
                        | "its"
                        | "their"
                )
            ) {
                return None;
            }
            let next = words.get(i + 1).filter(|_| i + 1 < end);
            let ends = match next {
                None => true,
                Some(n) => {
                    let between = &text[words[i].end..n.start];
                    between.contains([',', ';', '.'])
                        || matches!(n.lower.as_str(), "and" | "then" | "again")
                }
            };
            ends.then_some(1)
        }
        "increases" | "decreases" | "increased" | "decreased" | "grows" | "shrinks" => {
            (w(1) == Some("by") && (num(2) || w(2) == Some("a"))).then_some(2)
        }
        "becomes" | "become" => {
            // becomes N times as large / N times larger / half as large
            let t = (1..4).find(|&k| matches!(w(k), Some("times" | "half" | "third" | "quarter")));
            t.map(|k| k + 1)
        }
        _ if be(0) => match w(1)? {
            "doubled" | "tripled" | "trebled" | "quadrupled" | "halved" => Some(2),
            "divided" | "multiplied" if w(2) == Some("by") && num(3) => Some(3),
            "cut" | "reduced" | "increased" | "decreased" | "raised" | "lowered"
                if matches!(w(2), Some("to" | "by")) && (num(3) || w(3) == Some("a")) =>
            {
                Some(3)
            }
            _ => None,
        },
        _ => None,
    }
}

fn is_number_word(w: &str) -> bool {
    w.chars().all(|c| c.is_ascii_digit())
        || matches!(
            w,
            "one"
                | "two"
                | "three"
                | "four"
                | "five"
                | "six"
                | "seven"
                | "eight"
                | "nine"
                | "ten"
                | "eleven"
                | "twelve"
                | "twenty"
                | "thirty"
                | "forty"
                | "fifty"
                | "hundred"
                | "half"
                | "third"
                | "quarter"
                | "dozen"
        )
}

/// The change clauses of one sentence.
fn find_changes(text: &str, words: &[Word], (s0, s1): (usize, usize)) -> Vec<Change> {
    let idx: Vec<usize> = (0..words.len())
        .filter(|&k| words[k].start >= s0 && words[k].end <= s1)
        .collect();
    let (Some(&first), Some(&last)) = (idx.first(), idx.last()) else {
        return Vec::new();
    };
    let end = last + 1;
    let mut out = Vec::new();
    // Clause starts: the sentence start, and after a comma, semicolon or "and".
    let clause_start = |k: usize| -> usize {
        let mut j = k;
        while j > first {
            let between = &text[words[j - 1].end..words[j].start];
            if between.contains(',') || between.contains(';') || words[j - 1].lower == "and" {
                break;
            }
            j -= 1;
        }
        j
    };
    let mut skip_to = first;
    for k in first..end {
        if k < skip_to {
            continue;
        }
        let Some(len) = change_at(text, words, k, end) else {
            // "N more X are added" / "N fewer X": subject after the number.
            if let Some(c) = more_fewer(text, words, k, first, end) {
                out.push(c);
            }
            continue;
        };
        skip_to = k + len;
        let mut a = clause_start(k);
        while a < k && MARKERS.contains(&words[a].lower.as_str()) && !is_subject_start(words, a, k)
        {
            a += 1;
        }
        // "After 1 year it grows by 15%": the subject is the pronoun.
        if k > a && is_pronoun(&words[k - 1].lower) && words[k - 1].lower != "that" {
            a = k - 1;
        }
        if let Some(j) = (a..k)
            .rev()
            .find(|&j| SUBORD.contains(&words[j].lower.as_str()))
        {
            // "that number increases": the demonstrative is the subject, not a conjunction.
            if !(words[j].lower == "that" && j + 1 < k && words[j + 1].lower == "number") {
                a = j + 1;
            }
        }
        let (head, content) = head_of(words, a, k);
        out.push(Change {
            subject: (a, k),
            clause: (words[a.min(k)].start, words[k].end),
            head,
            content,
        });
    }
    out
}

/// Whether the subject starts at word `a` (a determiner "the" after the markers is the start:
/// "After that, the number …", but "in the end" is a marker).
fn is_subject_start(words: &[Word], a: usize, k: usize) -> bool {
    words[a].lower == "the"
        && !(a > 0
            && words[a - 1].lower == "in"
            && words.get(a + 1).is_some_and(|w| w.lower == "end"))
        && a + 1 < k
}

/// "Then 5 more apples are added." / "3 fewer people come.": only with a verb of adding or
/// removing, or in a sentence that starts with a sequencing marker.
fn more_fewer(text: &str, words: &[Word], k: usize, first: usize, end: usize) -> Option<Change> {
    if !matches!(words[k].lower.as_str(), "more" | "fewer") || k == first || k + 1 >= end {
        return None;
    }
    if !is_number_word(&words[k - 1].lower) {
        return None;
    }
    // The noun phrase after "more": up to the verb.
    let mut j = k + 1;
    while j < end
        && !matches!(
            words[j].lower.as_str(),
            "are"
                | "is"
                | "were"
                | "was"
                | "get"
                | "gets"
                | "join"
                | "joins"
                | "arrive"
                | "arrives"
                | "come"
                | "comes"
                | "leave"
                | "leaves"
                | "than"
                | "came"
                | "joined"
                | "arrived"
                | "left"
                | "went"
        )
        && !NP_END.contains(&words[j].lower.as_str())
        && !(words[j].lower.len() > 4
            && (words[j].lower.ends_with("ing") || words[j].lower.ends_with("ed")))
        && !text[words[j - 1].end..words[j].start].contains([',', ';'])
    {
        j += 1;
    }
    let verb = words.get(j).map(|w| w.lower.as_str()).filter(|_| j < end);
    let added = matches!(verb, Some("are" | "is" | "were" | "was" | "get" | "gets"))
        && words.get(j + 1).is_some_and(|w| {
            matches!(
                w.lower.as_str(),
                "added"
                    | "removed"
                    | "taken"
                    | "bought"
                    | "made"
                    | "baked"
                    | "sold"
                    | "given"
                    | "used"
                    | "eaten"
                    | "lost"
                    | "found"
                    | "picked"
            )
        });
    let arrive = matches!(
        verb,
        Some(
            "join"
                | "joins"
                | "arrive"
                | "arrives"
                | "come"
                | "comes"
                | "leave"
                | "leaves"
                | "came"
                | "joined"
                | "arrived"
                | "left"
                | "went"
        )
    );
    let sequenced = matches!(
        words[first].lower.as_str(),
        "then" | "after" | "later" | "next"
    );
    if verb == Some("than") || !(added || arrive || sequenced) || j == k + 1 {
        return None;
    }
    let _ = text;
    let (head, content) = head_of(words, k + 1, j);
    Some(Change {
        subject: (k + 1, j),
        clause: (words[k - 1].start, words[(j).min(end - 1)].end),
        head,
        content,
    })
}

/// The head noun and content words of the subject `words[a..b]`.
fn head_of(words: &[Word], a: usize, b: usize) -> (Option<String>, Vec<String>) {
    let np = noun_phrase(words, a, b);
    let content: Vec<String> = np
        .iter()
        .map(|&k| words[k].lower.as_str())
        .filter(|w| !FUNCTION.contains(w))
        .map(stem)
        .collect();
    let head = np.last().map(|&k| words[k].lower.clone());
    let demonstrative = np.len() == 2
        && matches!(words[np[0]].lower.as_str(), "that" | "this" | "the")
        && GENERIC.contains(&words[np[1]].lower.as_str());
    match head.as_deref() {
        None => (None, content),
        Some(h) if is_pronoun(h) || demonstrative => (None, Vec::new()),
        Some(h) => (Some(stem(h)), content),
    }
}

/// The word indices of the noun phrase that names the quantity in `words[a..b]`: after "the
/// number of" and the like, without determiners, up to a relative clause.
fn noun_phrase(words: &[Word], a: usize, b: usize) -> Vec<usize> {
    let mut s = a;
    // "the number of X", "the amount of X": the quantity is X.
    if let Some(of) = (a..b).find(|&k| words[k].lower == "of") {
        if of > a && GENERIC.contains(&words[of - 1].lower.as_str()) {
            s = of + 1;
        }
    }
    while s < b
        && matches!(
            words[s].lower.as_str(),
            "the" | "a" | "an" | "his" | "her" | "their" | "its"
        )
    {
        s += 1;
    }
    let mut e = s;
    while e < b
        && (e == s
            || !NP_END.contains(&words[e].lower.as_str())
            || (words[e - 1].lower == "of"
                && matches!(
                    words[e].lower.as_str(),
                    "each" | "every" | "the" | "a" | "an" | "his" | "her" | "their"
                )))
    {
        e += 1;
    }
    (s..e).collect()
}

fn is_pronoun(w: &str) -> bool {
    matches!(
        w,
        "it" | "they" | "this" | "that" | "these" | "those" | "he" | "she" | "them"
    )
}

fn is_raw_identifier(raw: &str) -> bool {
    let has_letter = raw.chars().any(|c| c.is_alphabetic());
    let underscore = raw.contains('_') && has_letter;
    let camel = raw
        .as_bytes()
        .windows(2)
        .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase());
    let glued = has_letter
        && raw.chars().any(|c| c.is_ascii_digit())
        && !is_ordinal_or_unit(&raw.to_lowercase());
    underscore || camel || glued
}

fn is_ordinal_or_unit(w: &str) -> bool {
    let letters = w.trim_start_matches(|c: char| c.is_ascii_digit());
    let digits = &w[..w.len() - letters.len()];
    !digits.is_empty()
        && letters.chars().all(|c| c.is_ascii_alphabetic())
        && (matches!(
            letters,
            "st" | "nd" | "rd" | "th" | "s" | "am" | "pm" | "x" | "d"
        ) || BARE_UNITS.contains(&letters))
}

fn span(a: usize, b: usize) -> Option<Span> {
    Some(Span {
        start: a as u32,
        end: b as u32,
    })
}

/// Checks one change clause: the name (UnknownName) and that it was introduced before
/// (ChangeBeforeQuantity).
fn check_change(
    text: &str,
    words: &[Word],
    known: &HashSet<String>,
    solved: &HashSet<String>,
    c: &Change,
    out: &mut Vec<LintFinding>,
) {
    let (a, b) = c.subject;
    let clause = &text[c.clause.0..c.clause.1];
    if a >= b {
        return;
    }
    let sub_span = (words[a].start, words[b - 1].end);
    let subject = &text[sub_span.0..sub_span.1];
    let np = noun_phrase(words, a, b);
    let np_words: Vec<&str> = np.iter().map(|&k| words[k].lower.as_str()).collect();
    // Garbled names.
    let mut garbled: Option<String> = None;
    if let Some(k) = (a..b).find(|&k| is_raw_identifier(&words[k].raw)) {
        garbled = Some(format!("the raw identifier `{}`", words[k].raw));
    } else if let Some(w) = np_words.iter().find(|w| {
        // "the number of times he sneezes" counts times: a noun there.
        GARBLE.contains(w)
            && !(**w == "times" && subject.to_lowercase().contains("number of times"))
    }) {
        garbled = Some(format!("\"{w}\", which is not a noun for a quantity"));
    } else if let Some(k) = (a + 1..b).find(|&k| {
        let w = &words[k];
        w.raw.starts_with(|c: char| c.is_ascii_uppercase())
            && [MARKERS, FUNCTION, NP_END, SUBORD]
                .iter()
                .any(|l| l.contains(&w.lower.as_str()))
            && !text[words[k - 1].end..w.start].contains(['.', '"', ':'])
    }) {
        garbled = Some(format!(
            "\"{}\", a sentence's first word pasted into the name",
            words[k].raw
        ));
    } else if (a..b).filter(|&k| words[k].lower == "number").count() >= 2
        || np_words.iter().skip(1).any(|w| *w == "number")
    {
        garbled = Some("\"number\" inside the name of a number".into());
    } else if np_words.len() == 1 && np_words[0] == "total" {
        garbled = Some("a bare \"total\" (the total of what?)".into());
    } else if let Some(h) = np_words.last() {
        if BARE_UNITS.contains(h) {
            garbled = Some(format!("the bare unit \"{h}\" used as a noun"));
        } else if COMPARATIVES.contains(h) {
            garbled = Some(format!("\"{h}\", a comparative, used as the noun"));
        }
    }
    if garbled.is_none() && c.head.is_some() {
        // Content words that appear nowhere else.
        let elsewhere: HashSet<String> = words
            .iter()
            .enumerate()
            .filter(|(k, _)| *k < a || *k >= b)
            .map(|(_, w)| stem(&w.lower))
            .collect();
        let money_text = text.contains('$') || text.contains("dollar");
        if let Some(w) = c.content.iter().find(|w| {
            !elsewhere.contains(*w)
                && !known.contains(*w)
                && !close_to_any(w, &elsewhere)
                && (!money_text || !MONEY_WORDS.contains(&w.as_str()))
        }) {
            garbled = Some(format!(
                "\"{w}\", a word found in neither the rest of the text, the solution nor the original question"
            ));
        }
    }
    if let Some(why) = garbled {
        out.push(LintFinding {
            kind: LintKind::UnknownName,
            message: format!(
                "\"{clause}\" names the changed quantity as \"{subject}\" with {why}; name it with \
                 the words the question uses for it (e.g. \"the number of eggs she has left\")"
            ),
            span: span(sub_span.0, sub_span.1),
        });
        return;
    }
    // Introduced before?
    let before: HashSet<String> = words
        .iter()
        .filter(|w| w.end <= sub_span.0)
        .map(|w| stem(&w.lower))
        .collect();
    let introduced = match &c.head {
        None => words.iter().any(|w| w.end <= sub_span.0),
        Some(h) if GENERIC.contains(&h.as_str()) || h == "average" => {
            c.content.is_empty() || c.content.iter().any(|w| close_to_any(w, &before))
        }
        // Money is introduced by any amount of it ("$6") or a word for paying.
        Some(h) if h == "money" => {
            text[..sub_span.0].contains('$')
                || [
                    "dollar", "cent", "cost", "price", "pay", "paid", "spend", "spent", "earn",
                    "save", "money", "charge",
                ]
                .iter()
                .any(|m| close_to_any(m, &before))
        }
        Some(h) => {
            close_to_any(h, &before)
                || (text[..c.clause.0].contains(['.', '?', '!']) && close_to_any(h, solved))
        }
    };
    if !introduced {
        let what = c.head.clone().unwrap_or_else(|| subject.to_string());
        out.push(LintFinding {
            kind: LintKind::ChangeBeforeQuantity,
            message: format!(
                "\"{clause}\" changes \"{subject}\", but no earlier sentence introduces any \
                 {what}; state the change after the sentence that gives that quantity, in the \
                 words it uses"
            ),
            span: span(sub_span.0, sub_span.1),
        });
    }
}

/// Whether `w` equals a word of `set`, up to a short inflection (`hour`/`hours`,
/// `bake`/`baked`).
fn close_to_any(w: &str, set: &HashSet<String>) -> bool {
    if set.contains(w) {
        return true;
    }
    w.len() >= 4
        && set.iter().any(|o| {
            o.len() >= 4 && (o.starts_with(w) || w.starts_with(o)) && o.len().abs_diff(w.len()) <= 2
        })
}

/// A later sentence that restates a count from before the change: "She bakes 5 pies. Then 2
/// more pies are added. She sets the five pies out."
fn restated_counts(text: &str, words: &[Word], changes: &[Change], out: &mut Vec<LintFinding>) {
    let nums = find_numbers(text);
    // (value, stem of the word right after it, byte range)
    let counted: Vec<(Number, String, usize, usize)> = nums
        .iter()
        .filter_map(|m| {
            let after = words
                .iter()
                .filter(|w| w.start >= m.span.end as usize)
                .take(2)
                .find(|w| !FUNCTION.contains(&w.lower.as_str()) || w.lower == "more")?;
            Some((
                m.primary(),
                stem(&after.lower),
                m.span.start as usize,
                after.end,
            ))
        })
        .collect();
    for c in changes {
        let Some(head) = &c.head else { continue };
        if GENERIC.contains(&head.as_str()) {
            continue;
        }
        let (cs, ce) = c.clause;
        let before: Vec<Number> = counted
            .iter()
            .filter(|(_, h, _, e)| *e <= cs && h == head)
            .map(|(v, ..)| *v)
            .collect();
        let Some(&old) = before.last() else { continue };
        // The sentence end after the change.
        let stop = text[ce..]
            .find(['.', '?', '!'])
            .map_or(text.len(), |p| ce + p);
        for (v, h, s, e) in &counted {
            if *s > stop && h == head && *v == old {
                let said = &text[*s..*e];
                out.push(LintFinding {
                    kind: LintKind::QuestionContradicts,
                    message: format!(
                        "\"{said}\" restates the count from before \"{}\"; after the change \
                         say the new count, or refer to them without a number",
                        &text[cs..ce]
                    ),
                    span: span(*s, *e),
                });
                break;
            }
        }
    }
}

/// The answer was grafted (the variant's answer is a proxy of the original answer), but the
/// final question does not ask for the changed quantity.
fn question_after_change(
    original: &Graph,
    variant: &Graph,
    text: &str,
    sentences: &[(usize, usize)],
    out: &mut Vec<LintFinding>,
) {
    if !answer_is_grafted(original, variant) {
        return;
    }
    // The changes asked of the answer itself ("Take that answer, add 5 to it. What number do
    // you get?", "Take that number of boxes, …") ask for the new value.
    if text.contains("Take that answer,")
        || text.contains("Take that number of ")
        || text.contains("Take that amount of money,")
    {
        return;
    }
    let Some(&(qs, qe)) = sentences
        .iter()
        .rev()
        .find(|(s, e)| text[*s..*e].trim_end().ends_with('?'))
        .or(sentences.last())
    else {
        return;
    };
    let q = text[qs..qe].to_lowercase();
    let qwords: Vec<String> = tokenize(&q).into_iter().map(|w| w.lower).collect();
    let has = |w: &str| qwords.iter().any(|x| x == w);
    let marked = [
        "now",
        "new",
        "after",
        "then",
        "finally",
        "afterwards",
        "changed",
        "changes",
    ]
    .iter()
    .any(|w| has(w))
        || asks_someone_new(original, &text[qs..qe])
        || q.contains("in the end")
        || q.contains("at the end")
        || q.contains("end up")
        || q.contains("ends up")
        // A follow-up ("If 3 more boxes were added to that, how many boxes would that be?")
        // asks for the changed value.
        || q.trim_start().starts_with("if ") && has("would");
    if !marked {
        let lead = text[qs..qe].trim_start();
        let off = qe - text[qs..qe].len() + (text[qs..qe].len() - lead.len());
        out.push(LintFinding {
            kind: LintKind::QuestionContradicts,
            message: format!(
                "the asked-for quantity is changed, but the question \"{}\" asks as if nothing \
                 changed; ask for the new value (e.g. \"How many … now?\")",
                lead.trim_end()
            ),
            span: span(off, qe),
        });
    }
}

/// Whether `question` asks about a person or place the original problem never names ("How
/// many cats does Lena have?" after "Lena has twice as many cats as Melanie.", "… in the
/// third library?"): the changed quantity belongs to someone new.
fn asks_someone_new(original: &Graph, question: &str) -> bool {
    let before = original.question().unwrap_or("");
    // "How many books are in the third library?" after "A third library has …".
    let ws: Vec<String> = question
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphabetic()).to_lowercase())
        .collect();
    let lower = before.to_lowercase();
    let ordinal = ws.windows(3).any(|w| {
        w[0] == "the"
            && matches!(
                w[1].as_str(),
                "second" | "third" | "fourth" | "fifth" | "sixth" | "seventh" | "eighth" | "ninth"
            )
            && !lower.contains(&w.join(" "))
    });
    ordinal
        || question.split_whitespace().skip(1).any(|w| {
            let w = w.trim_matches(|c: char| !c.is_alphabetic());
            w.len() > 1
                && w.starts_with(|c: char| c.is_uppercase())
                && w.chars().skip(1).all(|c| c.is_lowercase())
                && !before.contains(w)
        })
}

/// Whether the variant's answer is a chain of proxies over the original's answer node.
fn answer_is_grafted(original: &Graph, variant: &Graph) -> bool {
    let mut n = variant.answer();
    let mut grafted = false;
    for _ in 0..variant.len() {
        let node = variant.node(n);
        match (&node.kind, node.operands.first()) {
            (NodeKind::Proxy { .. }, Some(&base)) => {
                grafted = true;
                n = base;
            }
            _ => break,
        }
    }
    grafted
        && n == original.answer()
        && n.index() < original.len()
        && variant.node(n).name == original.node(n).name
}

/// The original node a variant node stands for: itself when the original has it under the same
/// name, the base of a proxy chain otherwise.
fn original_of(original: &Graph, variant: &Graph, id: NodeId) -> Option<NodeId> {
    let mut n = id;
    for _ in 0..variant.len() {
        if n.index() < original.len() && original.node(n).name == variant.node(n).name {
            return Some(n);
        }
        match (&variant.node(n).kind, variant.node(n).operands.first()) {
            (NodeKind::Proxy { .. }, Some(&base)) => n = base,
            _ => return None,
        }
    }
    None
}

fn decimals(v: Number) -> Option<usize> {
    v.to_decimal_string()
        .map(|s| s.split_once('.').map_or(0, |(_, d)| d.len()))
}

/// Values gone unnatural against the original: fractional counts, negative values, money past
/// cents.
fn unnatural_values(original: &Graph, variant: &Graph, text: &str, out: &mut Vec<LintFinding>) {
    let mentions = crate::mentions::link(original);
    let oq = original.question().unwrap_or("");
    let mut seen = HashSet::new();
    for &id in variant.order() {
        let Some(o) = original_of(original, variant, id) else {
            continue;
        };
        if matches!(variant.node(id).kind, NodeKind::Constant) {
            continue;
        }
        let (ov, nv) = (original.value(o), variant.value(id));
        if ov == nv {
            continue;
        }
        let name = &variant.node(id).name;
        let money = is_money(original, o, &mentions, oq);
        let why = if ov.is_integer() && !nv.is_integer() && !money {
            Some(format!("was whole ({ov}) and is now fractional ({nv})"))
        } else if !ov.is_negative() && nv.is_negative() {
            Some(format!(
                "was not negative ({ov}) and is now negative ({nv})"
            ))
        } else if money
            && decimals(ov).is_some_and(|d| d <= 2)
            && decimals(nv).is_none_or(|d| d > 2)
        {
            Some(format!(
                "is money in cents ({ov}) and is now {nv}, not a whole number of cents"
            ))
        } else {
            None
        };
        let Some(why) = why else { continue };
        if !seen.insert(o) {
            continue;
        }
        // Point at the value in the text when it is written there.
        let at = find_numbers(text)
            .into_iter()
            .find(|m| m.means(nv))
            .map(|m| m.span);
        out.push(LintFinding {
            kind: LintKind::UnnaturalValue,
            message: format!(
                "`{name}` {why}; choose a change that keeps it {}",
                if money {
                    "in whole cents"
                } else {
                    "a whole, non-negative number like the original"
                }
            ),
            span: at,
        });
    }
}

/// Whether the original node is money: its linked mention has a `$`, or its solution line does.
fn is_money(g: &Graph, id: NodeId, mentions: &[crate::mentions::Mention], q: &str) -> bool {
    let by_mention = mentions.iter().any(|m| {
        m.node == Some(id) && q[..m.start].trim_end().ends_with('$')
            || m.node == Some(id) && q[m.end..].trim_start().starts_with("dollar")
    });
    by_mention
        || g.node(id)
            .text
            .as_deref()
            .is_some_and(|t| t.contains('$') || t.contains("dollar") || t.contains("cents"))
}

/// Numbers written in the text with more than three decimals.
fn long_decimals(text: &str, out: &mut Vec<LintFinding>) {
    for m in find_numbers(text) {
        if !matches!(
            m.kind,
            MentionKind::Digits | MentionKind::Money | MentionKind::Percent
        ) {
            continue;
        }
        let s = &text[m.span.start as usize..m.span.end as usize];
        if let Some((_, d)) = s.split_once('.') {
            if d.len() > 3 {
                out.push(LintFinding {
                    kind: LintKind::UnnaturalValue,
                    message: format!(
                        "\"{s}\" has {} decimals; a word problem states whole numbers, money in \
                         cents or short decimals — choose a change that keeps values simple",
                        d.len()
                    ),
                    span: Some(m.span),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_sentences() {
        let t = "Mr. Smith has 3.5 kg of eggs_left. Then it is doubled! How many now?";
        let s = sentences(t);
        assert_eq!(s.len(), 3, "{s:?}");
        let w = tokenize(t);
        assert!(w.iter().any(|w| w.raw == "eggs_left"));
        assert_eq!(stem("hours"), "hour");
        assert_eq!(stem("pies"), "pie");
        assert_eq!(stem("boxes"), "box");
        assert!(is_raw_identifier("eggsLeft"));
        assert!(is_raw_identifier("apples2"));
        assert!(!is_raw_identifier("5th"));
        assert!(!is_raw_identifier("10kg"));
    }
}
