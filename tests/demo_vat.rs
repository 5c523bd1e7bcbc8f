//! The demo company's VAT returns through the real `folio` binary: January to October
//! computed and settled by the worksheet, October filed, November left to prepare; month by
//! month, each return equals what the VAT accounts moved and its settlement entry clears them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;

const COLLECTED: &str = "445710";
const DUE_EU: &str = "445200";
const DEDUCTIBLE: &str = "445660";
const DEDUCTIBLE_FIXED: &str = "445620";
const DEDUCTIBLE_EU: &str = "445662";
const CREDIT: &str = "445670";
const PAYABLE: &str = "445510";
const BANK: &str = "512000";
/// The accounts a return explains: what they moved in the month is cleared by its settlement.
const RETURN_ACCOUNTS: [&str; 5] = [
    COLLECTED,
    DUE_EU,
    DEDUCTIBLE,
    DEDUCTIBLE_FIXED,
    DEDUCTIBLE_EU,
];

fn last_day(month: u32) -> u32 {
    match month {
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn month_rows(folio: &Folio, month: u32) -> Vec<BTreeMap<String, String>> {
    folio.journal_rows(&format!(
        "--from 2026-{month:02}-01 --to 2026-{month:02}-{}",
        last_day(month)
    ))
}

/// A box's tax (whole euros in the CSV) in cents; an empty cell is zero.
fn tax(boxes: &BTreeMap<String, (String, String)>, code: &str) -> i64 {
    let (_, tax) = boxes
        .get(code)
        .unwrap_or_else(|| panic!("box {code} missing"));
    if tax.is_empty() {
        0
    } else {
        tax.parse::<i64>()
            .unwrap_or_else(|e| panic!("box {code}: `{tax}`: {e}"))
            * 100
    }
}

fn boxes(folio: &Folio, period: &str) -> BTreeMap<String, (String, String)> {
    let out = folio.ok(&w(&format!("vat return --period {period} --format csv")));
    csv_records(&out)
        .into_iter()
        .map(|r| (r["box"].clone(), (r["base"].clone(), r["tax"].clone())))
        .collect()
}

/// Debit minus credit per account of `rows`.
fn net_by_account<'a>(
    rows: impl IntoIterator<Item = &'a BTreeMap<String, String>>,
) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for r in rows {
        *out.entry(r["account"].clone()).or_insert(0) += cents(&r["debit"]) - cents(&r["credit"]);
    }
    out
}

fn get(map: &BTreeMap<String, i64>, account: &str) -> i64 {
    map.get(account).copied().unwrap_or(0)
}

/// Asserts `exact` (cents) rounds to `boxed` (whole euros, in cents) box by box: at most half
/// a euro per box summed.
fn assert_rounds(what: &str, boxed: i64, exact: i64, box_count: i64) {
    assert!(
        (boxed - exact).abs() <= 50 * box_count,
        "{what}: the boxes say {boxed}, the accounts moved {exact} (cents)"
    );
}

