//! The services `scripts/services.sh` runs for the tests: their settings, and the script's
//! commands the outage tests use.

/// A variable `scripts/services.sh env` prints. Missing means the services are not up: a
/// failure, never a skip.
pub fn service_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: start the services with `eval \"$(scripts/services.sh up)\"` \
             (scripts/test.sh does this)"
        )
    })
}

/// Runs `scripts/services.sh <command>`, e.g. `kafka-stop` or `kafka-node-kill 2`, for the
/// outage tests.
pub fn services(command: &str) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/services.sh");
    let status = std::process::Command::new(&script)
        .args(command.split_whitespace())
        .stdout(std::process::Stdio::null())
        .status()
        .expect("the services script runs");
    assert!(status.success(), "services.sh {command} failed");
}

/// [`services`], off the async runtime's threads.
pub async fn services_blocking(command: String) {
    tokio::task::spawn_blocking(move || services(&command))
        .await
        .unwrap();
}

/// A cluster (`kafka-cluster`, `cassandra-cluster`) started for one test and stopped after it,
/// failed or not: its nodes would otherwise share the machine with every test that runs later.
pub struct RunningCluster {
    name: &'static str,
}

impl RunningCluster {
    pub async fn start(name: &'static str) -> Self {
        services_blocking(format!("{name}-up")).await;
        Self { name }
    }
}

impl Drop for RunningCluster {
    fn drop(&mut self) {
        services(&format!("{}-down", self.name));
    }
}
