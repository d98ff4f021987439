//! The JSON Schema of the model file, for editors (`eventwright schema`, and a copy in every
//! generated project that its `eventwright.yaml` points at).
//!
//! It is written by hand rather than derived: the loader's types wrap values in `Spanned` and
//! accept two spellings of a field, which a derived schema would describe badly. A test
//! validates every example model against it, so it cannot drift from what the loader accepts.

/// The schema document (JSON Schema draft-07, which yaml-language-server supports).
pub const JSON: &str = include_str!("../schema/model.schema.json");

/// Where a generated project keeps its copy, relative to the project root.
pub const PROJECT_PATH: &str = ".eventwright/model.schema.json";

/// The comment by which yaml-language-server (VS Code's YAML extension, Helix, Neovim, ...)
/// finds the schema of a model file at the project root.
pub const MODELINE: &str = "# yaml-language-server: $schema=.eventwright/model.schema.json";

/// The model text with the modeline as its first line, unless it names a schema already.
pub fn annotate(model_source: &str) -> String {
    if model_source
        .lines()
        .any(|line| line.trim_start().starts_with("# yaml-language-server:"))
    {
        model_source.to_owned()
    } else {
        format!("{MODELINE}\n{model_source}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotates_once() {
        let once = annotate("version: 1\n");
        assert_eq!(once, format!("{MODELINE}\nversion: 1\n"));
        assert_eq!(annotate(&once), once);
    }

    fn validator() -> jsonschema::Validator {
        let schema: serde_json::Value = serde_json::from_str(JSON).expect("the schema is JSON");
        jsonschema::draft7::new(&schema).expect("the schema is a valid draft-07 schema")
    }

    fn yaml(source: &str) -> serde_json::Value {
        serde_saphyr::from_str(source).expect("YAML")
    }

    #[test]
    fn every_example_model_satisfies_the_schema() {
        let validator = validator();
        for example in [
            "ordering.yaml",
            "inventory.yaml",
            "library.yaml",
            "courses.yaml",
        ] {
            let path = format!("{}/../examples/{example}", env!("CARGO_MANIFEST_DIR"));
            let source = std::fs::read_to_string(&path).expect("the example is readable");
            let errors: Vec<String> = validator
                .iter_errors(&yaml(&source))
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{example}: {errors:#?}");
        }
    }

    #[test]
    fn the_schema_catches_what_an_editor_should_underline() {
        let validator = validator();
        for (source, why) in [
            ("version: 1\nservce: x\n", "a misspelled key"),
            ("version: 2\nservice: x\n", "an unknown version"),
            (
                "version: 1\nservice: x\nbroker: rabbit\n",
                "an unknown broker",
            ),
            (
                "version: 1\nservice: x\naggregates:\n  Cart:\n    id: cart_id\n    state: {}\n    commands:\n      Open: { fields: {} }\n",
                "a command without emits",
            ),
            (
                "version: 1\nservice: x\nqueries:\n  q: { projection: P }\n",
                "a query with neither get_by nor list_by",
            ),
        ] {
            assert!(
                !validator.is_valid(&yaml(source)),
                "{why} passes the schema"
            );
        }
    }
}
