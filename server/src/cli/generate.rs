//! `graft generate`: curricula of intervened variants, written as JSONL (or Parquet, by the
//! `.parquet` extension of `--out`: the `columnar` crate's fixed schema).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use engine::curriculum::{CurriculumConfig, Variant};
use engine::records::{self, Detail, Origin, VariantRecord};
use engine::Graph;
use serde::Serialize;

use crate::jsonl::{input_name, read_problems, source_id};

/// Arguments of `graft generate`.
#[derive(clap::Args)]
pub struct Args {
    /// A JSONL file of GSM8K rows (`question`, `answer`) or program rows (`code`, …);
    /// the embedded demo set when left out.
    #[arg(long)]
    input: Option<PathBuf>,
    /// Where to write the variants: JSONL, one variant per line; Parquet when the name ends
    /// in `.parquet` (the same variants in typed columns, `--format graft` only; README:
    /// "Output: Parquet").
    #[arg(long, default_value = "variants.jsonl")]
    out: PathBuf,
    /// Rounds per chain, 1 to 8: round r carries r grafts on the critical path.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=8))]
    rounds: u32,
    /// Independent chains per problem.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    per_problem: u32,
    /// The master seed; the same seed and input give the same output, byte for byte.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Only the first N problems of the file.
    #[arg(long)]
    limit: Option<usize>,
    /// Generate from flawed originals too: rows whose own solution reaches an amount below
    /// zero (where the problem gives none), a count of things that is not whole, or a money
    /// answer past whole cents. Left out by default: every variant of such a row carries the
    /// flaw (README: "Flawed originals").
    #[arg(long)]
    keep_flawed: bool,
    /// Add to each variant a negative example for process-reward training: the same steps
    /// with one step corrupted, the error propagated, and the first wrong step labelled.
    #[arg(long)]
    negatives: bool,
    /// Add each variant's solution steps (`steps`: each step's operands, value and
    /// worked-solution sentence); a lean record leaves them out (README: "Output:
    /// variants.jsonl").
    #[arg(long)]
    steps: bool,
    /// Write the full record: the lean one plus the steps and the variant's whole graph
    /// (`graph`, engine JSON), both of which a reader can rebuild from the source row and the
    /// operations.
    #[arg(long)]
    full: bool,
    /// Write each variant's problem text (`text`): by the model when one is configured
    /// (validated; else the offline text, with the reason), offline otherwise.
    #[arg(long)]
    verbalize: bool,
    /// Judge each variant (implies --verbalize): exact re-execution, text ↔ graph
    /// consistency, and the LLM judge when a model is configured (`verdict`).
    #[arg(long)]
    judge: bool,
    /// `graft` (the record: lineage, answers, metrics, program, …; see --full) or `gsm8k` (implies
    /// --verbalize): one GSM8K row per variant, `{question, answer, id, source_id, round,
    /// operations}`, where `question` is the variant's text and `answer` its worked solution
    /// (`<<a*b=c>>` annotations, `#### n`), ready for any GSM8K pipeline.
    #[arg(long, default_value = "graft", value_parser = ["graft", "gsm8k"])]
    format: String,
    /// The model endpoint for --verbalize and --judge.
    #[command(flatten)]
    llm: super::llm::LlmArgs,
}

impl Args {
    /// What each record holds beyond the lean fields (--steps, --full).
    fn detail(&self) -> Detail {
        if self.full {
            Detail::FULL
        } else {
            Detail {
                steps: self.steps,
                graph: false,
            }
        }
    }
}

/// One line of the output file: the engine's record, and the model calls made for it.
#[derive(Serialize)]
struct CliRecord<'a> {
    #[serde(flatten)]
    record: VariantRecord<'a>,
    /// Every model call made for this variant.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    llm_calls: Vec<llm::Exchange>,
}

/// The model part of `generate`: a runtime and a client, when words are asked for.
struct Words {
    runtime: tokio::runtime::Runtime,
    client: Option<llm::Client>,
    budget: llm::Budget,
    judge: bool,
}

/// What --verbalize / --judge add to a record.
struct Written {
    text: String,
    /// The model's worked solution, when it wrote one that re-extracts to the answer.
    solution: Option<String>,
    source: &'static str,
    fallback: Option<String>,
    verdict: Option<engine::verdict::Verdict>,
    calls: Vec<llm::Exchange>,
}

