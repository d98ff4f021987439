//! The given/when/then kit for workflows, on the warehouse's: events and time in, commands and
//! timers out, with a frozen clock and no store.

mod common;

use chrono::Duration;
use common::warehouse::*;
use common::workflows::nine_o_clock;
use eventwright::Rejection;
use eventwright::testing::{given_policy, given_process};
use eventwright::workflow::Either;

fn placed(sku: &str, quantity: i64) -> Placed {
    Placed {
        sku: sku.into(),
        quantity,
    }
}

#[test]
fn a_placed_order_reserves_its_stock_and_waits_for_payment() {
    given_process(Fulfilment)
        .at(nine_o_clock())
        .when::<Order>("o-1", placed("apple", 2))
        .then_sends(Reserve {
            sku: "apple".into(),
            order: "o-1".into(),
            quantity: 2,
        })
        .then_sends_nothing_more()
        .then_schedules("payment", nine_o_clock() + payment_window());
}

#[test]
fn stock_refused_cancels_the_order_and_the_timer() {
    given_process(Fulfilment)
        .at(nine_o_clock())
        .refusing::<Reserve>(Rejection::refused("out_of_stock", "none left"))
        .when::<Order>("o-1", placed("pear", 5))
        .then_sends(Reserve {
            sku: "pear".into(),
            order: "o-1".into(),
            quantity: 5,
        })
        .then_sends(CancelOrder {
            id: "o-1".into(),
            reason: "out_of_stock".into(),
        })
        .then_sends_nothing_more()
        .then_cancels("payment");
}

#[test]
fn no_payment_in_time_cancels_the_order_and_its_cancellation_releases_the_stock() {
    let waited = given_process(Fulfilment)
        .at(nine_o_clock())
        .event::<Order>("o-1", placed("apple", 1));
    let fired = waited.when_time_passes(payment_window() - Duration::seconds(1));
    assert_eq!(fired.sent().count(), 0, "not due yet");
    given_process(Fulfilment)
        .at(nine_o_clock())
        .event::<Order>("o-1", placed("apple", 1))
        .when_time_passes(payment_window())
        .then_fires("payment")
        .then_sends(CancelOrder {
            id: "o-1".into(),
            reason: "payment_timeout".into(),
        })
        .then_sends_nothing_more();
    given_process(Fulfilment)
        .event::<Order>("o-1", placed("apple", 1))
        .when::<Order>(
            "o-1",
            Cancelled {
                reason: "payment_timeout".into(),
            },
        )
        .then_sends(Release {
            sku: "apple".into(),
            order: "o-1".into(),
        })
        .then_finishes();
}

#[test]
fn a_payment_cancels_the_timer_and_ends_the_process() {
    let given = given_process(Fulfilment)
        .at(nine_o_clock())
        .event::<Order>("o-1", placed("apple", 1))
        .event::<Order>("o-1", Paid {});
    assert_eq!(given.state("o-1"), None, "finished");
    given
        .when_time_passes(Duration::hours(1))
        .then_sends_nothing_more();
}

#[test]
fn events_of_a_process_that_never_started_are_ignored() {
    given_process(Fulfilment)
        .when::<Order>("o-9", Paid {})
        .then_sends_nothing_more();
}

#[test]
fn a_policy_ships_what_was_paid() {
    given_policy(ShipPaidOrders)
        .when::<Order>("o-1", Paid {})
        .then_sends(Ship { id: "o-1".into() })
        .then_sends_nothing_more();
    given_policy(ShipPaidOrders)
        .when::<Order>("o-1", placed("apple", 1))
        .then_sends_nothing_more();
}

/// A policy over two aggregates' events, told apart by `Either`.
struct Acknowledge;

impl eventwright::workflow::Policy for Acknowledge {
    const NAME: &'static str = "acknowledge";
    type Event = Either<OrderEvent, StockEvent>;

    fn react(
        &self,
        event: &Self::Event,
        _: &eventwright::EventEnvelope,
        steps: &mut eventwright::workflow::Steps,
    ) {
        match event {
            Either::Left(OrderEvent::Paid(_)) => steps.send(Ship { id: "paid".into() }),
            Either::Right(StockEvent::Reserved(reserved)) => steps.send(Ship {
                id: reserved.order.clone(),
            }),
            _ => {}
        }
    }
}

#[test]
fn a_workflow_receives_several_aggregates_events_with_either() {
    given_policy(Acknowledge)
        .when::<Stock>(
            "apple",
            Reserved {
                order: "o-3".into(),
                quantity: 1,
            },
        )
        .then_sends(Ship { id: "o-3".into() });
    given_policy(Acknowledge)
        .when::<Order>("o-1", Paid {})
        .then_sends(Ship { id: "paid".into() });
}

#[test]
#[should_panic(expected = "command 1 sent differs")]
fn a_different_command_fails_the_check() {
    given_policy(ShipPaidOrders)
        .when::<Order>("o-1", Paid {})
        .then_sends(Ship { id: "o-2".into() });
}
