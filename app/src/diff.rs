//! A line diff for showing a variant's program beside its parent's.

/// One row of a side-by-side diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// The same line on both sides.
    Same(String),
    /// A line only on the left (removed) and/or only on the right (added), paired up.
    Changed(Option<String>, Option<String>),
}

/// Side-by-side rows for `left` → `right` (longest common subsequence of lines; removed and
/// added lines between two common lines are paired in order).
pub fn side_by_side(left: &str, right: &str) -> Vec<Row> {
    let a: Vec<&str> = left.lines().collect();
    let b: Vec<&str> = right.lines().collect();
    // Guard against quadratic blow-up on huge programs: fall back to pairing by position.
    if a.len().saturating_mul(b.len()) > 4_000_000 {
        let n = a.len().max(b.len());
        return (0..n)
            .map(|i| match (a.get(i), b.get(i)) {
                (Some(x), Some(y)) if x == y => Row::Same(x.to_string()),
                (x, y) => Row::Changed(x.map(|s| s.to_string()), y.map(|s| s.to_string())),
            })
            .collect();
    }
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[at(i, j)] = if a[i] == b[j] {
                lcs[at(i + 1, j + 1)] + 1
            } else {
                lcs[at(i + 1, j)].max(lcs[at(i, j + 1)])
            };
        }
    }
    let mut rows = Vec::new();
    let (mut i, mut j) = (0, 0);
    let mut removed: Vec<&str> = Vec::new();
    let mut added: Vec<&str> = Vec::new();
    let flush = |rows: &mut Vec<Row>, removed: &mut Vec<&str>, added: &mut Vec<&str>| {
        let k = removed.len().max(added.len());
        for t in 0..k {
            rows.push(Row::Changed(
                removed.get(t).map(|s| s.to_string()),
                added.get(t).map(|s| s.to_string()),
            ));
        }
        removed.clear();
        added.clear();
    };
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            flush(&mut rows, &mut removed, &mut added);
            rows.push(Row::Same(a[i].to_string()));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[at(i, j + 1)] >= lcs[at(i + 1, j)]) {
            added.push(b[j]);
            j += 1;
        } else {
            removed.push(a[i]);
            i += 1;
        }
    }
    flush(&mut rows, &mut removed, &mut added);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_changed_lines_and_keeps_common_ones() {
        let rows = side_by_side("a\nb = 1\nc\n", "a\nb = 2\nx\nc\n");
        assert_eq!(
            rows,
            vec![
                Row::Same("a".into()),
                Row::Changed(Some("b = 1".into()), Some("b = 2".into())),
                Row::Changed(None, Some("x".into())),
                Row::Same("c".into()),
            ]
        );
        assert!(side_by_side("", "").is_empty());
    }
}
