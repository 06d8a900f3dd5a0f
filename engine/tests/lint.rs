//! The well-posedness lint (issue #11): every defect the blind solver named is flagged, with its
//! span; good texts (GSM8K train originals, the offline verbalizer's change sentences) pass.

use engine::graph::NodeKind;
use engine::gsm8k::extract;
use engine::intervene::{intervene, Intervention};
use engine::lint::{lint, LintFinding, LintKind};
use engine::{Graph, Number, ProxyFn, ProxyOp};

const TRAIN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/gsm8k/train.jsonl"
);

fn graph(question: &str, answer: &str) -> Graph {
    extract(question, answer)
        .expect("the made-up row extracts")
        .graph
}

fn kinds(f: &[LintFinding]) -> Vec<LintKind> {
    f.iter().map(|f| f.kind).collect()
}

/// Lints `text` against `g` unchanged and asserts a finding of `kind` whose span covers
/// `culprit`.
fn flags(g: &Graph, text: &str, kind: LintKind, culprit: &str) {
    let found = lint(g, g, text, None);
    let at = text.find(culprit).expect("culprit in text") as u32;
    assert!(
        found.iter().any(|f| f.kind == kind
            && f.span
                .is_some_and(|s| s.start <= at && at < s.end.max(s.start + 1))),
        "expected {kind:?} at {culprit:?} in {text:?}, got {found:#?}"
    );
    for f in &found {
        assert!(!f.message.is_empty());
    }
}

fn cards() -> Graph {
    graph(
        "Tim has 40 cards. He gives 10 cards to his sister. How many cards does he have left?",
        "He has 40 - 10 = <<40-10=30>>30 cards left.\n#### 30",
    )
}

fn holes() -> Graph {
    graph(
        "It takes Matthew 3 minutes to dig a small hole and 10 minutes to dig a large hole. How \
         many hours will it take him to dig 30 small holes and 15 large holes?",
        "Small holes take 3 * 30 = <<3*30=90>>90 minutes.\nLarge holes take 10 * 15 = \
         <<10*15=150>>150 minutes.\nIn all 90 + 150 = <<90+150=240>>240 minutes.\nThat is 240 \
         / 60 = <<240/60=4>>4 hours.\n#### 4",
    )
}

#[test]
fn change_before_quantity_first_sentence() {
    let g = cards();
    let text = "After that, the number of cards goes down by 16. Tim has 40 cards. He gives 10 \
                cards to his sister. How many cards does he have left?";
    flags(
        &g,
        text,
        LintKind::ChangeBeforeQuantity,
        "the number of cards",
    );
}

#[test]
fn change_before_quantity_never_introduced() {
    let g = holes();
    let text = "It takes Matthew 3 minutes to dig a small hole and 10 minutes to dig a large \
                hole. After that, the number of hours becomes 4 times as large. After that, the \
                number of hours goes down by 4. How many hours will it take him to dig 30 small \
                holes and 15 large holes?";
    flags(
        &g,
        text,
        LintKind::ChangeBeforeQuantity,
        "the number of hours becomes",
    );
}

#[test]
fn garbled_names() {
    let g = graph(
        "Santa has 12 elves. Each elf makes 5 toys. How many toys do the elves make?",
        "The elves make 12 * 5 = <<12*5=60>>60 toys.\n#### 60",
    );
    let base = "Santa has 12 elves. Each elf makes 5 toys. ";
    for (bad, culprit) in [
        (
            "Then the number of subtract elves becomes 4 times as large.",
            "subtract",
        ),
        (
            "Then the number of total number oranges goes up by 3.",
            "total number",
        ),
        ("Then the find goes down by 7.", "find"),
        (
            "Then the year younger becomes 5 times as large.",
            "year younger",
        ),
        ("Then the kg goes up by 6.", "kg"),
        ("Then the hence kg goes down by 34.", "hence"),
        ("Then the number of elves_left goes up by 2.", "elves_left"),
        ("Then the number of elvesLeft goes up by 2.", "elvesLeft"),
        ("Then the number of gnomes goes up by 2.", "gnomes"),
    ] {
        let text = format!("{base}{bad} How many toys do the elves make now?");
        flags(&g, &text, LintKind::UnknownName, culprit);
    }
}

