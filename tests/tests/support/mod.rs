//! Generating a service, building it with cargo, running it and talking to it over HTTP.

// Each test binary compiles this module on its own and uses only part of it.
#![allow(dead_code)]

pub mod sse;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use eventwright_cli::model::ir::Stores;
use eventwright_cli::render::{Options, RuntimeSource};
use eventwright_cli::{model, project};
use serde_json::Value;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// One target directory shared by every generated project, apart from the workspace's own so a
/// nested cargo never waits on the outer one's lock.
pub fn shared_target() -> PathBuf {
    std::env::var_os("EVENTWRIGHT_E2E_TARGET")
        .map_or_else(|| workspace().join("target/generated"), PathBuf::from)
}

/// Generates `model` (a path under `examples/`) into `out` on `stack` (the model's own when
/// `None`), the way `eventwright new` does: rendered, formatted with rustfmt, written with its
/// manifest. That the templates are rustfmt-clean before that formatting is
/// `cli/tests/rustfmt_stable.rs`'s to check.
pub fn generate(model_file: &str, out: &Path, stack: Option<Stores>) {
    let path = workspace().join(model_file);
    let mut model = model::load(&path).unwrap_or_else(|diagnostics| panic!("{diagnostics}"));
    if let Some(stack) = stack {
        model.stores = stack;
    }
    let options = Options {
        runtime: RuntimeSource::Path(workspace().join("runtime")),
        model_source: std::fs::read_to_string(&path).expect("the model is readable"),
    };
    let created = project::create(&model, &options, out, false).expect("the project is written");
    if let Some(note) = created.format_note {
        eprintln!("note: {note}");
    }
}

/// A variable `scripts/services.sh env` prints. Missing means the services are not up: a
/// failure, never a skip.
pub fn service_env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run the suite with scripts/test.sh"))
}

/// The PostgreSQL server the tests use. Missing means the services are not up: a failure, never
/// a skip.
pub fn postgres_url() -> String {
    service_env("EVENTWRIGHT_POSTGRES_URL")
}

/// A URL for a fresh, empty schema on the test server.
pub fn scratch_postgres() -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(eventwright::store::postgres::scratch_schema(&postgres_url()))
        .expect("a scratch schema on the test server")
}

/// Runs cargo in `project` with the shared target dir; returns stderr, panicking on failure.
pub fn cargo(project: &Path, args: &[&str]) -> String {
    cargo_with_env(project, args, &[])
}

/// [`cargo`] with extra environment variables.
pub fn cargo_with_env(project: &Path, args: &[&str], env: &[(&str, String)]) -> String {
    let output = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(project)
        .envs(env.iter().map(|(name, value)| (*name, value.as_str())))
        .env("CARGO_TARGET_DIR", shared_target())
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    // A failing `cargo test` says why on stdout: which test, and its panic.
    assert!(
        output.status.success(),
        "cargo {} failed in {}:\n{stderr}\n{}",
        args.join(" "),
        project.display(),
        String::from_utf8_lossy(&output.stdout)
    );
    stderr
}

/// The service binary of the generated crate `name`, copied to `to`: projects share one target
/// dir, so the next build of a crate of that name would overwrite it.
pub fn copied_binary(name: &str, to: PathBuf) -> PathBuf {
    std::fs::copy(shared_target().join("debug").join(name), &to).expect("the binary was built");
    to
}

/// Builds the service binary of the generated `project`, crate `name`, and copies it to `to`.
pub fn build_service(project: &Path, name: &str, to: PathBuf) -> PathBuf {
    cargo(project, &["build", "--bin", name]);
    copied_binary(name, to)
}

/// `--role <role>` and then `settings`: the arguments of one role of a service split by role.
pub fn with_role(role: &str, settings: &[String]) -> Vec<String> {
    let mut arguments = vec!["--role".to_owned(), role.to_owned()];
    arguments.extend(settings.iter().cloned());
    arguments
}

/// A running service, stopped when dropped.
pub struct Service {
    child: Child,
    pub base: String,
    agent: ureq::Agent,
    /// Every line the service wrote to stdout so far.
    output: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// Sent with every request, before those a call adds: a caller's bearer token, say.
    headers: Vec<(String, String)>,
}

impl Service {
    /// Starts `binary serve` on a free port with the given stores, and waits until it says where
    /// it listens.
    pub fn start(binary: &Path, write_db: &str, read_db: &str) -> Self {
        Self::start_with(binary, write_db, read_db, &[])
    }

    /// [`start`](Self::start) with more settings, e.g. `--role` or Kafka's.
    pub fn start_with(binary: &Path, write_db: &str, read_db: &str, settings: &[String]) -> Self {
        Self::start_with_env(binary, write_db, read_db, settings, &[])
    }

