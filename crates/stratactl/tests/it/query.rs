//! `stratactl query`: SQL over Arrow Flight against the real server, the query from the
//! argument, a file and standard input, table and JSON output, and every way a query can
//! fail. Rows are written first with `stratactl write`, at fixed times, so the answers are
//! the same on every run.

use std::time::Duration;

use crate::common::{
    Ctl, Env, Out, TlsServer, free_port, host_port, run_stdin, silent_port, transcripts,
    unreachable_profile,
};

/// influxctl's documentation example, and two more rows (one at a fractional second, one
/// without `temp`).
const HOME: &str = "\
home,room=Kitchen temp=21,hum=35.9,co=0i 1641024000000000000
home,room=Living\\ Room temp=21.4,hum=35.9,co=0i 1641024000000000000
home,room=Kitchen temp=23,hum=36.2,co=3i 1641027600500000000
home,room=Living\\ Room hum=36.1,co=1i 1641027600500000000
";

/// A server with database `db` holding [`HOME`], and tokens that may read it, write it, or
/// read every database.
struct Setup {
    env: Env,
    read_token: String,
    write_token: String,
    read_all_token: String,
}

impl Setup {
    fn start() -> Self {
        let env = Env::start();
        env.ok(&["database", "create", "db"]);
        let token = |args: &[&str]| {
            let mut all = vec!["token", "create"];
            all.extend(args);
            env.ok(&all).last_line()
        };
        let read_token = token(&["--read-database", "db", "reader"]);
        let write_token = token(&["--write-database", "db", "writer"]);
        let read_all_token = token(&["--read-database", "*", "reads all"]);
        env.ok(&["write", "--database", "db", "--token", &write_token, HOME]);
        let setup = Self {
            env,
            read_token,
            write_token,
            read_all_token,
        };
        setup.reading_profile();
        setup
    }

    /// The `default` profile with `database = "db"` and the read token.
    fn reading_profile(&self) {
        self.env.profile(&format!(
            "  database = \"db\"\n  token = \"{}\"",
            self.read_token
        ));
    }

    fn ctl(&self) -> &Ctl {
        &self.env.ctl
    }
}

/// Transcripts with the temporary home directory replaced.
fn shown(ctl: &Ctl, outs: &[&Out]) -> String {
    ctl.hide_home(&transcripts(outs))
}

/// The table of every row of `home`, ordered.
const ALL_ROWS: &str = "SELECT co, hum, room, temp, time FROM home ORDER BY time, room";

#[test]
fn sql_as_tables_and_json() {
    let setup = Setup::start();
    let ctl = setup.ctl();

    let table = ctl.run(&["query", ALL_ROWS]).success();
    assert_eq!(table.stderr, "");
    assert!(
        table.stdout.ends_with(
            "+-------+--------+-------------+------+------------------------+\n| TOTAL | 4 ROWS |             |      |                        |\n+-------+--------+-------------+------+------------------------+\n"
        ),
        "{}",
        table.transcript()
    );
    let unix = ctl
        .run(&["query", "--time-format", "unixnano", ALL_ROWS])
        .success()
        .stdout_has("| 1641027600500000000 |");
    let json = ctl.run(&["query", "--format", "json", ALL_ROWS]).success();
    let rows = json.json();
    assert_eq!(rows.as_array().unwrap().len(), 4);
    assert_eq!(rows[0]["time"], 1_641_024_000_000_000_000_i64);
    assert_eq!(rows[1]["room"], "Living Room");
    assert!(rows[3]["temp"].is_null());
    // The time format is for tables: JSON keeps nanoseconds.
    let json_unix = ctl
        .run(&[
            "query",
            "--format",
            "json",
            "--time-format",
            "unixnano",
            ALL_ROWS,
        ])
        .success();
    assert_eq!(json_unix.stdout, json.stdout);

    // Every column, in the table's order (time, tags, fields by name).
    let star = ctl
        .run(&[
            "query",
            "SELECT * FROM home WHERE room = 'Kitchen' ORDER BY time",
        ])
        .success();
    // Aggregates; one column gets a second for the footer.
    let grouped = ctl
        .run(&[
            "query",
            "SELECT room, count(*) AS readings, avg(hum) AS hum FROM home GROUP BY room ORDER BY room",
        ])
        .success();
    let count = ctl
        .run(&["query", "SELECT count(*) AS n FROM home"])
        .success();
    // No rows: the footer says so, and JSON is [].
    let none = "SELECT * FROM home WHERE co > 100";
    let empty = ctl.run(&["query", none]).success();
    let empty_json = ctl.run(&["query", "--format", "json", none]).success();
    assert_eq!(empty_json.stdout, "[]\n");

    insta::assert_snapshot!(
        "sql_tables_and_json",
        shown(
            ctl,
            &[
                &table,
                &unix,
                &json,
                &star,
                &grouped,
                &count,
                &empty,
                &empty_json
            ]
        )
    );
}

