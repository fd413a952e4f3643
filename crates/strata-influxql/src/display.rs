//! Canonical InfluxQL text for the tree: keywords in upper case, function names in lower case,
//! identifiers quoted only when they must be, parentheses only where precedence needs them.
//! Parsing the text gives back an equal tree.

use std::fmt::{self, Display, Formatter, Write};

use crate::ast::*;
use crate::lexer::{is_ident_char, is_ident_start};
use crate::parser::is_reserved;

/// Writes `name` as an identifier: bare when it is a plain word that is not a keyword,
/// double-quoted (with `\"`, `\\` and `\n` escaped) otherwise.
pub fn quote_ident(name: &str) -> String {
    let mut out = String::new();
    write_ident(&mut out, name).expect("writing to a String");
    out
}

fn write_ident(f: &mut impl Write, name: &str) -> fmt::Result {
    let plain = name.starts_with(is_ident_start) && name.chars().all(is_ident_char);
    if plain && !is_reserved(name) {
        f.write_str(name)
    } else {
        write_quoted(f, name, '"')
    }
}

fn write_quoted(f: &mut impl Write, text: &str, quote: char) -> fmt::Result {
    f.write_char(quote)?;
    for c in text.chars() {
        match c {
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            c if c == quote => {
                f.write_char('\\')?;
                f.write_char(c)?;
            }
            c => f.write_char(c)?,
        }
    }
    f.write_char(quote)
}

fn comma_separated<T: Display>(f: &mut Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl Display for Ident {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_ident(f, &self.value)
    }
}

impl Display for Regex {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char('/')?;
        f.write_str(&self.pattern.replace('/', "\\/"))?;
        f.write_char('/')
    }
}

impl Display for Duration {
    /// In the largest unit that divides it exactly: `90m` is `90m`, `3600s` is `1h`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        const UNITS: &[(&str, u64)] = &[
            ("w", 7 * 86_400 * 1_000_000_000),
            ("d", 86_400 * 1_000_000_000),
            ("h", 3_600 * 1_000_000_000),
            ("m", 60 * 1_000_000_000),
            ("s", 1_000_000_000),
            ("ms", 1_000_000),
            ("u", 1_000),
            ("ns", 1),
        ];
        if self.0 < 0 {
            f.write_char('-')?;
        }
        let magnitude = self.0.unsigned_abs();
        if magnitude == 0 {
            return f.write_str("0s");
        }
        let (unit, size) = UNITS
            .iter()
            .find(|(_, size)| magnitude.is_multiple_of(*size))
            .expect("every duration is a whole number of nanoseconds");
        write!(f, "{}{unit}", magnitude / size)
    }
}

fn write_float(f: &mut Formatter<'_>, value: f64) -> fmt::Result {
    // `Display` for `f64` is the shortest text that reads back as the same value and never
    // uses an exponent; a float keeps its decimal point so that it reads back as a float.
    let text = value.to_string();
    f.write_str(&text)?;
    if value.is_finite() && !text.contains('.') {
        f.write_str(".0")?;
    }
    Ok(())
}

impl Display for Number {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Number::Integer(n) => write!(f, "{n}"),
            Number::Float(v) => write_float(f, *v),
        }
    }
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Integer(n) => write!(f, "{n}"),
            Literal::Float(v) => write_float(f, *v),
            Literal::String(s) => write_quoted(f, s, '\''),
            Literal::Boolean(b) => write!(f, "{b}"),
            Literal::Duration(d) => write!(f, "{d}"),
            Literal::Regex(r) => write!(f, "{r}"),
        }
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::VarRef { name, data_type } => {
                write!(f, "{name}")?;
                if let Some(t) = data_type {
                    write!(f, "::{}", t.as_str())?;
                }
                Ok(())
            }
            ExprKind::Wildcard(t) => {
                f.write_char('*')?;
                match t {
                    Some(WildcardType::Field) => f.write_str("::field"),
                    Some(WildcardType::Tag) => f.write_str("::tag"),
                    None => Ok(()),
                }
            }
            ExprKind::Literal(literal) => write!(f, "{literal}"),
            ExprKind::BindParameter(name) => {
                f.write_char('$')?;
                if !name.is_empty() && name.chars().all(is_ident_char) {
                    f.write_str(name)
                } else {
                    write_quoted(f, name, '"')
                }
            }
            ExprKind::Call(call) => write!(f, "{call}"),
            ExprKind::Negate(inner) => {
                // A number right after the minus would fold into a negative literal, and a
                // second minus would start a `--` comment: both need parentheses.
                let bare = matches!(
                    inner.kind,
                    ExprKind::VarRef { .. }
                        | ExprKind::Wildcard(_)
                        | ExprKind::BindParameter(_)
                        | ExprKind::Call(_)
                        | ExprKind::Literal(
                            Literal::String(_) | Literal::Boolean(_) | Literal::Regex(_)
                        )
                );
                if bare {
                    write!(f, "-{inner}")
                } else {
                    write!(f, "-({inner})")
                }
            }
            ExprKind::Binary { lhs, op, rhs } => {
                let precedence = op.precedence();
                let binary_precedence = |e: &Expr| match &e.kind {
                    ExprKind::Binary { op, .. } => Some(op.precedence()),
                    _ => None,
                };
                if binary_precedence(lhs).is_some_and(|p| p < precedence) {
                    write!(f, "({lhs})")?;
                } else {
                    write!(f, "{lhs}")?;
                }
                write!(f, " {} ", op.as_str())?;
                if binary_precedence(rhs).is_some_and(|p| p <= precedence) {
                    write!(f, "({rhs})")
                } else {
                    write!(f, "{rhs}")
                }
            }
        }
    }
}

