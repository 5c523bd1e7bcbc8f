//! Storage of letter groups. The rules live in `crate::lettering`; this module reads the lines
//! a command names, applies the rules inside one write transaction and keeps three tables in
//! step: the groups per (account, code position), the per-account code counter and the
//! per-line marks of `LETTERING` (what the FEC export and the ledger views read).
//!
//! Every group stored or removed here also moves its lines in the open-items index (see
//! `open_items`), in the same transaction: a write-off or an automatic lettering goes through
//! `store_group` too.

use std::collections::{BTreeMap, HashMap};

use redb::{ReadableTable, TableDefinition};

use super::codec::{decode, encode};
use super::error::{LedgerError, Result};
use super::queries::LetterMark;
use super::store::{Tx, View};
use super::tables::{Bytes, LETTERING};
use super::{Ctx, Ledger};
use crate::lettering::{
    AccountLettering, Candidate, Group, GroupLine, GroupProblem, LetterError, LineRef, code_of,
    parse_code, structural_problems,
};
use crate::model::{AccountNumber, Entry};

/// Letter groups by (account, position of the code in the account's sequence).
pub const LETTER_GROUPS: TableDefinition<(&str, u64), Bytes> =
    TableDefinition::new("letter_groups");
/// Codes given so far per account (the next code's position); never goes down.
pub const LETTER_COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("letter_counters");

/// The stored lettering of one account.
pub(super) fn load_account(tx: &Tx<'_>, account: &AccountNumber) -> Result<AccountLettering> {
    let groups = tx.txn.open_table(LETTER_GROUPS)?;
    let counters = tx.txn.open_table(LETTER_COUNTERS)?;
    let key = account.as_str();
    let mut book = AccountLettering {
        next: counters.get(key)?.map(|v| v.value()).unwrap_or(0),
        ..AccountLettering::default()
    };
    for item in groups.range((key, 0u64)..=(key, u64::MAX))? {
        let (k, v) = item?;
        book.groups
            .insert(k.value().1, decode(v.value(), "letter group")?);
    }
    Ok(book)
}

/// Stores a new or extended group, marks its lines and moves them in the open-items index.
pub(super) fn store_group(tx: &mut Tx<'_>, group: &Group, next: u64) -> Result<()> {
    let mut groups = tx.txn.open_table(LETTER_GROUPS)?;
    let mut counters = tx.txn.open_table(LETTER_COUNTERS)?;
    let key = group.account.as_str();
    groups.insert((key, group.seq), encode(group)?.as_slice())?;
    counters.insert(key, next)?;
    let mark = LetterMark {
        code: group.code(),
        date: group.date,
    };
    let bytes = encode(&mark)?;
    for line in &group.lines {
        tx.lettering
            .insert((line.at.entry, line.at.line), bytes.as_slice())?;
    }
    drop((groups, counters));
    tx.open_group_lines(group)
}

/// `VE2026-000012/2`: a line as commands name it (lines counted from 1).
pub(super) fn line_name(reference: &str, at: LineRef) -> String {
    format!("{reference}/{}", at.line.saturating_add(1))
}

pub(super) fn invalid(reason: impl Into<String>) -> LedgerError {
    LedgerError::Invalid {
        field: "lettering",
        reason: reason.into(),
    }
}

fn letter_error(err: LetterError) -> LedgerError {
    invalid(err.to_string())
}

/// The lettering of the accounts one command touches, each loaded once.
#[derive(Default)]
pub(super) struct Books {
    books: HashMap<AccountNumber, AccountLettering>,
}

impl Books {
    pub(super) fn book(
        &mut self,
        tx: &Tx<'_>,
        account: &AccountNumber,
    ) -> Result<&mut AccountLettering> {
        if !self.books.contains_key(account) {
            let book = load_account(tx, account)?;
            self.books.insert(account.clone(), book);
        }
        self.books
            .get_mut(account)
            .ok_or_else(|| LedgerError::Corrupt(format!("lettering of {account} not loaded")))
    }
}

