use super::*;

use quick_xml::Reader;
use quick_xml::events::Event;

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn transaction(id: &str, cents: i64, bic: Option<&str>) -> Transaction {
    Transaction {
        end_to_end_id: id.into(),
        amount: Amount::from_cents(cents),
        mandate_id: format!("RUM-{id}"),
        mandate_signed_on: date("2025-03-01"),
        debtor_name: "Société Générale d'Équipement & Fils".into(),
        debtor_iban: "FR7630006000011234567890189".into(),
        debtor_bic: bic.map(str::to_string),
        remittance: format!("Facture {id} – réglée"),
    }
}

fn sample() -> DirectDebitFile {
    DirectDebitFile {
        message_id: "SDD-20261210-1".into(),
        created_at: date("2026-12-03").and_hms_opt(10, 30, 0).unwrap(),
        creditor: Creditor {
            name: "Atelier Lumière SARL".into(),
            iban: "FR7630006000011234567890189".into(),
            bic: "AGRIFRPP".into(),
            creditor_id: "FR72ZZZ123456".into(),
        },
        groups: vec![
            PaymentGroup {
                id: "SDD-20261210-1-FRST".into(),
                sequence: SequenceType::First,
                collection_date: date("2026-12-10"),
                transactions: vec![transaction("FA2026-00001", 12_000, Some("BNPAFRPP"))],
            },
            PaymentGroup {
                id: "SDD-20261210-1-RCUR".into(),
                sequence: SequenceType::Recurrent,
                collection_date: date("2026-12-10"),
                transactions: vec![
                    transaction("FA2026-00002", 5, None),
                    transaction("FA2026-00003", 99_999, None),
                ],
            },
        ],
    }
}

/// An element: its path from the root, its attributes, its text.
type El = (String, Vec<(String, String)>, String);

/// Every element as (path, attributes, text), read back with quick-xml.
fn elements(xml: &[u8]) -> Vec<El> {
    let text = std::str::from_utf8(xml).unwrap();
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut path: Vec<String> = Vec::new();
    let mut out: Vec<El> = Vec::new();
    let push_text = |out: &mut Vec<El>, path: &[String], text: &str| {
        if let Some(last) = out.last_mut()
            && last.0 == path.join("/")
        {
            last.2.push_str(text);
        }
    };
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => {
                path.push(e.name().as_ref().to_string());
                let attrs = e
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        let value = a
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .unwrap()
                            .into_owned();
                        (a.key.as_ref().to_string(), value)
                    })
                    .collect();
                out.push((path.join("/"), attrs, String::new()));
            }
            Event::Text(t) => push_text(&mut out, &path, &t.xml10_content()),
            Event::GeneralRef(r) => {
                let c = match &*r {
                    "apos" => "'",
                    "amp" => "&",
                    "quot" => "\"",
                    "lt" => "<",
                    "gt" => ">",
                    other => panic!("entity {other}"),
                };
                push_text(&mut out, &path, c);
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

fn texts<'a>(els: &'a [El], suffix: &str) -> Vec<&'a str> {
    els.iter()
        .filter(|e| e.0.ends_with(suffix))
        .map(|e| e.2.trim())
        .collect()
}

