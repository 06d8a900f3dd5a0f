//! The `graft` subcommands, one module each.

pub mod export;
pub mod extract;
pub mod generate;
pub mod import;
pub mod llm;
pub mod serve;
pub mod store;
pub mod user;

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
