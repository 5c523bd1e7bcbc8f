//! Third parties (customers and suppliers) with their balances.

use std::collections::BTreeMap;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::super::action::{Action, Context};
use super::super::keymap::Keymap;
use super::super::route::Route;
use super::super::theme::Theme;
use super::super::widgets::list::{List, ListView, Row as ListRow};
use super::super::widgets::table::{Column, search_text};
use super::{Env, Outcome, Screen, amount_text, clean, current_year};
use crate::ledger::LedgerError;
use crate::model::{Amount, Party};
use crate::query::{Field, Fields};

struct Row {
    party: Party,
    name: String,
    balance: Amount,
}

impl ListRow for Row {
    type Key = String;

    fn key(&self) -> String {
        self.party.code.clone()
    }

    fn fields(&self) -> Fields<'_> {
        Fields {
            accounts: vec![self.party.collective_account.as_str()],
            parties: vec![&self.party.code, &self.name],
            amounts: vec![self.balance],
            ..Fields::default()
        }
    }

    fn known() -> &'static [Field] {
        &[Field::Account, Field::Party, Field::Amount]
    }

    fn search(&self) -> String {
        search_text(&[
            &self.party.code,
            &self.name,
            self.party.kind.name(),
            self.party.collective_account.as_str(),
        ])
    }

    fn mark(&self) -> Result<Amount, String> {
        Ok(self.balance)
    }
}

#[derive(Default)]
pub struct PartiesScreen {
    list: List<Row>,
}

impl PartiesScreen {
    /// The third parties, filtered on `filter` when it is not empty.
    pub fn new(env: &Env, filter: &str) -> Result<Self, LedgerError> {
        let mut screen = PartiesScreen::default();
        screen.reload(env)?;
        screen.list.set_filter(filter, env.ledger)?;
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
        let years = env.ledger.years()?;
        let to = current_year(&years, env.ctx.today)
            .map(|y| y.end)
            .unwrap_or(env.ctx.today);
        let balances: BTreeMap<String, Amount> = env.ledger.party_balances(to)?;
        let rows = env
            .ledger
            .parties()?
            .into_iter()
            .map(|party| Row {
                name: clean(&party.name),
                balance: balances.get(&party.code).copied().unwrap_or_default(),
                party,
            })
            .collect();
        self.list.set_rows(rows);
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
        self.list.draw(buf, area, &columns, theme, |row| {
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

    fn handle(&mut self, action: Action, _env: &Env) -> Outcome {
        match action {
            Action::Open => match self.list.selected() {
                Some(row) => Outcome::Open(Route::Party(row.party.code.clone())),
                None => Outcome::None,
            },
            _ => Outcome::None,
        }
    }

    fn record(&self) -> Option<String> {
        self.list
            .selected()
            .map(|r| format!("party:{}", r.party.code))
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
        ]
    }
}
