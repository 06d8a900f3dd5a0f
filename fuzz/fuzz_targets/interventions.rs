//! Fuzz target: intervention lists (what a saved variant, a lineage or an API request
//! carries), read as JSON `Vec<engine::intervene::Intervention>` and applied one by one to
//! two small fixed problems: a GSM8K problem (inputs and steps) and a Python program (inputs,
//! a constant, a branch with a threshold, a call).
//!
//! Input: UTF-8 text, one JSON list (at most `MAX_INTERVENTIONS` = 256 are applied). Runs on
//! the stack of a server worker (2 MiB).
//!
//! Checks, beyond "no panic, no overflow, no hang":
//! - a refused intervention leaves the graph exactly as it was;
//! - an accepted one: its diff records the answer and depth before and after, each change's
//!   old and new value, nodes it added; `intervene` on a copy gives the same graph and diff;
//!   the result re-evaluates to its recorded answer (`verdict::execution` passes);
//! - the accepted list replays (`curriculum::regenerate`) to the same graph, which prints
//!   and reads back as itself and keeps every invariant of `graft_fuzz::check_graph`;
//! - the offline verbalizer and the consistency check run on it without panicking;
//! - a short curriculum (2 rounds, seeded by the input length) grown from the result gives variants
//!   that regenerate exactly from their lineage, with their recorded answer and metrics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| graft_fuzz::targets::interventions(data));
