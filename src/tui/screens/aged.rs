//! The aged balance of customers or suppliers at a date: one row per third party, one column
//! per bucket and the total; a cell opens its lines, a line its entry.

use chrono::{Datelike, Months, NaiveDate};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::super::action::{Action, Context};
use super::super::keymap::Keymap;
use super::super::route::Route;
use super::super::theme::Theme;
use super::super::widgets::list::{List, ListView, Row};
use super::super::widgets::table::{Column, needed, search_text};
use super::{Env, Outcome, Prompt, Purpose, Screen, amount_text, clean, date_text, line};
use crate::ledger::LedgerError;
use crate::model::{Amount, EntryId, EntryNumber};
use crate::query::{Field, Fields};
use crate::reports::aged::{AgedBalance, AgedLine, AgedParty, AgedSide, Bucket, Buckets};

/// What the screen shows: every party, or the lines of one party's cell.
pub type Drill = Option<(String, Option<Bucket>)>;

/// A column of amounts: a bucket, or the total (`None`).
type AmountColumn = Option<Bucket>;

const AMOUNT_COLUMNS: [AmountColumn; 6] = [
    Some(Bucket::NotDue),
    Some(Bucket::Days1To30),
    Some(Bucket::Days31To60),
    Some(Bucket::Days61To90),
    Some(Bucket::DaysOver90),
    None,
];

fn column_title(column: AmountColumn, selected: bool) -> &'static str {
    match (column, selected) {
        (Some(Bucket::NotDue), false) => "not due",
        (Some(Bucket::NotDue), true) => "▸not due",
        (Some(Bucket::Days1To30), false) => "1-30",
        (Some(Bucket::Days1To30), true) => "▸1-30",
        (Some(Bucket::Days31To60), false) => "31-60",
        (Some(Bucket::Days31To60), true) => "▸31-60",
        (Some(Bucket::Days61To90), false) => "61-90",
        (Some(Bucket::Days61To90), true) => "▸61-90",
        (Some(Bucket::DaysOver90), false) => "> 90",
        (Some(Bucket::DaysOver90), true) => "▸> 90",
        (None, false) => "total",
        (None, true) => "▸total",
    }
}

fn column_name(column: AmountColumn) -> &'static str {
    match column {
        Some(Bucket::NotDue) => "not yet due",
        Some(Bucket::Days1To30) => "1 to 30 days late",
        Some(Bucket::Days31To60) => "31 to 60 days late",
        Some(Bucket::Days61To90) => "61 to 90 days late",
        Some(Bucket::DaysOver90) => "over 90 days late",
        None => "every open line",
    }
}

fn amount_of(buckets: &Buckets, column: AmountColumn) -> Amount {
    match column {
        Some(bucket) => buckets.get(bucket),
        None => buckets.total,
    }
}

/// One party, or the total (`party` empty).
struct PartyRow {
    party: Option<String>,
    name: String,
    buckets: Buckets,
}

impl Row for PartyRow {
    type Key = (bool, String);

    /// The total row sorts last.
    fn key(&self) -> (bool, String) {
        (self.party.is_none(), self.party.clone().unwrap_or_default())
    }

    fn fields(&self) -> Fields<'_> {
        Fields {
            parties: self.party.as_deref().into_iter().collect(),
            amounts: AMOUNT_COLUMNS
                .iter()
                .map(|c| amount_of(&self.buckets, *c))
                .filter(|a| !a.is_zero())
                .collect(),
            ..Fields::default()
        }
    }

    fn known() -> &'static [Field] {
        &[Field::Party, Field::Amount]
    }

    fn search(&self) -> String {
        search_text(&[self.party.as_deref().unwrap_or(""), &self.name])
    }

    fn mark(&self) -> Result<Amount, String> {
        match self.party {
            Some(_) => Ok(self.buckets.total),
            None => Err("the total row is not marked".into()),
        }
    }
}

impl Row for AgedLine {
    type Key = (EntryId, u32);

    fn key(&self) -> (EntryId, u32) {
        (self.item.entry_id, self.item.line_no)
    }

