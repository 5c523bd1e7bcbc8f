//! The lettering workbench: the accounts and third parties with open items on top, the open
//! items of the one opened below. Lines are marked with the list's marks (their total, debit
//! minus credit, always shown) and lettered together; a group is unlettered from any of its
//! lines; `]` and `[` walk through the parties with open items without going back.
//!
//! Every change goes through the application's write path (`Write::Letter`, ...); the screen
//! reads the ledger again after it, and whenever another user commits, keeping its cursors on
//! the same rows (or at the same place when a row was lettered away).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::super::action::{Action, Context};
use super::super::keymap::{Key, Keymap};
use super::super::route::Route;
use super::super::theme::Theme;
use super::super::widgets::list::{List, ListView, Row};
use super::super::widgets::overlay::boxed;
use super::super::widgets::table::{Column, needed, search_text};
use super::{
    Confirm, Env, Focus, Outcome, Screen, Write, amount_or_blank, amount_text, clean, date_text,
    line,
};
use crate::ledger::{
    AutoReport, Ledger, LedgerError, LedgerRow, LineOrigin, OpenItem, PartyOpen, SuggestionList,
    WriteOff,
};
use crate::lettering::{Group, LineRef};
use crate::model::{AccountNumber, Amount, EntryId, EntryNumber, EntryStatus};
use crate::query::{Field, Fields};

/// Lines of a party read at most when the lettered lines are shown too; beyond, the screen
/// says it stopped.
pub const LETTERED_LIMIT: usize = 20_000;

/// An account and third party with open items.
#[derive(Debug, Clone)]
pub struct PartyRow {
    pub account: AccountNumber,
    pub party: String,
    pub name: String,
    pub count: usize,
    pub balance: Amount,
    pub oldest: NaiveDate,
}

impl PartyRow {
    fn of(open: PartyOpen, names: &BTreeMap<String, String>) -> PartyRow {
        PartyRow {
            name: names.get(&open.party).cloned().unwrap_or_default(),
            account: open.account,
            party: open.party,
            count: open.count,
            balance: open.balance,
            oldest: open.oldest,
        }
    }
}

impl Row for PartyRow {
    type Key = (AccountNumber, String);

    fn key(&self) -> Self::Key {
        (self.account.clone(), self.party.clone())
    }

    fn search(&self) -> String {
        search_text(&[
            self.account.as_str(),
            &self.party,
            &self.name,
            &amount_text(self.balance),
        ])
    }

    fn fields(&self) -> Fields<'_> {
        Fields {
            accounts: vec![self.account.as_str()],
            parties: vec![self.party.as_str(), self.name.as_str()],
            amounts: vec![self.balance.abs()],
            date: Some(self.oldest),
            ..Fields::default()
        }
    }

    fn known() -> &'static [Field] {
        &[Field::Account, Field::Party, Field::Amount, Field::Date]
    }

    fn mark(&self) -> Result<Amount, String> {
        Err("marks are for the open items: enter opens the party".into())
    }
}

/// A line of the opened party: open, in a partial group, or (when shown) lettered.
#[derive(Debug, Clone)]
pub struct ItemRow {
    pub at: LineRef,
    pub reference: String,
    pub journal: String,
    pub date: NaiveDate,
    pub piece: String,
    pub label: String,
    pub due: Option<NaiveDate>,
    pub debit: Amount,
    pub credit: Amount,
    /// The letter code: lowercase for a partial group, uppercase for a complete one.
    pub code: Option<String>,
    /// What is still open: the line's own amount, its partial group's remainder, or zero
    /// once lettered complete (debit minus credit).
    pub remaining: Amount,
}

impl ItemRow {
    fn of_open(item: OpenItem, remainders: &BTreeMap<String, Amount>) -> ItemRow {
        let remaining = match &item.partial {
            Some(code) => remainders.get(code).copied().unwrap_or(item.signed()),
            None => item.signed(),
        };
        // A line carried into an opening entry reads as the line it stands for.
        let (date, piece) = match &item.origin {
            Some(origin) => (origin.date, origin.piece.clone()),
            None => (item.date, item.piece),
        };
        ItemRow {
            at: item.at,
            reference: item.entry,
            journal: item.journal,
            date,
            piece,
            label: LineOrigin::labelled(&item.label, item.origin.as_ref()),
            due: item.due,
            debit: item.debit,
            credit: item.credit,
            code: item.partial,
            remaining,
        }
    }

    fn of_row(row: LedgerRow, remainders: &BTreeMap<String, Amount>) -> ItemRow {
        let signed = row.debit - row.credit;
        let remaining = match &row.letter {
            Some(code) if is_complete_code(code) => Amount::ZERO,
            Some(code) => remainders.get(code).copied().unwrap_or(signed),
            None => signed,
        };
        ItemRow {
            at: LineRef {
                entry: row.entry_id,
                line: row.line_no,
            },
            reference: row.reference,
            journal: row.journal,
            date: row.origin.as_ref().map_or(row.date, |o| o.date),
            piece: match &row.origin {
                Some(origin) => origin.piece.clone(),
                None => row.piece,
            },
            label: LineOrigin::labelled(&row.label, row.origin.as_ref()),
            due: row.due,
            debit: row.debit,
            credit: row.credit,
            code: row.letter,
            remaining,
        }
    }

    /// Lettered in a complete group.
    pub fn is_lettered(&self) -> bool {
        self.code.as_deref().is_some_and(is_complete_code)
    }

    pub fn signed(&self) -> Amount {
        self.debit - self.credit
    }
}

