//! Long commands that report progress and can be cancelled.
//!
//! Each is still one write transaction: cancelling before the commit leaves the ledger as it
//! was, and no number is consumed.

use super::commands::{Selection, summarize};
use super::error::{LedgerError, Result};
use super::{Ctx, Ledger};
use crate::model::Entry;

/// How far a long command has gone; the callback returns `false` to cancel it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

impl Ledger {
    /// `validate`, reporting progress after each entry (and before the first one). When
    /// `progress` returns `false`, nothing is written and `LedgerError::Cancelled` is returned.
    pub fn validate_with_progress(
        &self,
        ctx: &Ctx,
        selection: &Selection,
        progress: &mut dyn FnMut(Progress) -> bool,
    ) -> Result<Vec<Entry>> {
        self.write(ctx, |tx| {
            let mut entries = Vec::new();
            match selection {
                Selection::Entries(ids) => {
                    for id in ids {
                        let entry = tx.entry(*id)?;
                        if entry.is_validated() {
                            return Err(LedgerError::EntryValidated(entry.reference()));
                        }
                        entries.push(entry);
                    }
                }
                Selection::Until { date, journal } => {
                    for id in tx.draft_ids()? {
                        let entry = tx.entry(id)?;
                        let journal_matches = journal.as_ref().is_none_or(|j| *j == entry.journal);
                        if entry.date <= *date && journal_matches {
                            entries.push(entry);
                        }
                    }
                }
            }
            entries.sort_by_key(|e| (e.date, e.id));
            entries.dedup_by_key(|e| e.id);
            let total = entries.len();
            if !progress(Progress { done: 0, total }) {
                return Err(LedgerError::Cancelled);
            }
            for (i, entry) in entries.iter_mut().enumerate() {
                tx.validate_entry(entry, ctx.today)?;
                if !progress(Progress { done: i + 1, total }) {
                    return Err(LedgerError::Cancelled);
                }
            }
            let records = entries.iter().map(|e| format!("entry:{}", e.id)).collect();
            let numbers: Vec<String> = entries.iter().map(Entry::reference).collect();
            tx.audit(
                ctx,
                "entry.validate",
                records,
                format!(
                    "validated {} entries: {}",
                    entries.len(),
                    summarize(&numbers)
                ),
            )?;
            Ok(entries)
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::ledger::InitParams;
    use crate::model::{AccountNumber, Amount, Company, EntryInput, Line};

    fn setup(dir: &tempfile::TempDir) -> (Ledger, Ctx) {
        let now = NaiveDate::from_ymd_opt(2026, 3, 31)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        let ctx = Ctx::fixed("test", now);
        let acc = |n: &str| AccountNumber::parse(n).unwrap();
        let params = InitParams {
            company: Company {
                name: "Test".into(),
                siren: "732829320".into(),
            },
            first_year_start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            first_year_months: 12,
            chart: ["512", "530", "706"]
                .iter()
                .map(|n| (acc(n), n.to_string()))
                .collect(),
            settings: None,
        };
        let ledger = Ledger::create(&dir.path().join("t.ledger"), &params, &ctx).unwrap();
        for day in 1..=5 {
            let input = EntryInput {
                journal: "VE".into(),
                date: NaiveDate::from_ymd_opt(2026, 3, day).unwrap(),
                piece: format!("F{day}"),
                label: "Vente".into(),
                lines: vec![
                    Line::debit(acc("512"), Amount::from_cents(100)),
                    Line::credit(acc("706"), Amount::from_cents(100)),
                ],
            };
            ledger.add_entry(&ctx, &input).unwrap();
        }
        (ledger, ctx)
    }

    #[test]
    fn cancelling_writes_nothing_and_finishing_numbers_all() {
        let dir = tempfile::tempdir().unwrap();
        let (ledger, ctx) = setup(&dir);
        let until = Selection::Until {
            date: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
            journal: None,
        };
        let counter = ledger.change_counter().unwrap();
        let result = ledger.validate_with_progress(&ctx, &until, &mut |p| p.done < 3);
        assert!(matches!(result, Err(LedgerError::Cancelled)));
        assert_eq!(ledger.draft_count().unwrap(), 5);
        assert_eq!(ledger.change_counter().unwrap(), counter);

        let mut seen = Vec::new();
        let validated = ledger
            .validate_with_progress(&ctx, &until, &mut |p| {
                seen.push(p);
                true
            })
            .unwrap();
        assert_eq!(validated.len(), 5);
        assert_eq!(seen.last(), Some(&Progress { done: 5, total: 5 }));
        assert_eq!(ledger.draft_count().unwrap(), 0);
        assert_eq!(validated[4].reference(), "VE2026-000005");
    }
}
