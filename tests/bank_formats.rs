//! Bank statement readers against the sample files in fixtures/statements/, and arbitrary input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use folio::formats::bank::{self, CsvProfile, Format, Statement, detect};
use folio::model::Amount;
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/statements/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn profile(name: &str) -> CsvProfile {
    let text = String::from_utf8(fixture(&format!("profiles/{name}.toml"))).unwrap();
    CsvProfile::from_toml(&text, name).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn cents(amount: Option<Amount>) -> Option<i64> {
    amount.map(Amount::cents)
}

/// Reads a fixture after checking that `auto` recognises its format.
fn read(name: &str, format: Format) -> Vec<Statement> {
    let data = fixture(name);
    assert_eq!(detect(&data), Some(format), "{name}");
    bank::parse(format, &data, name, None).unwrap()
}

fn assert_balanced(statements: &[Statement]) {
    for statement in statements {
        assert_eq!(
            statement.balance_difference(),
            Some(Amount::ZERO),
            "{}",
            statement.id
        );
        assert_eq!(statement.currency, "EUR");
    }
}

#[test]
fn cfonb_file_with_two_accounts() {
    let statements = read("cfonb120-two-accounts.txt", Format::Cfonb120);
    assert_eq!(statements.len(), 2);
    assert_balanced(&statements);
    let first = &statements[0];
    let rib = first.account.rib.as_ref().unwrap();
    assert_eq!(
        (rib.bank.as_str(), rib.branch.as_str(), rib.account.as_str()),
        ("30004", "00123", "00012345678")
    );
    assert_eq!(first.period, (day(2026, 10, 31), day(2026, 11, 30)));
    assert_eq!(cents(first.opening), Some(1_500_000));
    assert_eq!(cents(first.closing), Some(1_272_972));
    assert_eq!(first.lines.len(), 3);
    let transfer = &first.lines[0];
    assert_eq!(transfer.amount.cents(), 120_500);
    assert_eq!(transfer.label, "VIR SEPA RECU DUPONT SARL");
    assert_eq!(transfer.counterparty_name.as_deref(), Some("DUPONT SARL"));
    assert_eq!(
        transfer.remittance.as_deref(),
        Some("FACTURES F2026-0101 F2026-0107")
    );
    assert_eq!(transfer.end_to_end_id.as_deref(), Some("E2E-DUPONT-0101"));
    assert_eq!(transfer.reference.as_deref(), Some("VRB2611020001"));
    assert_eq!(transfer.source_line, 2);
    // The movement repeats another bank code: it still belongs to the statement opened above.
    let debit = &first.lines[1];
    assert_eq!(debit.amount.cents(), -345_678);
    assert_eq!(debit.label, "PRÉLÈVEMENT URSSAF");
    assert_eq!(
        debit.counterparty_name.as_deref(),
        Some("URSSAF ÎLE-DE-FRANCE")
    );
    let fee = &first.lines[2];
    assert_eq!(
        (fee.booking_date, fee.value_date),
        (day(2026, 11, 30), Some(day(2026, 12, 1)))
    );
    assert_eq!(fee.reference, None);
    let second = &statements[1];
    assert_eq!(second.account.rib.as_ref().unwrap().bank, "30003");
    assert_eq!(cents(second.opening), Some(-25_000));
    assert_eq!(second.lines.len(), 1);
    assert_ne!(first.id, second.id);
}

#[test]
fn cfonb_file_without_line_breaks() {
    let statements = read("cfonb120-no-breaks.txt", Format::Cfonb120);
    assert_eq!(statements.len(), 1);
    assert_balanced(&statements);
    let lines = &statements[0].lines;
    assert_eq!(lines[0].counterparty_name.as_deref(), Some("MARTIN & FILS"));
    assert_eq!(lines[1].label, "CHÈQUE 0001234");
    assert_eq!(lines[1].amount.cents(), -12_345);
    // Record numbers stand for lines.
    assert_eq!(lines[1].source_line, 4);
}

#[test]
fn cfonb_errors_in_a_flat_file_give_record_and_byte() {
    let mut data = fixture("cfonb120-no-breaks.txt");
    // Record 4 (a movement), amount's last character at position 103.
    data[3 * 120 + 103] = b'Z';
    let err = bank::parse(Format::Cfonb120, &data, "flat.txt", None).unwrap_err();
    assert_eq!(
        (err.file.as_str(), err.line, err.field.as_str()),
        ("flat.txt", 4, "amount")
    );
    assert!(err.reason.contains("record 4 at byte 360"), "{err}");
}

#[test]
fn cfonb_in_another_currency_is_refused() {
    let data = fixture("cfonb120-two-accounts.txt");
    let text: Vec<u8> = String::from_utf8_lossy(&data)
        .replacen("EUR", "CHF", 1)
        .into_bytes();
    let err = bank::parse(Format::Cfonb120, &text, "chf.txt", None).unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (1, "currency"));
    assert!(err.reason.contains("CHF"), "{err}");
}

