//! The bounds on input that keep every engine call small: sizes, nesting, operator chains,
//! node counts and intervention lists.
//!
//! Every reader checks these before it recurses or allocates in proportion to its input, so no
//! input can overflow the stack or run unbounded. A refusal is a [`LimitError`]: which limit,
//! where (line and column, 1-based, when the input has lines), what was found and how to fix it.

use serde::{Deserialize, Serialize};

/// Largest Python program source accepted, in bytes.
pub const MAX_PROGRAM_BYTES: usize = 256 * 1024;
/// Largest question or GSM8K answer text accepted, in bytes.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
/// Longest line of a GSM8K solution accepted, in bytes.
pub const MAX_LINE_BYTES: usize = 4 * 1024;
/// Deepest nesting of brackets (`(`, `[`, `{`) in one statement or calculator expression, and
/// of indented blocks in a program.
pub const MAX_NESTING: usize = 64;
/// Most operators (and calls, subscripts, attribute dots, conditional expressions) in one
/// statement of a program or one calculator annotation.
pub const MAX_OPERATORS: usize = 256;
/// Deepest arithmetic expression inside one node (so that a stored graph always reads back:
/// JSON readers stop at 128 levels, and each expression level takes two).
pub const MAX_EXPR_DEPTH: usize = 48;
/// Most nodes in one graph (inputs, constants, steps, proxies and branches together).
pub const MAX_NODES: usize = 10_000;
/// Most interventions in one list (a saved variant, a lineage, a request).
pub const MAX_INTERVENTIONS: usize = 256;

/// Which bound an input crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// [`MAX_PROGRAM_BYTES`].
    ProgramBytes,
    /// [`MAX_TEXT_BYTES`].
    TextBytes,
    /// [`MAX_LINE_BYTES`].
    LineBytes,
    /// [`MAX_NESTING`].
    Nesting,
    /// [`MAX_OPERATORS`].
    Operators,
    /// [`MAX_EXPR_DEPTH`].
    ExprDepth,
    /// [`MAX_NODES`].
    Nodes,
    /// [`MAX_INTERVENTIONS`].
    Interventions,
}

impl Limit {
    /// The bound's value.
    pub const fn max(self) -> usize {
        match self {
            Limit::ProgramBytes => MAX_PROGRAM_BYTES,
            Limit::TextBytes => MAX_TEXT_BYTES,
            Limit::LineBytes => MAX_LINE_BYTES,
            Limit::Nesting => MAX_NESTING,
            Limit::Operators => MAX_OPERATORS,
            Limit::ExprDepth => MAX_EXPR_DEPTH,
            Limit::Nodes => MAX_NODES,
            Limit::Interventions => MAX_INTERVENTIONS,
        }
    }

    /// What is counted, for messages ("bytes of program", …).
    pub const fn what(self) -> &'static str {
        match self {
            Limit::ProgramBytes => "bytes of program",
            Limit::TextBytes => "bytes of text",
            Limit::LineBytes => "bytes in one line",
            Limit::Nesting => "levels of nesting",
            Limit::Operators => "operators in one statement",
            Limit::ExprDepth => "levels of operations in one step",
            Limit::Nodes => "nodes in one graph",
            Limit::Interventions => "interventions in one list",
        }
    }

    /// How to get under the bound.
    pub const fn fix(self) -> &'static str {
        match self {
            Limit::ProgramBytes => "split the program into smaller problems",
            Limit::TextBytes => "shorten the text",
            Limit::LineBytes => "break the line into several lines",
            Limit::Nesting => "flatten the expression into named steps",
            Limit::Operators => "split the expression into several assignments",
            Limit::ExprDepth => "split the expression into several assignments",
            Limit::Nodes => "use a smaller problem",
            Limit::Interventions => "apply fewer interventions at once",
        }
    }
}

/// An input over one of the [`Limit`]s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error(
    "{}{}{} {}, over the limit of {} ({})",
    at(*line, *column),
    if *at_least { "at least " } else { "" },
    found,
    limit.what(),
    limit.max(),
    limit.fix()
)]
pub struct LimitError {
    /// The bound crossed.
    pub limit: Limit,
    /// How much was found; with `at_least`, counting stopped there.
    pub found: usize,
    /// Counting stopped at the first item past the bound, so the input holds at least `found`.
    pub at_least: bool,
    /// 1-based line where the bound was crossed (0 when the input has no lines).
    pub line: u32,
    /// 1-based column (in characters) where the bound was crossed (0 when unknown).
    pub column: u32,
}

