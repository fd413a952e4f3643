//! The syntax tree: statements, clauses and expressions.
//!
//! Every node that an error may need to point at carries a [`Span`]. Spans compare equal to
//! each other (see [`Span`]), so two trees compare equal when they say the same thing,
//! wherever their text came from: `parse(&q.to_string()) == Ok(q)`.

use std::fmt;
use std::hash::{Hash, Hasher};

/// A byte range `start..end` of the parsed text.
///
/// Spans are **ignored by equality and hashing**: `PartialEq` always answers `true` and
/// `Hash` writes nothing. A tree built by hand (spans `Span::default()`) thus equals the tree
/// parsed from its printed text, and a planner can use trees as map keys without caring where
/// they were written.
#[derive(Debug, Clone, Copy, Default)]
pub struct Span {
    /// Byte offset of the node's first character.
    pub start: usize,
    /// Byte offset just past the node's last character.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    /// The smallest span that covers both.
    #[must_use]
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl PartialEq for Span {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Span {}

impl Hash for Span {
    fn hash<H: Hasher>(&self, _: &mut H) {}
}

/// An identifier: a database, retention policy, measurement, tag, field or alias name.
///
/// `value` is the name after unquoting (`"my field"` → `my field`); identifiers are
/// case-sensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ident {
    pub value: String,
    pub span: Span,
}

impl Ident {
    /// An identifier with an empty span, for trees built by hand.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            span: Span::default(),
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

impl PartialEq<str> for Ident {
    fn eq(&self, other: &str) -> bool {
        self.value == other
    }
}

impl PartialEq<&str> for Ident {
    fn eq(&self, other: &&str) -> bool {
        self.value == *other
    }
}

/// A regular expression literal, `/pattern/`. `pattern` is the text between the slashes with
/// `\/` unescaped to `/`; it is not compiled here.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Regex {
    pub pattern: String,
}

impl Regex {
    pub fn new(pattern: impl Into<String>) -> Self {
        Self {
            pattern: pattern.into(),
        }
    }
}

/// A duration in nanoseconds (negative after a unary minus: `-1h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Duration(pub i64);

impl Duration {
    pub const NANOSECOND: i64 = 1;
    pub const MICROSECOND: i64 = 1_000;
    pub const MILLISECOND: i64 = 1_000_000;
    pub const SECOND: i64 = 1_000_000_000;
    pub const MINUTE: i64 = 60 * Self::SECOND;
    pub const HOUR: i64 = 60 * Self::MINUTE;
    pub const DAY: i64 = 24 * Self::HOUR;
    pub const WEEK: i64 = 7 * Self::DAY;

    /// The duration in nanoseconds.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }
}

/// A whole statement list, as sent in one request: statements separated by `;`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    pub statements: Vec<Statement>,
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    Select(Box<SelectStatement>),
    ShowDatabases(ShowDatabases),
    ShowRetentionPolicies(ShowRetentionPolicies),
    ShowMeasurements(ShowMeasurements),
    ShowTagKeys(ShowTagKeys),
    ShowTagValues(ShowTagValues),
    ShowSeries(ShowSeries),
    ShowFieldKeys(ShowFieldKeys),
    ShowCardinality(ShowCardinality),
    ShowContinuousQueries(ShowContinuousQueries),
    ShowUsers(ShowUsers),
    ShowSubscriptions(ShowSubscriptions),
}

impl Statement {
    /// Where the statement was written.
    pub fn span(&self) -> Span {
        match self {
            Statement::Select(s) => s.span,
            Statement::ShowDatabases(s) => s.span,
            Statement::ShowRetentionPolicies(s) => s.span,
            Statement::ShowMeasurements(s) => s.span,
            Statement::ShowTagKeys(s) => s.span,
            Statement::ShowTagValues(s) => s.span,
            Statement::ShowSeries(s) => s.span,
            Statement::ShowFieldKeys(s) => s.span,
            Statement::ShowCardinality(s) => s.span,
            Statement::ShowContinuousQueries(s) => s.span,
            Statement::ShowUsers(s) => s.span,
            Statement::ShowSubscriptions(s) => s.span,
        }
    }
}

