//! Campaign CSV files: what an upload is (encoding, delimiter, header, rows), the column mapping guessed
//! from its header, and one row read into a user's address, parameters and the email's data, validated
//! by the same rules as the API (Check-email for the address, `UserParams::parse` for the parameters).
//! No I/O beyond reading the given reader.
use std::{
    cell::Cell,
    io::{self, Read},
    rc::Rc,
};

use serde_json::{Map, Value};

use super::{Field, FieldErrors, Fields, UserParams, check_email};

/// A row longer than this is refused: a file's rows are short, and a longer one is nearly always a
/// quote left open that runs on through the rest of the file.
pub const MAX_ROW_BYTES: u64 = 1024 * 1024;
/// Rows shown in the mapping preview.
pub const PREVIEW_ROWS: usize = 20;
/// The delimiters recognized, in order of preference when a header has as many of each.
const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];
/// The parameters whose CSV text is read as an integer.
const INTEGER_PARAMS: [&str; 3] = ["platform_id", "list_id", "age"];

/// Why a file cannot be imported at all (before anything is created).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("The file is empty.")]
    Empty,
    #[error(
        "The file is UTF-16 text; save it as \"CSV UTF-8\" (comma delimited) and upload it again."
    )]
    Utf16,
    #[error("The file is not a CSV text file (it contains binary data).")]
    Binary,
    #[error("Line {line} is not UTF-8 text; save the file as \"CSV UTF-8\" and upload it again.")]
    NotUtf8 { line: u64 },
    #[error("The file has a header but no rows.")]
    HeaderOnly,
    #[error("{0}")]
    NoEmailColumn(String),
    #[error(
        "Line {line} is longer than 1 MiB; a quote is probably not closed (a field that starts with \" must end with \")."
    )]
    RowTooLong { line: u64 },
    #[error("The file could not be read: {0}")]
    Io(String),
}

/// What a column of the file is used for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    Email,
    /// One of `UserParams::NAMES`.
    Param(&'static str),
    /// A field of the email's template `data`, under this key.
    Data(String),
    Ignore,
}

impl Column {
    /// The column's use as stored and as the panel's mapping form sends it: `email`, a parameter's name,
    /// `data:<key>` or an empty string.
    pub fn code(&self) -> String {
        match self {
            Column::Email => "email".into(),
            Column::Param(name) => (*name).into(),
            Column::Data(key) => format!("data:{key}"),
            Column::Ignore => String::new(),
        }
    }

    /// Reads a `code`; `None` for anything else.
    pub fn from_code(code: &str) -> Option<Column> {
        match code {
            "" => Some(Column::Ignore),
            "email" => Some(Column::Email),
            _ => match code.strip_prefix("data:") {
                Some(key) => {
                    let key = key.trim();
                    (!key.is_empty() && key.len() <= 100 && !key.chars().any(char::is_control))
                        .then(|| Column::Data(key.to_owned()))
                }
                None => UserParams::NAMES
                    .iter()
                    .find(|name| **name == code)
                    .map(|name| Column::Param(name)),
            },
        }
    }
}

/// The use of each column guessed from its header: the address column by name (`email`, `e-mail`,
/// `email address`, …), parameters by name (any case), every other column as template data.
pub fn guess_mapping(header: &[String]) -> Vec<Column> {
    let mut email_taken = false;
    let mut taken: Vec<&str> = Vec::new();
    header
        .iter()
        .map(|name| {
            let key = name.trim().to_lowercase();
            let compact: String = key.chars().filter(|c| c.is_alphanumeric()).collect();
            if matches!(compact.as_str(), "email" | "emailaddress" | "mail") && !email_taken {
                email_taken = true;
                return Column::Email;
            }
            if let Some(param) = UserParams::NAMES.iter().find(|n| **n == key)
                && !taken.contains(param)
            {
                taken.push(param);
                return Column::Param(param);
            }
            if name.trim().is_empty() {
                Column::Ignore
            } else {
                Column::Data(name.trim().to_owned())
            }
        })
        .collect()
}

/// Checks a mapping chosen in the panel or the API: one address column, each parameter and data key
/// at most once, one entry per column.
pub fn check_mapping(header: &[String], mapping: &[Column]) -> Result<(), String> {
    if mapping.len() != header.len() {
        return Err(format!(
            "the mapping has {} entries for {} columns",
            mapping.len(),
            header.len()
        ));
    }
    let emails = mapping.iter().filter(|c| **c == Column::Email).count();
    if emails != 1 {
        return Err("choose exactly one column as the email address".into());
    }
    for (i, column) in mapping.iter().enumerate() {
        if !matches!(column, Column::Param(_) | Column::Data(_)) {
            continue;
        }
        if mapping[..i].contains(column) {
            return Err(format!(
                "column \"{}\" and an earlier column are both mapped to {}",
                header[i],
                column.code()
            ));
        }
    }
    Ok(())
}

