//! Amounts (金額): exact decimals end to end, never floating point.
//!
//! Every amount a user writes (in a CSV fixture or a feature table) goes through
//! [`parse_amount`], which accepts only plain decimal notation so that a typo never
//! turns into a silently different number.

use std::str::FromStr;

use rust_decimal::Decimal;

/// An amount of money (金額) in the record's currency.
pub type Amount = Decimal;

/// Most decimal places an amount may carry (the `DECIMAL(19,4)` columns).
pub const MAX_SCALE: u32 = 4;

/// Largest absolute amount the `DECIMAL(19,4)` columns hold: 10^15 − 1 (integer part).
pub const MAX_INTEGER_DIGITS: usize = 15;

/// Why a text is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("an amount is required but the field is empty")]
    Empty,
    #[error(
        "{0:?} is not a decimal amount (write digits with an optional '-' and '.' decimal point, e.g. 80000 or 80,000 or 1234.50)"
    )]
    NotDecimal(String),
    #[error(
        "{0:?} uses ',' in a way that is not a thousands separator (groups of three digits); the decimal separator is '.'{hint}",
        hint = comma_hint(.0)
    )]
    BadGrouping(String),
    #[error(
        "{0:?} uses '.' to group thousands and ',' as the decimal separator; write the decimal point as '.' and group thousands with ',', e.g. 1,234.56"
    )]
    DecimalComma(String),
    #[error("{text:?} is written in full-width characters; write amounts in ASCII (half-width) digits{}", instead(.ascii))]
    FullWidth { text: String, ascii: Option<String> },
    #[error("{text:?} carries a currency sign or unit; write the number alone{}", instead(.number))]
    CurrencySign {
        text: String,
        number: Option<String>,
    },
    #[error("{text:?} writes a negative amount in parentheses; write a leading '-'{}", instead(.number))]
    Parenthesised {
        text: String,
        number: Option<String>,
    },
    #[error("{text:?} has {places} decimal places; at most {MAX_SCALE} are allowed")]
    TooManyPlaces { text: String, places: usize },
    #[error("{0:?} is too large: at most {MAX_INTEGER_DIGITS} digits before the decimal point")]
    Overflow(String),
}

fn instead(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!(": {s}"))
        .unwrap_or_default()
}

/// For a single comma that is not a thousands separator: how to write a decimal.
fn comma_hint(text: &str) -> String {
    if text.matches(',').count() == 1 && !text.contains('.') {
        format!(
            "; if ',' is the decimal point here, write {}",
            text.replace(',', ".")
        )
    } else {
        String::new()
    }
}

/// Characters a spreadsheet or an input method writes for ASCII ones: full-width
/// forms (`８００００`, `，`, `．`, `－`), the minus sign and the ideographic space.
fn to_ascii(text: &str) -> Option<String> {
    let mut changed = false;
    let ascii: String = text
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => {
                changed = true;
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            '\u{2212}' => {
                changed = true;
                '-'
            }
            '\u{3000}' => {
                changed = true;
                ' '
            }
            _ => c,
        })
        .collect();
    changed.then_some(ascii)
}

/// Why `text` (trimmed, not a plain decimal) is not an amount, when it is one of
/// the usual ways of writing an amount for people: full-width digits, a currency
/// sign, parentheses for a negative amount.
fn diagnose(text: &str) -> Option<AmountError> {
    let valid = |t: &str| parse_amount(t).is_ok().then(|| t.trim().to_string());
    if let Some(ascii) = to_ascii(text) {
        return Some(AmountError::FullWidth {
            text: text.to_string(),
            ascii: valid(&ascii),
        });
    }
    for sign in ["¥", "￥", "$", "€", "£"] {
        if let Some(rest) = text.strip_prefix(sign).or_else(|| {
            text.strip_prefix('-')
                .and_then(|t| t.strip_prefix(sign))
                .map(|t| t.trim_start())
        }) {
            let number = if text.starts_with('-') {
                valid(&format!("-{rest}"))
            } else {
                valid(rest)
            };
            return Some(AmountError::CurrencySign {
                text: text.to_string(),
                number,
            });
        }
    }
    for unit in ["円", "JPY", "USD", "EUR", "yen"] {
        if let Some(rest) = text.strip_suffix(unit) {
            return Some(AmountError::CurrencySign {
                text: text.to_string(),
                number: valid(rest),
            });
        }
    }
    if let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        return Some(AmountError::Parenthesised {
            text: text.to_string(),
            number: valid(&format!("-{}", inner.trim())),
        });
    }
    None
}