#[test]
fn the_file_reads_back_with_its_counts_sums_and_groups() {
    let xml = write(&sample()).unwrap();
    let els = elements(&xml);
    let root = &els[0];
    assert_eq!(root.0, "Document");
    assert!(root.1.contains(&("xmlns".into(), NAMESPACE.into())));
    assert_eq!(texts(&els, "GrpHdr/NbOfTxs"), ["3"]);
    assert_eq!(texts(&els, "GrpHdr/CtrlSum"), ["1120.04"]);
    assert_eq!(texts(&els, "GrpHdr/MsgId"), ["SDD-20261210-1"]);
    assert_eq!(texts(&els, "GrpHdr/CreDtTm"), ["2026-12-03T10:30:00"]);
    assert_eq!(texts(&els, "InitgPty/Nm"), ["Atelier Lumiere SARL"]);
    // The control sum is the sum of the instructed amounts, each with two decimals.
    let amounts = texts(&els, "DrctDbtTxInf/InstdAmt");
    assert_eq!(amounts, ["120.00", "0.05", "999.99"]);
    let sum: i64 = amounts
        .iter()
        .map(|a| Amount::parse(a).unwrap().cents())
        .sum();
    assert_eq!(sum, 112_004);
    assert!(
        els.iter()
            .filter(|e| e.0.ends_with("InstdAmt"))
            .all(|e| e.1 == vec![("Ccy".to_string(), "EUR".to_string())])
    );
    // One PmtInf per sequence type and date, with its own counts.
    assert_eq!(texts(&els, "PmtInf/PmtTpInf/SeqTp"), ["FRST", "RCUR"]);
    assert_eq!(texts(&els, "PmtInf/NbOfTxs"), ["1", "2"]);
    assert_eq!(texts(&els, "PmtInf/CtrlSum"), ["120.00", "1000.04"]);
    assert_eq!(texts(&els, "PmtInf/PmtMtd"), ["DD", "DD"]);
    assert_eq!(texts(&els, "SvcLvl/Cd"), ["SEPA", "SEPA"]);
    assert_eq!(texts(&els, "LclInstrm/Cd"), ["CORE", "CORE"]);
    assert_eq!(texts(&els, "ReqdColltnDt"), ["2026-12-10", "2026-12-10"]);
    assert_eq!(
        texts(&els, "CdtrAgt/FinInstnId/BIC"),
        ["AGRIFRPP", "AGRIFRPP"]
    );
    assert_eq!(
        texts(&els, "CdtrSchmeId/Id/PrvtId/Othr/Id"),
        ["FR72ZZZ123456", "FR72ZZZ123456"]
    );
    assert_eq!(
        texts(&els, "PmtId/EndToEndId"),
        ["FA2026-00001", "FA2026-00002", "FA2026-00003"]
    );
    assert_eq!(texts(&els, "MndtRltdInf/MndtId")[0], "RUM-FA2026-00001");
    assert_eq!(texts(&els, "MndtRltdInf/DtOfSgntr")[0], "2025-03-01");
    // A debtor bank without BIC is NOTPROVIDED.
    assert_eq!(texts(&els, "DbtrAgt/FinInstnId/BIC"), ["BNPAFRPP"]);
    assert_eq!(
        texts(&els, "DbtrAgt/FinInstnId/Othr/Id"),
        ["NOTPROVIDED", "NOTPROVIDED"]
    );
    assert_eq!(
        texts(&els, "Dbtr/Nm")[0],
        "Societe Generale d'Equipement + Fils"
    );
    assert_eq!(
        texts(&els, "RmtInf/Ustrd")[0],
        "Facture FA2026-00001 - reglee"
    );
    assert_eq!(texts(&els, "DbtrAcct/Id/IBAN").len(), 3);
}

#[test]
fn an_empty_or_negative_batch_is_refused() {
    let mut file = sample();
    file.groups[1].transactions[0].amount = Amount::ZERO;
    assert!(matches!(write(&file), Err(Pain008Error::NotPositive(_))));
    file.groups.iter_mut().for_each(|g| g.transactions.clear());
    assert_eq!(write(&file), Err(Pain008Error::Empty));
}

#[test]
fn texts_are_converted_to_the_sepa_character_set() {
    assert_eq!(
        sepa_text("Crème brûlée à l'œuf", 70),
        "Creme brulee a l'oeuf"
    );
    assert_eq!(sepa_text("ÇA & ÆON_Straße", 70), "CA + AEON-Strasse");
    assert_eq!(sepa_text("  a\tb\n\nc  ", 70), "a b c");
    assert_eq!(sepa_text("x€y<z>@#;!*", 70), "x y z");
    assert_eq!(
        sepa_text("«Guillemets» “fancy”", 70),
        "'Guillemets' 'fancy'"
    );
    assert_eq!(sepa_text("Ça coûte 12,50 €", 70), "Ca coute 12,50");
    assert_eq!(sepa_text("/-?:().,'+ Az09", 70), "/-?:().,'+ Az09");
    // Cut to the schema's length, never ending on a space.
    assert_eq!(sepa_text("abcd efgh", 5), "abcd");
    assert_eq!(sepa_text(&"é".repeat(200), MAX_NAME).len(), MAX_NAME);
    for c in sepa_text("Ünïcödé — ✓ 日本 ﬁ", 140).chars() {
        assert!(
            c.is_ascii_alphanumeric() || "/-?:().,'+ ".contains(c),
            "{c}"
        );
    }
    // Identifiers: no leading or doubled slash, 35 characters at most.
    assert_eq!(sepa_id("//RUM//2026/1"), "RUM/2026/1");
    assert_eq!(sepa_id(&"A".repeat(50)).len(), MAX_ID);
}
