//! `graft words`: the model's work on a dataset's variants through batch files.
//!
//! `graft words requests` writes the verbalize and judge requests Graft would send live as an
//! OpenAI Batch API input file; `graft words results` reads a batch output file (OpenAI's, or
//! vLLM's `run_batch`) back, checks every reply as a live reply is checked and stores it as a
//! live call is stored. See `llm::batch` for the line formats and the `custom_id`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use llm::batch::{Lines, MAX_FILE_BYTES};
use llm::Provider;
use store::{Store, WordsKind};

use super::store::{runtime, StoreArgs};

/// Options of `graft words`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: WordsCommand,
}

/// Where the database is: `--db FILE`, else `--data-dir` / `--database-url` as elsewhere.
#[derive(clap::Args)]
pub struct DbArgs {
    /// The SQLite database file (as `graft serve --data-dir DIR` keeps in DIR/graft.sqlite3);
    /// overrides --data-dir and --database-url. It must exist.
    #[arg(long)]
    pub db: Option<PathBuf>,
    #[command(flatten)]
    pub store: StoreArgs,
}

impl DbArgs {
    /// Opens the database `--db` names (it must exist), else as [`StoreArgs::open`].
    pub(crate) async fn open(&self) -> anyhow::Result<Store> {
        match &self.db {
            Some(path) => {
                if !path.is_file() {
                    bail!(
                        "no database file at --db {} (give the graft.sqlite3 file inside a \
                         `graft serve --data-dir`, or use --data-dir DIR)",
                        path.display()
                    );
                }
                Store::open_path(path)
                    .await
                    .with_context(|| format!("cannot open the database --db {}", path.display()))
            }
            None => self.store.open().await,
        }
    }
}

/// What `graft words` does.
#[derive(clap::Subcommand)]
pub enum WordsCommand {
    /// Write a dataset's verbalize and judge requests as an OpenAI Batch API input file
    /// (JSONL: custom_id, method, url, body), for the variants that lack a model's text or
    /// verdict (all of them with --all).
    Requests {
        /// Where the database is.
        #[command(flatten)]
        db: DbArgs,
        /// The dataset's id (the number in its page's URL, /d/ID).
        #[arg(long)]
        dataset: i64,
        /// verbalize (texts and worked solutions), judge (verdicts) or both (texts where a
        /// model's text is missing, verdicts for the others).
        #[arg(long, default_value = "both", value_parser = parse_kind)]
        kind: WordsKind,
        /// Every variant, not only those that lack a model's text or verdict.
        #[arg(long)]
        all: bool,
        /// The file to write (replaced if it exists).
        #[arg(long)]
        out: PathBuf,
        /// The model named in each request body.
        #[arg(long, env = "GRAFT_LLM_MODEL")]
        model: String,
        /// The server that will run the batch: generic, openai, llamacpp or ollama (a few
        /// body fields differ, e.g. openai's max_completion_tokens). vLLM: generic.
        #[arg(long, env = "GRAFT_LLM_PROVIDER", default_value = "generic", value_parser = parse_provider)]
        provider: Provider,
    },
    /// Read a batch output file (OpenAI Batch API or vLLM run_batch), check each reply as a
    /// live reply is checked and store it as a live call is stored.
    Results {
        /// Where the database is.
        #[command(flatten)]
        db: DbArgs,
        /// The batch output file (JSONL: id, custom_id, response {status_code, body}, error).
        file: PathBuf,
        /// How many refused or skipped lines to list one by one (all are counted).
        #[arg(long, default_value_t = 50)]
        show: usize,
    },
}

fn parse_kind(s: &str) -> Result<WordsKind, String> {
    WordsKind::parse(s)
}

fn parse_provider(s: &str) -> Result<Provider, String> {
    Provider::parse(s)
}

