//! Trial balance over a date range, with subtotals per PCG class and the grand total.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::super::action::{Action, Context};
use super::super::keymap::Keymap;
use super::super::route::Route;
use super::super::theme::Theme;
use super::super::widgets::list::{List, ListView, Row as ListRow};
use super::super::widgets::table::{Column, needed, search_text};
use super::{Dates, Env, Outcome, Purpose, Screen, amount_text, clean};
use crate::ledger::LedgerError;
use crate::model::{AccountNumber, Amount};
use crate::query::{Field, Fields};
use crate::reports::{TrialBalance, class_label};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Item {
    Account(AccountNumber),
    Class(u8),
    Total,
}

struct Row {
    item: Item,
    cells: Vec<String>,
    /// Debit, credit and balance: the amounts shown.
    amounts: [Amount; 3],
    balance: Amount,
}

impl ListRow for Row {
    type Key = Item;

    fn key(&self) -> Item {
        self.item.clone()
    }

    /// Subtotals have no account: `acct:` keeps accounts only.
    fn fields(&self) -> Fields<'_> {
        Fields {
            accounts: match &self.item {
                Item::Account(account) => vec![account.as_str()],
                _ => Vec::new(),
            },
            amounts: self.amounts.to_vec(),
            ..Fields::default()
        }
    }

    fn known() -> &'static [Field] {
        &[Field::Account, Field::Amount]
    }

    fn search(&self) -> String {
        let cells: Vec<&str> = self.cells.iter().map(String::as_str).collect();
        search_text(&cells)
    }

    fn mark(&self) -> Result<Amount, String> {
        match self.item {
            Item::Account(_) => Ok(self.balance),
            _ => Err("only accounts are marked, not subtotals".into()),
        }
    }
}

fn row(item: Item, account: String, label: String, debit: Amount, credit: Amount) -> Row {
    Row {
        item,
        cells: vec![
            account,
            label,
            amount_text(debit),
            amount_text(credit),
            amount_text(debit - credit),
        ],
        amounts: [debit, credit, debit - credit],
        balance: debit - credit,
    }
}

#[derive(Default)]
pub struct BalanceScreen {
    dates: Dates,
    /// Drafts left out of the figures (they are in by default).
    validated_only: bool,
    list: List<Row>,
}

/// What the figures include, as the screen says it.
pub fn drafts_label(validated_only: bool) -> &'static str {
    if validated_only {
        "validated entries only"
    } else {
        "drafts included"
    }
}

impl BalanceScreen {
    pub fn new(env: &Env) -> Result<Self, LedgerError> {
        let mut screen = BalanceScreen {
            dates: Dates::current_year(env)?,
            validated_only: false,
            list: List::new(),
        };
        screen.reload(env)?;
        Ok(screen)
    }
}

impl Screen for BalanceScreen {
    fn context(&self) -> Context {
        Context::Balance
    }

    fn title(&self) -> String {
        format!(
            "Trial balance · {} · {}",
            self.dates.title(),
            drafts_label(self.validated_only)
        )
    }

    fn reload(&mut self, env: &Env) -> Result<(), LedgerError> {
        let from = self.dates.from.unwrap_or(chrono::NaiveDate::MIN);
        let to = self.dates.to.unwrap_or(chrono::NaiveDate::MAX);
        let rows = if self.validated_only {
            env.ledger.trial_balance_validated(from, to)?
        } else {
            env.ledger.trial_balance(from, to)?
        };
        let balance = TrialBalance::build(rows);
        let mut rows = Vec::new();
        let mut classes = balance.classes.iter();
        for (i, r) in balance.rows.iter().enumerate() {
            rows.push(row(
                Item::Account(r.account.clone()),
                r.account.to_string(),
                clean(&r.label),
                r.debit,
                r.credit,
            ));
            let last_of_class = balance
                .rows
                .get(i + 1)
                .is_none_or(|next| next.account.class() != r.account.class());
            if last_of_class && let Some(class) = classes.next() {
                rows.push(row(
                    Item::Class(class.class),
                    format!("Class {}", class.class),
                    class_label(class.class).to_string(),
                    class.debit,
                    class.credit,
                ));
            }
        }
        rows.push(row(
            Item::Total,
            "Total".into(),
            if balance.is_balanced() {
                "balanced".into()
            } else {
                "NOT BALANCED".into()
            },
            balance.debit,
            balance.credit,
        ));
        self.list.set_rows(rows);
        Ok(())
    }

    fn render(&self, buf: &mut Buffer, area: Rect, theme: &Theme, _keymap: &Keymap) {
        // Amount columns as wide as their largest figure: billions are never cut.
        let rows = self.list.rows();
        let amounts = |i: usize, title: &str| {
            needed(title, rows.iter().map(|r| r.cells[i].as_str()), 24).max(10)
        };
        let columns = [
            Column::left("account", 8),
            // Said where it is seen at 80 columns too, where the title is cut.
            Column::fill(if self.validated_only {
                "label · validated entries only"
            } else {
                "label · drafts included"
            }),
            Column::right("debit", amounts(2, "debit")),
            Column::right("credit", amounts(3, "credit")),
            Column::right("balance", amounts(4, "balance")),
        ];
        self.list.draw(buf, area, &columns, theme, |row| {
            let style = match row.item {
                Item::Account(_) => Style::new(),
                Item::Class(_) | Item::Total => theme.total,
            };
            (row.cells.clone(), style)
        });
    }

    fn handle(&mut self, action: Action, env: &Env) -> Outcome {
        match action {
            Action::Open => match self.list.selected().map(|r| &r.item) {
                Some(Item::Account(account)) => Outcome::Open(Route::AccountIn {
                    account: account.clone(),
                    from: self.dates.from,
                    to: self.dates.to,
                }),
                _ => Outcome::None,
            },
            Action::SetRange => self.dates.prompt(env),
            Action::PrevPeriod | Action::NextPeriod | Action::WholeYear => {
                match self.dates.after_key(action, env) {
                    Some(Ok(dates)) => {
                        self.dates = dates;
                        self.reload(env)
                            .map_or_else(Outcome::from, |()| Outcome::None)
                    }
                    Some(Err(message)) => Outcome::Error(message),
                    None => Outcome::None,
                }
            }
            Action::ToggleDrafts => {
                self.validated_only = !self.validated_only;
                match self.reload(env) {
                    Ok(()) => Outcome::Info(drafts_label(self.validated_only).into()),
                    Err(err) => err.into(),
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
                self.dates = dates;
                self.reload(env)
                    .map_or_else(Outcome::from, |()| Outcome::None)
            }
            Err(message) => Outcome::Error(message),
        }
    }

    fn record(&self) -> Option<String> {
        match self.list.selected().map(|r| &r.item) {
            Some(Item::Account(account)) => Some(format!("account:{account}")),
            _ => None,
        }
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
            (keymap.hint(Context::Balance, Action::SetRange), "dates"),
            (keymap.hint(Context::List, Action::Filter), "filter"),
        ]
    }
}
