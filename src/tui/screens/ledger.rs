//! The ledger of an account or a third party, with running balance.
//!
//! The list is read page by page (keyset paging, in the list component): a key costs the same
//! on line 10 as on line 900,000.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::super::action::{Action, Context};
use super::super::keymap::Keymap;
use super::super::route::Route;
use super::super::theme::Theme;
use super::super::widgets::list::{Fetch, List, ListView, Pager, Row};
use super::super::widgets::table::{Column, needed, search_text, width};
use super::{
    Dates, Env, Outcome, Purpose, Screen, amount_or_blank, amount_text, clean, date_text, line,
};
use crate::ledger::{Ledger, LedgerError, LedgerOf, LedgerRow, LineKey, WindowStart};
use crate::model::{AccountNumber, Amount, EntryId, EntryNumber, EntryStatus};
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
            &short_number(self),
            &self.piece,
            &self.label,
            &self
                .origin
                .as_ref()
                .map(|o| format!("{} {}", o.piece, o.entry))
                .unwrap_or_default(),
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

/// The open items of a letterable account or of a third party, up to a date, with their
/// running open balance: read whole (a party's or an account's open items, not its history)
/// and kept until the ledger changes.
struct OpenLines {
    of: LedgerOf,
    to: Option<chrono::NaiveDate>,
    held: RefCell<Option<(u64, Rc<Vec<LedgerRow>>)>>,
}

impl OpenLines {
    fn new(of: LedgerOf, to: Option<chrono::NaiveDate>) -> Self {
        OpenLines {
            of,
            to,
            held: RefCell::new(None),
        }
    }

    fn rows(&self, ledger: &Ledger) -> Result<Rc<Vec<LedgerRow>>, LedgerError> {
        let counter = ledger.change_counter()?;
        if let Some((at, rows)) = &*self.held.borrow()
            && *at == counter
        {
            return Ok(Rc::clone(rows));
        }
        let rows = Rc::new(ledger.open_lines(&self.of, self.to)?);
        *self.held.borrow_mut() = Some((counter, Rc::clone(&rows)));
        Ok(rows)
    }
}

/// The open lines as the list reads them, while the screen reads their balance.
struct SharedOpenLines(Rc<OpenLines>);

impl Pager<LedgerRow> for SharedOpenLines {
    fn count(&self, ledger: &Ledger) -> Result<usize, LedgerError> {
        self.0.count(ledger)
    }

    fn fetch(
        &self,
        ledger: &Ledger,
        start: Fetch<'_, LedgerRow>,
        limit: usize,
    ) -> Result<Vec<LedgerRow>, LedgerError> {
        self.0.fetch(ledger, start, limit)
    }
}

impl Pager<LedgerRow> for OpenLines {
    fn count(&self, ledger: &Ledger) -> Result<usize, LedgerError> {
        Ok(self.rows(ledger)?.len())
    }

    fn fetch(
        &self,
        ledger: &Ledger,
        start: Fetch<'_, LedgerRow>,
        limit: usize,
    ) -> Result<Vec<LedgerRow>, LedgerError> {
        let rows = self.rows(ledger)?;
        let position = |row: &LedgerRow| {
            rows.binary_search_by_key(&(row.date, row.entry_id, row.line_no), |r| {
                (r.date, r.entry_id, r.line_no)
            })
        };
        let (from, to) = match start {
            Fetch::First => (0, limit.min(rows.len())),
            Fetch::Last => (rows.len().saturating_sub(limit), rows.len()),
            Fetch::After(last) => {
                let from = match position(last) {
                    Ok(i) => i.saturating_add(1),
                    Err(i) => i,
                };
                (from, from.saturating_add(limit).min(rows.len()))
            }
            Fetch::Before(first) => {
                let to = position(first).unwrap_or_else(|i| i);
                (to.saturating_sub(limit), to)
            }
        };
        Ok(rows
            .get(from..to)
            .map(<[LedgerRow]>::to_vec)
            .unwrap_or_default())
    }
}

pub struct LedgerScreen {
    of: LedgerOf,
    name: String,
    dates: Dates,
    opening: Amount,
    closing: Amount,
    /// The account's lines name third parties (collective 411 and 401 accounts): their codes
    /// get a column.
    collective: bool,
    /// Lines of this ledger can be lettered: the lettering column comes first among the extra
    /// ones.
    letterable: bool,
    balance_style: BalanceStyle,
    /// Only the open items (lines not in a complete letter group) up to the range's end.
    open_only: bool,
    open_lines: Option<Rc<OpenLines>>,
    sizes: Cell<Option<(SizesKey, Sizes)>>,
    list: List<LedgerRow>,
}

