//! Where the interface can go. A screen asks for a `Route`; the application resolves it into a
//! screen (reading the ledger) and puts it on the navigation stack. Screens never build each
//! other, so a new screen is reachable from anywhere by naming its route.

use chrono::NaiveDate;

use super::action::Context;
use super::screens::aged::{AgedScreen, Drill};
use super::screens::balance::BalanceScreen;
use super::screens::bank::BankScreen;
use super::screens::chart::ChartScreen;
use super::screens::closing::YearCloseScreen;
use super::screens::document::DocumentScreen;
use super::screens::documents::{DocumentsScreen, Show};
use super::screens::editor::EditorScreen;
use super::screens::entries::EntriesScreen;
use super::screens::entry::EntryScreen;
use super::screens::history::HistoryScreen;
use super::screens::home::HomeScreen;
use super::screens::ledger::LedgerScreen;
use super::screens::lettering::LetteringScreen;
use super::screens::parties::PartiesScreen;
use super::screens::statements::{StatementView, StatementsScreen};
use super::screens::vat::{VatScreen, VatView};
use super::screens::{Env, Screen};
use crate::ledger::LedgerError;
use crate::model::document::DocumentId;
use crate::model::{AccountNumber, EntryId};
use crate::reports::aged::AgedSide;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Home,
    /// The entries of the current fiscal year, the cursor on the latest.
    Entries,
    /// Every draft, whatever its date.
    Drafts,
    Entry(EntryId),
    /// The entry grid for a new entry, in a journal or the first one.
    NewEntry {
        journal: Option<String>,
    },
    /// The entry grid over a draft.
    EditEntry(EntryId),
    /// The entry grid holding a copy of an entry, as a new draft.
    Duplicate(EntryId),
    /// The entry grid over a parked entry, to finish it.
    Parked(u64),
    /// The chart of accounts, filtered on a text when not empty.
    Chart {
        filter: String,
    },
    Balance,
    /// Third parties, filtered on a text when not empty.
    Parties {
        filter: String,
    },
    /// An account's ledger over the current fiscal year, on its last line.
    Account(AccountNumber),
    /// An account's ledger over a date range, on its first line.
    AccountIn {
        account: AccountNumber,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    },
    /// An account's ledger on an entry's line.
    AccountAt {
        account: AccountNumber,
        entry: EntryId,
    },
    /// A third party's ledger.
    Party(String),
    /// The audit trail of one record (`entry:42`), or of the whole ledger.
    History(Option<String>),
    Documents(Show),
    Document(DocumentId),
    /// The preview of closing the earliest open fiscal year, which asks before writing.
    CloseYear,
    /// The aged balance of a side at a date (today when none), or the lines of one party's
    /// cell (a bucket, or every open line).
    Aged {
        side: AgedSide,
        at: Option<NaiveDate>,
        drill: Drill,
    },
    /// The lettering workbench: accounts and parties with open items, one of them opened
    /// when named (its account, or the first letterable account it has open items on).
    Lettering {
        account: Option<AccountNumber>,
        party: Option<String>,
    },
    /// The reconciliation session on a statement (by id), else on the first statement (of
    /// the account, when named) with lines left to reconcile.
    Bank {
        account: Option<AccountNumber>,
        statement: Option<u64>,
    },
    /// A financial statement, or the accounts of one of its rubriques.
    Statements {
        view: StatementView,
        drill: Option<String>,
    },
    /// VAT returns: the periods of a year, a return, a box's lines or a return's checks.
    Vat(VatView),
}

impl Route {
    /// The context of the screen the route leads to.
    pub fn context(&self) -> Context {
        match self {
            Route::Home => Context::Home,
            Route::Entries | Route::Drafts => Context::Entries,
            Route::Entry(_) => Context::Entry,
            Route::NewEntry { .. }
            | Route::EditEntry(_)
            | Route::Duplicate(_)
            | Route::Parked(_) => Context::Editor,
            Route::Chart { .. } => Context::Chart,
            Route::Balance => Context::Balance,
            Route::Parties { .. } => Context::Parties,
            Route::Account(_) | Route::AccountIn { .. } | Route::AccountAt { .. } => {
                Context::Ledger
            }
            Route::Party(_) => Context::Ledger,
            Route::History(_) => Context::History,
            Route::Documents(_) => Context::Documents,
            Route::Document(_) => Context::Document,
            Route::CloseYear => Context::Dialog,
            Route::Aged { .. } => Context::Aged,
            Route::Lettering { .. } => Context::Lettering,
            Route::Bank { .. } => Context::Bank,
            Route::Statements { .. } => Context::Statements,
            Route::Vat(_) => Context::Vat,
        }
    }

