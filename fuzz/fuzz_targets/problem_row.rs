//! Fuzz target: one JSONL row, the whole path a row of `graft extract`, an import or a job
//! takes: `engine::problem::Problem::from_json(line)`, then `engine::problem::extract`.
//!
//! Input: UTF-8 text, one line (GSM8K `{question, answer}` or a program row `{code, ...}`).
//! Runs on the stack of a server worker (2 MiB).
//!
//! Checks, beyond "no panic, no overflow, no hang":
//! - a `Problem` survives its own JSON form unchanged (its float answer within 4 ulps);
//! - `extract` gives exactly what the reader it dispatches to gives (`gsm8k::extract` or
//!   `parse_program`), and a GSM8K row's graph matches its `####` answer;
//! - an extracted graph prints and reads back to the same graph, and keeps every invariant
//!   of `graft_fuzz::check_graph`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| graft_fuzz::targets::problem_row(data));
