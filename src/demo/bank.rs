//! The demo's banks: a second current account (512000 is at BNP Paribas, 512100 at the
//! Crédit Coopératif, fed by internal transfers through 580000), and the statements both banks
//! sent from January to November. The statements are the bank's side of the books as they
//! stand when the demo is built: each movement of 512000 and 512100 becomes a bank line, on a
//! business day, a day later for the company's outgoing transfers, cheque deposits and card
//! receipts; the SEPA direct debits the company collects on one day are credited as one line.
//! They are written as the banks deliver them (CFONB 120 for BNP Paribas, CAMT.053 for the
//! Crédit Coopératif), read back by the statement readers and imported like `folio bank
//! import`. January to October are reconciled by the automatic matching; November is left for
//! the reconciliation session, with four lines that need a decision: a fee not in the books,
//! a customer transfer paying two invoices, a SEPA collection of two debits, and an unknown
//! transfer.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::{DemoError, import_entries};
use crate::formats::bank::{self, AccountId, Format, Statement, StatementLine};
use crate::formats::documents_csv::{DocumentGrouper, DocumentsCsvReader};
use crate::ledger::{
    BankDetails, BankLineFilter, BookLine, Ctx, DocumentRef, Ledger, LedgerError, MarkKind,
    PaymentInput, StatementImport,
};
use crate::lettering::LineRef;
use crate::model::account::AccountNumber;
use crate::model::document::{DocumentBody, DocumentType};
use crate::model::journal::{Journal, JournalKind};
use crate::model::{Amount, Party};

/// BNP Paribas: the company's IBAN (its SEPA creditor account), statements in CFONB 120.
pub const MAIN_ACCOUNT: &str = "512000";
pub const MAIN_IBAN: &str = "FR0230004008230001234567890";
/// The Crédit Coopératif: statements in CAMT.053.
pub const SECOND_ACCOUNT: &str = "512100";
pub const SECOND_JOURNAL: &str = "BQ2";
pub const SECOND_IBAN: &str = "FR7642559100000801234560149";
/// The months whose statements are reconciled when the demo is built.
pub const RECONCILED_MONTHS: u32 = 10;
/// The score from which the months already reconciled took the best candidate: an exact
/// amount close in date scores 60 when another line of the same amount is further away (the
/// salaries, the rent, the monthly transfers), below the 80 of `bank match` by default.
const CATCH_UP_SCORE: u8 = 55;
/// The last month with a statement, which ends on the day before the demo's working day.
const LAST_MONTH: u32 = 11;
const LAST_DAY: u32 = 24;

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

fn corrupt(what: String) -> DemoError {
    LedgerError::Corrupt(what).into()
}

fn date(month: u32, day: u32) -> Result<NaiveDate, DemoError> {
    NaiveDate::from_ymd_opt(2026, month, day)
        .ok_or_else(|| corrupt(format!("demo date 2026-{month}-{day}")))
}

fn account(number: &str) -> Result<AccountNumber, DemoError> {
    AccountNumber::parse(number).map_err(|_| corrupt(format!("demo account {number}")))
}

fn last_of_month(month: u32) -> Result<NaiveDate, DemoError> {
    if month == 12 {
        return date(12, 31);
    }
    Ok(date(month + 1, 1)? - Days::new(1))
}

/// `day`, or the next business day when it falls on a weekend.
fn business_day(day: NaiveDate) -> NaiveDate {
    match day.weekday() {
        Weekday::Sat => day + Days::new(2),
        Weekday::Sun => day + Days::new(1),
        _ => day,
    }
}

/// The business day after `day`.
fn next_business_day(day: NaiveDate) -> NaiveDate {
    business_day(day + Days::new(1))
}

/// `day`, or the business day before it when it falls on a weekend.
fn business_day_before(day: NaiveDate) -> NaiveDate {
    match day.weekday() {
        Weekday::Sat => day - Days::new(1),
        Weekday::Sun => day - Days::new(2),
        _ => day,
    }
}

// ----- the second account ---------------------------------------------------------------

