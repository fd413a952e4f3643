//! Each error form: its message and where it points.

use strata_influxql::{ParseError, parse};

/// The error of `text`, which must not parse.
fn error(text: &str) -> ParseError {
    match parse(text) {
        Ok(q) => panic!("{text} parsed: {q}"),
        Err(e) => e,
    }
}

/// The error of `text`, checked against `message` (without the position) and the 1-based
/// line and character it must point at.
#[track_caller]
fn check(text: &str, message: &str, line: usize, column: usize) {
    let e = error(text);
    assert_eq!(e.message, message, "{text}");
    assert_eq!((e.line, e.column), (line, column), "{text}: {e}");
    assert_eq!(
        e.to_string(),
        format!("{message} at line {line}, char {column}")
    );
    // The byte position agrees with line and character.
    let before = &text[..e.position];
    assert_eq!(before.matches('\n').count() + 1, line, "{text}");
}

#[test]
fn display_reads_like_influxdb() {
    let e = error("SELECT value");
    assert_eq!(e.to_string(), "found EOF, expected FROM at line 1, char 13");
    assert_eq!(e.position, 12);
}

#[test]
fn unknown_statements() {
    check(
        "DELETE FROM cpu",
        "found DELETE, expected SELECT, SHOW",
        1,
        1,
    );
    check(
        "  drop database x",
        "found drop, expected SELECT, SHOW",
        1,
        3,
    );
    check(
        "SHOW SHARDS",
        "found SHARDS, expected CONTINUOUS, DATABASES, FIELD, MEASUREMENT, MEASUREMENTS, RETENTION, SERIES, SUBSCRIPTIONS, TAG, USERS",
        1,
        6,
    );
    check(
        "SHOW",
        "found EOF, expected CONTINUOUS, DATABASES, FIELD, MEASUREMENT, MEASUREMENTS, RETENTION, SERIES, SUBSCRIPTIONS, TAG, USERS",
        1,
        5,
    );
    check(
        "SHOW TAG FOO",
        "found FOO, expected KEY, KEYS, VALUES",
        1,
        10,
    );
    check("SHOW RETENTION", "found EOF, expected POLICIES", 1, 15);
    check(
        "SHOW FIELD VALUES",
        "found VALUES, expected KEY, KEYS",
        1,
        12,
    );
    check("(SELECT a FROM b)", "found (, expected SELECT, SHOW", 1, 1);
}

#[test]
fn statements_must_be_separated() {
    check(
        "SHOW DATABASES SHOW DATABASES",
        "found SHOW, expected ;",
        1,
        16,
    );
    check(
        "SELECT a FROM m LIMIT 1 ORDER BY time",
        "found ORDER, expected ;",
        1,
        25,
    );
    check(
        "SELECT a FROM m;\nSELECT b FROM n x",
        "found x, expected ;",
        2,
        17,
    );
}

#[test]
fn missing_from_and_fields() {
    check("SELECT value", "found EOF, expected FROM", 1, 13);
    check("SELECT a b FROM m", "found b, expected FROM", 1, 10);
    check(
        "SELECT FROM m",
        "found FROM, expected identifier, string, number, bool",
        1,
        8,
    );
    check(
        "SELECT a, FROM m",
        "found FROM, expected identifier, string, number, bool",
        1,
        11,
    );
    check(
        "SELECT a FROM",
        "found EOF, expected identifier, regex",
        1,
        14,
    );
    check(
        "SELECT a FROM m,",
        "found EOF, expected identifier, regex",
        1,
        17,
    );
    check(
        "SELECT a AS FROM m",
        "found FROM, expected identifier",
        1,
        13,
    );
    check(
        "SELECT a FROM (SHOW DATABASES)",
        "found SHOW, expected SELECT",
        1,
        16,
    );
    check(
        "SELECT a FROM (SELECT b FROM c",
        "found EOF, expected )",
        1,
        31,
    );
}

