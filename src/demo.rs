//! The demo company: a small French lighting workshop's first year, built from the embedded
//! fixtures through the same ledger commands a user runs. Sales, purchases and payments are
//! documents whose entries the posting engine writes; payroll, loans and bank fees are typed
//! entries. The monthly VAT returns January–October are computed and settled by the CA3
//! worksheet as each month is closed (settlement on the filing day of the next month, the tax
//! office's debit of line 32 a few days later, a credit carried to the next return); October
//! is filed and locked, November left to prepare. Payments letter with the invoices they
//! settle as their entries are validated; payments recorded without allocation are lettered
//! by the automatic rules, and some work is left for the lettering workbench: open items,
//! partial groups, a payment 0.50 short (a write-off within the tolerance) and a payment two
//! invoices could match.

mod bank;

use std::path::Path;

use crate::fixtures::{self, FixtureError};
use crate::formats::FormatError;
use crate::formats::documents_csv::{
    DocumentGrouper, DocumentsCsvReader, PaymentGrouper, PaymentsCsvReader,
};
use crate::formats::entries_csv::{EntriesCsvReader, EntryGrouper};
use crate::ledger::{Ctx, ImportOptions, InitParams, Ledger, LedgerError, Selection};
use crate::ledger::{DocumentRef, PaymentInput};
use crate::model::calendar::Period;
use crate::model::document::DocumentType;
use crate::model::{AccountNumber, Amount, CompanyProfile, Entry, EntryInput, Line};
use crate::vat::ReturnPeriod;
use chrono::{Datelike, NaiveDate};

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Fixture(#[from] FixtureError),
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// The month the demo is "in": entries up to the end of the month before are validated.
const CURRENT_MONTH: Period = Period {
    year: 2026,
    month: 11,
};

/// Creates the demo ledger at `path`: chart, settings, third parties, a year of documents and
/// payments posted by the engine, typed entries; each month validated on its last day and its
/// VAT return settled, October's filed, the current month left in drafts; then the bank
/// statements of both bank accounts from January to November, January to October reconciled
/// (see [`bank`]).
pub fn build_demo(path: &Path, ctx: &Ctx) -> Result<Ledger, DemoError> {
    let ledger = build_demo_books(path, ctx)?;
    bank::statements(&ledger, ctx)?;
    Ok(ledger)
}

/// The demo's books without bank statements: what [`build_demo`] builds before it imports
/// them (for tests that bring statements of their own).
pub fn build_demo_books(path: &Path, ctx: &Ctx) -> Result<Ledger, DemoError> {
    let company = fixtures::demo_company()?;
    let mut chart = fixtures::default_chart()?;
    chart.extend(fixtures::parse_chart(
        "fixtures/demo/accounts.csv",
        fixtures::DEMO_ACCOUNTS_CSV,
    )?);
    let params = InitParams {
        company: company.company(),
        first_year_start: company.fiscal_year_start,
        first_year_months: company.fiscal_year_months,
        chart,
        settings: Some(fixtures::parse_settings(
            "fixtures/demo/settings.toml",
            fixtures::DEMO_SETTINGS_TOML,
        )?),
    };
    let ledger = Ledger::create_with_profile(path, &params, Some(&demo_profile()), ctx)?;
    for party in fixtures::parse_parties("fixtures/demo/parties.csv", fixtures::DEMO_PARTIES_CSV)? {
        ledger.add_party(ctx, party)?;
    }
    let name = "fixtures/demo/documents.csv";
    let reader = DocumentsCsvReader::new(name, fixtures::DEMO_DOCUMENTS_CSV.as_bytes())?;
    ledger.import_documents(ctx, name, DocumentGrouper::new(name, reader), true)?;
    let name = "fixtures/demo/payments.csv";
    let reader = PaymentsCsvReader::new(name, fixtures::DEMO_PAYMENTS_CSV.as_bytes())?;
    ledger.import_payments(ctx, name, PaymentGrouper::new(name, reader))?;
    import_entries(
        &ledger,
        ctx,
        "fixtures/demo/entries.csv",
        fixtures::DEMO_ENTRIES_CSV,
    )?;
    ledger.register_payments(
        ctx,
        october_payments()?.into_iter().map(|p| Ok((0, p))),
        None,
    )?;
    bank::add_second_account(&ledger, ctx)?;
    let mut months: Vec<Period> = ledger
        .entries(&Default::default())?
        .iter()
        .map(|e| Period::of(e.date))
        .filter(|p| *p < CURRENT_MONTH)
        .collect();
    months.sort();
    months.dedup();
    let mut returns = Vec::new();
    for month in months {
        let month_ctx = ctx.on(month.last_day());
        // Validates the month's entries with the settlement and payment of the month
        // before, dated in it.
        ledger.validate(
            &month_ctx,
            &Selection::Until {
                date: month.last_day(),
                journal: None,
            },
        )?;
        returns.push(settle_vat_return(&ledger, ctx, month)?);
    }
    if let Some(last) = returns.last() {
        file_vat_return(&ledger, ctx, last)?;
    }
    import_entries(
        &ledger,
        ctx,
        "fixtures/demo/drafts.csv",
        fixtures::DEMO_DRAFTS_CSV,
    )?;
    // The accountant runs the automatic rules the day October's return is filed: the
    // lettering date is the demo's, never the day the demo is built.
    let lettered_on = returns
        .last()
        .map_or(CURRENT_MONTH.first_day(), |last| last.filed_on);
    letter_demo(&ledger, ctx, lettered_on)?;
    bank::november_books(&ledger, ctx)?;
    Ok(ledger)
}

/// A monthly VAT return of the demo as the accountant settled it.
struct SettledReturn {
    period: ReturnPeriod,
    filed_on: NaiveDate,
    settlement: Option<Entry>,
}

/// The day of the month on which the demo company files its CA3 (the next business day when
/// it falls on a weekend) and the day the tax office debits the bank.
const VAT_FILING_DAY: u32 = 15;
const VAT_PAYMENT_DAY: u32 = 19;

fn account(number: &str) -> Result<AccountNumber, DemoError> {
    AccountNumber::parse(number)
        .map_err(|e| DemoError::Ledger(LedgerError::Corrupt(format!("demo account: {e}"))))
}

/// The weekday on or after `day` of the month after `month`.
fn business_day_after(month: Period, day: u32) -> Result<NaiveDate, DemoError> {
    let next = month.next();
    let mut date = NaiveDate::from_ymd_opt(next.year, next.month, day)
        .ok_or_else(|| LedgerError::Corrupt(format!("demo date {next}-{day}")))?;
    while date.weekday().number_from_monday() > 5 {
        date = date
            .succ_opt()
            .ok_or_else(|| LedgerError::Corrupt(format!("demo date after {date}")))?;
    }
    Ok(date)
}

/// Settles the return of `month` the way the accountant does once the month is validated:
/// the worksheet's settlement entry dated on the filing day of the next month, then, when the
/// return shows VAT to pay (line 32), the tax office's debit of that amount on the bank a few
/// days later (Dr 445510 / Cr 512000; both 445510 lines on the tax office's third party, so
/// they letter). A credit (line 27) is carried to the next return's line 22, with no
/// payment. Both entries are drafts, validated with the month they are dated in.
fn settle_vat_return(
    ledger: &Ledger,
    ctx: &Ctx,
    month: Period,
) -> Result<SettledReturn, DemoError> {
    let period = ReturnPeriod::Month {
        year: month.year,
        month: month.month,
    };
    let filed_on = business_day_after(month, VAT_FILING_DAY)?;
    let filing_ctx = ctx.on(filed_on);
    let options = ledger.vat_options()?;
    let (_, settlement) = ledger.vat_settle_on(&filing_ctx, period, &options, "OD", filed_on)?;
    let payable = account("445510")?;
    let due = settlement
        .iter()
        .flat_map(|e| &e.lines)
        .filter(|l| l.account == payable)
        .try_fold(Amount::ZERO, |sum, l| {
            sum.checked_add(l.credit)?.checked_sub(l.debit)
        })
        .ok_or_else(|| LedgerError::Corrupt(format!("VAT to pay of {period}")))?;
    if due.is_positive() {
        // On the tax office's third party, like the settlement's line: they letter.
        let tax_office = ledger.settings()?.vat.tax_office_party;
        let paid_on = business_day_after(month, VAT_PAYMENT_DAY)?;
        let input = EntryInput {
            journal: "BQ".to_string(),
            date: paid_on,
            piece: format!("CA3 {period}"),
            label: format!("Paiement TVA CA3 {period} - DGFiP"),
            lines: vec![
                Line::debit(payable, due).with_party(Some(tax_office)),
                Line::credit(account("512000")?, due),
            ],
        };
        ledger.add_entry(&ctx.on(paid_on), &input)?;
    }
    Ok(SettledReturn {
        period,
        filed_on,
        settlement,
    })
}

/// Files the last settled return (October): its settlement entry is validated on the filing
/// day and the month is locked. The next month's return is left to prepare.
fn file_vat_return(ledger: &Ledger, ctx: &Ctx, last: &SettledReturn) -> Result<(), DemoError> {
    let filing_ctx = ctx.on(last.filed_on);
    if let Some(entry) = &last.settlement {
        ledger.validate(&filing_ctx, &Selection::Entries(vec![entry.id]))?;
    }
    ledger.vat_file(&filing_ctx, last.period)?;
    Ok(())
}

/// The demo company collects by SEPA direct debit: its creditor identifier and bank.
fn demo_profile() -> CompanyProfile {
    CompanyProfile {
        sepa_creditor_id: Some("FR72ZZZ123456".into()),
        iban: Some("FR0230004008230001234567890".into()),
        bic: Some("BNPAFRPPXXX".into()),
        ..CompanyProfile::default()
    }
}

/// Payments of the last day of October registered after the year's payments file: a
/// customer transfer 0.50 short of its invoice (allocated: a partial group, 0.50 to write
/// off), two supplier transfers recorded without allocation, each the only payment of its
/// invoice's amount (the automatic rules letter them), and a supplier transfer of the amount
/// of two open invoices (a choice for the suggestions). Dated on the month's last day, their
/// entries are numbered after every other entry of October.
fn october_payments() -> Result<Vec<PaymentInput>, DemoError> {
    let date = NaiveDate::from_ymd_opt(2026, 10, 31)
        .ok_or_else(|| LedgerError::Corrupt("demo date 2026-10-31".into()))?;
    let payment = |doc_type, party: &str, cents: i64, reference: &str, allocate: Option<&str>| {
        let amount = Amount::from_cents(cents);
        PaymentInput {
            doc_type,
            party: party.to_string(),
            date,
            amount,
            method: "transfer".to_string(),
            reference: reference.to_string(),
            allocations: allocate
                .map(|document| vec![(DocumentRef::Text(document.to_string()), amount)])
                .unwrap_or_default(),
            allocation_lines: Vec::new(),
        }
    };
    Ok(vec![
        payment(
            DocumentType::CustomerPayment,
            "CLUMEN",
            61_150,
            "VIR LUMEN FA2026-00121",
            Some("FA2026-00121"),
        ),
        payment(
            DocumentType::SupplierPayment,
            "FLICHTWERK",
            211_250,
            "VIR LICHTWERK",
            None,
        ),
        payment(
            DocumentType::SupplierPayment,
            "FVERRERIE",
            192_240,
            "VIR FABRE",
            None,
        ),
        payment(
            DocumentType::SupplierPayment,
            "FCOMPTA",
            46_800,
            "VIR RICARD HONORAIRES",
            None,
        ),
    ])
}

/// Letters what the documents did not: everything the automatic rules find, dated
/// `lettered_on` (a day of the demo's calendar, so the demo is the same whatever day it is
/// built).
fn letter_demo(ledger: &Ledger, ctx: &Ctx, lettered_on: NaiveDate) -> Result<(), DemoError> {
    ledger.letter_auto(&ctx.on(lettered_on), None, None, false)?;
    Ok(())
}

fn import_entries(ledger: &Ledger, ctx: &Ctx, name: &str, text: &str) -> Result<(), DemoError> {
    let reader = EntriesCsvReader::new(name, text.as_bytes())?;
    ledger.import_entries(
        ctx,
        name,
        EntryGrouper::new(name, reader),
        &ImportOptions::default(),
    )?;
    Ok(())
}
