//! The store: datasets, problems, variants and jobs in SQLite (server only, feature `ssr`).
//!
//! [`Store`] wraps a sqlx connection pool and is cheap to clone; the server opens one at start
//! and hands it to the JSON API and, as Leptos context, to the server functions
//! (`use_context::<crate::Store>()`). The schema lives in `migrations/` at the
//! workspace root and is applied by [`Store::open`].
//!
//! Every method that takes outside input checks it and answers a [`StoreError`] that says what
//! is wrong and how to fix it; [`StoreError::kind`] says what kind of failure it is (the web
//! layer picks the HTTP status from it).
//! Graphs are never taken from a client: variants are re-derived here from the stored parent
//! graph and the interventions ([`Store::save_variant`]).
//!
//! SQL is checked at build time: every query with fixed SQL is a `sqlx::query!`,
//! `query_as!` or `query_scalar!`, described against the schema in `migrations/` and read, in
//! every build, from the query data committed in `store/.sqlx` (`SQLX_OFFLINE=true` in
//! `.cargo/config.toml`; `scripts/sqlx-prepare` writes the data after a change to SQL or to a
//! migration). Database row structs are named `Db…` (`DbJob`, `DbProblem`, …) so they are not
//! taken for the plain types of the `types` crate. Shared SQL pieces are macros that expand to
//! their literal text (`with_sql!`, `user_select!`, `review_filter!`, `export_sql!`, …) since
//! the checked macros read string literals only.
//!
//! Runtime SQL, and why:
//! - `Store::bulk_decide` (review.rs): the temporary table `bulk_ids` (create, fill, read,
//!   empty): a temporary table is in no schema the build can describe.
//! - tests only: the `count` and `exec` helpers (`tests.rs`, `export/tests.rs`), which run
//!   whatever SQL a test hands them; `PRAGMA` reads; a trigger a test creates and drops
//!   (neither is in the schema).

/// Calls one of sqlx's compile-time checked query macros on SQL that begins with shared
/// pieces: `with_sql!(["SELECT a FROM t"]; query_as!(DbT, " WHERE id = ?", id))` is
/// `sqlx::query_as!(DbT, "SELECT a FROM t" + " WHERE id = ?", id)`, and `with_sql!(["…"];)` is
/// the text itself (`concat!`). sqlx's macros read only string literals joined with `+`
/// (neither a `const` nor `concat!`), so each shared piece of SQL is a small macro that passes
/// its literal here (`user_select!`, `dataset_select!`, …): the SQL is written once and every
/// query made from it is still checked at build time.
macro_rules! with_sql {
    ([$($sql:literal)+];) => {
        concat!($($sql),+)
    };
    ([$first:literal $($sql:literal)*]; query!($tail:literal $(, $arg:expr)* $(,)?)) => {
        sqlx::query!($first $(+ $sql)* + $tail $(, $arg)*)
    };
    (
        [$first:literal $($sql:literal)*];
        query_as!($ty:path, $tail:literal $(, $arg:expr)* $(,)?)
    ) => {
        sqlx::query_as!($ty, $first $(+ $sql)* + $tail $(, $arg)*)
    };
    ([$first:literal $($sql:literal)*]; query_scalar!($tail:literal $(, $arg:expr)* $(,)?)) => {
        sqlx::query_scalar!($first $(+ $sql)* + $tail $(, $arg)*)
    };
}

mod batch;
mod batch_words;
mod bounded;
pub mod caller;
mod drawings;
mod eval;
mod export;
mod import;
mod jobs;
mod labels;
pub mod ops;
mod reads;
mod review;
mod rows;
mod solutions;
mod users;
mod variants;
mod words;

pub use caller::Caller;
pub use ops::{Action, Ops};

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use tokio::sync::Notify;

pub use batch_words::{RequestsReport, WordsKind};
pub use bounded::{
    engine_slots, panic_message, EngineError, EnginePool, DEFAULT_JOB_BUDGET,
    DEFAULT_REQUEST_BUDGET, MAX_ENGINE_SLOTS,
};
pub use drawings::{Drawings, MAX_CACHED_NODES};
pub use export::{
    consensus, export_marker, Chunk, ExportFormat, ExportMarker, ExportStream, Gsm8kRow,
    EXPORT_VERSION, MAX_EXPORT_OPERATIONS, PRM_VERSION,
};
pub use import::{check_dataset_name, MAX_NAME_CHARS, PANIC_CATEGORY, TIMEOUT_CATEGORY};
pub use jobs::{JobRunner, MAX_PER_PROBLEM, MAX_ROUNDS};
pub use reads::{ProblemStamp, DEFAULT_PAGE, MAX_PAGE};
pub use users::{
    check_login, check_password, check_user_name, require, LoginLimiter, Owned, LOGIN_REFUSED,
    MAX_PASSWORD_BYTES, MAX_USER_NAME_CHARS, MIN_PASSWORD_CHARS,
};
pub use variants::{MAX_OPERATIONS, MAX_OPERATIONS_BYTES};
pub use words::{client_for, stated_answer, Model, MAX_LLM_SETTING_BYTES, TRIES};