#[test]
fn measurement_names() {
    check("SELECT a FROM a.b.c.d", "found ., expected ;", 1, 20);
    check(
        "SELECT a FROM /db/.m",
        "found regex, expected identifier (only the measurement may be a regex)",
        1,
        15,
    );
    check(
        "SELECT a FROM db..",
        "found EOF, expected identifier, regex",
        1,
        19,
    );
    check(
        "SELECT a FROM select",
        "found select, expected identifier",
        1,
        15,
    );
}

#[test]
fn unterminated_literals() {
    check(
        "SELECT a FROM m WHERE host = 'web",
        "unterminated string",
        1,
        30,
    );
    check(
        "SELECT a FROM m WHERE host = 'web\n'",
        "unterminated string",
        1,
        30,
    );
    check("SELECT \"a FROM m", "unterminated quoted identifier", 1, 8);
    check(
        "SELECT a FROM m WHERE host =~ /web.*",
        "unterminated regex",
        1,
        31,
    );
    check("SELECT a FROM /cpu", "unterminated regex", 1, 15);
    check("SELECT a FROM m /* comment", "unterminated comment", 1, 17);
    check(
        r"SELECT a FROM m WHERE x = 'a\tb'",
        r"bad escape sequence \t",
        1,
        29,
    );
}

#[test]
fn bad_numbers_and_durations() {
    check(
        "SELECT a FROM m WHERE time > now() - 10x",
        "invalid duration 10x: expected a number followed by ns, u, µ, ms, s, m, h, d or w",
        1,
        38,
    );
    check(
        "SELECT a FROM m WHERE time > now() - 1.5h",
        "invalid duration 1.5h: a duration's number must be an integer",
        1,
        38,
    );
    check(
        "SELECT a FROM m WHERE time > now() - 1H",
        "invalid duration 1H: expected a number followed by ns, u, µ, ms, s, m, h, d or w",
        1,
        38,
    );
    check(
        "SELECT 9223372036854775808 FROM m",
        "integer 9223372036854775808 is out of range",
        1,
        8,
    );
    check(
        "SELECT -9223372036854775809 FROM m",
        "integer 9223372036854775809 is out of range",
        1,
        9,
    );
    check(
        "SELECT 99999999999999999999 FROM m",
        "integer 99999999999999999999 is out of range",
        1,
        8,
    );
    check(
        "SELECT 15251w FROM m",
        "duration 15251w is out of range",
        1,
        8,
    );
    check(
        "SELECT a FROM m LIMIT -1",
        "found -, expected integer",
        1,
        23,
    );
    check(
        "SELECT a FROM m LIMIT 1.5",
        "found 1.5, expected integer",
        1,
        23,
    );
    check(
        "SELECT a FROM m OFFSET x",
        "found x, expected integer",
        1,
        24,
    );
    check(
        "SELECT a FROM m SLIMIT",
        "found EOF, expected integer",
        1,
        23,
    );
}

#[test]
fn group_by_errors() {
    check(
        "SELECT mean(a) FROM m GROUP time(1m)",
        "found time, expected BY",
        1,
        29,
    );
    check(
        "SELECT mean(a) FROM m GROUP BY",
        "found EOF, expected time(), identifier, regex, *",
        1,
        31,
    );
    check(
        "SELECT mean(a) FROM m GROUP BY time(10)",
        "found 10, expected duration",
        1,
        37,
    );
    check(
        "SELECT mean(a) FROM m GROUP BY time()",
        "found ), expected duration",
        1,
        37,
    );
    check(
        "SELECT mean(a) FROM m GROUP BY time(1m",
        "found EOF, expected ,, )",
        1,
        39,
    );
    check(
        "SELECT mean(a) FROM m GROUP BY time(1m, 5)",
        "found 5, expected duration",
        1,
        41,
    );
    check(
        "SELECT mean(a) FROM m GROUP BY time(0s)",
        "invalid time interval 0s: must be greater than zero",
        1,
        37,
    );
    check(
        "SELECT mean(a) FROM m GROUP BY time(1m) fill(zero)",
        "found zero, expected null, none, previous, linear, number",
        1,
        46,
    );
    check(
        "SELECT mean(a) FROM m GROUP BY time(1m) fill(1",
        "found EOF, expected )",
        1,
        47,
    );
}

