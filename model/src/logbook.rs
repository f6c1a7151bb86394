//! Parser for paper logbook pages transcribed as tab-separated text.
//!
//! A page starts with a header line that names its columns, in French or English and in
//! any order: date, opérateur/operator, groupe/group, début/start, fin/end, type/kind and
//! an optional observations column. Each following line is one session ("passage") with
//! its start and end written as local wall-clock times such as `14h`, `14.30h` or `14:30`.
//!
//! [`parse_passages`] checks every line, converts the local times to UTC in the facility's
//! time zone, and returns either all rows or every error it found, so that a user can fix
//! the file in one pass.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

/// One session read from a logbook page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogbookRow {
    /// 1-based line number in the file, counting blank lines.
    pub line: usize,
    /// Local date written in the row, on which the session starts.
    pub date: NaiveDate,
    pub operator: String,
    /// Code of the billing group, as written.
    pub group: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub kind: String,
    /// Empty when the page has no observations column or the cell is empty or `-`.
    pub observations: String,
    /// True when the end time is earlier than the start time, so the session ends on the
    /// day after `date`.
    pub crosses_midnight: bool,
}

/// A problem found at one place of a logbook file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}: {}", self.location(), self.detail())]
pub struct LogbookError {
    /// 1-based line number in the file.
    pub line: usize,
    /// Header name as written in the file, or "" for errors about a whole line.
    pub column: String,
    /// The offending text.
    pub value: String,
    pub kind: LogbookErrorKind,
}

/// Kind of problem in a [`LogbookError`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum LogbookErrorKind {
    /// The file has no header line.
    EmptyFile,
    /// The header lacks a required column, given by its canonical English name.
    MissingColumn(String),
    UnknownColumn,
    DuplicateColumn,
    WrongFieldCount {
        expected: usize,
        found: usize,
    },
    /// A required cell is empty.
    EmptyField,
    InvalidDate,
    InvalidTime,
    /// The local time falls in the hour skipped when the clocks go forward.
    NonexistentLocalTime,
    /// The end time equals the start time.
    ZeroDuration,
}

impl LogbookErrorKind {
    /// Returns the stable ID under which the node looks up the translated message.
    pub fn message_id(&self) -> &'static str {
        match self {
            LogbookErrorKind::EmptyFile => "logbook-empty-file",
            LogbookErrorKind::MissingColumn(_) => "logbook-missing-column",
            LogbookErrorKind::UnknownColumn => "logbook-unknown-column",
            LogbookErrorKind::DuplicateColumn => "logbook-duplicate-column",
            LogbookErrorKind::WrongFieldCount { .. } => "logbook-wrong-field-count",
            LogbookErrorKind::EmptyField => "logbook-empty-field",
            LogbookErrorKind::InvalidDate => "logbook-invalid-date",
            LogbookErrorKind::InvalidTime => "logbook-invalid-time",
            LogbookErrorKind::NonexistentLocalTime => "logbook-nonexistent-local-time",
            LogbookErrorKind::ZeroDuration => "logbook-zero-duration",
        }
    }
}

impl LogbookError {
    fn new(line: usize, column: &str, value: &str, kind: LogbookErrorKind) -> LogbookError {
        LogbookError {
            line,
            column: column.to_string(),
            value: value.to_string(),
            kind,
        }
    }

    fn location(&self) -> String {
        if self.column.is_empty() {
            format!("line {}", self.line)
        } else {
            format!("line {}, column {:?}", self.line, self.column)
        }
    }