#[test]
fn demo_returns_equal_the_vat_accounts_month_by_month() {
    let folio = Folio::demo();
    let mut carried = 0i64;
    let mut figures = Vec::new();
    for month in 1..=10u32 {
        let period = format!("2026-{month:02}");
        let b = boxes(&folio, &period);
        let table = folio.ok(&w(&format!("vat return --period {period}")));
        assert!(
            table.contains("checks: the VAT accounts agree with the boxes"),
            "{period}: every VAT line is tagged and the accounts agree:\n{table}"
        );

        // What the VAT accounts moved in the month, the settlements and payments of returns
        // (dated in the month, for the month before) left out.
        let rows = month_rows(&folio, month);
        let moved = net_by_account(rows.iter().filter(|r| !r["piece"].starts_with("CA3 ")));
        let rates = tax(&b, "08") + tax(&b, "09") + tax(&b, "9B");
        assert_rounds(
            &format!("{period} collected VAT 08+09+9B"),
            rates,
            -get(&moved, COLLECTED) - get(&moved, DUE_EU),
            3,
        );
        assert_eq!(tax(&b, "16"), rates + tax(&b, "15"), "{period} line 16");
        assert_rounds(
            &format!("{period} intra-EU VAT 17"),
            tax(&b, "17"),
            -get(&moved, DUE_EU),
            1,
        );
        assert_rounds(
            &format!("{period} deductible on fixed assets 19"),
            tax(&b, "19"),
            get(&moved, DEDUCTIBLE_FIXED),
            1,
        );
        assert_rounds(
            &format!("{period} deductible 20"),
            tax(&b, "20"),
            get(&moved, DEDUCTIBLE) + get(&moved, DEDUCTIBLE_EU),
            1,
        );
        assert_eq!(
            tax(&b, "22"),
            carried,
            "{period}: line 22 is the last line 27"
        );
        let deductible = tax(&b, "19") + tax(&b, "20") + tax(&b, "21") + tax(&b, "22");
        assert_eq!(tax(&b, "23"), deductible, "{period} line 23");
        let net = tax(&b, "16") - deductible;
        if net >= 0 {
            assert_eq!((tax(&b, "28"), tax(&b, "32")), (net, net), "{period}");
            assert_eq!((tax(&b, "25"), tax(&b, "27")), (0, 0), "{period}");
        } else {
            assert_eq!((tax(&b, "25"), tax(&b, "27")), (-net, -net), "{period}");
            assert_eq!((tax(&b, "28"), tax(&b, "32")), (0, 0), "{period}");
        }
        carried = tax(&b, "27");

        // The settlement entry, dated on the filing day of the next month and validated,
        // clears each VAT account of the month to the cent; the rest is lines 22, 27, 32 and
        // the rounding of the boxes.
        let next = month_rows(&folio, month + 1);
        let piece = format!("CA3 {period}");
        let settlement: Vec<_> = next
            .iter()
            .filter(|r| r["journal"] == "OD" && r["piece"] == piece)
            .collect();
        assert!(!settlement.is_empty(), "{period}: no settlement entry");
        for r in &settlement {
            assert_eq!(r["status"], "validated", "{period}: {r:?}");
            let day: u32 = r["date"][8..].parse().unwrap();
            assert!(
                r["date"].starts_with(&format!("2026-{:02}-", month + 1))
                    && (15..=19).contains(&day),
                "{period}: settled on the filing day, not {}",
                r["date"]
            );
        }
        let cleared = net_by_account(settlement.iter().copied());
        for account in RETURN_ACCOUNTS {
            assert_eq!(
                get(&cleared, account),
                -get(&moved, account),
                "{period}: the settlement clears {account}"
            );
        }
        let side = |account: &str, column: &str| -> i64 {
            settlement
                .iter()
                .filter(|r| r["account"] == account)
                .map(|r| cents(&r[column]))
                .sum()
        };
        assert_eq!(
            side(CREDIT, "credit"),
            tax(&b, "22"),
            "{period}: credit used"
        );
        assert_eq!(
            side(CREDIT, "debit"),
            tax(&b, "27"),
            "{period}: credit carried"
        );
        assert_eq!(side(PAYABLE, "credit"), tax(&b, "32"), "{period}: to pay");
        assert_eq!(side(PAYABLE, "debit"), 0, "{period}");
        let rounding = side("658000", "debit") - side("758000", "credit");
        let explained: i64 = RETURN_ACCOUNTS.iter().map(|a| get(&cleared, a)).sum();
        assert_eq!(
            explained - tax(&b, "22") + tax(&b, "27") - tax(&b, "32") + rounding,
            0,
            "{period}: the settlement balances with its rounding"
        );
        assert!(rounding.abs() < 400, "{period}: rounding {rounding}");
        let accounts: Vec<&str> = settlement.iter().map(|r| r["account"].as_str()).collect();
        assert!(
            accounts.iter().all(|a| RETURN_ACCOUNTS.contains(a)
                || [CREDIT, PAYABLE, "658000", "758000"].contains(a)),
            "{period}: {accounts:?}"
        );

        // The tax office's debit of line 32 on the bank, a few days later; none for a credit.
        let payment: Vec<_> = next
            .iter()
            .filter(|r| r["journal"] == "BQ" && r["piece"] == piece)
            .collect();
        if tax(&b, "32") > 0 {
            let paid = net_by_account(payment.iter().copied());
            assert_eq!(get(&paid, PAYABLE), tax(&b, "32"), "{period}: payment");
            assert_eq!(get(&paid, BANK), -tax(&b, "32"), "{period}: payment");
            assert_eq!(paid.len(), 2, "{period}: {paid:?}");
            assert!(payment[0]["date"] > settlement[0]["date"], "{period}");
            // October's is paid in the current month, still in drafts.
            let status = if month < 10 { "validated" } else { "draft" };
            assert!(payment.iter().all(|r| r["status"] == status), "{period}");
        } else {
            assert!(payment.is_empty(), "{period}: a credit is not paid");
        }
        figures.push(format!(
            "{period} {}",
            (tax(&b, "32") - tax(&b, "27")) / 100
        ));
    }
    assert_eq!(
        figures,
        [
            "2026-01 -1763",
            "2026-02 -353",
            "2026-03 1239",
            "2026-04 2815",
            "2026-05 359",
            "2026-06 1553",
            "2026-07 2442",
            "2026-08 1077",
            "2026-09 1094",
            "2026-10 3655",
        ]
    );
    // No hand-typed VAT entry is left: every line on the payable and credit accounts belongs
    // to a settlement or a payment of a return.
    let year = folio.journal_rows("--year 2026");
    for r in &year {
        if [PAYABLE, CREDIT].contains(&r["account"].as_str()) {
            assert!(r["piece"].starts_with("CA3 2026-"), "{r:?}");
        }
    }
}

