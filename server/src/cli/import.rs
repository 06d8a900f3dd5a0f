//! `graft import`: a JSONL file (GSM8K or program rows), or a full Graft export, as a new
//! dataset in the store.

use std::path::PathBuf;

use anyhow::{bail, Context};
use store::{export_marker, ExportMarker, StoreError};

use super::store::{runtime, StoreArgs};

/// Arguments of `graft import`.
#[derive(clap::Args)]
pub struct Args {
    /// The JSONL file: rows to extract, or a `graft export` file (restored as it was).
    file: PathBuf,
    /// The new dataset's name [default: an export's own name, else the file's name without
    /// its extension].
    #[arg(long)]
    name: Option<String>,
    /// Where the database is.
    #[command(flatten)]
    store: StoreArgs,
}

/// Runs `graft import`.
pub fn run(args: Args) -> anyhow::Result<()> {
    runtime()?.block_on(import(args))
}

async fn import(args: Args) -> anyhow::Result<()> {
    let file = args.file.display().to_string();
    let contents = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {file} (is it there, and UTF-8 text?)"))?;
    let store = args.store.open().await?;
    let marker = export_marker(&contents);
    let result = match marker {
        Some(ExportMarker::Full) => store.import_export(args.name.as_deref(), &contents).await,
        Some(ExportMarker::Prm) => bail!(
            "{file} is a PRM export: it keeps only labelled solutions and cannot be imported; \
             import a full export (graft export --format full)"
        ),
        None => {
            let name = match &args.name {
                Some(n) => n.clone(),
                None => args
                    .file
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .filter(|s| !s.trim().is_empty())
                    .context("give the dataset a name with --name")?,
            };
            store.import_jsonl(&name, &contents).await
        }
    };
    let report = match result {
        Ok(r) => r,
        Err(StoreError::NothingImported { reason, failed }) => {
            for f in &failed {
                eprintln!("{file}:{}: {}", f.line, f.reason);
            }
            bail!("{file}: {reason}");
        }
        Err(e @ StoreError::NameTaken(_)) => {
            return Err(anyhow::Error::new(e).context("choose another name with --name"))
        }
        Err(e) => return Err(e.into()),
    };
    for f in &report.failed {
        eprintln!("{file}:{}: skipped: {}", f.line, f.reason);
    }
    let summary = store
        .dataset_summary(report.dataset_id)
        .await?
        .context("the new dataset vanished right after the import")?;
    let what = if marker.is_some() {
        "restored the export"
    } else {
        "imported"
    };
    println!(
        "graft: {what} as dataset {:?} (id {}): {} problems ({} with a graph), {} variants",
        summary.name, summary.id, summary.problems, summary.extracted, summary.variants
    );
    Ok(())
}