/// The second bank account and its journal with its bank details, and the
/// year's movements of the second account (validated with the other entries): an opening
/// transfer in January, a monthly transfer from 512000 on the 10th, a transfer back in July,
/// the card's yearly fee and the monthly account fees (November's not yet booked).
pub(super) fn add_second_account(ledger: &Ledger, ctx: &Ctx) -> Result<(), DemoError> {
    ledger.add_account(ctx, account(SECOND_ACCOUNT)?, "Banque Crédit Coopératif")?;
    ledger.add_journal_with_bank(
        ctx,
        Journal {
            code: SECOND_JOURNAL.into(),
            label: "Banque Crédit Coopératif".into(),
            kind: JournalKind::Bank,
            treasury_account: Some(account(SECOND_ACCOUNT)?),
            active: true,
        },
        Some(&BankDetails::from_iban(SECOND_IBAN)?),
    )?;
    let csv = second_account_entries()?;
    import_entries(ledger, ctx, "demo: Crédit Coopératif", &csv)
}

/// Rows of an entries CSV.
struct EntriesCsv {
    text: String,
    transfers: u32,
}

impl EntriesCsv {
    fn entry(
        &mut self,
        journal: &str,
        day: NaiveDate,
        piece: &str,
        label: &str,
        lines: &[(&str, i64)],
    ) {
        for (number, cents) in lines {
            let amount = Amount::from_cents(cents.abs()).to_plain();
            let (debit, credit) = if *cents > 0 {
                (amount, String::new())
            } else {
                (String::new(), amount)
            };
            self.text.push_str(&format!(
                "{journal},{day},{piece},{label},{number},,{debit},{credit}\n"
            ));
        }
    }

    /// An internal transfer of `cents` from 512000 to 512100 (negative: back to 512000), one
    /// entry on each bank journal through 580000.
    fn transfer(&mut self, day: NaiveDate, cents: i64) {
        self.transfers += 1;
        let piece = format!("VI-2026-{:02}", self.transfers);
        if cents > 0 {
            let label = "Virement interne vers Crédit Coopératif";
            self.entry(
                "BQ",
                day,
                &piece,
                label,
                &[("580000", cents), (MAIN_ACCOUNT, -cents)],
            );
            self.entry(
                SECOND_JOURNAL,
                day,
                &piece,
                label,
                &[(SECOND_ACCOUNT, cents), ("580000", -cents)],
            );
        } else {
            let label = "Virement interne depuis Crédit Coopératif";
            self.entry(
                SECOND_JOURNAL,
                day,
                &piece,
                label,
                &[("580000", -cents), (SECOND_ACCOUNT, cents)],
            );
            self.entry(
                "BQ",
                day,
                &piece,
                label,
                &[(MAIN_ACCOUNT, -cents), ("580000", cents)],
            );
        }
    }
}

fn second_account_entries() -> Result<String, DemoError> {
    let mut csv = EntriesCsv {
        text: String::from("journal,date,piece,label,account,third_party,debit,credit\n"),
        transfers: 0,
    };
    csv.transfer(date(1, 15)?, 500_000);
    for month in 1..=LAST_MONTH {
        if month >= 2 {
            csv.transfer(business_day(date(month, 10)?), 40_000);
        }
        if month == 3 {
            csv.entry(
                SECOND_JOURNAL,
                date(3, 4)?,
                "CC-2026-CB",
                "Cotisation annuelle carte Visa Business",
                &[("627000", 4_500), (SECOND_ACCOUNT, -4_500)],
            );
        }
        if month == 7 {
            csv.transfer(date(7, 16)?, -250_000);
        }
        if month < LAST_MONTH {
            let name = MONTHS[(month - 1) as usize];
            csv.entry(
                SECOND_JOURNAL,
                business_day_before(last_of_month(month)?),
                &format!("CC-2026-{month:02}"),
                &format!("Frais de tenue de compte {name} 2026"),
                &[("627000", 420), (SECOND_ACCOUNT, -420)],
            );
        }
    }
    Ok(csv.text)
}

// ----- November's books -----------------------------------------------------------------

