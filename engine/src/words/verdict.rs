//! A variant's verdict: the three offline checks (exact re-execution, text ↔ graph
//! consistency, the well-posedness [`lint`](crate::lint)) and, when a model was asked, the LLM
//! judge's answer and ratings, each kept apart.
//!
//! The offline part is computed here, purely; the LLM part is filled in by the caller (the
//! `llm` crate) and stored alongside, so that a reviewer always sees which check said what.
//!
//! Offline checks cannot tell whether the wording makes sense, so an offline verdict never
//! says [`Outcome::Pass`]: at best it is [`Outcome::Linted`]. `pass` needs an independent
//! solve (a model's) whose answer agreed with the graph's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::consistency::{self, Consistency};
use crate::graph::Graph;
use crate::lint::{self, LintFinding, LintKind};
use crate::number::Number;

/// Whether the engine, evaluating the variant's graph afresh, reaches the stored answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionCheck {
    /// The check passed.
    pub ok: bool,
    /// The stored answer.
    pub stored: String,
    /// The answer re-evaluation gives (`None` when evaluation failed).
    pub computed: Option<String>,
    /// What went wrong, when something did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The numbers of the text against the inputs of the graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyCheck {
    /// No input missing, no stale value, no unexplained number.
    pub ok: bool,
    /// The findings.
    pub report: Consistency,
    /// The findings in words (empty when `ok`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub complaints: Vec<String>,
}

/// The well-posedness lint of the text ([`lint::lint`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LintCheck {
    /// No finding.
    pub ok: bool,
    /// What the lint found, each with its reason and span.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<LintFinding>,
}

impl LintCheck {
    /// The check for these findings (`ok` when there are none).
    pub fn from_findings(findings: Vec<LintFinding>) -> LintCheck {
        LintCheck {
            ok: findings.is_empty(),
            findings,
        }
    }
}

/// What the LLM judge said about a variant's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LlmJudgement {
    /// The model that judged.
    pub model: String,
    /// The model's own answer to the text, as it wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// Whether that answer equals the graph's (within 1e-6 relative). `None` when the model
    /// gave no usable number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_matches: Option<bool>,
    /// Faithfulness of the text to the graph, 1–5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faithfulness: Option<u8>,
    /// Fluency of the text, 1–5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fluency: Option<u8>,
    /// The model's short rationale.
    #[serde(default)]
    pub rationale: String,
    /// Why there is no judgement (endpoint down, budget spent, unparsable reply), if so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A variant's verdict: each check separately.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// Check 1: exact re-execution.
    pub execution: ExecutionCheck,
    /// Check 2: text ↔ graph consistency.
    pub consistency: ConsistencyCheck,
    /// Check 3: the well-posedness lint; `None` in verdicts stored before the lint existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lint: Option<LintCheck>,
    /// Check 4: the LLM judge; `None` for an offline verdict (no model configured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<LlmJudgement>,
}

/// A verdict's one-word summary, for filters and badges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every check passed, and an independent solver (a model) reached the graph's answer.
    Pass,
    /// Execution, consistency or the lint failed, or the judge's answer differs.
    Fail,
    /// The offline checks passed but the LLM judge could not give a judgement.
    Incomplete,
    /// Offline only: exact execution, numbers consistent and the well-posedness lint passed;
    /// no independent solve, so nobody checked that the text can be solved as meant.
    Linted,
}

impl Outcome {
    /// Every outcome, in a stable order.
    pub const ALL: [Outcome; 4] = [
        Outcome::Pass,
        Outcome::Linted,
        Outcome::Incomplete,
        Outcome::Fail,
    ];

    /// The snake_case name (`pass`, `fail`, `incomplete`, `linted`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Incomplete => "incomplete",
            Outcome::Linted => "linted",
        }
    }

    /// The outcome named `s` (as [`Outcome::as_str`] writes it).
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// The names of the checks, as [`Verdict::checks_ran`] lists them.
pub const CHECK_NAMES: [&str; 4] = [
    "exact execution",
    "numbers consistent",
    "well-posedness lint",
    "independent solve",
];

impl Verdict {
    /// Whether only the offline checks ran.
    pub fn is_offline(&self) -> bool {
        self.llm.is_none()
    }

