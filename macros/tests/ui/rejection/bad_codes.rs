// Codes are plain words, one per reason; keys are the known ones.
use eventwright::DomainRejection;

#[derive(Debug, thiserror::Error, DomainRejection)]
pub enum LoanRejection {
    #[error("the book is on loan")]
    #[rejection(code = "on_loan")]
    OnLoan,
    #[error("the book is reserved")]
    #[rejection(code = "on_loan")]
    Reserved,
    #[error("the member is suspended")]
    #[rejection(code = "member suspended!")]
    Suspended,
    #[error("too many loans")]
    #[rejection(code = "too_many", feild = "loans")]
    TooMany,
    #[error("wrong date")]
    #[rejection(code = "wrong_date", invalid = true)]
    WrongDate,
}

fn main() {}
