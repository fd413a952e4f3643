//! Property tests: random trees print to text that parses back to the same tree, and no input
//! makes the parser panic.

use proptest::prelude::*;
use strata_influxql::*;

fn ident_text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[a-z_][a-z0-9_]{0,8}",
        1 => prop::sample::select(vec![
            "select", "FROM", "Where", "time", "fill", "tz", "now", "and", "OR", "true", "false",
            "key", "name", "distinct", "field", "tag", "limit",
        ])
        .prop_map(String::from),
        1 => "[a-z \"\\\\\n'./*$-]{0,6}",
        1 => "\\PC{0,8}",
    ]
    .boxed()
}

fn ident() -> BoxedStrategy<Ident> {
    ident_text().prop_map(Ident::new).boxed()
}

fn regex() -> BoxedStrategy<Regex> {
    // A pattern may not begin with `*` (`/*` opens a comment) nor end in a lone backslash;
    // InfluxDB's own printer shares both limits.
    prop::collection::vec(
        prop_oneof![
            "[a-zA-Z0-9 µ]",
            Just(".".to_owned()),
            Just(".*".to_owned()),
            Just("^".to_owned()),
            Just("$".to_owned()),
            Just("/".to_owned()),
            Just("\\d".to_owned()),
            Just("\\.".to_owned()),
            Just("[0-9]+".to_owned()),
            Just("--".to_owned()),
            Just("'\"".to_owned()),
            Just("\n".to_owned()),
        ],
        0..6,
    )
    .prop_map(|parts| Regex::new(parts.concat()))
    .boxed()
}

fn duration() -> BoxedStrategy<Duration> {
    prop_oneof![
        any::<i64>().prop_map(Duration),
        (
            -1000i64..1000,
            prop::sample::select(vec![
                1,
                Duration::MICROSECOND,
                Duration::MILLISECOND,
                Duration::SECOND,
                Duration::MINUTE,
                Duration::HOUR,
                Duration::DAY,
                Duration::WEEK
            ])
        )
            .prop_map(|(n, unit)| Duration(n * unit)),
    ]
    .boxed()
}

fn float() -> BoxedStrategy<f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |v| v.is_finite()),
        (-1000i32..1000, 1u32..5).prop_map(|(n, d)| f64::from(n) / f64::from(10u32.pow(d))),
    ]
    .boxed()
}

fn string() -> BoxedStrategy<String> {
    prop_oneof!["\\PC{0,10}", "[a-z\n'\"\\\\ ]{0,6}"].boxed()
}

fn literal() -> BoxedStrategy<Literal> {
    prop_oneof![
        any::<i64>().prop_map(Literal::Integer),
        float().prop_map(Literal::Float),
        string().prop_map(Literal::String),
        any::<bool>().prop_map(Literal::Boolean),
        duration().prop_map(Literal::Duration),
        regex().prop_map(Literal::Regex),
    ]
    .boxed()
}

fn leaf_expr() -> BoxedStrategy<Expr> {
    let data_type = prop::option::of(prop::sample::select(vec![
        VarRefDataType::Float,
        VarRefDataType::Integer,
        VarRefDataType::Unsigned,
        VarRefDataType::String,
        VarRefDataType::Boolean,
        VarRefDataType::Field,
        VarRefDataType::Tag,
    ]));
    prop_oneof![
        4 => (ident(), data_type)
            .prop_map(|(name, data_type)| Expr::new(ExprKind::VarRef { name, data_type })),
        3 => literal().prop_map(Expr::literal),
        1 => prop::option::of(prop_oneof![Just(WildcardType::Field), Just(WildcardType::Tag)])
            .prop_map(|t| Expr::new(ExprKind::Wildcard(t))),
        1 => prop_oneof!["[a-zA-Z0-9_]{1,6}", "\\PC{0,5}"]
            .prop_map(|name| Expr::new(ExprKind::BindParameter(name))),
    ]
    .boxed()
}

