//! The reconciliation session: one bank statement, its lines on one side (unreconciled first),
//! the candidates of the line under the cursor on the other, each with its score and reason.
//! `enter` accepts the best candidate, a digit another; a line is paid (`p`), posted to an
//! account (`a`), turned into a rule (`r`) or sent to suspense (`s`); `u` undoes a
//! reconciliation. After each action, and whenever another user commits, the cursor goes to
//! the next unreconciled line after the one it was on (it stays on a line nobody touched).
//!
//! The screen never writes: it returns a `Write` that the application runs, then reads the
//! ledger again. Candidates come from the pure matching of `crate::reconcile` over an index the
//! screen builds once per read, so that moving the cursor costs the same on 50 lines as on
//! 5,000.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use chrono::NaiveDate;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::super::action::{Action, Context};
use super::super::keymap::{Code, Key, Keymap};
use super::super::route::Route;
use super::super::theme::Theme;
use super::super::widgets::fuzzy;
use super::super::widgets::input::TextInput;
use super::super::widgets::list::{List, ListView, Row};
use super::super::widgets::overlay::{boxed, draw_input};
use super::super::widgets::table::{Column, search_text};
use super::super::widgets::text::put;
use super::{Confirm, Env, Focus, Outcome, Screen, Write, amount_text, clean, date_text, line};
use crate::ledger::{
    BankLine, BankLineFilter, BankLineId, BankLineStatus, BankReport, BookLine, StatementInfo,
};
use crate::ledger::{Ctx, DocumentRef, Ledger, LedgerError, bank_view};
use crate::lettering::LineRef;
use crate::model::settings::Reconciliation;
use crate::model::{AccountNumber, Amount};
use crate::query::{Field, Fields};
use crate::reconcile;

/// Candidates shown for one line (digits pick the first nine).
const MAX_SHOWN: usize = 9;
/// Completions shown under the account field of the posting form.
const MAX_COMPLETIONS: usize = 6;

// ----- rows -------------------------------------------------------------------------------------

/// A bank line as the session lists it.
#[derive(Debug, Clone)]
pub struct LineRow {
    pub line: BankLine,
    /// What it is reconciled with, as commands name the book lines (`BQ2026-000012/1`).
    pub with: String,
}

impl LineRow {
    pub fn is_open(&self) -> bool {
        self.line.status == BankLineStatus::Unreconciled
    }

    fn status_mark(&self) -> &'static str {
        match self.line.status {
            BankLineStatus::Unreconciled => "",
            BankLineStatus::Reconciled => "✓",
            BankLineStatus::Suspense => "S",
        }
    }

    /// The label with the counterparty when the bank gives one apart.
    fn text(&self) -> String {
        let label = clean(&self.line.label);
        match &self.line.counterparty_name {
            Some(name) if !label.contains(name.as_str()) => {
                format!("{label} · {}", clean(name))
            }
            _ => label,
        }
    }
}

impl Row for LineRow {
    type Key = BankLineId;

    fn key(&self) -> BankLineId {
        self.line.id
    }

    fn search(&self) -> String {
        search_text(&[
            &date_text(self.line.booking_date),
            &self.line.label,
            self.line.counterparty_name.as_deref().unwrap_or(""),
            self.line.reference.as_deref().unwrap_or(""),
            &amount_text(self.line.amount),
            self.line.status.name(),
            &self.with,
        ])
    }

    fn fields(&self) -> Fields<'_> {
        Fields {
            amounts: vec![self.line.amount.abs()],
            date: Some(self.line.booking_date),
            ..Fields::default()
        }
    }

    fn known() -> &'static [Field] {
        &[Field::Amount, Field::Date]
    }

    fn mark(&self) -> Result<Amount, String> {
        Err("bank lines are not marked: enter accepts the best candidate".into())
    }
}

/// A statement in the picker.
#[derive(Debug, Clone)]
pub struct StatementRow {
    pub info: StatementInfo,
}

impl Row for StatementRow {
    type Key = u64;

    fn key(&self) -> u64 {
        self.info.record.id
    }

    fn search(&self) -> String {
        let r = &self.info.record;
        search_text(&[
            r.account.as_str(),
            &r.bank_id,
            &date_text(r.period.0),
            &date_text(r.period.1),
        ])
    }
}

// ----- candidates -------------------------------------------------------------------------------

/// What accepting a candidate does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Reconcile with lines already in the books.
    Match(Vec<LineRef>),
    /// Create a payment for the party allocated to its invoices (document ids), post it,
    /// letter the invoices and reconcile the line with it.
    Pay {
        party: String,
        allocations: Vec<(u64, Amount)>,
    },
    /// Post the line as a rule says.
    Post {
        rule: String,
        account: AccountNumber,
        tax: Option<String>,
        party: Option<String>,
        label: String,
    },
    /// The line returns a SEPA direct debit: cancel its payment (document id), post the line
    /// to the transit account and reconcile it.
    Reject {
        payment: u64,
        reason: Option<String>,
    },
}

/// One candidate as the session shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub score: u8,
    /// What it is: book lines, the payment or the rule, in a few words.
    pub what: String,
    /// Why: "exact 1 200,00 · ref FA2026-00012 found · 2 days apart".
    pub reason: String,
    pub plan: Plan,
    /// Its score reaches the settings' minimum (and the rule's own): `m` applies it when no
    /// other candidate of the line scores as high.
    pub auto: bool,
}

/// The candidates of the line under the cursor, computed when the cursor reaches a line (the
/// application moves the cursor without the screen) and kept until it leaves it.
#[derive(Default)]
struct Shown {
    line: Option<BankLineId>,
    choices: Vec<Choice>,
}

// ----- forms ------------------------------------------------------------------------------------

/// An account the posting form completes to.
#[derive(Debug, Clone)]
struct AccountChoice {
    number: AccountNumber,
    text: String,
    search: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PostField {
    Account,
    Tax,
    Label,
}

/// `a`: post the line to an account, with an optional tax code.
struct PostForm {
    line: BankLineId,
    account: TextInput,
    tax: TextInput,
    label: TextInput,
    field: PostField,
    completions: Vec<usize>,
    completion: usize,
}

/// One open invoice of the party paid, with the amount allocated to it.
#[derive(Debug, Clone)]
struct Allocation {
    document: u64,
    number: String,
    date: NaiveDate,
    due: Option<NaiveDate>,
    remaining: Amount,
    amount: TextInput,
}

/// `p`: a payment from the line for a party, allocated to its open invoices.
struct PayForm {
    line: BankLineId,
    party: String,
    name: String,
    amount: Amount,
    rows: Vec<Allocation>,
    cursor: usize,
    /// Typing replaces the amount under the cursor (until the cursor moves).
    fresh: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuleField {
    Name,
    Contains,
    Amount,
    Account,
    Tax,
}

/// `r`: a reconciliation rule made from the line, then applied to the statement.
struct RuleForm {
    line: BankLineId,
    name: TextInput,
    contains: TextInput,
    /// Empty: any amount; else the amount the rule applies to.
    amount: TextInput,
    account: TextInput,
    tax: TextInput,
    field: RuleField,
    sign_in: bool,
}

/// What the screen shows besides the two panes.
enum Mode {
    Lines,
    /// The état de rapprochement of the account at the statement's end.
    Report {
        offset: usize,
    },
    Statements(List<StatementRow>),
    Post(PostForm),
    Pay(PayForm),
    Rule(RuleForm),
}

// ----- the screen -------------------------------------------------------------------------------

/// Figures of the header, computed at each read.
#[derive(Debug, Clone, Default)]
pub struct Header {
    pub account: String,
    pub journal: String,
    pub statement: String,
    pub period: Option<(NaiveDate, NaiveDate)>,
    pub opening: Amount,
    pub closing: Amount,
    /// Balance of the treasury account in the books at the statement's end.
    pub book_balance: Amount,
    /// Sum of the statement's lines not reconciled yet.
    pub to_explain: Amount,
    pub reconciled: usize,
    pub total: usize,
}

pub struct BankScreen {
    statement: Option<StatementInfo>,
    header: Header,
    lines: List<LineRow>,
    /// Position of each line among the rows.
    index: HashMap<BankLineId, usize>,
    /// The line under the cursor at the last read and whether it was unreconciled then.
    place: Option<(BankLineId, bool)>,
    matcher: Option<Matcher>,
    shown: RefCell<Shown>,
    report: Option<BankReport>,
    accounts: Vec<AccountChoice>,
    mode: Mode,
    today: NaiveDate,
    /// Where the text cursor of a form was drawn last.
    caret: Cell<Option<(u16, u16)>>,
    /// The ledger's change counter when the screen last read it.
    counter: u64,
    /// A reconciliation sent from here: when it is the only change since the screen read the
    /// ledger, the screen shows it without reading everything again.
    sent: Option<(BankLineId, Vec<LineRef>)>,
}

impl BankScreen {
    /// The session on `statement`, else on the first statement (of `account` when given) with
    /// lines left to reconcile, else on the last one.
    pub fn new(
        env: &Env,
        account: Option<&AccountNumber>,
        statement: Option<u64>,
    ) -> Result<Self, LedgerError> {
        let statements = env.ledger.statements(account)?;
        let chosen = match statement {
            Some(id) => Some(
                statements
                    .iter()
                    .find(|s| s.record.id == id)
                    .cloned()
                    .ok_or_else(|| LedgerError::Invalid {
                        field: "statement",
                        reason: format!("no statement {id}"),
                    })?,
            ),
            None => statements
                .iter()
                .find(|s| s.reconciled < s.record.lines)
                .or(statements.last())
                .cloned(),
        };
        let mut screen = BankScreen {
            statement: chosen,
            header: Header::default(),
            lines: List::new().with_empty_text("(no bank line: import a statement first)"),
            index: HashMap::new(),
            place: None,
            matcher: None,
            shown: RefCell::new(Shown::default()),
            report: None,
            accounts: Vec::new(),
            mode: Mode::Lines,
            today: env.ctx.today,
            caret: Cell::new(None),
            counter: 0,
            sent: None,
        };
        screen.read(env)?;
        // The session opens on the first line to reconcile.
        screen.lines.set_cursor(0);
        Ok(screen)
    }

