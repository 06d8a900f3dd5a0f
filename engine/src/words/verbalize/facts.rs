//! Facts of the world a question may state as numbers: how many of one unit make another
//! ("There are 8 ounces of water in a cup", "A foot has 12 inches"). Such a number is
//! knowledge, as a constant is, not an amount a story changes: "Suppose instead that the number
//! of ounces of water in a cup goes up by 4" asks a reader to unlearn a unit.

use crate::words::mentions::Mention;

/// How many of the first unit (as written after a count, plural) make one of the second (as
/// written after `a`, singular).
const CONVERSIONS: &[(&str, &str, i128)] = &[
    // Length.
    ("inches", "foot", 12),
    ("inches", "yard", 36),
    ("feet", "yard", 3),
    ("feet", "mile", 5280),
    ("yards", "mile", 1760),
    ("millimeters", "centimeter", 10),
    ("centimeters", "meter", 100),
    ("millimeters", "meter", 1000),
    ("meters", "kilometer", 1000),
    // Weight.
    ("ounces", "pound", 16),
    ("oz", "pound", 16),
    ("pounds", "ton", 2000),
    ("grams", "kilogram", 1000),
    ("milligrams", "gram", 1000),
    ("kilograms", "ton", 1000),
    // Volume.
    ("ounces", "cup", 8),
    ("oz", "cup", 8),
    ("ounces", "pint", 16),
    ("ounces", "quart", 32),
    ("ounces", "gallon", 128),
    ("oz", "gallon", 128),
    ("cups", "pint", 2),
    ("cups", "quart", 4),
    ("cups", "gallon", 16),
    ("pints", "quart", 2),
    ("pints", "gallon", 8),
    ("quarts", "gallon", 4),
    ("tablespoons", "cup", 16),
    ("teaspoons", "tablespoon", 3),
    ("milliliters", "liter", 1000),
    ("ml", "liter", 1000),
    // Time, with the calendar's round figures a problem assumes.
    ("seconds", "minute", 60),
    ("minutes", "hour", 60),
    ("seconds", "hour", 3600),
    ("hours", "day", 24),
    ("minutes", "day", 1440),
    ("days", "week", 7),
    ("days", "month", 30),
    ("weeks", "month", 4),
    ("days", "year", 365),
    ("weeks", "year", 52),
    ("months", "year", 12),
    ("years", "decade", 10),
    ("years", "century", 100),
    // Money.
    ("cents", "dollar", 100),
    ("pennies", "dollar", 100),
    ("nickels", "dollar", 20),
    ("dimes", "dollar", 10),
    ("quarters", "dollar", 4),
];

/// Whether `big` and `small` (as written after their counts, any case, singular or plural)
/// are a unit and a smaller one of the same measure, as "3 hours and 15 minutes" or "5 feet
/// and 4 inches" write one amount in two parts.
pub(super) fn parts_of_one_amount(big: &str, small: &str) -> bool {
    // A unit as its singular, compared in any case without copying it ("feet" is "foot").
    fn singular(w: &str) -> &str {
        if w.eq_ignore_ascii_case("feet") {
            "foot"
        } else {
            w.strip_suffix(['s', 'S']).unwrap_or(w)
        }
    }
    let (big, small) = (singular(big), singular(small));
    CONVERSIONS
        .iter()
        .any(|&(s, b, _)| b.eq_ignore_ascii_case(big) && singular(s).eq_ignore_ascii_case(small))
}

