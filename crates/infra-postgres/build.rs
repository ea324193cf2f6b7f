//! `embed_migrations!` reads `migrations/` at compile time; a new migration directory must
//! rebuild the crate, which Cargo only knows to do when told.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
