//! What the words code reads of a question text alone, read once per text: its sentences
//! (and the question sentence cut in two at `If X, how …?`), the numbers it writes, and what
//! comparisons work out of it (the people it does not name, its only person, its questions'
//! words). Every [`super::Context`] of the same question shares one [`Reading`]: an original
//! and all its variants keep their question, so the curriculum's check, each variant's
//! offline text and each worked solution read it once between them.
//!
//! Each part is a pure function of the text, so sharing changes no result; the last few texts
//! are kept per thread and a text is found again by comparing it in full.

use std::rc::Rc;

use super::compare::CastParts;
use super::english::{pick_variable, sentences};
use super::split_question;
use crate::text_numbers::{find_numbers_once, Mention};

/// What is read of one question text.
pub(super) struct Reading {
    /// The sentences ([`sentences`]) as byte ranges.
    pub(super) sentences: Vec<(usize, usize)>,
    /// The same sentences with the question sentence cut at the comma of `If X, how …?`,
    /// when it is cut (else empty: [`Reading::cut`] gives the sentences themselves).
    split_sentences: Vec<(usize, usize)>,
    /// Index of the question sentence in [`Reading::cut`].
    pub(super) qi: usize,
    /// `If X, how many …?` cut in two: the byte of the comma and where the question starts.
    pub(super) split: Option<(usize, usize)>,
    /// [`find_numbers`](crate::text_numbers::find_numbers) mentions by start.
    pub(super) found: Found,
    /// What comparisons work out of the text, filled as they are asked for.
    pub(super) cast: Rc<CastParts>,
    /// The letter an inversion names its unknown with ([`pick_variable`]), when asked for.
    variable: std::cell::OnceCell<String>,
    /// Whether the text writes a `$` and its question sentence asks `how much`, when asked
    /// for ([`Reading::asks_how_much_with_dollars`]).
    how_much: std::cell::OnceCell<bool>,
}

impl Reading {
    /// Reads `q`, read once or kept ([`reading_once`], [`reading_of`]): its numbers are
    /// found without a copy for [`find_numbers`](crate::text_numbers::find_numbers)' memo, which would serve no one else.
    fn new(q: &str) -> Reading {
        let sentences = sentences(q);
        let qi = sentences
            .iter()
            // (A sentence that ends with its `?` holds one: nearly every question sentence,
            // found without a search.)
            .rposition(|&(s, e)| {
                q.get(s..e)
                    .is_some_and(|t| t.ends_with('?') || t.contains('?'))
            })
            .unwrap_or(sentences.len().saturating_sub(1));
        let mut qi = qi;
        let split = sentences
            .get(qi)
            .and_then(|&(s, e)| split_question(q, s, e));
        // (Most questions are not cut: their sentences are not copied.)
        let mut split_sentences = Vec::new();
        if let Some((comma, qstart)) = split {
            split_sentences = sentences.clone();
            let (s, e) = split_sentences[qi];
            split_sentences.splice(qi..=qi, [(s, comma + 1), (qstart, e)]);
            qi += 1;
        }
        Reading {
            sentences,
            split_sentences,
            qi,
            split,
            found: Found::new(find_numbers_once(q)),
            cast: Rc::default(),
            variable: std::cell::OnceCell::new(),
            how_much: std::cell::OnceCell::new(),
        }
    }

    /// Whether `q` (the text read) writes a `$` and its question sentence (the whole text
    /// when it has none) asks `how much`, in any ASCII case.
    pub(super) fn asks_how_much_with_dollars(&self, q: &str) -> bool {
        *self.how_much.get_or_init(|| {
            let (qs, qe) = self.cut().get(self.qi).copied().unwrap_or((0, q.len()));
            q.contains('$')
                && q.get(qs..qe).is_some_and(|s| {
                    // Tried only where `ho` is, any case ([`super::next_pair`]).
                    let b = s.as_bytes();
                    let mut from = 0;
                    while let Some(i) = super::next_pair(b, from, b'h', b'o') {
                        if b.get(i..i + 8)
                            .is_some_and(|w| w.eq_ignore_ascii_case(b"how much"))
                        {
                            return true;
                        }
                        from = i + 1;
                    }
                    false
                })
        })
    }

    /// The sentences ([`sentences`]) as byte ranges, with the question sentence cut at the
    /// comma of `If X, how …?`.
    pub(super) fn cut(&self) -> &[(usize, usize)] {
        if self.split.is_some() {
            &self.split_sentences
        } else {
            &self.sentences
        }
    }

    /// Where the question sentence (`cut()[qi]`) starts and ends in the text read.
    pub(super) fn question(&self) -> (usize, usize) {
        self.cut()[self.qi]
    }

    /// The letter an inversion names its unknown with in `q` (the text read).
    pub(super) fn variable(&self, q: &str) -> &str {
        self.variable.get_or_init(|| pick_variable(q))
    }
}

