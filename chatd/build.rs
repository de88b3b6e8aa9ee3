//! Embeds the web client: every file under `web/static/` becomes an entry
//! of a table (`$OUT_DIR/web_assets.rs`) with its URL path, content type,
//! a strong ETag from a hash of its bytes, and the bytes themselves through
//! `include_bytes!`. chatd serves that table at `/` (src/http/web.rs), so
//! the binary carries the page and needs no files at run time.
//!
//! The build's version (`$OUT_DIR/web_version.rs`) is a hash of every
//! file. `index.html` is stored with each quoted path of another file
//! rewritten under `/v/<version>/`, the prefix chatd serves as immutable:
//! the modules' relative imports resolve under it, so after the page's own
//! revalidation a warm load fetches nothing it already has.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

use sha2::{Digest, Sha256};

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest.join("../web/static");
    // A directory is scanned as a whole (new and removed files too); each
    // file is named as well so an edit in place is always noticed.
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    if root.is_dir() {
        walk(&root, &mut files);
    }
    files.sort();
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    let mut assets = Vec::new();
    let mut version = Sha256::new();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let Some(url) = url_path(&root, file) else {
            println!("cargo:warning=web/static: skipping {}", file.display());
            continue;
        };
        let bytes = fs::read(file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
        version.update((url.len() as u64).to_le_bytes());
        version.update(url.as_bytes());
        version.update((bytes.len() as u64).to_le_bytes());
        version.update(&bytes);
        assets.push((url, file.canonicalize().expect("an existing file"), bytes));
    }
    let version = hex(&version.finalize()[..8]);
    let prefix = format!("/v/{version}");
    let others: Vec<String> = assets.iter().map(|(url, ..)| url.clone()).collect();
    let mut table = String::from("&[\n");
    for (url, absolute, bytes) in &mut assets {
        let mut source = absolute.display().to_string();
        if url.as_str() == "/index.html" {
            *bytes = versioned_page(bytes, &others, &prefix);
            let page = out_dir.join("index.html");
            fs::write(&page, &bytes).expect("writing the versioned page");
            source = page.display().to_string();
        }
        let etag = hex(&Sha256::digest(&bytes)[..16]);
        writeln!(
            table,
            "    Asset {{ path: {url:?}, content_type: {:?}, etag: \"\\\"{etag}\\\"\", body: include_bytes!({source:?}) }},",
            content_type(absolute),
        )
        .expect("writing to a String");
    }
    table.push_str("]\n");
    fs::write(out_dir.join("web_assets.rs"), table).expect("writing the asset table");
    fs::write(out_dir.join("web_version.rs"), format!("{version:?}\n"))
        .expect("writing the version");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The page with every quoted path of another file (`"/app.css"`,
/// `"/icons.svg#search"`) moved under `prefix`.
fn versioned_page(page: &[u8], urls: &[String], prefix: &str) -> Vec<u8> {
    let mut text = String::from_utf8(page.to_vec()).expect("index.html is UTF-8");
    for url in urls.iter().filter(|u| *u != "/index.html") {
        for end in ['"', '#'] {
            text = text.replace(&format!("\"{url}{end}"), &format!("\"{prefix}{url}{end}"));
        }
    }
    text.into_bytes()
}

/// Every regular file below `dir`, skipping hidden ones (editor swap
/// files, `.DS_Store`) and backups ending in `~`.
fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for entry in entries {
        let entry = entry.expect("a directory entry");
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        let path = entry.path();
        let kind = entry.file_type().expect("a file type");
        if kind.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            walk(&path, files);
        } else if path.is_file() {
            files.push(path);
        }
    }
}

/// `web/static/js/main.js` → `/js/main.js`; `None` for names that would
/// need percent-encoding in a URL.
fn url_path(root: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(root).ok()?;
    let mut url = String::new();
    for part in relative.components() {
        let part = part.as_os_str().to_str()?;
        let plain = part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~@+".contains(&b));
        if !plain {
            return None;
        }
        url.push('/');
        url.push_str(part);
    }
    Some(url)
}

/// The Content-Type for a file, by its extension.
fn content_type(file: &Path) -> &'static str {
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript",
        "css" => "text/css",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}