#[test]
fn camt_with_two_statements() {
    let statements = read("camt053-two-statements.xml", Format::Camt053);
    assert_eq!(statements.len(), 2);
    assert_balanced(&statements);
    let first = &statements[0];
    assert_eq!(first.id, "STMT-2026-11-A");
    assert_eq!(
        first.account.iban.as_deref(),
        Some("FR7630006000011234567890189")
    );
    assert_eq!(first.account.rib.as_ref().unwrap().bank, "30006");
    assert_eq!(first.period, (day(2026, 11, 1), day(2026, 11, 30)));
    // The pending entry is not a statement line.
    assert_eq!(first.lines.len(), 3);
    let transfer = &first.lines[0];
    assert_eq!(transfer.amount.cents(), 240_000);
    assert_eq!(transfer.label, "VIR SEPA LEROY ET ASSOCIES");
    assert_eq!(
        transfer.counterparty_name.as_deref(),
        Some("Leroy & Associés")
    );
    assert_eq!(
        transfer.counterparty_iban.as_deref(),
        Some("FR1420041010050500013M02606")
    );
    assert_eq!(
        transfer.end_to_end_id.as_deref(),
        Some("E2E-LEROY-F2026-0140")
    );
    assert_eq!(
        transfer.remittance.as_deref(),
        Some("F2026-0140 F2026-0151")
    );
    assert_eq!(transfer.reference.as_deref(), Some("2026110400017"));
    // A batch entry stays one line with its details.
    let batch = &first.lines[1];
    assert_eq!(batch.amount.cents(), -115_000);
    assert_eq!(
        batch.end_to_end_id.as_deref(),
        Some("LOYER-2026-11 CHARGES-2026-11")
    );
    assert_eq!(
        batch.remittance.as_deref(),
        Some("Loyer novembre Charges novembre")
    );
    assert_eq!(batch.counterparty_name.as_deref(), Some("SCI Les Tilleuls"));
    let second = &statements[1];
    assert_eq!(cents(second.opening), Some(-12_000));
    assert_eq!(second.period, (day(2026, 10, 31), day(2026, 11, 30)));
    assert_eq!(second.lines[0].value_date, Some(day(2026, 11, 13)));
}

#[test]
fn camt_refuses_doctype_and_names_paths() {
    let data = String::from_utf8(fixture("camt053-two-statements.xml")).unwrap();
    let with_dtd = data.replacen(
        "<Document",
        "<!DOCTYPE Document [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<Document",
        1,
    );
    let err = bank::parse(Format::Camt053, with_dtd.as_bytes(), "dtd.xml", None).unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (2, "DOCTYPE"));
    let usd = data.replacen("<Amt Ccy=\"EUR\">2400.00", "<Amt Ccy=\"USD\">2400.00", 1);
    let err = bank::parse(Format::Camt053, usd.as_bytes(), "usd.xml", None).unwrap_err();
    assert_eq!(err.field, "Document/BkToCstmrStmt/Stmt/Ntry/Amt@Ccy");
    assert!(err.reason.contains("USD"), "{err}");
    let bad_date = data.replacen("2026-11-05</Dt></BookgDt>", "2026-11-31</Dt></BookgDt>", 1);
    let err = bank::parse(Format::Camt053, bad_date.as_bytes(), "d.xml", None).unwrap_err();
    assert_eq!(err.field, "Document/BkToCstmrStmt/Stmt/Ntry/BookgDt/Dt");
    assert_eq!(err.line, 57);
    let truncated = &data.as_bytes()[..data.len() / 2];
    let err = bank::parse(Format::Camt053, truncated, "cut.xml", None).unwrap_err();
    assert_eq!(err.file, "cut.xml");
}

