use std::collections::BTreeSet;

use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;

fn day(n: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).expect("valid date") + chrono::Duration::days(n)
}

fn item(key: u64, days: i64, cents: i64, references: &[&str]) -> Item {
    Item {
        key,
        date: day(days),
        amount: Amount::from_cents(cents),
        references: references.iter().map(|r| r.to_string()).collect(),
    }
}

fn rules(result: &AutoLettering) -> Vec<(Rule, Vec<u64>)> {
    result
        .groups
        .iter()
        .map(|g| (g.rule, g.keys.clone()))
        .collect()
}

#[test]
fn rule_one_letters_lines_sharing_a_reference_that_net_to_zero() {
    let items = vec![
        item(1, 0, 120_000, &["FA2026-00012"]),
        item(2, 5, -70_000, &["FA2026-00012"]),
        item(3, 9, -50_000, &["", "FA2026-00012"]),
        item(4, 9, -33_300, &["FA2026-00013"]),
    ];
    let result = auto_letter(&items, &MatchSettings::default());
    assert_eq!(rules(&result), vec![(Rule::SharedReference, vec![1, 2, 3])]);
}

#[test]
fn rule_one_leaves_a_reference_that_does_not_net_to_zero() {
    let items = vec![
        item(1, 0, 120_000, &["FA1"]),
        item(2, 5, -70_000, &["FA1"]),
        // Two credits of 500,00 make rule 2 ambiguous too; rule 3 finds two sets.
        item(3, 9, -50_000, &[]),
        item(4, 9, -50_000, &[]),
    ];
    let result = auto_letter(&items, &MatchSettings::default());
    assert!(result.groups.is_empty(), "{:?}", result.groups);
}

#[test]
fn rule_two_letters_the_only_pair_within_the_window() {
    let items = vec![
        item(1, 0, 45_000, &[]),
        item(2, 30, -45_000, &[]),
        // Same amount, but 200 days away from both: outside the window.
        item(3, 230, -45_000, &[]),
        item(4, 300, 9_999, &[]),
    ];
    let result = auto_letter(&items, &MatchSettings::default());
    assert_eq!(rules(&result), vec![(Rule::UniquePair, vec![1, 2])]);
}

#[test]
fn rule_two_is_not_applied_when_two_credits_could_match() {
    let items = vec![
        item(1, 0, 45_000, &[]),
        item(2, 10, -45_000, &[]),
        item(3, 20, -45_000, &[]),
    ];
    let result = auto_letter(&items, &MatchSettings::default());
    assert!(result.groups.is_empty(), "{:?}", result.groups);
}

#[test]
fn rule_two_is_not_applied_when_the_credit_has_two_debits() {
    let items = vec![
        item(1, 0, 45_000, &[]),
        item(2, 100, 45_000, &[]),
        item(3, 50, -45_000, &[]),
    ];
    let result = auto_letter(&items, &MatchSettings::default());
    assert!(result.groups.is_empty(), "{:?}", result.groups);
}

#[test]
fn rule_three_letters_the_only_zero_set() {
    let items = vec![
        item(1, 0, 100_000, &[]),
        item(2, 1, 20_050, &[]),
        item(3, 2, -60_000, &[]),
        item(4, 3, -60_050, &[]),
        item(5, 4, 777, &[]),
    ];
    let result = auto_letter(&items, &MatchSettings::default());
    assert_eq!(rules(&result), vec![(Rule::UniqueSet, vec![1, 2, 3, 4])]);
    assert!(!result.set_search.stopped_at_bound);
}

#[test]
fn rule_three_is_not_applied_when_two_sets_net_to_zero() {
    let items = vec![
        item(1, 0, 10_000, &[]),
        item(2, 1, 20_000, &[]),
        item(3, 2, -30_000, &[]),
        item(4, 3, 30_000, &[]),
        item(5, 4, -10_000, &[]),
        item(6, 5, -20_000, &[]),
    ];
    // No pair within a zero-day window; {1,2,3}, {3,4}, {4,5,6}, {1,5}... several sets.
    let settings = MatchSettings {
        pair_window_days: 0,
        ..MatchSettings::default()
    };
    let result = auto_letter(&items, &settings);
    assert!(result.groups.is_empty(), "{:?}", result.groups);
    assert!(!result.set_search.stopped_at_bound);
}

