//! The demo company: a small French lighting workshop's first year, built from the embedded
//! fixtures through the same ledger commands a user runs.

use std::path::Path;

use crate::fixtures::{self, FixtureError};
use crate::formats::FormatError;
use crate::formats::entries_csv::{EntriesCsvReader, EntryGrouper};
use crate::ledger::{Ctx, ImportOptions, InitParams, Ledger, LedgerError, Selection};
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

/// Creates the demo ledger at `path`: chart, third parties, ten months of validated entries
/// (each month validated on its last day) and the current month's drafts.
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
    };
    let ledger = Ledger::create(path, &params, ctx)?;
    for party in fixtures::parse_parties("fixtures/demo/parties.csv", fixtures::DEMO_PARTIES_CSV)? {
        ledger.add_party(ctx, party)?;
    }
    import(
        &ledger,
        ctx,
        "fixtures/demo/entries.csv",
        fixtures::DEMO_ENTRIES_CSV,
    )?;
    let mut months: Vec<Period> = ledger
        .entries(&Default::default())?
        .iter()
        .map(|e| Period::of(e.date))
        .collect();
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
    import(
        &ledger,
        ctx,
        "fixtures/demo/drafts.csv",
        fixtures::DEMO_DRAFTS_CSV,
    )?;
    Ok(ledger)
}

fn import(ledger: &Ledger, ctx: &Ctx, name: &str, text: &str) -> Result<(), DemoError> {
    let reader = EntriesCsvReader::new(name, text.as_bytes())?;
    ledger.import_entries(
        ctx,
        name,
        EntryGrouper::new(name, reader),
        &ImportOptions::default(),
    )?;
    Ok(())
}
