//! Numbers mentioned in free text, with their byte spans.
//!
//! [`find_numbers`] recognises digits (`1,200`, `3.5`, `.5`), money (`$1.50`: the span is the
//! number), percents (`20%`, `20 percent`), simple and mixed fractions (`3/4`, `1 1/2`) and
//! number words (`three`, `twenty-five`, `a hundred`, `a dozen`, `half`, `twice`, `a third`,
//! `two-thirds`). A mention may stand for several values: `half` is 1/2 or 2, `20%` is 20 or
//! 0.2. Spans are byte offsets on char boundaries, so `&text[start..end]` is the mention.

use crate::graph::Span;
use crate::number::Number;

/// How a number is written in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MentionKind {
    /// Plain digits: `48`, `1,200`, `3.5`.
    Digits,
    /// Digits after a dollar sign (`$1.50`); the span covers the digits only.
    Money,
    /// Digits followed by `%` or `percent` (the span covers the digits only).
    Percent,
    /// A fraction written with a slash, or a mixed number: `3/4`, `1 1/2`.
    Fraction,
    /// Number words: `three`, `a dozen`, `half`, `twice`.
    Word,
}

/// Most values one mention can stand for.
pub const MAX_VALUES: usize = 3;

/// One number found in a text: where it is and what it may mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mention {
    /// Byte range of the number's text (`&text[start..end]`).
    pub span: Span,
    /// How it is written.
    pub kind: MentionKind,
    values: [Number; MAX_VALUES],
    len: u8,
}

impl Mention {
    fn new(start: usize, end: usize, kind: MentionKind, vals: &[Number]) -> Mention {
        let mut values = [Number::ZERO; MAX_VALUES];
        let mut len = 0u8;
        for &v in vals.iter().take(MAX_VALUES) {
            if !values[..len as usize].contains(&v) {
                values[len as usize] = v;
                len += 1;
            }
        }
        Mention {
            span: Span {
                start: start as u32,
                end: end as u32,
            },
            kind,
            values,
            len,
        }
    }

    /// The values this mention may stand for, most likely first.
    pub fn values(&self) -> &[Number] {
        &self.values[..self.len as usize]
    }

    /// The most likely value.
    pub fn primary(&self) -> Number {
        self.values[0]
    }

    /// Whether the mention is written in words rather than digits.
    pub fn is_word(&self) -> bool {
        self.kind == MentionKind::Word
    }

    /// Whether `v` is one of the values this mention may stand for.
    pub fn means(&self, v: Number) -> bool {
        self.values().contains(&v)
    }
}

/// Finds every number mentioned in `text`, in text order, without overlaps.
///
/// The words code scans the same question many times per variant (names, mentions, checks),
/// so the results for the last few long texts are kept per thread ([`MEMO`]); a text is
/// scanned once, and the answer is the same either way.
pub fn find_numbers(text: &str) -> Vec<Mention> {
    if text.len() < MEMO_MIN_LEN {
        return scan_numbers(text);
    }
    MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        if let Some(i) = memo.iter().position(|(t, _)| **t == *text) {
            // Most recently used first.
            memo[..=i].rotate_right(1);
            return memo[0].1.clone();
        }
        let found = scan_numbers(text);
        if memo.len() == MEMO_ENTRIES {
            memo.pop();
        }
        memo.insert(0, (text.into(), found.clone()));
        found
    })
}

/// [`find_numbers`] for a text read once: the memo's answer when it holds the text, else
/// the scan's, not kept (no copy of the text is made for the memo).
pub(crate) fn find_numbers_once(text: &str) -> Vec<Mention> {
    if text.len() >= MEMO_MIN_LEN {
        let kept = MEMO.with(|memo| {
            memo.borrow()
                .iter()
                .find(|(t, _)| **t == *text)
                .map(|(_, found)| found.clone())
        });
        if let Some(found) = kept {
            return found;
        }
    }
    scan_numbers(text)
}

/// Texts shorter than this are scanned every time (a lookup would cost about as much).
const MEMO_MIN_LEN: usize = 64;
/// How many texts [`MEMO`] keeps.
const MEMO_ENTRIES: usize = 8;

