//! URLs as messages and logs may show them: without their passwords.

/// The URL with its passwords replaced by `***`, for messages and logs: the one after the user
/// name, and the value of any setting whose name says password (`?sslpassword=`).
pub fn redact(url: &str) -> String {
    let (address, settings) = url.split_once('?').unwrap_or((url, ""));
    let mut redacted = redact_credentials(address);
    if !settings.is_empty() {
        let settings: Vec<String> = settings
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if name.to_ascii_lowercase().contains("password") => {
                    format!("{name}=***")
                }
                _ => pair.to_owned(),
            })
            .collect();
        redacted = format!("{redacted}?{}", settings.join("&"));
    }
    redacted
}

fn redact_credentials(address: &str) -> String {
    let Some((scheme, rest)) = address.split_once("://") else {
        return address.to_owned();
    };
    let Some((credentials, host)) = rest.rsplit_once('@') else {
        return address.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => address.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://app:s3cret@db.internal:5432/orders"),
            "postgres://app:***@db.internal:5432/orders"
        );
        assert_eq!(
            redact("postgres://app@db/orders"),
            "postgres://app@db/orders"
        );
        assert_eq!(
            redact("postgres://app:p@ss@db/orders"),
            "postgres://app:***@db/orders"
        );
        assert_eq!(
            redact("cassandra://app:s3cret@a:9042,b:9042/shop?sslpassword=k3y&consistency=one"),
            "cassandra://app:***@a:9042,b:9042/shop?sslpassword=***&consistency=one"
        );
    }
}
