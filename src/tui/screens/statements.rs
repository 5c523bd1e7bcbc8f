//! Financial statements: the balance sheet (bilan) and the income statement (compte de
//! résultat) of a fiscal year in the PCG layout, the year before beside it. `enter` on a
//! rubrique lists its accounts; on an account, opens its ledger over the year.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::super::action::{Action, Context};
use super::super::keymap::Keymap;
use super::super::route::Route;
use super::super::theme::Theme;
use super::super::widgets::list::{List, ListView, Row as ListRow};
use super::super::widgets::table::{Column, needed, search_text};
use super::balance::drafts_label;
use super::{Env, Outcome, Screen, amount_text, clean, current_year};
use crate::ledger::LedgerError;
use crate::model::{AccountNumber, Amount, FiscalYear};
use crate::query::{Field, Fields};
use crate::reports::statements::{Mapping, Statement, StatementKind, StatementLine};

/// Where the screen's own rubriques table comes from, instead of the PCG one built in.
pub const MAPPING_ENV: &str = "FOLIO_STATEMENTS_MAPPING";

/// What a statements screen shows: which statement, year and layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementView {
    pub kind: StatementKind,
    /// The fiscal year's name; the current year when none.
    pub year: Option<String>,
    pub abridged: bool,
    pub validated_only: bool,
}

