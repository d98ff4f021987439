//! What `#[policy(...)]` or `#[process(...)]` says, as written: each value keeps its tokens so
//! errors point at them.

use syn::{DeriveInput, LitStr, Path, Type};

use crate::attr::{self, Spec};
use crate::ctxt::Ctxt;
use crate::krate;

/// Which workflow derive: a stateless policy, or a process manager with state and timers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Policy,
    Process,
}

const POLICY: Spec = Spec {
    name: "policy",
    place: "on the type",
    keys: &["name", "event", "events", "ignore"],
};
const PROCESS: Spec = Spec {
    name: "process",
    place: "on the type",
    keys: &[
        "name",
        "event",
        "events",
        "state",
        "timer",
        "ignore",
        "on_timer",
        "on_refused",
    ],
};

impl Role {
    pub(crate) fn spec(self) -> &'static Spec<'static> {
        match self {
            Self::Policy => &POLICY,
            Self::Process => &PROCESS,
        }
    }

    /// The derive's name, for messages.
    pub(crate) fn derive(self) -> &'static str {
        match self {
            Self::Policy => "Policy",
            Self::Process => "ProcessManager",
        }
    }

    /// A complete attribute, for messages that show one.
    pub(crate) fn example(self) -> &'static str {
        match self {
            Self::Policy => "#[policy(name = \"ship-paid-orders\", event = OrderEvent)]",
            Self::Process => {
                "#[process(name = \"fulfilment\", event = OrderEvent, state = Settling)]"
            }
        }
    }
}

/// The keys of the derive's attribute. Those of a process manager alone stay `None` on a policy:
/// its spec refuses them.
pub(crate) struct Attrs {
    pub krate: Path,
    pub name: Option<LitStr>,
    pub event: Option<Type>,
    /// `events(A, B)`: the event types of several aggregates.
    pub events: Option<Vec<Type>>,
    pub ignore: Vec<Type>,
    pub state: Option<Type>,
    pub timer: Option<Type>,
    pub on_timer: Option<Path>,
    pub on_refused: Option<Path>,
    /// The keys written, whether or not their values parsed: a key with a bad value is
    /// reported for its value, not as missing too.
    pub written: Vec<String>,
}

impl Attrs {
    pub(crate) fn parse(cx: &Ctxt, input: &DeriveInput, role: Role) -> Self {
        let mut this = Self {
            krate: krate::path(cx, &input.attrs),
            name: None,
            event: None,
            events: None,
            ignore: Vec::new(),
            state: None,
            timer: None,
            on_timer: None,
            on_refused: None,
            written: Vec::new(),
        };
        attr::parse_each(cx, &input.attrs, role.spec(), |key, meta| {
            this.written.push(key.to_owned());
            match key {
                "name" => attr::set_once(cx, &mut this.name, meta, attr::string(meta)?),
                "event" => attr::set_once(cx, &mut this.event, meta, attr::ty(meta)?),
                "events" => attr::set_once(cx, &mut this.events, meta, attr::types(meta)?),
                "state" => attr::set_once(cx, &mut this.state, meta, attr::ty(meta)?),
                "timer" => attr::set_once(cx, &mut this.timer, meta, attr::ty(meta)?),
                "on_timer" => attr::set_once(cx, &mut this.on_timer, meta, attr::path(meta)?),
                "on_refused" => attr::set_once(cx, &mut this.on_refused, meta, attr::path(meta)?),
                _ => this.ignore.extend(attr::types(meta)?),
            }
            Ok(())
        });
        this
    }
}
