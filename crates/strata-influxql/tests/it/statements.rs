//! Each statement form and clause, checked against the tree and the canonical text.

use strata_influxql::*;

use crate::{canonical, select, statement};

fn var(name: &str) -> Expr {
    Expr::var(name)
}

fn int(n: i64) -> Expr {
    Expr::literal(Literal::Integer(n))
}

fn dur(nanos: i64) -> Expr {
    Expr::literal(Literal::Duration(Duration(nanos)))
}

fn name(n: &str) -> QualifiedMeasurementName {
    QualifiedMeasurementName::new(MeasurementName::Name(Ident::new(n)))
}

fn now() -> Expr {
    Expr::call("now", vec![])
}

#[test]
fn select_star_from_one_measurement() {
    let s = select("SELECT * FROM cpu");
    assert_eq!(
        s.fields,
        vec![Field::new(Expr::new(ExprKind::Wildcard(None)), None)]
    );
    assert_eq!(s.from, vec![MeasurementSelection::Name(name("cpu"))]);
    assert_eq!(s, SelectStatement::new(s.fields.clone(), s.from.clone()));
    assert_eq!(canonical("select * from cpu"), "SELECT * FROM cpu");
}

#[test]
fn keywords_are_case_insensitive_identifiers_are_not() {
    let a = select("sElEcT Usage FrOm Cpu wHeRe Host = 'a'");
    let b = select("SELECT Usage FROM Cpu WHERE Host = 'a'");
    assert_eq!(a, b);
    assert_ne!(a, select("SELECT usage FROM Cpu WHERE Host = 'a'"));
    assert_eq!(a.condition.unwrap().to_string(), "Host = 'a'",);
}

