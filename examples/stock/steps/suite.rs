//! The stock example's scenario suite: the service registered with the harness,
//! run on every engine available (`cargo test -p kensho-example-stock`; runner
//! options after `--`, e.g. `-- --engines sqlite`).

mod stock;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let suite = kensho::Suite::new(root).service(&stock::SERVICE);
    kensho::runner::main(suite, kensho::runner::Mode::Suite).await
}
