//! Hand-computed returns. Amounts in the comments are euros; the form shows whole euros.

use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;
use crate::model::Line;
use crate::model::entry::check_lines;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn acc(n: &str) -> AccountNumber {
    AccountNumber::parse(n).unwrap()
}

fn eur(text: &str) -> Amount {
    Amount::parse(text).unwrap()
}

/// `-x` for `x`, `x` for `-x`.
fn negate(text: &str) -> String {
    match text.strip_prefix('-') {
        Some(rest) => rest.to_string(),
        None => format!("-{text}"),
    }
}

fn oct() -> ReturnPeriod {
    ReturnPeriod::parse("2026-10").unwrap()
}

fn monthly() -> VatOptions {
    VatOptions {
        periodicity: Periodicity::Monthly,
        debits_for_services: false,
    }
}

/// A line builder: `amount` is debit − credit as in the ledger.
struct B {
    entry: u64,
    next: u32,
    lines: Vec<VatLine>,
}

impl B {
    fn new() -> Self {
        B {
            entry: 0,
            next: 0,
            lines: Vec::new(),
        }
    }

    /// Starts a new entry.
    fn entry(&mut self) -> &mut Self {
        self.entry += 1;
        self.next = 0;
        self
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        date: NaiveDate,
        account: &str,
        code: &str,
        boxes: (Option<Ca3Box>, Option<Ca3Box>),
        role: Role,
        amount: &str,
        base: &str,
        operation: Operation,
        supply: Supply,
        exigibility: Exigibility,
    ) -> &mut Self {
        self.lines.push(VatLine {
            reference: LineRef {
                entry: self.entry,
                line: self.next,
            },
            date,
            account: acc(account),
            tax_code: code.into(),
            base_box: boxes.0,
            tax_box: boxes.1,
            role,
            amount: eur(amount),
            base: eur(base),
            operation,
            supply,
            exigibility,
        });
        self.next += 1;
        self
    }

    /// A sale on débits at `rate_box`: credit `base` on 707, credit `tax` on 44571.
    fn sale(&mut self, date: NaiveDate, rate_box: Ca3Box, base: &str, tax: &str) -> &mut Self {
        let boxes = (Some(rate_box), Some(rate_box));
        self.entry()
            .push(
                date,
                "707",
                "V",
                boxes,
                Role::Base,
                &negate(base),
                "0",
                Operation::DomesticSale,
                Supply::Goods,
                Exigibility::OnInvoice,
            )
            .push(
                date,
                "44571",
                "V",
                boxes,
                Role::Tax(TaxKind::Collected),
                &negate(tax),
                base,
                Operation::DomesticSale,
                Supply::Goods,
                Exigibility::OnInvoice,
            )
    }

    /// A purchase on débits: debit `tax` on `account`, deduction box `tax_box`.
    fn purchase(
        &mut self,
        date: NaiveDate,
        account: &str,
        tax_box: Ca3Box,
        tax: &str,
    ) -> &mut Self {
        self.entry().push(
            date,
            account,
            "D",
            (None, Some(tax_box)),
            Role::Tax(TaxKind::Deductible),
            tax,
            "0",
            Operation::DomesticPurchase,
            Supply::Goods,
            Exigibility::OnInvoice,
        )
    }

    /// A reverse charge: Dr 607 base, Cr 4452 tax, Dr 445662 tax.
    fn reverse_charge(
        &mut self,
        date: NaiveDate,
        operation: Operation,
        supply: Supply,
        base: &str,
        tax: &str,
    ) -> &mut Self {
        let base_box = operation.base_box();
        let boxes = (base_box, Some(Ca3Box::L08));
        self.entry()
            .push(
                date,
                "607",
                "DIC20",
                boxes,
                Role::Base,
                base,
                "0",
                operation,
                supply,
                Exigibility::OnInvoice,
            )
            .push(
                date,
                "4452",
                "DIC20",
                boxes,
                Role::Tax(TaxKind::Collected),
                &negate(tax),
                base,
                operation,
                supply,
                Exigibility::OnInvoice,
            )
            .push(
                date,
                "445662",
                "DIC20",
                boxes,
                Role::Tax(TaxKind::Deductible),
                tax,
                base,
                operation,
                supply,
                Exigibility::OnInvoice,
            )
    }

    /// An exempt supply (F2, E1): credit `base` on 707.
    fn exempt(&mut self, date: NaiveDate, operation: Operation, base: &str) -> &mut Self {
        self.entry().push(
            date,
            "707",
            "V20",
            (Some(Ca3Box::L08), Some(Ca3Box::L08)),
            Role::Base,
            &negate(base),
            "0",
            operation,
            Supply::Goods,
            Exigibility::OnInvoice,
        )
    }
}

fn compute(lines: &[VatLine], credit: &str) -> Ca3Return {
    compute_return(lines, oct(), &monthly(), eur(credit)).unwrap()
}

fn settle(ret: &Ca3Return) -> Vec<Line> {
    settlement_entry(ret, &SettlementAccounts::pcg().unwrap()).unwrap()
}

/// `(account, debit, credit)` of settlement lines, for readable asserts.
fn shown(lines: &[Line]) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = lines
        .iter()
        .map(|l| {
            (
                l.account.as_str().to_string(),
                l.debit.to_plain(),
                l.credit.to_plain(),
            )
        })
        .collect();
    out.sort();
    out
}

