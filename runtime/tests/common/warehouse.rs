//! A warehouse's orders and stock, and the workflows that settle each order: a process that
//! reserves its stock, waits 15 minutes for payment and cancels (releasing the stock) when
//! none came or the stock was refused, and a policy that ships what was paid.

use std::collections::BTreeMap;

use chrono::Duration;
use eventwright::workflow::{Policy, ProcessManager, Refused, Steps};
use eventwright::{Aggregate, Apply, Command, Event, EventEnvelope, Handle, Rejection};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    #[default]
    None,
    Placed,
    Paid,
    Shipped,
    Cancelled,
}

#[derive(Debug, Default, Serialize, Deserialize, Aggregate)]
#[aggregate(id = String, event = OrderEvent)]
pub struct Order {
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Placed {
    pub sku: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paid {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shipped {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cancelled {
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Event)]
pub enum OrderEvent {
    Placed(Placed),
    Paid(Paid),
    Shipped(Shipped),
    Cancelled(Cancelled),
}

impl Apply<Placed> for Order {
    fn apply(&mut self, _: &Placed) {
        self.status = Status::Placed;
    }
}
impl Apply<Paid> for Order {
    fn apply(&mut self, _: &Paid) {
        self.status = Status::Paid;
    }
}
impl Apply<Shipped> for Order {
    fn apply(&mut self, _: &Shipped) {
        self.status = Status::Shipped;
    }
}
impl Apply<Cancelled> for Order {
    fn apply(&mut self, _: &Cancelled) {
        self.status = Status::Cancelled;
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Command)]
#[command(aggregate = Order, creates)]
pub struct PlaceOrder {
    #[command(id)]
    pub id: String,
    pub sku: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Command)]
#[command(aggregate = Order)]
pub struct Pay {
    #[command(id)]
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Command)]
#[command(aggregate = Order)]
pub struct Ship {
    #[command(id)]
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Command)]
#[command(aggregate = Order)]
pub struct CancelOrder {
    #[command(id)]
    pub id: String,
    pub reason: String,
}

impl Handle<PlaceOrder> for Order {
    fn handle(&self, command: &PlaceOrder) -> Result<Vec<OrderEvent>, Rejection> {
        Ok(vec![
            Placed {
                sku: command.sku.clone(),
                quantity: command.quantity,
            }
            .into(),
        ])
    }
}

impl Handle<Pay> for Order {
    fn handle(&self, _: &Pay) -> Result<Vec<OrderEvent>, Rejection> {
        match self.status {
            Status::Placed => Ok(vec![Paid {}.into()]),
            Status::Cancelled => Err(Rejection::refused("cancelled", "the order was cancelled")),
            _ => Err(Rejection::refused("paid", "the order is paid already")),
        }
    }
}

impl Handle<Ship> for Order {
    fn handle(&self, _: &Ship) -> Result<Vec<OrderEvent>, Rejection> {
        match self.status {
            Status::Paid => Ok(vec![Shipped {}.into()]),
            _ => Err(Rejection::refused("not_paid", "only a paid order ships")),
        }
    }
}

impl Handle<CancelOrder> for Order {
    fn handle(&self, command: &CancelOrder) -> Result<Vec<OrderEvent>, Rejection> {
        match self.status {
            Status::Placed => Ok(vec![
                Cancelled {
                    reason: command.reason.clone(),
                }
                .into(),
            ]),
            Status::Cancelled => Ok(Vec::new()),
            _ => Err(Rejection::refused("paid", "a paid order is not cancelled")),
        }
    }
}

/// One product's stock, by SKU: what is on the shelf and what each order holds.
#[derive(Debug, Default, Serialize, Deserialize, Aggregate)]
#[aggregate(id = String, event = StockEvent)]
pub struct Stock {
    pub available: i64,
    pub held: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stocked {
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reserved {
    pub order: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Released {
    pub order: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Event)]
pub enum StockEvent {
    Stocked(Stocked),
    Reserved(Reserved),
    Released(Released),
}

impl Apply<Stocked> for Stock {
    fn apply(&mut self, event: &Stocked) {
        self.available += event.quantity;
    }
}
impl Apply<Reserved> for Stock {
    fn apply(&mut self, event: &Reserved) {
        self.available -= event.quantity;
        self.held.insert(event.order.clone(), event.quantity);
    }
}
impl Apply<Released> for Stock {
    fn apply(&mut self, event: &Released) {
        self.available += event.quantity;
        self.held.remove(&event.order);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Command)]
#[command(aggregate = Stock, creates)]
pub struct OpenStock {
    #[command(id)]
    pub sku: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Command)]
#[command(aggregate = Stock)]
pub struct Reserve {
    #[command(id)]
    pub sku: String,
    pub order: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Command)]
