//! The functions InfluxQL knows, with their families and argument counts.
//!
//! The parser checks the number of arguments of a known function; a name it does not know
//! is kept as written, for the planner to refuse with the call's span.

use crate::ast::FunctionKind;

pub(crate) struct Function {
    pub name: &'static str,
    pub kind: FunctionKind,
    pub min_args: usize,
    /// `None`: no upper bound.
    pub max_args: Option<usize>,
}

const fn f(name: &'static str, kind: FunctionKind, min_args: usize, max: usize) -> Function {
    Function {
        name,
        kind,
        min_args,
        max_args: if max == usize::MAX { None } else { Some(max) },
    }
}

use FunctionKind::{Aggregate, Math, Now, Selector, Transformation};

pub(crate) const FUNCTIONS: &[Function] = &[
    // Aggregates.
    f("count", Aggregate, 1, 1),
    f("distinct", Aggregate, 1, 1),
    f("integral", Aggregate, 1, 2),
    f("mean", Aggregate, 1, 1),
    f("median", Aggregate, 1, 1),
    f("mode", Aggregate, 1, 1),
    f("spread", Aggregate, 1, 1),
    f("stddev", Aggregate, 1, 1),
    f("sum", Aggregate, 1, 1),
    // Selectors.
    f("bottom", Selector, 2, usize::MAX),
    f("first", Selector, 1, 1),
    f("last", Selector, 1, 1),
    f("max", Selector, 1, 1),
    f("min", Selector, 1, 1),
    f("percentile", Selector, 2, 2),
    f("sample", Selector, 2, 2),
    f("top", Selector, 2, usize::MAX),
    // Transformations.
    f("cumulative_sum", Transformation, 1, 1),
    f("derivative", Transformation, 1, 2),
    f("difference", Transformation, 1, 1),
    f("elapsed", Transformation, 1, 2),
    f("moving_average", Transformation, 2, 2),
    f("non_negative_derivative", Transformation, 1, 2),
    f("non_negative_difference", Transformation, 1, 1),
    f("holt_winters", Transformation, 3, 3),
    f("holt_winters_with_fit", Transformation, 3, 3),
    // Math.
    f("abs", Math, 1, 1),
    f("acos", Math, 1, 1),
    f("asin", Math, 1, 1),
    f("atan", Math, 1, 1),
    f("atan2", Math, 2, 2),
    f("ceil", Math, 1, 1),
    f("cos", Math, 1, 1),
    f("exp", Math, 1, 1),
    f("floor", Math, 1, 1),
    f("ln", Math, 1, 1),
    f("log", Math, 2, 2),
    f("log2", Math, 1, 1),
    f("log10", Math, 1, 1),
    f("pow", Math, 2, 2),
    f("round", Math, 1, 1),
    f("sin", Math, 1, 1),
    f("sqrt", Math, 1, 1),
    f("tan", Math, 1, 1),
    f("now", Now, 0, 0),
];

/// The function of a lower-case name.
pub(crate) fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// Checks a call's argument count: `Err(message)` in InfluxDB's words.
pub(crate) fn check_arity(name: &str, got: usize) -> Result<(), String> {
    let Some(function) = lookup(name) else {
        return Ok(());
    };
    let ok = got >= function.min_args && function.max_args.is_none_or(|max| got <= max);
    if ok {
        return Ok(());
    }
    let expected = match function.max_args {
        Some(max) if max == function.min_args => format!("{max}"),
        Some(max) => format!("{} to {max}", function.min_args),
        None => format!("at least {}", function.min_args),
    };
    Err(format!(
        "invalid number of arguments for {name}, expected {expected}, got {got}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arity_messages() {
        assert_eq!(check_arity("mean", 1), Ok(()));
        assert_eq!(check_arity("unknown_fn", 7), Ok(()));
        assert_eq!(
            check_arity("percentile", 1).unwrap_err(),
            "invalid number of arguments for percentile, expected 2, got 1"
        );
        assert_eq!(
            check_arity("top", 1).unwrap_err(),
            "invalid number of arguments for top, expected at least 2, got 1"
        );
        assert_eq!(
            check_arity("derivative", 3).unwrap_err(),
            "invalid number of arguments for derivative, expected 1 to 2, got 3"
        );
        assert!(check_arity("top", 4).is_ok());
        assert!(check_arity("now", 0).is_ok());
    }
}
