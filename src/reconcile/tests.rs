#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;

fn day(month: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, d).unwrap()
}

fn account() -> AccountNumber {
    AccountNumber::parse("512000").unwrap()
}

fn bank(key: u64, date: NaiveDate, cents: i64, label: &str) -> BankLineView {
    BankLineView {
        key,
        account: account(),
        booking_date: date,
        value_date: None,
        amount: Amount::from_cents(cents),
        label: label.to_string(),
        reference: None,
        counterparty_name: None,
        counterparty_iban: None,
        end_to_end_id: None,
        remittance: None,
    }
}

fn book(key: u64, date: NaiveDate, cents: i64, refs: &[&str], party: Option<&str>) -> BookLineView {
    BookLineView {
        key,
        date,
        amount: Amount::from_cents(cents),
        label: format!("line {key}"),
        references: refs.iter().map(|r| r.to_string()).collect(),
        party: party.map(str::to_string),
    }
}

fn party(code: &str, name: &str, kind: PartyKind, iban: Option<&str>) -> PartyView {
    PartyView {
        code: code.into(),
        name: name.into(),
        kind,
        iban: iban.map(str::to_string),
    }
}

fn invoice(key: u64, party: &str, number: &str, due: NaiveDate, cents: i64) -> OpenInvoiceView {
    OpenInvoiceView {
        key,
        party: party.into(),
        number: number.into(),
        reference: String::new(),
        date: due - chrono::Duration::days(30),
        due_date: Some(due),
        remaining: Amount::from_cents(cents),
    }
}

const CLUMEN_IBAN: &str = "FR7630006000011234567890189";

fn shown(found: &[Candidate]) -> Vec<(u8, String)> {
    found.iter().map(|c| (c.score, c.reason.clone())).collect()
}

#[test]
fn an_exact_unique_line_with_its_reference_and_party_scores_the_most() {
    let index = Index::new(
        vec![
            book(1, day(11, 3), 120_000, &["RC2026-00012"], Some("CLUMEN")),
            book(2, day(11, 4), 50_000, &[], None),
        ],
        vec![party(
            "CLUMEN",
            "Clumen SARL",
            PartyKind::Customer,
            Some(CLUMEN_IBAN),
        )],
        vec![],
    );
    let mut line = bank(7, day(11, 5), 120_000, "VIR SEPA CLUMEN RC2026-00012");
    line.counterparty_iban = Some("FR76 3000 6000 0112 3456 7890 189".into());
    let found = candidates(&line, &index, &Rules::default(), &Reconciliation::default());
    // 50 exact + 20 only line + 30 reference + 10 (2 days) + 20 IBAN + 10 name = 140, capped.
    assert_eq!(
        shown(&found),
        vec![(
            100,
            "exact 1 200,00 · only line of this amount · ref RC2026-00012 found · 2 days apart \
             · IBAN of CLUMEN · name of CLUMEN"
                .to_string()
        )]
    );
    assert_eq!(found[0].proposal, Proposal::BookLines { keys: vec![1] });
}

#[test]
fn two_lines_of_the_same_amount_are_told_apart_by_their_dates() {
    let index = Index::new(
        vec![
            book(1, day(11, 1), 30_000, &[], None),
            book(2, day(10, 20), 30_000, &[], None),
            // Out of the 30-day window: not proposed, and not counted against uniqueness.
            book(3, day(8, 1), 30_000, &[], None),
        ],
        vec![],
        vec![],
    );
    let line = bank(1, day(11, 2), 30_000, "REMISE");
    let found = candidates(&line, &index, &Rules::default(), &Reconciliation::default());
    // 50 exact + 10 (1 day); 50 exact + 3 (13 days).
    assert_eq!(
        shown(&found),
        vec![
            (60, "exact 300,00 · 1 day apart".to_string()),
            (53, "exact 300,00 · 13 days apart".to_string()),
        ]
    );
    assert_eq!(found[1].proposal.book_keys(), &[2]);
}

