//! Reading datasets, problems, variants and share links.

use super::rows::{
    error_text, graph_from_json, operations_from_json, DbDataset, DbDepthBin, DbProblem,
    DbProblemLine, DbVariant, DbVariantLine,
};
use super::{is_token, seed_from_db, Store, StoreError, StoreResult};
use types::model::{
    CheckCounts, DatasetPage, DatasetSummary, DepthBin, ProblemVariants, Shared, StoredProblem,
    StoredVariant, VariantRow, MAX_VARIANT_PAGE, VARIANT_PAGE,
};

/// What a problem's page and its JSON depend on in the database, for the server's response
/// cache ([`Store::problem_stamp`]): a response made when the stamp was this may be served again
/// while the stamp has not changed. The versions are bumped by triggers on every write to the
/// problem, its variants or its dataset (`migrations/0009_versions.sql`); the share token
/// tells apart a problem from a later one that took over its id after a delete.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProblemStamp {
    /// The problem's id.
    pub id: i64,
    /// Its dataset.
    pub dataset_id: i64,
    /// The problem's version (its row and its variants).
    pub version: i64,
    /// The dataset's version (its name, visibility and settings).
    pub dataset_version: i64,
    /// The problem's share token (unique to the row).
    pub share_token: String,
    /// Whether its dataset is public (what the read rule needs, read in the same query).
    pub public: bool,
    /// Whether the caller's response shows write controls (set by
    /// [`crate::Ops::problem_stamp`]; `false` from [`Store::problem_stamp`]).
    pub can_write: bool,
}

/// Problems per page when the caller does not say.
pub const DEFAULT_PAGE: u64 = 50;
/// The most problems one page holds.
pub const MAX_PAGE: u64 = 500;

/// A window asked for by `offset` and `limit` of `what` (defaults 0 and `default`, `limit` at
/// most `max`), as the offset and limit and as SQLite's integers; a clear error otherwise.
fn window(
    what: &str,
    offset: Option<u64>,
    limit: Option<u64>,
    default: u64,
    max: u64,
) -> StoreResult<(u64, u64, i64, i64)> {
    let offset = offset.unwrap_or(0);
    let limit = limit.unwrap_or(default);
    if limit == 0 || limit > max {
        return Err(StoreError::Invalid(format!(
            "limit must be between 1 and {max} {what}, got {limit}"
        )));
    }
    let offset_db = i64::try_from(offset).map_err(|_| {
        StoreError::Invalid(format!(
            "offset {offset} is too large; use a smaller offset"
        ))
    })?;
    Ok((offset, limit, offset_db, limit as i64))
}