impl Words {
    fn run(&self, original: &Graph, v: &Variant) -> anyhow::Result<Written> {
        let model = self.client.as_ref().map(|c| (c, &self.budget));
        self.runtime.block_on(async {
            let run = llm::verbalize::verbalize(model, original, &v.operations, 2).await;
            let mut calls = run.exchanges;
            let t = run.result.context("cannot verbalize a variant")?;
            let verdict = if self.judge {
                let answer = v.answer.to_string();
                let run = llm::judge::judge(model, original, &v.graph, &t.text, &answer, 2).await;
                calls.extend(run.exchanges);
                Some(run.result.context("cannot judge a variant")?)
            } else {
                None
            };
            Ok(Written {
                text: t.text,
                solution: t.solution,
                source: t.source.as_str(),
                fallback: t.fallback,
                verdict,
                calls,
            })
        })
    }
}

/// Runs `graft generate`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let rows = read_problems(args.input.as_deref())?;
    let total = args.limit.map_or(rows.total, |limit| limit.min(rows.total));
    let rows = rows.take(args.limit.unwrap_or(usize::MAX));
    let cfg = CurriculumConfig {
        rounds: args.rounds,
        per_problem: args.per_problem,
        seed: args.seed,
        ..CurriculumConfig::default()
    };
    let gsm8k = args.format == "gsm8k";
    let parquet = is_parquet(&args.out);
    anyhow::ensure!(
        !(parquet && gsm8k),
        "--out {} is Parquet, which holds the full record (--format graft); write --format gsm8k \
         rows to a .jsonl file",
        args.out.display()
    );
    let file = std::fs::File::create(&args.out).with_context(|| {
        format!(
            "cannot create {} (check the --out path)",
            args.out.display()
        )
    })?;
    let mut out = Sink::new(std::io::BufWriter::new(file), parquet)?;
    let words = if args.verbalize || args.judge || gsm8k {
        let client = args.llm.client()?;
        eprintln!("graft: {}", super::llm::describe(client.as_ref()));
        Some(Words {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?,
            client,
            budget: llm::Budget::unlimited(),
            judge: args.judge,
        })
    } else {
        None
    };
    let bar = super::progress(total as u64, "generating");
    let mut read = 0usize;

    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut totals = RowTotals::default();
    let name = input_name(args.input.as_deref());
    // Rows are made on every core and written in the file's order. A model endpoint is asked
    // one variant at a time, as before (its budget and its failure stop the run in order).
    let threads = if words.as_ref().is_some_and(|w| w.client.is_some()) {
        1
    } else {
        super::threads()
    };
    let made = super::in_order(
        rows,
        threads,
        |row| {
            let problem = match row.problem() {
                Ok(p) => p,
                Err(e) => return Made::Malformed(e.to_string()),
            };
            // One row's engine work, written to a buffer first: a row the engine refuses or
            // panics on is skipped whole, and the rest of the file runs.
            let mut buffer = Pending::new(parquet);
            let mut row_totals = RowTotals::default();
            let done = super::guarded(|| {
                generate_row(
                    &args,
                    &cfg,
                    words.as_ref(),
                    row,
                    &problem,
                    &mut buffer,
                    &mut row_totals,
                )
            });
            match done {
                Ok(outcome) => Made::Row(buffer, row_totals, outcome),
                Err(panic) => Made::Panic(panic),
            }
        },
        |row, made| {
            bar.inc(1);
            read += 1;
            let mut skip = |category: &str, detail: &str| {
                bar.suspend(|| eprintln!("{name}:{}: skipped: {detail}", row.line));
                *skipped.entry(category.to_string()).or_default() += 1;
            };
            match made {
                Made::Malformed(e) => skip("malformed_row", &e),
                Made::Panic(panic) => skip("engine_panic", &panic),
                Made::Row(buffer, row_totals, Ok(Ok(()))) => {
                    out.write(buffer)
                        .with_context(|| format!("cannot write {}", args.out.display()))?;
                    totals.add(row_totals);
                }
                Made::Row(_, _, Ok(Err((category, message)))) => skip(&category, &message),
                Made::Row(buffer, _, Err(fatal)) => {
                    // Keep what is written so far, this row's variants before the failure
                    // too (the file is finished below, so a Parquet file gets its footer).
                    out.write(buffer).ok();
                    return Err(fatal);
                }
            }
            Ok(())
        },
    );
    if let Err(fatal) = made {
        out.finish().ok();
        return Err(fatal);
    }
    let RowTotals {
        written,
        verified,
        judged,
        stopped,
        depth_sum,
    } = totals;
    out.finish()
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    bar.finish_and_clear();

    println!(
        "{written} variants from {} problems written to {}",
        read - skipped.values().sum::<usize>(),
        args.out.display()
    );
    println!("  re-evaluated to their recorded answer and regenerated from lineage: {verified}/{written}");
    // Coverage: how many of the chains (extracted problems × per-problem) reach each round.
    let chains = (read - skipped.values().sum::<usize>()) * args.per_problem as usize;
    for (round, (sum, n)) in &depth_sum {
        println!(
            "  round {round}: {n} variants ({:.1}% of {chains} chains), mean depth {:.2}",
            100.0 * *n as f64 / chains.max(1) as f64,
            *sum as f64 / *n as f64
        );
    }
    if args.judge {
        // Offline checks cannot see whether wording makes sense: only a solver's agreement is a
        // pass (issue #11).
        println!("  judged: {written} texts: {}", judged.summary());
        let reasons = judged.top_lint_reasons();
        if !reasons.is_empty() {
            let top: Vec<String> = reasons
                .iter()
                .take(3)
                .map(|(k, n)| format!("{} ({n})", k.reason()))
                .collect();
            println!("  lint failures, top reasons: {}", top.join("; "));
        }
    }
    for (why, n) in &stopped {
        println!("  chains stopped early ({why}): {n}");
    }
    for (cat, n) in &skipped {
        println!("  problems skipped ({cat}): {n}");
    }
    if skipped.contains_key("flawed_original") {
        println!(
            "  (flawed originals: their own solutions reach amounts below zero, counts that are \
             not whole or money past cents; --keep-flawed generates from them anyway)"
        );
    }
    anyhow::ensure!(
        verified == written,
        "{} variants did not re-evaluate to their recorded answer",
        written - verified
    );
    Ok(())
}

