//! The site's records, in one SQLite file in the plan folder
//! (`.gyokaku-site/site.db`): accounts, sessions, every upload with its
//! findings, and the builds. SQLite's write-ahead log makes each change
//! all or nothing, so a server killed at any moment starts again with
//! every completed record and no half-written one.

use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    -- 'office' or 'department'
    role TEXT NOT NULL,
    -- the 部 of a department's account; '' for the office
    department TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    -- sha256 of the cookie's token: the database never holds a usable token
    token_hash TEXT PRIMARY KEY,
    account INTEGER NOT NULL REFERENCES accounts(id),
    csrf TEXT NOT NULL,
    expires INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
    id INTEGER PRIMARY KEY,
    account INTEGER NOT NULL REFERENCES accounts(id),
    department TEXT NOT NULL,
    -- 素案, or a progress year's code (R6)
    round TEXT NOT NULL,
    original_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    extension TEXT NOT NULL,
    size INTEGER NOT NULL,
    at INTEGER NOT NULL,
    -- where the site put it in the plan folder (submissions/…)
    placed_as TEXT NOT NULL,
    -- the department's findings in the round once checked (JSON), NULL until then
    findings TEXT
);
CREATE INDEX IF NOT EXISTS uploads_by_department ON uploads(department, round, id);
CREATE TABLE IF NOT EXISTS builds (
    id INTEGER PRIMARY KEY,
    account INTEGER NOT NULL,
    started INTEGER NOT NULL,
    finished INTEGER,
    -- running, done, failed, interrupted
    status TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT ''
);
";

pub fn open(path: &Path) -> anyhow::Result<Connection> {
    let connection = Connection::open(path).map_err(|e| anyhow::anyhow!("{}: データベースを開けません（{e}）", path.display()))?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    // Each commit reaches the disk before the page says it is done.
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    connection.busy_timeout(std::time::Duration::from_secs(10))?;
    connection.execute_batch(SCHEMA)?;
    // A build the server was killed in the middle of never finished.
    connection.execute("UPDATE builds SET status = 'interrupted', finished = started WHERE status = 'running'", [])?;
    Ok(connection)
}

#[derive(Debug, Clone, PartialEq)]
pub enum Role {
    Office,
    Department(String),
}

#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

impl Account {
    pub fn is_office(&self) -> bool {
        self.role == Role::Office
    }

    /// The department the account belongs to; None for the office.
    pub fn department(&self) -> Option<&str> {
        match &self.role {
            Role::Department(d) => Some(d),
            Role::Office => None,
        }
    }
}

fn account_from(id: i64, name: String, role: String, department: String) -> Account {
    let role = if role == "office" { Role::Office } else { Role::Department(department) };
    Account { id, name, role }
}

pub fn add_account(db: &Connection, name: &str, password_hash: &str, role: &Role, now: i64) -> anyhow::Result<()> {
    let (role, department) = match role {
        Role::Office => ("office", ""),
        Role::Department(d) => ("department", d.as_str()),
    };
    db.execute(
        "INSERT INTO accounts (name, password_hash, role, department, created) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(name) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role, department = excluded.department",
        params![name, password_hash, role, department, now],
    )?;
    // A new password ends the account's sessions.
    db.execute("DELETE FROM sessions WHERE account = (SELECT id FROM accounts WHERE name = ?1)", params![name])?;
    Ok(())
}

/// Every account: (name, role, department, created), by name.
pub fn accounts(db: &Connection) -> anyhow::Result<Vec<(String, String, String, i64)>> {
    let mut statement = db.prepare("SELECT name, role, department, created FROM accounts ORDER BY role DESC, department, name")?;
    let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn account_count(db: &Connection) -> anyhow::Result<i64> {
    Ok(db.query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get(0))?)
}

/// The account and its password hash, by sign-in name.
pub fn account_by_name(db: &Connection, name: &str) -> anyhow::Result<Option<(Account, String)>> {
    Ok(db
        .query_row("SELECT id, name, role, department, password_hash FROM accounts WHERE name = ?1", params![name], |r| {
            Ok((account_from(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?), r.get(4)?))
        })
        .optional()?)
}

pub fn create_session(db: &Connection, token_hash: &str, account: i64, csrf: &str, expires: i64) -> anyhow::Result<()> {
    db.execute("INSERT INTO sessions (token_hash, account, csrf, expires) VALUES (?1, ?2, ?3, ?4)", params![token_hash, account, csrf, expires])?;
    Ok(())
}

/// The account of a session that has not expired, and its CSRF token.
pub fn session(db: &Connection, token_hash: &str, now: i64) -> anyhow::Result<Option<(Account, String)>> {
    db.execute("DELETE FROM sessions WHERE expires <= ?1", params![now])?;
    Ok(db
        .query_row(
            "SELECT a.id, a.name, a.role, a.department, s.csrf FROM sessions s JOIN accounts a ON a.id = s.account WHERE s.token_hash = ?1 AND s.expires > ?2",
            params![token_hash, now],
            |r| Ok((account_from(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?), r.get(4)?)),
        )
        .optional()?)
}

