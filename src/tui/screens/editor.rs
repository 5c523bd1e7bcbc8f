//! The entry grid, built for typing speed ("saisie au kilomètre"): a header (journal, date,
//! piece, label), then lines. Enter or Tab moves on; a prefilled field is replaced by typing and
//! kept by Enter. The line label repeats the previous one, the date and journal repeat from one
//! entry to the next, the account field completes on number, label and third-party name, an
//! amount may be `=120*3`, and the next line proposes the balancing amount. The difference is
//! always shown; an unbalanced entry is never saved.

use std::cell::Cell;

use chrono::NaiveDate;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, Borders, Clear, Widget};

use super::super::action::{Action, Context};
use super::super::keymap::{Code, Key, Keymap};
use super::super::theme::Theme;
use super::super::widgets::amount::parse_amount;
use super::super::widgets::fuzzy;
use super::super::widgets::input::TextInput;
use super::super::widgets::table::{Align, Column, draw_header, draw_row, fit, layout, width};
use super::super::widgets::text::put;
use super::{
    Command, Confirm, Env, Focus, Outcome, Saved, Screen, Write, amount_text, clean, date_text,
    line, parse_user_date,
};
use crate::ledger::LedgerError;
use crate::model::{
    AccountNumber, Amount, Entry, EntryId, EntryInput, Journal, Line, sanitize_text,
};