    fn detail(&self) -> String {
        let value = &self.value;
        match &self.kind {
            LogbookErrorKind::EmptyFile => "the file is empty (expected a header line naming \
                 the columns date, opérateur, groupe, début, fin, type and observations)"
                .to_string(),
            LogbookErrorKind::MissingColumn(name) => {
                format!("missing column {name:?} in the header (add it, in French or English)")
            }
            LogbookErrorKind::UnknownColumn => format!(
                "unknown column {value:?} (expected date, opérateur, groupe, début, fin, \
                 type, observations or their English names)"
            ),
            LogbookErrorKind::DuplicateColumn => {
                format!("column {value:?} appears twice in the header (remove one)")
            }
            LogbookErrorKind::WrongFieldCount { expected, found } => format!(
                "expected {expected} tab-separated fields as in the header, found {found} \
                 in {value:?}"
            ),
            LogbookErrorKind::EmptyField => "empty value in a required column".to_string(),
            LogbookErrorKind::InvalidDate => format!(
                "invalid date {value:?} (expected day/month/year such as 2/6/10 or 02/06/2010)"
            ),
            LogbookErrorKind::InvalidTime => {
                format!("invalid time {value:?} (expected a time such as 14h, 14.30h or 14:30)")
            }
            LogbookErrorKind::NonexistentLocalTime => format!(
                "local time {value:?} does not exist on that date because the clocks go \
                 forward at that hour (correct the time)"
            ),
            LogbookErrorKind::ZeroDuration => {
                format!("the session ends at its start time {value:?} (correct start or end)")
            }
        }
    }
}

/// Parses the text of a logbook page whose times are local times in `tz`.
///
/// Blank lines are skipped, a UTF-8 byte order mark and `\r\n` line ends are accepted. A
/// header line without any session line gives an empty list. On failure the error list
/// contains every problem of the header, or every problem of every row.
pub fn parse_passages(text: &str, tz: Tz) -> Result<Vec<LogbookRow>, Vec<LogbookError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line))
        .filter(|(_, line)| !line.trim().is_empty());

    let Some((header_line, header_text)) = lines.next() else {
        return Err(vec![LogbookError::new(
            1,
            "",
            "",
            LogbookErrorKind::EmptyFile,
        )]);
    };
    let header = Header::parse(header_line, header_text)?;

    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (line, line_text) in lines {
        match parse_row(&header, line, line_text, tz) {
            Ok(row) => rows.push(row),
            Err(mut row_errors) => errors.append(&mut row_errors),
        }
    }

    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// A column recognized by the parser, whatever its position and spelling in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Date,
    Operator,
    Group,
    Start,
    End,
    Kind,
    Observations,
}

impl Column {
    const ALL: [Column; 7] = [
        Column::Date,
        Column::Operator,
        Column::Group,
        Column::Start,
        Column::End,
        Column::Kind,
        Column::Observations,
    ];

    fn canonical_name(self) -> &'static str {
        match self {
            Column::Date => "date",
            Column::Operator => "operator",
            Column::Group => "group",
            Column::Start => "start",
            Column::End => "end",
            Column::Kind => "kind",
            Column::Observations => "observations",
        }
    }

    fn is_required(self) -> bool {
        self != Column::Observations
    }

    /// Recognizes a header name, ignoring case, accents and surrounding spaces.
    fn from_header(name: &str) -> Option<Column> {
        let column = match fold_header_name(name).as_str() {
            "date" => Column::Date,
            "operateur" | "operator" => Column::Operator,
            "groupe" | "group" => Column::Group,
            "debut" | "start" => Column::Start,
            "fin" | "end" => Column::End,
            "type" | "kind" => Column::Kind,
            "observations" => Column::Observations,
            _ => return None,
        };
        Some(column)
    }
}

fn fold_header_name(name: &str) -> String {
    name.trim()
        .chars()
        .flat_map(char::to_lowercase)
        .map(strip_accent)
        .collect()
}

/// Maps the accented lowercase letters of French to their base letter.
fn strip_accent(letter: char) -> char {
    match letter {
        'à' | 'â' | 'ä' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'î' | 'ï' => 'i',
        'ô' | 'ö' => 'o',
        'ù' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        other => other,
    }
}

/// The header line: where each known column is, and every name as written.
struct Header {
    /// Field index of each column, indexed by `Column as usize`.
    positions: [Option<usize>; Column::ALL.len()],
    names: Vec<String>,
}