fn binary_operator() -> BoxedStrategy<BinaryOperator> {
    prop::sample::select(vec![
        BinaryOperator::Add,
        BinaryOperator::Sub,
        BinaryOperator::Mul,
        BinaryOperator::Div,
        BinaryOperator::Mod,
        BinaryOperator::BitwiseAnd,
        BinaryOperator::BitwiseOr,
        BinaryOperator::BitwiseXor,
    ])
    .boxed()
}

/// Function names with the argument counts the parser accepts for them.
const CALLS: &[(&str, usize, usize)] = &[
    ("count", 1, 1),
    ("distinct", 1, 1),
    ("mean", 1, 1),
    ("median", 1, 1),
    ("percentile", 2, 2),
    ("top", 2, 4),
    ("bottom", 2, 3),
    ("sample", 2, 2),
    ("derivative", 1, 2),
    ("now", 0, 0),
    ("my_udf", 0, 3),
    ("time", 0, 2),
    ("fill", 1, 1),
];

fn expr() -> BoxedStrategy<Expr> {
    leaf_expr()
        .prop_recursive(4, 24, 3, |inner| {
            let call = (0..CALLS.len(), prop::collection::vec(inner.clone(), 0..=4)).prop_map(
                |(i, mut args)| {
                    let (name, min, max) = CALLS[i];
                    // Pad with constants or cut to fit the function's argument count.
                    while args.len() < min {
                        args.push(Expr::literal(Literal::Integer(
                            i64::try_from(args.len()).unwrap(),
                        )));
                    }
                    args.truncate(max);
                    Expr::call(name, args)
                },
            );
            prop_oneof![
                3 => (inner.clone(), binary_operator(), inner.clone())
                    .prop_map(|(lhs, op, rhs)| Expr::binary(lhs, op, rhs)),
                1 => inner.clone().prop_map(|e| Expr::new(ExprKind::Negate(Box::new(e)))),
                2 => call,
            ]
        })
        .boxed()
}

fn condition() -> BoxedStrategy<Condition> {
    let comparison = (
        expr(),
        prop::sample::select(vec![
            ComparisonOperator::Eq,
            ComparisonOperator::NotEq,
            ComparisonOperator::Lt,
            ComparisonOperator::LtEq,
            ComparisonOperator::Gt,
            ComparisonOperator::GtEq,
        ]),
        expr(),
    )
        .prop_map(|(lhs, op, rhs)| Condition::comparison(lhs, op, rhs));
    let regex_match = (
        expr(),
        prop_oneof![
            Just(ComparisonOperator::EqRegex),
            Just(ComparisonOperator::NotEqRegex)
        ],
        regex(),
    )
        .prop_map(|(lhs, op, re)| {
            Condition::comparison(lhs, op, Expr::literal(Literal::Regex(re)))
        });
    let leaf = prop_oneof![
        3 => comparison,
        2 => regex_match,
        1 => expr().prop_map(|e| Condition::new(ConditionKind::Expr(e))),
    ];
    leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Condition::and(l, r)),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Condition::or(l, r)),
        ]
    })
    .boxed()
}

fn qualified_name() -> BoxedStrategy<QualifiedMeasurementName> {
    (
        prop::option::of(ident()),
        prop::option::of(ident()),
        prop_oneof![
            3 => ident().prop_map(MeasurementName::Name),
            1 => regex().prop_map(MeasurementName::Regex),
        ],
    )
        .prop_map(
            |(database, retention_policy, name)| QualifiedMeasurementName {
                database,
                retention_policy,
                name,
                span: Span::default(),
            },
        )
        .boxed()
}

fn dimension() -> BoxedStrategy<Dimension> {
    prop_oneof![
        (1..=i64::MAX, prop::option::of(duration())).prop_map(|(interval, offset)| {
            DimensionKind::Time {
                interval: Duration(interval),
                offset,
            }
        }),
        ident().prop_map(DimensionKind::Tag),
        regex().prop_map(DimensionKind::Regex),
        Just(DimensionKind::Wildcard),
    ]
    .prop_map(Dimension::new)
    .boxed()
}

