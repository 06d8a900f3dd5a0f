//! Exact rational numbers with overflow checks.
//!
//! Every value in a Graft graph is a [`Number`]: a reduced fraction of two `i128`s.
//! Arithmetic never rounds and never panics: division by zero, overflow and results that
//! are not rational (such as `2 ** 0.5`) are [`ArithError`]s.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use num_integer::Integer;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An arithmetic failure: what went wrong while computing a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ArithError {
    /// Division (or modulo) by zero.
    #[error("division by zero")]
    DivisionByZero,
    /// A value outside the exact range (about ±1.7e38 in numerator and denominator).
    #[error("overflow: the exact value is too large")]
    Overflow,
    /// The exact result is not a rational number (for example `2 ** 0.5`).
    #[error("not exact: {0}")]
    NotExact(String),
}

/// An exact rational number, always stored reduced with a positive denominator.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Number {
    num: i128,
    den: i128,
}

/// Result of an arithmetic operation on [`Number`]s.
pub type ArithResult = Result<Number, ArithError>;

// `add`, `sub`, `mul`, … are checked operations returning `Result`, not the `std::ops` traits.
#[allow(clippy::should_implement_trait)]
impl Number {
    /// Zero.
    pub const ZERO: Number = Number { num: 0, den: 1 };
    /// One.
    pub const ONE: Number = Number { num: 1, den: 1 };

    /// The integer `n`.
    pub const fn int(n: i128) -> Number {
        Number { num: n, den: 1 }
    }

    /// The fraction `num / den`, reduced.
    pub fn ratio(num: i128, den: i128) -> ArithResult {
        if den == 0 {
            return Err(ArithError::DivisionByZero);
        }
        if den == 1 {
            return Ok(Number::int(num));
        }
        let g = gcd(num, den);
        let (mut n, mut d) = if g == 0 {
            (0, 1)
        } else {
            (div_pos(num, g), div_pos(den, g))
        };
        if d < 0 {
            n = n.checked_neg().ok_or(ArithError::Overflow)?;
            d = d.checked_neg().ok_or(ArithError::Overflow)?;
        }
        Ok(Number { num: n, den: d })
    }

    /// The numerator (carries the sign).
    pub fn numer(&self) -> i128 {
        self.num
    }

    /// The denominator (always positive).
    pub fn denom(&self) -> i128 {
        self.den
    }

    /// Whether the value is a whole number.
    pub fn is_integer(&self) -> bool {
        self.den == 1
    }

    /// Whether the value is below zero.
    pub fn is_negative(&self) -> bool {
        self.num < 0
    }

    /// Whether the value is zero.
    pub fn is_zero(&self) -> bool {
        self.num == 0
    }

    /// The value as an integer, when it is one.
    pub fn to_integer(&self) -> Option<i128> {
        self.is_integer().then_some(self.num)
    }

