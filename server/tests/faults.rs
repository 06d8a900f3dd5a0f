//! Faults around the real `graft serve` (issue #10, part 5): `kill -9` in the middle of an
//! import, a curriculum job and a words (judge) job, then a restart on the same data
//! directory; a database file that turns read-only under a running server; a disk that fills
//! up under it.
//!
//! After a kill nothing may be half-written (an import is all or nothing; a job's variants and
//! progress agree) and every job resumes and ends with exactly what an uninterrupted run makes.
//! Read-only and full disks must give a clear error on writes, keep the server serving reads,
//! and leave a database that passes `PRAGMA integrity_check`. The model endpoint going down
//! mid-job is covered by `llm.rs` (`jobs_pause_while_the_model_is_down_and_…`).
//!
//! Read-only uses `chattr +i` on the database and its WAL (root cannot write an immutable
//! file; `chmod` does not stop root and a tmpfs cannot be remounted read-only while the server
//! holds files open for writing). The shared-memory index (`-shm`) is left alone: SQLite maps
//! it, and an immutable mapped file turns SQLite's next write to it into SIGBUS. Disk full
//! uses a small tmpfs (`mount -t tmpfs -o size=…`). Each test prints a notice and returns
//! where the machine allows neither.

mod common;
#[path = "hostile/support.rs"]
mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{data_dir, login, start_process, ADMIN, ADMIN_PASSWORD};
use serde_json::{json, Value};
use support::{changed, digest, integrity, query_i64, query_strings, send, serves_home, Req};

/// How long one request may take.
const TIMEOUT: Duration = Duration::from_secs(60);

fn db(dir: &Path) -> PathBuf {
    dir.join("graft.sqlite3")
}

/// Sends a request as the holder of `cookie`; panics when the server does not answer.
fn call(addr: std::net::SocketAddr, cookie: Option<&str>, req: Req) -> support::Reply {
    send(addr, &req, cookie, TIMEOUT).unwrap_or_else(|e| panic!("{} {}: {e}", req.method, req.path))
}