fn fill() -> BoxedStrategy<Fill> {
    prop_oneof![
        Just(Fill::Null),
        Just(Fill::None),
        Just(Fill::Previous),
        Just(Fill::Linear),
        any::<i64>().prop_map(|n| Fill::Value(Number::Integer(n))),
        float().prop_map(|v| Fill::Value(Number::Float(v))),
    ]
    .boxed()
}

fn count() -> BoxedStrategy<Option<u64>> {
    prop::option::of(any::<u64>()).boxed()
}

fn select_statement(depth: u32) -> BoxedStrategy<SelectStatement> {
    let source = if depth == 0 {
        qualified_name()
            .prop_map(MeasurementSelection::Name)
            .boxed()
    } else {
        prop_oneof![
            3 => qualified_name().prop_map(MeasurementSelection::Name),
            1 => select_statement(depth - 1)
                .prop_map(|s| MeasurementSelection::Subquery(Box::new(s))),
        ]
        .boxed()
    };
    let fields = prop::collection::vec(
        (expr(), prop::option::of(ident())).prop_map(|(e, alias)| Field::new(e, alias)),
        1..4,
    );
    let clauses = (
        prop::option::of(condition()),
        prop::collection::vec(dimension(), 0..4),
        prop::option::of(fill()),
        prop::option::of(prop_oneof![Just(Order::Ascending), Just(Order::Descending)]),
    );
    let limits = (
        count(),
        count(),
        count(),
        count(),
        prop::option::of(string()),
    );
    (fields, prop::collection::vec(source, 1..3), clauses, limits)
        .prop_map(
            |(
                fields,
                from,
                (condition, group_by, fill, order_by),
                (limit, offset, slimit, soffset, timezone),
            )| {
                SelectStatement {
                    condition,
                    group_by,
                    fill,
                    order_by,
                    limit,
                    offset,
                    slimit,
                    soffset,
                    timezone,
                    ..SelectStatement::new(fields, from)
                }
            },
        )
        .boxed()
}