std::thread_local! {
    /// The mentions of the last [`MEMO_ENTRIES`] long texts scanned on this thread, most
    /// recently used first.
    static MEMO: std::cell::RefCell<Vec<(Box<str>, Vec<Mention>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Empties this thread's [`MEMO`].
pub(crate) fn clear_memo() {
    MEMO.with(|m| m.borrow_mut().clear());
}

/// [`find_numbers`] without the memo: the scan itself.
fn scan_numbers(text: &str) -> Vec<Mention> {
    scan_numbers_with::<false>(text)
}

/// [`scan_numbers`], reading as number words only the words [`may_start_number_word`]
/// allows, or every word when `EVERY_WORD` (a test compares the scan with one that reads
/// every word).
///
/// Only an ASCII letter or digit or a `.` can start a mention or a word to skip
/// ([`STARTS_SOMETHING`]): the bytes between them (spaces, punctuation, non-ASCII chars) are
/// passed over without a test each. (A test holds the scan to the byte-by-byte one it
/// replaced.)
fn scan_numbers_with<const EVERY_WORD: bool>(text: &str) -> Vec<Mention> {
    let bytes = text.as_bytes();
    let n = bytes.len();
    // (Room for a question's few numbers made at once.)
    let mut out = Vec::with_capacity(8);
    let mut i = 0;
    loop {
        while i < n && !STARTS_SOMETHING[bytes[i] as usize] {
            i += 1;
        }
        if i >= n {
            break;
        }
        let b = bytes[i];
        let prev = if i == 0 { b' ' } else { bytes[i - 1] };
        if b.is_ascii_alphabetic() {
            // A word starts here unless the byte before continues one (an ASCII letter,
            // digit or `'`, or a non-ASCII letter).
            let starts_word =
                !CONTINUES_WORD[prev as usize] && (prev < 0x80 || !is_non_ascii_before(text, i));
            i = scan_run::<EVERY_WORD>(text, i, starts_word, &mut out);
            continue;
        }
        let starts_number = b.is_ascii_digit()
            || (b == b'.' && !prev.is_ascii_digit() && next_is_digit(bytes, i + 1));
        if starts_number && !prev.is_ascii_alphanumeric() && prev != b'.' {
            let (m, end) = scan_digits(text, i);
            out.push(m);
            i = end;
        } else if b.is_ascii_digit() {
            // Inside a word or a token such as `A4`: skip to its end (past this digit).
            i = word_end(bytes, i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// The words of a run `word word word` from byte `i` of `text` (an ASCII letter, which
/// starts a word when `starts_word`), one after the other: a letter after a single space
/// starts the next (a space continues no word). A number read from a word's start is pushed
/// onto `out`, and the run ends past it; else the run ends past its last word. Gives where
/// the scan goes on.
///
/// Where eight bytes are left from a word's start they are read at once: its first three
/// letters (for [`may_start_number_word`]), where it ends, and whether a single space and a
/// letter follow, from one `u64`. (Near the end of the text, byte by byte as
/// [`may_start_number_word`] and [`word_end`] read them.)
#[inline(always)]
fn scan_run<const EVERY_WORD: bool>(
    text: &str,
    mut i: usize,
    starts_word: bool,
    out: &mut Vec<Mention>,
) -> usize {
    let bytes = text.as_bytes();
    if !starts_word {
        // (Byte `i` is an ASCII letter inside a word: the run goes on at the next word.)
        i = word_end(bytes, i + 1);
        match next_in_run(bytes, i) {
            Some(next) => i = next,
            None => return i,
        }
    }
    // (`i < eight_left` exactly when eight bytes are left from `i` on.)
    let eight_left = bytes.len().saturating_sub(7);
    loop {
        // (Byte `i` is an ASCII letter that starts a word: the word goes on past it.)
        if i >= eight_left {
            // Most words cannot start a number (no number word begins with their first
            // letters): skipped without reading them as one.
            if let Some((m, end)) = (EVERY_WORD || may_start_number_word(bytes, i))
                .then(|| scan_words(text, i))
                .flatten()
            {
                out.push(m);
                return end;
            }
            i = word_end(bytes, i + 1);
            match next_in_run(bytes, i) {
                Some(next) => i = next,
                None => return i,
            }
            continue;
        }
        let mut eight = [0u8; 8];
        eight.copy_from_slice(&bytes[i..i + 8]);
        let v = u64::from_le_bytes(eight);
        if EVERY_WORD || may_start_number_word_in(bytes, i, v) {
            if let Some((m, end)) = scan_words(text, i) {
                out.push(m);
                return end;
            }
        }
        // The word's letters end at the first byte that is no ASCII letter (byte 0 is one).
        // Nearly always that byte ends the word too (a space, a mark): only a digit or a
        // non-ASCII char goes on with it (`A4`, `café`), read on by [`word_end`].
        let others = non_letter_bytes(v);
        let k = (others.trailing_zeros() / 8) as usize;
        if k < 8 {
            let [stop, after] = ((v >> (8 * k)) as u16).to_le_bytes();
            if stop == b' ' {
                // A letter after the space starts the next word of the run: in `v` when the
                // word ends by its seventh byte.
                let after = if k < 7 {
                    after
                } else {
                    bytes.get(i + 8).copied().unwrap_or(0)
                };
                if after.is_ascii_alphabetic() {
                    i += k + 1;
                    continue;
                }
                return i + k;
            }
            if !stop.is_ascii_digit() && stop < 0x80 {
                return i + k;
            }
        }
        // (Every byte before `i + k` continues the word.)
        i = word_end(bytes, i + k);
        match next_in_run(bytes, i) {
            Some(next) => i = next,
            None => return i,
        }
    }
}

/// Where the next word of a run starts after a word that ends at byte `i` of `bytes`: past a
/// single space, when a letter follows it; `None` where the run ends.
#[inline(always)]
fn next_in_run(bytes: &[u8], i: usize) -> Option<usize> {
    (bytes.get(i) == Some(&b' ') && bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic))
        .then_some(i + 1)
}

/// [`may_start_number_word`] of the word at byte `i` of `bytes`, with the eight bytes from
/// `i` on read already (`v`, little-endian): its first three symbols are taken from `v`.
#[inline(always)]
fn may_start_number_word_in(bytes: &[u8], i: usize, v: u64) -> bool {
    let (x, y, z) = (v as u8, (v >> 8) as u8, (v >> 16) as u8);
    let (a, b, c) = (
        LETTER_INDEX[x as usize] as usize,
        LETTER_INDEX[y as usize] as usize,
        LETTER_INDEX[z as usize] as usize,
    );
    // (The third symbol is read whether or not the word ends at its second: the table
    // answers alike for every third symbol then.)
    (THIRDS_BY_PAIR[((a << 5) | b) & 1023] >> c) & 1 == 1
        // (A word of one letter ends at its second symbol.)
        && may_start_number_word_past_three(bytes, i, (a * 27 + b) * 27 + if b == 26 { 26 } else { c })
}

/// [`NUMBER_WORD_THIRDS`] at `a << 5 | b` for first two symbols `a` and `b` (1024 entries: an
/// index masked to ten bits is never out of range), except that where the word ends at its
/// second symbol (`b` is 26) every bit is set or none, as bit 26 (the end) is: the third
/// symbol then says nothing.
const THIRDS_BY_PAIR: [u32; 1024] = {
    let mut t = [0u32; 1024];
    let mut a = 0;
    while a < 27 {
        let mut b = 0;
        while b < 27 {
            let bits = NUMBER_WORD_THIRDS[a * 27 + b];
            t[a * 32 + b] = if b < 26 {
                bits
            } else if (bits >> 26) & 1 == 1 {
                u32::MAX
            } else {
                0
            };
            b += 1;
        }
        a += 1;
    }
    t
};

/// Per byte, whether [`scan_numbers_with`] must look at it: an ASCII letter or digit, or `.`.
const STARTS_SOMETHING: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_alphanumeric() || b == b'.' as usize;
        b += 1;
    }
    t
};

/// Whether [`find_numbers`] may find a mention of `text` that starts at byte `i`, where the
/// char before `i` is whitespace, `$` or `=`: a digit or `.` may start one, a letter only a
/// number word (`five`, `a dozen`, `half`). `false` is sure (no mention starts there); `true`
/// is not (a lone `.`).
pub(crate) fn may_start_at(text: &str, i: usize) -> bool {
    let Some(&b) = text.as_bytes().get(i) else {
        return false;
    };
    b.is_ascii_digit()
        || b == b'.'
        || (may_start_number_word(text.as_bytes(), i) && scan_words(text, i).is_some())
}

/// Whether the word at byte `i` of `bytes` (an ASCII letter) can be read by [`scan_words`]:
/// whether its first three letters, any case (fewer when the word is shorter), start `a`,
/// `an`, `dozen` or a word of [`UNIT_WORDS`], [`TENS_WORDS`], [`FRACTION_WORDS`] or
/// [`MULTIPLIER_WORDS`], and so do its first four ([`NUMBER_WORD_STARTS_4`]: `for` is no
/// number word, though `forty` is); and after `a` or `an`, whether the next word starts a
/// scale, `dozen` or a fraction word (`a hundred`, `a half`). Most words (`the`, `has`,
/// `market`, `a day`) start none and are skipped without reading them as a number. `false`
/// is sure; `true` is not.
#[inline(always)]
fn may_start_number_word(bytes: &[u8], i: usize) -> bool {
    // A letter's index (`| 0x20` lowercases an ASCII letter), or 26: the end of the word
    // (anything but an ASCII letter).
    let Some(&x) = bytes.get(i) else {
        return false;
    };
    // (The first three symbols are read without a test between them: whether the word may
    // start a number is one bit, tested once. A test after each symbol would be a guess the
    // branch predictor often gets wrong: `the`, `and`, `for` and `a` pass the first ones.)
    let y = bytes.get(i + 1).copied().unwrap_or(0);
    let z = bytes.get(i + 2).copied().unwrap_or(0);
    let (a, b) = (
        LETTER_INDEX[x as usize] as usize,
        LETTER_INDEX[y as usize] as usize,
    );
    let thirds = NUMBER_WORD_THIRDS[a * 27 + b];
    // (A word of one letter ends at its second symbol.)
    let c = if b == 26 {
        26
    } else {
        LETTER_INDEX[z as usize] as usize
    };
    (thirds >> c) & 1 == 1 && may_start_number_word_past_three(bytes, i, (a * 27 + b) * 27 + c)
}

/// [`NUMBER_WORD_STARTS`] per first two symbols: the bits of the third (`has_bit` of `k` is
/// bit `k % 27` of entry `k / 27`).
const NUMBER_WORD_THIRDS: [u32; 27 * 27] = {
    let mut t = [0u32; 27 * 27];
    let mut k = 0;
    while k < 27 * 27 * 27 {
        if (NUMBER_WORD_STARTS[k / 64] >> (k % 64)) & 1 == 1 {
            t[k / 27] |= 1 << (k % 27);
        }
        k += 1;
    }
    t
};

/// The tests of [`may_start_number_word`] past a word's first three letters (`k`, their
/// index), for the few words whose first three letters start a number word.
#[inline(never)]
fn may_start_number_word_past_three(bytes: &[u8], i: usize, k: usize) -> bool {
    let at = |j: usize| {
        bytes
            .get(j)
            .map_or(26, |&b| LETTER_INDEX[b as usize] as usize)
    };
    let (a, b, c) = (k / (27 * 27), k / 27 % 27, k % 27);
    let d = if c == 26 { 26 } else { at(i + 3) };
    if !has_bit(&NUMBER_WORD_STARTS_4, (k * 27 + d) % STARTS_4_BITS) {
        return false;
    }
    if c == 26 && a == 0 && (b == 26 || b == (b'n' - b'a') as usize) {
        // `a` or `an`: a number only before a scale, `dozen` or a fraction word, one space
        // after it.
        let e = if b == 26 { i + 1 } else { i + 2 };
        if bytes.get(e) != Some(&b' ') {
            return false;
        }
        let a = at(e + 1);
        if a == 26 {
            return false;
        }
        let b = at(e + 2);
        let c = if b == 26 { 26 } else { at(e + 3) };
        return has_bit(&AFTER_ARTICLE_STARTS, (a * 27 + b) * 27 + c);
    }
    true
}

/// Whether bit `k` of `bits` is set (`false` past its end).
#[inline]
fn has_bit(bits: &[u64], k: usize) -> bool {
    bits.get(k / 64)
        .is_some_and(|word| (word >> (k % 64)) & 1 == 1)
}

/// The bits per place of the first `places` symbols of each word of `lists` (27 symbols a
/// place: a letter, or the end of the word), each set at its index modulo `modulo`.
const fn prefix_bits<const N: usize>(lists: &[&[&[u8]]], places: usize, modulo: usize) -> [u64; N] {
    let mut t = [0u64; N];
    let mut l = 0;
    while l < lists.len() {
        let mut n = 0;
        while n < lists[l].len() {
            let w = lists[l][n];
            // A symbol per place: the lowercase letter, or the end of the word.
            let mut k = 0;
            let mut j = 0;
            while j < places {
                let s = if j < w.len() {
                    assert!(w[j].is_ascii_lowercase());
                    (w[j] - b'a') as usize
                } else {
                    26
                };
                k = k * 27 + s;
                j += 1;
            }
            let k = k % modulo;
            t[k / 64] |= 1 << (k % 64);
            n += 1;
        }
        l += 1;
    }
    t
}

/// The words [`scan_words`] reads a number from the start of (the lists of
/// [`NUMBER_WORD_STARTS`]).
const STARTING_WORDS: [&[&[u8]]; 5] = [
    UNIT_WORDS,
    TENS_WORDS,
    FRACTION_WORDS,
    MULTIPLIER_WORDS,
    &[b"a", b"an", b"dozen"],
];

/// How many bits [`NUMBER_WORD_STARTS_4`] has: the first four symbols of a word are looked up
/// modulo this prime (two starts may share a bit, which only lets a word through).
const STARTS_4_BITS: usize = 8191;

/// The first four symbols (a letter, or the end of the word) of the words of
/// [`STARTING_WORDS`], one bit each (at their index modulo [`STARTS_4_BITS`]).
const NUMBER_WORD_STARTS_4: [u64; STARTS_4_BITS / 64 + 1] =
    prefix_bits(&STARTING_WORDS, 4, STARTS_4_BITS);

/// The first three symbols of the words that make `a` or `an` a number: a scale (`a
/// hundred`), `dozen` or a fraction word (`a half`).
const AFTER_ARTICLE_STARTS: [u64; 27 * 27 * 27 / 64 + 1] =
    prefix_bits(&[SCALE_WORDS, &[b"dozen"], FRACTION_WORDS], 3, usize::MAX);

/// Per byte, its letter's index (`a` or `A` 0, … `z` or `Z` 25), or 26 when it is no ASCII
/// letter.
pub(crate) const LETTER_INDEX: [u8; 256] = {
    let mut t = [26u8; 256];
    let mut b = 0;
    while b < 256 {
        if (b as u8).is_ascii_alphabetic() {
            t[b] = (b as u8 | 0x20) - b'a';
        }
        b += 1;
    }
    t
};

/// Per byte before a letter, whether the letter continues a word rather than starting one:
/// an ASCII letter or digit or `'` (a non-ASCII char before it is decoded to be sure).
const CONTINUES_WORD: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_alphanumeric() || b == b'\'' as usize;
        b += 1;
    }
    t
};

/// The starts [`may_start_number_word`] looks up: per first three letters (27 symbols each: a
/// letter or the end of the word), one bit.
const NUMBER_WORD_STARTS: [u64; 27 * 27 * 27 / 64 + 1] =
    prefix_bits(&STARTING_WORDS, 3, usize::MAX);

fn next_is_digit(bytes: &[u8], i: usize) -> bool {
    bytes.get(i).is_some_and(u8::is_ascii_digit)
}

/// Whether the char before byte `i` is a non-ASCII letter (then `i` is inside a word).
fn is_non_ascii_before(text: &str, i: usize) -> bool {
    text.get(..i)
        .and_then(|s| s.chars().next_back())
        .is_some_and(|c| !c.is_ascii() && c.is_alphanumeric())
}

/// Per byte, whether it continues a word for [`word_end`]: an ASCII letter or digit, or any
/// byte of a non-ASCII char.
const WORD_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_alphanumeric() || b >= 0x80;
        b += 1;
    }
    t
};

