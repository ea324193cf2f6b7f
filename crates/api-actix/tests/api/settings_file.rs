//! Where the binary takes settings from: the environment, and a `.env` only in the working
//! directory (or the file `ENV_FILE` names), never a parent directory's.

use std::path::Path;
use std::process::Command;

/// Runs `ticketing migrate` in `dir` against a database that refuses connections, and returns
/// what it printed: a `.env` it read shows as an error about `LOG_FORMAT`, set to junk there.
fn migrate_in(dir: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_ticketing"))
        .arg("migrate")
        .current_dir(dir)
        .env_remove("LOG_FORMAT")
        .env_remove("ENV_FILE")
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/nothing")
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    assert!(!output.status.success());
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_dotenv_in_a_parent_directory_is_ignored_and_the_working_directorys_is_read() {
    let root = std::env::temp_dir().join(format!("ticketing-env-{}", std::process::id()));
    let child = root.join("project").join("sub");
    std::fs::create_dir_all(&child).unwrap();
    std::fs::write(root.join(".env"), "LOG_FORMAT=planted-two-levels-up\n").unwrap();

    let with_parent_file = migrate_in(&child);
    std::fs::write(child.join(".env"), "LOG_FORMAT=from-the-working-directory\n").unwrap();
    let with_own_file = migrate_in(&child);
    std::fs::remove_dir_all(&root).unwrap();

    assert!(!with_parent_file.contains("LOG_FORMAT"), "a parent's .env was read: {with_parent_file}");
    assert!(with_parent_file.contains("migrating the database"), "{with_parent_file}");
    assert!(
        with_own_file.contains("LOG_FORMAT is invalid (\"from-the-working-directory\")"),
        "{with_own_file}"
    );
}
