//! String distances for typo matching: optimal string alignment (Damerau–Levenshtein in which
//! two swapped neighbours are one slip), counted in edits or weighted by the keyboard.

/// QWERTY rows; each row sits a little to the right of the one above, as on a real keyboard.
const ROWS: [&str; 4] = ["1234567890-=", "qwertyuiop[]", "asdfghjkl;'", "zxcvbnm,./"];

/// Costs of the elementary edits of one distance.
struct Costs {
    indel: usize,
    transpose: usize,
    substitute: fn(char, char) -> usize,
}

/// Every edit counts one: the number of slips.
const EDIT_COUNT: Costs = Costs {
    indel: 1,
    transpose: 1,
    substitute: |_, _| 1,
};

/// Hitting a neighbouring key is as likely as a dropped, doubled or swapped letter; any other
/// wrong letter is less likely. Only used to rank candidates that are equally many edits away.
const TYPING: Costs = Costs {
    indel: 2,
    transpose: 2,
    substitute: |typed, meant| if are_neighbours(typed, meant) { 2 } else { 3 },
};

/// The number of single-character insertions, deletions, substitutions and swaps of neighbours
/// that turn `typed` into `meant`, when it is at most `limit`.
pub(super) fn edits_within(typed: &[char], meant: &[char], limit: usize) -> Option<usize> {
    // Cheap rejection first: it keeps long inputs from costing a full table per candidate.
    if typed.len().abs_diff(meant.len()) > limit {
        return None;
    }
    let edits = alignment(typed, meant, &EDIT_COUNT);
    (edits <= limit).then_some(edits)
}

/// How unlikely it is to type `typed` when `meant` was meant (lower is likelier).
pub(super) fn typing_cost(typed: &[char], meant: &[char]) -> usize {
    alignment(typed, meant, &TYPING)
}

/// Optimal string alignment distance under `costs` (the classic dynamic-programming table, one row per char of `a`).
fn alignment(a: &[char], b: &[char], costs: &Costs) -> usize {
    let width = b.len() + 1;
    let mut table = vec![0; (a.len() + 1) * width];
    for (i, first_cell) in table.iter_mut().step_by(width).enumerate() {
        *first_cell = i * costs.indel;
    }
    for (j, cell) in table.iter_mut().take(width).enumerate() {
        *cell = j * costs.indel;
    }
    for (i, &ca) in a.iter().enumerate() {
        for (j, &cb) in b.iter().enumerate() {
            let (row, above) = ((i + 1) * width, i * width);
            let substitution = if ca == cb {
                0
            } else {
                (costs.substitute)(ca, cb)
            };
            let mut best = (table[above + j + 1] + costs.indel)
                .min(table[row + j] + costs.indel)
                .min(table[above + j] + substitution);
            if i > 0 && j > 0 && ca == b[j - 1] && a[i - 1] == cb {
                best = best.min(table[(i - 1) * width + j - 1] + costs.transpose);
            }
            table[row + j + 1] = best;
        }
    }
    table[a.len() * width + b.len()]
}

/// Row and column of a key on the QWERTY layout.
fn key_position(key: char) -> Option<(usize, usize)> {
    ROWS.iter()
        .enumerate()
        .find_map(|(row, keys)| keys.chars().position(|k| k == key).map(|col| (row, col)))
}

/// True when two keys touch: side by side, or diagonally given the stagger of the rows.
fn are_neighbours(a: char, b: char) -> bool {
    let (Some((row_a, col_a)), Some((row_b, col_b))) = (key_position(a), key_position(b)) else {
        return false;
    };
    if row_a == row_b {
        col_a.abs_diff(col_b) == 1
    } else if row_b == row_a + 1 {
        // The key below sits under its own column and the one to its right.
        col_a == col_b || col_a == col_b + 1
    } else if row_a == row_b + 1 {
        col_b == col_a || col_b == col_a + 1
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn counts_edits_with_swaps_as_one() {
        assert_eq!(edits_within(&chars("gmial"), &chars("gmail"), 2), Some(1));
        assert_eq!(edits_within(&chars("gmai"), &chars("gmail"), 2), Some(1));
        assert_eq!(edits_within(&chars("yahooo"), &chars("yahoo"), 2), Some(1));
        assert_eq!(edits_within(&chars("cmo"), &chars("com"), 2), Some(1));
        assert_eq!(edits_within(&chars("ca"), &chars("com"), 2), Some(2));
        assert_eq!(edits_within(&chars("hotmart"), &chars("hotmail"), 1), None);
        assert_eq!(edits_within(&chars(""), &chars("com"), 2), None);
        assert_eq!(edits_within(&chars("same"), &chars("same"), 0), Some(0));
    }

    #[test]
    fn neighbouring_keys_are_cheaper_slips() {
        assert!(are_neighbours('g', 'h') && are_neighbours('g', 't') && are_neighbours('g', 'y'));
        assert!(are_neighbours('g', 'v') && are_neighbours('g', 'b') && are_neighbours('k', 'm'));
        assert!(
            !are_neighbours('g', 'r') && !are_neighbours('g', 'n') && !are_neighbours('m', 'a')
        );
        assert!(typing_cost(&chars("cm"), &chars("com")) < typing_cost(&chars("cm"), &chars("ca")));
        assert_eq!(typing_cost(&chars("é"), &chars("e")), 3);
    }
}
