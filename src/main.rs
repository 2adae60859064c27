//! The `gyokaku` command line.

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use gyokaku::commands;
use gyokaku::engine::{self, BuildOptions};
use gyokaku::findings::Severity;
use gyokaku::validation_report;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod progress_bar;

/// --help in Japanese: clap's own words (Usage, Arguments, Options, the
/// help and version flags) replaced in every command.
fn in_japanese(command: clap::Command) -> clap::Command {
    let mut command = command
        .help_template("{about-with-newline}\n使い方: {usage}\n\n{all-args}{after-help}")
        .disable_help_subcommand(true)
        .disable_help_flag(true)
        .mut_args(|a| if a.is_positional() { a.help_heading("引数") } else { a.help_heading("オプション") })
        .arg(clap::Arg::new("help").short('h').long("help").action(clap::ArgAction::Help).help("この説明を表示します").help_heading("オプション"));
    if command.get_name() == "gyokaku" {
        command = command
            .disable_version_flag(true)
            .arg(clap::Arg::new("version").short('V').long("version").action(clap::ArgAction::Version).help("版を表示します").help_heading("オプション"));
    }
    let names: Vec<String> = command.get_subcommands().map(|c| c.get_name().to_string()).collect();
    for name in names {
        command = command.mut_subcommand(name, in_japanese);
    }
    command
}

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

/// 各部が提出したブックから、議会と市民が読む文書（素案冊子、優先順位一覧、進捗管理表、概要版、進捗状況報告）を作ります。
#[derive(Parser)]
#[command(name = "gyokaku", version, about, subcommand_help_heading = "コマンド", subcommand_value_name = "コマンド")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// INPUT_DIR/submissions のブックをすべて読んで確認し、各部に送る確認結果と差し戻しブックを作ります。
    ///
    /// 終了コード: 0 エラーなし、1 エラーあり、2 実行できない。
    Validate(ValidateArgs),
    /// 確認したうえで、素案冊子、優先順位一覧（PDF と xlsx）、集約ブック、進捗管理表、概要版、進捗状況報告、確認結果を作ります。
    ///
    /// 終了コード: 0 文書を作成（エラーのある項目には「要確認」、ページに「確認用」）、1 --final で作成を中止、2 作れない文書があった。
    Build(BuildArgs),
    /// 各部が記入する様式を部ごとに作ります: 年度の進捗報告様式（--year。プランは保護、その年度の実績と評価だけ記入可）または素案の提出様式（--proposal）。
    Forms(FormsArgs),
    /// 二つの版の入力から新旧対照表を作ります: 追加・削除・番号が変わった項目と、変わった欄の新旧。
    Diff(DiffArgs),
    /// 会議資料を作ります: 次第、資料番号を全ページに印字した各資料、全資料をひとつにした PDF。
    ///
    /// 配布用（OUT/第N回/）はエラーが残っている間は作りません（終了コード 1）。--draft で確認用（OUT/第N回_確認用/、全ページに「確認用」）を作ります。
    Packet(PacketArgs),
    /// 最終年度の進捗報告が INPUT_DIR/progress/ にそろったら、計画期間の最終評価（--final）を作ります: 項目ごとの3年間と判定、大分類・部ごとの集計、成果指標、後期プランへの継続を提案する項目。
    Report(ReportArgs),
    /// 事務局の判断を記録します（INPUT_DIR/decisions.toml）: 指摘を確認済とする（--choice accept、理由つき）か、すべて△の行を削減として読む（--choice reduction、N103 のみ）。判断した指摘は端末・差し戻し・--final の判定から外れ、検証結果に「確認済」と理由が載ります。
    Decide(DecideArgs),
    /// 新しいプランのフォルダを作ります: 各項目に説明のある plan.toml、空の submissions/ と progress/、事務局向けの「はじめに.txt」。
    Init(InitArgs),
    /// 受付サイトを開きます: 各部がブラウザでブックをアップロードしてすぐ指摘を見られ、事務局が提出状況を見て判断し、文書を作ってダウンロードできます。記録は PLAN_DIR/.gyokaku-site/ に残ります。
    ///
    /// アカウントは --add-user で作ります（パスワードは標準入力から読みます）。
    Serve(ServeArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// plan.toml と submissions/ のあるフォルダ
    #[arg(default_value = "inputs")]
    plan_dir: PathBuf,
    /// 待ち受けるアドレスとポート（127.0.0.1 はこの PC だけ。庁内ネットワークに開くには 0.0.0.0:8080 など）
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// サイトを開かずにアカウントを作ります（同じ名前なら新しいパスワードにします）。パスワードは標準入力の1行目
    #[arg(long, value_name = "名前")]
    add_user: Option<String>,
    /// --add-user で作るアカウントの部（plan.toml の組織一覧の名前）
    #[arg(long, requires = "add_user", conflicts_with = "office")]
    department: Option<String>,
    /// --add-user で事務局のアカウントを作ります
    #[arg(long, requires = "add_user")]
    office: bool,
}