pub fn end_session(db: &Connection, token_hash: &str) -> anyhow::Result<()> {
    db.execute("DELETE FROM sessions WHERE token_hash = ?1", params![token_hash])?;
    Ok(())
}

/// One upload as recorded.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Upload {
    pub id: i64,
    pub account: String,
    pub department: String,
    pub round: String,
    pub original_name: String,
    pub sha256: String,
    pub extension: String,
    pub size: i64,
    pub at: i64,
    pub placed_as: String,
    pub findings: Option<String>,
}

pub struct NewUpload<'a> {
    pub account: i64,
    pub department: &'a str,
    pub round: &'a str,
    pub original_name: &'a str,
    pub sha256: &'a str,
    pub extension: &'a str,
    pub size: i64,
    pub at: i64,
    pub placed_as: &'a str,
}

pub fn insert_upload(db: &Connection, u: &NewUpload) -> anyhow::Result<i64> {
    db.execute(
        "INSERT INTO uploads (account, department, round, original_name, sha256, extension, size, at, placed_as) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![u.account, u.department, u.round, u.original_name, u.sha256, u.extension, u.size, u.at, u.placed_as],
    )?;
    Ok(db.last_insert_rowid())
}

pub fn set_findings(db: &Connection, upload: i64, findings_json: &str) -> anyhow::Result<()> {
    db.execute("UPDATE uploads SET findings = ?1 WHERE id = ?2", params![findings_json, upload])?;
    Ok(())
}

const UPLOAD_COLUMNS: &str = "u.id, a.name, u.department, u.round, u.original_name, u.sha256, u.extension, u.size, u.at, u.placed_as, u.findings";

fn upload_from(r: &rusqlite::Row) -> rusqlite::Result<Upload> {
    Ok(Upload {
        id: r.get(0)?,
        account: r.get(1)?,
        department: r.get(2)?,
        round: r.get(3)?,
        original_name: r.get(4)?,
        sha256: r.get(5)?,
        extension: r.get(6)?,
        size: r.get(7)?,
        at: r.get(8)?,
        placed_as: r.get(9)?,
        findings: r.get(10)?,
    })
}

/// A department's uploads in a round, newest first.
pub fn uploads(db: &Connection, department: &str, round: &str) -> anyhow::Result<Vec<Upload>> {
    let mut statement = db.prepare(&format!(
        "SELECT {UPLOAD_COLUMNS} FROM uploads u JOIN accounts a ON a.id = u.account WHERE u.department = ?1 AND u.round = ?2 ORDER BY u.id DESC"
    ))?;
    let rows = statement.query_map(params![department, round], upload_from)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn upload(db: &Connection, id: i64) -> anyhow::Result<Option<Upload>> {
    Ok(db
        .query_row(&format!("SELECT {UPLOAD_COLUMNS} FROM uploads u JOIN accounts a ON a.id = u.account WHERE u.id = ?1"), params![id], upload_from)
        .optional()?)
}

/// Every department's latest upload in every round.
pub fn latest_uploads(db: &Connection) -> anyhow::Result<Vec<Upload>> {
    let mut statement = db.prepare(&format!(
        "SELECT {UPLOAD_COLUMNS} FROM uploads u JOIN accounts a ON a.id = u.account
         WHERE u.id = (SELECT MAX(id) FROM uploads v WHERE v.department = u.department AND v.round = u.round) ORDER BY u.id"
    ))?;
    let rows = statement.query_map([], upload_from)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Build {
    pub id: i64,
    pub started: i64,
    pub finished: Option<i64>,
    pub status: String,
    pub summary: String,
}

pub fn start_build(db: &Connection, account: i64, now: i64) -> anyhow::Result<i64> {
    db.execute("INSERT INTO builds (account, started, status) VALUES (?1, ?2, 'running')", params![account, now])?;
    Ok(db.last_insert_rowid())
}

pub fn finish_build(db: &Connection, id: i64, status: &str, summary: &str, now: i64) -> anyhow::Result<()> {
    db.execute("UPDATE builds SET status = ?1, summary = ?2, finished = ?3 WHERE id = ?4", params![status, summary, now, id])?;
    Ok(())
}

pub fn last_builds(db: &Connection, count: i64) -> anyhow::Result<Vec<Build>> {
    let mut statement = db.prepare("SELECT id, started, finished, status, summary FROM builds ORDER BY id DESC LIMIT ?1")?;
    let rows = statement.query_map(params![count], |r| {
        Ok(Build { id: r.get(0)?, started: r.get(1)?, finished: r.get(2)?, status: r.get(3)?, summary: r.get(4)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
