//! Every error, with its line, column and message.

mod common;

use common::{err, parse};
use strata_lp::{ErrorKind as K, LineError, MAX_TEXT_LEN, Parser, Precision, parse_points};

/// Asserts the single line of `body` fails at `column` with `kind`.
#[track_caller]
fn fails(body: &str, column: usize, kind: K) {
    let e = err(body);
    assert_eq!(
        (e.line, e.column, &e.kind),
        (1, column, &kind),
        "{body:?}: {e}"
    );
}

fn s(v: &str) -> String {
    v.to_owned()
}

#[test]
fn missing_measurement() {
    fails(",t=1 f=1", 1, K::MissingMeasurement);
    fails("  ,t=1 f=1", 3, K::MissingMeasurement);
}

#[test]
fn nul_in_measurement() {
    fails(
        "m\0x f=1",
        2,
        K::InvalidMeasurement {
            reason: "it contains a NUL character",
        },
    );
}

#[test]
fn missing_fields() {
    fails("m", 2, K::MissingFields);
    fails("m ", 3, K::MissingFields);
    fails("m,t=1", 6, K::MissingFields);
    fails("m,t=1   ", 9, K::MissingFields);
    fails("m 123", 6, K::MissingFields);
    fails("m f", 4, K::MissingFields);
    fails("m\tf=1", 6, K::MissingFields);
    fails("field=1 1234", 13, K::MissingFields);
    fails("m\\ f=1", 7, K::MissingFields);
}

#[test]
fn missing_tag_key() {
    fails("m, f=1", 3, K::MissingTagKey);
    fails("m,,t=1 f=1", 3, K::MissingTagKey);
    fails("m,=v f=1", 3, K::MissingTagKey);
    fails("m,", 3, K::MissingTagKey);
}

#[test]
fn missing_tag_equals() {
    fails("m,t f=1", 4, K::MissingTagEquals { key: s("t") });
    fails("m,t,u=1 f=1", 4, K::MissingTagEquals { key: s("t") });
    fails("m,t", 4, K::MissingTagEquals { key: s("t") });
    fails(r"m,t\=1 f=1", 7, K::MissingTagEquals { key: s("t=1") });
}

#[test]
fn empty_tag_value() {
    fails("m,t= f=1", 5, K::EmptyTagValue { key: s("t") });
    fails("m,t=,u=1 f=1", 5, K::EmptyTagValue { key: s("t") });
    fails("m,t=", 5, K::EmptyTagValue { key: s("t") });
}

#[test]
fn missing_field_key() {
    fails("m f=1,", 7, K::MissingFieldKey);
    fails("m f=1,,g=1", 7, K::MissingFieldKey);
    fails("m =1", 3, K::MissingFieldKey);
    fails("m f=1, g=1", 7, K::MissingFieldKey);
}

#[test]
fn missing_field_equals() {
    fails("m f=1,g", 8, K::MissingFieldEquals { key: s("g") });
    fails("m f=1,g h=1", 8, K::MissingFieldEquals { key: s("g") });
}

#[test]
fn missing_field_value() {
    fails("m f=", 5, K::MissingFieldValue { field: s("f") });
    fails("m f=,g=1", 5, K::MissingFieldValue { field: s("f") });
    fails("m f= 1", 5, K::MissingFieldValue { field: s("f") });
    fails("m g=1,f=\r\n", 9, K::MissingFieldValue { field: s("f") });
}

