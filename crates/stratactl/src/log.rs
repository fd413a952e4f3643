//! Log lines on stderr in influxctl's console style, `LEVEL<TAB>message`. Warnings always
//! show; `--debug` adds debug lines and `--trace` adds HTTP headers and bodies. Nothing
//! logged ever holds a secret: HTTP details come from the client already redacted.

use std::sync::atomic::{AtomicU8, Ordering};

static LEVEL: AtomicU8 = AtomicU8::new(0);

const DEBUG: u8 = 1;
const TRACE: u8 = 2;

pub fn init(debug: bool, trace: bool) {
    let level = if trace {
        TRACE
    } else if debug {
        DEBUG
    } else {
        0
    };
    LEVEL.store(level, Ordering::Relaxed);
}

pub fn debug_enabled() -> bool {
    LEVEL.load(Ordering::Relaxed) >= DEBUG
}

pub fn trace_enabled() -> bool {
    LEVEL.load(Ordering::Relaxed) >= TRACE
}

pub fn write(level: &str, message: &str) {
    for line in message.lines() {
        eprintln!("{level}\t{line}");
    }
}

macro_rules! warning {
    ($($arg:tt)*) => {
        $crate::log::write("warn", &format!($($arg)*))
    };
}

macro_rules! debug {
    ($($arg:tt)*) => {
        if $crate::log::debug_enabled() {
            $crate::log::write("debug", &format!($($arg)*))
        }
    };
}

macro_rules! trace {
    ($($arg:tt)*) => {
        if $crate::log::trace_enabled() {
            $crate::log::write("trace", &format!($($arg)*))
        }
    };
}

pub(crate) use {debug, trace, warning};