#[test]
fn order_by_errors() {
    check(
        "SELECT a FROM m ORDER BY host",
        "only ORDER BY time supported at this time",
        1,
        26,
    );
    check(
        "SELECT a FROM m ORDER time",
        "found time, expected BY",
        1,
        23,
    );
    check(
        "SELECT a FROM m ORDER BY 1",
        "found 1, expected time, ASC, DESC",
        1,
        26,
    );
    check(
        "SELECT a FROM m tz(Europe)",
        "found Europe, expected string",
        1,
        20,
    );
    check("SELECT a FROM m tz('UTC'", "found EOF, expected )", 1, 25);
}

#[test]
fn expression_errors() {
    check(
        "SELECT a + FROM m",
        "found FROM, expected identifier, string, number, bool",
        1,
        12,
    );
    check("SELECT (a FROM m", "found FROM, expected )", 1, 11);
    check("SELECT mean(a FROM m", "found FROM, expected ,, )", 1, 15);
    check(
        "SELECT a::bogus FROM m",
        "found bogus, expected float, integer, unsigned, string, boolean, field, tag",
        1,
        11,
    );
    check(
        "SELECT *::integer FROM m",
        "found integer, expected field, tag",
        1,
        11,
    );
    check(
        "SELECT a = 1 FROM m",
        "found condition a = 1, expected expression",
        1,
        8,
    );
    check(
        "SELECT a FROM m WHERE a = 1 = 2",
        "found =, expected AND, OR",
        1,
        29,
    );
    check(
        "SELECT a FROM m WHERE a + (b = 1) > 0",
        "found condition (b = 1), expected expression",
        1,
        27,
    );
    check(
        "SELECT a FROM m WHERE host =~ 'web'",
        "found 'web', expected regex",
        1,
        31,
    );
    check(
        "SELECT a FROM m WHERE host !~ web",
        "found web, expected regex",
        1,
        31,
    );
    check(
        "SELECT a FROM m WHERE",
        "found EOF, expected identifier, string, number, bool",
        1,
        22,
    );
    check(
        "SELECT a FROM m WHERE @",
        "found @, expected identifier, string, number, bool",
        1,
        23,
    );
    check(
        "SELECT a FROM m WHERE x = $",
        "found $, expected identifier, string, number, bool",
        1,
        27,
    );
}

#[test]
fn function_arity() {
    check(
        "SELECT percentile(usage) FROM m",
        "invalid number of arguments for percentile, expected 2, got 1",
        1,
        8,
    );
    check(
        "SELECT TOP(usage) FROM m",
        "invalid number of arguments for top, expected at least 2, got 1",
        1,
        8,
    );
    check(
        "SELECT mean() FROM m",
        "invalid number of arguments for mean, expected 1, got 0",
        1,
        8,
    );
    check(
        "SELECT a FROM m WHERE time > now(1)",
        "invalid number of arguments for now, expected 0, got 1",
        1,
        30,
    );
    check(
        "SELECT derivative(a, 1s, 2) FROM m",
        "invalid number of arguments for derivative, expected 1 to 2, got 3",
        1,
        8,
    );
}

