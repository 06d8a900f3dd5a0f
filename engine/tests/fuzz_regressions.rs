//! Every input the fuzz targets (fuzz/, run by `scripts/fuzz`) found crashing or breaking an
//! invariant, replayed through the very same target code: `fuzz/src/targets.rs` and the checks
//! in `fuzz/src/checks.rs` are compiled into this test. The inputs are files under
//! `fuzz_regressions/<target>/`, named for what they found.
//!
//! Findings not fixed yet wait in `fuzz_regressions/open/<target>/`, replayed by the ignored
//! test `open_findings`; a fix moves the file up into `fuzz_regressions/<target>/`.
//! `cargo test -p engine --test fuzz_regressions -- --ignored` runs those and also replays the
//! whole committed fuzz corpus (`fuzz/corpus/<target>/`).

#[allow(dead_code)]
#[path = "../../fuzz/src/checks.rs"]
mod checks;
#[allow(dead_code)]
#[path = "../../fuzz/src/targets.rs"]
mod targets;

use std::path::{Path, PathBuf};

/// Runs every file in `dir` through `target`, naming each one that fails.
fn replay(dir: &Path, target: fn(&[u8])) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    let mut failed = Vec::new();
    for f in &files {
        let data = std::fs::read(f).expect("a regression input reads");
        if std::panic::catch_unwind(|| target(&data)).is_err() {
            failed.push(f.display().to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "fuzz inputs that fail again: {failed:#?}"
    );
    files.len()
}

/// The saved crashes of `target` (under `open/` when `open`).
fn regressions(name: &str, target: fn(&[u8]), open: bool) {
    let mut dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    if open {
        dir.push("open");
    }
    replay(&dir.join(name), target);
}

/// The whole committed corpus of `target`.
fn corpus(name: &str, target: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(name);
    let n = replay(&dir, target);
    assert!(n > 0, "no corpus in {}", dir.display());
}

#[test]
fn python_reader() {
    regressions("python_reader", targets::python_reader, false);
}

#[test]
fn gsm8k_reader() {
    regressions("gsm8k_reader", targets::gsm8k_reader, false);
}

#[test]
fn problem_row() {
    regressions("problem_row", targets::problem_row, false);
}

#[test]
fn words_row() {
    regressions("words_row", targets::words_row, false);
}

#[test]
fn graph_json() {
    regressions("graph_json", targets::graph_json, false);
}

#[test]
fn interventions() {
    regressions("interventions", targets::interventions, false);
}

#[test]
#[ignore = "findings not fixed yet (see fuzz_regressions/open/)"]
fn open_findings() {
    regressions("python_reader", targets::python_reader, true);
    regressions("gsm8k_reader", targets::gsm8k_reader, true);
    regressions("problem_row", targets::problem_row, true);
    regressions("words_row", targets::words_row, true);
    regressions("graph_json", targets::graph_json, true);
    regressions("interventions", targets::interventions, true);
}

#[test]
#[ignore = "replays the whole fuzz corpus (slow in a debug build)"]
fn whole_corpus() {
    corpus("python_reader", targets::python_reader);
    corpus("gsm8k_reader", targets::gsm8k_reader);
    corpus("problem_row", targets::problem_row);
    corpus("words_row", targets::words_row);
    corpus("graph_json", targets::graph_json);
    corpus("interventions", targets::interventions);
}
