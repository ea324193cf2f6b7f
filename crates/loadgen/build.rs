//! Tells the process tests which tools this machine lacks — PgBouncer (`tests/pooler.rs`),
//! HAProxy (`tests/balancer.rs`), Chromium and its chromedriver (`tests/queue_page.rs`) — so
//! that their tests are reported as ignored, with the reason in the test command's output,
//! rather than as passed having run nothing. Under CI (`CI` set) none is ignored: a missing tool
//! fails its tests there.

use std::path::Path;

/// Where Debian's packages put the tools; the tests look in the same places.
const PLACES: [&str; 2] = ["/usr/sbin", "/usr/bin"];

/// Each cfg the tests read, and the programs whose absence sets it.
const TOOLS: [(&str, &[&str]); 3] = [
    ("missing_pgbouncer", &["pgbouncer"]),
    ("missing_haproxy", &["haproxy"]),
    ("missing_chromium", &["chromium", "chromedriver"]),
];

fn main() {
    for (cfg, _) in TOOLS {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
    }
    println!("cargo::rerun-if-env-changed=CI");
    for place in PLACES {
        // Rescanned when a package is installed there.
        println!("cargo::rerun-if-changed={place}");
    }
    let under_ci = std::env::var_os("CI").is_some_and(|value| !value.is_empty());
    let installed = |program: &str| PLACES.iter().any(|place| Path::new(place).join(program).exists());
    for (cfg, programs) in TOOLS {
        if !under_ci && !programs.iter().all(|program| installed(program)) {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
