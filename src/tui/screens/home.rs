//! Home: the company, its fiscal year and open periods, the balances an accountant checks
//! first, and the drafts waiting. Each figure opens the list behind it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::super::action::{Action, Context};
use super::super::keymap::Keymap;
use super::super::route::Route;
use super::super::theme::Theme;
use super::super::widgets::list::{List, ListView, Row};
use super::super::widgets::table::{Column, search_text};
use super::balance::drafts_label;
use super::documents::{Show, customer_credits, customer_due};
use super::{Env, Outcome, Screen, amount_text, clean, current_year, date_text, line};
use crate::ledger::{AuditRecord, LedgerError};
use crate::model::calendar::Period;
use crate::model::{AccountNumber, Amount, FiscalYear};

#[derive(Debug, Clone)]
enum Target {
    Ledger(AccountNumber),
    Chart(&'static str),
    Parties(&'static str),
    Drafts,
    CustomerDue,
    CustomerCredits,
}

#[derive(Debug, Clone)]
struct Figure {
    label: String,
    value: String,
    target: Target,
}

impl Row for Figure {
    /// Figures are always the same, in the same order: the first words of their label.
    type Key = String;

    fn key(&self) -> String {
        self.label.split(':').next().unwrap_or_default().to_string()
    }

    fn search(&self) -> String {
        search_text(&[&self.label])
    }
}

#[derive(Default)]
pub struct HomeScreen {
    company: String,
    siren: String,
    year: Option<FiscalYear>,
    list: List<Figure>,
    recent: Vec<AuditRecord>,
    /// Drafts left out of the balances (they are in by default).
    validated_only: bool,
}

/// Balance of every account starting with `prefix`, and the accounts that moved.
fn by_prefix(rows: &[crate::ledger::BalanceRow], prefix: &str) -> (Amount, Vec<AccountNumber>) {
    let mut total = Amount::ZERO;
    let mut accounts = Vec::new();
    for row in rows.iter().filter(|r| r.account.starts_with(prefix)) {
        total += row.balance();
        accounts.push(row.account.clone());
    }
    (total, accounts)
}

/// The balance of the accounts under `prefix`; it opens the account's ledger when there is one
/// account (`single` when none moved), the chart filtered on the prefix otherwise.
fn account_figure(
    rows: &[crate::ledger::BalanceRow],
    label: &'static str,
    prefix: &str,
    single: &str,
    fallback: Target,
) -> Figure {
    let (total, accounts) = by_prefix(rows, prefix);
    let target = match accounts.as_slice() {
        [one] => Target::Ledger(one.clone()),
        [] => AccountNumber::parse(single)
            .map(Target::Ledger)
            .unwrap_or(fallback),
        _ => fallback,
    };
    Figure {
        label: label.into(),
        value: amount_text(total),
        target,
    }
}

/// Open months written as ranges: `2026-01 → 2026-10, 2026-12`.
fn open_periods(year: &FiscalYear) -> String {
    if !year.is_open() {
        return "closed".into();
    }
    let mut ranges: Vec<(Period, Period)> = Vec::new();
    for period in year.periods().into_iter().filter(|p| !year.is_locked(*p)) {
        match ranges.last_mut() {
            Some((_, last)) if last.next() == period => *last = period,
            _ => ranges.push((period, period)),
        }
    }
    if ranges.is_empty() {
        return "every period is locked".into();
    }
    ranges
        .iter()
        .map(|(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a} → {b}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl HomeScreen {
    pub fn new(env: &Env) -> Result<Self, LedgerError> {
        let mut screen = HomeScreen::default();
        screen.reload(env)?;
        Ok(screen)
    }

    fn open(&self) -> Outcome {
        let Some(figure) = self.list.selected() else {
            return Outcome::None;
        };
        Outcome::Open(match &figure.target {
            Target::Ledger(account) => Route::Account(account.clone()),
            Target::Chart(filter) => Route::Chart {
                filter: filter.to_string(),
            },
            Target::Parties(filter) => Route::Parties {
                filter: filter.to_string(),
            },
            Target::CustomerDue => Route::Documents(Show::CustomerDue),
            Target::CustomerCredits => Route::Documents(Show::CustomerCredits),
            Target::Drafts => Route::Drafts,
        })
    }
}

impl Screen for HomeScreen {
    fn context(&self) -> Context {
        Context::Home
    }

    fn title(&self) -> String {
        "Home".into()
    }

    fn reload(&mut self, env: &Env) -> Result<(), LedgerError> {
        let company = env.ledger.company()?;
        self.company = clean(&company.name);
        self.siren = company.siren;
        let years = env.ledger.years()?;
        self.year = current_year(&years, env.ctx.today);
        let rows = match &self.year {
            Some(year) if self.validated_only => {
                env.ledger.trial_balance_validated(year.start, year.end)?
            }
            Some(year) => env.ledger.trial_balance(year.start, year.end)?,
            None => Vec::new(),
        };
        let mut figures = vec![
            account_figure(&rows, "Bank (512)", "512", "512000", Target::Chart("512")),
            Figure {
                label: "Customers (411)".into(),
                value: amount_text(by_prefix(&rows, "411").0),
                target: Target::Parties("customer"),
            },
            Figure {
                label: "Suppliers (401)".into(),
                value: amount_text(by_prefix(&rows, "401").0),
                target: Target::Parties("supplier"),
            },
            Figure {
                label: "VAT (445)".into(),
                value: amount_text(by_prefix(&rows, "445").0),
                target: Target::Chart("445"),
            },
            account_figure(
                &rows,
                "Suspense (471)",
                "471",
                "471000",
                Target::Chart("471"),
            ),
        ];
        let (due_count, due_total) = customer_due(env)?;
        figures.push(Figure {
            label: format!("Unpaid customer invoices: {due_count}"),
            value: amount_text(due_total),
            target: Target::CustomerDue,
        });
        // With the invoices due, the credits not yet used make the customers' balance.
        let (credit_count, credit_total) = customer_credits(env)?;
        figures.push(Figure {
            label: format!("Customer credits not yet used: {credit_count}"),
            value: amount_text(credit_total),
            target: Target::CustomerCredits,
        });
        figures.push(Figure {
            label: "Drafts to validate".into(),
            value: env.ledger.draft_count()?.to_string(),
            target: Target::Drafts,
        });
        self.list.set_rows(figures);
        self.recent = env.ledger.recent_history(8)?;
        Ok(())
    }

    fn render(&self, buf: &mut Buffer, area: Rect, theme: &Theme, _keymap: &Keymap) {
        let x = area.x + 1;
        let inner = Rect::new(x, area.y, area.width.saturating_sub(2), area.height);
        line(
            buf,
            inner,
            inner.y,
            &format!("{} · SIREN {}", self.company, self.siren),
            theme.title,
        );
        let year = match &self.year {
            Some(year) => format!(
                "Fiscal year {}: {} – {}, {}",
                year.name(),
                date_text(year.start),
                date_text(year.end),
                if year.is_open() { "open" } else { "closed" }
            ),
            None => "No fiscal year".into(),
        };
        line(buf, inner, inner.y + 1, &year, theme.dim);
        if let Some(year) = &self.year {
            line(
                buf,
                inner,
                inner.y + 2,
                &format!("Open periods: {}", open_periods(year)),
                theme.dim,
            );
        }
        let width = inner.width.min(60);
        let figures = Rect::new(
            inner.x,
            inner.y + 4,
            width,
            (self.list.rows().len() as u16 + 1).min(inner.height.saturating_sub(4)),
        );
        let heading = if self.validated_only {
            "Year balances, validated entries only"
        } else {
            "Year balances, drafts included"
        };
        let columns = [Column::fill(heading), Column::right("", 16)];
        self.list.draw(buf, figures, &columns, theme, |figure| {
            (
                vec![figure.label.clone(), figure.value.clone()],
                ratatui::style::Style::new(),
            )
        });
        let mut y = figures.bottom() + 1;
        if y + 1 < inner.bottom() {
            line(buf, inner, y, "Latest changes", theme.header);
            y += 1;
            for record in self.recent.iter().rev() {
                if y >= inner.bottom() {
                    break;
                }
                let text = format!(
                    "{}  {:<8} {}",
                    record.at.format("%d/%m %H:%M"),
                    clean(&record.user),
                    clean(&record.detail)
                );
                line(buf, inner, y, &text, theme.dim);
                y += 1;
            }
        }
    }

    fn handle(&mut self, action: Action, env: &Env) -> Outcome {
        match action {
            Action::Open => self.open(),
            Action::ToggleDrafts => {
                self.validated_only = !self.validated_only;
                match self.reload(env) {
                    Ok(()) => Outcome::Info(drafts_label(self.validated_only).into()),
                    Err(err) => err.into(),
                }
            }
            Action::CloseYear => Outcome::Open(Route::CloseYear),
            _ => Outcome::None,
        }
    }

    fn record(&self) -> Option<String> {
        Some("company".into())
    }

    fn list(&self) -> Option<&dyn ListView> {
        Some(&self.list)
    }

    fn list_mut(&mut self) -> Option<&mut dyn ListView> {
        Some(&mut self.list)
    }
}