#[test]
fn quoted_identifiers_and_casts() {
    let s = select(
        r#"SELECT "level description"::field, "location"::tag, "a \"q\""::integer, *::tag FROM "h2o feet""#,
    );
    let kinds: Vec<_> = s.fields.iter().map(|f| f.expr.kind.clone()).collect();
    assert_eq!(
        kinds,
        vec![
            ExprKind::VarRef {
                name: Ident::new("level description"),
                data_type: Some(VarRefDataType::Field)
            },
            ExprKind::VarRef {
                name: Ident::new("location"),
                data_type: Some(VarRefDataType::Tag)
            },
            ExprKind::VarRef {
                name: Ident::new("a \"q\""),
                data_type: Some(VarRefDataType::Integer)
            },
            ExprKind::Wildcard(Some(WildcardType::Tag)),
        ]
    );
    assert_eq!(
        s.to_string(),
        r#"SELECT "level description"::field, location::tag, "a \"q\""::integer, *::tag FROM "h2o feet""#
    );
    // Keywords as identifiers must be quoted, and are printed quoted.
    assert_eq!(
        canonical(r#"SELECT "from", "select" FROM "limit""#),
        r#"SELECT "from", "select" FROM "limit""#
    );
    // `time`, `fill`, `tz` and `now` are not reserved.
    assert_eq!(
        canonical("SELECT time, fill, tz, now FROM m"),
        "SELECT time, fill, tz, now FROM m"
    );
}

#[test]
fn arithmetic_precedence_and_parentheses() {
    let s = select(
        "SELECT a + b * c, (a + b) * c, a - b - c, a - (b - c), -a, - (1), -1, 2 % 3 ^ 4 & 5 | 6 FROM m",
    );
    let e: Vec<_> = s.fields.iter().map(|f| f.expr.clone()).collect();
    assert_eq!(
        e[0],
        Expr::binary(
            var("a"),
            BinaryOperator::Add,
            Expr::binary(var("b"), BinaryOperator::Mul, var("c"))
        )
    );
    assert_eq!(
        e[1],
        Expr::binary(
            Expr::binary(var("a"), BinaryOperator::Add, var("b")),
            BinaryOperator::Mul,
            var("c")
        )
    );
    assert_eq!(
        e[2],
        Expr::binary(
            Expr::binary(var("a"), BinaryOperator::Sub, var("b")),
            BinaryOperator::Sub,
            var("c")
        )
    );
    assert_eq!(
        e[3],
        Expr::binary(
            var("a"),
            BinaryOperator::Sub,
            Expr::binary(var("b"), BinaryOperator::Sub, var("c"))
        )
    );
    assert_eq!(e[4], Expr::new(ExprKind::Negate(Box::new(var("a")))));
    assert_eq!(e[5], Expr::new(ExprKind::Negate(Box::new(int(1)))));
    assert_eq!(e[6], int(-1));
    assert_eq!(
        s.to_string(),
        "SELECT a + b * c, (a + b) * c, a - b - c, a - (b - c), -a, -(1), -1, 2 % 3 ^ 4 & 5 | 6 FROM m"
    );
}

#[test]
fn literals() {
    let s = select(
        r"SELECT 1, 1.5, .25, 'it\'s', true, FALSE, 1h, 30m, 1d, 1w, 10s, 100ms, 1u, 1µ, 1ns, 1h30m, -9223372036854775808, $host FROM m",
    );
    let lits: Vec<_> = s.fields.iter().map(|f| f.expr.kind.clone()).collect();
    let d = |nanos: i64| Literal::Duration(Duration(nanos));
    let expected = [
        Literal::Integer(1),
        Literal::Float(1.5),
        Literal::Float(0.25),
        Literal::String("it's".into()),
        Literal::Boolean(true),
        Literal::Boolean(false),
        d(Duration::HOUR),
        d(30 * Duration::MINUTE),
        d(Duration::DAY),
        d(Duration::WEEK),
        d(10 * Duration::SECOND),
        d(100 * Duration::MILLISECOND),
        d(Duration::MICROSECOND),
        d(Duration::MICROSECOND),
        d(1),
        d(Duration::HOUR + 30 * Duration::MINUTE),
        Literal::Integer(i64::MIN),
    ];
    for (i, literal) in expected.into_iter().enumerate() {
        assert_eq!(lits[i], ExprKind::Literal(literal), "field {i}");
    }
    assert_eq!(lits[17], ExprKind::BindParameter("host".into()));
    assert_eq!(
        s.to_string(),
        r"SELECT 1, 1.5, 0.25, 'it\'s', true, false, 1h, 30m, 1d, 1w, 10s, 100ms, 1u, 1u, 1ns, 90m, -9223372036854775808, $host FROM m"
    );
    assert_eq!(
        canonical("SELECT 3.0, 100000000000000000000.0, 0.000001 FROM m"),
        "SELECT 3.0, 100000000000000000000.0, 0.000001 FROM m"
    );
}

#[test]
fn function_calls() {
    let s = select(
        "SELECT COUNT(DISTINCT(host)), count(distinct host), percentile(usage, 95), top(usage, host, 3), \
         bottom(usage, 2), sample(usage, 5), mean(*), max(/usage_.*/), derivative(mean(x), 1s), now() FROM m",
    );
    let calls: Vec<_> = s
        .fields
        .iter()
        .map(|f| match &f.expr.kind {
            ExprKind::Call(call) => call.clone(),
            other => panic!("not a call: {other:?}"),
        })
        .collect();
    assert_eq!(calls[0].name, "count");
    assert_eq!(
        calls[0].args,
        vec![Expr::call("distinct", vec![var("host")])]
    );
    assert_eq!(calls[0], calls[1]);
    assert_eq!(calls[2].args, vec![var("usage"), int(95)]);
    assert_eq!(calls[3].args.len(), 3);
    assert_eq!(calls[6].args, vec![Expr::new(ExprKind::Wildcard(None))]);
    assert_eq!(
        calls[7].args,
        vec![Expr::literal(Literal::Regex(Regex::new("usage_.*")))]
    );
    assert_eq!(calls[0].kind(), Some(FunctionKind::Aggregate));
    assert_eq!(calls[3].kind(), Some(FunctionKind::Selector));
    assert_eq!(calls[8].kind(), Some(FunctionKind::Transformation));
    assert_eq!(calls[9].kind(), Some(FunctionKind::Now));
    assert_eq!(
        s.to_string(),
        "SELECT count(distinct(host)), count(distinct(host)), percentile(usage, 95), top(usage, host, 3), \
         bottom(usage, 2), sample(usage, 5), mean(*), max(/usage_.*/), derivative(mean(x), 1s), now() FROM m"
    );
    // Names InfluxQL does not know are kept for the planner to judge.
    let s = select("SELECT my_udf(a, 1, 'x') FROM m");
    let ExprKind::Call(call) = &s.fields[0].expr.kind else {
        panic!()
    };
    assert_eq!((call.name.as_str(), call.kind()), ("my_udf", None));
}

#[test]
fn aliases_and_spans() {
    let text = r#"SELECT mean("water_level") AS "avg level", max(x) AS mx FROM h2o"#;
    let s = select(text);
    assert_eq!(s.fields[0].alias, Some(Ident::new("avg level")));
    assert_eq!(s.fields[1].alias.as_ref().unwrap(), "mx");
    let span = s.fields[0].span;
    assert_eq!(
        &text[span.start..span.end],
        r#"mean("water_level") AS "avg level""#
    );
    let span = s.fields[1].expr.span;
    assert_eq!(&text[span.start..span.end], "max(x)");
    let alias = s.fields[1].alias.as_ref().unwrap().span;
    assert_eq!(&text[alias.start..alias.end], "mx");
    assert_eq!((s.span.start, s.span.end), (0, text.len()));
    let MeasurementSelection::Name(from) = &s.from[0] else {
        panic!()
    };
    assert_eq!(&text[from.span.start..from.span.end], "h2o");
}

#[test]
fn from_forms() {
    let s = select(
        r#"SELECT * FROM cpu, "h2o feet", db.rp.mem, db..disk, rp.net, /cpu.*/, db.rp./^x/, "my.db"."my rp"."m""#,
    );
    let names: Vec<_> = s
        .from
        .iter()
        .map(|m| match m {
            MeasurementSelection::Name(n) => n.clone(),
            MeasurementSelection::Subquery(_) => panic!(),
        })
        .collect();
    assert_eq!(names[0], name("cpu"));
    assert_eq!(names[1], name("h2o feet"));
    assert_eq!(names[2].database, Some(Ident::new("db")));
    assert_eq!(names[2].retention_policy, Some(Ident::new("rp")));
    assert_eq!(names[3].database, Some(Ident::new("db")));
    assert_eq!(names[3].retention_policy, None);
    assert_eq!(names[4].database, None);
    assert_eq!(names[4].retention_policy, Some(Ident::new("rp")));
    assert_eq!(names[5].name, MeasurementName::Regex(Regex::new("cpu.*")));
    assert_eq!(names[6].name, MeasurementName::Regex(Regex::new("^x")));
    assert_eq!(names[7].database, Some(Ident::new("my.db")));
    assert_eq!(
        s.to_string(),
        r#"SELECT * FROM cpu, "h2o feet", db.rp.mem, db..disk, rp.net, /cpu.*/, db.rp./^x/, "my.db"."my rp".m"#
    );
}

#[test]
fn subqueries() {
    let s = select(
        "SELECT max(m) FROM (SELECT mean(usage) AS m FROM cpu GROUP BY time(1m), host) WHERE time > now() - 1h GROUP BY time(10m)",
    );
    let MeasurementSelection::Subquery(inner) = &s.from[0] else {
        panic!()
    };
    assert_eq!(inner.fields[0].alias, Some(Ident::new("m")));
    assert_eq!(inner.group_by.len(), 2);
    assert_eq!(
        s.group_by_time(),
        Some((Duration(10 * Duration::MINUTE), None))
    );
    canonical("SELECT a FROM (SELECT a FROM (SELECT a FROM m LIMIT 1)), n");
}

#[test]
fn where_conditions() {
    let s = select(
        "SELECT * FROM m WHERE (host = 'a' OR host != 'b') AND region <> 'c' AND x >= 1.5 AND y < 2 AND z <= 3 AND w > 4",
    );
    let text = s.condition.as_ref().unwrap().to_string();
    assert_eq!(
        text,
        "(host = 'a' OR host != 'b') AND region != 'c' AND x >= 1.5 AND y < 2 AND z <= 3 AND w > 4"
    );
    // AND binds tighter than OR, both are left-associative.
    let c = select("SELECT * FROM m WHERE a = 1 OR b = 2 AND c = 3")
        .condition
        .unwrap();
    let ConditionKind::Or(lhs, rhs) = &c.kind else {
        panic!("{c:?}")
    };
    assert!(matches!(lhs.kind, ConditionKind::Comparison { .. }));
    assert!(matches!(rhs.kind, ConditionKind::And(..)));
    assert_eq!(
        canonical("SELECT * FROM m WHERE a = 1 AND (b = 2 AND c = 3)"),
        "SELECT * FROM m WHERE a = 1 AND (b = 2 AND c = 3)"
    );
    assert_eq!(
        canonical("SELECT * FROM m WHERE ((a = 1)) AND ((b + 1) * 2 > 3)"),
        "SELECT * FROM m WHERE a = 1 AND (b + 1) * 2 > 3"
    );
    // A bare value is a condition too.
    let c = select("SELECT * FROM m WHERE up AND true")
        .condition
        .unwrap();
    assert_eq!(
        c,
        Condition::and(
            Condition::new(ConditionKind::Expr(var("up"))),
            Condition::new(ConditionKind::Expr(Expr::literal(Literal::Boolean(true))))
        )
    );
}

#[test]
fn regex_conditions() {
    let c = select(r"SELECT * FROM m WHERE host =~ /^web-\d+$/ AND path !~ /\/api\//")
        .condition
        .unwrap();
    assert_eq!(
        c,
        Condition::and(
            Condition::comparison(
                var("host"),
                ComparisonOperator::EqRegex,
                Expr::literal(Literal::Regex(Regex::new(r"^web-\d+$")))
            ),
            Condition::comparison(
                var("path"),
                ComparisonOperator::NotEqRegex,
                Expr::literal(Literal::Regex(Regex::new("/api/")))
            ),
        )
    );
    assert_eq!(c.to_string(), r"host =~ /^web-\d+$/ AND path !~ /\/api\//");
    // Division is not a regex.
    let s = select("SELECT a / b / 2 FROM m");
    assert_eq!(s.to_string(), "SELECT a / b / 2 FROM m");
}

#[test]
fn time_conditions() {
    let c = select("SELECT * FROM m WHERE time > now() - 1h")
        .condition
        .unwrap();
    assert_eq!(
        c,
        Condition::comparison(
            var("time"),
            ComparisonOperator::Gt,
            Expr::binary(now(), BinaryOperator::Sub, dur(Duration::HOUR))
        )
    );
    let c = select(
        "SELECT * FROM m WHERE time >= '2023-01-01T00:00:00Z' AND time < 1700000000000000000",
    )
    .condition
    .unwrap();
    let ConditionKind::And(lower, upper) = c.kind else {
        panic!()
    };
    let ConditionKind::Comparison { rhs, .. } = lower.kind else {
        panic!()
    };
    let ExprKind::Literal(Literal::String(ts)) = rhs.kind else {
        panic!()
    };
    assert_eq!(parse_timestamp(&ts), Some(1_672_531_200_000_000_000));
    let ConditionKind::Comparison { rhs, op, .. } = upper.kind else {
        panic!()
    };
    assert_eq!(op, ComparisonOperator::Lt);
    assert_eq!(rhs, int(1_700_000_000_000_000_000));
    assert_eq!(
        canonical("SELECT * FROM m WHERE time > now() - 1d + 30m AND time <= now() + -5m"),
        "SELECT * FROM m WHERE time > now() - 1d + 30m AND time <= now() + -5m"
    );
}

#[test]
fn group_by_fill_order_limits_and_tz() {
    let s = select(
        "SELECT mean(v) FROM m GROUP BY time(1h, -15m), host, /^reg/, * fill(linear) ORDER BY time DESC \
         LIMIT 10 OFFSET 5 SLIMIT 3 SOFFSET 1 tz('Europe/Paris')",
    );
    let kinds: Vec<_> = s.group_by.iter().map(|d| d.kind.clone()).collect();
    assert_eq!(
        kinds,
        vec![
            DimensionKind::Time {
                interval: Duration(Duration::HOUR),
                offset: Some(Duration(-15 * Duration::MINUTE))
            },
            DimensionKind::Tag(Ident::new("host")),
            DimensionKind::Regex(Regex::new("^reg")),
            DimensionKind::Wildcard,
        ]
    );
    assert_eq!(s.fill, Some(Fill::Linear));
    assert_eq!(s.order_by, Some(Order::Descending));
    assert_eq!(
        (s.limit, s.offset, s.slimit, s.soffset),
        (Some(10), Some(5), Some(3), Some(1))
    );
    assert_eq!(s.timezone.as_deref(), Some("Europe/Paris"));
    assert_eq!(
        s.to_string(),
        "SELECT mean(v) FROM m GROUP BY time(1h, -15m), host, /^reg/, * fill(linear) ORDER BY time DESC \
         LIMIT 10 OFFSET 5 SLIMIT 3 SOFFSET 1 tz('Europe/Paris')"
    );
    for (text, fill) in [
        ("null", Fill::Null),
        ("NONE", Fill::None),
        ("previous", Fill::Previous),
        ("0", Fill::Value(Number::Integer(0))),
        ("-1", Fill::Value(Number::Integer(-1))),
        ("1.5", Fill::Value(Number::Float(1.5))),
        ("-2.25", Fill::Value(Number::Float(-2.25))),
    ] {
        let s = select(&format!(
            "SELECT mean(v) FROM m GROUP BY time(1m) FILL({text})"
        ));
        assert_eq!(s.fill, Some(fill), "{text}");
    }
    assert_eq!(
        select("SELECT v FROM m ORDER BY time").order_by,
        Some(Order::Ascending)
    );
    assert_eq!(
        select("SELECT v FROM m ORDER BY DESC").order_by,
        Some(Order::Descending)
    );
    assert_eq!(
        select("SELECT v FROM m ORDER BY time asc").order_by,
        Some(Order::Ascending)
    );
    // A tag called `time` is a tag.
    let s = select("SELECT count(v) FROM m GROUP BY time");
    assert_eq!(s.group_by[0].kind, DimensionKind::Tag(Ident::new("time")));
    assert_eq!(s.group_by_time(), None);
    // fill without GROUP BY is kept (the planner decides).
    assert_eq!(select("SELECT v FROM m fill(none)").fill, Some(Fill::None));
}

#[test]
fn show_databases_and_retention_policies() {
    assert_eq!(
        statement("SHOW DATABASES"),
        Statement::ShowDatabases(ShowDatabases::default())
    );
    assert_eq!(
        statement("show retention policies on \"my-db\""),
        Statement::ShowRetentionPolicies(ShowRetentionPolicies {
            on: Some(Ident::new("my-db")),
            span: Span::default()
        })
    );
    assert_eq!(
        canonical("SHOW RETENTION POLICIES"),
        "SHOW RETENTION POLICIES"
    );
    assert_eq!(
        canonical("show retention policies on \"my-db\""),
        "SHOW RETENTION POLICIES ON \"my-db\""
    );
}

#[test]
fn show_measurements() {
    let Statement::ShowMeasurements(s) = statement(
        "SHOW MEASUREMENTS ON db WITH MEASUREMENT =~ /^h2o/ WHERE \"region\" = 'uswest' LIMIT 2 OFFSET 1",
    ) else {
        panic!()
    };
    assert_eq!(s.on, Some(Ident::new("db")));
    assert_eq!(
        s.with_measurement,
        Some(WithMeasurement::Regex(Regex::new("^h2o")))
    );
    assert!(s.condition.is_some());
    assert_eq!((s.limit, s.offset), (Some(2), Some(1)));
    let Statement::ShowMeasurements(s) = statement("SHOW MEASUREMENTS WITH MEASUREMENT = cpu")
    else {
        panic!()
    };
    assert_eq!(
        s.with_measurement,
        Some(WithMeasurement::Equals(Ident::new("cpu")))
    );
    assert_eq!(
        statement("SHOW MEASUREMENTS"),
        Statement::ShowMeasurements(ShowMeasurements::default())
    );
    assert_eq!(
        canonical(
            "SHOW MEASUREMENTS ON db WITH MEASUREMENT =~ /^h2o/ WHERE region = 'uswest' LIMIT 2 OFFSET 1"
        ),
        "SHOW MEASUREMENTS ON db WITH MEASUREMENT =~ /^h2o/ WHERE region = 'uswest' LIMIT 2 OFFSET 1"
    );
}

#[test]
fn show_series() {
    let Statement::ShowSeries(s) =
        statement("SHOW SERIES ON db FROM cpu, /^mem/ WHERE host = 'a' LIMIT 5 OFFSET 2")
    else {
        panic!()
    };
    assert_eq!(s.on, Some(Ident::new("db")));
    assert_eq!(s.from.len(), 2);
    assert!(s.condition.is_some());
    assert_eq!((s.limit, s.offset), (Some(5), Some(2)));
    assert_eq!(
        statement("SHOW SERIES"),
        Statement::ShowSeries(ShowSeries::default())
    );
    assert_eq!(
        canonical("show series on db from cpu where host = 'a' limit 5 offset 2"),
        "SHOW SERIES ON db FROM cpu WHERE host = 'a' LIMIT 5 OFFSET 2"
    );
}

#[test]
fn show_tag_keys() {
    let Statement::ShowTagKeys(s) =
        statement("SHOW TAG KEYS ON db FROM cpu, /^mem/ WHERE host = 'a' LIMIT 5 OFFSET 2")
    else {
        panic!()
    };
    assert_eq!(s.on, Some(Ident::new("db")));
    assert_eq!(s.from.len(), 2);
    assert_eq!(s.from[1].name, MeasurementName::Regex(Regex::new("^mem")));
    assert_eq!((s.limit, s.offset), (Some(5), Some(2)));
    assert_eq!(
        statement("SHOW TAG KEYS"),
        Statement::ShowTagKeys(ShowTagKeys::default())
    );
    assert_eq!(
        canonical("show tag keys on db from cpu, /^mem/ where host = 'a' limit 5 offset 2"),
        "SHOW TAG KEYS ON db FROM cpu, /^mem/ WHERE host = 'a' LIMIT 5 OFFSET 2"
    );
}

#[test]
fn show_tag_values() {
    let with_key = |text: &str| match statement(text) {
        Statement::ShowTagValues(s) => s.with_key,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        with_key("SHOW TAG VALUES WITH KEY = host"),
        WithKey::Eq(Ident::new("host"))
    );
    assert_eq!(
        with_key("SHOW TAG VALUES WITH KEY != host"),
        WithKey::NotEq(Ident::new("host"))
    );
    assert_eq!(
        with_key("SHOW TAG VALUES WITH KEY <> host"),
        WithKey::NotEq(Ident::new("host"))
    );
    assert_eq!(
        with_key("SHOW TAG VALUES WITH KEY =~ /h.*/"),
        WithKey::EqRegex(Regex::new("h.*"))
    );
    assert_eq!(
        with_key("SHOW TAG VALUES WITH KEY !~ /h.*/"),
        WithKey::NotEqRegex(Regex::new("h.*"))
    );
    assert_eq!(
        with_key(r#"SHOW TAG VALUES WITH KEY IN ("host", region)"#),
        WithKey::In(vec![Ident::new("host"), Ident::new("region")])
    );
    let Statement::ShowTagValues(s) = statement(
        r#"SHOW TAG VALUES ON "db" FROM "cpu" WITH KEY = "host" WHERE "region" =~ /us-.*/ LIMIT 10 OFFSET 20"#,
    ) else {
        panic!()
    };
    assert_eq!(s.on, Some(Ident::new("db")));
    assert_eq!(s.from, vec![name("cpu")]);
    assert!(s.condition.is_some());
    assert_eq!((s.limit, s.offset), (Some(10), Some(20)));
    assert_eq!(
        canonical(
            r#"SHOW TAG VALUES ON "db" FROM "cpu" WITH KEY IN ("host", region) WHERE "region" =~ /us-.*/ LIMIT 10 OFFSET 20"#
        ),
        "SHOW TAG VALUES ON db FROM cpu WITH KEY IN (host, region) WHERE region =~ /us-.*/ LIMIT 10 OFFSET 20"
    );
}

#[test]
fn show_field_keys() {
    let Statement::ShowFieldKeys(s) =
        statement("SHOW FIELD KEYS ON db FROM db.rp.cpu LIMIT 1 OFFSET 1")
    else {
        panic!()
    };
    assert_eq!(s.on, Some(Ident::new("db")));
    assert_eq!(s.from[0].retention_policy, Some(Ident::new("rp")));
    assert_eq!(
        statement("SHOW FIELD KEYS"),
        Statement::ShowFieldKeys(ShowFieldKeys::default())
    );
    assert_eq!(
        canonical("show field keys from cpu"),
        "SHOW FIELD KEYS FROM cpu"
    );
}

#[test]
fn show_cardinality() {
    let cardinality = |text: &str| match statement(text) {
        Statement::ShowCardinality(s) => s,
        other => panic!("{text}: {other:?}"),
    };
    assert_eq!(
        cardinality("SHOW SERIES CARDINALITY"),
        ShowCardinality::new(CardinalityOf::Series)
    );
    assert_eq!(
        cardinality("show series exact cardinality"),
        ShowCardinality {
            exact: true,
            ..ShowCardinality::new(CardinalityOf::Series)
        }
    );
    for (text, of) in [
        ("SHOW MEASUREMENT CARDINALITY", CardinalityOf::Measurements),
        ("SHOW TAG KEY CARDINALITY", CardinalityOf::TagKeys),
        ("SHOW FIELD KEY CARDINALITY", CardinalityOf::FieldKeys),
        (
            "SHOW TAG VALUES CARDINALITY WITH KEY = host",
            CardinalityOf::TagValues(WithKey::Eq(Ident::new("host"))),
        ),
    ] {
        assert_eq!(cardinality(text), ShowCardinality::new(of), "{text}");
    }
    let s = cardinality(
        "SHOW SERIES EXACT CARDINALITY ON db FROM cpu, /^mem/ WHERE host = 'a' GROUP BY region, /^d/ LIMIT 5 OFFSET 2",
    );
    assert!(s.exact);
    assert_eq!(s.on, Some(Ident::new("db")));
    assert_eq!(s.from.len(), 2);
    assert!(s.condition.is_some());
    assert_eq!(
        s.group_by,
        vec![
            Dimension::new(DimensionKind::Tag(Ident::new("region"))),
            Dimension::new(DimensionKind::Regex(Regex::new("^d"))),
        ]
    );
    assert_eq!((s.limit, s.offset), (Some(5), Some(2)));
    let s = cardinality(
        r#"SHOW TAG VALUES EXACT CARDINALITY ON "db" FROM cpu WITH KEY IN (host, "region") WHERE dc != 'x' GROUP BY *"#,
    );
    assert!(s.exact);
    assert_eq!(
        s.of,
        CardinalityOf::TagValues(WithKey::In(vec![Ident::new("host"), Ident::new("region")]))
    );
    assert_eq!(s.from, vec![name("cpu")]);
    assert_eq!(s.group_by, vec![Dimension::new(DimensionKind::Wildcard)]);
    // `SHOW SERIES` and `SHOW TAG VALUES` stay themselves without CARDINALITY.
    assert!(matches!(
        statement("SHOW SERIES FROM cpu"),
        Statement::ShowSeries(_)
    ));
    assert!(matches!(
        statement("SHOW TAG VALUES WITH KEY = host"),
        Statement::ShowTagValues(_)
    ));
    for (text, printed) in [
        ("show series cardinality", "SHOW SERIES CARDINALITY"),
        (
            "show series exact cardinality on db from cpu where host = 'a' group by time(1h) limit 1 offset 1",
            "SHOW SERIES EXACT CARDINALITY ON db FROM cpu WHERE host = 'a' GROUP BY time(1h) LIMIT 1 OFFSET 1",
        ),
        (
            "show measurement cardinality",
            "SHOW MEASUREMENT CARDINALITY",
        ),
        (
            "show measurement exact cardinality from /c/ where region = 'east' group by host",
            "SHOW MEASUREMENT EXACT CARDINALITY FROM /c/ WHERE region = 'east' GROUP BY host",
        ),
        (
            "show tag key exact cardinality on db from cpu where host = 'a'",
            "SHOW TAG KEY EXACT CARDINALITY ON db FROM cpu WHERE host = 'a'",
        ),
        (
            "show tag values cardinality on db from cpu with key =~ /h/ where region = 'east' limit 3",
            "SHOW TAG VALUES CARDINALITY ON db FROM cpu WITH KEY =~ /h/ WHERE region = 'east' LIMIT 3",
        ),
        (
            "show field key cardinality from \"my cpu\" offset 1",
            "SHOW FIELD KEY CARDINALITY FROM \"my cpu\" OFFSET 1",
        ),
    ] {
        assert_eq!(canonical(text), printed);
    }
}

#[test]
fn show_continuous_queries_users_and_subscriptions() {
    assert_eq!(
        statement("SHOW CONTINUOUS QUERIES"),
        Statement::ShowContinuousQueries(ShowContinuousQueries::default())
    );
    assert_eq!(
        statement("show users"),
        Statement::ShowUsers(ShowUsers::default())
    );
    assert_eq!(
        statement("Show Subscriptions;"),
        Statement::ShowSubscriptions(ShowSubscriptions::default())
    );
    assert_eq!(
        canonical("show continuous queries; show users; show subscriptions"),
        "SHOW CONTINUOUS QUERIES; SHOW USERS; SHOW SUBSCRIPTIONS"
    );
}

#[test]
fn several_statements_and_comments() {
    let q = parse(
        "-- leading comment\nSELECT a FROM m; /* block\ncomment */ SHOW DATABASES;;\nSHOW TAG KEYS -- trailing\n;",
    )
    .unwrap();
    assert_eq!(q.statements.len(), 3);
    assert!(matches!(q.statements[1], Statement::ShowDatabases(_)));
    assert_eq!(
        q.to_string(),
        "SELECT a FROM m; SHOW DATABASES; SHOW TAG KEYS"
    );
    assert_eq!(parse("").unwrap(), Query::default());
    assert_eq!(parse(" ; -- nothing\n").unwrap().statements.len(), 0);
    let text = "SHOW DATABASES; SELECT x FROM y";
    let q = parse(text).unwrap();
    let span = q.statements[1].span();
    assert_eq!(&text[span.start..span.end], "SELECT x FROM y");
}

#[test]
fn quote_ident_and_keywords() {
    assert_eq!(quote_ident("cpu"), "cpu");
    assert_eq!(quote_ident("h2o feet"), "\"h2o feet\"");
    assert_eq!(quote_ident("select"), "\"select\"");
    assert_eq!(quote_ident("9lives"), "\"9lives\"");
    assert_eq!(quote_ident("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
    assert!(is_keyword("Select"));
    assert!(!is_keyword("time"));
}

#[test]
fn strings_escape_round_trip() {
    assert_eq!(
        canonical(r#"SELECT * FROM m WHERE a = 'x\\y\'z\nw' AND b = 'say \"hi\"'"#),
        r#"SELECT * FROM m WHERE a = 'x\\y\'z\nw' AND b = 'say "hi"'"#
    );
}