fn is_complete_code(code: &str) -> bool {
    code.chars().all(|c| c.is_ascii_uppercase())
}

impl Row for ItemRow {
    type Key = LineRef;

    fn key(&self) -> LineRef {
        self.at
    }

    fn search(&self) -> String {
        search_text(&[
            &date_text(self.date),
            &self.reference,
            &short_number(&self.reference),
            &self.piece,
            &self.label,
            self.code.as_deref().unwrap_or(""),
            &amount_or_blank(self.debit),
            &amount_or_blank(self.credit),
        ])
    }

    fn fields(&self) -> Fields<'_> {
        Fields {
            journal: Some(&self.journal),
            amounts: [self.debit, self.credit]
                .into_iter()
                .filter(|a| !a.is_zero())
                .collect(),
            date: Some(self.date),
            status: Some(EntryStatus::Validated),
            open: Some(!self.is_lettered()),
            ..Fields::default()
        }
    }

    fn known() -> &'static [Field] {
        &[
            Field::Journal,
            Field::Amount,
            Field::Date,
            Field::Status,
            Field::Open,
        ]
    }

    /// Marked lines add up debit less credit: what lettering them leaves open.
    fn mark(&self) -> Result<Amount, String> {
        match &self.code {
            Some(code) if is_complete_code(code) => Err(format!(
                "{} is lettered already ({code}): unletter its group first",
                line_name(self)
            )),
            _ => Ok(self.signed()),
        }
    }
}

/// `VE2026-000012/2`, as the command line names lines.
fn line_name(row: &ItemRow) -> String {
    format!("{}/{}", row.reference, row.at.line.saturating_add(1))
}

/// The journal and the number within the year: `VE 18`.
fn short_number(reference: &str) -> String {
    match EntryNumber::parse(reference) {
        Some(number) => format!("{} {}", number.journal, number.seq),
        None => reference.to_string(),
    }
}

/// Which list has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Parties,
    Items,
}

pub struct LetteringScreen {
    today: NaiveDate,
    names: BTreeMap<String, String>,
    parties: List<PartyRow>,
    items: List<ItemRow>,
    /// The account and party whose items are shown.
    open: Option<(AccountNumber, String)>,
    pane: Pane,
    show_lettered: bool,
    /// Showing lettered lines stopped at `LETTERED_LIMIT`.
    truncated: bool,
    /// The lines sent to be lettered: their marks go once they are lettered.
    sent: Option<Vec<LineRef>>,
    /// Figures of the items, computed when they change (not on every key or frame).
    summary: Summary,
    /// The suggestions for the line under the cursor, while they are shown.
    suggestions: Option<Suggestions>,
    /// The largest difference a write-off completes (the settings' tolerance).
    tolerance: Amount,
}

/// Suggestions shown over the items: `enter` applies the selected one, a digit picks one.
struct Suggestions {
    list: SuggestionList,
    selected: usize,
}

/// What the screen shows of its items besides the rows, kept from one read (or one known
/// change) to the next so that a key costs the same with 10 or 10,000 items.
#[derive(Debug, Clone, Default)]
struct Summary {
    /// Position of each line among the rows.
    index: BTreeMap<LineRef, usize>,
    /// The remainders of the party's partial groups, by (lowercase) code.
    remainders: BTreeMap<String, Amount>,
    /// Open lines (not in a complete group) and their total, debit minus credit.
    open: usize,
    balance: Amount,
    oldest: Option<NaiveDate>,
    widths: Widths,
}

/// Column widths of the items, from their widest cells.
#[derive(Debug, Clone, Copy, Default)]
struct Widths {
    number: u16,
    piece: u16,
    debit: u16,
    credit: u16,
    remaining: u16,
    code: u16,
}

impl Summary {
    fn of(rows: &[ItemRow], remainders: BTreeMap<String, Amount>) -> Summary {
        let mut summary = Summary {
            remainders,
            ..Summary::default()
        };
        let (mut number, mut piece, mut code) = (0usize, 0usize, 0usize);
        let (mut debit, mut credit) = (Amount::ZERO, Amount::ZERO);
        let (mut high, mut low) = (Amount::ZERO, Amount::ZERO);
        for (i, row) in rows.iter().enumerate() {
            summary.index.insert(row.at, i);
            if !row.is_lettered() {
                summary.open += 1;
                summary.balance += row.signed();
                summary.oldest = Some(summary.oldest.map_or(row.date, |d| d.min(row.date)));
            }
            number = number.max(short_number(&row.reference).chars().count());
            piece = piece.max(row.piece.chars().count());
            code = code.max(row.code.as_deref().map_or(0, str::len));
            debit = debit.max(row.debit);
            credit = credit.max(row.credit);
            high = high.max(row.remaining);
            low = low.min(row.remaining);
        }
        // An amount's text is widest for the largest one (a sign adds a cell).
        let amount = |title: &str, amount: Amount, max: u16| {
            needed(title, [amount_or_blank(amount).as_str()], max)
        };
        let cells = |title: &str, chars: usize, max: u16| {
            (chars.max(title.chars().count()) as u16).min(max)
        };
        summary.widths = Widths {
            number: cells("number", number, 14),
            piece: cells("piece", piece, 12),
            debit: amount("debit", debit, 16),
            credit: amount("credit", credit, 16),
            remaining: amount("remaining", high, 16).max(amount("remaining", low, 16)),
            code: cells("let", code, 5),
        };
        summary
    }
}