#[test]
fn show_errors() {
    check(
        "SHOW TAG VALUES FROM cpu",
        "found EOF, expected ,, WITH",
        1,
        25,
    );
    check(
        "SHOW TAG VALUES",
        "found EOF, expected ON, FROM, WITH",
        1,
        16,
    );
    check(
        "SHOW TAG VALUES ON db",
        "found EOF, expected FROM, WITH",
        1,
        22,
    );
    check(
        "SHOW TAG VALUES WITH host",
        "found host, expected KEY",
        1,
        22,
    );
    check(
        "SHOW TAG VALUES WITH KEY host",
        "found host, expected =, !=, =~, !~, IN",
        1,
        26,
    );
    check(
        "SHOW TAG VALUES WITH KEY =~ 'host'",
        "found 'host', expected regex",
        1,
        29,
    );
    check(
        "SHOW TAG VALUES WITH KEY IN (host",
        "found EOF, expected )",
        1,
        34,
    );
    check(
        "SHOW TAG VALUES WITH KEY IN ()",
        "found ), expected identifier",
        1,
        30,
    );
    check(
        "SHOW MEASUREMENTS WITH MEASUREMENT > cpu",
        "found >, expected =, =~",
        1,
        36,
    );
    check(
        "SHOW MEASUREMENTS WITH cpu",
        "found cpu, expected MEASUREMENT",
        1,
        24,
    );
    check(
        "SHOW MEASUREMENTS ON",
        "found EOF, expected identifier",
        1,
        21,
    );
    check(
        "SHOW FIELD KEYS WHERE a = 1",
        "found WHERE, expected ;",
        1,
        17,
    );
    check("SHOW DATABASES ON db", "found ON, expected ;", 1, 16);
}

#[test]
fn show_cardinality_errors() {
    check(
        "SHOW MEASUREMENT",
        "found EOF, expected EXACT, CARDINALITY",
        1,
        17,
    );
    check(
        "SHOW TAG KEY EXACT",
        "found EOF, expected CARDINALITY",
        1,
        19,
    );
    check(
        "SHOW SERIES EXACT FROM cpu",
        "found FROM, expected CARDINALITY",
        1,
        19,
    );
    check(
        "SHOW FIELD KEY COUNT",
        "found COUNT, expected EXACT, CARDINALITY",
        1,
        16,
    );
    check(
        "SHOW TAG VALUES CARDINALITY",
        "found EOF, expected ON, FROM, WITH",
        1,
        28,
    );
    check(
        "SHOW TAG VALUES EXACT CARDINALITY FROM cpu WHERE host = 'a'",
        "found WHERE, expected ,, WITH",
        1,
        44,
    );
    check(
        "SHOW SERIES CARDINALITY GROUP host",
        "found host, expected BY",
        1,
        31,
    );
    check(
        "SHOW SERIES CARDINALITY LIMIT 1 WHERE host = 'a'",
        "found WHERE, expected ;",
        1,
        33,
    );
    check(
        "SHOW MEASUREMENT CARDINALITY WITH MEASUREMENT = cpu",
        "found WITH, expected ;",
        1,
        30,
    );
    check("SHOW CONTINUOUS", "found EOF, expected QUERIES", 1, 16);
    check(
        "SHOW CONTINUOUS QUERIES ON db",
        "found ON, expected ;",
        1,
        25,
    );
    check("SHOW USERS LIMIT 1", "found LIMIT, expected ;", 1, 12);
}

#[test]
fn positions_count_lines_and_characters() {
    check(
        "SELECT\n  mean(\"µ\")\nFROM m\nWHERE x =~ 'y'",
        "found 'y', expected regex",
        4,
        12,
    );
    check(
        "SELECT 'µµµ' + , a FROM m",
        "found ,, expected identifier, string, number, bool",
        1,
        16,
    );
}

