//! The ledger of an account or a third party, with running balance.
//!
//! The list is read page by page (keyset paging, in the list component): a key costs the same
//! on line 10 as on line 900,000.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::super::action::{Action, Context};
use super::super::keymap::Keymap;
use super::super::route::Route;
use super::super::theme::Theme;
use super::super::widgets::list::{Fetch, List, ListView, Pager, Row};
use super::super::widgets::table::{Column, search_text};
use super::{
    Dates, Env, Outcome, Purpose, Screen, amount_or_blank, amount_text, clean, date_text, line,
};
use crate::ledger::{Ledger, LedgerError, LedgerOf, LedgerRow, LineKey, WindowStart};
use crate::model::{AccountNumber, Amount, EntryId, EntryStatus};
use crate::query::{Field, Fields};

impl Row for LedgerRow {
    type Key = (EntryId, u32);

    fn key(&self) -> (EntryId, u32) {
        (self.entry_id, self.line_no)
    }

    /// `amt:` compares with the line's debit or credit.
    fn fields(&self) -> Fields<'_> {
        Fields {
            accounts: vec![self.account.as_str()],
            parties: self.third_party.as_deref().into_iter().collect(),
            journal: Some(&self.journal),
            amounts: [self.debit, self.credit]
                .into_iter()
                .filter(|a| !a.is_zero())
                .collect(),
            date: Some(self.date),
            status: Some(if self.reference.starts_with('#') {
                EntryStatus::Draft
            } else {
                EntryStatus::Validated
            }),
            open: None,
            text: Vec::new(),
        }
    }

    fn known() -> &'static [Field] {
        &[
            Field::Account,
            Field::Party,
            Field::Journal,
            Field::Amount,
            Field::Date,
            Field::Status,
        ]
    }

    fn search(&self) -> String {
        search_text(&[
            &date_text(self.date),
            &self.reference,
            &self.piece,
            &self.label,
            self.third_party.as_deref().unwrap_or(""),
            &amount_or_blank(self.debit),
            &amount_or_blank(self.credit),
        ])
    }

    /// Marked lines add up debit less credit: what lettering or reconciling them leaves.
    fn mark(&self) -> Result<Amount, String> {
        Ok(self.debit - self.credit)
    }
}

/// The lines of an account or a party over a date range, read by key.
struct Lines {
    of: LedgerOf,
    dates: Dates,
}

impl Lines {
    fn window(
        &self,
        ledger: &Ledger,
        start: WindowStart,
        limit: usize,
    ) -> Result<Vec<LedgerRow>, LedgerError> {
        ledger.ledger_window(&self.of, self.dates.from, self.dates.to, start, limit)
    }
}

impl Pager<LedgerRow> for Lines {
    fn count(&self, ledger: &Ledger) -> Result<usize, LedgerError> {
        ledger.ledger_line_count(&self.of, self.dates.from, self.dates.to)
    }

    fn fetch(
        &self,
        ledger: &Ledger,
        start: Fetch<'_, LedgerRow>,
        limit: usize,
    ) -> Result<Vec<LedgerRow>, LedgerError> {
        let start = match start {
            Fetch::First => WindowStart::First,
            Fetch::Last => WindowStart::Last,
            Fetch::After(last) => WindowStart::After {
                key: LineKey::of(last),
                balance: last.balance,
            },
            Fetch::Before(first) => WindowStart::Before {
                key: LineKey::of(first),
                balance: first.balance - first.debit + first.credit,
            },
        };
        self.window(ledger, start, limit)
    }
}

pub struct LedgerScreen {
    of: LedgerOf,
    name: String,
    dates: Dates,
    opening: Amount,
    closing: Amount,
    list: List<LedgerRow>,
}

impl LedgerScreen {
    fn blank(env: &Env, of: LedgerOf, name: String) -> Result<Self, LedgerError> {
        let dates = Dates::current_year(env)?;
        Ok(LedgerScreen {
            list: List::paged(Lines {
                of: of.clone(),
                dates,
            })
            .with_empty_text("(no line in this range)"),
            of,
            name,
            dates,
            opening: Amount::ZERO,
            closing: Amount::ZERO,
        })
    }

    fn of_account(env: &Env, account: &AccountNumber) -> Result<Self, LedgerError> {
        let label = clean(&env.ledger.account(account)?.label);
        Self::blank(
            env,
            LedgerOf::Account(account.clone()),
            format!("{account} {label}"),
        )
    }

