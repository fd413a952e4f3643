//! Numbers of the line protocol: field values (`1`, `1.5`, `-1.5E-3`, `1i`, `1u`) and
//! timestamps, parsed straight from bytes.

/// Why a numeric token was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NumError {
    /// Not of the expected syntax.
    Invalid,
    /// Syntactically fine but outside the type's range.
    OutOfRange,
}

/// `-?[0-9]+` as an `i64`.
#[inline]
pub(crate) fn parse_i64(token: &[u8]) -> Result<i64, NumError> {
    let (negative, digits) = match token.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, token),
    };
    signed(negative, parse_u64(digits)?).ok_or(NumError::OutOfRange)
}

/// `magnitude` with its sign as an `i64`, or `None` when it does not fit.
#[inline]
fn signed(negative: bool, magnitude: u64) -> Option<i64> {
    if negative {
        // 2^63 wraps to i64::MIN, which negates to itself.
        (magnitude <= 1 << 63).then(|| (magnitude as i64).wrapping_neg())
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// `[0-9]+` as a `u64`.
#[inline]
pub(crate) fn parse_u64(digits: &[u8]) -> Result<u64, NumError> {
    if digits.is_empty() {
        return Err(NumError::Invalid);
    }
    if digits.len() <= 19 {
        // At most 19 digits cannot overflow a u64.
        let mut v: u64 = 0;
        for &c in digits {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return Err(NumError::Invalid);
            }
            v = v * 10 + u64::from(d);
        }
        return Ok(v);
    }
    let mut v: u64 = 0;
    let mut overflow = false;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return Err(NumError::Invalid);
        }
        match v.checked_mul(10).and_then(|v| v.checked_add(u64::from(d))) {
            Some(n) => v = n,
            None => overflow = true,
        }
    }
    if overflow {
        Err(NumError::OutOfRange)
    } else {
        Ok(v)
    }
}

/// Powers of ten exactly representable as `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// A float field value: `-?` then digits with an optional fraction (`1`, `1.5`, `1.`, `.5`),
/// then an optional exponent (`e`/`E`, optional sign, digits). Values too large to be finite
/// are out of range; NaN and infinity cannot be written.
#[inline]
pub(crate) fn parse_f64(token: &[u8]) -> Result<f64, NumError> {
    let n = token.len();
    let mut i = 0;
    let negative = token.first() == Some(&b'-');
    if negative {
        i = 1;
    }
    let mut mantissa: u64 = 0;
    let int_start = i;
    while i < n && token[i].is_ascii_digit() {
        mantissa = mantissa
            .wrapping_mul(10)
            .wrapping_add(u64::from(token[i] - b'0'));
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if i < n && token[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < n && token[i].is_ascii_digit() {
            mantissa = mantissa
                .wrapping_mul(10)
                .wrapping_add(u64::from(token[i] - b'0'));
            i += 1;
        }
        frac_digits = i - frac_start;
    }
    if int_digits + frac_digits == 0 {
        return Err(NumError::Invalid);
    }
    let mut exponent: i64 = 0;
    if i < n && (token[i] == b'e' || token[i] == b'E') {
        i += 1;
        let exp_negative = match token.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let exp_start = i;
        while i < n && token[i].is_ascii_digit() {
            // Saturate: anything this large is out of range (or zero) anyway.
            if exponent < 1_000_000 {
                exponent = exponent * 10 + i64::from(token[i] - b'0');
            }
            i += 1;
        }
        if i == exp_start {
            return Err(NumError::Invalid);
        }
        if exp_negative {
            exponent = -exponent;
        }
    }
    if i != n {
        return Err(NumError::Invalid);
    }

    // Fast path (Clinger): an exactly representable mantissa times an exactly representable
    // power of ten is correctly rounded by one IEEE multiplication or division.
    if int_digits + frac_digits <= 19 {
        let e10 = exponent - frac_digits as i64;
        if mantissa == 0 {
            return Ok(if negative { -0.0 } else { 0.0 });
        }
        if mantissa <= 1 << 53 && (-22..=22).contains(&e10) {
            let m = mantissa as f64;
            let v = if e10 < 0 {
                m / POW10[(-e10) as usize]
            } else {
                m * POW10[e10 as usize]
            };
            return Ok(if negative { -v } else { v });
        }
    }

    // The token is ASCII and of a syntax the standard library accepts.
    let text = std::str::from_utf8(token).map_err(|_| NumError::Invalid)?;
    let v: f64 = text.parse().map_err(|_| NumError::Invalid)?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(NumError::OutOfRange)
    }
}

/// A number read by the fast paths.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Number {
    Float(f64),
    Integer(i64),
    UInteger(u64),
}

