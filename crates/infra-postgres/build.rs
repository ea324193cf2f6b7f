//! `embed_migrations!` reads `migrations/` at compile time; a new or edited migration must
//! rebuild the crate, which Cargo only knows to do when told. The same pass fingerprints the
//! text of every file there, for `migrate::fingerprint`: test templates are named by it, so a
//! migration edited in place gets a template of its own instead of a stale one that a
//! long-lived test server still holds under the same versions.

use std::error::Error;
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn Error>> {
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR")?).join("../../migrations");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files = Vec::new();
    collect(&dir, &mut files)?;
    files.sort();
    // FNV-1a over each file's path (relative to migrations/) and text: stable across builds
    // and platforms, unlike `DefaultHasher`.
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    for file in files {
        let name = file.strip_prefix(&dir)?.to_string_lossy().into_owned();
        for byte in name.bytes().chain([0]).chain(std::fs::read(&file)?).chain([0]) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3);
        }
    }
    println!("cargo:rustc-env=MIGRATIONS_DIGEST={hash:016x}");
    Ok(())
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}
