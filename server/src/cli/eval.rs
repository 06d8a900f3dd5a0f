//! `graft eval report`: a dataset's evaluation report (`Store::eval_report`, computed by
//! `types::eval::report`) as a table on standard output, per model: accuracy by depth, by
//! round and by intervention kind with Wilson 95% intervals, and pass@k when variants have
//! several samples; `--json` prints the report as JSON instead.

use std::fmt::Write as _;

use anyhow::Context;
use types::eval::{kind_label, Cell, EvalReport};

use super::store::runtime;
use super::words::DbArgs;

/// Arguments of `graft eval`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: EvalCommand,
}

/// What `graft eval` does.
#[derive(clap::Subcommand)]
enum EvalCommand {
    /// The accuracy of a dataset's stored model solutions (from `graft solve`, the web app's
    /// "Solve with the model" or `POST /api/variants/{id}/solutions`): per model, by depth,
    /// round and intervention kind, with 95% intervals and pass@k.
    Report {
        /// The dataset: its name, or its id.
        #[arg(long)]
        dataset: String,
        /// Print the report as one JSON object (as `GET /api/datasets/{id}/eval` answers).
        #[arg(long)]
        json: bool,
        /// Where the database is.
        #[command(flatten)]
        db: DbArgs,
    },
}

/// Runs `graft eval`.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        EvalCommand::Report { dataset, json, db } => {
            runtime()?.block_on(report(&db, &dataset, json))
        }
    }
}

async fn report(db: &DbArgs, dataset: &str, json: bool) -> anyhow::Result<()> {
    let store = db.open().await?;
    let id = super::export::find(&store, dataset).await?;
    let report = store
        .eval_report(id)
        .await
        .with_context(|| format!("cannot read the solutions of dataset {id}"))?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    let name = store
        .dataset_summary(id)
        .await?
        .map_or_else(|| format!("{id}"), |d| d.name);
    print!("{}", table(&name, &report));
    Ok(())
}

/// The report as text: a block per model, or how to get solutions when there are none.
pub fn table(name: &str, report: &EvalReport) -> String {
    let mut out = String::new();
    if report.models.is_empty() {
        let _ = writeln!(
            out,
            "dataset {name:?} (id {}) has no stored model solutions yet. Get some with `graft \
             solve --dataset {} --llm-base-url URL --llm-model MODEL [--samples N]`, the \
             \"Solve with the model\" form on the dataset page, or POST \
             /api/variants/{{id}}/solutions; then run this again.",
            report.dataset_id, report.dataset_id
        );
        return out;
    }
    let _ = writeln!(
        out,
        "dataset {name:?} (id {}): {} by {}",
        report.dataset_id,
        counted(report.solutions, "solution"),
        counted(report.models.len() as u64, "model"),
    );
    for m in &report.models {
        let _ = writeln!(
            out,
            "\nmodel {}: {} of {} ({} unparseable), accuracy {}",
            m.model,
            counted(m.overall.n, "solution"),
            counted(m.variants, "variant"),
            m.overall.unparseable,
            m.overall.percent()
        );
        let _ = writeln!(
            out,
            "  {:<16} {:>6} {:>8} {:>9}  95% CI",
            "", "n", "correct", "accuracy"
        );
        for d in &m.by_depth {
            row(&mut out, &format!("depth {}", d.depth), &d.cell);
        }
        for r in &m.by_round {
            row(&mut out, &format!("round {}", r.round), &r.cell);
        }
        for k in &m.by_kind {
            row(&mut out, &format!("kind {}", kind_label(&k.kind)), &k.cell);
        }
        if !m.pass_at_k.is_empty() {
            let ks: Vec<String> = m
                .pass_at_k
                .iter()
                .map(|p| format!("pass@{} {:.1}% ({})", p.k, 100.0 * p.value, p.variants))
                .collect();
            let _ = writeln!(
                out,
                "  pass@k (unbiased; variants with at least k samples): {}",
                ks.join(", ")
            );
        }
    }
    let _ = writeln!(
        out,
        "\nA variant counts once under each intervention kind of its lineage, so kinds can add \
         up to more than all."
    );
    out
}

/// `1 solution`, `2 solutions`.
fn counted(n: u64, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// One table row: `  depth 3            12        9     75.0%  [46.8–91.1%]`.
fn row(out: &mut String, label: &str, c: &Cell) {
    let _ = writeln!(
        out,
        "  {label:<16} {:>6} {:>8} {:>8.1}%  [{:.1}–{:.1}%]",
        c.n,
        c.correct,
        100.0 * c.accuracy,
        100.0 * c.low,
        100.0 * c.high
    );
}

#[cfg(test)]
mod tests {
    use types::eval::{report, EvalRow};

    #[test]
    fn the_table_has_a_row_per_depth_round_and_kind_and_says_how_to_get_solutions() {
        let rows = [EvalRow {
            model: "m".into(),
            variant_id: 1,
            depth: 3,
            round: 2,
            kinds: vec!["graft".into(), "add_distractor".into()],
            samples: 4,
            correct: 3,
            unparseable: 1,
        }];
        let t = super::table("demo", &report(5, &rows));
        assert!(
            t.contains("dataset \"demo\" (id 5): 4 solutions by 1 model"),
            "{t}"
        );
        assert!(
            t.contains("model m: 4 solutions of 1 variant (1 unparseable)"),
            "{t}"
        );
        for label in ["depth 3", "round 2", "kind graft", "kind distractor"] {
            assert!(
                t.contains(&format!("  {label:<16}      4        3     75.0%")),
                "{label}: {t}"
            );
        }
        assert!(t.contains("pass@1 75.0% (1), pass@2 100.0% (1)"), "{t}");
        let empty = super::table("demo", &report(5, &[]));
        assert!(
            empty.contains("no stored model solutions") && empty.contains("graft solve"),
            "{empty}"
        );
    }
}