impl Header {
    fn parse(line: usize, text: &str) -> Result<Header, Vec<LogbookError>> {
        let mut header = Header {
            positions: [None; Column::ALL.len()],
            names: Vec::new(),
        };
        let mut errors = Vec::new();

        for (index, raw_name) in text.split('\t').enumerate() {
            let name = raw_name.trim();
            header.names.push(name.to_string());
            let kind = match Column::from_header(name) {
                None => LogbookErrorKind::UnknownColumn,
                Some(column) if header.positions[column as usize].is_some() => {
                    LogbookErrorKind::DuplicateColumn
                }
                Some(column) => {
                    header.positions[column as usize] = Some(index);
                    continue;
                }
            };
            errors.push(LogbookError::new(line, name, name, kind));
        }

        for column in Column::ALL {
            if column.is_required() && header.positions[column as usize].is_none() {
                let kind = LogbookErrorKind::MissingColumn(column.canonical_name().to_string());
                errors.push(LogbookError::new(line, "", "", kind));
            }
        }

        if errors.is_empty() {
            Ok(header)
        } else {
            Err(errors)
        }
    }
}

/// A time of day read from a cell: `24h` is the midnight that ends the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WallTime {
    At(NaiveTime),
    EndOfDay,
}

/// The cells of one row, with the errors found so far in them.
struct RowReader<'a> {
    header: &'a Header,
    line: usize,
    fields: Vec<&'a str>,
    errors: Vec<LogbookError>,
}

impl<'a> RowReader<'a> {
    fn cell(&self, column: Column) -> Option<&'a str> {
        let index = self.header.positions[column as usize]?;
        self.fields.get(index).copied()
    }

    fn column_name(&self, column: Column) -> &'a str {
        let header: &'a Header = self.header;
        header.positions[column as usize]
            .and_then(|index| header.names.get(index))
            .map_or("", String::as_str)
    }

    fn report(&mut self, column: Column, value: &str, kind: LogbookErrorKind) {
        let name = self.column_name(column);
        self.errors
            .push(LogbookError::new(self.line, name, value, kind));
    }

    /// Reads a required cell, reporting it when it is empty.
    fn text(&mut self, column: Column) -> Option<&'a str> {
        let value = self.cell(column).unwrap_or("");
        if value.is_empty() {
            self.report(column, value, LogbookErrorKind::EmptyField);
            return None;
        }
        Some(value)
    }

    fn observations(&self) -> String {
        match self.cell(Column::Observations) {
            None | Some("-") => String::new(),
            Some(text) => text.to_string(),
        }
    }

    fn date(&mut self) -> Option<NaiveDate> {
        let text = self.text(Column::Date)?;
        let date = parse_date(text);
        if date.is_none() {
            self.report(Column::Date, text, LogbookErrorKind::InvalidDate);
        }
        date
    }

    /// Reads a time cell. `24h` is accepted only as an end.
    fn time(&mut self, column: Column) -> Option<WallTime> {
        let text = self.text(column)?;
        let time =
            parse_time(text).filter(|time| column != Column::Start || *time != WallTime::EndOfDay);
        if time.is_none() {
            self.report(column, text, LogbookErrorKind::InvalidTime);
        }
        time
    }

    /// Converts a local date and time to UTC, reporting a time in a spring-forward gap.
    fn instant(&mut self, column: Column, local: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
        let instant = local_to_utc(local, tz);
        if instant.is_none() {
            let text = self.cell(column).unwrap_or("");
            self.report(column, text, LogbookErrorKind::NonexistentLocalTime);
        }
        instant
    }
}

