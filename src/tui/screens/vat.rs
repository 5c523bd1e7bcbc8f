//! VAT returns (CA3): the periods of a year with their status and net due or credit; a
//! period's return laid out like the form (operations, taxable base and tax, deductions,
//! result) with its consistency checks in a panel; a box's lines; the checks line by line.
//! `enter` goes down one level (period → return → box → lines → entry), `s` shows the
//! settlement entry then posts it, `f` files a settled return after asking.

use chrono::Datelike;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::super::action::{Action, Context};
use super::super::keymap::Keymap;
use super::super::route::Route;
use super::super::theme::Theme;
use super::super::widgets::list::{List, ListView, Row as ListRow};
use super::super::widgets::overlay::boxed;
use super::super::widgets::table::{Column, needed, search_text};
use super::{
    Confirm, Env, Outcome, Screen, Write, amount_or_blank, amount_text, clean, date_text, line,
};
use crate::ledger::vat::{MAX_PAGE, ReturnStatus, SettlementPreview, Worksheet};
use crate::ledger::{Ctx, Ledger, LedgerError};
use crate::model::{Amount, EntryId};
use crate::query::{Field, Fields};
use crate::vat::{Ca3Box, Periodicity, ReturnPeriod, VatOptions};

/// A box's lines read at most: past this, the title says so and `folio vat return --lines`
/// lists them all.
pub const MAX_BOX_LINES: usize = 5_000;
/// Lines of the checks panel under the return (its border aside).
const PANEL_LINES: usize = 5;
/// The journal of the settlement entry, as `folio vat settle` posts it by default.
const SETTLEMENT_JOURNAL: &str = "OD";

/// What the VAT screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VatView {
    /// The periods of a calendar year (the working date's when none).
    Periods { year: Option<i32> },
    /// A period's return, box by box, and its checks.
    Return(ReturnPeriod),
    /// The lines that make a box.
    Lines(ReturnPeriod, Ca3Box),
    /// The consistency checks of a return, one per row.
    Checks(ReturnPeriod),
}

