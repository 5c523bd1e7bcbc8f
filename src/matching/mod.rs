//! Matching engine: bounded candidates, scores with reasons, subset sums.
//!
//! One pure engine for lettering suggestions, bank matching and payment allocation. It sees
//! only the open items of one account and party ([`Item`]): no ledger, no clock (dates come in
//! with the items), no I/O. Every search is bounded and deterministic:
//!
//! - at most [`MatchSettings::max_items`] items (default 60) take part in searches for sets of
//!   more than two lines; pairs are looked for among all items;
//! - sets have at most [`MatchSettings::max_set_size`] lines (default 4);
//! - a search examines at most [`MatchSettings::work_budget`] subsets (default 1,000,000). The
//!   budget stands in for a time limit (a pure layer reads no clock). It is calibrated on the
//!   worst case: 60 items and sets of up to 4 lines make 523,685 subsets, so with the default
//!   bounds every search runs to its end, and a 60-item party where nothing prunes is searched
//!   whole in a few milliseconds, well under 20 ms (`benches/matching.rs` prints the figure).
//!   The budget bites only with larger bounds. When a search stops at it, the result says so
//!   ("searched N of M sets") and the automatic rule that needed a complete search applies
//!   nothing.
//!
//! Items are first put in a canonical order (date, then key), so the same items give the same
//! result whatever order the caller passes them in.

use chrono::NaiveDate;

use crate::model::Amount;

#[cfg(test)]
mod tests;

/// One open line of an account and party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The caller's identifier; the engine only hands it back.
    pub key: u64,
    pub date: NaiveDate,
    /// Signed: a debit is positive, a credit negative.
    pub amount: Amount,
    /// Piece and document references; empty strings are ignored.
    pub references: Vec<String>,
}

/// What the automatic rules read of an open line: [`Item`], or a caller's own view of its
/// lines that borrows their references instead of copying them.
pub trait AutoItem {
    /// A reference as the item holds it.
    type Reference: AsRef<str>;
    fn key(&self) -> u64;
    fn date(&self) -> NaiveDate;
    /// Signed: a debit is positive, a credit negative.
    fn amount(&self) -> Amount;
    /// Piece and document references; empty ones are ignored.
    fn references(&self) -> &[Self::Reference];
}

impl AutoItem for Item {
    type Reference = String;
    fn key(&self) -> u64 {
        self.key
    }
    fn date(&self) -> NaiveDate {
        self.date
    }
    fn amount(&self) -> Amount {
        self.amount
    }
    fn references(&self) -> &[String] {
        &self.references
    }
}

/// Bounds and tolerance of the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchSettings {
    /// Largest gap a suggestion may leave (default 1,00). Automatic rules only letter exact
    /// nets to zero, whatever the tolerance.
    pub tolerance: Amount,
    /// Rule 2 looks for a debit and credit of the same amount at most this many days apart
    /// (default 90).
    pub pair_window_days: i64,
    /// Items that take part in the search for sets of three lines or more: the oldest ones for
    /// rule 3 and whole-party suggestions, the closest to the line for one-line suggestions
    /// (default 60). Items beyond it are not considered for such sets.
    pub max_items: usize,
    /// Largest set considered, in lines (default 4).
    pub max_set_size: usize,
    /// Subsets a search may examine before it stops (default 1,000,000); see the module doc.
    pub work_budget: u64,
    /// Suggestions returned (default 10).
    pub top: usize,
}

impl Default for MatchSettings {
    fn default() -> Self {
        MatchSettings {
            tolerance: Amount::from_cents(100),
            pair_window_days: 90,
            max_items: 60,
            max_set_size: 4,
            work_budget: 1_000_000,
            top: 10,
        }
    }
}

/// The automatic rule that proposed a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// Lines sharing a piece or document reference that net to zero.
    SharedReference,
    /// One debit and one credit of the same amount, each the other's only candidate within the
    /// date window.
    UniquePair,
    /// The only set of up to `max_set_size` lines netting to zero among the oldest
    /// `max_items` open lines.
    UniqueSet,
}

impl Rule {
    pub fn label(self) -> &'static str {
        match self {
            Rule::SharedReference => "same reference",
            Rule::UniquePair => "unique pair",
            Rule::UniqueSet => "unique set",
        }
    }
}

/// A proposed lettering group: item keys in canonical order (date, key), netting to zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub rule: Rule,
    pub keys: Vec<u64>,
}