/// The first byte at or after `i` that is no [`WORD_BYTE`] (`bytes.len()` when there is
/// none; `i` when `i` is past the end): eight bytes at a time ([`non_word_bytes`]), the last
/// few one by one. (A word ends at an unforeseeable byte: one test per chunk, not per byte,
/// leaves the branch predictor one guess a word, which it gets right. A test holds it to
/// the byte-by-byte search.)
#[inline]
fn word_end(bytes: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(chunk);
        let stops = non_word_bytes(u64::from_le_bytes(eight));
        if stops != 0 {
            return i + (stops.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&b) = bytes.get(i) {
        if !WORD_BYTE[b as usize] {
            break;
        }
        i += 1;
    }
    i
}

/// Per byte of `v` (eight bytes, the first lowest), its high bit set when the byte is no
/// [`WORD_BYTE`] (not an ASCII letter or digit, nor a byte of a non-ASCII char), every other
/// bit clear.
#[inline(always)]
const fn non_word_bytes(v: u64) -> u64 {
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const fn splat(b: u8) -> u64 {
        0x0101_0101_0101_0101 * b as u64
    }
    // Each byte's low seven bits, `x`: `x + (0x80 - lo)` has its high bit set exactly when
    // `x >= lo`, and `x + (0x7f - hi)` exactly when `x > hi` (no sum carries into the next
    // byte: each is below 0x100).
    let x = v & !HIGHS;
    let digit = (x + splat(0x80 - b'0')) & !(x + splat(0x7f - b'9'));
    // (`| 0x20` takes `A`..`Z` to `a`..`z`, and no other byte there.)
    let l = x | splat(0x20);
    let letter = (l + splat(0x80 - b'a')) & !(l + splat(0x7f - b'z'));
    !(v | digit | letter) & HIGHS
}

/// Per byte of `v` (eight bytes, the first lowest), its high bit set when the byte is no
/// ASCII letter, every other bit clear.
#[inline(always)]
const fn non_letter_bytes(v: u64) -> u64 {
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const fn splat(b: u8) -> u64 {
        0x0101_0101_0101_0101 * b as u64
    }
    // As in [`non_word_bytes`]: `l` is each byte's low seven bits with `A`..`Z` taken to
    // `a`..`z` (and no other byte there); a byte of `v` with its high bit set is no letter.
    let l = (v & !HIGHS) | splat(0x20);
    let letter = (l + splat(0x80 - b'a')) & !(l + splat(0x7f - b'z'));
    !(letter & !v) & HIGHS
}

/// Scans an unsigned decimal at `i`: digits with thousands commas, an optional fraction part.
/// Returns the value, its end and the number of decimals written.
pub(crate) fn scan_decimal(bytes: &[u8], mut i: usize) -> Option<(Number, usize, u8)> {
    let start = i;
    let mut num: i128 = 0;
    let mut digits = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_digit() {
            num = times_ten_plus(num, b)?;
            digits += 1;
            i += 1;
        } else if b == b','
            && digits > 0
            && i + 3 < bytes.len() + 1
            && bytes[i + 1..].len() >= 3
            && bytes[i + 1..i + 4].iter().all(u8::is_ascii_digit)
            && !next_is_digit(bytes, i + 4)
        {
            i += 1;
        } else {
            break;
        }
    }
    let mut den: i128 = 1;
    let mut decimals = 0u8;
    if i < bytes.len() && bytes[i] == b'.' && next_is_digit(bytes, i + 1) {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            if decimals < 30 {
                num = times_ten_plus(num, bytes[i])?;
                // (At most 30 decimals: `den` stays below 10^31.)
                den *= 10;
                decimals += 1;
            }
            i += 1;
        }
    }
    if i == start || (digits == 0 && decimals == 0) {
        return None;
    }
    Some((Number::ratio(num, den).ok()?, i, decimals))
}

