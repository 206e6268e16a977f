//! The shape of a database (表定義) as its engine's catalog describes it: tables,
//! their columns (kind, nullability, whether the database fills them) and primary
//! keys.
//!
//! Table steps name tables and columns in feature files. Every such name is looked
//! up here before any SQL is built: an unknown name is an error naming it and the
//! closest known names, and only plain identifiers read from the catalog are ever
//! quoted into SQL (`"name"` on SQLite and PostgreSQL, `` `name` `` on MariaDB).
//!
//! Catalogs read: SQLite `sqlite_master` and `pragma_table_info`; PostgreSQL
//! `pg_catalog` for schema `public`; MariaDB `information_schema` of the
//! current database (`DATABASE()`).

use std::collections::BTreeMap;
use std::fmt;

use sqlx::Row;

use crate::db::{Db, Engine};

/// How a column's values are written and bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColumnKind {
    /// Whole numbers (`INTEGER`, `BIGINT`, `SMALLINT`, …), bound as `i64`.
    Integer,
    /// Exact decimals (`DECIMAL`, `NUMERIC`), bound as `rust_decimal::Decimal`
    /// (as canonical text on SQLite, which has no exact decimal type).
    Decimal,
    /// Character strings (`TEXT`, `VARCHAR`, `CHAR`, …).
    Text,
    /// Anything else (dates, booleans, blobs, …): written as text and left to the
    /// database to convert.
    Other,
}

impl ColumnKind {
    /// The kind's name as error messages show it.
    pub fn name(self) -> &'static str {
        match self {
            ColumnKind::Integer => "integer",
            ColumnKind::Decimal => "decimal",
            ColumnKind::Text => "text",
            ColumnKind::Other => "other",
        }
    }

    /// The kind of a SQLite column from its declared type, following SQLite's
    /// affinity rules (`INT` anywhere means integer; `CHAR`, `CLOB`, `TEXT` mean
    /// text), with `DECIMAL`/`NUMERIC` as decimal, and `DECIMAL_TEXT` (how Kensho's
    /// SQLite migrations declare amounts: text affinity, so stored exactly) as
    /// decimal.
    pub fn from_sqlite(declared: &str) -> ColumnKind {
        let declared = declared.to_ascii_uppercase();
        if declared.starts_with("DECIMAL_TEXT") {
            // Kensho's amounts on SQLite: exact decimal strings (text affinity).
            ColumnKind::Decimal
        } else if declared.contains("INT") {
            ColumnKind::Integer
        } else if ["CHAR", "CLOB", "TEXT"]
            .iter()
            .any(|t| declared.contains(t))
        {
            ColumnKind::Text
        } else if declared.contains("DEC") || declared.contains("NUMERIC") {
            ColumnKind::Decimal
        } else {
            ColumnKind::Other
        }
    }

    /// The kind of a PostgreSQL column from `information_schema.columns.data_type`.
    pub fn from_postgres(data_type: &str) -> ColumnKind {
        match data_type.to_ascii_lowercase().as_str() {
            "smallint" | "integer" | "bigint" => ColumnKind::Integer,
            "numeric" | "decimal" => ColumnKind::Decimal,
            "character varying" | "character" | "text" | "varchar" | "char" => ColumnKind::Text,
            _ => ColumnKind::Other,
        }
    }

    /// The kind of a MariaDB/MySQL column from `information_schema.columns.data_type`.
    pub fn from_mariadb(data_type: &str) -> ColumnKind {
        match data_type.to_ascii_lowercase().as_str() {
            "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint" => {
                ColumnKind::Integer
            }
            "decimal" | "numeric" => ColumnKind::Decimal,
            "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "longtext" => {
                ColumnKind::Text
            }
            _ => ColumnKind::Other,
        }
    }
}

impl fmt::Display for ColumnKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One column of a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnSchema {
    pub name: String,
    pub kind: ColumnKind,
    /// Whether the column accepts NULL.
    pub nullable: bool,
    /// Whether the database fills the column when an insert leaves it out (a
    /// default, an identity or auto-increment, SQLite's rowid alias, a generated
    /// value).
    pub has_default: bool,
    /// The type as the catalog names it: SQLite's declared type, PostgreSQL's
    /// `udt_name` (`int8`, `numeric`, `varchar`, …), MariaDB's `data_type`.
    pub type_name: String,
}