impl LetteringScreen {
    /// The workbench; with a party named, opened on it (on `account`, or the first account it
    /// has open items on, or its collective account).
    pub fn new(
        env: &Env,
        account: Option<&AccountNumber>,
        party: Option<&str>,
    ) -> Result<Self, LedgerError> {
        let mut screen = LetteringScreen {
            today: env.ctx.today,
            names: BTreeMap::new(),
            parties: List::new().with_empty_text("(no open item on a letterable account)"),
            items: List::new()
                .with_mark_column()
                .with_empty_text("(no open item)"),
            open: None,
            pane: Pane::Parties,
            show_lettered: false,
            truncated: false,
            sent: None,
            summary: Summary::default(),
            suggestions: None,
            tolerance: Amount::ZERO,
        };
        screen.read_parties(env.ledger)?;
        if let Some(code) = party {
            let found = screen
                .parties
                .rows()
                .iter()
                .find(|r| r.party == code && account.is_none_or(|a| *a == r.account))
                .map(Row::key);
            let key = match (found, account) {
                (Some(key), _) => key,
                (None, Some(account)) => (account.clone(), code.to_string()),
                (None, None) => {
                    let party = env.ledger.party(code)?;
                    (party.collective_account, party.code)
                }
            };
            screen.open_party(env.ledger, key)?;
        }
        Ok(screen)
    }

    /// The account and party opened, if any.
    pub fn opened(&self) -> Option<&(AccountNumber, String)> {
        self.open.as_ref()
    }

    pub fn pane(&self) -> Pane {
        self.pane
    }

    pub fn items(&self) -> &List<ItemRow> {
        &self.items
    }

    pub fn parties(&self) -> &List<PartyRow> {
        &self.parties
    }

    fn read_parties(&mut self, ledger: &Ledger) -> Result<(), LedgerError> {
        // A ledger without posting settings letters with the default ones, as the ledger does.
        self.tolerance = ledger
            .settings()
            .map(|s| s.lettering)
            .unwrap_or_default()
            .tolerance;
        self.names = ledger
            .parties()?
            .into_iter()
            .map(|p| (p.code, clean(&p.name)))
            .collect();
        let rows = ledger
            .open_item_parties(None)?
            .into_iter()
            .map(|p| PartyRow::of(p, &self.names))
            .collect();
        self.parties.set_rows(rows);
        Ok(())
    }

    /// Reads the opened party's lines again, keeping the cursor and the marks on their rows.
    fn read_items(&mut self, ledger: &Ledger) -> Result<(), LedgerError> {
        let Some((account, party)) = self.open.clone() else {
            self.items.set_rows(Vec::new());
            self.summary = Summary::default();
            return Ok(());
        };
        let remainders = partial_remainders(ledger.letter_groups(Some(&account))?, &party);
        self.truncated = false;
        let rows: Vec<ItemRow> = if self.show_lettered {
            // Closed years' lines are not shown: their open items were carried into the
            // opening entry of the next year, where they are open.
            let from = ledger
                .years()?
                .into_iter()
                .filter(|y| y.is_open())
                .map(|y| y.start)
                .min();
            let page = ledger.party_ledger(&party, from, None, 0, LETTERED_LIMIT)?;
            self.truncated = page.has_more;
            page.rows
                .into_iter()
                .filter(|r| r.validated && r.account == account)
                .map(|r| ItemRow::of_row(r, &remainders))
                .collect()
        } else {
            ledger
                .open_items(&account, &party)?
                .into_iter()
                .map(|i| ItemRow::of_open(i, &remainders))
                .collect()
        };
        self.summary = Summary::of(&rows, remainders);
        self.items.set_rows(rows);
        if let Some(sent) = self.sent.take() {
            // Lettered: the marks did their work. Refused: they stay for another try.
            let done = sent.iter().all(|at| {
                self.items
                    .rows()
                    .iter()
                    .find(|r| r.at == *at)
                    .is_none_or(|r| r.code.is_some())
            });
            if done {
                self.items.unmark(&sent);
            }
        }
        Ok(())
    }

    fn open_party(
        &mut self,
        ledger: &Ledger,
        key: (AccountNumber, String),
    ) -> Result<(), LedgerError> {
        if self.open.as_ref() != Some(&key) {
            self.items = List::new()
                .with_mark_column()
                .with_empty_text("(no open item: ] goes to the next party)");
            self.open = Some(key.clone());
        }
        self.parties.select(|r| r.key() == key);
        self.pane = Pane::Items;
        self.read_items(ledger)
    }

    /// Opens the party after (or before) the opened one in the list's order (the one under
    /// the cursor when none is opened yet). The order is the list's, so a party lettered away
    /// meanwhile is not skipped over.
    fn step_party(&mut self, ledger: &Ledger, forward: bool) -> Outcome {
        let rows: Vec<(AccountNumber, String)> = self.parties.shown().map(Row::key).collect();
        let next = match &self.open {
            // None opened yet: the one under the cursor.
            None => self.parties.selected().map(Row::key),
            Some(key) if forward => rows.iter().find(|k| *k > key).cloned(),
            Some(key) => rows.iter().rev().find(|k| *k < key).cloned(),
        };
        let next = match next {
            Some(next) => next,
            None => {
                return Outcome::Info(if forward {
                    "no party with open items after this one".into()
                } else {
                    "no party with open items before this one".into()
                });
            }
        };
        self.open_party(ledger, next)
            .map_or_else(Outcome::from, |()| Outcome::None)
    }

    /// The marked lines, in list order.
    fn marked_lines(&self) -> Vec<&ItemRow> {
        let rows = self.items.rows();
        let mut at: Vec<usize> = self
            .items
            .marks()
            .filter_map(|key| self.summary.index.get(key).copied())
            .collect();
        at.sort_unstable();
        at.into_iter().filter_map(|i| rows.get(i)).collect()
    }