fn row(a: &str, dr: &str, cr: &str) -> (String, String, String) {
    (a.into(), dr.into(), cr.into())
}

#[test]
fn round_euro_is_half_away_from_zero() {
    assert_eq!(round_euro(eur("12.50")), eur("13"));
    assert_eq!(round_euro(eur("12.49")), eur("12"));
    assert_eq!(round_euro(eur("-12.50")), eur("-13"));
    assert_eq!(round_euro(eur("-12.49")), eur("-12"));
    assert_eq!(round_euro(eur("0.50")), eur("1"));
    assert_eq!(round_euro(Amount::ZERO), Amount::ZERO);
}

#[test]
fn proportional_base_of_partial_payments() {
    // Invoice 1 000,00 + 200,00; 120,00 of tax paid: 60 % of the base.
    assert_eq!(
        proportional_base(eur("1000"), eur("200"), eur("120")),
        Some(eur("600"))
    );
    // 333,33 / 66,67: a third paid, 22,22 of tax → 111,09... rounded to the cent.
    assert_eq!(
        proportional_base(eur("333.33"), eur("66.67"), eur("22.22")),
        Some(eur("111.09"))
    );
    assert_eq!(
        proportional_base(eur("-1000"), eur("-200"), eur("-50")),
        Some(eur("-250"))
    );
    assert_eq!(proportional_base(eur("10"), Amount::ZERO, eur("1")), None);
}

#[test]
fn debits_sales_purchases_and_fixed_assets() {
    let mut b = B::new();
    b.sale(d(2026, 10, 3), Ca3Box::L08, "1000.00", "200.00")
        .sale(d(2026, 10, 9), Ca3Box::L09, "100.40", "5.52")
        .sale(d(2026, 10, 31), Ca3Box::L9B, "250.00", "25.00")
        .purchase(d(2026, 10, 12), "44566", Ca3Box::L20, "40.00")
        .purchase(d(2026, 10, 15), "44562", Ca3Box::L19, "60.00");
    let ret = compute(&b.lines, "0");
    // A1 = 1 000 + 100,40 + 250 = 1 350,40 → 1 350.
    assert_eq!(ret.base(Ca3Box::A1), eur("1350"));
    assert_eq!(
        (ret.base(Ca3Box::L08), ret.tax(Ca3Box::L08)),
        (eur("1000"), eur("200"))
    );
    assert_eq!(
        (ret.base(Ca3Box::L09), ret.tax(Ca3Box::L09)),
        (eur("100"), eur("6"))
    );
    assert_eq!(
        (ret.base(Ca3Box::L9B), ret.tax(Ca3Box::L9B)),
        (eur("250"), eur("25"))
    );
    assert_eq!(ret.tax(Ca3Box::L16), eur("231"));
    assert_eq!(ret.tax(Ca3Box::L19), eur("60"));
    assert_eq!(ret.tax(Ca3Box::L20), eur("40"));
    assert_eq!(ret.tax(Ca3Box::L23), eur("100"));
    assert_eq!(ret.tax(Ca3Box::L28), eur("131"));
    assert_eq!(ret.tax(Ca3Box::L32), eur("131"));
    assert_eq!(ret.tax(Ca3Box::L25), Amount::ZERO);
    assert_eq!(ret.tax(Ca3Box::L27), Amount::ZERO);
    assert!(ret.notes.is_empty());
    // Accounts hold 230,52 collected, 100 deductible: 130,52 against 131 due → 0,48 lost.
    assert_eq!(
        shown(&settle(&ret)),
        vec![
            row("445510", "0.00", "131.00"),
            row("445620", "0.00", "60.00"),
            row("445660", "0.00", "40.00"),
            row("445710", "230.52", "0.00"),
            row("658000", "0.48", "0.00"),
        ]
    );
    // With the tax office's party: on the VAT to pay only, so its payment letters with it.
    let accounts = SettlementAccounts {
        tax_office: Some("SIE".into()),
        ..SettlementAccounts::pcg().unwrap()
    };
    let parties: Vec<_> = settlement_entry(&ret, &accounts)
        .unwrap()
        .into_iter()
        .map(|l| (l.account.as_str().to_string(), l.third_party))
        .filter(|(_, party)| party.is_some())
        .collect();
    assert_eq!(
        parties,
        vec![("445510".to_string(), Some("SIE".to_string()))]
    );
}

