//! The generated service's telemetry: structured JSON logs, and with the `otel` feature, traces
//! exported over OTLP/HTTP. A small OTLP receiver stands in for the collector: it records what
//! the service posts, as a collector would receive it.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};
use support::{Service, cargo, generate, shared_target};

/// One request the receiver took: its path, content type and body.
struct Received {
    path: String,
    content_type: String,
    body: Vec<u8>,
}

/// Listens on a free port and answers every request 200, as an OTLP/HTTP collector does, passing
/// each request on.
fn otlp_receiver() -> (String, mpsc::Receiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = format!("http://{}", listener.local_addr().unwrap());
    let (sender, received) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let sender = sender.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().expect("a stream"));
                let mut stream = stream;
                // One connection carries several requests (keep-alive).
                loop {
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                        return;
                    }
                    let path = request_line
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or_default()
                        .to_owned();
                    let (mut length, mut content_type) = (0, String::new());
                    loop {
                        let mut header = String::new();
                        reader.read_line(&mut header).expect("a header line");
                        let header = header.trim_end();
                        if header.is_empty() {
                            break;
                        }
                        let (name, value) = header.split_once(':').unwrap_or((header, ""));
                        match name.to_ascii_lowercase().as_str() {
                            "content-length" => length = value.trim().parse().unwrap_or(0),
                            "content-type" => content_type = value.trim().to_owned(),
                            _ => {}
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).expect("the body");
                    let _ = sender.send(Received {
                        path,
                        content_type,
                        body,
                    });
                    let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\n\
                                  content-length: 0\r\n\r\n";
                    if stream.write_all(answer.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (address, received)
}

#[test]
fn json_logs_and_traces_exported_over_otlp() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let project = dir.path().join("ordering");
    generate("examples/ordering.yaml", &project, None);
    let build = cargo(&project, &["build", "--features", "otel"]);
    assert!(!build.contains("warning"), "the otel build warns:\n{build}");
    cargo(
        &project,
        &["clippy", "--features", "otel", "--", "-D", "warnings"],
    );
    let binary = dir.path().join("ordering-otel");
    std::fs::copy(shared_target().join("debug/ordering"), &binary).expect("the binary was built");

    let (endpoint, received) = otlp_receiver();
    let sqlite = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    let settings = [
        "--log-format".to_owned(),
        "json".to_owned(),
        "--otlp-endpoint".to_owned(),
        endpoint,
    ];
    let mut service = Service::start_with(
        &binary,
        &sqlite("events.db"),
        &sqlite("views.db"),
        &settings,
    );
    let order = "0b5e0d7e-1c53-4d4b-8f5e-3f0d3c1a2b01";
    // The caller's trace, which the request's span continues.
    let (caller_trace, caller_span) = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
    let traceparent = format!("00-{caller_trace}-{caller_span}-01");
    let (status, body) = service.call_with(
        "POST",
        &format!("/orders/{order}/place-order"),
        Some(&json!({ "customer_id": "5a4a3d43-7a8a-4b6e-9a53-0c1b5b0f7c11" })),
        &[("traceparent", &traceparent)],
    );
    assert_eq!(status, 200, "{body}");
    // Projected before the service stops, so the projection's span is exported too.
    service.wait_for(&format!("/order-summary/{order}"), |status, _| {
        status == 200
    });
    // SIGTERM: the service stops and flushes the spans it still holds.
    assert!(service.terminate().success());

    let posted: Vec<Received> = received.try_iter().collect();
    let traces: Vec<&Received> = posted.iter().filter(|r| r.path == "/v1/traces").collect();
    assert!(!traces.is_empty(), "no trace was exported");
    for trace in &traces {
        assert_eq!(trace.content_type, "application/x-protobuf");
    }
    // Protobuf keeps strings as they are: the command's span, its attributes and the service;
    // the span that committed it; the span that projected it.
    let bodies: Vec<u8> = traces.iter().flat_map(|r| r.body.clone()).collect();
    let text = String::from_utf8_lossy(&bodies);
    for expected in [
        "request",
        "command",
        "place_order",
        "ordering",
        "correlation_id",
        "commit",
        "aggregate_id",
        "project",
        "order_summary",
    ] {
        assert!(
            text.contains(expected),
            "`{expected}` in the exported spans"
        );
    }
    // Protobuf keeps ids as raw bytes: the caller's trace id (on the spans of the request) and
    // span id (the request span's parent).
    for (id, what) in [(caller_trace, "trace id"), (caller_span, "span id")] {
        let bytes = hex_bytes(id);
        assert!(
            bodies.windows(bytes.len()).any(|window| window == bytes),
            "the caller's {what} {id} in the exported spans"
        );
    }

    // Every log line is one JSON object with a level and a message.
    std::thread::sleep(Duration::from_millis(200));
    let logs: Vec<Value> = service
        .output()
        .iter()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect();
    assert!(
        logs.iter()
            .any(|log| log["message"] == "listening" && log["level"] == "INFO"),
        "a JSON line for the start: {logs:?}"
    );
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&hex[at..at + 2], 16).expect("hex"))
        .collect()
}