impl LedgerScreen {
    fn blank(env: &Env, of: LedgerOf, name: String) -> Result<Self, LedgerError> {
        let dates = Dates::current_year(env)?;
        let is_party = matches!(of, LedgerOf::Party(_));
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
            collective: false,
            letterable: is_party,
            balance_style: BalanceStyle::DebitCredit,
            open_only: false,
            open_lines: None,
            sizes: Cell::new(None),
        })
    }

    fn of_account(env: &Env, account: &AccountNumber) -> Result<Self, LedgerError> {
        let record = env.ledger.account(account)?;
        let label = clean(&record.label);
        let mut screen = Self::blank(
            env,
            LedgerOf::Account(account.clone()),
            format!("{account} {label}"),
        )?;
        screen.collective = record.third_party_required;
        screen.letterable = record.letterable;
        Ok(screen)
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
        if self.open_only {
            let open = Rc::new(OpenLines::new(self.of.clone(), dates.to));
            self.open_lines = Some(Rc::clone(&open));
            self.list.set_pager(SharedOpenLines(open));
        } else {
            self.open_lines = None;
            self.list.set_pager(Lines {
                of: self.of.clone(),
                dates,
            });
        }
    }

    /// Shows only the open items, or every line again.
    fn toggle_open_only(&mut self, env: &Env) -> Outcome {
        if !self.letterable {
            return Outcome::Error(format!(
                "{}: not a letterable account, it has no open items",
                self.name
            ));
        }
        let keep = self.list.selected().map(|r| (r.entry_id, r.line_no));
        self.open_only = !self.open_only;
        self.set_dates(self.dates);
        let shown = self.count(env).and_then(|()| {
            if !self.open_only
                && let Some((entry, line_no)) = keep
                && self.goto_entry(env, entry, Some(line_no))?
            {
                return self.list.ensure(env.ledger);
            }
            self.list.top(env.ledger)?;
            self.list.reread(env.ledger)?;
            if let Some((entry, line_no)) = keep {
                self.list
                    .select(|r| r.entry_id == entry && r.line_no == line_no);
            }
            Ok(())
        });
        match shown {
            Ok(()) if self.open_only => Outcome::Info("open items only".into()),
            Ok(()) => Outcome::Info("every line".into()),
            Err(err) => err.into(),
        }
    }

    /// Counts the lines and reads the balances brought forward and at the end.
    fn count(&mut self, env: &Env) -> Result<(), LedgerError> {
        self.list.count(env.ledger)?;
        self.opening = match self.dates.from.and_then(|d| d.pred_opt()) {
            Some(before) => env.ledger.ledger_balance(&self.of, Some(before))?,
            None => Amount::ZERO,
        };
        self.closing = match &self.open_lines {
            // The open balance: what the open items add up to.
            Some(open) => open
                .rows(env.ledger)?
                .last()
                .map_or(Amount::ZERO, |r| r.balance),
            None => env.ledger.ledger_balance(&self.of, self.dates.to)?,
        };
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

    /// The columns for a width: the ones an accountant reads first always (date, journal and
    /// number, piece, third party on collective accounts, label, debit, credit, balance), sized
    /// from the figures held; wider terminals add columns rather than widen the label.
    /// Column widths from the rows held, computed again only when the window or the balance
    /// style changes (not on every frame).
    fn sizes(&self) -> Sizes {
        let rows = self.list.rows();
        let key = (
            rows.first().map(Row::key),
            rows.last().map(Row::key),
            rows.len(),
            self.balance_style,
        );
        if let Some((held, sizes)) = self.sizes.get()
            && held == key
        {
            return sizes;
        }
        let style = self.balance_style;
        let size = |title: &str, cells: Vec<String>, max: u16| {
            needed(title, cells.iter().map(String::as_str), max)
        };
        let sizes = Sizes {
            number: size("number", rows.iter().map(short_number).collect(), 14),
            full_number: size("number", rows.iter().map(number_text).collect(), 16),
            piece: size("piece", rows.iter().map(|r| clean(&r.piece)).collect(), 12),
            party: size(
                "party",
                rows.iter()
                    .map(|r| clean(r.third_party.as_deref().unwrap_or("")))
                    .collect(),
                12,
            ),
            debit: size(
                "debit",
                rows.iter().map(|r| amount_or_blank(r.debit)).collect(),
                18,
            ),
            credit: size(
                "credit",
                rows.iter().map(|r| amount_or_blank(r.credit)).collect(),
                18,
            ),
            balance: size(
                "balance",
                rows.iter()
                    .map(|r| balance_text(r.balance, style))
                    .collect(),
                20,
            ),
            letter: size(
                "let.",
                rows.iter()
                    .map(|r| r.letter.clone().unwrap_or_default())
                    .collect(),
                6,
            ),
            contra: size("contra", rows.iter().map(contra_text).collect(), 12),
            lettered: rows.iter().any(|r| r.letter.is_some()),
            dated: rows.iter().any(|r| r.due.is_some()),
        };
        self.sizes.set(Some((key, sizes)));
        sizes
    }

    /// The columns for a width: the ones an accountant reads first always (date, journal and
    /// number, piece, third party on collective accounts, label, debit, credit, balance), sized
    /// from the figures held; wider terminals add columns rather than widen the label.
    fn layout(&self, width: u16) -> Vec<(Col, Column)> {
        let Sizes {
            number,
            full_number,
            piece,
            party,
            debit,
            credit,
            balance,
            letter,
            contra,
            lettered,
            dated,
        } = self.sizes();
        let mut columns = vec![
            (Col::Date, Column::left("date", 8)),
            (Col::Number, Column::left("number", number)),
            (Col::Piece, Column::left("piece", piece)),
        ];
        if self.collective {
            columns.push((Col::Party, Column::left("party", party)));
        }
        columns.extend([
            (Col::Label, Column::fill("label")),
            (Col::Debit, Column::right("debit", debit)),
            (Col::Credit, Column::right("credit", credit)),
            // Filtered, the running balance is still the account's, not the lines shown.
            if self.list.is_searched() && !self.open_only {
                (Col::Balance, Column::right("acct balance", balance.max(12)))
            } else if self.open_only {
                (Col::Balance, Column::right("open bal.", balance.max(9)))
            } else {
                (Col::Balance, Column::right("balance", balance))
            },
        ]);
        let used = |columns: &[(Col, Column)]| -> u16 {
            let fixed: u16 = columns.iter().map(|(_, c)| c.width).sum();
            fixed + columns.len().saturating_sub(1) as u16
        };
        // Extra columns in order of use, each while the label keeps LABEL_WIDE cells.
        let mut extras = vec![
            Extra::Add(Col::Letter, Column::left("let.", letter)),
            Extra::Add(Col::Due, Column::left("due", 8)),
            Extra::Add(Col::Status, Column::left("status", 6)),
            Extra::Add(Col::Contra, Column::left("contra", contra)),
            Extra::Widen(Col::Date, 10),
            Extra::Widen(Col::Number, full_number),
        ];
        if !dated {
            extras.remove(1);
        }
        if !self.letterable {
            // Lettering only where it is used, after the other extras.
            extras.remove(0);
            if lettered {
                extras.push(Extra::Add(Col::Letter, Column::left("let.", letter)));
            }
        }
        for extra in extras {
            let mut tried = columns.clone();
            match extra {
                Extra::Add(col, column) => {
                    let at = tried
                        .iter()
                        .position(|(c, _)| *c == Col::Debit)
                        .unwrap_or(tried.len());
                    tried.insert(at, (col, column));
                }
                Extra::Widen(col, w) => {
                    for (c, column) in tried.iter_mut() {
                        if *c == col {
                            column.width = column.width.max(w);
                        }
                    }
                }
            }
            if used(&tried) + LABEL_WIDE <= width {
                columns = tried;
            }
        }
        columns
    }

    fn cells(&self, row: &LedgerRow, columns: &[(Col, Column)]) -> Vec<String> {
        columns
            .iter()
            .map(|(col, column)| match col {
                Col::Date if column.width >= 10 => date_text(row.date),
                Col::Date => row.date.format("%d/%m/%y").to_string(),
                Col::Number if width(&number_text(row)) <= column.width as usize => {
                    number_text(row)
                }
                Col::Number => short_number(row),
                Col::Piece => clean(&row.piece),
                Col::Party => clean(row.third_party.as_deref().unwrap_or("")),
                Col::Label => clean(&label_text(row)),
                Col::Letter => row.letter.clone().unwrap_or_default(),
                Col::Due => row
                    .due
                    .map(|d| d.format("%d/%m/%y").to_string())
                    .unwrap_or_default(),
                Col::Status => if row.validated { "valid" } else { "draft" }.to_string(),
                Col::Contra => contra_text(row),
                Col::Debit => amount_or_blank(row.debit),
                Col::Credit => amount_or_blank(row.credit),
                Col::Balance => balance_text(row.balance, self.balance_style),
            })
            .collect()
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

/// Column widths of a ledger screen, from the rows it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sizes {
    number: u16,
    full_number: u16,
    piece: u16,
    party: u16,
    debit: u16,
    credit: u16,
    balance: u16,
    letter: u16,
    contra: u16,
    lettered: bool,
    /// Some line falls due on a date (invoices on third-party lines).
    dated: bool,
}

/// What the sizes were computed from: the first and last rows held, their count, the style.
type SizesKey = (
    Option<(EntryId, u32)>,
    Option<(EntryId, u32)>,
    usize,
    BalanceStyle,
);

/// A line's label; a line carried into an opening entry starts with the piece and date of
/// the line it came from, so that a narrow column still shows them.
fn label_text(row: &LedgerRow) -> String {
    match &row.origin {
        Some(origin) => format!(
            "from {} {} · {}",
            if origin.piece.is_empty() {
                &origin.entry
            } else {
                &origin.piece
            },
            origin.date.format("%d/%m/%y"),
            row.label
        ),
        None => row.label.clone(),
    }
}

/// The label keeps at least this many cells before an extra column is added.
const LABEL_WIDE: u16 = 30;

/// A column of a ledger screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Date,
    Number,
    Piece,
    Party,
    Label,
    Letter,
    Due,
    Status,
    Contra,
    Debit,
    Credit,
    Balance,
}