impl Display for Call {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.name)?;
        comma_separated(f, &self.args)?;
        f.write_char(')')
    }
}

impl Display for Condition {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        fn is_or(c: &Condition) -> bool {
            matches!(c.kind, ConditionKind::Or(..))
        }
        fn is_and(c: &Condition) -> bool {
            matches!(c.kind, ConditionKind::And(..))
        }
        fn side(f: &mut Formatter<'_>, c: &Condition, parenthesize: bool) -> fmt::Result {
            if parenthesize {
                write!(f, "({c})")
            } else {
                write!(f, "{c}")
            }
        }
        match &self.kind {
            ConditionKind::Comparison { lhs, op, rhs } => {
                write!(f, "{lhs} {} {rhs}", op.as_str())
            }
            ConditionKind::And(lhs, rhs) => {
                side(f, lhs, is_or(lhs))?;
                f.write_str(" AND ")?;
                side(f, rhs, is_or(rhs) || is_and(rhs))
            }
            ConditionKind::Or(lhs, rhs) => {
                side(f, lhs, false)?;
                f.write_str(" OR ")?;
                side(f, rhs, is_or(rhs))
            }
            ConditionKind::Expr(e) => write!(f, "{e}"),
        }
    }
}

impl Display for Field {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        if let Some(alias) = &self.alias {
            write!(f, " AS {alias}")?;
        }
        Ok(())
    }
}

impl Display for MeasurementName {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            MeasurementName::Name(name) => write!(f, "{name}"),
            MeasurementName::Regex(regex) => write!(f, "{regex}"),
        }
    }
}

impl Display for QualifiedMeasurementName {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match (&self.database, &self.retention_policy) {
            (Some(db), Some(rp)) => write!(f, "{db}.{rp}.")?,
            (Some(db), None) => write!(f, "{db}..")?,
            (None, Some(rp)) => write!(f, "{rp}.")?,
            (None, None) => {}
        }
        write!(f, "{}", self.name)
    }
}

impl Display for MeasurementSelection {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            MeasurementSelection::Name(name) => write!(f, "{name}"),
            MeasurementSelection::Subquery(select) => write!(f, "({select})"),
        }
    }
}

impl Display for Dimension {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            DimensionKind::Time { interval, offset } => {
                write!(f, "time({interval}")?;
                if let Some(offset) = offset {
                    write!(f, ", {offset}")?;
                }
                f.write_char(')')
            }
            DimensionKind::Tag(tag) => write!(f, "{tag}"),
            DimensionKind::Regex(regex) => write!(f, "{regex}"),
            DimensionKind::Wildcard => f.write_char('*'),
        }
    }
}

impl Display for Fill {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Fill::Null => f.write_str("fill(null)"),
            Fill::None => f.write_str("fill(none)"),
            Fill::Previous => f.write_str("fill(previous)"),
            Fill::Linear => f.write_str("fill(linear)"),
            Fill::Value(n) => write!(f, "fill({n})"),
        }
    }
}

impl Display for Order {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Order::Ascending => "ORDER BY time ASC",
            Order::Descending => "ORDER BY time DESC",
        })
    }
}

fn write_count(f: &mut Formatter<'_>, keyword: &str, value: Option<u64>) -> fmt::Result {
    match value {
        Some(n) => write!(f, " {keyword} {n}"),
        None => Ok(()),
    }
}

fn write_on(f: &mut Formatter<'_>, on: &Option<Ident>) -> fmt::Result {
    match on {
        Some(db) => write!(f, " ON {db}"),
        None => Ok(()),
    }
}

fn write_from(f: &mut Formatter<'_>, from: &[QualifiedMeasurementName]) -> fmt::Result {
    if from.is_empty() {
        return Ok(());
    }
    f.write_str(" FROM ")?;
    comma_separated(f, from)
}

fn write_where(f: &mut Formatter<'_>, condition: &Option<Condition>) -> fmt::Result {
    match condition {
        Some(c) => write!(f, " WHERE {c}"),
        None => Ok(()),
    }
}

impl Display for SelectStatement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("SELECT ")?;
        comma_separated(f, &self.fields)?;
        f.write_str(" FROM ")?;
        comma_separated(f, &self.from)?;
        write_where(f, &self.condition)?;
        if !self.group_by.is_empty() {
            f.write_str(" GROUP BY ")?;
            comma_separated(f, &self.group_by)?;
        }
        if let Some(fill) = &self.fill {
            write!(f, " {fill}")?;
        }
        if let Some(order) = &self.order_by {
            write!(f, " {order}")?;
        }
        write_count(f, "LIMIT", self.limit)?;
        write_count(f, "OFFSET", self.offset)?;
        write_count(f, "SLIMIT", self.slimit)?;
        write_count(f, "SOFFSET", self.soffset)?;
        if let Some(zone) = &self.timezone {
            f.write_str(" tz(")?;
            write_quoted(f, zone, '\'')?;
            f.write_char(')')?;
        }
        Ok(())
    }
}

