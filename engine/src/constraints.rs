//! Sanity constraints that keep an intervened problem natural: whole numbers stay whole,
//! counts stay non-negative, magnitudes stay plausible and divisions stay exact.

use serde::{Deserialize, Serialize};

use crate::graph::{Graph, NodeId, NodeKind};
use crate::number::Number;
use crate::{BinOp, Expr};

/// Which sanity rules a new graph must satisfy against its original.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Constraints {
    /// A node whose original value was a whole number must stay whole.
    pub integers: bool,
    /// A node whose original value was non-negative must stay non-negative.
    pub non_negative: bool,
    /// New magnitudes must stay within this factor of the original (`None`: no limit).
    pub max_factor: Option<Number>,
    /// Divisions must not produce fractions (or non-terminating decimals) where the
    /// original had whole (terminating) results.
    pub exact_division: bool,
    /// Natural values: a value written with at most two decimals (money in cents) keeps at
    /// most two, and a whole count above zero stays above zero.
    #[serde(default = "yes")]
    pub natural: bool,
}

fn yes() -> bool {
    true
}

impl Default for Constraints {
    fn default() -> Self {
        Constraints {
            integers: true,
            non_negative: true,
            max_factor: Some(Number::int(10)),
            exact_division: true,
            natural: true,
        }
    }
}

impl Constraints {
    /// No constraint at all: every computable graph is accepted.
    pub fn none() -> Self {
        Constraints {
            integers: false,
            non_negative: false,
            max_factor: None,
            exact_division: false,
            natural: false,
        }
    }
}

/// The rule a node broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A whole number became a fraction.
    Integer,
    /// A non-negative value became negative.
    NonNegative,
    /// The value moved outside the allowed factor of the original.
    Magnitude,
    /// A division stopped being exact.
    ExactDivision,
    /// A value stopped being natural: more than two decimals where there were at most two
    /// (money in cents), or a whole count above zero fell to zero.
    Natural,
}