fn at(line: u32, column: u32) -> String {
    match (line, column) {
        (0, _) => String::new(),
        (l, 0) => format!("line {l}: "),
        (l, c) => format!("line {l}, column {c}: "),
    }
}

impl LimitError {
    /// A refusal for `found` items (exact) against `limit`, with no position.
    pub fn new(limit: Limit, found: usize) -> Self {
        LimitError {
            limit,
            found,
            at_least: false,
            line: 0,
            column: 0,
        }
    }

    /// The same refusal at a position.
    pub fn at(mut self, line: u32, column: u32) -> Self {
        self.line = line;
        self.column = column;
        self
    }

    /// The same refusal, marking `found` as a lower bound (counting stopped at the limit).
    pub fn at_least(mut self) -> Self {
        self.at_least = true;
        self
    }
}

/// Checks a byte length against a size limit.
pub fn check_len(limit: Limit, len: usize) -> Result<(), LimitError> {
    if len > limit.max() {
        Err(LimitError::new(limit, len))
    } else {
        Ok(())
    }
}

/// Checks a Python source against [`MAX_PROGRAM_BYTES`], and every statement in it against
/// [`MAX_NESTING`] (brackets, f-string fields and indented blocks) and [`MAX_OPERATORS`], before
/// any parser sees it.
///
/// A linear scan that understands comments, strings (prefixed, triple-quoted, escaped) and
/// f-string fields well enough to count what a parser would nest; it never recurses.
pub fn check_python(src: &str) -> Result<(), LimitError> {
    check_len(Limit::ProgramBytes, src.len())?;
    if surely_within(src) {
        return Ok(());
    }
    scan_python(src)
}

/// The scan behind [`check_python`], for a program the quick counts did not clear.
fn scan_python(src: &str) -> Result<(), LimitError> {
    let mut scan = PyScan {
        src,
        at: 0,
        line: 1,
        column: 0,
        ops: 0,
        stack: Vec::new(),
        indents: vec![0],
        line_start: true,
        width: 0,
    };
    scan.run()
}

/// Whether simple counts already show that `src` is within [`MAX_OPERATORS`] and
/// [`MAX_NESTING`], so that the scan of [`check_python`] cannot fail (most programs are far
/// below both). One branch-free pass over the bytes; `false` means "scan to be sure".
///
/// The scan counts an operator for an operator character, an opening bracket or a keyword
/// (an ASCII word), so the whole program's operator characters, opening brackets, non-ASCII
/// bytes and ASCII words bound any one statement's count. Its stack grows by an opening bracket, a string (opened
/// by a quote) or an f-string field (opened by `{`), so those characters bound the nesting;
/// each open block is indented deeper than the one around it, so the blocks are fewer than
/// the lines.
fn surely_within(src: &str) -> bool {
    /// Per byte, four counters of 16 bits added at once: bit 0 an operator character or
    /// opening bracket, bit 16 an opening bracket or a quote, bit 32 a newline, bit 48 part of
    /// a word.
    const CLASS: [u64; 256] = {
        const OP: u64 = 1;
        const NEST: u64 = 1 << 16;
        const LINE: u64 = 1 << 32;
        const WORD: u64 = 1 << 48;
        let mut t = [0u64; 256];
        let ops = b"+-*/%@&|^~<>=!.:;";
        let mut i = 0;
        while i < ops.len() {
            t[ops[i] as usize] = OP;
            i += 1;
        }
        t[b'(' as usize] = OP | NEST;
        t[b'[' as usize] = OP | NEST;
        t[b'{' as usize] = OP | NEST;
        t[b'\'' as usize] = NEST;
        t[b'"' as usize] = NEST;
        t[b'\n' as usize] = LINE;
        let mut b = 0;
        while b < 256 {
            // ASCII letters, digits and `_`. A byte of a non-ASCII character counts as an
            // operator and ends a word: the keywords are ASCII, and the scan may start one
            // right after a character that is not a letter (`→not`).
            if (b >= b'a' as usize && b <= b'z' as usize)
                || (b >= b'A' as usize && b <= b'Z' as usize)
                || (b >= b'0' as usize && b <= b'9' as usize)
                || b == b'_' as usize
            {
                t[b] = WORD;
            } else if b >= 0x80 {
                t[b] = OP;
            }
            b += 1;
        }
        t
    };
    let (mut ops, mut nest, mut lines) = (0u64, 0u64, 1u64);
    let (mut starts, mut prev_word) = (0u64, 0u64);
    // A block's counts stay below 2^16 in their fields.
    for block in src.as_bytes().chunks(4096) {
        let mut acc = 0u64;
        for &b in block {
            let c = CLASS[b as usize];
            acc += c;
            // A word counts once, at its first byte.
            let word = c >> 48;
            starts += word & !prev_word;
            prev_word = word;
        }
        ops += acc & 0xffff;
        nest += (acc >> 16) & 0xffff;
        lines += (acc >> 32) & 0xffff;
    }
    let within = |n: u64, max: usize| usize::try_from(n).is_ok_and(|n| n <= max);
    within(ops + starts, MAX_OPERATORS) && within(nest, MAX_NESTING) && within(lines, MAX_NESTING)
}