    /// The checks that ran, in order (names from [`CHECK_NAMES`]): exact execution and
    /// numbers consistent always; the lint when the verdict has one; the independent solve when
    /// a model gave a usable answer.
    pub fn checks_ran(&self) -> Vec<&'static str> {
        let mut out = vec![CHECK_NAMES[0], CHECK_NAMES[1]];
        if self.lint.is_some() {
            out.push(CHECK_NAMES[2]);
        }
        if self.solver_checked() {
            out.push(CHECK_NAMES[3]);
        }
        out
    }

    /// Whether an independent solver (the LLM judge) gave an answer that could be compared.
    pub fn solver_checked(&self) -> bool {
        self.llm
            .as_ref()
            .is_some_and(|j| j.answer_matches.is_some())
    }

    /// Whether the lint ran and found something.
    pub fn lint_failed(&self) -> bool {
        self.lint.as_ref().is_some_and(|l| !l.ok)
    }

    /// The verdict in one word. An offline verdict is at best [`Outcome::Linted`], never
    /// [`Outcome::Pass`].
    pub fn outcome(&self) -> Outcome {
        if !self.execution.ok || !self.consistency.ok || self.lint_failed() {
            return Outcome::Fail;
        }
        match &self.llm {
            None => Outcome::Linted,
            // A wrong answer fails the variant even when the ratings could not be read.
            Some(j) if j.answer_matches == Some(false) => Outcome::Fail,
            Some(j) if j.error.is_some() => Outcome::Incomplete,
            Some(j) if j.answer_matches.is_none() => Outcome::Incomplete,
            Some(_) => Outcome::Pass,
        }
    }
}

/// Check 1: evaluates a copy of `variant` from its inputs and compares the answer with
/// `stored_answer` (the answer as stored, in [`Number`]'s text form) exactly.
pub fn execution(variant: &Graph, stored_answer: &str) -> ExecutionCheck {
    let mut g = variant.clone();
    let stored = stored_answer.trim().to_string();
    match g.evaluate_all() {
        Err(e) => ExecutionCheck {
            ok: false,
            stored,
            computed: None,
            error: Some(format!("the graph does not evaluate: {e}")),
        },
        Ok(()) => {
            let computed = g.answer_value();
            let ok = stored.parse::<Number>().ok() == Some(computed);
            ExecutionCheck {
                ok,
                error: (!ok).then(|| {
                    format!("re-evaluation gives {computed}, but {stored} is stored as the answer")
                }),
                stored,
                computed: Some(computed.to_string()),
            }
        }
    }
}

/// Check 2: [`consistency::check`] of `text` against the variant, with its complaints.
pub fn consistency(original: &Graph, variant: &Graph, text: &str) -> ConsistencyCheck {
    let report = consistency::check(original, variant, text);
    ConsistencyCheck {
        ok: report.is_consistent(),
        complaints: report.complaints(),
        report,
    }
}

/// Check 3: the well-posedness [`lint::lint`] of `text`, with the worked `solution` when there
/// is one.
pub fn lint(original: &Graph, variant: &Graph, text: &str, solution: Option<&str>) -> LintCheck {
    LintCheck::from_findings(lint::lint(original, variant, text, solution))
}

/// The offline verdict: checks 1–3 (the lint with the variant's worked solution when one can
/// be written), no LLM judgement.
pub fn offline(original: &Graph, variant: &Graph, text: &str, stored_answer: &str) -> Verdict {
    let solution = crate::solution::worked(original, variant).ok();
    Verdict {
        execution: execution(variant, stored_answer),
        consistency: consistency(original, variant, text),
        lint: Some(lint(original, variant, text, solution.as_deref())),
        llm: None,
    }
}

