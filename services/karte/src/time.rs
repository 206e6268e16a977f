//! Times of the karte service: stored as UTC epoch milliseconds, shown in
//! Asia/Tokyo (UTC+9 all year: Japan has kept no daylight saving time since 1951).
//!
//! The conversion is done here, never by the database, so no session or server
//! time zone can shift what was recorded (the follow-up incident of seed 000: memo
//! times moved when the database's time-zone setting changed).

use std::fmt;

/// Asia/Tokyo's offset from UTC.
pub const TOKYO_OFFSET_MS: i64 = 9 * HOUR_MS;
/// One minute in milliseconds.
pub const MINUTE_MS: i64 = 60 * 1000;
/// One hour in milliseconds.
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
/// One day in milliseconds.
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// A date and time as written in a scenario or a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WallClock {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
}

impl fmt::Display for WallClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute
        )
    }
}

/// A date or time that does not exist or is not written `YYYY-MM-DD[ HH:MM]`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a date and time written YYYY-MM-DD HH:MM: {reason}")]
pub struct TimeError {
    pub text: String,
    pub reason: &'static str,
}

use kensho_shared::calendar::{civil_from_days, days_from_civil};

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl WallClock {
    /// Parses `YYYY-MM-DD HH:MM` (or `YYYY-MM-DD`, meaning 00:00).
    pub fn parse(text: &str) -> Result<WallClock, TimeError> {
        let err = |reason| TimeError {
            text: text.to_string(),
            reason,
        };
        let (date, time) = match text.trim().split_once(' ') {
            Some((d, t)) => (d, Some(t.trim())),
            None => (text.trim(), None),
        };
        let number = |part: &str, digits: usize| -> Result<u32, TimeError> {
            if part.len() != digits || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("every field is written with its digits"));
            }
            part.parse().map_err(|_| err("a field is not a number"))
        };
        let fields: Vec<&str> = date.split('-').collect();
        let [y, m, d] = fields[..] else {
            return Err(err("the date is year-month-day"));
        };
        let (year, month, day) = (number(y, 4)? as i32, number(m, 2)?, number(d, 2)?);
        if !(1..=12).contains(&month) {
            return Err(err("the month is 01 to 12"));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(err("that month has no such day"));
        }
        let (hour, minute) = match time {
            None => (0, 0),
            Some(t) => {
                let Some((h, mi)) = t.split_once(':') else {
                    return Err(err("the time is hours:minutes"));
                };
                let (hour, minute) = (number(h, 2)?, number(mi, 2)?);
                if hour > 23 || minute > 59 {
                    return Err(err("the time is 00:00 to 23:59"));
                }
                (hour, minute)
            }
        };
        Ok(WallClock {
            year,
            month,
            day,
            hour,
            minute,
        })
    }

    /// This wall-clock time read in Asia/Tokyo, as UTC epoch milliseconds.
    pub fn tokyo_to_utc_ms(self) -> i64 {
        self.as_if_utc_ms() - TOKYO_OFFSET_MS
    }

    /// This wall-clock time read in UTC, as UTC epoch milliseconds.
    pub fn as_if_utc_ms(self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * DAY_MS
            + i64::from(self.hour) * HOUR_MS
            + i64::from(self.minute) * MINUTE_MS
    }

    /// The wall clock in UTC at `utc_ms` (seconds dropped).
    pub fn utc(utc_ms: i64) -> WallClock {
        let days = utc_ms.div_euclid(DAY_MS);
        let in_day = utc_ms.rem_euclid(DAY_MS);
        let (year, month, day) = civil_from_days(days);
        WallClock {
            year,
            month,
            day,
            hour: (in_day / HOUR_MS) as u32,
            minute: (in_day % HOUR_MS / MINUTE_MS) as u32,
        }
    }

    /// The wall clock in Asia/Tokyo at `utc_ms` (seconds dropped).
    pub fn tokyo(utc_ms: i64) -> WallClock {
        WallClock::utc(utc_ms + TOKYO_OFFSET_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokyo_is_nine_hours_ahead_of_utc() {
        // 2022-04-16 23:54 in Tokyo is 14:54 UTC the same day.
        let t = WallClock::parse("2022-04-16 23:54").unwrap();
        let ms = t.tokyo_to_utc_ms();
        assert_eq!(WallClock::utc(ms).to_string(), "2022-04-16 14:54");
        assert_eq!(WallClock::tokyo(ms), t);
        // 08:30 in Tokyo is the previous day in UTC.
        let early = WallClock::parse("2026-01-01 08:30")
            .unwrap()
            .tokyo_to_utc_ms();
        assert_eq!(WallClock::utc(early).to_string(), "2025-12-31 23:30");
        assert_eq!(ms, 1_650_120_840_000);
    }

    #[test]
    fn civil_days_round_trip_over_leap_years() {
        for days in -800_000..800_000 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
    }

    #[test]
    fn bad_dates_are_refused_with_the_reason() {
        for (text, reason) in [
            ("2026-02-29 10:00", "that month has no such day"),
            ("2026-13-01", "the month is 01 to 12"),
            ("2026-04-16 24:00", "the time is 00:00 to 23:59"),
            ("2026/04/16", "the date is year-month-day"),
            ("2026-4-16", "every field is written with its digits"),
            ("2026-04-16 9:30", "every field is written with its digits"),
        ] {
            let e = WallClock::parse(text).unwrap_err();
            assert_eq!(e.reason, reason, "{text}");
        }
        assert_eq!(
            WallClock::parse("2024-02-29").unwrap().to_string(),
            "2024-02-29 00:00"
        );
    }
}