/// Letters lines inside a command's transaction (see [`Ledger::letter`]), with an audit record.
pub(super) fn letter_lines(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    books: &mut Books,
    lines: &[LineRef],
) -> Result<Group> {
    let (group, names) = letter_lines_unaudited(tx, ctx, books, lines)?;
    let mut records: Vec<String> = lines
        .iter()
        .map(|at| format!("entry:{}", at.entry))
        .collect();
    records.dedup();
    let account = &group.account;
    records.push(format!("account:{account}"));
    tx.audit(
        ctx,
        "letter.add",
        records,
        format!(
            "lettered {} on {account} ({}): {} (group remainder {})",
            group.code(),
            group.party,
            names.join(", "),
            group.remainder().to_plain()
        ),
    )?;
    Ok(group)
}

/// [`letter_lines`] without its audit record, for a command that writes one record for many
/// groups (it must name their lines). Returns the group and the names of the lines.
pub(super) fn letter_lines_unaudited(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    books: &mut Books,
    lines: &[LineRef],
) -> Result<(Group, Vec<String>)> {
    let mut candidates = Vec::new();
    for at in lines {
        let entry = tx.entry(at.entry)?;
        candidates.push(candidate(tx, &entry, *at)?);
    }
    let Some(first) = candidates.first() else {
        return Err(letter_error(LetterError::TooFewLines));
    };
    let account = first.account.clone();
    let book = books.book(tx, &account)?;
    forget_imported_marks(tx, book, &mut candidates)?;
    let group = group_for(book, ctx, &candidates)?;
    let next = book.next;
    store_group(tx, &group, next)?;
    let names = candidates.into_iter().map(|c| c.name).collect();
    Ok((group, names))
}

/// What lettering needs to know of line `at` of `entry` (read in the command's transaction):
/// refused when the entry is in a closed year.
pub(super) fn candidate(tx: &mut Tx<'_>, entry: &Entry, at: LineRef) -> Result<Candidate> {
    let name = line_name(&entry.reference(), at);
    let line = entry.lines.get(at.line as usize).ok_or_else(|| {
        invalid(format!(
            "entry {} has no line {}",
            entry.reference(),
            at.line.saturating_add(1)
        ))
    })?;
    if let Some(year) = tx.year_of(entry.date)
        && !year.is_open()
    {
        return Err(LedgerError::YearClosed(year.name()));
    }
    let letterable = tx.account_ref(&line.account)?.letterable;
    let lettered = match tx.lettering.get((at.entry, at.line))? {
        Some(bytes) => Some(decode::<LetterMark>(bytes.value(), "lettering mark")?),
        None => None,
    };
    Ok(Candidate {
        at,
        name,
        account: line.account.clone(),
        letterable,
        party: line.third_party.clone(),
        validated: entry.is_validated(),
        debit: line.debit,
        credit: line.credit,
        lettered: lettered.map(|m| m.code),
    })
}

/// An imported FEC's code that is no letter group of `book` leaves the line open: lettering
/// it replaces the mark.
pub(super) fn forget_imported_marks(
    tx: &Tx<'_>,
    book: &AccountLettering,
    candidates: &mut [Candidate],
) -> Result<()> {
    for c in candidates.iter_mut() {
        if c.lettered.is_some()
            && book.group_of(c.at).is_none()
            && super::lettering_import::is_imported_mark(tx, c.at)?
        {
            c.lettered = None;
        }
    }
    Ok(())
}

/// The group the candidates make in `book` (which holds at least the groups some of them are
/// in): when some already belong to one partial group of their account, the others join it;
/// otherwise a new group takes the account's next code. A line lettered otherwise is refused,
/// naming who lettered it.
pub(super) fn group_for(
    book: &mut AccountLettering,
    ctx: &Ctx,
    candidates: &[Candidate],
) -> Result<Group> {
    let mut target: Option<u64> = None;
    for c in candidates {
        let Some(code) = &c.lettered else { continue };
        let group = book.group_of(c.at).filter(|g| g.account == c.account);
        match group {
            Some(g) if !g.is_complete() && target.is_none_or(|t| t == g.seq) => {
                target = Some(g.seq);
            }
            Some(g) => {
                return Err(invalid(format!(
                    "line {} is already lettered ({}) by {} on {}",
                    c.name,
                    g.code(),
                    g.user,
                    g.date
                )));
            }
            None => {
                return Err(letter_error(LetterError::AlreadyLettered {
                    name: c.name.clone(),
                    code: code.clone(),
                }));
            }
        }
    }
    let group = match target {
        Some(seq) => {
            let fresh: Vec<Candidate> = candidates
                .iter()
                .filter(|c| c.lettered.is_none())
                .cloned()
                .collect();
            if fresh.is_empty() {
                return Err(letter_error(LetterError::TooFewLines));
            }
            book.extend(seq, &fresh, ctx.today, &ctx.user)
                .map_err(letter_error)?
                .clone()
        }
        None => book
            .letter(candidates, ctx.today, &ctx.user)
            .map_err(letter_error)?
            .clone(),
    };
    Ok(group)
}