    fn fields(&self) -> Fields<'_> {
        Fields {
            accounts: vec![self.item.account.as_str()],
            parties: vec![&self.item.party],
            journal: Some(&self.item.journal),
            amounts: [self.item.debit, self.item.credit, self.amount]
                .into_iter()
                .filter(|a| !a.is_zero())
                .collect(),
            date: Some(self.item.date),
            ..Fields::default()
        }
    }

    fn known() -> &'static [Field] {
        &[
            Field::Account,
            Field::Party,
            Field::Journal,
            Field::Amount,
            Field::Date,
        ]
    }

    fn search(&self) -> String {
        search_text(&[
            &date_text(self.item.date),
            &self.item.entry,
            &self.item.piece,
            &self.item.label,
            self.item.group.as_deref().unwrap_or(""),
            &amount_text(self.amount),
        ])
    }

    fn mark(&self) -> Result<Amount, String> {
        Ok(self.amount)
    }
}

pub struct AgedScreen {
    side: AgedSide,
    /// The date asked for; today when none.
    asked: Option<NaiveDate>,
    at: NaiveDate,
    drill: Drill,
    /// The amount column the cursor is on (an index into `AMOUNT_COLUMNS`).
    column: usize,
    report: Option<AgedBalance>,
    parties: List<PartyRow>,
    lines: List<AgedLine>,
}

impl AgedScreen {
    pub fn new(
        env: &Env,
        side: AgedSide,
        at: Option<NaiveDate>,
        drill: Drill,
    ) -> Result<Self, LedgerError> {
        let column = match &drill {
            Some((_, bucket)) => AMOUNT_COLUMNS.iter().position(|c| c == bucket).unwrap_or(5),
            None => 5,
        };
        let mut screen = AgedScreen {
            side,
            asked: at,
            at: at.unwrap_or(env.ctx.today),
            drill,
            column,
            report: None,
            parties: List::new().with_empty_text("(no open item at this date)"),
            lines: List::new().with_empty_text("(no line in this cell)"),
        };
        screen.reload(env)?;
        Ok(screen)
    }

    fn party(&self) -> Option<&AgedParty> {
        let (code, _) = self.drill.as_ref()?;
        self.report
            .as_ref()?
            .parties
            .iter()
            .find(|p| p.party == *code)
    }

    fn selected_column(&self) -> AmountColumn {
        AMOUNT_COLUMNS.get(self.column).copied().flatten()
    }

    fn set_at(&mut self, at: Option<NaiveDate>, env: &Env) -> Outcome {
        self.asked = at;
        self.at = at.unwrap_or(env.ctx.today);
        self.reload(env)
            .map_or_else(Outcome::from, |()| Outcome::None)
    }

    /// The end of the month before (or after) the one `at` is in, or ends.
    fn month_end(&self, forward: bool) -> Option<NaiveDate> {
        let first = self.at.with_day(1)?;
        let last = first.checked_add_months(Months::new(1))?.pred_opt()?;
        if forward {
            let next = if self.at == last {
                first.checked_add_months(Months::new(1))?
            } else {
                first
            };
            next.checked_add_months(Months::new(1))?.pred_opt()
        } else {
            first.pred_opt()
        }
    }