    /// What lettering the marked lines leaves open: their total plus what the partial groups
    /// they join leave open without them.
    fn remainder_after(&self, marked: &[&ItemRow]) -> Amount {
        let mut total = Amount::ZERO;
        let mut groups: BTreeMap<&str, Amount> = BTreeMap::new();
        for row in marked {
            match row.code.as_deref() {
                // In a partial group: the group comes in whole, this line with it.
                Some(code) => *groups.entry(code).or_insert(Amount::ZERO) += row.signed(),
                None => total += row.signed(),
            }
        }
        for (code, marked_in) in groups {
            let remainder = self
                .summary
                .remainders
                .get(code)
                .copied()
                .unwrap_or(marked_in);
            total += remainder;
        }
        total
    }

    fn letter(&mut self) -> Outcome {
        if self.open.is_none() {
            return Outcome::Info("open a party first (enter on it)".into());
        }
        let marked = self.marked_lines();
        if marked.is_empty() {
            return Outcome::Info("mark the lines to letter first (space)".into());
        }
        let lines: Vec<LineRef> = marked.iter().map(|r| r.at).collect();
        let joins = marked.iter().any(|r| r.code.is_some());
        if marked.len() < 2 && !joins {
            return Outcome::Info("mark at least two lines to letter them together".into());
        }
        let remainder = self.remainder_after(&marked);
        let count = marked.len();
        self.sent = Some(lines.clone());
        let write = Write::Letter { lines };
        if remainder.is_zero() {
            return write.into();
        }
        Outcome::Confirm(Confirm {
            message: format!(
                "The {count} marked lines do not net to zero: letter them as a partial group \
                 leaving {} open?",
                amount_text(remainder)
            ),
            yes: write.into(),
        })
    }

    fn unletter(&mut self) -> Outcome {
        let Some((account, _)) = &self.open else {
            return Outcome::Info("open a party first (enter on it)".into());
        };
        let Some(row) = self.items.selected() else {
            return Outcome::None;
        };
        let Some(code) = row.code.clone() else {
            return Outcome::Info(format!("{} is in no letter group", line_name(row)));
        };
        let lines = self
            .items
            .rows()
            .iter()
            .filter(|r| r.code.as_deref() == Some(code.as_str()))
            .count();
        let shown = if row.is_lettered() && !self.show_lettered {
            String::new()
        } else {
            format!(" ({lines} lines here)")
        };
        Outcome::Confirm(Confirm {
            message: format!(
                "Unletter group {code} on {account}{shown}? Its lines become open items again."
            ),
            yes: Write::Unletter {
                account: account.clone(),
                code,
            }
            .into(),
        })
    }

    /// The lines a write-off completes: the marked ones, else the line under the cursor (with
    /// the rest of its partial group, which the ledger adds).
    fn writeoff_lines(&self) -> Vec<LineRef> {
        let marked: Vec<LineRef> = self.marked_lines().iter().map(|r| r.at).collect();
        if !marked.is_empty() {
            return marked;
        }
        self.items
            .selected()
            .map(|r| vec![r.at])
            .unwrap_or_default()
    }

    fn write_off(&mut self, env: &Env) -> Outcome {
        if self.open.is_none() {
            return Outcome::Info("open a party first (enter on it)".into());
        }
        let lines = self.writeoff_lines();
        if lines.is_empty() {
            return Outcome::Info("mark the lines to complete with a write-off first".into());
        }
        self.write_off_lines(env, lines)
    }

    /// The write-off preview of `lines`, as a question.
    fn write_off_lines(&mut self, env: &Env, lines: Vec<LineRef>) -> Outcome {
        match env.ledger.letter_writeoff_preview(env.ctx, &lines) {
            Ok(plan) => {
                self.sent = Some(lines.clone());
                Outcome::Confirm(Confirm {
                    message: writeoff_question(&plan),
                    yes: Write::WriteOff { lines }.into(),
                })
            }
            Err(err) => Outcome::Error(err.to_string()),
        }
    }

    fn suggest(&mut self, env: &Env) -> Outcome {
        let Some((account, party)) = &self.open else {
            return Outcome::Info("open a party first (enter on it)".into());
        };
        let Some(row) = self.items.selected() else {
            return Outcome::Info("no line to suggest for".into());
        };
        if row.is_lettered() {
            return Outcome::Info(format!(
                "{} is lettered already ({})",
                line_name(row),
                row.code.as_deref().unwrap_or_default()
            ));
        }
        let name = line_name(row);
        match env
            .ledger
            .letter_suggestions(Some(account), Some(party), Some(row.at))
        {
            Ok(list) if list.suggestions.is_empty() => Outcome::Info(format!(
                "no set completes {name}{}",
                list.note
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            )),
            Ok(list) => {
                self.suggestions = Some(Suggestions { list, selected: 0 });
                Outcome::None
            }
            Err(err) => err.into(),
        }
    }

    /// Applies suggestion `at`: an exact one letters its lines, one within the tolerance
    /// asks for its write-off.
    fn apply_suggestion(&mut self, at: usize, env: &Env) -> Outcome {
        let Some(shown) = self.suggestions.take() else {
            return Outcome::None;
        };
        let Some(chosen) = shown.list.suggestions.get(at) else {
            let count = shown.list.suggestions.len();
            self.suggestions = Some(shown);
            return Outcome::Info(format!("there are {count} suggestions"));
        };
        let lines = chosen.lines.clone();
        if chosen.exact {
            self.sent = Some(lines.clone());
            return Write::Letter { lines }.into();
        }
        self.write_off_lines(env, lines)
    }

