//! `eventwright generate`: bring a project in step with its edited model without touching the
//! user's code (see [`eventwright_cli::regenerate`] for the rules).

use std::path::PathBuf;
use std::process::ExitCode;

use eventwright_cli::project::{self, Files};
use eventwright_cli::regenerate::{self, Action, Plan};
use eventwright_cli::render::Options;
use eventwright_cli::tree::Disk;

use super::stdout::{out, outln};
use super::{PROBLEM, USAGE};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Generated files (marked `@generated`) follow the model; your files (handlers.rs, tests/, \
Cargo.toml, eventwright.yaml) are created once and never touched again. A generated file you \
edited is shown as a diff and left alone unless you pass --force. Files of yours that the model \
no longer needs are listed, never deleted.

Examples:
  eventwright generate              # after editing eventwright.yaml
  eventwright generate --dry-run    # what would change, with diffs
  eventwright generate --check      # in CI: exit 1 when the project is not up to date")]
pub struct Args {
    /// The project root [default: the nearest directory from here up with an eventwright.yaml].
    #[arg(long, short = 'p')]
    project: Option<PathBuf>,
    /// Change nothing; list what is out of date and exit 1 if anything is.
    #[arg(long, conflicts_with_all = ["dry_run", "force"])]
    check: bool,
    /// Change nothing; print what would be done, with diffs.
    #[arg(long)]
    dry_run: bool,
    /// Replace (or remove) generated files even if they were edited by hand.
    #[arg(long)]
    force: bool,
    /// Also list files that stay as they are.
    #[arg(long, short)]
    verbose: bool,
}

pub fn run(args: &Args) -> ExitCode {
    let root = match &args.project {
        Some(dir) => dir.clone(),
        None => match super::find_project() {
            Ok(dir) => dir,
            Err(code) => return code,
        },
    };
    let model_path = root.join(super::PROJECT_MODEL);
    if !model_path.is_file() {
        eprintln!(
            "error: {} has no {}; is it a project made by `eventwright new`?",
            root.display(),
            super::PROJECT_MODEL
        );
        return ExitCode::from(USAGE);
    }
    let model = match super::load(&model_path) {
        Ok(model) => model,
        Err(code) => return code,
    };
    let source = match std::fs::read_to_string(&model_path) {
        Ok(source) => source,
        Err(error) => {
            eprintln!("error: cannot read {}: {error}", model_path.display());
            return ExitCode::from(PROBLEM);
        }
    };
    let options = Options {
        // Only a project without its Cargo.toml (yours, so created once) would use this.
        runtime: super::runtime_source(None, None),
        model_source: source,
    };
    let files = match project::files(&model, &options, &root) {
        Ok(Files { files, format_note }) => {
            if let Some(note) = format_note {
                eprintln!("note: {note}");
            }
            files
        }
        Err(error) => {
            eprintln!("error: rendering failed: {error}");
            return ExitCode::from(PROBLEM);
        }
    };
    let mut tree = Disk { root: root.clone() };
    let plan = match regenerate::plan(&files, &tree) {
        Ok(plan) => plan,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(PROBLEM);
        }
    };
    print_plan(&plan, args.verbose, args.dry_run);
    if args.check {
        return if plan.is_stale() {
            eprintln!(
                "error: {} is not up to date with {}; run `eventwright generate`",
                root.display(),
                super::PROJECT_MODEL
            );
            ExitCode::from(PROBLEM)
        } else {
            outln!("up to date");
            ExitCode::SUCCESS
        };
    }
    if args.dry_run {
        if !plan.is_stale() {
            outln!("up to date");
        }
        return ExitCode::SUCCESS;
    }
    if plan.conflicts() > 0 && !args.force {
        print_conflict_diffs(&plan);
    }
    match plan.apply(&mut tree, args.force) {
        Ok(()) if plan.is_stale() => {
            outln!("{} is up to date with its model", root.display());
            ExitCode::SUCCESS
        }
        Ok(()) => {
            outln!("up to date");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(PROBLEM)
        }
    }
}

/// One line per file that changes or needs attention; with `diffs`, the change under it.
pub fn print_plan(plan: &Plan, verbose: bool, diffs: bool) {
    for step in &plan.steps {
        if !verbose && !step.is_notable() {
            continue;
        }
        outln!("{step}");
        let show = match step.action {
            Action::Update { .. } | Action::Edited { .. } | Action::Remove { .. } => diffs,
            Action::EditedObsolete { .. } => diffs,
            _ => false,
        };
        if show && let Some(diff) = step.diff() {
            out!("{diff}");
        }
    }
}

/// What the user changed by hand in generated files, so nothing is lost from view.
fn print_conflict_diffs(plan: &Plan) {
    for step in &plan.steps {
        if let Action::Edited { .. } | Action::EditedObsolete { .. } = step.action
            && let Some(diff) = step.diff()
        {
            eprintln!(
                "\n{} (yours on the left, the model's on the right):",
                step.path.display()
            );
            eprint!("{diff}");
        }
    }
}