/// Verdicts counted the way the CLI summary, the dataset page and the review queue report
/// them: how many texts a solver checked (and how many of those agreed), how many were linted
/// only, how many failed, and the lint's reasons.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Verdicts counted.
    pub total: u64,
    /// An independent solver (a model) gave a comparable answer.
    pub solver_checked: u64,
    /// Of those, the solver's answer equalled the graph's and every other check passed
    /// ([`Outcome::Pass`]).
    pub solver_agreed: u64,
    /// Offline checks (execution, numbers, lint) passed, no solver ([`Outcome::Linted`]).
    pub linted_only: u64,
    /// Some check failed ([`Outcome::Fail`]).
    pub failed: u64,
    /// The offline checks passed but the model gave no usable judgement.
    pub incomplete: u64,
    /// Lint findings by kind (a verdict with two findings of a kind counts once for it).
    pub lint_reasons: BTreeMap<LintKind, u64>,
}

impl Tally {
    /// Counts one verdict.
    pub fn add(&mut self, v: &Verdict) {
        self.total += 1;
        let outcome = v.outcome();
        if v.solver_checked() {
            self.solver_checked += 1;
            if outcome == Outcome::Pass {
                self.solver_agreed += 1;
            }
        }
        match outcome {
            Outcome::Linted => self.linted_only += 1,
            Outcome::Fail => self.failed += 1,
            Outcome::Incomplete => self.incomplete += 1,
            Outcome::Pass => {}
        }
        if let Some(l) = &v.lint {
            let mut kinds: Vec<LintKind> = l.findings.iter().map(|f| f.kind).collect();
            kinds.sort_by_key(|k| k.as_str());
            kinds.dedup();
            for k in kinds {
                *self.lint_reasons.entry(k).or_default() += 1;
            }
        }
    }

    /// Adds the counts of `other` to these.
    pub fn merge(&mut self, other: &Tally) {
        self.total += other.total;
        self.solver_checked += other.solver_checked;
        self.solver_agreed += other.solver_agreed;
        self.linted_only += other.linted_only;
        self.failed += other.failed;
        self.incomplete += other.incomplete;
        for (k, n) in &other.lint_reasons {
            *self.lint_reasons.entry(*k).or_default() += n;
        }
    }