#[test]
fn the_query_from_the_argument_a_file_and_standard_input() {
    let setup = Setup::start();
    let ctl = setup.ctl();
    let query = "SELECT room, co FROM home WHERE co > 0 ORDER BY co";
    let literal = ctl.run(&["query", query]).success();
    let file = ctl.write_file("query.sql", &format!("-- the rooms\n{query}\n"));
    let from_file = ctl.run(&["query", file.to_str().unwrap()]).success();
    assert_eq!(from_file.stdout, literal.stdout);
    let from_stdin = run_stdin(ctl, &["query", "-"], &format!("{query};\n")).success();
    assert_eq!(from_stdin.stdout, literal.stdout);
    assert!(
        literal.stdout.contains("| TOTAL"),
        "{}",
        literal.transcript()
    );

    // A word that names no file is taken for a mistyped path, not sent.
    ctl.run(&["query", "missing.sql"])
        .failure()
        .stderr_has("cannot read file missing.sql");
    run_stdin(ctl, &["query", "-"], "  \n")
        .failure()
        .stderr_has("nothing to query: standard input holds no query");
    let blank = ctl.write_file("blank.sql", "\n");
    ctl.run(&["query", blank.to_str().unwrap()])
        .failure()
        .stderr_has("holds no query");
    ctl.run(&["query", ctl.home().to_str().unwrap()])
        .failure()
        .stderr_has("is a directory");
}

#[test]
fn flags_give_and_override_the_database_and_the_token() {
    let setup = Setup::start();
    let ctl = setup.ctl();
    let query = "SELECT count(*) AS n FROM home";

    // A profile without database and token keys: the flags give them.
    setup.env.profile("");
    let token = setup.read_token.as_str();
    ctl.run(&["query", "--database", "db", "--token", token, query])
        .success()
        .stdout_has("|     4 |");
    // Go-style spellings work too.
    ctl.run(&["query", "-database=db", "-token", token, query])
        .success();

    // The profile names another database and a write-only token: the flags win.
    setup.env.profile(&format!(
        "  database = \"nope\"\n  token = \"{}\"",
        setup.write_token
    ));
    ctl.run(&["query", "--database", "db", "--token", token, query])
        .success();
    ctl.run(&["query", query])
        .failure()
        .stderr_has("may not read database \"nope\"")
        .stderr_has("the token of profile \"default\"");
}

