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

use engine::gsm8k;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((first, second)) = graft_fuzz::split_nul(data) else {
        return;
    };
    let (question, answer) = match second {
        Some(answer) => (first, answer),
        None => ("", first),
    };
    graft_fuzz::on_server_stack(|| match gsm8k::extract(question, answer) {
        Ok(ex) => {
            assert_eq!(
                ex.graph.answer_value(),
                ex.expected,
                "the graph's answer is not the #### value"
            );
            assert_eq!(gsm8k::final_answer(answer), Some(ex.expected));
            assert_eq!(ex.graph.question(), Some(question));
            graft_fuzz::emit_graph(&ex.graph);
            graft_fuzz::check_graph(&ex.graph);
            graft_fuzz::check_print_round_trip(&ex.graph);
        }
        Err(e) => {
            assert!(!e.category.as_str().is_empty() && !e.detail.is_empty());
        }
    });
});
