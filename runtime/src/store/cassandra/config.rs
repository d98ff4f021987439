//! Where the cluster is and how to reach it, from the URL a service takes as its read store.

use std::path::PathBuf;

use percent_encoding::percent_decode_str;
use scylla::frame::types::{Consistency, SerialConsistency};
use secrecy::SecretString;

use crate::store::{StoreError, redact};

/// Where the cluster is, the keyspace the service's tables live in, the consistency they are
/// read and written with, and how the service proves who it is.
#[derive(Debug, Clone)]
pub struct CassandraConfig {
    /// `host:port` of one or more contact points, comma-separated.
    pub nodes: String,
    pub keyspace: String,
    /// The keyspace's replication, as CQL, used only when the keyspace is created here.
    pub replication: String,
    pub consistency: Consistency,
    pub serial_consistency: SerialConsistency,
    /// A user name and password, for a cluster with `PasswordAuthenticator`.
    pub credentials: Option<CassandraCredentials>,
    /// TLS to the nodes (`client_encryption_options`); `None` connects in the clear.
    pub tls: Option<CassandraTls>,
}

/// The user the service logs in as. `Debug` prints the password as `[REDACTED]`.
#[derive(Debug, Clone)]
pub struct CassandraCredentials {
    pub username: String,
    pub password: SecretString,
}

/// TLS to the nodes: their certificates are checked against the system's trusted authorities
/// and `ca`'s, and against the nodes' IP addresses, which the driver connects to.
#[derive(Debug, Clone, Default)]
pub struct CassandraTls {
    /// A PEM file of the authorities that signed the nodes' certificates.
    pub ca: Option<PathBuf>,
}

impl CassandraConfig {
    /// `LOCAL_QUORUM` and `LOCAL_SERIAL`; a keyspace created here gets `SimpleStrategy` with one
    /// replica, for development (see `replication_factor` in [`from_url`](Self::from_url)). A
    /// keyspace that exists is used as it is.
    pub fn new(nodes: impl Into<String>, keyspace: impl Into<String>) -> Self {
        Self {
            nodes: nodes.into(),
            keyspace: keyspace.into(),
            replication: eventwright_tables::cql::DEVELOPMENT_REPLICATION.to_owned(),
            consistency: Consistency::LocalQuorum,
            serial_consistency: SerialConsistency::LocalSerial,
            credentials: None,
            tls: None,
        }
    }

    /// From `cassandra://[user:password@]host:port[,host:port...]/keyspace[?settings]`, the
    /// form a service takes as its read store's URL. The user name and password are
    /// percent-encoded, as in any URL. Settings, joined by `&`:
    ///
    /// - `consistency=<level>`: a CQL consistency level such as `local_quorum` (the default),
    ///   `quorum`, `one` or `all`;
    /// - `replication_factor=<n>`: the keyspace, when it is created here, gets `n` replicas in
    ///   every data center (`NetworkTopologyStrategy`) instead of one for development. With 3
    ///   and the default consistency, a node may be down without stopping reads or writes;
    /// - `sslmode=verify-full`: TLS, checking the nodes' certificates and names against the
    ///   system's trusted authorities; `sslmode=disable` (the default) connects in the clear;
    /// - `sslrootcert=<path>`: TLS, checking them against the authorities in this PEM file.
    ///
    /// Errors show the URL with its password replaced by `***`.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let invalid = |why: &str| {
            StoreError::Unavailable(format!(
                "invalid Cassandra URL {}: {why}; expected \
                 cassandra://[user:password@]host:port[,host:port...]/keyspace\
                 [?consistency=local_quorum&replication_factor=3&sslrootcert=ca.pem]",
                redact(url)
            ))
        };
        let rest = url
            .strip_prefix("cassandra://")
            .ok_or_else(|| invalid("it must start with cassandra://"))?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (rest, keyspace) = rest
            .split_once('/')
            .ok_or_else(|| invalid("it names no keyspace"))?;
        let (credentials, nodes) = match rest.rsplit_once('@') {
            Some((credentials, nodes)) => (
                Some(self::credentials(credentials).map_err(invalid)?),
                nodes,
            ),
            None => (None, rest),
        };
        if nodes.is_empty() {
            return Err(invalid("it names no node"));
        }
        let valid_keyspace = !keyspace.is_empty()
            && keyspace.len() <= 48
            && keyspace
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_keyspace {
            return Err(invalid(
                "a keyspace name is 1 to 48 letters, digits and underscores",
            ));
        }
        let mut config = Self {
            credentials,
            ..Self::new(nodes, keyspace)
        };
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            match pair.split_once('=') {
                Some(("consistency", level)) => {
                    config.consistency = consistency(level)
                        .ok_or_else(|| invalid(&format!("unknown consistency level `{level}`")))?;
                }
                Some(("replication_factor", replicas)) => {
                    config.replication = replication(replicas).ok_or_else(|| {
                        invalid(&format!(
                            "replication_factor `{replicas}` is not a number of replicas from 1"
                        ))
                    })?;
                }
                Some(("sslmode", "disable")) => config.tls = None,
                Some(("sslmode", "verify-full")) => {
                    config.tls.get_or_insert_with(CassandraTls::default);
                }
                Some(("sslmode", mode)) => {
                    return Err(invalid(&format!(
                        "sslmode `{mode}` is not one of disable and verify-full"
                    )));
                }
                Some(("sslrootcert", path)) if !path.is_empty() => {
                    let path = percent_decode_str(path).decode_utf8_lossy();
                    config.tls = Some(CassandraTls {
                        ca: Some(PathBuf::from(path.as_ref())),
                    });
                }
                _ => return Err(invalid(&format!("unknown setting `{pair}`"))),
            }
        }
        Ok(config)
    }
}