fn parse_row(
    header: &Header,
    line: usize,
    text: &str,
    tz: Tz,
) -> Result<LogbookRow, Vec<LogbookError>> {
    let fields: Vec<&str> = text.split('\t').map(str::trim).collect();
    if fields.len() != header.names.len() {
        let kind = LogbookErrorKind::WrongFieldCount {
            expected: header.names.len(),
            found: fields.len(),
        };
        return Err(vec![LogbookError::new(line, "", text, kind)]);
    }
    let mut reader = RowReader {
        header,
        line,
        fields,
        errors: Vec::new(),
    };

    let date = reader.date();
    let operator = reader.text(Column::Operator);
    let group = reader.text(Column::Group);
    let start = reader.time(Column::Start);
    let end = reader.time(Column::End);
    let kind = reader.text(Column::Kind);
    let observations = reader.observations();

    let (Some(date), Some(operator), Some(group), Some(start), Some(end), Some(kind)) =
        (date, operator, group, start, end, kind)
    else {
        return Err(reader.errors);
    };
    let Some((start, end, crosses_midnight)) = resolve_interval(&mut reader, date, start, end, tz)
    else {
        return Err(reader.errors);
    };

    Ok(LogbookRow {
        line,
        date,
        operator: operator.to_string(),
        group: group.to_string(),
        start,
        end,
        kind: kind.to_string(),
        observations,
        crosses_midnight,
    })
}

/// Places start and end on the time line: an end earlier than the start is on the next
/// day. Returns the UTC instants and whether the session crosses midnight.
fn resolve_interval(
    reader: &mut RowReader<'_>,
    date: NaiveDate,
    start: WallTime,
    end: WallTime,
    tz: Tz,
) -> Option<(DateTime<Utc>, DateTime<Utc>, bool)> {
    // `RowReader::time` never returns `EndOfDay` for the start column.
    let WallTime::At(start_time) = start else {
        return None;
    };

    let Some(next_day) = date.succ_opt() else {
        let text = reader.cell(Column::Date).unwrap_or("");
        reader.report(Column::Date, text, LogbookErrorKind::InvalidDate);
        return None;
    };
    let (end_local, crosses_midnight) = match end {
        WallTime::EndOfDay => (next_day.and_time(NaiveTime::MIN), false),
        WallTime::At(end_time) if end_time > start_time => (date.and_time(end_time), false),
        WallTime::At(end_time) if end_time < start_time => (next_day.and_time(end_time), true),
        WallTime::At(_) => {
            let text = reader.cell(Column::End).unwrap_or("");
            reader.report(Column::End, text, LogbookErrorKind::ZeroDuration);
            return None;
        }
    };

    let start_utc = reader.instant(Column::Start, date.and_time(start_time), tz);
    let end_utc = reader.instant(Column::End, end_local, tz);
    Some((start_utc?, end_utc?, crosses_midnight))
}

