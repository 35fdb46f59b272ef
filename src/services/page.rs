//! Keyset pagination: a page is the rows after (or, with `last`/`before`, before) a cursor
//! (a sort value and the row id), fetched with `LIMIT size + 1` so that whether more follow
//! needs no second query. No OFFSET.

/// The most rows one page may hold.
pub const MAX_PAGE_SIZE: u64 = 100;
/// Rows per page when the client does not say.
pub const DEFAULT_PAGE_SIZE: u64 = 20;

/// One page of rows, in the listing's order, and whether rows follow it and precede it.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next: bool,
    pub has_previous: bool,
}

impl<T> Page<T> {
    /// Splits `size + 1` rows, fetched in reading order from a cursor (or the start), into a
    /// page of `size` in the listing's order: reading backwards (`last`/`before`) fetched them
    /// in reverse. Beyond the page in the reading direction: the extra row tells; behind it:
    /// the cursor's own row, when there is a cursor.
    pub fn from_overfetch(mut rows: Vec<T>, size: u64, backward: bool, from_cursor: bool) -> Self {
        let more = rows.len() as u64 > size;
        rows.truncate(size as usize);
        if backward {
            rows.reverse();
            Page { items: rows, has_next: from_cursor, has_previous: more }
        } else {
            Page { items: rows, has_next: more, has_previous: from_cursor }
        }
    }

    pub fn empty() -> Self {
        Page { items: Vec::new(), has_next: false, has_previous: false }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    #[default]
    Asc,
    Desc,
}

impl Direction {
    pub fn reversed(self) -> Direction {
        match self {
            Direction::Asc => Direction::Desc,
            Direction::Desc => Direction::Asc,
        }
    }
}