#[test]
fn the_value_date_counts_when_it_is_closer() {
    let index = Index::new(vec![book(1, day(11, 1), 30_000, &[], None)], vec![], vec![]);
    let mut line = bank(1, day(11, 12), 30_000, "X");
    line.value_date = Some(day(11, 2));
    let found = candidates(&line, &index, &Rules::default(), &Reconciliation::default());
    // 50 + 20 unique + 10 (1 day from the value date).
    assert_eq!(found[0].score, 80);
    assert!(found[0].reason.ends_with("1 day apart"));
}

#[test]
fn a_line_within_the_tolerance_scores_half_the_amount_points() {
    let index = Index::new(vec![book(1, day(11, 5), 9_960, &[], None)], vec![], vec![]);
    let line = bank(1, day(11, 5), 10_000, "X");
    let settings = Reconciliation {
        tolerance: Amount::from_cents(50),
        ..Reconciliation::default()
    };
    let found = candidates(&line, &index, &Rules::default(), &settings);
    // 25 within tolerance + 10 same day; no "only line" bonus without an exact amount.
    assert_eq!(
        shown(&found),
        vec![(35, "99,60 off by 0,40 · same day".to_string())]
    );
    let strict = candidates(&line, &index, &Rules::default(), &Reconciliation::default());
    assert!(strict.is_empty());
}

#[test]
fn a_deposit_of_several_cheques_is_found_by_the_subset_search() {
    let index = Index::new(
        vec![
            book(1, day(11, 2), 50_000, &[], None),
            book(2, day(11, 2), 70_000, &[], None),
            book(3, day(11, 3), 30_000, &[], None),
            book(4, day(11, 3), 25_000, &[], None),
            // Money out never joins a deposit.
            book(5, day(11, 3), -25_000, &[], None),
        ],
        vec![],
        vec![],
    );
    let line = bank(1, day(11, 4), 150_000, "REMISE CHEQUES");
    let found = candidates(&line, &index, &Rules::default(), &Reconciliation::default());
    // 50 exact + 10 (farthest line 2 days) − 5 for the third line.
    assert_eq!(
        shown(&found),
        vec![(55, "exact 1 500,00 in 3 lines · 2 days apart".to_string())]
    );
    assert_eq!(found[0].proposal.book_keys(), &[1, 2, 3]);
}

#[test]
fn a_batch_of_one_day_is_proposed_whole() {
    let index = Index::new(
        vec![
            book(1, day(11, 10), -10_000, &[], None),
            book(2, day(11, 10), -25_000, &[], None),
            book(3, day(11, 10), -65_000, &[], None),
            book(4, day(11, 10), 99_999, &[], None),
        ],
        vec![],
        vec![],
    );
    let line = bank(1, day(11, 10), -100_000, "PRLV SEPA LOT");
    let found = candidates(&line, &index, &Rules::default(), &Reconciliation::default());
    // The day's batch (50 + 10) wins over the same set found by the subset search (55).
    assert_eq!(
        shown(&found),
        vec![(
            60,
            "exact 1 000,00 in all 3 lines of 2026-11-10 · same day".to_string()
        )]
    );
    assert_eq!(found[0].proposal.book_keys(), &[1, 2, 3]);
}

#[test]
fn lines_sharing_a_reference_found_in_the_text_make_a_set() {
    let index = Index::new(
        vec![
            book(1, day(11, 2), 40_000, &["BORD-0042"], None),
            book(2, day(11, 3), 60_000, &["BORD-0042"], None),
            book(3, day(11, 3), 60_000, &[], None),
        ],
        vec![],
        vec![],
    );
    let line = bank(1, day(11, 20), 100_000, "REMISE BORD-0042");
    let found = candidates(&line, &index, &Rules::default(), &Reconciliation::default());
    // 50 exact + 30 reference + 3 (farthest 18 days).
    assert_eq!(
        found[0],
        Candidate {
            proposal: Proposal::BookLines { keys: vec![1, 2] },
            score: 83,
            reason: "exact 1 000,00 in 2 lines · ref BORD-0042 found · 18 days apart".into(),
            rule_min_score: None,
        }
    );
}