/// Converts a local time to UTC. In the autumn fold the earlier of the two instants is
/// taken; a time in the spring gap gives `None`.
fn local_to_utc(local: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(instant) => Some(instant.with_timezone(&Utc)),
        LocalResult::Ambiguous(earliest, _) => Some(earliest.with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

/// Parses `d/m/yy` or `d/m/yyyy`. A two-digit year `yy` is 2000+yy below 70, else 1900+yy.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let mut parts = text.split('/');
    let day = parse_digits(parts.next()?, 1, 2)?;
    let month = parse_digits(parts.next()?, 1, 2)?;
    let year_text = parts.next()?;
    if parts.next().is_some() {
        return None;
    }

    let year = match year_text.len() {
        2 => {
            let short_year = parse_digits(year_text, 2, 2)?;
            if short_year < 70 {
                2000 + short_year
            } else {
                1900 + short_year
            }
        }
        4 => parse_digits(year_text, 4, 4)?,
        _ => return None,
    };
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// Parses `14h`, `14.30h`, `14.30`, `14h30`, `14:30` or `14`. Minutes have two digits.
/// Hour 24 is accepted only with zero minutes and means the end of the day.
fn parse_time(text: &str) -> Option<WallTime> {
    let lower = text.to_ascii_lowercase();
    let (hour_text, minute_text) = split_time(&lower);
    let hour = parse_digits(hour_text, 1, 2)?;
    let minute = match minute_text {
        Some(minute_text) => parse_digits(minute_text, 2, 2)?,
        None => 0,
    };

    match (hour, minute) {
        (24, 0) => Some(WallTime::EndOfDay),
        _ => NaiveTime::from_hms_opt(hour, minute, 0).map(WallTime::At),
    }
}

/// Splits a time into its hour and minute texts without checking them.
fn split_time(text: &str) -> (&str, Option<&str>) {
    if let Some((hour, minute)) = text.split_once(':') {
        return (hour, Some(minute));
    }
    if let Some(body) = text.strip_suffix('h') {
        return match body.split_once('.') {
            Some((hour, minute)) => (hour, Some(minute)),
            None => (body, None),
        };
    }
    match text.split_once('h').or_else(|| text.split_once('.')) {
        Some((hour, minute)) => (hour, Some(minute)),
        None => (text, None),
    }
}

/// Parses a run of ASCII digits whose length is within `min_len..=max_len`.
fn parse_digits(text: &str, min_len: usize, max_len: usize) -> Option<u32> {
    let length_ok = (min_len..=max_len).contains(&text.len());
    if !length_ok || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The June 2010 page of the NMR logbook, as transcribed, shared with the billing tests.
#[cfg(test)]
pub(crate) const RMN_2010_06: &str = "\
date\topérateur\tgroupe\tdébut\tfin\ttype\tobservations
2/6/10\tDurand\tSGP\t14h\t15h\tcarbone\t-
2/6/10\tHaddad\tNSA\t14.30h\t16h\tproton\t-
2/6/10\tMoreau\tLMCP\t16.30h\t18.30h\tproton\tpas de signal?
3/6/10\tDurand\tservice\t8.00h\t13.30h\tmaintenance\tproblèmes corrigés
3/6/10\tMoreau\tLMCP\t14.30h\t17.30h\tproton\tplus de problème
4/6/10\tRoux\tAREVA\t8h\t12.00h\tcarbone\t-
4/6/10\tDurand\tIdenix\t13h\t15.30h\tcarbone\t-
";

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Paris;

    const HEADER: &str = "date\topérateur\tgroupe\tdébut\tfin\ttype\tobservations";

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().expect("test instant")
    }

    fn page(rows: &[&str]) -> String {
        let mut text = format!("{HEADER}\n");
        for row in rows {
            text.push_str(row);
            text.push('\n');
        }
        text
    }

    fn parse_one(row: &str) -> Result<LogbookRow, Vec<LogbookError>> {
        let mut rows = parse_passages(&page(&[row]), Paris)?;
        assert_eq!(rows.len(), 1);
        Ok(rows.remove(0))
    }

    fn single_error(text: &str) -> LogbookError {
        let errors = parse_passages(text, Paris).expect_err("the text is invalid");
        assert_eq!(errors.len(), 1, "{errors:?}");
        errors[0].clone()
    }

    #[test]
    fn real_page_parses_seven_rows() {
        let rows = parse_passages(RMN_2010_06, Paris).expect("valid page");
        assert_eq!(rows.len(), 7);

        let expected = [
            (
                2,
                "Durand",
                "SGP",
                "2010-06-02T12:00:00Z",
                "2010-06-02T13:00:00Z",
            ),
            (
                3,
                "Haddad",
                "NSA",
                "2010-06-02T12:30:00Z",
                "2010-06-02T14:00:00Z",
            ),
            (
                4,
                "Moreau",
                "LMCP",
                "2010-06-02T14:30:00Z",
                "2010-06-02T16:30:00Z",
            ),
            (
                5,
                "Durand",
                "service",
                "2010-06-03T06:00:00Z",
                "2010-06-03T11:30:00Z",
            ),
            (
                6,
                "Moreau",
                "LMCP",
                "2010-06-03T12:30:00Z",
                "2010-06-03T15:30:00Z",
            ),
            (
                7,
                "Roux",
                "AREVA",
                "2010-06-04T06:00:00Z",
                "2010-06-04T10:00:00Z",
            ),
            (
                8,
                "Durand",
                "Idenix",
                "2010-06-04T11:00:00Z",
                "2010-06-04T13:30:00Z",
            ),
        ];
        for (row, (line, operator, group, start, end)) in rows.iter().zip(expected) {
            assert_eq!(row.line, line);
            assert_eq!(row.operator, operator);
            assert_eq!(row.group, group);
            assert_eq!(row.start, utc(start), "start of line {line}");
            assert_eq!(row.end, utc(end), "end of line {line}");
            assert!(!row.crosses_midnight);
        }
    }

    #[test]
    fn real_page_fields() {
        let rows = parse_passages(RMN_2010_06, Paris).expect("valid page");
        assert_eq!(
            rows[0].date,
            NaiveDate::from_ymd_opt(2010, 6, 2).expect("date")
        );
        assert_eq!(rows[0].kind, "carbone");
        assert_eq!(rows[0].observations, "");
        assert_eq!(rows[2].observations, "pas de signal?");
        assert_eq!(rows[3].kind, "maintenance");
        assert_eq!(rows[3].observations, "problèmes corrigés");
    }

    #[test]
    fn time_formats() {
        let cases = [
            ("14h", "12:00"),
            ("14H", "12:00"),
            ("14.30h", "12:30"),
            ("8.00h", "06:00"),
            ("14h30", "12:30"),
            ("14:30", "12:30"),
            ("14.30", "12:30"),
            ("8", "06:00"),
            ("08:05", "06:05"),
            ("0h", "22:00"),
        ];
        for (written, utc_time) in cases {
            let row = format!("2/6/10\tDurand\tSGP\t{written}\t24h\tproton\t-");
            let parsed = parse_one(&row).unwrap_or_else(|e| panic!("{written}: {e:?}"));
            let expected_day = if written == "0h" { "01" } else { "02" };
            let expected = utc(&format!("2010-06-{expected_day}T{utc_time}:00Z"));
            assert_eq!(parsed.start, expected, "{written}");
        }
    }

    #[test]
    fn end_of_day_24h() {
        for written in ["24h", "24:00", "24"] {
            let row = format!("2/6/10\tDurand\tSGP\t22h\t{written}\tproton\t-");
            let parsed = parse_one(&row).expect("valid row");
            assert_eq!(parsed.end, utc("2010-06-02T22:00:00Z"), "{written}");
            assert!(!parsed.crosses_midnight);
        }
    }

    #[test]
    fn date_formats() {
        let cases = [
            ("2/6/10", (2010, 6, 2)),
            ("02/06/2010", (2010, 6, 2)),
            ("2/6/69", (2069, 6, 2)),
            ("2/6/70", (1970, 6, 2)),
            ("31/12/99", (1999, 12, 31)),
        ];
        for (written, (year, month, day)) in cases {
            let row = format!("{written}\tDurand\tSGP\t14h\t15h\tproton\t-");
            let parsed = parse_one(&row).expect("valid row");
            let expected = NaiveDate::from_ymd_opt(year, month, day).expect("date");
            assert_eq!(parsed.date, expected, "{written}");
        }
    }

    #[test]
    fn english_headers_any_order() {
        let text = "Operator\tSTART\tEnd\tDate\tKind\tGroup\n\
                    Durand\t14h\t15h\t2/6/10\tproton\tSGP\n";
        let rows = parse_passages(text, Paris).expect("valid page");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].operator, "Durand");
        assert_eq!(rows[0].group, "SGP");
        assert_eq!(rows[0].kind, "proton");
        assert_eq!(rows[0].observations, "");
        assert_eq!(rows[0].start, utc("2010-06-02T12:00:00Z"));
    }

    #[test]
    fn unaccented_french_headers() {
        let text = "DATE\tOperateur\tgroupe\tdebut\tfin\ttype\n\
                    2/6/10\tDurand\tSGP\t14h\t15h\tproton\n";
        let rows = parse_passages(text, Paris).expect("valid page");
        assert_eq!(rows.len(), 1);
    }

    #[test]
    fn bom_crlf_and_blank_lines() {
        let text = "\u{feff}date\topérateur\tgroupe\tdébut\tfin\ttype\tobservations\r\n\
                    \r\n\
                    2/6/10\tDurand\tSGP\t14h\t15h\tcarbone\t-\r\n\
                    \t\t\r\n\
                    3/6/10\tMoreau\tLMCP\t9h\t10h\tproton\tok\r\n";
        let rows = parse_passages(text, Paris).expect("valid page");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 3);
        assert_eq!(rows[1].line, 5);
        assert_eq!(rows[1].observations, "ok");
    }

    #[test]
    fn header_only_gives_no_rows() {
        let rows = parse_passages(&page(&[]), Paris).expect("valid page");
        assert!(rows.is_empty());
    }

    #[test]
    fn midnight_crossing() {
        let row = parse_one("2/6/10\tDurand\tSGP\t22h\t2h\tproton\t-").expect("valid row");
        assert!(row.crosses_midnight);
        assert_eq!(row.start, utc("2010-06-02T20:00:00Z"));
        assert_eq!(row.end, utc("2010-06-03T00:00:00Z"));
    }

    #[test]
    fn dst_gap_rejected() {
        let error = single_error(&page(&["28/3/10\tDurand\tSGP\t1h\t2.30h\tproton\t-"]));
        assert_eq!(error.kind, LogbookErrorKind::NonexistentLocalTime);
        assert_eq!(error.column, "fin");
        assert_eq!(error.value, "2.30h");
        assert_eq!(error.line, 2);
    }

    #[test]
    fn dst_night_spring_elapsed_time() {
        let row = parse_one("27/3/10\tDurand\tSGP\t22h\t6h\tproton\t-").expect("valid row");
        assert!(row.crosses_midnight);
        assert_eq!(row.end - row.start, chrono::TimeDelta::hours(7));
    }

    #[test]
    fn dst_fold_takes_earliest() {
        // On 2010-10-31 the local hour 02:00-03:00 happens twice in Paris.
        let row = parse_one("31/10/10\tDurand\tSGP\t2.30h\t4h\tproton\t-").expect("valid row");
        assert_eq!(row.start, utc("2010-10-31T00:30:00Z"));
        assert_eq!(row.end, utc("2010-10-31T03:00:00Z"));
    }

    #[test]
    fn empty_file() {
        for text in ["", "\u{feff}", "\n\r\n  \n"] {
            let error = single_error(text);
            assert_eq!(error.kind, LogbookErrorKind::EmptyFile);
            assert_eq!(error.line, 1);
        }
    }

    #[test]
    fn missing_column() {
        let error = single_error("date\topérateur\tgroupe\tdébut\tfin\n");
        assert_eq!(
            error.kind,
            LogbookErrorKind::MissingColumn("kind".to_string())
        );
        assert_eq!(error.column, "");
    }

    #[test]
    fn unknown_column() {
        let text = format!("{HEADER}\tsalle\n");
        let error = single_error(&text);
        assert_eq!(error.kind, LogbookErrorKind::UnknownColumn);
        assert_eq!(error.column, "salle");
        assert_eq!(error.value, "salle");
    }

    #[test]
    fn duplicate_column() {
        let text = format!("{HEADER}\tGroup\n");
        let error = single_error(&text);
        assert_eq!(error.kind, LogbookErrorKind::DuplicateColumn);
        assert_eq!(error.column, "Group");
    }

    #[test]
    fn wrong_field_count() {
        let error = single_error(&page(&["2/6/10\tDurand\tSGP\t14h\t15h\tcarbone"]));
        let expected = LogbookErrorKind::WrongFieldCount {
            expected: 7,
            found: 6,
        };
        assert_eq!(error.kind, expected);
        assert_eq!(error.line, 2);
        assert_eq!(error.column, "");
    }

    #[test]
    fn empty_field() {
        let error = single_error(&page(&["2/6/10\t \tSGP\t14h\t15h\tcarbone\t"]));
        assert_eq!(error.kind, LogbookErrorKind::EmptyField);
        assert_eq!(error.column, "opérateur");
    }

    #[test]
    fn invalid_dates() {
        for written in [
            "31/6/10",
            "2/6",
            "2-6-10",
            "2/6/2010/1",
            "2/6/123",
            "x/6/10",
        ] {
            let row = format!("{written}\tDurand\tSGP\t14h\t15h\tcarbone\t-");
            let error = single_error(&page(&[&row]));
            assert_eq!(error.kind, LogbookErrorKind::InvalidDate, "{written}");
            assert_eq!(error.value, written);
            assert_eq!(error.column, "date");
        }
    }

    #[test]
    fn invalid_times() {
        let invalid = [
            "14.75h", "25h", "24h30", "14.3h", "14h30h", "h", "14:30h", "-1h", "1430", "midi",
        ];
        for written in invalid {
            let row = format!("2/6/10\tDurand\tSGP\t{written}\t23h\tcarbone\t-");
            let error = single_error(&page(&[&row]));
            assert_eq!(error.kind, LogbookErrorKind::InvalidTime, "{written}");
            assert_eq!(error.value, written);
            assert_eq!(error.column, "début");
        }
    }

    #[test]
    fn start_at_24h_rejected() {
        let error = single_error(&page(&["2/6/10\tDurand\tSGP\t24h\t1h\tcarbone\t-"]));
        assert_eq!(error.kind, LogbookErrorKind::InvalidTime);
    }

    #[test]
    fn zero_duration() {
        let error = single_error(&page(&["2/6/10\tDurand\tSGP\t14h\t14:00\tcarbone\t-"]));
        assert_eq!(error.kind, LogbookErrorKind::ZeroDuration);
        assert_eq!(error.column, "fin");
        assert_eq!(error.value, "14:00");
    }

    #[test]
    fn all_row_errors_collected() {
        let text = page(&[
            "2/6/10\tDurand\tSGP\t14.75h\t15h\tcarbone\t-",
            "2/6/10\tDurand\tSGP\t14h\t15h\tcarbone\t-",
            "31/6/10\t\tSGP\t14h\t99h\tcarbone\t-",
        ]);
        let errors = parse_passages(&text, Paris).expect_err("invalid rows");
        let found: Vec<(usize, &str, &LogbookErrorKind)> = errors
            .iter()
            .map(|error| (error.line, error.column.as_str(), &error.kind))
            .collect();
        assert_eq!(
            found,
            [
                (2, "début", &LogbookErrorKind::InvalidTime),
                (4, "date", &LogbookErrorKind::InvalidDate),
                (4, "opérateur", &LogbookErrorKind::EmptyField),
                (4, "fin", &LogbookErrorKind::InvalidTime),
            ]
        );
    }

    #[test]
    fn header_errors_collected() {
        let errors = parse_passages("date\tsalle\tdate\n", Paris).expect_err("invalid header");
        let kinds: Vec<&str> = errors.iter().map(|e| e.kind.message_id()).collect();
        assert_eq!(
            kinds,
            [
                "logbook-unknown-column",
                "logbook-duplicate-column",
                "logbook-missing-column",
                "logbook-missing-column",
                "logbook-missing-column",
                "logbook-missing-column",
                "logbook-missing-column",
            ]
        );
    }

    #[test]
    fn error_display() {
        let error = single_error(&page(&["2/6/10\tDurand\tSGP\t14.75h\t15h\tcarbone\t-"]));
        assert_eq!(
            error.to_string(),
            "line 2, column \"début\": invalid time \"14.75h\" \
             (expected a time such as 14h, 14.30h or 14:30)"
        );

        let error = single_error("date\topérateur\tgroupe\tdébut\tfin\n");
        assert_eq!(
            error.to_string(),
            "line 1: missing column \"kind\" in the header (add it, in French or English)"
        );
    }

    #[test]
    fn message_ids_are_distinct() {
        let kinds = [
            LogbookErrorKind::EmptyFile,
            LogbookErrorKind::MissingColumn(String::new()),
            LogbookErrorKind::UnknownColumn,
            LogbookErrorKind::DuplicateColumn,
            LogbookErrorKind::WrongFieldCount {
                expected: 0,
                found: 0,
            },
            LogbookErrorKind::EmptyField,
            LogbookErrorKind::InvalidDate,
            LogbookErrorKind::InvalidTime,
            LogbookErrorKind::NonexistentLocalTime,
            LogbookErrorKind::ZeroDuration,
        ];
        let mut ids: Vec<&str> = kinds.iter().map(LogbookErrorKind::message_id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), kinds.len());
    }
}
