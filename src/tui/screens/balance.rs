//! Trial balance over a date range, with subtotals per PCG class and the grand total.

use chrono::NaiveDate;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::super::action::{Action, Context};
use super::super::keymap::Keymap;
use super::super::theme::Theme;
use super::super::widgets::table::{Column, ListState, search_text};
use super::ledger::LedgerScreen;
use super::{
    Env, Outcome, Prompt, Purpose, Screen, amount_text, clean, current_year, parse_range,
    range_text, range_title,
};
use crate::ledger::LedgerError;
use crate::reports::{TrialBalance, class_label};

enum Item {
    Account(usize),
    Class(usize),
    Total,
}

#[derive(Default)]
pub struct BalanceScreen {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    balance: Option<TrialBalance>,
    items: Vec<Item>,
    search: Vec<String>,
    list: ListState,
}

impl BalanceScreen {
    pub fn new(env: &Env) -> Result<Self, LedgerError> {
        let years = env.ledger.years()?;
        let mut screen = BalanceScreen::default();
        if let Some(year) = current_year(&years, env.ctx.today) {
            screen.from = Some(year.start);
            screen.to = Some(year.end);
        }
        screen.reload(env)?;
        Ok(screen)
    }

    fn cells(&self, item: &Item) -> Vec<String> {
        let Some(balance) = &self.balance else {
            return Vec::new();
        };
        let (account, label, debit, credit, solde) = match item {
            Item::Account(i) => {
                let row = &balance.rows[*i];
                (
                    row.account.to_string(),
                    clean(&row.label),
                    row.debit,
                    row.credit,
                    row.balance(),
                )
            }
            Item::Class(i) => {
                let class = &balance.classes[*i];
                (
                    format!("Class {}", class.class),
                    class_label(class.class).to_string(),
                    class.debit,
                    class.credit,
                    class.balance(),
                )
            }
            Item::Total => (
                "Total".into(),
                if balance.is_balanced() {
                    "balanced".into()
                } else {
                    "NOT BALANCED".into()
                },
                balance.debit,
                balance.credit,
                balance.debit - balance.credit,
            ),
        };
        vec![
            account,
            label,
            amount_text(debit),
            amount_text(credit),
            amount_text(solde),
        ]
    }
}

impl Screen for BalanceScreen {
    fn context(&self) -> Context {
        Context::Balance
    }

    fn title(&self) -> String {
        format!("Trial balance · {}", range_title(self.from, self.to))
    }

    fn reload(&mut self, env: &Env) -> Result<(), LedgerError> {
        let keep = self.record();
        let from = self.from.unwrap_or(NaiveDate::MIN);
        let to = self.to.unwrap_or(NaiveDate::MAX);
        let balance = TrialBalance::build(env.ledger.trial_balance(from, to)?);
        let mut items = Vec::new();
        let mut class_index = 0;
        for (i, row) in balance.rows.iter().enumerate() {
            items.push(Item::Account(i));
            let last_of_class = balance
                .rows
                .get(i + 1)
                .is_none_or(|next| next.account.class() != row.account.class());
            if last_of_class {
                items.push(Item::Class(class_index));
                class_index += 1;
            }
        }
        items.push(Item::Total);
        self.balance = Some(balance);
        self.search = items
            .iter()
            .map(|item| {
                let cells = self.cells(item);
                let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
                search_text(&refs)
            })
            .collect();
        self.items = items;
        self.list.refilter(self.search.iter().map(String::as_str));
        if let Some(record) = keep {
            let at = self.items.iter().position(|item| match item {
                Item::Account(i) => self
                    .balance
                    .as_ref()
                    .is_some_and(|b| format!("account:{}", b.rows[*i].account) == record),
                _ => false,
            });
            if let Some(at) = at {
                self.list.select_row(at);
            }
        }
        Ok(())
    }

    fn render(&self, buf: &mut Buffer, area: Rect, theme: &Theme, _keymap: &Keymap) {
        let columns = [
            Column::left("account", 8),
            Column::fill("label"),
            Column::right("debit", 14),
            Column::right("credit", 14),
            Column::right("balance", 14),
        ];
        self.list.draw(buf, area, &columns, theme, |i| {
            let item = &self.items[i];
            let style = match item {
                Item::Account(_) => Style::new(),
                Item::Class(_) | Item::Total => theme.total,
            };
            (self.cells(item), style)
        });
    }

    fn handle(&mut self, action: Action, env: &Env) -> Outcome {
        if self.list.navigate(action) {
            return Outcome::None;
        }
        match action {
            Action::Open => {
                let Some(Item::Account(i)) = self.list.selected().and_then(|i| self.items.get(i))
                else {
                    return Outcome::None;
                };
                let Some(row) = self.balance.as_ref().map(|b| &b.rows[*i]) else {
                    return Outcome::None;
                };
                match LedgerScreen::account_in(env, &row.account, self.from, self.to) {
                    Ok(screen) => Outcome::open(screen),
                    Err(err) => err.into(),
                }
            }
            Action::SetRange => {
                let years = env.ledger.years().unwrap_or_default();
                Outcome::Prompt(Prompt {
                    title: "Dates: a fiscal year (2026), a month (2026-03), two dates or all"
                        .into(),
                    initial: range_text(self.from, self.to, &years),
                    purpose: Purpose::Range,
                })
            }
            _ => Outcome::None,
        }
    }

    fn answer(&mut self, purpose: &Purpose, text: &str, env: &Env) -> Outcome {
        if *purpose != Purpose::Range {
            return Outcome::None;
        }
        let years = env.ledger.years().unwrap_or_default();
        match parse_range(text, &years, env.ctx.today) {
            Ok((from, to)) => {
                self.from = from;
                self.to = to;
                match self.reload(env) {
                    Ok(()) => Outcome::None,
                    Err(err) => err.into(),
                }
            }
            Err(message) => Outcome::Error(message),
        }
    }

    fn record(&self) -> Option<String> {
        match self.list.selected().and_then(|i| self.items.get(i)) {
            Some(Item::Account(i)) => self
                .balance
                .as_ref()
                .map(|b| format!("account:{}", b.rows[*i].account)),
            _ => None,
        }
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
            (keymap.hint(Context::Balance, Action::SetRange), "dates"),
            (keymap.hint(Context::List, Action::Filter), "filter"),
        ]
    }
}
