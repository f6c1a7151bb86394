//! Public holiday calendars built into tariff rules.
//!
//! The French calendar has eight fixed days: 1 January, 1 May, 8 May, 14 July, 15 August,
//! 1 November, 11 November and 25 December. Three more days follow Easter: Easter Monday,
//! Ascension (Easter + 39 days) and Whit Monday (Easter + 50 days). Alsace and
//! Moselle add Good Friday and 26 December. A rule adds its own closing days on top.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A set of public holidays, recomputed for every year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HolidayCalendar {
    /// Public holidays of metropolitan France.
    #[default]
    France,
    /// France plus Good Friday and 26 December, as in Alsace and Moselle.
    FranceAlsaceMoselle,
    /// No public holidays; only a rule's extra closing days count.
    None,
}

/// Fixed French public holidays as (month, day).
const FRANCE_FIXED: [(u32, u32); 8] = [
    (1, 1),
    (5, 1),
    (5, 8),
    (7, 14),
    (8, 15),
    (11, 1),
    (11, 11),
    (12, 25),
];

/// Days after Easter Sunday of the movable French holidays: Easter Monday, Ascension,
/// Whit Monday.
const FRANCE_AFTER_EASTER: [i64; 3] = [1, 39, 50];

/// Fixed holidays of Alsace and Moselle: the French ones and 26 December.
const ALSACE_MOSELLE_FIXED: [(u32, u32); 9] = [
    (1, 1),
    (5, 1),
    (5, 8),
    (7, 14),
    (8, 15),
    (11, 1),
    (11, 11),
    (12, 25),
    (12, 26),
];

/// Movable holidays of Alsace and Moselle: Good Friday and the French ones.
const ALSACE_MOSELLE_AFTER_EASTER: [i64; 4] = [-2, 1, 39, 50];

impl HolidayCalendar {
    /// Checks whether `date` is a public holiday of this calendar.
    pub fn is_holiday(self, date: NaiveDate) -> bool {
        self.holidays(date.year()).contains(&date)
    }

    /// Public holidays of `year`, in date order.
    pub fn holidays(self, year: i32) -> Vec<NaiveDate> {
        let (fixed, after_easter): (&[(u32, u32)], &[i64]) = match self {
            HolidayCalendar::None => return Vec::new(),
            HolidayCalendar::France => (&FRANCE_FIXED, &FRANCE_AFTER_EASTER),
            HolidayCalendar::FranceAlsaceMoselle => {
                (&ALSACE_MOSELLE_FIXED, &ALSACE_MOSELLE_AFTER_EASTER)
            }
        };
        let mut days: Vec<NaiveDate> = fixed
            .iter()
            .filter_map(|&(month, day)| NaiveDate::from_ymd_opt(year, month, day))
            .collect();
        if let Some(easter) = easter_sunday(year) {
            let movable = after_easter
                .iter()
                .filter_map(|&offset| easter.checked_add_signed(chrono::TimeDelta::days(offset)));
            days.extend(movable);
        }
        days.sort_unstable();
        days
    }

    pub(crate) fn is_default(&self) -> bool {
        *self == HolidayCalendar::default()
    }
}

/// Easter Sunday of a Gregorian `year`, by the anonymous Gregorian algorithm (Meeus,
/// Astronomical Algorithms, chapter 8); `None` outside chrono's date range.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let golden = year.rem_euclid(19);
    let century = year.div_euclid(100);
    let year_in_century = year.rem_euclid(100);
    let leap_skips = century / 4;
    let century_rest = century % 4;
    let moon_correction = (century + 8) / 25;
    let moon_shift = (century - moon_correction + 1) / 3;
    let epact = (19 * golden + century - leap_skips - moon_shift + 15).rem_euclid(30);
    let quarter = year_in_century / 4;
    let quarter_rest = year_in_century % 4;
    let weekday = (32 + 2 * century_rest + 2 * quarter - epact - quarter_rest).rem_euclid(7);
    let adjustment = (golden + 11 * epact + 22 * weekday) / 451;
    let days = epact + weekday - 7 * adjustment + 114;
    let month = u32::try_from(days / 31).ok()?;
    let day = u32::try_from(days % 31 + 1).ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("test date")
    }

    #[test]
    fn easter_dates() {
        let known = [
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2027, "2027-03-28"),
            (2038, "2038-04-25"),
            (2285, "2285-03-22"),
        ];
        for (year, expected) in known {
            assert_eq!(easter_sunday(year), Some(date(expected)), "{year}");
        }
    }

    #[test]
    fn french_holidays_2026() {
        let days: Vec<String> = HolidayCalendar::France
            .holidays(2026)
            .iter()
            .map(NaiveDate::to_string)
            .collect();
        let expected = [
            "2026-01-01",
            "2026-04-06",
            "2026-05-01",
            "2026-05-08",
            "2026-05-14",
            "2026-05-25",
            "2026-07-14",
            "2026-08-15",
            "2026-11-01",
            "2026-11-11",
            "2026-12-25",
        ];
        assert_eq!(days, expected);
    }

    #[test]
    fn alsace_moselle_adds_two_days() {
        let calendar = HolidayCalendar::FranceAlsaceMoselle;
        assert!(calendar.is_holiday(date("2026-04-03")));
        assert!(calendar.is_holiday(date("2026-12-26")));
        assert!(!HolidayCalendar::France.is_holiday(date("2026-12-26")));
        assert_eq!(calendar.holidays(2026).len(), 13);
    }

    #[test]
    fn no_calendar_has_no_holidays() {
        assert!(!HolidayCalendar::None.is_holiday(date("2026-01-01")));
    }
}