/// `SELECT fields FROM sources [WHERE condition] [GROUP BY dimensions] [fill(..)]
/// [ORDER BY time ASC|DESC] [LIMIT n] [OFFSET n] [SLIMIT n] [SOFFSET n] [tz('zone')]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectStatement {
    /// At least one.
    pub fields: Vec<Field>,
    /// At least one.
    pub from: Vec<MeasurementSelection>,
    pub condition: Option<Condition>,
    /// Empty when there is no `GROUP BY`.
    pub group_by: Vec<Dimension>,
    pub fill: Option<Fill>,
    pub order_by: Option<Order>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
    pub slimit: Option<u64>,
    pub soffset: Option<u64>,
    /// The zone of `tz('…')`, as written (not checked here).
    pub timezone: Option<String>,
    pub span: Span,
}

impl SelectStatement {
    /// A `SELECT fields FROM from` with no other clause, for trees built by hand.
    pub fn new(fields: Vec<Field>, from: Vec<MeasurementSelection>) -> Self {
        Self {
            fields,
            from,
            condition: None,
            group_by: Vec::new(),
            fill: None,
            order_by: None,
            limit: None,
            offset: None,
            slimit: None,
            soffset: None,
            timezone: None,
            span: Span::default(),
        }
    }

    /// The `time(interval[, offset])` dimension of `GROUP BY`, if any.
    pub fn group_by_time(&self) -> Option<(Duration, Option<Duration>)> {
        self.group_by.iter().find_map(|d| match d.kind {
            DimensionKind::Time { interval, offset } => Some((interval, offset)),
            _ => None,
        })
    }
}

/// One projection of a `SELECT`: an expression and its optional `AS` alias.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub expr: Expr,
    pub alias: Option<Ident>,
    pub span: Span,
}

impl Field {
    pub fn new(expr: Expr, alias: Option<Ident>) -> Self {
        Self {
            expr,
            alias,
            span: Span::default(),
        }
    }
}

/// One item of a `SELECT`'s `FROM`.
#[derive(Debug, Clone, PartialEq)]
pub enum MeasurementSelection {
    Name(QualifiedMeasurementName),
    /// `FROM (SELECT …)`.
    Subquery(Box<SelectStatement>),
}

/// `[db.[rp].]measurement`: `cpu`, `"h2o feet"`, `/cpu.*/`, `rp.cpu`, `db.rp.cpu`, `db..cpu`.
#[derive(Debug, Clone, PartialEq)]
pub struct QualifiedMeasurementName {
    pub database: Option<Ident>,
    pub retention_policy: Option<Ident>,
    pub name: MeasurementName,
    pub span: Span,
}

impl QualifiedMeasurementName {
    /// An unqualified name, for trees built by hand.
    pub fn new(name: MeasurementName) -> Self {
        Self {
            database: None,
            retention_policy: None,
            name,
            span: Span::default(),
        }
    }
}

/// A measurement named outright or matched by a regex.
#[derive(Debug, Clone, PartialEq)]
pub enum MeasurementName {
    Name(Ident),
    Regex(Regex),
}

/// One item of `GROUP BY`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dimension {
    pub kind: DimensionKind,
    pub span: Span,
}

impl Dimension {
    pub fn new(kind: DimensionKind) -> Self {
        Self {
            kind,
            span: Span::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum DimensionKind {
    /// `time(interval[, offset])`.
    Time {
        interval: Duration,
        offset: Option<Duration>,
    },
    /// A tag key.
    Tag(Ident),
    /// Tag keys matching a regex.
    Regex(Regex),
    /// `*`: every tag.
    Wildcard,
}

/// `fill(…)`: what a `GROUP BY time()` query reports for an interval without data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fill {
    Null,
    None,
    Previous,
    Linear,
    Value(Number),
}

/// A numeric constant (of `fill`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Integer(i64),
    Float(f64),
}

/// `ORDER BY time ASC|DESC` (InfluxQL orders by time only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Order {
    Ascending,
    Descending,
}

