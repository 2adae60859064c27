//! The site's pages and downloads. Every route takes the account from its
//! session: a department's routes never take a department from the URL,
//! and the office's refuse any other account.

use super::auth::{self, Office, Signed};
use super::{Checked, PROPOSAL_ROUND, Site, build, db, department_findings, grid, now, round_of_file, store};
use crate::findings::{Finding, Severity};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Form, Multipart, Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use minijinja::{Environment, context};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

pub fn routes(site: Arc<Site>) -> Router<Arc<Site>> {
    let upload_limit = site.checked_config_limit();
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/assets/style.css", get(|| async { asset("text/css; charset=utf-8", include_str!("../../templates/site/style.css")) }))
        .route("/assets/site.js", get(|| async { asset("text/javascript; charset=utf-8", include_str!("../../templates/site/site.js")) }))
        .route("/assets/gothic.ttf", get(|| async { font(crate::typeset::fonts::SHIPPED[1]) }))
        .route("/assets/gothic-bold.ttf", get(|| async { font(crate::typeset::fonts::SHIPPED[2]) }))
        .route("/dept", get(department_page))
        .route("/dept/form", get(department_form))
        .route("/dept/upload", post(upload).layer(DefaultBodyLimit::max(upload_limit)))
        .route("/dept/return", get(department_return))
        .route("/dept/report.pdf", get(department_report))
        .route("/uploads/{id}", get(upload_download))
        .route("/office", get(office_board))
        .route("/office/dept/{code}", get(office_department))
        .route("/office/dept/{code}/return", get(office_return))
        .route("/office/dept/{code}/upload", post(office_upload).layer(DefaultBodyLimit::max(upload_limit)))
        .route("/office/dept/{code}/report.pdf", get(office_report))
        .route("/office/decide", post(decide))
        .route("/office/accounts", get(accounts_page).post(save_account))
        .route("/office/documents", get(documents_page))
        .route("/office/build", post(start_build))
        .route("/office/build/status", get(build_status))
        .route("/office/documents.zip", get(documents_zip))
        .route("/office/files/{*path}", get(document_file))
}

impl Site {
    /// The largest upload the site takes: the reader's file limit and room
    /// for the form around it.
    fn checked_config_limit(&self) -> usize {
        crate::config::PlanConfig::load_input(&self.plan_dir).map(|c| c.limits.file_bytes()).unwrap_or(20_000_000) as usize + 64 * 1024
    }
}

fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: OnceLock<Environment<'static>> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in [
            ("base.html", include_str!("../../templates/site/base.html")),
            ("login.html", include_str!("../../templates/site/login.html")),
            ("department.html", include_str!("../../templates/site/department.html")),
            ("office.html", include_str!("../../templates/site/office.html")),
            ("documents.html", include_str!("../../templates/site/documents.html")),
            ("error.html", include_str!("../../templates/site/error.html")),
            ("accounts.html", include_str!("../../templates/site/accounts.html")),
        ] {
            env.add_template(name, source).expect("the site's templates parse");
        }
        env
    })
}

/// A value of the site's own types for a template.
fn v<T: Serialize>(value: &T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(value))
}

fn render(name: &str, data: minijinja::Value) -> Response {
    match environment().get_template(name).and_then(|t| t.render(data)) {
        Ok(html) => Html(html).into_response(),
        Err(e) => internal(e),
    }
}

pub fn error_page(status: StatusCode, message: &str) -> Response {
    let mut response = render("error.html", context! { message, status => status.as_u16() });
    *response.status_mut() = status;
    response
}

pub fn internal(e: impl std::fmt::Display) -> Response {
    error_page(StatusCode::INTERNAL_SERVER_ERROR, &format!("処理できませんでした: {e}"))
}

fn asset(kind: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "max-age=3600")], body).into_response()
}

/// A shipped font, for pages on a PC without a Japanese font (the
/// browser fetches it only then).
fn font(bytes: &'static [u8]) -> Response {
    ([(header::CONTENT_TYPE, "font/ttf"), (header::CACHE_CONTROL, "max-age=86400")], bytes).into_response()
}

/// A file sent as a download (or shown, for a preview): its name in the
/// header encoded as RFC 6987 asks, never guessed from its content.
fn download(bytes: Vec<u8>, name: &str, inline: bool) -> Response {
    let kind = match name.rsplit('.').next().map(str::to_ascii_lowercase).as_deref() {
        Some("pdf") => "application/pdf",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("xls") => "application/vnd.ms-excel",
        Some("ods") => "application/vnd.oasis.opendocument.spreadsheet",
        Some("zip") => "application/zip",
        Some("html") => "text/html; charset=utf-8",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    let encoded: String = name
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    let disposition = format!("{}; filename=\"download\"; filename*=UTF-8''{encoded}", if inline && kind == "application/pdf" { "inline" } else { "attachment" });
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")));
    // A document shown in the browser may run nothing and load nothing.
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    response
}

/// Japanese date and time (JST) of a Unix time: 2026-12-06 14:03.
pub fn when(seconds: i64) -> String {
    let local = seconds + 9 * 3600;
    let rest = local.rem_euclid(86_400);
    let (year, month, day) = crate::commands::decide::civil_from_days(local.div_euclid(86_400));
    format!("{year}-{month:02}-{day:02} {:02}:{:02}", rest / 3600, rest % 3600 / 60)
}

async fn home(signed: Option<Signed>) -> Response {
    match signed {
        None => Redirect::to("/login").into_response(),
        Some(s) if s.account.is_office() => Redirect::to("/office").into_response(),
        Some(_) => Redirect::to("/dept").into_response(),
    }
}

impl axum::extract::OptionalFromRequestParts<Arc<Site>> for Signed {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, site: &Arc<Site>) -> Result<Option<Self>, Self::Rejection> {
        Ok(<Signed as axum::extract::FromRequestParts<Arc<Site>>>::from_request_parts(parts, site).await.ok())
    }
}

