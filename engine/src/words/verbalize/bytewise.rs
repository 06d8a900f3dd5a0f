//! Tests on eight bytes of text at once: each byte's answer in its high bit, every other bit
//! clear (no sum carries from one byte into the next). Shared by the readers of questions
//! ([`super::compare`]) and of names ([`super::names`]).

/// A one in each byte of a `u64`.
pub(super) const ONES: u64 = 0x0101_0101_0101_0101;

/// The high bit of each byte of a `u64`.
pub(super) const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The eight bytes of `b` from `i` on, read as one little-endian `u64` (`None` past the end).
pub(super) fn eight_at(b: &[u8], i: usize) -> Option<u64> {
    let chunk: [u8; 8] = b.get(i..i + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(chunk))
}

/// Per byte of `v`, its high bit set where the byte is zero.
pub(super) fn zero_bytes(v: u64) -> u64 {
    // (The low seven bits plus 0x7F reach the high bit unless all are zero.)
    !(((v & !HIGHS) + !HIGHS) | v) & HIGHS
}

/// Per byte of `x`, its high bit set where the byte is ASCII and in `lo..end`.
pub(super) fn ascii_in_range(x: u64, lo: u8, end: u8) -> u64 {
    let y = x & !HIGHS;
    // `y + (0x80 - lo)` has its high bit set where the seven-bit byte `y >= lo`.
    let at_least = |lo: u8| y + ONES * (0x80 - u64::from(lo));
    at_least(lo) & !at_least(end) & !x & HIGHS
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Each test gives, byte by byte, what a test of each byte alone gives.
        #[test]
        fn eight_bytes_at_once_are_each_byte_alone(bytes: [u8; 8], lo in 0u8..0x81, len in 0u8..0x40) {
            let v = u64::from_le_bytes(bytes);
            let end = lo.saturating_add(len).min(0x80);
            for (k, &b) in bytes.iter().enumerate() {
                let bit = |m: u64| m >> (8 * k + 7) & 1 == 1;
                proptest::prop_assert_eq!(bit(zero_bytes(v)), b == 0);
                proptest::prop_assert_eq!(bit(ascii_in_range(v, lo, end)), b.is_ascii() && (lo..end).contains(&b));
            }
            proptest::prop_assert_eq!(zero_bytes(v) & !HIGHS, 0);
            proptest::prop_assert_eq!(ascii_in_range(v, lo, end) & !HIGHS, 0);
            proptest::prop_assert_eq!(eight_at(&bytes, 0), Some(v));
            proptest::prop_assert_eq!(eight_at(&bytes, 1), None);
        }
    }
}