#[test]
fn rule_three_is_not_applied_when_the_search_stops_at_its_budget() {
    let items = vec![
        item(1, 0, 100_000, &[]),
        item(2, 1, 20_050, &[]),
        item(3, 2, -60_000, &[]),
        item(4, 3, -60_050, &[]),
    ];
    let settings = MatchSettings {
        work_budget: 3,
        ..MatchSettings::default()
    };
    let result = auto_letter(&items, &settings);
    assert!(result.groups.is_empty());
    assert!(result.set_search.stopped_at_bound);
    assert_eq!(
        result.set_search.bound_note().as_deref(),
        Some("searched 3 of 15 sets")
    );
}

#[test]
fn rule_three_only_sees_the_oldest_items() {
    let mut items = vec![item(1, 0, 100_000, &[])];
    for n in 0..3 {
        items.push(item(10 + n, 1 + n as i64, 1 + n as i64, &[]));
    }
    items.push(item(2, 50, -100_000, &[]));
    let settings = MatchSettings {
        max_items: 4,
        pair_window_days: 10,
        ..MatchSettings::default()
    };
    assert!(auto_letter(&items, &settings).groups.is_empty());
    let settings = MatchSettings {
        max_items: 5,
        ..settings
    };
    assert_eq!(
        rules(&auto_letter(&items, &settings)),
        vec![(Rule::UniqueSet, vec![1, 2])]
    );
}

#[test]
fn rules_apply_in_order_and_remove_used_items() {
    let items = vec![
        item(1, 0, 30_000, &["FA7"]),
        item(2, 3, -30_000, &["FA7"]),
        item(3, 4, -30_000, &[]),
        item(4, 5, 30_000, &[]),
        item(5, 6, 12_345, &[]),
        item(6, 7, -2_345, &[]),
        item(7, 8, -10_000, &[]),
    ];
    let result = auto_letter(&items, &MatchSettings::default());
    assert_eq!(
        rules(&result),
        vec![
            (Rule::SharedReference, vec![1, 2]),
            (Rule::UniquePair, vec![3, 4]),
            (Rule::UniqueSet, vec![5, 6, 7]),
        ]
    );
}

#[test]
fn suggestions_rank_exact_then_tolerance_with_french_reasons() {
    let items = vec![
        item(1, 0, 120_000, &["FA2026-00012"]),
        item(2, 3, -120_000, &["FA2026-00012"]),
        item(3, 1, -120_000, &[]),
        item(4, 40, -119_950, &[]),
        item(5, 10, -100_000, &[]),
        item(6, 12, -20_000, &[]),
    ];
    let result = suggest(&items, Some(1), &MatchSettings::default());
    let reasons: Vec<&str> = result
        .suggestions
        .iter()
        .map(|s| s.reason.as_str())
        .collect();
    assert_eq!(
        reasons,
        vec![
            "exact 1 200,00 · same reference FA2026-00012 · 3 days apart",
            "exact 1 200,00 · 1 day apart",
            "exact 1 200,00 · 12 days apart",
            "1 200,00 off by 0,50 · 40 days apart",
        ]
    );
    assert_eq!(result.suggestions[2].keys, vec![1, 5, 6]);
    assert!(!result.search.stopped_at_bound);
}

#[test]
fn suggestions_for_an_unknown_line_are_empty() {
    let items = vec![item(1, 0, 100, &[])];
    assert!(
        suggest(&items, Some(9), &MatchSettings::default())
            .suggestions
            .is_empty()
    );
}

#[test]
fn suggestions_say_where_they_stopped() {
    let items: Vec<Item> = (0..40)
        .map(|n| {
            let sign = if n % 2 == 0 { 1 } else { -1 };
            item(n, n as i64, sign * (1_000 + n as i64 * 7), &[])
        })
        .collect();
    let settings = MatchSettings {
        work_budget: 100,
        ..MatchSettings::default()
    };
    let result = suggest(&items, None, &settings);
    assert!(result.search.stopped_at_bound);
    assert_eq!(result.search.examined, 100);
    assert_eq!(
        result.search.bound_note().as_deref(),
        Some("searched 100 of 102090 sets")
    );
}