/// Whether `c` ends an unquoted field value.
#[inline]
fn is_value_end(c: u8) -> bool {
    matches!(c, b',' | b' ' | b'\t' | b'\n' | b'\r')
}

/// Fast path for the common unquoted field values, read in one pass: a float without
/// exponent of at most 19 digits whose mantissa is exact (`12`, `-0.125`), or an integer
/// (`12i`, `-3i`) or unsigned integer (`7u`) of at most 19 digits, followed by the end of `b`
/// or a value terminator. Returns the value and where it ends, or `None` to let the general
/// path (which gives the same results and the errors) handle the token.
#[inline]
pub(crate) fn fast_value(b: &[u8], start: usize) -> Option<(Number, usize)> {
    let mut i = start;
    let negative = b.get(i) == Some(&b'-');
    if negative {
        i += 1;
    }
    let digits_start = i;
    let mut m: u64 = 0;
    while i < b.len() {
        let d = b[i].wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        m = m.wrapping_mul(10).wrapping_add(u64::from(d));
        i += 1;
    }
    let int_digits = i - digits_start;
    if int_digits == 0 || int_digits > 19 {
        return None;
    }
    let ends = |j: usize| j == b.len() || is_value_end(b[j]);
    if ends(i) {
        if m > 1 << 53 {
            return None;
        }
        let v = m as f64;
        return Some((Number::Float(if negative { -v } else { v }), i));
    }
    match b[i] {
        b'i' if ends(i + 1) => Some((Number::Integer(signed(negative, m)?), i + 1)),
        b'u' if !negative && ends(i + 1) => Some((Number::UInteger(m), i + 1)),
        b'.' => {
            i += 1;
            let frac_start = i;
            while i < b.len() {
                let d = b[i].wrapping_sub(b'0');
                if d > 9 {
                    break;
                }
                m = m.wrapping_mul(10).wrapping_add(u64::from(d));
                i += 1;
            }
            let frac_digits = i - frac_start;
            if int_digits + frac_digits > 19 || m > 1 << 53 || !ends(i) {
                return None;
            }
            let v = m as f64 / POW10[frac_digits];
            Some((Number::Float(if negative { -v } else { v }), i))
        }
        _ => None,
    }
}

