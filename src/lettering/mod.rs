//! Lettering rules ("lettrage"): which lines of a letterable account match together, the codes
//! groups are given and when a group is complete. Pure: the ledger passes in the lines it reads
//! and stores the groups this module builds.
//!
//! - A group is a set of lines of validated entries on one letterable account and one third
//!   party. Its code is unique per account: `AA`, `AB`, … `ZZ`, `AAA`, … given in order by a
//!   per-account counter and never reused, even after the group is removed.
//! - A group whose debits equal its credits is complete (uppercase code); otherwise it is partial
//!   (the same code in lowercase) and keeps an open remainder.
//! - Lettering date: for a complete group the date it became complete, for a partial group the
//!   date it was last changed. A complete group is not extended.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::{AccountNumber, Amount, EntryId};

#[cfg(test)]
mod tests;

/// One line of one entry (the line index as the ledger stores it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LineRef {
    pub entry: EntryId,
    pub line: u32,
}

/// What the ledger knows of a line proposed for lettering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub at: LineRef,
    /// Shown in errors (e.g. `VE2026-000012/2`).
    pub name: String,
    pub account: AccountNumber,
    pub letterable: bool,
    pub party: Option<String>,
    pub validated: bool,
    pub debit: Amount,
    pub credit: Amount,
    /// The code of the group the line already belongs to, if any.
    pub lettered: Option<String>,
}

/// A line inside a group, with its amounts (kept so the group can be checked on its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupLine {
    pub at: LineRef,
    pub debit: Amount,
    pub credit: Amount,
}

/// A letter group as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub account: AccountNumber,
    pub party: String,
    /// Position of the code in the account's sequence (0 is `AA`).
    pub seq: u64,
    pub lines: Vec<GroupLine>,
    pub date: NaiveDate,
    pub user: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LetterError {
    #[error("a letter group needs at least two lines")]
    TooFewLines,
    #[error("line {0} is named twice")]
    Duplicate(String),
    #[error("line {0} belongs to an entry that is not validated")]
    NotValidated(String),
    #[error("line {name} is on account {account}, which is not letterable")]
    NotLetterable { name: String, account: String },
    #[error("line {name} is on account {found}, the group is on account {expected}")]
    MixedAccounts {
        name: String,
        expected: String,
        found: String,
    },
    #[error("line {0} has no third party")]
    NoParty(String),
    #[error("line {name} is for third party {found}, the group is for {expected}")]
    MixedParties {
        name: String,
        expected: String,
        found: String,
    },
    #[error("line {name} is already lettered ({code})")]
    AlreadyLettered { name: String, code: String },
    #[error("group {0} is complete and cannot be extended")]
    AlreadyComplete(String),
    #[error("the amounts of the group overflow")]
    Overflow,
    #[error("`{0}` is not a letter code (two or more letters, all uppercase or all lowercase)")]
    BadCode(String),
    #[error("no code after {0} on this account")]
    CodesExhausted(String),
}

/// The code at position `seq` of an account's sequence: `AA`…`ZZ` (676 codes), then `AAA`….
pub fn code_of(seq: u64) -> String {
    let mut len = 2u32;
    let mut rest = seq;
    loop {
        let block = 26u64.checked_pow(len);
        match block {
            Some(block) if rest >= block => {
                rest -= block;
                len += 1;
            }
            _ => break,
        }
    }
    let mut letters = vec![b'A'; len as usize];
    for slot in letters.iter_mut().rev() {
        // `rest % 26` is below 26, so the cast is exact.
        *slot = b'A' + (rest % 26) as u8;
        rest /= 26;
    }
    letters.into_iter().map(char::from).collect()
}

/// The code as shown: uppercase when complete, lowercase when partial.
pub fn display_code(seq: u64, complete: bool) -> String {
    let code = code_of(seq);
    if complete { code } else { code.to_lowercase() }
}

