//! The `gyokaku` command line.

use clap::{Parser, Subcommand};
use gyokaku::commands::{self, build::BuildOptions};
use gyokaku::findings::Severity;
use gyokaku::validation_report;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod progress_bar;

// Typesetting allocates and frees many small objects from several threads;
// mimalloc does that with less time in the kernel and less fragmentation
// than the system allocator (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (mimalloc.h; not named by the -sys
/// crate).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Freed memory stays with the allocator for the next job instead of going
/// back to the kernel, which zeroes every page again when it is asked for
/// it. Measured at 10,010 items: 88 s to 80 s (at a 100 ms delay, 91 s),
/// peak 1,872 MiB to 1,920–1,985 MiB. Still bounded by the jobs' memory
/// budget: freed memory is reused, not added to.
fn keep_freed_memory() {
    // SAFETY: sets one of mimalloc's documented options; any value is valid.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}

/// Turns the departments' workbooks into the documents the council and
/// citizens read.
#[derive(Parser)]
#[command(name = "gyokaku", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read every workbook under INPUT_DIR/submissions, check it, and write
    /// the report a clerk forwards to departments.
    ///
    /// Exit status: 0 no errors, 1 errors found, 2 cannot run.
    Validate(ValidateArgs),
    /// Validate, then write the 素案 booklet, the priority list (PDF and
    /// xlsx), the consolidated workbook, the validation report and
    /// manifest.json.
    ///
    /// Exit status: 0 documents written (items with errors are marked
    /// 要確認, pages say 確認用), 1 refused by --final, 2 a document could not
    /// be made.
    Build(BuildArgs),
    /// Write the forms departments fill, one workbook per department: the
    /// progress forms of a year's round (--year: the plan locked, only that
    /// year's 実績 and 評価 open) or the 素案 proposal forms (--proposal).
    Forms(FormsArgs),
    /// Write the 新旧対照表 between two versions of the inputs: items added,
    /// removed and renumbered, changed fields old beside new.
    Diff(DiffArgs),
    /// Write a council meeting's materials: the 次第, each 資料 stamped
    /// with its number on every page, and all of them joined in one PDF.
    ///
    /// The handout (OUT/第N回/) is refused while validation finds errors
    /// (exit 1); --draft makes the office copy (OUT/第N回_確認用/), 確認用 on
    /// every page.
    Packet(PacketArgs),
    /// Write the plan period's 最終評価 (--final) once the last plan year's
    /// round is in INPUT_DIR/progress/: per item the three years, achieved
    /// or not, totals by 大分類 and 部, the 成果指標, the items proposed to
    /// carry into the 後期 plan.
    Report(ReportArgs),
}

#[derive(clap::Args)]
struct ReportArgs {
    /// The plan period's final evaluation (the only report so far).
    #[arg(long = "final", required = true)]
    final_evaluation: bool,
    /// Folder holding plan.toml, submissions/ and progress/.
    #[arg(default_value = "inputs")]
    input_dir: PathBuf,
    /// Folder the evaluation is written to.
    #[arg(short, long, default_value = "reports")]
    out: PathBuf,
    #[command(flatten)]
    typeset: TypesetArgs,
}

/// Options of every command that typesets.
#[derive(clap::Args)]
struct TypesetArgs {
    /// Folder of templates overriding the built-in ones of the same name
    /// (booklet.typ, common.typ, …, validation.html).
    #[arg(long)]
    templates: Option<PathBuf>,
    /// Font file or folder to add to the shipped fonts (repeatable).
    #[arg(long = "font-path")]
    font_paths: Vec<PathBuf>,
}

#[derive(clap::Args)]
struct PacketArgs {
    /// Folder holding plan.toml (with [[meetings]]) and submissions/.
    #[arg(default_value = "inputs")]
    input_dir: PathBuf,
    /// The meeting's number in plan.toml.
    #[arg(long)]
    meeting: u32,
    /// Folder the materials are written to (in a 第N回 subfolder; the
    /// office copy in 第N回_確認用).
    #[arg(short, long, default_value = "reports")]
    out: PathBuf,
    #[command(flatten)]
    typeset: TypesetArgs,
    /// The office copy: made while errors remain, 確認用 on every page,
    /// into 第N回_確認用/. Without it, the handout: refused (exit 1) while
    /// any error remains, so no page carries a 要確認 mark.
    #[arg(long)]
    draft: bool,
}