async fn login_page(headers: HeaderMap) -> Response {
    let token = auth::cookie(&headers, auth::LOGIN_COOKIE).filter(|t| t.len() == 64).map(str::to_string).unwrap_or_else(auth::random_token);
    let mut response = render("login.html", context! { csrf => token.clone(), message => "" });
    response.headers_mut().append(header::SET_COOKIE, HeaderValue::from_str(&auth::set_cookie(auth::LOGIN_COOKIE, &token, 3600)).expect("hex"));
    response
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

async fn login(State(site): State<Arc<Site>>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap, Form(form): Form<LoginForm>) -> Response {
    let expected = auth::cookie(&headers, auth::LOGIN_COOKIE).unwrap_or("").to_string();
    // The form's token stays the browser's until it signs in.
    let again = |status: StatusCode, message: &str| {
        let token = if expected.len() == 64 { expected.clone() } else { auth::random_token() };
        let mut response = render("login.html", context! { csrf => token.clone(), message, name => form.name.clone() });
        *response.status_mut() = status;
        response.headers_mut().append(header::SET_COOKIE, HeaderValue::from_str(&auth::set_cookie(auth::LOGIN_COOKIE, &token, 3600)).expect("hex"));
        response
    };
    if !auth::same_token(&form.csrf, &expected) {
        return again(StatusCode::FORBIDDEN, "ページの有効期限が切れました。もう一度サインインしてください。");
    }
    if !site.attempts.allowed(&form.name, peer.ip()) {
        return again(StatusCode::TOO_MANY_REQUESTS, "サインインの失敗が続いたため、しばらく受け付けません。15分ほど待ってからもう一度お試しください。");
    }
    let found = {
        let db = site.db.lock().expect("no panic holds the database");
        db::account_by_name(&db, form.name.trim())
    };
    let found = match found {
        Ok(found) => found,
        Err(e) => return internal(e),
    };
    let password = form.password.clone();
    // The hash is checked off the request threads (tens of milliseconds).
    let checked = tokio::task::spawn_blocking(move || match found {
        Some((account, hash)) if auth::verify_password(&password, &hash) => Some(account),
        Some(_) => None,
        None => {
            // As long as a wrong password, so a name's existence does not show.
            let _ = auth::hash_password(&password);
            None
        }
    })
    .await
    .ok()
    .flatten();
    let Some(account) = checked else {
        site.attempts.failed(&form.name, peer.ip());
        return again(StatusCode::UNAUTHORIZED, "アカウント名またはパスワードが違います。");
    };
    site.attempts.succeeded(&form.name);
    let token = auth::random_token();
    let created = db::create_session(&site.db.lock().expect("no panic holds the database"), &auth::token_hash(&token), account.id, &auth::random_token(), now() + auth::SESSION_SECONDS);
    if let Err(e) = created {
        return internal(e);
    }
    let mut response = Redirect::to(if account.is_office() { "/office" } else { "/dept" }).into_response();
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, HeaderValue::from_str(&auth::set_cookie(auth::SESSION_COOKIE, &token, auth::SESSION_SECONDS)).expect("hex"));
    headers.append(header::SET_COOKIE, HeaderValue::from_str(&auth::set_cookie(auth::LOGIN_COOKIE, "", 0)).expect("ascii"));
    response
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(State(site): State<Arc<Site>>, signed: Signed, Form(form): Form<CsrfForm>) -> Response {
    if let Err(refused) = signed.check_csrf(&form.csrf) {
        return refused;
    }
    let _ = db::end_session(&site.db.lock().expect("no panic holds the database"), &signed.token_hash);
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(header::SET_COOKIE, HeaderValue::from_str(&auth::set_cookie(auth::SESSION_COOKIE, "", 0)).expect("ascii"));
    response
}

#[derive(Deserialize, Default)]
struct RoundQuery {
    round: Option<String>,
    uploaded: Option<i64>,
}

/// The round asked for, when the plan has it; else the latest round whose
/// folder has files (the 素案 when none has).
fn round_of(query: &RoundQuery, site: &Site, checked: &Checked) -> Result<String, Response> {
    let rounds = Site::rounds(&checked.config);
    if let Some(round) = &query.round {
        return if rounds.contains(round) { Ok(round.clone()) } else { Err(error_page(StatusCode::NOT_FOUND, "その回はこのプランにありません。")) };
    }
    let has_files = |round: &str| std::fs::read_dir(site.round_folder(round)).is_ok_and(|mut d| d.next().is_some());
    Ok(rounds.iter().rev().find(|r| has_files(r)).cloned().unwrap_or_else(|| PROPOSAL_ROUND.to_string()))
}

/// The plan folder as last checked, and the round asked for.
async fn checked_round(site: &Arc<Site>, query: &RoundQuery) -> Result<(Arc<Checked>, String), Response> {
    let checked = site.checked().await.map_err(internal)?;
    let round = round_of(query, site, &checked)?;
    Ok((checked, round))
}

/// A finding as a page shows it.
#[derive(Serialize, Deserialize, Clone)]
struct Shown {
    code: String,
    severity: String,
    label: String,
    sheet: String,
    cell: String,
    message: String,
    hint: String,
    place: String,
    /// The id of its cell in the grid, when the grid shows it.
    anchor: String,
}

fn shown(f: &Finding) -> Shown {
    Shown {
        code: f.code.to_string(),
        severity: severity_class(f.severity).to_string(),
        label: f.severity.label_ja().to_string(),
        sheet: f.sheet.clone().unwrap_or_default(),
        cell: f.cell.clone().unwrap_or_default(),
        message: f.message.clone(),
        hint: f.hint.clone(),
        place: f.place(),
        anchor: String::new(),
    }
}

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// What changed between two uploads' findings: a finding is the same when
/// its code, sheet and cell are.
fn changes(previous: &[Shown], latest: &[Shown]) -> (Vec<Shown>, Vec<Shown>, usize) {
    let key = |s: &Shown| (s.code.clone(), s.sheet.clone(), s.cell.clone());
    let before: HashSet<_> = previous.iter().map(key).collect();
    let after: HashSet<_> = latest.iter().map(key).collect();
    let fixed = previous.iter().filter(|s| !after.contains(&key(s))).cloned().collect();
    let new = latest.iter().filter(|s| !before.contains(&key(s))).cloned().collect();
    let still = latest.iter().filter(|s| before.contains(&key(s))).count();
    (fixed, new, still)
}

fn stored(upload: &db::Upload) -> Vec<Shown> {
    upload.findings.as_deref().and_then(|json| serde_json::from_str(json).ok()).unwrap_or_default()
}

/// The department's current file in a round, relative to the plan folder.
fn current_file(site: &Site, checked: &Checked, department: &str, round: &str) -> Option<std::path::PathBuf> {
    let run = &checked.run;
    let mut names: Vec<String> = Vec::new();
    if round == PROPOSAL_ROUND {
        names.extend(run.files.iter().filter(|f| f.department == department).map(|f| f.file.clone()));
    } else if let Some(r) = run.rounds.iter().find(|r| r.year == round) {
        let items: HashSet<u32> = run.items.iter().filter(|i| i.department == department).map(|i| i.number).collect();
        names.extend(r.matched.iter().filter(|m| items.contains(&m.number)).map(|m| m.file.clone()));
    }
    names.extend(department_findings(run, department, round).iter().map(|f| f.file.clone()));
    names.into_iter().find_map(|name| {
        [site.plan_dir.join("submissions").join(&name), site.plan_dir.join(&name)].into_iter().find(|p| p.is_file())
    })
}

/// The page of a department in a round, for the department itself or for
/// the office (which also records decisions on it).
async fn department_view(site: &Arc<Site>, signed: &Signed, department: &str, query: &RoundQuery) -> Response {
    let (checked, round) = match checked_round(site, &query).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let config = &checked.config;
    let code = config.department(department).map(|d| d.code.clone()).unwrap_or_default();
    let findings = department_findings(&checked.run, department, &round);
    let file = current_file(site, &checked, department, &round);
    let (sheets, site_ref) = {
        let site = site.clone();
        let file = file.clone();
        let owned: Vec<Finding> = findings.iter().map(|f| (*f).clone()).collect();
        let config = config.clone();
        let sheets = tokio::task::spawn_blocking(move || {
            let refs: Vec<&Finding> = owned.iter().collect();
            file.map(|f| grid::sheets(&f, &refs, &config)).unwrap_or_default()
        })
        .await
        .unwrap_or_default();
        (sheets, site)
    };
    let _ = site_ref;
    // Findings grouped by sheet, in the order of the sheets; each linked to
    // its cell in the grid when the grid shows it.
    let mut groups: Vec<(String, Vec<Shown>)> = Vec::new();
    for f in &findings {
        let mut s = shown(f);
        if let Some(view) = sheets.iter().find(|v| v.name == s.sheet) {
            if view.rows.iter().flat_map(|r| &r.cells).any(|c| c.id == grid::anchor(view.index, &s.cell)) {
                s.anchor = grid::anchor(view.index, &s.cell);
            }
        }
        let title = if s.sheet.is_empty() { "ブック全体".to_string() } else { s.sheet.clone() };
        match groups.iter_mut().find(|(t, _)| *t == title) {
            Some((_, list)) => list.push(s),
            None => groups.push((title, vec![s])),
        }
    }
    let uploads = {
        let db = site.db.lock().expect("no panic holds the database");
        db::uploads(&db, department, &round).unwrap_or_default()
    };
    let history: Vec<_> = uploads
        .iter()
        .map(|u| {
            let list = stored(u);
            let n = |c: &str| list.iter().filter(|s| s.severity == c).count();
            context! { id => u.id, at => when(u.at), name => u.original_name.clone(), by => u.account.clone(), size => u.size, errors => n("error"), warnings => n("warning"), infos => n("info"), checked => u.findings.is_some() }
        })
        .collect();
    let (fixed, new, still) = match uploads.as_slice() {
        [latest, previous, ..] => {
            let (fixed, new, still) = changes(&stored(previous), &stored(latest));
            (fixed, new, Some(still))
        }
        _ => (Vec::new(), Vec::new(), None),
    };
    let decided: Vec<_> = checked
        .run
        .decided
        .iter()
        .filter(|d| d.finding.department == department && round_of_file(&d.finding.file) == round)
        .map(|d| context! { finding => v(&shown(&d.finding)), reason => d.decision.reason.clone(), by => d.decision.by.clone(), date => d.decision.date.clone() })
        .collect();
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let has_return = !findings.is_empty();
    let base = if signed.account.is_office() { format!("/office/dept/{code}") } else { "/dept".to_string() };
    render(
        "department.html",
        context! {
            account => signed.account.name.clone(),
            office => signed.account.is_office(),
            csrf => signed.csrf.clone(),
            plan => config.plan.name.clone(),
            department,
            code,
            round => round.clone(),
            rounds => Site::rounds(config),
            deadline => config.forms.deadlines.get(&round).cloned().unwrap_or_default(),
            submit_to => config.forms.submit_to.clone(),
            base,
            groups => v(&groups),
            sheets => v(&sheets),
            errors => count(Severity::Error),
            warnings => count(Severity::Warning),
            infos => count(Severity::Info),
            history,
            fixed => v(&fixed),
            new => v(&new),
            still,
            decided,
            has_return,
            current => file.map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()),
            uploaded => query.uploaded,
            limit_mb => config.limits.file_mb,
        },
    )
}

