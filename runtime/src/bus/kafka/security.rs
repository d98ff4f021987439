use std::fmt;
use std::path::PathBuf;

use rdkafka::config::ClientConfig;
use secrecy::{ExposeSecret as _, SecretString};

/// How the service's Kafka clients protect their connections and prove who they are: what a
/// managed or secured cluster asks for. The default is neither, for a broker on a private
/// network.
///
/// `security.protocol` follows from what is set (`ssl`, `sasl_plaintext` or `sasl_ssl`), so
/// the two can never disagree. Passwords are [`SecretString`]s: `Debug` prints them as
/// `[REDACTED]`, and they leave this struct only for the Kafka client.
#[derive(Debug, Clone, Default)]
pub struct KafkaSecurity {
    /// Encrypt connections with TLS; `None` sends them in the clear.
    pub tls: Option<KafkaTls>,
    /// Authenticate with SASL; `None` connects anonymously (or by TLS client certificate).
    pub sasl: Option<KafkaSasl>,
}

/// TLS to the brokers. With nothing set, brokers' certificates are checked against the system's
/// trusted authorities, and their host names against the brokers' addresses.
#[derive(Debug, Clone, Default)]
pub struct KafkaTls {
    /// A PEM file of the authorities that signed the brokers' certificates, in place of the
    /// system's.
    pub ca: Option<PathBuf>,
    /// A PEM certificate the client presents, for brokers that authenticate clients by TLS.
    pub certificate: Option<PathBuf>,
    /// The certificate's PEM private key.
    pub key: Option<PathBuf>,
    /// The key's password, when it is encrypted.
    pub key_password: Option<SecretString>,
}

/// SASL authentication: a user name and password, exchanged by the mechanism.
#[derive(Debug, Clone)]
pub struct KafkaSasl {
    pub mechanism: SaslMechanism,
    pub username: String,
    pub password: SecretString,
}

/// How a SASL password is proven to the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslMechanism {
    /// Sent as it is: only ever over TLS.
    Plain,
    /// A salted challenge, never the password itself (RFC 7677).
    ScramSha256,
    ScramSha512,
}

impl SaslMechanism {
    /// The name Kafka gives it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Plain => "PLAIN",
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

impl fmt::Display for SaslMechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for SaslMechanism {
    type Err = String;

    /// `plain`, `scram-sha-256` or `scram-sha-512`, in any case.
    fn from_str(name: &str) -> Result<Self, String> {
        [Self::Plain, Self::ScramSha256, Self::ScramSha512]
            .into_iter()
            .find(|mechanism| mechanism.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                format!(
                    "unknown SASL mechanism `{name}`: expected PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"
                )
            })
    }
}

impl KafkaSecurity {
    /// `security.protocol` as librdkafka names it.
    pub fn protocol(&self) -> &'static str {
        match (&self.tls, &self.sasl) {
            (None, None) => "plaintext",
            (Some(_), None) => "ssl",
            (None, Some(_)) => "sasl_plaintext",
            (Some(_), Some(_)) => "sasl_ssl",
        }
    }

    /// Refuses what would send a password in the clear, or a certificate without its key.
    pub fn check(&self) -> Result<(), String> {
        if let (None, Some(sasl)) = (&self.tls, &self.sasl)
            && sasl.mechanism == SaslMechanism::Plain
        {
            return Err(
                "SASL PLAIN sends the password as it is: turn TLS on, or use SCRAM".to_owned(),
            );
        }
        if let Some(tls) = &self.tls
            && tls.certificate.is_some() != tls.key.is_some()
        {
            return Err("a TLS client certificate needs its key, and a key its certificate".into());
        }
        Ok(())
    }

    pub(super) fn apply(&self, client: &mut ClientConfig) {
        client.set("security.protocol", self.protocol());
        if let Some(tls) = &self.tls {
            let path = |path: &PathBuf| path.display().to_string();
            if let Some(ca) = &tls.ca {
                client.set("ssl.ca.location", path(ca));
            }
            if let Some(certificate) = &tls.certificate {
                client.set("ssl.certificate.location", path(certificate));
            }
            if let Some(key) = &tls.key {
                client.set("ssl.key.location", path(key));
            }
            if let Some(password) = &tls.key_password {
                client.set("ssl.key.password", password.expose_secret());
            }
        }
        if let Some(sasl) = &self.sasl {
            client.set("sasl.mechanism", sasl.mechanism.name());
            client.set("sasl.username", &sasl.username);
            client.set("sasl.password", sasl.password.expose_secret());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sasl(mechanism: SaslMechanism) -> KafkaSasl {
        KafkaSasl {
            mechanism,
            username: "relay".to_owned(),
            password: SecretString::from("hunter2-kafka"),
        }
    }

    #[test]
    fn the_protocol_follows_from_what_is_set() {
        let mut security = KafkaSecurity::default();
        assert_eq!(security.protocol(), "plaintext");
        security.sasl = Some(sasl(SaslMechanism::ScramSha512));
        assert_eq!(security.protocol(), "sasl_plaintext");
        security.tls = Some(KafkaTls::default());
        assert_eq!(security.protocol(), "sasl_ssl");
        security.sasl = None;
        assert_eq!(security.protocol(), "ssl");
    }

    #[test]
    fn plain_passwords_travel_only_over_tls() {
        let mut security = KafkaSecurity {
            tls: None,
            sasl: Some(sasl(SaslMechanism::Plain)),
        };
        assert!(security.check().unwrap_err().contains("TLS"));
        security.tls = Some(KafkaTls::default());
        assert_eq!(security.check(), Ok(()));
    }

    #[test]
    fn a_certificate_comes_with_its_key() {
        let security = KafkaSecurity {
            tls: Some(KafkaTls {
                certificate: Some("client.pem".into()),
                ..KafkaTls::default()
            }),
            sasl: None,
        };
        assert!(security.check().unwrap_err().contains("key"));
    }

    #[test]
    fn mechanisms_are_named_in_any_case() {
        assert_eq!("scram-sha-256".parse(), Ok(SaslMechanism::ScramSha256));
        assert_eq!("PLAIN".parse(), Ok(SaslMechanism::Plain));
        let refused = "gssapi".parse::<SaslMechanism>().unwrap_err();
        assert!(refused.contains("`gssapi`"), "{refused}");
    }

    #[test]
    fn debug_never_shows_a_password() {
        let security = KafkaSecurity {
            tls: Some(KafkaTls {
                key_password: Some(SecretString::from("hunter2-key")),
                ..KafkaTls::default()
            }),
            sasl: Some(sasl(SaslMechanism::ScramSha256)),
        };
        let shown = format!("{security:?}");
        assert!(shown.contains("relay"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
