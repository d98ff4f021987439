//! Expansion snapshots: one representative input per derive, pretty-printed.
//! Review changes with `cargo insta review` (or `INSTA_UPDATE=always`, then read the diff).

use proc_macro2::TokenStream;
use syn::DeriveInput;

fn pretty(expand: fn(&DeriveInput) -> syn::Result<TokenStream>, input: TokenStream) -> String {
    let input: DeriveInput = syn::parse2(input).expect("test input parses");
    let output = expand(&input).unwrap_or_else(|error| panic!("expansion failed: {error}"));
    let file: syn::File = syn::parse2(output).expect("expansion parses as items");
    prettyplease::unparse(&file)
}

#[test]
fn event_enum() {
    insta::assert_snapshot!(pretty(
        crate::event::expand,
        quote::quote! {
            enum OrderEvent {
                #[event(name = "OrderPlaced", version = 2)]
                Placed(OrderPlaced),
                ItemAdded(ItemAdded),
            }
        },
    ));
}

#[test]
fn event_upcast() {
    insta::assert_snapshot!(pretty(
        crate::event::expand,
        quote::quote! {
            #[event(
                name = "ItemAdded",
                version = 3,
                upcast(from = 1, with = item_added_v1_to_v2),
                upcast(from = 2, with = item_added_v2_to_v3),
            )]
            struct ItemAdded { sku: String, quantity: u32 }
        },
    ));
}

#[test]
fn event_struct() {
    insta::assert_snapshot!(pretty(
        crate::event::expand,
        quote::quote! {
            #[event(name = "Pinged")]
            struct Ping { count: u32 }
        },
    ));
}

#[test]
fn aggregate() {
    insta::assert_snapshot!(pretty(
        crate::aggregate::expand,
        quote::quote! {
            #[aggregate(id = OrderId, event = OrderEvent, name = "order", snapshot_every = 100)]
            struct Order { lines: u32 }
        },
    ));
}

#[test]
fn aggregate_state_stored() {
    insta::assert_snapshot!(pretty(
        crate::aggregate::expand,
        quote::quote! {
            #[aggregate(id = String, event = TillEvent, persistence = "state_stored")]
            struct Till { cash: i64 }
        },
    ));
}

#[test]
fn command() {
    insta::assert_snapshot!(pretty(
        crate::command::expand,
        quote::quote! {
            #[command(aggregate = Order, creates, retries = 5, validate)]
            struct PlaceOrder {
                #[command(id)]
                order_id: OrderId,
                customer: String,
            }
        },
    ));
}

#[test]
fn command_enum() {
    insta::assert_snapshot!(pretty(
        crate::command::expand,
        quote::quote! {
            enum OrderCommand {
                Place(PlaceOrder),
                Add(AddItem),
            }
        },
    ));
}

#[test]
fn projection() {
    insta::assert_snapshot!(pretty(
        crate::projection::expand,
        quote::quote! {
            #[eventwright(crate = "ew")]
            #[projection(event = OrderEvent, key = order_id, table = "orders", ignore(OrderShipped))]
            struct OrderSummary {
                order_id: String,
                #[projection(index)]
                r#type: Option<String>,
            }
        },
    ));
}

#[test]
fn domain_rejection() {
    insta::assert_snapshot!(pretty(
        crate::rejection::expand,
        quote::quote! {
            enum AccountRejection {
                #[error("the account is closed")]
                #[rejection(code = "account_closed")]
                Closed,
                #[error("{amount} is more than the {available} available")]
                #[rejection(code = "overdrawn", field = "amount")]
                Overdrawn { amount: i64, available: i64 },
                #[error("amounts are positive")]
                #[rejection(code = "not_positive", field = "amount", invalid)]
                NotPositive(i64),
            }
        },
    ));
}

#[test]
fn policy() {
    insta::assert_snapshot!(pretty(
        |input| crate::workflow::expand(input, crate::workflow::Role::Policy),
        quote::quote! {
            #[policy(name = "receipts", events(AppointmentEvent, PatientEvent), ignore(Booked))]
            struct Receipts;
        },
    ));
}

#[test]
fn process_manager() {
    insta::assert_snapshot!(pretty(
        |input| crate::workflow::expand(input, crate::workflow::Role::Process),
        quote::quote! {
            #[eventwright(crate = "ew")]
            #[process(
                name = "fulfilment",
                event = OrderEvent,
                state = Settling,
                timer = PaymentDue,
                ignore(Shipped),
                on_timer = Self::payment_due,
                on_refused = Self::refused,
            )]
            struct Fulfilment;
        },
    ));
}