/// Lines an entry typed by hand may have.
const MAX_LINES: usize = 1_000;
/// Completions shown under the account field.
const MAX_COMPLETIONS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeaderField {
    Journal,
    Date,
    Piece,
    Label,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineField {
    Account,
    Label,
    /// The optional tax code (the base is the line's amount), reached with the `tax` key.
    Tax,
    Debit,
    Credit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Header(HeaderField),
    Line(usize, LineField),
}

/// An account or a third party (on its collective account) the account field can complete to.
#[derive(Debug, Clone)]
struct Candidate {
    account: AccountNumber,
    party: Option<String>,
    text: String,
    search: String,
    needs_party: bool,
}

#[derive(Debug, Clone, Default)]
struct LineDraft {
    account: TextInput,
    party: Option<String>,
    label: TextInput,
    tax: TextInput,
    debit: TextInput,
    credit: TextInput,
    /// Which side holds a proposed balancing amount that typing replaces.
    proposed: Option<LineField>,
}

impl LineDraft {
    fn is_empty(&self) -> bool {
        self.account.text().trim().is_empty()
            && self.debit.text().trim().is_empty()
            && self.credit.text().trim().is_empty()
    }

    fn amount(&self, field: LineField) -> Amount {
        let input = match field {
            LineField::Debit => &self.debit,
            LineField::Credit => &self.credit,
            _ => return Amount::ZERO,
        };
        if input.text().trim().is_empty() {
            Amount::ZERO
        } else {
            parse_amount(input.text()).unwrap_or_default()
        }
    }

    fn account_cell(&self) -> String {
        match &self.party {
            Some(party) => format!("{} {party}", self.account.text()),
            None => self.account.text().to_string(),
        }
    }
}

/// The draft being edited: which one, and the revision the grid was filled from.
#[derive(Debug, Clone)]
struct Editing {
    id: EntryId,
    reference: String,
    revision: u64,
}

pub struct EditorScreen {
    editing: Option<Editing>,
    /// The parked entry the grid was resumed from.
    parked: Option<u64>,
    journal: TextInput,
    date: TextInput,
    piece: TextInput,
    label: TextInput,
    lines: Vec<LineDraft>,
    focus: Field,
    /// The focused field was just entered: typing replaces its content.
    fresh: bool,
    candidates: Vec<Candidate>,
    completions: Vec<usize>,
    completion: usize,
    journals: Vec<Journal>,
    /// The settings' tax codes (code, label), for the tax column.
    tax_codes: Vec<(String, String)>,
    /// The tax codes of the draft's lines as stored: unchanged, its tags are kept as they are.
    stored_taxes: Option<Vec<Option<String>>>,
    today: NaiveDate,
    dirty: bool,
    offset: Cell<usize>,
    /// Where the text cursor of the focused field was drawn.
    caret: Cell<Option<(u16, u16)>>,
}

impl EditorScreen {
    /// A new entry: journal as given (or the first one), dated today.
    pub fn new(env: &Env, journal: Option<&str>) -> Result<Self, LedgerError> {
        let mut screen = EditorScreen {
            editing: None,
            parked: None,
            journal: TextInput::default(),
            date: TextInput::new(&date_text(env.ctx.today)),
            piece: TextInput::default(),
            label: TextInput::default(),
            lines: vec![LineDraft::default()],
            focus: Field::Header(HeaderField::Journal),
            fresh: true,
            candidates: Vec::new(),
            completions: Vec::new(),
            completion: 0,
            journals: Vec::new(),
            tax_codes: Vec::new(),
            stored_taxes: None,
            today: env.ctx.today,
            dirty: false,
            offset: Cell::new(0),
            caret: Cell::new(None),
        };
        screen.reload(env)?;
        let code = journal
            .map(str::to_string)
            .or_else(|| screen.journals.first().map(|j| j.code.clone()))
            .unwrap_or_default();
        screen.journal.set(&code);
        Ok(screen)
    }

    /// Edits a draft.
    pub fn edit(env: &Env, entry: &Entry) -> Result<Self, LedgerError> {
        let mut screen = EditorScreen::new(env, Some(&entry.journal))?;
        screen.fill(entry);
        let codes = env.ledger.entry_tax_codes(entry.id)?;
        for (line, code) in screen.lines.iter_mut().zip(&codes) {
            if let Some(code) = code {
                line.tax.set(&clean(code));
            }
        }
        screen.stored_taxes = Some(codes);
        Ok(screen)
    }

    /// A new draft holding a copy of `entry` (its lines, journal and labels), dated today,
    /// with an empty piece: the focus is on the date.
    pub fn duplicate(env: &Env, entry: &Entry) -> Result<Self, LedgerError> {
        let mut screen = EditorScreen::edit(env, entry)?;
        screen.editing = None;
        screen.stored_taxes = None;
        screen.date.set(&date_text(env.ctx.today));
        screen.piece.clear();
        screen.dirty = true;
        screen.enter(Field::Header(HeaderField::Date));
        Ok(screen)
    }

    /// Resumes a parked entry: the grid as it was parked.
    pub fn resume(env: &Env, parked: &crate::ledger::Parked) -> Result<Self, LedgerError> {
        let input = &parked.input;
        let mut screen = EditorScreen::new(env, Some(&input.journal))?;
        screen.parked = Some(parked.id);
        screen.date.set(&input.date);
        screen.piece.set(&input.piece);
        screen.label.set(&input.label);
        screen.lines = input
            .lines
            .iter()
            .map(|l| LineDraft {
                account: TextInput::new(&l.account),
                party: l.party.clone(),
                label: TextInput::new(&l.label),
                tax: TextInput::default(),
                debit: TextInput::new(&l.debit),
                credit: TextInput::new(&l.credit),
                proposed: None,
            })
            .collect();
        screen.lines.push(LineDraft::default());
        screen.dirty = false;
        screen.enter(Field::Line(0, LineField::Account));
        Ok(screen)
    }

    /// Parks the grid as typed, outside the books, to finish later.
    fn park(&mut self) -> Outcome {
        if let Some(editing) = &self.editing {
            return Outcome::Error(format!(
                "draft {} is saved already: only a new entry is parked (leave to keep the \
                 draft as saved)",
                editing.reference
            ));
        }
        if let Some(at) = self
            .lines
            .iter()
            .position(|l| !l.tax.text().trim().is_empty())
        {
            return Outcome::Error(format!(
                "line {}: a parked entry does not keep tax codes: clear them to park it, or \
                 save it as a draft",
                at + 1
            ));
        }
        let lines: Vec<crate::ledger::ParkedLine> = self
            .lines
            .iter()
            .filter(|l| !l.is_empty())
            .map(|l| crate::ledger::ParkedLine {
                account: l.account.text().to_string(),
                party: l.party.clone(),
                label: l.label.text().to_string(),
                debit: l.debit.text().to_string(),
                credit: l.credit.text().to_string(),
            })
            .collect();
        if lines.is_empty() && self.piece.text().is_empty() && self.label.text().is_empty() {
            return Outcome::Error("nothing to park: the grid is empty".into());
        }
        Write::Park {
            id: self.parked,
            input: crate::ledger::ParkedInput {
                journal: self.journal.text().trim().to_ascii_uppercase(),
                date: self.date.text().to_string(),
                piece: self.piece.text().to_string(),
                label: self.label.text().to_string(),
                lines,
            },
        }
        .into()
    }

    /// Fills the grid from a draft, as stored now.
    fn fill(&mut self, entry: &Entry) {
        self.editing = Some(Editing {
            id: entry.id,
            reference: entry.reference(),
            revision: entry.revision,
        });
        self.journal.set(&entry.journal);
        self.date.set(&date_text(entry.date));
        self.piece.set(&clean(&entry.piece));
        self.label.set(&clean(&entry.label));
        self.lines = entry
            .lines
            .iter()
            .map(|l| LineDraft {
                account: TextInput::new(l.account.as_str()),
                party: l.third_party.clone(),
                label: TextInput::new(&clean(entry.line_label(l))),
                tax: TextInput::default(),
                debit: TextInput::new(&amount_input(l.debit)),
                credit: TextInput::new(&amount_input(l.credit)),
                proposed: None,
            })
            .collect();
        self.lines.push(LineDraft::default());
        self.completions.clear();
        self.dirty = false;
        self.enter(Field::Line(0, LineField::Account));
    }

    fn totals(&self) -> (Amount, Amount) {
        let debit = self.lines.iter().map(|l| l.amount(LineField::Debit)).sum();
        let credit = self.lines.iter().map(|l| l.amount(LineField::Credit)).sum();
        (debit, credit)
    }

    fn input_mut(&mut self, field: Field) -> Option<&mut TextInput> {
        Some(match field {
            Field::Header(HeaderField::Journal) => &mut self.journal,
            Field::Header(HeaderField::Date) => &mut self.date,
            Field::Header(HeaderField::Piece) => &mut self.piece,
            Field::Header(HeaderField::Label) => &mut self.label,
            Field::Line(i, f) => {
                let line = self.lines.get_mut(i)?;
                match f {
                    LineField::Account => &mut line.account,
                    LineField::Label => &mut line.label,
                    LineField::Tax => &mut line.tax,
                    LineField::Debit => &mut line.debit,
                    LineField::Credit => &mut line.credit,
                }
            }
        })
    }

    fn input(&self, field: Field) -> Option<&TextInput> {
        Some(match field {
            Field::Header(HeaderField::Journal) => &self.journal,
            Field::Header(HeaderField::Date) => &self.date,
            Field::Header(HeaderField::Piece) => &self.piece,
            Field::Header(HeaderField::Label) => &self.label,
            Field::Line(i, f) => {
                let line = self.lines.get(i)?;
                match f {
                    LineField::Account => &line.account,
                    LineField::Label => &line.label,
                    LineField::Tax => &line.tax,
                    LineField::Debit => &line.debit,
                    LineField::Credit => &line.credit,
                }
            }
        })
    }

    // ----- completion -------------------------------------------------------------------------

    fn complete(&mut self) {
        self.completions.clear();
        self.completion = 0;
        let Field::Line(i, LineField::Account) = self.focus else {
            return;
        };
        let text = self.lines[i].account.text().trim().to_string();
        if text.is_empty() {
            return;
        }
        let digits = text.bytes().all(|b| b.is_ascii_digit());
        let mut scored: Vec<(i64, usize)> = self
            .candidates
            .iter()
            .enumerate()
            .filter_map(|(at, c)| {
                if digits {
                    // Numbers complete by prefix: `607` is 607000 and its sub-accounts.
                    c.account.as_str().starts_with(&text).then(|| {
                        // A collective account (401, 411) is refused without its third
                        // party: its parties' lines come first, the bare account last.
                        let own = match (&c.party, c.needs_party) {
                            (None, true) => -500,
                            (None, false) => 1,
                            (Some(_), _) => 0,
                        };
                        (1_000 - c.account.as_str().len() as i64 * 10 + own, at)
                    })
                } else {
                    fuzzy::score(&text, &c.search).map(|s| (s, at))
                }
            })
            .collect();
        if !digits {
            // When some candidates contain every word, scattered letters are noise.
            let whole = 100 * text.split_whitespace().count() as i64;
            if scored.iter().any(|(s, _)| *s >= whole) {
                scored.retain(|(s, _)| *s >= whole);
            }
        }
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        self.completions = scored
            .into_iter()
            .take(MAX_COMPLETIONS)
            .map(|(_, at)| at)
            .collect();
    }

    /// Takes the chosen completion into the account field. Errors keep the focus there.
    fn accept_account(&mut self, i: usize) -> Result<(), String> {
        let text = self.lines[i].account.text().trim().to_string();
        if text.is_empty() {
            return Ok(());
        }
        let chosen = match self.completions.get(self.completion) {
            Some(&at) => Some(self.candidates[at].clone()),
            None => {
                // A number typed in full needs no completion list.
                let number = AccountNumber::parse(&text).map_err(|e| e.to_string())?;
                let party = self.lines[i].party.clone();
                self.candidates
                    .iter()
                    .find(|c| c.account == number && c.party.is_none())
                    .cloned()
                    .map(|mut c| {
                        c.party = party;
                        c
                    })
            }
        };
        let Some(chosen) = chosen else {
            return Err(format!("no account or third party matches `{text}`"));
        };
        if chosen.needs_party && chosen.party.is_none() {
            self.lines[i].account.set(chosen.account.as_str());
            self.complete();
            return Err(format!(
                "{} needs a third party: type the party's name or code",
                chosen.account
            ));
        }
        let line = &mut self.lines[i];
        line.account.set(chosen.account.as_str());
        line.party = chosen.party;
        self.completions.clear();
        Ok(())
    }

    /// On save, the account field being typed must already name an account: a number of the
    /// chart, or a third party's exact code. Any looser match is refused (the field keeps the
    /// focus) rather than taken without the user seeing it.
    fn accept_exact_account(&mut self, i: usize, accept_key: &str) -> Result<(), String> {
        let text = self.lines[i].account.text().trim().to_string();
        if text.is_empty() {
            return Ok(());
        }
        let exact_number = AccountNumber::parse(&text).ok().filter(|number| {
            self.candidates
                .iter()
                .any(|c| c.account == *number && c.party.is_none())
        });
        // Third-party codes are unique: at most one candidate has this code.
        let exact_party = self.candidates.iter().position(|c| {
            c.party
                .as_deref()
                .is_some_and(|code| code.eq_ignore_ascii_case(&text))
        });
        if exact_number.is_none() && exact_party.is_none() {
            if self.completions.is_empty() {
                self.complete();
            }
            return Err(format!(
                "line {}: `{text}` is not an account number: choose an account in the list \
                 with {accept_key} or type its number, then save",
                i + 1,
            ));
        }
        // Take the exact match, not whichever completion happens to be highlighted.
        self.completions = exact_party.into_iter().collect();
        self.completion = 0;
        self.accept_account(i)
    }

    // ----- moving between fields --------------------------------------------------------------

    fn enter(&mut self, field: Field) {
        self.focus = field;
        self.fresh = true;
        self.completions.clear();
        if let Field::Line(i, f) = field {
            if i >= self.lines.len() {
                self.lines.push(LineDraft::default());
            }
            match f {
                LineField::Label if self.lines[i].label.text().is_empty() => {
                    let previous = if i == 0 {
                        self.label.text().to_string()
                    } else {
                        self.lines[i - 1].label.text().to_string()
                    };
                    self.lines[i].label.set(&previous);
                }
                LineField::Debit => self.propose(i),
                _ => {}
            }
        }
    }

    /// Proposes the amount that balances the entry on an empty line.
    fn propose(&mut self, i: usize) {
        let line = &self.lines[i];
        if !line.debit.text().trim().is_empty() || !line.credit.text().trim().is_empty() {
            return;
        }
        let (debit, credit) = self.totals();
        let difference = debit - credit;
        if difference.is_zero() {
            return;
        }
        let line = &mut self.lines[i];
        if difference.is_negative() {
            line.debit.set(&amount_input(difference.abs()));
            line.proposed = Some(LineField::Debit);
        } else {
            line.credit.set(&amount_input(difference));
            line.proposed = Some(LineField::Credit);
        }
    }

    /// Checks and tidies the field being left; an error keeps the focus.
    fn leave(&mut self) -> Result<(), String> {
        match self.focus {
            Field::Header(HeaderField::Journal) => {
                let code = self.journal.text().trim().to_ascii_uppercase();
                if !self.journals.iter().any(|j| j.code == code) {
                    let codes: Vec<&str> = self.journals.iter().map(|j| j.code.as_str()).collect();
                    return Err(format!(
                        "no journal `{code}` (journals: {})",
                        codes.join(" ")
                    ));
                }
                self.journal.set(&code);
            }
            Field::Header(HeaderField::Date) => {
                let date = parse_user_date(self.date.text(), self.today)
                    .ok_or_else(|| format!("`{}` is not a date", self.date.text()))?;
                self.date.set(&date_text(date));
            }
            Field::Header(HeaderField::Piece | HeaderField::Label) => {}
            Field::Line(i, LineField::Account) => self.accept_account(i)?,
            Field::Line(_, LineField::Label) => {}
            Field::Line(i, LineField::Tax) => self.accept_tax(i)?,
            Field::Line(i, side @ (LineField::Debit | LineField::Credit)) => {
                self.tidy_amount(i, side)?;
            }
        }
        Ok(())
    }

    /// Evaluates an amount field (`=120*3`); a negative amount goes to the other side.
    fn tidy_amount(&mut self, i: usize, side: LineField) -> Result<(), String> {
        let line = &mut self.lines[i];
        let (this, other) = match side {
            LineField::Debit => (&mut line.debit, &mut line.credit),
            _ => (&mut line.credit, &mut line.debit),
        };
        if this.text().trim().is_empty() {
            return Ok(());
        }
        let amount = parse_amount(this.text())?;
        this.set(&amount_input(amount.abs()));
        if amount.is_negative() {
            other.set(this.text());
            this.clear();
        }
        if line.proposed == Some(side) {
            line.proposed = None;
        }
        Ok(())
    }

    fn next(&self) -> Option<Field> {
        Some(match self.focus {
            Field::Header(HeaderField::Journal) => Field::Header(HeaderField::Date),
            Field::Header(HeaderField::Date) => Field::Header(HeaderField::Piece),
            Field::Header(HeaderField::Piece) => Field::Header(HeaderField::Label),
            Field::Header(HeaderField::Label) => Field::Line(0, LineField::Account),
            Field::Line(i, LineField::Account) => {
                if self.lines[i].account.text().trim().is_empty() {
                    return None;
                }
                Field::Line(i, LineField::Label)
            }
            Field::Line(i, LineField::Label | LineField::Tax) => Field::Line(i, LineField::Debit),
            Field::Line(i, LineField::Debit) => {
                if self.lines[i].debit.text().trim().is_empty() {
                    Field::Line(i, LineField::Credit)
                } else {
                    Field::Line(i + 1, LineField::Account)
                }
            }
            Field::Line(i, LineField::Credit) => Field::Line(i + 1, LineField::Account),
        })
    }

    fn previous(&self) -> Option<Field> {
        Some(match self.focus {
            Field::Header(HeaderField::Journal) => return None,
            Field::Header(HeaderField::Date) => Field::Header(HeaderField::Journal),
            Field::Header(HeaderField::Piece) => Field::Header(HeaderField::Date),
            Field::Header(HeaderField::Label) => Field::Header(HeaderField::Piece),
            Field::Line(0, LineField::Account) => Field::Header(HeaderField::Label),
            Field::Line(i, LineField::Account) => Field::Line(i - 1, LineField::Credit),
            Field::Line(i, LineField::Label) => Field::Line(i, LineField::Account),
            Field::Line(i, LineField::Tax) => Field::Line(i, LineField::Label),
            Field::Line(i, LineField::Debit) => Field::Line(i, LineField::Label),
            Field::Line(i, LineField::Credit) => Field::Line(i, LineField::Debit),
        })
    }

    fn move_to(&mut self, target: Option<Field>, env: &Env) -> Outcome {
        if let Err(message) = self.leave() {
            return Outcome::Error(message);
        }
        match target {
            Some(field)
                if self.lines.len() < MAX_LINES
                    || !matches!(field, Field::Line(i, _) if i >= self.lines.len()) =>
            {
                self.enter(field);
                Outcome::None
            }
            Some(_) => Outcome::Error(format!("an entry typed here has at most {MAX_LINES} lines")),
            None => {
                let (debit, credit) = self.totals();
                if debit == credit && !debit.is_zero() {
                    Outcome::Info(format!(
                        "The entry balances: {} saves it as a draft, {} validates it",
                        env.keymap.hint(Context::Editor, Action::SaveDraft),
                        env.keymap.hint(Context::Editor, Action::SaveValidated)
                    ))
                } else {
                    Outcome::None
                }
            }
        }
    }

    fn vertical(&mut self, down: bool, env: &Env) -> Outcome {
        if !self.completions.is_empty() {
            let n = self.completions.len();
            self.completion = if down {
                (self.completion + 1) % n
            } else {
                (self.completion + n - 1) % n
            };
            return Outcome::None;
        }
        let target = match (self.focus, down) {
            (Field::Header(_), true) => Some(Field::Line(0, LineField::Account)),
            (Field::Header(_), false) => None,
            (Field::Line(0, _), false) => Some(Field::Header(HeaderField::Label)),
            (Field::Line(i, f), false) => Some(Field::Line(i - 1, f)),
            (Field::Line(i, f), true) if i + 1 < self.lines.len() => Some(Field::Line(i + 1, f)),
            (Field::Line(..), true) => None,
        };
        match target {
            Some(field) => self.move_to(Some(field), env),
            None => Outcome::None,
        }
    }

    // ----- saving -----------------------------------------------------------------------------

    /// The tax code of each line `build` keeps, in its order.
    fn taxes(&self) -> Vec<Option<String>> {
        self.lines
            .iter()
            .filter(|l| !l.is_empty())
            .map(|l| Some(l.tax.text().trim().to_string()).filter(|c| !c.is_empty()))
            .collect()
    }

    /// The tax code field left: empty, a code of the settings (any case), or the start of
    /// codes, which it completes to the first (the one highlighted under the field).
    fn accept_tax(&mut self, i: usize) -> Result<(), String> {
        let text = self.lines[i].tax.text().trim().to_string();
        if text.is_empty() {
            self.lines[i].tax.clear();
            return Ok(());
        }
        let matches = self.tax_matches(&text);
        let exact = self
            .tax_codes
            .iter()
            .find(|(code, _)| code.eq_ignore_ascii_case(&text));
        let chosen = match (exact, matches.as_slice()) {
            (Some((code, _)), _) => code.clone(),
            (None, []) => {
                let codes: Vec<&str> = self.tax_codes.iter().map(|(c, _)| c.as_str()).collect();
                // What is typed next replaces the refused code.
                self.fresh = true;
                return Err(format!(
                    "line {}: no tax code `{text}` (codes: {})",
                    i + 1,
                    codes.join(" ")
                ));
            }
            // Several: the first, highlighted in the list under the field.
            (None, [first, ..]) => first.0.clone(),
        };
        self.lines[i].tax.set(&chosen);
        Ok(())
    }

    /// The tax codes starting with `text` (any case), at most `MAX_COMPLETIONS`.
    fn tax_matches(&self, text: &str) -> Vec<&(String, String)> {
        let wanted = text.trim().to_ascii_uppercase();
        self.tax_codes
            .iter()
            .filter(|(code, _)| code.to_ascii_uppercase().starts_with(&wanted))
            .take(MAX_COMPLETIONS)
            .collect()
    }

    fn build(&self) -> Result<EntryInput, (Field, String)> {
        let journal = self.journal.text().trim().to_ascii_uppercase();
        let date = parse_user_date(self.date.text(), self.today).ok_or_else(|| {
            (
                Field::Header(HeaderField::Date),
                format!("`{}` is not a date", self.date.text()),
            )
        })?;
        let mut lines = Vec::new();
        for (i, draft) in self.lines.iter().enumerate() {
            if draft.is_empty() {
                continue;
            }
            let account = AccountNumber::parse(draft.account.text())
                .map_err(|e| (Field::Line(i, LineField::Account), e.to_string()))?;
            let amount = |field: LineField| {
                let input = if field == LineField::Debit {
                    &draft.debit
                } else {
                    &draft.credit
                };
                if input.text().trim().is_empty() {
                    Ok(Amount::ZERO)
                } else {
                    parse_amount(input.text()).map_err(|e| (Field::Line(i, field), e))
                }
            };
            let (debit, credit) = (amount(LineField::Debit)?, amount(LineField::Credit)?);
            if debit.is_zero() == credit.is_zero() {
                return Err((
                    Field::Line(i, LineField::Debit),
                    format!("line {}: fill exactly one of debit or credit", i + 1),
                ));
            }
            lines.push(Line {
                account,
                third_party: draft.party.clone(),
                label: sanitize_text(draft.label.text()),
                debit,
                credit,
            });
        }
        Ok(EntryInput {
            journal,
            date,
            piece: sanitize_text(self.piece.text()),
            label: sanitize_text(self.label.text()),
            lines,
        })
    }

    fn save(&mut self, validate: bool, env: &Env) -> Outcome {
        let left = match self.focus {
            Field::Line(i, LineField::Account) => {
                self.accept_exact_account(i, &env.keymap.hint(Context::Form, Action::NextField))
            }
            _ => self.leave(),
        };
        if let Err(message) = left {
            return Outcome::Error(message);
        }
        let input = match self.build() {
            Ok(input) => input,
            Err((field, message)) => {
                self.enter(field);
                return Outcome::Error(message);
            }
        };
        let (debit, credit) = self.totals();
        if debit != credit {
            return Outcome::Error(format!(
                "unbalanced: debit {} credit {}, difference {} — it cannot be saved",
                amount_text(debit),
                amount_text(credit),
                amount_text(debit - credit)
            ));
        }
        let taxes = self.taxes();
        // A draft whose tax codes were left as stored keeps its tags as they are.
        let taxes = match &self.stored_taxes {
            Some(stored) if self.editing.is_some() && *stored == taxes => None,
            _ => Some(taxes),
        };
        Write::SaveEntry {
            id: self.editing.as_ref().map(|e| (e.id, e.revision)),
            input,
            taxes,
            validate,
            parked: self.parked,
        }
        .into()
    }

    /// What the save led to: back to where the draft was opened from, or the next entry.
    fn after_save(&mut self, saved: &Saved) -> Outcome {
        let entry = &saved.entry;
        let unchanged = self
            .editing
            .as_ref()
            .is_some_and(|e| e.revision == entry.revision);
        let mut message = if unchanged {
            format!("nothing changed in draft {}", entry.reference())
        } else {
            format!("saved draft {}", entry.reference())
        };
        match &saved.validated {
            Some(Ok(validated)) => message = format!("validated {}", validated.reference()),
            Some(Err(err)) => {
                message = format!("saved draft {} but not validated: {err}", entry.reference());
                if self.editing.is_some() {
                    return Outcome::Done(message);
                }
                self.next_entry(&saved.input);
                return Outcome::Error(message);
            }
            None => {}
        }
        if self.editing.is_some() {
            return Outcome::Done(message);
        }
        self.next_entry(&saved.input);
        Outcome::Info(format!("{message} · next entry"))
    }

    /// Clears the grid for the next entry, keeping journal and date, numbering the piece on.
    fn next_entry(&mut self, saved: &EntryInput) {
        self.parked = None;
        self.piece.set(&next_piece(&saved.piece));
        self.label.clear();
        self.lines = vec![LineDraft::default()];
        self.dirty = false;
        self.offset.set(0);
        self.enter(Field::Header(HeaderField::Piece));
    }
}

/// `1234.56` written back into a field, the French way (`1234,56`).
fn amount_input(amount: Amount) -> String {
    if amount.is_zero() {
        String::new()
    } else {
        amount.to_comma()
    }
}

/// `A2026-0090` -> `A2026-0091`: the trailing number goes up, keeping its width.
fn next_piece(piece: &str) -> String {
    let digits = piece.chars().rev().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return piece.to_string();
    }
    let (head, tail) = piece.split_at(piece.len() - digits);
    match tail.parse::<u64>() {
        Ok(n) => format!("{head}{:0width$}", n + 1, width = digits),
        Err(_) => piece.to_string(),
    }
}