    /// The nearest `f64` (for display and tolerance checks only).
    pub fn to_f64(&self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// `self + rhs`.
    #[inline]
    pub fn add(self, rhs: Number) -> ArithResult {
        if self.den == 1 && rhs.den == 1 {
            return Ok(Number::int(
                self.num.checked_add(rhs.num).ok_or(ArithError::Overflow)?,
            ));
        }
        self.add_fractions(rhs)
    }

    /// [`Number::add`] when either side is not whole (kept out of line, so that the whole
    /// case inlines into its callers).
    #[inline(never)]
    fn add_fractions(self, rhs: Number) -> ArithResult {
        // A fraction plus a whole number (a `+ k` or `- k` change of a fraction): `n/d + k` is
        // `(n + k·d)/d`, already reduced (`n + k·d` shares no factor with `d` that `n` does
        // not), so no gcd is needed; what the general path below works out.
        if rhs.den == 1 || self.den == 1 {
            let (frac, whole) = if rhs.den == 1 {
                (self, rhs)
            } else {
                (rhs, self)
            };
            let shifted = mul_checked(whole.num, frac.den).ok_or(ArithError::Overflow)?;
            let n = frac.num.checked_add(shifted).ok_or(ArithError::Overflow)?;
            return Ok(Number {
                num: n,
                den: frac.den,
            });
        }
        if self.den == rhs.den {
            let n = self.num.checked_add(rhs.num).ok_or(ArithError::Overflow)?;
            return Number::ratio(n, self.den);
        }
        let g = gcd(self.den, rhs.den);
        let l = div_pos(self.den, g);
        let r = div_pos(rhs.den, g);
        let a = mul_checked(self.num, r).ok_or(ArithError::Overflow)?;
        let b = mul_checked(rhs.num, l).ok_or(ArithError::Overflow)?;
        let n = a.checked_add(b).ok_or(ArithError::Overflow)?;
        let d = mul_checked(l, rhs.den).ok_or(ArithError::Overflow)?;
        Number::ratio(n, d)
    }

    /// `self - rhs`.
    #[inline]
    pub fn sub(self, rhs: Number) -> ArithResult {
        self.add(rhs.neg()?)
    }

    /// `-self`.
    pub fn neg(self) -> ArithResult {
        Ok(Number {
            num: self.num.checked_neg().ok_or(ArithError::Overflow)?,
            den: self.den,
        })
    }

    /// `|self|`.
    pub fn abs(self) -> ArithResult {
        if self.num < 0 {
            self.neg()
        } else {
            Ok(self)
        }
    }

    /// `self * rhs`.
    #[inline]
    pub fn mul(self, rhs: Number) -> ArithResult {
        if self.den == 1 && rhs.den == 1 {
            return Ok(Number::int(
                mul_checked(self.num, rhs.num).ok_or(ArithError::Overflow)?,
            ));
        }
        self.mul_fractions(rhs)
    }

    /// [`Number::mul`] when either side is not whole (out of line, as `add_fractions`).
    #[inline(never)]
    fn mul_fractions(self, rhs: Number) -> ArithResult {
        // Both operands are reduced, so cancelling across is enough: the result is reduced
        // and its denominator positive.
        let g1 = if rhs.den == 1 {
            1
        } else {
            gcd(self.num, rhs.den).max(1)
        };
        let g2 = if self.den == 1 {
            1
        } else {
            gcd(rhs.num, self.den).max(1)
        };
        let n =
            mul_checked(div_pos(self.num, g1), div_pos(rhs.num, g2)).ok_or(ArithError::Overflow)?;
        let d =
            mul_checked(div_pos(self.den, g2), div_pos(rhs.den, g1)).ok_or(ArithError::Overflow)?;
        if n == 0 {
            return Ok(Number::ZERO);
        }
        Ok(Number { num: n, den: d })
    }

    /// `self / rhs` (true division, exact).
    pub fn div(self, rhs: Number) -> ArithResult {
        if self.den == 1 && rhs.den == 1 {
            // Whole numbers that divide evenly (most divisions in word problems): the quotient,
            // without the gcd the general path works out.
            if let (Ok(a), Ok(b)) = (i64::try_from(self.num), i64::try_from(rhs.num)) {
                if a.checked_rem(b) == Some(0) {
                    if let Some(q) = a.checked_div(b) {
                        return Ok(Number::int(i128::from(q)));
                    }
                }
            }
        }
        self.mul(rhs.recip()?)
    }

    /// `1 / self`.
    pub fn recip(self) -> ArithResult {
        if self.num == 0 {
            return Err(ArithError::DivisionByZero);
        }
        // Already reduced: only the sign moves to the numerator.
        if self.num < 0 {
            Ok(Number {
                num: self.den.checked_neg().ok_or(ArithError::Overflow)?,
                den: self.num.checked_neg().ok_or(ArithError::Overflow)?,
            })
        } else {
            Ok(Number {
                num: self.den,
                den: self.num,
            })
        }
    }

    /// The largest integer not above the value (Python's `math.floor`).
    pub fn floor(self) -> Number {
        if self.den == 1 {
            return self;
        }
        Number::int(Integer::div_floor(&self.num, &self.den))
    }

    /// The smallest integer not below the value (Python's `math.ceil`).
    pub fn ceil(self) -> Number {
        let floor = Integer::div_floor(&self.num, &self.den);
        Number::int(if self.den == 1 { floor } else { floor + 1 })
    }

    /// The integer part, rounded toward zero (Python's `int(x)`).
    pub fn trunc(self) -> Number {
        Number::int(self.num / self.den)
    }

    /// Python's `self // rhs`: floor of the exact quotient.
    pub fn floor_div(self, rhs: Number) -> ArithResult {
        Ok(self.div(rhs)?.floor())
    }

    /// Python's `self % rhs`: the remainder with the sign of `rhs`.
    pub fn rem(self, rhs: Number) -> ArithResult {
        let q = self.floor_div(rhs)?;
        self.sub(rhs.mul(q)?)
    }

    /// Python's `round(self, digits)`: to `digits` decimals, ties to even.
    pub fn round(self, digits: i32) -> ArithResult {
        let scale = Number::int(10).powi(digits)?;
        let scaled = self.mul(scale)?;
        let fl = scaled.floor();
        let frac = scaled.sub(fl)?;
        let half = Number { num: 1, den: 2 };
        let rounded = match frac.cmp(&half) {
            Ordering::Less => fl,
            Ordering::Greater => fl.add(Number::ONE)?,
            Ordering::Equal => {
                if fl.num % 2 == 0 {
                    fl
                } else {
                    fl.add(Number::ONE)?
                }
            }
        };
        rounded.div(scale)
    }

    /// `self ** exp` for an integer exponent (negative means reciprocal).
    pub fn powi(self, exp: i32) -> ArithResult {
        if exp < 0 {
            return self
                .recip()?
                .powi(exp.checked_neg().ok_or(ArithError::Overflow)?);
        }
        let e = exp as u32;
        let n = self.num.checked_pow(e).ok_or(ArithError::Overflow)?;
        let d = self.den.checked_pow(e).ok_or(ArithError::Overflow)?;
        Ok(Number { num: n, den: d })
    }

    /// `self ** exp`: exact for integer exponents and for roots that come out rational.
    pub fn pow(self, exp: Number) -> ArithResult {
        if exp.is_integer() {
            let e = i32::try_from(exp.num).map_err(|_| ArithError::Overflow)?;
            if e.unsigned_abs() > 512 && self.num.abs() != 1 && self.num != 0 {
                return Err(ArithError::Overflow);
            }
            if self.is_zero() && e < 0 {
                return Err(ArithError::DivisionByZero);
            }
            return self.powi(e);
        }
        // Rational exponent p/q: take the exact q-th root, if there is one.
        if self.num < 0 {
            return Err(ArithError::NotExact(format!(
                "{self} ** {exp} is not a real number"
            )));
        }
        let q = u32::try_from(exp.den).map_err(|_| ArithError::Overflow)?;
        let root = |v: i128| exact_root(v, q);
        match (root(self.num), root(self.den)) {
            (Some(n), Some(d)) => Number { num: n, den: d }.pow(Number::int(exp.num)),
            _ => Err(ArithError::NotExact(format!(
                "{self} ** {exp} is irrational"
            ))),
        }
    }

    /// The smaller of two numbers.
    pub fn min(self, other: Number) -> Number {
        if other < self {
            other
        } else {
            self
        }
    }

    /// The larger of two numbers.
    pub fn max(self, other: Number) -> Number {
        if other > self {
            other
        } else {
            self
        }
    }

    /// Whether the decimal expansion terminates (the denominator has no prime factor but 2 and 5).
    pub fn terminates(&self) -> bool {
        if self.den == 1 {
            return true;
        }
        let mut d = self.den;
        d >>= d.trailing_zeros();
        while d % 5 == 0 {
            d /= 5;
        }
        d == 1
    }

    /// The decimal expansion, when it terminates (`0.2`, `12.75`); `None` for `1/3`.
    pub fn to_decimal_string(&self) -> Option<String> {
        if self.den == 1 {
            return Some(digits(self.num < 0, self.num.unsigned_abs()));
        }
        let mut d = self.den;
        let (mut twos, mut fives) = (0u32, 0u32);
        while d % 2 == 0 {
            d /= 2;
            twos += 1;
        }
        while d % 5 == 0 {
            d /= 5;
            fives += 1;
        }
        if d != 1 {
            return None;
        }
        let places = twos.max(fives);
        let scale = 10i128.checked_pow(places)?;
        let scaled = self.num.checked_mul(scale / self.den)?;
        let neg = scaled < 0;
        let digits = digits(false, scaled.unsigned_abs());
        let places = places as usize;
        // At least one digit before the point.
        let zeros = (places + 1).saturating_sub(digits.len());
        let int_len = digits.len() + zeros - places;
        let mut out = String::with_capacity(digits.len() + zeros + 2);
        if neg {
            out.push('-');
        }
        for i in 0..digits.len() + zeros {
            if i == int_len {
                out.push('.');
            }
            out.push(if i < zeros {
                '0'
            } else {
                char::from(digits.as_bytes()[i - zeros])
            });
        }
        Some(out)
    }

    /// Parses a decimal literal such as `1,200`, `-3`, `0.75`, `.5`, `2.` or `1e-3`.
    pub fn parse_decimal(text: &str) -> Option<Number> {
        // The usual case: a whole number in at most 18 digits (no overflow, no sign, no `.`).
        let b = text.as_bytes();
        if !b.is_empty() && b.len() <= 18 && b.iter().all(u8::is_ascii_digit) {
            let n = b.iter().fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
            return Some(Number::int(i128::from(n)));
        }
        let t = text.trim();
        let (neg, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (mantissa, exp) = match t.find(['e', 'E']) {
            Some(i) => (&t[..i], t[i + 1..].parse::<i32>().ok()?),
            None => (t, 0),
        };
        let (int_part, frac_part) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        let mut num: i128 = 0;
        let mut seen_digit = false;
        for c in int_part.chars() {
            match c {
                '0'..='9' => {
                    num = num.checked_mul(10)?.checked_add((c as u8 - b'0') as i128)?;
                    seen_digit = true;
                }
                ',' | '_' if seen_digit => {}
                _ => return None,
            }
        }
        let mut den: i128 = 1;
        for c in frac_part.chars() {
            match c {
                '0'..='9' => {
                    num = num.checked_mul(10)?.checked_add((c as u8 - b'0') as i128)?;
                    den = den.checked_mul(10)?;
                }
                '_' => {}
                _ => return None,
            }
        }
        let mut n = Number::ratio(if neg { -num } else { num }, den).ok()?;
        if exp != 0 {
            n = n.mul(Number::int(10).powi(exp).ok()?).ok()?;
        }
        Some(n)
    }

    /// The exact value of a finite `f64`, via its shortest round-trip decimal form.
    pub fn from_f64(x: f64) -> Option<Number> {
        if !x.is_finite() {
            return None;
        }
        Number::parse_decimal(&format!("{x}"))
    }
}

/// The greatest common divisor of `|a|` and `|b|` (binary, on 64 bits when both fit).
fn gcd(a: i128, b: i128) -> i128 {
    let (a, b) = (a.unsigned_abs(), b.unsigned_abs());
    let g = if let (Ok(a), Ok(b)) = (u64::try_from(a), u64::try_from(b)) {
        // One Euclid step first (`gcd(a, b) = gcd(b, a mod b)`): a whole number over a small
        // one (a `÷ k` proxy, a denominator) then needs few binary steps, where the binary
        // gcd alone would halve the large one step by step.
        let (a, b) = if a >= b { (a, b) } else { (b, a) };
        if b == 0 {
            a as u128
        } else {
            gcd_u64(b, a % b) as u128
        }
    } else {
        gcd_u128(a, b)
    };
    // Only 2^127 does not fit, and only as gcd(i128::MIN, 0) or gcd(i128::MIN, i128::MIN):
    // callers always pass a positive operand, so this saturation is never observed.
    i128::try_from(g).unwrap_or(i128::MAX)
}

/// Binary (Stein) gcd for one unsigned width; the 64-bit one is the fast path.
macro_rules! binary_gcd {
    ($name:ident, $t:ty) => {
        fn $name(mut a: $t, mut b: $t) -> $t {
            if a == 0 || b == 0 {
                return a | b;
            }
            let shift = (a | b).trailing_zeros();
            a >>= a.trailing_zeros();
            loop {
                b >>= b.trailing_zeros();
                if a > b {
                    std::mem::swap(&mut a, &mut b);
                }
                b -= a;
                if b == 0 {
                    return a << shift;
                }
            }
        }
    };
}
binary_gcd!(gcd_u64, u64);
binary_gcd!(gcd_u128, u128);

/// `a.checked_mul(b)`, without the 128-bit overflow test when both fit 64 bits (nearly
/// always): their product then always fits 128 bits.
#[inline]
fn mul_checked(a: i128, b: i128) -> Option<i128> {
    match (i64::try_from(a), i64::try_from(b)) {
        (Ok(x), Ok(y)) => Some(i128::from(x) * i128::from(y)),
        _ => a.checked_mul(b),
    }
}

/// `a / b` for a positive `b` that divides `a`, on 64 bits when both fit.
fn div_pos(a: i128, b: i128) -> i128 {
    if b == 1 {
        return a;
    }
    match (i64::try_from(a), i64::try_from(b)) {
        (Ok(x), Ok(y)) if y > 0 => (x / y) as i128,
        _ => a / b,
    }
}

/// The exact integer `q`-th root of a non-negative `v`, if there is one.
fn exact_root(v: i128, q: u32) -> Option<i128> {
    if v < 0 || q == 0 {
        return None;
    }
    if q == 1 || v < 2 {
        return Some(v);
    }
    let guess = (v as f64).powf(1.0 / q as f64).round() as i128;
    (guess.saturating_sub(1)..=guess.saturating_add(1))
        .find(|&r| r >= 0 && r.checked_pow(q) == Some(v))
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_fractions(self.num, self.den, other.num, other.den)
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares `a/b` with `c/d` (b, d > 0) exactly, without overflow.
fn cmp_fractions(a: i128, b: i128, c: i128, d: i128) -> Ordering {
    if let (Some(l), Some(r)) = (a.checked_mul(d), c.checked_mul(b)) {
        return l.cmp(&r);
    }
    let (qa, ra) = a.div_mod_floor(&b);
    let (qc, rc) = c.div_mod_floor(&d);
    match qa.cmp(&qc) {
        Ordering::Equal => match (ra == 0, rc == 0) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            // ra/b vs rc/d, both in (0, 1): compare d/rc with b/ra.
            (false, false) => cmp_fractions(d, rc, b, ra),
        },
        o => o,
    }
}

/// `u` in decimal digits, after a `-` when `neg`: what `to_string` writes, without the
/// formatting machinery.
fn digits(neg: bool, u: u128) -> String {
    let mut out = String::with_capacity(40);
    push_digits(&mut out, neg, u);
    out
}

/// Writes `u` in decimal digits, after a `-` when `neg`, at the end of `out` (a value that
/// fits in 64 bits is divided in 64 bits).
pub(crate) fn push_digits(out: &mut String, neg: bool, u: u128) {
    let mut buf = [0u8; 40];
    let mut i = buf.len();
    match u64::try_from(u) {
        Ok(mut v) => loop {
            i -= 1;
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        },
        Err(_) => {
            let mut v = u;
            loop {
                i -= 1;
                buf[i] = b'0' + (v % 10) as u8;
                v /= 10;
                if v == 0 {
                    break;
                }
            }
        }
    }
    if neg {
        i -= 1;
        buf[i] = b'-';
    }
    // ASCII digits and a sign: valid UTF-8.
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or_default());
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_decimal_string() {
            Some(s) => f.write_str(&s),
            None => write!(f, "{}/{}", self.num, self.den),
        }
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Error from parsing a [`Number`] from text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a number: {0:?} (expected an integer, a decimal such as 0.25, or a fraction such as 1/3)"
)]
pub struct ParseNumberError(pub String);

