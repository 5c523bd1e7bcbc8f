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

/// The score of `needle` in `haystack`, or `None` when it does not match.
pub fn score(needle: &str, haystack: &str) -> Option<i64> {
    let needle: Vec<char> = needle
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(fold)
        .collect();
    if needle.is_empty() {
        return Some(0);
    }
    let hay: Vec<char> = haystack.chars().map(fold).collect();
    let mut score = 0i64;
    let mut at = 0usize;
    let mut previous: Option<usize> = None;
    for c in needle {
        let found = (at..hay.len()).find(|&i| hay[i] == c)?;
        score += 1;
        if found == 0 {
            score += 8;
        } else if !hay[found - 1].is_alphanumeric() {
            score += 5;
        }
        if previous == Some(found.wrapping_sub(1)) {
            score += 4;
        }
        score -= (found - at).min(10) as i64 / 3;
        previous = Some(found);
        at = found + 1;
    }
    Some(score)
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
        assert!(contains("Hôtel du Grand Cerf", "hotel"));
        assert!(!contains("Hôtel", "motel"));
    }
}