#[test]
fn a_supplier_recognised_by_iban_gets_a_payment_of_its_only_invoice_of_that_amount() {
    let ovh_iban = "FR7610107001011234567890129";
    let index = Index::new(
        vec![],
        vec![party("OVH", "OVH", PartyKind::Supplier, Some(ovh_iban))],
        vec![
            invoice(3, "OVH", "FF2026-00003", day(11, 1), 5_988),
            invoice(7, "OVH", "FF2026-00007", day(11, 15), 12_000),
        ],
    );
    let mut line = bank(1, day(11, 2), -5_988, "PRLV OVH");
    line.counterparty_iban = Some(ovh_iban.into());
    let found = candidates(&line, &index, &Rules::default(), &Reconciliation::default());
    // 50 exact + 20 only invoice + 20 IBAN + 10 name.
    assert_eq!(
        shown(&found),
        vec![(
            100,
            "exact 59,88 · only invoice of this amount (FF2026-00003) · IBAN of OVH · name of OVH"
                .to_string()
        )]
    );
    assert_eq!(
        found[0].proposal,
        Proposal::Payment {
            party: "OVH".into(),
            allocations: vec![(3, Amount::from_cents(5_988))],
        }
    );
    // Money in from a supplier is no payment of its invoices.
    let refund = bank(2, day(11, 2), 5_988, "OVH");
    assert!(
        candidates(
            &refund,
            &index,
            &Rules::default(),
            &Reconciliation::default()
        )
        .is_empty()
    );
}

#[test]
fn invoice_numbers_in_the_text_name_the_party_and_take_the_amount_oldest_first() {
    let index = Index::new(
        vec![],
        vec![party("CLUMEN", "Clumen", PartyKind::Customer, None)],
        vec![
            invoice(15, "CLUMEN", "FA2026-00015", day(11, 20), 50_000),
            invoice(12, "CLUMEN", "FA2026-00012", day(11, 10), 100_000),
            invoice(16, "CLUMEN", "FA2026-00016", day(11, 1), 10_000),
        ],
    );
    let line = bank(
        1,
        day(11, 25),
        120_000,
        "VIR FACT FA 2026-00012 ET FA2026-00015",
    );
    let found = candidates(&line, &index, &Rules::default(), &Reconciliation::default());
    // Amount short of the 1 500,00 due on the invoices named: 0; 30 reference.
    assert_eq!(
        shown(&found),
        vec![(
            30,
            "pays 1 200,00 of 1 500,00 due · ref FA2026-00012, FA2026-00015 found".to_string()
        )]
    );
    assert_eq!(
        found[0].proposal,
        Proposal::Payment {
            party: "CLUMEN".into(),
            allocations: vec![
                (12, Amount::from_cents(100_000)),
                (15, Amount::from_cents(20_000))
            ],
        }
    );
}

#[test]
fn a_set_of_invoices_making_the_amount_is_proposed_for_a_party_recognised_by_name() {
    let index = Index::new(
        vec![],
        vec![party(
            "DUPONT",
            "Établissements Dupont",
            PartyKind::Customer,
            None,
        )],
        vec![
            invoice(1, "DUPONT", "FA2026-00001", day(10, 1), 30_000),
            invoice(2, "DUPONT", "FA2026-00002", day(10, 15), 45_000),
            invoice(3, "DUPONT", "FA2026-00003", day(11, 1), 20_000),
        ],
    );
    let mut line = bank(1, day(11, 5), 50_000, "VIREMENT RECU");
    line.counterparty_name = Some("ETABLISSEMENTS DUPONT".into());
    let found = candidates(&line, &index, &Rules::default(), &Reconciliation::default());
    // 300 + 200 is the only set: 50 exact + 20 only set + 10 name.
    assert_eq!(
        shown(&found),
        vec![(
            80,
            "exact 500,00 · only set of 2 invoices of this amount · name of DUPONT".to_string()
        )]
    );
    assert_eq!(
        found[0].proposal,
        Proposal::Payment {
            party: "DUPONT".into(),
            allocations: vec![
                (1, Amount::from_cents(30_000)),
                (3, Amount::from_cents(20_000))
            ],
        }
    );
}

