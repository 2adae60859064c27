//! The office's intake site (`gyokaku serve`): departments upload their
//! workbooks and see their findings at once; the office sees who has
//! submitted, decides, builds and downloads. It calls the same engine as
//! the command line (pipeline, returns, engine::build, commands::decide);
//! its own state — accounts, sessions, every upload as it arrived, the
//! builds — lives in the plan folder under `.gyokaku-site/`, and it keeps
//! the plan folder's submissions/ and progress/ current, so
//! `gyokaku build PLAN_DIR` makes the same documents.

pub mod auth;
mod build;
pub mod db;
mod grid;
mod pages;
mod store;

use crate::config::PlanConfig;
use crate::findings::Finding;
use crate::pipeline::{self, Run};
use axum::Router;
use axum::http::{HeaderValue, header};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tower_http::set_header::SetResponseHeaderLayer;

/// The site's own folder in the plan folder.
pub const SITE_FOLDER: &str = ".gyokaku-site";

/// The round of the 素案 (submissions/); every other round is a progress
/// year's code (progress/R6/).
pub const PROPOSAL_ROUND: &str = "素案";

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// What every request reads.
pub struct Site {
    pub plan_dir: PathBuf,
    pub db: Mutex<rusqlite::Connection>,
    pub attempts: auth::Attempts,
    checker: Checker,
    builds: build::Builds,
    typesetter: crate::typeset::Typesetter,
}

/// The plan folder checked as it is now: the same run `gyokaku validate`
/// makes, kept until a change (an upload, a decision) asks for a new one.
pub struct Checked {
    pub run: Run,
    pub config: PlanConfig,
}

/// One check at a time; an upload arriving during a check waits for it and
/// then for one more that includes its file, so ten departments uploading
/// together cost two or three checks, not ten.
struct Checker {
    /// Bumped by every change to the plan folder.
    wanted: AtomicU64,
    current: tokio::sync::Mutex<Option<(u64, Arc<Checked>)>>,
}

impl Site {
    pub fn open(plan_dir: &Path) -> anyhow::Result<Site> {
        if !plan_dir.join("plan.toml").is_file() {
            anyhow::bail!("{}: plan.toml がありません。プランのフォルダを指定してください（gyokaku init で作れます）", plan_dir.display());
        }
        let own = plan_dir.join(SITE_FOLDER);
        std::fs::create_dir_all(own.join("uploads"))
            .map_err(|e| anyhow::anyhow!("{}: フォルダを作れません（{e}）。書き込みの権限を確かめてください", own.display()))?;
        let db = db::open(&own.join("site.db"))?;
        let config = PlanConfig::load_input(plan_dir)?;
        let typesetter = crate::typeset::Typesetter::new(
            crate::typeset::fonts::FontSet::load(&[])?,
            crate::typeset::templates::Templates::load(None)?,
            &config.document_date(),
        )?;
        let site = Site {
            plan_dir: plan_dir.to_path_buf(),
            db: Mutex::new(db),
            attempts: auth::Attempts::default(),
            checker: Checker { wanted: AtomicU64::new(1), current: tokio::sync::Mutex::new(None) },
            builds: build::Builds::default(),
            typesetter,
        };
        store::restore_placed(&site)?;
        Ok(site)
    }

    /// The latest check, or a new one when the plan folder changed since.
    pub async fn checked(self: &Arc<Self>) -> anyhow::Result<Arc<Checked>> {
        let wanted = self.checker.wanted.load(Ordering::SeqCst);
        self.checked_since(wanted).await
    }

    /// Marks the plan folder changed; the next `checked` reads it again.
    /// Returns the generation a check must reach to include the change.
    pub fn changed(&self) -> u64 {
        self.checker.wanted.fetch_add(1, Ordering::SeqCst) + 1
    }

    async fn checked_since(self: &Arc<Self>, generation: u64) -> anyhow::Result<Arc<Checked>> {
        let mut current = self.checker.current.lock().await;
        if let Some((done, checked)) = &*current {
            if *done >= generation {
                return Ok(checked.clone());
            }
        }
        let reaching = self.checker.wanted.load(Ordering::SeqCst);
        let site = self.clone();
        let checked = tokio::task::spawn_blocking(move || -> anyhow::Result<Checked> {
            let config = PlanConfig::load_input(&site.plan_dir)?;
            let run = pipeline::run(&site.plan_dir, &config)?;
            Ok(Checked { run, config })
        })
        .await??;
        let checked = Arc::new(checked);
        *current = Some((reaching, checked.clone()));
        Ok(checked)
    }