impl Default for StatementView {
    fn default() -> Self {
        StatementView {
            kind: StatementKind::BalanceSheet,
            year: None,
            abridged: false,
            validated_only: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Item {
    Heading(usize),
    Rubrique(String),
    Subtotal(usize),
    Total(usize),
    Result,
    Account(AccountNumber),
}

struct Row {
    item: Item,
    cells: Vec<String>,
    amount: Amount,
}

impl ListRow for Row {
    type Key = Item;

    fn key(&self) -> Item {
        self.item.clone()
    }

    fn fields(&self) -> Fields<'_> {
        Fields {
            accounts: match &self.item {
                Item::Account(account) => vec![account.as_str()],
                _ => Vec::new(),
            },
            amounts: vec![self.amount],
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
            Item::Rubrique(_) | Item::Account(_) => Ok(self.amount),
            _ => Err("only rubriques and accounts are marked, not totals".into()),
        }
    }
}

fn row(item: Item, label: String, amount: Amount, previous: Option<Amount>) -> Row {
    Row {
        item,
        cells: vec![
            label,
            amount_text(amount),
            previous.map(amount_text).unwrap_or_default(),
        ],
        amount,
    }
}

fn heading(item: Item, label: String) -> Row {
    Row {
        item,
        cells: vec![label, String::new(), String::new()],
        amount: Amount::ZERO,
    }
}

pub struct StatementsScreen {
    view: StatementView,
    year: Option<FiscalYear>,
    /// The rubrique whose accounts are listed.
    drill: Option<String>,
    statement: Option<Statement>,
    mapping: Mapping,
    list: List<Row>,
}

/// The mapping the screens use: `$FOLIO_STATEMENTS_MAPPING` when set, else the PCG one.
fn mapping() -> Result<Mapping, LedgerError> {
    let invalid = |reason: String| LedgerError::Invalid {
        field: "mapping",
        reason,
    };
    match std::env::var_os(MAPPING_ENV) {
        Some(path) if !path.is_empty() => {
            let name = std::path::Path::new(&path).display().to_string();
            let text = std::fs::read_to_string(&path)
                .map_err(|e| invalid(format!("cannot read {name}: {e}")))?;
            Mapping::parse(&name, &text).map_err(|e| invalid(e.to_string()))
        }
        _ => Mapping::pcg().map_err(|e| invalid(e.to_string())),
    }
}

impl StatementsScreen {
    pub fn new(env: &Env, view: &StatementView, drill: Option<&str>) -> Result<Self, LedgerError> {
        let mut screen = StatementsScreen {
            view: view.clone(),
            year: None,
            drill: drill.map(str::to_string),
            statement: None,
            mapping: mapping()?,
            list: List::new().with_empty_text("no fiscal year"),
        };
        screen.reload(env)?;
        Ok(screen)
    }

    fn line(&self) -> Option<&StatementLine> {
        let code = self.drill.as_deref()?;
        self.statement
            .as_ref()?
            .lines
            .iter()
            .find(|l| l.rubrique == code)
    }

    fn statement_rows(statement: &Statement) -> Vec<Row> {
        let mut rows = Vec::new();
        let mut sections = 0usize;
        for (n, side) in statement.kind.sides().into_iter().enumerate() {
            rows.push(heading(
                Item::Heading(sections),
                side.label().to_uppercase(),
            ));
            sections += 1;
            let lines: Vec<&StatementLine> = statement.side(side).collect();
            for (i, line) in lines.iter().enumerate() {
                if i == 0 || lines[i - 1].section != line.section {
                    rows.push(heading(Item::Heading(sections), clean(&line.section)));
                }
                rows.push(row(
                    Item::Rubrique(line.rubrique.clone()),
                    format!("  {}", clean(&line.label)),
                    line.amount,
                    line.previous,
                ));
                if lines
                    .get(i + 1)
                    .is_none_or(|next| next.section != line.section)
                {
                    let of_section = lines.iter().filter(|l| l.section == line.section);
                    let (mut amount, mut previous) =
                        (Amount::ZERO, line.previous.map(|_| Amount::ZERO));
                    for l in of_section {
                        amount = amount.checked_add(l.amount).unwrap_or(amount);
                        previous = previous.zip(l.previous).and_then(|(a, b)| a.checked_add(b));
                    }
                    rows.push(row(
                        Item::Subtotal(sections),
                        format!("Total {}", lowercase_first(&clean(&line.section))),
                        amount,
                        previous,
                    ));
                    sections += 1;
                }
            }
            let total = statement.total(side);
            rows.push(row(
                Item::Total(n),
                format!("TOTAL {}", side.label().to_uppercase()),
                total.amount,
                total.previous,
            ));
        }
        rows.push(row(
            Item::Result,
            if statement.result.is_negative() {
                "Résultat de l'exercice (perte)".into()
            } else {
                "Résultat de l'exercice (bénéfice)".into()
            },
            statement.result,
            statement.result_previous,
        ));
        rows
    }
}

impl Screen for StatementsScreen {
    fn context(&self) -> Context {
        Context::Statements
    }

    fn title(&self) -> String {
        let year = self.year.as_ref().map(FiscalYear::name).unwrap_or_default();
        let previous = self
            .statement
            .as_ref()
            .and_then(|s| s.previous_year.clone())
            .map(|p| format!(" · N-1 {p}"))
            .unwrap_or_default();
        let layout = if self.view.abridged {
            " · abrégé"
        } else {
            ""
        };
        let what = match self.line() {
            Some(line) => format!("{} › {}", self.view.kind.title(), clean(&line.label)),
            None => self.view.kind.title().to_string(),
        };
        format!(
            "{what} {year}{previous}{layout} · {}",
            drafts_label(self.view.validated_only)
        )
    }

    fn reload(&mut self, env: &Env) -> Result<(), LedgerError> {
        let years = env.ledger.years()?;
        self.year = match &self.view.year {
            Some(name) => years.iter().find(|y| y.name() == *name).cloned(),
            None => current_year(&years, env.ctx.today),
        };
        let Some(year) = &self.year else {
            self.statement = None;
            self.list.set_rows(Vec::new());
            return Ok(());
        };
        let statement = env.ledger.financial_statement(
            self.view.kind,
            year,
            &self.mapping,
            self.view.validated_only,
            self.view.abridged,
        )?;
        self.statement = Some(statement);
        let rows = match (self.line(), &self.statement) {
            (Some(line), _) => {
                let mut rows: Vec<Row> = line
                    .accounts
                    .iter()
                    .map(|a| {
                        row(
                            Item::Account(a.account.clone()),
                            format!("{} {}", a.account, clean(&a.label)),
                            a.amount,
                            line.previous.map(|_| a.previous),
                        )
                    })
                    .collect();
                if line.holds_result {
                    let result = self
                        .statement
                        .as_ref()
                        .map(|s| s.result)
                        .unwrap_or_default();
                    rows.push(row(
                        Item::Result,
                        "Résultat de l'exercice (classes 7 − 6)".into(),
                        result,
                        self.statement.as_ref().and_then(|s| s.result_previous),
                    ));
                }
                rows.push(row(
                    Item::Total(0),
                    "Total".into(),
                    line.amount,
                    line.previous,
                ));
                rows
            }
            (None, Some(statement)) => Self::statement_rows(statement),
            (None, None) => Vec::new(),
        };
        self.list.set_rows(rows);
        Ok(())
    }

    fn render(&self, buf: &mut Buffer, area: Rect, theme: &Theme, _keymap: &Keymap) {
        let rows = self.list.rows();
        let amounts = |i: usize, title: &str| {
            needed(title, rows.iter().map(|r| r.cells[i].as_str()), 20).max(12)
        };
        let columns = [
            Column::fill(if self.drill.is_some() {
                "account"
            } else {
                "rubrique"
            }),
            Column::right("N", amounts(1, "N")),
            Column::right("N-1", amounts(2, "N-1")),
        ];
        self.list.draw(buf, area, &columns, theme, |row| {
            let style = match row.item {
                Item::Rubrique(_) | Item::Account(_) => Style::new(),
                Item::Heading(_) => theme.header,
                Item::Subtotal(_) | Item::Total(_) | Item::Result => theme.total,
            };
            (row.cells.clone(), style)
        });
    }

    fn handle(&mut self, action: Action, env: &Env) -> Outcome {
        match action {
            Action::Open => match self.list.selected().map(|r| r.item.clone()) {
                Some(Item::Rubrique(code)) => Outcome::Open(Route::Statements {
                    view: self.view.clone(),
                    drill: Some(code),
                }),
                Some(Item::Account(account)) => Outcome::Open(Route::AccountIn {
                    account,
                    from: self.year.as_ref().map(|y| y.start),
                    to: self.year.as_ref().map(|y| y.end),
                }),
                _ => Outcome::None,
            },
            Action::StatementKind if self.drill.is_none() => {
                self.view.kind = match self.view.kind {
                    StatementKind::BalanceSheet => StatementKind::Income,
                    StatementKind::Income => StatementKind::BalanceSheet,
                };
                self.refresh(env, None)
            }
            Action::Abridged if self.drill.is_none() => {
                self.view.abridged = !self.view.abridged;
                let said = if self.view.abridged {
                    "abridged layout"
                } else {
                    "système de base layout"
                };
                self.refresh(env, Some(said.into()))
            }
            Action::ToggleDrafts => {
                self.view.validated_only = !self.view.validated_only;
                self.refresh(env, Some(drafts_label(self.view.validated_only).into()))
            }
            Action::PrevPeriod | Action::NextPeriod => {
                let years = match env.ledger.years() {
                    Ok(years) => years,
                    Err(err) => return err.into(),
                };
                let at = self
                    .year
                    .as_ref()
                    .and_then(|y| years.iter().position(|x| x.start == y.start));
                let next = match (at, action) {
                    (Some(at), Action::PrevPeriod) => at.checked_sub(1),
                    (Some(at), _) => Some(at + 1).filter(|n| *n < years.len()),
                    (None, _) => None,
                };
                match next.and_then(|n| years.get(n)) {
                    Some(year) => {
                        self.view.year = Some(year.name());
                        self.refresh(env, None)
                    }
                    None => Outcome::Info("no fiscal year there".into()),
                }
            }
            _ => Outcome::None,
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
        let open = if self.drill.is_some() {
            "ledger"
        } else {
            "accounts"
        };
        let mut hints = vec![(keymap.hint(Context::List, Action::Open), open)];
        if self.drill.is_none() {
            hints.push((
                keymap.hint(Context::Statements, Action::StatementKind),
                match self.view.kind {
                    StatementKind::BalanceSheet => "income",
                    StatementKind::Income => "balance sheet",
                },
            ));
        }
        hints.push((keymap.hint(Context::Statements, Action::PrevPeriod), "year"));
        hints
    }
}

impl StatementsScreen {
    fn refresh(&mut self, env: &Env, said: Option<String>) -> Outcome {
        match self.reload(env) {
            Ok(()) => said.map_or(Outcome::None, Outcome::Info),
            Err(err) => err.into(),
        }
    }
}

/// `Actif immobilisé` as it reads after "Total".
fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
