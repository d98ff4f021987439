//! Tags: what an event is about beyond its own aggregate, and queries over them.
//!
//! A loan is an event of a book, but it is also about a member; a subscription is an event of
//! a student, and also about a course. An event names those with tags (`member=m-7`,
//! `course=c-1`: [`Event::tags`](crate::Event::tags), `#[event(tags(member))]`), and an
//! [`EventQuery`] selects the events of some types carrying some tags: the slice of the log a
//! [`Fact`](crate::decision::Fact) is folded from. A decision that read a query appends only if
//! no event matching it was appended since: a dynamic consistency boundary, drawn around
//! exactly what the rule needs (every active loan of one member, every seat of one course)
//! instead of around one aggregate.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `key=value`: the key names what the value is (`member`, `course`), so two ids that happen
/// to be equal never make one tag.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Tag(String);

impl Tag {
    pub fn new(key: &str, value: &str) -> Self {
        Self(format!("{key}={value}"))
    }

    /// The tag as stored: `key=value`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A tag as stored, read back.
    pub fn from_stored(tag: String) -> Self {
        Self(tag)
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The tags of one event, collected by [`Event::tags`](crate::Event::tags).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags(Vec<Tag>);

impl Tags {
    /// Adds `key=value`; an absent value (an empty string, `None`) is the empty value, `key=`.
    /// Every tag named is added, so a fact never reads a wider slice of the log than its tags
    /// say: a fact for no member reads the events about no member, not those about every one.
    pub fn add(&mut self, key: &str, value: &(impl TagValue + ?Sized)) -> &mut Self {
        let value = value.tag_value().unwrap_or_default();
        self.0.push(Tag::new(key, &value));
        self
    }

    /// The tags, each once, in order.
    pub fn into_vec(mut self) -> Vec<Tag> {
        self.0.sort_unstable();
        self.0.dedup();
        self.0
    }
}

/// A field's value as a tag's value, or `None` when the field holds nothing (tagged as the
/// empty value).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a tag's value",
    label = "a tag's value here",
    note = "a tag's value is a string, an integer, a `Uuid`, a `bool` or a `NaiveDate`, or an `Option` of one"
)]
pub trait TagValue {
    fn tag_value(&self) -> Option<String>;
}

impl TagValue for str {
    fn tag_value(&self) -> Option<String> {
        (!self.is_empty()).then(|| self.to_owned())
    }
}

impl TagValue for String {
    fn tag_value(&self) -> Option<String> {
        self.as_str().tag_value()
    }
}

impl<T: TagValue> TagValue for Option<T> {
    fn tag_value(&self) -> Option<String> {
        self.as_ref().and_then(TagValue::tag_value)
    }
}

impl<T: TagValue + ?Sized> TagValue for &T {
    fn tag_value(&self) -> Option<String> {
        (**self).tag_value()
    }
}

macro_rules! tag_by_display {
    ($($type:ty),*) => {$(
        impl TagValue for $type {
            fn tag_value(&self) -> Option<String> {
                Some(self.to_string())
            }
        }
    )*};
}

tag_by_display!(
    i16,
    i32,
    i64,
    u16,
    u32,
    u64,
    bool,
    uuid::Uuid,
    chrono::NaiveDate
);

/// A slice of the log: every event matching any of its [items](QueryItem).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct EventQuery {
    pub items: Vec<QueryItem>,
}

/// Events of one aggregate type, of some of its event types, carrying every one of some tags.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QueryItem {
    pub aggregate_type: String,
    /// The stored names of the events matched; empty matches every type.
    pub event_types: Vec<String>,
    /// Tags an event must all carry; never empty, or the query would read the whole log.
    pub tags: Vec<Tag>,
}

impl EventQuery {
    /// Adds an item: events of `aggregate_type` named in `event_types` (every one if empty)
    /// and carrying all of `tags`. An item without tags is left out: it would match every
    /// event of the type, which is what reading the aggregates themselves is for.
    pub fn or(mut self, aggregate_type: &str, event_types: &[&str], tags: Vec<Tag>) -> Self {
        if !tags.is_empty() {
            self.items.push(QueryItem {
                aggregate_type: aggregate_type.to_owned(),
                event_types: event_types.iter().map(|&name| name.to_owned()).collect(),
                tags,
            });
        }
        self
    }

    /// Whether an event of this aggregate type and event type, carrying `tags`, matches.
    pub fn matches(&self, aggregate_type: &str, event_type: &str, tags: &[Tag]) -> bool {
        self.items.iter().any(|item| {
            item.aggregate_type == aggregate_type
                && (item.event_types.is_empty()
                    || item.event_types.iter().any(|name| name == event_type))
                && item.tags.iter().all(|tag| tags.contains(tag))
        })
    }

    /// Every tag the query names, each once, in order: what the store looks events up by.
    pub fn tags(&self) -> Vec<&Tag> {
        let mut tags: Vec<&Tag> = self.items.iter().flat_map(|item| &item.tags).collect();
        tags.sort_unstable();
        tags.dedup();
        tags
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_matches_an_item_when_its_type_is_named_and_it_carries_every_tag() {
        let course = Tag::new("course", "c-1");
        let student = Tag::new("student", "s-1");
        let query = EventQuery::default()
            .or(
                "Student",
                &["Subscribed"],
                vec![course.clone(), student.clone()],
            )
            .or("Course", &[], vec![course.clone()])
            .or("Course", &[], vec![]);
        assert_eq!(query.items.len(), 2, "an item without tags is left out");
        let both = [student.clone(), course.clone()];
        assert!(query.matches("Student", "Subscribed", &both));
        assert!(!query.matches("Student", "Subscribed", std::slice::from_ref(&course)));
        assert!(!query.matches("Student", "Unsubscribed", &both));
        assert!(query.matches("Course", "Anything", std::slice::from_ref(&course)));
        assert_eq!(query.tags(), [&course, &student]);
    }

    #[test]
    fn absent_values_are_the_empty_value_and_each_tag_is_kept_once() {
        let mut tags = Tags::default();
        tags.add("member", "m-1")
            .add("book", &None::<String>)
            .add("isbn", "")
            .add("copies", &3_u32)
            .add("member", &Some("m-1".to_owned()));
        let tags: Vec<String> = tags.into_vec().iter().map(Tag::to_string).collect();
        assert_eq!(tags, ["book=", "copies=3", "isbn=", "member=m-1"]);
    }
}