pub use types::model::{
    DatasetPage, DatasetSummary, DepthBin, ImportReport, JobSpec, JobState, JobStatus, JobTask,
    LineError, LlmCall, LlmSettings, NewVariant, ProblemRow, ProblemVariants, SavedVariant, Shared,
    StoredProblem, StoredVariant, VariantItem, VariantPage, VariantRow, VariantWords,
    VerdictCounts,
};

/// The demo problems shipped inside the binary (`demo/demo.jsonl`): imported as dataset
/// [`DEMO_NAME`] into an empty store, and read by `graft extract`/`generate` without `--input`.
pub const DEMO: &str = include_str!("../../demo/demo.jsonl");

/// The name the demo set is imported under.
pub const DEMO_NAME: &str = "demo";

/// The database file's name inside a data directory ([`Store::open_data_dir`]).
pub const DB_FILE: &str = "graft.sqlite3";

/// How long a statement waits for a lock held by another connection before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// What kind of failure a [`StoreError`] is (the web layer maps each to an HTTP status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request is wrong (bad values, nothing importable, an operation that does not apply).
    BadRequest,
    /// The thing asked for does not exist.
    NotFound,
    /// The request clashes with what is stored (a dataset name in use).
    Conflict,
    /// The store itself failed (database, damaged data); not the caller's fault.
    Internal,
    /// A service the request needs (the model endpoint) is down; try again later.
    Unavailable,
    /// Nobody is logged in and the request needs an account.
    Unauthorized,
    /// The logged-in account's role does not allow the request.
    Forbidden,
    /// Too many failed logins; wait before trying again.
    TooManyRequests,
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No row with this id.
    #[error("{what} {id} does not exist (check the id)")]
    NotFound {
        /// `dataset`, `problem`, `variant` or `job`.
        what: &'static str,
        /// The id asked for.
        id: i64,
    },
    /// The request is invalid; the message says why and what to do.
    #[error("{0}")]
    Invalid(String),
    /// A dataset with this name exists already.
    #[error("a dataset named {0:?} already exists; import under another name")]
    NameTaken(String),
    /// An import in which no row could be read; nothing was stored.
    #[error("nothing imported: {reason}")]
    NothingImported {
        /// Why, in one sentence.
        reason: String,
        /// The unreadable rows, with line numbers.
        failed: Vec<LineError>,
    },
    /// One of a variant's operations does not apply to the graph it meets.
    #[error("operation {index} ({op}) cannot be applied: {reason}; nothing was saved (fix or remove that operation)")]
    Operation {
        /// 1-based position in the list.
        index: usize,
        /// The operation, as JSON.
        op: String,
        /// Why the engine refused it.
        reason: String,
    },
    /// The database could not be opened.
    #[error(
        "cannot open the database {target}: {source} (check the path or URL and its permissions)"
    )]
    Open {
        /// The file or URL.
        target: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// The schema could not be brought up to date.
    #[error(
        "cannot apply the database migrations: {0} (was this database written by a newer graft?)"
    )]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A database statement failed. A full disk, a read-only file or a failing disk
    /// ([`storage_fault`]) is said in plain words and answered 503: nothing was written.
    #[error("{}", database_message(.0))]
    Database(#[from] sqlx::Error),
    /// Stored data does not read back (a damaged or hand-edited database).
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    /// Something outside the database failed (the OS random generator, a worker thread).
    #[error("{0}")]
    Internal(String),
    /// The model endpoint is down, timing out or rate-limiting; nothing was lost.
    #[error("{0}; nothing was changed, try again when the endpoint is back")]
    Unavailable(String),
    /// The request needs an account and nobody is logged in; says what it needed.
    #[error("log in to {0}")]
    LoginRequired(String),
    /// The account's role does not allow the request; says which role would.
    #[error("{0}")]
    Forbidden(String),
    /// Too many failed logins from this address or for this name.
    #[error("too many failed logins; try again in {0} s")]
    TooManyAttempts(u64),
    /// Engine work ran past its time budget, found no free slot, or panicked.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl StoreError {
    /// The kind of failure, for choosing an HTTP status.
    pub fn kind(&self) -> ErrorKind {
        match self {
            StoreError::NotFound { .. } => ErrorKind::NotFound,
            StoreError::Invalid(_)
            | StoreError::NothingImported { .. }
            | StoreError::Operation { .. } => ErrorKind::BadRequest,
            StoreError::NameTaken(_) => ErrorKind::Conflict,
            StoreError::Database(e) if storage_fault(e).is_some() => ErrorKind::Unavailable,
            StoreError::Open { .. }
            | StoreError::Migrate(_)
            | StoreError::Database(_)
            | StoreError::Corrupt(_)
            | StoreError::Internal(_) => ErrorKind::Internal,
            StoreError::Unavailable(_) => ErrorKind::Unavailable,
            StoreError::LoginRequired(_) => ErrorKind::Unauthorized,
            StoreError::Forbidden(_) => ErrorKind::Forbidden,
            StoreError::TooManyAttempts(_) => ErrorKind::TooManyRequests,
            StoreError::Engine(EngineError::Panicked { .. }) => ErrorKind::Internal,
            StoreError::Engine(_) => ErrorKind::Unavailable,
        }
    }
}

