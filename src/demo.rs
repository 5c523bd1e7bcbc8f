//! The demo company: a small French lighting workshop's first year, built from the embedded
//! fixtures through the same ledger commands a user runs. Sales, purchases and payments are
//! documents whose entries the posting engine writes; payroll, loans, VAT returns and bank
//! fees are typed entries. Payments letter with the invoices they settle as their entries are
//! validated; a few bank lines typed without a document are lettered by the automatic rules,
//! and some work is left for the lettering workbench: open items, partial groups, a payment
//! 0.50 short (a write-off within the tolerance) and a payment two invoices could match.

use std::path::Path;

use crate::fixtures::{self, FixtureError};
use crate::formats::FormatError;
use crate::formats::documents_csv::{
    DocumentGrouper, DocumentsCsvReader, PaymentGrouper, PaymentsCsvReader,
};
use crate::formats::entries_csv::{EntriesCsvReader, EntryGrouper};
use crate::ledger::{Ctx, ImportOptions, InitParams, Ledger, LedgerError, Selection};
use crate::model::AccountNumber;
use crate::model::calendar::Period;

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
/// payments posted by the engine, typed entries; each month validated on its last day, the
/// current month left in drafts.
pub fn build_demo(path: &Path, ctx: &Ctx) -> Result<Ledger, DemoError> {
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
    let ledger = Ledger::create(path, &params, ctx)?;
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
    import_entries(&ledger, ctx, "demo bank lines", BANK_LINES_CSV)?;
    let mut months: Vec<Period> = ledger
        .entries(&Default::default())?
        .iter()
        .map(|e| Period::of(e.date))
        .filter(|p| *p < CURRENT_MONTH)
        .collect();
    months.sort();
    months.dedup();
    for month in months {
        let month_ctx = Ctx {
            today: month.last_day(),
            ..ctx.clone()
        };
        ledger.validate(
            &month_ctx,
            &Selection::Until {
                date: month.last_day(),
                journal: None,
            },
        )?;
    }
    import_entries(
        &ledger,
        ctx,
        "fixtures/demo/drafts.csv",
        fixtures::DEMO_DRAFTS_CSV,
    )?;
    letter_demo(&ledger, ctx)?;
    Ok(ledger)
}

/// Bank lines of the last day of October typed without a document (the way an import brings
/// them): two supplier payments the automatic rules letter (one names the invoice, one is
/// the only payment of its amount), a customer payment 0.50 short of its invoice and a
/// supplier payment of the amount of two open invoices. Dated on the month's last day, they
/// are numbered after every other entry of October.
const BANK_LINES_CSV: &str = "\
journal,date,piece,label,account,third_party,debit,credit
BQ,2026-10-31,FF2026-00101,Virement Lichtwerk FF2026-00101,401000,FLICHTWERK,2112.50,
BQ,2026-10-31,FF2026-00101,Virement Lichtwerk FF2026-00101,512000,,,2112.50
BQ,2026-10-31,VIR-FABRE-1031,Virement Verrerie Fabre,401000,FVERRERIE,1922.40,
BQ,2026-10-31,VIR-FABRE-1031,Virement Verrerie Fabre,512000,,,1922.40
BQ,2026-10-31,FA2026-00121,Virement Lumen Design FA2026-00121,512000,,611.50,
BQ,2026-10-31,FA2026-00121,Virement Lumen Design FA2026-00121,411000,CLUMEN,,611.50
BQ,2026-10-31,VIR-RICARD-1031,Virement Cabinet Ricard honoraires,401000,FCOMPTA,468.00,
BQ,2026-10-31,VIR-RICARD-1031,Virement Cabinet Ricard honoraires,512000,,,468.00
";

/// Letters what the documents did not: the short payment partially with its invoice (as an
/// accountant would, leaving its 0.50 to write off), then everything the automatic rules
/// find. The lettering date is the working date.
fn letter_demo(ledger: &Ledger, ctx: &Ctx) -> Result<(), DemoError> {
    let customers = AccountNumber::parse("411000")
        .map_err(|err| LedgerError::Corrupt(format!("demo account 411000: {err}")))?;
    let short: Vec<_> = ledger
        .open_items(&customers, "CLUMEN")?
        .into_iter()
        .filter(|item| item.piece == "FA2026-00121")
        .map(|item| item.at)
        .collect();
    if short.len() == 2 {
        ledger.letter(ctx, &short)?;
    }
    ledger.letter_auto(ctx, None, None, false)?;
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