/// `10 * num` plus the digit `b` (an ASCII digit), `None` past `i128::MAX`; the overflow
/// tests only for the few numbers of 37 digits or more.
#[inline]
fn times_ten_plus(num: i128, b: u8) -> Option<i128> {
    let d = (b - b'0') as i128;
    if num < 10i128.pow(36) {
        Some(num * 10 + d)
    } else {
        num.checked_mul(10)?.checked_add(d)
    }
}

/// The digits at `start` of `bytes` read as [`scan_decimal`] reads them, when they are plain
/// (no more than eighteen of them, and neither a `,` nor a `.` right after them, where a
/// thousands comma or decimals might go on): their value and end. (Nearly every number a
/// question writes; the others are left to [`scan_decimal`]. A test holds the two to each
/// other.)
#[inline]
fn plain_digits(bytes: &[u8], start: usize) -> Option<(Number, usize)> {
    let mut num: i64 = 0;
    let mut i = start;
    while let Some(&b) = bytes.get(i) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        // (A nineteenth digit is no plain number, and is not read: `num` stays in an i64.)
        if i - start == 18 {
            return None;
        }
        num = num * 10 + i64::from(d);
        i += 1;
    }
    (i > start && !matches!(bytes.get(i), Some(b',' | b'.')))
        .then(|| (Number::int(i128::from(num)), i))
}

fn scan_digits(text: &str, start: usize) -> (Mention, usize) {
    let bytes = text.as_bytes();
    let (v, mut end, plain_int) = match plain_digits(bytes, start) {
        Some((v, end)) => (v, end, true),
        None => {
            let Some((v, end, decimals)) = scan_decimal(bytes, start) else {
                // Only digits too long for i128 get here: skip them as one token.
                let mut e = start;
                while e < bytes.len() && (bytes[e].is_ascii_digit() || bytes[e] == b'.') {
                    e += 1;
                }
                return (
                    Mention::new(start, e, MentionKind::Digits, &[Number::ZERO]),
                    e.max(start + 1),
                );
            };
            // (With no decimals, `scan_decimal` read only digits and thousands commas.)
            let plain_int = decimals == 0 && bytes[start..end].iter().all(u8::is_ascii_digit);
            (v, end, plain_int)
        }
    };
    // A fraction `3/4`, or a mixed number `1 1/2`.
    // (Plain digits are read up to `end`: `scan_fraction` at `start` reads the same ones, or
    // stops in them past twelve, so it finds a fraction only with a `/` at `end`; after a
    // space, only with a digit next.)
    if plain_int {
        if let Some((f, fend)) = (bytes.get(end) == Some(&b'/'))
            .then(|| scan_fraction(bytes, start))
            .flatten()
        {
            // `3/4` may also be used as its parts (`3 / 4 * 2`).
            let (a, b) = f.numer_denom_written(bytes, start);
            return (
                Mention::new(start, fend, MentionKind::Fraction, &[f, a, b]),
                fend,
            );
        }
        if bytes.get(end) == Some(&b' ') && next_is_digit(bytes, end + 1) {
            if let Some((f, fend)) = scan_fraction(bytes, end + 1) {
                if f < Number::ONE {
                    if let Ok(mixed) = v.add(f) {
                        return (
                            Mention::new(start, fend, MentionKind::Fraction, &[mixed]),
                            fend,
                        );
                    }
                }
            }
        }
    }
    let money = start > 0 && bytes[start - 1] == b'$';
    let rest = &text[end..];
    let percent = rest.starts_with('%')
        || rest.starts_with(" %")
        || rest.starts_with(" percent")
        || rest.starts_with("-percent");
    let kind = if percent {
        MentionKind::Percent
    } else if money {
        MentionKind::Money
    } else {
        MentionKind::Digits
    };
    let m = if percent {
        let frac = v.div(Number::int(100)).unwrap_or(v);
        Mention::new(start, end, kind, &[v, frac])
    } else {
        Mention::new(start, end, kind, &[v])
    };
    if percent && rest.starts_with('%') {
        end += 1;
    }
    (m, end)
}

trait WrittenParts {
    fn numer_denom_written(&self, bytes: &[u8], start: usize) -> (Number, Number);
}

impl WrittenParts for Number {
    /// The numerator and denominator as written at `start` (`6/8`, not `3/4`).
    fn numer_denom_written(&self, bytes: &[u8], start: usize) -> (Number, Number) {
        let read = |mut j: usize| {
            let mut n: i128 = 0;
            while j < bytes.len() && bytes[j].is_ascii_digit() && n < 1_000_000_000_000 {
                n = n * 10 + (bytes[j] - b'0') as i128;
                j += 1;
            }
            (n, j)
        };
        let (a, j) = read(start);
        let (b, _) = read(j + 1);
        (Number::int(a), Number::int(b))
    }
}

/// `a/b` with plain integers at `i`; the denominator must not be zero or followed by more digits.
fn scan_fraction(bytes: &[u8], i: usize) -> Option<(Number, usize)> {
    let int = |mut j: usize| -> Option<(i128, usize)> {
        let s = j;
        let mut n: i128 = 0;
        while j < bytes.len() && bytes[j].is_ascii_digit() && j - s < 12 {
            n = n * 10 + (bytes[j] - b'0') as i128;
            j += 1;
        }
        (j > s).then_some((n, j))
    };
    let (a, j) = int(i)?;
    if bytes.get(j) != Some(&b'/') {
        return None;
    }
    let (b, k) = int(j + 1)?;
    if b == 0
        || bytes
            .get(k)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'/')
    {
        return None;
    }
    if bytes.get(k) == Some(&b'.') && next_is_digit(bytes, k + 1) {
        return None;
    }
    Some((Number::ratio(a, b).ok()?, k))
}

