//! eventwright over HTTP: the service generated from `bench/model/counter.yaml`, built in
//! release and run with `--role command` on a PostgreSQL schema of its own (its pool is the
//! generated service's: 16 connections). Requests go over kept-alive connections, one in flight
//! per task.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use anyhow::{Context as _, bail};
use async_trait::async_trait;
use eventwright::store::EventStore;
use eventwright::store::postgres::{self, PostgresEventStore, Retry};
use eventwright_cli::render::{Options, RuntimeSource};

use super::Contender;
use crate::workload::Target;

pub struct Http {
    client: Client,
    events: Arc<dyn EventStore>,
    _service: Service,
}

/// Sends the counter's commands to a service at `base`, as `/counters/{id}/start` and
/// `/counters/{id}/bump`: the generated service's routes, which the raw baseline over HTTP
/// serves too.
pub struct Client {
    base: String,
    client: reqwest::Client,
}

/// The running service, stopped with the benchmark.
struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Http {
    /// Generates and builds the service under `workspace/target`, then starts it.
    pub async fn start(workspace: &Path, url: &str) -> anyhow::Result<Self> {
        let binary = build(workspace)?;
        let scoped = postgres::scratch_schema(url).await?;
        let events: Arc<dyn EventStore> = Arc::new(PostgresEventStore::new(
            postgres::connect(&scoped, 2, Retry::default()).await?,
        ));
        events.prepare().await?;
        let views = std::env::temp_dir().join(format!(
            "counter-bench-{}.db",
            uuid::Uuid::new_v4().simple()
        ));
        let mut child = Command::new(&binary)
            .args(["serve", "--role", "command", "--bind", "127.0.0.1:0"])
            .args(["--write-db", &scoped])
            .arg("--read-db")
            .arg(format!("sqlite://{}", views.display()))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let Some(line) = lines.next() else {
                bail!("the service stopped before listening");
            };
            if let Some(rest) = line?.split("listening on ").nth(1) {
                break rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .trim_end_matches('.')
                    .to_owned();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Ok(Self {
            client: Client::new(base),
            events,
            _service: Service(child),
        })
    }
}

impl Client {
    pub fn new(base: String) -> Self {
        Self {
            base,
            client: reqwest::Client::new(),
        }
    }

    async fn post(&self, path: &str, to: u64) -> anyhow::Result<u16> {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(format!("{{\"to\":{to}}}"))
            .send()
            .await?;
        let status = response.status().as_u16();
        let body = response.text().await?;
        match status {
            200 | 404 | 409 => Ok(status),
            _ => bail!("{path}: {status} {body}"),
        }
    }

    /// One command; a bump on a counter not started yet starts it first.
    pub async fn command(&self, target: &Target) -> anyhow::Result<()> {
        match target {
            Target::New(id) => {
                if self.post(&format!("/counters/{id}/start"), 1).await? != 200 {
                    bail!("start {id} refused");
                }
            }
            Target::Existing(id) => {
                if self.post(&format!("/counters/{id}/bump"), 1).await? == 404 {
                    // The first command on a hot aggregate starts it; a racing one may have.
                    self.post(&format!("/counters/{id}/start"), 1).await?;
                    if self.post(&format!("/counters/{id}/bump"), 1).await? != 200 {
                        bail!("bump {id} refused");
                    }
                }
            }
        }
        Ok(())
    }
}

/// Generates the service into `target/bench-service` and builds it in release.
fn build(workspace: &Path) -> anyhow::Result<PathBuf> {
    let model_file = workspace.join("bench/model/counter.yaml");
    let model = eventwright_cli::model::load(&model_file)
        .map_err(|diagnostics| anyhow::anyhow!("{diagnostics}"))?;
    let options = Options {
        runtime: RuntimeSource::Path(workspace.join("runtime")),
        model_source: std::fs::read_to_string(&model_file)?,
    };
    let project = workspace.join("target/bench-service");
    eventwright_cli::project::create(&model, &options, &project, true)?;
    let target = workspace.join("target/bench-generated");
    eprintln!("building the counter service in release (once; then incremental)");
    // The cargo that runs this benchmark, else the one on the PATH (rustup's, which picks the
    // toolchain the same way for every crate it builds).
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release"])
        .current_dir(&project)
        .env("CARGO_TARGET_DIR", &target)
        .status()?;
    if !status.success() {
        bail!("building the counter service failed");
    }
    Ok(target.join("release/counter_bench"))
}

#[async_trait]
impl Contender for Http {
    fn name(&self) -> &'static str {
        "eventwright over HTTP"
    }

    fn store(&self) -> &'static str {
        "postgres"
    }

    async fn preload(&self, aggregates: usize, history: u64) -> anyhow::Result<()> {
        super::preload_eventwright(self.events.as_ref(), aggregates, history).await
    }

    async fn command(&self, target: &Target) -> anyhow::Result<()> {
        self.client.command(target).await
    }
}
