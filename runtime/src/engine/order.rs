//! The order projections that join others ([`Projection::READS`](crate::Projection::READS))
//! are caught up in: each after the ones it reads, which must run beside it.

use std::sync::Arc;

use super::projector::Projector;

/// `projectors`, each after every one it reads; an error naming a projection that reads one
/// not among them, or projections that read each other in a circle.
pub(super) fn by_reads(
    projectors: &[Arc<dyn Projector>],
) -> Result<Vec<&Arc<dyn Projector>>, String> {
    for projector in projectors {
        for read in projector.reads() {
            if !projectors.iter().any(|p| p.name() == *read) {
                let name = projector.name();
                return Err(format!(
                    "projection {name} reads rows of {read}, which this engine does not run: \
                     add it, so that it is kept up to date beside {name}"
                ));
            }
        }
    }
    let mut ordered = Vec::with_capacity(projectors.len());
    for projector in projectors {
        visit(projector, projectors, &mut Vec::new(), &mut ordered)?;
    }
    Ok(ordered)
}

/// Puts `projector` in `ordered` after what it reads, depth first; `path` holds the projections
/// being visited, so meeting one of them again is a circle.
fn visit<'a>(
    projector: &'a Arc<dyn Projector>,
    projectors: &'a [Arc<dyn Projector>],
    path: &mut Vec<&'static str>,
    ordered: &mut Vec<&'a Arc<dyn Projector>>,
) -> Result<(), String> {
    let name = projector.name();
    if ordered.iter().any(|done| done.name() == name) {
        return Ok(());
    }
    if let Some(start) = path.iter().position(|visiting| *visiting == name) {
        let mut circle = path[start..].to_vec();
        circle.push(name);
        return Err(format!(
            "projections read each other's rows in a circle ({}): each would wait for the other \
             to catch up first",
            circle.join(" -> ")
        ));
    }
    path.push(name);
    for read in projector.reads() {
        if let Some(next) = projectors.iter().find(|p| p.name() == *read) {
            visit(next, projectors, path, ordered)?;
        }
    }
    path.pop();
    ordered.push(projector);
    Ok(())
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;

    use super::*;
    use crate::engine::ProjectionError;
    use crate::event::EventEnvelope;
    use crate::store::Mark;
    use crate::store::generation::AtGeneration;
    use crate::table::TableSchema;

    /// A projection known only by its name and what it reads.
    struct Named(&'static str, &'static [&'static str]);

    const NO_TABLE: TableSchema<'static> = TableSchema {
        name: "",
        key: "",
        columns: &[],
        indexes: &[],
        summaries: &[],
    };

    #[async_trait]
    impl Projector for Named {
        fn name(&self) -> &'static str {
            self.0
        }
        fn schema(&self) -> &'static TableSchema<'static> {
            &NO_TABLE
        }
        fn reads(&self) -> &'static [&'static str] {
            self.1
        }
        async fn handle(
            &self,
            _: &AtGeneration,
            _: &EventEnvelope,
            _: Mark<'_>,
        ) -> Result<bool, ProjectionError> {
            unreachable!("only ordered")
        }
        async fn handle_many(
            &self,
            _: &AtGeneration,
            _: &[(&EventEnvelope, Mark<'_>)],
        ) -> Result<(), ProjectionError> {
            unreachable!("only ordered")
        }
    }

    fn names(projectors: &[Arc<dyn Projector>]) -> Result<Vec<&'static str>, String> {
        Ok(by_reads(projectors)?.iter().map(|p| p.name()).collect())
    }

    #[test]
    fn each_comes_after_what_it_reads() {
        let projectors: Vec<Arc<dyn Projector>> = vec![
            Arc::new(Named("loans", &["books", "members"])),
            Arc::new(Named("members", &[])),
            Arc::new(Named("books", &["authors"])),
            Arc::new(Named("authors", &[])),
        ];
        assert_eq!(
            names(&projectors),
            Ok(vec!["authors", "books", "members", "loans"])
        );
    }

    #[test]
    fn a_circle_is_refused_naming_it() {
        let projectors: Vec<Arc<dyn Projector>> = vec![
            Arc::new(Named("a", &["b"])),
            Arc::new(Named("b", &["c"])),
            Arc::new(Named("c", &["a"])),
        ];
        let refused = names(&projectors).unwrap_err();
        assert!(refused.contains("(a -> b -> c -> a)"), "{refused}");
        let alone: Vec<Arc<dyn Projector>> = vec![Arc::new(Named("a", &["a"]))];
        assert!(names(&alone).unwrap_err().contains("(a -> a)"));
    }

    #[test]
    fn reading_one_not_run_is_refused() {
        let projectors: Vec<Arc<dyn Projector>> = vec![Arc::new(Named("loans", &["books"]))];
        let refused = names(&projectors).unwrap_err();
        assert!(
            refused.contains("loans reads rows of books, which this engine does not run"),
            "{refused}"
        );
    }
}