/// Takes `old` out of its letter group on `account`, `new` (a line of a validated entry on the
/// same account and party) taking its place when given: regeneration reposted `old`'s entry.
/// A group left with fewer than two lines is removed. Returns whether `old` was in a group.
pub(super) fn replace_line(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    books: &mut Books,
    account: &AccountNumber,
    old: LineRef,
    new: Option<LineRef>,
) -> Result<bool> {
    let old_entry = tx.entry(old.entry)?;
    let old_name = line_name(&old_entry.reference(), old);
    let successor = match new {
        Some(at) => {
            let entry = tx.entry(at.entry)?;
            let line = entry.lines.get(at.line as usize).ok_or_else(|| {
                invalid(format!(
                    "entry {} has no line {}",
                    entry.reference(),
                    at.line.saturating_add(1)
                ))
            })?;
            Some((
                GroupLine {
                    at,
                    debit: line.debit,
                    credit: line.credit,
                },
                line_name(&entry.reference(), at),
            ))
        }
        None => None,
    };
    let book = books.book(tx, account)?;
    let Some(mut group) = book.group_of(old).cloned() else {
        return Ok(false);
    };
    group.lines.retain(|l| l.at != old);
    if let Some((line, _)) = &successor {
        group.lines.push(*line);
    }
    group.date = ctx.today;
    group.user = ctx.user.clone();
    let next = book.next;
    let seq = group.seq;
    let alone = group.lines.len() < 2;
    if alone {
        book.groups.remove(&seq);
    }
    tx.lettering.remove((old.entry, old.line))?;
    tx.set_open_line(&old_entry, old.line, None)?;
    let detail = if alone {
        for line in &group.lines {
            tx.lettering.remove((line.at.entry, line.at.line))?;
            let entry = tx.entry(line.at.entry)?;
            tx.set_open_line(&entry, line.at.line, None)?;
        }
        tx.txn
            .open_table(LETTER_GROUPS)?
            .remove((account.as_str(), seq))?;
        format!(
            "unlettered {} on {account} ({}): {old_name} was reversed and reposted as a draft",
            group.code(),
            group.party
        )
    } else {
        book.groups.insert(seq, group.clone());
        store_group(tx, &group, next)?;
        let now = match &successor {
            Some((_, name)) => format!("{name} takes the place of {old_name}"),
            None => format!("{old_name} left it"),
        };
        format!(
            "{} on {account} ({}): {old_name} was reversed and reposted; {now} (group remainder {})",
            group.code(),
            group.party,
            group.remainder().to_plain()
        )
    };
    let mut records = vec![format!("entry:{}", old.entry)];
    if let Some((line, _)) = &successor {
        records.push(format!("entry:{}", line.at.entry));
    }
    records.push(format!("account:{account}"));
    tx.audit(ctx, "letter.follow", records, detail)?;
    Ok(true)
}