impl ColumnSchema {
    /// The column's name quoted for `engine`'s SQL (see [`quote_identifier`]).
    pub fn quoted(&self, engine: Engine) -> Result<String, SchemaError> {
        quote_identifier(engine, "column", &self.name)
    }
}

/// One table: its columns in their declared order and its primary key in key order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSchema {
    pub name: String,
    pub columns: Vec<ColumnSchema>,
    /// Primary-key column names, in key order (empty when there is no primary key).
    pub primary_key: Vec<String>,
}

impl TableSchema {
    /// The column called `name`, or an error naming it and the closest columns.
    pub fn column(&self, name: &str) -> Result<&ColumnSchema, SchemaError> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| SchemaError::UnknownColumn {
                table: self.name.clone(),
                name: name.to_string(),
                closest: closest(name, self.columns.iter().map(|c| c.name.as_str())),
            })
    }

    /// The table's name quoted for `engine`'s SQL (see [`quote_identifier`]).
    pub fn quoted(&self, engine: Engine) -> Result<String, SchemaError> {
        quote_identifier(engine, "table", &self.name)
    }
}

/// Every table of a database, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schema {
    tables: BTreeMap<String, TableSchema>,
}

impl Schema {
    /// A schema holding `tables` (later tables of the same name replace earlier ones).
    pub fn from_tables(tables: impl IntoIterator<Item = TableSchema>) -> Schema {
        Schema {
            tables: tables.into_iter().map(|t| (t.name.clone(), t)).collect(),
        }
    }

    /// The table called `name`, or an error naming it and the closest tables.
    pub fn table(&self, name: &str) -> Result<&TableSchema, SchemaError> {
        self.tables
            .get(name)
            .ok_or_else(|| SchemaError::UnknownTable {
                name: name.to_string(),
                closest: closest(name, self.tables.keys().map(String::as_str)),
            })
    }

    /// Every table, by name.
    pub fn tables(&self) -> impl Iterator<Item = &TableSchema> {
        self.tables.values()
    }
}

/// A name that is not in the schema, a name that cannot be written into SQL, or a
/// catalog that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("{engine}: reading the catalog (table and column names): {source}")]
    Catalog {
        engine: Engine,
        #[source]
        source: sqlx::Error,
    },
    #[error("no table {name:?} in the database; {}", suggestion(closest, "tables"))]
    UnknownTable { name: String, closest: Vec<String> },
    #[error(
        "no column {name:?} in table {table}; {}",
        suggestion(closest, "columns")
    )]
    UnknownColumn {
        table: String,
        name: String,
        closest: Vec<String>,
    },
    #[error(
        "{what} {name:?} is not a plain identifier (ASCII letters, digits and '_'), so it is never written into SQL"
    )]
    NotPlain { what: &'static str, name: String },
}

fn suggestion(closest: &[String], what: &str) -> String {
    if closest.is_empty() {
        format!("there are no {what}")
    } else {
        format!("the closest {what} are {}", closest.join(", "))
    }
}

/// How many known names an unknown name's error lists.
const SUGGESTIONS: usize = 3;

/// The known names closest to `name`, nearest first, at most [`SUGGESTIONS`]:
/// names that begin the given one (or that it begins) first, then by edit
/// distance, ignoring case.
fn closest<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Vec<String> {
    let wanted = name.to_lowercase();
    let mut ranked: Vec<(bool, usize, &str)> = known
        .map(|k| {
            let lower = k.to_lowercase();
            let prefix = wanted.starts_with(&lower) || lower.starts_with(&wanted);
            (!prefix, edit_distance(&wanted, &lower), k)
        })
        .collect();
    ranked.sort();
    ranked
        .into_iter()
        .take(SUGGESTIONS)
        .map(|(_, _, k)| k.to_string())
        .collect()
}

