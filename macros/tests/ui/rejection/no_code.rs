// Every reason names a stable code; the error suggests one from the variant's name.
use eventwright::DomainRejection;

#[derive(Debug, thiserror::Error, DomainRejection)]
pub enum LoanRejection {
    #[error("the book is on loan")]
    #[rejection(code = "on_loan")]
    OnLoan,
    #[error("the member is suspended")]
    MemberSuspended,
    #[error("too many loans")]
    TooMany { loans: u32 },
}

fn main() {}
