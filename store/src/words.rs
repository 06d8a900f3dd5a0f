//! Words in and out: variants' texts and verdicts, model-written programs for problems, and
//! the record of every model call.
//!
//! The work itself is the `llm` crate's (with the engine's offline verbalizer and checks);
//! this module feeds it what is stored and stores what comes back. A model that is down never
//! costs an item anything: its calls are recorded, the item keeps what it had, and the error
//! is returned ([`StoreError::Unavailable`]) so that a job can pause and be resumed.

use engine::intervene::Intervention;
use engine::Graph;
use llm::{Budget, Client, ClientConfig, Endpoint, Exchange, Provider};

use super::rows::{graph_from_json, operations_from_json};
use super::{Store, StoreError, StoreResult};
use types::model::{LlmCall, LlmSettings, VariantItem, VariantPage, VariantWords, VerdictCounts};

/// Stores a variant's verdict with its one-word outcome (the column the filters and counts
/// read), and clears a model error left from before.
pub(super) async fn store_verdict(
    conn: &mut sqlx::SqliteConnection,
    id: i64,
    verdict: &engine::verdict::Verdict,
) -> Result<(), sqlx::Error> {
    let json = serde_json::to_string(verdict).unwrap_or_default();
    let outcome = verdict.outcome().as_str();
    sqlx::query!(
        "UPDATE variants SET verdict = ?, verdict_outcome = ?, llm_error = NULL WHERE id = ?",
        json,
        outcome,
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// How many times a model is asked before Graft falls back or gives up.
pub const TRIES: u32 = 2;

/// The model to use for one piece of work, and the budget it draws from.
pub type Model<'a> = Option<(&'a Client, &'a Budget)>;

/// A variant with what it descends from: the problem's graph and every operation since.
pub(super) struct Lineage {
    pub problem_id: i64,
    pub original: Graph,
    pub operations: Vec<Intervention>,
    pub variant: Graph,
    pub answer: String,
    pub text: Option<String>,
}

struct DbLineage {
    id: i64,
    problem_id: i64,
    parent_variant_id: Option<i64>,
    operations: String,
    graph: String,
    answer: String,
    text: Option<String>,
}

struct DbWords {
    text: Option<String>,
    solution: Option<String>,
    text_source: Option<String>,
    text_fallback: Option<String>,
    text_notes: Option<String>,
    verdict: Option<String>,
    verdict_outcome: Option<String>,
    llm_error: Option<String>,
}

struct DbCall {
    id: i64,
    purpose: String,
    prompt_version: String,
    model: String,
    base_url: String,
    request: String,
    response: Option<String>,
    status: Option<i64>,
    content: Option<String>,
    error: Option<String>,
    latency_ms: i64,
    attempts: i64,
    retries: Option<String>,
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
    created_at: String,
    batch_custom_id: Option<String>,
}

impl DbCall {
    fn into_call(self) -> LlmCall {
        LlmCall {
            id: self.id,
            purpose: self.purpose,
            prompt_version: self.prompt_version,
            model: self.model,
            base_url: self.base_url,
            request: pretty(&self.request),
            response: self.response.as_deref().map(pretty),
            status: self.status.map(|s| s as u16),
            content: self.content,
            error: self.error,
            latency_ms: self.latency_ms.max(0) as u64,
            attempts: self.attempts.max(0) as u32,
            retries: self
                .retries
                .and_then(|r| serde_json::from_str(&r).ok())
                .unwrap_or_default(),
            prompt_tokens: self.prompt_tokens.map(|t| t as u32),
            completion_tokens: self.completion_tokens.map(|t| t as u32),
            created_at: self.created_at,
            batch_custom_id: self.batch_custom_id,
        }
    }
}

/// JSON text pretty-printed for reading (done here, so the browser bundle needs no JSON
/// formatter); anything else as it is.
fn pretty(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_string())
}

/// The longest model setting accepted (base URL, model name, API key, provider), in bytes.
pub const MAX_LLM_SETTING_BYTES: usize = 4096;

/// A client for a job's own endpoint. Refuses settings longer than
/// [`MAX_LLM_SETTING_BYTES`].
pub fn client_for(settings: &LlmSettings, config: ClientConfig) -> StoreResult<Client> {
    for (what, value) in [
        ("base_url", Some(&settings.base_url)),
        ("model", Some(&settings.model)),
        ("api_key", settings.api_key.as_ref()),
        ("provider", settings.provider.as_ref()),
    ] {
        let len = value.map_or(0, String::len);
        if len > MAX_LLM_SETTING_BYTES {
            return Err(StoreError::Invalid(format!(
                "the model's {what} is {len} bytes, over the limit of {MAX_LLM_SETTING_BYTES}; \
                 check the value"
            )));
        }
    }
    let provider =
        Provider::parse(settings.provider.as_deref().unwrap_or("")).map_err(StoreError::Invalid)?;
    Client::new(
        Endpoint {
            base_url: settings.base_url.trim().to_string(),
            model: settings.model.trim().to_string(),
            api_key: settings.api_key.clone().filter(|k| !k.trim().is_empty()),
            provider,
        },
        config,
    )
    .map_err(StoreError::Invalid)
}

impl Store {
    /// The store with the server's default model (`None`: offline only).
    pub fn with_llm(mut self, client: Option<Client>) -> Store {
        self.llm = client;
        self
    }

    /// The store with these timeouts and retries for clients made for a job's own endpoint.
    pub fn with_llm_config(mut self, config: ClientConfig) -> Store {
        self.llm_config = config;
        self
    }

    /// The server's default model, when one is configured.
    pub fn llm(&self) -> Option<&Client> {
        self.llm.as_ref()
    }

    pub(super) async fn lineage(&self, id: i64) -> StoreResult<Lineage> {
        let mut ops: Vec<Vec<Intervention>> = Vec::new();
        let mut next = Some(id);
        let mut first: Option<DbLineage> = None;
        let mut problem_id = 0;
        let mut guard = 0;
        while let Some(vid) = next {
            let row: Option<DbLineage> = sqlx::query_as!(
                DbLineage,
                "SELECT id, problem_id, parent_variant_id, operations, graph, answer, text
                 FROM variants WHERE id = ?",
                vid
            )
            .fetch_optional(&self.pool)
            .await?;
            let row = row.ok_or(StoreError::NotFound {
                what: "variant",
                id: vid,
            })?;
            ops.push(operations_from_json(
                &row.operations,
                &format!("variant {}", row.id),
            )?);
            problem_id = row.problem_id;
            next = row.parent_variant_id;
            if first.is_none() {
                first = Some(row);
            }
            guard += 1;
            if guard > 10_000 {
                return Err(StoreError::Corrupt(format!(
                    "variant {id}'s lineage does not end (a parent cycle)"
                )));
            }
        }
        let first = first.ok_or(StoreError::NotFound {
            what: "variant",
            id,
        })?;
        let graph = sqlx::query_scalar!("SELECT graph FROM problems WHERE id = ?", problem_id)
            .fetch_one(&self.pool)
            .await?;
        let graph = graph.ok_or_else(|| {
            StoreError::Corrupt(format!("problem {problem_id} has variants but no graph"))
        })?;
        let DbLineage {
            graph: variant_json,
            answer,
            text,
            ..
        } = first;
        // Reading two graphs of up to engine::limits::MAX_NODES nodes is engine work.
        let (original, variant) = self
            .engine
            .row(&format!("reading variant {id}'s graphs"), move || {
                Ok::<_, StoreError>((
                    graph_from_json(&graph, &format!("problem {problem_id}"))?,
                    graph_from_json(&variant_json, &format!("variant {id}"))?,
                ))
            })
            .await??;
        Ok(Lineage {
            problem_id,
            original,
            operations: ops.into_iter().rev().flatten().collect(),
            variant,
            answer,
            text,
        })
    }

    /// Stores the record of model calls.
    pub(super) async fn record_calls(
        conn: &mut sqlx::SqliteConnection,
        calls: &[Exchange],
        base_url: &str,
        variant_id: Option<i64>,
        problem_id: Option<i64>,
        job_id: Option<i64>,
    ) -> StoreResult<()> {
        for c in calls {
            let request = serde_json::to_string(&c.request).unwrap_or_default();
            let status = c.status.map(i64::from);
            let latency_ms = c.latency_ms as i64;
            let attempts = c.attempts as i64;
            let retries = (!c.retries.is_empty())
                .then(|| serde_json::to_string(&c.retries).unwrap_or_default());
            let prompt_tokens = c.prompt_tokens.map(i64::from);
            let completion_tokens = c.completion_tokens.map(i64::from);
            sqlx::query!(
                "INSERT INTO llm_calls (variant_id, problem_id, job_id, purpose, prompt_version,
                    model, base_url, request, response, status, content, error, latency_ms,
                    attempts, retries, prompt_tokens, completion_tokens)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                variant_id,
                problem_id,
                job_id,
                c.purpose,
                c.prompt_version,
                c.model,
                base_url,
                request,
                c.response,
                status,
                c.content,
                c.error,
                latency_ms,
                attempts,
                retries,
                prompt_tokens,
                completion_tokens
            )
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    /// The error for a variant the model could not work on: an outage is noted on the variant
    /// (which keeps everything else) and answers [`StoreError::Unavailable`]; anything else is
    /// the request's fault (`what`: "verbalized", "judged").
    async fn refusal(&self, variant_id: i64, what: &str, f: llm::Failure) -> StoreError {
        if !f.is_outage() {
            return StoreError::Invalid(format!("variant {variant_id} cannot be {what}: {f}"));
        }
        let why = f.to_string();
        let noted = sqlx::query!(
            "UPDATE variants SET llm_error = ? WHERE id = ?",
            why,
            variant_id
        )
        .execute(&self.pool)
        .await;
        match noted {
            Ok(_) => StoreError::Unavailable(why),
            Err(e) => e.into(),
        }
    }

    /// Writes variant `id`'s problem text: with `model` when given (validated, else the
    /// offline text with the reason), offline otherwise. An outage of the model leaves the
    /// variant as it was and answers [`StoreError::Unavailable`].
    pub async fn verbalize_variant(
        &self,
        id: i64,
        model: Model<'_>,
        job_id: Option<i64>,
    ) -> StoreResult<VariantWords> {
        let l = self.lineage(id).await?;
        let run = llm::verbalize::verbalize(model, &l.original, &l.operations, TRIES).await;
        let base_url = model
            .map(|(c, _)| c.endpoint().base_url.clone())
            .unwrap_or_default();
        // The calls and what came of them are written together: a crash leaves neither.
        let mut tx = self.pool.begin().await?;
        Self::record_calls(
            &mut tx,
            &run.exchanges,
            &base_url,
            Some(id),
            Some(l.problem_id),
            job_id,
        )
        .await?;
        match run.result {
            Ok(v) => {
                let source = v.source.as_str();
                let notes = serde_json::to_string(&v.notes).unwrap_or_default();
                sqlx::query!(
                    "UPDATE variants SET text = ?, solution = ?, text_source = ?,
                        text_fallback = ?, text_notes = ?, llm_error = NULL,
                        verdict = NULL, verdict_outcome = NULL
                     WHERE id = ?",
                    v.text,
                    v.solution,
                    source,
                    v.fallback,
                    notes,
                    id
                )
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            }
            Err(f) => {
                tx.commit().await?;
                return Err(self.refusal(id, "verbalized", f).await);
            }
        }
        self.variant_words(id).await
    }

    /// Judges variant `id` (its offline text when it has none yet, stored with the verdict): the
    /// offline checks, and the LLM judge with `model`. An outage leaves the variant as it was
    /// and answers [`StoreError::Unavailable`].
    pub async fn judge_variant(
        &self,
        id: i64,
        model: Model<'_>,
        job_id: Option<i64>,
    ) -> StoreResult<VariantWords> {
        let l = self.lineage(id).await?;
        // No text yet: judge the offline text, stored with the verdict (and only then).
        let (text, new_text) = match &l.text {
            Some(t) => (t.clone(), None),
            None => {
                let v = engine::verbalize::offline(&l.original, &l.operations).map_err(|e| {
                    StoreError::Invalid(format!("variant {id} cannot be verbalized: {e}"))
                })?;
                let solution = engine::solution::worked(&l.original, &l.variant).ok();
                (v.text.clone(), Some((v, solution)))
            }
        };
        let run = llm::judge::judge(model, &l.original, &l.variant, &text, &l.answer, TRIES).await;
        let base_url = model
            .map(|(c, _)| c.endpoint().base_url.clone())
            .unwrap_or_default();
        // The calls, the offline text (when new) and the verdict are written together: a
        // crash leaves none of them.
        let mut tx = self.pool.begin().await?;
        Self::record_calls(
            &mut tx,
            &run.exchanges,
            &base_url,
            Some(id),
            Some(l.problem_id),
            job_id,
        )
        .await?;
        match run.result {
            Ok(verdict) => {
                if let Some((v, solution)) = new_text {
                    let notes = serde_json::to_string(&v.notes).unwrap_or_default();
                    sqlx::query!(
                        "UPDATE variants SET text = ?, solution = ?, text_source = 'offline',
                            text_fallback = NULL, text_notes = ? WHERE id = ?",
                        v.text,
                        solution,
                        notes,
                        id
                    )
                    .execute(&mut *tx)
                    .await?;
                }
                store_verdict(&mut tx, id, &verdict).await?;
                tx.commit().await?;
            }
            Err(f) => {
                tx.commit().await?;
                return Err(self.refusal(id, "judged", f).await);
            }
        }
        self.variant_words(id).await
    }

    /// Asks `client` for a program for problem `id` (one without a graph) and stores the graph
    /// when the engine accepts it. Returns whether it did; the reasons of a give-up are stored
    /// as the problem's extraction error.
    pub async fn extract_problem(
        &self,
        id: i64,
        client: &Client,
        budget: &Budget,
        job_id: Option<i64>,
    ) -> StoreResult<bool> {
        let row = sqlx::query!(
            "SELECT question, source, graph FROM problems WHERE id = ?",
            id
        )
        .fetch_optional(&self.pool)
        .await?
        .map(|r| (r.question, r.source, r.graph));
        let (question, source, graph) = row.ok_or(StoreError::NotFound {
            what: "problem",
            id,
        })?;
        if graph.is_some() {
            return Ok(false);
        }
        let expected = stated_answer(&source);
        let run = llm::extract::extract(client, budget, &question, expected, TRIES).await;
        let mut tx = self.pool.begin().await?;
        Self::record_calls(
            &mut tx,
            &run.exchanges,
            &client.endpoint().base_url,
            None,
            Some(id),
            job_id,
        )
        .await?;
        match run.result {
            Ok(ex) => {
                let json = serde_json::to_string(&ex.graph)
                    .map_err(|e| StoreError::Internal(format!("cannot serialize a graph: {e}")))?;
                let depth = ex.graph.depth();
                let answer = ex.graph.answer_value().to_string();
                sqlx::query!(
                    "UPDATE problems SET graph = ?, depth = ?, answer = ?, error_category = NULL,
                        error_detail = NULL, llm_program = ?
                     WHERE id = ? AND graph IS NULL",
                    json,
                    depth,
                    answer,
                    ex.code,
                    id
                )
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }
            Err(f) if f.is_outage() => {
                tx.commit().await?;
                Err(StoreError::Unavailable(f.to_string()))
            }
            Err(f) => {
                let detail = f.to_string();
                sqlx::query!(
                    "UPDATE problems SET error_category = 'llm_extract_failed', error_detail = ?
                     WHERE id = ? AND graph IS NULL",
                    detail,
                    id
                )
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(false)
            }
        }
    }

    /// A variant's text, verdict and model calls.
    pub async fn variant_words(&self, id: i64) -> StoreResult<VariantWords> {
        let row: Option<DbWords> = sqlx::query_as!(
            DbWords,
            "SELECT text, solution, text_source, text_fallback, text_notes, verdict,
                verdict_outcome, llm_error
             FROM variants WHERE id = ?",
            id
        )
        .fetch_optional(&self.pool)
        .await?;
        let row = row.ok_or(StoreError::NotFound {
            what: "variant",
            id,
        })?;
        let calls: Vec<DbCall> = sqlx::query_as!(
            DbCall,
            r#"SELECT id AS "id!", purpose, prompt_version, model, base_url, request, response,
                status, content, error, latency_ms, attempts, retries, prompt_tokens,
                completion_tokens, created_at, batch_custom_id
             FROM llm_calls WHERE variant_id = ? ORDER BY id"#,
            id
        )
        .fetch_all(&self.pool)
        .await?;
        let verdict = match row.verdict {
            Some(v) => Some(serde_json::from_str(&v).map_err(|e| {
                StoreError::Corrupt(format!(
                    "the verdict of variant {id} does not read back: {e}"
                ))
            })?),
            None => None,
        };
        Ok(VariantWords {
            text: row.text,
            source: row.text_source,
            fallback: row.text_fallback,
            notes: row
                .text_notes
                .and_then(|n| serde_json::from_str(&n).ok())
                .unwrap_or_default(),
            solution: row.solution,
            verdict,
            outcome: row.verdict_outcome,
            llm_error: row.llm_error,
            calls: calls.into_iter().map(DbCall::into_call).collect(),
        })
    }

    /// A page of a dataset's variants, optionally only those with verdict `outcome`
    /// (`pass`, `linted`, `fail`, `incomplete`, or `unjudged`), with counts by verdict.
    pub async fn dataset_variants(
        &self,
        dataset_id: i64,
        outcome: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> StoreResult<VariantPage> {
        if let Some(o) = outcome {
            if !["pass", "linted", "fail", "incomplete", "unjudged"].contains(&o) {
                return Err(StoreError::Invalid(format!(
                    "unknown verdict filter {o:?}; use pass, linted, fail, incomplete or unjudged"
                )));
            }
        }
        self.require_dataset(dataset_id).await?;
        // The variants of dataset ?1 with outcome ?2 (any when NULL).
        macro_rules! in_filter {
            ($head:literal; $($call:tt)*) => {
                with_sql!([$head "
             FROM variants v JOIN problems p ON p.id = v.problem_id
             WHERE p.dataset_id = ?1 AND (?2 IS NULL
                OR (?2 = 'unjudged' AND v.verdict_outcome IS NULL) OR v.verdict_outcome = ?2)"];
                    $($call)*)
            };
        }
        struct DbItem {
            id: i64,
            problem_id: i64,
            round: i64,
            depth: i64,
            text: Option<String>,
            text_source: Option<String>,
            verdict_outcome: Option<String>,
            offline_verdict: Option<bool>,
        }
        let (limit, offset) = (limit.min(super::MAX_PAGE) as i64, offset as i64);
        let items: Vec<DbItem> = in_filter!(
            r#"SELECT v.id AS "id!", v.problem_id, v.round, v.depth, v.text, v.text_source,
                v.verdict_outcome,
                CASE WHEN v.verdict IS NULL THEN NULL
                     ELSE json_type(v.verdict, '$.llm') IS NULL END AS "offline_verdict?: bool""#;
            query_as!(
                DbItem,
                " ORDER BY v.id LIMIT ?3 OFFSET ?4",
                dataset_id,
                outcome,
                limit,
                offset
            )
        )
        .fetch_all(&self.pool)
        .await?;
        let total = in_filter!(
            r#"SELECT COUNT(*) AS "n!: i64""#;
            query_scalar!("", dataset_id, outcome)
        )
        .fetch_one(&self.pool)
        .await?;
        let counts = sqlx::query!(
            r#"SELECT v.verdict_outcome, COUNT(*) AS "n!: i64" FROM variants v
             JOIN problems p ON p.id = v.problem_id
             WHERE p.dataset_id = ? GROUP BY v.verdict_outcome"#,
            dataset_id
        )
        .fetch_all(&self.pool)
        .await?;
        let mut c = VerdictCounts::default();
        for (o, n) in counts.into_iter().map(|r| (r.verdict_outcome, r.n)) {
            let n = n as u64;
            match o.as_deref() {
                Some("pass") => c.pass = n,
                Some("fail") => c.fail = n,
                Some("incomplete") => c.incomplete = n,
                Some("linted") => c.linted = n,
                _ => c.unjudged += n,
            }
        }
        Ok(VariantPage {
            items: items
                .into_iter()
                .map(|i| VariantItem {
                    id: i.id,
                    problem_id: i.problem_id,
                    round: i.round as u32,
                    depth: i.depth as u32,
                    text: i.text,
                    source: i.text_source,
                    outcome: i.verdict_outcome,
                    offline_verdict: i.offline_verdict,
                })
                .collect(),
            total: total as u64,
            counts: c,
        })
    }
}

/// The answer a row states, for checking a model's program: a number in `answer` or `target`,
/// a GSM8K `#### n` line, or a `\boxed{n}` in `answer` or `solution`.
pub fn stated_answer(source: &str) -> Option<f64> {
    let v: serde_json::Value = serde_json::from_str(source).ok()?;
    let num = |s: &str| s.trim().replace([',', '$'], "").parse::<f64>().ok();
    for key in ["target", "answer"] {
        match v.get(key) {
            Some(serde_json::Value::Number(n)) => return n.as_f64(),
            Some(serde_json::Value::String(s)) => {
                if let Some(x) = num(s) {
                    return Some(x);
                }
                if let Some(i) = s.rfind("####") {
                    if let Some(x) = num(&s[i + 4..]) {
                        return Some(x);
                    }
                }
            }
            _ => {}
        }
    }
    for key in ["answer", "solution"] {
        if let Some(s) = v.get(key).and_then(|s| s.as_str()) {
            if let Some(i) = s.rfind("\\boxed{") {
                let rest = &s[i + 7..];
                if let Some(x) = rest.find('}').and_then(|e| num(&rest[..e])) {
                    return Some(x);
                }
            }
        }
    }
    None
}
