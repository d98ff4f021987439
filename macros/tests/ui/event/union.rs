use eventwright::Event;

#[derive(Event)]
pub union Raw {
    pub int: u32,
    pub float: f32,
}

fn main() {}