const COLUMNS: [Column; 6] = [
    Column::right("#", 3),
    Column::left("account", 22),
    Column::fill("label"),
    Column::left("tax", 5),
    Column::right("debit", 13),
    Column::right("credit", 13),
];

/// The tax column is shown from this width, or at any width once a line has a code or the
/// tax field has the focus: below it, an entry without codes keeps its label's room.
const TAX_COLUMN_FROM: u16 = 100;

impl EditorScreen {
    fn columns(&self) -> [Column; 6] {
        let used = matches!(self.focus, Field::Line(_, LineField::Tax))
            || self.lines.iter().any(|l| !l.tax.text().is_empty());
        let mut columns = COLUMNS;
        if !used {
            columns[3] = columns[3].from(TAX_COLUMN_FROM);
        }
        columns
    }
}

impl Screen for EditorScreen {
    fn context(&self) -> Context {
        Context::Editor
    }

    fn title(&self) -> String {
        match (&self.editing, self.parked) {
            (Some(editing), _) => format!("Edit draft {}", editing.reference),
            (None, Some(parked)) => format!("New entry from parked P{parked}"),
            (None, None) => "New entry".into(),
        }
    }

    fn focus(&self) -> Focus {
        Focus::Form
    }

    fn wants_text(&self) -> bool {
        true
    }