/// `user:password`, each percent-decoded.
fn credentials(userinfo: &str) -> Result<CassandraCredentials, &'static str> {
    let (username, password) = userinfo
        .split_once(':')
        .ok_or("a user name needs its password, as user:password@")?;
    let decode = |part: &str| {
        percent_decode_str(part)
            .decode_utf8()
            .map(|decoded| decoded.into_owned())
            .map_err(|_| "the user name or password is not UTF-8 once percent-decoded")
    };
    let username = decode(username)?;
    if username.is_empty() {
        return Err("the user name is empty");
    }
    Ok(CassandraCredentials {
        username,
        password: SecretString::from(decode(password)?),
    })
}

/// `n` replicas in every data center, as CQL.
fn replication(replicas: &str) -> Option<String> {
    let replicas: u16 = replicas.parse().ok().filter(|&n| n >= 1)?;
    Some(format!(
        "{{'class': 'NetworkTopologyStrategy', 'replication_factor': {replicas}}}"
    ))
}

fn consistency(level: &str) -> Option<Consistency> {
    Some(match level.to_ascii_lowercase().as_str() {
        "one" => Consistency::One,
        "two" => Consistency::Two,
        "three" => Consistency::Three,
        "quorum" => Consistency::Quorum,
        "all" => Consistency::All,
        "local_quorum" => Consistency::LocalQuorum,
        "each_quorum" => Consistency::EachQuorum,
        "local_one" => Consistency::LocalOne,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret as _;

    use super::*;

    #[test]
    fn urls_name_nodes_keyspace_and_consistency() {
        let config = CassandraConfig::from_url(
            "cassandra://10.0.0.1:9042,10.0.0.2:9042/orders?consistency=quorum&replication_factor=3",
        )
        .unwrap();
        assert_eq!(config.nodes, "10.0.0.1:9042,10.0.0.2:9042");
        assert_eq!(config.keyspace, "orders");
        assert_eq!(config.consistency, Consistency::Quorum);
        assert_eq!(
            config.replication,
            "{'class': 'NetworkTopologyStrategy', 'replication_factor': 3}"
        );
        assert!(config.credentials.is_none() && config.tls.is_none());
        let plain = CassandraConfig::from_url("cassandra://127.0.0.1:9042/ordering").unwrap();
        assert_eq!(plain.consistency, Consistency::LocalQuorum);
        assert_eq!(
            plain.replication,
            eventwright_tables::cql::DEVELOPMENT_REPLICATION
        );
        for bad in [
            "postgres://127.0.0.1/ordering",
            "cassandra://127.0.0.1:9042",
            "cassandra:///ordering",
            "cassandra://127.0.0.1:9042/order-desk",
            "cassandra://127.0.0.1:9042/ordering?consistency=most",
            "cassandra://127.0.0.1:9042/ordering?timeout=5",
            "cassandra://127.0.0.1:9042/ordering?replication_factor=0",
            "cassandra://127.0.0.1:9042/ordering?replication_factor=three",
            "cassandra://127.0.0.1:9042/ordering?sslmode=require",
            "cassandra://app@127.0.0.1:9042/ordering",
        ] {
            let error = CassandraConfig::from_url(bad).unwrap_err().to_string();
            assert!(error.contains(bad) && error.contains("expected"), "{error}");
        }
    }

    #[test]
    fn urls_carry_credentials_and_tls() {
        let config = CassandraConfig::from_url(
            "cassandra://reader:p%40ss%3Aword@db1:9142,db2:9142/shop?sslrootcert=/etc/ca%20certs/ca.pem",
        )
        .unwrap();
        assert_eq!(config.nodes, "db1:9142,db2:9142");
        let credentials = config.credentials.as_ref().unwrap();
        assert_eq!(credentials.username, "reader");
        assert_eq!(credentials.password.expose_secret(), "p@ss:word");
        assert_eq!(
            config.tls.as_ref().unwrap().ca.as_deref(),
            Some(std::path::Path::new("/etc/ca certs/ca.pem"))
        );
        let system = CassandraConfig::from_url("cassandra://db1/shop?sslmode=verify-full").unwrap();
        assert!(system.tls.unwrap().ca.is_none());
    }

    #[test]
    fn passwords_never_reach_messages_or_debug() {
        let url = "cassandra://reader:hunter2@db1:9042/shop";
        let config = CassandraConfig::from_url(url).unwrap();
        let shown = format!("{config:?}");
        assert!(
            shown.contains("reader") && !shown.contains("hunter2"),
            "{shown}"
        );
        let error = CassandraConfig::from_url("cassandra://reader:hunter2@db1:9042/shop?x=1")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("reader:***@db1") && !error.contains("hunter2"),
            "{error}"
        );
    }
}