fn fee_rule() -> ReconciliationRule {
    ReconciliationRule {
        name: "FEES".into(),
        label_contains: Some("frais".into()),
        label_regex: None,
        amount_min: None,
        amount_max: Some(Amount::from_cents(5_000)),
        sign: Some(BankSign::Out),
        counterparty_iban: None,
        account: None,
        post_to: AccountNumber::parse("627000").unwrap(),
        tax: Some("TVA20".into()),
        party: None,
        label: "Frais bancaires {date}".into(),
        min_score: Some(90),
    }
}

#[test]
fn a_rule_scores_by_its_conditions_and_fills_its_label() {
    let rules = Rules::new(&[fee_rule()]).unwrap();
    let index = Index::default();
    let line = bank(1, day(11, 30), -1_250, "Frais tenue de compte");
    let found = candidates(&line, &index, &rules, &Reconciliation::default());
    // 40 + 30 label + 15 amount range + 5 sign.
    assert_eq!(
        found,
        vec![Candidate {
            proposal: Proposal::Rule {
                rule: "FEES".into(),
                post_to: AccountNumber::parse("627000").unwrap(),
                tax: Some("TVA20".into()),
                party: None,
                label: "Frais bancaires 2026-11-30".into(),
            },
            score: 90,
            reason: "rule FEES · label contains \"frais\" · amount in […; 50,00] · money out"
                .into(),
            rule_min_score: Some(90),
        }]
    );
    for other in [
        bank(2, day(11, 30), 1_250, "FRAIS"),
        bank(3, day(11, 30), -5_001, "FRAIS"),
        bank(4, day(11, 30), -1_250, "COTISATION"),
    ] {
        assert!(candidates(&other, &index, &rules, &Reconciliation::default()).is_empty());
    }
}

#[test]
fn rule_conditions_ignore_case_and_accents_and_take_regular_expressions() {
    let mut rule = fee_rule();
    rule.label_contains = Some("prélevés".into());
    rule.sign = None;
    rule.amount_max = None;
    rule.label_regex = Some(r"^frais\s+\S+\s+PRELEVES".into());
    let rules = Rules::new(&[rule]).unwrap();
    let line = bank(1, day(11, 30), -1_250, "FRAIS CB PRELEVES");
    let found = candidates(&line, &Index::default(), &rules, &Reconciliation::default());
    // 40 + 30 contains + 30 regex.
    assert_eq!(found[0].score, 100);
    assert_eq!(
        found[0].reason,
        "rule FEES · label contains \"prélevés\" · label matches /^frais\\s+\\S+\\s+PRELEVES/"
    );
    let mut other_account = fee_rule();
    other_account.account = Some(AccountNumber::parse("512100").unwrap());
    let rules = Rules::new(&[other_account]).unwrap();
    assert!(candidates(&line, &Index::default(), &rules, &Reconciliation::default()).is_empty());
}

#[test]
fn a_bad_regular_expression_names_the_rule_and_field() {
    let mut rule = fee_rule();
    rule.label_regex = Some("(unclosed".into());
    let err = Rules::new(&[fee_rule(), rule]).unwrap_err();
    assert_eq!(err.key, "reconciliation.rules[1].label_regex");
    assert!(
        err.reason
            .starts_with("rule FEES: not a valid regular expression"),
        "{err}"
    );
}