/// What a wider terminal adds: a column, or a column in its long form.
enum Extra {
    Add(Col, Column),
    Widen(Col, u16),
}

/// How running balances read: `1 234,56 D` and `1 234,56 C` as French ledgers print them
/// (débiteur, créditeur), or signed (`-1 234,56` for a credit balance).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BalanceStyle {
    DebitCredit,
    Signed,
}

pub fn balance_text(amount: Amount, style: BalanceStyle) -> String {
    match style {
        BalanceStyle::Signed => amount_text(amount),
        BalanceStyle::DebitCredit if amount.is_zero() => amount_text(amount),
        BalanceStyle::DebitCredit => {
            let side = if amount.is_negative() { "C" } else { "D" };
            format!("{} {side}", amount_text(amount.abs()))
        }
    }
}

/// The journal and the number in full: `VE2026-000018`; a draft: `VE #231`.
fn number_text(row: &LedgerRow) -> String {
    if row.validated {
        row.reference.clone()
    } else {
        format!("{} {}", row.journal, row.reference)
    }
}

/// The journal and the number within the year: `VE 18`; a draft: `VE #231`.
fn short_number(row: &LedgerRow) -> String {
    match EntryNumber::parse(&row.reference) {
        Some(number) if row.validated => format!("{} {}", number.journal, number.seq),
        _ => number_text(row),
    }
}