/// One row's work, made on any thread and handed over in the file's order.
enum Made {
    /// The line is not a problem row.
    Malformed(String),
    /// The engine panicked on the row (a bug): the row is skipped.
    Panic(String),
    /// The row's variants (or why it is skipped, or the error that stops the run), what they
    /// add up to.
    Row(Pending, RowTotals, anyhow::Result<Result<(), Skip>>),
}

/// Whether `path` names a Parquet file (its extension is `parquet`, in any case).
fn is_parquet(path: &std::path::Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// One row's variants, made before any goes to the file (a row that fails is skipped whole).
enum Pending {
    /// JSONL lines.
    Jsonl(Vec<u8>),
    /// Parquet rows.
    Parquet(Vec<columnar::Row>),
}

impl Pending {
    fn new(parquet: bool) -> Pending {
        if parquet {
            Pending::Parquet(Vec::new())
        } else {
            Pending::Jsonl(Vec::new())
        }
    }
}

/// The output file: JSONL, or Parquet written a row group at a time.
enum Sink {
    Jsonl(std::io::BufWriter<std::fs::File>),
    Parquet(Box<columnar::Writer<std::io::BufWriter<std::fs::File>>>),
}

impl Sink {
    fn new(file: std::io::BufWriter<std::fs::File>, parquet: bool) -> anyhow::Result<Sink> {
        Ok(if parquet {
            Sink::Parquet(Box::new(columnar::Writer::new(file)?))
        } else {
            Sink::Jsonl(file)
        })
    }

    fn write(&mut self, rows: Pending) -> anyhow::Result<()> {
        match (self, rows) {
            (Sink::Jsonl(out), Pending::Jsonl(bytes)) => out.write_all(&bytes)?,
            (Sink::Parquet(out), Pending::Parquet(rows)) => {
                for row in &rows {
                    out.push(row)?;
                }
            }
            _ => anyhow::bail!("a row was made for the other output format (a bug)"),
        }
        Ok(())
    }

    /// Flushes the file (Parquet: the last row group and the footer).
    fn finish(self) -> anyhow::Result<()> {
        match self {
            Sink::Jsonl(mut out) => out.flush()?,
            Sink::Parquet(out) => out.finish()?.flush()?,
        }
        Ok(())
    }
}

/// What the rows written so far add up to.
#[derive(Default)]
struct RowTotals {
    written: usize,
    verified: usize,
    /// The verdicts counted (solver-checked, linted only, failed, lint reasons).
    judged: engine::verdict::Tally,
    /// Why chains stopped before the last round, by kind.
    stopped: BTreeMap<String, usize>,
    /// Per round: the sum of depths and the number of variants.
    depth_sum: BTreeMap<u32, (u64, u64)>,
}

impl RowTotals {
    fn add(&mut self, other: RowTotals) {
        self.written += other.written;
        self.verified += other.verified;
        self.judged.merge(&other.judged);
        for (why, n) in other.stopped {
            *self.stopped.entry(why).or_default() += n;
        }
        for (round, (sum, n)) in other.depth_sum {
            let e = self.depth_sum.entry(round).or_default();
            e.0 += sum;
            e.1 += n;
        }
    }
}

/// A row skipped: its category, and the message that says why (starting with the category).
type Skip = (String, String);

/// Extracts one row, generates its chains and writes their variants to `out` (a buffer),
/// counting into `totals`. The outer error stops the whole run (the model failing, a write
/// failing); the inner one skips the row (it does not extract, misses its stated answer, or
/// the engine refuses its curriculum).
fn generate_row(
    args: &Args,
    cfg: &CurriculumConfig,
    words: Option<&Words>,
    row: &crate::jsonl::Row,
    problem: &engine::problem::Problem,
    out: &mut Pending,
    totals: &mut RowTotals,
) -> anyhow::Result<Result<(), Skip>> {
    let skip = |s: records::Skip| Ok(Err((s.category, s.message)));
    let original = match records::extract_row(problem) {
        Ok(g) => g,
        Err(s) => return skip(s),
    };
    if !args.keep_flawed {
        if let Err(s) = records::sound(&original) {
            return skip(s);
        }
    }
    let id = source_id(args.input.as_deref(), row, problem);
    let origin = Origin {
        source_id: &id,
        line: row.line,
        question: problem.question.as_deref(),
        original: &original,
        metrics: original.metrics(),
    };
    let chains = match records::chains(&original, &id, cfg) {
        Ok(chains) => chains,
        Err(s) => return skip(s),
    };
    for chain in &chains {
        if let Some(why) = &chain.stopped {
            *totals.stopped.entry(records::stop_kind(why)).or_default() += 1;
        }
        let reproduced = records::chain_reproduces(&original, chain);
        for (v, ok) in chain.variants.iter().zip(reproduced) {
            if ok {
                totals.verified += 1;
            }
            let written_words = match words {
                Some(w) => Some(w.run(&original, v).with_context(|| {
                    format!(
                        "stopped at {id}/c{}/r{}; the variants before it are in {}",
                        chain.index,
                        v.round,
                        args.out.display()
                    )
                })?),
                None => None,
            };
            if let Some(v) = written_words.as_ref().and_then(|w| w.verdict.as_ref()) {
                totals.judged.add(v);
            }
            let (words, llm_calls) = match written_words {
                Some(w) => (
                    Some(records::Words {
                        text: w.text,
                        solution: w.solution,
                        source: w.source,
                        fallback: w.fallback,
                        verdict: w.verdict,
                    }),
                    w.calls,
                ),
                None => (None, Vec::new()),
            };
            let e = totals.depth_sum.entry(v.round).or_default();
            e.0 += v.metrics.depth as u64;
            e.1 += 1;
            if args.format == "gsm8k" {
                let variant_id = records::variant_id(&id, chain.index, v.round);
                // The model's solution goes with the model's text; else the engine's.
                let text_and_solution = words.and_then(|w| {
                    let solution = w
                        .solution
                        .or_else(|| engine::solution::worked(&original, &v.graph).ok())?;
                    Some((w.text, solution))
                });
                let Some((question, answer)) = text_and_solution else {
                    return Ok(Err((
                        "no_solution".into(),
                        format!("no_solution: variant {variant_id} has no worked solution"),
                    )));
                };
                let row = store::Gsm8kRow {
                    question,
                    answer,
                    id: variant_id,
                    source_id: id.clone(),
                    round: i64::from(v.round),
                    operations: serde_json::to_string(&v.operations)?,
                };
                let Pending::Jsonl(out) = &mut *out else {
                    anyhow::bail!("GSM8K rows are written as JSONL only");
                };
                serde_json::to_writer(&mut *out, &row)?;
                out.write_all(b"\n")?;
                totals.written += 1;
                continue;
            }
            let record =
                VariantRecord::new(origin, chain.index, v, words, args.negatives, args.detail());
            match &mut *out {
                Pending::Jsonl(out) => {
                    serde_json::to_writer(&mut *out, &CliRecord { record, llm_calls })?;
                    out.write_all(b"\n")?;
                }
                // The model calls stay out of the table (JSONL keeps them).
                Pending::Parquet(rows) => rows.push(columnar::Row::of(&record)?),
            }
            totals.written += 1;
        }
    }
    Ok(Ok(()))
}
