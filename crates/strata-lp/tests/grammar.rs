//! Every rule of the grammar, on valid input.

mod common;

use common::{float, ok, one};
use strata_lp::{
    Escaping, FieldValue, OwnedFieldValue as V, Parser, Point, Precision, Text, parse_points,
};

fn p(m: &str) -> Point {
    Point::new(m)
}

#[test]
fn full_line() {
    assert_eq!(
        one(
            "cpu,host=a,region=west usage=64.2,count=3i,free=7u,name=\"x\",up=true 1590488773254420000"
        ),
        p("cpu")
            .tag("host", "a")
            .tag("region", "west")
            .field("usage", float(64.2))
            .field("count", V::Integer(3))
            .field("free", V::UInteger(7))
            .field("name", V::String("x".into()))
            .field("up", V::Boolean(true))
            .timestamp(1590488773254420000)
    );
}

#[test]
fn tags_and_timestamp_are_optional() {
    assert_eq!(one("m f=1"), p("m").field("f", float(1.0)));
    assert_eq!(
        one("m,t=v f=1"),
        p("m").tag("t", "v").field("f", float(1.0))
    );
    assert_eq!(one("m f=1 5"), p("m").field("f", float(1.0)).timestamp(5));
}

#[test]
fn whitespace_around_sections() {
    let want = p("m")
        .tag("t", "v")
        .field("f", V::Integer(1))
        .timestamp(123);
    for body in [
        "m,t=v f=1i 123",
        "  m,t=v  f=1i  123  ",
        "\t \tm,t=v f=1i\t123\t",
        "m,t=v   f=1i \t 123",
        "m,t=v f=1i 123 \r\n",
    ] {
        assert_eq!(one(body), want, "{body:?}");
    }
    // Trailing whitespace without a timestamp.
    assert_eq!(one("m f=1i  \t "), p("m").field("f", V::Integer(1)));
}

#[test]
fn floats() {
    for (text, want) in [
        ("1", 1.0),
        ("1.5", 1.5),
        ("1e3", 1e3),
        ("-1.5E-3", -1.5e-3),
        ("1E+3", 1e3),
        ("1.234456e+06", 1.234456e6),
        ("-1.234456e06", -1.234456e6),
        ("1.", 1.0),
        (".5", 0.5),
        ("-.5", -0.5),
        ("0", 0.0),
        ("007.50", 7.5),
        ("1.7976931348623157e308", f64::MAX),
        ("5e-324", 5e-324),
        ("1e-400", 0.0),
        (
            "123456789012345678901234567890",
            123456789012345678901234567890.0,
        ),
    ] {
        let got = one(&format!("m f={text}"));
        assert_eq!(got.fields[0].1, float(want), "{text}");
    }
    let neg_zero = one("m f=-0");
    let V::Float(v) = neg_zero.fields[0].1 else {
        panic!()
    };
    assert!(v == 0.0 && v.is_sign_negative());
}

#[test]
fn integers_and_unsigned() {
    for (text, want) in [
        ("0i", V::Integer(0)),
        ("-0i", V::Integer(0)),
        ("42i", V::Integer(42)),
        ("-42i", V::Integer(-42)),
        ("0042i", V::Integer(42)),
        ("9223372036854775807i", V::Integer(i64::MAX)),
        ("-9223372036854775808i", V::Integer(i64::MIN)),
        ("0u", V::UInteger(0)),
        ("18446744073709551615u", V::UInteger(u64::MAX)),
    ] {
        assert_eq!(one(&format!("m f={text}")).fields[0].1, want, "{text}");
    }
}