/// The other account of the entry, `+` when there are several.
fn contra_text(row: &LedgerRow) -> String {
    match row.counterparts.as_slice() {
        [] => String::new(),
        [one] => one.to_string(),
        [first, ..] => format!("{first}+"),
    }
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
            && !self.open_only
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
            &if self.open_only {
                format!(
                    "{} · open items{} · {} lines",
                    self.name,
                    self.dates
                        .to
                        .map(|to| format!(" up to {}", super::date_text(to)))
                        .unwrap_or_default(),
                    self.list.total()
                )
            } else {
                format!(
                    "{} · {} · {} lines",
                    self.name,
                    self.dates.title(),
                    self.list.total()
                )
            },
            theme.title,
        );
        let summary = self.filtered_total().unwrap_or_else(|| {
            if self.open_only {
                format!(
                    "Open items only · open balance {} · {}",
                    balance_text(self.closing, self.balance_style),
                    self.list.position("line")
                )
            } else {
                format!(
                    "Brought forward {} · closing balance {} · {}",
                    balance_text(self.opening, self.balance_style),
                    balance_text(self.closing, self.balance_style),
                    self.list.position("line")
                )
            }
        });
        line(buf, inner, inner.y + 1, &summary, theme.dim);
        let table = Rect::new(
            inner.x,
            inner.y + 2,
            inner.width,
            inner.height.saturating_sub(2),
        );
        let layout = self.layout(table.width);
        let columns: Vec<Column> = layout.iter().map(|(_, c)| *c).collect();
        self.list.draw(buf, table, &columns, theme, |row| {
            (self.cells(row, &layout), Style::new())
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
            Action::OpenOnly => self.toggle_open_only(env),
            Action::BalanceSign => {
                self.balance_style = match self.balance_style {
                    BalanceStyle::DebitCredit => BalanceStyle::Signed,
                    BalanceStyle::Signed => BalanceStyle::DebitCredit,
                };
                Outcome::None
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
        let mut hints = vec![
            (keymap.hint(Context::List, Action::Open), "entry"),
            (keymap.hint(Context::Ledger, Action::SetRange), "dates"),
            (keymap.hint(Context::Ledger, Action::BalanceSign), "D/C"),
            (keymap.hint(Context::List, Action::Filter), "filter"),
            (keymap.hint(Context::List, Action::Bottom), "last line"),
        ];
        if self.letterable {
            let what = if self.open_only {
                "all lines"
            } else {
                "open items"
            };
            hints.push((keymap.hint(Context::Ledger, Action::OpenOnly), what));
        }
        hints
    }
}