    pub fn lines(&self) -> &List<LineRow> {
        &self.lines
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The statement shown.
    pub fn statement_id(&self) -> Option<u64> {
        self.statement.as_ref().map(|s| s.record.id)
    }

    /// The candidates of the line under the cursor.
    pub fn choices(&self) -> Vec<Choice> {
        self.refresh_shown();
        self.shown.borrow().choices.clone()
    }

    fn refresh_shown(&self) {
        let selected = self.lines.selected();
        let id = selected.map(|r| r.line.id);
        if self.shown.borrow().line == id && id.is_some() {
            return;
        }
        let choices = match (selected, &self.matcher) {
            (Some(row), Some(matcher)) if row.is_open() => matcher.choices(&row.line),
            _ => Vec::new(),
        };
        *self.shown.borrow_mut() = Shown { line: id, choices };
    }

    /// Reads the statement, its lines, the books and the matching index again. The cursor
    /// keeps its place: the same line, or when that line was reconciled since (here or by
    /// another user), the next unreconciled line after it in statement order.
    fn read(&mut self, env: &Env) -> Result<(), LedgerError> {
        self.today = env.ctx.today;
        self.sent = None;
        self.counter = env.ledger.change_counter()?;
        let before = self
            .lines
            .selected()
            .map(|r| (r.line.id, r.is_open()))
            .or(self.place);
        let Some(info) = &self.statement else {
            self.lines.set_rows(Vec::new());
            return Ok(());
        };
        let id = info.record.id;
        // The statement's progress moved: read its record again.
        let info = env
            .ledger
            .statements(Some(&info.record.account))?
            .into_iter()
            .find(|s| s.record.id == id)
            .ok_or_else(|| LedgerError::Invalid {
                field: "statement",
                reason: format!("no statement {id}"),
            })?;
        let account = info.record.account.clone();
        let bank_lines = env.ledger.bank_lines(&BankLineFilter {
            account: None,
            statement: Some(id),
            unreconciled: false,
        })?;
        let mut rows = Vec::with_capacity(bank_lines.len());
        for line in bank_lines {
            let with = if line.status == BankLineStatus::Unreconciled {
                String::new()
            } else {
                match env.ledger.reconciliation(line.id)? {
                    Some(mark) => names_of(env.ledger, &mark.book_lines),
                    None => String::new(),
                }
            };
            rows.push(LineRow { line, with });
        }
        // Unreconciled first, each part in statement order.
        rows.sort_by_key(|r| (!r.is_open(), r.line.id));
        let report = env.ledger.bank_report(&account, info.record.period.1)?;
        self.header = header_of(env.ledger, &info, &rows, &report);
        self.report = Some(report);
        self.matcher = Some(Matcher::read(env.ledger, &account)?);
        self.index = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.line.id, i))
            .collect();
        self.lines.set_rows(rows);
        *self.shown.borrow_mut() = Shown::default();
        self.statement = Some(info);
        self.keep_place(before);
        Ok(())
    }

    /// Shows a reconciliation made from here, when it is the only change since the last read:
    /// the line takes its status and moves among the reconciled ones, its book lines leave
    /// the candidates. Returns false when the line is not reconciled (the screen then reads
    /// everything again).
    fn show_reconciled(
        &mut self,
        env: &Env,
        id: BankLineId,
        book_lines: &[LineRef],
    ) -> Result<bool, LedgerError> {
        let line = env.ledger.bank_line(id)?;
        if line.status != BankLineStatus::Reconciled || !self.index.contains_key(&id) {
            return Ok(false);
        }
        let before = self.lines.selected().map(|r| (r.line.id, r.is_open()));
        let with = names_of(env.ledger, book_lines);
        self.lines.edit_rows(|rows| {
            if let Some(row) = rows.iter_mut().find(|r| r.line.id == id) {
                row.line = line;
                row.with = with;
            }
            rows.sort_by_key(|r| (!r.is_open(), r.line.id));
        });
        self.index = self
            .lines
            .rows()
            .iter()
            .enumerate()
            .map(|(i, r)| (r.line.id, i))
            .collect();
        let rows = self.lines.rows();
        self.header.reconciled = rows.iter().filter(|r| !r.is_open()).count();
        self.header.to_explain =
            Amount::checked_sum(rows.iter().filter(|r| r.is_open()).map(|r| r.line.amount))
                .unwrap_or(Amount::ZERO);
        if let Some(matcher) = &mut self.matcher {
            matcher.forget(book_lines);
        }
        *self.shown.borrow_mut() = Shown::default();
        self.keep_place(before);
        Ok(true)
    }

    /// Puts the cursor back on `place`, or on the next unreconciled line after it when it was
    /// unreconciled and is no longer.
    fn keep_place(&mut self, place: Option<(BankLineId, bool)>) {
        let Some((id, was_open)) = place else {
            self.place = self.lines.selected().map(|r| (r.line.id, r.is_open()));
            return;
        };
        let now_open = self
            .index
            .get(&id)
            .and_then(|&i| self.lines.rows().get(i))
            .map(LineRow::is_open);
        match now_open {
            Some(open) if open || !was_open => {
                self.lines.select(|r| r.line.id == id);
            }
            _ => {
                let next = next_open_after(self.lines.rows(), id, true)
                    .or_else(|| next_open_after(self.lines.rows(), id, false));
                match next {
                    Some(next) => {
                        self.lines.select(|r| r.line.id == next);
                    }
                    // Every line is reconciled: stay on the line, now among the others.
                    None => {
                        self.lines.select(|r| r.line.id == id);
                    }
                }
            }
        }
        self.place = self.lines.selected().map(|r| (r.line.id, r.is_open()));
    }

    /// The line under the cursor, when there is one.
    fn current(&self) -> Option<&LineRow> {
        self.lines.selected()
    }

    fn current_open(&self) -> Result<&LineRow, String> {
        let Some(row) = self.current() else {
            return Err("no bank line here".into());
        };
        if !row.is_open() {
            return Err(format!(
                "line {} is {} with {}: undo that first (unreconcile)",
                row.line.id,
                row.line.status.name(),
                row.with
            ));
        }
        Ok(row)
    }

    // ----- actions ----------------------------------------------------------------------------

    /// Accepts candidate `at` (0 is the best) of the line under the cursor.
    fn accept(&mut self, at: usize) -> Outcome {
        let row = match self.current_open() {
            Ok(row) => row.line.clone(),
            Err(text) => return Outcome::Info(text),
        };
        let choices = self.choices();
        let Some(choice) = choices.get(at) else {
            return Outcome::Info(match choices.len() {
                0 => format!(
                    "no candidate for line {}: p pays, a posts to an account, s sends to suspense",
                    row.id
                ),
                n => format!("line {} has {n} candidates", row.id),
            });
        };
        self.place = Some((row.id, true));
        match &choice.plan {
            Plan::Match(book_lines) => {
                self.sent = Some((row.id, book_lines.clone()));
                Write::Bank(BankWrite::Reconcile {
                    line: row.id,
                    book_lines: book_lines.clone(),
                })
                .into()
            }
            Plan::Pay { party, allocations } => Write::Bank(BankWrite::BankPay {
                line: row.id,
                party: party.clone(),
                allocations: allocations.clone(),
            })
            .into(),
            Plan::Post {
                account,
                tax,
                party,
                label,
                ..
            } => Write::Bank(BankWrite::PostBankLine {
                line: row.id,
                account: account.clone(),
                party: party.clone(),
                tax: tax.clone(),
                label: Some(label.clone()),
            })
            .into(),
            Plan::Reject { payment, reason } => Write::Bank(BankWrite::Reject {
                line: row.id,
                payment: *payment,
                reason: reason.clone(),
            })
            .into(),
        }
    }

    /// Moves to the next (or previous) unreconciled line in statement order, wrapping.
    fn step(&mut self, forward: bool) -> Outcome {
        let rows = self.lines.rows();
        let Some(from) = self.current().map(|r| r.line.id) else {
            return Outcome::None;
        };
        let target = if forward {
            next_open_after(rows, from, true).or_else(|| next_open_after(rows, from, false))
        } else {
            rows.iter()
                .filter(|r| r.is_open() && r.line.id < from)
                .map(|r| r.line.id)
                .max()
                .or_else(|| {
                    rows.iter()
                        .filter(|r| r.is_open() && r.line.id > from)
                        .map(|r| r.line.id)
                        .max()
                })
        };
        match target {
            Some(id) => {
                self.lines.select(|r| r.line.id == id);
                self.place = Some((id, true));
                Outcome::None
            }
            None => Outcome::Info("every line of this statement is reconciled".into()),
        }
    }