impl VatView {
    fn period(&self) -> Option<ReturnPeriod> {
        match self {
            VatView::Periods { .. } => None,
            VatView::Return(p) | VatView::Lines(p, _) | VatView::Checks(p) => Some(*p),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Item {
    Period(ReturnPeriod),
    Heading(u8),
    Box(Ca3Box),
    Line(usize),
    Total,
    /// Under a box's lines: the box as the return has it.
    BoxValue,
    Check(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    Heading,
    Total,
    Problem,
}

struct Row {
    item: Item,
    cells: Vec<String>,
    amount: Amount,
    kind: Kind,
    /// The entry the row opens.
    entry: Option<EntryId>,
    account: Option<String>,
}

impl Row {
    fn new(item: Item, cells: Vec<String>, kind: Kind) -> Row {
        Row {
            item,
            cells,
            amount: Amount::ZERO,
            kind,
            entry: None,
            account: None,
        }
    }
}

impl ListRow for Row {
    type Key = Item;

    fn key(&self) -> Item {
        self.item.clone()
    }

    fn fields(&self) -> Fields<'_> {
        Fields {
            accounts: self.account.as_deref().into_iter().collect(),
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
            Item::Line(_) => Ok(self.amount),
            _ => Err("only a box's lines are marked (their tax adds up)".into()),
        }
    }
}

/// `1 234` for 1 234,00 €: the form's amounts are whole euros.
fn euros(amount: Amount) -> String {
    let text = amount_text(amount);
    match text.strip_suffix(",00") {
        Some(whole) => whole.to_string(),
        None => text,
    }
}

/// `November 2026`, `October – December 2026`.
fn months_text(period: ReturnPeriod) -> String {
    match period {
        ReturnPeriod::Month { .. } => period.start().format("%B %Y").to_string(),
        ReturnPeriod::Quarter { .. } => format!(
            "{} – {}",
            period.start().format("%B"),
            period.end().format("%B %Y")
        ),
    }
}

fn next_period(period: ReturnPeriod) -> ReturnPeriod {
    let day = period.end().succ_opt().unwrap_or(period.end());
    ReturnPeriod::containing(day, period.periodicity())
}

/// The form's sections: a heading, then its boxes.
const SECTIONS: [(&str, &[Ca3Box]); 4] = [
    (
        "A. Operations (bases excluding VAT)",
        &[
            Ca3Box::A1,
            Ca3Box::A2,
            Ca3Box::A3,
            Ca3Box::B2,
            Ca3Box::B4,
            Ca3Box::E1,
            Ca3Box::E2,
            Ca3Box::F2,
        ],
    ),
    (
        "B. Taxable base and VAT due",
        &[
            Ca3Box::L08,
            Ca3Box::L09,
            Ca3Box::L9B,
            Ca3Box::L15,
            Ca3Box::L16,
            Ca3Box::L17,
        ],
    ),
    (
        "Deductible VAT",
        &[
            Ca3Box::L19,
            Ca3Box::L20,
            Ca3Box::L21,
            Ca3Box::L22,
            Ca3Box::L23,
        ],
    ),
    (
        "Result",
        &[
            Ca3Box::L25,
            Ca3Box::L26,
            Ca3Box::L27,
            Ca3Box::L28,
            Ca3Box::L32,
        ],
    ),
];

/// How a total line is made, for `enter` on it.
fn total_text(b: Ca3Box) -> &'static str {
    match b {
        Ca3Box::L16 => "line 16 is the sum of 08, 09, 9B and 15",
        Ca3Box::L23 => "line 23 is the sum of 19, 20, 21 and 22",
        Ca3Box::L25 => "line 25 is 23 − 16 when the deductions exceed the VAT due",
        Ca3Box::L26 => "line 26 is the refund asked for out of the credit (none is asked)",
        Ca3Box::L27 => "line 27 is the credit carried forward: 25 − 26",
        Ca3Box::L28 => "line 28 is 16 − 23 when the VAT due exceeds the deductions",
        Ca3Box::L32 => "line 32 is the total to pay: line 28",
        _ => "a total line: it has no lines of its own",
    }
}

pub struct VatScreen {
    view: VatView,
    year: i32,
    options: VatOptions,
    sheet: Option<Worksheet>,
    /// The periods' status (periods view).
    statuses: Vec<(ReturnPeriod, ReturnStatus)>,
    /// What the checks panel says (return view).
    panel: Vec<(String, Kind)>,
    /// More lines than `MAX_BOX_LINES` (lines view).
    truncated: bool,
    list: List<Row>,
}

impl VatScreen {
    pub fn new(env: &Env, view: &VatView) -> Result<Self, LedgerError> {
        let year = match view {
            VatView::Periods { year: Some(year) } => *year,
            VatView::Periods { year: None } => env.ctx.today.year(),
            other => other
                .period()
                .map_or(env.ctx.today.year(), |p| p.start().year()),
        };
        let mut screen = VatScreen {
            view: view.clone(),
            year,
            options: env.ledger.vat_options()?,
            sheet: None,
            statuses: Vec::new(),
            panel: Vec::new(),
            truncated: false,
            list: List::new().with_empty_text("nothing to show"),
        };
        screen.reload(env)?;
        screen.place_cursor(env);
        Ok(screen)
    }

    /// The cursor where the user looks first: the return due now (the period before today's,
    /// while it is to prepare), else today's period; the first box.
    fn place_cursor(&mut self, env: &Env) {
        match &self.view {
            VatView::Periods { .. } => {
                let today = ReturnPeriod::containing(env.ctx.today, self.options.periodicity);
                let due = today.previous();
                let due_to_prepare = self
                    .statuses
                    .iter()
                    .any(|(p, s)| *p == due && *s == ReturnStatus::ToPrepare);
                let placed = (due_to_prepare && self.list.select(|r| r.item == Item::Period(due)))
                    || self.list.select(|r| r.item == Item::Period(today));
                if !placed {
                    // Another year: its first period still to prepare.
                    let first = self
                        .statuses
                        .iter()
                        .find(|(_, s)| *s == ReturnStatus::ToPrepare)
                        .map(|(p, _)| *p);
                    if let Some(first) = first {
                        self.list.select(|r| r.item == Item::Period(first));
                    }
                }
            }
            VatView::Return(_) => {
                self.list.select(|r| r.item == Item::Box(Ca3Box::A1));
            }
            VatView::Lines(..) | VatView::Checks(_) => {}
        }
    }

    /// The period the keys act on: the one shown, or the one under the cursor.
    fn period(&self) -> Option<ReturnPeriod> {
        self.view
            .period()
            .or_else(|| match self.list.selected().map(|r| &r.item) {
                Some(Item::Period(p)) => Some(*p),
                _ => None,
            })
    }

    fn status_of(&self, period: ReturnPeriod) -> Option<ReturnStatus> {
        match &self.sheet {
            Some(sheet) if sheet.period == period => Some(sheet.status),
            _ => self
                .statuses
                .iter()
                .find(|(p, _)| *p == period)
                .map(|(_, s)| *s),
        }
    }

    fn periods_rows(&mut self, env: &Env) -> Result<Vec<Row>, LedgerError> {
        let periods = env.ledger.vat_periods(self.year, &self.options)?;
        self.statuses = periods.iter().map(|p| (p.period, p.status)).collect();
        let (mut due, mut credit) = (Amount::ZERO, Amount::ZERO);
        let mut rows: Vec<Row> = periods
            .iter()
            .map(|p| {
                let (pay, carry) = if p.net.is_negative() {
                    (Amount::ZERO, p.net.abs())
                } else {
                    (p.net, Amount::ZERO)
                };
                due = due.checked_add(pay).unwrap_or(due);
                credit = credit.checked_add(carry).unwrap_or(credit);
                let mut row = Row::new(
                    Item::Period(p.period),
                    vec![
                        p.period.to_string(),
                        months_text(p.period),
                        p.status.name().to_string(),
                        if pay.is_zero() {
                            String::new()
                        } else {
                            euros(pay)
                        },
                        if carry.is_zero() {
                            String::new()
                        } else {
                            euros(carry)
                        },
                    ],
                    Kind::Plain,
                );
                row.amount = p.net;
                row
            })
            .collect();
        rows.push(Row::new(
            Item::Total,
            vec![
                "Total".into(),
                self.year.to_string(),
                String::new(),
                euros(due),
                euros(credit),
            ],
            Kind::Total,
        ));
        Ok(rows)
    }

    fn return_rows(sheet: &Worksheet) -> Vec<Row> {
        let shown = sheet.filed.as_ref().unwrap_or(&sheet.rows);
        let mut rows = Vec::new();
        for (n, (heading, boxes)) in SECTIONS.iter().enumerate() {
            rows.push(Row::new(
                Item::Heading(n as u8),
                vec![
                    String::new(),
                    heading.to_string(),
                    String::new(),
                    String::new(),
                ],
                Kind::Heading,
            ));
            for b in boxes.iter() {
                let Some(found) = shown.iter().find(|r| r.code == b.code()) else {
                    continue;
                };
                let mut row = Row::new(
                    Item::Box(*b),
                    vec![
                        b.code().to_string(),
                        b.label().to_string(),
                        found.base.map(euros).unwrap_or_default(),
                        found.tax.map(euros).unwrap_or_default(),
                    ],
                    if b.is_total() {
                        Kind::Total
                    } else {
                        Kind::Plain
                    },
                );
                row.amount = found.tax.or(found.base).unwrap_or_default();
                rows.push(row);
            }
        }
        rows
    }

    /// The checks as rows: (text, amount, entry it opens, problem or not).
    fn checks(env: &Env, sheet: &Worksheet) -> Vec<(String, Amount, Option<EntryId>, Kind)> {
        let mut out = Vec::new();
        match (sheet.status, sheet.settlement_entry) {
            (ReturnStatus::ToPrepare, _) => {}
            (status, Some(id)) => out.push((
                format!(
                    "{}: settlement entry {} ({} opens it)",
                    status.name(),
                    match env.ledger.entry(id) {
                        Ok(entry) => format!("{}, {}", entry.reference(), entry.status.name()),
                        Err(_) => format!("#{id}"),
                    },
                    env.keymap.hint(Context::Vat, Action::OpenEntry)
                ),
                Amount::ZERO,
                Some(id),
                Kind::Plain,
            )),
            (status, None) => out.push((
                format!("{}: nothing to post", status.name()),
                Amount::ZERO,
                None,
                Kind::Plain,
            )),
        }
        out.push((
            format!("line 22 from {}", clean(&sheet.carried_from)),
            Amount::ZERO,
            None,
            Kind::Plain,
        ));
        if sheet.from_accounts {
            out.push((
                format!(
                    "no tagged line in {}: the return is built from the VAT accounts",
                    sheet.period
                ),
                Amount::ZERO,
                None,
                Kind::Problem,
            ));
            for u in &sheet.unsplit {
                let boxes: Vec<&str> = u.could_not_split.iter().map(|b| b.code()).collect();
                out.push((
                    format!(
                        "{} {}: counted in {}{}",
                        u.account,
                        amount_text(u.amount),
                        u.counted_in.code(),
                        if boxes.is_empty() {
                            String::new()
                        } else {
                            format!("; could not split {}", boxes.join(", "))
                        }
                    ),
                    u.amount,
                    None,
                    Kind::Problem,
                ));
            }
        }
        let checks = &sheet.checks;
        let differs = checks.accounts.iter().filter(|c| !c.difference.is_zero());
        let mut agree = true;
        for c in differs {
            agree = false;
            out.push((
                format!(
                    "{} moved {}, the boxes explain {}: differs by {}",
                    c.account,
                    amount_text(c.movement),
                    amount_text(c.explained),
                    amount_text(c.difference)
                ),
                c.difference,
                None,
                Kind::Problem,
            ));
        }
        if agree {
            out.push((
                "the VAT accounts agree with the boxes".into(),
                Amount::ZERO,
                None,
                Kind::Plain,
            ));
        }
        if !sheet.from_accounts {
            for u in &checks.untagged {
                out.push((
                    format!(
                        "untagged: #{} line {} on {} of {}: {}",
                        u.reference.entry,
                        u.reference.line.saturating_add(1),
                        u.account,
                        date_text(u.date),
                        amount_text(u.amount)
                    ),
                    u.amount,
                    Some(u.reference.entry),
                    Kind::Problem,
                ));
            }
        }
        for t in &checks.bases {
            out.push((
                format!(
                    "box {}: base lines {} against {} declared by the tax lines",
                    t.rate_box,
                    amount_text(t.from_base_lines),
                    amount_text(t.from_tax_lines)
                ),
                Amount::ZERO,
                None,
                Kind::Problem,
            ));
        }
        for n in &sheet.notes {
            out.push((
                format!("note: {}", clean(n)),
                Amount::ZERO,
                None,
                Kind::Plain,
            ));
        }
        for l in &sheet.late {
            out.push((clean(l), Amount::ZERO, None, Kind::Problem));
        }
        out
    }

    fn lines_rows(
        &mut self,
        env: &Env,
        period: ReturnPeriod,
        b: Ca3Box,
    ) -> Result<Vec<Row>, LedgerError> {
        let mut rows = Vec::new();
        let (mut base, mut tax) = (Amount::ZERO, Amount::ZERO);
        let mut after = None;
        self.truncated = false;
        loop {
            let page =
                env.ledger
                    .vat_box_lines(period, &self.options, b, after.as_ref(), MAX_PAGE)?;
            for r in page.rows {
                base = base.checked_add(r.base).unwrap_or(base);
                tax = tax.checked_add(r.tax).unwrap_or(tax);
                let mut row = Row::new(
                    Item::Line(rows.len()),
                    vec![
                        date_text(r.date),
                        r.reference.clone(),
                        clean(&r.piece),
                        r.account.to_string(),
                        clean(&r.tax_code),
                        amount_or_blank(r.base),
                        amount_or_blank(r.tax),
                        clean(&r.label),
                        r.source.clone().unwrap_or_default(),
                    ],
                    Kind::Plain,
                );
                row.amount = r.tax;
                row.entry = Some(r.entry);
                row.account = Some(r.account.to_string());
                rows.push(row);
            }
            match page.next {
                Some(next) if rows.len() < MAX_BOX_LINES => after = Some(next),
                Some(_) => {
                    self.truncated = true;
                    break;
                }
                None => break,
            }
        }
        let count = rows.len();
        rows.push(Row::new(
            Item::Total,
            vec![
                String::new(),
                format!("{count} line{}", if count == 1 { "" } else { "s" }),
                String::new(),
                String::new(),
                String::new(),
                amount_text(base),
                amount_text(tax),
                "Total, to the cent".into(),
                String::new(),
            ],
            Kind::Total,
        ));
        let boxed_row = self.sheet.as_ref().and_then(|s| {
            s.filed
                .as_ref()
                .unwrap_or(&s.rows)
                .iter()
                .find(|r| r.code == b.code())
        });
        if let Some(r) = boxed_row {
            rows.push(Row::new(
                Item::BoxValue,
                vec![
                    String::new(),
                    format!("box {b}"),
                    String::new(),
                    String::new(),
                    String::new(),
                    r.base.map(euros).unwrap_or_default(),
                    r.tax.map(euros).unwrap_or_default(),
                    "The box, in whole euros".into(),
                    String::new(),
                ],
                Kind::Total,
            ));
        }
        Ok(rows)
    }

    fn sheet_of(&self, env: &Env, period: ReturnPeriod) -> Result<Worksheet, LedgerError> {
        match &self.sheet {
            Some(sheet) if sheet.period == period => Ok(sheet.clone()),
            _ => env.ledger.vat_return(period, &self.options),
        }
    }

    fn settle(&self, env: &Env) -> Outcome {
        let Some(period) = self.period() else {
            return Outcome::Info("choose a period first".into());
        };
        match env
            .ledger
            .vat_settlement_preview(period, &self.options, env.ctx.today)
        {
            Ok(preview) => Outcome::Confirm(Confirm {
                message: settle_question(period, &preview),
                yes: Write::Vat(VatWrite::Settle { period }).into(),
            }),
            Err(err) => err.into(),
        }
    }

    fn file(&self, env: &Env) -> Outcome {
        let Some(period) = self.period() else {
            return Outcome::Info("choose a period first".into());
        };
        let sheet = match self.sheet_of(env, period) {
            Ok(sheet) => sheet,
            Err(err) => return err.into(),
        };
        let settle = env.keymap.hint(Context::Vat, Action::SettleVat);
        match sheet.status {
            ReturnStatus::ToPrepare => Outcome::Error(format!(
                "the VAT return of {period} is not settled: settle it first ({settle}), then file it"
            )),
            ReturnStatus::Filed => Outcome::Error(format!(
                "the VAT return of {period} is filed already: a filed return never changes; \
                 a correction goes in the next return"
            )),
            ReturnStatus::Settled => {
                let net = sheet.net();
                let result = if net.is_negative() {
                    format!("credit {} carried forward", euros(net.abs()))
                } else {
                    format!("{} to pay", euros(net))
                };
                Outcome::Confirm(Confirm {
                    message: format!(
                        "File the VAT return of {period} ({result})?\nIts boxes stay as \
                         settled and its months are locked: no entry can then be added or \
                         changed from {} to {}.",
                        date_text(period.start()),
                        date_text(period.end())
                    ),
                    yes: Write::Vat(VatWrite::File { period }).into(),
                })
            }
        }
    }

    fn open(&self) -> Outcome {
        let Some(row) = self.list.selected() else {
            return Outcome::None;
        };
        match (&self.view, &row.item) {
            (_, Item::Period(p)) => Outcome::Open(Route::Vat(VatView::Return(*p))),
            (VatView::Return(p), Item::Box(b)) => {
                if b.is_total() {
                    Outcome::Info(total_text(*b).into())
                } else if *b == Ca3Box::L22 {
                    let from = self
                        .sheet
                        .as_ref()
                        .map(|s| clean(&s.carried_from))
                        .unwrap_or_default();
                    Outcome::Info(format!("line 22 comes from {from}"))
                } else {
                    Outcome::Open(Route::Vat(VatView::Lines(*p, *b)))
                }
            }
            _ => match row.entry {
                Some(id) => Outcome::Open(Route::Entry(id)),
                None => Outcome::None,
            },
        }
    }

    fn step(&mut self, env: &Env, forward: bool) -> Outcome {
        let said = match &self.view {
            VatView::Periods { .. } => {
                self.year = if forward {
                    self.year.saturating_add(1)
                } else {
                    self.year.saturating_sub(1)
                };
                self.view = VatView::Periods {
                    year: Some(self.year),
                };
                None
            }
            view => {
                let Some(p) = view.period() else {
                    return Outcome::None;
                };
                let p = if forward {
                    next_period(p)
                } else {
                    p.previous()
                };
                self.year = p.start().year();
                self.view = match view {
                    VatView::Lines(_, b) => VatView::Lines(p, *b),
                    VatView::Checks(_) => VatView::Checks(p),
                    _ => VatView::Return(p),
                };
                Some(p.to_string())
            }
        };
        match self.reload(env) {
            Ok(()) => {
                self.list.set_cursor(0);
                self.place_cursor(env);
                said.map_or(Outcome::None, Outcome::Info)
            }
            Err(err) => err.into(),
        }
    }

    fn draw_panel(&self, buf: &mut Buffer, area: Rect, theme: &Theme, keymap: &Keymap) {
        let inner_height = area.height.saturating_sub(2) as usize;
        let title = if self.panel.len() > inner_height {
            format!(
                "Checks ({} lists them all)",
                keymap.hint(Context::Vat, Action::VatChecks)
            )
        } else {
            "Checks".into()
        };
        let inner = boxed(buf, area, &title, theme);
        let shown = inner.height as usize;
        for (i, (text, kind)) in self.panel.iter().enumerate().take(shown) {
            let style = match kind {
                Kind::Problem => theme.error,
                _ => Style::new(),
            };
            let text = if i + 1 == shown && self.panel.len() > shown {
                format!("… {} more", self.panel.len() - i)
            } else {
                text.clone()
            };
            line(buf, inner, inner.y + i as u16, &text, style);
        }
    }
}

impl Screen for VatScreen {
    fn context(&self) -> Context {
        Context::Vat
    }

    fn title(&self) -> String {
        let periodicity = match self.options.periodicity {
            Periodicity::Monthly => "monthly",
            Periodicity::Quarterly => "quarterly",
        };
        let status = self
            .sheet
            .as_ref()
            .map(|s| s.status.name())
            .unwrap_or_default();
        match &self.view {
            VatView::Periods { .. } => format!("VAT returns {} · {periodicity}", self.year),
            VatView::Return(p) => format!("CA3 {p} · {status}"),
            VatView::Lines(p, b) => format!(
                "CA3 {p} › {b} {}{}",
                b.label(),
                if self.truncated {
                    format!(" · first {MAX_BOX_LINES} lines")
                } else {
                    String::new()
                }
            ),
            VatView::Checks(p) => format!("CA3 {p} › checks · {status}"),
        }
    }

    fn reload(&mut self, env: &Env) -> Result<(), LedgerError> {
        self.options = env.ledger.vat_options()?;
        let rows = match self.view.clone() {
            VatView::Periods { .. } => {
                self.sheet = None;
                self.periods_rows(env)?
            }
            VatView::Return(p) => {
                let sheet = env.ledger.vat_return(p, &self.options)?;
                self.panel = Self::checks(env, &sheet)
                    .into_iter()
                    .map(|(text, _, _, kind)| (text, kind))
                    .collect();
                let rows = Self::return_rows(&sheet);
                self.sheet = Some(sheet);
                rows
            }
            VatView::Lines(p, b) => {
                self.sheet = Some(env.ledger.vat_return(p, &self.options)?);
                self.lines_rows(env, p, b)?
            }
            VatView::Checks(p) => {
                let sheet = env.ledger.vat_return(p, &self.options)?;
                let rows = Self::checks(env, &sheet)
                    .into_iter()
                    .enumerate()
                    .map(|(i, (text, amount, entry, kind))| {
                        let mut row = Row::new(Item::Check(i), vec![text], kind);
                        row.amount = amount;
                        row.entry = entry;
                        row
                    })
                    .collect();
                self.sheet = Some(sheet);
                rows
            }
        };
        self.list.set_rows(rows);
        Ok(())
    }

    fn render(&self, buf: &mut Buffer, area: Rect, theme: &Theme, keymap: &Keymap) {
        let rows = self.list.rows();
        let width = |i: usize, title: &str, max: u16| {
            needed(title, rows.iter().map(|r| r.cells[i].as_str()), max)
        };
        let style = |row: &Row| match row.kind {
            Kind::Plain => Style::new(),
            Kind::Heading => theme.header,
            Kind::Total => theme.total,
            Kind::Problem => theme.error,
        };
        match &self.view {
            VatView::Periods { .. } => {
                let columns = [
                    Column::left("period", 7),
                    Column::fill("months"),
                    Column::left("status", 10),
                    Column::right("to pay", width(3, "to pay", 14).max(8)),
                    Column::right("credit", width(4, "credit", 14).max(8)),
                ];
                self.list.draw(buf, area, &columns, theme, |row| {
                    (row.cells.clone(), style(row))
                });
            }
            VatView::Return(_) => {
                // The panel grows into the room the form leaves, never below PANEL_LINES.
                let room = (area.height as usize)
                    .saturating_sub(self.list.len().saturating_add(3))
                    .max(PANEL_LINES);
                let panel_height =
                    (self.panel.len().min(room) as u16 + 2).min(area.height.saturating_sub(4));
                let list_area = Rect {
                    height: area.height.saturating_sub(panel_height),
                    ..area
                };
                let columns = [
                    Column::left("box", 3),
                    Column::fill("label"),
                    Column::right("base", width(2, "base", 14).max(7)),
                    Column::right("tax", width(3, "tax", 14).max(7)),
                ];
                self.list.draw(buf, list_area, &columns, theme, |row| {
                    (row.cells.clone(), style(row))
                });
                if panel_height > 2 {
                    let panel = Rect {
                        y: list_area.bottom(),
                        height: panel_height,
                        ..area
                    };
                    self.draw_panel(buf, panel, theme, keymap);
                }
            }
            VatView::Lines(..) => {
                let columns = [
                    Column::left("date", 10),
                    Column::left("entry", width(1, "entry", 14)),
                    Column::left("piece", width(2, "piece", 12)).from(100),
                    Column::left("account", width(3, "account", 8)),
                    Column::left("code", width(4, "code", 8)),
                    Column::right("base", width(5, "base", 14)),
                    Column::right("tax", width(6, "tax", 14)),
                    Column::fill("label"),
                    Column::left("document", width(8, "document", 16)).from(120),
                ];
                self.list.draw(buf, area, &columns, theme, |row| {
                    (row.cells.clone(), style(row))
                });
            }
            VatView::Checks(_) => {
                let columns = [Column::fill("check")];
                self.list.draw(buf, area, &columns, theme, |row| {
                    (row.cells.clone(), style(row))
                });
            }
        }
    }

    fn handle(&mut self, action: Action, env: &Env) -> Outcome {
        match action {
            Action::Open => self.open(),
            Action::SettleVat => self.settle(env),
            Action::FileVat => self.file(env),
            Action::VatChecks => match self.period() {
                Some(p) if self.view != VatView::Checks(p) => {
                    Outcome::Open(Route::Vat(VatView::Checks(p)))
                }
                Some(_) => Outcome::Info("these are the checks".into()),
                None => Outcome::Info("choose a period first".into()),
            },
            Action::OpenEntry => {
                let Some(period) = self.period() else {
                    return Outcome::Info("choose a period first".into());
                };
                match self.sheet_of(env, period) {
                    Ok(sheet) => match sheet.settlement_entry {
                        Some(id) => Outcome::Open(Route::Entry(id)),
                        None if sheet.status == ReturnStatus::ToPrepare => Outcome::Info(format!(
                            "{period} is not settled: it has no settlement entry"
                        )),
                        None => Outcome::Info(format!(
                            "the return of {period} had nothing to post: no settlement entry"
                        )),
                    },
                    Err(err) => err.into(),
                }
            }
            Action::PrevPeriod => self.step(env, false),
            Action::NextPeriod => self.step(env, true),
            _ => Outcome::None,
        }
    }

    fn record(&self) -> Option<String> {
        self.period().map(|p| format!("vat:{p}"))
    }

    fn list(&self) -> Option<&dyn ListView> {
        Some(&self.list)
    }

    fn list_mut(&mut self) -> Option<&mut dyn ListView> {
        Some(&mut self.list)
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, &'static str)> {
        let open = keymap.hint(Context::List, Action::Open);
        let vat = |action| keymap.hint(Context::Vat, action);
        match &self.view {
            VatView::Periods { .. } => vec![
                (open, "return"),
                (vat(Action::SettleVat), "settle"),
                (vat(Action::FileVat), "file"),
                (vat(Action::PrevPeriod), "year"),
            ],
            VatView::Return(p) => {
                let mut hints = vec![(open, "lines")];
                match self.status_of(*p) {
                    Some(ReturnStatus::ToPrepare) => hints.push((vat(Action::SettleVat), "settle")),
                    Some(ReturnStatus::Settled) => hints.push((vat(Action::FileVat), "file")),
                    _ => hints.push((vat(Action::OpenEntry), "entry")),
                }
                hints.push((vat(Action::VatChecks), "checks"));
                hints
            }
            VatView::Lines(..) | VatView::Checks(_) => vec![(open, "entry")],
        }
    }
}

/// The settlement entry, line by line, and the question.
fn settle_question(period: ReturnPeriod, preview: &SettlementPreview) -> String {
    let net = preview.sheet.net();
    let result = if net.is_negative() {
        format!("credit {} carried (line 27)", euros(net.abs()))
    } else {
        format!("{} to pay (line 32)", euros(net))
    };
    if preview.lines.is_empty() {
        return format!(
            "Settle {period}: the return has nothing to post ({result}). Record it as settled?"
        );
    }
    let mut text = vec![format!(
        "Settle {period}: {result}. Entry {SETTLEMENT_JOURNAL} {} «{}», {}:",
        date_text(preview.date),
        clean(&preview.label),
        if preview.validated {
            "validated"
        } else {
            "as a draft"
        }
    )];
    for l in &preview.lines {
        let (side, amount) = if l.debit.is_zero() {
            ("C", l.credit)
        } else {
            ("D", l.debit)
        };
        text.push(format!(
            "{:<7} {side} {:>12}  {}",
            l.account.as_str(),
            amount_text(amount),
            clean(&l.label)
        ));
    }
    text.push("Post it?".into());
    text.join("\n")
}

/// The changes the VAT screen makes, run by the application's write path.
#[derive(Debug, Clone)]
pub enum VatWrite {
    Settle { period: ReturnPeriod },
    File { period: ReturnPeriod },
}

impl VatWrite {
    /// Runs the change; says what was done.
    pub fn run(self, ledger: &Ledger, ctx: &Ctx) -> Result<String, LedgerError> {
        match self {
            VatWrite::Settle { period } => {
                let options = ledger.vat_options()?;
                let (sheet, entry) =
                    ledger.vat_settle(ctx, period, &options, SETTLEMENT_JOURNAL)?;
                let net = sheet.net();
                let result = if net.is_negative() {
                    format!("credit {} carried", euros(net.abs()))
                } else {
                    format!("{} to pay", euros(net))
                };
                Ok(match entry {
                    Some(entry) => format!(
                        "settled {period}: entry {} ({}) on {}; {result}",
                        entry.reference(),
                        entry.status.name(),
                        date_text(entry.date)
                    ),
                    None => format!("settled {period}: nothing to post; {result}"),
                })
            }
            VatWrite::File { period } => {
                let record = ledger.vat_file(ctx, period)?;
                Ok(format!(
                    "filed {period} by {}: boxes frozen, months locked",
                    record.filed_by.unwrap_or_default()
                ))
            }
        }
    }
}
