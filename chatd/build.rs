//! Embeds the web client: every file under `web/static/` becomes an entry
//! of a table (`$OUT_DIR/web_assets.rs`) with its URL path, content type,
//! a strong ETag from a hash of its bytes, and the bytes themselves through
//! `include_bytes!`. chatd serves that table at `/` (src/http/web.rs), so
//! the binary carries the page and needs no files at run time.

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
    let mut table = String::from("&[\n");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let Some(url) = url_path(&root, file) else {
            println!("cargo:warning=web/static: skipping {}", file.display());
            continue;
        };
        let bytes = fs::read(file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
        let digest = Sha256::digest(&bytes);
        let etag: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        let absolute = file.canonicalize().expect("an existing file");
        writeln!(
            table,
            "    Asset {{ path: {url:?}, content_type: {:?}, etag: \"\\\"{etag}\\\"\", body: include_bytes!({:?}) }},",
            content_type(file),
            absolute.display().to_string(),
        )
        .expect("writing to a String");
    }
    table.push_str("]\n");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo")).join("web_assets.rs");
    fs::write(&out, table).expect("writing the asset table");
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