/// A value expression: fields and function arguments, and the operands of comparisons.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    pub fn new(kind: ExprKind) -> Self {
        Self {
            kind,
            span: Span::default(),
        }
    }

    /// A field or tag reference without a type cast.
    pub fn var(name: impl Into<String>) -> Self {
        Self::new(ExprKind::VarRef {
            name: Ident::new(name),
            data_type: None,
        })
    }

    pub fn literal(literal: Literal) -> Self {
        Self::new(ExprKind::Literal(literal))
    }

    pub fn call(name: impl Into<String>, args: Vec<Expr>) -> Self {
        Self::new(ExprKind::Call(Call {
            name: name.into(),
            args,
        }))
    }

    pub fn binary(lhs: Expr, op: BinaryOperator, rhs: Expr) -> Self {
        Self::new(ExprKind::Binary {
            lhs: Box::new(lhs),
            op,
            rhs: Box::new(rhs),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A field or tag, with an optional `::type` cast: `"water_level"::field`.
    VarRef {
        name: Ident,
        data_type: Option<VarRefDataType>,
    },
    /// `*`, `*::field` or `*::tag`: in a field list or as a function argument.
    Wildcard(Option<WildcardType>),
    Literal(Literal),
    /// A bound parameter, `$name` (its value comes with the request).
    BindParameter(String),
    Call(Call),
    /// `-expr`. A minus sign directly before a number or duration is folded into the literal
    /// instead (`-1` is `Literal(Integer(-1))`).
    Negate(Box<Expr>),
    Binary {
        lhs: Box<Expr>,
        op: BinaryOperator,
        rhs: Box<Expr>,
    },
}

/// The type cast of a variable reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VarRefDataType {
    Float,
    Integer,
    Unsigned,
    String,
    Boolean,
    Field,
    Tag,
}

impl VarRefDataType {
    pub fn as_str(self) -> &'static str {
        match self {
            VarRefDataType::Float => "float",
            VarRefDataType::Integer => "integer",
            VarRefDataType::Unsigned => "unsigned",
            VarRefDataType::String => "string",
            VarRefDataType::Boolean => "boolean",
            VarRefDataType::Field => "field",
            VarRefDataType::Tag => "tag",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "float" => VarRefDataType::Float,
            "integer" => VarRefDataType::Integer,
            "unsigned" => VarRefDataType::Unsigned,
            "string" => VarRefDataType::String,
            "boolean" => VarRefDataType::Boolean,
            "field" => VarRefDataType::Field,
            "tag" => VarRefDataType::Tag,
            _ => return None,
        })
    }
}

/// The type restriction of a wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WildcardType {
    Field,
    Tag,
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Integer(i64),
    Float(f64),
    /// A single-quoted string. Timestamps are strings too
    /// (`time >= '2023-01-01T00:00:00Z'`); see [`crate::parse_timestamp`].
    String(String),
    Boolean(bool),
    Duration(Duration),
    Regex(Regex),
}

/// A function call. `name` is lower-cased (function names are case-insensitive);
/// `DISTINCT x` and `DISTINCT(x)` are both the call `distinct(x)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub name: String,
    pub args: Vec<Expr>,
}

impl Call {
    /// What kind of function this is, if InfluxQL knows its name.
    pub fn kind(&self) -> Option<FunctionKind> {
        crate::functions::lookup(&self.name).map(|f| f.kind)
    }
}

/// The families of InfluxQL functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FunctionKind {
    /// One value per group computed from many: `count`, `mean`, `percentile`, …
    Aggregate,
    /// One or more of the group's own points: `first`, `max`, `top`, `sample`, …
    Selector,
    /// A series computed from a series: `derivative`, `moving_average`, …
    Transformation,
    /// Scalar math applied point by point: `abs`, `round`, `pow`, …
    Math,
    /// `now()`.
    Now,
}

