//! What a project's own `Cargo.toml` lacks that the generated code needs.
//!
//! `Cargo.toml` is the user's: regeneration never rewrites it. When a newer eventwright
//! generates code that needs another dependency, a feature of a dependency, or a cargo feature
//! of the project, regeneration says what to add instead of leaving a compile error to find.

use toml::{Table, Value};

/// Each thing `rendered` (the `Cargo.toml` eventwright would write today) has that `current`
/// (the project's own) lacks, as an instruction; empty when nothing is missing or `current`
/// does not parse (cargo will say why).
pub fn missing(rendered: &str, current: &str) -> Vec<String> {
    let (Ok(rendered), Ok(current)) = (rendered.parse::<Table>(), current.parse::<Table>()) else {
        return Vec::new();
    };
    let mut missing = Vec::new();
    let section = |table: &Table, name: &str| table.get(name).and_then(Value::as_table).cloned();
    let wanted = section(&rendered, "dependencies").unwrap_or_default();
    let have = section(&current, "dependencies").unwrap_or_default();
    for (name, spec) in &wanted {
        match have.get(name) {
            None => missing.push(format!("add to [dependencies]: {name} = {spec}")),
            Some(existing) => {
                let lacking: Vec<&str> = features(spec)
                    .into_iter()
                    .filter(|feature| !features(existing).contains(feature))
                    .collect();
                if !lacking.is_empty() {
                    missing.push(format!(
                        "add to the features of {name} in [dependencies]: {}",
                        lacking.join(", ")
                    ));
                }
            }
        }
    }
    let wanted = section(&rendered, "features").unwrap_or_default();
    let have = section(&current, "features").unwrap_or_default();
    for (name, enables) in &wanted {
        if !have.contains_key(name) {
            missing.push(format!("add to [features]: {name} = {enables}"));
        }
    }
    missing
}

fn features(spec: &Value) -> Vec<&str> {
    spec.get("features")
        .and_then(Value::as_array)
        .map(|features| features.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::missing;

    #[test]
    fn names_missing_dependencies_features_and_cargo_features() {
        let rendered = r#"
[dependencies]
tracing-subscriber = { version = "0.3", features = ["env-filter", "json"] }
metrics-exporter-prometheus = { version = "0.18", default-features = false }
serde = "1"

[features]
otel = ["dep:opentelemetry"]
"#;
        let current = r#"
[dependencies]
tracing-subscriber = { version = "0.3", features = ["env-filter"] }
serde = { version = "1.0.200", features = ["derive"] }
"#;
        assert_eq!(
            missing(rendered, current),
            [
                r#"add to [dependencies]: metrics-exporter-prometheus = { default-features = false, version = "0.18" }"#,
                "add to the features of tracing-subscriber in [dependencies]: json",
                r#"add to [features]: otel = ["dep:opentelemetry"]"#,
            ]
        );
        assert!(missing(rendered, rendered).is_empty());
        assert!(missing(rendered, "not toml [").is_empty(), "cargo says why");
    }
}
