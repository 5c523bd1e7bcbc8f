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
/// needle must match, with every character in order: as a substring (best, and best at the
/// start of a word), inside one word of the haystack (`lettr` in `lettering`), or as runs that
/// each begin a word (`sd` in `save draft`). Characters scattered across words do not match
/// (`lettr` is not in `filter the text rows`). Longer runs score higher.
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

/// Scores of matches that are not substrings stay below every substring's (100 and more).
const MAX_SCATTERED: i64 = 90;

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
    let within = words(hay)
        .filter_map(|(from, to)| runs_within(word, &hay[from..to]))
        .max();
    let initials = runs_at_word_starts(word, hay, 0, &mut Default::default());
    let runs = within.into_iter().chain(initials).max()?;
    Some(run_score(word.len(), runs))
}

/// The spans of the haystack's words: runs of letters and digits.
fn words(hay: &[char]) -> impl Iterator<Item = (usize, usize)> + '_ {
    (0..hay.len())
        .filter(|&i| hay[i].is_alphanumeric() && word_start(hay, i))
        .map(|from| {
            let to = (from..hay.len())
                .find(|&i| !hay[i].is_alphanumeric())
                .unwrap_or(hay.len());
            (from, to)
        })
}

/// How well the runs of a match hold together: the sum of their squared lengths (one run of
/// the whole needle is best).
type Runs = i64;

fn run_score(len: usize, runs: Runs) -> i64 {
    let len = len as i64;
    (runs * MAX_SCATTERED / (len * len)).clamp(1, MAX_SCATTERED)
}

/// The needle's characters in order inside one word, with the longest runs found greedily
/// from each possible start.
fn runs_within(word: &[char], hay: &[char]) -> Option<Runs> {
    (0..hay.len())
        .filter(|&start| hay[start] == word[0])
        .filter_map(|start| {
            let (mut at, mut runs, mut run) = (start, 0, 0i64);
            for &c in word {
                if hay.get(at) == Some(&c) {
                    run += 1;
                } else {
                    runs += run * run;
                    run = 1;
                    at += hay.get(at..)?.iter().position(|&h| h == c)?;
                }
                at += 1;
            }
            Some(runs + run * run)
        })
        .max()
}

/// The needle as runs that each begin a word of the haystack, from `from` on; the best split.
fn runs_at_word_starts(
    word: &[char],
    hay: &[char],
    from: usize,
    memo: &mut std::collections::HashMap<(usize, usize), Option<Runs>>,
) -> Option<Runs> {
    if word.is_empty() {
        return Some(0);
    }
    let key = (word.len(), from);
    if let Some(known) = memo.get(&key) {
        return *known;
    }
    let mut best: Option<Runs> = None;
    for start in (from..hay.len()).filter(|&i| word_start(hay, i) && hay[i] == word[0]) {
        let longest = word
            .iter()
            .zip(&hay[start..])
            .take_while(|(a, b)| a == b)
            .count();
        for len in 1..=longest {
            if let Some(rest) = runs_at_word_starts(&word[len..], hay, start + len, memo) {
                let runs = rest + (len * len) as i64;
                best = best.max(Some(runs));
            }
        }
    }
    memo.insert(key, best);
    best
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
                > score("607", "401000 F6 0 7").unwrap_or(0)
        );
        assert!(score("go-ch", "go-chart").unwrap() > score("go-ch", "go-home ch").unwrap());
        let party = "fledcomp led composants europe";
        let account = "442000 contributions, impots et taxes recouvres pour le compte de l'etat";
        assert!(score("led", party).unwrap() > score("led", account).unwrap_or(0));
        assert!(score("led comp", party).is_some());
        assert!(score("led zzz", party).is_none());
        assert!(contains("Hôtel du Grand Cerf", "hotel"));
    }

    #[test]
    fn scattered_letters_across_words_do_not_match() {
        // The palette's row for the list filter.
        assert_eq!(score("lettr", "filter Filter the rows by text"), None);
        assert_eq!(score("lettr", "filter"), None);
        // A label typed into the account field is not an account.
        let account = "638000 rappel d'impots (autres qu'impots sur les benefices)";
        assert_eq!(score("(TUI)", account), None);
        assert_eq!(score("tui", account), None);
    }

    #[test]
    fn every_character_in_order_inside_a_word_or_at_word_starts() {
        assert!(score("lettr", "lettering Letter the lines").is_some());
        assert!(score("sd", "save-draft Save as a draft").is_some());
        assert!(score("gch", "go-chart Chart of accounts").is_some());
        assert_eq!(score("rttel", "lettering"), None, "order matters");
    }

    #[test]
    fn contiguous_runs_rank_first() {
        let substring = score("lett", "lettering").unwrap();
        let one_word = score("lettr", "lettering").unwrap();
        let initials = score("lr", "lettering rows").unwrap();
        assert!(substring > one_word, "{substring} > {one_word}");
        assert!(substring >= 100 && one_word < 100);
        // Long runs beat many short ones.
        assert!(score("chac", "chart accounts").unwrap() > score("chac", "c h a c").unwrap(),);
        assert!(initials < 100);
        assert!(!contains("Hôtel", "motel"));
    }
}
