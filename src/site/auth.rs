//! Who is asking: passwords (argon2), sessions in an HttpOnly, SameSite
//! cookie, a CSRF token per session checked on every change, and sign-in
//! attempts limited per name and per address.

use super::db::{self, Account};
use super::{Site, now};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const SESSION_COOKIE: &str = "gyokaku_session";
/// The sign-in form's own token (double submit): the form posts it back,
/// so another site cannot sign someone in under its account.
pub const LOGIN_COOKIE: &str = "gyokaku_login";

/// How long a session lasts after sign-in: a working day.
pub const SESSION_SECONDS: i64 = 8 * 60 * 60;

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    Ok(Argon2::default().hash_password(password.as_bytes()).map_err(|e| anyhow::anyhow!("パスワードを処理できません: {e}"))?.to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// 32 random bytes as hex: a session token or a CSRF token.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the system's random source");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Equal in constant time: a forged token learns nothing from how long
/// the refusal took.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && !a.is_empty() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn cookie<'a>(parts: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    parts
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn set_cookie(name: &str, value: &str, max_age: i64) -> String {
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}")
}

/// Failed sign-ins remembered for this long.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures allowed in the window for one sign-in name, and from one address.
const PER_NAME: usize = 5;
const PER_ADDRESS: usize = 20;

/// Recent failed sign-ins by name and by address.
#[derive(Default)]
pub struct Attempts {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Attempts {
    fn keys(name: &str, address: IpAddr) -> [(String, usize); 2] {
        [(format!("name:{}", name.to_lowercase()), PER_NAME), (format!("address:{address}"), PER_ADDRESS)]
    }

    /// Whether another attempt may be checked now (a refused one costs no
    /// password hashing).
    pub fn allowed(&self, name: &str, address: IpAddr) -> bool {
        let mut failures = self.failures.lock().expect("no panic holds the lock");
        // Old failures are forgotten, and a name or address with none left
        // is not kept (trying many names must not fill memory).
        failures.retain(|_, list| {
            list.retain(|t| t.elapsed() < WINDOW);
            !list.is_empty()
        });
        Self::keys(name, address).iter().all(|(key, limit)| failures.get(key).is_none_or(|list| list.len() < *limit))
    }

    pub fn failed(&self, name: &str, address: IpAddr) {
        let mut failures = self.failures.lock().expect("no panic holds the lock");
        for (key, _) in Self::keys(name, address) {
            failures.entry(key).or_default().push(Instant::now());
        }
    }

    pub fn succeeded(&self, name: &str) {
        self.failures.lock().expect("no panic holds the lock").remove(&format!("name:{}", name.to_lowercase()));
    }
}

/// A signed-in account and its session's CSRF token. Any handler taking
/// it refuses a request without a live session (to the sign-in page).
pub struct Signed {
    pub account: Account,
    pub csrf: String,
    pub token_hash: String,
}

impl Signed {
    /// The request's CSRF token matches the session's.
    pub fn check_csrf(&self, given: &str) -> Result<(), Response> {
        if same_token(given, &self.csrf) {
            Ok(())
        } else {
            Err(super::pages::error_page(axum::http::StatusCode::FORBIDDEN, "確認用の値（CSRF トークン）が一致しません。ページを開き直してからもう一度操作してください。"))
        }
    }
}

impl FromRequestParts<Arc<Site>> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, site: &Arc<Site>) -> Result<Self, Self::Rejection> {
        let to_login = || Redirect::to("/login").into_response();
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else { return Err(to_login()) };
        let hash = token_hash(token);
        let found = {
            let db = site.db.lock().expect("no panic holds the database");
            db::session(&db, &hash, now()).map_err(|e| super::pages::internal(e))?
        };
        match found {
            Some((account, csrf)) => Ok(Signed { account, csrf, token_hash: hash }),
            None => Err(to_login()),
        }
    }
}

/// The office's account, or a refusal.
pub struct Office(pub Signed);

impl FromRequestParts<Arc<Site>> for Office {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, site: &Arc<Site>) -> Result<Self, Self::Rejection> {
        let signed = Signed::from_request_parts(parts, site).await?;
        if !signed.account.is_office() {
            return Err(super::pages::error_page(axum::http::StatusCode::FORBIDDEN, "このページは事務局のアカウントでだけ開けます。"));
        }
        Ok(Office(signed))
    }
}
