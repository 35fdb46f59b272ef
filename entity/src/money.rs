//! `Money`: an exact amount in a currency's major unit with two decimal places.
//!
//! PostgreSQL stores it as `NUMERIC(12,2)`. SQLite has no exact decimal type: its
//! `NUMERIC` affinity turns `12.34` into a binary float, and `SUM` adds floats. So on
//! SQLite a money column is `TEXT` holding the canonical form `"1234.50"` (a CHECK in the
//! migration enforces the shape), values are read back by parsing that text, and sums are
//! taken as integers of cents (`REPLACE(col, '.', '')`), which SQLite adds exactly. No
//! floating point touches money on either backend.

use rust_decimal::Decimal;
use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, QueryResult, TryGetError, TryGetable, Value};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Decimal places every amount carries.
pub const SCALE: u32 = 2;
/// The precision of the columns (`NUMERIC(12,2)`): at most 9,999,999,999.99.
pub const PRECISION: u32 = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(Decimal);

impl Default for Money {
    /// 0.00, with its two decimal places.
    fn default() -> Self {
        Money::ZERO
    }
}

/// Why a decimal is not a storable amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoneyError {
    /// More than two decimal places: the amount would have to be rounded.
    TooPrecise(Decimal),
    /// Beyond what `NUMERIC(12,2)` holds.
    TooLarge(Decimal),
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MoneyError::TooPrecise(d) => write!(f, "{d} has more than {SCALE} decimal places"),
            MoneyError::TooLarge(d) => write!(f, "{d} exceeds the largest amount, 9999999999.99"),
        }
    }
}

impl std::error::Error for MoneyError {}

impl Money {
    pub const ZERO: Money = Money(Decimal::from_parts(0, 0, 0, false, SCALE));

    /// An amount from a decimal, refusing rounding and overflow.
    pub fn new(amount: Decimal) -> Result<Self, MoneyError> {
        let normal = amount.normalize();
        if normal.scale() > SCALE {
            return Err(MoneyError::TooPrecise(amount));
        }
        if normal.abs() >= Decimal::from(10_i64.pow(PRECISION - SCALE)) {
            return Err(MoneyError::TooLarge(amount));
        }
        let mut d = normal;
        d.rescale(SCALE);
        Ok(Money(d))
    }

    /// An amount from a count of cents (the form in which sums leave the database).
    pub fn from_cents(cents: i64) -> Self {
        Money(Decimal::new(cents, SCALE))
    }

    /// The amount in cents.
    pub fn cents(self) -> i64 {
        // Scale is always SCALE, so the mantissa is the cents; it fits i64 by construction.
        self.0.mantissa() as i64
    }

    pub fn amount(self) -> Decimal {
        self.0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for Money {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let d = Decimal::from_str_exact(s.trim()).map_err(|e| format!("{s:?} is not a decimal amount: {e}"))?;
        Money::new(d).map_err(|e| e.to_string())
    }
}

impl From<Money> for Decimal {
    fn from(m: Money) -> Decimal {
        m.0
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        let mut d = self.0 + rhs.0;
        d.rescale(SCALE);
        Money(d)
    }
}

impl std::ops::AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        *self = *self + rhs;
    }
}

impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        let mut d = self.0 - rhs.0;
        d.rescale(SCALE);
        Money(d)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

impl From<Money> for Value {
    fn from(m: Money) -> Value {
        // PostgreSQL binds this as NUMERIC; SQLite's binder sends `Decimal::to_string()`,
        // which keeps the scale: always "1234.50".
        Value::Decimal(Some(m.0))
    }
}

impl TryGetable for Money {
    fn try_get_by<I: ColIdx>(res: &QueryResult, idx: I) -> Result<Self, TryGetError> {
        // SQLite's money columns are TEXT; PostgreSQL's are NUMERIC (a String read fails there).
        let decimal = match <String as TryGetable>::try_get_by(res, idx) {
            Ok(text) => Decimal::from_str_exact(&text)
                .map_err(|e| TryGetError::DbErr(sea_orm::DbErr::Type(format!("stored amount {text:?}: {e}"))))?,
            Err(TryGetError::Null(col)) => return Err(TryGetError::Null(col)),
            Err(TryGetError::DbErr(_)) => <Decimal as TryGetable>::try_get_by(res, idx)?,
        };
        let mut d = decimal;
        d.rescale(SCALE);
        Ok(Money(d))
    }
}

impl ValueType for Money {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        match v {
            Value::Decimal(Some(d)) => Money::new(d).map_err(|_| ValueTypeErr),
            Value::String(Some(s)) => s.parse().map_err(|_| ValueTypeErr),
            _ => Err(ValueTypeErr),
        }
    }

    fn type_name() -> String {
        "Money".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::Decimal
    }

    fn column_type() -> ColumnType {
        ColumnType::Decimal(Some((PRECISION, SCALE)))
    }
}

impl Nullable for Money {
    fn null() -> Value {
        Value::Decimal(None)
    }
}

impl sea_orm::IntoActiveValue<Money> for Money {
    fn into_active_value(self) -> sea_orm::ActiveValue<Money> {
        sea_orm::ActiveValue::Set(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_keeps_two_places_and_refuses_rounding() {
        assert_eq!(Money::new(Decimal::new(415, 1)).unwrap().to_string(), "41.50");
        assert_eq!(Money::from_cents(4150000).to_string(), "41500.00");
        assert!(matches!(Money::new(Decimal::new(1001, 3)), Err(MoneyError::TooPrecise(_))));
        assert!("10000000000".parse::<Money>().is_err());
        assert_eq!("9999999999.99".parse::<Money>().unwrap().cents(), 999_999_999_999);
        assert_eq!(Money::from_cents(10) + Money::from_cents(20), Money::from_cents(30));
        assert_eq!(Money::default().to_string(), "0.00");
    }
}
