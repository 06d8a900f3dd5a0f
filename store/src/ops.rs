//! The use cases: every operation a person can ask of Graft over the web, as one method that
//! takes the caller, decides the permission, does the work and answers a [`StoreError`].
//! The server functions (the pages) and the REST handlers are one-line adapters over these;
//! HTTP statuses are chosen by them, at the edge, from [`StoreError::kind`].
//!
//! Who may do what is decided here and only here: [`Action::role`] is the table of writes,
//! [`Store::check_read`] the rule for reads (a private dataset needs an account).

use serde::{Deserialize, Serialize};
use types::account::{LoginOutcome, Role, UserInfo, UserRow};
use types::annotation::{
    AnnotationReport, BulkCount, Decision, DecisionOutcome, LabelEdit, LabelQueue, LabelTask,
    ReviewFilter, ReviewQueue,
};
use types::model::{
    DatasetPage, DatasetSettings, DatasetSummary, ImportReport, JobSpec, JobStatus, ModelSolution,
    NewSolution, NewVariant, ProblemVariants, SavedVariant, Shared, StoredProblem, StoredVariant,
    VariantPage, VariantWords,
};
use types::wording::Wording;

use crate::caller::Caller;
use crate::{
    require, ExportFormat, ExportStream, LoginLimiter, Owned, Store, StoreError, StoreResult,
};

/// Everything that needs more than reading a dataset: the one table of who may do what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Import a JSONL file as a dataset.
    ImportDataset,
    /// Add one problem to a dataset.
    AddProblem,
    /// Save interventions as a variant.
    SaveVariant,
    /// Start a curriculum or words job.
    StartJob,
    /// Queue a paused job again.
    ResumeJob,
    /// Write a variant's text.
    Verbalize,
    /// Judge a variant.
    Judge,
    /// Extract a problem's graph with a model.
    Extract,
    /// Export a dataset (it holds every annotator's labels).
    Export,
    /// Accept or reject one variant.
    Review,
    /// Accept or reject everything a filter matches.
    BulkDecide,
    /// Label the steps of solutions.
    Label,
    /// See the annotation report (agreement, gold accuracy).
    SeeAnnotationReport,
    /// Change a dataset's settings (public, guidelines, overlap, gold).
    ChangeSettings,
    /// List, add and change accounts.
    ManageUsers,
    /// Ask for editor previews without the per-address rate limit.
    PreviewUnlimited,
    /// Store a model's solutions of variants.
    AddSolutions,
}

impl Action {
    /// The least role that may do it.
    pub const fn role(self) -> Role {
        match self {
            Action::Review | Action::Label => Role::Annotator,
            Action::ImportDataset
            | Action::AddProblem
            | Action::SaveVariant
            | Action::StartJob
            | Action::ResumeJob
            | Action::Verbalize
            | Action::Judge
            | Action::Extract
            | Action::Export
            | Action::BulkDecide
            | Action::SeeAnnotationReport
            | Action::ChangeSettings
            | Action::ManageUsers
            | Action::PreviewUnlimited
            | Action::AddSolutions => Role::Admin,
        }
    }

    /// What it is, as a refusal says it ("only an admin may {doing}").
    pub const fn doing(self) -> &'static str {
        match self {
            Action::ImportDataset => "import a dataset",
            Action::AddProblem => "add problems",
            Action::SaveVariant => "save variants",
            Action::StartJob => "start jobs",
            Action::ResumeJob => "resume jobs",
            Action::Verbalize => "verbalize variants",
            Action::Judge => "judge variants",
            Action::Extract => "extract problems",
            Action::Export => "export datasets",
            Action::Review => "review variants",
            Action::BulkDecide => "accept or reject in bulk",
            Action::Label => "label steps",
            Action::SeeAnnotationReport => "see agreement and gold accuracy",
            Action::ChangeSettings => "change dataset settings",
            Action::ManageUsers => "manage accounts",
            Action::PreviewUnlimited => "preview without a rate limit",
            Action::AddSolutions => "store model solutions",
        }
    }
}

impl Caller {
    /// The caller's account, when it may do `action`; else why not (401 anonymous, 403 role).
    pub fn may(&self, action: Action) -> StoreResult<UserInfo> {
        require(self.user.as_ref(), action.role(), action.doing())
    }