/// One broken constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The node, as an id of the new graph.
    pub node: NodeId,
    /// Its name.
    pub name: String,
    /// The rule it broke.
    pub rule: Rule,
    /// What exactly is wrong, with the values.
    pub detail: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` ({}): {}", self.name, self.node, self.detail)
    }
}

/// Whether a node divides (a `/` in its expression or a `÷k` proxy).
fn divides(kind: &NodeKind) -> bool {
    fn expr_divides(e: &Expr) -> bool {
        match e {
            Expr::Bin(op, a, b) => matches!(op, BinOp::Div) || expr_divides(a) || expr_divides(b),
            Expr::Neg(e) => expr_divides(e),
            Expr::Call(_, es) => es.iter().any(expr_divides),
            Expr::Arg(_) | Expr::Lit(_) => false,
        }
    }
    match kind {
        NodeKind::Step { expr } => expr_divides(expr),
        NodeKind::Proxy { f } => matches!(f.op, crate::ProxyOp::Div),
        NodeKind::Branch {
            then, otherwise, ..
        } => expr_divides(then) || expr_divides(otherwise),
        NodeKind::Input { .. } | NodeKind::Constant => false,
    }
}

/// The original node a node of `new` is compared with: itself when it existed in the
/// original, the node it proxies for added proxies, none for other added nodes.
fn reference(original: &Graph, new: &Graph, id: NodeId) -> Option<NodeId> {
    let mut cur = id;
    loop {
        if cur.index() < original.len() {
            return Some(cur);
        }
        let node = new.get(cur).ok()?;
        match node.kind {
            NodeKind::Proxy { .. } => cur = *node.operands.first()?,
            _ => return None,
        }
    }
}

/// In a table of references ([`fill_references`]): the node has no [`reference`] (an added
/// node that is no proxy).
pub(crate) const NO_REFERENCE: u32 = u32::MAX;

/// Fills `refs` with, per node of `new`, its [`reference`] in `original` ([`NO_REFERENCE`]
/// for none): what a sampler drawing on `new` again and again looks up rather than walks
/// (whether a node is the original's or an added one, and how many proxies it is down,
/// changes from node to node, which no predictor learns).
pub(crate) fn fill_references(original: &Graph, new: &Graph, refs: &mut Vec<u32>) {
    refs.clear();
    refs.extend(
        new.ids()
            .map(|id| reference(original, new, id).map_or(NO_REFERENCE, |r| r.0)),
    );
}

/// [`reference`] of node `id` of `new`, read from `refs` (`new`'s [`fill_references`] table)
/// when given.
#[inline(always)]
fn reference_in(original: &Graph, new: &Graph, refs: Option<&[u32]>, id: NodeId) -> Option<NodeId> {
    let r = match refs.and_then(|refs| refs.get(id.index())) {
        Some(&NO_REFERENCE) => None,
        Some(&r) => Some(NodeId(r)),
        None => reference(original, new, id),
    };
    debug_assert_eq!(r, reference(original, new, id));
    r
}

/// Lists every node of `new` that breaks a rule of `c` compared with `original`.
///
/// Nodes are compared by id. Nodes added by interventions are compared with the node they
/// proxy; other added nodes are judged on their own (whole and non-negative when all their
/// operands are).
pub fn check(original: &Graph, new: &Graph, c: &Constraints) -> Vec<Violation> {
    check_nodes(original, new, new.order().iter().copied(), c)
}

/// Like [`check`], for the listed nodes of `new` only (those an intervention changed or
/// added, when the rest is known to pass).
pub fn check_nodes(
    original: &Graph,
    new: &Graph,
    ids: impl IntoIterator<Item = NodeId>,
    c: &Constraints,
) -> Vec<Violation> {
    let mut out = Vec::new();
    for id in ids {
        let node = new.node(id);
        let reference = reference_of(original, new, id);
        judge(
            c,
            reference,
            || divides(&node.kind),
            new.value(id),
            |rule, detail| {
                out.push(Violation {
                    node: id,
                    name: node.name.clone(),
                    rule,
                    detail: detail(),
                })
            },
        );
    }
    out
}

/// Whether grafting `t' = f(t)` onto `t` of `current`, giving `t'` the value `value`, keeps
/// the proxy itself within the rules (a cheap test before the graft is made).
pub fn proxy_allowed(
    original: &Graph,
    current: &Graph,
    t: NodeId,
    f: &crate::ProxyFn,
    value: Number,
    c: &Constraints,
) -> bool {
    let mut ok = true;
    let reference = match reference(original, current, t).and_then(|r| original.get_value(r).ok()) {
        Some(o) => Reference::Original(o),
        None => {
            // An added node of its own: the proxy is judged by its one operand, `t`.
            let Ok(tv) = current.get_value(t) else {
                return true;
            };
            Reference::Added {
                ints: tv.is_integer(),
                nonneg: !tv.is_negative(),
            }
        }
    };
    judge(
        c,
        reference,
        || matches!(f.op, crate::ProxyOp::Div),
        value,
        |_, _| ok = false,
    );
    ok
}

/// What a node is judged against.
enum Reference {
    /// The value of the corresponding original node.
    Original(Number),
    /// An added node: whether its operands are all whole and all non-negative.
    Added { ints: bool, nonneg: bool },
}

fn reference_of(original: &Graph, new: &Graph, id: NodeId) -> Reference {
    match reference(original, new, id).and_then(|r| original.get_value(r).ok()) {
        Some(o) => Reference::Original(o),
        None => {
            let node = new.node(id);
            let ops = || node.operands.iter().map(|o| new.value(*o));
            Reference::Added {
                ints: node.kind.is_operation() && ops().all(|x| x.is_integer()),
                nonneg: node.kind.is_operation() && ops().all(|x| !x.is_negative()),
            }
        }
    }
}

/// Applies the rules of `c` to the value `v`, reporting each broken one; the detail is built
/// only when asked for.
fn judge(
    c: &Constraints,
    r: Reference,
    div: impl Fn() -> bool,
    v: Number,
    mut push: impl FnMut(Rule, &dyn Fn() -> String),
) {
    let (ref_int, ref_nonneg, ref_val) = match r {
        Reference::Original(o) => (o.is_integer(), !o.is_negative(), Some(o)),
        Reference::Added { ints, nonneg } => (ints, nonneg, None),
    };
    // Whether the node divides (`div`, a walk of its expression) is asked last: a whole value
    // (nearly every one) breaks no division rule whatever the node does.
    if c.exact_division && ref_int && !v.is_integer() && div() {
        push(Rule::ExactDivision, &|| {
            format!("division gives {v}, which does not come out even")
        });
    } else if c.exact_division
        && !v.is_integer()
        && !v.terminates()
        && ref_val.is_none_or(|o| o.terminates())
        && div()
    {
        push(Rule::ExactDivision, &|| {
            format!("division gives {v}, a never-ending decimal")
        });
    } else if c.integers && ref_int && !v.is_integer() {
        push(Rule::Integer, &|| format!("was a whole number, is now {v}"));
    }
    if c.natural {
        if let Some(o) = ref_val {
            // A whole value has no decimals to count (nearly every value is whole), and only
            // a whole value can be zero.
            if !v.is_integer() {
                let places = |n: Number| decimals(n).unwrap_or(u32::MAX);
                let had = places(o);
                if had <= 2 && places(v) > had.max(2) {
                    push(Rule::Natural, &|| {
                        format!("{v} has more than two decimals (the original {o} had at most two)")
                    });
                }
            } else if o.is_integer() && !o.is_negative() && !o.is_zero() && v.is_zero() {
                push(Rule::Natural, &|| format!("a count of {o} fell to zero"));
            }
        }
    }
    if c.non_negative && ref_nonneg && v.is_negative() {
        push(Rule::NonNegative, &|| {
            format!("was non-negative, is now {v}")
        });
    }
    if let (Some(f), Some(o)) = (c.max_factor, ref_val) {
        match magnitude(o, v, f) {
            Magnitude::Within => {}
            Magnitude::Above => push(Rule::Magnitude, &|| {
                format!("{v} is more than {f}× the original {o}")
            }),
            Magnitude::Below => push(Rule::Magnitude, &|| {
                format!("{v} is less than 1/{f} of the original {o}")
            }),
        }
    }
}

/// How many decimal places `n` has (`None`: it never ends).
fn decimals(n: Number) -> Option<u32> {
    if n.is_integer() {
        return Some(0);
    }
    // `p / (2^a 5^b)` is written with `max(a, b)` places by `to_decimal_string` (counted
    // without writing it), which gives up (`None`) when the scaled numerator overflows.
    if let (Ok(den), true) = (u64::try_from(n.denom()), i64::try_from(n.numer()).is_ok()) {
        // The usual case, in 64 bits: the numerator scaled by at most 10^18 / 2 fits 128.
        let twos = den.trailing_zeros();
        let mut d = den >> twos;
        let mut fives = 0;
        while d % 5 == 0 {
            d /= 5;
            fives += 1;
        }
        if d != 1 {
            return None;
        }
        let places = twos.max(fives);
        if places <= 18 {
            return Some(places);
        }
    }
    let mut d = n.denom();
    let twos = d.trailing_zeros();
    d >>= twos;
    let mut fives = 0;
    while d % 5 == 0 {
        d /= 5;
        fives += 1;
    }
    if d != 1 {
        return None;
    }
    let places = twos.max(fives);
    let scale = 10i128.checked_pow(places)?;
    n.numer().checked_mul(scale / n.denom())?;
    Some(places)
}

/// Where a new value lies relative to the allowed magnitude band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Magnitude {
    Within,
    Above,
    Below,
}

/// Checks `|new| <= f * max(|orig|, 1)` and, for a non-zero original, `|new| >= |orig| / f`.
#[inline]
fn magnitude(orig: Number, new: Number, f: Number) -> Magnitude {
    if let (Some(o), Some(n), Some(k)) = (orig.to_integer(), new.to_integer(), f.to_integer()) {
        // Whole numbers: compare without building fractions.
        let (o, n) = (o.unsigned_abs(), n.unsigned_abs());
        if let (Ok(o64), Ok(n64), Ok(k32)) = (u64::try_from(o), u64::try_from(n), u32::try_from(k))
        {
            // The usual sizes: the products fit 128 bits, so no overflow check is needed
            // (the same tests as below, where they cannot overflow), and the answer is
            // final either way (what `magnitude_small` and `magnitude_exact` find for whole
            // numbers: above first, then below).
            let (o, n, k) = (u128::from(o64), u128::from(n64), u128::from(k32));
            if n > o.max(1) * k {
                return Magnitude::Above;
            }
            if o != 0 && k != 0 && n * k < o {
                return Magnitude::Below;
            }
            return Magnitude::Within;
        }
        let within_upper = k >= 0 && o.max(1).checked_mul(k as u128).is_none_or(|u| n <= u);
        let within_lower = o == 0 || k <= 0 || n.checked_mul(k as u128).is_none_or(|l| l >= o);
        if within_upper && within_lower {
            return Magnitude::Within;
        }
    }
    magnitude_fractions(orig, new, f)
}

/// [`magnitude`] past its whole-number test.
#[inline(never)]
fn magnitude_fractions(orig: Number, new: Number, f: Number) -> Magnitude {
    if let Some(m) = magnitude_small(orig, new, f) {
        return m;
    }
    magnitude_exact(orig, new, f)
}

/// [`magnitude`] by cross-multiplying, without a gcd, when the factor is a whole number in
/// `1..2^32` and both values have numerator and denominator within 64 bits (nearly always);
/// `None` otherwise. The products are exact in 128 bits (one that overflows is larger than
/// the other side, which is below 2^128), so the answer is [`magnitude_exact`]'s, which
/// cannot overflow for such values either.
fn magnitude_small(orig: Number, new: Number, f: Number) -> Option<Magnitude> {
    let k = u128::from(u32::try_from(f.to_integer()?).ok().filter(|&k| k > 0)?);
    let small = |x: i128| u64::try_from(x.unsigned_abs()).ok().map(u128::from);
    let (on, od) = (small(orig.numer())?, small(orig.denom())?);
    let (nn, nd) = (small(new.numer())?, small(new.denom())?);
    // |new| > k * max(|orig|, 1)  <=>  nn * od > k * max(on, od) * nd.
    let left = nn * od;
    if (on.max(od) * nd).checked_mul(k).is_some_and(|r| left > r) {
        return Some(Magnitude::Above);
    }
    // |new| < |orig| / k  <=>  nn * od * k < on * nd.
    if on != 0 && left.checked_mul(k).is_some_and(|l| l < on * nd) {
        return Some(Magnitude::Below);
    }
    Some(Magnitude::Within)
}

/// [`magnitude`] in exact fractions, for any values (rare: out of line, so that the usual
/// path of [`magnitude_fractions`] stays small).
#[inline(never)]
fn magnitude_exact(orig: Number, new: Number, f: Number) -> Magnitude {
    let (Ok(o), Ok(n)) = (orig.abs(), new.abs()) else {
        return Magnitude::Within;
    };
    let Ok(upper) = f.mul(o.max(Number::ONE)) else {
        return Magnitude::Within;
    };
    if n > upper {
        return Magnitude::Above;
    }
    if !o.is_zero() && !f.is_zero() {
        if let Ok(lower) = o.div(f) {
            if n < lower {
                return Magnitude::Below;
            }
        }
    }
    Magnitude::Within
}

/// Whether the nodes `ids` of `g` (derived from `original`) pass `c` when every node's value
/// is read from `values` instead of the graph: the check of a change that was only
/// simulated. `values` must hold one value per node of `g`.
pub(crate) fn holds_with_values(
    original: &Graph,
    g: &Graph,
    ids: impl IntoIterator<Item = NodeId>,
    values: &[Number],
    c: &Constraints,
) -> bool {
    let mut ok = true;
    for id in ids {
        let node = g.node(id);
        let reference = match reference(original, g, id).and_then(|r| original.get_value(r).ok()) {
            Some(o) => Reference::Original(o),
            None => {
                let ops = || node.operands.iter().map(|o| values[o.index()]);
                Reference::Added {
                    ints: node.kind.is_operation() && ops().all(|x| x.is_integer()),
                    nonneg: node.kind.is_operation() && ops().all(|x| !x.is_negative()),
                }
            }
        };
        judge(
            c,
            reference,
            || divides(&node.kind),
            values[id.index()],
            |_, _| ok = false,
        );
        if !ok {
            return false;
        }
    }
    true
}

/// [`holds_with_values`] of the one node `id`: the value a [`Plan`] does not settle (kept
/// out of line, so that [`RuleCache::holds`] inlines small).
#[inline(never)]
fn holds_one(original: &Graph, g: &Graph, id: NodeId, values: &[Number], c: &Constraints) -> bool {
    holds_with_values(original, g, std::iter::once(id), values, c)
}

/// What the rules of one [`Constraints`] ask of a value of a node whose original value is `o`
/// ([`judge`] worked out once per original node): a whole value breaks no division, integer
/// or decimals rule, so only zero, the sign and the magnitude are left to test; a fraction
/// where the original is whole breaks the integer rule.
#[derive(Debug, Clone, Copy)]
struct Plan {
    /// The original value the plan was made for (a slot whose original differs is made again).
    o: Number,
    /// Zero breaks a rule (the original is a whole count above zero, and values are natural).
    zero_fails: bool,
    /// A negative value breaks a rule (the original is not negative).
    negative_fails: bool,
    /// Any fraction breaks a rule (the original is whole, and values must stay whole).
    fraction_fails: bool,
    /// The original is a fraction: a fraction that terminates breaks no division or integer
    /// rule, only (besides the sign and the magnitude) the decimals one.
    fraction_judged: bool,
    /// The most decimals a fraction may have (`u32::MAX`: no limit), when the original is a
    /// fraction.
    places: u32,
    /// The original's decimals never end (`1/3`): no division or decimals rule then applies
    /// to a fraction, only the sign and the magnitude.
    endless: bool,
    /// The magnitude rule for whole values.
    band: Band,
    /// The largest factor allowed (for [`magnitude`] where `band` does not settle it).
    factor: Number,
}

/// [`Plan`]'s magnitude rule.
#[derive(Debug, Clone, Copy)]
enum Band {
    /// No magnitude rule.
    Free,
    /// The original `|o|` and the factor `k` are whole and within 64 and 32 bits: a whole
    /// value `n` within 64 bits passes when `lo <= |n| <= hi` ([`magnitude`]'s first test:
    /// above when `|n| > max(|o|, 1)·k`, so `hi` is that bound, capped at `u64::MAX`; below
    /// when `o ≠ 0`, `k ≠ 0` and `|n|·k < |o|`, that is `|n| < ⌈|o| / k⌉`, so `lo` is that
    /// quotient, or 0 when nothing is below).
    Whole { lo: u64, hi: u64 },
    /// Any other: [`magnitude`].
    Exact,
}

impl Plan {
    #[cold]
    fn new(c: &Constraints, o: Number) -> Plan {
        let band = match c.max_factor {
            None => Band::Free,
            Some(f) => {
                let small = o
                    .to_integer()
                    .and_then(|o| u64::try_from(o.unsigned_abs()).ok())
                    .zip(f.to_integer().and_then(|k| u32::try_from(k).ok()));
                match small {
                    Some((o, k)) => {
                        let (o, k) = (u128::from(o), u128::from(k));
                        // (`⌈o / k⌉ <= o` fits 64 bits.)
                        let lo = if o != 0 && k != 0 { o.div_ceil(k) } else { 0 };
                        Band::Whole {
                            lo: u64::try_from(lo).unwrap_or(u64::MAX),
                            hi: u64::try_from(o.max(1) * k).unwrap_or(u64::MAX),
                        }
                    }
                    None => Band::Exact,
                }
            }
        };
        Plan {
            o,
            zero_fails: c.natural && o.is_integer() && !o.is_negative() && !o.is_zero(),
            negative_fails: c.non_negative && !o.is_negative(),
            fraction_fails: c.integers && o.is_integer(),
            fraction_judged: !o.is_integer(),
            // What `judge` allows: no more than the original's places, or two.
            places: match decimals(o) {
                Some(had) if c.natural && had <= 2 => had.max(2),
                _ => u32::MAX,
            },
            endless: !o.terminates(),
            band,
            factor: c.max_factor.unwrap_or(Number::ONE),
        }
    }

    /// Whether `v` passes, when the plan settles it (`None`: the full rules are needed).
    #[inline(always)]
    fn holds(&self, v: Number) -> Option<bool> {
        let Some(n) = v.to_integer() else {
            return if self.fraction_fails {
                Some(false)
            } else if self.fraction_judged {
                self.holds_fraction(v)
            } else {
                None
            };
        };
        // (Without a branch per test: which of them a value meets changes from value to
        // value.)
        if ((n == 0) & self.zero_fails) | ((n < 0) & self.negative_fails) {
            return Some(false);
        }
        Some(match self.band {
            Band::Free => true,
            Band::Whole { lo, hi } => match u64::try_from(n.unsigned_abs()) {
                Ok(n) => lo <= n && n <= hi,
                Err(_) => matches!(magnitude(self.o, v, self.factor), Magnitude::Within),
            },
            Band::Exact => matches!(magnitude(self.o, v, self.factor), Magnitude::Within),
        })
    }
}

impl Plan {
    /// [`Plan::holds`] of a fraction `v` when the original is a fraction too: `None` for a
    /// fraction that does not terminate (or whose decimals cannot be counted), which the
    /// division rule judges by what the node does, unless the decimals rule fails it anyway or
    /// the original's decimals never end either.
    #[inline(never)]
    fn holds_fraction(&self, v: Number) -> Option<bool> {
        let places = match decimals(v) {
            Some(places) => places,
            // Decimals that never end (or cannot be counted) are more than any limit: where
            // the decimals rule applies it fails, whatever the division rule says.
            None if self.places != u32::MAX => return Some(false),
            // An original whose decimals never end asks nothing of a fraction's decimals or
            // of the division: only the sign and the magnitude are left.
            None if self.endless => 0,
            None => return None,
        };
        if (self.negative_fails && v.is_negative()) || places > self.places {
            return Some(false);
        }
        Some(match self.band {
            Band::Free => true,
            // (`magnitude` of a fraction goes straight to this.)
            Band::Whole { .. } | Band::Exact => matches!(
                magnitude_fractions(self.o, v, self.factor),
                Magnitude::Within
            ),
        })
    }
}

/// [`holds_with_values`] and [`proxy_allowed`] for a sampler that checks the same few nodes
/// of one original again and again, under one [`Constraints`]: what the rules ask of a node's
/// value is worked out per original node the first time it is needed ([`Plan`]), so that a
/// whole value (nearly every one) is judged by a few comparisons; any value the plan does not
/// settle is judged by the full rules.
#[derive(Debug, Default)]
pub(crate) struct RuleCache {
    /// The constraints the plans are for.
    c: Option<Constraints>,
    /// Per node of the original, its plan (checked against the node's value before use).
    plans: Vec<Plan>,
}

impl RuleCache {
    /// Readies the cache for `c` and the nodes of `original` (forgetting the plans of other
    /// constraints).
    pub(crate) fn prepare(&mut self, original: &Graph, c: &Constraints) {
        if self.c.as_ref() != Some(c) {
            self.c = Some(c.clone());
            self.plans.clear();
        }
        if self.plans.len() < original.len() {
            // Each new slot holds the plan of 0 (a node of another value gets its own when
            // first needed).
            self.plans
                .resize(original.len(), Plan::new(c, Number::ZERO));
        }
    }

    /// What the plan of original node `r` says of `v`.
    #[inline(always)]
    fn quick(&mut self, original: &Graph, c: &Constraints, r: NodeId, v: Number) -> Option<bool> {
        let o = original.value(r);
        let slot = &mut self.plans[r.index()];
        if slot.o != o {
            *slot = Plan::new(c, o);
        }
        slot.holds(v)
    }

    /// [`holds_with_values`] of the one node `id` (after [`RuleCache::prepare`] with
    /// `original` and `c`), given `g`'s [`fill_references`] table when there is one. Inlined
    /// into the sampler's loop (a call per changed node), with the full rules out of line.
    #[inline(always)]
    pub(crate) fn holds(
        &mut self,
        original: &Graph,
        g: &Graph,
        refs: Option<&[u32]>,
        id: NodeId,
        values: &[Number],
        c: &Constraints,
    ) -> bool {
        debug_assert_eq!(self.c.as_ref(), Some(c));
        let fast = match reference_in(original, g, refs, id) {
            Some(r) => self.quick(original, c, r, values[id.index()]),
            None => None,
        };
        match fast {
            Some(ok) => {
                debug_assert_eq!(
                    ok,
                    holds_with_values(original, g, std::iter::once(id), values, c)
                );
                ok
            }
            None => holds_one(original, g, id, values, c),
        }
    }

    /// [`proxy_allowed`] (after [`RuleCache::prepare`] with `original` and `c`), given
    /// `current`'s [`fill_references`] table when there is one.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn proxy_allowed(
        &mut self,
        original: &Graph,
        current: &Graph,
        refs: Option<&[u32]>,
        t: NodeId,
        f: &crate::ProxyFn,
        value: Number,
        c: &Constraints,
    ) -> bool {
        debug_assert_eq!(self.c.as_ref(), Some(c));
        let fast = match reference_in(original, current, refs, t) {
            Some(r) => self.quick(original, c, r, value),
            None => None,
        };
        match fast {
            Some(ok) => {
                debug_assert_eq!(ok, proxy_allowed(original, current, t, f, value, c));
                ok
            }
            None => proxy_allowed(original, current, t, f, value, c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_the_places_a_decimal_string_writes() {
        let written = |n: Number| {
            let s = n.to_decimal_string()?;
            Some(s.split_once('.').map_or(0, |(_, f)| f.len() as u32))
        };
        let mut checked = 0;
        for num in [
            -1001i128,
            -37,
            -1,
            0,
            1,
            3,
            7,
            250,
            12345,
            i128::MAX / 7,
            i128::MAX,
        ] {
            for den in [
                1i128,
                2,
                3,
                4,
                5,
                8,
                10,
                12,
                16,
                25,
                40,
                125,
                1000,
                1 << 40,
                1 << 100,
            ] {
                let Ok(n) = Number::ratio(num, den) else {
                    continue;
                };
                assert_eq!(decimals(n), written(n), "{num}/{den}");
                checked += 1;
            }
        }
        assert!(checked > 100);
        assert_eq!(decimals(Number::ratio(1, 8).unwrap()), Some(3));
        assert_eq!(decimals(Number::ratio(1, 3).unwrap()), None);
    }
    use crate::intervene::{intervene, tests::eggs, Intervention};
    use crate::{ProxyFn, ProxyOp};

    /// A value with numerator and denominator drawn from sizes around the 64-bit bounds.
    fn value(num: i128, den_pow2: u32, den_pow5: u32, den_odd: i128) -> Option<Number> {
        let den = 2i128
            .checked_pow(den_pow2)?
            .checked_mul(5i128.checked_pow(den_pow5)?)?
            .checked_mul(den_odd)?;
        Number::ratio(num, den).ok()
    }

    fn edgy() -> impl proptest::strategy::Strategy<Value = i128> {
        use proptest::prelude::*;
        prop_oneof![
            -1000i128..1000,
            any::<i64>().prop_map(i128::from),
            any::<u64>().prop_map(i128::from),
            any::<i128>(),
            Just(i128::from(u64::MAX)),
            Just(-i128::from(u64::MAX)),
            Just(i128::from(u64::MAX) + 1),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        #[test]
        fn magnitude_fast_paths_agree_with_exact_fractions(
            on in edgy(), op2 in 0u32..70, op5 in 0u32..30, oodd in 1i128..8,
            nn in edgy(), np2 in 0u32..70, np5 in 0u32..30, nodd in 1i128..8,
            k in proptest::prop_oneof![-3i128..40, proptest::prelude::Just(i128::from(u32::MAX)), proptest::prelude::Just(1i128 << 32)],
            kden in proptest::prop_oneof![proptest::prelude::Just(1i128), 2i128..5],
        ) {
            let (Some(o), Some(n), Ok(f)) = (value(on, op2, op5, oodd), value(nn, np2, np5, nodd), Number::ratio(k, kden)) else {
                return Ok(());
            };
            proptest::prop_assert_eq!(magnitude(o, n, f), magnitude_exact(o, n, f), "{} {} {}", o, n, f);
        }

        #[test]
        fn magnitude_of_whole_numbers_agrees_with_exact_fractions(
            o in edgy(), n in edgy(),
            k in proptest::prop_oneof![-3i128..40, proptest::prelude::Just(i128::from(u32::MAX)), proptest::prelude::Just(1i128 << 32), proptest::prelude::any::<i128>()],
        ) {
            // Whole values and factor: the 64-bit path and the checked one.
            let (o, n, f) = (Number::int(o), Number::int(n), Number::int(k));
            proptest::prop_assert_eq!(magnitude(o, n, f), magnitude_exact(o, n, f), "{} {} {}", o, n, f);
        }

        #[test]
        fn decimals_fast_path_agrees_with_the_written_places(
            num in edgy(), p2 in 0u32..70, p5 in 0u32..30, odd in 1i128..4,
        ) {
            let Some(n) = value(num, p2, p5, odd) else { return Ok(()); };
            let written = n.to_decimal_string().map(|s| s.split_once('.').map_or(0, |(_, f)| f.len() as u32));
            proptest::prop_assert_eq!(decimals(n), written, "{}", n);
        }
    }

    fn n(v: i128) -> Number {
        Number::int(v)
    }

    #[test]
    fn the_rule_cache_judges_as_the_full_rules() {
        // Originals with whole and fractional values, graphs derived from them with proxies
        // stacked (a `÷` among them), and one cache kept across them all: each original's
        // plans are made again where its values differ.
        let whole = eggs();
        let price = whole.find("price").unwrap();
        let set = |g: &Graph, value: Number| {
            intervene(g, &Intervention::SetInput { node: price, value })
                .unwrap()
                .0
        };
        let fractional = set(&whole, Number::ratio(5, 2).unwrap());
        let big = set(&whole, n(i128::from(u64::MAX) * 4));
        // Decimals that never end, and more than two of them: no decimals rule applies.
        let endless = set(&whole, Number::ratio(10, 3).unwrap());
        let fine = set(&whole, Number::ratio(7, 1000).unwrap());
        let graft = |g: &Graph, name: &str, op: ProxyOp, k: i128| {
            let node = g.find(name).unwrap();
            intervene(
                g,
                &Intervention::Graft {
                    node,
                    f: ProxyFn { op, k: n(k) },
                },
            )
            .unwrap()
            .0
        };
        let values = [
            n(-5),
            n(0),
            n(1),
            n(7),
            n(16),
            n(200),
            n(i128::from(u64::MAX) + 3),
            n(-(1i128 << 100)),
            Number::ratio(1, 2).unwrap(),
            Number::ratio(5, 2).unwrap(),
            Number::ratio(-17, 8).unwrap(),
            Number::ratio(1, 3).unwrap(),
            Number::ratio(7, 1000).unwrap(),
            Number::ratio(i128::from(u64::MAX), 4).unwrap(),
        ];
        let constraints = [
            Constraints::default(),
            Constraints::none(),
            Constraints {
                integers: false,
                max_factor: Some(Number::ratio(3, 2).unwrap()),
                ..Constraints::default()
            },
            Constraints {
                exact_division: false,
                max_factor: Some(n(1i128 << 40)),
                ..Constraints::default()
            },
        ];
        let mut cache = RuleCache::default();
        let (mut judged, mut outcomes) = (0, [0; 2]);
        for original in [&whole, &fractional, &big, &endless, &fine, &whole] {
            let once = graft(original, "eggs_left", ProxyOp::Div, 3);
            let twice = graft(&once, "price", ProxyOp::Mul, 2);
            for c in &constraints {
                for g in [original, &once, &twice] {
                    cache.prepare(original, c);
                    let mut table = Vec::new();
                    fill_references(original, g, &mut table);
                    for id in g.ids() {
                        for &v in &values {
                            let mut vals = g.values().to_vec();
                            vals[id.index()] = v;
                            let held = cache.holds(original, g, None, id, &vals, c);
                            assert_eq!(
                                held,
                                holds_with_values(original, g, [id], &vals, c),
                                "{id} = {v} under {c:?}"
                            );
                            // The references looked up in the table are those walked.
                            assert_eq!(cache.holds(original, g, Some(&table), id, &vals, c), held);
                            outcomes[usize::from(held)] += 1;
                            for f in [
                                ProxyFn {
                                    op: ProxyOp::Div,
                                    k: n(2),
                                },
                                ProxyFn {
                                    op: ProxyOp::Add,
                                    k: n(3),
                                },
                            ] {
                                for refs in [None, Some(table.as_slice())] {
                                    assert_eq!(
                                        cache.proxy_allowed(original, g, refs, id, &f, v, c),
                                        proxy_allowed(original, g, id, &f, v, c),
                                        "{f} on {id} = {v} under {c:?}"
                                    );
                                }
                            }
                            judged += 1;
                        }
                    }
                }
            }
        }
        assert!(
            judged > 1000 && outcomes.iter().all(|&k| k > 200),
            "{judged} {outcomes:?}"
        );
    }

    #[test]
    fn unchanged_graph_passes() {
        let g = eggs();
        assert!(check(&g, &g, &Constraints::default()).is_empty());
    }

    #[test]
    fn negative_and_fraction_are_caught() {
        let g = eggs();
        let eaten = g.find("eggs_eaten").unwrap();
        let (h, _) = intervene(
            &g,
            &Intervention::SetInput {
                node: eaten,
                value: n(20),
            },
        )
        .unwrap();
        let v = check(&g, &h, &Constraints::default());
        assert!(v
            .iter()
            .any(|v| v.rule == Rule::NonNegative && v.name == "eggs_left"));
        assert!(check(&g, &h, &Constraints::none()).is_empty());

        let left = g.find("eggs_left").unwrap();
        let (h, _) = intervene(
            &g,
            &Intervention::Graft {
                node: left,
                f: ProxyFn {
                    op: ProxyOp::Div,
                    k: n(4),
                },
            },
        )
        .unwrap();
        let v = check(&g, &h, &Constraints::default());
        assert!(v.iter().any(|v| v.rule == Rule::ExactDivision), "{v:?}");
        assert!(v
            .iter()
            .any(|v| v.rule == Rule::Integer && v.name == "money"));
    }

    #[test]
    fn magnitude_bounds() {
        let g = eggs();
        let price = g.find("price").unwrap();
        let (h, _) = intervene(
            &g,
            &Intervention::SetInput {
                node: price,
                value: n(300),
            },
        )
        .unwrap();
        let v = check(&g, &h, &Constraints::default());
        assert!(v
            .iter()
            .any(|v| v.rule == Rule::Magnitude && v.node == price));
        let loose = Constraints {
            max_factor: Some(n(1000)),
            ..Constraints::default()
        };
        assert!(check(&g, &h, &loose).is_empty());
    }
}
