//! A service's vocabulary (用語): what its columns mean to a reader, declared as
//! data like its invariants and flags. The harness's reports use it to show an
//! amount as money (`¥1,067,500`, right-aligned) and a code with its label
//! (`0` → 有効 active, `*` → 連結 consolidated) in the language of the feature.
//!
//! A declaration names a table and a column of the service's schema, and the
//! headers scenarios write for that column in their data tables (`amount`,
//! `金額`), so a step's table and the database's table read alike. Nothing is
//! guessed from values: a column no declaration names is shown as it is.

/// What a column's values are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Meaning {
    /// Exact amounts of money in `currency` (ISO 4217, e.g. `JPY`).
    Money {
        /// The currency of every amount in the column.
        currency: &'static str,
    },
    /// Codes that stand for something; each known code with its labels. A value
    /// no entry names is shown as written.
    Codes(&'static [Code]),
}

/// One code and what it stands for, in English and in Japanese.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code {
    /// The code as stored (`0`, `B`, `*`, `fx_translation`).
    pub code: &'static str,
    /// Its label in English (`active`, `own batch`, `consolidated`).
    pub en: &'static str,
    /// Its label in Japanese (`有効`, `自社バッチ`, `連結`).
    pub ja: &'static str,
}

/// What one column of a service's tables means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Term {
    /// The service that declares it (its registered name).
    pub service: &'static str,
    /// The table, as the schema names it.
    pub table: &'static str,
    /// The column, as the schema names it.
    pub column: &'static str,
    /// Other headers scenarios write for this column in data tables (besides
    /// the column's own name), e.g. `金額` for `amount`.
    pub headers: &'static [&'static str],
    /// What its values are.
    pub meaning: Meaning,
}

impl Term {
    /// Whether a data table's header names this column.
    pub fn names_header(&self, header: &str) -> bool {
        let header = header.trim();
        header == self.column || self.headers.contains(&header)
    }

    /// The label of `value` in `language` (`ja` for Japanese, English
    /// otherwise), when this column holds codes and one is `value` or has
    /// `value` as a label already.
    pub fn label(&self, value: &str, language: &str) -> Option<&'static str> {
        let Meaning::Codes(codes) = self.meaning else {
            return None;
        };
        let value = value.trim();
        let code = codes
            .iter()
            .find(|c| c.code == value || c.en == value || c.ja == value)?;
        Some(if language == "ja" { code.ja } else { code.en })
    }

    /// The code `value` stands for, when it is a code or a label of one.
    pub fn code(&self, value: &str) -> Option<&'static str> {
        let Meaning::Codes(codes) = self.meaning else {
            return None;
        };
        let value = value.trim();
        codes
            .iter()
            .find(|c| c.code == value || c.en == value || c.ja == value)
            .map(|c| c.code)
    }
}

/// The declaration of `table.column` among `terms`.
pub fn of_column<'a>(terms: &'a [Term], table: &str, column: &str) -> Option<&'a Term> {
    terms
        .iter()
        .find(|t| t.table == table && t.column == column)
}

/// The declaration a data-table header names among `terms`: the first one, in
/// declaration order, whose column or headers are `header`.
pub fn of_header<'a>(terms: &'a [Term], header: &str) -> Option<&'a Term> {
    terms.iter().find(|t| t.names_header(header))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: Term = Term {
        service: "billing",
        table: "billing_record",
        column: "status",
        headers: &["ステータス"],
        meaning: Meaning::Codes(&[
            Code {
                code: "0",
                en: "active",
                ja: "有効",
            },
            Code {
                code: "1",
                en: "deleted",
                ja: "論理削除",
            },
        ]),
    };
    const AMOUNT: Term = Term {
        service: "billing",
        table: "billing_record",
        column: "amount",
        headers: &["金額"],
        meaning: Meaning::Money { currency: "JPY" },
    };

    #[test]
    fn codes_and_labels_read_in_the_language_asked() {
        assert_eq!(STATUS.label("0", "ja"), Some("有効"));
        assert_eq!(STATUS.label("1", "en"), Some("deleted"));
        assert_eq!(STATUS.label("deleted", "ja"), Some("論理削除"));
        assert_eq!(STATUS.code("有効"), Some("0"));
        assert_eq!(STATUS.label("7", "ja"), None);
        assert_eq!(AMOUNT.label("0", "ja"), None);
    }

    #[test]
    fn columns_and_headers_find_their_declaration() {
        let terms = [STATUS, AMOUNT];
        assert_eq!(of_column(&terms, "billing_record", "amount"), Some(&AMOUNT));
        assert_eq!(of_column(&terms, "other", "amount"), None);
        assert_eq!(of_header(&terms, " 金額 "), Some(&AMOUNT));
        assert_eq!(of_header(&terms, "status"), Some(&STATUS));
        assert_eq!(of_header(&terms, "person"), None);
    }
}
