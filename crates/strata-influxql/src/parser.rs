//! The recursive-descent parser. Expressions are parsed by precedence climbing into one
//! untyped node and then sorted into [`Expr`] (values) and [`Condition`] (booleans), so that
//! a parenthesis may open either without backtracking.

use crate::ast::*;
use crate::error::ParseError;
use crate::functions;
use crate::lexer::{Lexer, Token, TokenKind};

/// How deep parentheses, calls and subqueries may nest before the parser refuses the query
/// (instead of overflowing the stack).
const MAX_DEPTH: usize = 100;

/// The longest query text accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 1 << 20;
/// The most expression nodes (operands, operators, calls) one statement may hold: planning
/// costs work per node.
pub const MAX_EXPRESSION_NODES: usize = 10_000;
/// The deepest an expression tree may be. Everything that walks the tree (the planner, the
/// printer, dropping it) recurses once per level, and a chain `a OR b OR c …` is as deep as
/// it is long, however flat its text looks.
pub const MAX_EXPRESSION_DEPTH: usize = 1_000;

/// The reserved words: keywords that cannot be unquoted identifiers. `time`, `fill`, `tz` and
/// `now` are not among them.
pub(crate) const RESERVED: &[&str] = &[
    "ALL",
    "ALTER",
    "ANALYZE",
    "AND",
    "ANY",
    "AS",
    "ASC",
    "BEGIN",
    "BY",
    "CARDINALITY",
    "CONTINUOUS",
    "CREATE",
    "DATABASE",
    "DATABASES",
    "DEFAULT",
    "DELETE",
    "DESC",
    "DESTINATIONS",
    "DIAGNOSTICS",
    "DISTINCT",
    "DROP",
    "DURATION",
    "END",
    "EVERY",
    "EXACT",
    "EXPLAIN",
    "FALSE",
    "FIELD",
    "FOR",
    "FROM",
    "GRANT",
    "GRANTS",
    "GROUP",
    "GROUPS",
    "IN",
    "INF",
    "INSERT",
    "INTO",
    "KEY",
    "KEYS",
    "KILL",
    "LIMIT",
    "MEASUREMENT",
    "MEASUREMENTS",
    "NAME",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "PASSWORD",
    "POLICIES",
    "POLICY",
    "PRIVILEGES",
    "QUERIES",
    "QUERY",
    "READ",
    "REPLICATION",
    "RESAMPLE",
    "RETENTION",
    "REVOKE",
    "SELECT",
    "SERIES",
    "SET",
    "SHARD",
    "SHARDS",
    "SHOW",
    "SLIMIT",
    "SOFFSET",
    "STATS",
    "SUBSCRIPTION",
    "SUBSCRIPTIONS",
    "TAG",
    "TO",
    "TRUE",
    "USER",
    "USERS",
    "VALUES",
    "WHERE",
    "WITH",
    "WRITE",
];

pub(crate) fn is_reserved(word: &str) -> bool {
    RESERVED.iter().any(|k| k.eq_ignore_ascii_case(word))
}

const OPERAND: &[&str] = &["identifier", "string", "number", "bool"];

/// A binary operator of the unified expression grammar.
#[derive(Clone, Copy)]
enum Op {
    Arith(BinaryOperator),
    Cmp(ComparisonOperator),
    And,
    Or,
}

impl Op {
    fn precedence(self) -> u8 {
        match self {
            Op::Or => 1,
            Op::And => 2,
            Op::Cmp(_) => 4,
            Op::Arith(op) => op.precedence(),
        }
    }
}

/// An expression before it is known to be a value or a condition.
enum Node {
    Expr(Expr),
    Cond(Condition),
}

/// A parsed expression and the depth of its tree.
struct Parsed<T> {
    value: T,
    depth: usize,
}

impl<T> Parsed<T> {
    fn leaf(value: T) -> Self {
        Parsed { value, depth: 1 }
    }
}

impl Node {
    fn span(&self) -> Span {
        match self {
            Node::Expr(e) => e.span,
            Node::Cond(c) => c.span,
        }
    }

    fn with_span(self, span: Span) -> Node {
        match self {
            Node::Expr(e) => Node::Expr(Expr { span, ..e }),
            Node::Cond(c) => Node::Cond(Condition { span, ..c }),
        }
    }

    fn into_condition(self) -> Condition {
        match self {
            Node::Cond(c) => c,
            Node::Expr(e) => Condition {
                span: e.span,
                kind: ConditionKind::Expr(e),
            },
        }
    }
}

pub(crate) struct Parser<'a> {
    lexer: Lexer<'a>,
    peeked: Option<Token>,
    /// End of the last token taken.
    last_end: usize,
    /// How deeply the parser has recursed.
    depth: usize,
    /// Expression nodes of the statement being parsed.
    nodes: usize,
}

type Result<T> = std::result::Result<T, ParseError>;

impl<'a> Parser<'a> {
    pub fn new(input: &'a str) -> Self {
        Self {
            lexer: Lexer::new(input),
            peeked: None,
            last_end: 0,
            depth: 0,
            nodes: 0,
        }
    }

    // ----- tokens -----