async fn department_page(State(site): State<Arc<Site>>, signed: Signed, Query(query): Query<RoundQuery>) -> Response {
    let Some(department) = signed.account.department().map(str::to_string) else { return Redirect::to("/office").into_response() };
    department_view(&site, &signed, &department, &query).await
}

async fn office_department(State(site): State<Arc<Site>>, Office(signed): Office, UrlPath(code): UrlPath<String>, Query(query): Query<RoundQuery>) -> Response {
    let Some(department) = department_by_code(&site, &code).await else { return error_page(StatusCode::NOT_FOUND, "その部は組織一覧にありません。") };
    department_view(&site, &signed, &department, &query).await
}

async fn department_by_code(site: &Arc<Site>, code: &str) -> Option<String> {
    let checked = site.checked().await.ok()?;
    checked.config.departments.iter().find(|d| d.code == code).map(|d| d.name.clone())
}

/// This round's blank form for the department: the 素案 proposal form or
/// the year's progress form, as `gyokaku forms` writes it.
async fn department_form(State(site): State<Arc<Site>>, signed: Signed, Query(query): Query<RoundQuery>) -> Response {
    let Some(department) = signed.account.department().map(str::to_string) else { return error_page(StatusCode::FORBIDDEN, "様式は各部のアカウントで受け取ってください。") };
    let (checked, round) = match checked_round(&site, &query).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let made = tokio::task::spawn_blocking(move || -> anyhow::Result<Option<(String, Vec<u8>)>> {
        let (run, config) = (&checked.run, &checked.config);
        if round == PROPOSAL_ROUND {
            Ok(crate::proposal::forms::proposal_forms(&run.items, config)?.into_iter().find(|f| f.department == department).map(|f| (f.file_name, f.bytes)))
        } else {
            Ok(crate::progress::forms::department_forms(&run.items, config, &round)?.into_iter().find(|f| f.department == department).map(|f| (f.file_name, f.bytes)))
        }
    })
    .await;
    match made {
        Ok(Ok(Some((name, bytes)))) => download(bytes, &name, false),
        Ok(Ok(None)) => error_page(StatusCode::NOT_FOUND, "この回の様式はこの部にはありません（報告する項目がありません）。"),
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e),
    }
}

