//! The raw ceiling over HTTP: the raw contender's one-row insert behind a minimal axum handler
//! on the same routes as the generated service, with a pool of its own size (16). It runs on a
//! runtime and threads of its own, as the service runs in a process of its own, and is sent
//! the same requests.

use std::sync::Arc;

use async_trait::async_trait;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;

use super::Contender;
use super::http::Client;
use super::raw::Raw;
use crate::workload::Target;

/// The generated service's pool.
const POOL: u32 = 16;

pub struct RawHttp {
    client: Client,
    raw: Arc<Raw>,
}

impl RawHttp {
    pub async fn start(url: &str) -> anyhow::Result<Self> {
        let raw = Arc::new(Raw::postgres(url, POOL).await?);
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let base = format!("http://{}", listener.local_addr()?);
        let serving = Arc::clone(&raw);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        std::thread::spawn(move || {
            runtime.block_on(async move {
                let app = axum::Router::new()
                    .route("/counters/{id}/{command}", post(command))
                    .with_state(serving);
                let listener = tokio::net::TcpListener::from_std(listener)?;
                axum::serve(listener, app).await
            })
        });
        Ok(Self {
            client: Client::new(base),
            raw,
        })
    }
}

/// Reads the body as the service does, inserts the row, answers in JSON.
async fn command(
    State(raw): State<Arc<Raw>>,
    Path((id, command)): Path<(String, String)>,
    Json(_body): Json<serde_json::Value>,
) -> Result<Json<serde_json::Value>, (StatusCode, String)> {
    let target = match command.as_str() {
        "start" => Target::New(id),
        "bump" => Target::Existing(id),
        other => return Err((StatusCode::NOT_FOUND, format!("no command {other}"))),
    };
    raw.command(&target)
        .await
        .map_err(|error| (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))?;
    Ok(Json(serde_json::json!({ "committed": true })))
}

#[async_trait]
impl Contender for RawHttp {
    fn name(&self) -> &'static str {
        "raw sqlx in axum, over HTTP"
    }

    fn store(&self) -> &'static str {
        "postgres"
    }

    async fn preload(&self, aggregates: usize, history: u64) -> anyhow::Result<()> {
        self.raw.preload(aggregates, history).await
    }

    async fn command(&self, target: &Target) -> anyhow::Result<()> {
        self.client.command(target).await
    }
}
