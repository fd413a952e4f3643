//! Confirmation prompts of destructive commands. The question goes to stderr and the
//! answer comes from stdin; only `y` (or `yes`) goes ahead. `--force` skips the prompt. When
//! stdin is not a terminal and `--force` is not given, the command refuses instead of
//! waiting for an answer that will not come.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::bail;

/// Whether `what` may go ahead without asking, or can be asked about at all.
pub fn check_can_ask(force: bool, what: &str) -> anyhow::Result<()> {
    if force || std::io::stdin().is_terminal() {
        return Ok(());
    }
    bail!(
        "refusing to {what} without confirmation: standard input is not a terminal, so the prompt cannot be answered; pass --force to go ahead without asking"
    )
}

/// Asks `question`; true only for `y`/`yes`. Always true with `force`.
pub fn confirm(force: bool, question: &str) -> anyhow::Result<bool> {
    if force {
        return Ok(true);
    }
    let mut stderr = std::io::stderr();
    write!(stderr, "{question} (y/N): ")?;
    stderr.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