/// Runs `graft words`.
pub fn run(args: Args) -> anyhow::Result<()> {
    runtime()?.block_on(async move {
        match args.command {
            WordsCommand::Requests {
                db,
                dataset,
                kind,
                all,
                out,
                model,
                provider,
            } => requests(db, dataset, kind, all, &out, &model, provider).await,
            WordsCommand::Results { db, file, show } => results(db, &file, show).await,
        }
    })
}

async fn requests(
    db: DbArgs,
    dataset: i64,
    kind: WordsKind,
    all: bool,
    out: &Path,
    model: &str,
    provider: Provider,
) -> anyhow::Result<()> {
    let store = db.open().await?;
    // Written next to the target and renamed at the end: a failed run leaves no half file.
    let tmp = out.with_extension("jsonl.partial");
    let file = std::fs::File::create(&tmp).with_context(|| {
        format!(
            "cannot create {} (is the directory there and writable?)",
            tmp.display()
        )
    })?;
    let mut w = std::io::BufWriter::new(file);
    let mut sink = |line: &str| -> std::io::Result<()> {
        w.write_all(line.as_bytes())?;
        w.write_all(b"\n")
    };
    let report = store
        .words_requests(dataset, kind, all, model, provider, &mut sink)
        .await;
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(anyhow::Error::new(e).context(format!("dataset {dataset}")));
        }
    };
    w.flush()
        .and_then(|_| w.get_ref().sync_all())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    drop(w);
    std::fs::rename(&tmp, out)
        .with_context(|| format!("cannot move {} to {}", tmp.display(), out.display()))?;
    for (id, why) in &report.skipped {
        eprintln!("variant {id}: no request: {why}");
    }
    println!(
        "graft: wrote {} requests to {} ({} verbalize, {} solve, {} rate; {} asked again after \
         a rejected reply) for {} variants of dataset {dataset}; {} variants skipped",
        report.lines(),
        out.display(),
        report.verbalize,
        report.solve,
        report.rate,
        report.retries,
        report.variants,
        report.skipped.len()
    );
    if report.lines() == 0 {
        println!(
            "graft: nothing to ask: every variant has what --kind asks for (use --all to ask again)"
        );
    }
    Ok(())
}

async fn results(db: DbArgs, file: &Path, show: usize) -> anyhow::Result<()> {
    let name = file.display().to_string();
    let f = std::fs::File::open(file)
        .with_context(|| format!("cannot open {name} (check the path of the results file)"))?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    if size > MAX_FILE_BYTES {
        bail!(
            "{name} is {size} bytes, over the limit of {MAX_FILE_BYTES}; split it (e.g. \
             `split -l 50000 {name} part-`) and read the parts one by one"
        );
    }
    let store = db.open().await?;
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message("storing replies");
    let mut lines = Lines::new(std::io::BufReader::new(f));
    let mut at_line = |n: usize| {
        if n.is_multiple_of(100) {
            bar.set_message(format!("storing replies: line {n}"));
            bar.tick();
        }
    };
    let report = store.words_results(&mut lines, &mut at_line).await;
    bar.finish_and_clear();
    let report = report.with_context(|| format!("reading {name}"))?;
    if let Some(e) = &lines.error {
        eprintln!("{name}: stopped early: {e}");
    }
    for p in report.problems.iter().take(show) {
        eprintln!("{name}:{}: {}: {}", p.line, p.reason, p.detail);
    }
    if report.problems.len() > show {
        eprintln!(
            "{name}: … and {} more lines not stored (--show N lists more)",
            report.problems.len() - show
        );
    }
    println!(
        "graft: {name}: {} stored, {} refused, {} skipped",
        report.stored, report.refused, report.skipped
    );
    let reasons = report.reasons();
    if !reasons.is_empty() {
        println!("  reason             lines");
        for (r, n) in reasons {
            println!("  {:<18} {n}", r.as_str());
        }
    }
    if lines.error.is_some() {
        bail!("{name} was not read to the end (see above); the replies before were stored");
    }
    Ok(())
}
