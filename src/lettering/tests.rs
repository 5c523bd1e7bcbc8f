use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
}

fn acct(n: &str) -> AccountNumber {
    AccountNumber::parse(n).unwrap()
}

fn line(entry: EntryId, debit: i64, credit: i64) -> Candidate {
    Candidate {
        at: LineRef { entry, line: 1 },
        name: format!("VE2026-{entry:06}/2"),
        account: acct("411000"),
        letterable: true,
        party: Some("CLI001".into()),
        validated: true,
        debit: Amount::from_cents(debit),
        credit: Amount::from_cents(credit),
        lettered: None,
    }
}

#[test]
fn codes_run_aa_to_zz_then_aaa() {
    assert_eq!(code_of(0), "AA");
    assert_eq!(code_of(1), "AB");
    assert_eq!(code_of(25), "AZ");
    assert_eq!(code_of(26), "BA");
    assert_eq!(code_of(675), "ZZ");
    assert_eq!(code_of(676), "AAA");
    assert_eq!(code_of(676 + 17_575), "ZZZ");
    assert_eq!(code_of(676 + 17_576), "AAAA");
    assert_eq!(display_code(1, false), "ab");
    assert_eq!(parse_code("AB"), Ok((1, true)));
    assert_eq!(parse_code("aaa"), Ok((676, false)));
    assert!(parse_code("Ab").is_err());
    assert!(parse_code("A").is_err());
    assert!(parse_code("A1").is_err());
}

#[test]
fn payment_against_two_invoices_partial_then_complete() {
    let mut book = AccountLettering::default();
    let invoice1 = line(1, 120_000, 0);
    let invoice2 = line(2, 60_000, 0);
    let payment = line(3, 0, 150_000);
    let group = book.letter(&[invoice1, payment], day(10), "anne").unwrap();
    assert_eq!(group.code(), "aa");
    assert_eq!(group.remainder(), Amount::from_cents(-30_000));
    let payment2 = line(4, 0, 30_000);
    let group = book
        .extend(0, &[invoice2, payment2], day(12), "bob")
        .unwrap();
    assert_eq!(group.code(), "AA");
    assert_eq!(group.date, day(12));
    assert_eq!(group.user, "bob");
    assert!(!book.is_open(LineRef { entry: 1, line: 1 }));
    let err = book
        .extend(0, &[line(5, 0, 1)], day(13), "bob")
        .unwrap_err();
    assert_eq!(err, LetterError::AlreadyComplete("AA".into()));
    let next = book.letter(&[line(6, 100, 0), line(7, 0, 100)], day(14), "anne");
    assert_eq!(next.unwrap().code(), "AB");
}

#[test]
fn refusals() {
    let mut book = AccountLettering::default();
    assert_eq!(
        book.letter(&[line(1, 1, 0)], day(1), "u").unwrap_err(),
        LetterError::TooFewLines
    );
    assert!(matches!(
        book.letter(&[line(1, 1, 0), line(1, 1, 0)], day(1), "u"),
        Err(LetterError::Duplicate(_))
    ));
    let mut draft = line(2, 0, 1);
    draft.validated = false;
    assert!(matches!(
        book.letter(&[line(1, 1, 0), draft], day(1), "u"),
        Err(LetterError::NotValidated(_))
    ));
    let mut other = line(2, 0, 1);
    other.party = Some("CLI002".into());
    assert!(matches!(
        book.letter(&[line(1, 1, 0), other], day(1), "u"),
        Err(LetterError::MixedParties { .. })
    ));
    let mut bank = line(2, 0, 1);
    bank.account = acct("512000");
    bank.letterable = false;
    assert!(matches!(
        book.letter(&[line(1, 1, 0), bank], day(1), "u"),
        Err(LetterError::MixedAccounts { .. })
    ));
    let mut lettered = line(2, 0, 1);
    lettered.lettered = Some("AC".into());
    assert!(matches!(
        book.letter(&[line(1, 1, 0), lettered], day(1), "u"),
        Err(LetterError::AlreadyLettered { .. })
    ));
    let mut not_letterable = line(1, 1, 0);
    not_letterable.letterable = false;
    let mut not_letterable2 = line(2, 0, 1);
    not_letterable2.letterable = false;
    assert!(matches!(
        book.letter(&[not_letterable, not_letterable2], day(1), "u"),
        Err(LetterError::NotLetterable { .. })
    ));
    // Nothing was given a code by the refusals.
    assert_eq!(book.next, 0);
    assert!(book.groups.is_empty());
}

proptest! {
    /// Whatever is lettered and unlettered: complete groups balance, codes are never given twice
    /// and unlettering restores the lines as open items.
    #[test]
    fn lettering_and_unlettering(
        ops in prop::collection::vec((prop::collection::vec(-50_000i64..50_000, 2..5), any::<bool>(), any::<bool>()), 1..30)
    ) {
        let mut book = AccountLettering::default();
        let mut given = std::collections::BTreeSet::new();
        let mut entry = 0u64;
        for (amounts, balanced, undo) in ops {
            let mut lines: Vec<Candidate> = amounts
                .iter()
                .map(|a| {
                    entry += 1;
                    line(entry, (*a).max(0), (-*a).max(0))
                })
                .collect();
            if balanced {
                let sum: i64 = amounts.iter().sum();
                entry += 1;
                lines.push(line(entry, (-sum).max(0), sum.max(0)));
            }
            let group = book.letter(&lines, day(1), "u").unwrap().clone();
            prop_assert!(given.insert(group.code().to_uppercase()));
            if balanced {
                prop_assert!(group.is_complete());
                prop_assert_eq!(group.code(), group.code().to_uppercase());
            }
            if group.is_complete() {
                prop_assert!(balance(&group.lines).unwrap().is_zero());
                prop_assert!(lines.iter().all(|l| !book.is_open(l.at)));
            }
            if undo {
                book.unletter(group.seq).unwrap();
                prop_assert!(lines.iter().all(|l| book.is_open(l.at) && book.group_of(l.at).is_none()));
            }
            prop_assert!(structural_problems(&acct("411000"), &book).is_empty());
        }
    }

    #[test]
    fn codes_round_trip(seq in 0u64..10_000_000) {
        let code = code_of(seq);
        prop_assert_eq!(parse_code(&code), Ok((seq, true)));
        prop_assert_eq!(parse_code(&code.to_lowercase()), Ok((seq, false)));
        if seq > 0 {
            prop_assert!(code_of(seq - 1) != code);
        }
    }
}
