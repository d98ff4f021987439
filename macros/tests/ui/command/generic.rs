use eventwright::Command;

#[derive(Command)]
#[command(aggregate = Account)]
pub struct Open<T> {
    pub id: String,
    pub note: T,
}

fn main() {}