/// How far a bounded search went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SearchStats {
    /// Subsets examined (all of them when rule 3 counted its zero-net sets directly, which
    /// it does when the bounds let a search see every subset).
    pub examined: u64,
    /// Subsets within the bounds (items and set size), saturating at `u64::MAX`.
    pub total: u64,
    /// The search stopped at the work budget before it saw every subset.
    pub stopped_at_bound: bool,
}

impl SearchStats {
    /// "searched N of M sets" when the search stopped at its budget.
    pub fn bound_note(&self) -> Option<String> {
        self.stopped_at_bound
            .then(|| format!("searched {} of {} sets", self.examined, self.total))
    }
}

/// What the automatic rules propose.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AutoLettering {
    /// Groups in the order the rules made them; no item is in two groups.
    pub groups: Vec<Group>,
    /// The rule 3 search (subset sums over the oldest items).
    pub set_search: SearchStats,
}

/// A candidate set that would complete a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// The set's item keys in canonical order; includes the line asked about, if any.
    pub keys: Vec<u64>,
    /// What the set nets to (zero when exact; within the tolerance otherwise).
    pub net: Amount,
    /// Some line of the set shares a reference with another.
    pub same_reference: Option<String>,
    /// Days between the oldest and newest line of the set.
    pub days_apart: i64,
    /// One line for people: "exact 1 200,00 · same reference FA2026-00012 · 3 days apart".
    pub reason: String,
}

impl Suggestion {
    pub fn is_exact(&self) -> bool {
        self.net.is_zero()
    }
}

/// Ranked suggestions and how far the search went.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Suggestions {
    /// Best first: exact nets, then within tolerance by gap; then a shared reference, closer
    /// dates and smaller sets first.
    pub suggestions: Vec<Suggestion>,
    pub search: SearchStats,
}

/// The automatic lettering rules, applied in order; items used by a rule are out of the next.
///
/// 1. Lines sharing a reference that net to zero (all the unused lines carrying it).
/// 2. A debit and a credit of opposite equal amounts within `pair_window_days`, when each is
///    the other's only such candidate.
/// 3. Sets of 2 to `max_set_size` lines netting to zero among the `max_items` oldest remaining
///    lines, applied only when the search saw every subset and found exactly one such set;
///    repeated while it applies. Two sets or more, or a search stopped at the budget: nothing.
pub fn auto_letter<I: AutoItem>(items: &[I], settings: &MatchSettings) -> AutoLettering {
    let mut items: Vec<&I> = items.iter().collect();
    items.sort_by_key(|item| (item.date(), item.key()));
    let mut used = vec![false; items.len()];
    let mut groups = Vec::new();

    // Rule 1: shared references. (reference, item) pairs sorted: each reference's items
    // together, references in order, items in canonical order (each reference once per item).
    let mut by_reference: Vec<(&str, usize)> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let first = by_reference.len();
        for reference in item.references() {
            let reference = reference.as_ref().trim();
            if !reference.is_empty()
                && !by_reference
                    .get(first..)
                    .unwrap_or_default()
                    .iter()
                    .any(|(seen, _)| *seen == reference)
            {
                by_reference.push((reference, index));
            }
        }
    }
    by_reference.sort_unstable();
    let mut open: Vec<usize> = Vec::new();
    for members in by_reference.chunk_by(|a, b| a.0 == b.0) {
        open.clear();
        open.extend(members.iter().map(|&(_, i)| i).filter(|&i| !used[i]));
        if open.len() >= 2 && open.iter().map(|&i| items[i].amount().cents()).sum::<i64>() == 0 {
            for &i in &open {
                used[i] = true;
            }
            groups.push(group(Rule::SharedReference, &items, &open));
        }
    }
    drop(by_reference);

    // Rule 2: unique pairs. Lines by absolute amount, debits before credits, each in
    // canonical order.
    let mut by_amount: Vec<(i64, bool, usize)> = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let cents = item.amount().cents();
        if used[index] || cents == 0 {
            continue;
        }
        by_amount.push((cents.abs(), cents < 0, index));
    }
    by_amount.sort_unstable();
    let within = |a: usize, b: usize| {
        (items[a].date() - items[b].date()).num_days().abs() <= settings.pair_window_days
    };
    let (mut debits, mut credits): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
    for lines in by_amount.chunk_by(|a, b| a.0 == b.0) {
        debits.clear();
        credits.clear();
        for &(_, credit, index) in lines {
            if credit {
                credits.push(index);
            } else {
                debits.push(index);
            }
        }
        for &debit in &debits {
            let mut candidates = credits.iter().copied().filter(|&c| within(debit, c));
            let (Some(credit), None) = (candidates.next(), candidates.next()) else {
                continue;
            };
            if debits.iter().filter(|&&d| within(d, credit)).count() == 1 {
                used[debit] = true;
                used[credit] = true;
                let mut pair = vec![debit, credit];
                pair.sort_unstable();
                groups.push(group(Rule::UniquePair, &items, &pair));
            }
        }
    }

    // Rule 3: the only zero-net set among the oldest remaining lines.
    let set_search = loop {
        let pool: Vec<usize> = (0..items.len())
            .filter(|&i| !used[i])
            .take(settings.max_items)
            .collect();
        let amounts: Vec<i64> = pool.iter().map(|&i| items[i].amount().cents()).collect();
        let mut search = SubsetSearch::new(&amounts, settings, 2);
        let mut found: Vec<Vec<usize>> = Vec::new();
        let stats = search.stats();
        if settings.max_set_size <= 4 && stats.total <= settings.work_budget {
            // The enumeration would see every subset: count the zero-net sets directly.
            found = zero_sets(&amounts, settings.max_set_size, 2);
            if found.len() != 1 {
                break SearchStats {
                    examined: stats.total,
                    ..stats
                };
            }
        } else {
            search.run(0, 0, |set, _| {
                found.push(set.to_vec());
                found.len() < 2
            });
            if found.len() != 1 || search.stopped {
                break search.stats();
            }
        }
        let mut set: Vec<usize> = found[0].iter().map(|&k| pool[k]).collect();
        set.sort_unstable();
        for &i in &set {
            used[i] = true;
        }
        groups.push(group(Rule::UniqueSet, &items, &set));
    };

    AutoLettering { groups, set_search }
}

