//! The review queue: a dataset's variants matching a filter, one at a time; accept, reject,
//! edit (re-checked for consistency first) or reset, alone or in bulk; dataset settings.

use super::rows::operations_from_json;
use super::{Store, StoreError, StoreResult};
use types::account::UserInfo;
use types::annotation::{
    BulkCount, Decision, DecisionOutcome, ReviewFilter, ReviewItem, ReviewQueue, INTERVENTION_KINDS,
};
use types::model::{summarize_operations, DatasetSettings};

/// The longest text a reviewer may save, in characters.
const MAX_TEXT_CHARS: usize = 20_000;
/// The longest reject reason, in characters.
const MAX_REASON_CHARS: usize = 500;
/// The longest guidelines, in characters.
const MAX_GUIDELINES_CHARS: usize = 20_000;

/// `review_filter!(["SELECT …"]; query_as!(T, " AND … ORDER BY …", ?1 … ?7, more…))`: the select
/// list, then the variants of a dataset matching a review filter, whose conditions are bound
/// in this order: dataset, status, min depth, max depth, verdict, kind, search (`?1`–`?7`).
/// `review_filter!(["…"];)` is the SQL text (for the runtime queries).
macro_rules! review_filter {
    ([$($head:literal)+]; $($call:tt)*) => {
        with_sql!([$($head)+ "
    FROM variants v JOIN problems p ON p.id = v.problem_id
    WHERE p.dataset_id = ?1
      AND (?2 = 'all' OR v.review_status = ?2)
      AND (?3 IS NULL OR v.depth >= ?3)
      AND (?4 IS NULL OR v.depth <= ?4)
      AND (?5 IS NULL OR (?5 = 'unjudged' AND v.verdict_outcome IS NULL)
           OR v.verdict_outcome = ?5)
      AND (?6 IS NULL OR EXISTS (SELECT 1 FROM json_each(v.operations) j
                                 WHERE json_extract(j.value, '$.op') = ?6))
      AND (?7 IS NULL OR instr(lower(COALESCE(v.text, p.question)), lower(?7)) > 0)"]; $($call)*)
    };
}

/// A filter checked and normalized: (status, min, max, verdict, kind, search).
struct Checked {
    status: String,
    min_depth: Option<i64>,
    max_depth: Option<i64>,
    verdict: Option<String>,
    kind: Option<String>,
    search: Option<String>,
}

fn check_filter(f: &ReviewFilter) -> StoreResult<Checked> {
    fn non_empty(s: &Option<String>) -> Option<&str> {
        s.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    let status = non_empty(&f.status).unwrap_or("unreviewed").to_string();
    if !["unreviewed", "accepted", "rejected", "all"].contains(&status.as_str()) {
        return Err(StoreError::Invalid(format!(
            "unknown status {status:?}; use unreviewed, accepted, rejected or all"
        )));
    }
    let verdict = non_empty(&f.verdict).map(str::to_string);
    if let Some(v) = &verdict {
        if !["pass", "linted", "fail", "incomplete", "unjudged"].contains(&v.as_str()) {
            return Err(StoreError::Invalid(format!(
                "unknown verdict {v:?}; use pass, linted, fail, incomplete or unjudged"
            )));
        }
    }
    let kind = non_empty(&f.kind).map(str::to_string);
    if let Some(k) = &kind {
        if !INTERVENTION_KINDS.contains(&k.as_str()) {
            return Err(StoreError::Invalid(format!(
                "unknown intervention type {k:?}; use one of {}",
                INTERVENTION_KINDS.join(", ")
            )));
        }
    }
    let most = engine::limits::MAX_NODES as i64;
    for (what, depth) in [("min_depth", f.min_depth), ("max_depth", f.max_depth)] {
        match depth {
            Some(d) if d < 0 => {
                return Err(StoreError::Invalid(format!(
                    "{what} is {d}; depths count steps from 0, so use 0 or more (or leave it \
                     out)"
                )))
            }
            Some(d) if d > most => {
                return Err(StoreError::Invalid(format!(
                    "{what} is {d}; no graph is deeper than {most} (its most nodes), so use 0 \
                     to {most} (or leave it out)"
                )))
            }
            _ => {}
        }
    }
    if let (Some(a), Some(b)) = (f.min_depth, f.max_depth) {
        if a > b {
            return Err(StoreError::Invalid(format!(
                "the depth range {a}–{b} is empty; the smallest depth comes first"
            )));
        }
    }
    Ok(Checked {
        status,
        min_depth: f.min_depth,
        max_depth: f.max_depth,
        verdict,
        kind,
        search: non_empty(&f.search).map(str::to_string),
    })
}

/// A dataset's name and what reviewers and annotators work by.
pub(super) struct DbDatasetHead {
    pub name: String,
    pub guidelines: String,
    /// Annotators per label item.
    pub overlap: i64,
    /// The share of gold questions (0–0.5).
    pub gold_rate: f64,
}

struct DbReviewItem {
    id: i64,
    problem_id: i64,
    question: String,
    text: Option<String>,
    text_source: Option<String>,
    edited: bool,
    depth: i64,
    round: i64,
    answer: String,
    operations: String,
    verdict_outcome: Option<String>,
    review_status: String,
    review_reason: Option<String>,
    reviewer: Option<String>,
}

/// `item_select!(then next_macro; query_as!(DbReviewItem, " FROM …", args…))`: calls
/// `next_macro!` (`with_sql` or `review_filter`) with the select list of [`DbReviewItem`].
macro_rules! item_select {
    (then $next:ident; $($call:tt)*) => {
        $next!(["
    SELECT v.id AS \"id!\", v.problem_id, p.question, v.text, v.text_source,
        v.text_edited_by IS NOT NULL AS \"edited!: bool\", v.depth, v.round, v.answer,
        v.operations, v.verdict_outcome, v.review_status, v.review_reason,
        (SELECT u.name FROM users u WHERE u.id = v.reviewed_by) AS \"reviewer?: String\""];
            $($call)*)
    };
}

impl DbReviewItem {
    fn into_item(self) -> StoreResult<ReviewItem> {
        let ops = operations_from_json(&self.operations, &format!("variant {}", self.id))?;
        Ok(ReviewItem {
            id: self.id,
            problem_id: self.problem_id,
            question: self.question,
            text: self.text,
            text_source: if self.edited {
                Some("edited".to_string())
            } else {
                self.text_source
            },
            depth: self.depth as u32,
            round: self.round as u32,
            answer: self.answer,
            changes: summarize_operations(&ops)
                .split("; ")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            verdict: self.verdict_outcome,
            status: self.review_status,
            reason: self.review_reason,
            reviewed_by: self.reviewer,
        })
    }
}

impl Store {
    /// Dataset `id`'s name and review and labelling settings (`NotFound` when it does not
    /// exist).
    pub(super) async fn dataset_head(&self, id: i64) -> StoreResult<DbDatasetHead> {
        let row: Option<DbDatasetHead> = sqlx::query_as!(
            DbDatasetHead,
            "SELECT name, guidelines, overlap, gold_rate FROM datasets WHERE id = ?",
            id
        )
        .fetch_optional(&self.pool)
        .await?;
        row.ok_or(StoreError::NotFound {
            what: "dataset",
            id,
        })
    }

    /// The review queue of dataset `dataset_id` under `filter`: the first matching variant
    /// after variant `after` (skipped ones come back once the end is reached), and counts.
    pub async fn review_queue(
        &self,
        dataset_id: i64,
        filter: &ReviewFilter,
        after: Option<i64>,
    ) -> StoreResult<ReviewQueue> {
        let head = self.dataset_head(dataset_id).await?;
        let c = check_filter(filter)?;
        let after = after.unwrap_or(0);
        let mut item: Option<DbReviewItem> = item_select!(then review_filter; query_as!(
            DbReviewItem,
            " AND v.id > ?8 ORDER BY v.id LIMIT 1",
            dataset_id,
            c.status,
            c.min_depth,
            c.max_depth,
            c.verdict,
            c.kind,
            c.search,
            after
        ))
        .fetch_optional(&self.pool)
        .await?;
        if item.is_none() && after > 0 {
            item = item_select!(then review_filter; query_as!(
                DbReviewItem,
                " ORDER BY v.id LIMIT 1",
                dataset_id,
                c.status,
                c.min_depth,
                c.max_depth,
                c.verdict,
                c.kind,
                c.search
            ))
            .fetch_optional(&self.pool)
            .await?;
        }
        let matching = review_filter!(
            [r#"SELECT COUNT(*) AS "n!: i64""#];
            query_scalar!(
                "",
                dataset_id,
                c.status,
                c.min_depth,
                c.max_depth,
                c.verdict,
                c.kind,
                c.search
            )
        )
        .fetch_one(&self.pool)
        .await?;
        let r = sqlx::query!(
            r#"SELECT COALESCE(SUM(v.review_status = 'unreviewed'), 0) AS "unreviewed!: i64",
                COUNT(*) AS "total!: i64"
             FROM variants v JOIN problems p ON p.id = v.problem_id WHERE p.dataset_id = ?"#,
            dataset_id
        )
        .fetch_one(&self.pool)
        .await?;
        let (unreviewed, total) = (r.unreviewed, r.total);
        Ok(ReviewQueue {
            dataset: head.name,
            guidelines: head.guidelines,
            item: item.map(DbReviewItem::into_item).transpose()?,
            matching: matching as u64,
            unreviewed: unreviewed as u64,
            total: total as u64,
            checks: self.check_counts(dataset_id).await?,
        })
    }

    /// Variant `id` as the review queue shows it.
    pub async fn review_item(&self, id: i64) -> StoreResult<ReviewItem> {
        let row: Option<DbReviewItem> = item_select!(then with_sql; query_as!(
            DbReviewItem,
            " FROM variants v JOIN problems p ON p.id = v.problem_id WHERE v.id = ?",
            id
        ))
        .fetch_optional(&self.pool)
        .await?;
        row.ok_or(StoreError::NotFound {
            what: "variant",
            id,
        })?
        .into_item()
    }

    /// Applies a reviewer's decision to variant `id`. An edit whose text fails the
    /// consistency check with the variant's graph is refused with the complaints (nothing
    /// saved).
    pub async fn decide(
        &self,
        id: i64,
        decision: &Decision,
        by: &UserInfo,
    ) -> StoreResult<DecisionOutcome> {
        let before = self.review_item(id).await?;
        let mut tx = self.pool.begin().await?;
        match decision {
            Decision::Accept | Decision::Reset => {
                let (status, event) = if *decision == Decision::Accept {
                    ("accepted", "accept")
                } else {
                    ("unreviewed", "reset")
                };
                sqlx::query!(
                    "UPDATE variants SET review_status = ?, review_reason = NULL,
                        reviewed_by = ?, reviewed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                     WHERE id = ?",
                    status,
                    by.id,
                    id
                )
                .execute(&mut *tx)
                .await?;
                insert_event(&mut tx, id, by.id, event, None, None).await?;
            }
            Decision::Reject { reason } => {
                let reason = reason.trim();
                if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
                    return Err(StoreError::Invalid(format!(
                        "a rejection needs a reason of 1 to {MAX_REASON_CHARS} characters \
                         (pick one from the list or write one)"
                    )));
                }
                sqlx::query!(
                    "UPDATE variants SET review_status = 'rejected', review_reason = ?,
                        reviewed_by = ?, reviewed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                     WHERE id = ?",
                    reason,
                    by.id,
                    id
                )
                .execute(&mut *tx)
                .await?;
                insert_event(&mut tx, id, by.id, "reject", Some(reason), None).await?;
            }
            Decision::Edit { text } => {
                let text = text.trim().to_string();
                if text.is_empty() || text.chars().count() > MAX_TEXT_CHARS {
                    return Err(StoreError::Invalid(format!(
                        "the text must have 1 to {MAX_TEXT_CHARS} characters"
                    )));
                }
                let lineage = self.lineage(id).await?;
                let checked = {
                    let text = text.clone();
                    self.engine
                        .request("checking the text", move || {
                            engine::verbalize::validate(&lineage.original, &lineage.variant, &text)
                        })
                        .await?
                };
                if let Err(complaints) = checked {
                    return Ok(DecisionOutcome::Refused(complaints));
                }
                sqlx::query!(
                    "UPDATE variants SET text = ?, text_edited_by = ? WHERE id = ?",
                    text,
                    by.id,
                    id
                )
                .execute(&mut *tx)
                .await?;
                insert_event(&mut tx, id, by.id, "edit", None, before.text.as_deref()).await?;
            }
        }
        tx.commit().await?;
        Ok(DecisionOutcome::Saved(Box::new(
            self.review_item(id).await?,
        )))
    }

    /// Accepts or rejects (`decision`) every variant of dataset `dataset_id` matching
    /// `filter` whose status it would change; with `apply` false, only counts them.
    pub async fn bulk_decide(
        &self,
        dataset_id: i64,
        filter: &ReviewFilter,
        decision: &Decision,
        apply: bool,
        by: &UserInfo,
    ) -> StoreResult<BulkCount> {
        self.dataset_head(dataset_id).await?;
        let c = check_filter(filter)?;
        let (status, event, reason) = match decision {
            Decision::Accept => ("accepted", "accept", None),
            Decision::Reject { reason } if !reason.trim().is_empty() => {
                ("rejected", "reject", Some(reason.trim().to_string()))
            }
            Decision::Reject { .. } => {
                return Err(StoreError::Invalid(
                    "a bulk rejection needs a reason (pick one from the list or write one)"
                        .to_string(),
                ))
            }
            _ => {
                return Err(StoreError::Invalid(
                    "bulk decisions are accept or reject".to_string(),
                ))
            }
        };
        // The matching variants whose status the decision changes (?8: the new status).
        let count = review_filter!(
            [r#"SELECT COUNT(*) AS "n!: i64""#];
            query_scalar!(
                " AND v.review_status <> ?8",
                dataset_id,
                c.status,
                c.min_depth,
                c.max_depth,
                c.verdict,
                c.kind,
                c.search,
                status
            )
        )
        .fetch_one(&self.pool)
        .await?;
        if !apply || count == 0 {
            return Ok(BulkCount {
                count: count as u64,
                applied: apply,
            });
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query("CREATE TEMP TABLE IF NOT EXISTS bulk_ids (id INTEGER PRIMARY KEY)")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM bulk_ids")
            .execute(&mut *tx)
            .await?;
        // Runtime SQL: `bulk_ids` is a temporary table, which no schema has at build time.
        sqlx::query(&format!(
            "{} AND v.review_status <> ?8",
            review_filter!(["INSERT INTO bulk_ids (id) SELECT v.id"];)
        ))
        .bind(dataset_id)
        .bind(&c.status)
        .bind(c.min_depth)
        .bind(c.max_depth)
        .bind(&c.verdict)
        .bind(&c.kind)
        .bind(&c.search)
        .bind(status)
        .execute(&mut *tx)
        .await?;
        let bulk = sqlx::query_scalar!(
            r#"SELECT COALESCE(MAX(bulk), 0) + 1 AS "bulk!: i64" FROM review_events"#
        )
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO review_events (variant_id, user_id, decision, reason, bulk)
             SELECT id, ?, ?, ?, ? FROM bulk_ids",
        )
        .bind(by.id)
        .bind(event)
        .bind(&reason)
        .bind(bulk)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query(
            "UPDATE variants SET review_status = ?, review_reason = ?, reviewed_by = ?,
                reviewed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
             WHERE id IN (SELECT id FROM bulk_ids)",
        )
        .bind(status)
        .bind(&reason)
        .bind(by.id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM bulk_ids")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(BulkCount {
            count: done.rows_affected(),
            applied: true,
        })
    }

    /// Changes dataset `id`'s settings.
    pub async fn set_dataset_settings(
        &self,
        id: i64,
        settings: &DatasetSettings,
    ) -> StoreResult<()> {
        self.dataset_head(id).await?;
        if !(1..=10).contains(&settings.overlap) {
            return Err(StoreError::Invalid(format!(
                "overlap is 1 to 10 annotators per item; got {}",
                settings.overlap
            )));
        }
        if settings.gold_percent > 50 {
            return Err(StoreError::Invalid(format!(
                "the gold rate is 0 to 50 percent; got {}",
                settings.gold_percent
            )));
        }
        if settings.guidelines.chars().count() > MAX_GUIDELINES_CHARS {
            return Err(StoreError::Invalid(format!(
                "guidelines have at most {MAX_GUIDELINES_CHARS} characters"
            )));
        }
        let visibility = if settings.public { "public" } else { "private" };
        let guidelines = settings.guidelines.trim();
        let overlap = settings.overlap as i64;
        let gold_rate = settings.gold_percent as f64 / 100.0;
        sqlx::query!(
            "UPDATE datasets SET visibility = ?, guidelines = ?, overlap = ?, gold_rate = ?
             WHERE id = ?",
            visibility,
            guidelines,
            overlap,
            gold_rate,
            id
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

async fn insert_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    variant_id: i64,
    user_id: i64,
    decision: &str,
    reason: Option<&str>,
    text_before: Option<&str>,
) -> StoreResult<()> {
    sqlx::query!(
        "INSERT INTO review_events (variant_id, user_id, decision, reason, text_before)
         VALUES (?, ?, ?, ?, ?)",
        variant_id,
        user_id,
        decision,
        reason,
        text_before
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