#[test]
fn encaissements_count_the_payments_of_the_period() {
    let mut b = B::new();
    let boxes = (Some(Ca3Box::L08), Some(Ca3Box::L08));
    // A September invoice of services (1 000 + 200 on 44574), 60 % paid in October: the move
    // 44574 → 44571 of 120, base 600.
    b.entry().push(
        d(2026, 10, 14),
        "44571",
        "V20E",
        boxes,
        Role::Tax(TaxKind::Collected),
        "-120.00",
        "600.00",
        Operation::DomesticSale,
        Supply::Services,
        Exigibility::OnPayment,
    );
    // The balance paid on 10 November is not in October.
    b.entry().push(
        d(2026, 11, 10),
        "44571",
        "V20E",
        boxes,
        Role::Tax(TaxKind::Collected),
        "-80.00",
        "400.00",
        Operation::DomesticSale,
        Supply::Services,
        Exigibility::OnPayment,
    );
    // An October invoice on encaissements, unpaid: its base is not counted.
    b.entry().push(
        d(2026, 10, 20),
        "706",
        "V20E",
        boxes,
        Role::Base,
        "-500.00",
        "0",
        Operation::DomesticSale,
        Supply::Services,
        Exigibility::OnPayment,
    );
    // Deductible on payment: the move 44564 → 44566 of 33,33 (a third of 100), base 166,65.
    b.entry().push(
        d(2026, 10, 28),
        "44566",
        "D20E",
        (None, Some(Ca3Box::L20)),
        Role::Tax(TaxKind::Deductible),
        "33.33",
        "166.65",
        Operation::DomesticPurchase,
        Supply::Services,
        Exigibility::OnPayment,
    );
    let ret = compute(&b.lines, "0");
    assert_eq!(ret.base(Ca3Box::A1), eur("600"));
    assert_eq!(
        (ret.base(Ca3Box::L08), ret.tax(Ca3Box::L08)),
        (eur("600"), eur("120"))
    );
    assert_eq!(ret.tax(Ca3Box::L20), eur("33"));
    assert_eq!(ret.tax(Ca3Box::L28), eur("87"));
    let kinds: Vec<NoteKind> = ret.notes.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, vec![NoteKind::OutsidePeriod, NoteKind::DeferredBase]);
    // The accounts tie; the deferred base is not a finding, the November line is.
    let movements = [
        AccountMovement {
            account: acc("44571"),
            movement: eur("-120"),
        },
        AccountMovement {
            account: acc("44566"),
            movement: eur("33.33"),
        },
    ];
    let checks = consistency_checks(&ret, &movements, &[]).unwrap();
    assert!(checks.accounts.iter().all(|c| c.difference.is_zero()));
    let found: Vec<NoteKind> = checks.notes.iter().map(|n| n.kind).collect();
    assert_eq!(found, vec![NoteKind::OutsidePeriod]);
    // 120 − 33,33 = 86,67 held, 87 due: 0,33 lost.
    assert_eq!(
        shown(&settle(&ret)),
        vec![
            row("445510", "0.00", "87.00"),
            row("445660", "0.00", "33.33"),
            row("445710", "120.00", "0.00"),
            row("658000", "0.33", "0.00"),
        ]
    );
}

#[test]
fn reverse_charge_goods_go_to_b2_17_and_20() {
    let mut b = B::new();
    b.reverse_charge(
        d(2026, 10, 5),
        Operation::IntraEuAcquisition,
        Supply::Goods,
        "2000.40",
        "400.08",
    );
    let ret = compute(&b.lines, "0");
    assert_eq!(ret.base(Ca3Box::B2), eur("2000"));
    assert_eq!(ret.base(Ca3Box::A3), Amount::ZERO);
    assert_eq!(
        (ret.base(Ca3Box::L08), ret.tax(Ca3Box::L08)),
        (eur("2000"), eur("400"))
    );
    assert_eq!(ret.tax(Ca3Box::L17), eur("400"));
    assert_eq!(ret.tax(Ca3Box::L20), eur("400"));
    assert_eq!(ret.tax(Ca3Box::L16), eur("400"));
    assert_eq!(ret.tax(Ca3Box::L23), eur("400"));
    assert_eq!(ret.tax(Ca3Box::L28), Amount::ZERO);
    assert_eq!(ret.tax(Ca3Box::L25), Amount::ZERO);
    // The same 0,08 rounded away on both sides: no rounding line.
    assert_eq!(
        shown(&settle(&ret)),
        vec![
            row("445200", "400.08", "0.00"),
            row("445662", "0.00", "400.08")
        ]
    );
}

#[test]
fn services_from_abroad_go_to_a3_not_17() {
    let mut b = B::new();
    b.reverse_charge(
        d(2026, 10, 5),
        Operation::ServicesFromAbroad,
        Supply::Services,
        "500.00",
        "100.00",
    );
    let ret = compute(&b.lines, "0");
    assert_eq!(ret.base(Ca3Box::A3), eur("500"));
    assert_eq!(ret.base(Ca3Box::B2), Amount::ZERO);
    assert_eq!(ret.tax(Ca3Box::L08), eur("100"));
    assert_eq!(ret.tax(Ca3Box::L17), Amount::ZERO);
    assert_eq!(ret.tax(Ca3Box::L20), eur("100"));
    assert_eq!(ret.tax(Ca3Box::L28), Amount::ZERO);
}

#[test]
fn exempt_supplies_and_exports() {
    let mut b = B::new();
    b.exempt(d(2026, 10, 2), Operation::ExemptIntraEuSupply, "3000.40")
        .exempt(d(2026, 10, 3), Operation::Export, "1234.50")
        .exempt(d(2026, 10, 4), Operation::OtherNonTaxable, "10.00");
    let ret = compute(&b.lines, "0");
    assert_eq!(ret.base(Ca3Box::F2), eur("3000"));
    assert_eq!(ret.base(Ca3Box::E1), eur("1235"));
    assert_eq!(ret.base(Ca3Box::E2), eur("10"));
    assert_eq!(ret.base(Ca3Box::A1), Amount::ZERO);
    assert_eq!(ret.base(Ca3Box::L08), Amount::ZERO);
    assert_eq!(ret.tax(Ca3Box::L16), Amount::ZERO);
    assert!(settle(&ret).is_empty());
}