#[test]
fn question_contradicts_grafted_answer() {
    let g = graph(
        "Three friends guess the number of jelly beans in a jar. The first guesses 80, the \
         second 100 and the third 120. What is their average guess?",
        "Together they guess 80 + 100 + 120 = <<80+100+120=300>>300.\nThe average is 300 / 3 \
         = <<300/3=100>>100.\n#### 100",
    );
    let (v, _) = intervene(
        &g,
        &Intervention::Graft {
            node: g.answer(),
            f: ProxyFn {
                op: ProxyOp::Add,
                k: Number::from(35),
            },
        },
    )
    .unwrap();
    assert!(matches!(v.node(v.answer()).kind, NodeKind::Proxy { .. }));
    let body = "Three friends guess the number of jelly beans in a jar. The first guesses 80, \
                the second 100 and the third 120. Then the average guess goes up by 35.";
    let bad = format!("{body} What is their average guess?");
    let found = lint(&g, &v, &bad, None);
    let at = bad.find("What is").unwrap() as u32;
    assert!(
        found
            .iter()
            .any(|f| f.kind == LintKind::QuestionContradicts && f.span.unwrap().start == at),
        "{found:#?}"
    );
    // The issue's wording: "the average amount goes up by 35".
    let issue = "Three friends guess the number of jelly beans in a jar. The first guesses 80, \
                 the second 100 and the third 120. Then the average amount goes up by 35. What \
                 is their average guess?";
    assert!(kinds(&lint(&g, &v, issue, None)).contains(&LintKind::QuestionContradicts));
    // Asking for the new value passes.
    let good = format!("{body} What is their average guess now?");
    assert_eq!(lint(&g, &v, &good, None), vec![], "{good}");
}

#[test]
fn restated_count_contradicts() {
    let g = graph(
        "Mary bakes 5 pies. She cuts each pie into 8 pieces. How many pieces are there?",
        "There are 5 * 8 = <<5*8=40>>40 pieces.\n#### 40",
    );
    let text = "Mary bakes 5 pies. Then 2 more pies are added. She sets the five pies out and \
                cuts each pie into 8 pieces. How many pieces are there now?";
    flags(&g, text, LintKind::QuestionContradicts, "five pies");
    let good = "Mary bakes 5 pies. Then 2 more pies are added. She sets the pies out and cuts \
                each pie into 8 pieces. How many pieces are there now?";
    assert_eq!(lint(&g, &g, good, None), vec![]);
}

#[test]
fn unnatural_values() {
    let g = graph(
        "A class has 30 students. They split into groups of 5. Each group gets $2.50 for \
         supplies. How much money do the groups get?",
        "There are 30 / 5 = <<30/5=6>>6 groups.\nThey get 6 * 2.5 = $<<6*2.5=15>>15.\n#### 15",
    );
    let students = g.find("students").or_else(|| {
        g.ids().find(|&id| {
            g.value(id) == Number::from(30) && matches!(g.node(id).kind, NodeKind::Input { .. })
        })
    });
    let students = students.expect("an input 30");
    // 32 students in groups of 5: 6.4 groups.
    let (v, _) = intervene(
        &g,
        &Intervention::SetInput {
            node: students,
            value: Number::from(32),
        },
    )
    .unwrap();
    let text = "A class has 32 students. They split into groups of 5. Each group gets $2.50 for \
                supplies. How much money do the groups get?";
    assert!(kinds(&lint(&g, &v, text, None)).contains(&LintKind::UnnaturalValue));
    // Negative: a graft that takes 40 away from the students.
    let (neg, _) = intervene(
        &g,
        &Intervention::Graft {
            node: students,
            f: ProxyFn {
                op: ProxyOp::Sub,
                k: Number::from(35),
            },
        },
    )
    .unwrap();
    let text = "A class has 30 students. Then 35 fewer students come. They split into groups \
                of 5. Each group gets $2.50 for supplies. How much money do the groups get?";
    let found = lint(&g, &neg, text, None);
    assert!(
        found
            .iter()
            .any(|f| f.kind == LintKind::UnnaturalValue && f.message.contains("negative")),
        "{found:#?}"
    );
    // Long decimals written in the text.
    let text = "A class has 30 students. They split into groups of 5. Each group gets $2.53333 \
                for supplies. How much money do the groups get?";
    flags(&g, text, LintKind::UnnaturalValue, "2.53333");
}