/// Whether the number at `m` in `q` states how many of one unit make another: "8 ounces (of
/// water) in a cup", "128 ounces to a gallon", "16 tablespoons in 1 cup", "12 eggs in a
/// dozen", or "a foot has 12 inches". Its value must be the unit's own figure: "10 cups of
/// water in a day" or "8 hours in a day" state amounts, not facts.
pub(super) fn states_conversion(q: &str, m: &Mention) -> bool {
    let v = m.value;
    if !v.is_integer() || !(2..=5280).contains(&v.numer()) {
        return false;
    }
    let factor = v.numer();
    let (Some(before), Some(after)) = (q.get(..m.start), q.get(m.end..)) else {
        return false;
    };
    // The words as a reader takes them: marks trimmed, read in any case (nothing allocated).
    fn word(w: &str) -> &str {
        w.trim_matches(|c: char| !c.is_ascii_alphanumeric())
    }
    let is_any = |w: &str, of: &[&str]| of.iter().any(|x| w.eq_ignore_ascii_case(x));
    let is = |small: &str, big: &str| {
        (big.eq_ignore_ascii_case("dozen") && factor == 12)
            || CONVERSIONS.iter().any(|&(s, b, f)| {
                f == factor && small.eq_ignore_ascii_case(s) && big.eq_ignore_ascii_case(b)
            })
    };
    let mut next = after.split_whitespace().map(word);
    let Some(small) = next.next() else {
        return false;
    };
    // (Most numbers are passed over here: no unit of the table, at this figure, follows them.)
    if factor != 12
        && !CONVERSIONS
            .iter()
            .any(|&(s, _, f)| f == factor && small.eq_ignore_ascii_case(s))
    {
        return false;
    }
    // "8 ounces (of water) in a cup": up to three words of what is measured, then `in`, `to`,
    // `per` or `make(s)`, one of `a an one 1 each every`, and the larger unit.
    let mut link = next.next();
    if link.is_some_and(|w| w.eq_ignore_ascii_case("of")) {
        link = next
            .by_ref()
            .take(4)
            .find(|w| is_any(w, &["in", "to", "per"]));
    }
    if link.is_some_and(|w| is_any(w, &["in", "to", "per", "make", "makes"]))
        && next
            .next()
            .is_some_and(|w| is_any(w, &["a", "an", "one", "1", "each", "every"]))
        && next.next().is_some_and(|big| is(small, big))
    {
        return true;
    }
    // "A foot has 12 inches", "one gallon is 128 ounces", "each pound equals 16 ounces".
    let mut back = before.split_whitespace().rev().map(word);
    let (Some(verb), Some(big), Some(article)) = (back.next(), back.next(), back.next()) else {
        return false;
    };
    is_any(verb, &["has", "is", "equals", "contains"])
        && is_any(article, &["a", "an", "one", "1", "each", "every"])
        && is(small, big)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Number;

    /// Whether the first number written in `q`, read as `v`, states a conversion.
    fn states(q: &str, v: i128) -> bool {
        let start = q.find(|c: char| c.is_ascii_digit()).unwrap();
        let end = start
            + q[start..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(q.len() - start);
        let m = Mention {
            start,
            end,
            node: None,
            value: Number::int(v),
        };
        states_conversion(q, &m)
    }

    #[test]
    fn units_that_make_another_are_facts() {
        for q in [
            "There are 8 ounces of water in a cup.",
            "(There are 128 ounces to a gallon.)",
            "There are 16 ounces in each pound.",
            "Since there are 12 inches in a foot, how many inches",
            "There are 16 tablespoons in 1 cup.",
            "(There are 4 cups in a quart)",
            "Assuming Trisha works 52 weeks in a year, what",
            "There are 12 eggs in a dozen.",
            "A foot has 12 inches.",
            "One gallon is 128 ounces.",
        ] {
            let v = q
                .split(|c: char| !c.is_ascii_digit())
                .find(|w| !w.is_empty())
                .unwrap()
                .parse()
                .unwrap();
            assert!(states(q, v), "{q}");
        }
    }

    #[test]
    fn amounts_are_no_facts() {
        for (q, v) in [
            // Units that make no other, or not by this figure.
            ("The zoo is open for 8 hours in one day.", 8),
            ("who drink 10 cups of water in a day.", 10),
            ("Her water bottle holds 16 ounces.", 16),
            ("There are 180 days in a school year.", 180),
            ("She needs 210 pounds of meat in a week.", 210),
            ("with 4 cups in each row.", 4),
            ("The car goes 60 miles in an hour.", 60),
            ("A box has 12 pencils.", 12),
        ] {
            assert!(!states(q, v), "{q}");
        }
    }
}