#[test]
fn invalid_field_values() {
    const NUMBER: &str = "not a valid number";
    const INTEGER: &str = "not a valid integer (digits with an optional '-', then 'i')";
    const UNSIGNED: &str = "not a valid unsigned integer (digits, then 'u')";
    const NEGATIVE: &str = "unsigned integers cannot be negative";
    const NAN: &str = "NaN and infinity are not supported";
    const OTHER: &str = "expected a number (1.5, 1i, 1u), a double-quoted string or a boolean (t, T, true, True, TRUE, f, F, false, False, FALSE)";
    for (value, reason) in [
        ("1.2.3", NUMBER),
        ("1x", NUMBER),
        ("-", NUMBER),
        (".", NUMBER),
        ("1e", NUMBER),
        ("1e+", NUMBER),
        ("0x10", NUMBER),
        ("1_000", NUMBER),
        ("1.5i", INTEGER),
        ("i", INTEGER),
        ("+1i", INTEGER),
        ("1ii", INTEGER),
        ("1.5u", UNSIGNED),
        ("u", UNSIGNED),
        ("-1u", NEGATIVE),
        ("NaN", NAN),
        ("nan", NAN),
        ("inf", NAN),
        ("-Inf", NAN),
        ("+inf", NAN),
        ("Infinity", NAN),
        ("yes", OTHER),
        ("tRuE", OTHER),
        ("truee", OTHER),
        ("'s'", OTHER),
        ("+1", OTHER),
        ("abc", OTHER),
    ] {
        fails(
            &format!("m,t=1 usage={value} 5"),
            13,
            K::InvalidFieldValue {
                field: s("usage"),
                value: s(value),
                reason,
            },
        );
    }
}

#[test]
fn numbers_out_of_range() {
    fails(
        "m f=9223372036854775808i",
        5,
        K::IntegerOutOfRange {
            field: s("f"),
            value: s("9223372036854775808i"),
        },
    );
    fails(
        "m f=-9223372036854775809i",
        5,
        K::IntegerOutOfRange {
            field: s("f"),
            value: s("-9223372036854775809i"),
        },
    );
    fails(
        "m f=18446744073709551616u",
        5,
        K::UnsignedOutOfRange {
            field: s("f"),
            value: s("18446744073709551616u"),
        },
    );
    fails(
        "m f=1e400",
        5,
        K::FloatOutOfRange {
            field: s("f"),
            value: s("1e400"),
        },
    );
    let huge = "9".repeat(400);
    fails(
        &format!("m f=-{huge}"),
        5,
        K::FloatOutOfRange {
            field: s("f"),
            value: format!("-{}…", "9".repeat(63)),
        },
    );
}