    fn reload(&mut self, env: &Env) -> Result<(), LedgerError> {
        self.journals = env
            .ledger
            .journals()?
            .into_iter()
            .filter(|j| j.active)
            .collect();
        let mut candidates: Vec<Candidate> = env
            .ledger
            .accounts()?
            .into_iter()
            .filter(|a| a.active)
            .map(|a| {
                let text = format!("{} {}", a.number, clean(&a.label));
                Candidate {
                    search: text.chars().map(fuzzy::fold).collect(),
                    account: a.number,
                    party: None,
                    text,
                    needs_party: a.third_party_required,
                }
            })
            .collect();
        for party in env.ledger.parties()?.into_iter().filter(|p| p.active) {
            let text = format!(
                "{} {} {}",
                party.collective_account,
                party.code,
                clean(&party.name)
            );
            candidates.push(Candidate {
                search: format!("{} {}", party.code, clean(&party.name))
                    .chars()
                    .map(fuzzy::fold)
                    .collect(),
                account: party.collective_account,
                party: Some(party.code),
                text,
                needs_party: true,
            });
        }
        self.candidates = candidates;
        // A ledger without posting settings has no tax code: the column then stays empty.
        self.tax_codes = match env.ledger.settings() {
            Ok(settings) => settings
                .taxes
                .into_iter()
                .map(|t| (clean(&t.code), clean(&t.label)))
                .collect(),
            Err(LedgerError::Invalid { .. }) => Vec::new(),
            Err(err) => return Err(err),
        };
        Ok(())
    }

