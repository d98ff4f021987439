//! Plain words for the YAML parser's indentation errors. "did not find expected key" and
//! "mapping values are not allowed in this context" are what a newcomer most often meets, and
//! neither says that the line is indented wrong, nor how it should be.

/// A line above the one in error that could be the key it belongs beside or under.
struct Above<'a> {
    line: usize,
    indent: usize,
    key: &'a str,
    /// Whatever follows the key's colon on its line, trimmed.
    value: &'a str,
}

/// An indentation error, where it is and in plain words.
pub(super) struct Explained {
    /// 1-based, where the line's indentation ends (or its tab is).
    pub(super) line: usize,
    pub(super) column: usize,
    pub(super) message: String,
    pub(super) hint: String,
}

/// The parser's error at 1-based `line`, when it is about indentation.
pub(super) fn explain(source: &str, line: usize, parser: &str) -> Option<Explained> {
    let lines: Vec<&str> = source.lines().collect();
    if parser.contains("tab") {
        // The parser may notice the tab while still reading the line before it.
        let index = (line.checked_sub(1)?..lines.len().min(line + 1))
            .find(|&index| leading(lines[index]).contains('\t'))?;
        return Some(Explained {
            line: index + 1,
            column: leading(lines[index]).find('\t')? + 1,
            message: format!("line {} is indented with a tab", index + 1),
            hint: "YAML indents with spaces only: replace the tab with spaces".to_owned(),
        });
    }
    let text = lines.get(line.checked_sub(1)?)?;
    let about_indentation = [
        "expected key",
        "mapping values are not allowed",
        "expected '-'",
    ]
    .iter()
    .any(|words| parser.contains(words));
    if !about_indentation {
        return None;
    }
    let indent = indent_of(text);
    let chain = enclosing(&lines[..line - 1]);
    let previous = chain.first()?;
    let said = format!("(the YAML parser says: {parser})");
    let at = |message: String, hint: String| Explained {
        line,
        column: indent + 1,
        message,
        hint,
    };
    if indent > previous.indent && !previous.value.is_empty() && !starts_block(previous.value) {
        return Some(at(
            format!(
                "line {line} is indented under `{}` (line {}), which already has a value",
                previous.key, previous.line
            ),
            format!(
                "line it up with `{}` ({} spaces) to make it a key beside it, or move `{}` off \
                 the line of `{}` to nest keys under it {said}",
                previous.key, previous.indent, previous.value, previous.key
            ),
        ));
    }
    if chain.iter().all(|above| above.indent != indent) {
        let levels: Vec<String> = chain
            .iter()
            .map(|above| format!("{} for `{}`", above.indent, above.key))
            .collect();
        return Some(at(
            format!(
                "line {line} is indented {indent} spaces, which lines it up with no key above it"
            ),
            format!(
                "the keys it could belong beside are indented {}; indent it like one of them \
                 {said}",
                levels.join(", ")
            ),
        ));
    }
    None
}

/// A line's indentation: its leading spaces and tabs.
fn leading(text: &str) -> &str {
    &text[..text.len() - text.trim_start_matches([' ', '\t']).len()]
}

fn indent_of(text: &str) -> usize {
    text.len() - text.trim_start_matches(' ').len()
}

/// The lines above, nearest first, each indented less than the one after it: the keys a line
/// can sit beside.
fn enclosing<'a>(above: &[&'a str]) -> Vec<Above<'a>> {
    let mut chain: Vec<Above<'a>> = Vec::new();
    for (index, text) in above.iter().enumerate().rev() {
        let trimmed = text.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = indent_of(text);
        if chain.last().is_some_and(|nearer| nearer.indent <= indent) {
            continue;
        }
        let entry = trimmed.trim_start_matches("- ");
        let (key, value) = entry.split_once(':').unwrap_or((entry, ""));
        chain.push(Above {
            line: index + 1,
            indent,
            key: key.trim(),
            value: value.trim(),
        });
        if indent == 0 {
            break;
        }
    }
    chain
}

/// A value that opens a block on the lines below: a literal or folded scalar, or a comment.
fn starts_block(value: &str) -> bool {
    value.starts_with('|') || value.starts_with('>') || value.starts_with('#')
}
