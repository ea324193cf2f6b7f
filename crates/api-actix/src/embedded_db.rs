//! Where the data lives: the server named by `DATABASE_URL`, or, when none is given, a private
//! PostgreSQL this binary runs itself in its data directory (kept between runs), so that
//! `cargo run --release` is the whole set-up.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use pg_cluster::{Cluster, ClusterError, Durability};

use crate::config::{Config, Secret};

/// The embedded server's database.
const EMBEDDED_DATABASE: &str = "ticketing";

/// Why the embedded database could not be used.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedDbError {
    #[error("starting the embedded PostgreSQL failed (set DATABASE_URL to use a server of your own)")]
    Start(#[source] ClusterError),
    #[error("the embedded PostgreSQL failed")]
    Cluster(#[from] ClusterError),
    #[error("could not read or write the signing key {}", path.display())]
    Secret {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

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
    pub fn open(config: &Config) -> Result<Self, EmbeddedDbError> {
        if let Some(url) = &config.database_url {
            return Ok(Self::External { url: url.clone() });
        }
        let data_dir = config.data_dir.join("postgres");
        let cluster = Cluster::start(&data_dir, Durability::Durable).map_err(EmbeddedDbError::Start)?;
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

    /// The embedded database's own signing key; `None` for an external database.
    #[must_use]
    pub const fn signing_secret(&self) -> Option<&Secret> {
        match self {
            Self::Embedded { jwt_secret, .. } => Some(jwt_secret),
            Self::External { .. } => None,
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
    pub fn close(self) -> Result<(), EmbeddedDbError> {
        if let Self::Embedded { cluster, .. } = self {
            cluster.stop()?;
        }
        Ok(())
    }
}

/// A signing key kept beside the embedded data, so tokens survive a restart. Only the owner
/// may read it.
fn embedded_jwt_secret(data_dir: &Path) -> Result<Secret, EmbeddedDbError> {
    let path = data_dir.join("jwt-secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return Ok(Secret::new(existing.trim().to_owned()));
    }
    let secret = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut file| file.write_all(secret.as_bytes()))
        .map_err(|source| EmbeddedDbError::Secret { path, source })?;
    Ok(Secret::new(secret))
}