/// November's sales the statements need: two invoices collected by SEPA direct debit on the
/// 20th (their payments are in the books, the bank credits them as one line) and a second
/// invoice of the Hôtel du Grand Cerf, which pays both of its invoices in one transfer the
/// books do not have yet.
pub(super) fn november_books(ledger: &Ledger, ctx: &Ctx) -> Result<(), DemoError> {
    let name = "demo: November invoices";
    let csv = "type,document,date,party,reference,item,label,quantity,unit_price,discount,tax_code\n\
        customer_invoice,F2026-0130,2026-11-18,CVERNET,,AMPOULE,Ampoule LED filament E27,24,12.90,,\n\
        customer_invoice,F2026-0130,2026-11-18,CVERNET,,PORT,Frais de port et d'expédition,1,25.00,,\n\
        customer_invoice,F2026-0131,2026-11-18,COREA,,ETUDE,Étude d'éclairage - suivi de chantier,4,85.00,,\n\
        customer_invoice,F2026-0132,2026-11-19,CGRANDCERF,,APPLIQUE,Applique murale céramique,4,155.00,,\n";
    let reader = DocumentsCsvReader::new(name, csv.as_bytes())?;
    let documents = ledger.import_documents(ctx, name, DocumentGrouper::new(name, reader), true)?;
    let collection = date(11, 20)?;
    let mut payments = Vec::new();
    for document in &documents {
        if document.party == "CGRANDCERF" {
            continue;
        }
        let summary = ledger.document(&document.display_ref())?;
        let party = ledger.party(&document.party)?;
        let mandate = party.mandate.as_ref().map_or("", |m| m.reference.as_str());
        payments.push(PaymentInput {
            doc_type: DocumentType::CustomerPayment,
            party: document.party.clone(),
            date: collection,
            amount: summary.remaining,
            method: "sepa_dd".into(),
            reference: format!("PRLV SEPA {mandate} {}", document.display_ref()),
            allocations: vec![(DocumentRef::Id(document.id), summary.remaining)],
            allocation_lines: Vec::new(),
        });
    }
    ledger.register_payments(ctx, payments.into_iter().map(|p| Ok((0, p))), None)?;
    Ok(())
}

// ----- statements -----------------------------------------------------------------------

/// A bank line with the book lines it is the bank's side of.
struct Movement {
    line: StatementLine,
    book: Vec<LineRef>,
}

/// What the bank knows of a payment: who, how, and the text that came with it.
struct PaymentInfo {
    party: String,
    method: String,
    reference: String,
    invoices: Vec<String>,
}