/// Removes the group at `seq` of `account` inside a command's transaction (see
/// [`Ledger::unletter`]), with an audit record; `code` names it in errors.
pub(super) fn unletter_seq(
    tx: &mut Tx<'_>,
    ctx: &Ctx,
    account: &AccountNumber,
    seq: u64,
    code: &str,
) -> Result<Group> {
    let mut book = load_account(tx, account)?;
    let group = book
        .unletter(seq)
        .map_err(|_| invalid(format!("account {account} has no letter group {code}")))?;
    let mut names = Vec::new();
    for line in &group.lines {
        let entry = tx.entry(line.at.entry)?;
        if let Some(year) = tx.year_of(entry.date)
            && !year.is_open()
        {
            return Err(LedgerError::YearClosed(year.name()));
        }
        names.push(line_name(&entry.reference(), line.at));
        tx.lettering.remove((line.at.entry, line.at.line))?;
        tx.set_open_line(&entry, line.at.line, None)?;
    }
    tx.txn
        .open_table(LETTER_GROUPS)?
        .remove((account.as_str(), seq))?;
    let mut records: Vec<String> = group
        .lines
        .iter()
        .map(|l| format!("entry:{}", l.at.entry))
        .collect();
    records.dedup();
    records.push(format!("account:{account}"));
    tx.audit(
        ctx,
        "letter.remove",
        records,
        format!(
            "unlettered {} on {account} ({}): {}",
            group.code(),
            group.party,
            names.join(", ")
        ),
    )?;
    Ok(group)
}

impl Ledger {
    /// Letters the named lines together. When some of them already belong to one partial
    /// group of their account, the others join that group; otherwise a new group takes the
    /// account's next code. The lettering date is the working date.
    pub fn letter(&self, ctx: &Ctx, lines: &[LineRef]) -> Result<Group> {
        self.write(ctx, |tx| {
            let mut books = Books::default();
            letter_lines(tx, ctx, &mut books, lines)
        })
    }

    /// Removes a letter group (by its code in either case); its lines become open again. The
    /// code is not given again on the account. Refused when a line is in a closed year.
    pub fn unletter(&self, ctx: &Ctx, account: &AccountNumber, code: &str) -> Result<Group> {
        let (seq, _) = parse_code(code).map_err(letter_error)?;
        self.write(ctx, |tx| unletter_seq(tx, ctx, account, seq, code))
    }

    /// The group a line belongs to, if any.
    pub fn group_of_line(&self, at: LineRef) -> Result<Option<Group>> {
        Ok(self
            .letter_groups(None)?
            .into_iter()
            .find(|g| g.contains(at)))
    }

    /// Stored letter groups, of one account or all, by account then code.
    pub fn letter_groups(&self, account: Option<&AccountNumber>) -> Result<Vec<Group>> {
        let view = self.read()?;
        let Some(table) = view.table_if_exists(LETTER_GROUPS)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for item in table.range::<(&str, u64)>(..)? {
            let (key, value) = item?;
            if account.is_some_and(|a| a.as_str() != key.value().0) {
                continue;
            }
            out.push(decode(value.value(), "letter group")?);
        }
        Ok(out)
    }

    /// Codes given so far on each account.
    pub fn letter_counters(&self) -> Result<Vec<(String, u64)>> {
        let view = self.read()?;
        let Some(table) = view.table_if_exists(LETTER_COUNTERS)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for item in table.range::<&str>(..)? {
            let (key, value) = item?;
            out.push((key.value().to_string(), value.value()));
        }
        Ok(out)
    }
}