/// Levenshtein distance between two strings, counted in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// Whether `name` is a plain identifier: non-empty ASCII letters, digits and `_`.
pub fn is_plain_identifier(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `name` quoted for `engine`'s SQL: `"name"` on SQLite and PostgreSQL,
/// `` `name` `` on MariaDB. Refuses anything but a plain identifier, so a quote
/// character can never end the identifier early; `what` ("table", "column") names
/// the identifier in the error.
pub fn quote_identifier(
    engine: Engine,
    what: &'static str,
    name: &str,
) -> Result<String, SchemaError> {
    if !is_plain_identifier(name) {
        return Err(SchemaError::NotPlain {
            what,
            name: name.to_string(),
        });
    }
    Ok(match engine {
        Engine::Sqlite | Engine::Postgres => format!("\"{name}\""),
        Engine::MariaDb => format!("`{name}`"),
    })
}

/// An SQL expression reading the (already quoted) column `quoted` as text, the way
/// every engine spells it: `CAST(.. AS TEXT)` on SQLite, `(..)::text` on PostgreSQL,
/// `CAST(.. AS CHAR)` on MariaDB. NULL stays NULL.
pub fn text_expression(engine: Engine, quoted: &str) -> String {
    match engine {
        Engine::Sqlite => format!("CAST({quoted} AS TEXT)"),
        Engine::Postgres => format!("({quoted})::text"),
        Engine::MariaDb => format!("CAST({quoted} AS CHAR)"),
    }
}

/// Reads the schema of `db` from its engine's catalog.
pub async fn read_schema(db: &Db) -> Result<Schema, SchemaError> {
    read_catalog(db)
        .await
        .map_err(|source| SchemaError::Catalog {
            engine: db.engine(),
            source,
        })
}

/// One catalog row: table, column, and the column's position in the primary key
/// (0 when it is not part of it).
struct CatalogColumn {
    table: String,
    column: ColumnSchema,
    key_position: i64,
}

/// Reads the schema of `db`; the database error as it came.
pub(crate) async fn read_catalog(db: &Db) -> Result<Schema, sqlx::Error> {
    let mut catalog: Vec<CatalogColumn> = Vec::new();
    match db {
        Db::Sqlite(p) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .fetch_all(p)
            .await?;
            for table in tables {
                let rows = sqlx::query(
                    "SELECT name, \"type\", \"notnull\", dflt_value IS NOT NULL, pk \
                     FROM pragma_table_info(?) ORDER BY cid",
                )
                .bind(&table)
                .fetch_all(p)
                .await?;
                let key_size = rows.iter().filter(|r| r.get::<i64, _>(4) > 0).count();
                for r in rows {
                    let declared: String = r.get(1);
                    let key_position: i64 = r.get(4);
                    // An `INTEGER PRIMARY KEY` alone is the rowid: SQLite fills it.
                    let rowid = key_size == 1
                        && key_position == 1
                        && declared.eq_ignore_ascii_case("INTEGER");
                    catalog.push(CatalogColumn {
                        table: table.clone(),
                        column: ColumnSchema {
                            name: r.get(0),
                            kind: ColumnKind::from_sqlite(&declared),
                            nullable: r.get::<i64, _>(2) == 0,
                            has_default: r.get::<bool, _>(3) || rowid,
                            type_name: declared,
                        },
                        key_position,
                    });
                }
            }
        }
        Db::Postgres(p) => {
            let rows = sqlx::query(
                // pg_catalog rather than information_schema: the same facts (the
                // type as information_schema's data_type names it, the udt name)
                // in a few milliseconds instead of a large view's join.
                "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, NULL), t.typname::text, \
                        NOT a.attnotnull, \
                        (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> ''), \
                        COALESCE((SELECT k.n FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) \
                                  WHERE k.attnum = a.attnum), 0)::int8 \
                 FROM pg_catalog.pg_class c \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
                 JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
                 LEFT JOIN pg_catalog.pg_index i ON i.indrelid = c.oid AND i.indisprimary \
                 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') \
                 ORDER BY c.relname, a.attnum",
            )
            .fetch_all(p)
            .await?;
            for r in rows {
                let data_type: String = r.get(2);
                catalog.push(CatalogColumn {
                    table: r.get(0),
                    column: ColumnSchema {
                        name: r.get(1),
                        kind: ColumnKind::from_postgres(&data_type),
                        nullable: r.get(4),
                        has_default: r.get(5),
                        type_name: r.get(3),
                    },
                    key_position: r.get(6),
                });
            }
        }
        Db::MySql(p) => {
            // Three queries, each restricted to the current database by a
            // constant: MariaDB then reads that database's tables only, where a
            // join of its information_schema views reads every database of the
            // server (hundreds in a run) for each query.
            let base_tables: std::collections::BTreeSet<String> = sqlx::query_scalar(
                "SELECT CAST(table_name AS CHAR) FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'",
            )
            .fetch_all(p)
            .await?
            .into_iter()
            .collect();
            let keys: BTreeMap<(String, String), i64> = sqlx::query(
                "SELECT CAST(table_name AS CHAR), CAST(column_name AS CHAR), CAST(seq_in_index AS SIGNED) \
                 FROM information_schema.statistics \
                 WHERE table_schema = DATABASE() AND index_name = 'PRIMARY'",
            )
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| ((r.get(0), r.get(1)), r.get(2)))
            .collect();
            let rows = sqlx::query(
                "SELECT CAST(table_name AS CHAR), CAST(column_name AS CHAR), CAST(data_type AS CHAR), \
                        CAST(IF(is_nullable = 'YES', 1, 0) AS SIGNED), \
                        CAST(IF(column_default IS NOT NULL OR extra LIKE '%auto_increment%' OR extra LIKE '%GENERATED%', 1, 0) AS SIGNED) \
                 FROM information_schema.columns \
                 WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position",
            )
            .fetch_all(p)
            .await?;
            for r in rows {
                let table: String = r.get(0);
                if !base_tables.contains(&table) {
                    continue;
                }
                let name: String = r.get(1);
                let data_type: String = r.get(2);
                let key_position = keys
                    .get(&(table.clone(), name.clone()))
                    .copied()
                    .unwrap_or(0);
                catalog.push(CatalogColumn {
                    table,
                    column: ColumnSchema {
                        name,
                        kind: ColumnKind::from_mariadb(&data_type),
                        nullable: r.get::<i64, _>(3) != 0,
                        has_default: r.get::<i64, _>(4) != 0,
                        type_name: data_type,
                    },
                    key_position,
                });
            }
        }
    }
    Ok(assemble(catalog))
}

