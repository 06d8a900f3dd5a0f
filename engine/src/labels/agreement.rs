//! Inter-annotator agreement on step labels: PRM800K-style ratings (+1 correct, 0 neutral,
//! −1 wrong), Cohen's kappa for two raters, Fleiss' kappa for more, and helpers for gold
//! questions. An unrated step is `None` and is never counted, in particular never as neutral.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One rater's judgement of one step: wrong (−1), neutral (0) or correct (+1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rating {
    /// The step is wrong (−1).
    Wrong = -1,
    /// The step is neither clearly right nor wrong (0).
    Neutral = 0,
    /// The step is correct (+1).
    Correct = 1,
}

/// The rating categories in count order: the index of a rating here is its column in
/// [`fleiss_kappa`]'s per-subject counts.
pub const CATEGORIES: [Rating; 3] = [Rating::Wrong, Rating::Neutral, Rating::Correct];

impl Rating {
    /// The rating for −1, 0 or 1; `None` for any other value.
    pub fn from_i8(v: i8) -> Option<Rating> {
        match v {
            -1 => Some(Rating::Wrong),
            0 => Some(Rating::Neutral),
            1 => Some(Rating::Correct),
            _ => None,
        }
    }

    /// The rating as −1, 0 or 1.
    pub fn as_i8(self) -> i8 {
        self as i8
    }

    /// Its column in [`CATEGORIES`] (Wrong 0, Neutral 1, Correct 2).
    fn index(self) -> usize {
        (self.as_i8() + 1) as usize
    }
}

impl Serialize for Rating {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i8(self.as_i8())
    }
}

impl<'de> Deserialize<'de> for Rating {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = i8::deserialize(d)?;
        Rating::from_i8(v).ok_or_else(|| {
            serde::de::Error::invalid_value(
                serde::de::Unexpected::Signed(v.into()),
                &"a rating of -1, 0 or 1",
            )
        })
    }
}

/// Cohen's kappa for two raters, from one `(first rater, second rater)` pair per unit.
///
/// κ = (p_o − p_e) / (1 − p_e), with p_o the share of agreeing pairs and p_e the agreement
/// expected from each rater's own category frequencies. `None` when there are no pairs or
/// p_e = 1, where kappa is undefined: that is the case whenever both raters used one and the
/// same category throughout, so perfect agreement on a single category gives `None`, not 1.
/// [`agreement`] reports the observed agreement alongside for that reason.
pub fn cohen_kappa(pairs: &[(Rating, Rating)]) -> Option<f64> {
    if pairs.is_empty() {
        return None;
    }
    let mut first = [0u64; 3];
    let mut second = [0u64; 3];
    let mut agree = 0u64;
    for &(a, b) in pairs {
        first[a.index()] += 1;
        second[b.index()] += 1;
        agree += u64::from(a == b);
    }
    let n = pairs.len() as u128;
    // Scaled by n²: p_o·n² = agree·n, p_e·n² = Σ first·second. Exact integers, so p_e = 1 is
    // detected exactly and the result is never above 1.
    let expected: u128 = (0..3).map(|k| first[k] as u128 * second[k] as u128).sum();
    let denominator = n * n - expected;
    if denominator == 0 {
        return None;
    }
    let numerator = (agree as u128 * n) as i128 - expected as i128;
    Some(numerator as f64 / denominator as f64)
}

