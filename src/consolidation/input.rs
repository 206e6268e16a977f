//! Input files of the consolidation service (CSV, header line first):
//!
//! | file | columns |
//! |---|---|
//! | companies | `company,currency,parent` (`parent` is `yes` for the one parent, in JPY) |
//! | chart of accounts | `account,kind` (kinds: asset, liability, equity, revenue, expense, net_income, translation_adjustment, fx_gain_loss) |
//! | trial balances | `company,account,amount` (company currency, each amount positive on its natural side) |
//! | exchange rates | `currency,closing,average,historical` (JPY per unit) |
//! | adjustments | `company,stage,account,amount` (stage `local`: 個別修正; `jpy`: 換算修正) |
//! | journal entries | `entry,account,side,amount` (side `D` or `C`) |
//!
//! Every file is parsed completely, and checked against the group's companies and
//! accounts, before anything is written; an error names file, line, column and why.

pub use crate::input::{CsvLine, InputError, read_csv};
