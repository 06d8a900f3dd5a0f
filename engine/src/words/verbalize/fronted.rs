//! Steps whose solution sentence opens with what they are for, a part its name drops: "For 15
//! truckloads, they will need 15 * 2 = 30 bags of gravel" is named "the number of bags of
//! gravel they will need", which a reader cannot tell from the 2 bags each truckload uses. A
//! change told by such a name ("48 more bags of gravel") leaves the reader guessing which.

use super::english::{is_number_word, singular};
use super::names::word_slices;

/// Words that open a sentence with what it is for ("For 15 truckloads,", "In the final 40
/// seconds,", "After 3 weeks,").
const OPENERS: &[&str] = &[
    "for",
    "in",
    "after",
    "over",
    "during",
    "at",
    "with",
    "from",
    "on",
    "within",
    "across",
    "by",
    "throughout",
];

/// Words of such an opening that say nothing of what it is for (besides the [`OPENERS`]).
const EMPTY: &[&str] = &[
    "the",
    "a",
    "an",
    "of",
    "each",
    "every",
    "next",
    "first",
    "last",
    "other",
    "final",
    "remaining",
    "those",
    "these",
    "that",
    "this",
    "his",
    "her",
    "their",
    "its",
    "all",
    "more",
    "another",
    "same",
];

/// Whether step sentence `text` opens with what the step is for ("For 15 truckloads,"), with a
/// number in it, and the quantity's name `phrase` writes none of that opening's words.
pub(super) fn drops_opening(text: &str, phrase: &str) -> bool {
    let text = text.trim_start();
    let Some(comma) = text.get(..text.len().min(80)).and_then(|t| t.find(',')) else {
        return false;
    };
    let opening = &text[..comma];
    if opening.contains(['=', '<']) {
        return false;
    }
    let mut words = word_slices(opening);
    if !words
        .next()
        .is_some_and(|w| OPENERS.iter().any(|o| o.eq_ignore_ascii_case(w)))
    {
        return false;
    }
    let (mut numbered, mut content) = (false, Vec::new());
    for w in words {
        if is_number_word(w) {
            numbered = true;
        } else if !EMPTY
            .iter()
            .chain(OPENERS)
            .any(|e| e.eq_ignore_ascii_case(w))
        {
            content.push(singular(&w.to_ascii_lowercase()));
        }
    }
    if !numbered || content.is_empty() {
        return false;
    }
    let named: Vec<String> = word_slices(phrase)
        .map(|w| singular(&w.to_ascii_lowercase()))
        .collect();
    !content.iter().any(|c| named.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opening_the_name_drops() {
        let gravel = "For 15 truckloads, they will need 15 * 2 = <<15*2=30>>30 bags of gravel.";
        assert!(drops_opening(
            gravel,
            "the number of bags of gravel they will need"
        ));
        // A name that keeps what it is for.
        assert!(!drops_opening(
            gravel,
            "the number of bags of gravel they will need for the truckloads"
        ));
        assert!(!drops_opening(
            "In 5 years, Cori's aunt will be 8 x 3 = <<8*3=24>>24 years old.",
            "Cori's aunt's age in 5 years"
        ));
        // Openings with no number, or no opening at all.
        assert!(!drops_opening(
            "For the rest, he pays 3 * 2 = <<3*2=6>>6 dollars.",
            "the money he pays"
        ));
        assert!(!drops_opening(
            "They will need 3 * 5 = <<3*5=15>>15 truckloads, in all.",
            "the number of truckloads they will need"
        ));
        // A calculation before the comma is not an opening.
        assert!(!drops_opening(
            "For 3 * 5 = <<3*5=15>>15, that is it.",
            "the number"
        ));
    }

    /// The gravel the road needs is not changed in words; the gravel each truckload uses
    /// still is. (GSM8K's own problem has "five times as many" bags as barrels, which its
    /// solution's "30 / 5" reads as the 5 miles left: nothing there is changed at all, see
    /// `a_number_word_read_as_a_step_leaves_nothing_sayable`. Six times here.)
    #[test]
    fn the_roads_gravel_is_not_changed_in_words() {
        let g = crate::gsm8k::extract(
            "A roadwork company is paving a newly constructed 16-mile road. They use a mixture of pitch and gravel to make the asphalt to pave the road. Each truckloads of asphalt uses two bags of gravel and six times as many bags of gravel as it does barrels of pitch to make. It takes three truckloads of asphalt to pave each mile of road. The company paved 4 miles of road on one day, then one mile less than double that on the second day. How many barrels of pitch will the company need to finish the remaining road on the third day?",
            "On the second day, the company paved 4 * 2 - 1 = <<4*2-1=7>>7 miles.\nThe company has 16 - 7 - 4 = <<16-7-4=5>>5 miles of road remaining to pave.\nThey will need 3 * 5 = <<3*5=15>>15 truckloads of asphalt to pave 5 miles of road.\nFor 15 truckloads, they will need 15 * 2 = <<15*2=30>>30 bags of gravel.\nThus, the company will need 30 / 6 = <<30/6=5>>5 barrels of pitch to finish the road on the third day.\n#### 5",
        )
        .unwrap()
        .graph;
        let sayable = super::super::Sayable::new(&g);
        let by_value = |v: i128| {
            g.ids()
                .find(|&id| g.value(id) == crate::Number::int(v) && g.node(id).text.is_some())
                .unwrap()
        };
        assert!(!sayable.can_graft(&g, by_value(30)));
        // The second day's miles (its sentence opens "On the second day," with no number
        // but the ordinal word) stay changeable.
        assert!(sayable.can_graft(&g, by_value(7)));
    }
}