#[test]
fn ofx1_sgml_with_comma_decimals() {
    let statements = read("ofx1-comma-decimal.ofx", Format::Ofx);
    assert_eq!(statements.len(), 1);
    let statement = &statements[0];
    assert_eq!(statement.opening, None);
    assert_eq!(cents(statement.closing), Some(1_014_360));
    assert_eq!(statement.period, (day(2026, 11, 1), day(2026, 11, 30)));
    let rib = statement.account.rib.as_ref().unwrap();
    assert_eq!(
        (rib.bank.as_str(), rib.branch.as_str(), rib.account.as_str()),
        ("30004", "00123", "00012345678")
    );
    let amounts: Vec<i64> = statement.lines.iter().map(|l| l.amount.cents()).collect();
    assert_eq!(amounts, [120_500, -4_890, -1_250]);
    assert_eq!(statement.lines[0].label, "VIR SEPA DUPONT SARL F2026-0101");
    assert_eq!(
        statement.lines[0].reference.as_deref(),
        Some("8D5F2026110300001")
    );
    // Windows-1252 text and SGML entities.
    assert_eq!(statement.lines[1].label, "CB PAPETERIE DÉPÔT");
    assert_eq!(statement.lines[2].label, "FRAIS & COMMISSIONS");
    assert_eq!(statement.lines[0].source_line, 40);
}

#[test]
fn ofx2_xml_bank_and_credit_card() {
    let statements = read("ofx2-bank-and-card.ofx", Format::Ofx);
    assert_eq!(statements.len(), 2);
    let bank_statement = &statements[0];
    assert_eq!(
        bank_statement.account.iban.as_deref(),
        Some("FR7630003012340009876543264")
    );
    assert_eq!(bank_statement.lines[0].amount.cents(), 360_000);
    assert_eq!(bank_statement.lines[0].value_date, Some(day(2026, 11, 11)));
    assert_eq!(
        bank_statement.lines[1].reference.as_deref(),
        Some("CK-0004571")
    );
    assert_eq!(cents(bank_statement.closing), Some(535_000));
    let card = &statements[1];
    assert_eq!(card.account.number.as_deref(), Some("4974XXXXXXXX1234"));
    assert_eq!(card.lines[0].amount.cents(), -8_999);
    assert_eq!(card.lines[0].source_line, 63);
}

#[test]
fn ofx_errors_name_the_element() {
    let data = String::from_utf8(fixture("ofx2-bank-and-card.ofx")).unwrap();
    let bad = data.replacen("<TRNAMT>-750.00", "<TRNAMT>-750.001", 1);
    let err = bank::parse(Format::Ofx, bad.as_bytes(), "b.ofx", None).unwrap_err();
    assert_eq!(err.line, 38);
    assert_eq!(
        err.field,
        "OFX/BANKMSGSRSV1/STMTTRNRS/STMTRS/BANKTRANLIST/STMTTRN/TRNAMT"
    );
    let gbp = data.replacen("<CURDEF>EUR", "<CURDEF>GBP", 1);
    let err = bank::parse(Format::Ofx, gbp.as_bytes(), "b.ofx", None).unwrap_err();
    assert!(err.reason.contains("GBP"), "{err}");
}

#[test]
fn mt940_with_two_statements() {
    let statements = read("mt940-two-statements.sta", Format::Mt940);
    assert_eq!(statements.len(), 2);
    assert_balanced(&statements);
    let first = &statements[0];
    assert_eq!(first.id, "STMT20261130A/00011/001");
    assert_eq!(
        first.account.iban.as_deref(),
        Some("FR7630004001230001234567889")
    );
    assert_eq!(first.period, (day(2026, 10, 31), day(2026, 11, 30)));
    let transfer = &first.lines[0];
    assert_eq!(transfer.amount.cents(), 120_500);
    assert_eq!(transfer.end_to_end_id.as_deref(), Some("E2E-DUPONT-0101"));
    assert_eq!(transfer.counterparty_name.as_deref(), Some("DUPONT SARL"));
    assert_eq!(
        transfer.counterparty_iban.as_deref(),
        Some("FR1420041010050500013M02606")
    );
    assert_eq!(
        transfer.remittance.as_deref(),
        Some("FACTURES F2026-0101 F2026-0107")
    );
    assert_eq!(transfer.reference.as_deref(), Some("VRB2611020001"));
    assert_eq!(
        first.lines[1].label,
        "PRELEVEMENT URSSAF COTISATIONS OCTOBRE"
    );
    assert_eq!(first.lines[2].reference, None);
    let second = &statements[1];
    let rib = second.account.rib.as_ref().unwrap();
    assert_eq!(
        (rib.bank.as_str(), rib.branch.as_str(), rib.account.as_str()),
        ("30003", "01234", "00098765432")
    );
    assert_eq!(cents(second.opening), Some(-25_000));
    assert_eq!(second.lines[0].source_line, 21);
}