    fn side_text(&self) -> &'static str {
        match self.side {
            AgedSide::Customers => "customers (debit +)",
            AgedSide::Suppliers => "suppliers (credit +)",
        }
    }

    fn render_parties(&self, buf: &mut Buffer, area: Rect, theme: &Theme) {
        let rows = self.parties.rows();
        let selected = self.parties.selected().map(Row::key);
        let text = |row: &PartyRow, column: AmountColumn| {
            let amount = amount_of(&row.buckets, column);
            if amount.is_zero() && row.party.is_some() && column.is_some() {
                String::new()
            } else {
                amount_text(amount)
            }
        };
        let mut columns = vec![Column::left(
            "party",
            needed(
                "party",
                rows.iter().map(|r| r.party.as_deref().unwrap_or("Total")),
                12,
            ),
        )];
        let mut amounts = Vec::new();
        for (i, column) in AMOUNT_COLUMNS.iter().enumerate() {
            let cells: Vec<String> = rows.iter().map(|r| text(r, *column)).collect();
            let title = column_title(*column, i == self.column);
            let width = needed(title, cells.iter().map(String::as_str), 20);
            // One more cell for the marker of the selected cell.
            let width = if i == self.column {
                width.saturating_add(1)
            } else {
                width
            };
            amounts.push(Column::right(title, width));
        }
        let fixed: u16 = columns
            .iter()
            .chain(&amounts)
            .map(|c| c.width.saturating_add(1))
            .sum();
        // The name comes first among what a narrow terminal drops: the code says who it is.
        let room = area.width.saturating_sub(fixed);
        let named = room >= NAME_MIN;
        if named {
            // As wide as the longest name, not more: the figures stay next to the names.
            let wanted = needed("name", rows.iter().map(|r| r.name.as_str()), 40);
            columns.push(Column::left("name", wanted.min(room.saturating_sub(1))));
        }
        columns.extend(amounts);
        self.parties.draw(buf, area, &columns, theme, |row| {
            let mut cells = vec![row.party.clone().unwrap_or_else(|| "Total".to_string())];
            if named {
                cells.push(clean(&row.name));
            }
            let is_cursor = selected.as_ref() == Some(&row.key());
            for (i, column) in AMOUNT_COLUMNS.iter().enumerate() {
                let cell = text(row, *column);
                cells.push(if is_cursor && i == self.column {
                    format!("▸{cell}")
                } else {
                    cell
                });
            }
            let style = match row.party {
                Some(_) => Style::new(),
                None => theme.total,
            };
            (cells, style)
        });
    }

    fn render_lines(&self, buf: &mut Buffer, area: Rect, theme: &Theme) {
        let rows = self.lines.rows();
        let size = |title: &str, cells: Vec<String>, max: u16| {
            needed(title, cells.iter().map(String::as_str), max)
        };
        let number = size("number", rows.iter().map(short_number).collect(), 14);
        let amount = size(
            "open",
            rows.iter().map(|r| amount_text(r.amount)).collect(),
            20,
        );
        let debit = size(
            "debit",
            rows.iter().map(|r| or_blank(r.item.debit)).collect(),
            20,
        );
        let credit = size(
            "credit",
            rows.iter().map(|r| or_blank(r.item.credit)).collect(),
            20,
        );
        let letter = size(
            "let.",
            rows.iter()
                .map(|r| r.item.group.clone().unwrap_or_default())
                .collect(),
            6,
        );
        let piece = size(
            "piece",
            rows.iter().map(|r| clean(&r.item.piece)).collect(),
            12,
        );
        let mut columns = vec![
            (LineCol::Date, Column::left("date", 8)),
            (LineCol::Number, Column::left("number", number)),
            (LineCol::Label, Column::fill("label")),
            (LineCol::Due, Column::left("due", 8)),
            (LineCol::Days, Column::right("days", 5)),
            (LineCol::Open, Column::right("open", amount)),
        ];
        let used = |columns: &[(LineCol, Column)]| -> u16 {
            columns.iter().map(|(_, c)| c.width.saturating_add(1)).sum()
        };
        // Extra columns in order of use, each while the label keeps LABEL_WIDE cells.
        for (col, column) in [
            (LineCol::Letter, Column::left("let.", letter)),
            (LineCol::Piece, Column::left("piece", piece)),
            (LineCol::Debit, Column::right("debit", debit)),
            (LineCol::Credit, Column::right("credit", credit)),
        ] {
            let mut tried = columns.clone();
            let at =
                tried
                    .iter()
                    .position(|(c, _)| *c == LineCol::Label)
                    .map_or(tried.len(), |i| match col {
                        LineCol::Piece => i,
                        _ => tried.len().saturating_sub(1),
                    });
            tried.insert(at, (col, column));
            if used(&tried).saturating_add(LABEL_WIDE) <= area.width {
                columns = tried;
            }
        }
        let plain: Vec<Column> = columns.iter().map(|(_, c)| *c).collect();
        self.lines.draw(buf, area, &plain, theme, |row| {
            let cells = columns
                .iter()
                .map(|(col, _)| match col {
                    LineCol::Date => row.item.date.format("%d/%m/%y").to_string(),
                    LineCol::Number => short_number(row),
                    LineCol::Piece => clean(&row.item.piece),
                    LineCol::Label => clean(&row.item.label),
                    LineCol::Due => row
                        .item
                        .due
                        .map(|d| d.format("%d/%m/%y").to_string())
                        .unwrap_or_default(),
                    LineCol::Days => row.days.to_string(),
                    LineCol::Letter => row.item.group.clone().unwrap_or_default(),
                    LineCol::Debit => or_blank(row.item.debit),
                    LineCol::Credit => or_blank(row.item.credit),
                    LineCol::Open => amount_text(row.amount),
                })
                .collect();
            let style = if row.amount.is_zero() {
                theme.dim
            } else {
                Style::new()
            };
            (cells, style)
        });
    }
}

