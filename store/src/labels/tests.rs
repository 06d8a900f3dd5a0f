//! A model's solutions in the label queue: suggestions, accepting them with one edit, and the
//! report's agreement between the automatic labels and people.

use engine::intervene::Intervention;
use engine::{NodeId, Number, ProxyFn, ProxyOp};
use types::account::Role;
use types::annotation::{FinishReason, LabelEdit};
use types::model::NewSolution;

use crate::{Store, StoreError, DEMO};

/// A store with one imported demo problem and one variant of it: (store, dataset, variant).
async fn one_variant() -> (tempfile::TempDir, Store, i64, i64) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = Store::open_data_dir(dir.path()).await.expect("opens");
    let r = store
        .import_jsonl("solutions", DEMO.lines().next().unwrap())
        .await
        .unwrap();
    let page = store
        .dataset(r.dataset_id, None, None)
        .await
        .unwrap()
        .unwrap();
    let pid = page.problems[0].id;
    let g = store.problem(pid).await.unwrap().unwrap().graph.unwrap();
    let step = g.ids().find(|&id| g.node(id).kind.is_operation()).unwrap();
    let graft = Intervention::Graft {
        node: NodeId(step.0),
        f: ProxyFn {
            op: ProxyOp::Mul,
            k: Number::int(2),
        },
    };
    let v = store
        .save_variant(pid, None, vec![graft], Some(3))
        .await
        .unwrap();
    (dir, store, r.dataset_id, v.id)
}

#[tokio::test]
async fn solutions_are_labelled_from_suggestions_and_compared_with_people() {
    let (_dir, store, dataset, variant) = one_variant().await;
    let ann = store
        .create_user("ann", Role::Annotator, "a long password")
        .await
        .unwrap();
    let bob = store
        .create_user("bob", Role::Annotator, "a long password")
        .await
        .unwrap();
    // A slip in the first line: the automatic labeler marks it −1.
    let solution = store
        .add_solution(
            variant,
            &NewSolution {
                model: "tiny".into(),
                solution: "First, 3 + 4 = 8.\nThen 8 * 2 = 16.\n#### 16".into(),
                prompt_version: String::new(),
            },
        )
        .await
        .unwrap();
    assert_eq!(solution.steps[0].rating, -1, "{:?}", solution.steps);

    // The solution comes first in the queue, its lines as steps, the labels as suggestions.
    let queue = store.label_queue(dataset, &ann).await.unwrap();
    let task = queue.task.expect("an item");
    let head = task
        .solution
        .clone()
        .expect("the model's solution comes first");
    assert_eq!((head.id, head.model.as_str()), (solution.id, "tiny"));
    assert_eq!(task.steps.len(), solution.steps.len());
    for (view, auto) in task.steps.iter().zip(&solution.steps) {
        assert_eq!(view.sentence.as_deref(), Some(auto.text.as_str()));
        let s = view.suggestion.as_ref().expect("a suggestion per line");
        assert_eq!(
            (s.rating, s.reason.as_str()),
            (auto.rating, auto.reason.as_str())
        );
    }
    assert!(
        task.ratings.iter().all(Option::is_none),
        "suggestions are not labels"
    );
    // Graft's own steps of the variant are an item too, without suggestions.
    let items: Vec<(i64, Option<i64>)> =
        sqlx::query_as("SELECT id, solution_id FROM label_items WHERE gold_first_error IS NULL")
            .fetch_all(store.pool())
            .await
            .unwrap();
    assert_eq!(items.len(), 2, "{items:?}");
    let canonical = items.iter().find(|i| i.1.is_none()).unwrap().0;
    let own = store.label_task(canonical, &ann).await.unwrap();
    assert!(own.solution.is_none());
    assert!(own.steps.iter().all(|s| s.suggestion.is_none()));
    let refused = store
        .label_edit(canonical, &ann, &LabelEdit::AcceptSuggestions)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, StoreError::Invalid(m) if m.contains("no suggestions")),
        "{refused}"
    );

    // One edit takes every suggestion; any step can then be changed.
    let item = task.item_id;
    let t = store
        .label_edit(item, &ann, &LabelEdit::AcceptSuggestions)
        .await
        .unwrap();
    let suggested: Vec<Option<i8>> = solution.steps.iter().map(|s| Some(s.rating)).collect();
    assert_eq!(t.ratings, suggested);
    store
        .label_edit(
            item,
            &ann,
            &LabelEdit::Finish {
                reason: FinishReason::FoundError,
            },
        )
        .await
        .unwrap();
    let after_finish = store
        .label_edit(item, &ann, &LabelEdit::AcceptSuggestions)
        .await
        .unwrap_err();
    assert!(
        after_finish.to_string().contains("reopen"),
        "{after_finish}"
    );

    let report = store.annotation_report(dataset).await.unwrap();
    assert_eq!(report.solution_items, 1);
    let a = report
        .automatic
        .clone()
        .expect("one finished labeling to compare");
    assert_eq!((a.annotations, a.first_error_agree), (1, 1));
    assert_eq!(a.steps, solution.steps.len() as u64);
    assert_eq!(a.observed, Some(1.0));

    // A second person disagrees on the first line: no error found.
    for step in 0..solution.steps.len() as u32 {
        store
            .label_edit(
                item,
                &bob,
                &LabelEdit::Rate {
                    step,
                    rating: Some(1),
                },
            )
            .await
            .unwrap();
    }
    store
        .label_edit(
            item,
            &bob,
            &LabelEdit::Finish {
                reason: FinishReason::SolutionCorrect,
            },
        )
        .await
        .unwrap();
    // Someone who gave up judged no step: not compared.
    let carl = store
        .create_user("carl", Role::Annotator, "a long password")
        .await
        .unwrap();
    store
        .label_edit(
            item,
            &carl,
            &LabelEdit::Finish {
                reason: FinishReason::GaveUp,
            },
        )
        .await
        .unwrap();
    let a = store
        .annotation_report(dataset)
        .await
        .unwrap()
        .automatic
        .unwrap();
    assert_eq!((a.annotations, a.first_error_agree), (2, 1));
    assert_eq!(a.first_error_accuracy, Some(0.5));
    let agree = solution.steps.iter().filter(|s| s.rating == 1).count() as f64;
    let n = solution.steps.len() as f64;
    assert_eq!(a.observed, Some((n + agree) / (2.0 * n)));
}