    /// The counts in one line: "3 checked by a solver (2 agreed), 5 linted only (no solver),
    /// 1 failed", with "1 incomplete" when some are.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} checked by a solver ({} agreed), {} linted only (no solver), {} failed",
            self.solver_checked, self.solver_agreed, self.linted_only, self.failed
        );
        if self.incomplete > 0 {
            s.push_str(&format!(
                ", {} incomplete (no usable solve)",
                self.incomplete
            ));
        }
        s
    }

    /// The lint reasons, most frequent first.
    pub fn top_lint_reasons(&self) -> Vec<(LintKind, u64)> {
        let mut r: Vec<(LintKind, u64)> = self.lint_reasons.iter().map(|(k, n)| (*k, *n)).collect();
        r.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.as_str().cmp(b.0.as_str())));
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(llm: Option<LlmJudgement>) -> Verdict {
        Verdict {
            execution: ExecutionCheck {
                ok: true,
                stored: "1".into(),
                computed: Some("1".into()),
                error: None,
            },
            consistency: ConsistencyCheck {
                ok: true,
                report: Consistency::default(),
                complaints: Vec::new(),
            },
            lint: Some(LintCheck::from_findings(Vec::new())),
            llm,
        }
    }

    fn judgement(matches: Option<bool>, error: Option<&str>) -> LlmJudgement {
        LlmJudgement {
            model: "m".into(),
            answer: Some("1".into()),
            answer_matches: matches,
            faithfulness: Some(4),
            fluency: Some(5),
            rationale: String::new(),
            error: error.map(str::to_string),
        }
    }

    #[test]
    fn outcomes() {
        // Offline never says pass.
        assert_eq!(verdict(None).outcome(), Outcome::Linted);
        assert!(verdict(None).is_offline());
        assert_eq!(
            verdict(None).checks_ran(),
            vec![
                "exact execution",
                "numbers consistent",
                "well-posedness lint"
            ]
        );
        let mut old = verdict(None);
        old.lint = None;
        assert_eq!(old.outcome(), Outcome::Linted);
        assert_eq!(
            old.checks_ran(),
            vec!["exact execution", "numbers consistent"]
        );
        let mut linted_bad = verdict(None);
        linted_bad.lint = Some(LintCheck::from_findings(vec![LintFinding {
            kind: LintKind::ChangeBeforeQuantity,
            message: "m".into(),
            span: None,
        }]));
        assert_eq!(linted_bad.outcome(), Outcome::Fail);
        linted_bad.llm = Some(judgement(Some(true), None));
        assert_eq!(
            linted_bad.outcome(),
            Outcome::Fail,
            "a solve does not excuse the lint"
        );
        assert_eq!(
            verdict(Some(judgement(Some(true), None))).checks_ran(),
            CHECK_NAMES.to_vec()
        );
        assert_eq!(
            verdict(Some(judgement(None, Some("down"))))
                .checks_ran()
                .len(),
            3
        );
        assert_eq!(
            verdict(Some(judgement(Some(true), None))).outcome(),
            Outcome::Pass
        );
        assert_eq!(
            verdict(Some(judgement(Some(false), Some("rate: bad")))).outcome(),
            Outcome::Fail
        );
        assert_eq!(
            verdict(Some(judgement(Some(true), Some("rate: bad")))).outcome(),
            Outcome::Incomplete
        );
        assert_eq!(
            verdict(Some(judgement(None, None))).outcome(),
            Outcome::Incomplete
        );
        let mut v = verdict(None);
        v.consistency.ok = false;
        assert_eq!(v.outcome(), Outcome::Fail);
    }

    #[test]
    fn old_verdict_json_reads() {
        let mut v = verdict(None);
        v.lint = None;
        let json = serde_json::to_string(&v).unwrap();
        assert!(!json.contains("lint"));
        let back: Verdict = serde_json::from_str(&json).unwrap();
        assert_eq!(back, v);
        assert_eq!(back.outcome(), Outcome::Linted);
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
    }

    #[test]
    fn tally_counts() {
        let mut t = Tally::default();
        t.add(&verdict(None));
        t.add(&verdict(Some(judgement(Some(true), None))));
        t.add(&verdict(Some(judgement(Some(false), None))));
        t.add(&verdict(Some(judgement(None, Some("down")))));
        let mut bad = verdict(None);
        bad.lint = Some(LintCheck::from_findings(vec![
            LintFinding {
                kind: LintKind::UnknownName,
                message: "a".into(),
                span: None,
            },
            LintFinding {
                kind: LintKind::UnknownName,
                message: "b".into(),
                span: None,
            },
        ]));
        t.add(&bad);
        assert_eq!(
            (
                t.total,
                t.solver_checked,
                t.solver_agreed,
                t.linted_only,
                t.failed,
                t.incomplete
            ),
            (5, 2, 1, 1, 2, 1)
        );
        assert_eq!(t.top_lint_reasons(), vec![(LintKind::UnknownName, 1)]);
        let mut twice = t.clone();
        twice.merge(&t);
        assert_eq!(
            (twice.total, twice.lint_reasons[&LintKind::UnknownName]),
            (10, 2)
        );
        assert_eq!(
            t.summary(),
            "2 checked by a solver (1 agreed), 1 linted only (no solver), 2 failed, \
             1 incomplete (no usable solve)"
        );
    }

    #[test]
    fn offline_runs_the_lint() {
        let g = crate::gsm8k::extract(
            "Tim has 40 cards. He gives 10 cards away. How many cards does he have left?",
            "He has 40 - 10 = <<40-10=30>>30 cards left.\n#### 30",
        )
        .unwrap()
        .graph;
        let good = offline(&g, &g, g.question().unwrap(), "30");
        assert_eq!(good.outcome(), Outcome::Linted, "{good:#?}");
        let bad = offline(
            &g,
            &g,
            "After that, the number of cards goes down by 16. Tim has 40 cards. He gives 10 \
             cards away. How many cards does he have left?",
            "30",
        );
        assert!(bad.lint_failed());
        assert_eq!(bad.outcome(), Outcome::Fail);
    }

    #[test]
    fn execution_compares_exactly() {
        let g = crate::parse_program(
            "def solution():\n    a = 3\n    b = a * 2\n    return b\n",
            None,
        )
        .unwrap();
        assert!(execution(&g, "6").ok);
        let bad = execution(&g, "6.5");
        assert!(!bad.ok);
        assert!(bad.error.unwrap().contains("re-evaluation gives 6"));
        assert!(!execution(&g, "not a number").ok);
    }
}
