//! The hot path allocates nothing per line: a counting global allocator proves it.

// A global allocator is unsafe to implement; this one only forwards to the system's.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use strata_lp::{FieldValue, Parser};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn note() {
    if COUNTING.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A body of `lines` lines: plain and escaped names, every field type, small and large tag
/// and field sets (both duplicate-detection paths), comments, CRLF, a repeated field.
fn body(lines: usize) -> String {
    let mut s = String::from("# generated\n");
    for i in 0..lines {
        match i % 4 {
            0 => s.push_str(&format!(
                "cpu,host=server{},region=us-west usage_user={}.5,usage_idle=9{}i,up=t {}\n",
                i % 100,
                i,
                i,
                1_700_000_000_000_000_000i64 + i as i64
            )),
            1 => s.push_str(&format!(
                "disk\\ io,path=/var\\,log,dev\\=x=sd{} reads={}u,msg=\"say \\\"hi\\\"\" \r\n",
                i % 7,
                i
            )),
            2 => {
                s.push_str("mem,a=1,b=2,c=3,d=4,e=5 ");
                for f in 0..12 {
                    s.push_str(&format!("f{f}={f}i,"));
                }
                s.push_str(&format!("f3=33i {i}\n"));
            }
            _ => s.push_str(&format!("net bytes={i}\n\n")),
        }
    }
    s
}

/// Allocations made while parsing `body` to the end with a fresh parser.
fn allocations_parsing(body: &str) -> (usize, usize) {
    let mut parser = Parser::new(body.as_bytes());
    ALLOCATIONS.store(0, Ordering::Relaxed);
    COUNTING.with(|c| c.set(true));
    let mut lines = 0;
    let mut checksum = 0.0;
    while let Some(result) = parser.next_line() {
        let line = result.expect("valid body");
        lines += 1;
        for f in line.fields {
            if let FieldValue::Float(v) = f.value {
                checksum += v;
            }
        }
        checksum += line.tags.len() as f64;
        // Comparing and hashing texts does not allocate either.
        if line.measurement == "disk io" {
            checksum += line.tags[0].value.len() as f64;
        }
    }
    COUNTING.with(|c| c.set(false));
    assert!(checksum > 0.0);
    (lines, ALLOCATIONS.load(Ordering::Relaxed))
}

#[test]
fn parsing_allocates_nothing_per_line() {
    let small = body(1_000);
    let large = body(20_000);
    let (small_lines, small_allocs) = allocations_parsing(&small);
    let (large_lines, large_allocs) = allocations_parsing(&large);
    assert_eq!((small_lines, large_lines), (1_000, 20_000));
    // Only the reused buffers grow, a few times, whatever the number of lines.
    assert!(small_allocs <= 16, "{small_allocs} allocations");
    assert_eq!(small_allocs, large_allocs);
}