#[command(aggregate = Stock)]
pub struct Release {
    #[command(id)]
    pub sku: String,
    pub order: String,
}

impl Handle<OpenStock> for Stock {
    fn handle(&self, command: &OpenStock) -> Result<Vec<StockEvent>, Rejection> {
        Ok(vec![
            Stocked {
                quantity: command.quantity,
            }
            .into(),
        ])
    }
}

impl Handle<Reserve> for Stock {
    fn handle(&self, command: &Reserve) -> Result<Vec<StockEvent>, Rejection> {
        if command.quantity > self.available {
            return Err(Rejection::refused(
                "out_of_stock",
                "not enough on the shelf",
            ));
        }
        Ok(vec![
            Reserved {
                order: command.order.clone(),
                quantity: command.quantity,
            }
            .into(),
        ])
    }
}

impl Handle<Release> for Stock {
    fn handle(&self, command: &Release) -> Result<Vec<StockEvent>, Rejection> {
        Ok(self
            .held
            .get(&command.order)
            .map(|quantity| {
                Released {
                    order: command.order.clone(),
                    quantity: *quantity,
                }
                .into()
            })
            .into_iter()
            .collect())
    }
}

/// How long an order waits for its payment.
pub fn payment_window() -> Duration {
    Duration::minutes(15)
}

/// Settles each order: reserve, wait for payment, cancel and release when none comes.
#[derive(Debug, Default)]
pub struct Fulfilment;

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Settling {
    pub sku: String,
    pub quantity: i64,
    pub reserved: bool,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentDue {
    pub order: String,
}

impl ProcessManager for Fulfilment {
    const NAME: &'static str = "fulfilment";
    type Event = OrderEvent;
    type State = Settling;
    type Timer = PaymentDue;

    fn correlate(&self, _: &OrderEvent, envelope: &EventEnvelope) -> Option<String> {
        Some(envelope.aggregate_id.clone())
    }

    fn starts(&self, event: &OrderEvent) -> bool {
        matches!(event, OrderEvent::Placed(_))
    }

    fn handle(
        &self,
        state: &mut Settling,
        event: &OrderEvent,
        envelope: &EventEnvelope,
        steps: &mut Steps<PaymentDue>,
    ) {
        let order = &envelope.aggregate_id;
        match event {
            OrderEvent::Placed(placed) => {
                state.sku = placed.sku.clone();
                state.quantity = placed.quantity;
                state.reserved = true;
                steps.send(Reserve {
                    sku: placed.sku.clone(),
                    order: order.clone(),
                    quantity: placed.quantity,
                });
                let due = PaymentDue {
                    order: order.clone(),
                };
                steps.schedule_in("payment", payment_window(), due);
            }
            OrderEvent::Paid(_) => {
                steps.cancel("payment");
                steps.finish();
            }
            OrderEvent::Cancelled(_) => {
                if state.reserved {
                    steps.send(Release {
                        sku: state.sku.clone(),
                        order: order.clone(),
                    });
                }
                steps.finish();
            }
            OrderEvent::Shipped(_) => {}
        }
    }

    fn on_timer(&self, _: &mut Settling, due: PaymentDue, steps: &mut Steps<PaymentDue>) {
        // Cancelled, the order's event releases the stock; refused (it was paid just now),
        // its payment finishes the process.
        steps.send(CancelOrder {
            id: due.order,
            reason: "payment_timeout".to_owned(),
        });
    }

    fn on_refused(
        &self,
        state: &mut Settling,
        refused: &Refused<'_>,
        steps: &mut Steps<PaymentDue>,
    ) {
        if let Some(reserve) = refused.command::<Reserve>() {
            state.reserved = false;
            steps.cancel("payment");
            steps.send(CancelOrder {
                id: reserve.order.clone(),
                reason: "out_of_stock".to_owned(),
            });
        }
    }
}

/// Ships every paid order.
#[derive(Debug, Default)]
pub struct ShipPaidOrders;

impl Policy for ShipPaidOrders {
    const NAME: &'static str = "ship-paid-orders";
    type Event = OrderEvent;

    fn react(&self, event: &OrderEvent, envelope: &EventEnvelope, steps: &mut Steps) {
        if let OrderEvent::Paid(_) = event {
            steps.send(Ship {
                id: envelope.aggregate_id.clone(),
            });
        }
    }
}
