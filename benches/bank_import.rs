//! Bank statement import benchmark: 100,000 CAMT.053 lines through `folio bank import`
//! (target: 50,000 lines/s or more).
//!
//! ```text
//! cargo bench --bench bank_import                               # 100,000 lines, 10 files
//! FOLIO_BENCH_CAMT_LINES=10000 cargo bench --bench bank_import  # smaller
//! FOLIO_BENCH_KEEP=1 cargo bench --bench bank_import             # keep the files to profile
//! ```
//!
//! A bank sends statements as daily or monthly files, and statement files are read whole up to
//! 16 MiB (`folio::fixtures::MAX_TEXT_FILE_BYTES`): the lines are written as 10 monthly
//! statements (January to October 2026) of one IBAN, one file each, every `Ntry` with its
//! `AcctSvcrRef`, and `NtryDtls/TxDtls` holding an end-to-end id, the counterparty's name and
//! IBAN and a remittance text; the balances (OPBD, CLBD) chain from one month to the next.
//! The files are imported in order by the real binary (`FOLIO_BIN`, else the one cargo built
//! alongside the bench, else `target/release/folio`) on a ledger made by `folio init`, whose
//! bank journal BQ carries the statements' IBAN; then the last file is imported again, every
//! line of it skipped as a duplicate.
//!
//! Each import runs under `/usr/bin/time` for its processor time (user + system) and peak
//! resident set. The rate is given by wall time and by processor time: on a shared, loaded
//! machine the processor time is the fair figure.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

const DEFAULT_LINES: u64 = 100_000;
const FILES: u64 = 10;
const TARGET_LINES_PER_SEC: f64 = 50_000.0;
const IBAN: &str = "FR7630006000011234567890189";
const SIREN: &str = "732829320";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bench failed: {err}");
            ExitCode::FAILURE
        }
    }
}

/// splitmix64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn folio_binary() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("FOLIO_BIN").map(PathBuf::from),
        option_env!("CARGO_BIN_EXE_folio").map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/folio")),
    ];
    candidates.into_iter().flatten().find(|p| p.is_file())
}

fn decimal(cents: i64) -> String {
    format!("{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

fn side(cents: i64) -> &'static str {
    if cents < 0 { "DBIT" } else { "CRDT" }
}

fn balance(out: &mut String, code: &str, cents: i64, date: &str) {
    let _ = writeln!(
        out,
        "<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>\
         <Amt Ccy=\"EUR\">{}</Amt><CdtDbtInd>{}</CdtDbtInd><Dt><Dt>{date}</Dt></Dt></Bal>",
        decimal(cents),
        side(cents)
    );
}

const NAMES: [&str; 8] = [
    "Leroy & Associés",
    "SCI Les Tilleuls",
    "Boulangerie Martin",
    "Transports Dupont SAS",
    "Garage de l'Europe",
    "Cabinet Moreau",
    "Électricité Lefèvre",
    "Imprimerie du Centre",
];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('\'', "&apos;")
}

/// One monthly CAMT.053 statement of `lines` entries for `month` of 2026 (1-based), opening at
/// `opening` cents; returns the XML and the closing balance.
fn statement(month: u32, lines: u64, opening: i64, seq: &mut u64, rng: &mut Rng) -> (String, i64) {
    let mut entries = String::with_capacity(lines as usize * 1_100);
    let mut closing = opening;
    for k in 0..lines {
        *seq += 1;
        let day = 1 + (k * 28 / lines.max(1)) as u32;
        let date = format!("2026-{month:02}-{day:02}");
        let cents = 100 + rng.below(500_000) as i64;
        let credit = rng.below(2) == 0;
        let cents = if credit { cents } else { -cents };
        closing += cents;
        let party = rng.below(2_000);
        let name = escape(NAMES[(party % NAMES.len() as u64) as usize]);
        let party_iban = format!("FR76300060000{party:014}");
        let (role, account, text) = if credit {
            ("Dbtr", "DbtrAcct", "VIR SEPA RECU")
        } else {
            ("Cdtr", "CdtrAcct", "PRLV SEPA")
        };
        let _ = write!(
            entries,
            "<Ntry>\n\
             <NtryRef>{seq}</NtryRef>\n\
             <Amt Ccy=\"EUR\">{amount}</Amt>\n\
             <CdtDbtInd>{ind}</CdtDbtInd>\n\
             <Sts>BOOK</Sts>\n\
             <BookgDt><Dt>{date}</Dt></BookgDt>\n\
             <ValDt><Dt>{date}</Dt></ValDt>\n\
             <AcctSvcrRef>2026{month:02}{seq:010}</AcctSvcrRef>\n\
             <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>\n\
             <NtryDtls><TxDtls>\n\
             <Refs><EndToEndId>E2E-{party:04}-F2026-{seq:06}</EndToEndId></Refs>\n\
             <RltdPties><{role}><Nm>{name}</Nm></{role}><{account}><Id><IBAN>{party_iban}</IBAN></Id></{account}></RltdPties>\n\
             <RmtInf><Ustrd>F2026-{seq:06} FACTURE {party:04} REGLEMENT</Ustrd></RmtInf>\n\
             </TxDtls></NtryDtls>\n\
             <AddtlNtryInf>{text} {name}</AddtlNtryInf>\n\
             </Ntry>\n",
            amount = decimal(cents),
            ind = side(cents),
        );
    }
    let last_day = chrono_last_day(month);
    let mut xml = String::with_capacity(entries.len() + 2_048);
    let _ = write!(
        xml,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">\n\
         <BkToCstmrStmt>\n\
         <GrpHdr><MsgId>CAMT053-2026{month:02}-BENCH</MsgId><CreDtTm>2026-{month:02}-{last_day:02}T23:00:00</CreDtTm></GrpHdr>\n\
         <Stmt>\n\
         <Id>STMT-2026-{month:02}</Id><ElctrncSeqNb>{month}</ElctrncSeqNb>\n\
         <FrToDt><FrDtTm>2026-{month:02}-01T00:00:00</FrDtTm><ToDtTm>2026-{month:02}-{last_day:02}T23:59:59</ToDtTm></FrToDt>\n\
         <Acct><Id><IBAN>{IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>\n"
    );
    let before = if month == 1 {
        "2025-12-31".to_string()
    } else {
        format!("2026-{:02}-{:02}", month - 1, chrono_last_day(month - 1))
    };
    balance(&mut xml, "OPBD", opening, &before);
    balance(
        &mut xml,
        "CLBD",
        closing,
        &format!("2026-{month:02}-{last_day:02}"),
    );
    xml.push_str(&entries);
    xml.push_str("</Stmt>\n</BkToCstmrStmt>\n</Document>\n");
    (xml, closing)
}