#[derive(clap::Args)]
struct InitArgs {
    /// 作るフォルダ（plan.toml がすでにあるフォルダには作りません）
    #[arg(default_value = "inputs")]
    dir: PathBuf,
}

#[derive(clap::Args)]
struct DecideArgs {
    /// plan.toml と submissions/ のあるフォルダ
    #[arg(default_value = "inputs")]
    input_dir: PathBuf,
    /// 指摘のコード（N103、V223 など）
    #[arg(long)]
    code: String,
    /// 指摘の場所「ファイル › シート › セル」（端末や検証結果の表示どおり）
    #[arg(long)]
    place: String,
    /// accept（確認済: 記入どおり。V223 は合計に含める）または reduction（N103: △を削減として読む）
    #[arg(long, value_parser = ["accept", "reduction"])]
    choice: String,
    /// 理由（検証結果に表示されます）
    #[arg(long)]
    reason: String,
    /// 判断した人
    #[arg(long, default_value = "")]
    by: String,
    /// 判断した日（YYYY-MM-DD。省略すると今日）
    #[arg(long)]
    date: Option<String>,
}

#[derive(clap::Args)]
struct ReportArgs {
    /// 計画期間の最終評価
    #[arg(long = "final", required = true)]
    final_evaluation: bool,
    /// plan.toml、submissions/、progress/ のあるフォルダ
    #[arg(default_value = "inputs")]
    input_dir: PathBuf,
    /// 最終評価を書き出すフォルダ
    #[arg(short, long, default_value = "reports")]
    out: PathBuf,
    #[command(flatten)]
    typeset: TypesetArgs,
}

/// Options of every command that typesets.
#[derive(clap::Args)]
struct TypesetArgs {
    /// 同じ名前の組み込みテンプレートの代わりに使うテンプレートのフォルダ（booklet.typ、common.typ、…、validation.html）
    #[arg(long)]
    templates: Option<PathBuf>,
    /// 同梱のフォントに加えるフォントファイルまたはフォルダ（複数指定可）
    #[arg(long = "font-path")]
    font_paths: Vec<PathBuf>,
}

#[derive(clap::Args)]
struct PacketArgs {
    /// plan.toml（[[meetings]] を含む）と submissions/ のあるフォルダ
    #[arg(default_value = "inputs")]
    input_dir: PathBuf,
    /// plan.toml の会議の番号（number）
    #[arg(long)]
    meeting: u32,
    /// 会議資料を書き出すフォルダ（その中の「第N回」フォルダ、確認用は「第N回_確認用」）
    #[arg(short, long, default_value = "reports")]
    out: PathBuf,
    #[command(flatten)]
    typeset: TypesetArgs,
    /// 確認用: エラーが残っていても作り、全ページに「確認用」を印字して 第N回_確認用/ に書き出します。付けないと配布用（エラーが残っている間は作りません）
    #[arg(long)]
    draft: bool,
}

#[derive(clap::Args)]
struct DiffArgs {
    /// 前の版の入力フォルダ
    old: PathBuf,
    /// 今の版の入力フォルダ（文書の名前はこの plan.toml から）
    new: PathBuf,
    /// 新旧対照表を書き出すフォルダ
    #[arg(short, long, default_value = "reports")]
    out: PathBuf,
    #[command(flatten)]
    typeset: TypesetArgs,
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("round").required(true).args(["year", "proposal"])))]
struct FormsArgs {
    /// 進捗報告の年度（R6、R7 など。plan.toml の code）
    #[arg(long)]
    year: Option<String>,
    /// 素案の提出様式: 記入要領、優先順位一覧、空の個票シート（選択肢は plan.toml から）
    #[arg(long)]
    proposal: bool,
    /// --proposal とともに: このフォルダの前期プランの最終評価で継続を提案した項目を記入済みにします（DIR/progress/ に最終年度の報告が必要）。新しいプランの年度と組織は INPUT_DIR の plan.toml から
    #[arg(long, value_name = "DIR", requires = "proposal")]
    carry_from: Option<PathBuf>,
    /// plan.toml と submissions/ のあるフォルダ
    #[arg(default_value = "inputs")]
    input_dir: PathBuf,
    /// 様式を書き出すフォルダ
    #[arg(short, long, default_value = "reports/forms")]
    out: PathBuf,
}