#[test]
fn unterminated_string() {
    fails("m a=1,f=\"abc", 9, K::UnterminatedString { field: s("f") });
    fails(r#"m f="abc\""#, 5, K::UnterminatedString { field: s("f") });
    // The string runs to the end of the body: the following lines are part of it.
    let results = parse("m f=\"abc\nm g=1\nm h=1\n");
    assert_eq!(results.len(), 1);
    let e = results[0].clone().unwrap_err();
    assert_eq!(e.line, 1);
    assert_eq!(e.span, 0..21);
}

#[test]
fn unexpected_after_field_value() {
    fails(
        r#"m f="a"b"#,
        8,
        K::UnexpectedAfterFieldValue {
            field: s("f"),
            found: s("b"),
        },
    );
    fails(
        "m f=1\rx 5",
        6,
        K::UnexpectedAfterFieldValue {
            field: s("f"),
            found: s("\rx 5"),
        },
    );
    fails(
        r#"m f="a""b""#,
        8,
        K::UnexpectedAfterFieldValue {
            field: s("f"),
            found: s(r#""b""#),
        },
    );
}

#[test]
fn invalid_timestamps() {
    for value in [
        "12.5", "abc", "1e9", "+5", "-", "0x10", "1_000", "5i", "1,2",
    ] {
        fails(
            &format!("m f=1 {value}"),
            7,
            K::InvalidTimestamp { value: s(value) },
        );
    }
    fails(
        "m f=1 9223372036854775808",
        7,
        K::TimestampOutOfRange {
            value: s("9223372036854775808"),
        },
    );
    fails(
        "m f=1 -99999999999999999999999999",
        7,
        K::TimestampOutOfRange {
            value: s("-99999999999999999999999999"),
        },
    );
}

#[test]
fn timestamp_overflow_after_precision() {
    let body = b"m f=1 9223372037\nm f=1 9223372036\n";
    let results: Vec<_> = parse_points(body)
        .with_precision(Precision::Seconds)
        .collect();
    let e = results[0].clone().unwrap_err();
    assert_eq!((e.line, e.column), (1, 7));
    assert_eq!(
        e.kind,
        K::TimestampOverflow {
            timestamp: 9223372037,
            precision: Precision::Seconds
        }
    );
    assert_eq!(
        e.to_string(),
        "line 1: timestamp 9223372037 (s) is out of range once converted to nanoseconds"
    );
    assert_eq!(
        results[1].as_ref().unwrap().timestamp,
        Some(9_223_372_036_000_000_000)
    );
}

#[test]
fn trailing_content() {
    fails(
        "m f=1 123 456",
        11,
        K::TrailingContent { content: s("456") },
    );
    fails(
        "m f=1 123 # comment",
        11,
        K::TrailingContent {
            content: s("# comment"),
        },
    );
    fails(
        "m f=1 123\rx\r\n",
        10,
        K::TrailingContent { content: s("\rx") },
    );
}

#[test]
fn invalid_utf8() {
    for (body, column) in [
        (&b"m\xff f=1"[..], 2),
        (b"\xffm f=1", 1),
        (b"m,t=a\xc3 f=1", 6),
        (b"m f=\"a\xed\xa0\x80\"", 7),
        (b"m f=1\xff", 6),
        (b"m f=1 12\xff", 9),
        (b"m f=1 12 \xc0\xaf", 10),
        (b"m \xe2\x82=1", 3),
    ] {
        let results: Vec<_> = parse_points(body).collect();
        assert_eq!(results.len(), 1, "{body:?}");
        let e = results[0].clone().unwrap_err();
        assert_eq!(
            (e.line, e.column, &e.kind),
            (1, column, &K::InvalidUtf8),
            "{body:?}"
        );
        assert_eq!(e.to_string(), "line 1: invalid UTF-8");
    }
}

#[test]
fn invalid_utf8_is_confined_to_its_line() {
    let body = b"a f=1\n# comment \xff\xfe\nb f=\xff\nc f=3\n\xff\nd f=4\xf0\x9f\xa6\x80\ne f=\"\xf0\x9f\xa6\x80\"\n";
    let results: Vec<_> = parse_points(body).collect();
    let summary: Vec<_> = results
        .iter()
        .map(|r| match r {
            Ok(p) => format!("ok {}", p.measurement),
            Err(e) => format!("line {} col {} {:?}", e.line, e.column, e.kind),
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            "ok a",
            "line 3 col 5 InvalidUtf8",
            "ok c",
            "line 5 col 1 InvalidUtf8",
            "line 6 col 5 InvalidFieldValue { field: \"f\", value: \"4🦀\", reason: \"not a valid number\" }",
            "ok e",
        ]
    );
}

#[test]
fn duplicate_tags() {
    fails("m,a=1,a=2 f=1", 1, K::DuplicateTag { key: s("a") });
    fails("m,a=1,b=1,a=1 f=1", 1, K::DuplicateTag { key: s("a") });
    fails(r"m,a\ b=1,a\ b=2 f=1", 1, K::DuplicateTag { key: s("a b") });
    fails(r"m,a\\b=1,a\b=1 f=1", 1, K::DuplicateTag { key: s(r"a\b") });
    let mut body = String::from("m");
    for i in 0..20 {
        body.push_str(&format!(",t{i}=v"));
    }
    body.push_str(",t13=x f=1");
    fails(&body, 1, K::DuplicateTag { key: s("t13") });
}

#[test]
fn conflicting_field_types() {
    fails("m v=2,v=3i", 1, K::ConflictingFieldTypes { field: s("v") });
    fails("m v=2i,v=3u", 1, K::ConflictingFieldTypes { field: s("v") });
    fails(
        "m v=\"a\",v=t",
        1,
        K::ConflictingFieldTypes { field: s("v") },
    );
    let mut body = String::from("m ");
    for i in 0..20 {
        body.push_str(&format!("f{i}={i},"));
    }
    body.push_str("f5=\"s\"");
    fails(&body, 1, K::ConflictingFieldTypes { field: s("f5") });
}

#[test]
fn tag_field_conflict() {
    fails("m,x=1 x=1", 1, K::TagFieldConflict { name: s("x") });
    fails(
        r"m,a\ b=1 y=2,a\ b=1",
        1,
        K::TagFieldConflict { name: s("a b") },
    );
    let mut body = String::from("m,host=a,zone=b,rack=c ");
    for i in 0..20 {
        body.push_str(&format!("f{i}={i},"));
    }
    body.push_str("zone=1");
    fails(&body, 1, K::TagFieldConflict { name: s("zone") });
}

#[test]
fn texts_too_long() {
    let long = "a".repeat(MAX_TEXT_LEN + 1);
    let n = MAX_TEXT_LEN + 1;
    for (body, column, element) in [
        (format!("{long} f=1"), 1, "measurement"),
        (format!("m,{long}=v f=1"), 3, "tag key"),
        (format!("m,t={long} f=1"), 5, "tag value"),
        (format!("m {long}=1"), 3, "field key"),
        (format!("m f=\"{long}\""), 6, "string field value"),
    ] {
        fails(&body, column, K::TooLong { element, len: n });
    }
}

#[test]
fn good_lines_after_bad_lines_are_kept_with_exact_line_numbers() {
    let body = "\
# header comment
cpu,host=a usage=1 1
cpu,host=a usage=1.2.3 2

cpu,host=b usage=3 3
cpu,host=c usage=\"multi
line\" 4
cpu,host=d usage=4 4 extra
cpu,,host=e usage=5 5\r
   cpu,host=f usage=6 6\r
bad
";
    let results = parse(body);
    let summary: Vec<String> = results
        .iter()
        .map(|r| match r {
            Ok(p) => format!("ok {}", p.tags[0].1),
            Err(e) => e.to_string(),
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            "ok a".to_owned(),
            r#"line 3: invalid field value "1.2.3" for field "usage": not a valid number"#.to_owned(),
            "ok b".to_owned(),
            "ok c".to_owned(),
            r#"line 8: unexpected content "extra" after the timestamp"#.to_owned(),
            "line 9: missing tag key after a comma in the tag set".to_owned(),
            "ok f".to_owned(),
            "line 11: missing fields: a line needs at least one field (key=value) after the measurement and tags".to_owned(),
        ]
    );
    let errors: Vec<&LineError> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(errors[0].column, 18);
    assert_eq!(
        errors[0].source_line(body.as_bytes()),
        "cpu,host=a usage=1.2.3 2"
    );
    assert_eq!(
        errors[2].source_line(body.as_bytes()),
        "cpu,,host=e usage=5 5"
    );
    assert_eq!(errors[3].source_line(body.as_bytes()), "bad");
}

#[test]
fn a_bad_line_with_a_multiline_string_is_skipped_whole() {
    let body = "m f=1.2.3,s=\"a\nb\" 1\nm f=2 2\n";
    let results = parse(body);
    assert_eq!(results.len(), 2);
    let e = results[0].clone().unwrap_err();
    assert_eq!((e.line, e.span.clone()), (1, 0..19));
    assert_eq!(results[1].as_ref().unwrap().timestamp, Some(2));
    let mut parser = Parser::new(body.as_bytes());
    let _ = parser.next_line();
    assert_eq!(parser.line_number(), 3);
}

#[test]
fn columns_count_characters() {
    fails(
        "mé,ü=ö f=x",
        10,
        K::InvalidFieldValue {
            field: s("f"),
            value: s("x"),
            reason: "expected a number (1.5, 1i, 1u), a double-quoted string or a boolean (t, T, true, True, TRUE, f, F, false, False, FALSE)",
        },
    );
}

#[test]
fn messages_quote_at_most_64_characters() {
    let value = format!("{}x", "1".repeat(100));
    let e = err(&format!("m f={value}"));
    assert_eq!(
        e.to_string(),
        format!(
            "line 1: invalid field value \"{}…\" for field \"f\": not a valid number",
            "1".repeat(64)
        )
    );
}