    /// The statement's lines whose best candidate applies automatically, as `bank match`
    /// plans them (the minimum score reached, one best candidate, no book line or invoice
    /// taken twice), as a question; `y` applies them through `bank match` in one command.
    fn match_all(&mut self, env: &Env) -> Outcome {
        let Some(statement) = self.statement_id() else {
            return Outcome::Info("no statement".into());
        };
        let scope = BankLineFilter {
            account: None,
            statement: Some(statement),
            unreconciled: true,
        };
        let preview = match env.ledger.bank_match_in(env.ctx, &scope, None, true) {
            Ok(preview) => preview,
            Err(err) => return err.into(),
        };
        let min = preview.min_score;
        if preview.applied.is_empty() {
            return Outcome::Info(format!(
                "no line matches automatically (score {min} or more, one best candidate): {} \
                 accepts the best candidate of the line",
                env.keymap.hint(Context::Bank, Action::Accept)
            ));
        }
        let count = preview.applied.len();
        Outcome::Confirm(Confirm {
            message: format!(
                "{count} line{} of this statement match automatically (score {min} or more, one \
                 best candidate each). Reconcile {}?",
                if count == 1 { "" } else { "s" },
                if count == 1 { "it" } else { "them" }
            ),
            yes: Write::Bank(BankWrite::MatchAll { statement }).into(),
        })
    }

    fn suspense(&mut self) -> Outcome {
        let row = match self.current_open() {
            Ok(row) => row,
            Err(text) => return Outcome::Info(text),
        };
        let id = row.line.id;
        let message = format!(
            "Send line {id} ({} {} «{}») to the suspense account? An entry is posted and the \
             line appears in the suspense list.",
            date_text(row.line.booking_date),
            amount_text(row.line.amount),
            clean(&row.line.label)
        );
        self.place = Some((id, true));
        Outcome::Confirm(Confirm {
            message,
            yes: Write::Bank(BankWrite::Suspense { line: id }).into(),
        })
    }

    fn unreconcile(&mut self) -> Outcome {
        let Some(row) = self.current() else {
            return Outcome::None;
        };
        if row.is_open() {
            return Outcome::Info(format!("line {} is not reconciled", row.line.id));
        }
        let id = row.line.id;
        let message = format!(
            "Undo the reconciliation of line {id} with {}? Entries posted from it stay in the \
             books, unreconciled.",
            row.with
        );
        self.place = Some((id, false));
        Outcome::Confirm(Confirm {
            message,
            yes: Write::Bank(BankWrite::Unreconcile { line: id }).into(),
        })
    }

    fn open_post(&mut self, env: &Env) -> Outcome {
        let row = match self.current_open() {
            Ok(row) => row,
            Err(text) => return Outcome::Info(text),
        };
        let form = PostForm {
            line: row.line.id,
            account: TextInput::default(),
            tax: TextInput::default(),
            label: TextInput::new(&clean(&row.line.label)),
            field: PostField::Account,
            completions: Vec::new(),
            completion: 0,
        };
        if self.accounts.is_empty() {
            match account_choices(env.ledger) {
                Ok(accounts) => self.accounts = accounts,
                Err(err) => return err.into(),
            }
        }
        self.mode = Mode::Post(form);
        Outcome::None
    }

    fn open_pay(&mut self, env: &Env) -> Outcome {
        let row = match self.current_open() {
            Ok(row) => row.line.clone(),
            Err(text) => return Outcome::Info(text),
        };
        // The party the matching recognised, from its best payment candidate.
        let party = self.choices().into_iter().find_map(|c| match c.plan {
            Plan::Pay { party, .. } => Some(party),
            _ => None,
        });
        let Some(party) = party else {
            return Outcome::Info(format!(
                "no party recognised on line {}: a posts it to an account (411… with its party)",
                row.id
            ));
        };
        match pay_form(env.ledger, &row, &party) {
            Ok(form) => {
                self.mode = Mode::Pay(form);
                Outcome::None
            }
            Err(err) => err.into(),
        }
    }

    fn open_rule(&mut self) -> Outcome {
        let row = match self.current_open() {
            Ok(row) => row,
            Err(text) => return Outcome::Info(text),
        };
        let words = rule_words(&row.line.label);
        self.mode = Mode::Rule(RuleForm {
            line: row.line.id,
            name: TextInput::new(&words),
            contains: TextInput::new(&words),
            amount: TextInput::new(&amount_text(row.line.amount.abs())),
            account: TextInput::default(),
            tax: TextInput::default(),
            field: RuleField::Account,
            sign_in: row.line.amount.is_positive(),
        });
        Outcome::None
    }

    fn open_statements(&mut self, env: &Env) -> Outcome {
        match env.ledger.statements(None) {
            Ok(statements) if statements.is_empty() => {
                Outcome::Info("no statement: `folio bank import FILE` imports one".into())
            }
            Ok(statements) => {
                let mut list = List::new();
                list.set_rows(
                    statements
                        .into_iter()
                        .map(|info| StatementRow { info })
                        .collect(),
                );
                if let Some(id) = self.statement_id() {
                    list.select(|r| r.info.record.id == id);
                }
                self.mode = Mode::Statements(list);
                Outcome::None
            }
            Err(err) => err.into(),
        }
    }

    fn choose_statement(&mut self, env: &Env) -> Outcome {
        let Mode::Statements(list) = &self.mode else {
            return Outcome::None;
        };
        let Some(chosen) = list.selected().map(|r| r.info.clone()) else {
            return Outcome::None;
        };
        self.mode = Mode::Lines;
        if self.statement_id() != Some(chosen.record.id) {
            self.statement = Some(chosen);
            self.place = None;
            self.lines = List::new().with_empty_text("(no line on this statement)");
            if let Err(err) = self.read(env) {
                return err.into();
            }
            self.lines.set_cursor(0);
            self.place = self.lines.selected().map(|r| (r.line.id, r.is_open()));
        }
        Outcome::None
    }

    // ----- forms ------------------------------------------------------------------------------

    fn post_key(&mut self, action: Action, env: &Env) -> Outcome {
        let Mode::Post(form) = &mut self.mode else {
            return Outcome::None;
        };
        match action {
            Action::Cancel | Action::Back => {
                self.mode = Mode::Lines;
                return Outcome::None;
            }
            Action::NextLine if form.field == PostField::Account => {
                form.completion =
                    (form.completion + 1).min(form.completions.len().saturating_sub(1));
                return Outcome::None;
            }
            Action::PrevLine if form.field == PostField::Account => {
                form.completion = form.completion.saturating_sub(1);
                return Outcome::None;
            }
            Action::PrevField => {
                form.field = match form.field {
                    PostField::Account | PostField::Tax => PostField::Account,
                    PostField::Label => PostField::Tax,
                };
                return Outcome::None;
            }
            Action::NextField => {}
            other => {
                let input = match form.field {
                    PostField::Account => &mut form.account,
                    PostField::Tax => &mut form.tax,
                    PostField::Label => &mut form.label,
                };
                input.apply(other);
                if form.field == PostField::Account {
                    complete_account(form, &self.accounts);
                }
                return Outcome::None;
            }
        }
        match form.field {
            PostField::Account => {
                if let Some(&at) = form.completions.get(form.completion) {
                    let number = self.accounts[at].number.to_string();
                    form.account.set(&number);
                    form.completions.clear();
                }
                match AccountNumber::parse(form.account.text().trim()) {
                    Ok(number) => match env.ledger.account(&number) {
                        Ok(_) => form.field = PostField::Tax,
                        Err(err) => return err.into(),
                    },
                    Err(err) => return Outcome::Error(format!("account: {err}")),
                }
                Outcome::None
            }
            PostField::Tax => {
                form.field = PostField::Label;
                Outcome::None
            }
            PostField::Label => {
                let account = match AccountNumber::parse(form.account.text().trim()) {
                    Ok(number) => number,
                    Err(err) => {
                        form.field = PostField::Account;
                        return Outcome::Error(format!("account: {err}"));
                    }
                };
                let tax = Some(form.tax.text().trim().to_string()).filter(|t| !t.is_empty());
                let label = Some(form.label.text().trim().to_string()).filter(|t| !t.is_empty());
                let line = form.line;
                self.mode = Mode::Lines;
                self.place = Some((line, true));
                Write::Bank(BankWrite::PostBankLine {
                    line,
                    account,
                    party: None,
                    tax,
                    label,
                })
                .into()
            }
        }
    }

