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
    /// Print one JSON object as the last line: {"total", "extracted", "answer_matches",
    /// "failures", "flawed"}.
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
    /// Rows that extract to their answer but whose own solution is flawed (README: "Flawed
    /// originals"), by the kind of their first flaw (`negative`, `fractional_count`,
    /// `past_cents`): `graft generate` leaves these out.
    pub flawed: BTreeMap<String, usize>,
}

/// What one row came to.
enum Outcome {
    /// A graph whose answer is the stated one (or none is stated), with its first flaw's
    /// kind and message when its own solution is flawed.
    Matches(Option<(&'static str, String)>),
    /// A graph with another answer than the row states: why.
    Mismatch(String),
    /// No graph: the category and why.
    Failed(String, String),
    /// The engine panicked (a bug).
    Panic(String),
}

/// Runs `graft extract`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let rows = read_problems(args.input.as_deref())?;
    let bar = super::progress(rows.total as u64, "extracting");
    let mut summary = Summary::default();
    let mut examples: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut flawed_examples: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut fail = |category: &str, line: usize, detail: String| {
        *summary.failures.entry(category.to_string()).or_default() += 1;
        let ex = examples.entry(category.to_string()).or_default();
        if ex.len() < args.examples {
            ex.push(format!("line {line}: {detail}"));
        }
    };
    // Rows are extracted on every core and counted in the file's order.
    super::in_order(
        rows,
        super::threads(),
        |row| -> Outcome {
            let problem = match row.problem() {
                Ok(p) => p,
                Err(e) => return Outcome::Failed("malformed_row".into(), e.to_string()),
            };
            match super::guarded(|| extract(&problem)) {
                Err(panic) => Outcome::Panic(panic),
                Ok(Ok(ex)) => match ex.answer_matches {
                    Some(true) | None => Outcome::Matches(
                        engine::flaws::flaws(&ex.graph)
                            .into_iter()
                            .next()
                            .map(|f| (f.kind.as_str(), f.message)),
                    ),
                    Some(false) => Outcome::Mismatch(format!(
                        "graph gives {}, the row states {}",
                        ex.graph.answer_value(),
                        ex.expected.map(|e| e.to_string()).unwrap_or_default()
                    )),
                },
                Ok(Err(f)) => Outcome::Failed(f.category.clone(), f.to_string()),
            }
        },
        |row, outcome| {
            bar.inc(1);
            summary.total += 1;
            match outcome {
                Outcome::Matches(flaw) => {
                    summary.extracted += 1;
                    summary.answer_matches += 1;
                    if let Some((kind, message)) = flaw {
                        *summary.flawed.entry(kind.to_string()).or_default() += 1;
                        let ex = flawed_examples.entry(kind).or_default();
                        if ex.len() < args.examples {
                            ex.push(format!("line {}: {message}", row.line));
                        }
                    }
                }
                Outcome::Mismatch(detail) => {
                    summary.extracted += 1;
                    fail("answer_mismatch", row.line, detail);
                }
                Outcome::Failed(category, detail) => fail(&category, row.line, detail),
                Outcome::Panic(panic) => {
                    bar.suspend(|| {
                        eprintln!(
                            "{}:{}: skipped: {panic}",
                            input_name(args.input.as_deref()),
                            row.line
                        )
                    });
                    fail("engine_panic", row.line, panic);
                }
            }
            Ok(())
        },
    )?;
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
    if !summary.flawed.is_empty() {
        println!(
            "  flawed originals: {} (their own solutions go below zero, count things \
             fractionally or pass whole cents; graft generate leaves them out unless \
             --keep-flawed)",
            summary.flawed.values().sum::<usize>()
        );
        for (kind, n) in &summary.flawed {
            println!("    {kind:<24} {n}");
            for ex in flawed_examples.get(kind.as_str()).into_iter().flatten() {
                println!("      {ex}");
            }
        }
    }
    if args.summary_json {
        println!("{}", serde_json::to_string(&summary)?);
    }
    Ok(())
}