fn show_statement() -> BoxedStrategy<Statement> {
    let on = || prop::option::of(ident());
    let from = || prop::collection::vec(qualified_name(), 0..3);
    let with_key = || {
        prop_oneof![
            ident().prop_map(WithKey::Eq),
            ident().prop_map(WithKey::NotEq),
            regex().prop_map(WithKey::EqRegex),
            regex().prop_map(WithKey::NotEqRegex),
            prop::collection::vec(ident(), 1..4).prop_map(WithKey::In),
        ]
    };
    let cardinality_of = prop_oneof![
        Just(CardinalityOf::Series),
        Just(CardinalityOf::Measurements),
        Just(CardinalityOf::TagKeys),
        with_key().prop_map(CardinalityOf::TagValues),
        Just(CardinalityOf::FieldKeys),
    ];
    let with_measurement = prop::option::of(prop_oneof![
        ident().prop_map(WithMeasurement::Equals),
        regex().prop_map(WithMeasurement::Regex),
    ]);
    prop_oneof![
        Just(Statement::ShowDatabases(ShowDatabases::default())),
        on().prop_map(
            |on| Statement::ShowRetentionPolicies(ShowRetentionPolicies {
                on,
                span: Span::default()
            })
        ),
        (
            on(),
            with_measurement,
            prop::option::of(condition()),
            count(),
            count()
        )
            .prop_map(|(on, with_measurement, condition, limit, offset)| {
                Statement::ShowMeasurements(ShowMeasurements {
                    on,
                    with_measurement,
                    condition,
                    limit,
                    offset,
                    span: Span::default(),
                })
            }),
        (
            on(),
            from(),
            prop::option::of(condition()),
            count(),
            count()
        )
            .prop_map(
                |(on, from, condition, limit, offset)| Statement::ShowTagKeys(ShowTagKeys {
                    on,
                    from,
                    condition,
                    limit,
                    offset,
                    span: Span::default(),
                })
            ),
        (
            on(),
            from(),
            with_key(),
            prop::option::of(condition()),
            count(),
            count()
        )
            .prop_map(|(on, from, with_key, condition, limit, offset)| {
                Statement::ShowTagValues(ShowTagValues {
                    on,
                    from,
                    with_key,
                    condition,
                    limit,
                    offset,
                    span: Span::default(),
                })
            }),
        (
            on(),
            from(),
            prop::option::of(condition()),
            count(),
            count()
        )
            .prop_map(
                |(on, from, condition, limit, offset)| Statement::ShowSeries(ShowSeries {
                    on,
                    from,
                    condition,
                    limit,
                    offset,
                    span: Span::default(),
                })
            ),
        (on(), from(), count(), count()).prop_map(|(on, from, limit, offset)| {
            Statement::ShowFieldKeys(ShowFieldKeys {
                on,
                from,
                limit,
                offset,
                span: Span::default(),
            })
        }),
        (
            (cardinality_of, any::<bool>(), on(), from()),
            (
                prop::option::of(condition()),
                prop::collection::vec(dimension(), 0..3),
                count(),
                count()
            )
        )
            .prop_map(
                |((of, exact, on, from), (condition, group_by, limit, offset))| {
                    Statement::ShowCardinality(ShowCardinality {
                        of,
                        exact,
                        on,
                        from,
                        condition,
                        group_by,
                        limit,
                        offset,
                        span: Span::default(),
                    })
                }
            ),
        prop_oneof![
            Just(Statement::ShowContinuousQueries(
                ShowContinuousQueries::default()
            )),
            Just(Statement::ShowUsers(ShowUsers::default())),
            Just(Statement::ShowSubscriptions(ShowSubscriptions::default())),
        ],
    ]
    .boxed()
}

fn statement() -> BoxedStrategy<Statement> {
    prop_oneof![
        3 => select_statement(2).prop_map(|s| Statement::Select(Box::new(s))),
        1 => show_statement(),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The canonical text of any tree parses back to that tree.
    #[test]
    fn printed_query_parses_back_to_the_same_tree(
        statements in prop::collection::vec(statement(), 1..3)
    ) {
        let query = Query { statements };
        let text = query.to_string();
        let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{text}\n{e}")))?;
        prop_assert_eq!(&parsed, &query, "{}", text);
        prop_assert_eq!(parsed.to_string(), text);
    }

    /// Expressions alone, deeper: parenthesization and negative literals.
    #[test]
    fn printed_expression_parses_back(e in expr()) {
        let query = Query {
            statements: vec![Statement::Select(Box::new(SelectStatement::new(
                vec![Field::new(e, None)],
                vec![MeasurementSelection::Name(QualifiedMeasurementName::new(
                    MeasurementName::Name(Ident::new("m")),
                ))],
            )))],
        };
        let text = query.to_string();
        let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{text}\n{e}")))?;
        prop_assert_eq!(parsed, query, "{}", text);
    }

    /// Any text: an answer, never a panic, and an error points inside the text.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,60}") {
        if let Err(e) = parse(&text) {
            prop_assert!(e.position <= text.len());
            prop_assert!(text.is_char_boundary(e.position));
            prop_assert!(e.line >= 1 && e.column >= 1);
        }
    }

    /// Valid queries cut short or with a character dropped: errors, never panics.
    #[test]
    fn damaged_queries_never_panic(statement in statement(), cut in any::<prop::sample::Index>()) {
        let text = statement.to_string();
        let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        let at = boundaries[cut.index(boundaries.len())];
        let truncated = &text[..at];
        let _ = parse(truncated);
        let mut dropped = text.clone();
        dropped.remove(at);
        if let Err(e) = parse(&dropped) {
            prop_assert!(e.position <= dropped.len());
        }
    }
}