/// What is wrong with the storage under the database, when a statement failed because the
/// disk is full, the file is read-only or the disk failed (SQLite's FULL, READONLY, IOERR).
pub fn storage_fault(e: &sqlx::Error) -> Option<&'static str> {
    let sqlx::Error::Database(d) = e else {
        return None;
    };
    let code: i32 = d.code()?.parse().ok()?;
    match code & 0xff {
        13 => Some(
            "the disk holding the database is full; nothing was changed (free some space, then \
             try again; reading still works)",
        ),
        8 => Some(
            "the database file is read-only; nothing was changed (make the file and its -wal \
             and -shm files writable, then restart graft serve; reading still works)",
        ),
        10 => Some(
            "the disk failed to read or write the database; nothing was changed (check the disk \
             and its free space; reading may still work)",
        ),
        _ => None,
    }
}

fn database_message(e: &sqlx::Error) -> String {
    match storage_fault(e) {
        Some(plain) => format!("cannot write to the database: {plain} [{e}]"),
        None => format!("database error: {e}"),
    }
}

/// A shorthand for store results.
pub type StoreResult<T> = Result<T, StoreError>;

/// Graft's database: a SQLite connection pool (cheap to clone; clones share the pool and the
/// job runner's wake-up signal).
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    /// Poked by [`Store::create_job`]; the job runner waits on it when idle.
    wake: Arc<Notify>,
    /// The server's default model ([`Store::with_llm`]); `None` means offline.
    llm: Option<llm::Client>,
    /// Timeouts and retries for clients made for a job's own endpoint.
    llm_config: llm::ClientConfig,
    /// Where CPU-heavy engine work runs, and its time budgets.
    engine: EnginePool,
    /// The drawings of the graphs pages show, laid out on `engine` and kept by structure.
    drawings: Drawings,
}

impl Store {
    /// Opens (creating it if missing) the database at a sqlx SQLite URL such as
    /// `sqlite://graft.sqlite3` or `sqlite::memory:`, and brings its schema up to date.
    ///
    /// Files use write-ahead logging, foreign keys are enforced, and a busy connection waits
    /// up to 10 s for a lock.
    pub async fn open(url: &str) -> StoreResult<Store> {
        let options = SqliteConnectOptions::from_str(url).map_err(|source| StoreError::Open {
            target: url.to_string(),
            source,
        })?;
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        Store::connect(options, url, memory).await
    }

    /// Opens (creating it if missing) the database file at `path`; see [`Store::open`].
    pub async fn open_path(path: &Path) -> StoreResult<Store> {
        let options = SqliteConnectOptions::new().filename(path);
        Store::connect(options, &path.display().to_string(), false).await
    }