#[test]
fn parse_statement_wants_exactly_one() {
    use strata_influxql::parse_statement;
    let e = parse_statement("").unwrap_err();
    assert_eq!(
        e.to_string(),
        "found EOF, expected SELECT, SHOW at line 1, char 1"
    );
    let e = parse_statement("SHOW DATABASES; SHOW DATABASES").unwrap_err();
    assert_eq!(
        e.to_string(),
        "found a second statement, expected one statement at line 1, char 17"
    );
    assert!(parse_statement("SHOW DATABASES;").is_ok());
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let text = format!("SELECT {}a{} FROM m", "(".repeat(5000), ")".repeat(5000));
    let e = error(&text);
    assert_eq!(e.message, "query is nested too deeply");
    let text = format!("SELECT {}a FROM m", "- ".repeat(5000));
    assert_eq!(error(&text).message, "query is nested too deeply");
    let mut text = "SELECT a FROM m".to_owned();
    for _ in 0..500 {
        text = format!("SELECT a FROM ({text})");
    }
    assert_eq!(error(&text).message, "query is nested too deeply");
    // Reasonable nesting is fine.
    let text = format!("SELECT {}a{} FROM m", "(".repeat(30), ")".repeat(30));
    assert!(parse(&text).is_ok());
}

#[test]
fn a_long_or_chain_is_refused_not_a_stack_overflow() {
    use strata_influxql::{MAX_EXPRESSION_DEPTH, MAX_QUERY_BYTES};
    // 200,000 terms, just under the size limit: refused for its depth, at the term that
    // went too deep.
    let terms = vec!["a"; 200_000].join(" OR ");
    let text = format!("SELECT a FROM m WHERE {terms}");
    assert!(text.len() < MAX_QUERY_BYTES);
    let e = error(&text);
    assert!(
        e.message.starts_with(&format!(
            "expression is more than {MAX_EXPRESSION_DEPTH} levels deep"
        )),
        "{e}"
    );
    assert!(e.message.contains("regex"), "says what to do instead: {e}");
    // Values chain the same way.
    let terms = vec!["1"; 5_000].join(" + ");
    let e = error(&format!("SELECT {terms} FROM m"));
    assert!(e.message.contains("levels deep"), "{e}");
}

#[test]
fn a_chain_at_the_depth_limit_parses_prints_and_drops() {
    use strata_influxql::MAX_EXPRESSION_DEPTH;
    // `a = 'x'` is two levels; each OR adds one.
    let terms = vec!["host = 'x'"; MAX_EXPRESSION_DEPTH - 1].join(" OR ");
    let query = parse(&format!("SELECT a FROM m WHERE {terms}")).unwrap();
    let printed = query.to_string();
    assert_eq!(parse(&printed).unwrap(), query);
    drop(query);
    let terms = vec!["host = 'x'"; MAX_EXPRESSION_DEPTH].join(" OR ");
    assert!(
        error(&format!("SELECT a FROM m WHERE {terms}"))
            .message
            .contains("levels deep")
    );
}

#[test]
fn too_many_expression_nodes_are_refused() {
    use strata_influxql::MAX_EXPRESSION_NODES;
    // Shallow but wide: 4,000 fields of three nodes each.
    let fields = vec!["a + b"; 4_000].join(", ");
    let e = error(&format!("SELECT {fields} FROM m"));
    assert!(
        e.message.starts_with(&format!(
            "statement has more than {MAX_EXPRESSION_NODES} expression terms"
        )),
        "{e}"
    );
    // The count is per statement.
    let fields = vec!["a + b"; 3_000].join(", ");
    let statement = format!("SELECT {fields} FROM m");
    let query = parse(&format!("{statement}; {statement}")).unwrap();
    assert_eq!(query.statements.len(), 2);
}

#[test]
fn an_oversized_query_is_refused_before_it_is_read() {
    use strata_influxql::MAX_QUERY_BYTES;
    let text = format!(
        "SELECT a FROM m WHERE a = '{}'",
        "x".repeat(MAX_QUERY_BYTES)
    );
    let e = error(&text);
    assert_eq!(
        e.message,
        format!(
            "query is {} bytes, more than the {MAX_QUERY_BYTES} allowed; send a shorter query",
            text.len()
        )
    );
    assert_eq!(e.position, 0);
}
