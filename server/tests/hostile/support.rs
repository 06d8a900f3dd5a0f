//! Shared by `hostile.rs` and `faults.rs`: a fallible HTTP client (a dead or hung server is a
//! finding, not a panic), digests of the database's tables read straight from the SQLite file,
//! and the paths of the Leptos server functions.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row};

/// One answer: the status, the headers (lower-case names) and the body.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body as sent.
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first 300 characters of the body, for messages.
    pub fn short(&self) -> String {
        let t = self.text();
        let cut: String = t.chars().take(300).collect();
        if cut.len() < t.len() {
            format!("{cut}… ({} bytes)", t.len())
        } else {
            cut
        }
    }

    /// The error message the body carries: `{"error": …}` of the JSON API, else the whole
    /// text (server functions answer their error as text).
    pub fn message(&self) -> String {
        match self.json() {
            Some(v) => match v.get("error").and_then(|e| e.as_str()) {
                Some(e) => e.to_string(),
                None => v.to_string(),
            },
            None => self.text(),
        }
    }
}

/// A request to send.
#[derive(Debug, Clone)]
pub struct Req {
    /// `GET`, `POST`, …
    pub method: &'static str,
    /// The path and query.
    pub path: String,
    /// The `Content-Type` header, if any.
    pub content_type: Option<&'static str>,
    /// The body.
    pub body: Vec<u8>,
}

impl Req {
    /// `GET path`.
    pub fn get(path: impl Into<String>) -> Req {
        Req {
            method: "GET",
            path: path.into(),
            content_type: None,
            body: Vec::new(),
        }
    }

    /// `POST path` with a body of this type.
    pub fn post(path: impl Into<String>, content_type: &'static str, body: Vec<u8>) -> Req {
        Req {
            method: "POST",
            path: path.into(),
            content_type: Some(content_type),
            body,
        }
    }

    /// `POST path` with a JSON body.
    pub fn json(path: impl Into<String>, body: &serde_json::Value) -> Req {
        Req::post(path, "application/json", body.to_string().into_bytes())
    }

    /// `POST path` with raw bytes declared as JSON.
    pub fn raw_json(path: impl Into<String>, body: Vec<u8>) -> Req {
        Req::post(path, "application/json", body)
    }

    /// `POST path` with a form body (`application/x-www-form-urlencoded`) of these fields,
    /// each value raw bytes (so invalid UTF-8 can be sent percent-encoded).
    pub fn form(path: impl Into<String>, fields: &[(&str, &[u8])]) -> Req {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", percent(k.as_bytes()), percent(v)))
            .collect::<Vec<_>>()
            .join("&");
        Req::post(path, "application/x-www-form-urlencoded", body.into_bytes())
    }
}

/// Percent-encodes every byte but `A-Z a-z 0-9 - _ . ~`.
pub fn percent(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Sends one HTTP/1.0 request (the server closes the connection after the answer) with an
/// optional cookie, waiting at most `timeout` for the answer. `Err` says what went wrong: the
/// connection refused (the server is gone), reset, or no answer in time.
pub fn send(
    addr: SocketAddr,
    req: &Req,
    cookie: Option<&str>,
    timeout: Duration,
) -> Result<Reply, String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    s.set_read_timeout(Some(timeout)).ok();
    s.set_write_timeout(Some(timeout)).ok();
    let mut head = format!("{} {} HTTP/1.0\r\nHost: {addr}\r\n", req.method, req.path);
    if let Some(ct) = req.content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    if let Some(c) = cookie {
        head.push_str(&format!("Cookie: {c}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", req.body.len()));
    // A server may answer (413, 400) before it has read a big body and close the connection:
    // a failed write is not an error yet, the answer is read below.
    let wrote = s
        .write_all(head.as_bytes())
        .and_then(|_| s.write_all(&req.body));
    let mut raw = Vec::new();
    let read = s.read_to_end(&mut raw);
    if raw.is_empty() {
        return Err(match (read, wrote) {
            (Err(e), _)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                format!("no answer within {timeout:?}")
            }
            (Err(e), _) => format!("the connection failed: {e}"),
            (Ok(_), Err(e)) => format!("the connection closed while sending ({e})"),
            (Ok(_), Ok(())) => "the connection closed without an answer".to_string(),
        });
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no header block in {:?}", String::from_utf8_lossy(&raw)))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("no status in {head:?}"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// Whether the server answers `GET /` with 200 (within 30 s).
pub fn serves_home(addr: SocketAddr) -> Result<(), String> {
    match send(addr, &Req::get("/"), None, Duration::from_secs(30)) {
        Ok(r) if r.status == 200 => Ok(()),
        Ok(r) => Err(format!("GET / answered {}: {}", r.status, r.short())),
        Err(e) => Err(format!("GET /: {e}")),
    }
}

/// The path of a Leptos server function (its name plus a hash, as registered).
pub fn server_fn_path<F: leptos::server_fn::ServerFn>() -> &'static str {
    F::PATH
}

/// Tables whose rows a digest covers: everything but sessions (a login writes one) and the
/// migration record.
const SKIPPED_TABLES: [&str; 2] = ["tower_sessions", "_sqlx_migrations"];

/// A table's row count and a hash of every row (every column quoted; rows in text order, as
/// some tables have no rowid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableDigest {
    /// Rows.
    pub rows: i64,
    /// Hash of every row's quoted columns.
    pub hash: u64,
}

