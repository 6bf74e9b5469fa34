//! The parsed file as an owned tree that remembers where every key came from (a line of the file
//! or an environment variable). Environment overrides are applied to this tree; the schema check
//! walks it; the validation stage reads the supported keys from it.

use toml::de::{DeTable, DeValue};

use super::report::{quoted, Location};

/// A value and where it came from (for a key: the key's line; for a table: its header's line).
#[derive(Debug, Clone)]
pub(super) struct Item {
    pub(super) loc: Location,
    pub(super) val: Val,
}

/// A TOML value.
#[derive(Debug, Clone)]
pub(super) enum Val {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Datetime(toml::value::Datetime),
    Array(Vec<Item>),
    Table(Table),
}

impl Val {
    /// The value's type, for messages ("got an integer").
    pub(super) fn type_name(&self) -> &'static str {
        match self {
            Val::Str(_) => "a string",
            Val::Int(_) => "an integer",
            Val::Float(_) => "a decimal number",
            Val::Bool(_) => "a boolean",
            Val::Datetime(_) => "a date-time",
            Val::Array(_) => "a list",
            Val::Table(_) => "a table",
        }
    }

    /// The value as shown in a message about a key that is not secret (a long string cut short).
    pub(super) fn show(&self) -> String {
        match self {
            Val::Str(s) => quoted(s),
            Val::Int(n) => n.to_string(),
            // An integer too large for i64 is kept as a float: show its digits, not "1e20".
            Val::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() >= 1e16 => format!("{f:.0}"),
            Val::Float(f) => format!("{f:?}"),
            Val::Bool(b) => b.to_string(),
            Val::Datetime(d) => d.to_string(),
            Val::Array(_) | Val::Table(_) => self.type_name().to_string(),
        }
    }

    /// A whole number too large for i64 (kept as a float by [`parse`] and environment overrides).
    pub(super) fn is_huge_integer(&self) -> bool {
        matches!(self, Val::Float(f) if f.is_infinite() || (f.fract() == 0.0 && f.abs() >= 9.2e18))
    }

    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    fn as_table(&self) -> Option<&Table> {
        match self {
            Val::Table(t) => Some(t),
            _ => None,
        }
    }
}

/// A TOML table whose entries are kept in file order.
#[derive(Debug, Clone, Default)]
pub(super) struct Table {
    entries: Vec<(String, Item)>,
}

impl Table {
    pub(super) fn get(&self, key: &str) -> Option<&Item> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub(super) fn get_mut(&mut self, key: &str) -> Option<&mut Item> {
        self.entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The sub-table under `key`, if it is one.
    pub(super) fn table(&self, key: &str) -> Option<&Table> {
        self.get(key).and_then(|item| item.val.as_table())
    }

    /// Sets `key`, replacing an existing entry in place.
    pub(super) fn set(&mut self, key: &str, item: Item) {
        match self.get_mut(key) {
            Some(existing) => *existing = item,
            None => self.entries.push((key.to_string(), item)),
        }
    }

    pub(super) fn remove(&mut self, key: &str) -> Option<Item> {
        let index = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(index).1)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&str, &Item)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub(super) fn keys(&self) -> Vec<String> {
        self.entries.iter().map(|(k, _)| k.clone()).collect()
    }
}

/// A TOML syntax error, 1-based.
#[derive(Debug)]
pub(super) struct SyntaxError {
    pub(super) line: usize,
    pub(super) column: usize,
    pub(super) message: String,
}

/// Parses a document into a [`Table`] whose items carry their lines.
pub(super) fn parse(text: &str) -> Result<Table, SyntaxError> {
    let lines = Lines::new(text);
    match DeTable::parse(text) {
        Ok(root) => Ok(convert_table(root.get_ref(), &lines)),
        Err(err) => {
            let offset = err.span().map_or(0, |span| span.start);
            let (line, column) = lines.line_column(text, offset);
            Err(SyntaxError {
                line,
                column,
                message: err.message().trim().to_string(),
            })
        }
    }
}

fn convert_table(table: &DeTable<'_>, lines: &Lines) -> Table {
    let mut entries: Vec<(String, Item)> = table
        .iter()
        .map(|(key, value)| {
            let item = Item {
                loc: Location::Line(lines.line(key.span().start)),
                val: convert_value(value.get_ref(), lines),
            };
            (key.get_ref().to_string(), item)
        })
        .collect();
    // The parser sorts keys by name; the file's order reads better in messages.
    entries.sort_by_key(|(_, item)| match item.loc {
        Location::Line(line) => line,
        _ => usize::MAX,
    });
    Table { entries }
}

fn convert_value(value: &DeValue<'_>, lines: &Lines) -> Val {
    match value {
        DeValue::String(s) => Val::Str(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Val::Int(n),
            // Too large for i64: keep it as a number so that type checks can complain.
            Err(_) => {
                Val::Float(i128::from_str_radix(i.as_str(), i.radix()).map_or(f64::INFINITY, |n| n as f64))
            }
        },
        DeValue::Float(f) => Val::Float(f.as_str().parse().unwrap_or(f64::NAN)),
        DeValue::Boolean(b) => Val::Bool(*b),
        DeValue::Datetime(d) => Val::Datetime(*d),
        DeValue::Array(items) => Val::Array(
            items
                .iter()
                .map(|item| Item {
                    loc: Location::Line(lines.line(item.span().start)),
                    val: convert_value(item.get_ref(), lines),
                })
                .collect(),
        ),
        DeValue::Table(t) => Val::Table(convert_table(t, lines)),
    }
}

/// Byte offset → 1-based line (and column).
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts }
    }

    fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset).max(1)
    }

    fn line_column(&self, text: &str, offset: usize) -> (usize, usize) {
        let line = self.line(offset);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let column = text
            .get(start..offset.min(text.len()))
            .map_or(1, |prefix| prefix.chars().count() + 1);
        (line, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_of(item: &Item) -> usize {
        match item.loc {
            Location::Line(line) => line,
            _ => 0,
        }
    }

    #[test]
    fn keys_keep_their_lines_and_file_order() {
        let text = "[Settings]\nTagless = true\nLoopSleepTimer = 5\n\n[qBit]\nHost = \"h\"\n[[qBit.Trackers]]\nName = \"a\"\n";
        let root = parse(text).expect("valid TOML");
        assert_eq!(root.keys(), ["Settings", "qBit"]);
        let settings = root.table("Settings").expect("table");
        assert_eq!(settings.keys(), ["Tagless", "LoopSleepTimer"]);
        assert_eq!(line_of(settings.get("LoopSleepTimer").expect("key")), 3);
        let qbit = root.get("qBit").expect("qBit");
        assert_eq!(line_of(qbit), 5);
        let Some(Val::Array(trackers)) = qbit
            .val
            .as_table()
            .and_then(|t| t.get("Trackers"))
            .map(|i| &i.val)
        else {
            panic!("Trackers is an array");
        };
        assert_eq!(line_of(&trackers[0]), 7);
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let err = parse("a = 1\nb = nope\n").expect_err("invalid");
        assert_eq!((err.line, err.column), (2, 5));
        assert!(!err.message.is_empty());
    }
}
