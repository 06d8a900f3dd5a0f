//! Amounts per something the question states more than once: "She can place 3 photos each on
//! the first 10 pages. Then she can place 4 photos each on the next 10 pages. … how many photos
//! can she place on each page?" A person compared with her ("Zara can place 5 times as many
//! photos on each page as Alyssa") is then compared with one of several amounts, and the text
//! does not say which.

use super::english::{is_number_word, singular};
use super::names::word_slices;

/// Words after which the thing an amount is counted per comes ("on each page", "per day").
const PER: &[&str] = &["each", "per", "every"];

/// Words between [`PER`] and the thing ("each of the remaining pages").
const SKIPPED: &[&str] = &["of", "the", "a", "an", "one", "remaining", "other", "next"];

/// Whether word `w` is noun `base` (a singular in lower case) or its plural, in any ASCII
/// case (`Pages` is `page`). Only words that could be a form of it are put to [`singular`].
fn is_form(w: &str, base: &str) -> bool {
    let (wb, bb) = (w.as_bytes(), base.as_bytes());
    if wb.eq_ignore_ascii_case(bb) {
        return true;
    }
    // A plural keeps the first letter and is at most one letter shorter ("mice", "mouse")
    // or three longer ("boxes", "berries").
    wb.len() + 1 >= bb.len()
        && wb.len() <= bb.len() + 3
        && wb
            .first()
            .zip(bb.first())
            .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
        && singular(&w.to_ascii_lowercase()) == base
}

/// The thing question sentence `question` asks an amount of ("photos" in "how many photos
/// can she place on each page?") and what it is counted per ("page"), both singular in lower
/// case, when it asks for an amount per something.
fn asked_per(question: &str) -> Option<(String, String)> {
    // Most questions ask for no amount per anything: a [`PER`] word is looked for first, a
    // byte at a time, only where a word starts with `e` or `p`.
    let b = question.as_bytes();
    let per_at = |i: usize| {
        PER.iter().any(|p| {
            let p = p.as_bytes();
            b.get(i..i + p.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(p))
                && b.get(i + p.len()).is_none_or(|c| !c.is_ascii_alphabetic())
        })
    };
    if !(0..b.len()).any(|i| {
        matches!(b[i] | 0x20, b'e' | b'p')
            && (i == 0 || !b[i - 1].is_ascii_alphabetic())
            && per_at(i)
    }) {
        return None;
    }
    let (mut noun, mut unit) = (None, None);
    // The two words before each word, and whether a [`PER`] word came before it.
    let (mut w1, mut w2, mut per) = ("", "", false);
    for w in word_slices(question) {
        if noun.is_none()
            && w2.eq_ignore_ascii_case("how")
            && (w1.eq_ignore_ascii_case("many") || w1.eq_ignore_ascii_case("much"))
        {
            noun = Some(w);
        }
        if per && unit.is_none() && !SKIPPED.iter().any(|s| s.eq_ignore_ascii_case(w)) {
            unit = Some(w);
        }
        per |= PER.iter().any(|p| p.eq_ignore_ascii_case(w));
        (w2, w1) = (w1, w);
    }
    let base = |w: &str| singular(&w.to_ascii_lowercase());
    Some((base(noun?), base(unit?)))
}

/// Whether the amount question sentence `question` asks for per something is one that the
/// sentences before it, `before`, already state other amounts of per the same thing: a
/// sentence writes a number of the asked-for things and names what they are counted per ("3
/// photos each on the first 10 pages" before "how many photos … on each page?").
pub(super) fn asked_rate_varies<'a>(
    mut before: impl Iterator<Item = &'a str>,
    question: &str,
) -> bool {
    let Some((noun, unit)) = asked_per(question) else {
        return false;
    };
    before.any(|sentence| {
        let (mut counts, mut per_unit, mut prev) = (false, false, "");
        for w in word_slices(sentence) {
            counts = counts || is_form(w, &noun) && is_number_word(prev);
            per_unit = per_unit || is_form(w, &unit);
            prev = w;
        }
        counts && per_unit
    })
}

/// Things an amount is stated per ("$18.00 an hour", "3 miles a day").
const RATE_UNITS: &[&str] = &["hour", "day", "week", "month", "year", "minute"];

/// Words before a subject and its verb in a question ("How much money does she make?").
const AUXILIARIES: &[&str] = &[
    "does", "did", "do", "will", "would", "can", "could", "should", "must",
];

