//! Fuzzy matching for the palette and the account completion: the needle's characters appear
//! in order in the haystack, ignoring case and French accents. Higher scores for matches at the
//! start, at word starts and in runs.

/// Folds case and the accents of French text (`É` and `é` match `e`).
pub fn fold(c: char) -> char {
    let lower = c.to_lowercase().next().unwrap_or(c);
    match lower {
        'à' | 'â' | 'ä' | 'á' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'î' | 'ï' | 'í' => 'i',
        'ô' | 'ö' | 'ó' => 'o',
        'ù' | 'û' | 'ü' | 'ú' => 'u',
        'ç' => 'c',
        'ÿ' => 'y',
        'œ' => 'o',
        other => other,
    }
}

/// Case- and accent-insensitive substring test, for list filters.
pub fn contains(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    let hay: Vec<char> = haystack.chars().map(fold).collect();
    let pin: Vec<char> = needle.chars().map(fold).collect();
    hay.windows(pin.len()).any(|w| w == pin.as_slice())
}

/// The score of `needle` in `haystack`, or `None` when it does not match. Each word of the
/// needle must match: as a substring (best at the start of a word), or else as a subsequence.
pub fn score(needle: &str, haystack: &str) -> Option<i64> {
    let hay: Vec<char> = haystack.chars().map(fold).collect();
    let mut total = 0;
    for word in needle.split_whitespace() {
        let word: Vec<char> = word.chars().map(fold).collect();
        total += word_score(&word, &hay)?;
    }
    Some(total)
}

fn word_start(hay: &[char], at: usize) -> bool {
    at == 0 || !hay[at - 1].is_alphanumeric()
}

fn word_score(word: &[char], hay: &[char]) -> Option<i64> {
    if word.is_empty() {
        return Some(0);
    }
    let substrings: Vec<usize> = (0..hay.len().saturating_sub(word.len() - 1))
        .filter(|&i| hay[i..i + word.len()] == *word)
        .collect();
    if let Some(&first) = substrings.first() {
        let at = substrings
            .iter()
            .copied()
            .find(|&i| word_start(hay, i))
            .unwrap_or(first);
        let mut score = 100 + word.len() as i64 * 2;
        if at == 0 {
            score += 40;
        } else if word_start(hay, at) {
            score += 30;
        }
        return Some(score - (at as i64 / 8).min(10));
    }
    // Characters in order, with gaps: a weaker match.
    let mut score = 0i64;
    let mut from = 0usize;
    let mut previous: Option<usize> = None;
    for &c in word {
        let found = (from..hay.len()).find(|&i| hay[i] == c)?;
        score += 1;
        if word_start(hay, found) {
            score += 3;
        }
        if previous == Some(found.wrapping_sub(1)) {
            score += 2;
        }
        previous = Some(found);
        from = found + 1;
    }
    Some(score.min(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_in_order_ignoring_case_and_accents() {
        assert!(score("elec", "Électro Distribution").is_some());
        assert!(score("xyz", "Électro").is_none());
        assert!(
            score("607", "607000 Achats de marchandises").unwrap()
                > score("607", "401000 F6 0 7").unwrap()
        );
        assert!(score("go-ch", "go-chart").unwrap() > score("go-ch", "go-home ch").unwrap());
        let party = "fledcomp led composants europe";
        let account = "442000 contributions, impots et taxes recouvres pour le compte de l'etat";
        assert!(score("led", party).unwrap() > score("led", account).unwrap_or(0));
        assert!(score("led comp", party).is_some());
        assert!(score("led zzz", party).is_none());
        assert!(contains("Hôtel du Grand Cerf", "hotel"));
        assert!(!contains("Hôtel", "motel"));
    }
}
