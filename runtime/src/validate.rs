//! Validation rules that garde lacks, for use as `#[garde(custom(...))]`.

use rust_decimal::Decimal;

/// Checks that a decimal lies within `[min, max]` (either bound optional).
///
/// ```
/// use eventwright::validate::decimal_range;
/// use rust_decimal::Decimal;
///
/// #[derive(garde::Validate)]
/// struct Price {
///     #[garde(custom(decimal_range(Some(Decimal::ZERO), None)))]
///     amount: Decimal,
/// }
///
/// assert!(garde::Validate::validate(&Price { amount: Decimal::new(-1, 2) }).is_err());
/// assert!(garde::Validate::validate(&Price { amount: Decimal::new(999, 2) }).is_ok());
/// ```
pub fn decimal_range(
    min: Option<Decimal>,
    max: Option<Decimal>,
) -> impl FnOnce(&Decimal, &()) -> garde::Result {
    move |value, _| check(*value, min, max)
}

/// [`decimal_range`] for an optional field: `None` passes.
pub fn optional_decimal_range(
    min: Option<Decimal>,
    max: Option<Decimal>,
) -> impl FnOnce(&Option<Decimal>, &()) -> garde::Result {
    move |value, _| value.map_or(Ok(()), |value| check(value, min, max))
}

fn check(value: Decimal, min: Option<Decimal>, max: Option<Decimal>) -> garde::Result {
    if let Some(min) = min
        && value < min
    {
        return Err(garde::Error::new(format!("lower than {min}")));
    }
    if let Some(max) = max
        && value > max
    {
        return Err(garde::Error::new(format!("greater than {max}")));
    }
    Ok(())
}
