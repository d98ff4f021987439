use eventwright::{Aggregate, Apply, Command, Event, Handle, Rejection};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
pub struct Placed {}

#[derive(Default, Aggregate)]
#[aggregate(id = OrderId, event = Placed)]
pub struct Order {}

impl Apply<Placed> for Order {
    fn apply(&mut self, _: &Placed) {}
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct OrderId(pub String);

impl std::fmt::Display for OrderId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for OrderId {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

#[derive(Command)]
#[command(aggregate = Order)]
pub struct PlaceOrder {
    #[command(id)]
    pub id: OrderId,
    #[command(id)]
    pub other: OrderId,
    #[command(id = true, key)]
    pub third: OrderId,
}

impl Handle<PlaceOrder> for Order {
    fn handle(&self, _: &PlaceOrder) -> Result<Vec<Placed>, Rejection> {
        Ok(vec![])
    }
}

fn main() {}