/// Sets the bank details of journal BQ (BNP Paribas), imports the statements of January to
/// November of both accounts, reconciles January to October with the automatic matching and
/// checks that every line of those months is reconciled with the book lines it was made from.
pub(super) fn statements(ledger: &Ledger, ctx: &Ctx) -> Result<(), DemoError> {
    ledger.set_bank_details(ctx, "BQ", Some(&BankDetails::from_iban(MAIN_IBAN)?))?;
    let parties: HashMap<String, Party> = ledger
        .parties()?
        .into_iter()
        .map(|p| (p.code.clone(), p))
        .collect();
    let payments = payment_infos(ledger)?;
    let last_day = date(LAST_MONTH, LAST_DAY)?;
    let mut months: Vec<(u32, Vec<Statement>, Vec<Statement>)> = Vec::new();
    let mut expected: HashMap<(String, NaiveDate, Amount, String), Vec<LineRef>> = HashMap::new();
    for (number, iban) in [(MAIN_ACCOUNT, MAIN_IBAN), (SECOND_ACCOUNT, SECOND_IBAN)] {
        let treasury = account(number)?;
        let book = ledger.unreconciled_book_lines(&treasury)?;
        let mut movements = movements(&book, &payments, &parties)?;
        if number == MAIN_ACCOUNT {
            movements.extend(november_extras(ledger)?);
        }
        movements.sort_by_key(|m| m.line.booking_date);
        let mut by_month: BTreeMap<u32, Vec<Movement>> = BTreeMap::new();
        for movement in movements {
            if movement.line.booking_date <= last_day {
                by_month
                    .entry(movement.line.booking_date.month())
                    .or_default()
                    .push(movement);
            }
        }
        let id = AccountId {
            iban: Some(iban.to_string()),
            rib: None,
            number: None,
        };
        let mut opening = Amount::ZERO;
        for month in 1..=LAST_MONTH {
            let mut lines = Vec::new();
            for (rank, movement) in by_month
                .remove(&month)
                .unwrap_or_default()
                .into_iter()
                .enumerate()
            {
                let mut line = movement.line;
                let day = line.booking_date;
                line.reference = Some(format!(
                    "{}{}{:04}",
                    if number == MAIN_ACCOUNT { "BNP" } else { "CCO" },
                    day.format("%y%m%d"),
                    rank + 1
                ));
                expected.insert(
                    (
                        number.to_string(),
                        day,
                        line.amount,
                        line.reference.clone().unwrap_or_default(),
                    ),
                    movement.book,
                );
                lines.push(line);
            }
            let total = Amount::checked_sum(lines.iter().map(|l| l.amount))
                .ok_or_else(|| corrupt("demo statement total".into()))?;
            let closing = opening
                .checked_add(total)
                .ok_or_else(|| corrupt("demo statement total".into()))?;
            let end = if month == LAST_MONTH {
                last_day
            } else {
                last_of_month(month)?
            };
            let start = date(month, 1)?;
            let statement = Statement {
                account: id.clone(),
                // CFONB 120 has no statement id: its reader makes one from the account and the end.
                id: format!("CCOOP-2026-{month:02}"),
                // A CFONB statement opens on the day before its first day, as banks date it.
                period: if number == MAIN_ACCOUNT {
                    (start - Days::new(1), end)
                } else {
                    (start, end)
                },
                currency: "EUR".into(),
                opening: Some(opening),
                closing: Some(closing),
                lines,
                source_line: 0,
            };
            opening = closing;
            if months.len() < month as usize {
                months.push((month, Vec::new(), Vec::new()));
            }
            let slot = &mut months[(month - 1) as usize];
            if number == MAIN_ACCOUNT {
                slot.1.push(statement);
            } else {
                slot.2.push(statement);
            }
        }
    }
    for (month, main, second) in &months {
        if *month == RECONCILED_MONTHS + 1 {
            reconcile(ledger, ctx, &expected)?;
        }
        let cfonb =
            bank::write::cfonb120(main).map_err(|err| corrupt(format!("demo statement: {err}")))?;
        import(
            ledger,
            ctx,
            &format!("bnp-512000-2026-{month:02}.txt"),
            &cfonb,
        )?;
        let created = last_of_month(*month)?
            .succ_opt()
            .and_then(|d| d.and_hms_opt(6, 0, 0))
            .ok_or_else(|| corrupt("demo statement date".into()))?;
        let camt = bank::write::camt053(second, &format!("CCOOP-2026-{month:02}"), created)
            .map_err(|err| corrupt(format!("demo statement: {err}")))?;
        import(
            ledger,
            ctx,
            &format!("ccoop-512100-2026-{month:02}.xml"),
            &camt,
        )?;
    }
    Ok(())
}

/// Reads a statement file as `folio bank import` does (format detected from the content)
/// and imports it.
fn import(ledger: &Ledger, ctx: &Ctx, name: &str, data: &[u8]) -> Result<(), DemoError> {
    let format = bank::detect(data)
        .ok_or_else(|| corrupt(format!("demo statement {name}: format not detected")))?;
    let statements = bank::parse(format, data, name, None)?;
    if !matches!(format, Format::Cfonb120 | Format::Camt053) {
        return Err(corrupt(format!(
            "demo statement {name}: read as {}",
            format.name()
        )));
    }
    ledger.import_statements(
        ctx,
        &StatementImport {
            file: name.to_string(),
            format: format.name().to_string(),
            statements,
            account: None,
            allow_gap: false,
        },
    )?;
    Ok(())
}