/// Parses an amount strictly: optional leading `-`, digits with optional thousands
/// separators (`80,000`), optional `.` and up to [`MAX_SCALE`] decimal places.
/// Rejects exponents, spaces inside, a comma used as decimal separator, `+`, `NaN`.
pub fn parse_amount(text: &str) -> Result<Amount, AmountError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(AmountError::Empty);
    }
    let (negative, body) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let not_decimal =
        || diagnose(trimmed).unwrap_or_else(|| AmountError::NotDecimal(trimmed.to_string()));
    if !trimmed
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '-'))
    {
        return Err(not_decimal());
    }
    if frac_part.is_some_and(|f| f.contains(',')) {
        return Err(AmountError::DecimalComma(trimmed.to_string()));
    }
    if int_part.is_empty() {
        return Err(not_decimal());
    }
    let digits: String = if int_part.contains(',') {
        let groups: Vec<&str> = int_part.split(',').collect();
        let first_ok = (1..=3).contains(&groups[0].len());
        let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
        if !first_ok || !rest_ok {
            return Err(AmountError::BadGrouping(trimmed.to_string()));
        }
        groups.concat()
    } else {
        int_part.to_string()
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_decimal());
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > MAX_INTEGER_DIGITS {
        return Err(AmountError::Overflow(trimmed.to_string()));
    }
    let mut canonical = String::with_capacity(trimmed.len());
    if negative {
        canonical.push('-');
    }
    canonical.push_str(&digits);
    if let Some(frac) = frac_part {
        if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(not_decimal());
        }
        if frac.len() > MAX_SCALE as usize {
            return Err(AmountError::TooManyPlaces {
                text: trimmed.to_string(),
                places: frac.len(),
            });
        }
        canonical.push('.');
        canonical.push_str(frac);
    }
    Decimal::from_str_exact(&canonical).map_err(|_| AmountError::Overflow(trimmed.to_string()))
}

/// An amount as a server's DECIMAL column gives it, without the column's trailing
/// zeros (201000.0000 reads as 201000, as SQLite's text does), so messages and
/// reports show the same figure on every engine.
pub fn from_decimal_column(amount: Amount) -> Amount {
    amount.normalize()
}

/// The text an amount is stored as where the engine has no exact decimal type
/// (SQLite): normalised, so `80000.00` and `80000` store the same.
pub fn to_storage_text(amount: Amount) -> String {
    amount.normalize().to_string()
}

/// Reads an amount back from its storage text.
pub fn from_storage_text(text: &str) -> Result<Amount, AmountError> {
    Decimal::from_str(text).map_err(|_| AmountError::NotDecimal(text.to_string()))
}

/// How an amount is shown to people: normalised (`80000`, `1234.5`), no exponent.
pub fn display(amount: Amount) -> String {
    amount.normalize().to_string()
}