#[derive(clap::Args)]
struct BuildArgs {
    /// plan.toml と submissions/ のあるフォルダ
    #[arg(default_value = "inputs")]
    input_dir: PathBuf,
    /// 文書を書き出すフォルダ
    #[arg(short, long, default_value = "reports")]
    out: PathBuf,
    #[command(flatten)]
    typeset: TypesetArgs,
    /// 配布用: エラーが残っている間は確認結果のほかは作りません（「要確認」の印のある文書を配らないため）。付けないと確認用（エラーのある項目に「要確認」、ページに「確認用」）
    #[arg(long = "final", alias = "strict")]
    handout: bool,
    /// すべての文書を作り直します。付けないと、内容・テンプレート・フォントが前回と同じで、ファイルも変わっていない文書はそのまま残します
    #[arg(long)]
    clean: bool,
    /// 端末に「情報」の指摘を表示しません（確認結果には載ります）
    #[arg(long, short)]
    quiet: bool,
}

#[derive(clap::Args)]
struct ValidateArgs {
    /// plan.toml と submissions/ のあるフォルダ
    #[arg(default_value = "inputs")]
    input_dir: PathBuf,
    /// 確認結果（HTML）、差し戻し一覧ブック、差し戻し/（部ごとの確認結果と指摘を記したブック）を書き出すフォルダ
    #[arg(long, default_value = "reports")]
    report: PathBuf,
    /// 項目と指摘を JSON にしてこのファイルにも書き出します
    #[arg(long)]
    json: Option<PathBuf>,
    /// 組み込みの代わりに使うテンプレートのフォルダ（validation.html）
    #[arg(long)]
    templates: Option<PathBuf>,
    /// 端末に「情報」の指摘を表示しません（確認結果には載ります）
    #[arg(long, short)]
    quiet: bool,
}

