//! Fuzz target: one JSONL row through the words path of `graft generate --verbalize`:
//! extraction, a 2-round curriculum (every quantity's name read from the question) and each
//! variant's offline text and worked solution.
//!
//! Input: UTF-8 text, one line (GSM8K `{question, answer}` or a program row `{code, ...}`).
//! Runs on the stack of a server worker (2 MiB).
//!
//! Checks, beyond "no panic, no overflow, no hang":
//! - every variant's text is non-empty, and the same when made again;
//! - its worked solution ends with its `####` answer line;
//! - a quantity's name reads the same twice.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| graft_fuzz::targets::words_row(data));