/// The name column is shown when it gets at least this many cells.
const NAME_MIN: u16 = 10;
/// The label keeps at least this many cells before an extra column is added.
const LABEL_WIDE: u16 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineCol {
    Date,
    Number,
    Piece,
    Label,
    Due,
    Days,
    Letter,
    Debit,
    Credit,
    Open,
}

fn or_blank(amount: Amount) -> String {
    if amount.is_zero() {
        String::new()
    } else {
        amount_text(amount)
    }
}

/// `VE 18` for `VE2026-000018`.
fn short_number(row: &AgedLine) -> String {
    match EntryNumber::parse(&row.item.entry) {
        Some(number) => format!("{} {}", number.journal, number.seq),
        None => row.item.entry.clone(),
    }
}

impl Screen for AgedScreen {
    fn context(&self) -> Context {
        Context::Aged
    }

    fn title(&self) -> String {
        match &self.drill {
            None => format!("Aged balance · {}", self.side.name()),
            Some((party, bucket)) => {
                format!("Aged balance · {party} · {}", column_name(*bucket))
            }
        }
    }

    fn reload(&mut self, env: &Env) -> Result<(), LedgerError> {
        let report = env.ledger.aged_balance(self.side, self.at)?;
        let mut rows: Vec<PartyRow> = report
            .parties
            .iter()
            .map(|p| PartyRow {
                party: Some(p.party.clone()),
                name: p.name.clone(),
                buckets: p.buckets,
            })
            .collect();
        rows.push(PartyRow {
            party: None,
            name: String::new(),
            buckets: report.total,
        });
        self.parties.set_rows(rows);
        self.report = Some(report);
        let lines: Vec<AgedLine> = match (&self.drill, self.party()) {
            (Some((_, bucket)), Some(party)) => party.lines_in(*bucket).cloned().collect(),
            _ => Vec::new(),
        };
        self.lines.set_rows(lines);
        Ok(())
    }

    fn render(&self, buf: &mut Buffer, area: Rect, theme: &Theme, _keymap: &Keymap) {
        let heading = match &self.drill {
            None => {
                let count = self.parties.len().saturating_sub(1);
                format!(
                    "Aged balance of {} at {} · {count} {}",
                    self.side_text(),
                    date_text(self.at),
                    if count == 1 { "party" } else { "parties" }
                )
            }
            Some((code, bucket)) => {
                let name = self.party().map(|p| clean(&p.name)).unwrap_or_default();
                format!(
                    "{code} {name} · {} at {}",
                    column_name(*bucket),
                    date_text(self.at)
                )
            }
        };
        line(buf, area, area.y, &heading, theme.title);
        let summary = match &self.drill {
            None => match self.parties.selected() {
                Some(row) => format!(
                    "{} · {}: {} · {}",
                    row.party.as_deref().unwrap_or("Total"),
                    column_name(self.selected_column()),
                    amount_text(amount_of(&row.buckets, self.selected_column())),
                    self.parties.position("row")
                ),
                None => String::new(),
            },
            Some((_, bucket)) => {
                let total = self
                    .party()
                    .map(|p| amount_of(&p.buckets, *bucket))
                    .unwrap_or_default();
                format!(
                    "Open in this cell {} · {}",
                    amount_text(total),
                    self.lines.position("line")
                )
            }
        };
        line(buf, area, area.y + 1, &summary, theme.dim);
        let table = Rect::new(
            area.x,
            area.y.saturating_add(2),
            area.width,
            area.height.saturating_sub(2),
        );
        match self.drill {
            None => self.render_parties(buf, table, theme),
            Some(_) => self.render_lines(buf, table, theme),
        }
    }