#[test]
fn verbalizer_change_sentences_pass() {
    let g = graph(
        "Janet's ducks lay 16 eggs per day. She eats 3 for breakfast and bakes muffins with 4. \
         She sells the remainder for $2 per egg. How much does she make every day?",
        "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = \
         $<<9*2=18>>18 every day at the farmer's market.\n#### 18",
    );
    for text in [
        "Janet's ducks lay 16 eggs per day. She eats 3 for breakfast and bakes muffins with 4. \
         Then the number of eggs she has left goes up by 3, and after that it is doubled. She \
         sells the remainder for $2 per egg. How much does she make every day now?",
        "Janet's ducks lay 16 eggs per day. Then 5 more eggs are added. She eats 3 for \
         breakfast and bakes muffins with 4. She sells the remainder for $2 per egg. How much \
         does she make every day now?",
        "Janet's ducks lay 16 eggs per day. She eats 3 for breakfast and bakes muffins with 4. \
         After that, the number of eggs goes down by 2. She sells the remainder for $2 per \
         egg. How much does she make in the end?",
        "Janet's ducks lay 16 eggs per day. She eats 3 for breakfast and bakes muffins with 4. \
         Then the number of eggs left falls to a third of that. She sells the remainder for $2 \
         per egg. Then the price of each egg goes up by $1. How much does she make every day \
         now?",
        "Janet's ducks lay 16 eggs per day. She eats 3 for breakfast and bakes muffins with 4. \
         She sells the remainder for $2 per egg. Later, the amount of money she makes every \
         day doubles. How much does she make every day now?",
    ] {
        assert_eq!(lint(&g, &g, text, None), vec![], "{text}");
    }
}

#[derive(serde::Deserialize)]
struct Row {
    question: String,
    answer: String,
}

/// Originals linted against themselves: findings on at most 1% of ~500 seeded rows.
#[test]
fn train_originals_pass() {
    let text = match std::fs::read_to_string(TRAIN) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("notice: {TRAIN} not readable ({e}); skipping the lint train test");
            return;
        }
    };
    let rows: Vec<Row> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // A seeded, evenly spread sample: every k-th row from a fixed offset.
    let want: usize = std::env::var("LINT_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(520);
    let step = (rows.len() / want).max(1);
    let (mut linted, mut flagged) = (0usize, Vec::new());
    for row in rows.iter().skip(7).step_by(step).take(want) {
        let Ok(x) = extract(&row.question, &row.answer) else {
            continue;
        };
        linted += 1;
        let found = lint(&x.graph, &x.graph, &row.question, Some(&row.answer));
        if !found.is_empty() {
            flagged.push((row.question.clone(), found));
        }
    }
    for (q, f) in &flagged {
        eprintln!(
            "flagged: {q}\n  {:?}",
            f.iter().map(|f| &f.message).collect::<Vec<_>>()
        );
    }
    eprintln!("{} of {linted} originals flagged", flagged.len());
    assert!(linted >= 450, "only {linted} rows extracted");
    assert!(
        flagged.len() * 100 <= linted,
        "{} of {linted} originals flagged (over 1%)",
        flagged.len()
    );
}

#[test]
fn pasted_sentence_start_in_a_name() {
    let g = graph(
        "Emma sells lemonade for $2 a cup. On sunny days she sells 40 cups. How much does she \
         make on a sunny day?",
        "She makes 40 * 2 = $<<40*2=80>>80.\n#### 80",
    );
    let text = "Emma sells lemonade for $2 a cup. On sunny days she sells 40 cups. After that, \
                the number of cups On sunny days she sells decreases by 24. How much does she \
                make on a sunny day now?";
    flags(
        &g,
        text,
        LintKind::UnknownName,
        "On sunny days she sells decreases",
    );
}

#[test]
fn more_change_verbs() {
    let g = cards();
    for text in [
        "Later, the number of cards doubles. Tim has 40 cards. He gives 10 cards to his \
         sister. How many cards does he have left?",
        "The number of cards falls to a third of that. Tim has 40 cards. He gives 10 cards to \
         his sister. How many cards does he have left?",
    ] {
        flags(&g, text, LintKind::ChangeBeforeQuantity, "cards");
    }
    // A transitive "doubles" is not a change sentence of the verbalizer's.
    let ok = "Tim doubles his 40 cards. He gives 10 cards to his sister. How many cards does \
              he have left?";
    assert!(!kinds(&lint(&g, &g, ok, None)).contains(&LintKind::ChangeBeforeQuantity));
}