/// Fleiss' kappa for any fixed number of raters per subject, from each subject's counts of
/// ratings per category in [`CATEGORIES`] order (Wrong, Neutral, Correct).
///
/// Fleiss' kappa needs the same number of raters n ≥ 2 for every subject. Subjects with fewer
/// than two ratings are ignored, and so is every subject whose number of ratings differs from
/// the most common number among the rest (on a tie, the larger number wins); [`agreement`]
/// applies the same rule. `None` when no subject is left or P_e = 1 (every rating counted fell
/// in one category), where kappa is undefined.
pub fn fleiss_kappa(subjects: &[[u32; 3]]) -> Option<f64> {
    let n = modal_raters(
        subjects
            .iter()
            .map(|c| c.iter().map(|&x| u64::from(x)).sum()),
    )?;
    let mut count = 0u128; // N, subjects kept
    let mut squares = 0u128; // Σ_i Σ_j n_ij²
    let mut totals = [0u128; 3]; // Σ_i n_ij
    for counts in subjects {
        if counts.iter().map(|&x| u64::from(x)).sum::<u64>() != n {
            continue;
        }
        count += 1;
        for (j, &c) in counts.iter().enumerate() {
            squares += u128::from(c) * u128::from(c);
            totals[j] += u128::from(c);
        }
    }
    let n = u128::from(n);
    let t = count * n; // all ratings counted
    let q: u128 = totals.iter().map(|x| x * x).sum();
    // P̄ = (S − T) / (T(n − 1)) and P_e = Q / T²; multiplying numerator and denominator of
    // (P̄ − P_e) / (1 − P_e) by T²(n − 1) leaves integers. The numerator never exceeds the
    // denominator (Σ_j n_ij² ≤ n²), so the result is never above 1.
    let denominator = (t * t - q) * (n - 1);
    if denominator == 0 {
        return None;
    }
    let numerator = ((squares - t) * t) as i128 - (q * (n - 1)) as i128;
    Some(numerator as f64 / denominator as f64)
}

/// The most common number of ratings among those ≥ 2 (the larger on a tie); `None` if none.
fn modal_raters(sizes: impl Iterator<Item = u64>) -> Option<u64> {
    let mut freq: BTreeMap<u64, usize> = BTreeMap::new();
    for m in sizes.filter(|&m| m >= 2) {
        *freq.entry(m).or_default() += 1;
    }
    // `max_by_key` keeps the last maximum, and the map iterates in increasing size.
    freq.into_iter().max_by_key(|&(_, f)| f).map(|(m, _)| m)
}

/// All raters' ratings of one item's steps: the input to [`agreement`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRatings {
    /// The item (problem or solution) the steps belong to.
    pub item: i64,
    /// One entry per rater. A rater listed more than once for an item counts once, with the
    /// first entry.
    pub raters: Vec<RaterSteps>,
}

/// One rater's ratings of one item's steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaterSteps {
    /// The rater.
    pub rater: i64,
    /// One entry per step of the item, in order; `None` where the rater left the step unrated.
    /// Steps beyond the end of a shorter list count as unrated.
    pub ratings: Vec<Option<Rating>>,
}

/// Which chance-corrected statistic an [`Agreement`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Cohen's kappa: exactly two distinct raters.
    Cohen,
    /// Fleiss' kappa: three or more distinct raters.
    Fleiss,
    /// Fewer than two distinct raters: nothing to compare.
    None,
}

/// Agreement among the raters of a set of items, overall and per step position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// The statistic used.
    pub method: Method,
    /// Distinct raters who rated at least one step.
    pub raters: usize,
    /// Cohen's or Fleiss' kappa over the units counted; `None` when undefined (no units, or all
    /// ratings in one category).
    pub kappa: Option<f64>,
    /// Mean over the units counted of the share of rater pairs that agree; `None` without units.
    pub observed: Option<f64>,
    /// The (item, step) units counted.
    pub units: usize,
    /// The same statistics for the units at each step position, from step 0 up to the last
    /// position with a counted unit (positions without one have `units` 0).
    pub per_step: Vec<StepAgreement>,
}

/// Agreement on the units at one step position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepAgreement {
    /// The step's position in its item (0 = first).
    pub step: usize,
    /// Kappa over this position's units, by the overall method; `None` when undefined.
    pub kappa: Option<f64>,
    /// Mean share of agreeing rater pairs over this position's units; `None` without units.
    pub observed: Option<f64>,
    /// Units counted at this position.
    pub units: usize,
}

/// One (item, step) rated by at least two raters.
struct Unit {
    step: usize,
    /// (rater, rating), ordered by rater.
    ratings: Vec<(i64, Rating)>,
}

impl Unit {
    fn counts(&self) -> [u32; 3] {
        let mut c = [0u32; 3];
        for (_, r) in &self.ratings {
            c[r.index()] += 1;
        }
        c
    }

