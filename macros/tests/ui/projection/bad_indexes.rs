use eventwright::{Event, Projection};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Placed {
    pub customer: String,
}

#[derive(Event)]
pub enum OrderEvent {
    Placed(Placed),
}

#[derive(Serialize, Deserialize, Projection)]
#[projection(event = OrderEvent, key = order_id, ignore(Placed))]
#[projection(index(custmer), index(customer, order = order_id), index(customer, customer))]
#[projection(index(), index(status, order = status))]
pub struct Misnamed {
    pub order_id: String,
    #[projection(index)]
    pub customer: String,
    pub status: String,
}

#[derive(Serialize, Deserialize, Projection)]
#[projection(event = OrderEvent, key = order_id, ignore(Placed), index(customer))]
pub struct Twice {
    pub order_id: String,
    #[projection(index)]
    pub customer: String,
}

#[derive(Serialize, Deserialize, Projection)]
#[projection(event = OrderEvent, key = order_id, ignore(Placed))]
#[projection(index(customer, order = shipped), index(lines), index("customer.city"))]
pub struct Unorderable {
    pub order_id: String,
    pub customer: String,
    pub shipped: Option<i64>,
    pub lines: Vec<String>,
}

#[derive(Serialize, Deserialize, Projection)]
#[projection(event = OrderEvent, key = order_id, ignore(Placed))]
#[projection(index("custmer.city"), index("9lines[]"), index("lines[]sku"), index("lines[]"))]
pub struct Inside {
    pub order_id: String,
    pub customer: String,
    pub lines: Vec<String>,
}

#[derive(Serialize, Deserialize, Projection)]
#[projection(event = OrderEvent, key = order_id, ignore(Placed))]
#[projection(count_by(custmer), count_by(customer, sum(customer)), count_by(status, total))]
pub struct Counted {
    pub order_id: String,
    pub customer: String,
    pub status: String,
}

#[derive(Serialize, Deserialize, Projection)]
#[projection(event = OrderEvent, key = order_id, ignore(Placed), count_by(status, sum(customer)))]
pub struct Summed {
    pub order_id: String,
    pub customer: String,
    pub status: String,
}

fn main() {}
