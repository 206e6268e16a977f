//! 在庫 stock steps: thin glue over the service's calls, and its registration.

use anyhow::{Result, ensure};
use cucumber::{then, when};
use kensho::ScenarioWorld;

/// The stock service's registration with the harness: the one place that tells
/// the harness about it.
pub static SERVICE: kensho::Service = kensho::Service {
    name: "stock",
    about: "在庫 stock levels of a warehouse (the guide's example)",
    migrations: &kensho_example_stock::MIGRATIONS,
    invariants: kensho_example_stock::INVARIANTS,
    flags: kensho_example_stock::FLAGS,
    features: &["features/"],
    steps: &[file!()],
    amount_tables: &["stock_level"],
    vocabulary: &[],
    build: &[],
};

/// What the stock steps keep between steps: the last refusal.
#[derive(Debug, Default)]
struct StockState {
    refusal: Option<String>,
}

/// `When 10 of "A-1" are received`.
#[when(expr = "{int} of {string} are received")]
async fn received(w: &mut ScenarioWorld, quantity: i64, sku: String) -> Result<()> {
    for variant in w.variants()? {
        kensho_example_stock::receive(&variant.database.db, &sku, quantity).await?;
    }
    Ok(())
}

/// `When 4 of "A-1" are shipped` (a refusal is kept for the next step).
#[when(expr = "{int} of {string} are shipped")]
async fn shipped(w: &mut ScenarioWorld, quantity: i64, sku: String) -> Result<()> {
    let mut refusal = None;
    for variant in w.variants()? {
        if let Err(e) = kensho_example_stock::ship(&variant.database.db, &sku, quantity).await {
            refusal = Some(e.to_string());
        }
    }
    w.state::<StockState>().refusal = refusal;
    Ok(())
}

/// `Then the shipment is refused with "only 3 on hand"`.
#[then(expr = "the shipment is refused with {string}")]
async fn refused(w: &mut ScenarioWorld, text: String) -> Result<()> {
    let refusal = w.state::<StockState>().refusal.take();
    ensure!(
        refusal.as_deref().is_some_and(|r| r.contains(&text)),
        "expected the shipment to be refused with {text:?}; it was {}",
        refusal.map_or("accepted".to_string(), |r| format!("refused with {r:?}"))
    );
    Ok(())
}

/// `Then "A-1" has 6 on hand` (every database of the scenario).
#[then(expr = "{string} has {int} on hand")]
async fn on_hand(w: &mut ScenarioWorld, sku: String, quantity: i64) -> Result<()> {
    for variant in w.variants()? {
        let levels = kensho_example_stock::levels(&variant.database.db).await?;
        let found = levels
            .iter()
            .find(|(s, _)| *s == sku)
            .map_or(0, |(_, q)| *q);
        ensure!(
            found == quantity,
            "{sku} has {found} on hand, expected {quantity}{}",
            if variant.label.is_empty() {
                String::new()
            } else {
                format!(" [{}]", variant.label)
            }
        );
    }
    Ok(())
}
