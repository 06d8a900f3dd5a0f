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

/// Where the last caught panic happened and what it said, set by the quiet hook of [`guarded`].
static LAST_PANIC: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Runs one row's engine work, catching a panic (a bug in the engine) so that the row can be
/// reported as skipped and the rest of the file still runs. The panic is not printed by the
/// default hook; its message and location come back as the error:
/// `the engine panicked at FILE:LINE:COL: MESSAGE; this is a bug in Graft, …`.
///
/// A stack overflow is not a panic and cannot be caught: the engine bounds its recursion
/// instead (`engine::limits`).
pub fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_default();
        let message = ::store::panic_message(info.payload());
        *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = Some(format!("{at}: {message}"));
    }));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    result.map_err(|payload| {
        let what = LAST_PANIC
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or_else(|| format!(": {}", ::store::panic_message(payload.as_ref())));
        format!("the engine panicked{what}; this is a bug in Graft, please report it with this row")
    })
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
}
