//! Pure helpers for authoring and running suites at scale: deterministic shards
//! (`--shard 2/4`) and the closest known step texts for an undefined step.

use std::fmt;
use std::str::FromStr;

/// One of `total` disjoint parts of a suite (1-based `index`). A scenario belongs
/// to exactly one shard, decided by a stable hash of its key, so every runner that
/// is given the same suite agrees without talking to the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub total: u32,
}

/// A shard written wrongly.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("shard {text:?}: {reason} (write it as INDEX/TOTAL, e.g. 2/4)")]
pub struct ShardError {
    pub text: String,
    pub reason: &'static str,
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(text: &str) -> Result<Shard, ShardError> {
        let err = |reason| ShardError {
            text: text.to_string(),
            reason,
        };
        let (index, total) = text.trim().split_once('/').ok_or_else(|| err("no '/'"))?;
        let number = |s: &str| {
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse::<u32>().map_err(|_| err("a number is too large"))
            } else {
                Err(err("INDEX and TOTAL are whole numbers"))
            }
        };
        let (index, total) = (number(index)?, number(total)?);
        if total == 0 {
            return Err(err("TOTAL is at least 1"));
        }
        if index == 0 || index > total {
            return Err(err("INDEX is 1 to TOTAL"));
        }
        Ok(Shard { index, total })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.total)
    }
}

/// FNV-1a, 64 bits: stable across runs, machines and Rust versions.
fn stable_hash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Shard {
    /// Whether the scenario with this key belongs to this shard.
    pub fn contains(&self, key: &str) -> bool {
        stable_hash(key) % u64::from(self.total) == u64::from(self.index - 1)
    }
}

/// Edit distance (Levenshtein, by characters).
fn distance(a: &str, b: &str) -> usize {
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
    fn shards_parse_and_refuse_with_the_reason() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, total: 4 }));
        for (text, reason) in [
            ("2", "no '/'"),
            ("0/4", "INDEX is 1 to TOTAL"),
            ("5/4", "INDEX is 1 to TOTAL"),
            ("1/0", "TOTAL is at least 1"),
            ("a/4", "INDEX and TOTAL are whole numbers"),
            ("-1/4", "INDEX and TOTAL are whole numbers"),
        ] {
            assert_eq!(text.parse::<Shard>().unwrap_err().reason, reason, "{text}");
        }
    }

    #[test]
    fn the_shards_of_a_suite_are_disjoint_and_cover_it() {
        let keys: Vec<String> = (0..600)
            .map(|i| format!("features/x{}.feature\u{0}Scenario {i}\u{0}sqlite", i % 7))
            .collect();
        for total in 1..=5 {
            let mut sizes = Vec::new();
            for key in &keys {
                let owners: Vec<u32> = (1..=total)
                    .filter(|&index| Shard { index, total }.contains(key))
                    .collect();
                assert_eq!(owners.len(), 1, "{key} belongs to {owners:?} of {total}");
            }
            for index in 1..=total {
                sizes.push(
                    keys.iter()
                        .filter(|k| Shard { index, total }.contains(k))
                        .count(),
                );
            }
            assert_eq!(sizes.iter().sum::<usize>(), keys.len());
            // Balanced enough to be useful: no shard gets under half its share.
            assert!(
                sizes.iter().all(|&s| s * 2 * total as usize >= keys.len()),
                "{sizes:?}"
            );
        }
    }

    #[test]
    fn closest_texts_come_first() {
        let known = [
            "the purge runs",
            "the purge removed 2 photos and 0 customers",
            "today is 2026-11-23",
        ];
        assert_eq!(closest("the purge run", &known, 1), vec!["the purge runs"]);
        assert_eq!(
            closest("today was 2026-11-23", &known, 2)[0],
            "today is 2026-11-23"
        );
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("佐藤", "佐藤さん"), 2);
    }
}