    /// The share of rater pairs that agree.
    fn observed(&self) -> f64 {
        let agreeing: u64 = self
            .counts()
            .iter()
            .map(|&c| u64::from(c) * u64::from(c).saturating_sub(1))
            .sum();
        let m = self.ratings.len() as u64;
        agreeing as f64 / (m * (m - 1)) as f64
    }
}

/// Agreement among the raters of `items`.
///
/// A unit is one (item, step) rated (not `None`) by at least two raters; units rated by fewer
/// are skipped. With exactly two distinct raters (counting those who rated at least one step)
/// the method is Cohen's kappa over the units both rated. With three or more it is Fleiss'
/// kappa over the units with the most common number of ratings (the larger on a tie); units
/// with another number of ratings are not counted at all, in `observed`, `units` or
/// `per_step` either. `per_step` groups the counted units by step position and applies the
/// same method to each group.
pub fn agreement(items: &[ItemRatings]) -> Agreement {
    let mut raters = BTreeSet::new();
    let mut units = Vec::new();
    for item in items {
        let mut seen = BTreeSet::new();
        let mut entries: Vec<&RaterSteps> = item
            .raters
            .iter()
            .filter(|r| seen.insert(r.rater))
            .collect();
        entries.sort_by_key(|r| r.rater);
        let steps = entries.iter().map(|r| r.ratings.len()).max().unwrap_or(0);
        for step in 0..steps {
            let ratings: Vec<(i64, Rating)> = entries
                .iter()
                .filter_map(|r| r.ratings.get(step).copied().flatten().map(|x| (r.rater, x)))
                .collect();
            raters.extend(ratings.iter().map(|&(r, _)| r));
            if ratings.len() >= 2 {
                units.push(Unit { step, ratings });
            }
        }
    }

    let method = match raters.len() {
        0 | 1 => Method::None,
        2 => Method::Cohen,
        _ => Method::Fleiss,
    };
    if method == Method::Fleiss {
        let n = modal_raters(units.iter().map(|u| u.ratings.len() as u64));
        units.retain(|u| Some(u.ratings.len() as u64) == n);
    }
    if method == Method::None {
        units.clear();
    }

    let stats = |units: &[&Unit]| -> (Option<f64>, Option<f64>) {
        if units.is_empty() {
            return (None, None);
        }
        let kappa = match method {
            Method::Cohen => {
                let pairs: Vec<(Rating, Rating)> = units
                    .iter()
                    .map(|u| (u.ratings[0].1, u.ratings[1].1))
                    .collect();
                cohen_kappa(&pairs)
            }
            Method::Fleiss => {
                let subjects: Vec<[u32; 3]> = units.iter().map(|u| u.counts()).collect();
                fleiss_kappa(&subjects)
            }
            Method::None => None,
        };
        let observed = units.iter().map(|u| u.observed()).sum::<f64>() / units.len() as f64;
        (kappa, Some(observed))
    };

    let all: Vec<&Unit> = units.iter().collect();
    let (kappa, observed) = stats(&all);
    let positions = units.iter().map(|u| u.step + 1).max().unwrap_or(0);
    let per_step = (0..positions)
        .map(|step| {
            let here: Vec<&Unit> = units.iter().filter(|u| u.step == step).collect();
            let (kappa, observed) = stats(&here);
            StepAgreement {
                step,
                kappa,
                observed,
                units: here.len(),
            }
        })
        .collect();

    Agreement {
        method,
        raters: raters.len(),
        kappa,
        observed,
        units: units.len(),
        per_step,
    }
}

/// The position of the first step rated wrong; `None` if no step is rated wrong.
pub fn first_error(ratings: &[Option<Rating>]) -> Option<usize> {
    ratings.iter().position(|r| *r == Some(Rating::Wrong))
}

/// Whether a rater's answer to a gold question is right: the first step they rated wrong is
/// the known first error.
pub fn gold_correct(ratings: &[Option<Rating>], known_first_error: usize) -> bool {
    first_error(ratings) == Some(known_first_error)
}