    /// An account's ledger over the current fiscal year, the cursor on the last line.
    pub fn account(env: &Env, account: &AccountNumber) -> Result<Self, LedgerError> {
        let mut screen = Self::of_account(env, account)?;
        screen.count(env)?;
        screen.list.bottom(env.ledger)?;
        Ok(screen)
    }

    /// An account's ledger over a date range, the cursor on the first line.
    pub fn account_in(
        env: &Env,
        account: &AccountNumber,
        from: Option<chrono::NaiveDate>,
        to: Option<chrono::NaiveDate>,
    ) -> Result<Self, LedgerError> {
        let mut screen = Self::of_account(env, account)?;
        screen.set_dates(Dates { from, to });
        screen.count(env)?;
        screen.list.top(env.ledger)?;
        Ok(screen)
    }

    /// A third party's ledger over the current fiscal year, the cursor on the last line.
    pub fn party(env: &Env, code: &str) -> Result<Self, LedgerError> {
        let party = env.ledger.party(code)?;
        let name = format!(
            "{} {} ({})",
            party.code,
            clean(&party.name),
            party.collective_account
        );
        let mut screen = Self::blank(env, LedgerOf::Party(party.code.clone()), name)?;
        screen.count(env)?;
        screen.list.bottom(env.ledger)?;
        Ok(screen)
    }

    /// An account's ledger with the cursor on an entry's line, over the fiscal year of that
    /// entry.
    pub fn account_at(
        env: &Env,
        account: &AccountNumber,
        entry: EntryId,
    ) -> Result<Self, LedgerError> {
        let mut screen = Self::of_account(env, account)?;
        let date = env.ledger.entry(entry)?.date;
        if let Some(year) = env.ledger.years()?.into_iter().find(|y| y.contains(date)) {
            screen.set_dates(Dates {
                from: Some(year.start),
                to: Some(year.end),
            });
        }
        screen.count(env)?;
        if !screen.goto_entry(env, entry, None)? {
            screen.list.bottom(env.ledger)?;
        }
        Ok(screen)
    }

    fn set_dates(&mut self, dates: Dates) {
        self.dates = dates;
        self.list.set_pager(Lines {
            of: self.of.clone(),
            dates,
        });
    }

    /// Counts the lines and reads the balances brought forward and at the end.
    fn count(&mut self, env: &Env) -> Result<(), LedgerError> {
        self.list.count(env.ledger)?;
        self.opening = match self.dates.from.and_then(|d| d.pred_opt()) {
            Some(before) => env.ledger.ledger_balance(&self.of, Some(before))?,
            None => Amount::ZERO,
        };
        self.closing = env.ledger.ledger_balance(&self.of, self.dates.to)?;
        Ok(())
    }

    /// Puts the cursor on `entry`'s line (`line_no` when given); false when it is not here.
    fn goto_entry(
        &mut self,
        env: &Env,
        entry: EntryId,
        line_no: Option<u32>,
    ) -> Result<bool, LedgerError> {
        let lines = Lines {
            of: self.of.clone(),
            dates: self.dates,
        };
        let Some((key, position)) =
            env.ledger
                .ledger_find_entry(&self.of, self.dates.from, self.dates.to, entry)?
        else {
            return Ok(false);
        };
        let balance = position.balance_before;
        let margin = self.list.place_margin();
        let before = lines.window(env.ledger, WindowStart::Before { key, balance }, margin)?;
        let after = lines.window(env.ledger, WindowStart::At { key, balance }, margin)?;
        self.list.place(position.index, before, after);
        if let Some(line_no) = line_no {
            self.list
                .select(|r| r.entry_id == entry && r.line_no == line_no);
        }
        Ok(true)
    }

    fn columns(&self) -> Vec<Column> {
        vec![
            Column::left("date", 10),
            Column::left("number", 13),
            Column::left("piece", 12).from(100),
            Column::fill("label"),
            Column::left("let.", 4).from(110),
            Column::right("debit", 11),
            Column::right("credit", 11),
            // Filtered, the running balance is still the account's, not the lines shown.
            Column::right(
                if self.list.is_searched() {
                    "acct balance"
                } else {
                    "balance"
                },
                12,
            ),
        ]
    }

