//! `kensho`: the main job. Runs every scenario (SQLite by default; see `--help`)
//! and exits non-zero if any fails.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    kensho::runner::main(kensho_steps::suite(), kensho::runner::Mode::Main).await
}