#[derive(Serialize)]
struct UploadAnswer {
    upload: i64,
    errors: usize,
    warnings: usize,
    infos: usize,
    findings: Vec<Shown>,
}

async fn upload(State(site): State<Arc<Site>>, signed: Signed, Query(query): Query<RoundQuery>, headers: HeaderMap, multipart: Multipart) -> Response {
    let Some(department) = signed.account.department().map(str::to_string) else {
        return error_page(StatusCode::FORBIDDEN, "ブックは各部のアカウントでアップロードしてください（事務局は各部のページからアップロードできます）。");
    };
    receive(site, signed, department, query, headers, multipart).await
}

/// The office uploads a workbook a department sent another way (by mail):
/// recorded under the office's account, the department's current file.
async fn office_upload(State(site): State<Arc<Site>>, Office(signed): Office, UrlPath(code): UrlPath<String>, Query(query): Query<RoundQuery>, headers: HeaderMap, multipart: Multipart) -> Response {
    let Some(department) = department_by_code(&site, &code).await else { return error_page(StatusCode::NOT_FOUND, "その部は組織一覧にありません。") };
    receive(site, signed, department, query, headers, multipart).await
}

/// An upload for `department`: kept as it arrived, checked to be the
/// department's, recorded, placed as its current file, and checked with
/// the whole plan; answered with its findings (JSON) or its page.
async fn receive(site: Arc<Site>, signed: Signed, department: String, query: RoundQuery, headers: HeaderMap, mut multipart: Multipart) -> Response {
    let mut csrf = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return multipart_error(e),
        };
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field.file_name().unwrap_or("").to_string();
                match field.bytes().await {
                    Ok(bytes) => file = Some((name, bytes.to_vec())),
                    Err(e) => return multipart_error(e),
                }
            }
            _ => {}
        }
    }
    if let Err(refused) = signed.check_csrf(&csrf) {
        return refused;
    }
    let Some((given, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return error_page(StatusCode::BAD_REQUEST, "ファイルが選ばれていません。ブックを選んでからアップロードしてください。");
    };
    let (checked, round) = match checked_round(&site, &query).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let config = checked.config.clone();
    let name = store::given_name(&given);
    if store::is_temporary(&name) {
        return error_page(StatusCode::UNPROCESSABLE_ENTITY, &format!("{name} は Excel が作業中に作る一時ファイルです。ブック本体を選んでください。"));
    }
    if bytes.len() as u64 > config.limits.file_bytes() {
        return error_page(StatusCode::PAYLOAD_TOO_LARGE, &format!("ファイルが大きすぎます（上限 {} MB）。", config.limits.file_mb));
    }
    let extension = match store::workbook_kind(&bytes, &config) {
        Ok(kind) => kind,
        Err(message) => return error_page(StatusCode::UNSUPPORTED_MEDIA_TYPE, &format!("{name}: {message}")),
    };
    let sha = store::sha256_hex(&bytes);
    let site2 = site.clone();
    let (dept2, round2) = (department.clone(), round.clone());
    let account = signed.account.id;
    // Kept, checked to be the department's own, recorded, then placed.
    let recorded = tokio::task::spawn_blocking(move || -> anyhow::Result<Result<i64, String>> {
        let blob = store::keep(&site2, &sha, extension, &bytes)?;
        if round2 == PROPOSAL_ROUND {
            if let Some(other) = crate::pipeline::department_in_content(&blob, &config).filter(|d| *d != dept2) {
                return Ok(Err(format!("{name} は{other}のブックです（主たる所管部署から判断しました）。{dept2}のブックを選んでください。")));
            }
        }
        let placed_as = store::placed_name(&config, &dept2, &round2, extension);
        let id = {
            let db = site2.db.lock().expect("no panic holds the database");
            db::insert_upload(
                &db,
                &db::NewUpload { account, department: &dept2, round: &round2, original_name: &name, sha256: &sha, extension, size: bytes.len() as i64, at: now(), placed_as: &placed_as },
            )?
        };
        store::place(&site2, &placed_as, &bytes)?;
        Ok(Ok(id))
    })
    .await;
    let id = match recorded {
        Ok(Ok(Ok(id))) => id,
        Ok(Ok(Err(message))) => return error_page(StatusCode::UNPROCESSABLE_ENTITY, &message),
        Ok(Err(e)) => return internal(e),
        Err(e) => return internal(e),
    };
    let generation = site.changed();
    let checked = match site.checked_since(generation).await {
        Ok(c) => c,
        Err(e) => return internal(e),
    };
    let findings: Vec<Shown> = department_findings(&checked.run, &department, &round).into_iter().map(shown).collect();
    let json = serde_json::to_string(&findings).unwrap_or_else(|_| "[]".into());
    if let Err(e) = db::set_findings(&site.db.lock().expect("no panic holds the database"), id, &json) {
        return internal(e);
    }
    let wants_json = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"));
    if wants_json {
        let n = |c: &str| findings.iter().filter(|s| s.severity == c).count();
        return Json(UploadAnswer { upload: id, errors: n("error"), warnings: n("warning"), infos: n("info"), findings }).into_response();
    }
    let page = if signed.account.is_office() { format!("/office/dept/{}", url_encode(&checked.config.department(&department).map(|d| d.code.clone()).unwrap_or_default())) } else { "/dept".to_string() };
    Redirect::to(&format!("{page}?round={}&uploaded={id}", url_encode(&round))).into_response()
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> Response {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        error_page(StatusCode::PAYLOAD_TOO_LARGE, "ファイルが大きすぎます。不要なシートや画像を削除して保存し直してください。")
    } else {
        error_page(StatusCode::BAD_REQUEST, "送られたデータを読めませんでした。もう一度アップロードしてください。")
    }
}

