//! `stratactl write`: line protocol from the argument, a file and standard input, batches,
//! and every way a write can fail. A write is shown to have arrived by a second write that
//! conflicts with the first one's column type (the server names the column) and by the
//! server's write counters in `/metrics`; `query.rs` reads written rows back.

use std::time::Duration;

use crate::common::{
    Ctl, Env, free_port, run_stdin, silent_port, transcripts, unreachable_profile,
};
use crate::harness::Server;

/// A server with database `db`, a token that may write it and one that may only read it.
struct Setup {
    env: Env,
    write_token: String,
    read_token: String,
}

impl Setup {
    fn start() -> Self {
        Self::on(Env::start())
    }

    fn on(env: Env) -> Self {
        env.ok(&["database", "create", "db"]);
        let write_token = env
            .ok(&["token", "create", "--write-database", "db", "writer"])
            .last_line();
        let read_token = env
            .ok(&["token", "create", "--read-database", "db", "reader"])
            .last_line();
        assert!(write_token.starts_with("strata_db_"), "{write_token}");
        Self {
            env,
            write_token,
            read_token,
        }
    }

    /// The `default` profile with `database = "db"` and the write token.
    fn writing_profile(&self) {
        self.env.profile(&format!(
            "  database = \"db\"\n  token = \"{}\"",
            self.write_token
        ));
    }

    fn ctl(&self) -> &Ctl {
        &self.env.ctl
    }
}

/// Asserts that column `column` of `table` exists with another type than a string: a
/// string write to it is refused with a schema conflict naming it.
#[track_caller]
fn assert_column_exists(ctl: &Ctl, table: &str, column: &str) {
    let line = format!("{table} {column}=\"conflicting string\"");
    ctl.run(&["write", &line])
        .failure()
        .stderr_has("schema conflict")
        .stderr_has(&format!("column \"{column}\" of table \"{table}\""));
}

/// The value of a counter in the server's `/metrics` whose labels include all of `labels`.
fn counter(server: &Server, name: &str, labels: &[&str]) -> u64 {
    let text = crate::common::block_on(server.metrics());
    text.lines()
        .filter(|line| line.starts_with(&format!("{name}{{")))
        .filter(|line| labels.iter().all(|label| line.contains(label)))
        .map(|line| line.rsplit(' ').next().unwrap().parse::<f64>().unwrap() as u64)
        .sum()
}