#[derive(clap::Args)]
struct DiffArgs {
    /// The earlier input folder.
    old: PathBuf,
    /// The current input folder (its plan.toml names the documents).
    new: PathBuf,
    /// Folder the 新旧対照表 is written to.
    #[arg(short, long, default_value = "reports")]
    out: PathBuf,
    #[command(flatten)]
    typeset: TypesetArgs,
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("round").required(true).args(["year", "proposal"])))]
struct FormsArgs {
    /// Year code of the progress round (R6, R7, …), as in plan.toml.
    #[arg(long)]
    year: Option<String>,
    /// The 素案 proposal forms: 記入要領, 優先順位一覧 and blank 個票 sheets
    /// with drop-downs from plan.toml.
    #[arg(long)]
    proposal: bool,
    /// With --proposal: prefill the forms with the items the final
    /// evaluation of the plan in this folder carries into the new plan
    /// (its last year's round must be in DIR/progress/). INPUT_DIR's
    /// plan.toml gives the new plan's years and departments.
    #[arg(long, value_name = "DIR", requires = "proposal")]
    carry_from: Option<PathBuf>,
    /// Folder holding plan.toml and submissions/.
    #[arg(default_value = "inputs")]
    input_dir: PathBuf,
    /// Folder the forms are written to.
    #[arg(short, long, default_value = "reports/forms")]
    out: PathBuf,
}

#[derive(clap::Args)]
struct BuildArgs {
    /// Folder holding plan.toml and submissions/.
    #[arg(default_value = "inputs")]
    input_dir: PathBuf,
    /// Folder the documents are written to.
    #[arg(short, long, default_value = "reports")]
    out: PathBuf,
    #[command(flatten)]
    typeset: TypesetArgs,
    /// The handout: refuse (build nothing but the validation report) while
    /// any error remains, so no document carries a 要確認 mark. Without it,
    /// items with errors are built marked 要確認 and every page of those
    /// documents says 確認用 (the office copy).
    #[arg(long = "final", alias = "strict")]
    handout: bool,
    /// Make every document again. Without it, a document whose data,
    /// templates, fonts and tool are unchanged since the last build into
    /// the folder, and whose file is untouched, is kept as it is.
    #[arg(long)]
    clean: bool,
    /// Leave info findings out of the terminal output (reports keep them).
    #[arg(long, short)]
    quiet: bool,
}

#[derive(clap::Args)]
struct ValidateArgs {
    /// Folder holding plan.toml and submissions/.
    #[arg(default_value = "inputs")]
    input_dir: PathBuf,
    /// Folder for the HTML report, the 差し戻し一覧 workbook and 差し戻し/
    /// (each department's page and its workbook with the findings marked).
    #[arg(long, default_value = "reports")]
    report: PathBuf,
    /// Also write items and findings as one JSON document to this path.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Folder of templates overriding the built-in ones (validation.html).
    #[arg(long)]
    templates: Option<PathBuf>,
    /// Leave info findings out of the terminal output (reports keep them).
    #[arg(long, short)]
    quiet: bool,
}

