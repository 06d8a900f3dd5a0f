//! A dataset's evaluation report (issue #13): its stored model solutions read in one query,
//! grouped by model and variant with each variant's depth, round and the intervention kinds of
//! its whole lineage, then added up by `types::eval::report` (pure).

use types::eval::{report, EvalReport, EvalRow};

use super::{Store, StoreError, StoreResult};

impl Store {
    /// The evaluation report of dataset `dataset_id`'s stored model solutions (no models when
    /// none are stored); `NotFound` when there is no such dataset. No permission check: see
    /// `Ops::eval_report`.
    pub async fn eval_report(&self, dataset_id: i64) -> StoreResult<EvalReport> {
        if self.dataset_is_public(dataset_id).await?.is_none() {
            return Err(StoreError::NotFound {
                what: "dataset",
                id: dataset_id,
            });
        }
        // `lineage` walks each solved variant up to the problem (a variant's `operations` are
        // the changes from its parent only); `kinds` gathers the distinct `op` names of every
        // operation on the way. Operations that are not JSON read as none.
        let rows = sqlx::query!(
            r#"WITH RECURSIVE
                 solved(id) AS (
                   SELECT DISTINCT s.variant_id FROM model_solutions s
                   JOIN variants v ON v.id = s.variant_id
                   JOIN problems p ON p.id = v.problem_id
                   WHERE p.dataset_id = ?1),
                 lineage(variant_id, ancestor_id) AS (
                   SELECT id, id FROM solved
                   UNION
                   SELECT l.variant_id, a.parent_variant_id
                   FROM lineage l JOIN variants a ON a.id = l.ancestor_id
                   WHERE a.parent_variant_id IS NOT NULL),
                 kinds(variant_id, kinds) AS (
                   SELECT l.variant_id, group_concat(DISTINCT json_extract(j.value, '$.op'))
                   FROM lineage l JOIN variants a ON a.id = l.ancestor_id,
                        json_each(CASE WHEN json_valid(a.operations) THEN a.operations
                                       ELSE '[]' END) j
                   GROUP BY l.variant_id)
               SELECT s.model AS "model!: String", s.variant_id AS "variant_id!: i64",
                      v.depth AS "depth!: i64", v.round AS "round!: i64",
                      k.kinds AS "kinds?: String",
                      COUNT(*) AS "samples!: i64",
                      SUM(s.score = 'correct') AS "correct!: i64",
                      SUM(s.score = 'unparseable') AS "unparseable!: i64"
               FROM model_solutions s
               JOIN variants v ON v.id = s.variant_id
               JOIN problems p ON p.id = v.problem_id
               LEFT JOIN kinds k ON k.variant_id = s.variant_id
               WHERE p.dataset_id = ?1
               GROUP BY s.model, s.variant_id
               ORDER BY s.model, s.variant_id"#,
            dataset_id
        )
        .fetch_all(&self.pool)
        .await?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        let small = |n: i64, what: &str, id: i64| {
            u32::try_from(n).map_err(|_| {
                StoreError::Corrupt(format!("variant {id} has {what} {n}, which cannot be"))
            })
        };
        let rows = rows
            .into_iter()
            .map(|r| {
                Ok(EvalRow {
                    depth: small(r.depth, "depth", r.variant_id)?,
                    round: small(r.round, "round", r.variant_id)?,
                    kinds: r
                        .kinds
                        .as_deref()
                        .unwrap_or_default()
                        .split(',')
                        .filter(|k| !k.is_empty())
                        .map(str::to_string)
                        .collect(),
                    model: r.model,
                    variant_id: r.variant_id,
                    samples: count(r.samples),
                    correct: count(r.correct),
                    unparseable: count(r.unparseable),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(report(dataset_id, &rows))
    }
}

#[cfg(test)]
mod tests {
    use engine::intervene::Intervention;
    use engine::{NodeId, Number, ProxyFn, ProxyOp};
    use types::model::NewSolution;

    use crate::{Store, StoreError};

    fn graft(node: u32, k: i128) -> Intervention {
        Intervention::Graft {
            node: NodeId(node),
            f: ProxyFn {
                op: ProxyOp::Mul,
                k: Number::int(k),
            },
        }
    }

    fn solution(model: &str, text: &str) -> NewSolution {
        NewSolution {
            model: model.to_string(),
            solution: text.to_string(),
            prompt_version: String::new(),
        }
    }

    /// Two variants of one problem, the second made from the first with a distractor: each
    /// counts under the kinds of its whole lineage; samples add up per model; another
    /// dataset's solutions stay out; an unknown dataset is `NotFound`.
    #[tokio::test]
    async fn the_report_counts_stored_solutions_by_depth_round_and_lineage_kind() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_data_dir(dir.path()).await.unwrap();
        let rows = r#"{"question": "Ann has 3 boxes of 4 apples and eats 2. How many apples are left?", "answer": "Ann has 3 * 4 = <<3*4=12>>12 apples.\nShe has 12 - 2 = <<12-2=10>>10 left.\n#### 10"}"#;
        let d = store.import_jsonl("evald", rows).await.unwrap().dataset_id;
        let other = store.import_jsonl("other", rows).await.unwrap().dataset_id;
        assert!(store.eval_report(d).await.unwrap().models.is_empty());

        let problem_of = |d: i64| {
            let store = store.clone();
            async move {
                let page = store.dataset(d, None, None).await.unwrap().unwrap();
                store.problem(page.problems[0].id).await.unwrap().unwrap()
            }
        };
        let p = problem_of(d).await;
        let g = p.graph.clone().unwrap();
        let step = g
            .ids()
            .find(|&id| g.node(id).kind.is_operation())
            .unwrap()
            .0;
        let first = store
            .save_variant(p.id, None, vec![graft(step, 2)], None)
            .await
            .unwrap()
            .id;
        let distractor = Intervention::AddDistractor {
            name: "pens".into(),
            value: Number::int(7),
            combine: None,
        };
        let second = store
            .save_variant(p.id, Some(first), vec![distractor], None)
            .await
            .unwrap()
            .id;
        let answer = |v: i64| {
            let store = store.clone();
            async move {
                store
                    .variant(v)
                    .await
                    .unwrap()
                    .unwrap()
                    .graph
                    .answer_value()
            }
        };
        let (a1, a2) = (answer(first).await, answer(second).await);
        // Model "m": the first variant right twice and wrong once; the second right once and
        // unparseable once. Model "n": the second variant wrong once.
        for (v, text) in [
            (first, format!("#### {a1}")),
            (first, format!("#### {a1}")),
            (first, "#### 1".to_string()),
            (second, format!("#### {a2}")),
            (second, "I do not know.".to_string()),
        ] {
            store.add_solution(v, &solution("m", &text)).await.unwrap();
        }
        store
            .add_solution(second, &solution("n", "#### 123456"))
            .await
            .unwrap();
        // Another dataset's solution stays out.
        let q = problem_of(other).await;
        let elsewhere = store
            .save_variant(q.id, None, vec![graft(step, 3)], None)
            .await
            .unwrap()
            .id;
        store
            .add_solution(elsewhere, &solution("m", "#### 1"))
            .await
            .unwrap();

        let r = store.eval_report(d).await.unwrap();
        assert_eq!(r.dataset_id, d);
        assert_eq!(r.solutions, 6);
        let names: Vec<&str> = r.models.iter().map(|m| m.model.as_str()).collect();
        assert_eq!(names, ["m", "n"]);
        let m = &r.models[0];
        assert_eq!(
            (m.overall.n, m.overall.correct, m.overall.unparseable),
            (5, 3, 1)
        );
        assert_eq!((m.variants, m.max_samples), (2, 3));
        let rounds: Vec<(u32, u64, u64)> = m
            .by_round
            .iter()
            .map(|c| (c.round, c.cell.n, c.cell.correct))
            .collect();
        assert_eq!(rounds, [(1, 3, 2), (2, 2, 1)]);
        let d1 = store.variant(first).await.unwrap().unwrap().graph.depth();
        let d2 = store.variant(second).await.unwrap().unwrap().graph.depth();
        let depth_n: u64 = m.by_depth.iter().map(|c| c.cell.n).sum();
        assert_eq!(depth_n, 5);
        for c in &m.by_depth {
            assert!(c.depth == d1 || c.depth == d2, "{c:?}");
        }
        // The second variant's lineage holds the first's graft and its own distractor.
        let kinds: Vec<(&str, u64, u64)> = m
            .by_kind
            .iter()
            .map(|c| (c.kind.as_str(), c.cell.n, c.cell.correct))
            .collect();
        assert_eq!(kinds, [("graft", 5, 3), ("add_distractor", 2, 1)]);
        // pass@k over the two variants: k = 1 both, k = 2 both, k = 3 the first only.
        let ks: Vec<(u32, u64)> = m.pass_at_k.iter().map(|p| (p.k, p.variants)).collect();
        assert_eq!(ks, [(1, 2), (2, 2), (3, 1)]);
        assert!((m.pass_at_k[0].value - (2.0 / 3.0 + 0.5) / 2.0).abs() < 1e-9);
        let n = &r.models[1];
        assert_eq!((n.overall.n, n.overall.correct), (1, 0));
        assert!(n.pass_at_k.is_empty());

        match store.eval_report(999_999).await {
            Err(StoreError::NotFound {
                what: "dataset", ..
            }) => {}
            other => panic!("{other:?}"),
        }
    }
}
