//! What the command and decision kits assert of a refusal, written once; `refused` names who
//! refused, "the command" or "the decision".

use std::any::Any;

use pretty_assertions::assert_eq;

use crate::rejection::{DomainRejection, Rejection};

/// `rejection` carries exactly `expected`: the domain's value, or the [`Rejection`] itself
/// when the domain refuses with plain ones.
#[track_caller]
pub(super) fn assert_rejection<R: DomainRejection + PartialEq>(
    rejection: &Rejection,
    expected: &R,
    refused: &str,
) {
    let actual = rejection
        .domain::<R>()
        .or_else(|| (rejection as &dyn Any).downcast_ref::<R>());
    match actual {
        Some(actual) => assert_eq!(actual, expected, "{refused} was refused for another reason"),
        None => panic!(
            "expected the rejection {expected:?}, but {refused} was refused with {rejection:?}"
        ),
    }
}

/// `rejection` has this code.
#[track_caller]
pub(super) fn assert_code(rejection: &Rejection, code: &str, refused: &str) {
    assert_eq!(
        rejection.code(),
        code,
        "{refused} was refused for another reason: {rejection}"
    );
}

/// `rejection` says this message.
#[track_caller]
pub(super) fn assert_message(rejection: &Rejection, message: &str, refused: &str) {
    assert_eq!(
        rejection.message(),
        message,
        "{refused} was refused for another reason"
    );
}