/// Candidate sets that would complete a group with the line `target` (by key), or, with
/// `None`, zero-net sets (within the tolerance) of the whole party.
///
/// For one line: pairs are looked for among all items; sets of three lines or more among the
/// `max_items` lines closest to it (sharing a reference first, then by date gap). For the whole
/// party: sets among the `max_items` oldest lines. The search stops at `work_budget` subsets
/// and says so in [`Suggestions::search`]. An unknown target gives no suggestion.
pub fn suggest(items: &[Item], target: Option<u64>, settings: &MatchSettings) -> Suggestions {
    let items = canonical(items);
    let tolerance = settings.tolerance.cents().abs();
    let mut hits: Vec<Vec<usize>> = Vec::new();
    let search_stats;
    match target {
        Some(key) => {
            let Some(t) = items.iter().position(|item| item.key == key) else {
                return Suggestions::default();
            };
            let goal = -items[t].amount.cents();
            // Pairs among all lines (cheap, linear).
            for (i, item) in items.iter().enumerate() {
                if settings.max_set_size >= 2
                    && i != t
                    && (item.amount.cents() - goal).abs() <= tolerance
                {
                    hits.push(vec![t, i]);
                }
            }
            // Larger sets among the closest lines.
            let mut pool: Vec<usize> = (0..items.len()).filter(|&i| i != t).collect();
            pool.sort_by_cached_key(|&i| {
                let shares = shared_reference(items[t], items[i]).is_some();
                (!shares, (items[i].date - items[t].date).num_days().abs(), i)
            });
            pool.truncate(settings.max_items);
            let amounts: Vec<i64> = pool.iter().map(|&i| items[i].amount.cents()).collect();
            let mut inner = settings.clone();
            inner.max_set_size = settings.max_set_size.saturating_sub(1);
            let mut search = SubsetSearch::new(&amounts, &inner, 2);
            search.goal = goal;
            search.tolerance = tolerance;
            search.run(0, 0, |set, _| {
                let mut members: Vec<usize> = set.iter().map(|&k| pool[k]).collect();
                members.push(t);
                hits.push(members);
                true
            });
            search_stats = search.stats();
        }
        None => {
            let pool: Vec<usize> = (0..items.len().min(settings.max_items)).collect();
            let amounts: Vec<i64> = pool.iter().map(|&i| items[i].amount.cents()).collect();
            let mut search = SubsetSearch::new(&amounts, settings, 2);
            search.tolerance = tolerance;
            search.run(0, 0, |set, _| {
                hits.push(set.iter().map(|&k| pool[k]).collect());
                true
            });
            search_stats = search.stats();
        }
    }

    let mut ranked: Vec<(Rank, Vec<usize>)> = hits
        .into_iter()
        .map(|mut set| {
            set.sort_unstable();
            set.dedup();
            (rank(&items, &set), set)
        })
        .collect();
    ranked.sort();
    ranked.dedup_by(|a, b| a.1 == b.1);
    ranked.truncate(settings.top);
    let target_amount = target
        .and_then(|key| items.iter().find(|item| item.key == key))
        .map(|item| item.amount.cents().abs());
    let suggestions = ranked
        .into_iter()
        .map(|(rank, set)| describe(&items, &set, &rank, target_amount))
        .collect();
    Suggestions {
        suggestions,
        search: search_stats,
    }
}

