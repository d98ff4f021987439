// A rejection type is an enum of reasons.
use eventwright::DomainRejection;

#[derive(Debug, thiserror::Error, DomainRejection)]
#[error("no")]
pub struct Refused;

fn main() {}