#[test]
fn influxql_as_tables_and_json() {
    let setup = Setup::start();
    let ctl = setup.ctl();
    let select = ctl
        .run(&[
            "query",
            "--language",
            "influxql",
            "SELECT temp, hum FROM home WHERE room = 'Kitchen'",
        ])
        .success();
    let grouped = ctl
        .run(&[
            "query",
            "--language",
            "influxql",
            "--format",
            "json",
            "SELECT max(hum) FROM home GROUP BY room",
        ])
        .success();
    let show = ctl
        .run(&[
            "query",
            "--language",
            "influxql",
            "SHOW TAG VALUES WITH KEY = room",
        ])
        .success();
    let wrong = ctl
        .run(&["query", "--language", "influxql", "SELECT FROM home"])
        .failure()
        .stderr_has("error parsing query")
        .stderr_has("char 8");
    assert_eq!(wrong.stdout, "");
    // The ticket names the language.
    ctl.run(&[
        "--trace",
        "query",
        "--language",
        "influxql",
        "SHOW MEASUREMENTS",
    ])
    .success()
    .stderr_has(r#""query_type":"influxql""#);
    snap!("influxql", shown(ctl, &[&select, &grouped, &show, &wrong]));
}

#[test]
fn query_errors() {
    let setup = Setup::start();
    let ctl = setup.ctl();

    // Nothing to query with: no database, no token.
    setup.env.profile("");
    let no_database = ctl
        .run(&["query", "--token", &setup.read_token, "SELECT 1"])
        .failure()
        .stderr_has("pass --database")
        .stderr_has("set database = ");
    let no_token = ctl
        .run(&["query", "--database", "db", "SELECT 1"])
        .failure()
        .stderr_has("pass --token")
        .stderr_has("set token = ")
        .stderr_has("--read-database db");
    let empty_flag = ctl
        .run(&["query", "--database", "db", "--token", " ", "SELECT 1"])
        .failure()
        .stderr_has("--token is empty");

    setup.reading_profile();
    // The server's messages.
    let unknown_table = ctl
        .run(&["query", "SELECT * FROM nope"])
        .failure()
        .stderr_has("nope")
        .stderr_has("not found")
        .stderr_has("INVALID_ARGUMENT");
    let bad_sql = ctl
        .run(&["query", "SELEKT 1"])
        .failure()
        .stderr_has("INVALID_ARGUMENT");
    let write_only = ctl
        .run(&["query", "--token", &setup.write_token, "SELECT 1"])
        .failure()
        .stderr_has("may not read database \"db\"")
        .stderr_has("PERMISSION_DENIED")
        .stderr_has("the token given with --token");
    let management = ctl
        .run(&["query", "--token", &setup.env.token, "SELECT 1"])
        .failure()
        .stderr_has("management tokens cannot read or write data")
        .stderr_has("PERMISSION_DENIED");
    let unknown_token = ctl
        .run(&[
            "query",
            "--token",
            "strata_db_0000000000000000000000000000000000000000000000000",
            "SELECT 1",
        ])
        .failure()
        .stderr_has("UNAUTHENTICATED")
        .stderr_has("revoked, expired or mistyped");
    let unknown_database = ctl
        .run(&[
            "query",
            "--token",
            &setup.read_all_token,
            "--database",
            "nope",
            "SELECT 1",
        ])
        .failure()
        .stderr_has("database \"nope\" not found")
        .stderr_has("NOT_FOUND")
        .stderr_has("check --database");
    for out in [&write_only, &management, &unknown_token] {
        assert!(
            !out.stderr.contains(&setup.write_token[10..])
                && !out.stderr.contains(&setup.env.token[12..]),
            "a secret in an error:\n{}",
            out.transcript()
        );
    }
    snap!(
        "query_errors",
        shown(
            ctl,
            &[
                &no_database,
                &no_token,
                &empty_flag,
                &unknown_table,
                &bad_sql,
                &write_only,
                &management,
                &unknown_token,
                &unknown_database,
            ]
        )
    );
}

#[test]
fn system_tables_and_perf_debug() {
    let setup = Setup::start();
    let ctl = setup.ctl();

    // --enable-system-tables sends iox-debug; the token never reaches the log.
    let traced = ctl
        .run(&[
            "--trace",
            "query",
            "--enable-system-tables",
            "SELECT 1 AS one",
        ])
        .success()
        .stderr_has("> iox-debug: true")
        .stderr_has("> authorization: Bearer [REDACTED]")
        .stderr_has("/arrow.flight.protocol.FlightService/DoGet -> 200");
    assert!(
        !traced.stderr.contains(&setup.read_token[10..]),
        "{}",
        traced.transcript()
    );
    // The system tables are there with the flag, and only with it.
    let logged = ctl
        .run(&[
            "query",
            "--enable-system-tables",
            "--format",
            "json",
            "SELECT query_text, success FROM system.queries WHERE query_text = 'SELECT 1 AS one'",
        ])
        .success()
        .json();
    assert_eq!(
        logged,
        serde_json::json!([{"query_text": "SELECT 1 AS one", "success": true}])
    );
    ctl.run(&["query", "SELECT * FROM system.queries"])
        .failure()
        .stderr_has("--enable-system-tables");
    ctl.run(&["--debug", "query", "SELECT 1 AS one"])
        .success()
        .stderr_has("querying database \"db\" at http://")
        .stderr_has("1 rows in 1 record batches");

    // --perf-debug shows figures instead of rows.
    let perf = ctl
        .run(&["query", "--perf-debug", ALL_ROWS])
        .success()
        .stdout_has("| Metric          | Value")
        .stdout_has("| Client Duration | ")
        .stdout_has("| Output Rows     | 4 ")
        .stdout_has("| Output Size     | ");
    assert!(!perf.stdout.contains("Kitchen"), "{}", perf.transcript());
    let perf_json = ctl
        .run(&["query", "--perf-debug", "--format", "json", ALL_ROWS])
        .success();
    let figures = perf_json.json();
    assert_eq!(figures["output_rows"], 4);
    assert!(figures["output_bytes"].as_u64().unwrap() > 0);
    assert!(figures["client_duration_secs"].as_f64().unwrap() > 0.0);
}

#[test]
fn an_unreachable_server() {
    let port = free_port();
    let ctl = Ctl::new();
    unreachable_profile(&ctl, port);
    let out = ctl
        .run(&["query", "SELECT 1"])
        .failure()
        .stderr_has(&format!("cannot connect to http://127.0.0.1:{port}"))
        .stderr_has("check host and port of profile \"default\"");
    snap!("unreachable", shown(&ctl, &[&out]));
}

#[test]
fn a_silent_server_times_out_within_the_timeout() {
    let (listener, port) = silent_port();
    let ctl = Ctl::new();
    unreachable_profile(&ctl, port);
    // The command's own --timeout, in seconds, wins over the global one.
    let (own, elapsed) =
        ctl.fail_timed(&["--timeout", "1m", "query", "--timeout", "1", "SELECT 1"]);
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    let own = own.stderr_has(&format!("no answer from http://127.0.0.1:{port} within 1s"));
    // Without it, a global --timeout applies.
    let (global, elapsed) = ctl.fail_timed(&["--timeout", "1s", "query", "SELECT 1"]);
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    global.stderr_has("within 1s");
    snap!("timeout", own.transcript());
    drop(listener);
}

#[test]
fn over_tls() {
    // `_dir` keeps the certificate files until the end.
    let TlsServer {
        server,
        dir: _dir,
        cert_path,
        key_path,
    } = TlsServer::start();
    let token = server.bootstrap_token();
    let (_, port) = host_port(&server);
    let ctl = Ctl::new();
    let write = |tls: &str| {
        ctl.write_config(&format!(
            "[[profile]]\n  name = \"default\"\n  product = \"clustered\"\n  host = \"localhost\"\n  port = \"{port}\"\n  mgmt_token = \"{token}\"\n  database = \"db\"\n  [profile.tls]\n{tls}\n"
        ))
    };
    write(&format!("    ca = \"{}\"", cert_path.display()));
    ctl.run(&["database", "create", "db"]).success();
    let reader = ctl
        .run(&["token", "create", "--read-database", "db", "reader"])
        .success()
        .last_line();
    let query = ["query", "--token", &reader, "SELECT 1 AS one"];

    // The server's CA, given as [profile.tls] ca: verified TLS.
    ctl.run(&query).success().stdout_has("|     1 |");
    // insecure skips verification, with a warning.
    write("    insecure = true");
    ctl.run(&query)
        .success()
        .stderr_has("certificate is not verified");
    // Without either the certificate is not trusted, and the error says what to set.
    write("");
    ctl.run(&query)
        .failure()
        .stderr_has(&format!(
            "TLS handshake with https://localhost:{port} failed"
        ))
        .stderr_has("[profile.tls] ca");
    // Cleartext HTTP/2 to a TLS server fails, within the timeout.
    write("    disable = true");
    ctl.run(&["query", "--timeout", "5", "--token", &reader, "SELECT 1"])
        .failure()
        .stderr_has(&format!("http://localhost:{port}"));
    // A client certificate and key are loaded (the server does not ask for one).
    write(&format!(
        "    ca = \"{}\"\n    cert = \"{}\"\n    key = \"{}\"",
        cert_path.display(),
        cert_path.display(),
        key_path.display()
    ));
    ctl.run(&query).success();
}

#[test]
fn help() {
    let ctl = Ctl::new();
    let help = ctl.run(&["query", "--help"]).success();
    snap!("help", help.transcript());
}