#[test]
fn credit_carried_forward_and_used() {
    let mut b = B::new();
    b.sale(d(2026, 10, 3), Ca3Box::L08, "1000.00", "200.00")
        .purchase(d(2026, 10, 12), "44566", Ca3Box::L20, "150.00");
    // Previous return's line 27: 300.
    let ret = compute(&b.lines, "300");
    assert_eq!(ret.tax(Ca3Box::L22), eur("300"));
    assert_eq!(ret.tax(Ca3Box::L23), eur("450"));
    assert_eq!(ret.tax(Ca3Box::L25), eur("250"));
    assert_eq!(ret.tax(Ca3Box::L26), Amount::ZERO);
    assert_eq!(ret.tax(Ca3Box::L27), eur("250"));
    assert_eq!(ret.tax(Ca3Box::L28), Amount::ZERO);
    assert_eq!(ret.tax(Ca3Box::L32), Amount::ZERO);
    assert_eq!(
        shown(&settle(&ret)),
        vec![
            row("445660", "0.00", "150.00"),
            row("445670", "0.00", "300.00"),
            row("445670", "250.00", "0.00"),
            row("445710", "200.00", "0.00"),
        ]
    );
    // A credit smaller than the VAT due is used up.
    let ret = compute(&b.lines, "20");
    assert_eq!(ret.tax(Ca3Box::L28), eur("30"));
    assert_eq!(ret.tax(Ca3Box::L27), Amount::ZERO);
}

#[test]
fn each_box_is_rounded_on_its_own_not_the_net() {
    let mut b = B::new();
    b.sale(d(2026, 10, 3), Ca3Box::L08, "52.50", "10.50").sale(
        d(2026, 10, 4),
        Ca3Box::L9B,
        "105.00",
        "10.50",
    );
    let ret = compute(&b.lines, "0");
    // 10,50 → 11 twice: 22 on line 16, where the net 21,00 would give 21.
    assert_eq!(ret.tax(Ca3Box::L08), eur("11"));
    assert_eq!(ret.tax(Ca3Box::L9B), eur("11"));
    assert_eq!(ret.tax(Ca3Box::L16), eur("22"));
    assert_eq!(ret.tax(Ca3Box::L28), eur("22"));
    // Bases too: 52,50 → 53 and 105; A1 = 157,50 → 158.
    assert_eq!(ret.base(Ca3Box::L08), eur("53"));
    assert_eq!(ret.base(Ca3Box::A1), eur("158"));
    assert_eq!(
        shown(&settle(&ret)),
        vec![
            row("445510", "0.00", "22.00"),
            row("445710", "21.00", "0.00"),
            row("658000", "1.00", "0.00"),
        ]
    );
    // Rounded down: a gain to 758.
    let mut b = B::new();
    b.sale(d(2026, 10, 3), Ca3Box::L08, "52.00", "10.40");
    let ret = compute(&b.lines, "0");
    assert_eq!(
        shown(&settle(&ret)),
        vec![
            row("445510", "0.00", "10.00"),
            row("445710", "10.40", "0.00"),
            row("758000", "0.00", "0.40"),
        ]
    );
}

#[test]
fn negative_boxes_are_not_written_negative() {
    let mut b = B::new();
    // A credit note at 10 % larger than the sales at 10 %, and a purchase credit note.
    b.sale(d(2026, 10, 3), Ca3Box::L08, "1000.00", "200.00")
        .sale(d(2026, 10, 4), Ca3Box::L9B, "-300.00", "-30.00")
        .purchase(d(2026, 10, 5), "44566", Ca3Box::L20, "-12.00");
    let ret = compute(&b.lines, "0");
    assert_eq!(
        (ret.base(Ca3Box::L9B), ret.tax(Ca3Box::L9B)),
        (Amount::ZERO, Amount::ZERO)
    );
    assert_eq!(ret.tax(Ca3Box::L21), eur("30"));
    assert_eq!(ret.tax(Ca3Box::L20), Amount::ZERO);
    assert_eq!(ret.tax(Ca3Box::L15), eur("12"));
    // A1 = 1 000 − 300 = 700.
    assert_eq!(ret.base(Ca3Box::A1), eur("700"));
    assert_eq!(ret.tax(Ca3Box::L16), eur("212"));
    assert_eq!(ret.tax(Ca3Box::L23), eur("30"));
    assert_eq!(ret.tax(Ca3Box::L28), eur("182"));
    assert_eq!(
        ret.adjustments,
        vec![
            Adjustment {
                from: Ca3Box::L9B,
                to: Some(Ca3Box::L21),
                amount: eur("30")
            },
            Adjustment {
                from: Ca3Box::L20,
                to: Some(Ca3Box::L15),
                amount: eur("12")
            },
        ]
    );
    // 200 − 30 + 12 = 182 held: no rounding.
    let lines = settle(&ret);
    check_lines(&lines).unwrap();
    assert!(lines.iter().all(|l| !l.account.starts_with("658")));
}

