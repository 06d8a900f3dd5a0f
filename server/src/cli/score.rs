//! `graft score`: a model's solutions of generated variants scored exactly and labelled step by
//! step (`engine::labels::solutions`), offline: the variants file `graft generate` wrote, a
//! solutions file with one `{id, solution}` per line (any number per variant), out come the
//! labelled solutions as JSONL and, on stderr, accuracy by round and by depth with Wilson 95%
//! intervals (and pass@k when there are several solutions per variant).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{bail, Context};
use engine::labels::eval::{mean_pass_at_k, wilson};
use engine::labels::solutions::{label_solution, AutoLabel, FinalAnswer, Score};
use engine::{Graph, Number};
use serde::{Deserialize, Serialize};

/// Arguments of `graft score`.
#[derive(clap::Args)]
pub struct Args {
    /// The variants, as `graft generate` writes them (`id`, `round` and `program` per line,
    /// or the whole `graph` of a `--full` record).
    #[arg(long)]
    variants: PathBuf,
    /// The solutions: one JSON object per line with the variant's `id` and the model's text as
    /// `solution` (or `completion`, `output`, `response`).
    #[arg(long)]
    solutions: PathBuf,
    /// The file to write the labelled solutions to (replaced if it exists); standard output
    /// when left out.
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
}

/// The fields of a variant line that scoring needs: its graph, or the program it reads back
/// from (a lean record).
#[derive(Deserialize)]
struct VariantIn {
    id: String,
    #[serde(default)]
    round: u32,
    graph: Option<Graph>,
    program: Option<String>,
    question: Option<String>,
}

impl VariantIn {
    /// The variant's graph: the record's own (`--full`), else its program read back (the
    /// same graph: `graft generate` checks that every program reads back). `None` for a
    /// line with neither (a foreign row).
    fn graph(self) -> anyhow::Result<Option<(String, u32, Graph)>> {
        let graph = match (self.graph, &self.program) {
            (Some(g), _) => g,
            (None, Some(program)) => engine::parse_program(program, self.question.as_deref())
                .with_context(|| {
                    format!(
                        "the program of variant {:?} does not read back; regenerate the \
                         file with graft generate (or --full for the graph itself)",
                        self.id
                    )
                })?,
            (None, None) => return Ok(None),
        };
        Ok(Some((self.id, self.round, graph)))
    }
}

/// A solution line.
#[derive(Deserialize)]
struct SolutionIn {
    id: String,
    #[serde(alias = "completion", alias = "output", alias = "response")]
    solution: String,
}

/// One labelled solution, as written out.
#[derive(Serialize)]
struct Labelled<'a> {
    id: &'a str,
    /// Which of the variant's solutions (0-based, in file order).
    sample: usize,
    round: u32,
    depth: u32,
    /// The exact answer.
    answer: Number,
    score: Score,
    final_answer: Option<FinalAnswer>,
    first_error: Option<usize>,
    steps: Vec<AutoLabel>,
}

/// Counts of correct solutions, for the report.
#[derive(Default, Clone, Copy)]
struct Tally {
    correct: u64,
    total: u64,
}

impl Tally {
    fn add(&mut self, correct: bool) {
        self.total += 1;
        self.correct += u64::from(correct);
    }

    /// Accuracy with its Wilson 95% interval, as `62.5% [40.9–80.0%] of 16`.
    fn show(self) -> String {
        if self.total == 0 {
            return "—".to_string();
        }
        let (lo, hi) = wilson(self.correct, self.total);
        format!(
            "{:5.1}% [{:.1}–{:.1}%] of {}",
            100.0 * self.correct as f64 / self.total as f64,
            100.0 * lo,
            100.0 * hi,
            self.total
        )
    }
}