fn main() -> ExitCode {
    keep_freed_memory();
    // Before anything touches rayon: its pool gets stacks deep enough for Typst.
    gyokaku::threads::init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => validate(&args).map(u8::from),
        Command::Build(args) => build(&args),
        Command::Forms(args) => forms(&args).map(|()| 0),
        Command::Diff(args) => diff(&args).map(|()| 0),
        Command::Packet(args) => packet(&args),
        Command::Report(args) => report(&args).map(|()| 0),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// One line per file written or kept unchanged, with its pages; per-item
/// sheets as one line.
fn print_written(out: &Path, files: &[commands::build::ManifestEntry], kept: &std::collections::HashSet<String>) {
    for file in files.iter().filter(|f| f.kind != "item_sheet_pdf") {
        let pages = file.pages.map(|p| format!(" ({p} pages)")).unwrap_or_default();
        let verb = if kept.contains(&file.path) { "kept (unchanged)" } else { "wrote" };
        println!("{verb} {}{pages}", out.join(&file.path).display());
    }
    let sheets: Vec<_> = files.iter().filter(|f| f.kind == "item_sheet_pdf").collect();
    if let Some(first) = sheets.first() {
        let folder = Path::new(&first.path).parent().unwrap_or(Path::new(""));
        let unchanged = sheets.iter().filter(|f| kept.contains(&f.path)).count();
        let note = if unchanged > 0 { format!(", {unchanged} kept unchanged") } else { String::new() };
        println!("wrote {} ({} item sheets{note}, listed in manifest.json)", out.join(folder).display(), sheets.len());
    }
}

fn diff(args: &DiffArgs) -> anyhow::Result<()> {
    let outcome = commands::diff::run(&args.old, &args.new, &args.out, args.typeset.templates.as_deref(), &args.typeset.font_paths)?;
    let c = &outcome.comparison;
    println!(
        "{} added, {} removed, {} renumbered, {} changed ({} matched by a similar title)",
        c.added.len(),
        c.removed.len(),
        c.renumbered().count(),
        c.changed().count(),
        c.matched.iter().filter(|m| m.method != gyokaku::compare::MatchMethod::Title).count()
    );
    print_written(&args.out, &outcome.files, &Default::default());
    Ok(())
}

fn packet(args: &PacketArgs) -> anyhow::Result<u8> {
    let outcome = commands::packet::run(&commands::packet::PacketOptions {
        input_dir: &args.input_dir,
        meeting: args.meeting,
        out_dir: &args.out,
        templates: args.typeset.templates.as_deref(),
        font_paths: &args.typeset.font_paths,
        draft: args.draft,
    })?;
    if outcome.refused {
        eprintln!(
            "error: 誤りが {} 件残っているため、配布用の会議資料は作りませんでした（gyokaku validate で一覧を確認できます）。誤りを直してから実行するか、確認用の資料を作るときは --draft を付けてください。",
            outcome.errors
        );
        return Ok(1);
    }
    for warning in &outcome.warnings {
        eprintln!("warning: {warning}");
    }
    print_written(&args.out, &outcome.files, &Default::default());
    Ok(0)
}

fn report(args: &ReportArgs) -> anyhow::Result<()> {
    let outcome = commands::report::final_evaluation(&args.input_dir, &args.out, args.typeset.templates.as_deref(), &args.typeset.font_paths)?;
    let t = &outcome.data.total;
    println!(
        "{} items: {} achieved, {} not achieved, {} without a numeric target; {} proposed to carry into the 後期 plan",
        t.items, t.achieved, t.not_achieved, t.no_target, t.carried
    );
    for warning in &outcome.warnings {
        eprintln!("warning: {warning}");
    }
    print_written(&args.out, &outcome.files, &Default::default());
    Ok(())
}

fn forms(args: &FormsArgs) -> anyhow::Result<()> {
    match &args.year {
        Some(year) => {
            for (path, items) in commands::forms::run(&args.input_dir, year, &args.out)? {
                println!("wrote {} ({items} items)", path.display());
            }
        }
        None if args.carry_from.is_some() => {
            let outcome = commands::forms::run_carry(args.carry_from.as_deref().unwrap_or(Path::new("")), &args.input_dir, &args.out)?;
            for (path, sheets, carried) in &outcome.files {
                println!("wrote {} ({carried} carried, {} blank sheets)", path.display(), sheets - carried);
            }
            for item in &outcome.left_out {
                eprintln!("warning: not carried, its department is not in the new plan.toml: {item}");
            }
        }
        None => {
            for (path, sheets) in commands::forms::run_proposal(&args.input_dir, &args.out)? {
                println!("wrote {} ({sheets} blank sheets)", path.display());
            }
        }
    }
    Ok(())
}

fn build(args: &BuildArgs) -> anyhow::Result<u8> {
    let options = BuildOptions {
        input_dir: args.input_dir.clone(),
        out_dir: args.out.clone(),
        templates: args.typeset.templates.clone(),
        font_paths: args.typeset.font_paths.clone(),
        handout: args.handout,
        clean: args.clean,
    };
    let progress = progress_bar::Progress::start(1);
    let outcome = commands::build::build(&options, &progress.bar);
    progress.finish();
    let outcome = outcome?;
    print!("{}", validation_report::terminal::render(&outcome.run, &outcome.config, args.quiet));
    for warning in &outcome.warnings {
        eprintln!("warning: {warning}");
    }
    print_written(&args.out, &outcome.files, &outcome.kept);
    if outcome.refused {
        eprintln!(
            "error: --final: 誤りが {} 件残っているため、配布用の資料は作りませんでした（検証結果だけを書き、前回の資料はそのまま残しています）。誤りを直してから実行するか、確認用の資料は --final を付けずに作ってください。",
            outcome.run.count(Severity::Error)
        );
        return Ok(1);
    }
    for failure in &outcome.failures {
        eprintln!("error: {failure}");
    }
    Ok(if outcome.failures.is_empty() { 0 } else { 2 })
}

/// Runs validation; Ok(true) when errors were found.
fn validate(args: &ValidateArgs) -> anyhow::Result<bool> {
    let outcome = commands::validate::run(&args.input_dir, &args.report, args.json.as_deref(), args.templates.as_deref())?;
    print!("{}", validation_report::terminal::render(&outcome.run, &outcome.config, args.quiet));
    for path in &outcome.written {
        println!("wrote {}", path.display());
    }
    Ok(outcome.run.count(Severity::Error) > 0)
}