    fn auto(&mut self, env: &Env) -> Outcome {
        let Some((account, party)) = self.open.clone() else {
            return Outcome::Info("open a party first (enter on it)".into());
        };
        match env
            .ledger
            .letter_auto(env.ctx, Some(&account), Some(&party), true)
        {
            Ok(report) if report.groups.is_empty() => Outcome::Info(format!(
                "the automatic rules letter nothing on {account} {party}{}",
                report
                    .notes
                    .first()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            )),
            Ok(report) => Outcome::Confirm(Confirm {
                message: auto_question(&report),
                yes: Write::LetterAuto { account, party }.into(),
            }),
            Err(err) => err.into(),
        }
    }

    /// Rows the suggestions take below the items: half of the room at most.
    fn suggestions_height(&self, area: Rect) -> u16 {
        match &self.suggestions {
            Some(shown) => {
                let wanted = shown.list.suggestions.len() as u16 * 2 + 3;
                wanted.min((area.height / 2).max(5)).min(area.height)
            }
            None => 0,
        }
    }

    fn draw_suggestions(&self, buf: &mut Buffer, area: Rect, theme: &Theme, keymap: &Keymap) {
        let Some(shown) = &self.suggestions else {
            return;
        };
        let height = self.suggestions_height(area);
        if height < 3 || area.width < 10 {
            return;
        }
        let rect = Rect::new(area.x, area.bottom() - height, area.width, height);
        let title = format!(
            "Suggestions ({}): {} applies · 1-9 picks · {} closes",
            shown.list.suggestions.len(),
            keymap
                .hints(Context::Form, Action::NextField)
                .replace(", ", "/"),
            keymap.hint(Context::Form, Action::Cancel)
        );
        let inner = boxed(buf, rect, &title, theme);
        // Each suggestion takes two rows; the selected one stays in view.
        let fits = (inner.height as usize / 2).max(1);
        let first = shown.selected.saturating_sub(fits - 1);
        let mut y = inner.y;
        for (i, s) in shown.list.suggestions.iter().enumerate().skip(first) {
            if y >= inner.bottom() {
                break;
            }
            let style = if i == shown.selected {
                theme.cursor
            } else {
                Style::new()
            };
            let head = format!("{} {}", i + 1, clean(&s.reason));
            line(buf, Rect::new(inner.x, y, inner.width, 1), y, &head, style);
            if y + 1 < inner.bottom() {
                let names = format!("  {}", s.names.join(" + "));
                line(
                    buf,
                    Rect::new(inner.x, y + 1, inner.width, 1),
                    y + 1,
                    &names,
                    theme.dim,
                );
            }
            y += 2;
        }
        if let Some(note) = &shown.list.note
            && y < inner.bottom()
        {
            line(
                buf,
                Rect::new(inner.x, y, inner.width, 1),
                y,
                note,
                theme.dim,
            );
        }
    }

    fn marked_total(&self) -> (usize, Amount) {
        self.items.marked()
    }

    fn title_line(&self) -> String {
        match &self.open {
            Some((account, party)) => {
                let name = self.names.get(party).cloned().unwrap_or_default();
                let more = if self.truncated {
                    format!(" · first {LETTERED_LIMIT} lines")
                } else {
                    String::new()
                };
                format!(
                    "{account} {party} {name} · {} open · balance {}{more}",
                    self.summary.open,
                    signed_text(self.summary.balance)
                )
            }
            None => format!(
                "{} accounts and parties with open items",
                self.parties.len()
            ),
        }
    }

    fn marks_line(&self, keymap: &Keymap) -> String {
        let (count, total) = self.marked_total();
        let lettered = if self.show_lettered {
            "lettered lines shown"
        } else {
            "lettered lines hidden"
        };
        let toggle = keymap.hint(Context::Lettering, Action::ShowLettered);
        if count == 0 {
            return format!(
                "Marked: none · total 0,00 · {lettered} ({toggle}) · {} marks",
                keymap.hint(Context::List, Action::Mark)
            );
        }
        let marked = self.marked_lines();
        let remainder = self.remainder_after(&marked);
        let then = if remainder.is_zero() {
            format!(
                "{} letters complete",
                keymap.hint(Context::Lettering, Action::Letter)
            )
        } else if remainder.abs() <= self.tolerance {
            format!(
                "leaves {} open · {} writes it off",
                signed_text(remainder),
                keymap.hint(Context::Lettering, Action::WriteOff)
            )
        } else {
            format!("leaves {} open", signed_text(remainder))
        };
        format!("Marked: {count} · total {} · {then}", signed_text(total))
    }

