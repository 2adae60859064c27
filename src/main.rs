//! The `gyokaku` command line.

use clap::{Parser, Subcommand};
use gyokaku::config::PlanConfig;
use gyokaku::findings::Severity;
use gyokaku::pipeline;
use gyokaku::report;
use gyokaku::write::write_atomic;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
}

#[derive(clap::Args)]
struct ValidateArgs {
    /// Folder holding plan.toml and submissions/.
    #[arg(default_value = "inputs")]
    input_dir: PathBuf,
    /// Folder for the HTML report and the 差し戻し一覧 workbook.
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
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => match validate(&args) {
            Ok(has_errors) => ExitCode::from(if has_errors { 1 } else { 0 }),
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(2)
            }
        },
    }
}

/// Runs validation; Ok(true) when errors were found.
fn validate(args: &ValidateArgs) -> anyhow::Result<bool> {
    if !args.input_dir.is_dir() {
        anyhow::bail!("{}: input folder not found", args.input_dir.display());
    }
    let config = PlanConfig::load(&args.input_dir.join("plan.toml"))?;
    let run = pipeline::run(&args.input_dir, &config)?;
    print!("{}", report::terminal::render(&run, &config, args.quiet));

    let template = read_template(args.templates.as_deref(), "validation.html")?;
    let html = report::html::render(&run, &config, template.as_deref())?;
    let html_path = args.report.join("validation.html");
    write_atomic(&html_path, html.as_bytes())?;
    let xlsx_path = args.report.join("差し戻し一覧.xlsx");
    write_atomic(&xlsx_path, &report::xlsx::render(&run, &config)?)?;
    println!("wrote {}", html_path.display());
    println!("wrote {}", xlsx_path.display());
    if let Some(json) = &args.json {
        write_atomic(json, &report::json::render(&run)?)?;
        println!("wrote {}", json.display());
    }
    Ok(run.count(Severity::Error) > 0)
}

/// A city's own version of a template, when it has one.
fn read_template(dir: Option<&Path>, name: &str) -> anyhow::Result<Option<String>> {
    let Some(dir) = dir else { return Ok(None) };
    let path = dir.join(name);
    if !path.exists() {
        return Ok(None);
    }
    Ok(Some(std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?))
}