fn canonical(items: &[Item]) -> Vec<&Item> {
    let mut sorted: Vec<&Item> = items.iter().collect();
    sorted.sort_by_key(|item| (item.date, item.key));
    sorted
}

fn group<I: AutoItem>(rule: Rule, items: &[&I], members: &[usize]) -> Group {
    Group {
        rule,
        keys: members.iter().map(|&i| items[i].key()).collect(),
    }
}

fn shared_reference(a: &Item, b: &Item) -> Option<String> {
    a.references
        .iter()
        .map(|r| r.trim())
        .filter(|r| !r.is_empty())
        .find(|r| b.references.iter().any(|s| s.trim() == *r))
        .map(str::to_string)
}

/// Ordering key of a suggestion: smaller is better.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    gap: i64,
    no_shared_reference: bool,
    days_apart: i64,
    size: usize,
    keys: Vec<u64>,
    net: i64,
    reference: Option<String>,
}

fn rank(items: &[&Item], set: &[usize]) -> Rank {
    let net: i64 = set.iter().map(|&i| items[i].amount.cents()).sum();
    let mut reference = None;
    'outer: for (n, &a) in set.iter().enumerate() {
        for &b in &set[n + 1..] {
            if let Some(found) = shared_reference(items[a], items[b]) {
                reference = Some(found);
                break 'outer;
            }
        }
    }
    let dates = set.iter().map(|&i| items[i].date);
    let days_apart = match (dates.clone().min(), dates.max()) {
        (Some(first), Some(last)) => (last - first).num_days(),
        _ => 0,
    };
    Rank {
        gap: net.abs(),
        no_shared_reference: reference.is_none(),
        days_apart,
        size: set.len(),
        keys: set.iter().map(|&i| items[i].key).collect(),
        net,
        reference,
    }
}

fn describe(items: &[&Item], set: &[usize], rank: &Rank, target: Option<i64>) -> Suggestion {
    let matched = target.unwrap_or_else(|| {
        set.iter()
            .map(|&i| items[i].amount.cents())
            .filter(|&c| c > 0)
            .sum()
    });
    let mut parts = vec![if rank.net == 0 {
        format!("exact {}", Amount::from_cents(matched).to_french())
    } else {
        format!(
            "{} off by {}",
            Amount::from_cents(matched).to_french(),
            Amount::from_cents(rank.net).to_french()
        )
    }];
    if let Some(reference) = &rank.reference {
        parts.push(format!("same reference {reference}"));
    }
    parts.push(match rank.days_apart {
        0 => "same day".to_string(),
        1 => "1 day apart".to_string(),
        n => format!("{n} days apart"),
    });
    Suggestion {
        keys: rank.keys.clone(),
        net: Amount::from_cents(rank.net),
        same_reference: rank.reference.clone(),
        days_apart: rank.days_apart,
        reason: parts.join(" · "),
    }
}

/// Up to `limit` sets of 2 to `max_size` (at most 4) amounts summing to zero, by index: every
/// such set, when there are fewer than `limit`. What a complete `SubsetSearch` for a goal of
/// zero with no tolerance finds, with pair sums looked up instead of every subset visited.
fn zero_sets(amounts: &[i64], max_size: usize, limit: usize) -> Vec<Vec<usize>> {
    let n = amounts.len();
    let mut found: Vec<Vec<usize>> = Vec::new();
    let amount = |i: usize| i128::from(amounts[i]);
    // Indices by amount, ascending: for sets of three, the third index after the second.
    let mut by_amount: std::collections::HashMap<i128, Vec<usize>> =
        std::collections::HashMap::new();
    if max_size >= 2 {
        for i in 0..n {
            by_amount.entry(amount(i)).or_default().push(i);
        }
        for i in 0..n {
            for &j in by_amount.get(&-amount(i)).into_iter().flatten() {
                if j > i {
                    found.push(vec![i, j]);
                    if found.len() >= limit {
                        return found;
                    }
                }
            }
        }
    }
    if max_size >= 3 {
        for i in 0..n {
            for j in i + 1..n {
                let rest = -(amount(i) + amount(j));
                for &k in by_amount.get(&rest).into_iter().flatten() {
                    if k > j {
                        found.push(vec![i, j, k]);
                        if found.len() >= limit {
                            return found;
                        }
                    }
                }
            }
        }
    }
    if max_size >= 4 {
        // Pairs (k, l) by their sum; a set i < j < k < l is its first pair and its second.
        let mut pairs: std::collections::HashMap<i128, Vec<(usize, usize)>> =
            std::collections::HashMap::new();
        for k in 0..n {
            for l in k + 1..n {
                pairs.entry(amount(k) + amount(l)).or_default().push((k, l));
            }
        }
        for i in 0..n {
            for j in i + 1..n {
                let rest = -(amount(i) + amount(j));
                for &(k, l) in pairs.get(&rest).into_iter().flatten() {
                    if k > j {
                        found.push(vec![i, j, k, l]);
                        if found.len() >= limit {
                            return found;
                        }
                    }
                }
            }
        }
    }
    found
}