/// Waits (at most 5 minutes) until job `id` is done or failed; its status.
fn wait_job(addr: std::net::SocketAddr, cookie: &str, id: i64) -> Value {
    let t = Instant::now();
    loop {
        let r = call(addr, Some(cookie), Req::get(format!("/api/jobs/{id}")));
        let j = r.json().unwrap_or(Value::Null);
        if j["state"] == "done" || j["state"] == "failed" {
            return j;
        }
        assert!(
            t.elapsed() < Duration::from_secs(300),
            "job {id} not done: {j}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Polls (every 10 ms, at most `limit`) until `ready` says so; whether it did.
fn poll(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let t = Instant::now();
    while t.elapsed() < limit {
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// `n` problem rows (the demo set, repeated, each with its own id).
fn many_rows(n: usize) -> String {
    let demo = common::demo_lines();
    (0..n)
        .map(|i| {
            let mut v: Value = serde_json::from_str(&demo[i % demo.len()]).unwrap();
            v["id"] = json!(format!("row-{i}"));
            v.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn an_import_killed_mid_write_is_all_or_nothing() {
    let dir = data_dir();
    let rows = 20_000;
    let body = many_rows(rows);
    let wal = dir.path().join("graft.sqlite3-wal");
    let mut outcomes = Vec::new();
    // Up to three tries to land the kill while the import's transaction is being written
    // (the WAL grows); each try is checked the same way whatever it hit.
    for attempt in 0..3 {
        let server = start_process(dir.path());
        let (addr, cookie) = (
            server.addr,
            login(server.addr, ADMIN, ADMIN_PASSWORD).unwrap(),
        );
        let name = format!("big-{attempt}");
        let wal_before = std::fs::metadata(&wal).map_or(0, |m| m.len());
        let sender = {
            let (body, cookie, name) = (body.clone(), cookie.clone(), name.clone());
            std::thread::spawn(move || {
                send(
                    addr,
                    &Req::post(
                        format!("/api/datasets?name={name}"),
                        "text/plain",
                        body.into_bytes(),
                    ),
                    Some(&cookie),
                    Duration::from_secs(300),
                )
            })
        };
        // The import extracts first, then writes: kill once the WAL has grown by 256 KiB.
        let writing = poll(Duration::from_secs(120), || {
            std::fs::metadata(&wal).map_or(0, |m| m.len()) > wal_before + (256 << 10)
                || sender.is_finished()
        });
        server.kill();
        let answer = sender.join().unwrap();
        let finished = matches!(&answer, Ok(r) if r.status == 201);
        outcomes.push(format!(
            "try {attempt}: {}",
            match (&answer, writing) {
                (Ok(r), _) => format!("the import answered {} before the kill", r.status),
                (Err(_), true) => "killed while the WAL grew".to_string(),
                (Err(_), false) => "killed before the write began".to_string(),
            }
        ));
        // After the kill: the dataset is there whole or not at all.
        let restarted = start_process(dir.path());
        let stored = query_strings(
            &db(dir.path()),
            &format!(
                "SELECT d.name || ':' || COUNT(p.id) FROM datasets d LEFT JOIN problems p
                 ON p.dataset_id = d.id WHERE d.name = '{name}' GROUP BY d.id"
            ),
        )
        .unwrap();
        match stored.as_slice() {
            [] => assert!(!finished, "answered 201 but nothing stored"),
            [s] => assert_eq!(*s, format!("{name}:{rows}"), "a half-written import"),
            more => panic!("{more:?}"),
        }
        assert_eq!(integrity(&db(dir.path())).unwrap(), "ok");
        serves_home(restarted.addr).unwrap();
        restarted.kill();
        if stored.is_empty() && writing {
            break; // the interesting case happened: a kill mid-write stored nothing
        }
    }
    eprintln!("{}", outcomes.join("; "));
    // The name is free (or taken whole) and a new import of the same file works completely.
    let server = start_process(dir.path());
    let cookie = login(server.addr, ADMIN, ADMIN_PASSWORD).unwrap();
    let r = call(
        server.addr,
        Some(&cookie),
        Req::post("/api/datasets?name=after", "text/plain", body.into_bytes()),
    );
    assert_eq!(r.status, 201, "{}", r.short());
    assert_eq!(r.json().unwrap()["imported"], rows);
}

/// A job's variants, straight from SQLite: `problem|chain|round|parent chain|parent round|graph`,
/// in problem, chain, round order.
fn job_variants(dir: &Path, job: i64) -> Vec<String> {
    query_strings(
        &db(dir),
        &format!(
            "SELECT v.problem_id || '|' || v.chain || '|' || v.round || '|' ||
                    quote(pv.chain) || '|' || quote(pv.round) || '|' || v.graph || '|' || v.operations
             FROM variants v LEFT JOIN variants pv ON pv.id = v.parent_variant_id
             WHERE v.job_id = {job} ORDER BY v.problem_id, v.chain, v.round"
        ),
    )
    .unwrap()
}

/// The problem id of a [`job_variants`] row.
fn problem_of(row: &str) -> i64 {
    row.split('|').next().unwrap().parse().unwrap()
}

/// A job's `state|done|cursor|variants_made`, straight from SQLite.
fn job_row(dir: &Path, job: i64) -> (String, i64, i64, i64) {
    let s = query_strings(
        &db(dir),
        &format!("SELECT state || '|' || done || '|' || cursor || '|' || variants_made FROM jobs WHERE id = {job}"),
    )
    .unwrap();
    let p: Vec<&str> = s[0].split('|').collect();
    (
        p[0].to_string(),
        p[1].parse().unwrap(),
        p[2].parse().unwrap(),
        p[3].parse().unwrap(),
    )
}

/// Starts a job from `spec`; its id.
fn create_job(addr: std::net::SocketAddr, cookie: &str, spec: &Value) -> i64 {
    let r = call(addr, Some(cookie), Req::json("/api/jobs", spec));
    assert_eq!(r.status, 201, "{}", r.short());
    r.json().unwrap()["id"].as_i64().unwrap()
}

#[test]
fn a_curriculum_job_killed_three_times_ends_as_an_uninterrupted_run() {
    // serve.rs kills once after the first problem; here three kills land at different points
    // and after each the job's progress and variants must agree, problem by problem, with
    // the uninterrupted run.
    let spec = json!({"dataset_id": 1, "rounds": 6, "per_problem": 12, "seed": 11});
    let reference_dir = data_dir();
    let server = start_process(reference_dir.path());
    let cookie = login(server.addr, ADMIN, ADMIN_PASSWORD).unwrap();
    let t = Instant::now();
    let job = create_job(server.addr, &cookie, &spec);
    let done = wait_job(server.addr, &cookie, job);
    let clean = t.elapsed();
    assert_eq!(done["state"], "done", "{done}");
    server.kill();
    let reference = job_variants(reference_dir.path(), job);
    assert!(!reference.is_empty());
    let total = done["total"].as_i64().unwrap();

    let dir = data_dir();
    let mut server = start_process(dir.path());
    let mut cookie = login(server.addr, ADMIN, ADMIN_PASSWORD).unwrap();
    assert_eq!(create_job(server.addr, &cookie, &spec), job);
    let mut kills = Vec::new();
    for k in 1..=3 {
        // Kill once the job is `k` fifths through (or after a while).
        let target = total * k / 5;
        poll(clean.max(Duration::from_secs(5)) * 3, || {
            job_row(dir.path(), job).1 >= target
        });
        server.kill();
        let (state, done, cursor, made) = job_row(dir.path(), job);
        kills.push(format!("{state} at {done}/{total}"));
        let now = job_variants(dir.path(), job);
        let expected: Vec<String> = reference
            .iter()
            .filter(|r| problem_of(r) <= cursor)
            .cloned()
            .collect();
        assert_eq!(
            now.len(),
            expected.len(),
            "after kill {k} ({state} at {done}/{total}): a problem half-written"
        );
        assert!(
            now == expected,
            "after kill {k}: variants differ from the clean run's"
        );
        assert_eq!(
            made as usize,
            now.len(),
            "variants_made disagrees with the variants"
        );
        assert_eq!(integrity(&db(dir.path())).unwrap(), "ok");
        server = start_process(dir.path());
        cookie = login(server.addr, ADMIN, ADMIN_PASSWORD).unwrap();
    }
    let resumed = wait_job(server.addr, &cookie, job);
    assert_eq!(resumed["state"], "done", "{resumed}");
    assert_eq!(resumed["done"], total);
    server.kill();
    eprintln!("killed: {}", kills.join(", "));
    assert!(
        job_variants(dir.path(), job) == reference,
        "the resumed job's variants differ from the clean run's"
    );
}

/// Every variant's words, straight from SQLite, in id order.
fn words(dir: &Path) -> Vec<String> {
    query_strings(
        &db(dir),
        "SELECT id || '|' || quote(text) || '|' || quote(text_source) || '|' ||
                quote(text_fallback) || '|' || quote(text_notes) || '|' || quote(verdict) || '|' ||
                quote(verdict_outcome) || '|' || quote(llm_error)
         FROM variants ORDER BY id",
    )
    .unwrap()
}

#[test]
fn a_words_job_killed_four_times_ends_as_an_uninterrupted_run() {
    // Variants first (the same in both directories), then an offline judge job over all of
    // them: it writes each variant's offline text and verdict.
    let curriculum = json!({"dataset_id": 1, "rounds": 3, "per_problem": 6, "seed": 4});
    let judge = json!({"dataset_id": 1, "task": "judge", "offline": true});
    let reference_dir = data_dir();
    let server = start_process(reference_dir.path());
    let cookie = login(server.addr, ADMIN, ADMIN_PASSWORD).unwrap();
    let c = create_job(server.addr, &cookie, &curriculum);
    assert_eq!(wait_job(server.addr, &cookie, c)["state"], "done");
    let t = Instant::now();
    let j = create_job(server.addr, &cookie, &judge);
    let done = wait_job(server.addr, &cookie, j);
    let clean = t.elapsed();
    assert_eq!(done["state"], "done", "{done}");
    server.kill();
    let reference = words(reference_dir.path());
    let total = done["total"].as_i64().unwrap();
    assert!(total > 20, "{done}");
    assert_eq!(
        query_i64(&db(reference_dir.path()), "SELECT COUNT(*) FROM llm_calls").unwrap(),
        0
    );

    let dir = data_dir();
    let mut server = start_process(dir.path());
    let mut cookie = login(server.addr, ADMIN, ADMIN_PASSWORD).unwrap();
    assert_eq!(create_job(server.addr, &cookie, &curriculum), c);
    assert_eq!(wait_job(server.addr, &cookie, c)["state"], "done");
    let before = words(dir.path());
    assert_eq!(create_job(server.addr, &cookie, &judge), j);
    let mut kills = Vec::new();
    // Four kills: the more land mid-item, the likelier one falls between an item's writes.
    for k in 1..=4 {
        let target = total * k / 5;
        poll(clean.max(Duration::from_secs(5)) * 3, || {
            job_row(dir.path(), j).1 >= target
        });
        server.kill();
        let (state, done, cursor, _) = job_row(dir.path(), j);
        kills.push(format!("{state} at {done}/{total}"));
        // Each variant holds either what it had or exactly the clean run's words: every
        // variant up to the cursor is judged, later ones hold what they had or (the one
        // in flight) the finished result.
        let now = words(dir.path());
        for ((n, r), b) in now.iter().zip(&reference).zip(&before) {
            let id: i64 = n.split('|').next().unwrap().parse().unwrap();
            if id <= cursor {
                assert_eq!(
                    n, r,
                    "after kill {k}: variant {id} differs from the clean run"
                );
            } else {
                assert!(
                    n == r || n == b,
                    "after kill {k}: variant {id} half-written: {n}"
                );
            }
        }
        assert_eq!(integrity(&db(dir.path())).unwrap(), "ok");
        server = start_process(dir.path());
        cookie = login(server.addr, ADMIN, ADMIN_PASSWORD).unwrap();
    }
    let resumed = wait_job(server.addr, &cookie, j);
    assert_eq!(resumed["state"], "done", "{resumed}");
    assert_eq!(resumed["done"], total, "{resumed}");
    assert_eq!(resumed["problems_failed"], done["problems_failed"]);
    server.kill();
    eprintln!("killed: {}", kills.join(", "));
    assert!(
        words(dir.path()) == reference,
        "the resumed judge job's words differ from the clean run's"
    );
}

/// Runs a command; whether it succeeded, with its stderr.
fn run(cmd: &str, args: &[&str]) -> Result<(), String> {
    match Command::new(cmd).args(args).output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!(
            "{cmd} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Err(format!("{cmd}: {e}")),
    }
}

/// Files made immutable (`chattr +i`) until dropped.
struct Immutable(Vec<PathBuf>);

impl Immutable {
    fn set(files: &[PathBuf]) -> Result<Immutable, String> {
        let mut done = Immutable(Vec::new());
        for f in files {
            run("chattr", &["+i", f.to_str().unwrap()])?;
            done.0.push(f.clone());
        }
        Ok(done)
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        for f in &self.0 {
            let _ = run("chattr", &["-i", f.to_str().unwrap()]);
        }
    }
}

/// The checks shared by read-only and full: writes refused with a clear message (only the big
/// import unless `all_writes`: on a full disk a small write can still fit in the WAL), reads
/// served (anonymous and logged in), the server alive. Returns the write errors seen.
fn writes_fail_reads_work(
    server: &mut common::Server,
    cookie: &str,
    import_rows: usize,
    all_writes: bool,
) -> Vec<String> {
    let addr = server.addr;
    let mut errors = Vec::new();
    let mut writes = vec![
        Req::post(
            "/api/datasets?name=refused",
            "text/plain",
            many_rows(import_rows).into_bytes(),
        ),
        Req::json(
            "/api/jobs",
            &json!({"dataset_id": 1, "rounds": 1, "per_problem": 1, "seed": 1}),
        ),
        Req::json(
            "/api/datasets/1/settings",
            &json!({"public": true, "guidelines": "read only?", "overlap": 2, "gold_percent": 10}),
        ),
    ];
    if !all_writes {
        writes.truncate(1);
    }
    for w in writes {
        let r = call(addr, Some(cookie), w.clone());
        let message = r.message();
        let says = ["read", "disk", "full", "i/o", "space"]
            .iter()
            .any(|w| message.to_lowercase().contains(w));
        assert!(
            r.status >= 400 && says,
            "{} {} was not refused with a message saying why: {} {}",
            w.method,
            w.path,
            r.status,
            r.short()
        );
        errors.push(format!("{} {} → {} {message}", w.method, w.path, r.status));
    }
    for path in ["/", "/api/datasets", "/api/datasets/1", "/d/1"] {
        for who in [None, Some(cookie)] {
            let r = call(addr, who, Req::get(path));
            assert_eq!(
                r.status,
                200,
                "GET {path} ({}) while writes fail: {}",
                if who.is_some() { "admin" } else { "anonymous" },
                r.short()
            );
        }
    }
    assert!(
        server.process().try_wait().unwrap().is_none(),
        "the server died while writes failed"
    );
    errors
}

#[test]
fn a_read_only_database_refuses_writes_and_keeps_serving_reads() {
    let dir = data_dir();
    let mut server = start_process(dir.path());
    let cookie = login(server.addr, ADMIN, ADMIN_PASSWORD).unwrap();
    let files = [db(dir.path()), dir.path().join("graft.sqlite3-wal")];
    let before = digest(&db(dir.path())).unwrap();
    let guard = match Immutable::set(&files) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("NOTICE: skipped: cannot make the database read-only here ({e})");
            return;
        }
    };
    let errors = writes_fail_reads_work(&mut server, &cookie, 50, true);
    eprintln!("read-only: {}", errors.join(" | "));
    // A new server on the read-only file: a clear refusal to start, or reads.
    let other = Command::new(env!("CARGO_BIN_EXE_graft"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("LEPTOS_SITE_ROOT", env!("CARGO_TARGET_TMPDIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut other = other;
    let ended = loop {
        if let Some(s) = other.try_wait().unwrap() {
            break Some(s);
        }
        if started.elapsed() > Duration::from_secs(10) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    match ended {
        Some(status) => {
            let out = other.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            eprintln!(
                "graft serve on a read-only database: {}: {}",
                support::describe_exit(&status),
                err.trim()
            );
            assert_eq!(status.code(), Some(1), "{err}");
            assert!(!err.trim().is_empty());
        }
        None => {
            eprintln!("graft serve on a read-only database keeps running");
            let _ = other.kill();
            let _ = other.wait();
        }
    }
    drop(guard);
    assert_eq!(integrity(&db(dir.path())).unwrap(), "ok");
    let diff = changed(&before, &digest(&db(dir.path())).unwrap());
    assert!(diff.is_empty(), "the refused writes changed {diff:?}");
    // Writable again: the same writes go through — at once, or (connections the pool opened
    // while the file was immutable are read-only for good) after a restart.
    let again = || {
        Req::post(
            "/api/datasets?name=after",
            "text/plain",
            many_rows(50).into_bytes(),
        )
    };
    let r = call(server.addr, Some(&cookie), again());
    if r.status != 201 {
        eprintln!(
            "NOTICE: writable again, the running server still refuses writes: {} {}",
            r.status,
            r.short()
        );
        server.kill();
        server = start_process(dir.path());
        let cookie = login(server.addr, ADMIN, ADMIN_PASSWORD).unwrap();
        let r = call(server.addr, Some(&cookie), again());
        assert_eq!(r.status, 201, "after a restart: {}", r.short());
    }
    serves_home(server.addr).unwrap();
    assert_eq!(integrity(&db(dir.path())).unwrap(), "ok");
}

/// A tmpfs mounted for a test, unmounted (after its server is stopped) when dropped.
struct Tmpfs(PathBuf);

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = run("umount", &["-l", self.0.to_str().unwrap()]);
    }
}

#[test]
fn a_full_disk_refuses_writes_and_keeps_serving_reads() {
    let base = data_dir();
    let mount = base.path().join("small");
    std::fs::create_dir_all(&mount).unwrap();
    if let Err(e) = run(
        "mount",
        &[
            "-t",
            "tmpfs",
            "-o",
            "size=48m",
            "tmpfs",
            mount.to_str().unwrap(),
        ],
    ) {
        eprintln!("NOTICE: skipped: cannot mount a small tmpfs here ({e})");
        return;
    }
    let fs = Tmpfs(mount.clone());
    let dir = mount.join("data");
    let mut server = start_process(&dir);
    let cookie = login(server.addr, ADMIN, ADMIN_PASSWORD).unwrap();
    let before = digest(&db(&dir)).unwrap();
    // Fill the disk (bounded: at most 64 writes of 1 MiB, then 4 KiB ones).
    let filler = mount.join("filler");
    let mut f = std::fs::File::create(&filler).unwrap();
    let mut full = false;
    for size in [1usize << 20, 4 << 10] {
        for _ in 0..(64 << 20) / size {
            if f.write_all(&vec![0u8; size])
                .and_then(|_| f.sync_all())
                .is_err()
            {
                full = true;
                break;
            }
        }
    }
    assert!(full, "the 48 MiB tmpfs did not fill");
    let errors = writes_fail_reads_work(&mut server, &cookie, 5_000, false);
    eprintln!("disk full: {}", errors.join(" | "));
    // A curriculum job on the full disk: refused at once, or stopped as failed with the reason
    // when its first problem's variants do not fit; the server stays up either way.
    let r = call(
        server.addr,
        Some(&cookie),
        Req::json(
            "/api/jobs",
            &json!({"dataset_id": 1, "rounds": 8, "per_problem": 50, "seed": 2}),
        ),
    );
    if r.status == 201 {
        let id = r.json().unwrap()["id"].as_i64().unwrap();
        let end = wait_job(server.addr, &cookie, id);
        eprintln!("disk full: a job ended {end}");
        assert_eq!(end["state"], "failed", "{end}");
        let error = end["error"].as_str().unwrap_or_default().to_lowercase();
        assert!(error.contains("full"), "{end}");
    } else {
        assert!(r.message().to_lowercase().contains("full"), "{}", r.short());
    }
    serves_home(server.addr).unwrap();
    assert!(server.process().try_wait().unwrap().is_none());
    drop(f);
    std::fs::remove_file(&filler).unwrap();
    assert_eq!(integrity(&db(&dir)).unwrap(), "ok");
    let diff: Vec<String> = changed(&before, &digest(&db(&dir)).unwrap())
        .into_iter()
        .filter(|t| !t.starts_with("jobs "))
        .collect();
    assert!(diff.is_empty(), "the refused writes changed {diff:?}");
    let r = call(
        server.addr,
        Some(&cookie),
        Req::post(
            "/api/datasets?name=after",
            "text/plain",
            many_rows(5_000).into_bytes(),
        ),
    );
    assert_eq!(
        r.status,
        201,
        "space again, the import works: {}",
        r.short()
    );
    serves_home(server.addr).unwrap();
    server.kill();
    drop(fs);
}
