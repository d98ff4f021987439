// A reason has a message for people: `Display`, usually from thiserror.
use eventwright::DomainRejection;

#[derive(Debug, DomainRejection)]
pub enum LoanRejection {
    #[rejection(code = "on_loan")]
    OnLoan,
}

fn main() {}