    fn pay_key(&mut self, action: Action) -> Outcome {
        let Mode::Pay(form) = &mut self.mode else {
            return Outcome::None;
        };
        let last = form.rows.len().saturating_sub(1);
        match action {
            Action::Cancel | Action::Back => self.mode = Mode::Lines,
            Action::NextLine | Action::Down => {
                form.cursor = (form.cursor + 1).min(last);
                form.fresh = true;
            }
            Action::PrevLine | Action::Up => {
                form.cursor = form.cursor.saturating_sub(1);
                form.fresh = true;
            }
            Action::NextField => {
                let mut allocations = Vec::new();
                for row in &form.rows {
                    let text = row.amount.text().trim();
                    if text.is_empty() {
                        continue;
                    }
                    let amount = match super::super::widgets::amount::parse_amount(text) {
                        Ok(amount) => amount,
                        Err(err) => {
                            return Outcome::Error(format!("{}: {err}", row.number));
                        }
                    };
                    if amount.is_negative() || amount > row.remaining {
                        return Outcome::Error(format!(
                            "{}: {} is more than the {} still due",
                            row.number,
                            amount_text(amount),
                            amount_text(row.remaining)
                        ));
                    }
                    if !amount.is_zero() {
                        allocations.push((row.document, amount));
                    }
                }
                let total = Amount::checked_sum(allocations.iter().map(|(_, a)| *a));
                if total.is_none_or(|t| t > form.amount) {
                    return Outcome::Error(format!(
                        "the allocations add up to more than the {} paid",
                        amount_text(form.amount)
                    ));
                }
                let (line, party) = (form.line, form.party.clone());
                self.mode = Mode::Lines;
                self.place = Some((line, true));
                return Write::Bank(BankWrite::BankPay {
                    line,
                    party,
                    allocations,
                })
                .into();
            }
            other => {
                if let Some(row) = form.rows.get_mut(form.cursor) {
                    row.amount.apply(other);
                    form.fresh = false;
                }
            }
        }
        Outcome::None
    }

    fn rule_key(&mut self, action: Action) -> Outcome {
        let Mode::Rule(form) = &mut self.mode else {
            return Outcome::None;
        };
        const ORDER: [RuleField; 5] = [
            RuleField::Name,
            RuleField::Contains,
            RuleField::Amount,
            RuleField::Account,
            RuleField::Tax,
        ];
        let at = ORDER.iter().position(|f| *f == form.field).unwrap_or(0);
        match action {
            Action::Cancel | Action::Back => self.mode = Mode::Lines,
            Action::PrevField | Action::PrevLine => form.field = ORDER[at.saturating_sub(1)],
            Action::NextLine => form.field = ORDER[(at + 1).min(ORDER.len() - 1)],
            Action::NextField if at + 1 < ORDER.len() => form.field = ORDER[at + 1],
            Action::NextField => return self.submit_rule(),
            other => {
                rule_input(form).apply(other);
            }
        }
        Outcome::None
    }

    fn submit_rule(&mut self) -> Outcome {
        let Mode::Rule(form) = &mut self.mode else {
            return Outcome::None;
        };
        let name = form.name.text().trim().to_string();
        let contains = form.contains.text().trim().to_string();
        let account = match AccountNumber::parse(form.account.text().trim()) {
            Ok(account) => account,
            Err(err) => {
                form.field = RuleField::Account;
                return Outcome::Error(format!("account: {err}"));
            }
        };
        let amount = match form.amount.text().trim() {
            "" => None,
            text => match super::super::widgets::amount::parse_amount(text) {
                Ok(amount) => Some(amount.abs()),
                Err(err) => {
                    form.field = RuleField::Amount;
                    return Outcome::Error(format!("amount: {err}"));
                }
            },
        };
        if name.is_empty() {
            form.field = RuleField::Name;
            return Outcome::Error("the rule needs a name".into());
        }
        if contains.is_empty() && amount.is_none() {
            form.field = RuleField::Contains;
            return Outcome::Error(
                "the rule needs a label text or an amount to recognise lines".into(),
            );
        }
        let rule = NewRule {
            name,
            contains: Some(contains).filter(|c| !c.is_empty()),
            amount,
            sign_in: form.sign_in,
            account,
            tax: Some(form.tax.text().trim().to_string()).filter(|t| !t.is_empty()),
        };
        let line = form.line;
        self.mode = Mode::Lines;
        self.place = Some((line, true));
        Write::Bank(BankWrite::AddBankRule {
            rule,
            statement: self.statement_id(),
        })
        .into()
    }

    // ----- drawing ----------------------------------------------------------------------------

    fn header_lines(&self) -> (String, String) {
        let h = &self.header;
        let Some(info) = &self.statement else {
            return (
                "No statement: `folio bank import FILE` imports one".into(),
                String::new(),
            );
        };
        let period = h
            .period
            .map(|(from, to)| format!("{}–{}", from.format("%d/%m"), date_text(to)))
            .unwrap_or_default();
        let first = format!(
            "{} {} · {} / {} lines reconciled · statement {} ({period})",
            h.account,
            h.journal,
            h.reconciled,
            h.total,
            clean(&info.record.bank_id),
        );
        let second = format!(
            "opening {} · closing {} · books {} · to explain {}",
            amount_text(h.opening),
            amount_text(h.closing),
            amount_text(h.book_balance),
            amount_text(h.to_explain)
        );
        (first, second)
    }

    fn draw_lines(&self, buf: &mut Buffer, area: Rect, theme: &Theme, focused: bool) {
        let wide = area.width >= 70;
        let mut columns = vec![
            Column::left("", 1),
            Column::left("#", 3),
            Column::left("date", 5),
            Column::right("amount", 11),
            Column::fill("label"),
        ];
        if wide {
            columns.push(Column::left("with", 16));
        }
        self.lines
            .draw_with_cursor(buf, area, &columns, theme, focused, |row| {
                let style = if row.is_open() {
                    Style::new()
                } else {
                    theme.dim
                };
                let mut cells = vec![
                    row.status_mark().to_string(),
                    row.line.id.line.to_string(),
                    row.line.booking_date.format("%d/%m").to_string(),
                    amount_text(row.line.amount),
                    row.text(),
                ];
                if wide {
                    cells.push(row.with.clone());
                }
                (cells, style)
            });
    }

    fn draw_choices(&self, buf: &mut Buffer, area: Rect, theme: &Theme, keymap: &Keymap) {
        if area.height < 3 || area.width < 10 {
            return;
        }
        self.refresh_shown();
        let shown = self.shown.borrow();
        let row = self.current();
        let title = match row {
            Some(row) if row.is_open() => format!(
                "Candidates of line {} · {} accepts 1",
                row.line.id,
                keymap.hint(Context::Bank, Action::Accept)
            ),
            Some(row) => format!("Line {} is {}", row.line.id, row.line.status.name()),
            None => "Candidates".to_string(),
        };
        let inner = boxed(buf, area, &title, theme);
        let mut y = inner.y;
        let at = |y: u16| Rect::new(inner.x, y, inner.width, 1);
        match row {
            Some(row) if !row.is_open() => {
                line(buf, at(y), y, &format!("with {}", row.with), Style::new());
                if y + 1 < inner.bottom() {
                    let text = format!(
                        "{} undoes it",
                        keymap.hint(Context::Bank, Action::Unreconcile)
                    );
                    line(buf, at(y + 1), y + 1, &text, theme.dim);
                }
                return;
            }
            None => return,
            _ => {}
        }
        if shown.choices.is_empty() {
            let text = format!(
                "no candidate · {} pays · {} posts to an account · {} suspense",
                keymap.hint(Context::Bank, Action::BankPay),
                keymap.hint(Context::Bank, Action::PostLine),
                keymap.hint(Context::Bank, Action::Suspense),
            );
            line(buf, at(y), y, &text, theme.dim);
            return;
        }
        for (i, choice) in shown.choices.iter().take(MAX_SHOWN).enumerate() {
            if y >= inner.bottom() {
                break;
            }
            let head = format!("{} {:>3} {}", i + 1, choice.score, choice.what);
            let style = if i == 0 { theme.total } else { Style::new() };
            line(buf, at(y), y, &head, style);
            y += 1;
            if y < inner.bottom() {
                line(
                    buf,
                    at(y),
                    y,
                    &format!("      {}", choice.reason),
                    theme.dim,
                );
                y += 1;
            }
        }
    }

    fn draw_report(&self, buf: &mut Buffer, area: Rect, theme: &Theme, offset: usize) {
        let inner = boxed(buf, area, "État de rapprochement (esc closes)", theme);
        let rows = match &self.report {
            Some(report) => report_lines(report),
            None => vec!["no statement".to_string()],
        };
        let offset = offset.min(rows.len().saturating_sub(1));
        for (i, text) in rows.iter().skip(offset).enumerate() {
            let y = inner.y + i as u16;
            if y >= inner.bottom() {
                break;
            }
            let style = if text.starts_with("Difference") || text.starts_with("= ") {
                theme.total
            } else {
                Style::new()
            };
            line(buf, Rect::new(inner.x, y, inner.width, 1), y, text, style);
        }
    }