fn chrono_last_day(month: u32) -> u32 {
    match month {
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// What one run of the binary cost: wall, user + system processor time, peak RSS.
#[derive(Default, Clone, Copy)]
struct Cost {
    wall: Duration,
    cpu: Duration,
    peak_kib: u64,
}

impl Cost {
    fn add(&mut self, other: Cost) {
        self.wall += other.wall;
        self.cpu += other.cpu;
        self.peak_kib = self.peak_kib.max(other.peak_kib);
    }
}

/// Runs `folio --ledger LEDGER ARGS` under `/usr/bin/time`; returns its cost and its output.
fn folio(bin: &Path, ledger: &Path, dir: &Path, args: &[&str]) -> BenchResult<(Cost, String)> {
    let time_out = dir.join("time.out");
    let start = Instant::now();
    let output = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%U %S %M")
        .arg("-o")
        .arg(&time_out)
        .arg(bin)
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .env_remove("FOLIO_LEDGER")
        .env("FOLIO_TODAY", "2026-11-25")
        .stdin(Stdio::null())
        .output()?;
    let wall = start.elapsed();
    if !output.status.success() {
        return Err(format!(
            "folio {} failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let text = std::fs::read_to_string(&time_out)?;
    let fields: Vec<f64> = text
        .lines()
        .last()
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let [user, system, kib] = fields[..] else {
        return Err(format!("unexpected /usr/bin/time output: {text}").into());
    };
    Ok((
        Cost {
            wall,
            cpu: Duration::from_secs_f64(user + system),
            peak_kib: kib as u64,
        },
        String::from_utf8_lossy(&output.stdout).into_owned(),
    ))
}

fn rate(lines: u64, d: Duration) -> f64 {
    lines as f64 / d.as_secs_f64().max(1e-9)
}

fn verdict(r: f64) -> &'static str {
    if r >= TARGET_LINES_PER_SEC {
        "PASS"
    } else {
        "FAIL"
    }
}

fn run() -> BenchResult<()> {
    let total: u64 = std::env::var("FOLIO_BENCH_CAMT_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_LINES)
        .max(FILES);
    let Some(bin) = folio_binary() else {
        return Err("no folio binary found (set FOLIO_BIN)".into());
    };
    if !Path::new("/usr/bin/time").is_file() {
        return Err("/usr/bin/time is needed for the processor time and peak RSS".into());
    }
    let dir = tempfile::Builder::new()
        .prefix("folio-bench-camt-")
        .tempdir()?;
    eprintln!(
        "CAMT.053 import: {total} lines in {FILES} monthly files, binary {}, in {}",
        bin.display(),
        dir.path().display()
    );

    // The files.
    let mut rng = Rng(20_261_203);
    let mut seq = 0u64;
    let mut opening = 1_250_000i64;
    let mut files = Vec::new();
    let mut bytes_total = 0u64;
    for month in 1..=FILES as u32 {
        let lines = total / FILES + u64::from(u64::from(month) <= total % FILES);
        let (xml, closing) = statement(month, lines, opening, &mut seq, &mut rng);
        opening = closing;
        let size = xml.len() as u64;
        assert!(
            size <= folio::fixtures::MAX_TEXT_FILE_BYTES,
            "statement file of {size} bytes over the {} byte cap",
            folio::fixtures::MAX_TEXT_FILE_BYTES
        );
        bytes_total += size;
        let path = dir.path().join(format!("camt053-2026-{month:02}.xml"));
        std::fs::write(&path, xml)?;
        files.push((path, lines, size));
    }

    // The ledger.
    let ledger = dir.path().join("bench.ledger");
    folio(
        &bin,
        &ledger,
        dir.path(),
        &[
            "init",
            "--name",
            "Bench SARL",
            "--siren",
            SIREN,
            "--start",
            "2026-01-01",
        ],
    )?;
    folio(
        &bin,
        &ledger,
        dir.path(),
        &["journals", "edit", "BQ", "--iban", IBAN],
    )?;

    // The imports, in order.
    let mut all = Cost::default();
    let mut per_file = Vec::new();
    for (path, lines, size) in &files {
        let file = path.to_str().ok_or("non-UTF-8 temp path")?;
        let (cost, out) = folio(&bin, &ledger, dir.path(), &["bank", "import", file])?;
        let added = format!("{lines} lines added, 0 skipped");
        if !out.contains(&added) {
            return Err(format!("import of {file}: expected \"{added}\", got: {out}").into());
        }
        eprintln!(
            "  {} {:>7} lines {:>5.1} MiB  wall {:>6.2} s  cpu {:>6.2} s  peak RSS {:>6.1} MiB",
            path.file_name().and_then(|n| n.to_str()).unwrap_or(""),
            lines,
            *size as f64 / 1_048_576.0,
            cost.wall.as_secs_f64(),
            cost.cpu.as_secs_f64(),
            cost.peak_kib as f64 / 1024.0
        );
        per_file.push(cost);
        all.add(cost);
    }

    // The last file again: every line a duplicate.
    let (last, last_lines, _) = files.last().ok_or("no file")?;
    let last_file = last.to_str().ok_or("non-UTF-8 temp path")?;
    let (again, out) = folio(&bin, &ledger, dir.path(), &["bank", "import", last_file])?;
    let skipped = format!("0 lines added, {last_lines} skipped");
    if !out.contains(&skipped) {
        return Err(format!("second import: expected \"{skipped}\", got: {out}").into());
    }
    let first_of_last = per_file.last().copied().unwrap_or_default();
    let ledger_mib = std::fs::metadata(&ledger)?.len() as f64 / 1_048_576.0;

    let wall_rate = rate(total, all.wall);
    let cpu_rate = rate(total, all.cpu);
    println!(
        "\nCAMT.053 import through `folio bank import`: {total} lines in {FILES} files \
         ({:.1} MiB, largest {:.1} MiB, cap 16 MiB), ledger {ledger_mib:.1} MiB\n",
        bytes_total as f64 / 1_048_576.0,
        files.iter().map(|f| f.2).max().unwrap_or(0) as f64 / 1_048_576.0
    );
    println!(
        "{:<44} {:>10} {:>10} {:>16} {:>10}  target ≥ 50,000 lines/s",
        "", "wall", "cpu", "lines/s", "peak RSS"
    );
    println!(
        "{:<44} {:>8.2} s {:>8.2} s {:>16} {:>6.1} MiB",
        format!("{FILES} imports in order (sum)"),
        all.wall.as_secs_f64(),
        all.cpu.as_secs_f64(),
        "",
        all.peak_kib as f64 / 1024.0
    );
    println!(
        "{:<44} {:>10} {:>10} {:>16.0} {:>10}  {}",
        "  rate by wall time",
        "",
        "",
        wall_rate,
        "",
        verdict(wall_rate)
    );
    println!(
        "{:<44} {:>10} {:>10} {:>16.0} {:>10}  {}",
        "  rate by processor time (fair on a loaded box)",
        "",
        "",
        cpu_rate,
        "",
        verdict(cpu_rate)
    );
    println!(
        "{:<44} {:>8.2} s {:>8.2} s {:>16.0} {:>6.1} MiB",
        format!("last file, first import ({last_lines} lines)"),
        first_of_last.wall.as_secs_f64(),
        first_of_last.cpu.as_secs_f64(),
        rate(*last_lines, first_of_last.cpu),
        first_of_last.peak_kib as f64 / 1024.0
    );
    println!(
        "{:<44} {:>8.2} s {:>8.2} s {:>16.0} {:>6.1} MiB",
        format!("same file again ({last_lines} skipped)"),
        again.wall.as_secs_f64(),
        again.cpu.as_secs_f64(),
        rate(*last_lines, again.cpu),
        again.peak_kib as f64 / 1024.0
    );
    println!(
        "\nlines/s of the single-file rows are by processor time. Verdict (processor time): {}",
        verdict(cpu_rate)
    );
    if std::env::var_os("FOLIO_BENCH_KEEP").is_some() {
        // The files and the ledger stay, to profile one import.
        eprintln!("kept {}", dir.keep().display());
    } else {
        dir.close()?;
    }
    Ok(())
}