/// Position of a code in the sequence, and whether it is written as complete (uppercase).
pub fn parse_code(text: &str) -> Result<(u64, bool), LetterError> {
    let bad = || LetterError::BadCode(text.to_string());
    let upper = text.chars().all(|c| c.is_ascii_uppercase());
    let lower = text.chars().all(|c| c.is_ascii_lowercase());
    if text.len() < 2 || !(upper || lower) {
        return Err(bad());
    }
    let mut seq: u64 = 0;
    let mut offset: u64 = 0;
    for len in 2..text.len() as u32 {
        offset = 26u64
            .checked_pow(len)
            .and_then(|b| offset.checked_add(b))
            .ok_or_else(bad)?;
    }
    for c in text.to_ascii_uppercase().bytes() {
        seq = seq
            .checked_mul(26)
            .and_then(|s| s.checked_add(u64::from(c - b'A')))
            .ok_or_else(bad)?;
    }
    Ok((offset.checked_add(seq).ok_or_else(bad)?, upper))
}

/// Debits minus credits of a set of lines.
pub fn balance(lines: &[GroupLine]) -> Result<Amount, LetterError> {
    let mut total = Amount::ZERO;
    for line in lines {
        total = total
            .checked_add(line.debit)
            .and_then(|t| t.checked_sub(line.credit))
            .ok_or(LetterError::Overflow)?;
    }
    Ok(total)
}

impl Group {
    /// Debits minus credits of the group: zero when complete.
    pub fn remainder(&self) -> Amount {
        // Groups are built through `balance`, so their sum is known not to overflow; a
        // tampered group that does is shown as not balancing.
        balance(&self.lines).unwrap_or(Amount::MAX)
    }

    pub fn is_complete(&self) -> bool {
        self.remainder().is_zero()
    }

    /// The code as shown (uppercase when complete, lowercase when partial).
    pub fn code(&self) -> String {
        display_code(self.seq, self.is_complete())
    }

    pub fn contains(&self, at: LineRef) -> bool {
        self.lines.iter().any(|l| l.at == at)
    }
}

/// Checks a proposed set of lines: at least two, distinct, of validated entries, on one
/// letterable account and one third party, none lettered yet. Returns the account and party.
pub fn check_lines(lines: &[Candidate]) -> Result<(AccountNumber, String), LetterError> {
    check_new_lines(lines, None)
}

fn check_new_lines(
    lines: &[Candidate],
    into: Option<(&AccountNumber, &str)>,
) -> Result<(AccountNumber, String), LetterError> {
    if into.is_none() && lines.len() < 2 {
        return Err(LetterError::TooFewLines);
    }
    let Some(first) = lines.first() else {
        return Err(LetterError::TooFewLines);
    };
    let first_party = first
        .party
        .clone()
        .ok_or_else(|| LetterError::NoParty(first.name.clone()))?;
    let (account, party) = match into {
        Some((account, party)) => (account.clone(), party.to_string()),
        None => (first.account.clone(), first_party),
    };
    let mut seen = BTreeSet::new();
    for line in lines {
        if !seen.insert(line.at) {
            return Err(LetterError::Duplicate(line.name.clone()));
        }
        if !line.validated {
            return Err(LetterError::NotValidated(line.name.clone()));
        }
        if line.account != account {
            return Err(LetterError::MixedAccounts {
                name: line.name.clone(),
                expected: account.to_string(),
                found: line.account.to_string(),
            });
        }
        if !line.letterable {
            return Err(LetterError::NotLetterable {
                name: line.name.clone(),
                account: line.account.to_string(),
            });
        }
        match &line.party {
            None => return Err(LetterError::NoParty(line.name.clone())),
            Some(p) if *p != party => {
                return Err(LetterError::MixedParties {
                    name: line.name.clone(),
                    expected: party.clone(),
                    found: p.clone(),
                });
            }
            Some(_) => {}
        }
        if let Some(code) = &line.lettered {
            return Err(LetterError::AlreadyLettered {
                name: line.name.clone(),
                code: code.clone(),
            });
        }
    }
    Ok((account, party))
}