fn main() -> ExitCode {
    keep_freed_memory();
    // Before anything touches rayon: its pool gets stacks deep enough for Typst.
    gyokaku::threads::init();
    let cli = match Cli::from_arg_matches(&in_japanese(Cli::command()).get_matches()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let result = match cli.command {
        Command::Validate(args) => validate(&args).map(u8::from),
        Command::Build(args) => build(&args),
        Command::Forms(args) => forms(&args).map(|()| 0),
        Command::Diff(args) => diff(&args).map(|()| 0),
        Command::Packet(args) => packet(&args),
        Command::Report(args) => report(&args).map(|()| 0),
        Command::Decide(args) => decide(&args).map(|()| 0),
        Command::Init(args) => init(&args).map(|()| 0),
        Command::Serve(args) => serve(&args).map(|()| 0),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("エラー: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// One line per file written or kept unchanged, with its pages; per-item
/// sheets as one line.
fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let Some(name) = &args.add_user else {
        return gyokaku::site::serve(&args.plan_dir, &args.listen);
    };
    if args.department.is_none() && !args.office {
        anyhow::bail!("--department 部名（各部のアカウント）か --office（事務局のアカウント）を指定してください");
    }
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        eprint!("{name} のパスワード（8文字以上）: ");
    }
    let mut password = String::new();
    std::io::stdin().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']);
    gyokaku::site::add_user(&args.plan_dir, name, password, args.department.as_deref())?;
    println!("アカウント {name} を作りました（{}）", args.department.as_deref().unwrap_or("事務局"));
    Ok(())
}

fn print_written(out: &Path, files: &[engine::ManifestEntry], kept: &std::collections::HashSet<String>) {
    for file in files.iter().filter(|f| f.kind != "item_sheet_pdf") {
        let pages = file.pages.map(|p| format!("（{p}ページ）")).unwrap_or_default();
        let verb = if kept.contains(&file.path) { "変更なし" } else { "作成" };
        println!("{verb}: {}{pages}", out.join(&file.path).display());
    }
    let sheets: Vec<_> = files.iter().filter(|f| f.kind == "item_sheet_pdf").collect();
    if let Some(first) = sheets.first() {
        let folder = Path::new(&first.path).parent().unwrap_or(Path::new(""));
        let unchanged = sheets.iter().filter(|f| kept.contains(&f.path)).count();
        let note = if unchanged > 0 { format!("、うち変更なし {unchanged} 件") } else { String::new() };
        println!("作成: {}（進捗管理表 {} 件{note}。一覧は manifest.json）", out.join(folder).display(), sheets.len());
    }
}

fn diff(args: &DiffArgs) -> anyhow::Result<()> {
    let outcome = commands::diff::run(&args.old, &args.new, &args.out, args.typeset.templates.as_deref(), &args.typeset.font_paths)?;
    let c = &outcome.comparison;
    println!(
        "追加 {} 件、削除 {} 件、番号の変更 {} 件、内容の変更 {} 件（うち似た名称で対応づけ {} 件）",
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
            "エラー: 誤りが {} 件残っているため、配布用の会議資料は作りませんでした（gyokaku validate で一覧を確認できます）。誤りを直してから実行するか、確認用の資料を作るときは --draft を付けてください。",
            outcome.errors
        );
        return Ok(1);
    }
    for warning in &outcome.warnings {
        eprintln!("警告: {warning}");
    }
    print_written(&args.out, &outcome.files, &Default::default());
    Ok(0)
}

fn init(args: &InitArgs) -> anyhow::Result<()> {
    for path in commands::init::run(&args.dir)? {
        println!("作成しました: {}", path.display());
    }
    println!("plan.toml を市の内容に書き換えてから、はじめに.txt の手順で進めてください。");
    Ok(())
}

fn decide(args: &DecideArgs) -> anyhow::Result<()> {
    let request = commands::decide::Request {
        code: args.code.clone(),
        place: args.place.clone(),
        choice: if args.choice == "reduction" { gyokaku::decisions::Choice::Reduction } else { gyokaku::decisions::Choice::Accept },
        reason: args.reason.clone(),
        by: args.by.clone(),
        date: args.date.clone(),
    };
    let (path, finding) = commands::decide::run(&args.input_dir, &request)?;
    println!("{} に記録しました: [{}] {}", path.display(), finding.code, finding.place());
    println!("  {}", finding.message);
    Ok(())
}

fn report(args: &ReportArgs) -> anyhow::Result<()> {
    let outcome = commands::report::final_evaluation(&args.input_dir, &args.out, args.typeset.templates.as_deref(), &args.typeset.font_paths)?;
    let t = &outcome.data.total;
    println!(
        "{} 項目: 達成 {}、未達成 {}、要確認（実績と評価が食い違う） {}、実績不足（実績のない年度あり） {}、数値目標なし {}。後期への継続を提案 {} 項目",
        t.items, t.achieved, t.not_achieved, t.review, t.incomplete, t.no_target, t.carried
    );
    for warning in &outcome.warnings {
        eprintln!("警告: {warning}");
    }
    print_written(&args.out, &outcome.files, &Default::default());
    Ok(())
}

fn forms(args: &FormsArgs) -> anyhow::Result<()> {
    match &args.year {
        Some(year) => {
            for (path, items) in commands::forms::run(&args.input_dir, year, &args.out)? {
                println!("作成: {}（{items} 項目）", path.display());
            }
        }
        None if args.carry_from.is_some() => {
            let outcome = commands::forms::run_carry(args.carry_from.as_deref().unwrap_or(Path::new("")), &args.input_dir, &args.out)?;
            for (path, sheets, carried) in &outcome.files {
                println!("作成: {}（継続 {carried} 項目、空の個票 {} 枚）", path.display(), sheets - carried);
            }
            for item in &outcome.left_out {
                eprintln!("警告: 新しい plan.toml にその部がないため、継続の様式に入れていません: {item}");
            }
        }
        None => {
            for (path, sheets) in commands::forms::run_proposal(&args.input_dir, &args.out)? {
                println!("作成: {}（空の個票 {sheets} 枚）", path.display());
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
    let outcome = engine::build(&options, &progress.bar);
    progress.finish();
    let outcome = outcome?;
    print!("{}", validation_report::terminal::render(&outcome.run, &outcome.config, args.quiet));
    for warning in &outcome.warnings {
        eprintln!("警告: {warning}");
    }
    print_written(&args.out, &outcome.files, &outcome.kept);
    if outcome.refused {
        eprintln!(
            "エラー: --final: 誤りが {} 件残っているため、配布用の資料は作りませんでした（検証結果だけを書き、前回の資料はそのまま残しています）。誤りを直してから実行するか、確認用の資料は --final を付けずに作ってください。",
            outcome.run.count(Severity::Error)
        );
        return Ok(1);
    }
    for failure in &outcome.failures {
        eprintln!("エラー: {failure}");
    }
    Ok(if outcome.failures.is_empty() { 0 } else { 2 })
}

/// Runs validation; Ok(true) when errors were found.
fn validate(args: &ValidateArgs) -> anyhow::Result<bool> {
    let outcome = engine::validate(&args.input_dir, &args.report, args.json.as_deref(), args.templates.as_deref())?;
    print!("{}", validation_report::terminal::render(&outcome.run, &outcome.config, args.quiet));
    for path in &outcome.written {
        println!("作成: {}", path.display());
    }
    Ok(outcome.run.count(Severity::Error) > 0)
}
