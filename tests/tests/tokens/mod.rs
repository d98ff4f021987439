//! The library service with tokens checked, through its real binary: signed with a secret
//! (HS256) and by an issuer whose JWKS document a server on loopback serves (RS256). Each
//! refusal is the one a client is promised, the roles the model declares hold, and the events
//! record who sent their command.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::support::Service;
use crate::support::sse::Watching;

const SECRET: &str = "the library's own secret, 32 bytes or more";
const ISSUER: &str = "https://issuer.test";
const ISSUER_KEY: &[u8] = include_bytes!("../../../runtime/tests/fixtures/issuer_key.pem");
const ISSUER_JWKS: &str = include_str!("../../../runtime/tests/fixtures/issuer_jwks.json");

fn claims(subject: &str, roles: &[&str], expires_in: i64) -> Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    json!({
        "sub": subject,
        "iss": ISSUER,
        "aud": "library",
        "roles": roles,
        "exp": now.saturating_add_signed(expires_in),
    })
}

fn hs256(claims: &Value) -> String {
    let key = EncodingKey::from_secret(SECRET.as_bytes());
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key).unwrap()
}

fn rs256(claims: &Value) -> String {
    let mut head = Header::new(Algorithm::RS256);
    head.kid = Some("test-key-1".to_owned());
    let key = EncodingKey::from_rsa_pem(ISSUER_KEY).unwrap();
    jsonwebtoken::encode(&head, claims, &key).unwrap()
}

/// `method path` sent with `token` (none when `None`): the status, the problem's `code` (or
/// the body), and its `detail`.
fn call(
    service: &Service,
    method: &str,
    path: &str,
    body: Option<&Value>,
    token: Option<&str>,
) -> (u16, Value) {
    let bearer = token.map(|token| format!("Bearer {token}"));
    let headers: Vec<(&str, &str)> = bearer
        .as_deref()
        .map(|value| ("authorization", value))
        .into_iter()
        .collect();
    service.call_with(method, path, body, &headers)
}

/// With a secret: no token, an expired one, one from another issuer, one signed with another
/// key and one without the route's role are each refused as promised; good ones pass, and
/// their subjects are the actors of the events recorded.
pub fn secret_tokens(binary: &Path, write_db: &str, read_db: &str) {
    let settings = [
        format!("--auth-secret={SECRET}"),
        format!("--auth-issuer={ISSUER}"),
        "--auth-audience=library".to_owned(),
    ];
    let service = Service::start_with(binary, write_db, read_db, &settings);
    said(&service, "Bearer $TOKEN");
    let join = json!({ "name": "Ann" });
    let path = "/members/ann/join-library";
    let refused = |token: Option<&str>, status: u16, code: &str, detail: &str| {
        let (got, problem) = call(&service, "POST", path, Some(&join), token);
        assert_eq!(
            (got, problem["code"].as_str()),
            (status, Some(code)),
            "{problem}"
        );
        let said = problem["detail"].as_str().unwrap_or_default();
        assert!(said.contains(detail), "{problem}");
    };
    refused(None, 401, "unauthenticated", "bearer token");
    refused(
        Some(&hs256(&claims("ann", &["member"], -3600))),
        401,
        "invalid_token",
        "expired",
    );
    let mut elsewhere = claims("ann", &["member"], 300);
    elsewhere["iss"] = json!("https://elsewhere.test");
    refused(
        Some(&hs256(&elsewhere)),
        401,
        "invalid_token",
        "another issuer",
    );
    let mut other_audience = claims("ann", &["member"], 300);
    other_audience["aud"] = json!("billing");
    refused(
        Some(&hs256(&other_audience)),
        401,
        "invalid_token",
        "another audience",
    );
    refused(
        Some(&rs256(&claims("ann", &["member"], 300))),
        401,
        "invalid_token",
        "not taken",
    );
    refused(Some("not.a.token"), 401, "invalid_token", "not a JWT");

    // Joining asks for no role: any caller with a good token.
    let ann = hs256(&claims("ann", &["member"], 300));
    let (status, joined) = call(&service, "POST", path, Some(&join), Some(&ann));
    assert_eq!(status, 200, "{joined}");
    // Registering a book asks for a librarian.
    let book = json!({ "isbn": "978-0441", "title": "Neuromancer" });
    let (status, problem) = call(
        &service,
        "POST",
        "/books/b1/register-book",
        Some(&book),
        Some(&ann),
    );
    assert_eq!(
        (status, problem["code"].as_str()),
        (403, Some("forbidden")),
        "{problem}"
    );
    let lib = hs256(&claims("lib", &["librarian"], 300));
    let (status, registered) = call(
        &service,
        "POST",
        "/books/b1/register-book",
        Some(&book),
        Some(&lib),
    );
    assert_eq!(status, 200, "{registered}");

    // A query asks too: a row of a member's loans for a librarian or a member, not for another.
    let guest = hs256(&claims("guest", &["guest"], 300));
    let (status, problem) = call(&service, "GET", "/member-loans/ann", None, Some(&guest));
    assert_eq!(
        (status, problem["code"].as_str()),
        (403, Some("forbidden")),
        "{problem}"
    );
    let (status, _) = call(&service, "GET", "/book/b1", None, None);
    assert_eq!(status, 401);
    let (status, _) = call(&service, "GET", "/health", None, None);
    assert_eq!(status, 200, "operations routes stay open");
    let (status, loans) = call(&service, "GET", "/member-loans/ann", None, Some(&ann));
    assert!(status == 200 || status == 404, "{status} {loans}");

    // One caller's Idempotency-Key is not another's: the same key and body from two subjects
    // are two requests.
    let rename = json!({ "name": "Ann Lee" });
    let keyed = |token: &str| {
        let bearer = format!("Bearer {token}");
        let headers = [
            ("authorization", bearer.as_str()),
            ("idempotency-key", "rename-1"),
        ];
        service.call_with(
            "POST",
            "/members/ann/rename-member",
            Some(&rename),
            &headers,
        )
    };
    let (status, first) = keyed(&ann);
    assert_eq!(status, 200, "{first}");
    let (_, again) = keyed(&ann);
    assert_eq!(
        again, first,
        "the same caller's retry is answered as the first time"
    );
    let (status, other) = keyed(&lib);
    assert_eq!(status, 200, "{other}");
    assert_eq!(
        other["version"],
        first["version"].as_u64().unwrap() + 1,
        "{other}"
    );

    // Each event names who sent its command.
    let actors: Vec<(String, Option<String>)> =
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let db = sqlx::SqlitePool::connect(write_db).await.unwrap();
            sqlx::query_as("SELECT event_type, actor FROM eventwright_events ORDER BY position")
                .fetch_all(&db)
                .await
                .unwrap()
        });
    let actors: Vec<(&str, Option<&str>)> = actors
        .iter()
        .map(|(event, actor)| (event.as_str(), actor.as_deref()))
        .collect();
    assert_eq!(
        actors,
        [
            ("MemberJoined", Some("ann")),
            ("BookRegistered", Some("lib")),
            ("MemberRenamed", Some("ann")),
            ("MemberRenamed", Some("lib")),
        ]
    );

    // A watch is admitted once, and ends when the token that opened it expires, saying so.
    let brief = hs256(&claims("ann", &["member"], 3));
    let watching = Watching::open_as(&service.base, "/book/b1/watch", None, Some(&brief));
    let wait = std::time::Duration::from_secs(10);
    let first = watching.next_or_end(wait).expect("the snapshot");
    assert_eq!(first.event, "snapshot", "{first:?}");
    let last = watching.next_or_end(wait).expect("the expiry");
    assert_eq!(
        (last.event.as_str(), last.data["code"].as_str()),
        ("error", Some("token_expired")),
        "{last:?}"
    );
    assert!(watching.next_or_end(wait).is_none(), "then the stream ends");
}

