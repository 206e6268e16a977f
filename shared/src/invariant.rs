//! Business invariants as data: each service declares the rules its tables must
//! obey after any operation; the harness ([`crate::check::invariants`]) checks them
//! after every scenario on every engine. Declarations name tables and columns only;
//! no service code runs to check them.

/// A rule over one or two tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// At most one row per value of `columns`, among the rows whose `only_where`
    /// column holds the given value (all rows when `None`).
    Unique {
        table: &'static str,
        columns: &'static [&'static str],
        only_where: Option<(&'static str, &'static str)>,
    },
    /// Every `table.column` value exists as `target.target_column`.
    References {
        table: &'static str,
        column: &'static str,
        target: &'static str,
        target_column: &'static str,
    },
    /// Per value of `group_by` (among rows whose `group_by` is in `groups`, or all
    /// groups when empty): the sum of `amount` over rows whose `kind` is in `plus`
    /// equals the sum over rows whose `kind` is in `minus` (decimal arithmetic).
    Balanced {
        table: &'static str,
        group_by: &'static str,
        groups: &'static [&'static str],
        kind: &'static str,
        amount: &'static str,
        plus: &'static [&'static str],
        minus: &'static [&'static str],
    },
}

/// A named business invariant of a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invariant {
    /// The service that declares it (its registered name).
    pub service: &'static str,
    /// What must hold, as a person would say it.
    pub name: &'static str,
    pub rule: Rule,
}

impl Rule {
    /// The tables the rule reads.
    pub fn tables(&self) -> Vec<&'static str> {
        match *self {
            Rule::Unique { table, .. } | Rule::Balanced { table, .. } => vec![table],
            Rule::References { table, target, .. } => vec![table, target],
        }
    }
}
