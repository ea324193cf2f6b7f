//! Tells the process tests which tools this machine lacks — PgBouncer (`tests/pooler.rs`) and
//! HAProxy (`tests/balancer.rs`) — so that their tests are reported as ignored, with the reason
//! in the test command's output, rather than as passed having run nothing. Under CI (`CI` set)
//! none is ignored: a missing tool fails its tests there.

use std::path::Path;

/// Where Debian's packages put the tools; the tests look in the same places.
const PLACES: [&str; 2] = ["/usr/sbin", "/usr/bin"];

fn main() {
    println!("cargo::rustc-check-cfg=cfg(missing_pgbouncer)");
    println!("cargo::rustc-check-cfg=cfg(missing_haproxy)");
    println!("cargo::rerun-if-env-changed=CI");
    for place in PLACES {
        // Rescanned when a package is installed there.
        println!("cargo::rerun-if-changed={place}");
    }
    let under_ci = std::env::var_os("CI").is_some_and(|value| !value.is_empty());
    for tool in ["pgbouncer", "haproxy"] {
        if !under_ci && !PLACES.iter().any(|place| Path::new(place).join(tool).exists()) {
            println!("cargo::rustc-cfg=missing_{tool}");
        }
    }
}
