//! The model's work on variants through batch files (`graft words requests|results`): the
//! requests Graft would send live, written for OpenAI's Batch API, vLLM's `run_batch` or any
//! cluster, and the replies read back, checked and stored exactly as live replies are.
//!
//! (Not to be confused with `batch.rs`, the verbalize / judge / extract *jobs* of the server.)
//!
//! Each request written is kept in `batch_requests` (its `custom_id` and exact body), so that
//! a reply is recorded with the request it answers and a reply to a request this database
//! never wrote is refused. A reply is refused as stale when the variant changed since its
//! request was written (the fingerprint in the `custom_id` differs). Each reply is stored in
//! one transaction with its `llm_calls` record (marked with the `custom_id` and the reply's
//! own id, which makes a second reading of the same file a no-op).

use engine::verdict::{LlmJudgement, Verdict};
use llm::batch::{self, CustomId, JudgePart, Kind, Reason, ResultsReport};
use llm::client::{chat_body, ChatRequest, Exchange, Message};
use llm::Provider;
use serde_json::Value;

use super::words::Lineage;
use super::{Store, StoreError, StoreResult};

/// Which requests `graft words requests` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordsKind {
    /// Texts and worked solutions.
    Verbalize,
    /// Verdicts (the judge's solve and rate calls).
    Judge,
    /// Both: texts for the variants that lack a model's text, verdicts for the others.
    Both,
}

impl WordsKind {
    /// Reads `verbalize`, `judge` or `both`.
    pub fn parse(s: &str) -> Result<WordsKind, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "verbalize" => Ok(WordsKind::Verbalize),
            "judge" => Ok(WordsKind::Judge),
            "both" => Ok(WordsKind::Both),
            other => Err(format!(
                "unknown kind `{other}`; use verbalize, judge or both"
            )),
        }
    }
}

/// What writing a requests file did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestsReport {
    /// Variants of the dataset looked at.
    pub variants: u64,
    /// Verbalize requests written.
    pub verbalize: u64,
    /// Judge solve requests written.
    pub solve: u64,
    /// Judge rate requests written.
    pub rate: u64,
    /// Of those, requests asked again after a rejected reply (with its complaint).
    pub retries: u64,
    /// Variants no request could be written for, and why.
    pub skipped: Vec<(i64, String)>,
}

impl RequestsReport {
    /// Lines written.
    pub fn lines(&self) -> u64 {
        self.verbalize + self.solve + self.rate
    }
}

/// Variants read per query while writing requests.
const PAGE: i64 = 500;

/// A variant as it is now: its lineage and the stored JSON its fingerprints hash.
struct Current {
    id: i64,
    lineage: Lineage,
    problem_graph: String,
    graph: String,
    operations: String,
    verdict: Option<Verdict>,
    /// The text a judge request judges: the stored one, else the offline text (with its
    /// notes and offline solution, stored with the verdict as a live judge does).
    judged: String,
    offline: Option<(String, Vec<String>, Option<String>)>,
}

impl Current {
    fn fingerprint(&self, kind: Kind) -> String {
        match kind {
            Kind::Verbalize => batch::fingerprint(&[
                kind.as_str(),
                llm::verbalize::PROMPT_VERSION,
                &self.problem_graph,
                &self.graph,
                &self.operations,
            ]),
            Kind::Solve | Kind::Rate => batch::fingerprint(&[
                kind.as_str(),
                llm::judge::PROMPT_VERSION,
                &self.judged,
                &self.graph,
            ]),
        }
    }

    /// The first live request of `kind`.
    fn request(&self, kind: Kind) -> ChatRequest {
        let l = &self.lineage;
        match kind {
            Kind::Verbalize => llm::verbalize::request(&l.original, &l.variant, &l.operations),
            Kind::Solve => llm::judge::solve_request(&self.judged),
            Kind::Rate => llm::judge::rate_request(&self.judged, &l.variant),
        }
    }

    fn llm_judgement(&self) -> Option<&LlmJudgement> {
        self.verdict.as_ref().and_then(|v| v.llm.as_ref())
    }
}

struct DbCurrent {
    graph: String,
    operations: String,
    verdict: Option<String>,
    problem_graph: Option<String>,
}

struct DbRequest {
    variant_id: i64,
    kind: String,
    prompt_version: String,
    model: String,
    body: String,
}