#[test]
fn csv_profiles_read_their_sample_exports() {
    let expected = [120_500, -345_678, -1_850];
    for (name, format_detected) in [
        ("credit-agricole", true),
        ("societe-generale", true),
        ("boursorama", true),
    ] {
        let data = fixture(&format!("csv/{name}.csv"));
        if format_detected {
            assert_eq!(detect(&data), Some(Format::Csv), "{name}");
        }
        let profile = profile(name);
        let statements = bank::parse(Format::Csv, &data, name, Some(&profile)).unwrap();
        assert_eq!(statements.len(), 1);
        let statement = &statements[0];
        assert_eq!(
            statement.period,
            (day(2026, 11, 2), day(2026, 11, 30)),
            "{name}"
        );
        let mut amounts: Vec<i64> = statement.lines.iter().map(|l| l.amount.cents()).collect();
        amounts.sort_by_key(|c| std::cmp::Reverse(*c));
        let mut sorted = expected;
        sorted.sort_by_key(|c| std::cmp::Reverse(*c));
        assert_eq!(amounts, sorted, "{name}");
    }
    let data = fixture("csv/credit-agricole.csv");
    let statement =
        &bank::parse(Format::Csv, &data, "ca", Some(&profile("credit-agricole"))).unwrap()[0];
    assert_eq!(
        statement.lines[0].label,
        "VIREMENT EN VOTRE FAVEUR DUPONT SARL F2026-0101"
    );
    assert_eq!(statement.lines[1].source_line, 13);
    let data = fixture("csv/boursorama.csv");
    let statement =
        &bank::parse(Format::Csv, &data, "bo", Some(&profile("boursorama"))).unwrap()[0];
    assert_eq!(statement.lines[2].value_date, Some(day(2026, 11, 3)));
    assert_eq!(statement.lines[1].label, "PRLV SEPA URSSAF");
}

#[test]
fn csv_needs_a_profile() {
    let data = fixture("csv/societe-generale.csv");
    let err = bank::parse(Format::Csv, &data, "sg.csv", None).unwrap_err();
    assert_eq!(err.field, "profile");
}

#[test]
fn format_names_round_trip() {
    for format in [
        Format::Cfonb120,
        Format::Camt053,
        Format::Ofx,
        Format::Mt940,
        Format::Csv,
    ] {
        assert_eq!(Format::from_name(format.name()), Some(format));
    }
    assert_eq!(Format::from_name("auto"), None);
}

fn all_fixtures() -> Vec<Vec<u8>> {
    [
        "cfonb120-two-accounts.txt",
        "cfonb120-no-breaks.txt",
        "camt053-two-statements.xml",
        "ofx1-comma-decimal.ofx",
        "ofx2-bank-and-card.ofx",
        "mt940-two-statements.sta",
        "csv/societe-generale.csv",
    ]
    .iter()
    .map(|name| fixture(name))
    .collect()
}