/// The automatic matching over the statements imported (January to October), taking the best
/// candidate from [`CATCH_UP_SCORE`] as the accountant did month after month; a line it left
/// or matched with other book lines than those it was made from is then reconciled with
/// those, so that every line of these months is reconciled with its own book lines.
fn reconcile(
    ledger: &Ledger,
    ctx: &Ctx,
    expected: &HashMap<(String, NaiveDate, Amount, String), Vec<LineRef>>,
) -> Result<(), DemoError> {
    ledger.bank_match(ctx, None, Some(CATCH_UP_SCORE), false)?;
    for line in ledger.bank_lines(&BankLineFilter::default())? {
        let key = (
            line.account.to_string(),
            line.booking_date,
            line.amount,
            line.reference.clone().unwrap_or_default(),
        );
        let wanted = expected.get(&key).cloned().ok_or_else(|| {
            corrupt(format!(
                "demo: bank line {} ({} {} {}) was made from no book line",
                line.id, line.booking_date, line.amount, line.label
            ))
        })?;
        let mark = ledger.reconciliation(line.id)?;
        let same = mark.as_ref().is_some_and(|mark| {
            let mut got = mark.book_lines.clone();
            let mut wanted = wanted.clone();
            got.sort();
            wanted.sort();
            got == wanted
        });
        if same {
            continue;
        }
        // Every line of these months is in the books: an entry posted or a payment made by
        // the matching (a rule of the settings) would count it twice.
        if let Some(mark) = &mark
            && mark.kind != MarkKind::Matched
        {
            return Err(corrupt(format!(
                "demo: bank line {} ({} {} {}) was {} by the matching, though it is in the books",
                line.id,
                line.booking_date,
                line.amount,
                line.label,
                mark.kind.name()
            )));
        }
        // Two lines of one amount close in date (two fees of a month) may have been
        // crossed: each goes to the book line it was made from.
        if mark.is_some() {
            ledger.unreconcile(ctx, line.id)?;
        }
    }
    for line in ledger.bank_lines(&BankLineFilter {
        unreconciled: true,
        ..BankLineFilter::default()
    })? {
        let key = (
            line.account.to_string(),
            line.booking_date,
            line.amount,
            line.reference.clone().unwrap_or_default(),
        );
        if let Some(wanted) = expected.get(&key) {
            ledger.reconcile(ctx, line.id, wanted)?;
        }
    }
    if let Some(line) = ledger
        .bank_lines(&BankLineFilter {
            unreconciled: true,
            ..BankLineFilter::default()
        })?
        .first()
    {
        return Err(corrupt(format!(
            "demo: bank line {} ({} {} {}) is not reconciled",
            line.id, line.booking_date, line.amount, line.label
        )));
    }
    Ok(())
}

fn payment_infos(ledger: &Ledger) -> Result<HashMap<String, PaymentInfo>, DemoError> {
    let mut numbers = HashMap::new();
    let mut out = HashMap::new();
    for summary in ledger.documents(None)? {
        numbers.insert(summary.document.id, summary.document.display_ref());
    }
    for summary in ledger.documents(None)? {
        let document = summary.document;
        let DocumentBody::Payment {
            method,
            allocations,
            ..
        } = &document.body
        else {
            continue;
        };
        out.insert(
            document.display_ref(),
            PaymentInfo {
                party: document.party.clone(),
                method: method.clone(),
                reference: document.reference.clone(),
                invoices: allocations
                    .iter()
                    .filter_map(|a| numbers.get(&a.document).cloned())
                    .collect(),
            },
        );
    }
    Ok(out)
}

/// Capitals without accents, as banks print them.
fn bank_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let plain = match c {
            'à' | 'â' | 'ä' | 'À' | 'Â' | 'Ä' => 'A',
            'ç' | 'Ç' => 'C',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'E',
            'î' | 'ï' | 'Î' | 'Ï' => 'I',
            'ô' | 'ö' | 'Ô' | 'Ö' => 'O',
            'ù' | 'û' | 'ü' | 'Ù' | 'Û' | 'Ü' => 'U',
            '\'' | '’' | '-' | '&' | '.' | ',' => ' ',
            c => c.to_ascii_uppercase(),
        };
        if plain == ' ' && out.ends_with(' ') {
            continue;
        }
        out.push(plain);
    }
    out.trim().to_string()
}

