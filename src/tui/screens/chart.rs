//! The chart of accounts with the fiscal year's movements and balances.

use std::collections::HashMap;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::super::action::{Action, Context};
use super::super::keymap::Keymap;
use super::super::theme::Theme;
use super::super::widgets::table::{Column, ListState, search_text};
use super::ledger::LedgerScreen;
use super::{Env, Outcome, Screen, amount_or_blank, clean, current_year};
use crate::ledger::{BalanceRow, LedgerError};
use crate::model::{Account, Amount};

struct Row {
    account: Account,
    label: String,
    debit: Amount,
    credit: Amount,
}

#[derive(Default)]
pub struct ChartScreen {
    year: String,
    rows: Vec<Row>,
    search: Vec<String>,
    list: ListState,
}

impl ChartScreen {
    pub fn new(env: &Env) -> Result<Self, LedgerError> {
        let mut screen = ChartScreen::default();
        screen.reload(env)?;
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
        let keep = self
            .list
            .selected()
            .and_then(|i| self.rows.get(i))
            .map(|r| r.account.number.clone());
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
        self.rows = env
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
        self.search = self
            .rows
            .iter()
            .map(|r| {
                search_text(&[
                    r.account.number.as_str(),
                    &r.label,
                    if r.account.active { "" } else { "inactive" },
                ])
            })
            .collect();
        self.list.refilter(self.search.iter().map(String::as_str));
        if let Some(number) = keep
            && let Some(row) = self.rows.iter().position(|r| r.account.number == number)
        {
            self.list.select_row(row);
        }
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
        self.list.draw(buf, area, &columns, theme, |i| {
            let row = &self.rows[i];
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

    fn handle(&mut self, action: Action, env: &Env) -> Outcome {
        if self.list.navigate(action) {
            return Outcome::None;
        }
        match action {
            Action::Open => match self.list.selected().and_then(|i| self.rows.get(i)) {
                Some(row) => match LedgerScreen::account(env, &row.account.number) {
                    Ok(screen) => Outcome::open(screen),
                    Err(err) => err.into(),
                },
                None => Outcome::None,
            },
            _ => Outcome::None,
        }
    }

    fn record(&self) -> Option<String> {
        self.list
            .selected()
            .and_then(|i| self.rows.get(i))
            .map(|r| format!("account:{}", r.account.number))
    }

    fn filter(&self) -> Option<&str> {
        Some(&self.list.filter)
    }

    fn set_filter(&mut self, text: &str, _env: &Env) {
        self.list
            .set_filter(text, self.search.iter().map(String::as_str));
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, &'static str)> {
        vec![
            (keymap.hint(Context::List, Action::Open), "ledger"),
            (keymap.hint(Context::List, Action::Filter), "filter"),
            (keymap.hint(Context::Global, Action::History), "history"),
        ]
    }
}