fn parse_everything(data: &[u8]) {
    let _ = detect(data);
    let profile = profile("credit-agricole");
    for format in [
        Format::Cfonb120,
        Format::Camt053,
        Format::Ofx,
        Format::Mt940,
        Format::Csv,
    ] {
        if let Err(err) = bank::parse(format, data, "fuzz", Some(&profile)) {
            assert_eq!(err.file, "fuzz");
            assert!(err.line >= 1, "{err}");
            assert!(!err.field.is_empty() && !err.reason.is_empty(), "{err}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        parse_everything(&data);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,600}") {
        parse_everything(text.as_bytes());
    }

    #[test]
    fn arbitrary_profiles_never_panic(text in "\\PC{0,300}", edit in any::<prop::sample::Index>()) {
        let _ = CsvProfile::from_toml(&text, "p.toml");
        // A shipped profile with one character replaced.
        let shipped = String::from_utf8(fixture("profiles/boursorama.toml")).unwrap();
        let mut chars: Vec<char> = shipped.chars().collect();
        let at = edit.index(chars.len());
        chars[at] = text.chars().next().unwrap_or('=');
        let edited: String = chars.into_iter().collect();
        if let Ok(profile) = CsvProfile::from_toml(&edited, "p.toml") {
            let _ = bank::parse(Format::Csv, &fixture("csv/boursorama.csv"), "b.csv", Some(&profile));
        }
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in 0usize..7,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut data = all_fixtures().swap_remove(which);
        for (index, byte) in edits {
            let at = index.index(data.len());
            data[at] = byte;
        }
        parse_everything(&data);
        let len = cut.index(data.len() + 1);
        parse_everything(&data[..len]);
    }

    #[test]
    fn cfonb_amounts_are_exact(cents in -99_999_999_999i64..99_999_999_999i64) {
        let digits = format!("{:014}", cents.unsigned_abs());
        let last = (digits.as_bytes()[13] - b'0') as usize;
        let sign = if cents < 0 { b"}JKLMNOPQR"[last] } else { b"{ABCDEFGHI"[last] } as char;
        let amount = format!("{}{sign}", &digits[..13]);
        let record = |code: &str, amount: &str| {
            let mut chars = vec![' '; 120];
            for (start, text) in [(0, code), (2, "30004"), (11, "00123"), (16, "EUR"), (19, "2"),
                (21, "00012345678"), (34, "010126"), (42, "010126"), (90, amount)] {
                for (i, c) in text.chars().enumerate() {
                    chars[start + i] = c;
                }
            }
            chars.into_iter().collect::<String>()
        };
        let text = [record("01", "0000000000000{"), record("04", &amount), record("07", &amount)].join("\n");
        let statements = bank::parse(Format::Cfonb120, text.as_bytes(), "p", None).unwrap();
        prop_assert_eq!(statements[0].lines[0].amount.cents(), cents);
        prop_assert_eq!(statements[0].balance_difference(), Some(Amount::ZERO));
    }
}

#[test]
fn cfonb_resaved_in_utf8_reads_the_same() {
    let latin1 = fixture("cfonb120-two-accounts.txt");
    let utf8: String = latin1.iter().map(|b| char::from(*b)).collect();
    assert_ne!(utf8.len(), latin1.len());
    let from_utf8 = bank::parse(Format::Cfonb120, utf8.as_bytes(), "u", None).unwrap();
    let from_latin1 = bank::parse(Format::Cfonb120, &latin1, "u", None).unwrap();
    assert_eq!(from_utf8, from_latin1);
}

#[test]
fn cfonb_structure_errors() {
    let text = String::from_utf8_lossy(&fixture("cfonb120-two-accounts.txt")).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    // A movement before any 01.
    let err = bank::parse(
        Format::Cfonb120,
        lines[1..].join("\n").as_bytes(),
        "a",
        None,
    )
    .unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (1, "record"));
    // A closing balance for another account than the one opened.
    let mut swapped = lines.clone();
    swapped[8] = lines[11];
    let err = bank::parse(Format::Cfonb120, swapped.join("\n").as_bytes(), "b", None).unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (9, "account"));
    // Two 01 in a row.
    let mut doubled = lines.clone();
    doubled.insert(1, lines[0]);
    let err = bank::parse(Format::Cfonb120, doubled.join("\n").as_bytes(), "c", None).unwrap_err();
    assert_eq!(err.line, 2);
    // A record longer than 120 characters.
    let long = format!("{}X\n{}", lines[0], lines[1]);
    let err = bank::parse(Format::Cfonb120, long.as_bytes(), "d", None).unwrap_err();
    assert!(err.reason.contains("121 characters"), "{err}");
}

#[test]
fn ofx2_doctype_is_refused() {
    let data = String::from_utf8(fixture("ofx2-bank-and-card.ofx")).unwrap();
    let with_dtd = data.replacen(
        "<OFX>",
        "<!DOCTYPE OFX SYSTEM \"http://example.invalid/ofx.dtd\">\n<OFX>",
        1,
    );
    let err = bank::parse(Format::Ofx, with_dtd.as_bytes(), "d.ofx", None).unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (3, "DOCTYPE"));
}

#[test]
fn mt940_missing_closing_balance() {
    let data = String::from_utf8(fixture("mt940-two-statements.sta")).unwrap();
    let cut = data.replacen(":62F:C261130EUR620,25", ":64:C261130EUR620,25", 1);
    let err = bank::parse(Format::Mt940, cut.as_bytes(), "m.sta", None).unwrap_err();
    assert_eq!((err.line, err.field.as_str()), (17, ":62F:"));
}

#[test]
fn detection_refuses_what_is_no_statement() {
    assert_eq!(detect(b"<html><body>hello</body></html>"), None);
    assert_eq!(detect(b"\x00\x01\x02\x03"), None);
    assert_eq!(detect(b"just one line"), None);
}