/// Whether the question sentence `question` asks for a total ("How much money does she
/// make?") of what a sentence of `before` states per something with the question's own verb
/// ("Tina makes $18.00 an hour"): a person compared with her ("Yuki makes a fifth as much as
/// Tina") could be compared with either amount.
pub(super) fn asked_total_of_a_rate<'a>(
    mut before: impl Iterator<Item = &'a str>,
    question: &str,
) -> bool {
    // Whether `a` then `b` says "per something" ("an hour", "per day").
    let per = |a: &str, b: &str| {
        ["a", "an", "per", "each", "every"]
            .iter()
            .any(|p| a.eq_ignore_ascii_case(p))
            && RATE_UNITS
                .iter()
                .any(|u| b.eq_ignore_ascii_case(u) || singular(&b.to_ascii_lowercase()) == *u)
    };
    // The question read once: its last three words, whether the third from the end is an
    // auxiliary ("does she make?"), and whether it asks per something (which says which).
    let (mut last, mut count, mut rated) = (["", "", ""], 0usize, false);
    for w in word_slices(question) {
        rated = rated || per(last[2], w);
        last = [last[1], last[2], w];
        count += 1;
    }
    // The verb, after a subject of one word ("she", "Tina"), ends the question: "How many
    // cookies can he eat in 3 months?" says what a person compared with him eats ("Kofi can
    // eat half as many cookies in 3 months as Theo").
    // (The subject: a pronoun or a name.)
    let subject = ["he", "she", "they", "it", "we", "you", "i"]
        .iter()
        .any(|p| last[1].eq_ignore_ascii_case(p))
        || last[1].starts_with(|c: char| c.is_ascii_uppercase());
    if rated
        || count < 3
        || !subject
        || !AUXILIARIES.iter().any(|a| last[0].eq_ignore_ascii_case(a))
    {
        return false;
    }
    let v = last[2].trim_end_matches(['?', '.']).to_ascii_lowercase();
    if v.len() < 3 || !v.bytes().all(|c| c.is_ascii_lowercase()) {
        return false;
    }
    let forms = [
        v.clone(),
        format!("{v}s"),
        format!("{v}es"),
        super::names::past(&v),
    ];
    before.any(|sentence| {
        let (mut verb, mut rate, mut prev) = (false, false, "");
        for w in word_slices(sentence) {
            verb = verb || forms.iter().any(|f| w.eq_ignore_ascii_case(f));
            rate = rate || per(prev, w);
            prev = w;
        }
        verb && rate && sentence.bytes().any(|c| c.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALYSSA: &str = "Alyssa took 100 photos on vacation. She wants to put them in a photo album with 30 pages. She can place 3 photos each on the first 10 pages. Then she can place 4 photos each on the next 10 pages. If she wants to put an equal number of photos on each of the remaining pages of the album, how many photos can she place on each page?";

    #[test]
    fn a_total_asked_of_what_is_stated_per_hour_is_known() {
        let before = [
            "Tina makes $18.00 an hour.",
            "She works 10 hours every day for 5 days.",
        ];
        assert!(asked_total_of_a_rate(
            before.iter().copied(),
            "How much money does she make?"
        ));
        // Asked per hour, or stated as a total: no two readings.
        assert!(!asked_total_of_a_rate(
            before.iter().copied(),
            "How much money does she make an hour?"
        ));
        assert!(!asked_total_of_a_rate(
            ["Tina made $90 last week."].into_iter(),
            "How much money does she make?"
        ));
    }

    #[test]
    fn the_asked_for_amount_and_what_it_is_per() {
        assert_eq!(
            asked_per("how many photos can she place on each page?"),
            Some(("photo".into(), "page".into()))
        );
        assert_eq!(
            asked_per("How much money does he save per week?"),
            Some(("money".into(), "week".into()))
        );
        assert_eq!(asked_per("How many photos does she have?"), None);
    }

    /// [`asked_rate_varies`] of the sentences of `before`.
    fn varies(before: &str, question: &str) -> bool {
        let sentences = super::super::english::sentences(before);
        asked_rate_varies(sentences.iter().map(|&(s, e)| &before[s..e]), question)
    }

    #[test]
    fn several_amounts_per_the_same_thing_vary() {
        let q = ALYSSA.find("how many").unwrap();
        assert!(varies(&ALYSSA[..q], &ALYSSA[q..]));
        // Amounts of the same things per something else do not.
        assert!(!varies(
            "Lena's 3 cats eat 2 cans a day each. ",
            "How many cans does she need per week?"
        ));
        // Nor amounts of other things per the same thing.
        assert!(!varies(
            "The album has 30 pages and 10 stickers on each page. ",
            "How many photos can she place on each page?"
        ));
    }

    /// Alyssa's pages hold 3, 4 and then some photos each: a change to the answer is not
    /// told as a person compared with her, in any curriculum's text.
    #[test]
    fn alyssa_is_not_compared() {
        let g = crate::gsm8k::extract(
            ALYSSA,
            "There are 3 x 10 = <<3*10=30>>30 photos in total that can be placed in the first 10 pages.\nThere are 4 x 10 = <<4*10=40>>40 photos in total that can be placed in the next 10 pages.\nA total of 10 + 10 = <<10+10=20>>20 pages of the album have been used.\nA total of 30 + 40 = <<30+40=70>>70 photos can be placed on those 20 pages.\nSo there are still 100 - 70 = <<100-70=30>>30 photos left to be placed on the album.\nAnd there are 30 - 20 = <<30-20=10>>10 pages left in the album.\nTherefore, 30/10 = <<30/10=3>>3 photos can be placed on each of the pages.\n#### 3",
        )
        .unwrap()
        .graph;
        assert!(!super::super::Sayable::new(&g).comparable());
        let mut answers_changed = 0;
        for seed in 0..12 {
            let cfg = crate::curriculum::CurriculumConfig {
                rounds: 3,
                per_problem: 1,
                seed,
                ..Default::default()
            };
            for chain in crate::curriculum::generate(&g, "alyssa", &cfg).unwrap() {
                for v in &chain.variants {
                    let text = super::super::offline(&g, &v.operations).unwrap().text;
                    assert!(!text.contains("as Alyssa"), "seed {seed}: {text}");
                    assert!(!text.contains("than Alyssa"), "seed {seed}: {text}");
                    answers_changed +=
                        (v.graph.value(v.graph.answer()) != g.value(g.answer())) as usize;
                }
            }
        }
        assert!(answers_changed > 0);
    }
}