    /// The rounds the site offers: the 素案, then each year of the plan.
    pub fn rounds(config: &PlanConfig) -> Vec<String> {
        std::iter::once(PROPOSAL_ROUND.to_string()).chain(config.years.iter().map(|y| y.code.clone())).collect()
    }

    /// The folder of a round in the plan folder.
    pub fn round_folder(&self, round: &str) -> PathBuf {
        if round == PROPOSAL_ROUND { self.plan_dir.join("submissions") } else { self.plan_dir.join("progress").join(round) }
    }
}

/// The round a finding's file belongs to (files are named as the run
/// names them: 01_総務部.xlsx for the 素案, progress/R6/… for a year).
pub fn round_of_file(file: &str) -> String {
    file.strip_prefix("progress/").and_then(|rest| rest.split('/').next()).map_or_else(|| PROPOSAL_ROUND.to_string(), str::to_string)
}

/// A department's findings in a round.
pub fn department_findings<'a>(run: &'a Run, department: &str, round: &str) -> Vec<&'a Finding> {
    run.findings.iter().filter(|f| f.department == department && round_of_file(&f.file) == round).collect()
}

/// Headers on every response: nothing runs but the site's own script,
/// nothing is framed, nothing is guessed from content, nothing is cached
/// by default.
fn security_headers(router: Router) -> Router {
    let csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    router
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp)))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
}

pub fn router(site: Arc<Site>) -> Router {
    security_headers(pages::routes(site.clone()).with_state(site))
}

/// Serves the site on `listener` until the process ends.
pub async fn serve_on(site: Arc<Site>, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    let app = router(site).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).await?;
    Ok(())
}

/// `gyokaku serve`: opens the plan folder and serves it at `listen`.
pub fn serve(plan_dir: &Path, listen: &str) -> anyhow::Result<()> {
    let site = Arc::new(Site::open(plan_dir)?);
    let accounts = db::account_count(&site.db.lock().expect("no panic holds the database"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| anyhow::anyhow!("{listen} で待ち受けられません（{e}）。別のポートを --listen で指定してください"))?;
        let address = listener.local_addr()?;
        println!("受付サイトを開きました: http://{address}/  （終了は Ctrl+C）");
        if accounts == 0 {
            println!("アカウントがまだありません。gyokaku serve {} --add-user 名前 --office で事務局のアカウントを作ってください", plan_dir.display());
        }
        tokio::select! {
            served = serve_on(site, listener) => served,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })
}

/// `gyokaku serve --add-user`: makes an account (or sets a new password
/// for one, which ends its sessions).
pub fn add_user(plan_dir: &Path, name: &str, password: &str, department: Option<&str>) -> anyhow::Result<()> {
    let config = PlanConfig::load_input(plan_dir)?;
    let own = plan_dir.join(SITE_FOLDER);
    std::fs::create_dir_all(&own)?;
    let db = db::open(&own.join("site.db"))?;
    save_account(&db, &config, name, password, department)
}

/// Checks and saves an account: the CLI's `--add-user` and the office's page.
pub fn save_account(db: &rusqlite::Connection, config: &PlanConfig, name: &str, password: &str, department: Option<&str>) -> anyhow::Result<()> {
    let role = match department {
        None => db::Role::Office,
        Some(d) => {
            if config.department(d).is_none() {
                let known: Vec<&str> = config.departments.iter().map(|d| d.name.as_str()).collect();
                anyhow::bail!("{d} は plan.toml の組織一覧にありません（{}）", known.join("、"));
            }
            db::Role::Department(d.to_string())
        }
    };
    if name.trim().is_empty() || name.chars().any(|c| c.is_control() || c.is_whitespace()) || name.chars().count() > 64 {
        anyhow::bail!("アカウント名は空白や制御文字を含まない64文字までにしてください");
    }
    if password.chars().count() < 8 {
        anyhow::bail!("パスワードは8文字以上にしてください");
    }
    db::add_account(db, name, &auth::hash_password(password)?, &role, now())
}
