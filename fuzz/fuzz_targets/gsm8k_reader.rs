//! Fuzz target: the GSM8K reader, `engine::gsm8k::extract(question, answer)`.
//!
//! Input: UTF-8 text, the question, then a NUL byte, then the answer (with calculator
//! annotations and a `#### value` line); without a NUL the whole input is the answer and the
//! question is empty. Runs on the stack of a server worker (2 MiB).
//!
//! Checks, beyond "no panic, no overflow, no hang":
//! - an extracted graph's answer equals the `####` value (`final_answer`), and its question is
//!   the one given;
//! - printing the graph as Python and reading it back gives the same graph;
//! - the graph keeps every invariant of `graft_fuzz::check_graph`;
//! - a refusal has a category and a message.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| graft_fuzz::targets::gsm8k_reader(data));