fn plain_line(day: NaiveDate, amount: Amount, label: String) -> StatementLine {
    StatementLine {
        booking_date: day,
        value_date: Some(day),
        amount,
        label,
        reference: None,
        counterparty_name: None,
        counterparty_iban: None,
        end_to_end_id: None,
        remittance: None,
        source_line: 0,
    }
}

/// The bank's side of the book lines of one treasury account.
fn movements(
    book: &[BookLine],
    payments: &HashMap<String, PaymentInfo>,
    parties: &HashMap<String, Party>,
) -> Result<Vec<Movement>, DemoError> {
    let mut out = Vec::new();
    // SEPA direct debits collected on one day: one credit for all.
    let mut collections: BTreeMap<NaiveDate, Vec<(&BookLine, &PaymentInfo)>> = BTreeMap::new();
    for line in book {
        let payment = payments.get(&line.piece);
        if let Some(info) = payment
            && info.method == "sepa_dd"
            && line.amount.is_positive()
        {
            collections.entry(line.date).or_default().push((line, info));
            continue;
        }
        out.push(Movement {
            line: bank_line(line, payment, parties),
            book: vec![line.at],
        });
    }
    for (day, debits) in collections {
        let total = Amount::checked_sum(debits.iter().map(|(l, _)| l.amount))
            .ok_or_else(|| corrupt("demo SEPA collection total".into()))?;
        let mut line = plain_line(
            business_day(day),
            total,
            format!("REMISE PRLV SEPA {} OPE", debits.len()),
        );
        line.end_to_end_id = Some(format!("SDD-{}", day.format("%Y%m%d")));
        line.remittance = Some(
            debits
                .iter()
                .map(|(_, info)| {
                    let mandate = parties
                        .get(&info.party)
                        .and_then(|p| p.mandate.as_ref())
                        .map_or(String::new(), |m| format!("{} ", m.reference));
                    format!("{mandate}{}", info.invoices.join(" "))
                })
                .collect::<Vec<_>>()
                .join(" / "),
        );
        out.push(Movement {
            line,
            book: debits.iter().map(|(l, _)| l.at).collect(),
        });
    }
    Ok(out)
}

/// One book line as the bank shows it.
fn bank_line(
    book: &BookLine,
    payment: Option<&PaymentInfo>,
    parties: &HashMap<String, Party>,
) -> StatementLine {
    let money_in = book.amount.is_positive();
    let Some(info) = payment else {
        // Typed entries: the company's own transfers (salaries, taxes, internal transfers),
        // direct debits of social bodies, bank fees, cheque deposits.
        let label = bank_text(&book.label);
        let deposit = label.starts_with("REMISE");
        let transfer_out = !money_in && label.starts_with("VIREMENT") && !label.contains("INTERNE");
        let day = if deposit || transfer_out {
            next_business_day(book.date)
        } else {
            business_day(book.date)
        };
        let mut line = plain_line(day, book.amount, label);
        if transfer_out {
            line.end_to_end_id = Some(book.piece.clone());
        }
        return line;
    };
    let party = parties.get(&info.party);
    let name = party.map_or_else(|| info.party.clone(), |p| bank_text(&p.name));
    let (prefix, day) = match (info.method.as_str(), money_in) {
        ("sepa_dd", _) => ("PRLV SEPA", business_day(book.date)),
        ("card", true) => ("REMISE CB", next_business_day(book.date)),
        ("card", false) => ("CB", business_day(book.date)),
        (_, true) => ("VIR SEPA RECU", business_day(book.date)),
        (_, false) => ("VIR SEPA EMIS", next_business_day(book.date)),
    };
    let mut line = plain_line(day, book.amount, format!("{prefix} {name}"));
    // The company's own transfers carry its payment number as end-to-end id.
    if prefix == "VIR SEPA EMIS" {
        line.end_to_end_id = Some(book.piece.clone());
    }
    line.counterparty_name = party.map(|p| p.name.clone());
    line.counterparty_iban = party.and_then(|p| p.iban.clone());
    line.remittance = Some(info.reference.clone()).filter(|r| !r.is_empty());
    line
}