    /// Opens [`DB_FILE`] inside the data directory `dir`, creating the directory and the file
    /// if missing; see [`Store::open`].
    pub async fn open_data_dir(dir: &Path) -> StoreResult<Store> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
            target: dir.display().to_string(),
            source: sqlx::Error::Io(e),
        })?;
        Store::open_path(&dir.join(DB_FILE)).await
    }

    async fn connect(
        options: SqliteConnectOptions,
        target: &str,
        memory: bool,
    ) -> StoreResult<Store> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        // An in-memory database lives as long as its one connection.
        let pool_options = if memory {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(8)
        };
        let pool = pool_options
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                target: target.to_string(),
                source,
            })?;
        sqlx::migrate!("../migrations").run(&pool).await?;
        Ok(Store {
            pool,
            wake: Arc::new(Notify::new()),
            llm: None,
            llm_config: llm::ClientConfig::default(),
            engine: EnginePool::default(),
            drawings: Drawings::default(),
        })
    }

    /// The store with these time budgets for engine work: one request's (a preview, a saved
    /// variant, one row of an import) and one job item's (a problem's curriculum).
    pub fn with_engine_budgets(mut self, request: Duration, job: Duration) -> Store {
        self.engine = self.engine.with_budgets(request, job);
        self
    }

    /// Where CPU-heavy engine work runs: slots shared by every clone, and the time budgets.
    pub fn engine(&self) -> &EnginePool {
        &self.engine
    }

    /// The drawing of `graph` for a page: kept from an earlier request, or laid out on an
    /// engine slot within the request budget (see [`Drawings`]).
    pub async fn drawing(
        &self,
        graph: &engine::Graph,
    ) -> Result<Arc<types::model::Drawing>, EngineError> {
        self.drawings.draw(&self.engine, graph).await
    }

    /// The connection pool, for maintenance and tests (everything else goes through methods).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Imports the embedded demo set as dataset [`DEMO_NAME`] when the store has no dataset at
    /// all. Returns the import report when it imported, `None` when there were datasets.
    pub async fn ensure_demo(&self) -> StoreResult<Option<ImportReport>> {
        let datasets = sqlx::query_scalar!("SELECT COUNT(*) FROM datasets")
            .fetch_one(&self.pool)
            .await?;
        if datasets > 0 {
            return Ok(None);
        }
        match self.import_jsonl(DEMO_NAME, DEMO).await {
            Ok(report) => {
                // The demo is for everyone to look at, logged in or not.
                sqlx::query!(
                    "UPDATE datasets SET visibility = 'public' WHERE id = ?",
                    report.dataset_id
                )
                .execute(&self.pool)
                .await?;
                Ok(Some(report))
            }
            // Another process imported it between our count and our insert.
            Err(StoreError::NameTaken(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Fails with [`StoreError::NotFound`] unless dataset `id` exists.
    async fn require_dataset(&self, id: i64) -> StoreResult<()> {
        let row = sqlx::query_scalar!("SELECT id FROM datasets WHERE id = ?", id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|_| ()).ok_or(StoreError::NotFound {
            what: "dataset",
            id,
        })
    }

    /// The depth of problem `problem_id` (`None`: it has no graph), after checking that it
    /// exists and belongs to dataset `dataset_id`.
    async fn problem_depth_in(&self, problem_id: i64, dataset_id: i64) -> StoreResult<Option<i64>> {
        let row = sqlx::query!(
            "SELECT dataset_id, depth FROM problems WHERE id = ?",
            problem_id
        )
        .fetch_optional(&self.pool)
        .await?
        .map(|r| (r.dataset_id, r.depth));
        match row {
            None => Err(StoreError::NotFound {
                what: "problem",
                id: problem_id,
            }),
            Some((ds, _)) if ds != dataset_id => Err(StoreError::Invalid(format!(
                "problem {problem_id} belongs to dataset {ds}, not to dataset {dataset_id}; send \
                 dataset_id {ds} or another problem"
            ))),
            Some((_, depth)) => Ok(depth),
        }
    }

    /// Problems stored, over all datasets.
    pub async fn problem_count(&self) -> StoreResult<u64> {
        let n = sqlx::query_scalar!("SELECT COUNT(*) FROM problems")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }
}

/// A new share token: 128 bits from the OS random generator, as 32 lowercase hex digits
/// (URL-safe, unguessable).
pub fn new_share_token() -> StoreResult<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| {
        StoreError::Internal(format!(
            "the operating system's random generator failed ({e}); cannot make a share token"
        ))
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether `token` has the shape of a share token (32 hex digits), so lookups of anything
/// else answer "not found" without a query.
fn is_token(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A stored 64-bit seed (SQLite integers are signed; the bits are kept).
fn seed_to_db(seed: u64) -> i64 {
    seed as i64
}

/// A seed as read back.
fn seed_from_db(seed: i64) -> u64 {
    seed as u64
}

/// Runs `f` on the blocking thread pool (engine work), turning a panic into an error.
async fn blocking<T: Send + 'static>(
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> StoreResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Internal(format!("{what} stopped unexpectedly: {e}")))
}

#[cfg(test)]
mod tests;