impl FromStr for Number {
    type Err = ParseNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseNumberError(s.to_string());
        if let Some((n, d)) = s.split_once('/') {
            let n = Number::parse_decimal(n).ok_or_else(err)?;
            let d = Number::parse_decimal(d).ok_or_else(err)?;
            return n.div(d).map_err(|_| err());
        }
        Number::parse_decimal(s).ok_or_else(err)
    }
}

impl From<i64> for Number {
    fn from(n: i64) -> Self {
        Number::int(n as i128)
    }
}

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a string such as \"3/4\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Number, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number::int(v as i128))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Number, E> {
                Ok(Number::int(v as i128))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Number, E> {
                Number::from_f64(v).ok_or_else(|| E::custom(format!("not a finite number: {v}")))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        s.parse().unwrap()
    }

    #[test]
    fn a_fraction_plus_a_whole_number_is_the_reduced_sum() {
        // `add_fractions` adds a whole number to a fraction without a gcd: the sum must be
        // the one `ratio` reduces, either way round, and overflow must still be reported.
        for (p, q) in [
            (1i128, 2i128),
            (-3, 4),
            (7, 3),
            (-1, 1000),
            (5, 6),
            (125, 8),
        ] {
            let f = Number::ratio(p, q).unwrap();
            for k in [-7i128, -1, 0, 1, 2, 10, 1 << 40] {
                let want = Number::ratio(p + k * q, q).unwrap();
                assert_eq!(f.add(Number::int(k)).unwrap(), want, "{f} + {k}");
                assert_eq!(Number::int(k).add(f).unwrap(), want, "{k} + {f}");
                assert_eq!(
                    f.sub(Number::int(k)).unwrap(),
                    Number::ratio(p - k * q, q).unwrap()
                );
            }
        }
        let half = Number::ratio(1, 2).unwrap();
        assert_eq!(half.add(Number::int(i128::MAX)), Err(ArithError::Overflow));
        assert_eq!(
            Number::int(i128::MIN).add(half.neg().unwrap()),
            Err(ArithError::Overflow)
        );
    }

    use proptest::prelude::Strategy;

    proptest::proptest! {
        #[test]
        fn a_product_in_64_bits_is_the_checked_product(
            a in proptest::prop_oneof![
                proptest::num::i128::ANY,
                proptest::num::i64::ANY.prop_map(i128::from),
                -1000i128..1000,
            ],
            b in proptest::prop_oneof![
                proptest::num::i128::ANY,
                proptest::num::i64::ANY.prop_map(i128::from),
                -1000i128..1000,
            ],
        ) {
            proptest::prop_assert_eq!(mul_checked(a, b), a.checked_mul(b));
        }
    }

    #[test]
    fn gcd_is_the_greatest_common_divisor() {
        let mut x: u64 = 7;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut values: Vec<i128> = vec![
            0,
            1,
            -1,
            2,
            3,
            5,
            12,
            1 << 40,
            i128::from(u64::MAX),
            i128::from(i64::MIN),
        ];
        for _ in 0..200 {
            let v = next();
            values.push(i128::from(v >> (v % 60)));
            values.push(-i128::from(v % 1000));
        }
        for &a in &values {
            for &b in &values {
                assert_eq!(
                    gcd(a, b),
                    num_integer::Integer::gcd(&a, &b),
                    "gcd({a}, {b})"
                );
            }
        }
    }

    #[test]
    fn products_at_the_64_bit_edges_are_the_checked_products() {
        let edges = [
            0i128,
            1,
            -1,
            i128::from(i64::MAX),
            i128::from(i64::MIN),
            i128::from(i64::MIN) + 1,
            i128::from(i64::MAX) + 1,
            i128::from(i64::MIN) - 1,
            i128::MAX,
            i128::MIN,
            1 << 64,
        ];
        for a in edges {
            for b in edges {
                assert_eq!(mul_checked(a, b), a.checked_mul(b), "{a} * {b}");
            }
        }
    }

    #[test]
    fn whole_division_fast_path_is_the_general_quotient() {
        let edges = [
            0i128,
            1,
            -1,
            2,
            -2,
            3,
            7,
            12,
            -36,
            100,
            i128::from(i64::MAX),
            i128::from(i64::MIN),
            i128::from(i64::MIN) + 1,
            i128::from(u64::MAX),
            1 << 70,
            i128::MIN + 1,
            i128::MAX,
        ];
        let mut x: u64 = 11;
        let mut nums: Vec<i128> = edges.to_vec();
        for _ in 0..300 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            nums.push((x >> 40) as i128 - (1 << 23));
            nums.push(((x >> 58) as i128 + 1) * if x & 1 == 0 { 1 } else { -1 });
        }
        let mut even = 0;
        for &a in &nums {
            for &b in &nums[..40] {
                let (a, b) = (Number::int(a), Number::int(b));
                let general = b.recip().and_then(|r| a.mul(r));
                assert_eq!(a.div(b), general, "{a} / {b}");
                even += usize::from(general.is_ok_and(|q| q.is_integer()));
            }
        }
        assert!(even > 100);
    }

    #[test]
    fn decimal_strings_are_what_the_formatting_machinery_writes() {
        // The reference: the digits by `to_string`, padded and split at the point.
        let reference = |x: Number| -> Option<String> {
            if x.den == 1 {
                return Some(x.num.to_string());
            }
            let (mut d, mut twos, mut fives) = (x.den, 0u32, 0u32);
            while d % 2 == 0 {
                (d, twos) = (d / 2, twos + 1);
            }
            while d % 5 == 0 {
                (d, fives) = (d / 5, fives + 1);
            }
            if d != 1 {
                return None;
            }
            let places = twos.max(fives);
            let scaled = x.num.checked_mul(10i128.checked_pow(places)? / x.den)?;
            let digits = scaled.unsigned_abs().to_string();
            let places = places as usize;
            let padded = if digits.len() <= places {
                format!("{}{}", "0".repeat(places - digits.len() + 1), digits)
            } else {
                digits
            };
            let (int, frac) = padded.split_at(padded.len() - places);
            let sign = if scaled < 0 { "-" } else { "" };
            Some(format!("{sign}{int}.{frac}"))
        };
        let mut nums = vec![
            0,
            1,
            -1,
            9,
            10,
            -10,
            i128::from(u64::MAX),
            i128::from(u64::MAX) + 1,
            -i128::from(u64::MAX) - 1,
            i128::MAX,
            i128::MIN + 1,
        ];
        let mut x: u64 = 7;
        for _ in 0..200 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            nums.push(i128::from(x >> (x % 60)) - i128::from(x % 1000));
        }
        for &num in &nums {
            for den in [1, 2, 4, 5, 8, 16, 20, 25, 100, 125, 1000, 1 << 20, 3, 6, 7] {
                let Ok(v) = Number::ratio(num, den) else {
                    continue;
                };
                assert_eq!(v.to_decimal_string(), reference(v), "{num}/{den}");
            }
        }
        assert_eq!(
            Number::ratio(1, 8).unwrap().to_decimal_string().unwrap(),
            "0.125"
        );
        assert_eq!(
            Number::ratio(-3, 200).unwrap().to_decimal_string().unwrap(),
            "-0.015"
        );
    }

    #[test]
    fn whole_numbers_parse_as_the_general_reading() {
        let mut texts: Vec<String> = ["0", "7", "007", "000", "999999999999999999"]
            .map(String::from)
            .to_vec();
        let mut x: u64 = 1;
        for len in 1..=25 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let digits: String = format!("{x:020}{x:020}").chars().take(len).collect();
            texts.push(digits);
        }
        for t in &texts {
            // `t.0` takes the general path (a fraction part), with the same value.
            let general = Number::parse_decimal(&format!("{t}.0"));
            assert_eq!(Number::parse_decimal(t), general, "{t}");
        }
        for t in ["", " 1", "1 ", "+1", "-1", "1,000", "1_0", "١"] {
            let got = Number::parse_decimal(t);
            assert_eq!(got.is_some(), !matches!(t, "" | "١"), "{t:?}");
        }
    }

    #[test]
    fn arithmetic_is_exact() {
        assert_eq!(n("0.1").add(n("0.2")).unwrap(), n("0.3"));
        assert_eq!(n("1").div(n("3")).unwrap().mul(n("3")).unwrap(), n("1"));
        assert_eq!(n("12").div(n("60")).unwrap().to_string(), "0.2");
        assert_eq!(n("1/3").to_string(), "1/3");
        assert_eq!(n("-1/8").to_string(), "-0.125");
        assert_eq!(n("1,200").to_string(), "1200");
        assert_eq!(n("1e-3").to_string(), "0.001");
    }

    #[test]
    fn python_semantics() {
        assert_eq!(n("-7").floor_div(n("2")).unwrap(), n("-4"));
        assert_eq!(n("-7").rem(n("3")).unwrap(), n("2"));
        assert_eq!(n("7").rem(n("-3")).unwrap(), n("-2"));
        assert_eq!(n("2.5").round(0).unwrap(), n("2"));
        assert_eq!(n("3.5").round(0).unwrap(), n("4"));
        assert_eq!(n("1.2345").round(2).unwrap(), n("1.23"));
        assert_eq!(n("-2.7").trunc(), n("-2"));
        assert_eq!(n("-2.2").floor(), n("-3"));
        assert_eq!(n("-2.2").ceil(), n("-2"));
        assert_eq!(n("4").pow(n("0.5")).unwrap(), n("2"));
        assert_eq!(n("2").pow(n("-2")).unwrap(), n("0.25"));
        assert!(matches!(n("2").pow(n("0.5")), Err(ArithError::NotExact(_))));
    }

    #[test]
    fn errors_not_panics() {
        assert_eq!(n("1").div(n("0")), Err(ArithError::DivisionByZero));
        assert_eq!(
            Number::int(i128::MAX).add(Number::ONE),
            Err(ArithError::Overflow)
        );
        assert_eq!(Number::int(i128::MIN).neg(), Err(ArithError::Overflow));
        assert_eq!(
            Number::int(10).pow(Number::int(100)),
            Err(ArithError::Overflow)
        );
    }

    #[test]
    fn ordering_without_overflow() {
        let big = Number::ratio(i128::MAX - 1, i128::MAX).unwrap();
        let bigger = Number::ratio(i128::MAX - 2, i128::MAX - 1).unwrap();
        assert!(big > bigger);
        assert!(n("1/3") < n("0.34"));
    }

    #[test]
    fn serde_round_trip() {
        let v: Vec<Number> = serde_json::from_str(r#"["1/3", 0.1, 5, "2.5"]"#).unwrap();
        assert_eq!(v, vec![n("1/3"), n("0.1"), n("5"), n("2.5")]);
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"["1/3","0.1","5","2.5"]"#
        );
    }

    #[test]
    fn fast_paths_match_reference() {
        // Reference: cross-multiply and reduce with num_integer's gcd.
        fn reference(n: Option<i128>, d: Option<i128>) -> Option<Number> {
            let (n, d) = (n?, d?);
            let g = n.gcd(&d);
            let (mut n, mut d) = (n / g, d / g);
            if d < 0 {
                n = -n;
                d = -d;
            }
            Some(Number { num: n, den: d })
        }
        let vals: Vec<Number> = [
            "0",
            "1",
            "-1",
            "2",
            "1/2",
            "-3/4",
            "7/6",
            "10/4",
            "1e-3",
            "-12.5",
            "35/49",
            "99999999999/1000",
            "18446744073709551616/3",
            "-36893488147419103232",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        assert_eq!(gcd(i128::MIN, 6), 2);
        assert_eq!(gcd(1 << 100, 3 << 70), 1 << 70);
        for &a in &vals {
            for &b in &vals {
                let cross = |x: i128, y: i128| x.checked_mul(y);
                let sum = cross(a.num, b.den).zip(cross(b.num, a.den));
                let add = reference(sum.and_then(|(x, y)| x.checked_add(y)), cross(a.den, b.den));
                if let Some(add) = add {
                    assert_eq!(a.add(b), Ok(add), "{a} + {b}");
                }
                if let Some(mul) = reference(cross(a.num, b.num), cross(a.den, b.den)) {
                    assert_eq!(a.mul(b), Ok(mul), "{a} * {b}");
                }
                if !b.is_zero() {
                    if let Some(div) = reference(cross(a.num, b.den), cross(a.den, b.num)) {
                        assert_eq!(a.div(b), Ok(div), "{a} / {b}");
                    }
                }
            }
        }
    }
}