#[test]
fn every_box_drills_down_to_its_lines() {
    let mut b = B::new();
    b.sale(d(2026, 10, 3), Ca3Box::L08, "1000.00", "200.00")
        .sale(d(2026, 10, 4), Ca3Box::L08, "10.01", "2.00")
        .reverse_charge(
            d(2026, 10, 5),
            Operation::IntraEuAcquisition,
            Supply::Goods,
            "100.00",
            "20.00",
        );
    let ret = compute(&b.lines, "0");
    let l08 = ret.get(Ca3Box::L08);
    // Two sales (base + tax lines) and the acquisition's base and 4452 lines.
    assert_eq!(l08.lines.len(), 6);
    let base: i64 = l08.lines.iter().map(|l| l.base.cents()).sum();
    let tax: i64 = l08.lines.iter().map(|l| l.tax.cents()).sum();
    assert_eq!((base, tax), (l08.raw_base.cents(), l08.raw_tax.cents()));
    assert_eq!(l08.raw_base, eur("1110.01"));
    assert_eq!(l08.raw_tax, eur("222.00"));
    let l17: Vec<LineRef> = ret
        .get(Ca3Box::L17)
        .lines
        .iter()
        .map(|l| l.reference)
        .collect();
    assert_eq!(l17, vec![LineRef { entry: 3, line: 1 }]);
    let l20: Vec<LineRef> = ret
        .get(Ca3Box::L20)
        .lines
        .iter()
        .map(|l| l.reference)
        .collect();
    assert_eq!(l20, vec![LineRef { entry: 3, line: 2 }]);
    assert!(ret.get(Ca3Box::L16).lines.is_empty());
}

#[test]
fn untagged_lines_are_reported_and_accounts_checked() {
    let mut b = B::new();
    b.sale(d(2026, 10, 3), Ca3Box::L08, "1000.00", "200.00")
        .purchase(d(2026, 10, 12), "44566", Ca3Box::L20, "40.00");
    let ret = compute(&b.lines, "0");
    let untagged = vec![
        UntaggedLine {
            reference: LineRef { entry: 9, line: 1 },
            date: d(2026, 10, 20),
            account: acc("44571"),
            amount: eur("-15.00"),
        },
        // Another month, and a non-VAT account: not reported.
        UntaggedLine {
            reference: LineRef { entry: 10, line: 1 },
            date: d(2026, 9, 20),
            account: acc("44571"),
            amount: eur("-1.00"),
        },
        UntaggedLine {
            reference: LineRef { entry: 11, line: 0 },
            date: d(2026, 10, 20),
            account: acc("401"),
            amount: eur("-1.00"),
        },
    ];
    let movements = vec![
        AccountMovement {
            account: acc("44571"),
            movement: eur("-215.00"),
        },
        AccountMovement {
            account: acc("44566"),
            movement: eur("40.00"),
        },
    ];
    let checks = consistency_checks(&ret, &movements, &untagged).unwrap();
    assert_eq!(checks.untagged.len(), 1);
    assert_eq!(checks.untagged[0].reference.entry, 9);
    assert_eq!(
        checks.accounts,
        vec![
            AccountCheck {
                account: acc("44566"),
                movement: eur("40"),
                explained: eur("40"),
                difference: Amount::ZERO,
            },
            AccountCheck {
                account: acc("44571"),
                movement: eur("-215"),
                explained: eur("-200"),
                difference: eur("-15"),
            },
        ]
    );
    assert!(!checks.is_clean());
    // The untagged 15 is in no box.
    assert_eq!(ret.tax(Ca3Box::L08), eur("200"));
    let clean = consistency_checks(&ret, &movements[1..], &[]).unwrap();
    assert!(!clean.is_clean(), "44571 moved by nothing the ledger shows");
    let movements = vec![
        AccountMovement {
            account: acc("44571"),
            movement: eur("-200.00"),
        },
        movements[1].clone(),
    ];
    assert!(
        consistency_checks(&ret, &movements, &[])
            .unwrap()
            .is_clean()
    );
}

#[test]
fn lines_that_do_not_fit_are_noted_not_counted() {
    let mut b = B::new();
    // Collected VAT on an export; a sale whose code names no rate box; a deductible VAT
    // tagged on a sale.
    b.entry().push(
        d(2026, 10, 3),
        "44571",
        "X",
        (None, Some(Ca3Box::L08)),
        Role::Tax(TaxKind::Collected),
        "-10.00",
        "50.00",
        Operation::Export,
        Supply::Goods,
        Exigibility::OnInvoice,
    );
    b.entry().push(
        d(2026, 10, 3),
        "707",
        "Y",
        (Some(Ca3Box::A1), None),
        Role::Base,
        "-50.00",
        "0",
        Operation::DomesticSale,
        Supply::Goods,
        Exigibility::OnInvoice,
    );
    b.entry().push(
        d(2026, 10, 3),
        "44566",
        "Z",
        (None, Some(Ca3Box::L20)),
        Role::Tax(TaxKind::Deductible),
        "10.00",
        "50.00",
        Operation::DomesticSale,
        Supply::Goods,
        Exigibility::OnInvoice,
    );
    let ret = compute(&b.lines, "0");
    let kinds: Vec<NoteKind> = ret.notes.iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        vec![
            NoteKind::RoleDoesNotFit,
            NoteKind::NoRateBox,
            NoteKind::RoleDoesNotFit
        ]
    );
    assert!(kinds.iter().all(|k| k.excludes()));
    for b in Ca3Box::ALL {
        assert_eq!(ret.tax(b), Amount::ZERO, "{b}");
        assert_eq!(ret.base(b), Amount::ZERO, "{b}");
    }
    assert!(ret.counted_tax.is_empty());
}