/// A number word lookup (`fn`, a `match` on the lowercase bytes) and the list of the words
/// it reads (`const`), made from one list so that [`NUMBER_WORD_STARTS`] misses none.
macro_rules! number_words {
    ($(#[$doc:meta])* fn $name:ident, const $list:ident; $($($w:literal)|+ => $v:expr,)+) => {
        $(#[$doc])*
        fn $name(w: &[u8]) -> Option<i128> {
            Some(match w {
                $($($w)|+ => $v,)+
                _ => return None,
            })
        }

        /// The words the lookup of the same list reads.
        const $list: &[&[u8]] = &[$($($w,)+)+];
    };
}

number_words! {
    /// The value of a number word below twenty, a tens word, or a scale word.
    fn unit_word, const UNIT_WORDS;
        b"zero" => 0,
        b"one" => 1,
        b"two" => 2,
        b"three" => 3,
        b"four" => 4,
        b"five" => 5,
        b"six" => 6,
        b"seven" => 7,
        b"eight" => 8,
        b"nine" => 9,
        b"ten" => 10,
        b"eleven" => 11,
        b"twelve" => 12,
        b"thirteen" => 13,
        b"fourteen" => 14,
        b"fifteen" => 15,
        b"sixteen" => 16,
        b"seventeen" => 17,
        b"eighteen" => 18,
        b"nineteen" => 19,
}

number_words! {
    /// The value of a tens word.
    fn tens_word, const TENS_WORDS;
        b"twenty" => 20,
        b"thirty" => 30,
        b"forty" => 40,
        b"fifty" => 50,
        b"sixty" => 60,
        b"seventy" => 70,
        b"eighty" => 80,
        b"ninety" => 90,
}

number_words! {
    /// The value of a scale word.
    fn scale_word, const SCALE_WORDS;
        b"hundred" => 100,
        b"thousand" => 1_000,
        b"million" => 1_000_000,
        b"billion" => 1_000_000_000,
}

number_words! {
    /// A fraction word and its denominator: `half` 2, `third(s)` 3, `quarter(s)` 4, ….
    fn fraction_word, const FRACTION_WORDS;
        b"half" | b"halves" => 2,
        b"third" | b"thirds" => 3,
        b"quarter" | b"quarters" | b"fourth" | b"fourths" => 4,
        b"fifth" | b"fifths" => 5,
        b"sixth" | b"sixths" => 6,
        b"seventh" | b"sevenths" => 7,
        b"eighth" | b"eighths" => 8,
        b"ninth" | b"ninths" => 9,
        b"tenth" | b"tenths" => 10,
}

number_words! {
    /// Multiplier words: `twice` 2, `triple` 3, ….
    fn multiplier_word, const MULTIPLIER_WORDS;
        b"twice" | b"double" | b"doubled" | b"doubles" | b"doubling" | b"pair" | b"couple" => 2,
        b"triple" | b"tripled" | b"triples" | b"thrice" | b"tripling" => 3,
        b"quadruple" | b"quadrupled" => 4,
}

/// A lowercase ASCII copy of a short word, without allocating.
struct Lower {
    buf: [u8; 16],
    len: usize,
}

impl Lower {
    fn of(w: &[u8]) -> Option<Lower> {
        if w.len() > 16 {
            return None;
        }
        let mut buf = [0u8; 16];
        for (d, s) in buf.iter_mut().zip(w) {
            *d = s.to_ascii_lowercase();
        }
        Some(Lower { buf, len: w.len() })
    }
    /// The lowercased bytes (compared with the number words as bytes: no UTF-8 check).
    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// The ASCII word starting at `i` (letters only), as `(start, end)`, if it is a whole word.
fn word_at(bytes: &[u8], i: usize) -> Option<(usize, usize)> {
    if i >= bytes.len() || !bytes[i].is_ascii_alphabetic() {
        return None;
    }
    let mut e = i;
    while e < bytes.len() && bytes[e].is_ascii_alphabetic() {
        e += 1;
    }
    if e < bytes.len() && (bytes[e].is_ascii_digit() || bytes[e] >= 0x80) {
        return None;
    }
    Some((i, e))
}

/// The next word after `end`, separated by one space or hyphen.
fn next_word(bytes: &[u8], end: usize) -> Option<(usize, usize, Lower)> {
    match bytes.get(end) {
        Some(b' ') | Some(b'-') => {}
        _ => return None,
    }
    let (s, e) = word_at(bytes, end + 1)?;
    Some((s, e, Lower::of(&bytes[s..e])?))
}

/// Number words starting at `i`: a cardinal phrase, possibly followed by a fraction word,
/// or a standalone fraction / multiplier / dozen word.
fn scan_words(text: &str, i: usize) -> Option<(Mention, usize)> {
    let bytes = text.as_bytes();
    let (s0, e0) = word_at(bytes, i)?;
    let first = Lower::of(&bytes[s0..e0])?;
    let w = first.as_bytes();
    let article = w == b"a" || w == b"an";
    if article {
        // `a hundred`, `a dozen`, `a half`, `a third`, `a quarter`.
        let (s1, e1, next) = next_word(bytes, e0)?;
        let n = next.as_bytes();
        if bytes[e0] != b' ' {
            return None;
        }
        if let Some(k) = scale_word(n) {
            return Some(scan_cardinal_from(text, i, s1, e1, k, true));
        }
        if n == b"dozen" {
            return Some((
                Mention::new(i, e1, MentionKind::Word, &[Number::int(12)]),
                e1,
            ));
        }
        if let Some(d) = fraction_word(n).filter(|_| !n.ends_with(b"s")) {
            let f = Number::ratio(1, d).ok()?;
            return Some((
                Mention::new(i, e1, MentionKind::Word, &[f, Number::int(d)]),
                e1,
            ));
        }
        return None;
    }
    if unit_word(w).is_some() || tens_word(w).is_some() {
        return Some(scan_cardinal_from(text, i, s0, e0, 0, false));
    }
    if w == b"dozen" {
        return Some((
            Mention::new(s0, e0, MentionKind::Word, &[Number::int(12)]),
            e0,
        ));
    }
    if let Some(d) = fraction_word(w) {
        let f = Number::ratio(1, d).ok()?;
        return Some((
            Mention::new(s0, e0, MentionKind::Word, &[f, Number::int(d)]),
            e0,
        ));
    }
    if let Some(k) = multiplier_word(w) {
        return Some((
            Mention::new(s0, e0, MentionKind::Word, &[Number::int(k)]),
            e0,
        ));
    }
    None
}

/// Parses a cardinal phrase whose first number word is `[s, e)` (the phrase starts at
/// `start`, which may be an article). `scale` is a scale already read after an article.
fn scan_cardinal_from(
    text: &str,
    start: usize,
    s: usize,
    e: usize,
    scale: i128,
    after_article: bool,
) -> (Mention, usize) {
    let bytes = text.as_bytes();
    let (mut total, mut current): (i128, i128) = match (after_article, scale) {
        (true, k) if k >= 1000 => (k, 0),
        (true, k) => (0, k),
        _ => (0, 0),
    };
    let mut end = e;
    // Last token class: 0 none, 1 units, 2 tens, 3 scale.
    let mut last = if after_article { 3 } else { 0 };
    let mut at = Some((s, e));
    if after_article {
        at = next_word(bytes, e).map(|(a, b, _)| (a, b));
    }
    while let Some((ws, we)) = at {
        let Some(lw) = Lower::of(&bytes[ws..we]) else {
            break;
        };
        let w = lw.as_bytes();
        if let Some(u) = unit_word(w) {
            if last == 1 || (last == 2 && u >= 10) {
                break;
            }
            current += u;
            last = 1;
        } else if let Some(t) = tens_word(w) {
            if last == 1 || last == 2 {
                break;
            }
            current += t;
            last = 2;
        } else if let Some(k) = scale_word(w) {
            if last == 0 || (last == 3 && k == 100) {
                break;
            }
            if k == 100 {
                current = current.max(1).saturating_mul(100);
            } else {
                total = total.saturating_add(current.max(1).saturating_mul(k));
                current = 0;
            }
            last = 3;
        } else if w == b"and" && last == 3 {
            // `one hundred and twenty`: only when a number word follows.
            match next_word(bytes, we) {
                Some((_, _, nw)) if unit_word(nw.as_bytes()).is_some() => {}
                Some((_, _, nw)) if tens_word(nw.as_bytes()).is_some() => {}
                _ => break,
            }
            at = next_word(bytes, we).map(|(a, b, _)| (a, b));
            continue;
        } else {
            break;
        }
        end = we;
        at = next_word(bytes, we).map(|(a, b, _)| (a, b));
    }
    let value = total.saturating_add(current);
    let v = Number::int(value);
    // `two-thirds`, `three quarters`: a fraction word right after the cardinal.
    if value > 0 && value < 100 {
        if let Some((_, fe, fw)) = next_word(bytes, end) {
            if let Some(d) = fraction_word(fw.as_bytes()) {
                if fw.as_bytes() != b"second" {
                    if let Ok(f) = Number::ratio(value, d) {
                        let m = Mention::new(start, fe, MentionKind::Word, &[f, v, Number::int(d)]);
                        return (m, fe);
                    }
                }
            }
        }
        // `two and a half`.
        let rest = &text[end..];
        if rest.starts_with(" and a half") && !rest[11..].starts_with(|c: char| c.is_alphabetic()) {
            let fe = end + 11;
            if let Ok(x) = v.add(Number::ratio(1, 2).unwrap_or(Number::ZERO)) {
                return (Mention::new(start, fe, MentionKind::Word, &[x, v]), fe);
            }
        }
    }
    (Mention::new(start, end, MentionKind::Word, &[v]), end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_word_byte(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b == b'\''
    }

    /// [`may_start_number_word`] as first written (a letter's index by arithmetic, three
    /// letters looked up).
    fn may_start_number_word_by_arithmetic(bytes: &[u8], i: usize) -> bool {
        let at = |j: usize| match bytes.get(j) {
            Some(&b) if b.is_ascii_alphabetic() => ((b | 0x20) - b'a') as usize,
            _ => 26,
        };
        let a = at(i);
        if a == 26 {
            return false;
        }
        let b = at(i + 1);
        let c = if b == 26 { 26 } else { at(i + 2) };
        let k = (a * 27 + b) * 27 + c;
        (NUMBER_WORD_STARTS[k / 64] >> (k % 64)) & 1 == 1
    }

    /// [`scan_decimal`] as it was, with every step checked: the oracle of a test.
    /// Scans an unsigned decimal at `i`: digits with thousands commas, an optional fraction part.
    /// Returns the value, its end and the number of decimals written.
    fn scan_decimal_before(bytes: &[u8], mut i: usize) -> Option<(Number, usize, u8)> {
        let start = i;
        let mut num: i128 = 0;
        let mut digits = 0usize;
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii_digit() {
                num = num.checked_mul(10)?.checked_add((b - b'0') as i128)?;
                digits += 1;
                i += 1;
            } else if b == b','
                && digits > 0
                && i + 3 < bytes.len() + 1
                && bytes[i + 1..].len() >= 3
                && bytes[i + 1..i + 4].iter().all(u8::is_ascii_digit)
                && !next_is_digit(bytes, i + 4)
            {
                i += 1;
            } else {
                break;
            }
        }
        let mut den: i128 = 1;
        let mut decimals = 0u8;
        if i < bytes.len() && bytes[i] == b'.' && next_is_digit(bytes, i + 1) {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                if decimals < 30 {
                    num = num
                        .checked_mul(10)?
                        .checked_add((bytes[i] - b'0') as i128)?;
                    den = den.checked_mul(10)?;
                    decimals += 1;
                }
                i += 1;
            }
        }
        if i == start || (digits == 0 && decimals == 0) {
            return None;
        }
        Some((Number::ratio(num, den).ok()?, i, decimals))
    }

    proptest::proptest! {
        /// [`scan_decimal`] reads what the checked one before it did, long numbers too.
        #[test]
        fn scan_decimal_is_the_checked_one(t in "([0-9]{1,45}|[.,]|a){0,6}") {
            let bytes = t.as_bytes();
            for i in 0..=bytes.len() {
                proptest::prop_assert_eq!(scan_decimal(bytes, i), scan_decimal_before(bytes, i));
            }
        }
    }

    #[test]
    fn the_thirds_are_the_starts() {
        for k in 0..27 * 27 * 27 {
            assert_eq!(
                (NUMBER_WORD_THIRDS[k / 27] >> (k % 27)) & 1 == 1,
                has_bit(&NUMBER_WORD_STARTS, k),
                "{k}"
            );
        }
    }

    #[test]
    fn the_tables_are_the_byte_tests() {
        for b in 0..=255u8 {
            assert_eq!(CONTINUES_WORD[b as usize], is_word_byte(b), "{b}");
            let index = if b.is_ascii_alphabetic() {
                (b | 0x20) - b'a'
            } else {
                26
            };
            assert_eq!(LETTER_INDEX[b as usize], index, "{b}");
            // Every start of up to three bytes (and the end of the text after each).
            for c in 0..=255u8 {
                for d in [
                    b'a', b'z', b'A', b'Z', b' ', b'\'', 0x80, b'0', b'e', b'n', b'r',
                ] {
                    let v = [b, c, d];
                    for n in 1..=3 {
                        // The later tests only rule more words out.
                        assert!(
                            !may_start_number_word(&v[..n], 0)
                                || may_start_number_word_by_arithmetic(&v[..n], 0),
                            "{:?}",
                            &v[..n]
                        );
                    }
                }
            }
        }
    }

    /// [`super::word_end`] byte by byte: what it must find.
    fn word_end_by_bytes(bytes: &[u8], i: usize) -> usize {
        bytes
            .get(i..)
            .and_then(|rest| rest.iter().position(|&b| !WORD_BYTE[b as usize]))
            .map_or(bytes.len().max(i), |n| i + n)
    }

    #[test]
    fn word_end_is_the_byte_by_byte_search() {
        // Every byte, in every place of two chunks and a tail, from every start.
        for b in 0..=255u8 {
            for at in 0..19 {
                let mut v = vec![b'x'; 19];
                v[at] = b;
                for from in 0..=21 {
                    assert_eq!(
                        super::word_end(&v, from),
                        word_end_by_bytes(&v, from),
                        "{b} {at} {from}"
                    );
                }
            }
        }
        for t in SCAN_TEXTS {
            for from in 0..=t.len() + 1 {
                assert_eq!(
                    super::word_end(t.as_bytes(), from),
                    word_end_by_bytes(t.as_bytes(), from),
                    "{t} {from}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn word_end_is_the_byte_by_byte_search_on_any_bytes(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
            from in 0usize..44,
        ) {
            proptest::prop_assert_eq!(super::word_end(&bytes, from), word_end_by_bytes(&bytes, from));
        }
    }

    /// The scan as it was first written, byte by byte: what [`scan_numbers_with`] must find.
    fn scan_numbers_byte_by_byte(text: &str) -> Vec<Mention> {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let prev = if i == 0 { b' ' } else { bytes[i - 1] };
            let starts_number = b.is_ascii_digit()
                || (b == b'.' && !prev.is_ascii_digit() && next_is_digit(bytes, i + 1));
            if starts_number && !prev.is_ascii_alphanumeric() && prev != b'.' {
                let (m, end) = scan_digits(text, i);
                out.push(m);
                i = end;
            } else if b.is_ascii_alphabetic()
                && !is_word_byte(prev)
                && !is_non_ascii_before(text, i)
            {
                match scan_words(text, i) {
                    Some((m, end)) => {
                        out.push(m);
                        i = end;
                    }
                    None => {
                        i = bytes
                            .get(i..)
                            .and_then(|rest| rest.iter().position(|&b| !WORD_BYTE[b as usize]))
                            .map_or(bytes.len().max(i), |n| i + n)
                    }
                }
            } else if b.is_ascii_alphanumeric() {
                i = bytes
                    .get(i..)
                    .and_then(|rest| rest.iter().position(|&b| !WORD_BYTE[b as usize]))
                    .map_or(bytes.len().max(i), |n| i + n);
            } else {
                i += 1;
            }
        }
        out
    }

    /// Texts the scans are held to each other on: number words, digits, money, fractions
    /// and the bytes around them in every mix.
    const SCAN_TEXTS: [&str; 8] = [
        "Janet’s ducks lay 16 eggs per day. She eats three for breakfast and bakes a dozen \
         muffins with four. She sells the remainder for $2 per egg. How much does she make?",
        "A robe takes two and a half bolts of blue fiber and half that much white fiber, a \
         third as much red, twice the green and a hundred yards. An hour, an eighth, thrice.",
        "Zoë’s café sold 12 crêpes for €3.50 — ünd fünf, éten, then seven more. x2 A4 v3.5",
        "Use 3/4 cup, then 1 1/2 cups, not 2,3 or 10/0. 1,200 pins, .5 kg, 20% and 7 percent.",
        "..5 .5. 5..5 a.5 'five 'a dozen it's ten's x'3 é5 é.5 ‘three’ “four” (six) [2]",
        "one hundred and twenty; two thousand five hundred; a-dozen, twenty-five-six",
        "99999999999999999999999999999999999999999999 3.14159265358979323846264338327950288",
        "",
    ];

    #[test]
    fn the_scan_finds_what_the_byte_by_byte_scan_finds() {
        for t in SCAN_TEXTS {
            assert_eq!(
                scan_numbers_with::<true>(t),
                scan_numbers_byte_by_byte(t),
                "{t}"
            );
            assert_eq!(scan_numbers(t), scan_numbers_byte_by_byte(t), "{t}");
            // Every suffix too (a scan may start in the middle of anything).
            for (at, _) in t.char_indices() {
                let s = &t[at..];
                assert_eq!(scan_numbers(s), scan_numbers_byte_by_byte(s), "{s}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn the_scan_is_the_byte_by_byte_scan(
            t in "([0-9]{1,3}|[ .,/$%'-]|[aA]n?|half|three|twenty|dozen|hundred|and|for|forty|fourth|third|quarters?|million|eighths|trip|triple|[a-zA-Z]{1,5}|é|’| ){0,24}"
        ) {
            proptest::prop_assert_eq!(scan_numbers(&t), scan_numbers_byte_by_byte(&t));
        }
    }

    proptest::proptest! {
        /// [`non_letter_bytes`] marks each byte that is no ASCII letter, and only its high bit.
        #[test]
        fn non_letter_bytes_are_the_bytes_that_are_no_letters(bytes: [u8; 8]) {
            let m = non_letter_bytes(u64::from_le_bytes(bytes));
            for (k, b) in bytes.iter().enumerate() {
                proptest::prop_assert_eq!((m >> (8 * k + 7)) & 1 == 1, !b.is_ascii_alphabetic());
            }
            proptest::prop_assert_eq!(m & !0x8080_8080_8080_8080, 0);
        }
    }

    proptest::proptest! {
        /// [`plain_digits`] reads what [`scan_decimal`] reads, wherever it reads anything.
        #[test]
        fn plain_digits_are_read_as_scan_decimal_reads_them(
            t in "([0-9]{1,22}|[ /.,$%]|a){0,8}"
        ) {
            let bytes = t.as_bytes();
            for start in 0..=bytes.len() {
                if let Some((v, end)) = plain_digits(bytes, start) {
                    proptest::prop_assert_eq!(scan_decimal(bytes, start), Some((v, end, 0)));
                }
            }
        }
    }

    proptest::proptest! {
        /// What [`scan_digits`] skips `scan_fraction` on: plain digits read by
        /// `scan_decimal` make a fraction only with a `/` right after them, and one after a
        /// space only when a digit follows it.
        #[test]
        fn a_fraction_needs_a_slash_after_plain_digits(
            t in "([0-9]{1,14}|[ /.,$%]|a){0,8}"
        ) {
            let bytes = t.as_bytes();
            for start in 0..bytes.len() {
                let Some((_, end, decimals)) = scan_decimal(bytes, start) else {
                    continue;
                };
                if decimals > 0 || t[start..end].contains(',') {
                    continue;
                }
                if bytes.get(end) != Some(&b'/') {
                    proptest::prop_assert_eq!(scan_fraction(bytes, start), None);
                }
                if !next_is_digit(bytes, end + 1) {
                    proptest::prop_assert_eq!(scan_fraction(bytes, end + 1), None);
                }
            }
        }
    }

    #[test]
    fn may_start_at_misses_no_mention() {
        // Every mention that starts after a space, `$` or `=` is one `may_start_at` allows;
        // words that start none are ruled out.
        let text = "Tom = three dozen pens, $4.50 = a half of .5 and 20% = twice 1/2 \
                    = twenty-five = eggs_per_day = hundred = a dozen = an hour = 1,200";
        for m in find_numbers(text) {
            let i = m.span.start as usize;
            if i > 0 && matches!(text.as_bytes()[i - 1], b' ' | b'$' | b'=') {
                assert!(may_start_at(text, i), "{}", &text[i..]);
            }
        }
        assert!(!may_start_at(text, 0));
        assert!(!may_start_at("x = eggs_per_day", 4));
        assert!(!may_start_at("x = an hour", 4));
        assert!(!may_start_at("x = (y)", 4));
        assert!(!may_start_at("x =", 3));
        assert!(may_start_at("x = half", 4));
    }

    #[test]
    fn the_memo_answers_as_the_scan_does() {
        // More long texts than the memo keeps, asked in turn and again: every answer is the
        // scan's, whether it comes from the memo or not.
        let texts: Vec<String> = (0..(MEMO_ENTRIES as u32 + 3))
            .map(|i| {
                format!(
                    "Tom buys {i} boxes of three dozen pens for ${}.50 each, and half of them {} times.",
                    i * 7,
                    i + 1
                )
            })
            .collect();
        assert!(texts.iter().all(|t| t.len() >= MEMO_MIN_LEN));
        for round in 0..3 {
            for (k, t) in texts.iter().enumerate() {
                let t = if round == 1 {
                    &texts[texts.len() - 1 - k]
                } else {
                    t
                };
                assert_eq!(find_numbers(t), scan_numbers(t), "{t}");
                assert_eq!(find_numbers(t), scan_numbers(t), "{t}");
            }
        }
        assert!(MEMO.with(|m| m.borrow().len()) <= MEMO_ENTRIES);
    }

    #[test]
    fn numbers_found_once_are_the_scan_and_not_kept() {
        clear_memo();
        let long = "Tom buys 3 boxes of two dozen pens for $4.50 each, and half of them 2 times.";
        let short = "Ann has 5 cats and a dozen dogs.";
        assert!(long.len() >= MEMO_MIN_LEN && short.len() < MEMO_MIN_LEN);
        for t in [long, short] {
            assert_eq!(find_numbers_once(t), scan_numbers(t), "{t}");
        }
        // Nothing kept: the memo is as empty as before.
        assert_eq!(MEMO.with(|m| m.borrow().len()), 0);
        // A text the memo holds: its answer (the same as the scan's).
        let kept = find_numbers(long);
        assert_eq!(MEMO.with(|m| m.borrow().len()), 1);
        assert_eq!(find_numbers_once(long), kept);
        assert_eq!(MEMO.with(|m| m.borrow().len()), 1);
    }

    fn found(text: &str) -> Vec<(&str, Vec<String>)> {
        find_numbers(text)
            .iter()
            .map(|m| {
                (
                    m.span.slice(text).expect("span on char boundaries"),
                    m.values().iter().map(|v| v.to_string()).collect(),
                )
            })
            .collect()
    }

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn digits_money_percent_decimals() {
        let t = "He paid $1.50 for 1,200 pins, 20% of .5 kg and 3.5 m; 7 percent.";
        let f = found(t);
        assert_eq!(f[0], ("1.50", strs(&["1.5"])));
        assert_eq!(f[1], ("1,200", strs(&["1200"])));
        assert_eq!(f[2], ("20", strs(&["20", "0.2"])));
        assert_eq!(f[3], (".5", strs(&["0.5"])));
        assert_eq!(f[4], ("3.5", strs(&["3.5"])));
        assert_eq!(f[5], ("7", strs(&["7", "0.07"])));
        assert_eq!(f.len(), 6);
        let ms = find_numbers(t);
        assert_eq!(ms[0].kind, MentionKind::Money);
        assert_eq!(ms[2].kind, MentionKind::Percent);
    }

    #[test]
    fn fractions_and_mixed_numbers() {
        let f = found("Use 3/4 cup, then 1 1/2 cups, not 2,3 or 10/0.");
        assert_eq!(f[0], ("3/4", strs(&["0.75", "3", "4"])));
        assert_eq!(f[1], ("1 1/2", strs(&["1.5"])));
        assert_eq!(f[2].0, "2");
        assert_eq!(f[3].0, "3");
        // 10/0 is not a fraction: two numbers.
        assert_eq!(f[4].0, "10");
        assert_eq!(f[5].0, "0");
    }

    #[test]
    fn number_words() {
        let f =
            found("Three cats, twenty-five dogs, a hundred birds and one hundred and twenty ants.");
        assert_eq!(f[0], ("Three", strs(&["3"])));
        assert_eq!(f[1], ("twenty-five", strs(&["25"])));
        assert_eq!(f[2], ("a hundred", strs(&["100"])));
        assert_eq!(f[3], ("one hundred and twenty", strs(&["120"])));
        assert_eq!(f.len(), 4);
        let f = found("two thousand five hundred; a dozen eggs; dozen; twelve thousand");
        assert_eq!(f[0], ("two thousand five hundred", strs(&["2500"])));
        assert_eq!(f[1], ("a dozen", strs(&["12"])));
        assert_eq!(f[2], ("dozen", strs(&["12"])));
        assert_eq!(f[3], ("twelve thousand", strs(&["12000"])));
    }

    #[test]
    fn fraction_and_multiplier_words() {
        let f =
            found("half as many, twice as long, triple, a quarter, two-thirds, a third, thrice");
        assert_eq!(f[0], ("half", strs(&["0.5", "2"])));
        assert_eq!(f[1], ("twice", strs(&["2"])));
        assert_eq!(f[2], ("triple", strs(&["3"])));
        assert_eq!(f[3], ("a quarter", strs(&["0.25", "4"])));
        assert_eq!(f[4], ("two-thirds", strs(&["2/3", "2", "3"])));
        assert_eq!(f[5], ("a third", strs(&["1/3", "3"])));
        assert_eq!(f[6], ("thrice", strs(&["3"])));
        let f = found("two and a half hours");
        assert_eq!(f[0], ("two and a half", strs(&["2.5", "2"])));
    }

    #[test]
    fn every_number_word_may_start_a_number() {
        // The letters `scan_words` is tried on cover every word it reads, in any case.
        let words = [
            "a",
            "an",
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
            "twenty",
            "thirty",
            "forty",
            "fifty",
            "sixty",
            "seventy",
            "eighty",
            "ninety",
            "dozen",
            "half",
            "halves",
            "third",
            "quarter",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "twice",
            "double",
            "pair",
            "couple",
            "triple",
            "thrice",
            "quadruple",
        ];
        for w in words {
            // An article starts a number only before a scale, `dozen` or a fraction word.
            let w_then = |next: &str| format!("{w} {next}");
            let ws = if w == "a" || w == "an" {
                vec![
                    w_then("hundred"),
                    w_then("dozen"),
                    w_then("half"),
                    w_then("Eighth"),
                ]
            } else {
                vec![w.to_string()]
            };
            for w in ws {
                assert!(may_start_number_word(w.as_bytes(), 0), "{w}");
                assert!(
                    may_start_number_word(upper_first_ascii(&w).as_bytes(), 0),
                    "{w}"
                );
            }
            // And the scan reads it, capitalised too.
            let text = format!("{} {w} more.", upper_first_ascii(w));
            assert!(
                !scan_numbers(&text).is_empty() || w == "a" || w == "an",
                "{text}"
            );
        }
        let f = found("Twenty boxes, Half a cake, Twice as many, A dozen eggs");
        assert_eq!(f.len(), 4);
        // Words with other first letters are never numbers.
        for w in ["many", "boxes", "with", "you", "gives", "big"] {
            assert!(!may_start_number_word(w.as_bytes(), 0), "{w}");
            assert!(found(w).is_empty());
        }
    }

    #[test]
    fn skipped_words_are_never_numbers() {
        // Every word of the lists starts a number, in any case.
        let lists = [
            UNIT_WORDS,
            TENS_WORDS,
            FRACTION_WORDS,
            MULTIPLIER_WORDS,
            &[b"dozen"],
        ];
        for w in lists.iter().flat_map(|l| l.iter()) {
            let w = std::str::from_utf8(w).expect("ASCII");
            for t in [w.to_string(), upper_first_ascii(w), w.to_ascii_uppercase()] {
                assert!(may_start_number_word(t.as_bytes(), 0), "{t}");
                assert!(scan_words(&t, 0).is_some(), "{t}");
            }
        }
        // The scan that skips words finds what the scan that reads every word finds.
        let texts = [
            "Janet’s ducks lay 16 eggs per day. She eats three for breakfast and bakes a dozen \
             muffins with four. She sells the remainder for $2 per egg. How much does she make?",
            "A robe takes two and a half bolts of blue fiber and half that much white fiber, a \
             third as much red, twice the green and a hundred yards. An hour, an eighth, thrice.",
            "THE TWENTY-FIVE Forty Thousand quadrupled Doubling pairs of seventeen sixths a \
             quarter, an a, a a a, the then there thirty-one fifty fifth Fifths tripling.",
            "Tom, Ann, Zoe, Sixty-six seventy zero ones onerous tenths tenant Hal halves \
             halving doublet coupled couples, a-dozen, dozens, a-half, quarters, x a",
        ];
        for t in texts {
            assert_eq!(scan_numbers(t), scan_numbers_with::<true>(t), "{t}");
        }
        assert!(!may_start_number_word(b"the", 0));
        assert!(!may_start_number_word(b"has", 0));
        assert!(!may_start_number_word(b"and", 0));
        // Words that start as a number word does, but are none.
        for w in [
            "for", "This", "Paid", "tries", "could", "founded", "a day", "An hour", "a",
        ] {
            assert!(!may_start_number_word(w.as_bytes(), 0), "{w}");
        }
        assert!(may_start_number_word(b"an eighth", 0));
        assert!(may_start_number_word(b"a dozen.", 0));
        assert!(may_start_number_word(b"A Billion", 0));
        assert!(may_start_number_word(b"forty", 0));
        assert!(!may_start_number_word(b"a  hundred", 0));
        assert!(!may_start_number_word(b"a-dozen", 0));
        // Every scale, `dozen` and fraction word makes an article a number.
        for w in SCALE_WORDS
            .iter()
            .chain(FRACTION_WORDS)
            .chain([&&b"dozen"[..]])
        {
            let w = std::str::from_utf8(w).expect("ASCII");
            assert!(may_start_number_word(format!("a {w}").as_bytes(), 0), "{w}");
        }
    }

    fn upper_first_ascii(w: &str) -> String {
        let mut s = w.to_string();
        s[..1].make_ascii_uppercase();
        s
    }

    #[test]
    fn words_inside_words_are_not_numbers() {
        assert!(found("someone often tends to be alone; the tenth-grader is anyone").len() == 1);
        assert!(found("Someone often went, none, stone, tone, attend, eightyish").is_empty());
        assert!(found("A4 paper and x2 and v3.5").is_empty());
    }

    #[test]
    fn unicode_spans_are_char_boundaries() {
        let t = "Zoë’s café sold 12 crêpes for €3.50 — ünd fünf, then seven more.";
        for m in find_numbers(t) {
            let s = m.span.slice(t).expect("char boundary");
            assert!(!s.is_empty());
        }
        let f = found(t);
        assert_eq!(f[0].0, "12");
        assert_eq!(f[1].0, "3.50");
        assert_eq!(f[2].0, "seven");
        // `fünf` contains no ASCII number word; a word after a non-ASCII letter is skipped.
        assert!(found("éten").is_empty());
    }

    #[test]
    fn span_slices_back_on_real_question() {
        let q = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.";
        let ms = find_numbers(q);
        assert_eq!(ms.len(), 2);
        assert_eq!(ms[0].span.slice(q), Some("48"));
        assert!(ms[1].is_word());
        assert!(ms[1].means(Number::int(2)));
    }
}
