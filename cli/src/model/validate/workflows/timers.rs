//! The timers a reaction sets and drops: each declared under `timers:`, each set after a
//! duration or at a time.

use serde_saphyr::Spanned;

use super::super::ctx::Ctx;
use super::super::names;
use super::sends::Sources;
use crate::model::ast::{self, Pos};
use crate::model::ir::{self, Type};

/// Each timer a reaction sets: `15m` from now, or at the time a value holds.
pub(super) fn schedule(
    ctx: &mut Ctx,
    written: &ast::NamedMap<Spanned<String>>,
    sources: &Sources,
) -> Vec<ir::Schedule> {
    written
        .iter()
        .filter_map(|(timer, when)| {
            let when = match duration(&when.value) {
                Some(seconds) => ir::When::After(seconds),
                None => {
                    let (value, ty) = sources.resolve(ctx, when)?;
                    if !matches!(ty, Type::Timestamp | Type::Date) {
                        ctx.error(
                            Pos::of(when),
                            format!("`{}` is {}, not a time", when.value, super::a(&ty)),
                            "not a duration or a time",
                            Some("a timer is set after a duration (`30s`, `15m`, `2h`, `21d`) or at a timestamp or date".into()),
                        );
                        return None;
                    }
                    ir::When::At(value, ty)
                }
            };
            Some(ir::Schedule {
                timer: timer.value.clone(),
                when,
            })
        })
        .collect()
}

/// Seconds in `30s`, `15m`, `2h` or `21d`.
fn duration(text: &str) -> Option<i64> {
    let unit = match text.chars().last()? {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return None,
    };
    let count: i64 = text[..text.len() - 1].parse().ok()?;
    // Up to about a hundred years: past that, time arithmetic overflows.
    let seconds = count.checked_mul(unit)?;
    (count > 0 && seconds <= 100 * 365 * 86_400).then_some(seconds)
}

/// Every timer a reaction sets or drops is one of `declared`.
pub(super) fn check_named(
    ctx: &mut Ctx,
    workflow: &Spanned<String>,
    reaction: &ast::Reaction,
    declared: &[&str],
) {
    let set = reaction.schedule.iter().map(|(name, _)| name);
    let dropped = reaction.cancel.iter().flat_map(|names| &names.value);
    for name in set.chain(dropped) {
        if !declared.contains(&name.value.as_str()) {
            let hint = names::did_you_mean(&name.value, declared.iter().copied()).or_else(|| {
                Some(format!(
                    "declare it under `timers:` with what it does when it fires: `timers: {{ {}: {{ send: [...] }} }}`",
                    name.value
                ))
            });
            ctx.error(
                Pos::of(name),
                format!(
                    "workflow `{}` has no timer `{}`",
                    workflow.value, name.value
                ),
                "unknown timer",
                hint,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_read_in_their_unit() {
        assert_eq!(duration("30s"), Some(30));
        assert_eq!(duration("15m"), Some(900));
        assert_eq!(duration("2h"), Some(7200));
        assert_eq!(duration("21d"), Some(1_814_400));
        assert_eq!(duration("0m"), None);
        assert_eq!(duration("due_on"), None);
        assert_eq!(duration("m"), None);
        assert_eq!(duration("999999999d"), None, "too far to add to a time");
    }
}
