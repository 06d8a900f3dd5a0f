//! Reads the Python programs of JSONL files (`code`, and `input` as the question) into graphs
//! (a development aid for the Python reader's speed work):
//!
//! - `cargo run --release -p engine --example parse_dump -- dump FILE.jsonl...` prints each
//!   program's graph as JSON (or its error), then the graph of the printer's form of it, one
//!   line each: pipe it to `md5sum` before and after a change to the reader;
//! - `... -- loop N FILE.jsonl...` reads every program N times (for callgrind), and
//!   `... -- ruff N FILE.jsonl...` only parses each with ruff's parser N times;
//! - `... -- time N FILE.jsonl...` times N alternating passes of the reader and of ruff's
//!   parser alone, and prints the best of each and their ratio (robust to a busy machine).

/// The `graft` binary's allocator, as in the benches.
#[global_allocator]
static ALLOCATOR: allocator::MiMalloc = allocator::MiMalloc;

fn rows(paths: &[String]) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(path).expect("read the file");
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON row");
            let Some(code) = v["code"].as_str() else {
                continue;
            };
            out.push((code.to_string(), v["input"].as_str().map(str::to_string)));
        }
    }
    out
}

fn show(r: &Result<engine::Graph, engine::python::PythonError>) -> String {
    match r {
        Ok(g) => serde_json::to_string(g).expect("a graph serializes"),
        Err(e) => format!("error {}: {e} ({e:?})", e.category()),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("dump") => {
            for (code, q) in rows(&args[2..]) {
                let r = engine::parse_program(&code, q.as_deref());
                println!("{}", show(&r));
                if let Ok(g) = r {
                    let printed = engine::to_python(&g);
                    println!("{}", show(&engine::parse_program(&printed, g.question())));
                }
            }
        }
        Some("loop") => {
            let n: usize = args[2].parse().expect("a count");
            let rows = rows(&args[3..]);
            let mut ok = 0usize;
            for _ in 0..n {
                for (code, q) in &rows {
                    ok += engine::parse_program(std::hint::black_box(code), q.as_deref()).is_ok()
                        as usize;
                }
            }
            println!("{ok} read");
        }
        Some("ruff") => {
            let n: usize = args[2].parse().expect("a count");
            let rows = rows(&args[3..]);
            let mut ok = 0usize;
            for _ in 0..n {
                for (code, _) in &rows {
                    ok += ruff_python_parser::parse_module(std::hint::black_box(code)).is_ok()
                        as usize;
                }
            }
            println!("{ok} read by ruff");
        }
        Some("time") => {
            // The best of N alternating passes of each: the reader, and ruff's parser alone.
            let n: usize = args[2].parse().expect("a count");
            let rows = rows(&args[3..]);
            let (mut best_read, mut best_ruff) = (f64::MAX, f64::MAX);
            for _ in 0..n {
                let t = std::time::Instant::now();
                for (code, q) in &rows {
                    std::hint::black_box(engine::parse_program(
                        std::hint::black_box(code),
                        q.as_deref(),
                    ))
                    .ok();
                }
                best_read = best_read.min(t.elapsed().as_secs_f64());
                let t = std::time::Instant::now();
                for (code, _) in &rows {
                    std::hint::black_box(ruff_python_parser::parse_module(std::hint::black_box(
                        code,
                    )))
                    .ok();
                }
                best_ruff = best_ruff.min(t.elapsed().as_secs_f64());
            }
            println!(
                "best of {n}: reader {:.3} ms, ruff alone {:.3} ms, ratio {:.3}",
                best_read * 1e3,
                best_ruff * 1e3,
                best_read / best_ruff
            );
        }
        _ => eprintln!("usage: parse_dump dump|loop|ruff|time N FILE.jsonl..."),
    }
}