/// The numbers a text writes ([`find_numbers`](crate::text_numbers::find_numbers)), looked up by the byte each starts at: kept
/// in text order (mentions never overlap, so their starts rise), found by a binary search.
pub(crate) struct Found(Vec<Mention>);

impl Found {
    /// The mentions `found` as [`find_numbers`](crate::text_numbers::find_numbers) gives them (in text order).
    pub(crate) fn new(mut found: Vec<Mention>) -> Found {
        // Already sorted; kept sorted for the search whatever the order given.
        found.sort_by_key(|m| m.span.start);
        Found(found)
    }

    /// Every mention, in text order (what [`find_numbers`](crate::text_numbers::find_numbers) gave).
    pub(crate) fn all(&self) -> &[Mention] {
        &self.0
    }

    /// The mention starting at byte `start`, if one does.
    pub(crate) fn get(&self, start: &usize) -> Option<&Mention> {
        self.0
            .binary_search_by_key(start, |m| m.span.start as usize)
            .ok()
            .map(|i| &self.0[i])
    }
}

/// How many texts' readings a thread keeps.
const KEPT: usize = 4;

std::thread_local! {
    /// The readings of the last few texts, most recent last.
    static READINGS: std::cell::RefCell<Vec<(Box<str>, Rc<Reading>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Empties this thread's [`READINGS`].
pub(super) fn clear_memo() {
    READINGS.with(|m| m.borrow_mut().clear());
}

/// The reading of `q` kept on this thread, if one is.
fn kept(q: &str) -> Option<Rc<Reading>> {
    READINGS.with(|m| {
        m.borrow()
            .iter()
            .rev()
            .find(|(t, _)| **t == *q)
            .map(|(_, r)| Rc::clone(r))
    })
}

/// [`reading_of`] for a text read once: the kept reading when there is one, else its own
/// reading, not kept (no copy of the text is made for the memo).
pub(super) fn reading_once(q: &str) -> Rc<Reading> {
    kept(q).unwrap_or_else(|| Rc::new(Reading::new(q)))
}

/// The reading of `q`, shared with every other reader of the same text on this thread.
pub(super) fn reading_of(q: &str) -> Rc<Reading> {
    if let Some(r) = kept(q) {
        return r;
    }
    let r = Rc::new(Reading::new(q));
    READINGS.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() == KEPT {
            m.remove(0);
        }
        m.push((q.into(), Rc::clone(&r)));
    });
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text_numbers::find_numbers;

    #[test]
    fn found_numbers_are_looked_up_by_their_start() {
        let q = "Ann buys 3 pens at $1.50, twice as many pads and a dozen cards; 2/3 are red.";
        let all = find_numbers(q);
        let by_start: std::collections::BTreeMap<usize, Mention> =
            all.iter().map(|m| (m.span.start as usize, *m)).collect();
        let found = Found::new(all);
        assert_eq!(found.0.len(), by_start.len());
        assert!(found.0.len() >= 4);
        for at in 0..=q.len() + 1 {
            assert_eq!(found.get(&at), by_start.get(&at), "byte {at}");
        }
    }

    #[test]
    fn a_shared_reading_is_the_reading_of_the_text() {
        let q = "Tom has 3 boxes. If he gives away 2, how many boxes does he have left?";
        let r = reading_of(q);
        assert_eq!(r.sentences, sentences(q));
        // The question is cut at its comma.
        assert_eq!(r.cut().len(), r.sentences.len() + 1);
        assert_eq!(r.qi, 2);
        assert!(r.split.is_some());
        assert_eq!(r.found.0.len(), find_numbers(q).len());
        assert_eq!(r.variable(q), pick_variable(q));
        // The same text again: the same reading; another text: its own.
        assert!(Rc::ptr_eq(&r, &reading_of(q)));
        let other = reading_of("Ann has 5 pens. How many pens does Ann have?");
        assert!(!Rc::ptr_eq(&r, &other));
        assert_eq!(other.split, None);
        assert_eq!(other.qi, 1);
        // Read once: the kept reading, or one of its own that is not kept.
        assert!(Rc::ptr_eq(&r, &reading_once(q)));
        let once = "Bo has 2 cats. How many cats does Bo have?";
        let first = reading_once(once);
        assert_eq!(first.sentences, sentences(once));
        assert!(!Rc::ptr_eq(&first, &reading_once(once)));
        // Whether it asks how much with dollars: its question sentence, any ASCII case.
        for (t, asks) in [
            ("Ann has $5. HOW MUCH does she have?", true),
            ("Ann has $5. How many does she have? how much", false),
            ("Ann has 5. How much does she have?", false),
            ("Ann has $5, and how MucH does she have?", true),
            ("$1 hohow much", true),
        ] {
            let r = reading_of(t);
            assert_eq!(r.asks_how_much_with_dollars(t), asks, "{t}");
            let (s, e) = r.question();
            assert_eq!(
                t.contains('$') && t[s..e].to_ascii_lowercase().contains("how much"),
                asks,
                "{t}"
            );
        }
    }
}