/// The share of gold questions answered right, from (a rater's ratings, known first error)
/// pairs; `None` when there are none.
pub fn gold_accuracy<'a>(
    answers: impl IntoIterator<Item = (&'a [Option<Rating>], usize)>,
) -> Option<f64> {
    let (mut right, mut total) = (0usize, 0usize);
    for (ratings, known) in answers {
        right += usize::from(gold_correct(ratings, known));
        total += 1;
    }
    (total > 0).then(|| right as f64 / total as f64)
}

/// How far automatic step labels agree with people's, over the solutions people finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutomaticAgreement {
    /// Finished human annotations compared (one per person per solution).
    pub annotations: usize,
    /// Steps both the automatic labeler and a person rated.
    pub steps: usize,
    /// Cohen's kappa between the automatic label and the person's, over those steps (`None`
    /// where undefined, see [`cohen_kappa`]).
    pub kappa: Option<f64>,
    /// Share of those steps where they agree.
    pub observed: Option<f64>,
    /// Annotations whose first error (the first step the person rated −1, or none) is the
    /// automatic labeler's.
    pub first_error_agree: usize,
    /// `first_error_agree` over `annotations`.
    pub first_error_accuracy: Option<f64>,
}

/// Agreement between automatic labels and people, from one `(automatic ratings, a person's
/// ratings)` pair per finished annotation of a solution. Steps the person left unrated do not
/// count for kappa; the first error compares the first −1 of each (both none is agreement).
pub fn automatic_agreement(pairs: &[(Vec<Rating>, Vec<Option<Rating>>)]) -> AutomaticAgreement {
    let mut units = Vec::new();
    let mut first_error_agree = 0usize;
    for (auto, human) in pairs {
        for (a, h) in auto.iter().zip(human) {
            if let Some(h) = h {
                units.push((*a, *h));
            }
        }
        let auto_first = auto.iter().position(|r| *r == Rating::Wrong);
        first_error_agree += usize::from(auto_first == first_error(human));
    }
    let agree = units.iter().filter(|(a, h)| a == h).count();
    AutomaticAgreement {
        annotations: pairs.len(),
        steps: units.len(),
        kappa: cohen_kappa(&units),
        observed: (!units.is_empty()).then(|| agree as f64 / units.len() as f64),
        first_error_agree,
        first_error_accuracy: (!pairs.is_empty())
            .then(|| first_error_agree as f64 / pairs.len() as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use Rating::{Correct, Neutral, Wrong};

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    fn repeat(pair: (Rating, Rating), k: usize) -> Vec<(Rating, Rating)> {
        vec![pair; k]
    }

    #[test]
    fn automatic_agreement_counts_rated_steps_and_first_errors() {
        let pairs = vec![
            // Agrees on every step, first error at 1 on both.
            (
                vec![Correct, Wrong, Neutral],
                vec![Some(Correct), Some(Wrong), None],
            ),
            // The person finds the error a step earlier.
            (
                vec![Correct, Correct, Wrong],
                vec![Some(Correct), Some(Wrong), Some(Wrong)],
            ),
            // No error on either side.
            (vec![Correct], vec![Some(Correct)]),
        ];
        let a = automatic_agreement(&pairs);
        assert_eq!(a.annotations, 3);
        assert_eq!(a.steps, 6);
        assert_eq!(a.first_error_agree, 2);
        assert!(close(a.first_error_accuracy.unwrap(), 2.0 / 3.0));
        assert!(close(a.observed.unwrap(), 5.0 / 6.0));
        // Pairs: (C,C)×3, (W,W), (C,W), (W,W): p_o = 5/6; auto C 4 W 2, person C 3 W 3:
        // p_e = (4·3 + 2·3)/36 = 1/2; kappa = (5/6 − 1/2)/(1/2) = 2/3.
        assert!(close(a.kappa.unwrap(), 2.0 / 3.0));
        let none = automatic_agreement(&[]);
        assert_eq!(
            (none.kappa, none.observed, none.first_error_accuracy),
            (None, None, None)
        );
    }

    #[test]
    fn rating_round_trips_as_integer() {
        for r in CATEGORIES {
            assert_eq!(Rating::from_i8(r.as_i8()), Some(r));
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, r.as_i8().to_string());
            assert_eq!(serde_json::from_str::<Rating>(&json).unwrap(), r);
        }
        assert_eq!(Rating::from_i8(2), None);
        assert!(serde_json::from_str::<Rating>("2").is_err());
        assert!(serde_json::from_str::<Rating>("\"1\"").is_err());
        let steps: Vec<Option<Rating>> = serde_json::from_str("[1, null, -1, 0]").unwrap();
        assert_eq!(steps, vec![Some(Correct), None, Some(Wrong), Some(Neutral)]);
    }

    #[test]
    fn cohen_wikipedia_example() {
        // Wikipedia's yes/no example with yes = Correct, no = Wrong: 50 units, yes/yes 20,
        // yes/no 5, no/yes 10, no/no 15. p_o = 35/50 = 0.7; A says yes 25/50, B 30/50, so
        // p_e = 0.5·0.6 + 0.5·0.4 = 0.5 and κ = (0.7 − 0.5) / (1 − 0.5) = 0.4.
        let mut pairs = repeat((Correct, Correct), 20);
        pairs.extend(repeat((Correct, Wrong), 5));
        pairs.extend(repeat((Wrong, Correct), 10));
        pairs.extend(repeat((Wrong, Wrong), 15));
        assert!(close(cohen_kappa(&pairs).unwrap(), 0.4));
    }

    #[test]
    fn cohen_three_categories() {
        // 10 units: C/C 4, N/N 2, W/W 1, C/N 1, N/W 1, W/C 1. p_o = 7/10.
        // A: C 5, N 3, W 2; B: C 5, N 3, W 2. p_e = (25 + 9 + 4) / 100 = 0.38.
        // κ = (0.7 − 0.38) / 0.62 = 0.32 / 0.62 = 16/31.
        let mut pairs = repeat((Correct, Correct), 4);
        pairs.extend(repeat((Neutral, Neutral), 2));
        pairs.extend([
            (Wrong, Wrong),
            (Correct, Neutral),
            (Neutral, Wrong),
            (Wrong, Correct),
        ]);
        assert!(close(cohen_kappa(&pairs).unwrap(), 16.0 / 31.0));
    }

    #[test]
    fn cohen_undefined_cases() {
        assert_eq!(cohen_kappa(&[]), None);
        // Perfect agreement on a single category: p_e = 1.
        assert_eq!(cohen_kappa(&repeat((Neutral, Neutral), 5)), None);
        // Perfect agreement over several categories is 1.
        assert_eq!(
            cohen_kappa(&[(Wrong, Wrong), (Correct, Correct)]),
            Some(1.0)
        );
        // One rater constant, the other not: p_e < 1, κ = 0.
        assert_eq!(cohen_kappa(&[(Wrong, Wrong), (Wrong, Correct)]), Some(0.0));
    }

    #[test]
    fn fleiss_hand_example() {
        // 4 subjects × 3 raters, counts (Wrong, Neutral, Correct):
        //   [0,0,3] P = (9 − 3) / 6 = 1
        //   [0,1,2] P = (1 + 4 − 3) / 6 = 1/3
        //   [3,0,0] P = 1
        //   [2,0,1] P = (4 + 1 − 3) / 6 = 1/3
        // P̄ = (8/3) / 4 = 2/3. Totals 5, 1, 6 of 12: P_e = (25 + 1 + 36) / 144 = 31/72.
        // κ = (48/72 − 31/72) / (41/72) = 17/41.
        let subjects = [[0, 0, 3], [0, 1, 2], [3, 0, 0], [2, 0, 1]];
        assert!(close(fleiss_kappa(&subjects).unwrap(), 17.0 / 41.0));
    }

    #[test]
    fn fleiss_ignores_other_rater_counts() {
        let subjects = [[0, 0, 3], [0, 1, 2], [3, 0, 0], [2, 0, 1]];
        let mut more = subjects.to_vec();
        more.extend([[1, 1, 0], [0, 0, 1], [0, 0, 0], [4, 0, 0]]);
        assert_eq!(fleiss_kappa(&more), fleiss_kappa(&subjects));
        // A tie between 2 and 3 raters: 3 wins.
        let tie = [[0, 0, 3], [3, 0, 0], [1, 1, 0], [0, 2, 0]];
        assert_eq!(fleiss_kappa(&tie), Some(1.0));
    }

    #[test]
    fn fleiss_undefined_cases() {
        assert_eq!(fleiss_kappa(&[]), None);
        assert_eq!(fleiss_kappa(&[[0, 0, 1], [1, 0, 0]]), None);
        assert_eq!(fleiss_kappa(&[[0, 4, 0], [0, 4, 0]]), None);
        assert_eq!(fleiss_kappa(&[[0, 4, 0], [4, 0, 0]]), Some(1.0));
    }

    #[test]
    fn fleiss_two_raters_is_close_to_cohen() {
        // On the Wikipedia data Fleiss (pooled marginals, Scott's pi) gives
        // (0.7 − 0.505) / 0.495 ≈ 0.394, near Cohen's 0.4 but not equal.
        let mut pairs = repeat((Correct, Correct), 20);
        pairs.extend(repeat((Correct, Wrong), 5));
        pairs.extend(repeat((Wrong, Correct), 10));
        pairs.extend(repeat((Wrong, Wrong), 15));
        let subjects: Vec<[u32; 3]> = pairs
            .iter()
            .map(|&(a, b)| {
                let mut c = [0; 3];
                c[a.index()] += 1;
                c[b.index()] += 1;
                c
            })
            .collect();
        let fleiss = fleiss_kappa(&subjects).unwrap();
        let cohen = cohen_kappa(&pairs).unwrap();
        assert!(close(fleiss, 0.195 / 0.495));
        assert!((fleiss - cohen).abs() < 0.01);
    }

    fn rater(rater: i64, ratings: &[i8]) -> RaterSteps {
        RaterSteps {
            rater,
            ratings: ratings
                .iter()
                .map(|&v| if v == 9 { None } else { Rating::from_i8(v) })
                .collect(),
        }
    }

    fn item(item: i64, raters: Vec<RaterSteps>) -> ItemRatings {
        ItemRatings { item, raters }
    }

    #[test]
    fn agreement_two_raters_uses_cohen() {
        // 9 = unrated.
        let items = vec![
            item(1, vec![rater(10, &[1, 1, -1]), rater(20, &[1, 0, -1])]),
            item(2, vec![rater(20, &[1, 9]), rater(10, &[1, -1])]),
        ];
        let a = agreement(&items);
        assert_eq!(a.method, Method::Cohen);
        assert_eq!(a.raters, 2);
        assert_eq!(a.units, 4);
        let pairs = [
            (Correct, Correct),
            (Correct, Neutral),
            (Wrong, Wrong),
            (Correct, Correct),
        ];
        assert_eq!(a.kappa, cohen_kappa(&pairs));
        assert_eq!(a.observed, Some(0.75));
        assert_eq!(a.per_step.len(), 3);
        assert_eq!(a.per_step[0].units, 2);
        assert_eq!(a.per_step[0].observed, Some(1.0));
        assert_eq!(a.per_step[0].kappa, None); // all Correct: undefined
        assert_eq!(a.per_step[1].units, 1);
        assert_eq!(a.per_step[1].observed, Some(0.0));
        assert_eq!(a.per_step[2].units, 1);
    }

    #[test]
    fn agreement_three_raters_uses_fleiss() {
        let items = vec![
            item(
                1,
                vec![
                    rater(1, &[1, 1, -1, -1]),
                    rater(2, &[1, 1, -1, 9]),
                    rater(3, &[1, 0, -1, 9]),
                ],
            ),
            item(2, vec![rater(1, &[-1]), rater(2, &[-1]), rater(3, &[1])]),
        ];
        let a = agreement(&items);
        assert_eq!(a.method, Method::Fleiss);
        assert_eq!(a.raters, 3);
        // Item 1 step 3 has one rating: skipped.
        assert_eq!(a.units, 4);
        let subjects = [[0, 0, 3], [0, 1, 2], [3, 0, 0], [2, 0, 1]];
        assert_eq!(a.kappa, fleiss_kappa(&subjects));
        assert!(close(a.observed.unwrap(), 2.0 / 3.0));
        assert_eq!(a.per_step.len(), 3);
        assert_eq!(a.per_step[0].units, 2);
        assert_eq!(a.per_step[0].kappa, fleiss_kappa(&[[0, 0, 3], [2, 0, 1]]));
    }

    #[test]
    fn agreement_fleiss_keeps_modal_units() {
        // Three raters; two units with 2 ratings, one with 3: the 3-rating unit is dropped.
        let items = vec![
            item(
                1,
                vec![rater(1, &[1, 0]), rater(2, &[1, 0]), rater(3, &[9, -1])],
            ),
            item(2, vec![rater(1, &[-1]), rater(3, &[-1])]),
        ];
        let a = agreement(&items);
        assert_eq!(a.method, Method::Fleiss);
        assert_eq!(a.units, 2);
        assert_eq!(a.observed, Some(1.0));
        assert_eq!(a.kappa, Some(1.0));
        assert_eq!(a.per_step.len(), 1);
    }

    #[test]
    fn agreement_without_pairs() {
        let empty = agreement(&[]);
        assert_eq!(empty.method, Method::None);
        assert_eq!((empty.raters, empty.units), (0, 0));
        assert_eq!((empty.kappa, empty.observed), (None, None));
        assert!(empty.per_step.is_empty());

        let single = agreement(&[item(1, vec![rater(1, &[1, -1]), rater(2, &[9, 9])])]);
        assert_eq!(single.method, Method::None);
        assert_eq!(single.raters, 1);

        // Two raters who never rated the same step.
        let apart = agreement(&[item(1, vec![rater(1, &[1, 9]), rater(2, &[9, 1])])]);
        assert_eq!(apart.method, Method::Cohen);
        assert_eq!((apart.units, apart.kappa, apart.observed), (0, None, None));
    }

    #[test]
    fn unrated_is_never_neutral() {
        let base = vec![item(1, vec![rater(1, &[1, -1, 0]), rater(2, &[1, -1, 1])])];
        let mut with_gap = base.clone();
        with_gap[0].raters.push(rater(3, &[9, 9, 9]));
        assert_eq!(agreement(&base), agreement(&with_gap));
        // Had an unrated step counted as neutral, step 2 would be an agreeing unit.
        let gap = agreement(&[item(1, vec![rater(1, &[1, -1, 0]), rater(2, &[1, -1, 9])])]);
        assert_eq!(gap.units, 2);
        assert_eq!(gap.per_step.len(), 2);
        assert_eq!(gap.observed, Some(1.0));
    }

    #[test]
    fn duplicate_rater_entries_count_once() {
        let items = vec![item(
            1,
            vec![rater(1, &[1, -1]), rater(2, &[1, 1]), rater(1, &[0, 0])],
        )];
        let a = agreement(&items);
        assert_eq!(a.method, Method::Cohen);
        assert_eq!(a.units, 2);
        assert_eq!(a.observed, Some(0.5));
    }

    #[test]
    fn agreement_serializes() {
        let a = agreement(&[item(1, vec![rater(1, &[1, -1]), rater(2, &[1, -1])])]);
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["method"], "cohen");
        assert_eq!(json["kappa"], 1.0);
        let back: Agreement = serde_json::from_value(json).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn gold_questions() {
        let r = [Some(Correct), None, Some(Neutral), Some(Wrong), Some(Wrong)];
        assert_eq!(first_error(&r), Some(3));
        assert!(gold_correct(&r, 3));
        assert!(!gold_correct(&r, 4));
        let clean = [Some(Correct), None];
        assert_eq!(first_error(&clean), None);
        assert!(!gold_correct(&clean, 0));
        assert_eq!(gold_accuracy(std::iter::empty()), None);
        assert_eq!(
            gold_accuracy([(&r[..], 3), (&r[..], 4), (&clean[..], 1), (&r[..], 3)]),
            Some(0.5)
        );
    }

    fn rating() -> impl Strategy<Value = Rating> {
        prop::sample::select(CATEGORIES.to_vec())
    }

    fn opt_rating() -> impl Strategy<Value = Option<Rating>> {
        prop::option::of(rating())
    }

    fn items(raters: i64) -> impl Strategy<Value = Vec<ItemRatings>> {
        prop::collection::vec(
            (1usize..5).prop_flat_map(move |steps| {
                prop::collection::vec(prop::collection::vec(opt_rating(), steps), raters as usize)
            }),
            0..8,
        )
        .prop_map(|items| {
            items
                .into_iter()
                .enumerate()
                .map(|(i, rs)| ItemRatings {
                    item: i as i64,
                    raters: rs
                        .into_iter()
                        .enumerate()
                        .map(|(r, ratings)| RaterSteps {
                            rater: r as i64,
                            ratings,
                        })
                        .collect(),
                })
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn cohen_is_symmetric_and_at_most_one(
            pairs in prop::collection::vec((rating(), rating()), 0..40),
        ) {
            let swapped: Vec<_> = pairs.iter().map(|&(a, b)| (b, a)).collect();
            let k = cohen_kappa(&pairs);
            prop_assert_eq!(k, cohen_kappa(&swapped));
            if let Some(k) = k {
                prop_assert!(k.is_finite() && (-1.0..=1.0).contains(&k), "{}", k);
            }
        }

        #[test]
        fn fleiss_is_at_most_one(
            subjects in prop::collection::vec(prop::array::uniform3(0u32..5), 0..30),
        ) {
            if let Some(k) = fleiss_kappa(&subjects) {
                prop_assert!(k.is_finite() && k <= 1.0, "{}", k);
            }
        }

        #[test]
        fn perfect_agreement_is_one_when_defined(
            ratings in prop::collection::vec(rating(), 1..30),
            raters in 2usize..6,
        ) {
            let pairs: Vec<_> = ratings.iter().map(|&r| (r, r)).collect();
            let distinct = ratings.iter().collect::<BTreeSet<_>>().len();
            let k = cohen_kappa(&pairs);
            prop_assert_eq!(k, (distinct > 1).then_some(1.0));
            let subjects: Vec<[u32; 3]> = ratings
                .iter()
                .map(|r| {
                    let mut c = [0; 3];
                    c[r.index()] = raters as u32;
                    c
                })
                .collect();
            prop_assert_eq!(fleiss_kappa(&subjects), k);
            let items = vec![ItemRatings {
                item: 0,
                raters: (0..raters)
                    .map(|r| RaterSteps {
                        rater: r as i64,
                        ratings: ratings.iter().map(|&x| Some(x)).collect(),
                    })
                    .collect(),
            }];
            let a = agreement(&items);
            prop_assert_eq!(a.kappa, k);
            prop_assert_eq!(a.observed, Some(1.0));
        }

        #[test]
        fn agreement_ignores_rater_order(items in items(2).boxed().prop_union(items(3).boxed())) {
            let a = agreement(&items);
            let reversed: Vec<ItemRatings> = items
                .iter()
                .map(|it| ItemRatings {
                    item: it.item,
                    raters: it.raters.iter().rev().cloned().collect(),
                })
                .collect();
            prop_assert_eq!(&a, &agreement(&reversed));
            // Renaming raters in reverse order swaps Cohen's roles.
            let renamed: Vec<ItemRatings> = items
                .iter()
                .map(|it| ItemRatings {
                    item: it.item,
                    raters: it
                        .raters
                        .iter()
                        .map(|r| RaterSteps { rater: -r.rater, ratings: r.ratings.clone() })
                        .collect(),
                })
                .collect();
            prop_assert_eq!(&a, &agreement(&renamed));
            if let Some(k) = a.kappa {
                prop_assert!(k <= 1.0);
            }
            prop_assert_eq!(a.units, a.per_step.iter().map(|s| s.units).sum::<usize>());
        }

        #[test]
        fn unrated_raters_change_nothing(items in items(2)) {
            let mut padded = items.clone();
            for it in &mut padded {
                let steps = it.raters[0].ratings.len();
                it.raters.push(RaterSteps { rater: 99, ratings: vec![None; steps] });
            }
            prop_assert_eq!(agreement(&items), agreement(&padded));
        }
    }
}
