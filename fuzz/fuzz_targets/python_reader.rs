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

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((source, question)) = graft_fuzz::split_nul(data) else {
        return;
    };
    graft_fuzz::on_server_stack(|| match engine::parse_program(source, question) {
        Ok(g) => {
            if question.is_some() {
                assert_eq!(g.question(), question, "the question is the one given");
            }
            graft_fuzz::emit_graph(&g);
            graft_fuzz::check_graph(&g);
            graft_fuzz::check_print_round_trip(&g);
        }
        Err(e) => {
            assert!(!e.category().is_empty() && !e.to_string().is_empty());
        }
    });
});