/// Pruned depth-first search over amounts sorted ascending for subsets of `min_size` to
/// `max_size` whose sum lies within `tolerance` of `goal`, examining at most `budget` subsets.
struct SubsetSearch {
    /// Sorted amounts; `order[k]` is the caller's index of `sorted[k]`.
    sorted: Vec<i64>,
    order: Vec<usize>,
    goal: i64,
    tolerance: i64,
    min_size: usize,
    max_size: usize,
    budget: u64,
    examined: u64,
    stopped: bool,
    halted: bool,
    stack: Vec<usize>,
}

impl SubsetSearch {
    fn new(amounts: &[i64], settings: &MatchSettings, min_size: usize) -> Self {
        let mut order: Vec<usize> = (0..amounts.len()).collect();
        order.sort_by_key(|&i| (amounts[i], i));
        SubsetSearch {
            sorted: order.iter().map(|&i| amounts[i]).collect(),
            order,
            goal: 0,
            tolerance: 0,
            min_size,
            max_size: settings.max_set_size,
            budget: settings.work_budget,
            examined: 0,
            stopped: false,
            halted: false,
            stack: Vec::with_capacity(settings.max_set_size),
        }
    }

    fn stats(&self) -> SearchStats {
        let n = self.sorted.len() as u64;
        let total =
            (1..=self.max_size as u64).fold(0u64, |acc, k| acc.saturating_add(choose(n, k)));
        SearchStats {
            examined: self.examined,
            total,
            stopped_at_bound: self.stopped,
        }
    }

    /// Lowest and highest sums that up to `slots` more items from `from` can add.
    fn reach(&self, from: usize, slots: usize) -> (i64, i64) {
        let n = self.sorted.len();
        let low: i64 = self.sorted[from.min(n)..(from + slots).min(n)]
            .iter()
            .map(|&a| a.min(0))
            .sum();
        let high: i64 = self.sorted[n.saturating_sub(slots).max(from).min(n)..]
            .iter()
            .map(|&a| a.max(0))
            .sum();
        (low, high)
    }

    /// Calls `found(set, sum)` for each matching subset (indices into the caller's amounts);
    /// `found` returns false to stop the search.
    fn run(&mut self, from: usize, sum: i64, mut found: impl FnMut(&[usize], i64) -> bool) {
        self.visit(from, sum, &mut found);
    }

    fn visit(&mut self, from: usize, sum: i64, found: &mut impl FnMut(&[usize], i64) -> bool) {
        let slots = self.max_size.saturating_sub(self.stack.len());
        if slots == 0 {
            return;
        }
        for k in from..self.sorted.len() {
            if self.halted {
                return;
            }
            if self.examined >= self.budget {
                self.stopped = true;
                self.halted = true;
                return;
            }
            self.examined += 1;
            let next = sum + self.sorted[k];
            let (low, high) = self.reach(k + 1, slots - 1);
            // Amounts only grow with k: once even the lowest reach overshoots, stop.
            if next + low > self.goal + self.tolerance {
                return;
            }
            self.stack.push(k);
            if self.stack.len() >= self.min_size && (next - self.goal).abs() <= self.tolerance {
                let set: Vec<usize> = self.stack.iter().map(|&s| self.order[s]).collect();
                if !found(&set, next) {
                    self.halted = true;
                }
            }
            if !self.halted && slots > 1 && next + high >= self.goal - self.tolerance {
                self.visit(k + 1, next, found);
            }
            self.stack.pop();
        }
    }
}

fn choose(n: u64, k: u64) -> u64 {
    if k > n {
        return 0;
    }
    let mut result: u64 = 1;
    for i in 0..k {
        result = match result.checked_mul(n - i) {
            Some(value) => value / (i + 1),
            None => return u64::MAX,
        };
    }
    result
}