/// Runs `graft score`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let variants = read_variants(&args)?;
    let file = std::fs::File::open(&args.solutions)
        .with_context(|| format!("cannot read the solutions {}", args.solutions.display()))?;
    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let (mut all, mut by_round, mut by_depth) =
        (Tally::default(), BTreeMap::new(), BTreeMap::new());
    let mut samples: HashMap<String, (usize, u64)> = HashMap::new();
    let (mut refused, mut steps, mut errors) = (0u64, 0u64, 0u64);
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let n = i + 1;
        let line = line.with_context(|| format!("cannot read line {n} of the solutions"))?;
        if line.trim().is_empty() {
            continue;
        }
        let s: SolutionIn = match serde_json::from_str(&line) {
            Ok(s) => s,
            Err(e) => {
                eprintln!(
                    "solutions line {n}: {e}; each line is {{\"id\": VARIANT ID, \"solution\": TEXT}}"
                );
                refused += 1;
                continue;
            }
        };
        let Some((round, g)) = variants.get(&s.id) else {
            eprintln!(
                "solutions line {n}: no variant {:?} in {} (ids are `graft generate`'s, like \
                 \"demo:1/c0/r2\")",
                s.id,
                args.variants.display()
            );
            refused += 1;
            continue;
        };
        let l = label_solution(g, &s.solution);
        let depth = g.depth();
        let correct = l.score == Score::Correct;
        all.add(correct);
        by_round
            .entry(*round)
            .or_insert_with(Tally::default)
            .add(correct);
        by_depth
            .entry(depth)
            .or_insert_with(Tally::default)
            .add(correct);
        steps += l.steps.len() as u64;
        errors += u64::from(l.first_error.is_some());
        let entry = samples.entry(s.id.clone()).or_insert((0, 0));
        let sample = entry.0;
        entry.0 += 1;
        entry.1 += u64::from(correct);
        let record = Labelled {
            id: &s.id,
            sample,
            round: *round,
            depth,
            answer: g.answer_value(),
            score: l.score,
            final_answer: l.answer,
            first_error: l.first_error,
            steps: l.steps,
        };
        serde_json::to_writer(&mut out, &record)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    if all.total == 0 {
        bail!(
            "no solution could be scored ({refused} lines refused); give --solutions a JSONL \
             file of {{\"id\", \"solution\"}} lines whose ids are in --variants"
        );
    }
    eprintln!("scored {} solutions of {} variants ({refused} lines refused); {steps} steps labelled, {errors} solutions with a first error", all.total, samples.len());
    eprintln!("accuracy        {}", all.show());
    for (round, t) in &by_round {
        eprintln!("  round {round:>2}      {}", t.show());
    }
    for (depth, t) in &by_depth {
        eprintln!("  depth {depth:>2}      {}", t.show());
    }
    let most = samples.values().map(|s| s.0).max().unwrap_or(1);
    if most > 1 {
        let solved = samples.values().filter(|s| s.1 > 0).count();
        eprintln!(
            "pass@{most} (any of a variant's solutions correct): {solved} of {} variants",
            samples.len()
        );
        let per_variant: Vec<(u64, u64)> = samples.values().map(|&(n, c)| (n as u64, c)).collect();
        let line: Vec<String> = types::eval::pass_ks(u32::try_from(most).unwrap_or(u32::MAX))
            .into_iter()
            .filter_map(|k| {
                mean_pass_at_k(&per_variant, u64::from(k))
                    .map(|(p, m)| format!("pass@{k} {:.1}% ({m})", 100.0 * p))
            })
            .collect();
        eprintln!(
            "unbiased pass@k (variants with at least k solutions): {}",
            line.join(", ")
        );
    }
    Ok(())
}

/// The variants file's graphs by id, with their rounds.
fn read_variants(args: &Args) -> anyhow::Result<HashMap<String, (u32, Graph)>> {
    let file = std::fs::File::open(&args.variants)
        .with_context(|| format!("cannot read the variants {}", args.variants.display()))?;
    let mut out = HashMap::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("cannot read line {} of the variants", i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        // Summary lines and foreign rows have no graph nor program: skipped.
        let Ok(v) = serde_json::from_str::<VariantIn>(&line) else {
            continue;
        };
        let Some((id, round, graph)) = v
            .graph()
            .with_context(|| format!("{}:{}", args.variants.display(), i + 1))?
        else {
            continue;
        };
        out.insert(id, (round, graph));
    }
    if out.is_empty() {
        bail!(
            "no variant in {}: give --variants the file `graft generate -o FILE` wrote",
            args.variants.display()
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use engine::labels::eval::wilson;

    #[test]
    fn wilson_intervals_are_known_values() {
        let (lo, hi) = wilson(8, 10);
        assert!(
            (lo - 0.4902).abs() < 1e-3 && (hi - 0.9433).abs() < 1e-3,
            "{lo} {hi}"
        );
        assert_eq!(wilson(0, 0), (0.0, 1.0));
        let (lo, hi) = wilson(0, 5);
        assert!(lo == 0.0 && hi > 0.4 && hi < 0.5, "{hi}");
    }
}