    fn render(&self, buf: &mut Buffer, area: Rect, theme: &Theme, _keymap: &Keymap) {
        self.caret.set(None);
        let inner = Rect::new(
            area.x + 1,
            area.y,
            area.width.saturating_sub(2),
            area.height,
        );
        if inner.height < 6 || inner.width < 30 {
            line(
                buf,
                inner,
                inner.y,
                "The window is too small to type an entry.",
                theme.error,
            );
            return;
        }
        let style_of = |field: Field| {
            if self.focus == field {
                theme.cursor
            } else {
                theme.input
            }
        };
        let journal_label = self
            .journals
            .iter()
            .find(|j| j.code.eq_ignore_ascii_case(self.journal.text().trim()))
            .map(|j| clean(&j.label))
            .unwrap_or_default();
        // Header: two rows of labelled fields.
        let mut x = inner.x;
        let y = inner.y;
        let field = |buf: &mut Buffer, x: &mut u16, y: u16, label: &str, f: Field, w: u16| {
            let label_width = width(label) as u16;
            buf.set_stringn(*x, y, label, label_width as usize, theme.dim);
            let input = self.input(f);
            // The focused field scrolls to keep the cursor in view; the others are cut.
            let (text, at) = match input {
                Some(i) if self.focus == f => i.view(w as usize),
                Some(i) => (fit(i.text(), w as usize), 0),
                None => (String::new(), 0),
            };
            let text = format!("{text:<w$}", w = w as usize);
            buf.set_stringn(*x + label_width + 1, y, &text, w as usize, style_of(f));
            if self.focus == f {
                self.caret.set(Some((
                    *x + label_width + 1 + (at as u16).min(w.saturating_sub(1)),
                    y,
                )));
            }
            *x += label_width + 1 + w + 2;
        };
        field(
            buf,
            &mut x,
            y,
            "Journal",
            Field::Header(HeaderField::Journal),
            6,
        );
        field(buf, &mut x, y, "Date", Field::Header(HeaderField::Date), 10);
        field(
            buf,
            &mut x,
            y,
            "Piece",
            Field::Header(HeaderField::Piece),
            14,
        );
        if x < inner.right() {
            buf.set_stringn(
                x,
                y,
                &journal_label,
                (inner.right() - x) as usize,
                theme.dim,
            );
        }
        let mut x = inner.x;
        let label_width = inner.width.saturating_sub(10).min(70);
        field(
            buf,
            &mut x,
            y + 1,
            "Label  ",
            Field::Header(HeaderField::Label),
            label_width,
        );

        // Lines.
        let table = Rect::new(inner.x, y + 3, inner.width, inner.height.saturating_sub(4));
        let columns = self.columns();
        draw_header(buf, table, &columns, theme);
        let body = Rect::new(
            table.x,
            table.y + 1,
            table.width,
            table.height.saturating_sub(1),
        );
        let height = body.height as usize;
        let focus_line = match self.focus {
            Field::Line(i, _) => i,
            Field::Header(_) => 0,
        };
        let mut offset = self.offset.get();
        if focus_line < offset {
            offset = focus_line;
        } else if height > 0 && focus_line >= offset + height {
            offset = focus_line + 1 - height;
        }
        self.offset.set(offset);
        let places = layout(&columns, body.width);
        for (row, (i, draft)) in self
            .lines
            .iter()
            .enumerate()
            .skip(offset)
            .take(height)
            .enumerate()
        {
            let y = body.y + row as u16;
            let cells = vec![
                (i + 1).to_string(),
                draft.account_cell(),
                draft.label.text().to_string(),
                draft.tax.text().to_string(),
                draft.debit.text().to_string(),
                draft.credit.text().to_string(),
            ];
            draw_row(buf, body, y, &columns, &cells, Style::new());
            for (column, field) in [
                (1, LineField::Account),
                (2, LineField::Label),
                (3, LineField::Tax),
                (4, LineField::Debit),
                (5, LineField::Credit),
            ] {
                let Some(&(_, cx, w)) = places.iter().find(|(c, _, _)| *c == column) else {
                    continue;
                };
                let rect = Rect::new(body.x + cx, y, w, 1);
                if self.focus == Field::Line(i, field) {
                    buf.set_style(rect, theme.cursor);
                    let input = self.input(Field::Line(i, field));
                    let at = input.map(TextInput::cursor).unwrap_or(0) as u16;
                    let len = input.map(|t| width(t.text())).unwrap_or(0) as u16;
                    let x = if columns[column].align == Align::Right {
                        rect.right()
                            .saturating_sub(len.saturating_sub(at))
                            .min(rect.right().saturating_sub(1))
                    } else if let Some(input) = input {
                        // A long text scrolls to keep the cursor in view.
                        let (shown, at) = input.view(w as usize);
                        put(
                            buf,
                            rect.x,
                            y,
                            format!("{shown:<w$}", w = w as usize),
                            w as usize,
                            theme.cursor,
                        );
                        rect.x + (at as u16).min(w.saturating_sub(1))
                    } else {
                        rect.x + at.min(w.saturating_sub(1))
                    };
                    self.caret.set(Some((x, y)));
                } else if draft.proposed == Some(field) {
                    buf.set_style(rect, theme.dim);
                }
            }
        }

        // Totals and difference, always visible.
        let (debit, credit) = self.totals();
        let difference = debit - credit;
        let status = if difference.is_zero() {
            if debit.is_zero() {
                "empty".to_string()
            } else {
                "balanced".to_string()
            }
        } else {
            format!("difference {}", amount_text(difference))
        };
        let totals_y = inner.bottom() - 1;
        let totals = vec![
            String::new(),
            "Total".to_string(),
            status,
            String::new(),
            amount_text(debit),
            amount_text(credit),
        ];
        let style = if difference.is_zero() {
            theme.total
        } else {
            theme.error
        };
        draw_row(buf, inner, totals_y, &columns, &totals, style);

        // Completion list under the account field.
        if let Field::Line(i, LineField::Account) = self.focus
            && !self.completions.is_empty()
            && i >= offset
        {
            let row_y = body.y + (i - offset) as u16;
            let rows = self.completions.len() as u16;
            let popup_width = inner.width.min(64);
            let below = row_y + 1;
            let top = if below + rows + 2 <= area.bottom() {
                below
            } else {
                row_y.saturating_sub(rows + 2).max(area.y)
            };
            let x = places
                .iter()
                .find(|(c, _, _)| *c == 1)
                .map(|(_, x, _)| body.x + x)
                .unwrap_or(body.x);
            let x = x.min(area.right().saturating_sub(popup_width));
            let popup = Rect::new(x, top, popup_width, (rows + 2).min(area.bottom() - top));
            Clear.render(popup, buf);
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border)
                .render(popup, buf);
            for (k, &at) in self.completions.iter().enumerate() {
                let yy = popup.y + 1 + k as u16;
                if yy >= popup.bottom().saturating_sub(1) {
                    break;
                }
                let style = if k == self.completion {
                    theme.cursor
                } else {
                    Style::new()
                };
                let text = format!(
                    "{:<w$}",
                    fit(&self.candidates[at].text, popup.width as usize - 2),
                    w = popup.width as usize - 2
                );
                buf.set_stringn(popup.x + 1, yy, &text, popup.width as usize - 2, style);
            }
        }

