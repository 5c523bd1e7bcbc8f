use super::*;
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn cents(c: i64) -> Amount {
    Amount::from_cents(c)
}

/// A ledger line of 411VERNET, 1 200,00 on 12/10/2026.
fn line() -> Fields<'static> {
    Fields {
        accounts: vec!["411000"],
        parties: vec!["VERNET", "Établissements Vernet"],
        journal: Some("VE"),
        amounts: vec![cents(120_000)],
        date: Some(d(2026, 10, 12)),
        status: Some(EntryStatus::Draft),
        open: None,
        text: vec!["Facture FA2026-00012", "Réparation pompe"],
    }
}

fn matches(query: &str) -> bool {
    Query::parse(query).unwrap().matches(&line())
}

#[test]
fn each_field_matches_what_it_names() {
    assert!(matches(""));
    assert!(matches("acct:411"));
    assert!(matches("acct:4110"));
    assert!(!matches("acct:641"));
    // A prefix, not a substring: 411 does not match 641100.
    let other = Fields {
        accounts: vec!["641100"],
        ..line()
    };
    assert!(!Query::parse("acct:411").unwrap().matches(&other));
    assert!(matches("party:vernet"));
    assert!(matches("party:etabl"));
    assert!(!matches("party:durand"));
    assert!(matches("journal:VE"));
    assert!(matches("journal:ve"));
    assert!(!matches("journal:V"));
    assert!(matches("status:draft"));
    assert!(!matches("status:validated"));
    assert!(matches("status:draft|validated"));
    assert!(matches("journal:AC|VE"));
}

#[test]
fn amounts_match_whatever_their_formatting() {
    for query in [
        "amt:1200",
        "amt:1200.00",
        "amt:1200,00",
        "amt:1 200,00",
        "amt:\"1 200,00\"",
        "amt:=1200",
        "amt:>500",
        "amt:>=1200",
        "amt:<=1200",
        "amt:<1200.01",
    ] {
        assert!(matches(query), "{query}");
    }
    for query in ["amt:120", "amt:>1200", "amt:<1200", "amt:12000"] {
        assert!(!matches(query), "{query}");
    }
    // The amount's digit groups stay together, the next word is a word.
    let q = Query::parse("amt:1 200,00 pompe").unwrap();
    assert_eq!(q.terms.len(), 2);
    assert!(q.matches(&line()));
}

#[test]
fn dates_months_years_and_ranges() {
    assert!(matches("date:2026-10"));
    assert!(matches("date:2026"));
    assert!(matches("date:2026-10-12"));
    assert!(matches("date:12/10/2026"));
    assert!(matches("date:2026-10-01..2026-10-15"));
    assert!(matches("date:2026-10-12.."));
    assert!(matches("date:..2026-10"));
    assert!(!matches("date:2026-11"));
    assert!(!matches("date:2026-10-13..2026-10-15"));
}

#[test]
fn words_are_anded_without_case_or_accents() {
    assert!(matches("reparation"));
    assert!(matches("RÉPARATION pompe"));
    assert!(matches("pompe acct:411 amt:1200"));
    assert!(!matches("pompe acct:401"));
    assert!(!matches("vernet unpaid"));
    assert!(matches("\"reparation pompe\""));
}

#[test]
fn not_negates_a_term() {
    assert!(matches("not:acct:6"));
    assert!(!matches("not:acct:4"));
    assert!(matches("not:status:validated"));
    assert!(!matches("not:pompe"));
    assert!(matches("not:open"));
}

#[test]
fn open_needs_a_list_that_knows() {
    let q = Query::parse("open").unwrap();
    assert!(!q.matches(&line()));
    let due = Fields {
        open: Some(true),
        ..line()
    };
    assert!(q.matches(&due));
    assert_eq!(q.unknown_field(&[Field::Account]), Some(Field::Open));
    assert_eq!(q.unknown_field(&[Field::Open]), None);
    assert_eq!(Query::parse("pompe").unwrap().unknown_field(&[]), None);
}

#[test]
fn malformed_terms_are_errors_naming_the_term() {
    for (query, term) in [
        ("amt:abc", "amt:abc"),
        ("amt:>", "amt:>"),
        ("amt:1,234", "amt:1,234"),
        ("date:2026-13", "date:2026-13"),
        ("date:2026-02-30", "date:2026-02-30"),
        ("date:2026-10-15..2026-10-01", "date:2026-10-15..2026-10-01"),
        ("status:pending", "status:pending"),
        ("acct:", "acct:"),
        ("not:", "not:"),
        ("pompe foo:bar", "foo:bar"),
        ("acct:4-1", "acct:4-1"),
    ] {
        let err = Query::parse(query).unwrap_err();
        assert_eq!(err.term, term, "{query}: {err}");
        assert!(err.to_string().starts_with(&format!("`{term}`")));
    }
    // A quoted word with a colon is text.
    let q = Query::parse("\"ref:12\"").unwrap();
    assert_eq!(q.terms[0].any_of, vec![Test::Text("ref:12".into())]);
}

proptest! {
    /// Any amount written plainly, with a comma, or grouped the French way, finds itself.
    #[test]
    fn an_amount_finds_itself_in_every_spelling(c in -10_000_000_000i64..10_000_000_000) {
        let amount = cents(c);
        let row = Fields { amounts: vec![amount], ..Fields::default() };
        for text in [amount.to_plain(), amount.to_comma(), amount.to_french()] {
            let query = Query::parse(&format!("amt:{text}")).unwrap();
            prop_assert!(query.matches(&row), "{}", text);
            let other = Fields { amounts: vec![cents(c + 1)], ..Fields::default() };
            prop_assert!(!query.matches(&other), "{}", text);
        }
    }

    /// `not:` always flips a term, and adding a term never finds more rows.
    #[test]
    fn not_flips_and_and_narrows(word in "[a-z]{1,6}", other in "[a-z]{1,6}", text in "[a-zé ]{0,30}") {
        let row = Fields { text: vec![text.as_str()], ..Fields::default() };
        let plain = Query::parse(&word).unwrap().matches(&row);
        let negated = Query::parse(&format!("not:{word}")).unwrap().matches(&row);
        prop_assert_ne!(plain, negated);
        let both = Query::parse(&format!("{word} {other}")).unwrap().matches(&row);
        prop_assert!(!both || plain);
    }

    /// Parsing never panics, whatever is typed.
    #[test]
    fn any_text_parses_or_fails_cleanly(text in "\\PC{0,60}") {
        let _ = Query::parse(&text);
    }
}

#[test]
fn a_cached_folded_text_is_used_as_is() {
    let q = Query::parse("pompe acct:411").unwrap();
    let row = Fields {
        text: Vec::new(),
        ..line()
    };
    assert!(q.matches_folded(&row, "reparation pompe"));
    assert!(!q.matches_folded(&row, "reparation vanne"));
    assert!(!q.matches(&row), "no text without the folded text");
}
