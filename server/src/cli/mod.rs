//! The `graft` subcommands, one module each.

pub mod eval;
pub mod export;
pub mod extract;
pub mod generate;
pub mod import;
pub mod llm;
pub mod score;
pub mod serve;
pub mod solve;
pub mod store;
pub mod user;
pub mod words;

/// A progress bar on standard error for `len` items (hidden when stderr is not a terminal).
pub fn progress(len: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg} [{bar:40}] {pos}/{len} ({per_sec}, eta {eta})",
        )
        .expect("the template is valid")
        .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}

thread_local! {
    /// Whether this thread is inside [`guarded`] (its panics are caught, not printed).
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Where this thread's last caught panic happened and what it said.
    static LAST_PANIC: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Installs, once per process, a panic hook that is quiet on a thread inside [`guarded`]
/// (it records the panic's place and message for that thread) and the usual hook elsewhere.
fn install_quiet_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(|q| q.get()) {
                let at = info
                    .location()
                    .map(|l| format!(" at {}:{}:{}", l.file(), l.line(), l.column()))
                    .unwrap_or_default();
                let message = ::store::panic_message(info.payload());
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{at}: {message}")));
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs one row's engine work, catching a panic (a bug in the engine) so that the row can be
/// reported as skipped and the rest of the file still runs. The panic is not printed; its
/// message and location come back as the error:
/// `the engine panicked at FILE:LINE:COL: MESSAGE; this is a bug in Graft, …`. Safe to call
/// from several threads at once (the hook is installed once and is quiet per thread).
///
/// A stack overflow is not a panic and cannot be caught: the engine bounds its recursion
/// instead (`engine::limits`).
pub fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_quiet_hook();
    let was_quiet = QUIET.with(|q| q.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was_quiet));
    result.map_err(|payload| {
        let what = LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| format!(": {}", ::store::panic_message(payload.as_ref())));
        format!("the engine panicked{what}; this is a bug in Graft, please report it with this row")
    })
}

/// How many threads [`in_order`] uses: `GRAFT_THREADS` when set (at least 1), else the
/// machine's available parallelism.
pub fn threads() -> usize {
    std::env::var("GRAFT_THREADS")
        .ok()
        .and_then(|t| t.parse::<usize>().ok())
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
        .max(1)
}

/// Runs `work` on every item on up to `threads` threads and hands each result to `done` in
/// the items' order, so output stays deterministic. Items are taken from `items` in chunks (a
/// few dozen per thread): a chunk's results are handed over before the next chunk is read, so
/// memory stays bounded whatever the input's size. `done` returning an error, or `items`
/// yielding one, stops the run there (the items before it are handed over first).
pub fn in_order<T: Sync + Send, R: Send>(
    items: impl IntoIterator<Item = anyhow::Result<T>>,
    threads: usize,
    work: impl Fn(&T) -> R + Sync,
    mut done: impl FnMut(&T, R) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let threads = threads.max(1);
    let mut items = items.into_iter();
    if threads == 1 {
        for item in items {
            let item = item?;
            done(&item, work(&item))?;
        }
        return Ok(());
    }
    let size = 32 * threads;
    let mut chunk: Vec<T> = Vec::with_capacity(size);
    loop {
        chunk.clear();
        let mut stop = None;
        for item in items.by_ref() {
            match item {
                Ok(item) => chunk.push(item),
                Err(e) => {
                    stop = Some(e);
                    break;
                }
            }
            if chunk.len() == size {
                break;
            }
        }
        let last = stop.is_some() || chunk.len() < size;
        let next = std::sync::atomic::AtomicUsize::new(0);
        let take = || {
            let mut mine = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(item) = chunk.get(i) else {
                    return mine;
                };
                mine.push((i, work(item)));
            }
        };
        let mut results: Vec<Option<R>> =
            std::iter::repeat_with(|| None).take(chunk.len()).collect();
        std::thread::scope(|s| {
            let helpers: Vec<_> = (1..threads.min(chunk.len()))
                .map(|_| s.spawn(take))
                .collect();
            for (i, r) in take() {
                results[i] = Some(r);
            }
            for h in helpers {
                // A worker's panic is the engine's, already caught by `guarded` in `work`;
                // anything else is a bug here and is passed on.
                let done = h.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
                for (i, r) in done {
                    results[i] = Some(r);
                }
            }
        });
        for (item, r) in chunk.iter().zip(results) {
            done(item, r.expect("every item of a chunk is worked on"))?;
        }
        if let Some(e) = stop {
            return Err(e);
        }
        if last {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_panic_in_a_row_is_an_error_with_its_message() {
        assert_eq!(super::guarded(|| 2 + 2), Ok(4));
        let e = super::guarded(|| -> u32 { panic!("row 3 is bad") }).unwrap_err();
        assert!(e.starts_with("the engine panicked at "), "{e}");
        assert!(e.contains("row 3 is bad"), "{e}");
        // The usual hook is back.
        assert_eq!(super::guarded(|| 1), Ok(1));
    }

    #[test]
    fn in_order_hands_results_over_in_order_whatever_the_threads() {
        let items: Vec<u64> = (0..1000).collect();
        for threads in [1, 2, 5] {
            let mut seen = Vec::new();
            super::in_order(
                items.iter().map(|&i| Ok(i)),
                threads,
                |&i| {
                    // Uneven work, so threads finish out of order.
                    std::thread::sleep(std::time::Duration::from_micros((i % 7) * 50));
                    i
                },
                |&i, r| {
                    assert_eq!(i, r);
                    seen.push(r);
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(seen, items, "{threads} threads");
        }
        // An error from `done` stops the run there.
        let mut n = 0;
        let e = super::in_order(
            items.iter().map(|&i| Ok(i)),
            3,
            |&i| i,
            |&i, _| {
                n += 1;
                anyhow::ensure!(i < 100, "stop at {i}");
                Ok(())
            },
        );
        assert_eq!(e.unwrap_err().to_string(), "stop at 100");
        assert_eq!(n, 101);
        // An error from the items (a read failing) stops the run after the items before it.
        for threads in [1, 2] {
            let mut seen = Vec::new();
            let items = (0..200u64).map(|i| match i {
                150 => Err(anyhow::anyhow!("cannot read line {i}")),
                _ => Ok(i),
            });
            let e = super::in_order(
                items,
                threads,
                |&i| i * 2,
                |_, r| {
                    seen.push(r);
                    Ok(())
                },
            );
            assert_eq!(e.unwrap_err().to_string(), "cannot read line 150");
            assert_eq!(seen, (0..150).map(|i| i * 2).collect::<Vec<_>>());
        }
    }

    #[test]
    fn panics_on_several_threads_are_caught_each_with_its_own_message() {
        let items: Vec<u32> = (0..64).collect();
        let mut errors = Vec::new();
        super::in_order(
            items.iter().map(|&i| Ok(i)),
            4,
            |&i| {
                super::guarded(|| {
                    if i % 8 == 3 {
                        panic!("row {i} is bad")
                    } else {
                        i
                    }
                })
            },
            |&i, r| {
                match r {
                    Ok(v) => assert_eq!(v, i),
                    Err(e) => errors.push((i, e)),
                }
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(errors.len(), 8);
        for (i, e) in errors {
            assert!(e.contains(&format!("row {i} is bad")), "{e}");
        }
    }
}