/// `dataset_select!(query_as!(DbDataset, " WHERE … ORDER BY …", args…))`: datasets with
/// their counts, as [`DbDataset`].
macro_rules! dataset_select {
    ($($call:tt)*) => {
        with_sql!(["
    SELECT d.id AS \"id!\", d.name, d.created_at, d.visibility, d.guidelines, d.overlap,
        d.gold_rate,
        (SELECT COUNT(*) FROM problems p WHERE p.dataset_id = d.id) AS \"problems!: i64\",
        (SELECT COUNT(*) FROM problems p WHERE p.dataset_id = d.id AND p.depth IS NOT NULL)
            AS \"extracted!: i64\",
        (SELECT COUNT(*) FROM variants v JOIN problems p ON p.id = v.problem_id
            WHERE p.dataset_id = d.id) AS \"variants!: i64\",
        (SELECT COUNT(*) FROM variants v JOIN problems p ON p.id = v.problem_id
            WHERE p.dataset_id = d.id AND v.review_status <> 'unreviewed') AS \"reviewed!: i64\"
    FROM datasets d"]; $($call)*)
    };
}

/// `variant_full_select!(query_as!(DbVariant, " WHERE …", args…))`: whole variants.
macro_rules! variant_full_select {
    ($($call:tt)*) => {
        with_sql!(["
    SELECT v.id AS \"id!\", v.problem_id, p.dataset_id, v.parent_variant_id, v.operations, v.seed,
        v.round, v.chain, v.graph, p.question, v.share_token, v.job_id, v.review_status,
        v.created_at,
        COALESCE((SELECT pv.graph FROM variants pv WHERE pv.id = v.parent_variant_id), p.graph)
            AS \"parent_graph?: String\"
    FROM variants v JOIN problems p ON p.id = v.problem_id"]; $($call)*)
    };
}

/// `problem_full_select!(query_as!(DbProblem, " WHERE …", args…))`: whole problems.
macro_rules! problem_full_select {
    ($($call:tt)*) => {
        with_sql!(["
    SELECT p.id AS \"id!\", p.dataset_id, d.name AS dataset_name, p.line, p.external_id, p.question,
        p.graph, p.error_category, p.error_detail, p.share_token, p.created_at
    FROM problems p JOIN datasets d ON d.id = p.dataset_id"]; $($call)*)
    };
}

impl Store {
    /// Every dataset (only the public ones when `public_only`) with its counts and depth
    /// histogram, oldest first.
    pub async fn list_datasets(&self, public_only: bool) -> StoreResult<Vec<DatasetSummary>> {
        let rows: Vec<DbDataset> = if public_only {
            dataset_select!(query_as!(
                DbDataset,
                " WHERE d.visibility = 'public' ORDER BY d.id"
            ))
            .fetch_all(&self.pool)
            .await?
        } else {
            dataset_select!(query_as!(DbDataset, " ORDER BY d.id"))
                .fetch_all(&self.pool)
                .await?
        };
        let bins: Vec<DbDepthBin> = sqlx::query_as!(
            DbDepthBin,
            r#"SELECT dataset_id, depth AS "depth!", COUNT(*) AS "n!: i64" FROM problems
             WHERE depth IS NOT NULL GROUP BY dataset_id, depth ORDER BY dataset_id, depth"#
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let mut s = r.into_summary();
                s.histogram = bins
                    .iter()
                    .filter(|b| b.dataset_id == s.id)
                    .map(|b| DepthBin {
                        depth: b.depth as u32,
                        problems: b.n as u64,
                    })
                    .collect();
                s
            })
            .collect())
    }

    /// One dataset's summary, `None` when there is no such dataset.
    pub async fn dataset_summary(&self, id: i64) -> StoreResult<Option<DatasetSummary>> {
        let Some(row): Option<DbDataset> =
            dataset_select!(query_as!(DbDataset, " WHERE d.id = ?", id))
                .fetch_optional(&self.pool)
                .await?
        else {
            return Ok(None);
        };
        let bins: Vec<DbDepthBin> = sqlx::query_as!(
            DbDepthBin,
            r#"SELECT dataset_id, depth AS "depth!", COUNT(*) AS "n!: i64" FROM problems
             WHERE dataset_id = ? AND depth IS NOT NULL GROUP BY dataset_id, depth ORDER BY depth"#,
            id
        )
        .fetch_all(&self.pool)
        .await?;
        let mut s = row.into_summary();
        s.histogram = bins
            .into_iter()
            .map(|b| DepthBin {
                depth: b.depth as u32,
                problems: b.n as u64,
            })
            .collect();
        s.checks = self.check_counts(id).await?;
        Ok(Some(s))
    }

    /// Dataset `dataset_id`'s variants counted by which checks their verdicts rest on:
    /// checked by a solver (and agreed), linted only, failed (see [`CheckCounts`]). A verdict
    /// stored as `pass` without a model's judgement (before the lint existed) is linted only.
    pub async fn check_counts(&self, dataset_id: i64) -> StoreResult<CheckCounts> {
        let row = sqlx::query!(
            r#"SELECT
                COALESCE(SUM(v.verdict IS NOT NULL
                    AND json_extract(v.verdict, '$.llm.answer_matches') IS NOT NULL), 0)
                    AS "solver_checked!: i64",
                COALESCE(SUM(v.verdict_outcome = 'pass'
                    AND json_type(v.verdict, '$.llm') IS NOT NULL), 0) AS "solver_agreed!: i64",
                COALESCE(SUM(v.verdict_outcome = 'linted' OR (v.verdict_outcome = 'pass'
                    AND json_type(v.verdict, '$.llm') IS NULL)), 0) AS "linted_only!: i64",
                COALESCE(SUM(v.verdict_outcome = 'fail'), 0) AS "failed!: i64",
                COALESCE(SUM(v.verdict_outcome = 'incomplete'), 0) AS "incomplete!: i64",
                COALESCE(SUM(v.verdict_outcome IS NULL), 0) AS "unjudged!: i64"
             FROM variants v JOIN problems p ON p.id = v.problem_id WHERE p.dataset_id = ?"#,
            dataset_id
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(CheckCounts {
            solver_checked: row.solver_checked as u64,
            solver_agreed: row.solver_agreed as u64,
            linted_only: row.linted_only as u64,
            failed: row.failed as u64,
            incomplete: row.incomplete as u64,
            unjudged: row.unjudged as u64,
        })
    }

    /// A page of a dataset's problems in id order: from `offset`, at most `limit` (default
    /// 50, at most 500) of them. `None` when there is no such dataset.
    pub async fn dataset(
        &self,
        id: i64,
        offset: Option<u64>,
        limit: Option<u64>,
    ) -> StoreResult<Option<DatasetPage>> {
        let (offset, limit, offset_db, limit_db) =
            window("problems", offset, limit, DEFAULT_PAGE, MAX_PAGE)?;
        let Some(summary) = self.dataset_summary(id).await? else {
            return Ok(None);
        };
        let rows: Vec<DbProblemLine> = sqlx::query_as!(
            DbProblemLine,
            r#"SELECT p.id AS "id!", p.line, p.external_id, p.question, p.depth, p.answer,
                p.error_category, p.error_detail,
                (SELECT COUNT(*) FROM variants v WHERE v.problem_id = p.id) AS "variants!: i64"
             FROM problems p WHERE p.dataset_id = ? ORDER BY p.id LIMIT ? OFFSET ?"#,
            id,
            limit_db,
            offset_db
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(DatasetPage {
            total: summary.problems,
            summary,
            problems: rows.into_iter().map(DbProblemLine::into_row).collect(),
            offset,
            limit,
            can_write: false,
        }))
    }

    /// One problem with its graph and its first [`VARIANT_PAGE`] variants; `None` when there
    /// is no such problem.
    pub async fn problem(&self, id: i64) -> StoreResult<Option<StoredProblem>> {
        self.problem_page(id, None, None).await
    }

    /// One problem with its graph and a window of its variants: from `offset` (default 0), at
    /// most `limit` (default [`VARIANT_PAGE`], at most [`MAX_VARIANT_PAGE`]) of them; `None`
    /// when there is no such problem.
    pub async fn problem_page(
        &self,
        id: i64,
        offset: Option<u64>,
        limit: Option<u64>,
    ) -> StoreResult<Option<StoredProblem>> {
        let window = window("variants", offset, limit, VARIANT_PAGE, MAX_VARIANT_PAGE)?;
        let row: Option<DbProblem> =
            problem_full_select!(query_as!(DbProblem, " WHERE p.id = ?", id))
                .fetch_optional(&self.pool)
                .await?;
        match row {
            Some(row) => Ok(Some(self.full_problem(row, window).await?)),
            None => Ok(None),
        }
    }

    /// A window of problem `id`'s variants (as [`Store::problem_page`] takes it); `None` when
    /// there is no such problem.
    pub async fn problem_variants(
        &self,
        id: i64,
        offset: Option<u64>,
        limit: Option<u64>,
    ) -> StoreResult<Option<ProblemVariants>> {
        let window = window("variants", offset, limit, VARIANT_PAGE, MAX_VARIANT_PAGE)?;
        let exists = sqlx::query_scalar!(r#"SELECT id AS "id!" FROM problems WHERE id = ?"#, id)
            .fetch_optional(&self.pool)
            .await?;
        match exists {
            Some(_) => Ok(Some(self.variant_window(id, window).await?)),
            None => Ok(None),
        }
    }

    /// A window of the variants of the problem share token `token` names; `None` when it
    /// names no problem. Anyone with the link may read them.
    pub async fn shared_problem_variants(
        &self,
        token: &str,
        offset: Option<u64>,
        limit: Option<u64>,
    ) -> StoreResult<Option<ProblemVariants>> {
        let window = window("variants", offset, limit, VARIANT_PAGE, MAX_VARIANT_PAGE)?;
        if !is_token(token) {
            return Ok(None);
        }
        let token = token.to_ascii_lowercase();
        let id = sqlx::query_scalar!(
            r#"SELECT id AS "id!" FROM problems WHERE share_token = ?"#,
            token
        )
        .fetch_optional(&self.pool)
        .await?;
        match id {
            Some(id) => Ok(Some(self.variant_window(id, window).await?)),
            None => Ok(None),
        }
    }

    /// The stamp of problem `id` as stored now ([`ProblemStamp`]); `None` when there is no
    /// such problem. One indexed read: the server asks it on every cached request.
    pub async fn problem_stamp(&self, id: i64) -> StoreResult<Option<ProblemStamp>> {
        let row = sqlx::query!(
            r#"SELECT p.dataset_id, p.version, d.version AS dataset_version, p.share_token,
                      d.visibility
             FROM problems p JOIN datasets d ON d.id = p.dataset_id WHERE p.id = ?"#,
            id
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| ProblemStamp {
            id,
            dataset_id: r.dataset_id,
            version: r.version,
            dataset_version: r.dataset_version,
            share_token: r.share_token,
            public: r.visibility == "public",
            can_write: false,
        }))
    }

    async fn full_problem(
        &self,
        row: DbProblem,
        window: (u64, u64, i64, i64),
    ) -> StoreResult<StoredProblem> {
        let graph = row
            .graph
            .as_deref()
            .map(|g| graph_from_json(g, &format!("problem {}", row.id)))
            .transpose()?;
        let variants = self.variant_window(row.id, window).await?;
        let flaws = graph.as_ref().map_or_else(Vec::new, |g| {
            engine::flaws::flaws(g)
                .into_iter()
                .map(|f| f.message)
                .collect()
        });
        Ok(StoredProblem {
            id: row.id,
            dataset_id: row.dataset_id,
            dataset_name: row.dataset_name,
            line: row.line as u32,
            external_id: row.external_id,
            question: row.question,
            graph,
            error: error_text(row.error_category, row.error_detail),
            flaws,
            share_token: row.share_token,
            variants: variants.variants,
            variants_total: variants.total,
            variants_offset: variants.offset,
            variants_limit: variants.limit,
            created_at: row.created_at,
            can_write: false,
            drawing: None,
        })
    }

    /// A window of a problem's variants, oldest first, with their count.
    async fn variant_window(
        &self,
        problem_id: i64,
        (offset, limit, offset_db, limit_db): (u64, u64, i64, i64),
    ) -> StoreResult<ProblemVariants> {
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM variants WHERE problem_id = ?"#,
            problem_id
        )
        .fetch_one(&self.pool)
        .await?;
        let rows: Vec<DbVariantLine> = sqlx::query_as!(
            DbVariantLine,
            r#"SELECT id AS "id!", parent_variant_id, round, depth, answer, operations, job_id,
                review_status, share_token, created_at
             FROM variants WHERE problem_id = ? ORDER BY id LIMIT ? OFFSET ?"#,
            problem_id,
            limit_db,
            offset_db
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(ProblemVariants {
            variants: rows
                .into_iter()
                .map(DbVariantLine::into_row)
                .collect::<StoreResult<Vec<VariantRow>>>()?,
            total: total as u64,
            offset,
            limit,
        })
    }

    /// One variant with its graph, its parent's graph and its lineage; `None` when there is
    /// no such variant.
    pub async fn variant(&self, id: i64) -> StoreResult<Option<StoredVariant>> {
        let row: Option<DbVariant> =
            variant_full_select!(query_as!(DbVariant, " WHERE v.id = ?", id))
                .fetch_optional(&self.pool)
                .await?;
        match row.map(full_variant).transpose()? {
            Some(mut v) => {
                v.words = self.variant_words(v.id).await?;
                Ok(Some(v))
            }
            None => Ok(None),
        }
    }

    /// What a share token points at; `None` for an unknown token.
    pub async fn shared(&self, token: &str) -> StoreResult<Option<Shared>> {
        if !is_token(token) {
            return Ok(None);
        }
        let token = token.to_ascii_lowercase();
        let problem: Option<DbProblem> =
            problem_full_select!(query_as!(DbProblem, " WHERE p.share_token = ?", token))
                .fetch_optional(&self.pool)
                .await?;
        if let Some(row) = problem {
            let window = window("variants", None, None, VARIANT_PAGE, MAX_VARIANT_PAGE)?;
            return Ok(Some(Shared::Problem(Box::new(
                self.full_problem(row, window).await?,
            ))));
        }
        let variant: Option<DbVariant> =
            variant_full_select!(query_as!(DbVariant, " WHERE v.share_token = ?", token))
                .fetch_optional(&self.pool)
                .await?;
        match variant.map(full_variant).transpose()? {
            Some(mut v) => {
                v.words = self.variant_words(v.id).await?;
                Ok(Some(Shared::Variant(Box::new(v))))
            }
            None => Ok(None),
        }
    }

    /// What variant `id`'s page shows of its words: its stored text (else the offline one),
    /// its stored worked solution (else the engine's) and the lint's complaints
    /// ([`types::wording::wording`], on an engine slot within the request budget), and its
    /// lineage for the workbench.
    pub async fn variant_page_words(&self, id: i64) -> StoreResult<types::wording::PageWords> {
        let l = self.lineage(id).await?;
        let r = sqlx::query!(
            "SELECT text, text_source, solution FROM variants WHERE id = ?",
            id
        )
        .fetch_one(&self.pool)
        .await?;
        let (text, source, solution) = (r.text, r.text_source, r.solution);
        let descent = types::wording::Descent {
            original: Some(l.original.clone()),
            operations: l.operations.clone(),
        };
        let wording = self
            .engine
            .request(&format!("writing variant {id}'s words"), move || {
                let stored = text
                    .as_deref()
                    .map(|t| (t, source.as_deref().unwrap_or("offline")));
                types::wording::wording(
                    &l.original,
                    &l.operations,
                    &l.variant,
                    stored,
                    solution.as_deref(),
                )
            })
            .await?;
        Ok(types::wording::PageWords {
            descent: Some(descent),
            wording,
        })
    }
}

fn full_variant(row: DbVariant) -> StoreResult<StoredVariant> {
    let whose = format!("variant {}", row.id);
    let parent_graph = row.parent_graph.as_deref().ok_or_else(|| {
        StoreError::Corrupt(format!(
            "{whose} has no parent graph (its problem {} has no graph)",
            row.problem_id
        ))
    })?;
    Ok(StoredVariant {
        id: row.id,
        problem_id: row.problem_id,
        dataset_id: row.dataset_id,
        parent_variant_id: row.parent_variant_id,
        operations: operations_from_json(&row.operations, &whose)?,
        seed: row.seed.map(seed_from_db),
        round: row.round as u32,
        chain: row.chain.map(|c| c as u32),
        graph: graph_from_json(&row.graph, &whose)?,
        parent_graph: graph_from_json(parent_graph, &format!("the parent of {whose}"))?,
        question: row.question,
        share_token: row.share_token,
        job_id: row.job_id,
        review_status: row.review_status,
        created_at: row.created_at,
        words: Default::default(),
        can_write: false,
        drawing: None,
        page_words: None,
    })
}