#[test]
fn the_label_template_takes_every_field() {
    let mut line = bank(1, day(11, 30), -1_250, "CB AMAZON");
    line.reference = Some("REF9".into());
    line.counterparty_name = Some("AMAZON EU".into());
    assert_eq!(
        render_label(
            "{rule}: {label} {amount} {date} {reference} {counterparty} {x}",
            &line,
            "R"
        ),
        "R: CB AMAZON 12.50 2026-11-30 REF9 AMAZON EU {x}"
    );
}

#[test]
fn the_plan_never_uses_a_book_line_twice_and_skips_ties() {
    let index = Index::new(
        vec![
            book(1, day(11, 5), 30_000, &[], None),
            book(2, day(11, 5), 45_000, &[], None),
            book(3, day(11, 5), 45_000, &[], None),
        ],
        vec![],
        vec![],
    );
    let lines = vec![
        bank(10, day(11, 5), 30_000, "A"),
        bank(11, day(11, 6), 30_000, "B"),
        bank(12, day(11, 5), 45_000, "C"),
    ];
    let settings = Reconciliation::default();
    let plan = plan(&lines, &index, &Rules::default(), &settings, 50);
    // Line 10 (80, same day) wins book line 1 over line 11 (80 too, 1 day): same score, first
    // given. Line 12 has two lines of 45,00 the same day: a tie.
    assert_eq!(plan.applied.len(), 1);
    assert_eq!(plan.applied[0].line, 10);
    assert_eq!(plan.applied[0].candidate.proposal.book_keys(), &[1]);
    assert_eq!(
        plan.skipped,
        vec![(11, Skipped::Taken), (12, Skipped::Ambiguous { score: 60 })]
    );
    let strict = super::plan(&lines, &index, &Rules::default(), &settings, 81);
    assert!(strict.applied.is_empty());
    assert_eq!(
        strict.skipped[0],
        (10, Skipped::BelowScore { best: Some(80) })
    );
}

#[test]
fn a_rule_waits_for_its_own_minimum_score() {
    let mut rule = fee_rule();
    rule.min_score = Some(95);
    let rules = Rules::new(&[rule]).unwrap();
    let lines = vec![bank(1, day(11, 30), -1_250, "FRAIS")];
    let plan = plan(
        &lines,
        &Index::default(),
        &rules,
        &Reconciliation::default(),
        80,
    );
    assert!(plan.applied.is_empty());
    assert_eq!(
        plan.skipped,
        vec![(1, Skipped::BelowScore { best: Some(90) })]
    );
}

#[test]
fn the_party_is_recognised_by_iban_before_name() {
    let index = Index::new(
        vec![],
        vec![
            party("A", "Alpha", PartyKind::Customer, Some(CLUMEN_IBAN)),
            party("B", "Beta", PartyKind::Customer, None),
        ],
        vec![],
    );
    let mut line = bank(1, day(11, 1), 100, "VIR BETA");
    assert_eq!(
        recognised_party(&line, &index),
        Some(("B".into(), Recognition::Name))
    );
    line.counterparty_iban = Some(CLUMEN_IBAN.into());
    assert_eq!(
        recognised_party(&line, &index),
        Some(("A".into(), Recognition::Iban))
    );
    // "BETAX" is not the word BETA.
    let other = bank(2, day(11, 1), 100, "VIR BETAX");
    assert_eq!(recognised_party(&other, &index), None);
}

#[test]
fn references_and_names_are_normalized() {
    assert_eq!(
        normalize_reference("fa2026-00012").as_deref(),
        Some("FA202600012")
    );
    assert_eq!(normalize_reference("ABCD"), None);
    assert_eq!(normalize_reference("A1"), None);
    assert_eq!(name_key("Société Générale SA").as_deref(), Some("GENERALE"));
    assert_eq!(name_key("SA"), None);
}

