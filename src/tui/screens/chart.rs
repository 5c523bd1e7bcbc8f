//! The chart of accounts with the fiscal year's movements and balances.

use std::collections::HashMap;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::super::action::{Action, Context};
use super::super::keymap::Keymap;
use super::super::route::Route;
use super::super::theme::Theme;
use super::super::widgets::list::{List, ListView, Row as ListRow};
use super::super::widgets::table::{Column, search_text};
use super::{Env, Outcome, Screen, amount_or_blank, clean, current_year};
use crate::ledger::{BalanceRow, LedgerError};
use crate::model::{Account, AccountNumber, Amount};
use crate::query::{Field, Fields};

struct Row {
    account: Account,
    label: String,
    debit: Amount,
    credit: Amount,
}

impl ListRow for Row {
    type Key = AccountNumber;

    fn key(&self) -> AccountNumber {
        self.account.number.clone()
    }

    fn fields(&self) -> Fields<'_> {
        Fields {
            accounts: vec![self.account.number.as_str()],
            amounts: vec![self.debit, self.credit, self.debit - self.credit],
            ..Fields::default()
        }
    }

    fn known() -> &'static [Field] {
        &[Field::Account, Field::Amount]
    }

    fn search(&self) -> String {
        search_text(&[
            self.account.number.as_str(),
            &self.label,
            if self.account.active { "" } else { "inactive" },
        ])
    }

    /// Marked accounts add up their balances over the year.
    fn mark(&self) -> Result<Amount, String> {
        Ok(self.debit - self.credit)
    }
}

#[derive(Default)]
pub struct ChartScreen {
    year: String,
    list: List<Row>,
}

impl ChartScreen {
    /// The chart, filtered on `filter` when it is not empty.
    pub fn new(env: &Env, filter: &str) -> Result<Self, LedgerError> {
        let mut screen = ChartScreen::default();
        screen.reload(env)?;
        screen.list.set_filter(filter, env.ledger)?;
        Ok(screen)
    }
}

impl Screen for ChartScreen {
    fn context(&self) -> Context {
        Context::Chart
    }

    fn title(&self) -> String {
        format!("Chart of accounts · {}", self.year)
    }

    fn reload(&mut self, env: &Env) -> Result<(), LedgerError> {
        let years = env.ledger.years()?;
        let year = current_year(&years, env.ctx.today);
        let balances: HashMap<String, BalanceRow> = match &year {
            Some(year) => env
                .ledger
                .trial_balance(year.start, year.end)?
                .into_iter()
                .map(|r| (r.account.to_string(), r))
                .collect(),
            None => HashMap::new(),
        };
        self.year = year.map(|y| y.name()).unwrap_or_default();
        let rows = env
            .ledger
            .accounts()?
            .into_iter()
            .map(|account| {
                let (debit, credit) = balances
                    .get(account.number.as_str())
                    .map(|b| (b.debit, b.credit))
                    .unwrap_or_default();
                Row {
                    label: clean(&account.label),
                    account,
                    debit,
                    credit,
                }
            })
            .collect();
        self.list.set_rows(rows);
        Ok(())
    }

    fn render(&self, buf: &mut Buffer, area: Rect, theme: &Theme, _keymap: &Keymap) {
        let columns = [
            Column::left("account", 8),
            Column::fill("label"),
            Column::left("kind", 11).from(110),
            Column::right("debit", 13),
            Column::right("credit", 13),
            Column::right("balance", 13),
        ];
        self.list.draw(buf, area, &columns, theme, |row| {
            let moved = !(row.debit.is_zero() && row.credit.is_zero());
            let cells = vec![
                row.account.number.to_string(),
                if row.account.active {
                    row.label.clone()
                } else {
                    format!("{} (inactive)", row.label)
                },
                row.account.kind.name().to_string(),
                amount_or_blank(row.debit),
                amount_or_blank(row.credit),
                if moved {
                    super::amount_text(row.debit - row.credit)
                } else {
                    String::new()
                },
            ];
            (cells, if moved { Style::new() } else { theme.dim })
        });
    }

    fn handle(&mut self, action: Action, _env: &Env) -> Outcome {
        match action {
            Action::Open => match self.list.selected() {
                Some(row) => Outcome::Open(Route::Account(row.account.number.clone())),
                None => Outcome::None,
            },
            _ => Outcome::None,
        }
    }

    fn record(&self) -> Option<String> {
        self.list
            .selected()
            .map(|r| format!("account:{}", r.account.number))
    }

    fn list(&self) -> Option<&dyn ListView> {
        Some(&self.list)
    }

    fn list_mut(&mut self) -> Option<&mut dyn ListView> {
        Some(&mut self.list)
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, &'static str)> {
        vec![
            (keymap.hint(Context::List, Action::Open), "ledger"),
            (keymap.hint(Context::List, Action::Filter), "filter"),
            (keymap.hint(Context::Global, Action::History), "history"),
        ]
    }
}