/// `folio check` on the letter groups: each decodes, sits under its own account with a code
/// the counter already gave, names existing lines of validated entries on its account and
/// party with the amounts it recorded (so a complete group balances to the cent and a partial
/// one does not), and each of its lines carries the group's mark.
pub(super) fn check_groups(view: &View, add: &mut dyn FnMut(String)) -> Result<()> {
    let Some(table) = view.table_if_exists(LETTER_GROUPS)? else {
        return Ok(());
    };
    let mut counters = BTreeMap::new();
    if let Some(table) = view.table_if_exists(LETTER_COUNTERS)? {
        for item in table.range::<&str>(..)? {
            let (key, value) = item?;
            counters.insert(key.value().to_string(), value.value());
        }
    }
    let marks = view.table(LETTERING)?;
    let mut large = LargeEntries::default();
    let mut books: BTreeMap<String, AccountLettering> = BTreeMap::new();
    for item in table.range::<(&str, u64)>(..)? {
        let (key, value) = item?;
        let (account, seq) = key.value();
        let group: Group = match decode(value.value(), "letter group") {
            Ok(group) => group,
            Err(err) => {
                add(format!("account {account} group {}: {err}", code_of(seq)));
                continue;
            }
        };
        let code = group.code();
        for line in &group.lines {
            let name = format!(
                "entry #{} line {}",
                line.at.entry,
                line.at.line.saturating_add(1)
            );
            let Some(entry) = large.entry(view, line.at.entry)? else {
                add(format!("group {code} on {account}: {name} does not exist"));
                continue;
            };
            let entry = &*entry;
            let name = line_name(&entry.reference(), line.at);
            if !entry.is_validated() {
                add(format!(
                    "group {code} on {account}: {name} is a line of a draft"
                ));
            }
            match entry.lines.get(line.at.line as usize) {
                None => add(format!("group {code} on {account}: {name} does not exist")),
                Some(stored) => {
                    if stored.account.as_str() != account {
                        add(format!(
                            "group {code} on {account}: {name} is on account {}",
                            stored.account
                        ));
                    }
                    if stored.third_party.as_deref() != Some(group.party.as_str()) {
                        add(format!(
                            "group {code} on {account}: {name} is not for third party {}",
                            group.party
                        ));
                    }
                    if stored.debit != line.debit || stored.credit != line.credit {
                        add(format!(
                            "group {code} on {account}: {name} has other amounts than the group recorded"
                        ));
                    }
                }
            }
            let mark = marks
                .get((line.at.entry, line.at.line))?
                .map(|bytes| decode::<LetterMark>(bytes.value(), "lettering mark"))
                .transpose();
            match mark {
                Ok(Some(mark)) if mark.code == code && mark.date == group.date => {}
                Ok(Some(mark)) => add(format!(
                    "group {code} on {account}: {name} is marked {} on {}",
                    mark.code, mark.date
                )),
                Ok(None) => add(format!(
                    "group {code} on {account}: {name} has no lettering mark"
                )),
                Err(err) => add(format!("group {code} on {account}: {name}: {err}")),
            }
        }
        let book = books.entry(account.to_string()).or_default();
        book.next = counters.get(account).copied().unwrap_or(0);
        book.groups.insert(seq, group);
    }
    for (account, book) in &books {
        let Ok(number) = AccountNumber::parse(account) else {
            add(format!(
                "letter groups under `{account}`, not an account number"
            ));
            continue;
        };
        for problem in structural_problems(&number, book) {
            add(match problem {
                GroupProblem::CodeAfterCounter { code } => format!(
                    "group {code} on {account}: its code was not given by the account's counter"
                ),
                GroupProblem::LineTwice { code, at } => format!(
                    "group {code} on {account}: entry #{} line {} is in two groups",
                    at.entry,
                    at.line.saturating_add(1)
                ),
                GroupProblem::WrongAccount { code } => {
                    format!("group {code} is stored under account {account}, not its own")
                }
                GroupProblem::TooFewLines { code } => {
                    format!("group {code} on {account}: fewer than two lines")
                }
            });
        }
    }
    Ok(())
}

/// Entries read by `check_groups`, keeping the large ones (an opening entry carries thousands of
/// open items, each of which may be lettered) so that each is decoded once; at most
/// `KEPT_LINES` lines are kept, further entries are decoded each time.
#[derive(Default)]
struct LargeEntries {
    kept: BTreeMap<u64, std::rc::Rc<crate::model::Entry>>,
    kept_lines: usize,
}

impl LargeEntries {
    const LARGE_LINES: usize = 64;
    const KEPT_LINES: usize = 200_000;

    fn entry(&mut self, view: &View, id: u64) -> Result<Option<std::rc::Rc<crate::model::Entry>>> {
        if let Some(entry) = self.kept.get(&id) {
            return Ok(Some(std::rc::Rc::clone(entry)));
        }
        let Some(entry) = view.entry_opt(id)? else {
            return Ok(None);
        };
        let entry = std::rc::Rc::new(entry);
        let lines = entry.lines.len();
        if lines > Self::LARGE_LINES && self.kept_lines.saturating_add(lines) <= Self::KEPT_LINES {
            self.kept_lines = self.kept_lines.saturating_add(lines);
            self.kept.insert(id, std::rc::Rc::clone(&entry));
        }
        Ok(Some(entry))
    }
}
