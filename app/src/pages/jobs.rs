//! Server jobs on a dataset or problem: the curriculum and batch forms, live progress.

use leptos::prelude::*;

use super::error_view;
use crate::api::{list_jobs, StartJob};
use crate::model::{JobSpec, JobState, JobStatus, JobTask, SolveOptions};

/// The curriculum form and the progress of this dataset's (or problem's) jobs.
#[component]
pub(super) fn GeneratePanel(dataset_id: i64, problem_id: Option<i64>) -> impl IntoView {
    let start = ServerAction::<StartJob>::new();
    let start_state = crate::watch::Watch::new(&start);
    let jobs = Resource::new(
        move || start_state.version(),
        move |_| list_jobs(dataset_id),
    );
    let rounds = RwSignal::new("3".to_string());
    let per_problem = RwSignal::new("1".to_string());
    let seed = RwSignal::new("1".to_string());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let spec = JobSpec {
            problem_id,
            ..JobSpec::curriculum(
                dataset_id,
                rounds.get_untracked().trim().parse().unwrap_or(0),
                per_problem.get_untracked().trim().parse().unwrap_or(0),
                seed.get_untracked().trim().parse().unwrap_or(0),
            )
        };
        start.dispatch(StartJob { spec });
    };
    let batch = move |task: JobTask| {
        start.dispatch(StartJob {
            spec: JobSpec {
                problem_id,
                ..JobSpec::words(dataset_id, task)
            },
        });
    };
    let samples = RwSignal::new("1".to_string());
    let temperature = RwSignal::new("0".to_string());
    let solve = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        start.dispatch(StartJob {
            spec: JobSpec {
                problem_id,
                solve: Some(SolveOptions {
                    samples: samples.get_untracked().trim().parse().unwrap_or(0),
                    temperature: temperature.get_untracked().trim().parse().unwrap_or(-1.0),
                    ..SolveOptions::default()
                }),
                ..JobSpec::words(dataset_id, JobTask::Solve)
            },
        });
    };
    let scope = if problem_id.is_some() {
        "this problem"
    } else {
        "every extracted problem of the dataset"
    };
    view! {
        <section class="generate">
            <h2>"Generate a curriculum"</h2>
            <form on:submit=submit>
                <label>"rounds " <input type="number" name="rounds" min="1" max="8" bind:value=rounds/></label>
                <label>" per problem " <input type="number" name="per_problem" min="1" max="50" bind:value=per_problem/></label>
                <label>" seed " <input type="number" name="seed" min="0" bind:value=seed/></label>
                <button type="submit" class="primary" disabled=move || start_state.pending()>"Generate"</button>
                <span class="muted">" for " {scope} ", as a server job"</span>
            </form>
            <p class="batch">
                <button type="button" class="batch-verbalize" on:click=move |_| batch(JobTask::Verbalize) disabled=move || start_state.pending()>
                    "Verbalize all variants"
                </button>
                <button type="button" class="batch-judge" on:click=move |_| batch(JobTask::Judge) disabled=move || start_state.pending()>
                    "Judge all variants"
                </button>
                <button type="button" class="batch-extract" on:click=move |_| batch(JobTask::Extract) disabled=move || start_state.pending()>
                    "Extract with the model"
                </button>
                <span class="muted">" (with the server's model when it has one, else offline)"</span>
            </p>
            <form class="solve" on:submit=solve>
                <label>"samples " <input type="number" name="samples" min="1" max="16" bind:value=samples/></label>
                <label>" temperature " <input type="number" name="temperature" min="0" max="2" step="0.1" bind:value=temperature/></label>
                <button type="submit" disabled=move || start_state.pending()>"Solve with the model"</button>
                <span class="muted">" each variant, stored scored and labelled step by step (needs the server's model)"</span>
            </form>
            {move || match start_state.value() {
                Some(Err(e)) => Some(view! { <p class="error">{e.to_string()}</p> }),
                _ => None,
            }}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match jobs.await {
                        Ok(list) => {
                            let list: Vec<JobStatus> = list
                                .into_iter()
                                .filter(|j| problem_id.is_none() || j.problem_id == problem_id)
                                .take(5)
                                .collect();
                            view! {
                                <ul class="jobs">
                                    {list.into_iter().map(|j| view! { <JobProgress job=j/> }).collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                        Err(e) => error_view(e),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

/// One job's live progress bar (polls while the job runs).
#[component]
fn JobProgress(job: JobStatus) -> impl IntoView {
    let status = RwSignal::new(job);
    // In the browser only: poll until the job is finished.
    Effect::new(move |_| {
        if status.with_untracked(|s| s.state.is_finished()) {
            return;
        }
        let id = status.with_untracked(|s| s.id);
        let handle = set_interval_with_handle(
            move || {
                leptos::task::spawn_local(async move {
                    if let Ok(Some(s)) = crate::api::get_job(id).await {
                        status.set(s);
                    }
                });
            },
            std::time::Duration::from_millis(600),
        );
        if let Ok(handle) = handle {
            Effect::new(move |_| {
                if status.with(|s| s.state.is_finished()) {
                    handle.clear();
                }
            });
            on_cleanup(move || handle.clear());
        }
    });
    move || {
        let s = status.get();
        let scope = match s.problem_id {
            Some(p) => format!("problem #{p}"),
            None => "whole dataset".to_string(),
        };
        let what = match s.task {
            JobTask::Curriculum => {
                format!("{} rounds × {} · seed {}", s.rounds, s.per_problem, s.seed)
            }
            task => format!(
                "{} · {}{}",
                task.as_str(),
                s.llm_model.clone().unwrap_or_else(|| "offline".into()),
                match s.max_requests {
                    Some(m) => format!(" · {}/{m} requests", s.requests_used),
                    None if s.requests_used > 0 => format!(" · {} requests", s.requests_used),
                    None => String::new(),
                }
            ),
        };
        let made = match s.task {
            JobTask::Curriculum => format!("{} variants", s.variants_made),
            JobTask::Verbalize => format!("{} texts", s.variants_made),
            JobTask::Judge => format!("{} verdicts", s.variants_made),
            JobTask::Extract => format!("{} programs", s.variants_made),
            JobTask::Solve => format!("{} variants solved", s.variants_made),
        };
        let id = s.id;
        let can_resume = s.state == JobState::Failed;
        view! {
            <li class=format!("job {} {}", s.state.as_str(), s.task.as_str())>
                <span class="job-title">"Job " {s.id} " · " {scope} " · " {what}</span>
                <progress value=s.done max=s.total.max(1)></progress>
                <span class="job-state">
                    {s.state.as_str()} " " {s.done} "/" {s.total} " " {s.task.item()} "s, " {made}
                    {(s.problems_failed > 0).then(|| format!(", {} failed", s.problems_failed))}
                </span>
                {can_resume.then(|| view! {
                    <button type="button" class="resume" on:click=move |_| {
                        leptos::task::spawn_local(async move {
                            if let Ok(s) = crate::api::resume_job(id).await {
                                status.set(s);
                            }
                        });
                    }>"Resume"</button>
                })}
                {s.error.map(|e| view! { <p class="error">{e}</p> })}
            </li>
        }
    }
}