/// Waits (up to 10 s) for the service to print a line holding `text`.
pub fn said(service: &Service, text: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !service.output().iter().any(|line| line.contains(text)) {
        assert!(
            std::time::Instant::now() < deadline,
            "the service never said {text:?}: {:?}",
            service.output()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// With an issuer's JWKS document, by its URL or found through the issuer's discovery document:
/// its RS256 tokens pass, a token signed with anything else does not.
pub fn issuer_tokens(binary: &Path, write_db: &str, read_db: &str) {
    let jwks = serve_jwks();
    let settings = [
        format!("--auth-jwks-url={jwks}"),
        format!("--auth-issuer={ISSUER}"),
    ];
    let service = Service::start_with(binary, write_db, read_db, &settings);
    let join = json!({ "name": "Bo" });
    let path = "/members/bo/join-library";
    let (status, problem) = call(
        &service,
        "POST",
        path,
        Some(&join),
        Some(&hs256(&claims("bo", &[], 300))),
    );
    assert_eq!(
        (status, problem["code"].as_str()),
        (401, Some("invalid_token")),
        "{problem}"
    );
    let (status, joined) = call(
        &service,
        "POST",
        path,
        Some(&join),
        Some(&rs256(&claims("bo", &[], 300))),
    );
    assert_eq!(status, 200, "{joined}");
    let book = json!({ "isbn": "978-0553", "title": "Dune" });
    let clerk = rs256(&claims("clerk", &["reader", "librarian"], 300));
    let (status, registered) = call(
        &service,
        "POST",
        "/books/b2/register-book",
        Some(&book),
        Some(&clerk),
    );
    assert_eq!(status, 200, "{registered}");
    drop(service);

    // The issuer alone: its keys are where its discovery document says.
    let issuer = jwks.trim_end_matches("/jwks.json").to_owned();
    let settings = [format!("--auth-issuer={issuer}")];
    let service = Service::start_with(binary, write_db, read_db, &settings);
    let mut from_issuer = claims("di", &[], 300);
    from_issuer["iss"] = json!(issuer);
    let join = json!({ "name": "Di" });
    let (status, joined) = call(
        &service,
        "POST",
        "/members/di/join-library",
        Some(&join),
        Some(&rs256(&from_issuer)),
    );
    assert_eq!(status, 200, "{joined}");
    let (status, problem) = call(
        &service,
        "POST",
        "/members/di/rename-member",
        Some(&json!({ "name": "Dee" })),
        Some(&rs256(&claims("di", &[], 300))),
    );
    assert_eq!(
        (status, problem["code"].as_str()),
        (401, Some("invalid_token")),
        "a token from another issuer: {problem}"
    );
}

/// An issuer's JWKS document, and its OpenID Connect discovery document naming it, served over
/// HTTP on loopback for as long as the test runs: the JWKS document's URL.
fn serve_jwks() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            let _ = request.read_line(&mut first);
            let mut line = String::new();
            // The headers, up to the blank line.
            while request.read_line(&mut line).is_ok_and(|read| read > 2) {
                line.clear();
            }
            // The discovery document names where the keys are; any other path is the keys.
            let body = if first.contains("/.well-known/openid-configuration") {
                json!({ "issuer": format!("http://{address}"), "jwks_uri": format!("http://{address}/jwks.json") })
                    .to_string()
            } else {
                ISSUER_JWKS.to_owned()
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{address}/jwks.json")
}