    /// While filtered: what the lines found add up to, and what the balance column is.
    fn filtered_total(&self) -> Option<String> {
        let rows = self.list.found_rows()?;
        // Checked: ten thousand lines of huge amounts must not wrap.
        let total = |amount: fn(&LedgerRow) -> Amount| {
            rows.iter()
                .try_fold(Amount::ZERO, |sum, r| sum.checked_add(amount(r)))
                .map_or_else(|| "(too large)".to_string(), amount_text)
        };
        // The balance column stays the account's: its header says so (`acct balance`).
        Some(format!(
            "Filtered lines: debit {} · credit {} · {} lines",
            total(|r| r.debit),
            total(|r| r.credit),
            self.list.count_text().unwrap_or_default()
        ))
    }
}

fn row_cells(row: &LedgerRow) -> Vec<String> {
    vec![
        date_text(row.date),
        row.reference.clone(),
        clean(&row.piece),
        clean(&row.label),
        row.letter.clone().unwrap_or_default(),
        amount_or_blank(row.debit),
        amount_or_blank(row.credit),
        amount_text(row.balance),
    ]
}

impl Screen for LedgerScreen {
    fn context(&self) -> Context {
        Context::Ledger
    }

    fn title(&self) -> String {
        match self.of {
            LedgerOf::Account(_) => format!("Ledger {}", self.name),
            LedgerOf::Party(_) => format!("Third party {}", self.name),
        }
    }

    fn reload(&mut self, env: &Env) -> Result<(), LedgerError> {
        let keep = self.list.selected().map(|r| (r.entry_id, r.line_no));
        self.count(env)?;
        if let Some((entry, line_no)) = keep
            && !self.list.is_searched()
            && self.goto_entry(env, entry, Some(line_no))?
        {
            return self.list.ensure(env.ledger);
        }
        self.list.reread(env.ledger)
    }

    fn render(&self, buf: &mut Buffer, area: Rect, theme: &Theme, _keymap: &Keymap) {
        let inner = area;
        line(
            buf,
            inner,
            inner.y,
            &format!(
                "{} · {} · {} lines",
                self.name,
                self.dates.title(),
                self.list.total()
            ),
            theme.title,
        );
        let summary = self.filtered_total().unwrap_or_else(|| {
            format!(
                "Brought forward {} · closing balance {} · {}",
                amount_text(self.opening),
                amount_text(self.closing),
                self.list.position("line")
            )
        });
        line(buf, inner, inner.y + 1, &summary, theme.dim);
        let table = Rect::new(
            inner.x,
            inner.y + 2,
            inner.width,
            inner.height.saturating_sub(2),
        );
        self.list.draw(buf, table, &self.columns(), theme, |row| {
            (row_cells(row), Style::new())
        });
    }

    fn handle(&mut self, action: Action, env: &Env) -> Outcome {
        match action {
            Action::Open => match self.list.selected() {
                Some(row) => Outcome::Open(Route::Entry(row.entry_id)),
                None => Outcome::None,
            },
            Action::SetRange => self.dates.prompt(env),
            Action::PrevPeriod | Action::NextPeriod | Action::WholeYear => {
                match self.dates.after_key(action, env) {
                    Some(Ok(dates)) => {
                        self.set_dates(dates);
                        let shown = self.count(env).and_then(|()| self.list.top(env.ledger));
                        let shown = shown.and_then(|()| self.list.reread(env.ledger));
                        shown.map_or_else(Outcome::from, |()| Outcome::None)
                    }
                    Some(Err(message)) => Outcome::Error(message),
                    None => Outcome::None,
                }
            }
            _ => Outcome::None,
        }
    }

    fn answer(&mut self, purpose: &Purpose, text: &str, env: &Env) -> Outcome {
        if *purpose != Purpose::Range {
            return Outcome::None;
        }
        match Dates::parse(text, env) {
            Ok(dates) => {
                self.set_dates(dates);
                self.reload(env)
                    .map_or_else(Outcome::from, |()| Outcome::None)
            }
            Err(message) => Outcome::Error(message),
        }
    }

    fn record(&self) -> Option<String> {
        Some(match &self.of {
            LedgerOf::Account(number) => format!("account:{number}"),
            LedgerOf::Party(code) => format!("party:{code}"),
        })
    }

    fn list(&self) -> Option<&dyn ListView> {
        Some(&self.list)
    }

    fn list_mut(&mut self) -> Option<&mut dyn ListView> {
        Some(&mut self.list)
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, &'static str)> {
        vec![
            (keymap.hint(Context::List, Action::Open), "entry"),
            (keymap.hint(Context::Ledger, Action::SetRange), "dates"),
            (keymap.hint(Context::List, Action::Filter), "filter"),
            (keymap.hint(Context::List, Action::Bottom), "last line"),
        ]
    }
}
