//! `graft` as a library: the command line (`cli`, one module per subcommand) and the web
//! server (`web`: the router over the JSON API, the server functions and the pages;
//! `web_cache`: the response cache of problem pages and JSON). The
//! binary's `main` calls [`main`].

pub mod accounts;
pub mod annotations;
pub mod api;
pub mod bounds;
pub mod cli;
pub mod jsonl;
pub mod web;
pub mod web_cache;

use clap::{Parser, Subcommand};

/// Graft: structural synthesis of math word problems with controlled difficulty.
#[derive(Parser)]
#[command(name = "graft", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Extract computation graphs from a JSONL file and report coverage.
    Extract(cli::extract::Args),
    /// Generate intervened variants (curricula of 1–8 rounds) from a JSONL file.
    Generate(cli::generate::Args),
    /// Serve the web app and the JSON API over HTTP, with a SQLite store and a job runner.
    Serve(cli::serve::Args),
    /// Manage accounts: add (the first admin with `--admin`), passwd, role, list.
    User(cli::user::Args),
    /// Export one dataset as JSONL (full: restorable; prm: labelled solutions; gsm8k: GSM8K
    /// rows with worked solutions; trl, prm800k: its model solutions with step labels), or
    /// its variants as Parquet (parquet).
    Export(cli::export::Args),
    /// Import a JSONL file, or restore a `graft export` file, as a new dataset.
    Import(cli::import::Args),
    /// Model work through batch files: write a dataset's verbalize and judge requests
    /// (OpenAI Batch API JSONL), read the batch's results back and store them.
    Words(cli::words::Args),
    /// Score a model's solutions of generated variants exactly and label their steps
    /// (+1 / 0 / −1, with reasons); accuracy by round and depth on stderr.
    Score(cli::score::Args),
    /// Ask a model to solve a dataset's variants (a solve job with a progress bar); every
    /// solution is stored scored and labelled.
    Solve(cli::solve::Args),
    /// Evaluate a model on a dataset: `graft eval report` prints the accuracy of the stored
    /// solutions by depth, round and intervention kind, with 95% intervals and pass@k.
    Eval(cli::eval::Args),
}

/// Parses the command line and runs the subcommand; the process's exit code.
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Extract(args) => cli::extract::run(args),
        Command::Generate(args) => cli::generate::run(args),
        Command::Serve(args) => cli::serve::run(args),
        Command::User(args) => cli::user::run(args),
        Command::Export(args) => cli::export::run(args),
        Command::Import(args) => cli::import::run(args),
        Command::Words(args) => cli::words::run(args),
        Command::Score(args) => cli::score::run(args),
        Command::Solve(args) => cli::solve::run(args),
        Command::Eval(args) => cli::eval::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
