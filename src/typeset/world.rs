//! The Typst `World` one document is compiled in: the template files, the
//! document's data under `/data.json`, the shared fonts and a fixed date.

use super::fonts::FontSet;
use super::templates::Templates;
use std::sync::LazyLock;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// The virtual path a template reads its data from: `json("/data.json")`.
pub const DATA_PATH: &str = "/data.json";

static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

/// The file id of a virtual path in the project root. Ids are interned for
/// the life of the process, and we only ever mint one per template name.
pub fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).expect("template paths are valid");
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

pub struct DocWorld<'a> {
    fonts: &'a FontSet,
    templates: &'a Templates,
    main: FileId,
    data: Bytes,
    /// Other files a document reads (PDFs it embeds), by virtual path.
    extra: Vec<(String, Bytes)>,
    today: Datetime,
}

impl<'a> DocWorld<'a> {
    pub fn new(
        fonts: &'a FontSet,
        templates: &'a Templates,
        main: &str,
        data: Vec<u8>,
        today: Datetime,
    ) -> DocWorld<'a> {
        DocWorld { fonts, templates, main: file_id(&format!("/{main}")), data: Bytes::new(data), extra: Vec::new(), today }
    }

    /// Serves `bytes` under each virtual `path` (e.g. /materials/1.pdf).
    pub fn with_files(mut self, files: Vec<(String, Vec<u8>)>) -> DocWorld<'a> {
        self.extra = files.into_iter().map(|(p, b)| (p, Bytes::new(b))).collect();
        self
    }
}

impl World for DocWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.fonts.book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        let vpath = id.get().vpath();
        match self.templates.source(vpath.get_without_slash()) {
            Some(source) => Ok(source.clone()),
            None => Err(FileError::NotFound(vpath.get_with_slash().into())),
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        let vpath = id.get().vpath();
        let path = vpath.get_with_slash();
        if path == DATA_PATH {
            return Ok(self.data.clone());
        }
        if let Some((_, bytes)) = self.extra.iter().find(|(p, _)| p == path) {
            return Ok(bytes.clone());
        }
        match self.templates.source(vpath.get_without_slash()) {
            Some(source) => Ok(Bytes::from_string(source.text().to_string())),
            None => Err(FileError::NotFound(path.into())),
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}
