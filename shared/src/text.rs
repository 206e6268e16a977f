//! Text helpers for error messages that say what was meant: the closest known
//! names to something written wrongly.

/// Edit distance (Levenshtein, by characters).
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The `n` candidates closest to `text`, closest first (ties in candidate order).
pub fn closest<'a>(text: &str, candidates: &[&'a str], n: usize) -> Vec<&'a str> {
    let mut scored: Vec<(usize, usize, &str)> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (distance(text, c), i, *c))
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.2 == b.2);
    scored.into_iter().take(n).map(|(_, _, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_count_characters() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("佐藤", "佐藤さん"), 2);
        assert_eq!(closest("slwo", &["serial", "slow", "fault"], 1), ["slow"]);
    }
}