pub fn url_encode(text: &str) -> String {
    text.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// The department's 差し戻し workbook(s) of a round: its current file
/// marked, as the build's 差し戻し/ holds it.
async fn returned(site: &Arc<Site>, department: String, query: RoundQuery) -> Response {
    let (checked, round) = match checked_round(site, &query).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let plan_dir = site.plan_dir.clone();
    let made = tokio::task::spawn_blocking(move || -> anyhow::Result<Option<(String, Vec<u8>)>> {
        let planned = crate::validation_report::returns::plan(&checked.run, &checked.config, &plan_dir);
        let Some(p) = planned.iter().find(|p| p.department == department && p.file.as_deref().map_or(round == PROPOSAL_ROUND, |f| round_of_file(f) == round)) else {
            return Ok(None);
        };
        let made = p.make(&checked.config, &plan_dir)?;
        Ok(Some((made.path.rsplit('/').next().unwrap_or("差し戻し.xlsx").to_string(), made.bytes)))
    })
    .await;
    match made {
        Ok(Ok(Some((name, bytes)))) => download(bytes, &name, false),
        Ok(Ok(None)) => error_page(StatusCode::NOT_FOUND, "この回の指摘はありません。差し戻すブックはありません。"),
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e),
    }
}

async fn department_return(State(site): State<Arc<Site>>, signed: Signed, Query(query): Query<RoundQuery>) -> Response {
    let Some(department) = signed.account.department().map(str::to_string) else { return Redirect::to("/office").into_response() };
    returned(&site, department, query).await
}