#[test]
fn a_tax_at_another_rate_than_its_box_is_noted_and_counted_as_posted() {
    let mut b = B::new();
    // 7 % of 408.00 in box 09 (5.5 %): noted.
    b.entry().push(
        d(2026, 10, 3),
        "44571",
        "V_ECO",
        (Some(Ca3Box::L09), Some(Ca3Box::L09)),
        Role::Tax(TaxKind::Collected),
        "-28.56",
        "408.00",
        Operation::DomesticSale,
        Supply::Goods,
        Exigibility::OnInvoice,
    );
    // 5.5 % of 408.00 rounded to the cent (22.44), and 20 % of a credit note: not noted.
    b.entry().push(
        d(2026, 10, 4),
        "44571",
        "V55",
        (Some(Ca3Box::L09), Some(Ca3Box::L09)),
        Role::Tax(TaxKind::Collected),
        "-22.44",
        "408.00",
        Operation::DomesticSale,
        Supply::Goods,
        Exigibility::OnInvoice,
    );
    b.entry().push(
        d(2026, 10, 5),
        "44571",
        "V20",
        (Some(Ca3Box::L08), Some(Ca3Box::L08)),
        Role::Tax(TaxKind::Collected),
        "20.01",
        "-100.05",
        Operation::DomesticSale,
        Supply::Goods,
        Exigibility::OnInvoice,
    );
    let ret = compute(&b.lines, "0");
    let kinds: Vec<NoteKind> = ret.notes.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, vec![NoteKind::RateNotOfBox]);
    assert!(NoteKind::RateNotOfBox.is_problem());
    assert!(!NoteKind::RateNotOfBox.excludes());
    assert_eq!(ret.tax(Ca3Box::L09), eur("51"), "counted as posted");
}

#[test]
fn regime_notes_follow_the_company_option() {
    let mut b = B::new();
    b.entry().push(
        d(2026, 10, 3),
        "44571",
        "V20",
        (Some(Ca3Box::L08), Some(Ca3Box::L08)),
        Role::Tax(TaxKind::Collected),
        "-20.00",
        "100.00",
        Operation::DomesticSale,
        Supply::Services,
        Exigibility::OnInvoice,
    );
    let ret = compute(&b.lines, "0");
    assert_eq!(ret.notes[0].kind, NoteKind::ServicesOnInvoiceWithoutOption);
    assert!(!ret.notes[0].kind.excludes());
    assert_eq!(ret.tax(Ca3Box::L08), eur("20"), "counted as posted");
    let opted = VatOptions {
        debits_for_services: true,
        ..monthly()
    };
    let ret = compute_return(&b.lines, oct(), &opted, Amount::ZERO).unwrap();
    assert!(ret.notes.is_empty());
}

#[test]
fn wrong_periodicity_and_carried_credit_are_refused() {
    let quarter = ReturnPeriod::parse("2026-Q4").unwrap();
    let err = compute_return(&[], quarter, &monthly(), Amount::ZERO).unwrap_err();
    assert_eq!(
        err.to_string(),
        "period 2026-Q4 does not match the company's monthly VAT returns"
    );
    let err = compute_return(&[], oct(), &monthly(), eur("-1")).unwrap_err();
    assert!(matches!(err, VatError::CarriedCredit(_)));
    let err = compute_return(&[], oct(), &monthly(), eur("10.50")).unwrap_err();
    assert!(matches!(err, VatError::CarriedCredit(_)));
}

#[test]
fn quarterly_return_counts_three_months() {
    let options = VatOptions {
        periodicity: Periodicity::Quarterly,
        debits_for_services: false,
    };
    let mut b = B::new();
    b.sale(d(2026, 9, 30), Ca3Box::L08, "10.00", "2.00")
        .sale(d(2026, 10, 1), Ca3Box::L08, "100.00", "20.00")
        .sale(d(2026, 12, 31), Ca3Box::L08, "100.00", "20.00");
    let q4 = ReturnPeriod::parse("2026-Q4").unwrap();
    let ret = compute_return(&b.lines, q4, &options, Amount::ZERO).unwrap();
    assert_eq!(ret.tax(Ca3Box::L08), eur("40"));
    assert_eq!(ret.notes.len(), 2, "the September base and tax lines");
}