impl Display for ShowDatabases {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("SHOW DATABASES")
    }
}

impl Display for ShowRetentionPolicies {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("SHOW RETENTION POLICIES")?;
        write_on(f, &self.on)
    }
}

impl Display for ShowMeasurements {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("SHOW MEASUREMENTS")?;
        write_on(f, &self.on)?;
        match &self.with_measurement {
            Some(WithMeasurement::Equals(name)) => write!(f, " WITH MEASUREMENT = {name}")?,
            Some(WithMeasurement::Regex(regex)) => write!(f, " WITH MEASUREMENT =~ {regex}")?,
            None => {}
        }
        write_where(f, &self.condition)?;
        write_count(f, "LIMIT", self.limit)?;
        write_count(f, "OFFSET", self.offset)
    }
}

impl Display for ShowTagKeys {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("SHOW TAG KEYS")?;
        write_on(f, &self.on)?;
        write_from(f, &self.from)?;
        write_where(f, &self.condition)?;
        write_count(f, "LIMIT", self.limit)?;
        write_count(f, "OFFSET", self.offset)
    }
}

impl Display for WithKey {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("WITH KEY ")?;
        match self {
            WithKey::Eq(key) => write!(f, "= {key}"),
            WithKey::NotEq(key) => write!(f, "!= {key}"),
            WithKey::EqRegex(regex) => write!(f, "=~ {regex}"),
            WithKey::NotEqRegex(regex) => write!(f, "!~ {regex}"),
            WithKey::In(keys) => {
                f.write_str("IN (")?;
                comma_separated(f, keys)?;
                f.write_char(')')
            }
        }
    }
}

impl Display for ShowTagValues {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("SHOW TAG VALUES")?;
        write_on(f, &self.on)?;
        write_from(f, &self.from)?;
        write!(f, " {}", self.with_key)?;
        write_where(f, &self.condition)?;
        write_count(f, "LIMIT", self.limit)?;
        write_count(f, "OFFSET", self.offset)
    }
}

impl Display for ShowSeries {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("SHOW SERIES")?;
        write_on(f, &self.on)?;
        write_from(f, &self.from)?;
        write_where(f, &self.condition)?;
        write_count(f, "LIMIT", self.limit)?;
        write_count(f, "OFFSET", self.offset)
    }
}

impl Display for ShowFieldKeys {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("SHOW FIELD KEYS")?;
        write_on(f, &self.on)?;
        write_from(f, &self.from)?;
        write_count(f, "LIMIT", self.limit)?;
        write_count(f, "OFFSET", self.offset)
    }
}

impl Display for ShowCardinality {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self.of {
            CardinalityOf::Series => "SHOW SERIES",
            CardinalityOf::Measurements => "SHOW MEASUREMENT",
            CardinalityOf::TagKeys => "SHOW TAG KEY",
            CardinalityOf::TagValues(_) => "SHOW TAG VALUES",
            CardinalityOf::FieldKeys => "SHOW FIELD KEY",
        })?;
        if self.exact {
            f.write_str(" EXACT")?;
        }
        f.write_str(" CARDINALITY")?;
        write_on(f, &self.on)?;
        write_from(f, &self.from)?;
        if let CardinalityOf::TagValues(with_key) = &self.of {
            write!(f, " {with_key}")?;
        }
        write_where(f, &self.condition)?;
        if !self.group_by.is_empty() {
            f.write_str(" GROUP BY ")?;
            comma_separated(f, &self.group_by)?;
        }
        write_count(f, "LIMIT", self.limit)?;
        write_count(f, "OFFSET", self.offset)
    }
}

impl Display for Statement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Statement::Select(s) => write!(f, "{s}"),
            Statement::ShowDatabases(s) => write!(f, "{s}"),
            Statement::ShowRetentionPolicies(s) => write!(f, "{s}"),
            Statement::ShowMeasurements(s) => write!(f, "{s}"),
            Statement::ShowTagKeys(s) => write!(f, "{s}"),
            Statement::ShowTagValues(s) => write!(f, "{s}"),
            Statement::ShowSeries(s) => write!(f, "{s}"),
            Statement::ShowFieldKeys(s) => write!(f, "{s}"),
            Statement::ShowCardinality(s) => write!(f, "{s}"),
            Statement::ShowContinuousQueries(_) => f.write_str("SHOW CONTINUOUS QUERIES"),
            Statement::ShowUsers(_) => f.write_str("SHOW USERS"),
            Statement::ShowSubscriptions(_) => f.write_str("SHOW SUBSCRIPTIONS"),
        }
    }
}

impl Display for Query {
    /// The statements joined by `; `.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, statement) in self.statements.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{statement}")?;
        }
        Ok(())
    }
}