    /// The screen of a context that opens from anywhere (the palette runs an action of
    /// another screen there); none for contexts that need a record (an entry, an account).
    pub fn of_context(context: Context) -> Option<Route> {
        Some(match context {
            Context::Home => Route::Home,
            Context::Entries => Route::Entries,
            Context::Editor => Route::NewEntry { journal: None },
            Context::Chart => Route::Chart {
                filter: String::new(),
            },
            Context::Balance => Route::Balance,
            Context::Parties => Route::Parties {
                filter: String::new(),
            },
            Context::History => Route::History(None),
            Context::Documents => Route::Documents(super::screens::documents::Show::All),
            Context::Aged => Route::Aged {
                side: AgedSide::Customers,
                at: None,
                drill: None,
            },
            Context::Lettering => Route::Lettering {
                account: None,
                party: None,
            },
            Context::Bank => Route::Bank {
                account: None,
                statement: None,
            },
            Context::Statements => Route::Statements {
                view: StatementView::default(),
                drill: None,
            },
            Context::Vat => Route::Vat(VatView::Periods { year: None }),
            Context::Global
            | Context::List
            | Context::Form
            | Context::Dialog
            | Context::Entry
            | Context::Ledger
            | Context::Document => return None,
        })
    }

    /// Reads the ledger for the screen the route leads to.
    pub fn resolve(&self, env: &Env) -> Result<Box<dyn Screen>, LedgerError> {
        Ok(match self {
            Route::Home => Box::new(HomeScreen::new(env)?),
            Route::Entries => Box::new(EntriesScreen::new(env)?),
            Route::Drafts => Box::new(EntriesScreen::drafts(env)?),
            Route::Entry(id) => Box::new(EntryScreen::new(env, *id)?),
            Route::NewEntry { journal } => Box::new(EditorScreen::new(env, journal.as_deref())?),
            Route::EditEntry(id) => Box::new(EditorScreen::edit(env, &env.ledger.entry(*id)?)?),
            Route::Duplicate(id) => {
                Box::new(EditorScreen::duplicate(env, &env.ledger.entry(*id)?)?)
            }
            Route::Parked(id) => Box::new(EditorScreen::resume(env, &env.ledger.parked(*id)?)?),
            Route::Chart { filter } => Box::new(ChartScreen::new(env, filter)?),
            Route::Balance => Box::new(BalanceScreen::new(env)?),
            Route::Parties { filter } => Box::new(PartiesScreen::new(env, filter)?),
            Route::Account(account) => Box::new(LedgerScreen::account(env, account)?),
            Route::AccountIn { account, from, to } => {
                Box::new(LedgerScreen::account_in(env, account, *from, *to)?)
            }
            Route::AccountAt { account, entry } => {
                Box::new(LedgerScreen::account_at(env, account, *entry)?)
            }
            Route::Party(code) => Box::new(LedgerScreen::party(env, code)?),
            Route::History(record) => Box::new(HistoryScreen::of(env, record.clone())?),
            Route::Documents(show) => Box::new(DocumentsScreen::new(env, *show)?),
            Route::Document(id) => Box::new(DocumentScreen::new(env, *id)?),
            Route::CloseYear => Box::new(YearCloseScreen::new(env, None)?),
            Route::Aged { side, at, drill } => {
                Box::new(AgedScreen::new(env, *side, *at, drill.clone())?)
            }
            Route::Lettering { account, party } => Box::new(LetteringScreen::new(
                env,
                account.as_ref(),
                party.as_deref(),
            )?),
            Route::Bank { account, statement } => {
                Box::new(BankScreen::new(env, account.as_ref(), *statement)?)
            }
            Route::Statements { view, drill } => {
                Box::new(StatementsScreen::new(env, view, drill.as_deref())?)
            }
            Route::Vat(view) => Box::new(VatScreen::new(env, view)?),
        })
    }
}
