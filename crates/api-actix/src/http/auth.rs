//! Who is calling: tokens, the revocations that end sessions, and the extractor that turns an
//! `Authorization` header into a session that may act. Password hashing is an outbound port
//! (`domain::ports::PasswordHasher`); keeping the revocations current is a worker's
//! (`crate::app::workers`).

mod admission;
mod authenticator;
mod caller;
mod known_users;
mod revocations;
mod tokens;

pub use admission::{ADMISSION_TOKEN, AdmissionKeys, InvalidAdmissionKey, seed_from};
pub use authenticator::Authenticator;
pub use caller::{Admitted, Caller, bearer_token};
use known_users::KnownUsers;
pub use revocations::RevocationRegistry;
pub use tokens::{Claims, TokenService};
