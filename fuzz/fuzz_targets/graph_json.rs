//! Fuzz target: a graph as JSON (what the store keeps, exports carry and the API returns),
//! read with `serde_json::from_str::<engine::Graph>`, then used.
//!
//! Input: UTF-8 text, one JSON graph. Runs on the stack of a server worker (2 MiB).
//!
//! Checks, for every graph that reads:
//! - every invariant of `graft_fuzz::check_graph`: stored values are what evaluation gives,
//!   JSON gives the same graph back (a fixed point), metrics agree with depth and levels, the
//!   layout places every node and edge, mentions cut the question cleanly;
//! - when every node name is a distinct normal identifier, the printed program
//!   (`engine::to_python`) reads back as an equivalent graph (every name with its
//! value, the same answer; operand lists may come back normalized) and prints the same;
//! - a seeded draw of the sampler either fails with an error or gives a graph whose values are
//!   the evaluation's and whose answer is the one its diff records.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| graft_fuzz::targets::graph_json(data));