    fn draw_statements(
        &self,
        buf: &mut Buffer,
        area: Rect,
        theme: &Theme,
        list: &List<StatementRow>,
    ) {
        let inner = boxed(buf, area, "Statements (enter opens, esc closes)", theme);
        let columns = [
            Column::right("id", 4),
            Column::left("account", 7),
            Column::left("statement", 14),
            Column::left("period", 23),
            Column::right("lines", 5),
            Column::right("done", 5),
            Column::right("closing", 13),
        ];
        list.draw(buf, inner, &columns, theme, |row| {
            let r = &row.info.record;
            let style = if row.info.reconciled < r.lines {
                Style::new()
            } else {
                theme.dim
            };
            (
                vec![
                    r.id.to_string(),
                    r.account.to_string(),
                    clean(&r.bank_id),
                    format!("{} – {}", date_text(r.period.0), date_text(r.period.1)),
                    r.lines.to_string(),
                    row.info.reconciled.to_string(),
                    amount_text(r.closing),
                ],
                style,
            )
        });
    }

    fn draw_post(
        &self,
        buf: &mut Buffer,
        area: Rect,
        theme: &Theme,
        form: &PostForm,
    ) -> Option<(u16, u16)> {
        let height = (4 + form.completions.len() as u16).min(area.height);
        let rect = Rect::new(area.x, area.bottom() - height, area.width, height);
        let title = format!("Post line {} to an account", form.line);
        let inner = boxed(buf, rect, &title, theme);
        let fields = [
            ("account", &form.account, PostField::Account),
            ("tax code", &form.tax, PostField::Tax),
        ];
        let mut cursor = None;
        let mut x = inner.x;
        for (name, input, field) in fields {
            put(buf, x, inner.y, name, name.len(), theme.dim);
            x += name.len() as u16 + 1;
            let at = draw_input(buf, x, inner.y, 10, input, theme.input);
            if form.field == field {
                cursor = Some(at);
            }
            x += 12;
        }
        if inner.height > 1 {
            let y = inner.y + 1;
            put(buf, inner.x, y, "label", 5, theme.dim);
            let at = draw_input(
                buf,
                inner.x + 8,
                y,
                inner.width.saturating_sub(8),
                &form.label,
                theme.input,
            );
            if form.field == PostField::Label {
                cursor = Some(at);
            }
        }
        for (i, &at) in form.completions.iter().enumerate() {
            let y = inner.y + 2 + i as u16;
            if y >= inner.bottom() {
                break;
            }
            let style = if i == form.completion {
                theme.cursor
            } else {
                Style::new()
            };
            let text = &self.accounts[at].text;
            line(buf, Rect::new(inner.x, y, inner.width, 1), y, text, style);
        }
        cursor
    }

    fn draw_pay(
        &self,
        buf: &mut Buffer,
        area: Rect,
        theme: &Theme,
        form: &PayForm,
    ) -> Option<(u16, u16)> {
        let title = format!(
            "Payment of {} by {} {} (enter posts and letters)",
            amount_text(form.amount),
            form.party,
            form.name
        );
        let inner = boxed(buf, area, &title, theme);
        let allocated = Amount::checked_sum(
            form.rows
                .iter()
                .filter_map(|r| super::super::widgets::amount::parse_amount(r.amount.text()).ok()),
        )
        .unwrap_or(Amount::ZERO);
        let top = format!(
            "allocated {} · unallocated {}",
            amount_text(allocated),
            amount_text(form.amount - allocated)
        );
        line(
            buf,
            Rect::new(inner.x, inner.y, inner.width, 1),
            inner.y,
            &top,
            theme.total,
        );
        let columns = [
            Column::left("invoice", 16),
            Column::left("date", 8),
            Column::left("due", 8),
            Column::right("still due", 12),
            Column::right("paid", 12),
        ];
        let table = Rect::new(
            inner.x,
            inner.y + 1,
            inner.width,
            inner.height.saturating_sub(1),
        );
        super::super::widgets::table::draw_header(buf, table, &columns, theme);
        let mut cursor = None;
        let room = table.height.saturating_sub(1) as usize;
        let first = form.cursor.saturating_sub(room.saturating_sub(1));
        for (i, row) in form.rows.iter().enumerate().skip(first).take(room) {
            let y = table.y + 1 + (i - first) as u16;
            let style = if i == form.cursor {
                theme.cursor
            } else {
                Style::new()
            };
            let cells = vec![
                clean(&row.number),
                row.date.format("%d/%m/%y").to_string(),
                row.due
                    .map(|d| d.format("%d/%m/%y").to_string())
                    .unwrap_or_default(),
                amount_text(row.remaining),
                row.amount.text().to_string(),
            ];
            super::super::widgets::table::draw_row(buf, table, y, &columns, &cells, style);
            if i == form.cursor {
                let x = table.x + table.width.saturating_sub(1);
                cursor = Some((x.min(table.right().saturating_sub(1)), y));
            }
        }
        cursor
    }

    fn draw_rule(
        &self,
        buf: &mut Buffer,
        area: Rect,
        theme: &Theme,
        form: &RuleForm,
    ) -> Option<(u16, u16)> {
        let height = 7.min(area.height);
        let rect = Rect::new(area.x, area.bottom() - height, area.width, height);
        let sign = if form.sign_in {
            "money in"
        } else {
            "money out"
        };
        let title = format!(
            "New rule from line {} ({sign}), applied to the statement",
            form.line
        );
        let inner = boxed(buf, rect, &title, theme);
        let fields = [
            ("name", &form.name, RuleField::Name),
            ("label has", &form.contains, RuleField::Contains),
            ("amount", &form.amount, RuleField::Amount),
            ("account", &form.account, RuleField::Account),
            ("tax code", &form.tax, RuleField::Tax),
        ];
        let mut cursor = None;
        for (i, (name, input, field)) in fields.iter().enumerate() {
            let y = inner.y + i as u16;
            if y >= inner.bottom() {
                break;
            }
            put(buf, inner.x, y, name, 10, theme.dim);
            let at = draw_input(
                buf,
                inner.x + 11,
                y,
                inner.width.saturating_sub(11),
                input,
                theme.input,
            );
            if form.field == *field {
                cursor = Some(at);
            }
        }
        cursor
    }
}

/// The field of the rule form that has the focus.
fn rule_input(form: &mut RuleForm) -> &mut TextInput {
    match form.field {
        RuleField::Name => &mut form.name,
        RuleField::Contains => &mut form.contains,
        RuleField::Amount => &mut form.amount,
        RuleField::Account => &mut form.account,
        RuleField::Tax => &mut form.tax,
    }
}

/// The first unreconciled line after `from` in statement order (`after` false: from the start).
fn next_open_after(rows: &[LineRow], from: BankLineId, after: bool) -> Option<BankLineId> {
    rows.iter()
        .filter(|r| r.is_open() && (!after || r.line.id > from))
        .map(|r| r.line.id)
        .min()
}

/// `BQ2026-000012/1, BQ2026-000013/1`.
fn names_of(ledger: &Ledger, lines: &[LineRef]) -> String {
    let names: Vec<String> = lines
        .iter()
        .map(|at| match ledger.entry(at.entry) {
            Ok(entry) => format!("{}/{}", entry.reference(), at.line.saturating_add(1)),
            Err(_) => format!("#{}/{}", at.entry, at.line.saturating_add(1)),
        })
        .collect();
    names.join(", ")
}

fn header_of(
    ledger: &Ledger,
    info: &StatementInfo,
    rows: &[LineRow],
    report: &BankReport,
) -> Header {
    let record = &info.record;
    let journal = ledger
        .journals()
        .ok()
        .and_then(|journals| {
            journals
                .into_iter()
                .find(|j| j.treasury_account.as_ref() == Some(&record.account))
                .map(|j| j.code)
        })
        .unwrap_or_default();
    let to_explain =
        Amount::checked_sum(rows.iter().filter(|r| r.is_open()).map(|r| r.line.amount))
            .unwrap_or(Amount::ZERO);
    Header {
        account: record.account.to_string(),
        journal,
        statement: clean(&record.bank_id),
        period: Some(record.period),
        opening: record.opening,
        closing: record.closing,
        book_balance: report.book_balance,
        to_explain,
        reconciled: rows.iter().filter(|r| !r.is_open()).count(),
        total: rows.len(),
    }
}

/// The état de rapprochement as lines of text: the proof first, then the lines it counts.
pub fn report_lines(report: &BankReport) -> Vec<String> {
    let sum = |amounts: &mut dyn Iterator<Item = Amount>| {
        Amount::checked_sum(amounts).unwrap_or(Amount::ZERO)
    };
    let book_only = sum(&mut report.book_only.iter().map(|l| l.amount));
    let bank_only = sum(&mut report.bank_only.iter().map(|l| l.amount));
    let statement = match (report.last_statement, report.last_statement_end) {
        (Some(id), Some(end)) => format!("statement {id} of {}", date_text(end)),
        _ => "no statement".into(),
    };
    let row = |what: String, amount: Amount| format!("{what:<44}{:>16}", amount_text(amount));
    let mut out = vec![
        format!(
            "Account {} at {} · {statement}",
            report.account,
            date_text(report.at)
        ),
        row("  Balance in the books".into(), report.book_balance),
        row(
            format!("− book lines not on the bank ({})", report.book_only.len()),
            -book_only,
        ),
        row(
            format!("+ bank lines not in the books ({})", report.bank_only.len()),
            bank_only,
        ),
    ];
    if !report.carried.is_zero() {
        out.push(row(
            "+ carried (first opening balance, gaps)".into(),
            report.carried,
        ));
    }
    out.push(row("= Balance at the bank".into(), report.bank_balance));
    out.push(row(
        "Difference left unexplained".into(),
        report.unexplained,
    ));
    if !report.book_only.is_empty() {
        out.push(String::new());
        out.push("Book lines not on the bank".into());
        for l in &report.book_only {
            out.push(format!(
                "  {} {:>12} {} {}",
                l.date.format("%d/%m/%y"),
                amount_text(l.amount),
                l.name,
                clean(&l.label)
            ));
        }
    }
    if !report.bank_only.is_empty() {
        out.push(String::new());
        out.push("Bank lines not in the books".into());
        for l in &report.bank_only {
            out.push(format!(
                "  {} {:>12} {} {}",
                l.booking_date.format("%d/%m/%y"),
                amount_text(l.amount),
                l.id,
                clean(&l.label)
            ));
        }
    }
    out
}

/// The words a rule made from a bank label looks for: its words without digits (dates,
/// references and amounts change from one line to the next), at most four.
pub fn rule_words(label: &str) -> String {
    let words: Vec<&str> = label
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic) && !w.chars().any(|c| c.is_ascii_digit()))
        .take(4)
        .collect();
    clean(&words.join(" "))
}