/// Whether all 8 bytes of `w` are ASCII digits.
#[inline]
fn is_eight_digits(w: u64) -> bool {
    ((w & 0xF0F0_F0F0_F0F0_F0F0)
        | ((w.wrapping_add(0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4))
        == 0x3333_3333_3333_3333
}

/// The value of 8 ASCII digits read as a little-endian word.
#[inline]
fn eight_digits(w: u64) -> u64 {
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 100 + (1_000_000 << 32);
    const MUL2: u64 = 1 + (10_000 << 32);
    let w = w.wrapping_sub(0x3030_3030_3030_3030);
    let w = w.wrapping_mul(10).wrapping_add(w >> 8);
    ((w & MASK)
        .wrapping_mul(MUL1)
        .wrapping_add(((w >> 16) & MASK).wrapping_mul(MUL2)))
        >> 32
}

/// Fast path for a timestamp: `-?` and 1 to 19 digits followed by the end of `b`, a space,
/// a tab or a line ending, read 8 digits at a time. `None` lets the general path decide.
#[inline]
pub(crate) fn fast_timestamp(b: &[u8], start: usize) -> Option<(i64, usize)> {
    let mut i = start;
    let negative = b.get(i) == Some(&b'-');
    if negative {
        i += 1;
    }
    let digits_start = i;
    let mut m: u64 = 0;
    while i + 8 <= b.len() && i + 8 - digits_start <= 19 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        let w = u64::from_le_bytes(w);
        if !is_eight_digits(w) {
            break;
        }
        m = m * 100_000_000 + eight_digits(w);
        i += 8;
    }
    while i < b.len() && i - digits_start < 19 {
        let d = b[i].wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        m = m * 10 + u64::from(d);
        i += 1;
    }
    if i == digits_start || (i < b.len() && !matches!(b[i], b' ' | b'\t' | b'\n' | b'\r')) {
        return None;
    }
    Some((signed(negative, m)?, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(parse_i64(b"0"), Ok(0));
        assert_eq!(parse_i64(b"-0"), Ok(0));
        assert_eq!(parse_i64(b"007"), Ok(7));
        assert_eq!(parse_i64(b"9223372036854775807"), Ok(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), Err(NumError::OutOfRange));
        assert_eq!(
            parse_i64(b"-9223372036854775809"),
            Err(NumError::OutOfRange)
        );
        assert_eq!(
            parse_i64(b"99999999999999999999999999"),
            Err(NumError::OutOfRange)
        );
        assert_eq!(parse_i64(b"00000000000000000000000000042"), Ok(42));
        for bad in [
            &b""[..],
            b"-",
            b"+1",
            b"1.0",
            b"1e3",
            b" 1",
            b"--1",
            b"1-",
            b"0x10",
        ] {
            assert_eq!(parse_i64(bad), Err(NumError::Invalid), "{bad:?}");
        }
        assert_eq!(
            parse_i64(b"99999999999999999999999999x"),
            Err(NumError::Invalid)
        );
    }

    #[test]
    fn eight_digits_at_once() {
        let w = |s: &[u8; 8]| u64::from_le_bytes(*s);
        assert!(is_eight_digits(w(b"01234567")));
        assert_eq!(eight_digits(w(b"01234567")), 1_234_567);
        assert_eq!(eight_digits(w(b"99999999")), 99_999_999);
        assert!(!is_eight_digits(w(b"0123456a")));
        assert!(!is_eight_digits(w(b"/1234567")));
        assert!(!is_eight_digits(w(b"0123:567")));
    }

    #[test]
    fn fast_paths_read_common_numbers() {
        assert_eq!(fast_value(b"12,", 0), Some((Number::Float(12.0), 2)));
        assert_eq!(fast_value(b"-0.125 ", 0), Some((Number::Float(-0.125), 6)));
        assert_eq!(fast_value(b"x=3i", 2), Some((Number::Integer(3), 4)));
        assert_eq!(fast_value(b"7u\n", 0), Some((Number::UInteger(7), 2)));
        for slow in [
            &b"1e3"[..],
            b".5",
            b"-",
            b"1.5i",
            b"-1u",
            b"12345678901234567890",
            b"1x",
            b"9223372036854775808i",
        ] {
            assert_eq!(fast_value(slow, 0), None, "{slow:?}");
        }
        assert_eq!(
            fast_timestamp(b"1700000000000000000", 0),
            Some((1_700_000_000_000_000_000, 19))
        );
        assert_eq!(fast_timestamp(b"-12345678 ", 0), Some((-12_345_678, 9)));
        assert_eq!(
            fast_timestamp(b"-9223372036854775808", 0),
            Some((i64::MIN, 20))
        );
        for slow in [
            &b"9223372036854775808"[..],
            b"12345678901234567890",
            b"1.5",
            b"-",
            b"",
            b"12a",
        ] {
            assert_eq!(fast_timestamp(slow, 0), None, "{slow:?}");
        }
    }

    #[test]
    fn unsigned() {
        assert_eq!(parse_u64(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(
            parse_u64(b"18446744073709551616"),
            Err(NumError::OutOfRange)
        );
        assert_eq!(parse_u64(b"-1"), Err(NumError::Invalid));
        assert_eq!(parse_u64(b""), Err(NumError::Invalid));
    }

    fn f(s: &str) -> Result<f64, NumError> {
        parse_f64(s.as_bytes())
    }

    #[test]
    fn floats_match_the_standard_library() {
        for s in [
            "0",
            "1",
            "-1",
            "1.5",
            "-1.5E-3",
            "1e3",
            "1E+3",
            "1.234456e+06",
            "0.1",
            "0.3",
            "123456789012345678",
            "1234567890123456789",
            "12345678901234567890",
            "9007199254740993",
            "1.7976931348623157e308",
            "5e-324",
            "2.2250738585072014e-308",
            "1e-400",
            "0.000000000000000000000000000001",
            "1.",
            ".5",
            "-.5",
            "1.e5",
            "3.14159",
            "-0.0",
            "00001.25",
            "1e22",
            "1e23",
            "123e-22",
            "4.9406564584124654e-324",
        ] {
            let want: f64 = s.parse().unwrap();
            let got = f(s).unwrap();
            assert_eq!(got.to_bits(), want.to_bits(), "{s}");
        }
    }

    #[test]
    fn floats_reject_bad_syntax_and_overflow() {
        for s in [
            "", "-", ".", "-.", "e3", "1e", "1e+", "1.2.3", "1,5", "NaN", "nan", "inf", "-inf",
            "+1", "1f", "0x1p3", "1 ", "1_000", "1ee3", "1e3.5",
        ] {
            assert_eq!(f(s), Err(NumError::Invalid), "{s:?}");
        }
        assert_eq!(f("1e400"), Err(NumError::OutOfRange));
        assert_eq!(f("-1e400"), Err(NumError::OutOfRange));
        assert_eq!(f(&"9".repeat(400)), Err(NumError::OutOfRange));
        assert_eq!(f("1e99999999999999999999"), Err(NumError::OutOfRange));
        assert_eq!(f("1e-99999999999999999999"), Ok(0.0));
        assert_eq!(f("0e99999999999999999999"), Ok(0.0));
        assert!(f("-0").unwrap().is_sign_negative());
    }
}
