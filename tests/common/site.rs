//! The intake site for the tests: the sample plan in a temporary folder,
//! three accounts, and the site on 127.0.0.1 at a free port.

use gyokaku::site::{self, Site};
use std::path::Path;
use std::sync::Arc;

pub struct Server {
    pub base: String,
    pub dir: tempfile::TempDir,
}

impl Server {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

pub async fn start() -> Server {
    start_with(|_| {}).await
}

/// As `start`, after `prepare` has changed the plan folder.
pub async fn start_with(prepare: impl FnOnce(&Path)) -> Server {
    let dir = tempfile::tempdir().unwrap();
    super::copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs"), dir.path());
    prepare(dir.path());
    site::add_user(dir.path(), "office", "office-pass-1", None).unwrap();
    site::add_user(dir.path(), "soumu", "soumu-pass-1", Some("総務部")).unwrap();
    site::add_user(dir.path(), "kigyo", "kigyo-pass-1", Some("企業局")).unwrap();
    let site = Arc::new(Site::open(dir.path()).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(site::serve_on(site, listener));
    Server { base, dir }
}