fn arb_items() -> impl Strategy<Value = Vec<Item>> {
    prop::collection::vec((0i64..200, -6i64..=6, prop::option::of(0u8..4)), 0..24).prop_map(
        |rows| {
            rows.into_iter()
                .enumerate()
                .map(|(n, (days, units, reference))| Item {
                    key: n as u64 * 3 + 1,
                    date: day(days),
                    amount: Amount::from_cents(units * 2_500),
                    references: reference.map(|r| format!("R{r}")).into_iter().collect(),
                })
                .collect()
        },
    )
}

fn arb_settings() -> impl Strategy<Value = MatchSettings> {
    (
        0i64..300,
        0i64..120,
        1usize..30,
        1usize..5,
        1u64..5_000,
        1usize..12,
    )
        .prop_map(
            |(tolerance, window, max_items, max_set_size, work_budget, top)| MatchSettings {
                tolerance: Amount::from_cents(tolerance),
                pair_window_days: window,
                max_items,
                max_set_size,
                work_budget,
                top,
            },
        )
}

proptest! {
    #[test]
    fn auto_groups_net_to_zero_and_never_share_an_item(
        items in arb_items(), settings in arb_settings(), seed in any::<u64>()
    ) {
        let result = auto_letter(&items, &settings);
        let mut seen = BTreeSet::new();
        for group in &result.groups {
            prop_assert!(group.keys.len() >= 2);
            let net: i64 = group.keys.iter()
                .map(|k| items.iter().find(|i| i.key == *k).map_or(0, |i| i.amount.cents()))
                .sum();
            prop_assert_eq!(net, 0);
            if group.rule == Rule::UniqueSet {
                prop_assert!(group.keys.len() <= settings.max_set_size);
            }
            for key in &group.keys {
                prop_assert!(seen.insert(*key), "key {} in two groups", key);
            }
        }
        prop_assert!(result.set_search.examined <= settings.work_budget);
        // Deterministic, whatever the order of the input.
        let mut shuffled = items.clone();
        let len = shuffled.len();
        if len > 1 {
            for n in 0..len {
                let j = (seed.wrapping_mul(n as u64 + 7) % len as u64) as usize;
                shuffled.swap(n, j);
            }
        }
        prop_assert_eq!(auto_letter(&shuffled, &settings), result);
    }

    #[test]
    fn suggestions_stay_within_tolerance_and_bounds(
        items in arb_items(), settings in arb_settings(), pick in any::<usize>()
    ) {
        let target = if items.is_empty() { None } else { Some(items[pick % items.len()].key) };
        for target in [target, None] {
            let result = suggest(&items, target, &settings);
            prop_assert!(result.suggestions.len() <= settings.top);
            prop_assert!(result.search.examined <= settings.work_budget);
            let mut previous: Option<(bool, i64)> = None;
            for suggestion in &result.suggestions {
                prop_assert!(suggestion.keys.len() >= 2);
                prop_assert!(suggestion.keys.len() <= settings.max_set_size);
                let net: i64 = suggestion.keys.iter()
                    .map(|k| items.iter().find(|i| i.key == *k).map_or(0, |i| i.amount.cents()))
                    .sum();
                prop_assert_eq!(net, suggestion.net.cents());
                prop_assert!(net.abs() <= settings.tolerance.cents());
                if let Some(key) = target {
                    prop_assert!(suggestion.keys.contains(&key));
                }
                let unique: BTreeSet<_> = suggestion.keys.iter().collect();
                prop_assert_eq!(unique.len(), suggestion.keys.len());
                // Exact nets first, then by gap.
                let this = (!suggestion.is_exact(), net.abs());
                if let Some(before) = previous {
                    prop_assert!(before <= this);
                }
                previous = Some(this);
            }
            prop_assert_eq!(suggest(&items, target, &settings), result);
        }
    }
}