    fn party_columns(&self, width: u16) -> Vec<Column> {
        let rows = self.parties.rows();
        let party = needed(
            "party",
            rows.iter().map(|r| r.party.as_str()).collect::<Vec<_>>(),
            12,
        );
        let balance = needed(
            "open balance",
            rows.iter()
                .map(|r| signed_text(r.balance))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str),
            16,
        );
        let mut columns = vec![
            Column::left("account", 7),
            Column::left("party", party),
            Column::fill("name"),
            Column::right("items", 5),
            Column::right("open balance", balance),
            Column::left("oldest", 8),
        ];
        if width >= 100 {
            columns[5] = Column::left("oldest", 10);
        }
        columns
    }

    fn party_cells(&self, row: &PartyRow, wide: bool) -> Vec<String> {
        vec![
            row.account.to_string(),
            clean(&row.party),
            row.name.clone(),
            row.count.to_string(),
            signed_text(row.balance),
            if wide {
                date_text(row.oldest)
            } else {
                row.oldest.format("%d/%m/%y").to_string()
            },
        ]
    }

    /// The columns of the items for a width: date, number, label, debit, credit, remaining
    /// and the code always; the piece, the due date and the age as room allows.
    fn item_layout(&self, width: u16) -> Vec<(Col, Column)> {
        let Widths {
            number,
            piece,
            debit,
            credit,
            remaining,
            code,
        } = self.summary.widths;
        let mut columns = vec![
            (Col::Date, Column::left("date", 8)),
            (Col::Number, Column::left("number", number)),
            (Col::Label, Column::fill("label")),
            (Col::Debit, Column::right("debit", debit)),
            (Col::Credit, Column::right("credit", credit)),
            (Col::Remaining, Column::right("remaining", remaining)),
            (Col::Code, Column::left("let", code)),
        ];
        // The mark column and the gaps between columns take room too.
        let used = |columns: &[(Col, Column)]| -> u16 {
            let fixed: u16 = columns.iter().map(|(_, c)| c.width).sum();
            fixed + columns.len() as u16 + 1
        };
        // In order of use: the piece before the label, the due date and the age before the
        // debit.
        let extras = [
            (Col::Piece, Column::left("piece", piece)),
            (Col::Age, Column::right("age", 4)),
            (Col::Due, Column::left("due", 8)),
        ];
        for (col, column) in extras {
            let mut tried = columns.clone();
            let before = match col {
                Col::Piece => Col::Label,
                Col::Due => Col::Age,
                _ => Col::Debit,
            };
            let at = tried
                .iter()
                .position(|(c, _)| *c == before)
                .or_else(|| tried.iter().position(|(c, _)| *c == Col::Debit))
                .unwrap_or(tried.len());
            tried.insert(at, (col, column));
            if used(&tried) + LABEL_MIN <= width {
                columns = tried;
            }
        }
        columns
    }

    fn item_cells(&self, row: &ItemRow, layout: &[(Col, Column)]) -> Vec<String> {
        layout
            .iter()
            .map(|(col, _)| match col {
                Col::Date => row.date.format("%d/%m/%y").to_string(),
                Col::Number => short_number(&row.reference),
                Col::Piece => clean(&row.piece),
                Col::Label => clean(&row.label),
                Col::Due => row
                    .due
                    .map(|d| d.format("%d/%m/%y").to_string())
                    .unwrap_or_default(),
                Col::Age => (self.today - row.date).num_days().max(0).to_string(),
                Col::Debit => amount_or_blank(row.debit),
                Col::Credit => amount_or_blank(row.credit),
                Col::Remaining => amount_or_blank(row.remaining),
                Col::Code => row.code.clone().unwrap_or_default(),
            })
            .collect()
    }
}

/// The label keeps at least this many cells before the piece, due date and age are added.
const LABEL_MIN: u16 = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Date,
    Number,
    Piece,
    Label,
    Due,
    Age,
    Debit,
    Credit,
    Remaining,
    Code,
}

/// The remainders of a party's partial groups, by their (lowercase) code.
fn partial_remainders(groups: Vec<Group>, party: &str) -> BTreeMap<String, Amount> {
    groups
        .into_iter()
        .filter(|g| g.party == party && !g.is_complete())
        .map(|g| (g.code(), g.remainder()))
        .collect()
}

/// `1 234,56 D` / `1 234,56 C` / `0,00`.
fn signed_text(amount: Amount) -> String {
    super::ledger::balance_text(amount, super::ledger::BalanceStyle::DebitCredit)
}

impl Screen for LetteringScreen {
    fn context(&self) -> Context {
        Context::Lettering
    }

    fn title(&self) -> String {
        match &self.open {
            Some((account, party)) => format!("Lettering {account} {party}"),
            None => "Lettering".into(),
        }
    }

    fn focus(&self) -> Focus {
        if self.suggestions.is_some() {
            Focus::Form
        } else {
            Focus::List
        }
    }

    fn wants_text(&self) -> bool {
        self.suggestions.is_some()
    }

    fn reload(&mut self, env: &Env) -> Result<(), LedgerError> {
        self.today = env.ctx.today;
        self.read_parties(env.ledger)?;
        if let Some(key) = &self.open {
            let key = key.clone();
            self.parties.select(|r| r.key() == key);
        }
        self.read_items(env.ledger)
    }