    fn input(&self) -> &'a str {
        self.lexer.input()
    }

    fn peek(&mut self) -> Result<&Token> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lexer.next_token()?);
        }
        Ok(self.peeked.as_ref().expect("just filled"))
    }

    fn next(&mut self) -> Result<Token> {
        let token = match self.peeked.take() {
            Some(t) => t,
            None => self.lexer.next_token()?,
        };
        self.last_end = token.end;
        Ok(token)
    }

    fn text(&self, token: &Token) -> &'a str {
        &self.input()[token.start..token.end]
    }

    /// How an error names a token: its text, or `EOF`.
    fn found(&self, token: &Token) -> String {
        if token.kind == TokenKind::Eof {
            return "EOF".to_owned();
        }
        let text = self.text(token);
        if text.chars().count() > 40 {
            let short: String = text.chars().take(40).collect();
            format!("{short}…")
        } else {
            text.to_owned()
        }
    }

    fn unexpected(&self, token: &Token, expected: &[&str]) -> ParseError {
        ParseError::unexpected(self.input(), token.start, &self.found(token), expected)
    }

    fn error_at(&self, position: usize, message: impl Into<String>) -> ParseError {
        ParseError::new(self.input(), position, message)
    }

    fn is_word(&self, token: &Token, word: &str) -> bool {
        token.kind == TokenKind::Word && self.text(token).eq_ignore_ascii_case(word)
    }

    fn peek_is_word(&mut self, word: &str) -> Result<bool> {
        let token = self.peek()?.clone();
        Ok(self.is_word(&token, word))
    }

    fn peek_kind(&mut self) -> Result<TokenKind> {
        Ok(self.peek()?.kind.clone())
    }

    fn eat_word(&mut self, word: &str) -> Result<bool> {
        if self.peek_is_word(word)? {
            self.next()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn expect_word(&mut self, word: &str) -> Result<Token> {
        let token = self.next()?;
        if self.is_word(&token, word) {
            Ok(token)
        } else {
            Err(self.unexpected(&token, &[word]))
        }
    }

    fn eat(&mut self, kind: &TokenKind) -> Result<bool> {
        if self.peek()?.kind == *kind {
            self.next()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn expect(&mut self, kind: &TokenKind, name: &str) -> Result<Token> {
        let token = self.next()?;
        if token.kind == *kind {
            Ok(token)
        } else {
            Err(self.unexpected(&token, &[name]))
        }
    }

    fn enter(&mut self, at: usize) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_at(at, "query is nested too deeply"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Counts one more expression node of the statement, refusing one too many.
    fn count_node(&mut self, at: usize) -> Result<()> {
        self.nodes += 1;
        if self.nodes > MAX_EXPRESSION_NODES {
            return Err(self.error_at(
                at,
                format!(
                    "statement has more than {MAX_EXPRESSION_NODES} expression terms; shorten it (a regex like host =~ /^(a|b|c)$/ replaces a chain of ORs)"
                ),
            ));
        }
        Ok(())
    }

    /// The depth of a node over children of `depth`, refusing one too deep.
    fn deeper(&self, depth: usize, at: usize) -> Result<usize> {
        let depth = depth + 1;
        if depth > MAX_EXPRESSION_DEPTH {
            return Err(self.error_at(
                at,
                format!(
                    "expression is more than {MAX_EXPRESSION_DEPTH} levels deep; shorten it (a regex like host =~ /^(a|b|c)$/ replaces a chain of ORs)"
                ),
            ));
        }
        Ok(depth)
    }

    // ----- statements -----

    pub fn parse_query(&mut self) -> Result<Query> {
        let length = self.input().len();
        if length > MAX_QUERY_BYTES {
            return Err(self.error_at(
                0,
                format!(
                    "query is {length} bytes, more than the {MAX_QUERY_BYTES} allowed; send a shorter query"
                ),
            ));
        }
        let mut statements = Vec::new();
        loop {
            while self.eat(&TokenKind::Semicolon)? {}
            if self.peek_kind()? == TokenKind::Eof {
                return Ok(Query { statements });
            }
            statements.push(self.parse_statement()?);
            let token = self.peek()?.clone();
            if !matches!(token.kind, TokenKind::Semicolon | TokenKind::Eof) {
                return Err(self.unexpected(&token, &[";"]));
            }
        }
    }

    fn parse_statement(&mut self) -> Result<Statement> {
        self.nodes = 0;
        let token = self.peek()?.clone();
        if self.is_word(&token, "SELECT") {
            Ok(Statement::Select(Box::new(self.parse_select()?)))
        } else if self.is_word(&token, "SHOW") {
            self.parse_show()
        } else {
            Err(self.unexpected(&token, &["SELECT", "SHOW"]))
        }
    }

    fn parse_select(&mut self) -> Result<SelectStatement> {
        let start = self.expect_word("SELECT")?.start;
        self.enter(start)?;
        let fields = self.parse_fields()?;
        self.expect_word("FROM")?;
        let from = self.parse_sources()?;
        let condition = self.parse_where()?;
        let group_by = if self.eat_word("GROUP")? {
            self.expect_word("BY")?;
            self.parse_dimensions()?
        } else {
            Vec::new()
        };
        let fill = if self.peek_is_word("fill")? {
            Some(self.parse_fill()?)
        } else {
            None
        };
        let order_by = if self.eat_word("ORDER")? {
            self.expect_word("BY")?;
            Some(self.parse_order()?)
        } else {
            None
        };
        let limit = self.parse_count("LIMIT")?;
        let offset = self.parse_count("OFFSET")?;
        let slimit = self.parse_count("SLIMIT")?;
        let soffset = self.parse_count("SOFFSET")?;
        let timezone = if self.eat_word("tz")? {
            self.expect(&TokenKind::LParen, "(")?;
            let token = self.next()?;
            let TokenKind::String(zone) = token.kind else {
                return Err(self.unexpected(&token, &["string"]));
            };
            self.expect(&TokenKind::RParen, ")")?;
            Some(zone)
        } else {
            None
        };
        self.leave();
        Ok(SelectStatement {
            fields,
            from,
            condition,
            group_by,
            fill,
            order_by,
            limit,
            offset,
            slimit,
            soffset,
            timezone,
            span: Span::new(start, self.last_end),
        })
    }

    fn parse_fields(&mut self) -> Result<Vec<Field>> {
        let mut fields = Vec::new();
        loop {
            let start = self.peek()?.start;
            let expr = self.parse_expr()?;
            let alias = if self.eat_word("AS")? {
                Some(self.parse_ident()?)
            } else {
                None
            };
            fields.push(Field {
                expr,
                alias,
                span: Span::new(start, self.last_end),
            });
            if !self.eat(&TokenKind::Comma)? {
                return Ok(fields);
            }
        }
    }

    fn parse_sources(&mut self) -> Result<Vec<MeasurementSelection>> {
        let mut sources = Vec::new();
        loop {
            if self.peek_kind()? == TokenKind::LParen {
                self.next()?;
                let token = self.peek()?.clone();
                if !self.is_word(&token, "SELECT") {
                    return Err(self.unexpected(&token, &["SELECT"]));
                }
                let select = self.parse_select()?;
                self.expect(&TokenKind::RParen, ")")?;
                sources.push(MeasurementSelection::Subquery(Box::new(select)));
            } else {
                sources.push(MeasurementSelection::Name(self.parse_qualified_name()?));
            }
            if !self.eat(&TokenKind::Comma)? {
                return Ok(sources);
            }
        }
    }

    /// `name`, `rp.name`, `db.rp.name` or `db..name`; the name may be a regex.
    fn parse_qualified_name(&mut self) -> Result<QualifiedMeasurementName> {
        let start = self.peek()?.start;
        let mut parts: Vec<Option<(MeasurementName, usize)>> = vec![Some(self.parse_segment()?)];
        while parts.len() < 3 && self.peek_kind()? == TokenKind::Dot {
            self.next()?;
            if parts.len() == 1 && self.peek_kind()? == TokenKind::Dot {
                // `db..name`: the default retention policy.
                parts.push(None);
                continue;
            }
            parts.push(Some(self.parse_segment()?));
        }
        let name = parts
            .pop()
            .flatten()
            .expect("the last segment is always parsed")
            .0;
        let mut qualifiers = Vec::with_capacity(2);
        for part in parts {
            qualifiers.push(match part {
                None => None,
                Some((MeasurementName::Name(ident), _)) => Some(ident),
                Some((MeasurementName::Regex(_), at)) => {
                    return Err(self.error_at(
                        at,
                        "found regex, expected identifier (only the measurement may be a regex)",
                    ));
                }
            });
        }
        let retention_policy = qualifiers.pop().flatten();
        let database = qualifiers.pop().flatten();
        Ok(QualifiedMeasurementName {
            database,
            retention_policy,
            name,
            span: Span::new(start, self.last_end),
        })
    }

    fn parse_segment(&mut self) -> Result<(MeasurementName, usize)> {
        let token = self.peek()?.clone();
        match token.kind {
            TokenKind::Slash => Ok((
                MeasurementName::Regex(self.regex_at(&token)?.0),
                token.start,
            )),
            TokenKind::Word | TokenKind::QuotedIdent(_) => {
                Ok((MeasurementName::Name(self.parse_ident()?), token.start))
            }
            _ => Err(self.unexpected(&token, &["identifier", "regex"])),
        }
    }

    fn parse_where(&mut self) -> Result<Option<Condition>> {
        if self.eat_word("WHERE")? {
            Ok(Some(self.parse_condition()?))
        } else {
            Ok(None)
        }
    }

    fn parse_dimensions(&mut self) -> Result<Vec<Dimension>> {
        let mut dimensions = Vec::new();
        loop {
            let token = self.peek()?.clone();
            let kind = match token.kind {
                TokenKind::Star => {
                    self.next()?;
                    DimensionKind::Wildcard
                }
                TokenKind::Slash => DimensionKind::Regex(self.regex_at(&token)?.0),
                TokenKind::Word if self.is_word(&token, "time") => {
                    self.next()?;
                    if self.peek_kind()? == TokenKind::LParen {
                        self.parse_time_dimension()?
                    } else {
                        DimensionKind::Tag(Ident {
                            value: self.text(&token).to_owned(),
                            span: Span::new(token.start, token.end),
                        })
                    }
                }
                TokenKind::Word | TokenKind::QuotedIdent(_) => {
                    DimensionKind::Tag(self.parse_ident()?)
                }
                _ => return Err(self.unexpected(&token, &["time()", "identifier", "regex", "*"])),
            };
            dimensions.push(Dimension {
                kind,
                span: Span::new(token.start, self.last_end),
            });
            if !self.eat(&TokenKind::Comma)? {
                return Ok(dimensions);
            }
        }
    }

    /// `(interval[, offset])` after `time`.
    fn parse_time_dimension(&mut self) -> Result<DimensionKind> {
        self.expect(&TokenKind::LParen, "(")?;
        let token = self.next()?;
        let TokenKind::Duration(nanos) = token.kind else {
            return Err(self.unexpected(&token, &["duration"]));
        };
        let interval = match i64::try_from(nanos) {
            Ok(0) => {
                return Err(self.error_at(
                    token.start,
                    "invalid time interval 0s: must be greater than zero",
                ));
            }
            Ok(n) => Duration(n),
            Err(_) => return Err(self.duration_range(&token)),
        };
        let offset = if self.eat(&TokenKind::Comma)? {
            Some(self.parse_signed_duration()?)
        } else {
            None
        };
        let token = self.next()?;
        if token.kind != TokenKind::RParen {
            let expected: &[&str] = if offset.is_some() {
                &[")"]
            } else {
                &[",", ")"]
            };
            return Err(self.unexpected(&token, expected));
        }
        Ok(DimensionKind::Time { interval, offset })
    }

    fn parse_signed_duration(&mut self) -> Result<Duration> {
        let negative = self.eat(&TokenKind::Minus)?;
        let token = self.next()?;
        let TokenKind::Duration(nanos) = token.kind else {
            return Err(self.unexpected(&token, &["duration"]));
        };
        signed(nanos, negative)
            .map(Duration)
            .ok_or_else(|| self.duration_range(&token))
    }

    fn parse_fill(&mut self) -> Result<Fill> {
        self.expect_word("fill")?;
        self.expect(&TokenKind::LParen, "(")?;
        let token = self.next()?;
        let fill = match &token.kind {
            TokenKind::Word if self.is_word(&token, "null") => Fill::Null,
            TokenKind::Word if self.is_word(&token, "none") => Fill::None,
            TokenKind::Word if self.is_word(&token, "previous") => Fill::Previous,
            TokenKind::Word if self.is_word(&token, "linear") => Fill::Linear,
            TokenKind::Minus | TokenKind::Integer(_) | TokenKind::Float(_) => {
                let negative = token.kind == TokenKind::Minus;
                let number = if negative {
                    self.next()?
                } else {
                    token.clone()
                };
                match number.kind {
                    TokenKind::Integer(n) => Fill::Value(Number::Integer(
                        signed(n, negative).ok_or_else(|| self.integer_range(&number))?,
                    )),
                    TokenKind::Float(v) => {
                        Fill::Value(Number::Float(if negative { -v } else { v }))
                    }
                    _ => return Err(self.unexpected(&number, &["number"])),
                }
            }
            _ => {
                return Err(
                    self.unexpected(&token, &["null", "none", "previous", "linear", "number"])
                );
            }
        };
        self.expect(&TokenKind::RParen, ")")?;
        Ok(fill)
    }

    fn integer_range(&self, token: &Token) -> ParseError {
        self.error_at(
            token.start,
            format!("integer {} is out of range", self.text(token)),
        )
    }

    fn duration_range(&self, token: &Token) -> ParseError {
        self.error_at(
            token.start,
            format!("duration {} is out of range", self.text(token)),
        )
    }

    /// The literal of an integer, float or duration token, negated when `negative`; `None`
    /// for any other token.
    fn number_literal(&self, token: &Token, negative: bool) -> Option<Result<Literal>> {
        Some(match token.kind {
            TokenKind::Integer(n) => signed(n, negative)
                .map(Literal::Integer)
                .ok_or_else(|| self.integer_range(token)),
            TokenKind::Float(v) => Ok(Literal::Float(if negative { -v } else { v })),
            TokenKind::Duration(n) => signed(n, negative)
                .map(|n| Literal::Duration(Duration(n)))
                .ok_or_else(|| self.duration_range(token)),
            _ => return None,
        })
    }

    fn parse_order(&mut self) -> Result<Order> {
        let token = self.next()?;
        if self.is_word(&token, "ASC") {
            return Ok(Order::Ascending);
        }
        if self.is_word(&token, "DESC") {
            return Ok(Order::Descending);
        }
        let is_time = match &token.kind {
            TokenKind::Word => self.is_word(&token, "time"),
            TokenKind::QuotedIdent(name) => name == "time",
            _ => return Err(self.unexpected(&token, &["time", "ASC", "DESC"])),
        };
        if !is_time {
            return Err(self.error_at(token.start, "only ORDER BY time supported at this time"));
        }
        if self.eat_word("DESC")? {
            Ok(Order::Descending)
        } else {
            self.eat_word("ASC")?;
            Ok(Order::Ascending)
        }
    }

    /// `LIMIT n` and its kin: `None` when the keyword is absent.
    fn parse_count(&mut self, keyword: &str) -> Result<Option<u64>> {
        if !self.eat_word(keyword)? {
            return Ok(None);
        }
        let token = self.next()?;
        match token.kind {
            TokenKind::Integer(n) => Ok(Some(n)),
            _ => Err(self.unexpected(&token, &["integer"])),
        }
    }

    fn parse_show(&mut self) -> Result<Statement> {
        let start = self.expect_word("SHOW")?.start;
        let token = self.next()?;
        let what = if token.kind == TokenKind::Word {
            self.text(&token).to_ascii_uppercase()
        } else {
            String::new()
        };
        let statement = match what.as_str() {
            "DATABASES" => Statement::ShowDatabases(ShowDatabases {
                span: Span::new(start, self.last_end),
            }),
            "RETENTION" => {
                self.expect_word("POLICIES")?;
                let on = self.parse_on()?;
                Statement::ShowRetentionPolicies(ShowRetentionPolicies {
                    on,
                    span: Span::new(start, self.last_end),
                })
            }
            "MEASUREMENTS" => {
                let on = self.parse_on()?;
                let with_measurement = if self.eat_word("WITH")? {
                    self.expect_word("MEASUREMENT")?;
                    let op = self.next()?;
                    match op.kind {
                        TokenKind::Eq => Some(WithMeasurement::Equals(self.parse_ident()?)),
                        TokenKind::EqRegex => Some(WithMeasurement::Regex(self.parse_regex()?)),
                        _ => return Err(self.unexpected(&op, &["=", "=~"])),
                    }
                } else {
                    None
                };
                let condition = self.parse_where()?;
                let (limit, offset) = self.parse_limit_offset()?;
                Statement::ShowMeasurements(ShowMeasurements {
                    on,
                    with_measurement,
                    condition,
                    limit,
                    offset,
                    span: Span::new(start, self.last_end),
                })
            }
            "MEASUREMENT" => self.parse_show_cardinality(start, CardinalityOf::Measurements)?,
            "TAG" => {
                let token = self.next()?;
                if self.is_word(&token, "KEYS") {
                    let on = self.parse_on()?;
                    let from = self.parse_show_from()?;
                    let condition = self.parse_where()?;
                    let (limit, offset) = self.parse_limit_offset()?;
                    Statement::ShowTagKeys(ShowTagKeys {
                        on,
                        from,
                        condition,
                        limit,
                        offset,
                        span: Span::new(start, self.last_end),
                    })
                } else if self.is_word(&token, "KEY") {
                    self.parse_show_cardinality(start, CardinalityOf::TagKeys)?
                } else if self.is_word(&token, "VALUES") {
                    if self.peek_is_word("EXACT")? || self.peek_is_word("CARDINALITY")? {
                        return self.parse_show_tag_values_cardinality(start);
                    }
                    let on = self.parse_on()?;
                    let from = self.parse_show_from()?;
                    let with_key = self.parse_required_with_key(&on, &from)?;
                    let condition = self.parse_where()?;
                    let (limit, offset) = self.parse_limit_offset()?;
                    Statement::ShowTagValues(ShowTagValues {
                        on,
                        from,
                        with_key,
                        condition,
                        limit,
                        offset,
                        span: Span::new(start, self.last_end),
                    })
                } else {
                    return Err(self.unexpected(&token, &["KEY", "KEYS", "VALUES"]));
                }
            }
            "SERIES" => {
                if self.peek_is_word("EXACT")? || self.peek_is_word("CARDINALITY")? {
                    return self.parse_show_cardinality(start, CardinalityOf::Series);
                }
                let on = self.parse_on()?;
                let from = self.parse_show_from()?;
                let condition = self.parse_where()?;
                let (limit, offset) = self.parse_limit_offset()?;
                Statement::ShowSeries(ShowSeries {
                    on,
                    from,
                    condition,
                    limit,
                    offset,
                    span: Span::new(start, self.last_end),
                })
            }
            "FIELD" => {
                let token = self.next()?;
                if self.is_word(&token, "KEY") {
                    return self.parse_show_cardinality(start, CardinalityOf::FieldKeys);
                }
                if !self.is_word(&token, "KEYS") {
                    return Err(self.unexpected(&token, &["KEY", "KEYS"]));
                }
                let on = self.parse_on()?;
                let from = self.parse_show_from()?;
                let (limit, offset) = self.parse_limit_offset()?;
                Statement::ShowFieldKeys(ShowFieldKeys {
                    on,
                    from,
                    limit,
                    offset,
                    span: Span::new(start, self.last_end),
                })
            }
            "CONTINUOUS" => {
                self.expect_word("QUERIES")?;
                Statement::ShowContinuousQueries(ShowContinuousQueries {
                    span: Span::new(start, self.last_end),
                })
            }
            "USERS" => Statement::ShowUsers(ShowUsers {
                span: Span::new(start, self.last_end),
            }),
            "SUBSCRIPTIONS" => Statement::ShowSubscriptions(ShowSubscriptions {
                span: Span::new(start, self.last_end),
            }),
            _ => {
                return Err(self.unexpected(
                    &token,
                    &[
                        "CONTINUOUS",
                        "DATABASES",
                        "FIELD",
                        "MEASUREMENT",
                        "MEASUREMENTS",
                        "RETENTION",
                        "SERIES",
                        "SUBSCRIPTIONS",
                        "TAG",
                        "USERS",
                    ],
                ));
            }
        };
        Ok(statement)
    }

    /// `WITH KEY …` of `SHOW TAG VALUES`, which must follow `ON` and `FROM`.
    fn parse_required_with_key(
        &mut self,
        on: &Option<Ident>,
        from: &[QualifiedMeasurementName],
    ) -> Result<WithKey> {
        let with = self.next()?;
        if !self.is_word(&with, "WITH") {
            let expected: &[&str] = match (on, from.is_empty()) {
                (None, true) => &["ON", "FROM", "WITH"],
                (Some(_), true) => &["FROM", "WITH"],
                (_, false) => &[",", "WITH"],
            };
            return Err(self.unexpected(&with, expected));
        }
        self.expect_word("KEY")?;
        self.parse_with_key()
    }

    /// `[EXACT] CARDINALITY`, after `SHOW SERIES`, `SHOW MEASUREMENT`, `SHOW TAG KEY`,
    /// `SHOW TAG VALUES` or `SHOW FIELD KEY`: whether `EXACT` was written.
    fn parse_exact_cardinality(&mut self) -> Result<bool> {
        let token = self.next()?;
        if self.is_word(&token, "CARDINALITY") {
            return Ok(false);
        }
        if self.is_word(&token, "EXACT") {
            self.expect_word("CARDINALITY")?;
            return Ok(true);
        }
        Err(self.unexpected(&token, &["EXACT", "CARDINALITY"]))
    }

    /// A `SHOW … [EXACT] CARDINALITY` statement but `TAG VALUES`, from `[EXACT]` on.
    fn parse_show_cardinality(&mut self, start: usize, of: CardinalityOf) -> Result<Statement> {
        let exact = self.parse_exact_cardinality()?;
        let on = self.parse_on()?;
        let from = self.parse_show_from()?;
        self.parse_cardinality_clauses(start, of, exact, on, from)
    }

    /// `SHOW TAG VALUES [EXACT] CARDINALITY …`, from `[EXACT]` on.
    fn parse_show_tag_values_cardinality(&mut self, start: usize) -> Result<Statement> {
        let exact = self.parse_exact_cardinality()?;
        let on = self.parse_on()?;
        let from = self.parse_show_from()?;
        let with_key = self.parse_required_with_key(&on, &from)?;
        self.parse_cardinality_clauses(start, CardinalityOf::TagValues(with_key), exact, on, from)
    }

    /// The clauses of a `SHOW … CARDINALITY` statement after `FROM` (and `WITH KEY`).
    fn parse_cardinality_clauses(
        &mut self,
        start: usize,
        of: CardinalityOf,
        exact: bool,
        on: Option<Ident>,
        from: Vec<QualifiedMeasurementName>,
    ) -> Result<Statement> {
        let condition = self.parse_where()?;
        let group_by = if self.eat_word("GROUP")? {
            self.expect_word("BY")?;
            self.parse_dimensions()?
        } else {
            Vec::new()
        };
        let (limit, offset) = self.parse_limit_offset()?;
        Ok(Statement::ShowCardinality(ShowCardinality {
            of,
            exact,
            on,
            from,
            condition,
            group_by,
            limit,
            offset,
            span: Span::new(start, self.last_end),
        }))
    }

    fn parse_on(&mut self) -> Result<Option<Ident>> {
        if self.eat_word("ON")? {
            Ok(Some(self.parse_ident()?))
        } else {
            Ok(None)
        }
    }

    fn parse_show_from(&mut self) -> Result<Vec<QualifiedMeasurementName>> {
        let mut from = Vec::new();
        if self.eat_word("FROM")? {
            loop {
                from.push(self.parse_qualified_name()?);
                if !self.eat(&TokenKind::Comma)? {
                    break;
                }
            }
        }
        Ok(from)
    }

    fn parse_limit_offset(&mut self) -> Result<(Option<u64>, Option<u64>)> {
        let limit = self.parse_count("LIMIT")?;
        let offset = self.parse_count("OFFSET")?;
        Ok((limit, offset))
    }

    fn parse_with_key(&mut self) -> Result<WithKey> {
        let op = self.next()?;
        Ok(match op.kind {
            TokenKind::Eq => WithKey::Eq(self.parse_ident()?),
            TokenKind::NotEq => WithKey::NotEq(self.parse_ident()?),
            TokenKind::EqRegex => WithKey::EqRegex(self.parse_regex()?),
            TokenKind::NotEqRegex => WithKey::NotEqRegex(self.parse_regex()?),
            TokenKind::Word if self.is_word(&op, "IN") => {
                self.expect(&TokenKind::LParen, "(")?;
                let mut keys = vec![self.parse_ident()?];
                while self.eat(&TokenKind::Comma)? {
                    keys.push(self.parse_ident()?);
                }
                self.expect(&TokenKind::RParen, ")")?;
                WithKey::In(keys)
            }
            _ => return Err(self.unexpected(&op, &["=", "!=", "=~", "!~", "IN"])),
        })
    }

    // ----- identifiers and regexes -----

    fn parse_ident(&mut self) -> Result<Ident> {
        let token = self.next()?;
        let span = Span::new(token.start, token.end);
        match token.kind {
            TokenKind::Word if !is_reserved(self.text(&token)) => Ok(Ident {
                value: self.text(&token).to_owned(),
                span,
            }),
            TokenKind::QuotedIdent(value) => Ok(Ident { value, span }),
            _ => Err(self.unexpected(&token, &["identifier"])),
        }
    }

    /// A regex literal where one is required.
    fn parse_regex(&mut self) -> Result<Regex> {
        let token = self.peek()?.clone();
        if token.kind != TokenKind::Slash {
            return Err(self.unexpected(&token, &["regex"]));
        }
        Ok(self.regex_at(&token)?.0)
    }

    /// Re-reads the peeked `/` token as the start of a regex.
    fn regex_at(&mut self, slash: &Token) -> Result<(Regex, Span)> {
        debug_assert_eq!(self.peeked.as_ref(), Some(slash));
        self.peeked = None;
        let (regex, end) = self.lexer.scan_regex(slash.start)?;
        self.last_end = end;
        Ok((regex, Span::new(slash.start, end)))
    }

    // ----- expressions -----

    /// A value expression (a field, an argument).
    fn parse_expr(&mut self) -> Result<Expr> {
        Ok(self.parse_sized_expr()?.value)
    }

    fn parse_sized_expr(&mut self) -> Result<Parsed<Expr>> {
        let node = self.parse_node(0)?;
        Ok(Parsed {
            value: self.expect_expr(node.value)?,
            depth: node.depth,
        })
    }

    /// A boolean expression (`WHERE`).
    fn parse_condition(&mut self) -> Result<Condition> {
        Ok(self.parse_node(0)?.value.into_condition())
    }

    fn expect_expr(&self, node: Node) -> Result<Expr> {
        match node {
            Node::Expr(e) => Ok(e),
            Node::Cond(c) => {
                let text = &self.input()[c.span.start..c.span.end];
                Err(self.error_at(
                    c.span.start,
                    format!("found condition {text}, expected expression"),
                ))
            }
        }
    }

    fn peek_operator(&mut self) -> Result<Option<Op>> {
        let token = self.peek()?.clone();
        use BinaryOperator as B;
        use ComparisonOperator as C;
        Ok(Some(match token.kind {
            TokenKind::Plus => Op::Arith(B::Add),
            TokenKind::Minus => Op::Arith(B::Sub),
            TokenKind::Star => Op::Arith(B::Mul),
            TokenKind::Slash => Op::Arith(B::Div),
            TokenKind::Percent => Op::Arith(B::Mod),
            TokenKind::Amp => Op::Arith(B::BitwiseAnd),
            TokenKind::Pipe => Op::Arith(B::BitwiseOr),
            TokenKind::Caret => Op::Arith(B::BitwiseXor),
            TokenKind::Eq => Op::Cmp(C::Eq),
            TokenKind::NotEq => Op::Cmp(C::NotEq),
            TokenKind::EqRegex => Op::Cmp(C::EqRegex),
            TokenKind::NotEqRegex => Op::Cmp(C::NotEqRegex),
            TokenKind::Lt => Op::Cmp(C::Lt),
            TokenKind::LtEq => Op::Cmp(C::LtEq),
            TokenKind::Gt => Op::Cmp(C::Gt),
            TokenKind::GtEq => Op::Cmp(C::GtEq),
            TokenKind::Word if self.is_word(&token, "AND") => Op::And,
            TokenKind::Word if self.is_word(&token, "OR") => Op::Or,
            _ => return Ok(None),
        }))
    }

    /// Precedence climbing over operators binding at least as tightly as `min_precedence`.
    /// A chain of operators is built in this loop, not by recursion, so its depth is counted
    /// here.
    fn parse_node(&mut self, min_precedence: u8) -> Result<Parsed<Node>> {
        let at = self.peek()?.start;
        self.enter(at)?;
        let mut lhs = self.parse_operand()?;
        while let Some(op) = self.peek_operator()? {
            let precedence = op.precedence();
            if precedence < min_precedence {
                break;
            }
            let op_token = self.next()?;
            self.count_node(op_token.start)?;
            let rhs = match op {
                Op::Cmp(ComparisonOperator::EqRegex | ComparisonOperator::NotEqRegex) => {
                    let token = self.peek()?.clone();
                    if token.kind != TokenKind::Slash {
                        return Err(self.unexpected(&token, &["regex"]));
                    }
                    let (regex, span) = self.regex_at(&token)?;
                    Parsed::leaf(Node::Expr(Expr {
                        kind: ExprKind::Literal(Literal::Regex(regex)),
                        span,
                    }))
                }
                _ => self.parse_node(precedence + 1)?,
            };
            let depth = self.deeper(lhs.depth.max(rhs.depth), op_token.start)?;
            lhs = Parsed {
                value: self.combine(lhs.value, op, &op_token, rhs.value)?,
                depth,
            };
        }
        self.leave();
        Ok(lhs)
    }

    fn combine(&self, lhs: Node, op: Op, op_token: &Token, rhs: Node) -> Result<Node> {
        let span = lhs.span().to(rhs.span());
        let lhs_operand = |lhs: Node| match lhs {
            Node::Expr(e) => Ok(e),
            Node::Cond(_) => Err(self.unexpected(op_token, &["AND", "OR"])),
        };
        Ok(match op {
            Op::Arith(op) => Node::Expr(Expr {
                kind: ExprKind::Binary {
                    lhs: Box::new(lhs_operand(lhs)?),
                    op,
                    rhs: Box::new(self.expect_expr(rhs)?),
                },
                span,
            }),
            Op::Cmp(op) => Node::Cond(Condition {
                kind: ConditionKind::Comparison {
                    lhs: lhs_operand(lhs)?,
                    op,
                    rhs: self.expect_expr(rhs)?,
                },
                span,
            }),
            Op::And => Node::Cond(Condition {
                kind: ConditionKind::And(
                    Box::new(lhs.into_condition()),
                    Box::new(rhs.into_condition()),
                ),
                span,
            }),
            Op::Or => Node::Cond(Condition {
                kind: ConditionKind::Or(
                    Box::new(lhs.into_condition()),
                    Box::new(rhs.into_condition()),
                ),
                span,
            }),
        })
    }

    fn parse_operand(&mut self) -> Result<Parsed<Node>> {
        let token = self.peek()?.clone();
        self.enter(token.start)?;
        self.count_node(token.start)?;
        let node = self.parse_operand_inner(token)?;
        self.leave();
        Ok(node)
    }

    fn parse_operand_inner(&mut self, token: Token) -> Result<Parsed<Node>> {
        let start = token.start;
        let literal = |kind: Literal, end: usize| -> Result<Parsed<Node>> {
            Ok(Parsed::leaf(Node::Expr(Expr {
                kind: ExprKind::Literal(kind),
                span: Span::new(start, end),
            })))
        };
        let leaf = |expr: Expr| Ok(Parsed::leaf(Node::Expr(expr)));
        match token.kind {
            TokenKind::Minus => {
                self.next()?;
                let operand = self.peek()?.clone();
                if let Some(value) = self.number_literal(&operand, true) {
                    self.next()?;
                    return literal(value?, operand.end);
                }
                let node = self.parse_operand()?;
                let depth = self.deeper(node.depth, start)?;
                let inner = self.expect_expr(node.value)?;
                let span = Span::new(start, inner.span.end);
                Ok(Parsed {
                    value: Node::Expr(Expr {
                        kind: ExprKind::Negate(Box::new(inner)),
                        span,
                    }),
                    depth,
                })
            }
            TokenKind::LParen => {
                self.next()?;
                let node = self.parse_node(0)?;
                self.expect(&TokenKind::RParen, ")")?;
                Ok(Parsed {
                    value: node.value.with_span(Span::new(start, self.last_end)),
                    depth: node.depth,
                })
            }
            TokenKind::Integer(_) | TokenKind::Float(_) | TokenKind::Duration(_) => {
                self.next()?;
                let value = self.number_literal(&token, false).expect("a number")?;
                literal(value, token.end)
            }
            TokenKind::String(ref s) => {
                self.next()?;
                literal(Literal::String(s.clone()), token.end)
            }
            TokenKind::BindParam(ref name) => {
                self.next()?;
                leaf(Expr {
                    kind: ExprKind::BindParameter(name.clone()),
                    span: Span::new(start, token.end),
                })
            }
            TokenKind::Slash => {
                let (regex, span) = self.regex_at(&token)?;
                leaf(Expr {
                    kind: ExprKind::Literal(Literal::Regex(regex)),
                    span,
                })
            }
            TokenKind::Star => {
                self.next()?;
                let data_type = if self.eat(&TokenKind::DoubleColon)? {
                    let t = self.next()?;
                    if self.is_word(&t, "field") {
                        Some(WildcardType::Field)
                    } else if self.is_word(&t, "tag") {
                        Some(WildcardType::Tag)
                    } else {
                        return Err(self.unexpected(&t, &["field", "tag"]));
                    }
                } else {
                    None
                };
                leaf(Expr {
                    kind: ExprKind::Wildcard(data_type),
                    span: Span::new(start, self.last_end),
                })
            }
            TokenKind::Word if self.is_word(&token, "true") || self.is_word(&token, "false") => {
                self.next()?;
                literal(Literal::Boolean(self.is_word(&token, "true")), token.end)
            }
            TokenKind::Word if self.is_word(&token, "DISTINCT") => {
                self.next()?;
                let arg = if self.peek_kind()? == TokenKind::LParen {
                    self.next()?;
                    let arg = self.parse_sized_expr()?;
                    self.expect(&TokenKind::RParen, ")")?;
                    arg
                } else {
                    Parsed::leaf(self.parse_var_ref()?)
                };
                Ok(Parsed {
                    depth: self.deeper(arg.depth, start)?,
                    value: Node::Expr(Expr {
                        kind: ExprKind::Call(Call {
                            name: "distinct".to_owned(),
                            args: vec![arg.value],
                        }),
                        span: Span::new(start, self.last_end),
                    }),
                })
            }
            TokenKind::Word if !is_reserved(self.text(&token)) => {
                self.next()?;
                if self.peek_kind()? == TokenKind::LParen {
                    let call = self.parse_call(&token)?;
                    return Ok(Parsed {
                        value: Node::Expr(call.value),
                        depth: call.depth,
                    });
                }
                let name = Ident {
                    value: self.text(&token).to_owned(),
                    span: Span::new(start, token.end),
                };
                leaf(self.var_ref_rest(name)?)
            }
            TokenKind::QuotedIdent(_) => leaf(self.parse_var_ref()?),
            _ => Err(self.unexpected(&token, OPERAND)),
        }
    }

    /// The arguments of a call whose name is `name`; the `(` is next.
    fn parse_call(&mut self, name: &Token) -> Result<Parsed<Expr>> {
        self.expect(&TokenKind::LParen, "(")?;
        let mut args = Vec::new();
        let mut deepest = 0;
        if !self.eat(&TokenKind::RParen)? {
            loop {
                let arg = self.parse_sized_expr()?;
                deepest = deepest.max(arg.depth);
                args.push(arg.value);
                let token = self.next()?;
                match token.kind {
                    TokenKind::Comma => {}
                    TokenKind::RParen => break,
                    _ => return Err(self.unexpected(&token, &[",", ")"])),
                }
            }
        }
        let lower = self.text(name).to_ascii_lowercase();
        functions::check_arity(&lower, args.len())
            .map_err(|message| self.error_at(name.start, message))?;
        Ok(Parsed {
            depth: self.deeper(deepest, name.start)?,
            value: Expr {
                kind: ExprKind::Call(Call { name: lower, args }),
                span: Span::new(name.start, self.last_end),
            },
        })
    }

    fn parse_var_ref(&mut self) -> Result<Expr> {
        let name = self.parse_ident()?;
        self.var_ref_rest(name)
    }

    /// The optional `::type` after a variable's name.
    fn var_ref_rest(&mut self, name: Ident) -> Result<Expr> {
        let start = name.span.start;
        let data_type = if self.eat(&TokenKind::DoubleColon)? {
            let token = self.next()?;
            let parsed = match token.kind {
                TokenKind::Word => VarRefDataType::from_name(self.text(&token)),
                _ => None,
            };
            match parsed {
                Some(t) => Some(t),
                None => {
                    return Err(self.unexpected(
                        &token,
                        &[
                            "float", "integer", "unsigned", "string", "boolean", "field", "tag",
                        ],
                    ));
                }
            }
        } else {
            None
        };
        Ok(Expr {
            kind: ExprKind::VarRef { name, data_type },
            span: Span::new(start, self.last_end),
        })
    }
}

/// `magnitude` with a sign, if it fits an `i64`.
fn signed(magnitude: u64, negative: bool) -> Option<i64> {
    if negative {
        i64::try_from(-i128::from(magnitude)).ok()
    } else {
        i64::try_from(magnitude).ok()
    }
}
