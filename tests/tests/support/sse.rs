//! A Server-Sent Events client over a plain socket, so a test can hang up mid-stream and open
//! the watch again from the last id it received, as a browser's `EventSource` does.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use serde_json::Value;

/// One message of the stream.
#[derive(Debug, Clone)]
pub struct Message {
    pub event: String,
    pub id: Option<String>,
    pub data: Value,
}

/// An open watch; dropping it hangs up.
pub struct Watching {
    socket: TcpStream,
    messages: Receiver<Message>,
}

impl Watching {
    /// `GET path` on `base` (`http://host:port`), resuming after `last_event_id` when given.
    /// Panics unless the service answers 200 with an event stream.
    pub fn open(base: &str, path: &str, last_event_id: Option<&str>) -> Self {
        Self::open_as(base, path, last_event_id, None)
    }

    /// [`open`](Self::open), sending `token` as the bearer token when given.
    pub fn open_as(
        base: &str,
        path: &str,
        last_event_id: Option<&str>,
        token: Option<&str>,
    ) -> Self {
        let address = base.trim_start_matches("http://");
        let mut socket = TcpStream::connect(address).expect("the service listens");
        let resume = last_event_id
            .map(|id| format!("Last-Event-ID: {id}\r\n"))
            .unwrap_or_default();
        let bearer = token
            .map(|token| format!("Authorization: Bearer {token}\r\n"))
            .unwrap_or_default();
        write!(
            socket,
            "GET {path} HTTP/1.1\r\nHost: {address}\r\nAccept: text/event-stream\r\n{resume}{bearer}\r\n"
        )
        .expect("the request is sent");
        let mut reader = BufReader::new(socket.try_clone().expect("a second handle"));
        let mut status = String::new();
        reader.read_line(&mut status).expect("a status line");
        assert!(status.starts_with("HTTP/1.1 200"), "GET {path}: {status}");
        let mut chunked = false;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).expect("a header");
            let header = header.trim_end().to_ascii_lowercase();
            if header.is_empty() {
                break;
            }
            chunked |= header == "transfer-encoding: chunked";
        }
        let (sender, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut body: Box<dyn BufRead + Send> = if chunked {
                Box::new(BufReader::new(Dechunk {
                    inner: reader,
                    left: 0,
                }))
            } else {
                Box::new(reader)
            };
            let mut message = (String::from("message"), None, String::new());
            let mut line = String::new();
            while body.read_line(&mut line).is_ok_and(|read| read > 0) {
                let text = line.trim_end_matches(['\r', '\n']).to_owned();
                line.clear();
                if text.is_empty() {
                    let (event, id, data) = std::mem::replace(
                        &mut message,
                        (String::from("message"), None, String::new()),
                    );
                    if data.is_empty() {
                        continue; // a keep-alive comment
                    }
                    let data = serde_json::from_str(&data).expect("JSON data");
                    if sender.send(Message { event, id, data }).is_err() {
                        return;
                    }
                } else if let Some(value) = text.strip_prefix("event:") {
                    message.0 = value.trim_start().to_owned();
                } else if let Some(value) = text.strip_prefix("id:") {
                    message.1 = Some(value.trim_start().to_owned());
                } else if let Some(value) = text.strip_prefix("data:") {
                    message.2.push_str(value.trim_start());
                }
            }
        });
        Self { socket, messages }
    }

    /// The next message, or `None` once the stream has ended; panics if neither happens
    /// within `wait`.
    pub fn next_or_end(&self, wait: Duration) -> Option<Message> {
        match self.messages.recv_timeout(wait) {
            Ok(message) => Some(message),
            Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => panic!("the stream neither sent nor ended"),
        }
    }

    /// The next message, if one comes within `wait`.
    pub fn next(&self, wait: Duration) -> Option<Message> {
        match self.messages.recv_timeout(wait) {
            Ok(message) => Some(message),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => panic!("the stream ended"),
        }
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.socket.shutdown(Shutdown::Both);
    }
}

/// The body of a chunked response, without its chunk framing.
struct Dechunk<R> {
    inner: R,
    /// What is left of the current chunk.
    left: usize,
}

impl<R: BufRead> Read for Dechunk<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            let mut size = String::new();
            self.inner.read_line(&mut size)?;
            if size.trim().is_empty() {
                // The CRLF ending the previous chunk.
                size.clear();
                self.inner.read_line(&mut size)?;
            }
            self.left = usize::from_str_radix(size.trim(), 16)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
            if self.left == 0 {
                return Ok(0);
            }
        }
        let wanted = buf.len().min(self.left);
        let read = self.inner.read(&mut buf[..wanted])?;
        self.left -= read;
        Ok(read)
    }
}