/// Every table's digest, by name.
pub type Digest = BTreeMap<String, TableDigest>;

/// A small runtime for reading the database from a test thread.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Opens the SQLite file at `db` (read-only unless `write`), waiting up to 10 s on locks.
pub async fn open(db: &Path, write: bool) -> Result<sqlx::SqliteConnection, String> {
    SqliteConnectOptions::new()
        .filename(db)
        .read_only(!write)
        .busy_timeout(Duration::from_secs(10))
        .connect()
        .await
        .map_err(|e| format!("cannot open {}: {e}", db.display()))
}

/// Digests every table of the database at `db` (the server may be running: WAL readers do not
/// block it).
pub fn digest(db: &Path) -> Result<Digest, String> {
    runtime().block_on(async {
        let mut c = open(db, false).await?;
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             ORDER BY name",
        )
        .fetch_all(&mut c)
        .await
        .map_err(|e| e.to_string())?;
        let mut out = Digest::new();
        for t in tables {
            if SKIPPED_TABLES.contains(&t.as_str()) {
                continue;
            }
            let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?)")
                .bind(&t)
                .fetch_all(&mut c)
                .await
                .map_err(|e| e.to_string())?;
            // A value over 64 KiB (a hostile import may store a 10 MB line) counts by its
            // length and first 1 KiB, which keeps a digest fast (a blob's length is free).
            let row_expr = columns
                .iter()
                .map(|col| {
                    format!(
                        "CASE WHEN length(CAST(\"{col}\" AS BLOB)) > 65536
                            THEN 'big:' || length(CAST(\"{col}\" AS BLOB)) || ':'
                                || hex(substr(CAST(\"{col}\" AS BLOB), 1, 1024))
                            ELSE quote(\"{col}\") END"
                    )
                })
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            let rows: Vec<String> = sqlx::query_scalar(&format!(
                "SELECT r FROM (SELECT {row_expr} AS r FROM \"{t}\") ORDER BY r"
            ))
            .fetch_all(&mut c)
            .await
            .map_err(|e| format!("reading {t}: {e}"))?;
            let mut h = std::collections::hash_map::DefaultHasher::new();
            rows.hash(&mut h);
            out.insert(
                t,
                TableDigest {
                    rows: rows.len() as i64,
                    hash: h.finish(),
                },
            );
        }
        c.close().await.ok();
        Ok(out)
    })
}

/// The tables whose digest differs between `a` and `b`, with their row counts.
pub fn changed(a: &Digest, b: &Digest) -> Vec<String> {
    let names: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    names
        .into_iter()
        .filter(|n| a.get(*n) != b.get(*n))
        .map(|n| {
            format!(
                "{n} ({} → {} rows)",
                a.get(n).map_or(-1, |d| d.rows),
                b.get(n).map_or(-1, |d| d.rows)
            )
        })
        .collect()
}

/// `PRAGMA integrity_check` of the database at `db`: `"ok"` when sound.
pub fn integrity(db: &Path) -> Result<String, String> {
    runtime().block_on(async {
        let mut c = open(db, false).await?;
        let rows = sqlx::query("PRAGMA integrity_check")
            .fetch_all(&mut c)
            .await
            .map_err(|e| e.to_string())?;
        c.close().await.ok();
        Ok(rows
            .iter()
            .map(|r| r.get::<String, _>(0))
            .collect::<Vec<_>>()
            .join("; "))
    })
}

/// Runs one query returning rows of one text column (each value's `quote()` is up to the
/// caller) on the database at `db`.
pub fn query_strings(db: &Path, sql: &str) -> Result<Vec<String>, String> {
    runtime().block_on(async {
        let mut c = open(db, false).await?;
        let rows: Vec<String> = sqlx::query_scalar(sql)
            .fetch_all(&mut c)
            .await
            .map_err(|e| format!("{sql}: {e}"))?;
        c.close().await.ok();
        Ok(rows)
    })
}

/// One integer from a query on the database at `db`.
pub fn query_i64(db: &Path, sql: &str) -> Result<i64, String> {
    runtime().block_on(async {
        let mut c = open(db, false).await?;
        let v: i64 = sqlx::query_scalar(sql)
            .fetch_one(&mut c)
            .await
            .map_err(|e| format!("{sql}: {e}"))?;
        c.close().await.ok();
        Ok(v)
    })
}

/// How a child process ended, in words (`exit 1`, `signal 6 (SIGABRT)`).
pub fn describe_exit(status: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exit {c}"),
        (None, Some(s)) => format!(
            "killed by signal {s}{}",
            match s {
                6 => " (SIGABRT: abort, e.g. a stack overflow)",
                9 => " (SIGKILL)",
                11 => " (SIGSEGV)",
                _ => "",
            }
        ),
        _ => "ended".to_string(),
    }
}

/// Runs one statement on the database at `db` (a write, while the server may be running).
pub fn execute(db: &Path, sql: &str) -> Result<u64, String> {
    runtime().block_on(async {
        let mut c = open(db, true).await?;
        let n = sqlx::query(sql)
            .execute(&mut c)
            .await
            .map_err(|e| format!("{sql}: {e}"))?
            .rows_affected();
        c.close().await.ok();
        Ok(n)
    })
}