    /// [`start_with`](Self::start_with), with environment variables set for the service.
    pub fn start_with_env(
        binary: &Path,
        write_db: &str,
        read_db: &str,
        settings: &[String],
        env: &[(String, String)],
    ) -> Self {
        let mut child = Command::new(binary)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(["--write-db", write_db, "--read-db", read_db])
            .args(settings)
            .envs(env.iter().map(|(name, value)| (name, value)))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the service starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let output = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let base = loop {
            let line = lines
                .next()
                .expect("the service prints its address")
                .expect("utf-8 output");
            output.lock().unwrap().push(line.clone());
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest
                    .split_whitespace()
                    .next()
                    .expect("an address")
                    .trim_end_matches('.')
                    .to_owned();
            }
        };
        // Keep draining stdout so the service never blocks on a full pipe.
        let kept = std::sync::Arc::clone(&output);
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                kept.lock().unwrap().push(line);
            }
        });
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Self {
            child,
            base,
            agent,
            output,
            headers: Vec::new(),
        }
    }

    /// Sends every request from now on as the caller `token` names.
    pub fn act_as(&mut self, token: &str) {
        self.headers = vec![("authorization".to_owned(), format!("Bearer {token}"))];
    }

    /// The lines the service has written to stdout so far.
    pub fn output(&self) -> Vec<String> {
        self.output.lock().unwrap().clone()
    }

    /// Asks the service to stop with SIGTERM, as an orchestrator does, and waits until it exits.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|status| status.success()), "SIGTERM sent");
        self.child.wait().expect("the service exits")
    }

    /// Kills the service with SIGKILL, as a crash would: no shutdown, nothing flushed.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends a request; returns the status and the JSON body (`Null` when empty).
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        self.call_with(method, path, body, &[])
    }

    /// [`call`](Self::call) with request headers.
    pub fn call_with(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .chain(headers.iter().copied())
            .collect();
        let result = match (method, body) {
            ("GET", _) => {
                let mut request = self.agent.get(&url);
                for (name, value) in &headers {
                    request = request.header(*name, *value);
                }
                request.call()
            }
            ("POST", body) => {
                let mut request = self.agent.post(&url);
                for (name, value) in &headers {
                    request = request.header(*name, *value);
                }
                match body {
                    Some(body) => request
                        .header("content-type", "application/json")
                        .send(body.to_string()),
                    None => request.send_empty(),
                }
            }
            _ => unreachable!("only GET and POST are used"),
        };
        let mut response = result.unwrap_or_else(|error| panic!("{method} {path}: {error}"));
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .expect("a readable body");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("a JSON body")
        };
        (status, json)
    }

    /// `GET path`, answered in text: the status and the body.
    pub fn get_text(&self, path: &str) -> (u16, String) {
        let mut response = self
            .agent
            .get(format!("{}{path}", self.base))
            .call()
            .unwrap_or_else(|error| panic!("GET {path}: {error}"));
        let status = response.status().as_u16();
        (
            status,
            response
                .body_mut()
                .read_to_string()
                .expect("a readable body"),
        )
    }

    /// Sends raw text as a JSON body.
    pub fn post_raw(&self, path: &str, body: &str) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let mut response = self
            .agent
            .post(&url)
            .header("content-type", "application/json")
            .send(body)
            .unwrap_or_else(|error| panic!("POST {path}: {error}"));
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .expect("a readable body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Polls `path` until `done` accepts the body, for at most thirty seconds: projections are
    /// eventually consistent, and a Kafka consumer group takes a few seconds to form.
    pub fn wait_for(&self, path: &str, done: impl Fn(u16, &Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (status, body) = self.call("GET", path, None);
            if done(status, &body) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "GET {path} never became ready; last answer {status} {body}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Kafka brokers the tests use. Missing means the services are not up: a failure, never a
/// skip.
pub fn kafka_brokers() -> String {
    service_env("EVENTWRIGHT_KAFKA_BROKERS")
}

/// `--kafka-brokers` and a topic prefix of its own, so runs never see each other's topics.
pub fn kafka_settings() -> Vec<String> {
    vec![
        "--kafka-brokers".to_owned(),
        kafka_brokers(),
        "--kafka-topic-prefix".to_owned(),
        format!("e2e{}.", uuid::Uuid::new_v4().simple()),
    ]
}

/// A `serve --role projector` process, stopped when dropped.
pub struct Projector {
    child: Child,
}

impl Projector {
    /// Starts it and waits until it says it is projecting.
    pub fn start(binary: &Path, write_db: &str, read_db: &str, settings: &[String]) -> Self {
        let mut child = Command::new(binary)
            .args(["serve", "--role", "projector", "--bind", "127.0.0.1:0"])
            .args(["--write-db", write_db, "--read-db", read_db])
            .args(settings)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the projector starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        loop {
            let line = lines
                .next()
                .expect("the projector says it runs")
                .expect("utf-8 output");
            if line.contains("is projecting") {
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        Self { child }
    }

    /// Kills it with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Projector {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The Cassandra nodes the tests use. Missing means the services are not up: a failure, never
/// a skip.
pub fn cassandra_nodes() -> String {
    service_env("EVENTWRIGHT_CASSANDRA_NODES")
}

/// A read-store URL for a keyspace of its own on the test nodes; the service creates it.
pub fn scratch_cassandra() -> String {
    format!(
        "cassandra://{}/e2e_{}",
        cassandra_nodes(),
        uuid::Uuid::new_v4().simple()
    )
}
