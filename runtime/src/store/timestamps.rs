//! Timestamps kept as text (SQLite and Cassandra keep them so) in one fixed width, so that
//! their text order is their time order and an index can order rows or take a range by them.

use chrono::{DateTime, SecondsFormat, Utc};

/// `text`, an RFC 3339 timestamp, in UTC with nine fractional digits; `None` when it is not one.
/// serde writes as few digits as a timestamp needs, so `…:08Z` would sort after `…:08.5Z`.
pub(crate) fn ordered_text(text: &str) -> Option<String> {
    let at = DateTime::parse_from_rfc3339(text).ok()?;
    Some(
        at.with_timezone(&Utc)
            .to_rfc3339_opts(SecondsFormat::Nanos, true),
    )
}

/// A timestamp kept by [`ordered_text`] as serde writes it (as few fractional digits as it
/// needs), so rows read back exactly as they were written; other text is left as it is.
pub(crate) fn serde_text(text: String) -> String {
    match DateTime::parse_from_rfc3339(&text) {
        Ok(at) => at
            .with_timezone(&Utc)
            .to_rfc3339_opts(SecondsFormat::AutoSi, true),
        Err(_) => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_order_is_time_order() {
        let texts = [
            "2026-12-06T10:00:08+02:00",
            "2026-12-06T08:00:08.5Z",
            "2026-12-06T08:00:08.25+00:00",
            "2026-12-06T08:00:08Z",
        ];
        let mut ordered: Vec<String> = texts.iter().map(|t| ordered_text(t).unwrap()).collect();
        ordered.sort();
        assert_eq!(
            ordered,
            [
                "2026-12-06T08:00:08.000000000Z",
                "2026-12-06T08:00:08.000000000Z",
                "2026-12-06T08:00:08.250000000Z",
                "2026-12-06T08:00:08.500000000Z",
            ]
        );
        assert_eq!(ordered_text("yesterday"), None);
        for written in ["2026-12-06T08:00:08Z", "2026-12-06T08:00:08.123456Z"] {
            assert_eq!(serde_text(ordered_text(written).unwrap()), written);
        }
    }
}
