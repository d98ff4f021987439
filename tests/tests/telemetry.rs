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
    // The request's span continues the caller's trace, and so does the span that projected the
    // command's event, after the event carried the trace through the event store.
    let spans: Vec<ExportedSpan> = traces
        .iter()
        .flat_map(|r| exported_spans(&r.body))
        .collect();
    let named = |name: &str| -> &ExportedSpan {
        spans
            .iter()
            .find(|span| span.name == name)
            .unwrap_or_else(|| panic!("no `{name}` span among {spans:?}"))
    };
    let request = named("request");
    assert_eq!(hex(&request.trace_id), caller_trace, "{request:?}");
    assert_eq!(hex(&request.parent_span_id), caller_span, "{request:?}");
    let project = named("project");
    assert_eq!(hex(&project.trace_id), caller_trace, "{project:?}");

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

/// A span as exported: its name, its trace and its parent.
#[derive(Debug)]
struct ExportedSpan {
    name: String,
    trace_id: Vec<u8>,
    parent_span_id: Vec<u8>,
}

/// The spans of an OTLP `ExportTraceServiceRequest` in protobuf: resource spans (field 1) hold
/// scope spans (2), which hold spans (2), whose trace id is field 1, parent span id 4 and name 5.
fn exported_spans(body: &[u8]) -> Vec<ExportedSpan> {
    let mut spans = Vec::new();
    for (_, resource) in fields(body).into_iter().filter(|(number, _)| *number == 1) {
        for (_, scope) in fields(resource)
            .into_iter()
            .filter(|(number, _)| *number == 2)
        {
            for (_, span) in fields(scope).into_iter().filter(|(number, _)| *number == 2) {
                let field = |wanted: u64| {
                    fields(span)
                        .into_iter()
                        .find(|(number, _)| *number == wanted)
                        .map(|(_, bytes)| bytes.to_vec())
                        .unwrap_or_default()
                };
                spans.push(ExportedSpan {
                    name: String::from_utf8(field(5)).expect("a UTF-8 span name"),
                    trace_id: field(1),
                    parent_span_id: field(4),
                });
            }
        }
    }
    spans
}

/// The length-delimited fields of one protobuf message, by field number; fields of other wire
/// types are skipped.
fn fields(mut bytes: &[u8]) -> Vec<(u64, &[u8])> {
    let mut fields = Vec::new();
    while !bytes.is_empty() {
        let key = varint(&mut bytes);
        match key & 7 {
            0 => {
                varint(&mut bytes);
            }
            1 => bytes = &bytes[8..],
            2 => {
                let length = usize::try_from(varint(&mut bytes)).expect("a length");
                fields.push((key >> 3, &bytes[..length]));
                bytes = &bytes[length..];
            }
            5 => bytes = &bytes[4..],
            other => panic!("wire type {other} in an OTLP body"),
        }
    }
    fields
}

fn varint(bytes: &mut &[u8]) -> u64 {
    let mut value = 0;
    for shift in (0..64).step_by(7) {
        let byte = bytes[0];
        *bytes = &bytes[1..];
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            break;
        }
    }
    value
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