/// An amount as an accountant reads it: normalised, with a thousands
/// separator every three digits of its whole part (`1067500` → `1,067,500`,
/// `-1234.5` → `-1,234.5`), computed on its decimal text (never a float).
pub fn grouped(amount: Amount) -> String {
    let text = display(amount);
    let (sign, body) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (whole, fraction) = match body.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (body, None),
    };
    let mut out = String::with_capacity(text.len() + whole.len() / 3);
    out.push_str(sign);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if let Some(fraction) = fraction {
        out.push('.');
        out.push_str(fraction);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_amounts_have_a_separator_every_three_digits() {
        let g = |text: &str| grouped(parse_amount(text).unwrap());
        assert_eq!(g("1067500"), "1,067,500");
        assert_eq!(g("70000.00"), "70,000");
        assert_eq!(g("-1234.5"), "-1,234.5");
        assert_eq!(g("999"), "999");
        assert_eq!(g("0"), "0");
        assert_eq!(g("123456789012.0001"), "123,456,789,012.0001");
    }

    fn ok(text: &str) -> String {
        display(parse_amount(text).unwrap())
    }

    #[test]
    fn accepts_plain_grouped_and_fractional_amounts() {
        assert_eq!(ok("80000"), "80000");
        assert_eq!(ok("80,000"), "80000");
        assert_eq!(ok("1,234,567.25"), "1234567.25");
        assert_eq!(ok("-30000.00"), "-30000");
        assert_eq!(ok(" 0.0001 "), "0.0001");
        assert_eq!(
            parse_amount("80000.00").unwrap(),
            parse_amount("80000").unwrap()
        );
    }

    #[test]
    fn rejects_what_is_not_a_plain_decimal() {
        assert_eq!(parse_amount(""), Err(AmountError::Empty));
        for bad in [
            "1e5", "abc", "+5", "1 000", ".5", "5.", "NaN", "--1", "1.2.3",
        ] {
            assert!(
                matches!(parse_amount(bad), Err(AmountError::NotDecimal(_))),
                "{bad} should not parse"
            );
        }
        assert!(matches!(
            parse_amount("80,00"),
            Err(AmountError::BadGrouping(_))
        ));
        assert!(matches!(
            parse_amount("1234,5"),
            Err(AmountError::BadGrouping(_))
        ));
        assert!(matches!(
            parse_amount("1.23456"),
            Err(AmountError::TooManyPlaces { places: 5, .. })
        ));
        assert!(matches!(
            parse_amount("1234567890123456"),
            Err(AmountError::Overflow(_))
        ));
        assert_eq!(ok("999999999999999.9999"), "999999999999999.9999");
    }

    #[test]
    fn amounts_written_for_people_are_refused_with_how_to_write_them() {
        let shown = |text: &str| parse_amount(text).unwrap_err().to_string();
        assert_eq!(
            shown("８００００"),
            "\"８００００\" is written in full-width characters; write amounts in ASCII (half-width) digits: 80000"
        );
        assert_eq!(
            shown("－１，２３４．５"),
            "\"－１，２３４．５\" is written in full-width characters; write amounts in ASCII (half-width) digits: -1,234.5"
        );
        assert_eq!(
            shown("¥80,000"),
            "\"¥80,000\" carries a currency sign or unit; write the number alone: 80,000"
        );
        assert_eq!(
            shown("80000円"),
            "\"80000円\" carries a currency sign or unit; write the number alone: 80000"
        );
        assert_eq!(
            shown("(1,000)"),
            "\"(1,000)\" writes a negative amount in parentheses; write a leading '-': -1,000"
        );
        assert_eq!(
            shown("1.234,56"),
            "\"1.234,56\" uses '.' to group thousands and ',' as the decimal separator; write the decimal point as '.' and group thousands with ',', e.g. 1,234.56"
        );
        assert_eq!(
            shown("80,00"),
            "\"80,00\" uses ',' in a way that is not a thousands separator (groups of three digits); the decimal separator is '.'; if ',' is the decimal point here, write 80.00"
        );
        assert!(matches!(
            parse_amount("¥¥"),
            Err(AmountError::CurrencySign { number: None, .. })
        ));
    }

    #[test]
    fn storage_text_round_trips_exactly() {
        let a = parse_amount("1234567.8901").unwrap();
        assert_eq!(from_storage_text(&to_storage_text(a)).unwrap(), a);
        assert_eq!(to_storage_text(parse_amount("80000.00").unwrap()), "80000");
    }
}