fn group_lines(lines: &[Candidate]) -> Vec<GroupLine> {
    lines
        .iter()
        .map(|l| GroupLine {
            at: l.at,
            debit: l.debit,
            credit: l.credit,
        })
        .collect()
}

/// The lettering of one account: its groups by code position and the counter of codes given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountLettering {
    /// Codes given so far (the next code is `code_of(next)`); never goes down.
    pub next: u64,
    pub groups: BTreeMap<u64, Group>,
}

impl AccountLettering {
    /// Letters a new group with the next code of the account; `today` is its lettering date.
    pub fn letter(
        &mut self,
        lines: &[Candidate],
        today: NaiveDate,
        user: &str,
    ) -> Result<&Group, LetterError> {
        let (account, party) = check_lines(lines)?;
        let members = group_lines(lines);
        balance(&members)?;
        let seq = self.next;
        let after = seq
            .checked_add(1)
            .ok_or_else(|| LetterError::CodesExhausted(code_of(seq)))?;
        self.next = after;
        let group = Group {
            account,
            party,
            seq,
            lines: members,
            date: today,
            user: user.to_string(),
        };
        Ok(self.groups.entry(seq).or_insert(group))
    }

    /// Adds lines to a partial group; the group's date becomes `today` (the date it was last
    /// changed, or the date it became complete).
    pub fn extend(
        &mut self,
        seq: u64,
        lines: &[Candidate],
        today: NaiveDate,
        user: &str,
    ) -> Result<&Group, LetterError> {
        let group = self
            .groups
            .get_mut(&seq)
            .ok_or_else(|| LetterError::BadCode(code_of(seq)))?;
        if group.is_complete() {
            return Err(LetterError::AlreadyComplete(group.code()));
        }
        check_new_lines(lines, Some((&group.account, &group.party)))?;
        for line in lines {
            if group.contains(line.at) {
                return Err(LetterError::AlreadyLettered {
                    name: line.name.clone(),
                    code: group.code(),
                });
            }
        }
        let mut members = group.lines.clone();
        members.extend(group_lines(lines));
        balance(&members)?;
        group.lines = members;
        group.date = today;
        group.user = user.to_string();
        Ok(group)
    }

    /// Removes a group: all its lines become open again. The counter keeps its value, so the
    /// code is never given again.
    pub fn unletter(&mut self, seq: u64) -> Result<Group, LetterError> {
        self.groups
            .remove(&seq)
            .ok_or_else(|| LetterError::BadCode(code_of(seq)))
    }

    /// The group a line belongs to.
    pub fn group_of(&self, at: LineRef) -> Option<&Group> {
        self.groups.values().find(|g| g.contains(at))
    }

    /// Whether a line is an open item: not in a complete group.
    pub fn is_open(&self, at: LineRef) -> bool {
        self.group_of(at).is_none_or(|g| !g.is_complete())
    }
}

/// A problem `folio check` reports on the stored groups of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupProblem {
    /// A group's code position is at or past the account's counter.
    CodeAfterCounter { code: String },
    /// A line appears in two groups (or twice in one).
    LineTwice { code: String, at: LineRef },
    /// A group on another account than the one it is stored under.
    WrongAccount { code: String },
    /// A group with fewer than two lines.
    TooFewLines { code: String },
}

/// Structural checks of one account's lettering (the ledger checks lines against entries).
pub fn structural_problems(account: &AccountNumber, book: &AccountLettering) -> Vec<GroupProblem> {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for (seq, group) in &book.groups {
        let code = group.code();
        if *seq >= book.next || group.seq != *seq {
            problems.push(GroupProblem::CodeAfterCounter { code: code.clone() });
        }
        if &group.account != account {
            problems.push(GroupProblem::WrongAccount { code: code.clone() });
        }
        if group.lines.len() < 2 {
            problems.push(GroupProblem::TooFewLines { code: code.clone() });
        }
        for line in &group.lines {
            if !seen.insert(line.at) {
                problems.push(GroupProblem::LineTwice {
                    code: code.clone(),
                    at: line.at,
                });
            }
        }
    }
    problems
}
