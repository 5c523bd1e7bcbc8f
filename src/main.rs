use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = folio::cli::parse_args();
    match folio::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
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
            ExitCode::from(2)
        }
    }
}
