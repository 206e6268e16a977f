//! 在庫 stock: the example service of the guide "Using Kensho on your own service".
//!
//! A warehouse receives and ships articles (SKUs); the quantity on hand never goes
//! below zero, and every change is recorded as a move. The service depends on
//! Kensho's shared layer only (the database handle and its dialects, invariant and
//! flag declarations); its steps and registration live in `steps/`.

use kensho_shared::db::{Db, Migrations};
use kensho_shared::flag::Flag;
use kensho_shared::invariant::{Invariant, Rule};
use sqlx::Row;

/// The stock tables for each engine (`migrations/<engine>/`).
pub static MIGRATIONS: Migrations = kensho_shared::migrations!();

/// What must hold in the stock tables after any operation.
pub const INVARIANTS: &[Invariant] = &[
    Invariant {
        service: "stock",
        name: "one stock level per article",
        rule: Rule::Unique {
            table: "stock_level",
            columns: &["sku"],
            only_where: None,
        },
    },
    Invariant {
        service: "stock",
        name: "every move is of a known article",
        rule: Rule::References {
            table: "stock_move",
            column: "sku",
            target: "stock_level",
            target_column: "sku",
        },
    },
];

/// Shipping refuses an order larger than the stock on hand (on), or ships what is
/// there and records the shortfall as a move of its own (off). Off by default.
pub const STRICT_SHIPPING: Flag = Flag {
    name: "stock.strict_shipping",
    meaning: "refuse an order larger than the stock (on), or ship what is there (off)",
};

/// The flags the stock service reads.
pub const FLAGS: &[Flag] = &[STRICT_SHIPPING];

/// Errors of the stock service.
#[derive(Debug, thiserror::Error)]
pub enum StockError {
    /// A quantity of zero or less.
    #[error("{what} of {sku}: the quantity must be at least 1, not {quantity}")]
    Quantity {
        /// `receiving` or `shipping`.
        what: &'static str,
        /// The article.
        sku: String,
        /// The quantity asked for.
        quantity: i64,
    },
    /// Strict shipping of more than is on hand.
    #[error("shipping {quantity} of {sku}: only {on_hand} on hand")]
    Short {
        /// The article.
        sku: String,
        /// The quantity asked for.
        quantity: i64,
        /// What the warehouse holds.
        on_hand: i64,
    },
    /// The database refused.
    #[error("stock: {0}")]
    Sql(#[from] sqlx::Error),
    /// The flag could not be read.
    #[error(transparent)]
    Flag(#[from] kensho_shared::flag::FlagError),
}

// The statements, written once; `dialect` is each engine's module of the shared
// dialect layer (row locks, write transactions, upserts).
kensho_shared::per_engine! {
    use super::StockError;

    /// The quantity on hand of `sku` (0 for an unknown article), locked for update.
    pub async fn on_hand(conn: &mut dialect::Conn, sku: &str) -> Result<i64, StockError> {
        let mut qb = dialect::builder("SELECT quantity FROM stock_level WHERE sku = ");
        qb.push_bind(sku.to_string()).push(dialect::FOR_UPDATE);
        let row = qb.build().fetch_optional(&mut *conn).await?;
        Ok(match row {
            Some(row) => sqlx::Row::try_get::<i64, _>(&row, 0)?,
            None => 0,
        })
    }

    /// Adds `delta` to the stock of `sku` and records the move.
    pub async fn apply(conn: &mut dialect::Conn, sku: &str, delta: i64, level: i64) -> Result<(), StockError> {
        let mut qb = dialect::builder("INSERT INTO stock_level (sku, quantity) VALUES (");
        qb.push_bind(sku.to_string())
            .push(", ")
            .push_bind(level)
            .push(")")
            .push(dialect::upsert("sku", &["quantity"]));
        qb.build().execute(&mut *conn).await?;
        let mut qb = dialect::builder("INSERT INTO stock_move (sku, delta) VALUES (");
        qb.push_bind(sku.to_string()).push(", ").push_bind(delta).push(")");
        qb.build().execute(&mut *conn).await?;
        Ok(())
    }
}

/// Receives `quantity` of `sku` into the warehouse; returns the new quantity.
pub async fn receive(db: &Db, sku: &str, quantity: i64) -> Result<i64, StockError> {
    if quantity < 1 {
        return Err(StockError::Quantity {
            what: "receiving",
            sku: sku.to_string(),
            quantity,
        });
    }
    change(db, sku, quantity).await
}

/// Ships `quantity` of `sku`; returns the new quantity. With
/// [`STRICT_SHIPPING`] on, an order larger than the stock is refused and changes
/// nothing; off, what is on hand ships and the stock drops to zero.
pub async fn ship(db: &Db, sku: &str, quantity: i64) -> Result<i64, StockError> {
    if quantity < 1 {
        return Err(StockError::Quantity {
            what: "shipping",
            sku: sku.to_string(),
            quantity,
        });
    }
    let strict = STRICT_SHIPPING.is_on(db).await?;
    change_by(db, sku, -quantity, strict).await
}

async fn change(db: &Db, sku: &str, delta: i64) -> Result<i64, StockError> {
    change_by(db, sku, delta, true).await
}

/// One write transaction: reads the stock under its lock, refuses or clamps a
/// shipment, writes the level and the move.
async fn change_by(db: &Db, sku: &str, delta: i64, strict: bool) -> Result<i64, StockError> {
    kensho_shared::dispatch!(db, crate, engine, pool => {
        let (_gate, mut tx) = engine::dialect::begin(pool).await?;
        let on_hand = engine::on_hand(&mut tx, sku).await?;
        let delta = match on_hand + delta {
            level if level >= 0 => delta,
            _ if strict => {
                return Err(StockError::Short {
                    sku: sku.to_string(),
                    quantity: -delta,
                    on_hand,
                });
            }
            _ => -on_hand,
        };
        engine::apply(&mut tx, sku, delta, on_hand + delta).await?;
        tx.commit().await?;
        Ok(on_hand + delta)
    })
}

/// The quantity on hand of every article, by SKU.
pub async fn levels(db: &Db) -> Result<Vec<(String, i64)>, StockError> {
    const SQL: &str = "SELECT sku, quantity FROM stock_level ORDER BY sku";
    match db {
        Db::Sqlite(p) => sqlx::query(SQL)
            .fetch_all(p)
            .await?
            .iter()
            .map(pair)
            .collect(),
        Db::Postgres(p) => sqlx::query(SQL)
            .fetch_all(p)
            .await?
            .iter()
            .map(pair)
            .collect(),
        Db::MySql(p) => sqlx::query(SQL)
            .fetch_all(p)
            .await?
            .iter()
            .map(pair)
            .collect(),
    }
}

fn pair<R: Row>(row: &R) -> Result<(String, i64), StockError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok((row.try_get("sku")?, row.try_get("quantity")?))
}
