//! Every mistake a user can make on the command line is reported before any server is
//! contacted (these run without a config file), on stderr, with exit status 1, naming what
//! was wrong and what to write instead.

use crate::common::Ctl;

#[test]
fn every_validation_error() {
    let ctl = Ctl::new();
    let cases: &[(&[&str], &str)] = &[
        // Durations.
        (
            &["database", "create", "--retention-period", "30x", "db"],
            "unknown unit \"x\"",
        ),
        (
            &["database", "create", "--retention-period", "30", "db"],
            "has no unit",
        ),
        (
            &["database", "create", "--retention-period", "-1d", "db"],
            "negative",
        ),
        (
            &["database", "create", "--retention-period", "30m", "db"],
            "minimum of 1h",
        ),
        (
            &["database", "create", "--retention-period", "1 d", "db"],
            "not a retention period",
        ),
        (
            &["database", "create", "--retention-period", "1000y", "db"],
            "too long",
        ),
        (
            &["database", "update", "--retention-period", "5q", "db"],
            "unknown unit",
        ),
        (&["--timeout", "10", "database", "list"], "--timeout"),
        (
            &["--timeout", "1d", "database", "list"],
            "unknown unit \"d\"",
        ),
        (&["--timeout", "-5s", "database", "list"], "negative"),
        // Timestamps.
        (
            &["token", "create", "--expires-at", "tomorrow", "t"],
            "RFC 3339",
        ),
        (
            &[
                "token",
                "create",
                "--expires-at",
                "2030-13-01T00:00:00Z",
                "t",
            ],
            "is not a time",
        ),
        (
            &[
                "token",
                "create",
                "--expires-at",
                "2020-01-01T00:00:00Z",
                "t",
            ],
            "in the past",
        ),
        (
            &[
                "management",
                "create",
                "--expires-at",
                "2030-01-01",
                "--description",
                "d",
            ],
            "is not a time",
        ),
        (
            &[
                "management",
                "create",
                "--expires-at",
                "2001-01-01T00:00:00+0000",
            ],
            "in the past",
        ),
        (
            &["audit", "list", "--since", "yesterday"],
            "neither a time nor a duration",
        ),
        (
            &["audit", "list", "--since", "1h", "--until", "2h"],
            "--since is after --until",
        ),
        // Partition templates.
        (
            &["database", "create", "--template-tag", "host", "db"],
            "--template-timeformat is required",
        ),
        (
            &[
                "database",
                "create",
                "--template-tag-bucket",
                "host,10",
                "db",
            ],
            "--template-timeformat is required",
        ),
        (
            &["table", "create", "--template-tag", "host", "db", "t"],
            "--template-timeformat is required",
        ),
        (
            &["database", "create", "--template-timeformat", "%H", "db"],
            "is not supported",
        ),
        (
            &[
                "database",
                "create",
                "--template-timeformat",
                "%Y-%m-%d %H",
                "db",
            ],
            "is not supported",
        ),
        (
            &[
                "database",
                "create",
                "--template-timeformat",
                "%Y",
                "--template-tag-bucket",
                "host",
                "db",
            ],
            "is not TAG,N",
        ),
        (
            &[
                "database",
                "create",
                "--template-timeformat",
                "%Y",
                "--template-tag-bucket",
                "host,many",
                "db",
            ],
            "is not TAG,N",
        ),
        (
            &[
                "database",
                "create",
                "--template-timeformat",
                "%Y",
                "--template-tag-bucket",
                "host,0",
                "db",
            ],
            "between 1 and 100000",
        ),
        (
            &[
                "database",
                "create",
                "--template-timeformat",
                "%Y",
                "--template-tag",
                "a",
                "--template-tag-bucket",
                "a,5",
                "db",
            ],
            "more than once",
        ),
        (
            &[
                "database",
                "create",
                "--template-timeformat",
                "%Y",
                "--template-tag",
                "time",
                "db",
            ],
            "not allowed",
        ),
        (
            &[
                "table",
                "create",
                "--template-timeformat",
                "%Y",
                "--template-tag",
                "a",
                "--template-tag",
                "b",
                "--template-tag",
                "c",
                "--template-tag",
                "d",
                "--template-tag",
                "e",
                "--template-tag",
                "f",
                "--template-tag",
                "g",
                "--template-tag",
                "h",
                "db",
                "t",
            ],
            "9 parts",
        ),
        // Names and limits.
        (
            &["database", "create", "_internal"],
            "must not start with '_'",
        ),
        (&["database", "create", "has space"], "contains ' '"),
        (&["database", "rename", "db", "bad.name"], "contains '.'"),
        (&["table", "create", "db", "iox_table"], "reserved prefix"),
        (&["table", "rename", "db", "t", "time"], "reserved"),
        (
            &["database", "create", "--max-tables", "-1", "db"],
            "--max-tables -1 is out of range",
        ),
        (
            &["database", "create", "--max-columns", "1001", "db"],
            "give 1 to 1000",
        ),
        (
            &["database", "update", "--max-columns", "-3", "db"],
            "out of range",
        ),
        (
            &["database", "create", "--max-tables", "lots", "db"],
            "invalid value 'lots'",
        ),
        (&["database", "update", "db"], "nothing to update"),
        // Tokens.
        (
            &["token", "create", "--read-database", "bad name", "t"],
            "--read-database \"bad name\"",
        ),
        (
            &["token", "create", "--write-database", "", "t"],
            "--write-database \"\"",
        ),
        (&["token", "create", " "], "description is empty"),
        (
            &["token", "update", "11111111-1111-1111-1111-111111111111"],
            "give the new permissions",
        ),
        (
            &["token", "update", "--read-database", "db", "not-a-uuid"],
            "is not a token id",
        ),
        (&["token", "get", "1234"], "is not a token id"),
        (
            &["management", "create", "--description", ""],
            "--description is empty",
        ),
        (&["table", "undelete", "db", "cpu"], "is not a number"),
        (
            &["audit", "list", "--actor", "bob"],
            "--actor \"bob\" is not an actor",
        ),
        (&["audit", "list", "--limit", "0"], "--limit 0"),
        // The command line itself.
        (
            &["database", "list", "extra"],
            "unexpected argument 'extra'",
        ),
        (
            &["database", "rename", "a", "b", "c"],
            "unexpected argument 'c'",
        ),
        (&["table", "create", "db"], "required"),
        (&["database", "delete"], "required"),
        (&["token", "revoke"], "required"),
        (
            &["database", "list", "--filter-status", "gone"],
            "invalid value 'gone'",
        ),
        (
            &["token", "list", "--sort", "created"],
            "invalid value 'created'",
        ),
        (
            &["management", "list", "--sort", "name"],
            "invalid value 'name'",
        ),
        (
            &["cluster", "list", "--format", "yaml"],
            "invalid value 'yaml'",
        ),
        (
            &["database", "list", "--nope"],
            "unexpected argument '--nope'",
        ),
        (&["database", "delete", "--force=maybe", "db"], "--force"),
        (
            &["databases", "list"],
            "unrecognized subcommand 'databases'",
        ),
        (&["auth", "signin"], "unrecognized subcommand 'signin'"),
        (
            &["query", "--language", "flux", "SELECT 1"],
            "[possible values: sql, influxql]",
        ),
        (
            &["query", "--time-format", "rfc3339", "SELECT 1"],
            "[possible values: rfc3339nano, unixnano]",
        ),
        (
            &["query", "--format", "csv", "SELECT 1"],
            "invalid value 'csv'",
        ),
        (
            &["query", "--timeout", "soon", "SELECT 1"],
            "invalid value 'soon' for '--timeout <SECONDS>'",
        ),
        (&["query"], "<QUERY>"),
        (
            &["query", "SELECT 1", "SELECT 2"],
            "unexpected argument 'SELECT 2'",
        ),
        (
            &["write", "--precision", "h", "cpu v=1"],
            "[possible values: ns, us, ms, s]",
        ),
        (
            &["write", "--batch-size", "0", "cpu v=1"],
            "the batch size must be at least 1 line",
        ),
        (
            &["write", "--timeout", "soon", "cpu v=1"],
            "invalid value 'soon' for '--timeout <SECONDS>'",
        ),
        (&["write"], "<LINE_PROTOCOL>"),
        (&["write", "a b", "c d"], "unexpected argument 'c d'"),
    ];
    let mut transcript = String::new();
    for (args, words) in cases {
        let out = ctl.run(args).failure().stderr_has(words);
        assert!(out.stdout.is_empty(), "{}", out.transcript());
        assert!(
            !out.stderr.contains("config file"),
            "validated only after reading the config:\n{}",
            out.transcript()
        );
        transcript.push_str(&out.transcript());
        transcript.push('\n');
    }
    snap!("validation_errors", transcript);
}