async fn office_return(State(site): State<Arc<Site>>, Office(_): Office, UrlPath(code): UrlPath<String>, Query(query): Query<RoundQuery>) -> Response {
    let Some(department) = department_by_code(&site, &code).await else { return error_page(StatusCode::NOT_FOUND, "その部は組織一覧にありません。") };
    returned(&site, department, query).await
}

/// The department's 確認結果 PDF, as the build's 差し戻し/ holds it.
async fn report_pdf(site: &Arc<Site>, department: String) -> Response {
    let checked = match site.checked().await {
        Ok(c) => c,
        Err(e) => return internal(e),
    };
    let site2 = site.clone();
    let made = tokio::task::spawn_blocking(move || -> Result<Option<(String, Vec<u8>)>, String> {
        let prefix = crate::validation_report::returns::department_prefix(&checked.config, &department).unwrap_or_default();
        let pages = crate::engine::check::department_pdf_data(&checked.run, &checked.config);
        let Some((path, data)) = pages.iter().find(|(path, _)| path.rsplit('/').next().is_some_and(|n| n.starts_with(&format!("{prefix}_")))) else {
            return Ok(None);
        };
        let page = crate::engine::check::department_pdf(&site2.typesetter, path, data)?;
        Ok(Some((path.rsplit('/').next().unwrap_or("確認結果.pdf").to_string(), page.bytes)))
    })
    .await;
    match made {
        Ok(Ok(Some((name, bytes)))) => download(bytes, &name, false),
        Ok(Ok(None)) => error_page(StatusCode::NOT_FOUND, "この部の確認結果はまだありません（ブックが提出されていません）。"),
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e),
    }
}

async fn department_report(State(site): State<Arc<Site>>, signed: Signed) -> Response {
    let Some(department) = signed.account.department().map(str::to_string) else { return Redirect::to("/office").into_response() };
    report_pdf(&site, department).await
}

async fn office_report(State(site): State<Arc<Site>>, Office(_): Office, UrlPath(code): UrlPath<String>) -> Response {
    let Some(department) = department_by_code(&site, &code).await else { return error_page(StatusCode::NOT_FOUND, "その部は組織一覧にありません。") };
    report_pdf(&site, department).await
}

/// An upload as it arrived: the department's own, or any for the office.
async fn upload_download(State(site): State<Arc<Site>>, signed: Signed, UrlPath(id): UrlPath<i64>) -> Response {
    let found = db::upload(&site.db.lock().expect("no panic holds the database"), id);
    let upload = match found {
        Ok(Some(u)) if signed.account.is_office() || signed.account.department() == Some(u.department.as_str()) => u,
        Ok(_) => return error_page(StatusCode::NOT_FOUND, "そのファイルはありません。"),
        Err(e) => return internal(e),
    };
    match std::fs::read(store::blob_path(&site, &upload.sha256, &upload.extension)) {
        Ok(bytes) => download(bytes, &upload.original_name, false),
        Err(e) => internal(e),
    }
}

