//! A client's key for a request it may send more than once (an HTTP `Idempotency-Key`): the
//! command's id, derived from the key, and a fingerprint of the request, to tell the same
//! request sent again from another request that reuses the key.

use uuid::Uuid;

/// Keys and requests are hashed into their own name space, apart from workflows' ids.
const NAMESPACE: Uuid = Uuid::from_u128(0x7c3e_52a9_1f04_4b8d_a6e2_93d1_0b5f_c847);

/// What [`Dispatcher::dispatch_keyed`](crate::Dispatcher::dispatch_keyed) sends a command with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestKey {
    pub(crate) command_id: Uuid,
    pub(crate) request: String,
}

impl RequestKey {
    /// The key `key` as a client sent it, within `scope` (who sent it, when the service knows;
    /// clients' keys are theirs alone), for the request `request` (what it asks: the command,
    /// its aggregate and its fields, in one canonical form).
    pub fn new(scope: &str, key: &str, request: &[u8]) -> Self {
        let scoped = format!("{}:{scope}\n{key}", scope.len());
        Self {
            command_id: Uuid::new_v5(&NAMESPACE, scoped.as_bytes()),
            request: Uuid::new_v5(&NAMESPACE, request).simple().to_string(),
        }
    }

    /// The id the command is sent with.
    pub fn command_id(&self) -> Uuid {
        self.command_id
    }
}

#[cfg(test)]
mod tests {
    use super::RequestKey;

    #[test]
    fn a_key_names_the_same_command_in_its_scope_only() {
        let first = RequestKey::new("", "k-1", b"PlaceOrder o-1 {}");
        assert_eq!(first, RequestKey::new("", "k-1", b"PlaceOrder o-1 {}"));
        let other_body = RequestKey::new("", "k-1", b"PlaceOrder o-2 {}");
        assert_eq!(other_body.command_id, first.command_id);
        assert_ne!(other_body.request, first.request);
        assert_ne!(
            RequestKey::new("alice", "k-1", b"").command_id,
            RequestKey::new("bob", "k-1", b"").command_id
        );
        // A scope that ends like another's key does not meet it.
        assert_ne!(
            RequestKey::new("a\nb", "c", b"").command_id,
            RequestKey::new("a", "b\nc", b"").command_id
        );
    }
}
