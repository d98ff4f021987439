use eventwright::Event;

#[derive(Event)]
pub enum OrderEvent {}

fn main() {}
