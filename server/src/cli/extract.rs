//! `graft extract`: extraction coverage of a problem file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use engine::problem::extract;
use serde::Serialize;

use crate::jsonl::{input_name, read_problems};

/// Arguments of `graft extract`.
#[derive(clap::Args)]
pub struct Args {
    /// A JSONL file of GSM8K rows (`question`, `answer`) or program rows (`code`, …);
    /// the embedded demo set when left out.
    #[arg(long)]
    input: Option<PathBuf>,
    /// Print one JSON object as the last line: {"total", "extracted", "answer_matches", "failures"}.
    #[arg(long)]
    summary_json: bool,
    /// How many example failures to list per category.
    #[arg(long, default_value_t = 3)]
    examples: usize,
}

/// The machine-readable coverage summary.
#[derive(Serialize, Default)]
pub struct Summary {
    /// Rows read (blank lines excluded).
    pub total: usize,
    /// Rows that gave a graph.
    pub extracted: usize,
    /// Rows whose graph's answer equals the stated answer.
    pub answer_matches: usize,
    /// Failure counts by category (`malformed_row`, `answer_mismatch` included).
    pub failures: BTreeMap<String, usize>,
}

/// Runs `graft extract`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let rows = read_problems(args.input.as_deref())?;
    let bar = super::progress(rows.len() as u64, "extracting");
    let mut summary = Summary {
        total: rows.len(),
        ..Summary::default()
    };
    let mut examples: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut fail = |category: &str, line: usize, detail: String| {
        *summary.failures.entry(category.to_string()).or_default() += 1;
        let ex = examples.entry(category.to_string()).or_default();
        if ex.len() < args.examples {
            ex.push(format!("line {line}: {detail}"));
        }
    };
    for row in &rows {
        bar.inc(1);
        let problem = match &row.problem {
            Ok(p) => p,
            Err(e) => {
                fail("malformed_row", row.line, e.to_string());
                continue;
            }
        };
        let extracted = match super::guarded(|| extract(problem)) {
            Ok(extracted) => extracted,
            Err(panic) => {
                bar.suspend(|| {
                    eprintln!(
                        "{}:{}: skipped: {panic}",
                        input_name(args.input.as_deref()),
                        row.line
                    )
                });
                fail("engine_panic", row.line, panic);
                continue;
            }
        };
        match extracted {
            Ok(ex) => {
                summary.extracted += 1;
                match ex.answer_matches {
                    Some(true) | None => summary.answer_matches += 1,
                    Some(false) => fail(
                        "answer_mismatch",
                        row.line,
                        format!(
                            "graph gives {}, the row states {}",
                            ex.graph.answer_value(),
                            ex.expected.map(|e| e.to_string()).unwrap_or_default()
                        ),
                    ),
                }
            }
            Err(f) => fail(&f.category, row.line, f.to_string()),
        }
    }
    bar.finish_and_clear();
    let pct = |n: usize| 100.0 * n as f64 / summary.total.max(1) as f64;
    println!("{}", input_name(args.input.as_deref()));
    println!("  rows:            {}", summary.total);
    println!(
        "  extracted:       {} ({:.2}%)",
        summary.extracted,
        pct(summary.extracted)
    );
    println!(
        "  answer matches:  {} ({:.2}%)",
        summary.answer_matches,
        pct(summary.answer_matches)
    );
    if !summary.failures.is_empty() {
        println!("  failures by category:");
        let mut cats: Vec<_> = summary.failures.iter().collect();
        cats.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (cat, n) in cats {
            println!("    {cat:<24} {n}");
            for ex in examples.get(cat).into_iter().flatten() {
                println!("      {ex}");
            }
        }
    }
    if args.summary_json {
        println!("{}", serde_json::to_string(&summary)?);
    }
    Ok(())
}