    fn render(&self, buf: &mut Buffer, area: Rect, theme: &Theme, keymap: &Keymap) {
        if area.height == 0 || area.width == 0 {
            return;
        }
        line(buf, area, area.y, &self.title_line(), theme.title);
        let marks_style = if self.marked_total().0 > 0 {
            theme.marked
        } else {
            theme.dim
        };
        line(buf, area, area.y + 1, &self.marks_line(keymap), marks_style);
        let rest = area.height.saturating_sub(2);
        // The parties take a third of the room (at least a header and three rows), the open
        // items the rest.
        let wanted = self.parties.len() as u16 + 1;
        let parties_height = if self.open.is_none() {
            rest.saturating_sub(1)
        } else {
            // At least the header and one row: the list's "(no row matches …)" needs one.
            wanted.max(2).min((rest / 3).max(4)).min(rest)
        };
        let parties = Rect::new(area.x, area.y + 2, area.width, parties_height);
        let wide = area.width >= 100;
        let columns = self.party_columns(area.width);
        self.parties.draw_with_cursor(
            buf,
            parties,
            &columns,
            theme,
            self.pane == Pane::Parties,
            |row| {
                let style = if self.open.as_ref() == Some(&row.key()) {
                    theme.total
                } else {
                    Style::new()
                };
                (self.party_cells(row, wide), style)
            },
        );
        let items = Rect::new(
            area.x,
            parties.bottom(),
            area.width,
            area.bottom().saturating_sub(parties.bottom()),
        );
        if self.open.is_none() {
            let text = format!(
                "{} opens the party under the cursor · {} / {} the next / previous one",
                keymap.hint(Context::List, Action::Open),
                keymap.hint(Context::Lettering, Action::NextParty),
                keymap.hint(Context::Lettering, Action::PrevParty),
            );
            line(buf, items, items.y, &text, theme.dim);
            return;
        }
        let layout = self.item_layout(items.width);
        let columns: Vec<Column> = layout.iter().map(|(_, c)| *c).collect();
        let below = self.suggestions_height(items);
        let list = Rect::new(
            items.x,
            items.y,
            items.width,
            items.height.saturating_sub(below),
        );
        self.items.draw_with_cursor(
            buf,
            list,
            &columns,
            theme,
            self.pane == Pane::Items || self.suggestions.is_some(),
            |row| {
                let style = if row.is_lettered() {
                    theme.dim
                } else {
                    Style::new()
                };
                (self.item_cells(row, &layout), style)
            },
        );
        self.draw_suggestions(buf, items, theme, keymap);
    }

    fn handle(&mut self, action: Action, env: &Env) -> Outcome {
        if let Some(shown) = &mut self.suggestions {
            let last = shown.list.suggestions.len().saturating_sub(1);
            match action {
                Action::NextLine | Action::Down => shown.selected = (shown.selected + 1).min(last),
                Action::PrevLine | Action::Up => shown.selected = shown.selected.saturating_sub(1),
                Action::NextField | Action::Open => {
                    let at = shown.selected;
                    return self.apply_suggestion(at, env);
                }
                Action::Cancel | Action::Back => self.suggestions = None,
                _ => {}
            }
            return Outcome::None;
        }
        match (action, self.pane) {
            (Action::Open, Pane::Parties) => match self.parties.selected().map(Row::key) {
                Some(key) => self
                    .open_party(env.ledger, key)
                    .map_or_else(Outcome::from, |()| Outcome::None),
                None => Outcome::None,
            },
            (Action::Open, Pane::Items) => match self.items.selected() {
                Some(row) => Outcome::Open(Route::Entry(row.at.entry)),
                None => Outcome::None,
            },
            (Action::SwitchPane, _) => {
                self.pane = match self.pane {
                    Pane::Parties if self.open.is_some() => Pane::Items,
                    Pane::Parties => {
                        return Outcome::Info("enter opens the party under the cursor".into());
                    }
                    Pane::Items => Pane::Parties,
                };
                Outcome::None
            }
            (Action::NextParty, _) => self.step_party(env.ledger, true),
            (Action::PrevParty, _) => self.step_party(env.ledger, false),
            (Action::ShowLettered, _) => {
                self.show_lettered = !self.show_lettered;
                match self.read_items(env.ledger) {
                    Ok(()) if self.show_lettered => {
                        Outcome::Info("lettered lines shown with their code".into())
                    }
                    Ok(()) => Outcome::Info("lettered lines hidden".into()),
                    Err(err) => err.into(),
                }
            }
            (Action::Letter, _) => self.letter(),
            (Action::Unletter, _) => self.unletter(),
            (Action::WriteOff, _) => self.write_off(env),
            (Action::Suggest, _) => self.suggest(env),
            (Action::LetterAuto, _) => self.auto(env),
            _ => Outcome::None,
        }
    }

    /// Digits pick a suggestion; `j` and `k` move among them.
    fn input(&mut self, key: Key, env: &Env) -> Outcome {
        let Some(shown) = &mut self.suggestions else {
            return Outcome::None;
        };
        let last = shown.list.suggestions.len().saturating_sub(1);
        match key.text() {
            Some(digit @ '1'..='9') => {
                let at = digit as usize - '1' as usize;
                self.apply_suggestion(at, env)
            }
            Some('j') => {
                shown.selected = (shown.selected + 1).min(last);
                Outcome::None
            }
            Some('k') => {
                shown.selected = shown.selected.saturating_sub(1);
                Outcome::None
            }
            _ => Outcome::None,
        }
    }

    /// Shows a group just lettered from here as a reload would: its lines take its code (or
    /// leave the list when it is complete and lettered lines are hidden), its remainder, and
    /// the party's row its new count and balance.
    fn lettered(&mut self, group: &Group) -> bool {
        let Some((account, party)) = self.open.clone() else {
            return false;
        };
        if group.account != account || group.party != party {
            return false;
        }
        let complete = group.is_complete();
        let code = group.code();
        let remaining = if complete {
            Amount::ZERO
        } else {
            group.remainder()
        };
        let hide = complete && !self.show_lettered;
        let lines: std::collections::BTreeSet<LineRef> = group.lines.iter().map(|l| l.at).collect();
        self.items.edit_rows(|rows| {
            if hide {
                rows.retain(|r| !lines.contains(&r.at));
            }
            for row in rows.iter_mut().filter(|r| lines.contains(&r.at)) {
                row.code = Some(code.clone());
                row.remaining = remaining;
            }
        });
        let mut remainders = std::mem::take(&mut self.summary.remainders);
        remainders.remove(&code.to_ascii_lowercase());
        if !complete {
            remainders.insert(code, remaining);
        }
        self.summary = Summary::of(self.items.rows(), remainders);
        self.items.unmark(&lines);
        self.sent = None;
        let summary = &self.summary;
        let key = (account, party);
        self.parties
            .edit_rows(|rows| match (summary.open, summary.oldest) {
                (0, _) | (_, None) => rows.retain(|r| r.key() != key),
                (count, Some(oldest)) => {
                    for row in rows.iter_mut().filter(|r| r.key() == key) {
                        row.count = count;
                        row.balance = summary.balance;
                        row.oldest = oldest;
                    }
                }
            });
        true
    }

