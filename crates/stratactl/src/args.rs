//! Go-style spellings that `influxctl` (urfave/cli on Go's `flag` package) accepts and clap
//! does not, rewritten before clap parses the command line:
//!
//! - `-flag` and `-flag=value` (one dash before a long name) become `--flag`, `--flag=value`;
//! - `--flag=true` becomes `--flag` and `--flag=false` disappears, for boolean flags;
//! - `h` where a subcommand is expected becomes `help` (urfave's `help, h`).
//!
//! Only names the command tree knows are rewritten; everything else reaches clap untouched,
//! and everything after `--` is left alone.

use std::ffi::OsString;

use clap::{Arg, ArgAction, Command};

fn find_long<'a>(cmd: &'a Command, name: &str) -> Option<&'a Arg> {
    cmd.get_arguments().find(|arg| {
        arg.get_long() == Some(name)
            || arg
                .get_all_aliases()
                .is_some_and(|aliases| aliases.contains(&name))
    })
}

fn find_subcommand<'a>(cmd: &'a Command, name: &str) -> Option<&'a Command> {
    cmd.get_subcommands()
        .find(|sub| sub.get_name() == name || sub.get_all_aliases().any(|a| a == name))
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

fn is_flag(arg: &Arg) -> bool {
    matches!(arg.get_action(), ArgAction::SetTrue | ArgAction::SetFalse)
}

/// `args` (program name first) with Go-style spellings rewritten for `cmd`.
pub fn normalize(cmd: &mut Command, args: Vec<OsString>) -> Vec<OsString> {
    cmd.build();
    let mut out = Vec::with_capacity(args.len());
    let mut args = args.into_iter();
    if let Some(program) = args.next() {
        out.push(program);
    }
    let mut current: &Command = cmd;
    let mut expecting_value = false;
    while let Some(raw) = args.next() {
        let Some(text) = raw.to_str().map(str::to_string) else {
            out.push(raw);
            continue;
        };
        if expecting_value {
            expecting_value = false;
            out.push(raw);
            continue;
        }
        if text == "--" {
            out.push(raw);
            out.extend(args);
            break;
        }
        let long_body = if let Some(body) = text.strip_prefix("--") {
            Some(body)
        } else if text.len() > 2 && text.starts_with('-') && !text[1..].starts_with('-') {
            Some(&text[1..])
        } else {
            None
        };
        if let Some(body) = long_body {
            let (name, value) = match body.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (body, None),
            };
            if let Some(arg) = find_long(current, name) {
                if is_flag(arg) {
                    match value.map(parse_go_bool) {
                        None => out.push(format!("--{name}").into()),
                        Some(Some(true)) => out.push(format!("--{name}").into()),
                        Some(Some(false)) => {}
                        // Not a boolean: let clap explain.
                        Some(None) => out.push(format!("--{body}").into()),
                    }
                } else {
                    expecting_value = value.is_none() && arg.get_action().takes_values();
                    out.push(format!("--{body}").into());
                }
                continue;
            }
            out.push(raw);
            continue;
        }
        if text.starts_with('-') {
            out.push(raw);
            continue;
        }
        if let Some(sub) = find_subcommand(current, &text) {
            current = sub;
            out.push(raw);
            continue;
        }
        if text == "h" && current.has_subcommands() {
            out.push("help".into());
            out.extend(args);
            break;
        }
        out.push(raw);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(args: &[&str]) -> Vec<String> {
        let mut cmd = crate::cli::command();
        let args = std::iter::once("stratactl")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        normalize(&mut cmd, args)
            .into_iter()
            .skip(1)
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn go_spellings() {
        assert_eq!(
            norm(&["-profile", "x", "database", "delete", "-force", "db"]),
            ["--profile", "x", "database", "delete", "--force", "db"]
        );
        assert_eq!(
            norm(&["database", "delete", "--force=true", "db"]),
            ["database", "delete", "--force", "db"]
        );
        assert_eq!(
            norm(&["database", "delete", "--force=false", "db"]),
            ["database", "delete", "db"]
        );
        assert_eq!(
            norm(&[
                "token",
                "create",
                "-read-database=db",
                "-format",
                "json",
                "d"
            ]),
            [
                "token",
                "create",
                "--read-database=db",
                "--format",
                "json",
                "d"
            ]
        );
        assert_eq!(norm(&["database", "h"]), ["database", "help"]);
        assert_eq!(norm(&["h"]), ["help"]);
        // A description that happens to look like a flag value is left alone.
        assert_eq!(
            norm(&["token", "create", "--", "-force"]),
            ["token", "create", "--", "-force"]
        );
        // The value of a flag is not taken for a subcommand or a flag.
        assert_eq!(
            norm(&["--profile", "h", "database", "list"]),
            ["--profile", "h", "database", "list"]
        );
        // Unknown single-dash words are not touched.
        assert_eq!(norm(&["-xyz"]), ["-xyz"]);
        // Globals are known below the top level too.
        assert_eq!(
            norm(&["database", "list", "-debug"]),
            ["database", "list", "--debug"]
        );
    }
}