/// The round at a glance: each department's state.
async fn office_board(State(site): State<Arc<Site>>, Office(signed): Office, Query(query): Query<RoundQuery>) -> Response {
    let (checked, round) = match checked_round(&site, &query).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let config = &checked.config;
    let latest = db::latest_uploads(&site.db.lock().expect("no panic holds the database")).unwrap_or_default();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    {
        let db = site.db.lock().expect("no panic holds the database");
        for d in &config.departments {
            counts.insert(d.name.clone(), db::uploads(&db, &d.name, &round).map(|u| u.len()).unwrap_or(0));
        }
    }
    let rows: Vec<_> = config
        .departments
        .iter()
        .map(|d| {
            let findings = department_findings(&checked.run, &d.name, &round);
            let n = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
            let last = latest.iter().find(|u| u.department == d.name && u.round == round);
            let submitted = last.is_some() || current_file(&site, &checked, &d.name, &round).is_some();
            let decided = checked.run.decided.iter().filter(|x| x.finding.department == d.name && round_of_file(&x.finding.file) == round).count();
            context! {
                code => d.code.clone(), name => d.name.clone(), submitted,
                at => last.map(|u| when(u.at)).unwrap_or_default(),
                uploads => counts.get(&d.name).copied().unwrap_or(0),
                errors => n(Severity::Error), warnings => n(Severity::Warning), decided,
            }
        })
        .collect();
    let office_findings: Vec<Shown> = checked.run.findings.iter().filter(|f| f.department.is_empty()).map(shown).collect();
    render(
        "office.html",
        context! {
            account => signed.account.name, office => true, csrf => signed.csrf, plan => config.plan.name.clone(),
            round => round.clone(), rounds => Site::rounds(config), rows, office_findings => v(&office_findings),
            deadline => config.forms.deadlines.get(&round).cloned().unwrap_or_default(),
            submitted => rows_submitted(&site, &checked, &round),
            total => config.departments.len(),
        },
    )
}

fn rows_submitted(site: &Site, checked: &Checked, round: &str) -> usize {
    let latest = db::latest_uploads(&site.db.lock().expect("no panic holds the database")).unwrap_or_default();
    checked
        .config
        .departments
        .iter()
        .filter(|d| latest.iter().any(|u| u.department == d.name && u.round == round) || current_file(site, checked, &d.name, round).is_some())
        .count()
}

#[derive(Deserialize)]
struct DecideForm {
    #[serde(default)]
    csrf: String,
    code: String,
    place: String,
    reason: String,
    department: String,
    round: String,
}

/// Records the office's decision in decisions.toml, as `gyokaku decide`.
async fn decide(State(site): State<Arc<Site>>, Office(signed): Office, Form(form): Form<DecideForm>) -> Response {
    if let Err(refused) = signed.check_csrf(&form.csrf) {
        return refused;
    }
    let plan_dir = site.plan_dir.clone();
    let request = crate::commands::decide::Request {
        code: form.code.clone(),
        place: form.place.clone(),
        choice: crate::decisions::Choice::Accept,
        reason: form.reason.clone(),
        by: signed.account.name.clone(),
        date: None,
    };
    let done = tokio::task::spawn_blocking(move || crate::commands::decide::run(&plan_dir, &request)).await;
    match done {
        Ok(Ok(_)) => {
            site.changed();
            Redirect::to(&format!("/office/dept/{}?round={}", url_encode(&form.department), url_encode(&form.round))).into_response()
        }
        Ok(Err(e)) => error_page(StatusCode::UNPROCESSABLE_ENTITY, &e.to_string()),
        Err(e) => internal(e),
    }
}

/// The documents of the last build, and the button to build.
async fn documents_page(State(site): State<Arc<Site>>, Office(signed): Office) -> Response {
    let checked = match site.checked().await {
        Ok(c) => c,
        Err(e) => return internal(e),
    };
    // The council's documents first, then the per-item sheets (many), then
    // what goes back to departments.
    let files = manifest_files(&site);
    let group = |kinds: &[&str]| files.iter().filter(|f| kinds.contains(&f.kind.as_str())).collect::<Vec<_>>();
    let groups = vec![
        ("議会・公表用の文書", false, group(&["booklet", "priority_list_pdf", "priority_list_xlsx", "summary_pdf", "progress_report_pdf", "progress_report_xlsx", "items_xlsx"])),
        ("進捗管理表（項目ごと）", true, group(&["item_sheet_pdf"])),
        ("確認結果と差し戻し（各部へ）", true, group(&["validation_html", "validation_xlsx", "return_xlsx", "department_html", "department_pdf"])),
    ];
    let groups: Vec<_> = groups.into_iter().filter(|(_, _, list)| !list.is_empty()).map(|(title, folded, list)| context! { title, folded, files => v(&list) }).collect();
    let builds = db::last_builds(&site.db.lock().expect("no panic holds the database"), 5).unwrap_or_default();
    let builds: Vec<_> = builds
        .iter()
        .map(|b| context! { id => b.id, started => when(b.started), finished => b.finished.map(when), status => b.status.clone(), summary => b.summary.clone() })
        .collect();
    render(
        "documents.html",
        context! {
            account => signed.account.name, office => true, csrf => signed.csrf, plan => checked.config.plan.name.clone(),
            files => v(&files), groups, builds, progress => v(&site.builds.progress()),
        },
    )
}

#[derive(Serialize, Deserialize)]
struct Listed {
    kind: String,
    path: String,
    #[serde(default)]
    pages: Option<usize>,
}

fn manifest_files(site: &Site) -> Vec<Listed> {
    let manifest = std::fs::read(build::reports_dir(site).join("manifest.json")).ok();
    #[derive(Deserialize)]
    struct Manifest {
        files: Vec<Listed>,
    }
    manifest.and_then(|m| serde_json::from_slice::<Manifest>(&m).ok()).map(|m| m.files).unwrap_or_default()
}

