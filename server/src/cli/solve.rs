//! `graft solve`: a solve job over a dataset's variants run from the command line, with a
//! progress bar: each variant's text asked of the model, every sample stored scored and
//! labelled step by step (the same job `POST /api/jobs` with `"task": "solve"` starts).

use std::time::Duration;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use types::model::{JobSpec, JobState, JobTask, SolveOptions};

use super::llm::LlmArgs;
use super::store::{runtime, StoreArgs};

/// Arguments of `graft solve`.
#[derive(clap::Args)]
pub struct Args {
    /// The dataset: its name, or its id.
    #[arg(long)]
    dataset: String,
    /// Solutions per variant (1 to 16).
    #[arg(long, default_value_t = 1)]
    samples: u32,
    /// Sampling temperature (0 to 2); each sample gets its own seed.
    #[arg(long, default_value_t = 0.0)]
    temperature: f64,
    /// The most tokens one solution may take (16 to 8192).
    #[arg(long, default_value_t = 1024)]
    max_tokens: u32,
    /// A system prompt of your own (the default asks for a step a line and `#### N`).
    #[arg(long)]
    system_prompt: Option<String>,
    /// The most requests the job may send.
    #[arg(long)]
    max_requests: Option<u32>,
    /// Where the database is.
    #[command(flatten)]
    store: StoreArgs,
    /// The model (required).
    #[command(flatten)]
    llm: LlmArgs,
}

/// Runs `graft solve`.
pub fn run(args: Args) -> anyhow::Result<()> {
    runtime()?.block_on(solve(args))
}

async fn solve(args: Args) -> anyhow::Result<()> {
    let Some(client) = args.llm.client()? else {
        bail!(
            "graft solve needs a model: give --llm-base-url and --llm-model (or GRAFT_LLM_BASE_URL \
             and GRAFT_LLM_MODEL)"
        );
    };
    let store = args
        .store
        .open()
        .await?
        .with_llm(Some(client))
        .with_llm_config(args.llm.config());
    let dataset = super::export::find(&store, &args.dataset).await?;
    let spec = JobSpec {
        max_requests: args.max_requests,
        solve: Some(SolveOptions {
            samples: args.samples,
            temperature: args.temperature,
            max_tokens: args.max_tokens,
            system_prompt: args.system_prompt.clone(),
        }),
        ..JobSpec::words(dataset, JobTask::Solve)
    };
    let id = store.create_job(&spec).await?;
    let _runner = store.spawn_job_runner();
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} variants · {msg}")
            .context("the progress bar's template")?,
    );
    let status = loop {
        let s = store
            .job(id)
            .await?
            .with_context(|| format!("job {id} vanished"))?;
        bar.set_length(s.total);
        bar.set_position(s.done);
        bar.set_message(format!("{} requests", s.requests_used));
        if s.state.is_finished() {
            break s;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    bar.finish_and_clear();
    let (solved, correct) = store.job_solutions(id).await?;
    println!(
        "job {id}: {} of {} variants, {solved} solutions stored, {correct} correct ({} requests)",
        status.done, status.total, status.requests_used
    );
    if status.state != JobState::Done {
        bail!(
            "the job stopped: {} (resume it from the web app or POST /api/jobs/{id}/resume)",
            status.error.unwrap_or_default()
        );
    }
    Ok(())
}
