//! Where a subcommand finds the database: `--data-dir` or `--database-url`, as `graft serve`.

use std::path::PathBuf;

use anyhow::Context;
use store::Store;

/// The database options shared by `graft export` and `graft import`.
#[derive(clap::Args)]
pub struct StoreArgs {
    /// Directory of the database (`graft.sqlite3` inside); created if missing.
    #[arg(long, env = "GRAFT_DATA_DIR", default_value = "./graft-data")]
    pub data_dir: PathBuf,
    /// A sqlx SQLite URL (`sqlite://path/to/file.sqlite3`); overrides --data-dir.
    #[arg(long, env = "GRAFT_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl StoreArgs {
    /// Opens the database named by `--database-url`, else the one in `--data-dir`.
    pub async fn open(&self) -> anyhow::Result<Store> {
        match &self.database_url {
            Some(url) => Store::open(url)
                .await
                .with_context(|| format!("cannot open --database-url {url}")),
            None => Store::open_data_dir(&self.data_dir).await.with_context(|| {
                format!(
                    "cannot open the database in --data-dir {} (is the directory writable?)",
                    self.data_dir.display()
                )
            }),
        }
    }
}

/// A runtime for one command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
