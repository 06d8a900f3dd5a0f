//! `graft export`: one dataset as JSONL (full, PRM, GSM8K rows, or its model solutions for TRL
//! or PRM800K-style), or its variants as Parquet, to standard output or a file.

use std::io::{BufWriter, ErrorKind, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use store::{ExportFormat, ExportStream, Store};

use super::store::{runtime, StoreArgs};

/// Arguments of `graft export`.
#[derive(clap::Args)]
pub struct Args {
    /// The dataset: its name, or its id.
    #[arg(long)]
    dataset: String,
    /// `full` (everything; imports back with `graft import`), `prm` (labelled solutions),
    /// `gsm8k` (one `{question, answer}` row per variant: its text and worked solution, with
    /// `id`, `source_id`, `round` and `operations`), `trl` (TRL stepwise supervision
    /// `{prompt, completions, labels}` per model solution) or `prm800k` (PRM800K-like records
    /// per model solution, automatic and human step labels apart), or `parquet` (the variants
    /// in the columns of `graft generate --out variants.parquet`).
    #[arg(long, default_value = "full", value_parser = ["full", "prm", "gsm8k", "trl", "prm800k", "parquet"])]
    format: String,
    /// The file to write (replaced if it exists); standard output when left out.
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    /// Where the database is.
    #[command(flatten)]
    store: StoreArgs,
}

/// Runs `graft export`.
pub fn run(args: Args) -> anyhow::Result<()> {
    runtime()?.block_on(export(args))
}

/// The dataset `name_or_id` names, or an error listing the datasets there are.
pub(crate) async fn find(store: &Store, name_or_id: &str) -> anyhow::Result<i64> {
    if let Some(id) = store.find_dataset(name_or_id).await? {
        return Ok(id);
    }
    let names: Vec<String> = store
        .list_datasets(false)
        .await?
        .into_iter()
        .map(|d| format!("{:?} (id {})", d.name, d.id))
        .collect();
    if names.is_empty() {
        bail!("no dataset {name_or_id:?}: the database has no datasets (import one with `graft import FILE`)");
    }
    bail!(
        "no dataset is named or numbered {name_or_id:?}; the datasets are {}",
        names.join(", ")
    )
}

async fn export(args: Args) -> anyhow::Result<()> {
    let format = ExportFormat::parse(&args.format).ok_or_else(|| {
        anyhow!(
            "unknown --format {:?}; use full, prm, gsm8k, trl, prm800k or parquet",
            args.format
        )
    })?;
    let store = args.store.open().await?;
    let id = find(&store, &args.dataset).await?;
    let stream = store.export(id, format).await?;
    if stream.records() == 0 && matches!(format, ExportFormat::Trl | ExportFormat::Prm800k) {
        eprintln!(
            "graft: dataset {:?} has no model solutions{}; the export is empty (store some \
             with `graft solve` or POST /api/variants/{{id}}/solutions)",
            stream.dataset_name(),
            if format == ExportFormat::Trl {
                " with steps"
            } else {
                ""
            }
        );
    }
    match &args.output {
        None if format.is_binary() && std::io::IsTerminal::is_terminal(&std::io::stdout()) => {
            bail!(
                "--format {} is binary; write it to a file with -o FILE (or redirect standard \
                 output)",
                format.as_str()
            )
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            match copy(stream, &mut out, None).await {
                // A reader that stops early (`| head`) is not an error.
                Err(Failure::Write(e)) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(e.into_anyhow("standard output")),
                Ok(_) => Ok(()),
            }
        }
        Some(path) => to_file(stream, path).await,
    }
}

/// Writes the export to `path` with a progress bar; removes the partial file on failure.
async fn to_file(stream: ExportStream, path: &Path) -> anyhow::Result<()> {
    let file = std::fs::File::create(path).with_context(|| {
        format!(
            "cannot create -o {} (is the directory there and writable?)",
            path.display()
        )
    })?;
    let name = stream.dataset_name().to_string();
    let bar = super::progress(stream.records(), "exporting");
    let mut out = BufWriter::new(file);
    let result = copy(stream, &mut out, Some(&bar)).await;
    bar.finish_and_clear();
    match result {
        Ok((records, bytes)) => {
            eprintln!(
                "graft: exported {records} records of dataset {name:?} to {} ({bytes} bytes)",
                path.display()
            );
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(path);
            Err(e
                .into_anyhow(&path.display().to_string())
                .context(format!("the partial file {} was removed", path.display())))
        }
    }
}

/// Why copying stopped.
enum Failure {
    /// The export itself failed.
    Store(store::StoreError),
    /// Writing failed.
    Write(std::io::Error),
}

impl Failure {
    fn into_anyhow(self, target: &str) -> anyhow::Error {
        match self {
            Failure::Store(e) => anyhow::Error::new(e).context("the export stopped"),
            Failure::Write(e) => anyhow::Error::new(e).context(format!("cannot write to {target}")),
        }
    }
}

/// Copies every line (or Parquet row group) to `out`; the number of records and bytes
/// written.
async fn copy(
    mut stream: ExportStream,
    out: &mut impl Write,
    bar: Option<&indicatif::ProgressBar>,
) -> Result<(u64, u64), Failure> {
    let (mut records, mut bytes) = (0u64, 0u64);
    while let Some(chunk) = stream.next_chunk().await {
        let chunk = chunk.map_err(Failure::Store)?;
        out.write_all(&chunk.bytes).map_err(Failure::Write)?;
        records += chunk.records;
        bytes += chunk.bytes.len() as u64;
        if let Some(bar) = bar {
            bar.inc(chunk.records);
        }
    }
    out.flush().map_err(Failure::Write)?;
    Ok((records, bytes))
}
