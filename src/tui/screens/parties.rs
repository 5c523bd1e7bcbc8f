//! Third parties (customers and suppliers) with their balances.

use std::collections::BTreeMap;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::super::action::{Action, Context};
use super::super::keymap::Keymap;
use super::super::theme::Theme;
use super::super::widgets::table::{Column, ListState, search_text};
use super::ledger::LedgerScreen;
use super::{Env, Outcome, Screen, amount_text, clean, current_year};
use crate::ledger::LedgerError;
use crate::model::{Amount, Party};

struct Row {
    party: Party,
    name: String,
    balance: Amount,
}

#[derive(Default)]
pub struct PartiesScreen {
    rows: Vec<Row>,
    search: Vec<String>,
    list: ListState,
}

impl PartiesScreen {
    pub fn new(env: &Env) -> Result<Self, LedgerError> {
        let mut screen = PartiesScreen::default();
        screen.reload(env)?;
        Ok(screen)
    }
}

impl Screen for PartiesScreen {
    fn context(&self) -> Context {
        Context::Parties
    }

    fn title(&self) -> String {
        "Third parties".into()
    }

    fn reload(&mut self, env: &Env) -> Result<(), LedgerError> {
        let keep = self
            .list
            .selected()
            .and_then(|i| self.rows.get(i))
            .map(|r| r.party.code.clone());
        let years = env.ledger.years()?;
        let to = current_year(&years, env.ctx.today)
            .map(|y| y.end)
            .unwrap_or(env.ctx.today);
        let balances: BTreeMap<String, Amount> = env.ledger.party_balances(to)?;
        self.rows = env
            .ledger
            .parties()?
            .into_iter()
            .map(|party| Row {
                name: clean(&party.name),
                balance: balances.get(&party.code).copied().unwrap_or_default(),
                party,
            })
            .collect();
        self.search = self
            .rows
            .iter()
            .map(|r| {
                search_text(&[
                    &r.party.code,
                    &r.name,
                    r.party.kind.name(),
                    r.party.collective_account.as_str(),
                ])
            })
            .collect();
        self.list.refilter(self.search.iter().map(String::as_str));
        if let Some(code) = keep
            && let Some(row) = self.rows.iter().position(|r| r.party.code == code)
        {
            self.list.select_row(row);
        }
        Ok(())
    }

    fn render(&self, buf: &mut Buffer, area: Rect, theme: &Theme, _keymap: &Keymap) {
        let columns = [
            Column::left("code", 12),
            Column::fill("name"),
            Column::left("kind", 9),
            Column::left("account", 8).from(100),
            Column::right("balance", 13),
        ];
        self.list.draw(buf, area, &columns, theme, |i| {
            let row = &self.rows[i];
            let cells = vec![
                row.party.code.clone(),
                if row.party.active {
                    row.name.clone()
                } else {
                    format!("{} (inactive)", row.name)
                },
                row.party.kind.name().to_string(),
                row.party.collective_account.to_string(),
                amount_text(row.balance),
            ];
            (cells, Style::new())
        });
    }

    fn handle(&mut self, action: Action, env: &Env) -> Outcome {
        if self.list.navigate(action) {
            return Outcome::None;
        }
        match action {
            Action::Open => match self.list.selected().and_then(|i| self.rows.get(i)) {
                Some(row) => match LedgerScreen::party(env, &row.party.code) {
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
            .map(|r| format!("party:{}", r.party.code))
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
        ]
    }
}
