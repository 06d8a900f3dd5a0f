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
//!   (`engine::to_python`) reads back as the same graph;
//! - a seeded draw of the sampler either fails with an error or gives a graph whose values are
//!   the evaluation's and whose answer is the one its diff records.
#![no_main]

use engine::constraints::Constraints;
use engine::sample::{sample, SampleConfig};
use engine::Graph;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    graft_fuzz::on_server_stack(|| {
        let Ok(g) = serde_json::from_str::<Graph>(text) else {
            return;
        };
        graft_fuzz::check_graph(&g);
        if graft_fuzz::printable_names(&g) {
            graft_fuzz::check_print_round_trip(&g);
        }
        let cfg = SampleConfig {
            max_draws: 16,
            ..SampleConfig::default()
        };
        if let Ok(s) = sample(&g, &cfg, &Constraints::none(), data.len() as u64) {
            assert_eq!(s.diff.answer.1, s.graph.answer_value());
            let mut again = s.graph.clone();
            again.evaluate_all().expect("a sampled graph evaluates");
            assert!(again.same_as(&s.graph), "a sampled graph's values are stale");
        }
    });
});