    fn handle(&mut self, action: Action, env: &Env) -> Outcome {
        match action {
            Action::Open => match &self.drill {
                Some(_) => match self.lines.selected() {
                    Some(row) => Outcome::Open(Route::Entry(row.item.entry_id)),
                    None => Outcome::None,
                },
                None => match self.parties.selected().and_then(|r| r.party.clone()) {
                    Some(party) => Outcome::Open(Route::Aged {
                        side: self.side,
                        at: Some(self.at),
                        drill: Some((party, self.selected_column())),
                    }),
                    None => Outcome::Info("the total row has no lines of its own".into()),
                },
            },
            Action::NextColumn | Action::PrevColumn if self.drill.is_none() => {
                let count = AMOUNT_COLUMNS.len();
                self.column = if action == Action::NextColumn {
                    (self.column + 1) % count
                } else {
                    (self.column + count - 1) % count
                };
                Outcome::None
            }
            Action::AgedSide if self.drill.is_none() => {
                self.side = match self.side {
                    AgedSide::Customers => AgedSide::Suppliers,
                    AgedSide::Suppliers => AgedSide::Customers,
                };
                match self.reload(env) {
                    Ok(()) => Outcome::Info(format!("aged balance of {}", self.side.name())),
                    Err(err) => err.into(),
                }
            }
            Action::SetRange => Outcome::Prompt(Prompt {
                title: "Age the open items at (a date; empty: today)".into(),
                initial: self.asked.map(date_text).unwrap_or_default(),
                purpose: Purpose::Range,
            }),
            Action::PrevPeriod | Action::NextPeriod => {
                match self.month_end(action == Action::NextPeriod) {
                    Some(at) => self.set_at(Some(at), env),
                    None => Outcome::Error("no month beyond this one".into()),
                }
            }
            _ => Outcome::None,
        }
    }

    fn answer(&mut self, purpose: &Purpose, text: &str, env: &Env) -> Outcome {
        if *purpose != Purpose::Range {
            return Outcome::None;
        }
        let text = text.trim();
        if text.is_empty() {
            return self.set_at(None, env);
        }
        match super::parse_user_date(text, env.ctx.today) {
            Some(at) => self.set_at(Some(at), env),
            None => Outcome::Error(format!("`{text}` is not a date")),
        }
    }

    fn record(&self) -> Option<String> {
        match &self.drill {
            Some(_) => self
                .lines
                .selected()
                .map(|r| format!("entry:{}", r.item.entry_id)),
            None => self
                .parties
                .selected()
                .and_then(|r| r.party.as_ref())
                .map(|p| format!("party:{p}")),
        }
    }

    fn list(&self) -> Option<&dyn ListView> {
        match self.drill {
            Some(_) => Some(&self.lines),
            None => Some(&self.parties),
        }
    }

    fn list_mut(&mut self) -> Option<&mut dyn ListView> {
        match self.drill {
            Some(_) => Some(&mut self.lines),
            None => Some(&mut self.parties),
        }
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, &'static str)> {
        match self.drill {
            Some(_) => vec![
                (keymap.hint(Context::List, Action::Open), "entry"),
                (keymap.hint(Context::List, Action::Filter), "filter"),
            ],
            None => vec![
                (keymap.hint(Context::List, Action::Open), "lines"),
                (keymap.hint(Context::Aged, Action::NextColumn), "column"),
                (keymap.hint(Context::Aged, Action::AgedSide), "side"),
                (keymap.hint(Context::Aged, Action::SetRange), "date"),
                (keymap.hint(Context::Aged, Action::PrevPeriod), "month"),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_ends_step_from_any_day() {
        let screen = |at: NaiveDate| AgedScreen {
            side: AgedSide::Customers,
            asked: None,
            at,
            drill: None,
            column: 5,
            report: None,
            parties: List::new(),
            lines: List::new(),
        };
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            screen(d(2026, 11, 25)).month_end(false),
            Some(d(2026, 10, 31))
        );
        assert_eq!(
            screen(d(2026, 11, 25)).month_end(true),
            Some(d(2026, 11, 30))
        );
        assert_eq!(
            screen(d(2026, 11, 30)).month_end(true),
            Some(d(2026, 12, 31))
        );
        assert_eq!(
            screen(d(2026, 3, 31)).month_end(false),
            Some(d(2026, 2, 28))
        );
        assert_eq!(screen(d(2026, 1, 31)).month_end(true), Some(d(2026, 2, 28)));
    }
}
