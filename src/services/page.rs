//! Keyset pagination: a page is the rows after a cursor (a sort value and the row id),
//! fetched with `LIMIT first + 1` so that `has_next` needs no second query. No OFFSET.

/// The most rows one page may hold.
pub const MAX_PAGE_SIZE: u64 = 100;
/// Rows per page when the client does not say.
pub const DEFAULT_PAGE_SIZE: u64 = 20;

/// One page of rows and whether more follow.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next: bool,
}

impl<T> Page<T> {
    /// Splits `first + 1` fetched rows into a page of `first` and the has-next flag.
    pub fn from_overfetch(mut rows: Vec<T>, first: u64) -> Self {
        let has_next = rows.len() as u64 > first;
        rows.truncate(first as usize);
        Page { items: rows, has_next }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    #[default]
    Asc,
    Desc,
}