proptest! {
    /// Rule 3's direct count finds the sets the complete search finds.
    #[test]
    fn zero_sets_are_what_the_search_finds(
        amounts in proptest::collection::vec(-6i64..=6, 0..14),
        max_size in 2usize..=4,
    ) {
        let settings = MatchSettings { max_set_size: max_size, ..MatchSettings::default() };
        let mut search = SubsetSearch::new(&amounts, &settings, 2);
        let mut searched: BTreeSet<Vec<usize>> = BTreeSet::new();
        search.run(0, 0, |set, _| {
            let mut set = set.to_vec();
            set.sort_unstable();
            searched.insert(set);
            true
        });
        prop_assert!(!search.stopped);
        let counted: Vec<Vec<usize>> = zero_sets(&amounts, max_size, usize::MAX);
        let unique: BTreeSet<Vec<usize>> = counted.iter().cloned().collect();
        prop_assert_eq!(unique.len(), counted.len(), "a set counted twice");
        prop_assert_eq!(&unique, &searched);
        // Stopping at two gives two of them.
        let two = zero_sets(&amounts, max_size, 2);
        prop_assert_eq!(two.len(), searched.len().min(2));
        prop_assert!(two.iter().all(|set| searched.contains(set)));
    }
}

/// Rules 1 and 2 as maps of references and of amounts spell them: the groups they make, in
/// order, for `auto_letter` to match.
fn rules_one_and_two_by_maps(items: &[Item], settings: &MatchSettings) -> Vec<(Rule, Vec<u64>)> {
    use std::collections::BTreeMap;
    let mut items: Vec<&Item> = items.iter().collect();
    items.sort_by_key(|item| (item.date, item.key));
    let mut used = vec![false; items.len()];
    let mut groups = Vec::new();
    let keys = |members: &[usize]| members.iter().map(|&i| items[i].key).collect::<Vec<_>>();
    let mut by_reference: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, item) in items.iter().enumerate() {
        let mut seen: Vec<&str> = Vec::new();
        for reference in &item.references {
            let reference = reference.trim();
            if !reference.is_empty() && !seen.contains(&reference) {
                seen.push(reference);
                by_reference.entry(reference).or_default().push(index);
            }
        }
    }
    for members in by_reference.values() {
        let open: Vec<usize> = members.iter().copied().filter(|&i| !used[i]).collect();
        if open.len() >= 2 && open.iter().map(|&i| items[i].amount.cents()).sum::<i64>() == 0 {
            for &i in &open {
                used[i] = true;
            }
            groups.push((Rule::SharedReference, keys(&open)));
        }
    }
    let mut by_amount: BTreeMap<i64, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (index, item) in items.iter().enumerate() {
        let cents = item.amount.cents();
        if used[index] || cents == 0 {
            continue;
        }
        let entry = by_amount.entry(cents.abs()).or_default();
        if cents > 0 {
            entry.0.push(index);
        } else {
            entry.1.push(index);
        }
    }
    let within = |a: usize, b: usize| {
        (items[a].date - items[b].date).num_days().abs() <= settings.pair_window_days
    };
    for (debits, credits) in by_amount.values() {
        for &debit in debits {
            let mut candidates = credits.iter().copied().filter(|&c| within(debit, c));
            let (Some(credit), None) = (candidates.next(), candidates.next()) else {
                continue;
            };
            if debits.iter().filter(|&&d| within(d, credit)).count() == 1 {
                used[debit] = true;
                used[credit] = true;
                let mut pair = vec![debit, credit];
                pair.sort_unstable();
                groups.push((Rule::UniquePair, keys(&pair)));
            }
        }
    }
    groups
}

proptest! {
    #[test]
    fn rules_one_and_two_make_the_groups_their_maps_make(
        rows in prop::collection::vec(
            (0i64..200, -6i64..=6, prop::collection::vec(0usize..5, 0..3)),
            0..30,
        ),
        settings in arb_settings(),
    ) {
        // Several references an item, repeated, blank or padded among them.
        let names = ["R0", "R1", " R1", "", "R2"];
        let items: Vec<Item> = rows
            .into_iter()
            .enumerate()
            .map(|(n, (days, units, references))| Item {
                key: (n as u64 * 7) % 31,
                date: day(days),
                amount: Amount::from_cents(units * 2_500),
                references: references.into_iter().map(|r| names[r].to_string()).collect(),
            })
            .collect();
        let made: Vec<(Rule, Vec<u64>)> = rules(&auto_letter(&items, &settings))
            .into_iter()
            .filter(|(rule, _)| *rule != Rule::UniqueSet)
            .collect();
        prop_assert_eq!(made, rules_one_and_two_by_maps(&items, &settings));
    }
}
