//! `billing-batch`: the billing batch as a command-line program. Everything is in
//! [`kensho_billing::cli`]; run `billing-batch --help` for the usage.

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    kensho_billing::cli::main().await
}