#[test]
fn csv_rows_one_per_box() {
    let mut b = B::new();
    b.sale(d(2026, 10, 3), Ca3Box::L08, "1000.40", "200.08")
        .purchase(d(2026, 10, 12), "44566", Ca3Box::L20, "40.00");
    let ret = compute(&b.lines, "0");
    let rows = box_rows(&ret);
    assert_eq!(rows.len(), Ca3Box::ALL.len());
    let fields: Vec<[String; 4]> = rows.iter().map(BoxRow::fields).collect();
    let find = |code: &str| fields.iter().find(|f| f[0] == code).unwrap().clone();
    assert_eq!(find("A1")[2..], ["1000".to_string(), String::new()]);
    assert_eq!(find("08")[2..], ["1000".to_string(), "200".to_string()]);
    assert_eq!(find("09")[2..], ["0".to_string(), "0".to_string()]);
    assert_eq!(find("20")[2..], [String::new(), "40".to_string()]);
    for total in [
        "16", "19", "20", "21", "22", "23", "25", "26", "27", "28", "32",
    ] {
        assert_eq!(find(total)[2], "", "{total} has no base");
    }
    assert_eq!(find("16")[3], "200");
    assert_eq!(find("28")[3], "160");
    assert_eq!(find("32")[3], "160");
    assert_eq!(find("08")[1], "Rate 20 %");
    let codes: Vec<&str> = rows.iter().map(|r| r.code).collect();
    assert_eq!(codes[..3], ["A1", "A2", "A3"]);
    assert_eq!(codes.last(), Some(&"32"));
}

#[test]
fn tax_code_boxes_are_read_from_the_code() {
    use crate::model::tax::{RateVersion, TaxCode};
    let mut code = TaxCode {
        code: "DIC20".into(),
        label: "x".into(),
        kind: TaxKind::Deductible,
        exigibility: Exigibility::OnInvoice,
        rates: vec![RateVersion {
            from: d(2000, 1, 1),
            rate: 20.into(),
        }],
        account: acc("445662"),
        pending_account: None,
        reverse_charge_account: Some(acc("4452")),
        base_box: Some("B2".into()),
        tax_box: Some("08".into()),
    };
    assert_eq!(
        VatLine::boxes_of(&code).unwrap(),
        (Some(Ca3Box::B2), Some(Ca3Box::L08))
    );
    code.tax_box = Some("9b".into());
    assert_eq!(VatLine::boxes_of(&code).unwrap().1, Some(Ca3Box::L9B));
    code.tax_box = Some("99".into());
    assert_eq!(
        VatLine::boxes_of(&code).unwrap_err().to_string(),
        "tax code DIC20: `99` is not a CA3 box"
    );
}

#[test]
fn period_parsing() {
    assert_eq!(
        ReturnPeriod::parse("2026-10").unwrap(),
        ReturnPeriod::Month {
            year: 2026,
            month: 10
        }
    );
    assert_eq!(
        ReturnPeriod::parse(" 2026-q4 ").unwrap(),
        ReturnPeriod::Quarter {
            year: 2026,
            quarter: 4
        }
    );
    let q4 = ReturnPeriod::parse("2026-Q4").unwrap();
    assert_eq!((q4.start(), q4.end()), (d(2026, 10, 1), d(2026, 12, 31)));
    assert_eq!(q4.to_string(), "2026-Q4");
    assert_eq!(q4.previous().to_string(), "2026-Q3");
    let feb = ReturnPeriod::parse("2028-02").unwrap();
    assert_eq!(feb.end(), d(2028, 2, 29));
    assert_eq!(feb.to_string(), "2028-02");
    assert_eq!(
        ReturnPeriod::parse("2026-01")
            .unwrap()
            .previous()
            .to_string(),
        "2025-12"
    );
    assert_eq!(
        ReturnPeriod::containing(d(2026, 11, 25), Periodicity::Quarterly).to_string(),
        "2026-Q4"
    );
    assert_eq!(
        ReturnPeriod::containing(d(2026, 11, 25), Periodicity::Monthly).to_string(),
        "2026-11"
    );
}

#[test]
fn period_parsing_errors_are_clear() {
    let err = |t: &str| ReturnPeriod::parse(t).unwrap_err().to_string();
    assert_eq!(
        err(""),
        "empty VAT period: expected a month like `2026-10` or a quarter like `2026-Q4`"
    );
    assert_eq!(
        err("2026/10"),
        "VAT period `2026/10`: expected a month like `2026-10` or a quarter like `2026-Q4`"
    );
    assert_eq!(
        err("26-10"),
        "VAT period `26-10`: the year must be 4 digits"
    );
    assert_eq!(
        err("2026-13"),
        "VAT period `2026-13`: the month must be 01 to 12"
    );
    assert_eq!(
        err("2026-00"),
        "VAT period `2026-00`: the month must be 01 to 12"
    );
    assert_eq!(
        err("2026-1"),
        "VAT period `2026-1`: the month must be 01 to 12"
    );
    assert_eq!(
        err("2026-Q5"),
        "VAT period `2026-Q5`: the quarter must be Q1 to Q4"
    );
    assert_eq!(
        err("2026-Q"),
        "VAT period `2026-Q`: the quarter must be Q1 to Q4"
    );
    assert!(err("2026-1x").contains("expected a month"));
    assert!(err("2026-10-01").contains("expected a month"));
}

