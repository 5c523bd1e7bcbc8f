//! The command line: clap definitions and one handler per command.

mod bank;
mod bank_match;
mod commands;
mod company;
mod documents;
mod fec_import;
mod files;
mod interactive;
mod lettering;
mod output;
mod reports;
mod sepa;
mod setup;
mod statements;
mod vat;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use output::Format;

/// Default ledger file when neither `--ledger` nor `FOLIO_LEDGER` is given.
pub const DEFAULT_LEDGER: &str = "folio.ledger";

#[derive(Debug, Parser)]
#[command(
    name = "folio",
    version,
    about = "Double-entry bookkeeping for French accounting practice",
    after_help = "Without a command, folio opens the full-screen interface on --ledger \
                  (`folio demo` opens it on the demo company)."
)]
pub struct Cli {
    /// Ledger file (one company per file).
    #[arg(
        long,
        global = true,
        env = "FOLIO_LEDGER",
        hide_env_values = true,
        default_value = DEFAULT_LEDGER
    )]
    pub ledger: PathBuf,
    /// Keymap file layered over the default one and ~/.config/folio/keymap.toml (or a shipped
    /// preset by name: `emacs`).
    #[arg(long, global = true, value_name = "PATH")]
    pub keymap: Option<PathBuf>,
    /// Without a command, Folio opens the full-screen interface on the ledger.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new ledger: company, first fiscal year, PCG chart, default journals.
    Init(InitArgs),
    /// Build the demo company in a fresh ledger (a temporary file when no path is given) and
    /// open it in the full-screen interface (on a terminal; otherwise print its trial balance).
    Demo {
        /// Where to create the demo ledger.
        path: Option<PathBuf>,
    },
    /// List, add, edit or import accounts of the chart.
    Accounts {
        #[command(subcommand)]
        action: Option<AccountsAction>,
        #[arg(long, global = true, value_enum, default_value_t)]
        format: Format,
    },
    /// List, add or edit journals.
    Journals {
        #[command(subcommand)]
        action: Option<JournalsAction>,
        #[arg(long, global = true, value_enum, default_value_t)]
        format: Format,
    },
    /// List, add, edit or import third parties (customers and suppliers).
    Parties {
        #[command(subcommand)]
        action: Option<PartiesAction>,
        #[arg(long, global = true, value_enum, default_value_t)]
        format: Format,
        /// With the listing: add the columns `parties import` reads beyond it (tax_position,
        /// terms, method, iban, mandate, mandate_date).
        #[arg(long, global = true)]
        details: bool,
    },
    /// The company's name and profile: VAT periodicity and option, SEPA creditor details.
    Company {
        #[command(subcommand)]
        action: company::CompanyAction,
    },
    /// SEPA direct debits: collect due invoices into a pain.008 file, reject a debit, list
    /// mandates.
    Sepa {
        #[command(subcommand)]
        action: sepa::SepaAction,
    },
    /// Add, edit, delete or show one entry.
    Entry {
        #[command(subcommand)]
        action: EntryAction,
    },
    /// Import entries (Folio CSV) or a FEC.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Validate drafts: give them their number; they can no longer change.
    Validate(ValidateArgs),
    /// Reverse a validated entry with a new entry on the other side.
    Reverse {
        /// Entry number (VE2026-000012) or id (#42).
        entry: String,
        /// Date of the reversal (default: today).
        #[arg(long)]
        date: Option<String>,
    },
    /// Lock or unlock a monthly period.
    Period {
        #[command(subcommand)]
        action: PeriodAction,
    },
    /// List, open or close fiscal years.
    Year {
        #[command(subcommand)]
        action: YearAction,
    },
    /// Trial balance, general ledger of an account or a third party, journal.
    Report {
        #[command(subcommand)]
        report: ReportKind,
    },
    /// Bank statements: import, list, reconcile bank lines with the books, post them.
    Bank {
        #[command(subcommand)]
        action: bank::BankAction,
    },
    /// VAT returns (CA3): the worksheet of a period, a box's lines, settlement, filing.
    Vat {
        #[command(subcommand)]
        action: vat::VatAction,
    },
    /// Letter lines of customer and supplier accounts together, remove or list groups.
    Letter {
        #[command(subcommand)]
        action: lettering::LetterAction,
    },
    /// Export the legal FEC of a fiscal year, or an hledger journal.
    Export {
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// Verify the ledger: totals against lines, balanced entries, numbering, the entry chain,
    /// the audit chain, the stored FECs of closed years, and every stored value's checksum.
    Check {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// Print the entry chain's head (`SEQ:HASH`) once the check passes, to record it
        /// outside the file.
        #[arg(long)]
        print_head: bool,
        /// Also verify that the entry chain still holds a head recorded earlier.
        #[arg(long, value_name = "SEQ:HASH")]
        expect_head: Option<String>,
    },
    /// Invoices and credit notes: add, import, list, show, validate.
    Doc {
        #[command(subcommand)]
        action: DocAction,
    },
    /// Payments and refunds: add, import, allocate, edit, list.
    Pay {
        #[command(subcommand)]
        action: PayAction,
    },
    /// The catalog: items with family, unit and default taxes.
    Items {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Tax codes with their rates and accounts, and tax positions.
    Taxes {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Why each line of a generated entry went to its account.
    Why {
        /// Entry number (VE2026-000012), id (#42) or document (FA2026-00001).
        entry: String,
    },
    /// Replay the posting engine over documents of open fiscal years.
    Regenerate {
        #[arg(long)]
        year: Option<String>,
        /// One document (number or D<id>).
        #[arg(long)]
        document: Option<String>,
    },
    /// Export or load the posting settings (TOML).
    Settings {
        #[command(subcommand)]
        action: SettingsAction,
    },
    /// Check a keymap file, or show the effective keymap.
    Keymap {
        #[command(subcommand)]
        action: KeymapAction,
    },
    /// Audit history of a record: an entry (VE2026-000001, #42), account:512000, journal:VE,
    /// party:CODE, year:2026, company; `all` for the latest records.
    Log {
        record: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum DocAction {
    /// Record an invoice or credit note (a draft, or validated with --validate).
    Add {
        /// customer_invoice, customer_credit_note, supplier_invoice, supplier_credit_note.
        #[arg(long = "type")]
        doc_type: String,
        #[arg(long)]
        party: String,
        #[arg(long)]
        date: String,
        /// The party's own reference (their invoice number).
        #[arg(long, default_value = "")]
        reference: String,
        /// A line: ITEM;LABEL;QUANTITY;UNIT_PRICE[;DISCOUNT%[;TAX_CODE]] (repeatable; ITEM or
        /// LABEL may be empty).
        #[arg(long, required = true)]
        line: Vec<String>,
        #[arg(long)]
        validate: bool,
    },
    /// Import the documents CSV.
    Import {
        file: PathBuf,
        #[arg(long)]
        validate: bool,
    },
    /// Documents with total, paid and due amounts and status.
    List {
        #[arg(long = "type")]
        doc_type: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// A document with its lines, its entry and why each account was chosen.
    Show {
        document: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Validate drafts: number them and post their entries.
    Validate { documents: Vec<String> },
    /// Set a credit note off against invoices of its party: INVOICE=AMOUNT...
    Allocate {
        credit_note: String,
        #[arg(required = true)]
        allocations: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PayAction {
    /// Register a payment or refund; its date, party, amount and method are then frozen.
    Add {
        /// customer_payment, supplier_payment, customer_refund, supplier_refund.
        #[arg(long = "type")]
        doc_type: String,
        #[arg(long)]
        party: String,
        #[arg(long)]
        date: String,
        #[arg(long)]
        amount: String,
        /// Payment method (transfer, cheque, card, cash, sepa_dd…); default: the party's.
        #[arg(long)]
        method: Option<String>,
        #[arg(long, default_value = "")]
        reference: String,
        /// DOCUMENT=AMOUNT: number, D<id> or the party's reference (repeatable).
        #[arg(long)]
        allocate: Vec<String>,
    },
    /// Import the payments CSV.
    Import { file: PathBuf },
    /// Allocate a registered payment or refund to more documents (an amount adds to an
    /// existing allocation): DOCUMENT=AMOUNT...
    Allocate {
        payment: String,
        #[arg(required = true)]
        allocations: Vec<String>,
    },
    /// Remove the allocation of a payment or refund to one document (or the set-off of a
    /// credit note against one invoice).
    Unallocate { payment: String, document: String },
    /// Cancel a registered payment or refund (a returned cheque, a rejected debit): its
    /// entry is reversed, what it paid is due again.
    Cancel {
        payment: String,
        /// Date of the cancelling entry (default: today).
        #[arg(long)]
        date: Option<String>,
        /// Why (written in the reversal's label and the audit log).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Change a payment's reference (date, party, amount and method are frozen).
    Edit {
        payment: String,
        #[arg(long)]
        reference: Option<String>,
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        party: Option<String>,
        #[arg(long)]
        amount: Option<String>,
        #[arg(long)]
        method: Option<String>,
    },
    /// Payments and refunds with their unallocated amount.
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum SettingsAction {
    /// Write the current settings as TOML (standard output, or --out FILE: written whole
    /// through a temporary file, never through a symbolic link).
    Export {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Replace the settings with a TOML file (validated as a whole).
    Load { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum KeymapAction {
    /// Validate a keymap file (layered over the default keymap).
    Check { file: PathBuf },
    /// Print the effective keymap: default, ~/.config/folio/keymap.toml, then --keymap.
    Show,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Company name.
    #[arg(long)]
    pub name: String,
    /// SIREN (9 digits).
    #[arg(long)]
    pub siren: String,
    /// First day of the first fiscal year (a first of month).
    #[arg(long)]
    pub start: String,
    /// Length of the first fiscal year in months (1 to 23).
    #[arg(long, default_value_t = 12)]
    pub months: u32,
    /// A chart of accounts CSV (`number,label`) instead of the embedded PCG.
    #[arg(long)]
    pub chart: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum AccountsAction {
    /// List the chart with balances.
    List,
    /// Add an account.
    Add { number: String, label: String },
    /// Edit an account's label or flags.
    Edit {
        number: String,
        #[arg(long)]
        label: Option<String>,
        #[arg(long)]
        active: Option<bool>,
        #[arg(long)]
        letterable: Option<bool>,
        #[arg(long)]
        reconcilable: Option<bool>,
        #[arg(long)]
        third_party_required: Option<bool>,
    },
    /// Add the accounts of a CSV file with the columns of `accounts --format csv` (number and
    /// label required); all or nothing.
    Import {
        file: PathBuf,
        /// Change existing accounts whose label or flags differ (otherwise refused).
        #[arg(long)]
        update: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum JournalsAction {
    List,
    /// Add a journal.
    Add {
        code: String,
        label: String,
        /// sales, purchases, bank, cash, miscellaneous or opening.
        #[arg(long)]
        kind: String,
        /// Treasury account of a bank or cash journal.
        #[arg(long)]
        treasury: Option<String>,
        /// IBAN of the bank account (checked): statements of this account go to the journal's
        /// treasury account. A French IBAN also gives the RIB that CFONB files use.
        #[arg(long)]
        iban: Option<String>,
        /// French RIB `BANK BRANCH ACCOUNT [KEY]` when there is no IBAN.
        #[arg(long, conflicts_with = "iban")]
        rib: Option<String>,
        /// Another account number, as the statements write it, when there is neither IBAN nor
        /// RIB: the card number of an OFX credit-card statement (`CCACCTFROM/ACCTID`, often
        /// masked, e.g. `4974XXXXXXXX1234`), an MT940 `:25:` account that is no IBAN.
        #[arg(long, conflicts_with_all = ["iban", "rib"])]
        number: Option<String>,
    },
    Edit {
        code: String,
        #[arg(long)]
        label: Option<String>,
        #[arg(long)]
        active: Option<bool>,
        #[arg(long)]
        treasury: Option<String>,
        /// sales, purchases, bank, cash, miscellaneous or opening (bank and cash need a
        /// treasury account).
        #[arg(long)]
        kind: Option<String>,
        /// IBAN of the bank account (checked); `--iban ""` removes the bank details.
        #[arg(long)]
        iban: Option<String>,
        /// French RIB `BANK BRANCH ACCOUNT [KEY]` when there is no IBAN.
        #[arg(long, conflicts_with = "iban")]
        rib: Option<String>,
        /// Another account number as the statements write it (a card number of an OFX
        /// credit-card statement, an MT940 `:25:` that is no IBAN); `--number ""` removes the
        /// bank details.
        #[arg(long, conflicts_with_all = ["iban", "rib"])]
        number: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PartiesAction {
    List,
    /// Add a customer or supplier.
    Add {
        code: String,
        name: String,
        /// customer or supplier.
        #[arg(long)]
        kind: String,
        /// Collective account (default 411000 for customers, 401000 for suppliers).
        #[arg(long)]
        account: Option<String>,
        /// Auxiliary account number shown in the FEC (default: the code).
        #[arg(long)]
        aux: Option<String>,
        #[command(flatten)]
        details: PartyDetails,
    },
    Edit {
        code: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        active: Option<bool>,
        #[command(flatten)]
        details: PartyDetails,
    },
    /// Add the third parties of a CSV file with the columns of `parties --format csv
    /// --details` (code, name and kind required); all or nothing.
    Import {
        file: PathBuf,
        /// Change existing parties whose details differ (otherwise refused).
        #[arg(long)]
        update: bool,
    },
}

/// Fiscal and payment details of a third party.
#[derive(Debug, Args)]
pub struct PartyDetails {
    /// Tax position code of the settings (EU_CUSTOMER, EU_SUPPLIER, EXPORT); "" for France.
    #[arg(long)]
    pub tax_position: Option<String>,
    /// Payment terms in days.
    #[arg(long)]
    pub terms: Option<u32>,
    /// Default payment method (transfer, cheque, card, cash, sepa_dd…; `sepa` is sepa_dd,
    /// SEPA direct debit).
    #[arg(long, visible_alias = "payment-method")]
    pub method: Option<String>,
    #[arg(long)]
    pub iban: Option<String>,
    /// The debtor's BIC for SEPA direct debits (optional; "" clears it).
    #[arg(long)]
    pub bic: Option<String>,
    /// SEPA mandate reference (with --mandate-date).
    #[arg(long, requires = "mandate_date")]
    pub mandate: Option<String>,
    /// SEPA mandate signature date.
    #[arg(long, requires = "mandate")]
    pub mandate_date: Option<String>,
}

#[derive(Debug, Args)]
pub struct EntryFields {
    #[arg(long, short = 'j')]
    pub journal: Option<String>,
    /// YYYY-MM-DD or DD/MM/YYYY.
    #[arg(long, short = 'd')]
    pub date: Option<String>,
    #[arg(long, short = 'p')]
    pub piece: Option<String>,
    #[arg(long, short = 'l')]
    pub label: Option<String>,
    /// A debit line: ACCOUNT[@PARTY]=AMOUNT[:LABEL][#TAX] (repeatable; #TAX tags the line
    /// with a tax code for the VAT return).
    #[arg(long)]
    pub debit: Vec<String>,
    /// A credit line: ACCOUNT[@PARTY]=AMOUNT[:LABEL][#TAX] (repeatable).
    #[arg(long)]
    pub credit: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum EntryAction {
    /// Record a draft entry (or validate it at once with --validate).
    Add {
        #[command(flatten)]
        fields: EntryFields,
        #[arg(long)]
        validate: bool,
    },
    /// Change a draft; lines given replace all lines.
    Edit {
        entry: String,
        #[command(flatten)]
        fields: EntryFields,
        /// Refuse the edit unless the draft is still at this revision (`entry show` prints
        /// it): a script never overwrites a change made since it read the draft.
        #[arg(long)]
        revision: Option<u64>,
    },
    /// Delete a draft.
    Delete { entry: String },
    /// Show an entry with its lines.
    Show {
        entry: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportWhat {
    /// Folio entries CSV: journal,date,piece,label,account,third_party,debit,credit.
    Entries {
        file: PathBuf,
        /// Validate the imported entries (default: drafts).
        #[arg(long)]
        validate: bool,
        /// Accept pieces that already exist in their journal.
        #[arg(long)]
        allow_existing_pieces: bool,
        /// Create the unknown third parties of 411/401 lines (customers on 411…, suppliers on
        /// 401…, named by their code, on the line's account).
        #[arg(long)]
        create_parties: bool,
    },
    /// A FEC from another software (tab or | separated, UTF-8 or ISO-8859-15), read as the
    /// administration's checker reads it; prints what it did and every tolerance applied.
    Fec {
        file: PathBuf,
        /// Accept pieces that already exist in their journal.
        #[arg(long)]
        allow_existing_pieces: bool,
        /// Whose label wins when an existing account, journal or third party is named
        /// otherwise in the file.
        #[arg(long, value_enum, default_value_t = Labels::File)]
        labels: Labels,
        /// Print the same summary without writing anything.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Labels {
    /// The file's labels replace the ledger's (a migration into a new ledger).
    File,
    /// The ledger's labels stay; the file's are only reported.
    Ledger,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Entries to validate (ids like 42 or #42).
    pub entries: Vec<String>,
    /// Validate every draft of this journal (with --until or --all).
    #[arg(long)]
    pub journal: Option<String>,
    /// Validate every draft dated up to this date.
    #[arg(long)]
    pub until: Option<String>,
    /// Validate every draft.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Subcommand)]
pub enum PeriodAction {
    /// Lock a month (YYYY-MM): it accepts no entry afterwards.
    Lock { period: String },
    /// Unlock a month of an open fiscal year.
    Unlock { period: String },
}

#[derive(Debug, Subcommand)]
pub enum YearAction {
    /// List fiscal years and their periods.
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Open the fiscal year after the last one.
    Open {
        #[arg(long, default_value_t = 12)]
        months: u32,
    },
    /// Close a fiscal year (default: the earliest open one): result to 120/129, opening
    /// entries in AN of the next year.
    Close { year: Option<String> },
}

#[derive(Debug, Args)]
pub struct RangeArgs {
    /// First day (default: start of the fiscal year containing --to, or of the first year).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day (default: end of the last fiscal year).
    #[arg(long)]
    pub to: Option<String>,
    /// A whole fiscal year by name (2026) instead of --from/--to.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub year: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ReportKind {
    /// Trial balance: per account debit, credit, balance; subtotals by class.
    Balance {
        #[command(flatten)]
        range: RangeArgs,
        /// Leave drafts out: validated entries only.
        #[arg(long)]
        validated_only: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// General ledger of one account, with running balance.
    Ledger {
        account: String,
        #[command(flatten)]
        range: RangeArgs,
        /// Leave drafts out: validated entries only.
        #[arg(long)]
        validated_only: bool,
        /// Page number (from 1).
        #[arg(long, default_value_t = 1)]
        page: usize,
        /// Lines per page (0: all).
        #[arg(long, default_value_t = 0)]
        page_size: usize,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Ledger of one third party, with running balance.
    Party {
        code: String,
        #[command(flatten)]
        range: RangeArgs,
        /// Leave drafts out: validated entries only.
        #[arg(long)]
        validated_only: bool,
        /// Only the open items (lines of letterable accounts not in a complete letter group),
        /// dated up to the end of the range, with the running open balance.
        #[arg(long, conflicts_with = "validated_only")]
        open: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Aged balance of customers or suppliers at a date, per third party, from open items.
    #[command(group = clap::ArgGroup::new("side").required(true).multiple(false))]
    Aged {
        /// Customers: letterable 41… accounts (a debit balance reads positive).
        #[arg(long, group = "side")]
        customers: bool,
        /// Suppliers: letterable 40… accounts (a credit balance reads positive).
        #[arg(long, group = "side")]
        suppliers: bool,
        /// The date the items are aged at (default: today).
        #[arg(long)]
        at: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Balance sheet (bilan, actif / passif) of a fiscal year in the PCG layout, with the year
    /// before beside it.
    BalanceSheet(StatementArgs),
    /// Income statement (compte de résultat, charges / produits) of a fiscal year in the PCG
    /// layout, with the year before beside it.
    Income(StatementArgs),
    /// Bank reconciliation statement ("état de rapprochement") of a treasury account at a
    /// date: book balance, bank balance of the last statement, book lines not on the bank,
    /// bank lines not in the books, and the difference left unexplained (zero to the cent).
    Bank {
        #[arg(long)]
        account: String,
        /// Default: today.
        #[arg(long)]
        at: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Bank lines sent to suspense (471) not yet cleared, with their age in days.
    Suspense {
        /// Also the lines whose suspense entry has since been lettered.
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Journal listing: one row per line.
    Journal {
        /// Journal code (default: all journals).
        journal: Option<String>,
        #[command(flatten)]
        range: RangeArgs,
        /// Leave drafts out: validated entries only.
        #[arg(long)]
        validated_only: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

/// Options of the financial statements.
#[derive(Debug, Args)]
pub struct StatementArgs {
    /// Fiscal year name (default: the year containing today, else the last one).
    #[arg(long)]
    pub year: Option<String>,
    /// Leave drafts out: validated entries only.
    #[arg(long)]
    pub validated_only: bool,
    /// The abridged layout (fewer, wider rubriques).
    #[arg(long)]
    pub abridged: bool,
    /// A mapping of accounts to rubriques of your own (the format of
    /// fixtures/statements-pcg.csv) instead of the PCG one built in.
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum ExportWhat {
    /// The FEC of a fiscal year, written as <SIREN>FEC<closing date>.txt.
    Fec {
        /// Fiscal year name (default: the latest year with validated entries).
        #[arg(long)]
        year: Option<String>,
        /// Directory to write into (default: current directory).
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// Field separator.
        #[arg(long, value_enum, default_value_t = Separator::Tab)]
        separator: Separator,
        /// Character encoding.
        #[arg(long, value_enum, default_value_t = Encoding::Utf8)]
        encoding: Encoding,
        /// Replace the file if it already exists (otherwise the export is refused).
        #[arg(long)]
        force: bool,
    },
    /// Every entry as an hledger journal, on standard output.
    Hledger,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Separator {
    Tab,
    Pipe,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Encoding {
    #[value(name = "utf8", alias = "utf-8")]
    Utf8,
    #[value(name = "latin9", alias = "iso-8859-15")]
    Latin9,
}

/// Runs one command; the caller prints the error and sets the exit code.
pub fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    commands::run(cli)
}

/// Parses the command line. A mistake in it is printed like every other error: without any
/// control or bidirectional character of the value typed, and with at most 80 characters of
/// it (clap would echo it raw, with its escape sequences, on a terminal).
pub fn parse_args() -> Cli {
    use clap::error::ErrorKind;
    use std::io::Write;
    let err = match Cli::try_parse() {
        Ok(cli) => return cli,
        Err(err) => err,
    };
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        // Folio's own text only (environment values are hidden from the help).
        err.exit();
    }
    let message = err.render().to_string();
    let message = output::shorten_delimited(&output::shorten_quoted(&message), '\'');
    let mut stderr = output::SafeOutput::new(std::io::stderr().lock());
    let _ = write!(stderr, "{message}");
    let _ = stderr.flush();
    std::process::exit(err.exit_code());
}

/// Prints `error: …` on standard error, with every cause, through the same guard as standard
/// output: whatever a value in the message holds, no control character or bidirectional
/// control reaches the terminal, and a backquoted value is cut to 80 characters.
pub fn print_error(err: &anyhow::Error) {
    use std::io::Write;
    let message = format!("error: {err:#}");
    let message = output::shorten_quoted(&crate::model::text::display_text(&message));
    let mut stderr = output::SafeOutput::new(std::io::stderr().lock());
    let _ = writeln!(stderr, "{message}");
    let _ = stderr.flush();
}