#[test]
fn strings() {
    for (text, want) in [
        (r#""""#, ""),
        (r#""str val""#, "str val"),
        (r#""a,b=c d""#, "a,b=c d"),
        (r#""The \"string\" val""#, r#"The "string" val"#),
        (r#""too hot\cold""#, r"too hot\cold"),
        (r#""too hot\\cold""#, r"too hot\cold"),
        (r#""too hot\\\cold""#, r"too hot\\cold"),
        (r#""too hot\\\\cold""#, r"too hot\\cold"),
        (r#""ends with \\""#, r"ends with \"),
        (r#""\n is not a newline""#, r"\n is not a newline"),
        ("\"tab\there\"", "tab\there"),
        (r#""ünïcødé ✓ 🦀""#, "ünïcødé ✓ 🦀"),
        ("\"nul\0inside\"", "nul\0inside"),
    ] {
        assert_eq!(
            one(&format!("m f={text}")).fields[0].1,
            V::String(want.into()),
            "{text}"
        );
    }
}

#[test]
fn strings_may_span_lines() {
    let points = ok("m s=\"one\ntwo\r\nthree\",n=1i 7\nm n=2i\n");
    assert_eq!(
        points,
        vec![
            p("m")
                .field("s", V::String("one\ntwo\r\nthree".into()))
                .field("n", V::Integer(1))
                .timestamp(7),
            p("m").field("n", V::Integer(2)),
        ]
    );
    // Line numbers count the physical lines inside the string.
    let mut parser = Parser::new(b"m s=\"a\nb\nc\"\nm n=1i\n");
    assert_eq!(parser.next_line().unwrap().unwrap().number, 1);
    assert_eq!(parser.next_line().unwrap().unwrap().number, 4);
}

#[test]
fn booleans_in_every_spelling() {
    for (text, want) in [
        ("t", true),
        ("T", true),
        ("true", true),
        ("True", true),
        ("TRUE", true),
        ("f", false),
        ("F", false),
        ("false", false),
        ("False", false),
        ("FALSE", false),
    ] {
        assert_eq!(
            one(&format!("m f={text}")).fields[0].1,
            V::Boolean(want),
            "{text}"
        );
    }
}

#[test]
fn measurement_escapes() {
    for (text, want) in [
        (r"wea\,ther", "wea,ther"),
        (r"wea\ ther", "wea ther"),
        (r"\\wea\\ther", r"\wea\ther"),
        (r"\wea\ther", r"\wea\ther"),
        (r"wea\=ther", r"wea\=ther"),
        ("wea=ther", "wea=ther"),
        ("wea\"ther", "wea\"ther"),
        (r"weather\\", r"weather\"),
        ("m#1", "m#1"),
        ("\u{1F980}", "\u{1F980}"),
        ("tab\tinside", "tab\tinside"),
    ] {
        assert_eq!(one(&format!("{text} f=1")).measurement, want, "{text}");
    }
    // `tag1=1` is a measurement name, like InfluxDB has it.
    assert_eq!(one("tag1=1,tag2=2 value=1 123").measurement, "tag1=1");
}

#[test]
fn tag_and_field_key_escapes() {
    for (text, want) in [
        (r"wea\,ther", "wea,ther"),
        (r"wea\=ther", "wea=ther"),
        (r"wea\ ther", "wea ther"),
        (r"\\wea\\ther", r"\wea\ther"),
        (r"\wea\ther", r"\wea\ther"),
        (r"wea\\", r"wea\"),
        (r"wea\x", r"wea\x"),
        ("wea\"ther", "wea\"ther"),
        ("ключ", "ключ"),
    ] {
        let got = one(&format!("m,{text}={text} f=1i"));
        assert_eq!(got.tags, vec![(want.to_owned(), want.to_owned())], "{text}");
        let got = one(&format!("m {text}=1i"));
        assert_eq!(got.fields, vec![(want.to_owned(), V::Integer(1))], "{text}");
    }
    // A tag value may contain a bare '='.
    assert_eq!(one("m,t=a=b f=1").tags, vec![("t".into(), "a=b".into())]);
    // NUL is an ordinary character outside the measurement.
    assert_eq!(
        one("m,t\0=v\0 f\0=1").tags,
        vec![("t\0".into(), "v\0".into())]
    );
}

#[test]
fn texts_are_borrowed_unless_escaped() {
    let body = br#"cpu,host=a\ b,plain=x f=1,g\,h="s",s="q\"" 1"#;
    let mut parser = Parser::new(body);
    let line = parser.next_line().unwrap().unwrap();
    assert_eq!(line.measurement.as_plain(), Some("cpu"));
    assert_eq!(line.tags[0].key.as_plain(), Some("host"));
    assert!(line.tags[0].value.is_escaped());
    assert_eq!(line.tags[0].value.raw(), r"a\ b");
    assert_eq!(line.tags[0].value, "a b");
    assert_eq!(line.tags[1].value.as_plain(), Some("x"));
    assert_eq!(line.fields[1].key.escaping(), Escaping::Key);
    assert_eq!(line.fields[1].key, "g,h");
    let FieldValue::String(s) = line.fields[1].value else {
        panic!()
    };
    assert_eq!(s.as_plain(), Some("s"));
    let FieldValue::String(q) = line.fields[2].value else {
        panic!()
    };
    assert_eq!(q.escaping(), Escaping::StringValue);
    assert_eq!(q.unescape(), "q\"");
    assert_eq!(line.source, std::str::from_utf8(body).unwrap());
    // A backslash that escapes nothing leaves the text plain.
    let mut parser = Parser::new(br"m\x f=1");
    assert_eq!(
        parser.next_line().unwrap().unwrap().measurement.as_plain(),
        Some(r"m\x")
    );
}

#[test]
fn comments_and_blank_lines_are_skipped() {
    let body = "# first comment\n\n   \n\t# indented comment\r\nm f=1i 1\n#m f=2i\n \r\n\r\nm f=3i 3\n# trailing comment";
    let mut parser = Parser::new(body.as_bytes());
    let l = parser.next_line().unwrap().unwrap();
    assert_eq!((l.number, l.field("f")), (5, Some(FieldValue::Integer(1))));
    let l = parser.next_line().unwrap().unwrap();
    assert_eq!((l.number, l.field("f")), (9, Some(FieldValue::Integer(3))));
    assert!(parser.next_line().is_none());
    assert!(parser.next_line().is_none());
    for empty in ["", "\n", "\n\n\n", "   ", "\r\n", "# c", "#", " # c\n\t\n"] {
        assert!(ok(empty).is_empty(), "{empty:?}");
    }
}

#[test]
fn line_endings() {
    let want = vec![
        p("a").field("f", V::Integer(1)),
        p("b").field("f", V::Integer(2)).timestamp(2),
        p("c").field("f", V::Integer(3)),
    ];
    for body in [
        "a f=1i\nb f=2i 2\nc f=3i",
        "a f=1i\r\nb f=2i 2\r\nc f=3i\r\n",
        "a f=1i\nb f=2i 2\r\nc f=3i\n",
        "a f=1i\r\nb f=2i 2\nc f=3i\r",
    ] {
        assert_eq!(ok(body), want, "{body:?}");
    }
    // A carriage return that does not end a line is an ordinary character in names.
    assert_eq!(one("m\rx,t=a\rb f=1").measurement, "m\rx");
}

#[test]
fn timestamps_and_precision() {
    assert_eq!(one("m f=1 -123").timestamp, Some(-123));
    assert_eq!(one("m f=1 0").timestamp, Some(0));
    assert_eq!(one("m f=1 9223372036854775807").timestamp, Some(i64::MAX));
    assert_eq!(one("m f=1 -9223372036854775808").timestamp, Some(i64::MIN));
    for (precision, want) in [
        (Precision::Nanoseconds, 7),
        (Precision::Microseconds, 7_000),
        (Precision::Milliseconds, 7_000_000),
        (Precision::Seconds, 7_000_000_000),
    ] {
        let points: Vec<_> = parse_points(b"m f=1 7\nm f=1")
            .with_precision(precision)
            .collect();
        assert_eq!(points[0].as_ref().unwrap().timestamp, Some(want));
        assert_eq!(points[1].as_ref().unwrap().timestamp, None);
    }
    let mut parser = Parser::new(b"m f=1\nm f=1 -2").with_precision(Precision::Milliseconds);
    assert_eq!(parser.next_line().unwrap().unwrap().time_or(99), 99);
    assert_eq!(parser.next_line().unwrap().unwrap().time_or(99), -2_000_000);
}

#[test]
fn a_field_given_twice_with_one_type_keeps_the_last_value() {
    assert_eq!(
        one("m v=2,bananas=42,v=3,platanos=24"),
        p("m")
            .field("bananas", float(42.0))
            .field("v", float(3.0))
            .field("platanos", float(24.0))
    );
    assert_eq!(
        one(r"m a=1i,a=2i,a\\b=1i,a\b=2i,a=3i"),
        p("m")
            .field(r"a\b", V::Integer(2))
            .field("a", V::Integer(3))
    );
    // Many keys take the hashed path.
    let mut body = String::from("m,t1=1,t2=2,t3=3 ");
    for i in 0..40 {
        body.push_str(&format!("f{i}={i}i,"));
    }
    body.push_str("f7=70i,f39=390i");
    let got = one(&body);
    assert_eq!(got.tags.len(), 3);
    assert_eq!(got.fields.len(), 40);
    assert_eq!(got.fields[38], ("f7".to_owned(), V::Integer(70)));
    assert_eq!(got.fields[39], ("f39".to_owned(), V::Integer(390)));
    assert!(
        !got.fields[..38]
            .iter()
            .any(|(k, _)| k == "f7" || k == "f39")
    );
}

#[test]
fn lookups_and_owned_points() {
    let mut parser = Parser::new(br#"m,host=a,zone=b x=1,y="s" 5"#);
    let line = parser.next_line().unwrap().unwrap();
    assert_eq!(line.tag("zone"), Some(Text::plain("b")));
    assert_eq!(line.tag("nope"), None);
    assert_eq!(line.field("y"), Some(FieldValue::String(Text::plain("s"))));
    assert_eq!(line.field("host"), None);
    assert_eq!(line.fields[0].value.field_type().name(), "float");
    assert_eq!(
        line.to_point(),
        p("m")
            .tag("host", "a")
            .tag("zone", "b")
            .field("x", float(1.0))
            .field("y", V::String("s".into()))
            .timestamp(5)
    );
    assert_eq!(line.to_string(), r#"m,host=a,zone=b x=1.0,y="s" 5"#);
}

#[test]
fn the_parser_can_be_reused_for_another_body() {
    let first = b"a f=1\n".to_vec();
    let mut parser = Parser::new(&first).with_precision(Precision::Seconds);
    assert_eq!(parser.next_line().unwrap().unwrap().measurement, "a");
    let second = b"b f=1 2\n".to_vec();
    let mut parser = parser.reuse(&second);
    let line = parser.next_line().unwrap().unwrap();
    assert_eq!(
        (line.measurement.raw(), line.timestamp),
        ("b", Some(2_000_000_000))
    );
    assert!(parser.next_line().is_none());
    assert_eq!(parser.position(), second.len());
    assert_eq!(parser.line_number(), 2);
}

#[test]
fn longest_texts_are_accepted() {
    let max = "a".repeat(strata_lp::MAX_TEXT_LEN);
    let other = "b".repeat(strata_lp::MAX_TEXT_LEN);
    let body = format!("{max},{max}={max} {other}=\"{max}\"");
    let got = one(&body);
    assert_eq!(got.measurement.len(), strata_lp::MAX_TEXT_LEN);
    // Escapes do not count towards the limit.
    let escaped = format!("{}\\ ", "a".repeat(strata_lp::MAX_TEXT_LEN - 1));
    assert_eq!(
        one(&format!("{escaped} f=1")).measurement.len(),
        strata_lp::MAX_TEXT_LEN
    );
}

/// Keys built to share a fingerprint (same length, first, middle and last words) make the
/// hashed duplicate check give up and sort instead; the results are the same and stay fast.
#[test]
fn colliding_keys_are_checked_in_n_log_n() {
    let key = |i: usize| format!("prefix__{i:08}MIDDLEWD{i:08}suffix__");
    let n = 20_000;
    let mut body = String::from("m ");
    for i in 0..n {
        body.push_str(&format!("{}={i}i,", key(i)));
    }
    body.push_str(&format!("{}=-1i", key(57)));
    let got = one(&body);
    assert_eq!(got.fields.len(), n);
    assert_eq!(got.fields[n - 1], (key(57), V::Integer(-1)));
    assert!(!got.fields[..n - 1].iter().any(|(k, _)| *k == key(57)));

    let conflicting = body.replace(&format!("{}=-1i", key(57)), &format!("{}=-1", key(57)));
    assert_eq!(
        common::err(&conflicting).kind,
        strata_lp::ErrorKind::ConflictingFieldTypes { field: key(57) }
    );
    let mut tags = String::from("m");
    for i in 0..1_000 {
        tags.push_str(&format!(",{}=v", key(i)));
    }
    tags.push_str(&format!(",{}=w f=1", key(999)));
    assert_eq!(
        common::err(&tags).kind,
        strata_lp::ErrorKind::DuplicateTag { key: key(999) }
    );
}
