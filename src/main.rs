use std::process::ExitCode;
use std::sync::Mutex;

/// What the last panic said, kept by a quiet panic hook for the one-line message below.
static PANIC: Mutex<Option<String>> = Mutex::new(None);

fn main() -> ExitCode {
    let cli = folio::cli::parse_args();
    // A panic while reading (redb on a damaged page, say) is reported as a damaged file, in
    // one line, never as a crash.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info
            .location()
            .map(|l| format!(" at {l}"))
            .unwrap_or_default();
        if let Ok(mut slot) = PANIC.lock() {
            *slot = Some(format!("{text}{at}"));
        }
        if std::env::var_os("FOLIO_DEBUG_PANICS").is_some() {
            previous(info);
        }
    }));
    let outcome = std::panic::catch_unwind(move || folio::cli::run(cli));
    match outcome {
        Ok(Ok(code)) => code,
        Ok(Err(err)) => {
            // A reader that stops early (`folio ... | head`) is not an error.
            let broken_pipe = err.chain().any(|cause| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            folio::cli::print_error(&err);
            let corrupt = err.chain().any(|cause| {
                matches!(
                    cause.downcast_ref::<folio::ledger::LedgerError>(),
                    Some(folio::ledger::LedgerError::Corrupt(_))
                )
            });
            ExitCode::from(if corrupt { 1 } else { 2 })
        }
        Err(_) => {
            let what = PANIC.lock().ok().and_then(|mut slot| slot.take());
            folio::cli::print_error(&anyhow::Error::new(folio::ledger::LedgerError::Corrupt(
                format!(
                    "reading it failed ({})",
                    what.unwrap_or_else(|| "unknown cause".into())
                ),
            )));
            ExitCode::from(1)
        }
    }
}