/// Why a reply was not stored, for the report.
struct Refusal(Reason, String);

impl Store {
    /// The variant as it is now, for fingerprints and requests.
    async fn current(&self, id: i64) -> StoreResult<Current> {
        let lineage = self.lineage(id).await?;
        let row: DbCurrent = sqlx::query_as!(
            DbCurrent,
            "SELECT v.graph, v.operations, v.verdict, p.graph AS problem_graph
             FROM variants v JOIN problems p ON p.id = v.problem_id WHERE v.id = ?",
            id
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            what: "variant",
            id,
        })?;
        let verdict = match &row.verdict {
            Some(v) => Some(serde_json::from_str(v).map_err(|e| {
                StoreError::Corrupt(format!(
                    "the verdict of variant {id} does not read back: {e}"
                ))
            })?),
            None => None,
        };
        let (judged, offline) = match &lineage.text {
            Some(t) => (t.clone(), None),
            None => {
                let original = lineage.original.clone();
                let variant = lineage.variant.clone();
                let operations = lineage.operations.clone();
                let v = self
                    .engine
                    .row(&format!("the offline text of variant {id}"), move || {
                        engine::verbalize::offline(&original, &operations).map(|v| {
                            let solution = engine::solution::worked(&original, &variant).ok();
                            (v.text, v.notes, solution)
                        })
                    })
                    .await?
                    .map_err(|e| {
                        StoreError::Invalid(format!("variant {id} cannot be verbalized: {e}"))
                    })?;
                (v.0.clone(), Some(v))
            }
        };
        Ok(Current {
            id,
            lineage,
            problem_graph: row.problem_graph.unwrap_or_default(),
            graph: row.graph,
            operations: row.operations,
            verdict,
            judged,
            offline,
        })
    }

    /// Writes the batch requests for dataset `dataset_id`'s variants to `out`, one line each
    /// (without newline), and keeps each in `batch_requests`.
    ///
    /// Verbalize requests go to variants with no model-written text, judge requests (solve
    /// and rate) to variants with no complete model verdict; with `all`, to every variant.
    /// With [`WordsKind::Both`], a variant that gets a verbalize request gets no judge request
    /// (its text is about to change): read the results, then write requests again. A request
    /// whose last reply was rejected is asked again with that reply and its complaints, as a
    /// live retry does. The bodies are exactly what a live client for `model` on a `provider`'s
    /// server sends.
    pub async fn words_requests(
        &self,
        dataset_id: i64,
        kind: WordsKind,
        all: bool,
        model: &str,
        provider: Provider,
        out: &mut (dyn FnMut(&str) -> std::io::Result<()> + Send),
    ) -> StoreResult<RequestsReport> {
        if model.trim().is_empty() {
            return Err(StoreError::Invalid(
                "no model named for the requests; give --model (or GRAFT_LLM_MODEL), e.g. \
                 gpt-4o-mini"
                    .into(),
            ));
        }
        self.require_dataset(dataset_id).await?;
        let mut report = RequestsReport::default();
        let mut after = 0i64;
        loop {
            let page: Vec<(i64, Option<String>, Option<String>)> = sqlx::query!(
                r#"SELECT v.id AS "id!", v.text_source, v.verdict FROM variants v
                 JOIN problems p ON p.id = v.problem_id
                 WHERE p.dataset_id = ? AND v.id > ? ORDER BY v.id LIMIT ?"#,
                dataset_id,
                after,
                PAGE
            )
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| (r.id, r.text_source, r.verdict))
            .collect();
            let Some(last) = page.last() else { break };
            after = last.0;
            // The page's requests are built first (reads only), then kept in one
            // transaction, then written: no transaction is held while the store reads.
            let mut pending: Vec<(CustomId, &'static str, String)> = Vec::new();
            for (id, source, verdict) in page {
                report.variants += 1;
                let verbalize =
                    kind != WordsKind::Judge && (all || source.as_deref() != Some("llm"));
                let judge = match kind {
                    WordsKind::Verbalize => false,
                    WordsKind::Judge => true,
                    WordsKind::Both => !verbalize,
                };
                // A cheap look first: a complete model verdict needs no judge requests.
                let judged_fully = verdict
                    .as_deref()
                    .and_then(|v| serde_json::from_str::<Verdict>(v).ok())
                    .and_then(|v| v.llm)
                    .is_some_and(|j| j.error.is_none() && j.answer_matches.is_some());
                let judge = judge && (all || !judged_fully);
                if !verbalize && !judge {
                    continue;
                }
                let cur = match self.current(id).await {
                    Ok(c) => c,
                    Err(e @ (StoreError::Invalid(_) | StoreError::Engine(_))) => {
                        report.skipped.push((id, e.to_string()));
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                let mut kinds = Vec::new();
                if verbalize {
                    kinds.push(Kind::Verbalize);
                }
                if judge {
                    let j = cur.llm_judgement();
                    if all || j.is_none_or(|j| j.answer_matches.is_none()) {
                        kinds.push(Kind::Solve);
                    }
                    if all || j.is_none_or(|j| j.faithfulness.is_none()) {
                        kinds.push(Kind::Rate);
                    }
                }
                for k in kinds {
                    let (custom_id, req, retry) = self.next_request(&cur, k).await?;
                    let body = chat_body(model.trim(), provider, &req);
                    pending.push((custom_id, req.prompt_version, body.to_string()));
                    match k {
                        Kind::Verbalize => report.verbalize += 1,
                        Kind::Solve => report.solve += 1,
                        Kind::Rate => report.rate += 1,
                    }
                    report.retries += u64::from(retry);
                }
            }
            let mut tx = self.pool.begin().await?;
            for (custom_id, prompt_version, body) in &pending {
                let custom = custom_id.to_string();
                let kind = custom_id.kind.as_str();
                let model_name = model.trim();
                sqlx::query!(
                    "INSERT OR REPLACE INTO batch_requests
                        (custom_id, variant_id, kind, fingerprint, prompt_version, model, body)
                     VALUES (?, ?, ?, ?, ?, ?, ?)",
                    custom,
                    custom_id.variant_id,
                    kind,
                    custom_id.fingerprint,
                    *prompt_version,
                    model_name,
                    body
                )
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            for (custom_id, _, body) in &pending {
                let body: Value = serde_json::from_str(body).unwrap_or(Value::Null);
                out(&batch::request_line(custom_id, &body)).map_err(|e| {
                    StoreError::Internal(format!("cannot write the requests file: {e}"))
                })?;
            }
        }
        Ok(report)
    }

    /// The request of `kind` for `cur` now: the first request, or, when the last reply to
    /// this request was rejected, the conversation with that reply and its complaints.
    async fn next_request(
        &self,
        cur: &Current,
        kind: Kind,
    ) -> StoreResult<(CustomId, ChatRequest, bool)> {
        let mut id = CustomId {
            variant_id: cur.id,
            kind,
            fingerprint: cur.fingerprint(kind),
            attempt: 1,
        };
        let mut req = cur.request(kind);
        let prefix = id.prefix();
        let prefix_len = prefix.len() as i64;
        let last = sqlx::query!(
            r#"SELECT batch_custom_id AS "batch_custom_id!", content, error FROM llm_calls
             WHERE variant_id = ? AND substr(batch_custom_id, 1, ?) = ?
             ORDER BY id DESC LIMIT 1"#,
            cur.id,
            prefix_len,
            prefix
        )
        .fetch_optional(&self.pool)
        .await?
        .map(|r| (r.batch_custom_id, r.content, r.error));
        let mut retry = false;
        if let Some((last_id, content, error)) = last {
            if let Ok(last_id) = CustomId::parse(&last_id) {
                id.attempt = last_id.attempt.saturating_add(1);
            }
            if let (Some(content), Some(_)) = (content, error) {
                let complaint = match kind {
                    Kind::Verbalize => {
                        let original = cur.lineage.original.clone();
                        let variant = cur.lineage.variant.clone();
                        let c = content.clone();
                        self.engine
                            .row(
                                &format!("checking variant {}'s last reply", cur.id),
                                move || llm::verbalize::check_reply(&original, &variant, &c),
                            )
                            .await?
                            .err()
                            .map(|c| llm::verbalize::complaint(&c))
                    }
                    Kind::Solve => llm::judge::parse_solve(&content)
                        .err()
                        .map(llm::judge::complaint),
                    Kind::Rate => llm::judge::parse_rate(&content)
                        .err()
                        .map(llm::judge::complaint),
                };
                if let Some(c) = complaint {
                    req.messages.push(Message::assistant(content));
                    req.messages.push(c);
                    retry = true;
                }
            }
        }
        Ok((id, req, retry))
    }

    /// Reads a batch output file's `lines` (OpenAI's Batch API or vLLM's `run_batch`) and
    /// stores each reply exactly as a live reply is stored: checked the same way, written
    /// with its call record in one transaction. A line that cannot be used is reported with
    /// its number and skipped; nothing already stored is lost, and reading the same file
    /// again stores nothing twice. `progress` is called after each line.
    pub async fn words_results(
        &self,
        lines: &mut (dyn Iterator<Item = batch::Line> + Send),
        progress: &mut (dyn FnMut(usize) + Send),
    ) -> StoreResult<ResultsReport> {
        let mut report = ResultsReport::default();
        for (n, line) in lines {
            match self.result_line(line).await? {
                Ok(()) => report.stored += 1,
                Err(Refusal(reason, detail)) => report.problem(n, reason, detail),
            }
            progress(n);
        }
        Ok(report)
    }

    /// One results line: stored, or why not. An error only for trouble with the database.
    async fn result_line(&self, line: Result<String, String>) -> StoreResult<Result<(), Refusal>> {
        let refuse = |r: Reason, d: String| Ok(Err(Refusal(r, d)));
        let line = match line {
            Ok(l) => l,
            Err(why) => return refuse(Reason::Unreadable, why),
        };
        let reply = match batch::read_reply(&line) {
            Ok(r) => r,
            Err(why) => return refuse(Reason::Unreadable, why),
        };
        let custom_id = match CustomId::parse(&reply.custom_id) {
            Ok(c) => c,
            Err(why) => return refuse(Reason::UnknownCustomId, why),
        };
        let req: Option<DbRequest> = sqlx::query_as!(
            DbRequest,
            "SELECT variant_id, kind, prompt_version, model, body FROM batch_requests
             WHERE custom_id = ?",
            reply.custom_id
        )
        .fetch_optional(&self.pool)
        .await?;
        let Some(req) = req
            .filter(|r| r.variant_id == custom_id.variant_id && r.kind == custom_id.kind.as_str())
        else {
            return refuse(
                Reason::UnknownCustomId,
                format!(
                    "this database never wrote a request `{}`; read the results into the \
                     database `graft words requests` wrote the requests from",
                    reply.custom_id
                ),
            );
        };
        let seen = sqlx::query_scalar!(
            r#"SELECT id AS "id!" FROM llm_calls WHERE batch_custom_id = ? AND batch_reply_id = ?"#,
            reply.custom_id,
            reply.reply_id
        )
        .fetch_optional(&self.pool)
        .await?;
        if let Some(call) = seen {
            return refuse(
                Reason::AlreadyStored,
                format!(
                    "reply `{}` to `{}` is already stored (call {call})",
                    reply.reply_id, reply.custom_id
                ),
            );
        }
        let id = custom_id.variant_id;
        let cur = match self.current(id).await {
            Ok(c) => c,
            Err(StoreError::NotFound { .. }) => {
                return refuse(Reason::Stale, format!("variant {id} no longer exists"))
            }
            Err(e @ (StoreError::Invalid(_) | StoreError::Engine(_))) => {
                return refuse(Reason::Stale, e.to_string())
            }
            Err(e) => return Err(e),
        };
        if cur.fingerprint(custom_id.kind) != custom_id.fingerprint {
            return refuse(
                Reason::Stale,
                format!(
                    "variant {id} has changed since this {} request was written ({}); write \
                     the requests again with `graft words requests`",
                    custom_id.kind,
                    match custom_id.kind {
                        Kind::Verbalize => "its graph or the prompt",
                        _ => "its text, its graph or the prompt",
                    }
                ),
            );
        }
        let request: Value = serde_json::from_str(&req.body).unwrap_or(Value::Null);
        let call = |error: Option<String>| {
            batch::exchange(
                &reply,
                custom_id.kind,
                &req.prompt_version,
                &req.model,
                request.clone(),
                error,
            )
        };
        let content = match &reply.content {
            Ok(c) => c.clone(),
            Err(why) => {
                self.store_reply(&cur, &reply, &call(None), None).await?;
                return refuse(Reason::ErrorReply, why.clone());
            }
        };
        let update = match custom_id.kind {
            Kind::Verbalize => {
                let original = cur.lineage.original.clone();
                let variant = cur.lineage.variant.clone();
                let c = content.clone();
                let checked = self
                    .engine
                    .row(&format!("checking variant {id}'s text"), move || {
                        llm::verbalize::check_reply(&original, &variant, &c)
                    })
                    .await?;
                match checked {
                    Ok((text, solution)) => Update::Text { text, solution },
                    Err(complaints) => {
                        let why =
                            format!("the model's text was rejected: {}", complaints.join("; "));
                        self.store_reply(&cur, &reply, &call(Some(why.clone())), None)
                            .await?;
                        return refuse(Reason::InvalidText, why);
                    }
                }
            }
            Kind::Solve | Kind::Rate => {
                let part = if custom_id.kind == Kind::Solve {
                    llm::judge::parse_solve(&content).map(JudgePart::Solve)
                } else {
                    llm::judge::parse_rate(&content).map(JudgePart::Rate)
                };
                let part = match part {
                    Ok(p) => p,
                    Err(why) => {
                        self.store_reply(&cur, &reply, &call(Some(why.clone())), None)
                            .await?;
                        return refuse(Reason::InvalidReply, why);
                    }
                };
                let original = cur.lineage.original.clone();
                let variant = cur.lineage.variant.clone();
                let text = cur.judged.clone();
                let answer = cur.lineage.answer.clone();
                let mut verdict = self
                    .engine
                    .row(&format!("checking variant {id}'s verdict"), move || {
                        engine::verdict::offline(&original, &variant, &text, &answer)
                    })
                    .await?;
                verdict.llm = Some(batch::judgement(
                    cur.llm_judgement().cloned(),
                    &req.model,
                    &cur.lineage.variant,
                    part,
                ));
                Update::Verdict(Box::new(verdict))
            }
        };
        self.store_reply(&cur, &reply, &call(None), Some(update))
            .await?;
        Ok(Ok(()))
    }

    /// Records a batch call and, with it in one transaction, what the reply changes.
    async fn store_reply(
        &self,
        cur: &Current,
        reply: &batch::Reply,
        call: &Exchange,
        update: Option<Update>,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let request = serde_json::to_string(&call.request).unwrap_or_default();
        let status = call.status.map(i64::from);
        let latency_ms = call.latency_ms as i64;
        let attempts = call.attempts as i64;
        let prompt_tokens = call.prompt_tokens.map(i64::from);
        let completion_tokens = call.completion_tokens.map(i64::from);
        sqlx::query!(
            "INSERT INTO llm_calls (variant_id, problem_id, job_id, purpose, prompt_version,
                model, base_url, request, response, status, content, error, latency_ms,
                attempts, retries, prompt_tokens, completion_tokens, batch_custom_id,
                batch_reply_id)
             VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)",
            cur.id,
            cur.lineage.problem_id,
            call.purpose,
            call.prompt_version,
            call.model,
            batch::BATCH_BASE_URL,
            request,
            call.response,
            status,
            call.content,
            call.error,
            latency_ms,
            attempts,
            prompt_tokens,
            completion_tokens,
            reply.custom_id,
            reply.reply_id
        )
        .execute(&mut *tx)
        .await?;
        match update {
            None => {}
            Some(Update::Text { text, solution }) => {
                sqlx::query!(
                    "UPDATE variants SET text = ?, solution = ?, text_source = 'llm',
                        text_fallback = NULL, text_notes = '[]', llm_error = NULL,
                        verdict = NULL, verdict_outcome = NULL
                     WHERE id = ?",
                    text,
                    solution,
                    cur.id
                )
                .execute(&mut *tx)
                .await?;
            }
            Some(Update::Verdict(verdict)) => {
                // No text yet: the offline text was judged; it is stored with the verdict.
                if let Some((text, notes, solution)) = &cur.offline {
                    let notes = serde_json::to_string(notes).unwrap_or_default();
                    sqlx::query!(
                        "UPDATE variants SET text = ?, solution = ?, text_source = 'offline',
                            text_fallback = NULL, text_notes = ? WHERE id = ? AND text IS NULL",
                        text,
                        solution,
                        notes,
                        cur.id
                    )
                    .execute(&mut *tx)
                    .await?;
                }
                super::words::store_verdict(&mut tx, cur.id, &verdict).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// What a stored reply changes on its variant.
enum Update {
    /// A model's text and worked solution (validated).
    Text { text: String, solution: String },
    /// A verdict with the model's judgement.
    Verdict(Box<Verdict>),
}