fn write_requests(server: &Server, status: &str) -> u64 {
    counter(
        server,
        "strata_http_requests_total",
        &[r#"route="/api/v2/write""#, &format!(r#"status="{status}""#)],
    )
}

fn lines_written(server: &Server) -> u64 {
    counter(
        server,
        "strata_write_lines_total",
        &[r#"outcome="written""#],
    )
}

#[test]
fn writes_the_argument_a_file_and_standard_input() {
    let setup = Setup::start();
    setup.writing_profile();
    let ctl = setup.ctl();

    // Line protocol as the argument: silent success.
    let literal = ctl
        .run(&["write", "cpu,host=a usage=0.5 1700000000000000000"])
        .success();
    assert_eq!(literal.stdout, "");
    assert_eq!(literal.stderr, "");
    assert_column_exists(ctl, "cpu", "usage");

    // A file, with a blank line, a comment and CRLF line ends.
    let file = ctl.write_file(
        "data.lp",
        "# memory\r\nmem,host=a free=1i 1700000000\r\n\r\nmem,host=b free=2i 1700000001\r\n",
    );
    let from_file = ctl
        .run(&["write", "--precision", "s", file.to_str().unwrap()])
        .success();
    assert_eq!(from_file.stdout, "");
    assert_eq!(from_file.stderr, "");
    assert_column_exists(ctl, "mem", "free");

    // Standard input.
    let from_stdin = run_stdin(
        ctl,
        &["write", "-"],
        "disk,host=a used=3u\ndisk,host=b used=4u\n",
    )
    .success();
    assert_eq!(from_stdin.stdout, "");
    assert_eq!(from_stdin.stderr, "");
    assert_column_exists(ctl, "disk", "used");

    // 1 + 2 + 2 lines written, by three requests; the conflicting writes wrote nothing.
    assert_eq!(lines_written(&setup.env.server), 5);
    assert_eq!(write_requests(&setup.env.server, "204"), 3);
}

#[test]
fn flags_give_and_override_the_database_and_the_token() {
    let setup = Setup::start();
    let ctl = setup.ctl();
    let token = setup.write_token.as_str();

    // A profile without database and token keys: the flags give them.
    setup.env.profile("");
    ctl.run(&[
        "write",
        "--database",
        "db",
        "--token",
        token,
        "net bytes=1i",
    ])
    .success();
    // Go-style spellings work too.
    ctl.run(&["write", "-database=db", "-token", token, "net bytes=2i"])
        .success();

    // The profile names another database and a read-only token: the flags win.
    setup.env.profile(&format!(
        "  database = \"nope\"\n  token = \"{}\"",
        setup.read_token
    ));
    ctl.run(&[
        "write",
        "--database",
        "db",
        "--token",
        token,
        "net bytes=3i",
    ])
    .success();
    // Without the flags the profile's values are used, and refused.
    ctl.run(&["write", "net bytes=4i"])
        .failure()
        .stderr_has("may not write database \"nope\"")
        .stderr_has("the token of profile \"default\"");

    assert_eq!(lines_written(&setup.env.server), 3);
    ctl.run(&[
        "write",
        "--database",
        "db",
        "--token",
        token,
        "net bytes=\"x\"",
    ])
    .failure()
    .stderr_has("column \"bytes\" of table \"net\"");
}

#[test]
fn batches_of_batch_size_lines() {
    let setup = Setup::start();
    setup.writing_profile();
    let ctl = setup.ctl();
    let server = &setup.env.server;
    let lines: String = (1..=5)
        .map(|i| format!("load,host=h{i} value={i}i\n"))
        .collect();
    let file = ctl.write_file("five.lp", &lines);
    let out = ctl
        .run(&[
            "--debug",
            "write",
            "--batch-size",
            "2",
            file.to_str().unwrap(),
        ])
        .success()
        .stderr_has("wrote input lines 1-2 (2 lines,")
        .stderr_has("wrote input lines 3-4 (2 lines,")
        .stderr_has("wrote input line 5 (1 line,")
        .stderr_has("wrote 5 lines to database \"db\" in 3 requests");
    assert_eq!(out.stdout, "");
    assert_eq!(write_requests(server, "204"), 3);
    assert_eq!(lines_written(server), 5);

    // The default batch size sends them in one request.
    ctl.run(&["write", file.to_str().unwrap()]).success();
    assert_eq!(write_requests(server, "204"), 4);
    assert_eq!(lines_written(server), 10);
}

#[test]
fn a_refused_batch_stops_the_write_and_says_what_was_written() {
    let setup = Setup::start();
    setup.writing_profile();
    let ctl = setup.ctl();
    let server = &setup.env.server;
    // Input line 6 is bad; with two lines a batch, input lines 1-3 (two lines and a
    // comment) are written, and the batch of input lines 5-6 is refused.
    let file = ctl.write_file(
        "bad.lp",
        "m,host=a v=1i\n# a comment\nm,host=b v=2i\n\nm,host=c v=3i\nm,host=d v=\nm,host=e v=5i\n",
    );
    let refused = ctl
        .run(&["write", "--batch-size", "2", file.to_str().unwrap()])
        .failure()
        .stderr_has("writing input lines 5-6 to database \"db\" failed")
        .stderr_has("\nline 6: ")
        .stderr_has("Input lines 1-3 were written; line 5 and the rest of the input were not.");
    assert_eq!(lines_written(server), 2);
    assert_eq!(write_requests(server, "204"), 1);
    assert_eq!(write_requests(server, "400"), 1);
    snap!("refused_batch", ctl.hide_home(&refused.transcript()));
}

#[test]
fn write_errors() {
    let setup = Setup::start();
    let ctl = setup.ctl();
    let server = &setup.env.server;
    let token = setup.write_token.as_str();

    // Nothing to write with: no database, no token.
    setup.env.profile("");
    let no_database = ctl
        .run(&["write", "--token", token, "m v=1i"])
        .failure()
        .stderr_has("pass --database")
        .stderr_has("set database = ");
    let no_token = ctl
        .run(&["write", "--database", "db", "m v=1i"])
        .failure()
        .stderr_has("pass --token")
        .stderr_has("set token = ");

    setup.writing_profile();
    // Usage errors, found before anything is sent.
    let precision = ctl
        .run(&["write", "--precision", "m", "m v=1i"])
        .failure()
        .stderr_has("[possible values: ns, us, ms, s]");
    let batch_size = ctl
        .run(&["write", "--batch-size", "0", "m v=1i"])
        .failure()
        .stderr_has("at least 1");
    let no_file = ctl
        .run(&["write", "missing.lp"])
        .failure()
        .stderr_has("cannot read file missing.lp");
    let empty = run_stdin(ctl, &["write", "-"], "\n# nothing\n")
        .failure()
        .stderr_has("nothing to write");
    assert_eq!(write_requests(server, "204"), 0);

    // Refusals, with the server's message.
    let bad_line = ctl
        .run(&["write", "m v=1i\n\nm v=oops"])
        .failure()
        .stderr_has("HTTP 400")
        .stderr_has("\nline 3: ");
    let any = setup
        .env
        .ok(&["token", "create", "--write-database", "*", "any"])
        .last_line();
    let unknown = ctl
        .run(&["write", "--token", &any, "--database", "nope", "m v=1i"])
        .failure()
        .stderr_has("database \"nope\" not found")
        .stderr_has("HTTP 404");
    let read_only = ctl
        .run(&["write", "--token", &setup.read_token, "m v=1i"])
        .failure()
        .stderr_has("may not write database \"db\"")
        .stderr_has("HTTP 403");
    let management = ctl
        .run(&["write", "--token", &setup.env.token, "m v=1i"])
        .failure()
        .stderr_has("management tokens cannot read or write data")
        .stderr_has("HTTP 403");
    let unknown_token = ctl
        .run(&[
            "write",
            "--token",
            "strata_db_0000000000000000000000000000000000000000000000000",
            "m v=1i",
        ])
        .failure()
        .stderr_has("HTTP 401");
    assert_eq!(lines_written(server), 0);
    snap!(
        "write_errors",
        ctl.hide_home(&transcripts(&[
            &no_database,
            &no_token,
            &precision,
            &batch_size,
            &no_file,
            &empty,
            &bad_line,
            &unknown,
            &read_only,
            &management,
            &unknown_token,
        ]))
    );
}

#[test]
fn an_unreachable_server() {
    let port = free_port();
    let ctl = Ctl::new();
    // No product: writes do not need one.
    unreachable_profile(&ctl, port);
    let out = ctl
        .run(&["write", "m v=1i"])
        .failure()
        .stderr_has(&format!("cannot connect to http://127.0.0.1:{port}"))
        .stderr_has("Nothing was written.");
    snap!("unreachable", ctl.hide_home(&out.transcript()));
}

#[test]
fn a_silent_server_times_out_within_the_timeout() {
    let (listener, port) = silent_port();
    let ctl = Ctl::new();
    unreachable_profile(&ctl, port);
    // The command's own --timeout, in seconds, wins over the global one.
    let (own, elapsed) = ctl.fail_timed(&["--timeout", "1m", "write", "--timeout", "1", "m v=1i"]);
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    let own = own
        .stderr_has(&format!("no answer from http://127.0.0.1:{port} within 1s"))
        .stderr_has("may or may not have been written");
    // Without it, a global --timeout applies.
    let (global, elapsed) = ctl.fail_timed(&["--timeout", "1s", "write", "m v=1i"]);
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    global.stderr_has("within 1s");
    snap!("timeout", own.transcript());
    drop(listener);
}

#[test]
fn help() {
    let ctl = Ctl::new();
    let help = ctl.run(&["write", "--help"]).success();
    snap!("help", help.transcript());
}

#[test]
fn a_write_the_server_asks_to_retry_is_sent_again_until_it_is_written() {
    // Every write leaves the buffer full; it is persisted every 6 s and a write waits at most
    // 1 s for space, so a write soon after another is answered 503 with Retry-After.
    let server = Server::builder()
        .arg("--max-buffer-bytes")
        .arg("1")
        .arg("--persist-buffer-bytes")
        .arg("1073741824")
        .arg("--persist-interval")
        .arg("6s")
        .arg("--write-wait")
        .arg("1s")
        .start();
    let setup = Setup::on(Env::on(server));
    setup.writing_profile();
    let (ctl, server) = (setup.ctl(), &setup.env.server);
    let persisted = || server.logs().matches("persisted buffered rows").count();

    // Right after a persistence, one write fills the buffer for the seconds to the next.
    let before = persisted();
    ctl.run(&["write", "warmup v=1"]).success();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while persisted() == before {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing was persisted"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    ctl.run(&["write", "fill v=1"]).success();
    let out = ctl.run(&["write", "cpu,host=a usage=0.5"]).success();
    assert_eq!(out.stderr, "");
    assert!(
        write_requests(server, "503") >= 1,
        "the write was refused at first"
    );
    assert_eq!(lines_written(server), 3, "and then written");
}