        // The tax codes the typed text starts, under the tax field: the first one is taken.
        if let Field::Line(i, LineField::Tax) = self.focus
            && i >= offset
        {
            let matches = self.tax_matches(self.lines[i].tax.text());
            let row_y = body.y + (i - offset) as u16;
            let rows = matches.len() as u16;
            let popup_width = inner.width.min(40);
            let below = row_y + 1;
            let top = if below + rows + 2 <= area.bottom() {
                below
            } else {
                row_y.saturating_sub(rows + 2).max(area.y)
            };
            let x = places
                .iter()
                .find(|(c, _, _)| *c == 3)
                .map(|(_, x, _)| body.x + x)
                .unwrap_or(body.x)
                .min(area.right().saturating_sub(popup_width));
            if rows > 0 {
                let popup = Rect::new(x, top, popup_width, (rows + 2).min(area.bottom() - top));
                Clear.render(popup, buf);
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.border)
                    .render(popup, buf);
                for (k, (code, label)) in matches.iter().enumerate() {
                    let yy = popup.y + 1 + k as u16;
                    if yy >= popup.bottom().saturating_sub(1) {
                        break;
                    }
                    let style = if k == 0 { theme.cursor } else { Style::new() };
                    let w = popup.width as usize - 2;
                    let text = format!("{:<w$}", fit(&format!("{code:<5} {label}"), w));
                    buf.set_stringn(popup.x + 1, yy, &text, w, style);
                }
            }
        }
    }

    fn handle(&mut self, action: Action, env: &Env) -> Outcome {
        match action {
            Action::NextField => {
                let target = self.next();
                let leaving = self.focus;
                let outcome = self.move_to(target, env);
                if matches!(outcome, Outcome::None) && self.focus != leaving {
                    self.dirty = true;
                }
                outcome
            }
            Action::PrevField => {
                let target = self.previous();
                match target {
                    Some(_) => self.move_to(target, env),
                    None => Outcome::None,
                }
            }
            Action::NextLine => self.vertical(true, env),
            Action::PrevLine => self.vertical(false, env),
            Action::Cancel => {
                if !self.completions.is_empty() {
                    self.completions.clear();
                    return Outcome::None;
                }
                if self.is_dirty() {
                    Outcome::Confirm(Confirm {
                        message: "Leave and drop the entry being typed?".into(),
                        yes: Command::Discard,
                    })
                } else {
                    Outcome::Back
                }
            }
            Action::SaveDraft => self.save(false, env),
            Action::SaveValidated => self.save(true, env),
            Action::DeleteLine => {
                if let Field::Line(i, _) = self.focus {
                    if self.lines.len() > 1 {
                        self.lines.remove(i);
                        let i = i.min(self.lines.len() - 1);
                        self.enter(Field::Line(i, LineField::Account));
                    } else {
                        self.lines[0] = LineDraft::default();
                        self.enter(Field::Line(0, LineField::Account));
                    }
                    self.dirty = true;
                }
                Outcome::None
            }
            edit @ (Action::LineStart
            | Action::LineEnd
            | Action::CharBack
            | Action::CharForward
            | Action::WordBack
            | Action::WordForward) => {
                let focus = self.focus;
                if let Some(input) = self.input_mut(focus) {
                    input.apply(edit);
                }
                // Moving in a field keeps its content: typing then inserts.
                self.fresh = false;
                Outcome::None
            }
            edit @ (Action::KillToEnd | Action::KillWordBack | Action::Yank) => {
                let focus = self.focus;
                let Some(input) = self.input_mut(focus) else {
                    return Outcome::None;
                };
                let before = input.text().to_string();
                input.apply(edit);
                let changed = input.text() != before;
                self.fresh = false;
                if changed {
                    self.dirty = true;
                    if let Field::Line(i, f) = focus {
                        let line = &mut self.lines[i];
                        if line.proposed == Some(f) {
                            line.proposed = None;
                        }
                        if f == LineField::Account {
                            line.party = None;
                            self.complete();
                        }
                    }
                }
                Outcome::None
            }
            Action::Park => self.park(),
            Action::LineTax => {
                let i = match self.focus {
                    Field::Line(i, _) => i,
                    Field::Header(_) => 0,
                };
                let outcome = self.move_to(Some(Field::Line(i, LineField::Tax)), env);
                if !matches!(outcome, Outcome::None) {
                    return outcome;
                }
                self.dirty = true;
                let codes: Vec<&str> = self.tax_codes.iter().map(|(c, _)| c.as_str()).collect();
                Outcome::Info(if codes.is_empty() {
                    "the settings have no tax code".to_string()
                } else {
                    format!(
                        "tax code of line {} (empty: none): {}",
                        i + 1,
                        codes.join(" ")
                    )
                })
            }
            _ => Outcome::None,
        }
    }

    fn input(&mut self, key: Key, _env: &Env) -> Outcome {
        let focus = self.focus;
        let fresh = self.fresh;
        self.fresh = false;
        let proposed = match focus {
            Field::Line(i, f) => self
                .lines
                .get(i)
                .and_then(|l| l.proposed)
                .filter(|p| *p == f),
            Field::Header(_) => None,
        };
        let Some(input) = self.input_mut(focus) else {
            return Outcome::None;
        };
        // Typing into a field just entered (or holding a proposal) replaces its content.
        if (fresh || proposed.is_some()) && (key.text().is_some() || key.code == Code::Backspace) {
            input.clear();
            if key.code == Code::Backspace {
                return Outcome::None;
            }
        }
        input.edit(key);
        self.dirty = true;
        if let Field::Line(i, f) = focus {
            let line = &mut self.lines[i];
            if f == LineField::Account {
                line.party = None;
            }
            if proposed.is_some() {
                line.proposed = None;
            }
            if matches!(f, LineField::Debit | LineField::Credit) && line.proposed.is_some() {
                // Typing an amount on one side drops the proposal on the other.
                let other = if line.proposed == Some(LineField::Debit) {
                    &mut line.debit
                } else {
                    &mut line.credit
                };
                other.clear();
                line.proposed = None;
            }
            if f == LineField::Account {
                self.complete();
            }
        }
        Outcome::None
    }

    fn saved(&mut self, saved: &Saved) -> Outcome {
        self.after_save(saved)
    }

    fn save_refused(&mut self, err: LedgerError) -> Outcome {
        match err {
            LedgerError::StaleRevision { entry, by, at, .. } => {
                // Someone else saved this draft since it was opened: never write over it.
                Outcome::Confirm(Confirm {
                    message: format!(
                        "Draft {entry} was changed by {} at {at} after you opened it: \
                         your save was refused. Reload the current version (your changes \
                         here are lost)? No keeps editing.",
                        clean(&by)
                    ),
                    yes: Command::Revert,
                })
            }
            other => Outcome::Error(other.to_string()),
        }
    }

    fn record(&self) -> Option<String> {
        self.editing.as_ref().map(|e| format!("entry:{}", e.id))
    }

    fn caret(&self) -> Option<(u16, u16)> {
        self.caret.get()
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, &'static str)> {
        vec![
            (keymap.hint(Context::Form, Action::NextField), "next"),
            (
                keymap.hint(Context::Editor, Action::SaveDraft),
                "save draft",
            ),
            (
                keymap.hint(Context::Editor, Action::SaveValidated),
                "save validated",
            ),
            (
                keymap.hint(Context::Editor, Action::DeleteLine),
                "delete line",
            ),
            (keymap.hint(Context::Editor, Action::Park), "park"),
            (keymap.hint(Context::Form, Action::Cancel), "leave"),
        ]
    }

    fn is_dirty(&self) -> bool {
        self.dirty && self.lines.iter().any(|l| !l.is_empty())
    }

    fn revert(&mut self, env: &Env) -> Outcome {
        let Some(id) = self.editing.as_ref().map(|e| e.id) else {
            return Outcome::None;
        };
        match env.ledger.entry(id) {
            Ok(entry) if !entry.is_validated() => {
                self.fill(&entry);
                Outcome::Info(format!(
                    "reloaded draft {} as saved now (revision {})",
                    entry.reference(),
                    entry.revision
                ))
            }
            Ok(entry) => Outcome::Done(format!(
                "{} was validated meanwhile: it can no longer be edited",
                entry.reference()
            )),
            Err(err) => Outcome::Done(format!("the draft cannot be read again: {err}")),
        }
    }
}