/// November's lines the books do not have: a fee, the Hôtel du Grand Cerf paying its two
/// open invoices in one transfer, and a transfer from someone unknown.
fn november_extras(ledger: &Ledger) -> Result<Vec<Movement>, DemoError> {
    let mut out = Vec::new();
    let mut fee = plain_line(
        date(11, 17)?,
        Amount::from_cents(-1_250),
        "COMMISSION INTERVENTION".into(),
    );
    fee.remittance = Some("FRAIS SUR OPERATION DU 13/11".into());
    out.push(Movement {
        line: fee,
        book: Vec::new(),
    });
    let party = ledger.party("CGRANDCERF")?;
    let mut invoices: Vec<(NaiveDate, String, Amount)> = ledger
        .documents(Some(DocumentType::CustomerInvoice))?
        .into_iter()
        .filter(|s| s.document.party == party.code && s.remaining.is_positive())
        .map(|s| (s.document.date, s.document.display_ref(), s.remaining))
        .collect();
    invoices.sort();
    let total = Amount::checked_sum(invoices.iter().map(|(_, _, a)| *a))
        .ok_or_else(|| corrupt("demo transfer total".into()))?;
    if invoices.len() < 2 {
        return Err(corrupt(format!(
            "demo: {} has {} open invoices, the November transfer pays two",
            party.code,
            invoices.len()
        )));
    }
    let mut transfer = plain_line(
        date(11, 23)?,
        total,
        format!("VIR SEPA RECU {}", bank_text(&party.name)),
    );
    transfer.counterparty_name = Some(party.name.clone());
    transfer.counterparty_iban = party.iban.clone();
    transfer.remittance = Some(format!(
        "REGLEMENT FACTURES {}",
        invoices
            .iter()
            .map(|(_, number, _)| number.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    ));
    out.push(Movement {
        line: transfer,
        book: Vec::new(),
    });
    let mut unknown = plain_line(
        date(11, 24)?,
        Amount::from_cents(25_000),
        "VIR SEPA RECU M OU MME BERTIN".into(),
    );
    unknown.counterparty_name = Some("M OU MME BERTIN CLAUDE".into());
    unknown.remittance = Some("REGLEMENT".into());
    out.push(Movement {
        line: unknown,
        book: Vec::new(),
    });
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn bank_days_skip_weekends() {
        // 2026-10-31 is a Saturday.
        assert_eq!(business_day(date(10, 31).unwrap()), date(11, 2).unwrap());
        assert_eq!(
            next_business_day(date(10, 30).unwrap()),
            date(11, 2).unwrap()
        );
        assert_eq!(
            business_day_before(date(10, 31).unwrap()),
            date(10, 30).unwrap()
        );
        assert_eq!(business_day(date(11, 3).unwrap()), date(11, 3).unwrap());
    }

    #[test]
    fn banks_print_capitals_without_accents() {
        assert_eq!(
            bank_text("Règlement Hôtel du Grand-Cerf & Fils, d’Épinal"),
            "REGLEMENT HOTEL DU GRAND CERF FILS D EPINAL"
        );
    }

    #[test]
    fn the_second_accounts_entries_balance_and_its_transfers_cancel_on_580000() {
        let csv = second_account_entries().unwrap();
        let mut per_entry: BTreeMap<(String, String, String), i64> = BTreeMap::new();
        let mut internal = 0i64;
        for row in csv.lines().skip(1) {
            let fields: Vec<&str> = row.split(',').collect();
            let cents = |text: &str| -> i64 {
                if text.is_empty() {
                    0
                } else {
                    Amount::parse(text).unwrap().cents()
                }
            };
            let signed = cents(fields[6]) - cents(fields[7]);
            let key = (fields[0].into(), fields[1].into(), fields[2].into());
            *per_entry.entry(key).or_default() += signed;
            if fields[4] == "580000" {
                internal += signed;
            }
        }
        assert!(per_entry.values().all(|total| *total == 0), "{per_entry:?}");
        assert_eq!(internal, 0);
        assert!(csv.contains("BQ2,2026-03-04,CC-2026-CB,"), "{csv}");
    }
}