fn arb_line() -> impl Strategy<Value = VatLine> {
    let rate = prop_oneof![Just(Ca3Box::L08), Just(Ca3Box::L09), Just(Ca3Box::L9B)];
    let deduction = prop_oneof![Just(Ca3Box::L19), Just(Ca3Box::L20), Just(Ca3Box::L21)];
    let operation = prop_oneof![
        Just(Operation::DomesticSale),
        Just(Operation::OtherTaxableSale),
        Just(Operation::DomesticPurchase),
        Just(Operation::IntraEuAcquisition),
        Just(Operation::ServicesFromAbroad),
        Just(Operation::NonEstablishedSupplier),
        Just(Operation::ExemptIntraEuSupply),
        Just(Operation::Export),
        Just(Operation::OtherNonTaxable),
    ];
    let role = prop_oneof![
        Just(Role::Base),
        Just(Role::Tax(TaxKind::Collected)),
        Just(Role::Tax(TaxKind::Deductible)),
    ];
    let account = prop_oneof![
        Just("445710"),
        Just("445660"),
        Just("445620"),
        Just("445662"),
        Just("445200"),
        Just("706000"),
    ];
    (
        rate,
        deduction,
        operation,
        role,
        account,
        -5_000_000i64..5_000_000,
        -5_000_000i64..5_000_000,
        any::<bool>(),
        1u32..=31,
    )
        .prop_map(
            |(rate, deduction, operation, role, account, amount, base, on_payment, day)| VatLine {
                reference: LineRef { entry: 1, line: 0 },
                date: d(2026, 10, day),
                account: acc(account),
                tax_code: "T".into(),
                base_box: Some(rate),
                tax_box: Some(if matches!(role, Role::Tax(TaxKind::Deductible)) {
                    deduction
                } else {
                    rate
                }),
                role,
                amount: Amount::from_cents(amount),
                base: Amount::from_cents(base),
                operation,
                supply: Supply::Services,
                exigibility: if on_payment {
                    Exigibility::OnPayment
                } else {
                    Exigibility::OnInvoice
                },
            },
        )
}

proptest! {
    #[test]
    fn settlement_entry_balances_to_the_cent(
        lines in proptest::collection::vec(arb_line(), 0..40),
        credit in 0i64..100_000,
    ) {
        let ret = compute_return(&lines, oct(), &monthly(), Amount::from_cents(credit * 100)).unwrap();
        // Boxes shown are never negative; totals tie.
        for b in Ca3Box::ALL {
            prop_assert!(!ret.tax(b).is_negative(), "{b}");
            prop_assert!(!ret.base(b).is_negative(), "{b}");
            prop_assert_eq!(ret.tax(b).cents() % 100, 0);
            prop_assert_eq!(ret.base(b).cents() % 100, 0);
        }
        let l16 = ret.tax(Ca3Box::L08) + ret.tax(Ca3Box::L09) + ret.tax(Ca3Box::L9B) + ret.tax(Ca3Box::L15);
        prop_assert_eq!(ret.tax(Ca3Box::L16), l16);
        let l23 = ret.tax(Ca3Box::L19) + ret.tax(Ca3Box::L20) + ret.tax(Ca3Box::L21) + ret.tax(Ca3Box::L22);
        prop_assert_eq!(ret.tax(Ca3Box::L23), l23);
        prop_assert_eq!(ret.tax(Ca3Box::L28) - ret.tax(Ca3Box::L25), l16 - l23);
        prop_assert!(ret.tax(Ca3Box::L28).is_zero() || ret.tax(Ca3Box::L25).is_zero());
        // The settlement entry balances, has no zero line, and its rounding line is at most
        // half a euro per rounded tax box (08, 09, 9B, 19, 20, 21).
        let entry = settle(&ret);
        if !entry.is_empty() {
            prop_assert!(check_lines(&entry).is_ok(), "{:?}", entry);
        }
        let rounding: i64 = entry
            .iter()
            .filter(|l| l.account.starts_with("658") || l.account.starts_with("758"))
            .map(|l| l.signed().cents().abs())
            .sum();
        prop_assert!(rounding <= 6 * 50, "rounding {rounding}");
        let payable: i64 = entry
            .iter()
            .filter(|l| l.account.starts_with("44551"))
            .map(|l| l.credit.cents())
            .sum();
        prop_assert_eq!(payable, ret.tax(Ca3Box::L32).cents());
    }
}

#[test]
fn a_tax_line_without_its_base_line_is_flagged() {
    let mut b = B::new();
    b.sale(d(2026, 10, 3), Ca3Box::L08, "1000.00", "200.00");
    // A manual entry tagged only on its 44571 line: 50 of tax on a base of 250.
    b.entry().push(
        d(2026, 10, 8),
        "44571",
        "V20",
        (Some(Ca3Box::L08), Some(Ca3Box::L08)),
        Role::Tax(TaxKind::Collected),
        "-50.00",
        "250.00",
        Operation::DomesticSale,
        Supply::Goods,
        Exigibility::OnInvoice,
    );
    let ret = compute(&b.lines, "0");
    // The tax counts; the base shown is what the base lines give.
    assert_eq!(
        (ret.base(Ca3Box::L08), ret.tax(Ca3Box::L08)),
        (eur("1000"), eur("250"))
    );
    let movements = [AccountMovement {
        account: acc("44571"),
        movement: eur("-250"),
    }];
    let checks = consistency_checks(&ret, &movements, &[]).unwrap();
    assert_eq!(
        checks.bases,
        vec![BaseTie {
            rate_box: Ca3Box::L08,
            from_base_lines: eur("1000"),
            from_tax_lines: eur("1250"),
        }]
    );
    assert!(!checks.is_clean());
}