fn book_lines_strategy() -> impl Strategy<Value = Vec<BookLineView>> {
    prop::collection::vec(
        (
            0u32..20,
            prop::sample::select(vec![
                1_000i64, 2_500, 4_000, 5_000, 7_500, -1_000, -2_500, -6_000,
            ]),
            prop::option::of(0u8..4),
        ),
        0..40,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(k, (d, cents, reference))| {
                let references: Vec<String> =
                    reference.map(|r| format!("LOT-{r}0")).into_iter().collect();
                BookLineView {
                    key: k as u64 + 1,
                    date: day(11, 1) + chrono::Duration::days(i64::from(d)),
                    amount: Amount::from_cents(cents),
                    label: String::new(),
                    references,
                    party: None,
                }
            })
            .collect()
    })
}

fn bank_lines_strategy() -> impl Strategy<Value = Vec<BankLineView>> {
    prop::collection::vec(
        (
            0u32..20,
            prop::sample::select(vec![
                1_000i64, 3_500, 5_000, 6_500, 9_000, 12_000, -1_000, -3_500, -8_500,
            ]),
            prop::option::of(0u8..4),
        ),
        1..15,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(k, (d, cents, reference))| {
                let label = reference
                    .map(|r| format!("REMISE LOT-{r}0"))
                    .unwrap_or_default();
                bank(
                    100 + k as u64,
                    day(11, 1) + chrono::Duration::days(i64::from(d)),
                    cents,
                    &label,
                )
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn an_applied_plan_uses_each_book_line_once_and_sets_sum_exactly(
        book_lines in book_lines_strategy(),
        bank_lines in bank_lines_strategy(),
        min_score in 0u8..90,
    ) {
        let index = Index::new(book_lines.clone(), vec![], vec![]);
        let plan = plan(&bank_lines, &index, &Rules::default(), &Reconciliation::default(), min_score);
        let mut used = BTreeSet::new();
        for planned in &plan.applied {
            let line = bank_lines.iter().find(|l| l.key == planned.line).unwrap();
            let keys = planned.candidate.proposal.book_keys();
            prop_assert!(!keys.is_empty());
            let mut sum = 0i64;
            for key in keys {
                prop_assert!(used.insert(*key), "book line {} used twice", key);
                sum += book_lines.iter().find(|b| b.key == *key).unwrap().amount.cents();
            }
            prop_assert_eq!(sum, line.amount.cents());
            prop_assert!(planned.candidate.score >= min_score);
        }
        prop_assert_eq!(plan.applied.len() + plan.skipped.len(), bank_lines.len());
    }

    #[test]
    fn candidates_do_not_depend_on_the_order_of_the_index(
        book_lines in book_lines_strategy(),
        bank_lines in bank_lines_strategy(),
    ) {
        let forward = Index::new(book_lines.clone(), vec![], vec![]);
        let mut reversed_lines = book_lines.clone();
        reversed_lines.reverse();
        let backward = Index::new(reversed_lines, vec![], vec![]);
        let settings = Reconciliation::default();
        for line in &bank_lines {
            let a = candidates(line, &forward, &Rules::default(), &settings);
            let b = candidates(line, &backward, &Rules::default(), &settings);
            prop_assert_eq!(&a, &b);
            for candidate in &a {
                let keys = candidate.proposal.book_keys();
                let distinct: BTreeSet<&u64> = keys.iter().collect();
                prop_assert_eq!(distinct.len(), keys.len());
                if keys.len() > 1 {
                    let sum: i64 = keys.iter().map(|k| book_lines.iter().find(|b| b.key == *k).unwrap().amount.cents()).sum();
                    prop_assert_eq!(sum, line.amount.cents());
                }
            }
        }
    }

    #[test]
    fn removing_book_lines_from_an_index_is_indexing_without_them(
        book_lines in book_lines_strategy(),
        bank_lines in bank_lines_strategy(),
        removed in prop::collection::vec(0usize..40, 0..8),
    ) {
        let gone: Vec<u64> = removed
            .iter()
            .filter_map(|&i| book_lines.get(i).map(|b| b.key))
            .collect();
        let mut edited = Index::new(book_lines.clone(), vec![], vec![]);
        edited.remove_book_lines(&gone);
        // Twice is once.
        edited.remove_book_lines(&gone);
        let kept: Vec<BookLineView> = book_lines
            .iter()
            .filter(|b| !gone.contains(&b.key))
            .cloned()
            .collect();
        let fresh = Index::new(kept, vec![], vec![]);
        let settings = Reconciliation::default();
        for line in &bank_lines {
            let a = candidates(line, &edited, &Rules::default(), &settings);
            let b = candidates(line, &fresh, &Rules::default(), &settings);
            prop_assert_eq!(&a, &b);
        }
    }
}

fn collection(key: u64, invoice: &str, cents: i64) -> CollectionView {
    CollectionView {
        key,
        party: "CVERNET".into(),
        invoice: invoice.into(),
        end_to_end_id: invoice.into(),
        amount: Amount::from_cents(cents),
    }
}

#[test]
fn a_returned_debit_names_its_invoice_and_reason_and_scores_the_most() {
    let index = Index::new(vec![], vec![], vec![]).with_collections(vec![
        collection(31, "FA2026-00062", 148_075),
        collection(32, "FA2026-00118", 113_282),
    ]);
    let settings = Reconciliation::default();
    // CAMT.053: the end-to-end id, the reason kept in the remittance.
    let mut line = bank(1, day(12, 14), -113_282, "RETOUR PRLV SEPA");
    line.end_to_end_id = Some("FA2026-00118".into());
    line.remittance = Some("return reason MD06".into());
    let found = candidates(&line, &index, &Rules::default(), &settings);
    // 50 exact + 30 end-to-end id + 20 only collection of that id.
    assert_eq!(
        shown(&found),
        vec![(
            100,
            "rejected direct debit of FA2026-00118 (MD06) · exact 1 132,82 · end-to-end id \
             FA2026-00118 found · only collection of that id"
                .to_string()
        )]
    );
    assert_eq!(
        found[0].proposal,
        Proposal::Rejection {
            payment: 32,
            reason: Some("MD06".into())
        }
    );
    // CFONB: no end-to-end id, the invoice number in the label.
    let line = bank(2, day(12, 14), -148_075, "RET PRLV FA2026-00062 AM04");
    let found = candidates(&line, &index, &Rules::default(), &settings);
    assert_eq!(
        found[0].proposal,
        Proposal::Rejection {
            payment: 31,
            reason: Some("AM04".into())
        }
    );
    // Not for money in (the batch's credit), nor for another amount.
    let mut credit = bank(3, day(12, 10), 113_282, "REMISE PRLV");
    credit.end_to_end_id = Some("FA2026-00118".into());
    assert!(candidates(&credit, &index, &Rules::default(), &settings).is_empty());
    let mut partial = bank(4, day(12, 14), -100_000, "RETOUR PRLV SEPA");
    partial.end_to_end_id = Some("FA2026-00118".into());
    assert!(
        candidates(&partial, &index, &Rules::default(), &settings)
            .iter()
            .all(|c| !matches!(c.proposal, Proposal::Rejection { .. }))
    );
}

#[test]
fn a_plan_returns_each_collection_once() {
    let index = Index::new(vec![], vec![], vec![]).with_collections(vec![collection(
        31,
        "FA2026-00062",
        148_075,
    )]);
    let mut lines = Vec::new();
    for key in [1, 2] {
        let mut line = bank(key, day(12, 14), -148_075, "RETOUR PRLV SEPA");
        line.end_to_end_id = Some("FA2026-00062".into());
        lines.push(line);
    }
    let planned = plan(
        &lines,
        &index,
        &Rules::default(),
        &Reconciliation::default(),
        80,
    );
    assert_eq!(planned.applied.len(), 1);
    assert_eq!(planned.applied[0].line, 1);
    assert_eq!(planned.skipped, vec![(2, Skipped::Taken)]);
}