/// Groups catalog rows (in column order) into tables with their primary keys.
fn assemble(catalog: Vec<CatalogColumn>) -> Schema {
    let mut tables: BTreeMap<String, (TableSchema, Vec<(i64, String)>)> = BTreeMap::new();
    for row in catalog {
        let (table, key) = tables.entry(row.table.clone()).or_insert_with(|| {
            (
                TableSchema {
                    name: row.table.clone(),
                    columns: Vec::new(),
                    primary_key: Vec::new(),
                },
                Vec::new(),
            )
        });
        if row.key_position > 0 {
            key.push((row.key_position, row.column.name.clone()));
        }
        table.columns.push(row.column);
    }
    Schema {
        tables: tables
            .into_iter()
            .map(|(name, (mut table, mut key))| {
                key.sort();
                table.primary_key = key.into_iter().map(|(_, c)| c).collect();
                (name, table)
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::SqlitePoolOptions;

    async fn sqlite() -> Db {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        for sql in [
            "CREATE TABLE album_photo (id INTEGER PRIMARY KEY, customer_id BIGINT NOT NULL, \
             object_key VARCHAR(200) NOT NULL DEFAULT 'x', price DECIMAL(19,4), taken DATE)",
            "CREATE TABLE album_photo_tag (tag_id BIGINT NOT NULL, photo_id BIGINT NOT NULL, \
             PRIMARY KEY (photo_id, tag_id))",
            "CREATE TABLE note (body TEXT)",
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&pool)
                .await
                .unwrap();
        }
        Db::Sqlite(pool)
    }

    #[tokio::test]
    async fn sqlite_catalog_gives_kinds_nullability_defaults_and_key_order() {
        let schema = read_schema(&sqlite().await).await.unwrap();
        let photo = schema.table("album_photo").unwrap();
        let shape: Vec<(&str, ColumnKind, bool, bool)> = photo
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.kind, c.nullable, c.has_default))
            .collect();
        assert_eq!(
            shape,
            vec![
                ("id", ColumnKind::Integer, true, true),
                ("customer_id", ColumnKind::Integer, false, false),
                ("object_key", ColumnKind::Text, false, true),
                ("price", ColumnKind::Decimal, true, false),
                ("taken", ColumnKind::Other, true, false),
            ]
        );
        assert_eq!(photo.primary_key, vec!["id"]);
        let tag = schema.table("album_photo_tag").unwrap();
        assert_eq!(tag.primary_key, vec!["photo_id", "tag_id"]);
        assert!(schema.table("note").unwrap().primary_key.is_empty());
        assert!(!tag.column("tag_id").unwrap().has_default);
    }

    #[tokio::test]
    async fn unknown_names_are_errors_naming_the_closest_known_names() {
        let schema = read_schema(&sqlite().await).await.unwrap();
        let err = schema.table("album_photo; DROP TABLE note").unwrap_err();
        assert_eq!(
            err.to_string(),
            "no table \"album_photo; DROP TABLE note\" in the database; \
             the closest tables are album_photo, album_photo_tag, note"
        );
        let err = schema
            .table("album_photo")
            .unwrap()
            .column("custmer_id")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "no column \"custmer_id\" in table album_photo; \
             the closest columns are customer_id, id, price"
        );
        assert!(
            Schema::default()
                .table("x")
                .unwrap_err()
                .to_string()
                .ends_with("there are no tables")
        );
    }

    #[test]
    fn only_plain_identifiers_are_quoted() {
        assert_eq!(
            quote_identifier(Engine::Postgres, "table", "ledger_entry").unwrap(),
            "\"ledger_entry\""
        );
        assert_eq!(
            quote_identifier(Engine::MariaDb, "column", "kind").unwrap(),
            "`kind`"
        );
        for bad in ["a\"b", "a`b", "x; DROP TABLE y", "", "naïve", "a b"] {
            let err = quote_identifier(Engine::Sqlite, "column", bad).unwrap_err();
            assert!(matches!(err, SchemaError::NotPlain { .. }), "{bad}: {err}");
        }
    }

    #[test]
    fn catalog_type_names_map_to_kinds() {
        use ColumnKind::*;
        for (pg, kind) in [
            ("integer", Integer),
            ("bigint", Integer),
            ("smallint", Integer),
            ("numeric", Decimal),
            ("character varying", Text),
            ("character", Text),
            ("text", Text),
            ("boolean", Other),
            ("timestamp with time zone", Other),
        ] {
            assert_eq!(ColumnKind::from_postgres(pg), kind, "{pg}");
        }
        for (my, kind) in [
            ("bigint", Integer),
            ("int", Integer),
            ("smallint", Integer),
            ("decimal", Decimal),
            ("varchar", Text),
            ("char", Text),
            ("longtext", Text),
            ("datetime", Other),
        ] {
            assert_eq!(ColumnKind::from_mariadb(my), kind, "{my}");
        }
        for (lite, kind) in [
            ("INTEGER", Integer),
            ("BIGINT", Integer),
            ("DECIMAL(19,4)", Decimal),
            ("NUMERIC", Decimal),
            ("VARCHAR(64)", Text),
            ("TEXT", Text),
            ("REAL", Other),
            ("", Other),
        ] {
            assert_eq!(ColumnKind::from_sqlite(lite), kind, "{lite}");
        }
    }

    #[test]
    fn edit_distance_counts_characters() {
        assert_eq!(edit_distance("amount", "amount"), 0);
        assert_eq!(edit_distance("amonut", "amount"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("対象者", "対象"), 1);
    }
}