#[test]
fn demo_october_is_filed_and_locked_november_to_prepare() {
    let folio = Folio::demo();
    let periods = csv_records(&folio.ok(&w("vat periods --year 2026 --format csv")));
    let status: Vec<(String, String)> = periods
        .iter()
        .map(|r| (r["period"].clone(), r["status"].clone()))
        .collect();
    for (period, status) in &status {
        let month: u32 = period[5..].parse().unwrap();
        let expected = match month {
            1..=9 => "settled",
            10 => "filed",
            _ => "to prepare",
        };
        assert_eq!(status, expected, "{period}");
    }
    assert_eq!(status.len(), 12);
    // November's VAT is in its documents, its return not settled yet.
    let november = boxes(&folio, "2026-11");
    assert!(tax(&november, "16") > 0);
    // Filing locked October: nothing can be added to it any more.
    folio.refuses(
        &w("entry add -j OD -d 2026-10-20 -p LATE -l 'Late' --debit 627000=10 --credit 512000=10"),
        &["2026-10 is locked"],
    );
    folio.refuses(&w("vat file --period 2026-10"), &["filed", "never changes"]);
    let check = folio.ok(&w("check"));
    assert!(check.contains("0 findings"), "{check}");
}

#[test]
fn a_settlement_is_dated_on_or_after_its_period_ends() {
    let folio = Folio::demo();
    let ledger = folio::ledger::Ledger::open(&folio.ledger).unwrap();
    let now = chrono::NaiveDate::from_ymd_opt(2026, 12, 15)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .unwrap();
    let ctx = folio::ledger::Ctx::fixed("test", now);
    let november = folio::vat::ReturnPeriod::Month {
        year: 2026,
        month: 11,
    };
    let options = ledger.vat_options().unwrap();
    let early = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
    let err = ledger
        .vat_settle_on(&ctx, november, &options, "OD", early)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot be dated 2026-11-29, before the period ends on 2026-11-30"),
        "{err}"
    );
    assert_eq!(
        ledger.vat_return(november, &options).unwrap().status.name(),
        "to prepare"
    );
    // On the filing day of the next month it is settled, the entry dated that day.
    let filed_on = chrono::NaiveDate::from_ymd_opt(2026, 12, 15).unwrap();
    let (sheet, entry) = ledger
        .vat_settle_on(&ctx, november, &options, "OD", filed_on)
        .unwrap();
    assert_eq!(sheet.status.name(), "settled");
    assert_eq!(entry.unwrap().date, filed_on);
}

#[test]
fn demo_vat_to_pay_is_lettered_with_its_payments() {
    let folio = Folio::demo();
    let out = folio.ok(&w(&format!("report ledger {PAYABLE} --format csv")));
    let lines: Vec<_> = csv_records(&out)
        .into_iter()
        .filter(|r| !r["piece"].is_empty())
        .collect();
    // Each return of January to September with VAT to pay: its settlement line and the
    // payment, on the tax office's party, one complete group per return.
    let mut groups: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for line in &lines {
        assert_eq!(line["third_party"], "SIE", "{line:?}");
        let period = line["piece"].strip_prefix("CA3 ").unwrap().to_string();
        if period.as_str() < "2026-10" {
            let letter = &line["letter"];
            assert!(
                letter.len() == 2 && letter.chars().all(|c| c.is_ascii_uppercase()),
                "{line:?}"
            );
            let group = groups.entry(period).or_insert((letter.clone(), 0));
            assert_eq!(&group.0, letter, "{line:?}");
            group.1 += 1;
        } else {
            // October's payment is a November draft: both lines stay open.
            assert_eq!(line["letter"], "", "{line:?}");
        }
    }
    // January and February carried a credit: nothing to pay.
    let periods: Vec<&str> = groups.keys().map(String::as_str).collect();
    assert_eq!(
        periods,
        [
            "2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09"
        ]
    );
    assert!(groups.values().all(|(_, n)| *n == 2), "{groups:?}");
    let codes: BTreeSet<_> = groups.values().map(|(code, _)| code.clone()).collect();
    assert_eq!(codes.len(), groups.len(), "{groups:?}");
}
