//! Where the data lives: the server named by `DATABASE_URL`, or, when none is given, a private
//! PostgreSQL this binary runs itself in its data directory (kept between runs), so that
//! `cargo run --release` is the whole set-up.
//!
//! The private server is reachable by every local user on 127.0.0.1, so it demands passwords,
//! generated on first use and kept beside the signing key (files `0600` in a directory only this
//! account may list), and the service uses it as an owner role to migrate and as an application
//! role to serve, never as the superuser.

use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use pg_cluster::{Access, Cluster, ClusterError, Durability};

use crate::app::config::DatabaseConfig;
use crate::app::wiring::{self, Role};
use crate::secret::Secret;

/// The embedded server's database.
const EMBEDDED_DATABASE: &str = "ticketing";

/// Owns the schema; migrations run as it.
const OWNER_ROLE: &str = "ticketing_owner";

/// Reads and writes rows; the service serves as it.
const APP_ROLE: &str = "ticketing_app";

/// Why the embedded database could not be used.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedDbError {
    #[error("starting the embedded PostgreSQL failed (set DATABASE_URL to use a server of your own)")]
    Start(#[source] ClusterError),
    #[error("the embedded PostgreSQL failed")]
    Cluster(#[from] ClusterError),
    #[error("could not read or write the secret {}", path.display())]
    Secret {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("refusing the data directory {}: {reason}", path.display())]
    UnsafeDataDir { path: PathBuf, reason: &'static str },
}

/// The database the service uses.
#[derive(Debug)]
pub enum Database {
    External {
        url: Secret,
        /// `DATABASE_OWNER_URL`, or the same as `url`.
        migration_url: Secret,
    },
    /// With the signing key kept beside its data.
    Embedded {
        cluster: Cluster,
        /// As the application role.
        url: Secret,
        /// As the owner role.
        migration_url: Secret,
        jwt_secret: Secret,
    },
}

impl Database {
    /// Uses `DATABASE_URL`, or starts (creating on first use) the embedded server.
    ///
    /// # Errors
    /// When the embedded server cannot start (no PostgreSQL binaries, say), or its secret
    /// cannot be read or written.
    pub fn open(config: &DatabaseConfig) -> Result<Self, EmbeddedDbError> {
        if let Some(url) = &config.url {
            let migration_url = config.owner_url.as_ref().unwrap_or(url).clone();
            return Ok(Self::External { url: url.clone(), migration_url });
        }
        let dir = &config.data_dir;
        prepare_data_dir(dir)?;
        let superuser = kept_secret(dir, "postgres-password")?;
        let access = Access::Password(superuser.expose().to_owned());
        let cluster = Cluster::start(&dir.join("postgres"), Durability::Durable, access)
            .map_err(EmbeddedDbError::Start)?;
        // A crash or kill -9 must not leave the server running.
        cluster.stop_when_process_exits(None)?;
        cluster.create_database(EMBEDDED_DATABASE)?;
        let (owner, app) = (kept_secret(dir, "db-owner-password")?, kept_secret(dir, "db-app-password")?);
        let owner = Role { name: OWNER_ROLE, password: owner.expose() };
        let app = Role { name: APP_ROLE, password: app.expose() };
        cluster.execute(EMBEDDED_DATABASE, &wiring::role_provisioning(EMBEDDED_DATABASE, &owner, &app))?;
        Ok(Self::Embedded {
            url: Secret::new(cluster.url_as(app.name, Some(app.password), EMBEDDED_DATABASE)),
            migration_url: Secret::new(cluster.url_as(owner.name, Some(owner.password), EMBEDDED_DATABASE)),
            jwt_secret: kept_secret(dir, "jwt-secret")?,
            cluster,
        })
    }

    /// Where the service reads and writes.
    #[must_use]
    pub const fn url(&self) -> &Secret {
        match self {
            Self::External { url, .. } | Self::Embedded { url, .. } => url,
        }
    }

    /// Where migrations run: the schema's owner.
    #[must_use]
    pub const fn migration_url(&self) -> &Secret {
        match self {
            Self::External { migration_url, .. } | Self::Embedded { migration_url, .. } => migration_url,
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

/// The data directory, created (`0700`, or `0711` as root, so that the server's own account
/// can reach its directory inside) unless it exists; refused when it is a symbolic link or
/// another user's, since the secrets are written into it.
fn prepare_data_dir(dir: &Path) -> Result<(), EmbeddedDbError> {
    let refuse = |reason| EmbeddedDbError::UnsafeDataDir { path: dir.to_owned(), reason };
    let io = |source| EmbeddedDbError::Secret { path: dir.to_owned(), source };
    let meta = match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let me = own_uid();
            let mode = if me == 0 { 0o711 } else { 0o700 };
            std::fs::DirBuilder::new().recursive(true).mode(mode).create(dir).map_err(io)?;
            std::fs::symlink_metadata(dir).map_err(io)?
        }
        Err(e) => return Err(io(e)),
        Ok(meta) => meta,
    };
    if meta.file_type().is_symlink() {
        return Err(refuse("it is a symbolic link"));
    }
    if !meta.is_dir() {
        return Err(refuse("it is not a directory"));
    }
    if meta.uid() != own_uid() {
        return Err(refuse("it is owned by another user"));
    }
    Ok(())
}

/// The owner of `/proc/self` is this process's effective user.
fn own_uid() -> u32 {
    std::fs::metadata("/proc/self").map_or(u32::MAX, |meta| meta.uid())
}

/// A secret kept in the data directory, made on first use: 64 random hex digits in a file
/// only the owner may read, so that tokens and passwords survive a restart.
fn kept_secret(data_dir: &Path, name: &str) -> Result<Secret, EmbeddedDbError> {
    let path = data_dir.join(name);
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