async fn start_build(State(site): State<Arc<Site>>, Office(signed): Office, headers: HeaderMap, Form(form): Form<CsrfForm>) -> Response {
    if let Err(refused) = signed.check_csrf(&form.csrf) {
        return refused;
    }
    let started = build::start(&site, signed.account.id);
    let wants_json = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"));
    match started {
        Ok(Some(id)) if wants_json => Json(serde_json::json!({ "build": id })).into_response(),
        Ok(Some(_)) => Redirect::to("/office/documents").into_response(),
        Ok(None) => error_page(StatusCode::CONFLICT, "作成中です。終わってからもう一度押してください（いまの提出ファイルは次の作成に入ります）。"),
        Err(e) => internal(e),
    }
}

async fn build_status(State(site): State<Arc<Site>>, Office(_): Office) -> Response {
    let progress = site.builds.progress();
    let last = db::last_builds(&site.db.lock().expect("no panic holds the database"), 1).unwrap_or_default();
    Json(serde_json::json!({ "progress": progress, "last": last.first() })).into_response()
}

/// One document of the last build: only a path the manifest lists.
async fn document_file(State(site): State<Arc<Site>>, Office(_): Office, UrlPath(path): UrlPath<String>, Query(view): Query<BTreeMap<String, String>>) -> Response {
    let listed = manifest_files(&site).into_iter().any(|f| f.path == path);
    if !listed {
        return error_page(StatusCode::NOT_FOUND, "その文書はありません。");
    }
    match std::fs::read(build::reports_dir(&site).join(&path)) {
        Ok(bytes) => download(bytes, path.rsplit('/').next().unwrap_or("document"), view.contains_key("view")),
        Err(e) => internal(e),
    }
}

/// Every document of the last build in one zip, in the manifest's order.
async fn documents_zip(State(site): State<Arc<Site>>, Office(_): Office) -> Response {
    let files = manifest_files(&site);
    if files.is_empty() {
        return error_page(StatusCode::NOT_FOUND, "まだ文書を作成していません。");
    }
    let dir = build::reports_dir(&site);
    let made = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<u8>> {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for f in files.iter().chain([&Listed { kind: "manifest".into(), path: "manifest.json".into(), pages: None }]) {
            zip.start_file(&f.path, options)?;
            zip.write_all(&std::fs::read(dir.join(&f.path))?)?;
        }
        Ok(zip.finish()?.into_inner())
    })
    .await;
    match made {
        Ok(Ok(bytes)) => download(bytes, "文書一式.zip", false),
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e),
    }
}

/// The accounts, and a form to make one or set a new password.
async fn accounts_page(State(site): State<Arc<Site>>, Office(signed): Office, Query(notice): Query<BTreeMap<String, String>>) -> Response {
    accounts_view(&site, &signed, notice.get("saved").map(|n| format!("アカウント {n} を保存しました。")).unwrap_or_default(), StatusCode::OK).await
}

async fn accounts_view(site: &Arc<Site>, signed: &Signed, message: String, status: StatusCode) -> Response {
    let checked = match site.checked().await {
        Ok(c) => c,
        Err(e) => return internal(e),
    };
    let accounts = db::accounts(&site.db.lock().expect("no panic holds the database")).unwrap_or_default();
    let accounts: Vec<_> = accounts
        .into_iter()
        .map(|(name, role, department, created)| context! { name, office => role == "office", department, created => when(created) })
        .collect();
    let departments: Vec<String> = checked.config.departments.iter().map(|d| d.name.clone()).collect();
    let mut response = render(
        "accounts.html",
        context! {
            account => signed.account.name.clone(), office => true, csrf => signed.csrf.clone(), plan => checked.config.plan.name.clone(),
            accounts, departments, message, failed => status != StatusCode::OK,
        },
    );
    *response.status_mut() = status;
    response
}

#[derive(Deserialize)]
struct AccountForm {
    #[serde(default)]
    csrf: String,
    name: String,
    /// A department's name, or empty for the office.
    #[serde(default)]
    department: String,
    password: String,
}

async fn save_account(State(site): State<Arc<Site>>, Office(signed): Office, Form(form): Form<AccountForm>) -> Response {
    if let Err(refused) = signed.check_csrf(&form.csrf) {
        return refused;
    }
    let checked = match site.checked().await {
        Ok(c) => c,
        Err(e) => return internal(e),
    };
    let site2 = site.clone();
    let name = form.name.trim().to_string();
    let name2 = name.clone();
    let saved = tokio::task::spawn_blocking(move || {
        let department = Some(form.department.trim()).filter(|d| !d.is_empty());
        let db = site2.db.lock().expect("no panic holds the database");
        super::save_account(&db, &checked.config, &name2, &form.password, department)
    })
    .await;
    match saved {
        Ok(Ok(())) => Redirect::to(&format!("/office/accounts?saved={}", url_encode(&name))).into_response(),
        Ok(Err(e)) => accounts_view(&site, &signed, e.to_string(), StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(e) => internal(e),
    }
}
