//! Where the data lives: the server named by `DATABASE_URL`, or, when none is given, a private
//! PostgreSQL this binary runs itself in its data directory (kept between runs), so that
//! `cargo run --release` is the whole set-up.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use anyhow::Context;
use infra_postgres::cluster::{Cluster, Durability};

use crate::config::{Config, Secret};

/// The embedded server's database.
const EMBEDDED_DATABASE: &str = "ticketing";

/// The database the service uses.
#[derive(Debug)]
pub enum Database {
    External {
        url: Secret,
    },
    /// With the signing key kept beside its data.
    Embedded {
        cluster: Cluster,
        url: Secret,
        jwt_secret: Secret,
    },
}

impl Database {
    /// Uses `DATABASE_URL`, or starts (creating on first use) the embedded server.
    ///
    /// # Errors
    /// When the embedded server cannot start (no PostgreSQL binaries, say), or its secret
    /// cannot be read or written.
    pub fn open(config: &Config) -> anyhow::Result<Self> {
        if let Some(url) = &config.database_url {
            return Ok(Self::External { url: url.clone() });
        }
        let data_dir = config.data_dir.join("postgres");
        let cluster = Cluster::start(&data_dir, Durability::Durable)
            .context("starting the embedded PostgreSQL (set DATABASE_URL to use a server of your own)")?;
        // A crash or kill -9 must not leave the server running.
        cluster.stop_when_process_exits(None)?;
        cluster.create_database(EMBEDDED_DATABASE)?;
        let url = Secret::new(cluster.url(EMBEDDED_DATABASE));
        let jwt_secret = embedded_jwt_secret(&config.data_dir)?;
        Ok(Self::Embedded { cluster, url, jwt_secret })
    }

    #[must_use]
    pub const fn url(&self) -> &Secret {
        match self {
            Self::External { url, .. } | Self::Embedded { url, .. } => url,
        }
    }

    /// The key to sign tokens with: `JWT_SECRET` when set, else the embedded database's own.
    ///
    /// # Errors
    /// With `DATABASE_URL` but no `JWT_SECRET`: every instance on a shared database must sign
    /// with the same key, and a default would let anyone forge tokens.
    pub fn jwt_secret(&self, config: &Config) -> anyhow::Result<Secret> {
        match (&config.jwt_secret, self) {
            (Some(secret), _) => Ok(secret.clone()),
            (None, Self::Embedded { jwt_secret, .. }) => Ok(jwt_secret.clone()),
            (None, Self::External { .. }) => {
                anyhow::bail!("JWT_SECRET is required to serve with DATABASE_URL (at least 16 characters)")
            }
        }
    }

    #[must_use]
    pub const fn is_embedded(&self) -> bool {
        matches!(self, Self::Embedded { .. })
    }

    /// Stops the embedded server; an external one is left alone.
    ///
    /// # Errors
    /// When the embedded server does not stop cleanly.
    pub fn close(self) -> anyhow::Result<()> {
        if let Self::Embedded { cluster, .. } = self {
            cluster.stop().context("stopping the embedded PostgreSQL")?;
        }
        Ok(())
    }
}

/// A signing key kept beside the embedded data, so tokens survive a restart. Only the owner
/// may read it.
fn embedded_jwt_secret(data_dir: &Path) -> anyhow::Result<Secret> {
    let path = data_dir.join("jwt-secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return Ok(Secret::new(existing.trim().to_owned()));
    }
    let secret = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(secret.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    Ok(Secret::new(secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serving_an_external_database_needs_a_jwt_secret_of_its_own() {
        let without =
            Config::from_lookup(|var| (var == "DATABASE_URL").then(|| "postgres://x/y".to_owned())).unwrap();
        let with = Config::from_lookup(|var| match var {
            "DATABASE_URL" => Some("postgres://x/y".to_owned()),
            "JWT_SECRET" => Some("a-long-enough-secret".to_owned()),
            _ => None,
        })
        .unwrap();
        let database = Database::open(&without).unwrap();

        assert!(database.jwt_secret(&without).is_err());
        assert_eq!(database.jwt_secret(&with).unwrap().expose(), "a-long-enough-secret");
    }
}