/// Where the scanner is: code inside brackets, or a string.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// An open bracket (`(`, `[` or `{`) of code.
    Bracket,
    /// A string with its quote and whether it is triple-quoted and formatted.
    Str {
        quote: char,
        triple: bool,
        fmt: bool,
    },
    /// A `{…}` field of an f-string: code until its closing `}`.
    Field,
}

struct PyScan<'s> {
    src: &'s str,
    /// Byte offset of the next character (always on a character boundary).
    at: usize,
    line: u32,
    column: u32,
    /// Operators counted in the current logical line.
    ops: usize,
    stack: Vec<Ctx>,
    /// Indentation widths of the open blocks (Python's indent stack).
    indents: Vec<u32>,
    /// At the start of a physical line in code (measuring its indentation).
    line_start: bool,
    width: u32,
}

impl PyScan<'_> {
    /// The next character, without reading it (ASCII without decoding).
    #[inline]
    fn peek(&self) -> Option<char> {
        let b = *self.src.as_bytes().get(self.at)?;
        if b.is_ascii() {
            Some(b as char)
        } else {
            self.src[self.at..].chars().next()
        }
    }

    /// The byte `k` bytes ahead, if any (to compare with ASCII quotes only).
    #[inline]
    fn byte_at(&self, k: usize) -> Option<u8> {
        self.src.as_bytes().get(self.at + k).copied()
    }

    #[inline]
    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.column = 0;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn err(&self, limit: Limit, found: usize) -> LimitError {
        LimitError::new(limit, found)
            .at_least()
            .at(self.line, self.column.max(1))
    }

    fn op(&mut self) -> Result<(), LimitError> {
        self.ops += 1;
        if self.ops > MAX_OPERATORS {
            return Err(self.err(Limit::Operators, self.ops));
        }
        Ok(())
    }

    fn push(&mut self, ctx: Ctx) -> Result<(), LimitError> {
        self.stack.push(ctx);
        if self.stack.len() > MAX_NESTING {
            return Err(self.err(Limit::Nesting, self.stack.len()));
        }
        Ok(())
    }

    fn in_string(&self) -> Option<(char, bool, bool)> {
        match self.stack.last() {
            Some(&Ctx::Str { quote, triple, fmt }) => Some((quote, triple, fmt)),
            _ => None,
        }
    }

    fn run(&mut self) -> Result<(), LimitError> {
        while let Some(c) = self.next() {
            if let Some((quote, triple, fmt)) = self.in_string() {
                self.string_char(c, quote, triple, fmt)?;
                continue;
            }
            if self.line_start {
                match c {
                    ' ' => {
                        self.width += 1;
                        continue;
                    }
                    '\t' => {
                        self.width = (self.width / 8 + 1) * 8;
                        continue;
                    }
                    '\n' | '\r' | '#' | '\x0c' => {}
                    _ => self.indent()?,
                }
                self.line_start = false;
            }
            self.code_char(c)?;
        }
        Ok(())
    }

    /// A statement starts at indentation `self.width`: open or close blocks.
    fn indent(&mut self) -> Result<(), LimitError> {
        let w = self.width;
        while self.indents.last().is_some_and(|&top| top > w) {
            self.indents.pop();
        }
        if self.indents.last().is_some_and(|&top| top < w) {
            self.indents.push(w);
            if self.indents.len() - 1 > MAX_NESTING {
                return Err(self.err(Limit::Nesting, self.indents.len() - 1));
            }
        }
        Ok(())
    }

    fn code_char(&mut self, c: char) -> Result<(), LimitError> {
        match c {
            '#' => {
                // To the end of the line (not past it): one search, columns in characters.
                let rest = &self.src.as_bytes()[self.at..];
                let len = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
                let skipped = &rest[..len];
                self.column += skipped.iter().filter(|&&b| (b & 0xC0) != 0x80).count() as u32;
                self.at += len;
            }
            '\\' if self.byte_at(0) == Some(b'\n') => {
                self.next();
            }
            '\n' if self.stack.is_empty() => {
                self.ops = 0;
                self.line_start = true;
                self.width = 0;
            }
            '(' | '[' | '{' => {
                self.op()?;
                self.push(Ctx::Bracket)?;
            }
            ')' | ']' if self.stack.last() == Some(&Ctx::Bracket) => {
                self.stack.pop();
            }
            '}' if matches!(self.stack.last(), Some(Ctx::Bracket | Ctx::Field)) => {
                self.stack.pop();
            }
            '\'' | '"' => self.open_string(c, false)?,
            '+' | '-' | '*' | '/' | '%' | '@' | '&' | '|' | '^' | '~' | '<' | '>' | '=' | '!'
            | '.' | ':' | ';' => self.op()?,
            c if c == '_' || c.is_alphanumeric() => self.word(c)?,
            _ => {}
        }
        Ok(())
    }

    /// A name, keyword or number starting with `first`; a string prefix opens its string.
    fn word(&mut self, first: char) -> Result<(), LimitError> {
        let start = self.at - first.len_utf8();
        while let Some(n) = self.peek() {
            if n == '_' || n.is_alphanumeric() {
                self.next();
            } else {
                break;
            }
        }
        let word = &self.src[start..self.at];
        if let Some(q @ ('\'' | '"')) = self.peek() {
            if word.len() <= 2 && word.bytes().all(|p| b"rbuftRBUFT".contains(&p)) {
                let fmt = word.bytes().any(|p| matches!(p, b'f' | b'F' | b't' | b'T'));
                self.next();
                return self.open_string(q, fmt);
            }
        }
        if matches!(
            word,
            "not" | "and" | "or" | "if" | "else" | "lambda" | "in" | "is" | "await" | "for"
        ) {
            self.op()?;
        }
        Ok(())
    }

    /// Opens a string whose first quote `q` was just read.
    fn open_string(&mut self, q: char, fmt: bool) -> Result<(), LimitError> {
        // `q` is an ASCII quote: comparing bytes compares characters.
        let triple = self.byte_at(0) == Some(q as u8) && self.byte_at(1) == Some(q as u8);
        if triple {
            self.next();
            self.next();
        }
        self.push(Ctx::Str {
            quote: q,
            triple,
            fmt,
        })
    }

    fn string_char(&mut self, c: char, q: char, triple: bool, fmt: bool) -> Result<(), LimitError> {
        match c {
            '\\' => {
                self.next();
            }
            '\n' if !triple => {
                // An unterminated one-line string: the parser reports it; stop counting it.
                self.stack.pop();
                return self.code_char('\n');
            }
            '{' if fmt => {
                if self.byte_at(0) == Some(b'{') {
                    self.next();
                } else {
                    self.push(Ctx::Field)?;
                }
            }
            c if c == q => {
                if !triple {
                    self.stack.pop();
                } else {
                    if self.byte_at(0) == Some(q as u8) && self.byte_at(1) == Some(q as u8) {
                        self.next();
                        self.next();
                        self.stack.pop();
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_limit_the_place_and_the_fix() {
        let e = LimitError::new(Limit::Operators, 257).at_least().at(3, 17);
        assert_eq!(
            e.to_string(),
            "line 3, column 17: at least 257 operators in one statement, over the limit of 256 \
             (split the expression into several assignments)"
        );
        let e = check_len(Limit::ProgramBytes, MAX_PROGRAM_BYTES + 1).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("262145 bytes of program, over the limit of 262144"));
        assert!(check_len(Limit::TextBytes, MAX_TEXT_BYTES).is_ok());
    }

    #[test]
    fn long_operator_chains_are_refused_at_their_statement() {
        let chain = vec!["1"; 20_000].join(" + ");
        let src = format!("def solution():\n    y = 2\n    x = {chain}\n    return x\n");
        let e = check_python(&src).unwrap_err();
        assert_eq!((e.limit, e.line), (Limit::Operators, 3));
        // The count starts again at each statement.
        let ok: String = (0..400)
            .map(|i| format!("x{i} = 1 + 2 * 3 - 4\n"))
            .collect();
        check_python(&ok).unwrap();
        let unary = format!("x = {}1\n", "- ".repeat(300));
        assert_eq!(check_python(&unary).unwrap_err().limit, Limit::Operators);
        let not = format!("x = {}1\n", "not ".repeat(300));
        assert_eq!(check_python(&not).unwrap_err().limit, Limit::Operators);
    }

    #[test]
    fn deep_nesting_is_refused_where_it_crosses_the_limit() {
        let parens = format!("x = {}1{}\n", "(".repeat(5_000), ")".repeat(5_000));
        let e = check_python(&parens).unwrap_err();
        assert_eq!((e.limit, e.line, e.column), (Limit::Nesting, 1, 4 + 65));
        let fine = format!("x = {}1{}\n", "(".repeat(60), ")".repeat(60));
        check_python(&fine).unwrap();
        let mut blocks = String::new();
        for d in 0..100 {
            blocks.push_str(&" ".repeat(d));
            blocks.push_str("if x:\n");
        }
        let e = check_python(&blocks).unwrap_err();
        assert_eq!((e.limit, e.line), (Limit::Nesting, 66));
        let fstrings = format!("x = {}1{}\n", "f'{".repeat(100), "}'".repeat(100));
        assert_eq!(check_python(&fstrings).unwrap_err().limit, Limit::Nesting);
    }

    #[test]
    fn strings_and_comments_do_not_count() {
        let src = format!(
            "def solution():\n    \"\"\"{}\n    (((\"\"\"\n    s = '((((' + \"))\\\"((\"  # {}\n    return 1\n",
            "+".repeat(1_000),
            "(".repeat(1_000)
        );
        check_python(&src).unwrap();
        let f = "x = f'{{{{ {a + 1:>{w}} }}}}'\n";
        check_python(f).unwrap();
        // A bracket continued over lines is one statement.
        let cont = format!("x = (1\n{})\n", "+ 1\n".repeat(300));
        assert_eq!(check_python(&cont).unwrap_err().limit, Limit::Operators);
    }

    proptest::proptest! {
        /// The quick counts clear only programs the scan passes.
        #[test]
        fn the_quick_counts_clear_only_what_the_scan_passes(
            src in "([()\\[\\]{}'\"#+*/:= \n\t]|not|and|if|x|1|f'|é|→|    ){0,300}"
        ) {
            if surely_within(&src) {
                proptest::prop_assert!(scan_python(&src).is_ok());
            }
        }
    }

    #[test]
    fn the_quick_counts_leave_the_near_limit_programs_to_the_scan() {
        // Within both limits by the counts: cleared without the scan.
        assert!(surely_within(
            "def solution():\n    x = (1 + 2) * 3\n    return x\n"
        ));
        // Over 256 operators on one line, 65 brackets, 65 lines: scanned (and refused, or not).
        let ops = format!("x = {}1\n", "1 + ".repeat(300));
        assert!(!surely_within(&ops));
        assert_eq!(check_python(&ops).unwrap_err().limit, Limit::Operators);
        let deep = format!("x = {}1{}\n", "(".repeat(65), ")".repeat(65));
        assert!(!surely_within(&deep));
        assert_eq!(check_python(&deep).unwrap_err().limit, Limit::Nesting);
        let long = "x = 1\n".repeat(65);
        assert!(!surely_within(&long));
        check_python(&long).unwrap();
        // A keyword right after a non-ASCII character still counts.
        let nots = format!("x = {}1\n", "→not ".repeat(300));
        assert!(!surely_within(&nots));
        assert_eq!(check_python(&nots).unwrap_err().limit, Limit::Operators);
    }

    #[test]
    fn size_is_checked_first() {
        let big = "x = 1\n".repeat(MAX_PROGRAM_BYTES / 6 + 1);
        let e = check_python(&big).unwrap_err();
        assert_eq!(e.limit, Limit::ProgramBytes);
        assert!(!e.at_least);
    }
}
