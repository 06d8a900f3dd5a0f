//! Fuzz target: the Python reader, `engine::parse_program(source, question)`.
//!
//! Input: UTF-8 text, the program; after a NUL byte, the question (no question without one).
//! Runs on the stack of a server worker (2 MiB), so recursion the server cannot afford
//! crashes here too.
//!
//! Checks, beyond "no panic, no overflow, no hang":
//! - a refusal is an error with a category and a message;
//! - for a program that parses, `parse_program(to_python(g), question)` gives the same graph
//!   (names, kinds, operands, values, order, answer);
//! - the graph keeps every invariant of `graft_fuzz::check_graph` (values are what evaluation
//!   gives, JSON round trip, metrics, layout, mentions).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| graft_fuzz::targets::python_reader(data));