/// Arithmetic and bitwise operators, by precedence: `* / % &` bind tighter than `+ - | ^`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOperator {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    BitwiseAnd,
    BitwiseOr,
    BitwiseXor,
}

impl BinaryOperator {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOperator::Add => "+",
            BinaryOperator::Sub => "-",
            BinaryOperator::Mul => "*",
            BinaryOperator::Div => "/",
            BinaryOperator::Mod => "%",
            BinaryOperator::BitwiseAnd => "&",
            BinaryOperator::BitwiseOr => "|",
            BinaryOperator::BitwiseXor => "^",
        }
    }

    /// Higher binds tighter. Conditions sit below: `OR` 1, `AND` 2, comparisons 4.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOperator::Add
            | BinaryOperator::Sub
            | BinaryOperator::BitwiseOr
            | BinaryOperator::BitwiseXor => 5,
            BinaryOperator::Mul
            | BinaryOperator::Div
            | BinaryOperator::Mod
            | BinaryOperator::BitwiseAnd => 6,
        }
    }
}

/// A boolean expression: `WHERE` clauses.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub kind: ConditionKind,
    pub span: Span,
}

impl Condition {
    pub fn new(kind: ConditionKind) -> Self {
        Self {
            kind,
            span: Span::default(),
        }
    }

    pub fn comparison(lhs: Expr, op: ComparisonOperator, rhs: Expr) -> Self {
        Self::new(ConditionKind::Comparison { lhs, op, rhs })
    }

    pub fn and(lhs: Condition, rhs: Condition) -> Self {
        Self::new(ConditionKind::And(Box::new(lhs), Box::new(rhs)))
    }

    pub fn or(lhs: Condition, rhs: Condition) -> Self {
        Self::new(ConditionKind::Or(Box::new(lhs), Box::new(rhs)))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ConditionKind {
    /// `lhs op rhs`. For `=~` and `!~` the right side is always a regex literal.
    Comparison {
        lhs: Expr,
        op: ComparisonOperator,
        rhs: Expr,
    },
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    /// A bare value used as a condition (`WHERE true`, `WHERE "is_up"`).
    Expr(Expr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComparisonOperator {
    Eq,
    /// `!=` (also written `<>`).
    NotEq,
    /// `=~`: matches a regex.
    EqRegex,
    /// `!~`: does not match a regex.
    NotEqRegex,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

impl ComparisonOperator {
    pub fn as_str(self) -> &'static str {
        match self {
            ComparisonOperator::Eq => "=",
            ComparisonOperator::NotEq => "!=",
            ComparisonOperator::EqRegex => "=~",
            ComparisonOperator::NotEqRegex => "!~",
            ComparisonOperator::Lt => "<",
            ComparisonOperator::LtEq => "<=",
            ComparisonOperator::Gt => ">",
            ComparisonOperator::GtEq => ">=",
        }
    }
}

/// `SHOW DATABASES`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ShowDatabases {
    pub span: Span,
}

/// `SHOW RETENTION POLICIES [ON db]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ShowRetentionPolicies {
    pub on: Option<Ident>,
    pub span: Span,
}

/// `SHOW MEASUREMENTS [ON db] [WITH MEASUREMENT (= name | =~ /re/)] [WHERE cond]
/// [LIMIT n] [OFFSET n]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ShowMeasurements {
    pub on: Option<Ident>,
    pub with_measurement: Option<WithMeasurement>,
    pub condition: Option<Condition>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
    pub span: Span,
}

/// The `WITH MEASUREMENT` clause of `SHOW MEASUREMENTS`.
#[derive(Debug, Clone, PartialEq)]
pub enum WithMeasurement {
    /// `= name`
    Equals(Ident),
    /// `=~ /re/`
    Regex(Regex),
}

/// `SHOW TAG KEYS [ON db] [FROM m, …] [WHERE cond] [LIMIT n] [OFFSET n]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ShowTagKeys {
    pub on: Option<Ident>,
    /// Empty when there is no `FROM`.
    pub from: Vec<QualifiedMeasurementName>,
    pub condition: Option<Condition>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
    pub span: Span,
}