/// The shape of an uploaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub delimiter: u8,
    /// Column names, trimmed (a UTF-8 byte-order mark before the first is dropped).
    pub header: Vec<String>,
    /// Where the first row after the header starts: byte offset and line.
    pub data_offset: u64,
    pub data_line: u64,
}

/// An uploaded file, read through once: its layout, how many rows it has, the first rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analysis {
    pub layout: Layout,
    pub total_rows: u64,
    pub preview: Vec<Vec<String>>,
}

/// Reads a whole upload once (streaming, one row in memory at a time) and says whether it can be
/// imported: text in UTF-8 (with or without a byte-order mark), a header with an address column, at
/// least one row, no row longer than `MAX_ROW_BYTES`. Rows whose number of fields differs from the
/// header's are not an error here: the import rejects them one by one.
pub fn analyze(mut file: impl Read) -> Result<Analysis, FileError> {
    let mut start = vec![0; 64 * 1024];
    let mut filled = 0;
    while filled < start.len() {
        match file.read(&mut start[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(FileError::Io(e.to_string())),
        }
    }
    start.truncate(filled);
    check_start(&start)?;
    let delimiter = sniff_delimiter(&start);
    let mut reader = RowReader::new(io::Cursor::new(start).chain(file), delimiter, 0, 1);
    let header = match reader.next_row()? {
        Some((_, fields)) => header_names(fields),
        None => return Err(FileError::Empty),
    };
    let mapping = guess_mapping(&header);
    if !mapping.contains(&Column::Email) {
        return Err(FileError::NoEmailColumn(no_email_column(&header)));
    }
    let (data_offset, data_line) = reader.resume_point()?;
    let mut preview = Vec::new();
    let mut total_rows = 0;
    while let Some((_, fields)) = reader.next_row()? {
        total_rows += 1;
        if preview.len() < PREVIEW_ROWS {
            preview.push(fields);
        }
    }
    if total_rows == 0 {
        return Err(FileError::HeaderOnly);
    }
    Ok(Analysis {
        layout: Layout {
            delimiter,
            header,
            data_offset,
            data_line,
        },
        total_rows,
        preview,
    })
}

fn check_start(start: &[u8]) -> Result<(), FileError> {
    if start.is_empty() || start.iter().all(u8::is_ascii_whitespace) {
        return Err(FileError::Empty);
    }
    if start.starts_with(&[0xFF, 0xFE]) || start.starts_with(&[0xFE, 0xFF]) {
        return Err(FileError::Utf16);
    }
    // UTF-16 without a byte-order mark has a zero in every other byte of ASCII text.
    let zeros = start.iter().filter(|b| **b == 0).count();
    if zeros > 0 && zeros * 4 >= start.len() && start.len() >= 4 {
        let odd_zeros = start.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
        let even_zeros = start.iter().step_by(2).filter(|b| **b == 0).count();
        if odd_zeros * 2 >= start.len() / 2 || even_zeros * 2 >= start.len() / 2 {
            return Err(FileError::Utf16);
        }
    }
    if zeros > 0 {
        return Err(FileError::Binary);
    }
    Ok(())
}

/// The delimiter of the first line: the most frequent of `,` `;` and tab outside quotes (`,` when
/// there is none: a file of one column).
fn sniff_delimiter(start: &[u8]) -> u8 {
    let mut counts = [0usize; DELIMITERS.len()];
    let mut quoted = false;
    for byte in start {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            _ if !quoted => {
                if let Some(i) = DELIMITERS.iter().position(|d| d == byte) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let best = (0..DELIMITERS.len())
        .max_by_key(|i| (counts[*i], usize::MAX - i))
        .unwrap_or(0);
    DELIMITERS[best]
}

fn header_names(fields: Vec<String>) -> Vec<String> {
    fields
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let name = if i == 0 {
                name.trim_start_matches('\u{feff}').to_owned()
            } else {
                name
            };
            name.trim().to_owned()
        })
        .collect()
}

fn no_email_column(header: &[String]) -> String {
    let names = header
        .iter()
        .map(|h| format!("\"{h}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mut message =
        format!("No email column: the header has {names}. Name the address column \"email\".");
    if header.len() == 1
        && let Some(other) = ['|', ':', ' '].iter().find(|c| header[0].contains(**c))
    {
        message.push_str(&format!(
            " The columns seem to be separated by \"{other}\": use a comma, a semicolon or a tab."
        ));
    }
    message
}

/// Reads a file's rows one at a time as text, with each row's line, refusing a row longer than
/// `MAX_ROW_BYTES` before reading all of it (a quote left open would otherwise take the rest of the
/// file into memory).
pub struct RowReader<R: Read> {
    csv: csv::Reader<Limited<R>>,
    row_start: Rc<Cell<u64>>,
    record: csv::ByteRecord,
    /// Offset and line of where the reader started, added to the csv reader's own.
    base: (u64, u64),
    /// The next row, read ahead by `resume_point`.
    peeked: Option<PeekedRow>,
}

/// A row read ahead, with where it starts.
struct PeekedRow {
    offset: u64,
    line: u64,
    fields: Vec<String>,
}

impl<R: Read> RowReader<R> {
    /// A reader of `file` positioned at byte `offset` of the file, the start of line `line`.
    pub fn new(file: R, delimiter: u8, offset: u64, line: u64) -> RowReader<R> {
        let row_start = Rc::new(Cell::new(0));
        let limited = Limited {
            inner: file,
            read: 0,
            row_start: row_start.clone(),
        };
        let csv = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            // Lines end at `\n`; a `\r` before it is taken off the last field (`read_row`). The csv
            // reader's own CRLF handling reports a row as starting at the `\n` of the line before,
            // one line too early, which would make line numbers and resume points wrong.
            .terminator(csv::Terminator::Any(b'\n'))
            .buffer_capacity(64 * 1024)
            .from_reader(limited);
        RowReader {
            csv,
            row_start,
            record: csv::ByteRecord::new(),
            base: (offset, line),
            peeked: None,
        }
    }

    /// Where the next row starts (byte offset in the file, line), or the end of the file: the point a
    /// later reader resumes from. (The csv reader's own position can stop between the `\r` and the
    /// `\n` of a line's end, so the next row is read ahead for its own start.)
    pub fn resume_point(&mut self) -> Result<(u64, u64), FileError> {
        if self.peeked.is_none() {
            self.peeked = self.read_row()?;
        }
        Ok(match &self.peeked {
            Some(row) => (row.offset, row.line),
            None => {
                let end = self.csv.position();
                (self.base.0 + end.byte(), self.base.1 + end.line() - 1)
            }
        })
    }

    /// The next row's line and fields, `None` at the end.
    pub fn next_row(&mut self) -> Result<Option<(u64, Vec<String>)>, FileError> {
        let row = match self.peeked.take() {
            Some(row) => Some(row),
            None => self.read_row()?,
        };
        Ok(row.map(|row| (row.line, row.fields)))
    }

    fn read_row(&mut self) -> Result<Option<PeekedRow>, FileError> {
        loop {
            let here = self.csv.position().clone();
            let line = self.base.1 + here.line() - 1;
            self.row_start.set(here.byte());
            match self.csv.read_byte_record(&mut self.record) {
                Ok(false) => return Ok(None),
                Ok(true) => {
                    let start = self.record.position().cloned().unwrap_or(here);
                    let line = self.base.1 + start.line() - 1;
                    let mut fields = self
                        .record
                        .iter()
                        .map(|field| {
                            std::str::from_utf8(field)
                                .map(str::to_owned)
                                .map_err(|_| FileError::NotUtf8 { line })
                        })
                        .collect::<Result<Vec<String>, FileError>>()?;
                    if let Some(last) = fields.last_mut()
                        && last.ends_with('\r')
                    {
                        last.pop();
                    }
                    if fields.len() == 1 && fields[0].is_empty() {
                        continue; // a blank line
                    }
                    return Ok(Some(PeekedRow {
                        offset: self.base.0 + start.byte(),
                        line,
                        fields,
                    }));
                }
                Err(e) => {
                    return match e.kind() {
                        csv::ErrorKind::Io(io) if io.kind() == io::ErrorKind::FileTooLarge => {
                            Err(FileError::RowTooLong { line })
                        }
                        _ => Err(FileError::Io(e.to_string())),
                    };
                }
            }
        }
    }
}

/// The file under the csv reader: fails once a row has run on for more than `MAX_ROW_BYTES` (with
/// room for the reader's read-ahead).
struct Limited<R> {
    inner: R,
    read: u64,
    row_start: Rc<Cell<u64>>,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read.saturating_sub(self.row_start.get()) > MAX_ROW_BYTES + 128 * 1024 {
            return Err(io::Error::new(io::ErrorKind::FileTooLarge, "row too long"));
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// A row read into what the import stores.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignRow {
    /// Normalized by Check-email.
    pub email: String,
    /// The address as written in the file, when normalizing changed it.
    pub corrected_from: Option<String>,
    pub params: UserParams,
    /// The email's template data (`{}` when no column is data).
    pub data: String,
}

/// The fields of a row by parameter name, read as the API reads JSON: an empty cell is not given, the
/// integer parameters' text is read as an integer.
struct RowFields<'a> {
    values: Vec<(&'static str, &'a str)>,
}

impl Fields for RowFields<'_> {
    fn field(&self, name: &str) -> Field<'_> {
        let Some((_, text)) = self.values.iter().find(|(n, _)| *n == name) else {
            return Field::Absent;
        };
        let text = text.trim();
        if text.is_empty() {
            Field::Absent
        } else if INTEGER_PARAMS.contains(&name) {
            text.parse().map_or(Field::Str(text), Field::Int)
        } else {
            Field::Str(text)
        }
    }
}

/// Reads one row with the mapping; `Err` is the reason it is rejected.
pub fn read_row(mapping: &[Column], fields: &[String]) -> Result<CampaignRow, String> {
    if fields.len() != mapping.len() {
        let hint = if fields.len() > mapping.len() {
            " (a field with the delimiter in it must be in quotes)"
        } else {
            ""
        };
        return Err(format!(
            "has {} fields, the header has {}{hint}",
            fields.len(),
            mapping.len()
        ));
    }
    let mut email = None;
    let mut values = Vec::new();
    let mut data = Map::new();
    for (column, text) in mapping.iter().zip(fields) {
        match column {
            Column::Email => email = Some(text.as_str()),
            Column::Param(name) => values.push((*name, text.as_str())),
            Column::Data(key) => {
                data.insert(key.clone(), Value::String(text.clone()));
            }
            Column::Ignore => {}
        }
    }
    let input = email.unwrap_or_default();
    if input.trim().is_empty() {
        return Err("email: missing".into());
    }
    let checked = check_email(input);
    if let Some(reason) = checked.reason {
        let reason = serde_json::to_value(reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        return Err(format!("email: not a valid address ({reason})"));
    }
    let mut errors = FieldErrors::new();
    let params = UserParams::parse(&RowFields { values }, "", &mut errors);
    if !errors.is_empty() {
        return Err(errors
            .iter()
            .map(|(field, message)| format!("{field}: {message}"))
            .collect::<Vec<_>>()
            .join("; "));
    }
    Ok(CampaignRow {
        corrected_from: checked.changed.then(|| input.to_owned()),
        email: checked.email,
        params,
        data: Value::Object(data).to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyze_text(text: &[u8]) -> Result<Analysis, FileError> {
        analyze(text)
    }

    #[test]
    fn detects_the_delimiter_and_the_header() {
        for (text, delimiter) in [
            (&b"email,name\na@example.com,Ann\n"[..], b','),
            (b"\xEF\xBB\xBFEmail;Name;age\na@example.com;Ann;30\n", b';'),
            (b"email\tname\r\na@example.com\tAnn\r\n", b'\t'),
            (b"email\na@example.com\n", b','),
            (b"email\r\n\r\na@example.com\r\n\r\n", b','),
        ] {
            let analysis = analyze_text(text).unwrap();
            assert_eq!(analysis.layout.delimiter, delimiter);
            assert_eq!(analysis.layout.header[0].to_lowercase(), "email");
            assert_eq!(analysis.total_rows, 1);
        }
    }

    #[test]
    fn refuses_what_is_not_an_importable_csv() {
        assert_eq!(analyze_text(b""), Err(FileError::Empty));
        assert_eq!(analyze_text(b"email,name\n"), Err(FileError::HeaderOnly));
        assert_eq!(
            analyze_text(b"\xFF\xFEe\0m\0a\0i\0l\0"),
            Err(FileError::Utf16)
        );
        assert_eq!(
            analyze_text(b"e\0m\0a\0i\0l\0\n\0a\0@\0b\0"),
            Err(FileError::Utf16)
        );
        assert_eq!(
            analyze_text(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Err(FileError::Binary)
        );
        assert_eq!(
            analyze_text(b"email,name\na@example.com,Ren\xE9e\n"),
            Err(FileError::NotUtf8 { line: 2 })
        );
        let Err(FileError::NoEmailColumn(message)) = analyze_text(b"email|name\na@b.com|Ann\n")
        else {
            panic!("no email column expected");
        };
        assert!(message.contains("\"|\""), "{message}");
        let long = format!(
            "email,name\na@example.com,\"{}\n",
            "x".repeat(3 * 1024 * 1024)
        );
        assert_eq!(
            analyze_text(long.as_bytes()),
            Err(FileError::RowTooLong { line: 2 })
        );
    }

    #[test]
    fn quoted_fields_follow_rfc_4180() {
        let text =
            b"email,note\r\na@example.com,\"one, \"\"two\"\"\r\nthree\"\r\nb@example.com,x\r\n";
        let analysis = analyze_text(text).unwrap();
        assert_eq!(analysis.total_rows, 2);
        assert_eq!(analysis.preview[0][1], "one, \"two\"\r\nthree");
    }

    #[test]
    fn the_reader_resumes_at_a_row_with_its_line() {
        for text in [
            &b"email,name\na@example.com,A\nb@example.com,\"B\nB\"\nc@example.com,C\n"[..],
            b"email,name\r\na@example.com,A\r\nb@example.com,\"B\r\nB\"\r\nc@example.com,C\r\n",
        ] {
            resumes(text);
        }
    }

    fn resumes(text: &[u8]) {
        let analysis = analyze_text(text).unwrap();
        let (offset, line) = (analysis.layout.data_offset, analysis.layout.data_line);
        assert_eq!(line, 2);
        let mut reader = RowReader::new(&text[offset as usize..], b',', offset, line);
        assert_eq!(reader.next_row().unwrap().unwrap().0, 2);
        assert_eq!(reader.next_row().unwrap().unwrap().0, 3);
        let (offset, line) = reader.resume_point().unwrap();
        assert_eq!(line, 5);
        assert_eq!(
            text[offset as usize], b'c',
            "the resume point is the row's first byte"
        );
        let mut resumed = RowReader::new(&text[offset as usize..], b',', offset, line);
        let (line, fields) = resumed.next_row().unwrap().unwrap();
        assert_eq!((line, fields[0].as_str()), (5, "c@example.com"));
        assert!(resumed.next_row().unwrap().is_none());
    }

    #[test]
    fn guesses_the_mapping_by_name() {
        let header: Vec<String> = ["E-mail", "Name", "AGE", "coupon", ""]
            .map(String::from)
            .to_vec();
        let mapping = guess_mapping(&header);
        assert_eq!(
            mapping,
            vec![
                Column::Email,
                Column::Param("name"),
                Column::Param("age"),
                Column::Data("coupon".into()),
                Column::Ignore
            ]
        );
        assert!(check_mapping(&header, &mapping).is_ok());
        let twice = vec![
            Column::Email,
            Column::Param("name"),
            Column::Param("name"),
            Column::Ignore,
            Column::Ignore,
        ];
        assert!(check_mapping(&header, &twice).is_err());
        for column in mapping {
            assert_eq!(Column::from_code(&column.code()), Some(column));
        }
    }

    #[test]
    fn rows_are_validated_like_the_api() {
        let mapping = vec![
            Column::Email,
            Column::Param("age"),
            Column::Param("country_id"),
            Column::Data("coupon".into()),
        ];
        let row = |fields: [&str; 4]| read_row(&mapping, &fields.map(String::from));
        let ok = row([" Ann@GMAIL.con ", "30", "de", "X1"]).unwrap();
        assert_eq!(ok.email, "ann@gmail.com");
        assert_eq!(ok.corrected_from.as_deref(), Some(" Ann@GMAIL.con "));
        assert_eq!(ok.params.age, Some(30));
        assert_eq!(ok.params.country_id.as_deref(), Some("DE"));
        assert_eq!(ok.data, r#"{"coupon":"X1"}"#);
        assert_eq!(
            row(["bob@example.com", "", "", ""]).unwrap().params.age,
            None
        );
        assert!(
            row(["not-an-address", "1", "", ""])
                .unwrap_err()
                .starts_with("email")
        );
        assert!(row(["", "1", "", ""]).unwrap_err().starts_with("email"));
        let bad = row(["c@example.com", "old", "XX", ""]).unwrap_err();
        assert!(bad.contains("age: must be an integer"), "{bad}");
        assert!(bad.contains("country_id"), "{bad}");
        assert!(
            read_row(&mapping, &["a@example.com".to_owned()])
                .unwrap_err()
                .contains("has 1 fields")
        );
    }
}