    /// Going back from the open items first goes up to the parties.
    fn back_within(&mut self) -> bool {
        if self.suggestions.take().is_some() {
            return true;
        }
        if self.pane == Pane::Items {
            self.pane = Pane::Parties;
            return true;
        }
        false
    }

    fn record(&self) -> Option<String> {
        match (&self.open, self.items.selected(), self.pane) {
            (_, Some(row), Pane::Items) => Some(format!("entry:{}", row.at.entry)),
            (Some((account, _)), _, _) => Some(format!("account:{account}")),
            _ => None,
        }
    }

    fn list(&self) -> Option<&dyn ListView> {
        if self.suggestions.is_some() {
            return None;
        }
        match self.pane {
            Pane::Parties => Some(&self.parties),
            Pane::Items => Some(&self.items),
        }
    }

    fn list_mut(&mut self) -> Option<&mut dyn ListView> {
        if self.suggestions.is_some() {
            return None;
        }
        match self.pane {
            Pane::Parties => Some(&mut self.parties),
            Pane::Items => Some(&mut self.items),
        }
    }

    fn show_entry(&mut self, _id: EntryId, _env: &Env) {}

    fn hints(&self, keymap: &Keymap) -> Vec<(String, &'static str)> {
        let lettering = |action| keymap.hint(Context::Lettering, action);
        if self.suggestions.is_some() {
            return vec![
                (keymap.hint(Context::Form, Action::NextField), "apply"),
                ("1-9".to_string(), "pick"),
                (keymap.hint(Context::Form, Action::Cancel), "close"),
            ];
        }
        match self.pane {
            Pane::Parties => vec![
                (keymap.hint(Context::List, Action::Open), "open"),
                (lettering(Action::NextParty), "next"),
                (keymap.hint(Context::List, Action::Filter), "filter"),
            ],
            Pane::Items => vec![
                (keymap.hint(Context::List, Action::Mark), "mark"),
                (lettering(Action::Letter), "letter"),
                (lettering(Action::Suggest), "suggest"),
                (lettering(Action::WriteOff), "write off"),
                (lettering(Action::Unletter), "unletter"),
                (lettering(Action::LetterAuto), "auto"),
                (lettering(Action::NextParty), "next party"),
                (lettering(Action::ShowLettered), "lettered"),
            ],
        }
    }
}

/// What the status line says once lines are lettered.
pub fn lettered_text(group: &Group) -> String {
    let how = if group.is_complete() {
        "complete".to_string()
    } else {
        format!("partial, {} left open", amount_text(group.remainder()))
    };
    format!(
        "lettered {} on {} ({}): {} lines, {how}",
        group.code(),
        group.account,
        group.party,
        group.lines.len()
    )
}

/// The write-off entry, line by line, and the question.
fn writeoff_question(plan: &WriteOff) -> String {
    let entry = &plan.entry;
    let lines: Vec<String> = entry
        .lines
        .iter()
        .map(|l| {
            let (side, amount) = if l.debit.is_zero() {
                ("C", l.credit)
            } else {
                ("D", l.debit)
            };
            let party = l
                .third_party
                .as_deref()
                .map(|p| format!(" {}", clean(p)))
                .unwrap_or_default();
            format!("{}{party} {side} {}", l.account, amount_text(amount))
        })
        .collect();
    format!(
        "Write off {} (tolerance {}) with entry {} {} «{}»: {}. Post it and letter the group \
         complete?",
        signed_text(plan.remainder),
        amount_text(plan.tolerance),
        clean(&entry.journal),
        date_text(entry.date),
        clean(&entry.label),
        lines.join(" · ")
    )
}

/// What a dry run of the automatic rules found, and the question.
fn auto_question(report: &AutoReport) -> String {
    let rules: Vec<String> = report
        .by_rule()
        .into_iter()
        .filter(|(_, groups, _)| *groups > 0)
        .map(|(rule, groups, lines)| format!("{} {groups} ({lines} lines)", rule.label()))
        .collect();
    let mut shown: Vec<String> = report
        .groups
        .iter()
        .take(3)
        .map(|g| format!("{} {}", amount_text(g.amount), g.names.join("+")))
        .collect();
    if report.groups.len() > 3 {
        shown.push(format!("… {} more", report.groups.len() - 3));
    }
    format!(
        "Automatic lettering would make {}: {}. {}. Letter them?",
        groups_text(report.groups.len()),
        rules.join(", "),
        shown.join("; ")
    )
}

/// What the status line says once the automatic rules ran.
pub fn auto_text(report: &AutoReport) -> String {
    let lines: usize = report.groups.iter().map(|g| g.lines.len()).sum();
    let rules: Vec<String> = report
        .by_rule()
        .into_iter()
        .filter(|(_, groups, _)| *groups > 0)
        .map(|(rule, groups, _)| format!("{} {groups}", rule.label()))
        .collect();
    format!(
        "lettered {} automatically ({lines} lines): {}",
        groups_text(report.groups.len()),
        rules.join(", ")
    )
}

/// `1 group`, `3 groups`.
fn groups_text(count: usize) -> String {
    if count == 1 {
        "1 group".into()
    } else {
        format!("{count} groups")
    }
}
