//! `strata`: `strata serve` runs a node; `strata admin` works on a catalog offline, for
//! bootstrap, infrastructure as code and disaster recovery.

mod admin;
mod config;
mod serve;

use clap::{Parser, Subcommand};

/// Arrow's buffers are large and short-lived and come from many threads at once; glibc's
/// allocator keeps an arena per thread and gives little of them back, so a node under
/// sustained writes held far more than it used. jemalloc returns freed memory.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read before `main`. By default it keeps freed pages for ten seconds
/// before giving them back, per arena; a node that persists a generation of the buffer every
/// few seconds then holds several generations' worth of freed pages. A background thread
/// gives them back after one second instead. (`MALLOC_CONF`'s place in jemalloc's prefixed
/// build; a C string, so a reference to its first byte.)
#[allow(unsafe_code)] // A static that jemalloc reads by name; nothing else touches it.
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: &u8 = &b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0\0"[0];

/// Everything this process creates (catalog, WAL, keys, pepper, objects) is its user's alone:
/// files 0600, directories 0700.
#[allow(unsafe_code)]
fn private_files() {
    // SAFETY: umask only sets this process's file mode mask; it cannot fail and touches no
    // memory. It runs first, before any thread exists.
    unsafe {
        libc::umask(0o077);
    }
}

#[derive(Parser)]
#[command(
    name = "strata",
    version,
    about = "Strata: a clustered time-series database"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a node: the Management API and data API on one port.
    Serve(Box<serve::ServeArgs>),
    /// Work on the catalog directly, without a running server.
    Admin(Box<admin::AdminArgs>),
}

/// The stack of every runtime thread. Our own walks over a query's expressions grow their
/// stack as they need (`recursive`), but DataFusion's printing, cloning and dropping of an
/// expression recurse without such care, and an InfluxQL condition may be 1,000 levels deep
/// (more than the default 2 MiB holds in a debug build). It is address space: only the pages
/// a thread touches take memory.
const THREAD_STACK_BYTES: usize = 32 << 20;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    private_files();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(THREAD_STACK_BYTES)
        .build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(*args).await,
            Command::Admin(args) => admin::run(*args).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