/// `SHOW TAG VALUES [ON db] [FROM m, …] WITH KEY … [WHERE cond] [LIMIT n] [OFFSET n]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ShowTagValues {
    pub on: Option<Ident>,
    /// Empty when there is no `FROM`.
    pub from: Vec<QualifiedMeasurementName>,
    pub with_key: WithKey,
    pub condition: Option<Condition>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
    pub span: Span,
}

/// The `WITH KEY` clause of `SHOW TAG VALUES`: which tag keys to list the values of.
#[derive(Debug, Clone, PartialEq)]
pub enum WithKey {
    /// `= key`
    Eq(Ident),
    /// `!= key` (also `<>`)
    NotEq(Ident),
    /// `=~ /re/`
    EqRegex(Regex),
    /// `!~ /re/`
    NotEqRegex(Regex),
    /// `IN (key, …)`, at least one.
    In(Vec<Ident>),
}

/// `SHOW SERIES [ON db] [FROM m, …] [WHERE cond] [LIMIT n] [OFFSET n]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ShowSeries {
    pub on: Option<Ident>,
    /// Empty when there is no `FROM`.
    pub from: Vec<QualifiedMeasurementName>,
    pub condition: Option<Condition>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
    pub span: Span,
}

/// `SHOW FIELD KEYS [ON db] [FROM m, …] [LIMIT n] [OFFSET n]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ShowFieldKeys {
    pub on: Option<Ident>,
    /// Empty when there is no `FROM`.
    pub from: Vec<QualifiedMeasurementName>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
    pub span: Span,
}

/// What a `SHOW … CARDINALITY` statement counts.
#[derive(Debug, Clone, PartialEq)]
pub enum CardinalityOf {
    /// `SHOW SERIES [EXACT] CARDINALITY`: series, per measurement.
    Series,
    /// `SHOW MEASUREMENT [EXACT] CARDINALITY`: measurements.
    Measurements,
    /// `SHOW TAG KEY [EXACT] CARDINALITY`: tag keys, per measurement.
    TagKeys,
    /// `SHOW TAG VALUES [EXACT] CARDINALITY … WITH KEY …`: the distinct values of the chosen
    /// tag keys, per measurement.
    TagValues(WithKey),
    /// `SHOW FIELD KEY [EXACT] CARDINALITY`: field keys, per measurement.
    FieldKeys,
}

/// `SHOW {SERIES | MEASUREMENT | TAG KEY | TAG VALUES | FIELD KEY} [EXACT] CARDINALITY [ON db]
/// [FROM m, …] [WITH KEY …] [WHERE cond] [GROUP BY dimensions] [LIMIT n] [OFFSET n]`, where
/// `WITH KEY` belongs to (and is required by) `TAG VALUES` alone.
#[derive(Debug, Clone, PartialEq)]
pub struct ShowCardinality {
    pub of: CardinalityOf,
    /// `EXACT`. Without it InfluxDB may estimate the series and measurement counts.
    pub exact: bool,
    pub on: Option<Ident>,
    /// Empty when there is no `FROM`.
    pub from: Vec<QualifiedMeasurementName>,
    pub condition: Option<Condition>,
    /// Empty when there is no `GROUP BY`.
    pub group_by: Vec<Dimension>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
    pub span: Span,
}

impl ShowCardinality {
    /// The statement without `EXACT` or any clause, for trees built by hand.
    pub fn new(of: CardinalityOf) -> Self {
        Self {
            of,
            exact: false,
            on: None,
            from: Vec::new(),
            condition: None,
            group_by: Vec::new(),
            limit: None,
            offset: None,
            span: Span::default(),
        }
    }
}

/// `SHOW CONTINUOUS QUERIES`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ShowContinuousQueries {
    pub span: Span,
}

/// `SHOW USERS`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ShowUsers {
    pub span: Span,
}

/// `SHOW SUBSCRIPTIONS`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ShowSubscriptions {
    pub span: Span,
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}