fn account_choices(ledger: &Ledger) -> Result<Vec<AccountChoice>, LedgerError> {
    Ok(ledger
        .accounts()?
        .into_iter()
        .filter(|a| a.active && !a.third_party_required)
        .map(|a| {
            let text = format!("{} {}", a.number, clean(&a.label));
            AccountChoice {
                search: search_text(&[&text]),
                number: a.number,
                text,
            }
        })
        .collect())
}

/// Completes the account field: numbers by prefix, words by fuzzy match.
fn complete_account(form: &mut PostForm, accounts: &[AccountChoice]) {
    form.completions.clear();
    form.completion = 0;
    let text = form.account.text().trim().to_string();
    if text.is_empty() {
        return;
    }
    let digits = text.bytes().all(|b| b.is_ascii_digit());
    let mut scored: Vec<(i64, usize)> = accounts
        .iter()
        .enumerate()
        .filter_map(|(at, a)| {
            if digits {
                a.number
                    .as_str()
                    .starts_with(&text)
                    .then(|| (1_000 - a.number.as_str().len() as i64, at))
            } else {
                fuzzy::score(&text, &a.search).map(|s| (s, at))
            }
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    form.completions = scored
        .into_iter()
        .take(MAX_COMPLETIONS)
        .map(|(_, at)| at)
        .collect();
}

impl Screen for BankScreen {
    fn context(&self) -> Context {
        Context::Bank
    }

    fn title(&self) -> String {
        match &self.statement {
            Some(info) => format!(
                "Reconciliation {} · {}",
                info.record.account,
                clean(&info.record.bank_id)
            ),
            None => "Reconciliation".into(),
        }
    }

    fn focus(&self) -> Focus {
        match self.mode {
            Mode::Post(_) | Mode::Pay(_) | Mode::Rule(_) => Focus::Form,
            Mode::Lines | Mode::Report { .. } | Mode::Statements(_) => Focus::List,
        }
    }

    fn wants_text(&self) -> bool {
        matches!(self.mode, Mode::Post(_) | Mode::Pay(_) | Mode::Rule(_))
    }

    fn reload(&mut self, env: &Env) -> Result<(), LedgerError> {
        if let Some((line, book_lines)) = self.sent.take()
            && env.ledger.change_counter()? == self.counter.saturating_add(1)
            && self.show_reconciled(env, line, &book_lines)?
        {
            self.counter = self.counter.saturating_add(1);
            return Ok(());
        }
        self.read(env)
    }

    fn render(&self, buf: &mut Buffer, area: Rect, theme: &Theme, keymap: &Keymap) {
        if area.height < 4 || area.width < 20 {
            return;
        }
        let (first, second) = self.header_lines();
        line(buf, area, area.y, &first, theme.title);
        let style = if self.header.to_explain.is_zero() && self.header.total > 0 {
            theme.info
        } else {
            Style::new()
        };
        line(buf, area, area.y + 1, &second, style);
        let body = Rect::new(area.x, area.y + 2, area.width, area.height - 2);
        // Side by side from 100 columns; below, the candidates under the lines.
        let (lines, choices) = if body.width >= 100 {
            let left = body.width * 3 / 5;
            (
                Rect::new(body.x, body.y, left, body.height),
                Rect::new(
                    body.x + left + 1,
                    body.y,
                    body.width - left - 1,
                    body.height,
                ),
            )
        } else {
            let below = (body.height * 2 / 5).max(4).min(body.height);
            (
                Rect::new(body.x, body.y, body.width, body.height - below),
                Rect::new(body.x, body.bottom() - below, body.width, below),
            )
        };
        self.draw_lines(buf, lines, theme, matches!(self.mode, Mode::Lines));
        self.draw_choices(buf, choices, theme, keymap);
        let cursor = match &self.mode {
            Mode::Lines => None,
            Mode::Report { offset } => {
                self.draw_report(buf, body, theme, *offset);
                None
            }
            Mode::Statements(list) => {
                self.draw_statements(buf, body, theme, list);
                None
            }
            Mode::Post(form) => self.draw_post(buf, body, theme, form),
            Mode::Pay(form) => self.draw_pay(buf, body, theme, form),
            Mode::Rule(form) => self.draw_rule(buf, body, theme, form),
        };
        self.caret.set(cursor);
    }

    fn caret(&self) -> Option<(u16, u16)> {
        self.caret.get()
    }

    /// Digits pick a candidate while the line under the cursor has some; otherwise (a
    /// reconciled line, a line without candidates, the report or the statement picker open)
    /// they switch screens as everywhere else.
    fn passes(&self, action: Action) -> bool {
        match action {
            Action::Pick(_) => match self.mode {
                Mode::Lines => self.choices().is_empty(),
                Mode::Report { .. } | Mode::Statements(_) => true,
                Mode::Post(_) | Mode::Pay(_) | Mode::Rule(_) => false,
            },
            _ => false,
        }
    }

    fn handle(&mut self, action: Action, env: &Env) -> Outcome {
        // In a form, the key that accepts a candidate moves on as `enter` does in forms.
        let action = match (&self.mode, action) {
            (Mode::Post(_) | Mode::Pay(_) | Mode::Rule(_), Action::Accept) => Action::NextField,
            _ => action,
        };
        match &mut self.mode {
            Mode::Post(_) => return self.post_key(action, env),
            Mode::Pay(_) => return self.pay_key(action),
            Mode::Rule(_) => return self.rule_key(action),
            Mode::Report { offset } => {
                match action {
                    Action::Down => *offset += 1,
                    Action::Up => *offset = offset.saturating_sub(1),
                    Action::PageDown => *offset += 10,
                    Action::PageUp => *offset = offset.saturating_sub(10),
                    Action::Top => *offset = 0,
                    Action::BankReport | Action::Cancel => self.mode = Mode::Lines,
                    _ => {}
                }
                return Outcome::None;
            }
            Mode::Statements(list) => {
                match action {
                    Action::Open | Action::Accept => return self.choose_statement(env),
                    Action::Statements | Action::Cancel => self.mode = Mode::Lines,
                    other => {
                        let _ = list.navigate(other, env.ledger);
                    }
                }
                return Outcome::None;
            }
            Mode::Lines => {}
        }
        match action {
            Action::Accept => self.accept(0),
            Action::Pick(n) => self.accept(usize::from(n).saturating_sub(1)),
            Action::NextOpen => self.step(true),
            Action::PrevOpen => self.step(false),
            Action::Suspense => self.suspense(),
            Action::Unreconcile => self.unreconcile(),
            Action::PostLine => self.open_post(env),
            Action::BankPay => self.open_pay(env),
            Action::MakeRule => self.open_rule(),
            Action::BankReport => {
                // Reconciliations shown without reading everything again left it behind.
                if let Some(info) = &self.statement {
                    match env
                        .ledger
                        .bank_report(&info.record.account, info.record.period.1)
                    {
                        Ok(report) => self.report = Some(report),
                        Err(err) => return err.into(),
                    }
                }
                self.mode = Mode::Report { offset: 0 };
                Outcome::None
            }
            Action::Statements => self.open_statements(env),
            Action::MatchAll => self.match_all(env),
            Action::Open => match self.current() {
                Some(row) if !row.is_open() => self
                    .reconciled_entry(env)
                    .map_or(Outcome::None, Outcome::Open),
                Some(_) => Outcome::Info(format!(
                    "the line is not reconciled yet: {} accepts its best candidate",
                    env.keymap.hint(Context::Bank, Action::Accept)
                )),
                None => Outcome::None,
            },
            _ => Outcome::None,
        }
    }

    /// Typed keys of the forms.
    fn input(&mut self, key: Key, env: &Env) -> Outcome {
        match &mut self.mode {
            Mode::Post(form) => {
                let input = match form.field {
                    PostField::Account => &mut form.account,
                    PostField::Tax => &mut form.tax,
                    PostField::Label => &mut form.label,
                };
                input.edit(key);
                if form.field == PostField::Account {
                    complete_account(form, &self.accounts);
                }
            }
            Mode::Pay(form) => {
                if let Some(row) = form.rows.get_mut(form.cursor) {
                    if form.fresh && (key.text().is_some() || key.code == Code::Backspace) {
                        row.amount.clear();
                    }
                    if key.code != Code::Backspace || !form.fresh {
                        row.amount.edit(key);
                    }
                    form.fresh = false;
                }
            }
            Mode::Rule(form) => {
                rule_input(form).edit(key);
            }
            _ => {}
        }
        let _ = env;
        Outcome::None
    }

    /// Going back closes the view or form first.
    fn back_within(&mut self) -> bool {
        if matches!(self.mode, Mode::Lines) {
            return false;
        }
        self.mode = Mode::Lines;
        true
    }

    fn record(&self) -> Option<String> {
        self.current().map(|r| format!("bank:{}", r.line.id))
    }

    fn list(&self) -> Option<&dyn ListView> {
        match self.mode {
            Mode::Lines => Some(&self.lines),
            _ => None,
        }
    }

    fn list_mut(&mut self) -> Option<&mut dyn ListView> {
        match self.mode {
            Mode::Lines => Some(&mut self.lines),
            _ => None,
        }
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, &'static str)> {
        let bank = |action| keymap.hint(Context::Bank, action);
        match &self.mode {
            Mode::Lines => vec![
                (bank(Action::Accept), "accept"),
                ("1-9".into(), "pick"),
                (bank(Action::NextOpen), "next"),
                (bank(Action::BankPay), "pay"),
                (bank(Action::PostLine), "post"),
                (bank(Action::Suspense), "suspense"),
                (bank(Action::Unreconcile), "undo"),
                (bank(Action::BankReport), "report"),
            ],
            Mode::Pay(_) => vec![
                (keymap.hint(Context::Form, Action::NextField), "post"),
                (keymap.hint(Context::Form, Action::NextLine), "next invoice"),
                (keymap.hint(Context::Form, Action::Cancel), "cancel"),
            ],
            Mode::Post(_) | Mode::Rule(_) => vec![
                (keymap.hint(Context::Form, Action::NextField), "next"),
                (keymap.hint(Context::Form, Action::Cancel), "cancel"),
            ],
            Mode::Report { .. } | Mode::Statements(_) => {
                vec![(keymap.hint(Context::Form, Action::Cancel), "close")]
            }
        }
    }
}

impl BankScreen {
    /// The entry a reconciled line was matched with or posted to.
    fn reconciled_entry(&self, env: &Env) -> Option<Route> {
        let row = self.current()?;
        let mark = env.ledger.reconciliation(row.line.id).ok()??;
        mark.book_lines.first().map(|at| Route::Entry(at.entry))
    }
}

// ----- writes -----------------------------------------------------------------------------------

/// A rule made from a bank line in the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRule {
    pub name: String,
    pub contains: Option<String>,
    /// The amount of the lines it applies to (without sign); `None`: any amount.
    pub amount: Option<Amount>,
    /// Money in (else out).
    pub sign_in: bool,
    pub account: AccountNumber,
    pub tax: Option<String>,
}

/// The changes the session makes, run by the application's write path.
#[derive(Debug, Clone)]
pub enum BankWrite {
    Reconcile {
        line: BankLineId,
        book_lines: Vec<LineRef>,
    },
    Unreconcile {
        line: BankLineId,
    },
    PostBankLine {
        line: BankLineId,
        account: AccountNumber,
        party: Option<String>,
        tax: Option<String>,
        label: Option<String>,
    },
    Suspense {
        line: BankLineId,
    },
    BankPay {
        line: BankLineId,
        party: String,
        allocations: Vec<(u64, Amount)>,
    },
    AddBankRule {
        rule: NewRule,
        statement: Option<u64>,
    },
    /// A returned direct debit: its payment cancelled, the line posted to the transit
    /// account and reconciled.
    Reject {
        line: BankLineId,
        payment: u64,
        reason: Option<String>,
    },
    /// The automatic matches of the statement, through `bank match` on its lines: one
    /// command, all or nothing.
    MatchAll {
        statement: u64,
    },
}

impl BankWrite {
    /// Runs the change; returns what the status line says of it.
    pub fn run(self, ledger: &Ledger, ctx: &Ctx) -> Result<String, LedgerError> {
        // A draft has no number yet: its journal and id.
        let reference = |id| match ledger.entry(id) {
            Ok(entry) if entry.is_validated() => entry.reference(),
            Ok(entry) => format!("draft {} {}", entry.journal, entry.reference()),
            Err(_) => format!("#{id}"),
        };
        Ok(match self {
            BankWrite::Reconcile { line, book_lines } => {
                ledger.reconcile(ctx, line, &book_lines)?;
                format!(
                    "reconciled line {line} with {}",
                    names_of(ledger, &book_lines)
                )
            }
            BankWrite::Unreconcile { line } => {
                let mark = ledger.unreconcile(ctx, line)?;
                format!(
                    "line {line} is unreconciled again (was with {})",
                    names_of(ledger, &mark.book_lines)
                )
            }
            BankWrite::PostBankLine {
                line,
                account,
                party,
                tax,
                label,
            } => {
                let id = ledger.post_bank_line(
                    ctx,
                    line,
                    &account,
                    party.as_deref(),
                    tax.as_deref(),
                    label.as_deref(),
                )?;
                format!("posted line {line} to {account} by {}", reference(id))
            }
            BankWrite::Suspense { line } => {
                let id = ledger.suspense(ctx, line)?;
                format!(
                    "line {line} sent to suspense by {}: it is in the suspense list",
                    reference(id)
                )
            }
            // Allocated: the ledger registers, posts, letters and reconciles in one
            // transaction. Unallocated (a payment on account): registered, then reconciled.
            BankWrite::BankPay {
                line,
                party,
                allocations,
            } if !allocations.is_empty() => {
                let invoices: Vec<(DocumentRef, Option<Amount>)> = allocations
                    .iter()
                    .map(|(doc, amount)| (DocumentRef::Id(*doc), Some(*amount)))
                    .collect();
                let paid = ledger.bank_pay(ctx, line, &party, &invoices)?;
                format!(
                    "line {line}: payment {} of {} for {} registered, lettered with its \
                     invoices and reconciled",
                    paid.payment,
                    amount_text(paid.amount),
                    paid.party
                )
            }
            BankWrite::BankPay {
                line,
                party,
                allocations,
            } => pay(ledger, ctx, line, &party, &allocations)?,
            BankWrite::AddBankRule { rule, statement } => add_rule(ledger, ctx, rule, statement)?,
            BankWrite::Reject {
                line,
                payment,
                reason,
            } => {
                let done = ledger.bank_reject(ctx, line, payment, reason.as_deref())?;
                let reopened: Vec<&str> = done.reopened.iter().map(|(n, _)| n.as_str()).collect();
                format!(
                    "line {line}: direct debit returned, payment {} cancelled ({} due again), \
                     line posted by {} and reconciled",
                    done.payment,
                    reopened.join(", "),
                    done.entry
                )
            }
            BankWrite::MatchAll { statement } => {
                let scope = BankLineFilter {
                    account: None,
                    statement: Some(statement),
                    unreconciled: true,
                };
                let report = ledger.bank_match_in(ctx, &scope, None, false)?;
                match report.applied.len() {
                    0 => "no line matched automatically any more (the statement changed \
                          meanwhile)"
                        .to_string(),
                    count => format!(
                        "reconciled {count} line{} automatically",
                        if count == 1 { "" } else { "s" }
                    ),
                }
            }
        })
    }
}

/// The payment form of a line for a party: its open invoices paid in the line's direction,
/// oldest due first, the line's amount allocated to them in that order.
fn pay_form(ledger: &Ledger, line: &BankLine, party: &str) -> Result<PayForm, LedgerError> {
    use crate::model::document::DocumentType;
    let found = ledger.party(party)?;
    let wanted = if line.amount.is_positive() {
        DocumentType::CustomerInvoice
    } else {
        DocumentType::SupplierInvoice
    };
    let mut open: Vec<_> = ledger
        .documents(Some(wanted))?
        .into_iter()
        .filter(|d| d.document.party == party && d.remaining.is_positive())
        .collect();
    open.sort_by_key(|d| {
        (
            d.document.due_date.unwrap_or(d.document.date),
            d.document.date,
            d.document.id,
        )
    });
    let amount = line.amount.abs();
    let mut left = amount;
    let rows = open
        .into_iter()
        .map(|d| {
            let paid = d.remaining.min(left);
            left -= paid;
            Allocation {
                document: d.document.id,
                number: d.document.display_ref(),
                date: d.document.date,
                due: d.document.due_date,
                remaining: d.remaining,
                amount: TextInput::new(&if paid.is_zero() {
                    String::new()
                } else {
                    amount_text(paid)
                }),
            }
        })
        .collect();
    Ok(PayForm {
        line: line.id,
        party: party.to_string(),
        name: clean(&found.name),
        amount,
        rows,
        cursor: 0,
        fresh: true,
    })
}

// ----- matching ---------------------------------------------------------------------------------

/// The matching index of one treasury account: its unreconciled book lines, the parties and
/// their open invoices, the rules. Built at each read, so that a line's candidates cost a few
/// lookups when the cursor reaches it.
pub struct Matcher {
    index: reconcile::Index,
    rules: reconcile::Rules,
    settings: Reconciliation,
    /// The book lines by matching key (their position).
    book: Vec<BookLine>,
    /// Matching key of each book line, to take lines reconciled from the session out of the
    /// index.
    keys: HashMap<LineRef, u64>,
    /// Collection payment id -> (payment number, invoice number).
    collections: HashMap<u64, (String, String)>,
}

impl Matcher {
    /// The same inputs as `bank candidates` and `bank match` (`Ledger::match_inputs`).
    pub fn read(ledger: &Ledger, account: &AccountNumber) -> Result<Matcher, LedgerError> {
        let inputs = ledger.match_inputs(account)?;
        let keys = inputs
            .book
            .iter()
            .enumerate()
            .map(|(i, l)| (l.at, i as u64))
            .collect();
        let collections = inputs.collection_refs();
        Ok(Matcher {
            index: reconcile::Index::new(inputs.book_views, inputs.parties, inputs.invoices)
                .with_collections(inputs.collections),
            rules: inputs.rules,
            settings: inputs.settings,
            book: inputs.book,
            keys,
            collections,
        })
    }

    /// Book lines reconciled meanwhile leave the candidates (the index is edited in place,
    /// not built again).
    fn forget(&mut self, lines: &[LineRef]) {
        let gone: Vec<u64> = lines
            .iter()
            .filter_map(|at| self.keys.get(at).copied())
            .collect();
        self.index.remove_book_lines(&gone);
    }

    /// The candidates of a bank line, best first.
    pub fn choices(&self, line: &BankLine) -> Vec<Choice> {
        let view = bank_view(0, line);
        reconcile::candidates(&view, &self.index, &self.rules, &self.settings)
            .into_iter()
            .filter_map(|c| self.choice(c))
            .collect()
    }

    fn choice(&self, candidate: reconcile::Candidate) -> Option<Choice> {
        let (what, plan) = match candidate.proposal {
            reconcile::Proposal::BookLines { keys } => {
                let lines: Vec<&BookLine> = keys
                    .iter()
                    .map(|k| self.book.get(usize::try_from(*k).ok()?))
                    .collect::<Option<_>>()?;
                let what = match lines.as_slice() {
                    [one] => format!("{} {}", one.name, clean(&one.label)),
                    more => format!(
                        "{} lines: {}",
                        more.len(),
                        more.iter()
                            .map(|l| l.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                (what, Plan::Match(lines.iter().map(|l| l.at).collect()))
            }
            reconcile::Proposal::Payment { party, allocations } => {
                let invoices: Vec<String> = allocations
                    .iter()
                    .filter_map(|(doc, _)| {
                        self.index
                            .open_invoices(&party)
                            .into_iter()
                            .find(|inv| inv.key == *doc)
                            .map(|inv| inv.number.clone())
                    })
                    .collect();
                (
                    format!("payment {party}: {}", invoices.join(", ")),
                    Plan::Pay { party, allocations },
                )
            }
            reconcile::Proposal::Rule {
                rule,
                post_to,
                tax,
                party,
                label,
            } => (
                format!(
                    "rule {}: {post_to}{}",
                    clean(&rule),
                    tax.as_deref().map(|t| format!(" {t}")).unwrap_or_default()
                ),
                Plan::Post {
                    rule,
                    account: post_to,
                    tax,
                    party,
                    label,
                },
            ),
            reconcile::Proposal::Rejection { payment, reason } => {
                let (number, invoice) = self
                    .collections
                    .get(&payment)
                    .cloned()
                    .unwrap_or_else(|| (format!("D{payment}"), String::new()));
                (
                    crate::ledger::rejection_text(&number, &invoice, reason.as_deref()),
                    Plan::Reject { payment, reason },
                )
            }
        };
        let auto = candidate.score >= self.settings.min_score
            && candidate
                .rule_min_score
                .is_none_or(|min| candidate.score >= min);
        Some(Choice {
            score: candidate.score,
            what,
            reason: clean(&candidate.reason),
            plan,
            auto,
        })
    }
}

/// Adds a rule made from a line to the settings, then posts every unreconciled line of the
/// statement whose best candidate is that rule (each line in its own transaction, as the
/// session posts them one by one).
fn add_rule(
    ledger: &Ledger,
    ctx: &Ctx,
    rule: NewRule,
    statement: Option<u64>,
) -> Result<String, LedgerError> {
    use crate::model::settings::{BankSign, ReconciliationRule};
    let mut settings = ledger.settings()?;
    if settings
        .reconciliation
        .rules
        .iter()
        .any(|r| r.name == rule.name)
    {
        return Err(LedgerError::Invalid {
            field: "rule",
            reason: format!("a rule named «{}» exists already", rule.name),
        });
    }
    let name = rule.name.clone();
    settings.reconciliation.rules.push(ReconciliationRule {
        name: rule.name,
        label_contains: rule.contains,
        label_regex: None,
        amount_min: rule.amount,
        amount_max: rule.amount,
        sign: Some(if rule.sign_in {
            BankSign::In
        } else {
            BankSign::Out
        }),
        counterparty_iban: None,
        account: None,
        post_to: rule.account.clone(),
        tax: rule.tax,
        party: None,
        label: "{label}".into(),
        min_score: None,
    });
    ledger.load_settings(ctx, &settings)?;
    let Some(statement) = statement else {
        return Ok(format!("rule «{name}» added"));
    };
    let record = ledger.statement(statement)?;
    let matcher = Matcher::read(ledger, &record.account)?;
    let lines = ledger.bank_lines(&BankLineFilter {
        account: None,
        statement: Some(statement),
        unreconciled: true,
    })?;
    let mut posted = 0usize;
    for line in lines {
        let best = matcher.choices(&line).into_iter().next();
        if let Some(Choice {
            plan:
                Plan::Post {
                    rule,
                    account,
                    tax,
                    party,
                    label,
                },
            ..
        }) = best
            && rule == name
        {
            ledger.post_bank_line(
                ctx,
                line.id,
                &account,
                party.as_deref(),
                tax.as_deref(),
                Some(&label),
            )?;
            posted += 1;
        }
    }
    Ok(format!(
        "rule «{name}» added: posted {posted} line{} of the statement to {}",
        if posted == 1 { "" } else { "s" },
        rule.account
    ))
}

/// Creates the payment of a bank line for a party, allocated to its invoices, through the
/// documents' payment path (numbered, posted with the payment method of the line's treasury
/// account, the invoices it settles lettered), then reconciles the line with the payment's
/// line on that account. Should the reconciliation be refused (another user took the line
/// meanwhile), the payment stays registered and says so: it is then a candidate of the line.
fn pay(
    ledger: &Ledger,
    ctx: &Ctx,
    line: BankLineId,
    party: &str,
    allocations: &[(u64, Amount)],
) -> Result<String, LedgerError> {
    use crate::ledger::PaymentInput;
    use crate::model::document::DocumentType;
    let bank = ledger.bank_line(line)?;
    if bank.status != BankLineStatus::Unreconciled {
        return Err(LedgerError::Invalid {
            field: "bank line",
            reason: format!("bank line {line} is already {}", bank.status.name()),
        });
    }
    let settings = ledger.settings()?;
    let Some(method) = settings
        .payment_methods
        .iter()
        .find(|m| m.account == bank.account)
    else {
        return Err(LedgerError::Invalid {
            field: "payment method",
            reason: format!(
                "no payment method of the settings posts to {}: add one to pay from its lines",
                bank.account
            ),
        });
    };
    let input = PaymentInput {
        doc_type: if bank.amount.is_positive() {
            DocumentType::CustomerPayment
        } else {
            DocumentType::SupplierPayment
        },
        party: party.to_string(),
        date: bank.booking_date,
        amount: bank.amount.abs(),
        method: method.code.clone(),
        reference: bank
            .reference
            .clone()
            .unwrap_or_else(|| format!("bank {line}")),
        allocations: allocations
            .iter()
            .map(|(doc, amount)| (DocumentRef::Id(*doc), *amount))
            .collect(),
        allocation_lines: Vec::new(),
    };
    let payment = ledger
        .register_payments(ctx, [Ok((0, input))], None)?
        .into_iter()
        .next()
        .ok_or_else(|| LedgerError::Invalid {
            field: "payment",
            reason: "no payment was registered".into(),
        })?;
    let number = payment.display_ref();
    let book_line = payment.entry.and_then(|id| {
        let entry = ledger.entry(id).ok()?;
        let at = entry.lines.iter().position(|l| l.account == bank.account)?;
        Some(LineRef {
            entry: id,
            line: u32::try_from(at).ok()?,
        })
    });
    let Some(book_line) = book_line else {
        return Ok(format!(
            "payment {number} registered for {party}; its entry is not on {} yet: enter \
             reconciles the line with it once it is",
            bank.account
        ));
    };
    ledger
        .reconcile(ctx, line, &[book_line])
        .map_err(|err| LedgerError::Invalid {
            field: "bank line",
            reason: format!("payment {number} registered, but not reconciled: {err}"),
        })?;
    Ok(format!(
        "line {line}: payment {number} of {} for {party} registered, lettered with its \
         invoices and reconciled",
        amount_text(bank.amount.abs())
    ))
}