    /// Whether the caller may do `action` (pages show its controls only then).
    pub fn can(&self, action: Action) -> bool {
        self.may(action).is_ok()
    }
}

/// What a model extraction of a problem did, and the problem as it is now.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Extracted {
    /// Whether a graph was extracted and stored.
    pub extracted: bool,
    /// The problem after it.
    pub problem: StoredProblem,
}

/// The store as one caller uses it ([`Store::by`]): every use case, permission first.
#[derive(Clone, Copy)]
pub struct Ops<'a> {
    store: &'a Store,
    caller: &'a Caller,
}

impl Store {
    /// The use cases as `caller` may do them.
    pub fn by<'a>(&'a self, caller: &'a Caller) -> Ops<'a> {
        Ops {
            store: self,
            caller,
        }
    }
}

impl Ops<'_> {
    fn user(&self) -> Option<&UserInfo> {
        self.caller.user.as_ref()
    }

    /// Fails unless the caller may read dataset `id`.
    async fn read(&self, id: i64) -> StoreResult<()> {
        self.store.check_read(self.user(), id).await
    }

    /// Fails unless the caller may read the dataset row `id` (`what`) belongs to.
    async fn read_of(&self, what: Owned, id: i64) -> StoreResult<()> {
        self.store.check_read_of(self.user(), what, id).await
    }

    /// Whether the caller's pages show write controls.
    fn can_write(&self) -> bool {
        self.caller.can(Action::SaveVariant)
    }

    // ---- Datasets, problems, variants, share links ----

    /// Every dataset the caller may read, with counts and depth histograms.
    pub async fn list_datasets(&self) -> StoreResult<Vec<DatasetSummary>> {
        self.store.list_datasets(self.user().is_none()).await
    }

    /// One page of a dataset's problems (`None`: no such dataset).
    pub async fn dataset(
        &self,
        id: i64,
        offset: Option<u64>,
        limit: Option<u64>,
    ) -> StoreResult<Option<DatasetPage>> {
        self.read(id).await?;
        let page = self.store.dataset(id, offset, limit).await?;
        Ok(page.map(|mut p| {
            p.can_write = self.can_write();
            p
        }))
    }

    /// A page of a dataset's variants, optionally only those with one verdict.
    pub async fn dataset_variants(
        &self,
        id: i64,
        verdict: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> StoreResult<VariantPage> {
        self.read(id).await?;
        let verdict = verdict.filter(|v| !v.is_empty());
        self.store
            .dataset_variants(id, verdict, offset, limit)
            .await
    }

    /// Imports a JSONL file's text as a new dataset called `name`.
    pub async fn import_dataset(&self, name: &str, contents: &str) -> StoreResult<ImportReport> {
        self.caller.may(Action::ImportDataset)?;
        self.store.import_jsonl(name, contents).await
    }

    /// Adds one problem (a question with a Python program when `python`, else a GSM8K answer)
    /// to a dataset; its id.
    pub async fn add_problem(
        &self,
        dataset_id: i64,
        question: &str,
        solution: &str,
        python: bool,
    ) -> StoreResult<i64> {
        self.caller.may(Action::AddProblem)?;
        let row = if python {
            serde_json::json!({ "question": question, "code": solution })
        } else {
            serde_json::json!({ "question": question, "answer": solution })
        };
        self.store.add_problem(dataset_id, &row.to_string()).await
    }

    /// The dataset as a stream of JSONL lines in `format`.
    pub async fn export(&self, dataset_id: i64, format: ExportFormat) -> StoreResult<ExportStream> {
        self.caller.may(Action::Export)?;
        self.store.export(dataset_id, format).await
    }

    /// A problem with its graph and its first page of variants (`None`: no such problem).
    pub async fn problem(&self, id: i64) -> StoreResult<Option<StoredProblem>> {
        self.problem_page(id, None, None).await
    }

    /// A problem with its graph and a window of its variants, as
    /// [`Store::problem_page`] takes it (`None`: no such problem).
    pub async fn problem_page(
        &self,
        id: i64,
        offset: Option<u64>,
        limit: Option<u64>,
    ) -> StoreResult<Option<StoredProblem>> {
        self.read_of(Owned::Problem, id).await?;
        let problem = self.store.problem_page(id, offset, limit).await?;
        Ok(problem.map(|mut p| {
            p.can_write = self.can_write();
            p
        }))
    }

    /// A window of a problem's variants, as [`Store::problem_variants`] takes it (`None`: no
    /// such problem).
    pub async fn problem_variants(
        &self,
        id: i64,
        offset: Option<u64>,
        limit: Option<u64>,
    ) -> StoreResult<Option<ProblemVariants>> {
        self.read_of(Owned::Problem, id).await?;
        self.store.problem_variants(id, offset, limit).await
    }

    /// What problem `id`'s page and JSON depend on for this caller ([`crate::ProblemStamp`],
    /// with whether they show write controls); `None`: no such problem. The permission is
    /// decided first, as for [`Ops::problem`]: the server serves a kept response only after
    /// this has let the caller read the problem.
    pub async fn problem_stamp(&self, id: i64) -> StoreResult<Option<crate::ProblemStamp>> {
        // One query for the stamp and what the read rule needs (the hot path of the response
        // cache); the rule is the one `read_of` applies.
        let Some(mut stamp) = self.store.problem_stamp(id).await? else {
            return Ok(None);
        };
        crate::users::may_read(self.user(), stamp.dataset_id, Some(stamp.public))?;
        stamp.can_write = self.can_write();
        Ok(Some(stamp))
    }

    /// Extracts a problem's graph with the server's model.
    pub async fn extract_problem(&self, id: i64) -> StoreResult<Extracted> {
        self.caller.may(Action::Extract)?;
        let client = self.store.llm().cloned().ok_or_else(|| {
            StoreError::Invalid(
                "extracting with a model needs one: start graft with GRAFT_LLM_BASE_URL and \
                 GRAFT_LLM_MODEL (see the README)"
                    .to_string(),
            )
        })?;
        let extracted = self
            .store
            .extract_problem(id, &client, &llm::Budget::unlimited(), None)
            .await?;
        match self.store.problem(id).await? {
            Some(problem) => Ok(Extracted { extracted, problem }),
            None => Err(StoreError::NotFound {
                what: "problem",
                id,
            }),
        }
    }

    /// A variant with its graph and its parent's (`None`: no such variant).
    pub async fn variant(&self, id: i64) -> StoreResult<Option<StoredVariant>> {
        self.read_of(Owned::Variant, id).await?;
        let variant = self.store.variant(id).await?;
        Ok(variant.map(|mut v| {
            v.can_write = self.can_write();
            v
        }))
    }

    /// The text, worked solution and lint of a variant.
    pub async fn variant_wording(&self, id: i64) -> StoreResult<Wording> {
        self.read_of(Owned::Variant, id).await?;
        Ok(self.store.variant_page_words(id).await?.wording)
    }

    /// Saves interventions on a problem (or one of its variants) as a new variant, re-derived
    /// from the stored graph.
    pub async fn save_variant(
        &self,
        problem_id: i64,
        new: NewVariant,
    ) -> StoreResult<SavedVariant> {
        self.caller.may(Action::SaveVariant)?;
        self.store
            .save_variant(problem_id, new.parent_variant_id, new.operations, new.seed)
            .await
    }

    /// The problem or variant a share link names (`None`: no such link). Anyone with the
    /// link may read it.
    pub async fn shared(&self, token: &str) -> StoreResult<Option<Shared>> {
        self.store.shared(token).await
    }

    /// A window of the variants of the problem a share link names (`None`: the link names no
    /// problem). Anyone with the link may read them.
    pub async fn shared_problem_variants(
        &self,
        token: &str,
        offset: Option<u64>,
        limit: Option<u64>,
    ) -> StoreResult<Option<ProblemVariants>> {
        self.store
            .shared_problem_variants(token, offset, limit)
            .await
    }

    /// Writes a variant's text: with the server's model unless `offline` (or none is
    /// configured), else with the offline verbalizer.
    pub async fn verbalize_variant(&self, id: i64, offline: bool) -> StoreResult<VariantWords> {
        self.caller.may(Action::Verbalize)?;
        let budget = llm::Budget::unlimited();
        let model = self.store.llm().filter(|_| !offline).map(|c| (c, &budget));
        self.store.verbalize_variant(id, model, None).await
    }

    /// Judges a variant: execution and consistency, and the model's judge unless `offline`
    /// (or none is configured).
    pub async fn judge_variant(&self, id: i64, offline: bool) -> StoreResult<VariantWords> {
        self.caller.may(Action::Judge)?;
        let budget = llm::Budget::unlimited();
        let model = self.store.llm().filter(|_| !offline).map(|c| (c, &budget));
        self.store.judge_variant(id, model, None).await
    }

    /// Stores a model's solution of a variant, scored and labelled.
    pub async fn add_solution(
        &self,
        variant_id: i64,
        new: &NewSolution,
    ) -> StoreResult<ModelSolution> {
        self.caller.may(Action::AddSolutions)?;
        self.store.add_solution(variant_id, new).await
    }

    /// A variant's stored model solutions (`NotFound`: no such variant).
    pub async fn solutions(&self, variant_id: i64) -> StoreResult<Vec<ModelSolution>> {
        // One lookup: the dataset to check the read against, or no such variant.
        match self.store.dataset_of(Owned::Variant, variant_id).await? {
            Some(d) => self.read(d).await?,
            None => {
                return Err(StoreError::NotFound {
                    what: "variant",
                    id: variant_id,
                })
            }
        }
        self.store.solutions(variant_id).await
    }

    /// A dataset's evaluation report: accuracy of each model's stored solutions by depth, round
    /// and intervention kind, with Wilson intervals and pass@k (`NotFound`: no such dataset;
    /// a private dataset needs an account, like every read of it).
    pub async fn eval_report(&self, dataset_id: i64) -> StoreResult<types::eval::EvalReport> {
        self.read(dataset_id).await?;
        self.store.eval_report(dataset_id).await
    }

    // ---- Jobs ----

    /// Starts a job; its status.
    pub async fn start_job(&self, spec: &JobSpec) -> StoreResult<JobStatus> {
        self.caller.may(Action::StartJob)?;
        let id = self.store.create_job(spec).await?;
        self.store.job(id).await?.ok_or_else(|| {
            StoreError::Internal(format!("job {id} vanished right after it was created"))
        })
    }

    /// Queues a paused (failed) job again; its status.
    pub async fn resume_job(&self, id: i64) -> StoreResult<JobStatus> {
        self.caller.may(Action::ResumeJob)?;
        self.store.resume_job(id).await
    }

    /// A job's progress (`None`: no such job).
    pub async fn job(&self, id: i64) -> StoreResult<Option<JobStatus>> {
        self.read_of(Owned::Job, id).await?;
        self.store.job(id).await
    }

    /// The failed items of a job, with why.
    pub async fn job_failures(&self, id: i64) -> StoreResult<Vec<(i64, String)>> {
        self.read_of(Owned::Job, id).await?;
        self.store.job_failures(id).await
    }

    /// A dataset's jobs, newest first.
    pub async fn dataset_jobs(&self, dataset_id: i64) -> StoreResult<Vec<JobStatus>> {
        self.read(dataset_id).await?;
        if self.store.dataset_summary(dataset_id).await?.is_none() {
            return Err(StoreError::NotFound {
                what: "dataset",
                id: dataset_id,
            });
        }
        self.store.list_jobs(Some(dataset_id)).await
    }

    /// Every job of the datasets the caller may read, newest first.
    pub async fn all_jobs(&self) -> StoreResult<Vec<JobStatus>> {
        let mut jobs = self.store.list_jobs(None).await?;
        if self.user().is_none() {
            let public: Vec<i64> = self
                .store
                .list_datasets(true)
                .await?
                .iter()
                .map(|d| d.id)
                .collect();
            jobs.retain(|j| public.contains(&j.dataset_id));
        }
        Ok(jobs)
    }

    // ---- Review and labels ----

    /// A dataset's review queue under a filter, after variant `after`.
    pub async fn review_queue(
        &self,
        dataset_id: i64,
        filter: &ReviewFilter,
        after: Option<i64>,
    ) -> StoreResult<ReviewQueue> {
        self.caller.may(Action::Review)?;
        self.store.review_queue(dataset_id, filter, after).await
    }

    /// A decision on one variant.
    pub async fn decide(
        &self,
        variant_id: i64,
        decision: &Decision,
    ) -> StoreResult<DecisionOutcome> {
        let user = self.caller.may(Action::Review)?;
        self.store.decide(variant_id, decision, &user).await
    }

    /// Counts (`apply` false) or applies a decision on everything the filter matches.
    pub async fn bulk_decide(
        &self,
        dataset_id: i64,
        filter: &ReviewFilter,
        decision: &Decision,
        apply: bool,
    ) -> StoreResult<BulkCount> {
        let user = self.caller.may(Action::BulkDecide)?;
        self.store
            .bulk_decide(dataset_id, filter, decision, apply, &user)
            .await
    }

    /// Changes a dataset's settings.
    pub async fn set_dataset_settings(
        &self,
        dataset_id: i64,
        settings: &DatasetSettings,
    ) -> StoreResult<()> {
        self.caller.may(Action::ChangeSettings)?;
        self.store.set_dataset_settings(dataset_id, settings).await
    }

    /// The caller's next label item in a dataset and their progress.
    pub async fn label_queue(&self, dataset_id: i64) -> StoreResult<LabelQueue> {
        let user = self.caller.may(Action::Label)?;
        self.store.label_queue(dataset_id, &user).await
    }

    /// One change to the caller's labels of an item; the item as it is now.
    pub async fn edit_labels(&self, item_id: i64, edit: &LabelEdit) -> StoreResult<LabelTask> {
        let user = self.caller.may(Action::Label)?;
        self.read_of(Owned::LabelItem, item_id).await?;
        self.store.label_edit(item_id, &user, edit).await
    }

    /// A dataset's annotation report: progress, agreement, gold accuracy.
    pub async fn annotation_report(&self, dataset_id: i64) -> StoreResult<AnnotationReport> {
        self.caller.may(Action::SeeAnnotationReport)?;
        self.store.annotation_report(dataset_id).await
    }

    /// The annotation report when the caller may see it, else `None` (the dataset page asks
    /// whoever looks).
    pub async fn annotation_report_if_allowed(
        &self,
        dataset_id: i64,
    ) -> StoreResult<Option<AnnotationReport>> {
        if !self.caller.can(Action::SeeAnnotationReport) {
            return Ok(None);
        }
        self.annotation_report(dataset_id).await.map(Some)
    }

    // ---- Accounts ----

    /// Every account.
    pub async fn list_users(&self) -> StoreResult<Vec<UserRow>> {
        self.caller.may(Action::ManageUsers)?;
        self.store.list_users().await
    }

    /// Makes an account; `role` is `admin`, `annotator` or `viewer`.
    pub async fn add_user(&self, name: &str, role: &str, password: &str) -> StoreResult<UserInfo> {
        self.caller.may(Action::ManageUsers)?;
        self.store
            .create_user(name, parse_role(role)?, password)
            .await
    }

    /// Changes an account's role.
    pub async fn set_role(&self, name: &str, role: &str) -> StoreResult<UserInfo> {
        self.caller.may(Action::ManageUsers)?;
        self.store.set_role(name, parse_role(role)?).await
    }

    /// Checks a name and password and, when they match, starts a new session for the account;
    /// a refusal does not say which part was wrong. Too many failures are refused with the
    /// wait ([`StoreError::TooManyAttempts`]).
    pub async fn log_in(
        &self,
        limiter: &LoginLimiter,
        session: &tower_sessions::Session,
        name: &str,
        password: &str,
    ) -> StoreResult<LoginOutcome> {
        let address = self.caller.address.as_deref();
        Ok(
            match crate::caller::log_in(self.store, limiter, session, name, password, address)
                .await?
            {
                Some(user) => LoginOutcome::LoggedIn(user),
                None => LoginOutcome::Refused(crate::LOGIN_REFUSED.to_string()),
            },
        )
    }
}

/// A role's name as an account's role, or a 400 that lists the roles.
fn parse_role(role: &str) -> StoreResult<Role> {
    Role::parse(role).ok_or_else(|| {
        StoreError::Invalid(format!(
            "unknown role {role:?}; use admin, annotator or viewer"
        ))
    })
}
