//! Who is calling: password hashing, tokens, the revocations that end sessions, and the
//! extractor that turns an `Authorization` header into a session that may act.

mod argon2_hasher;
mod authenticator;
mod caller;
mod follower;
mod hashing_slots;
mod known_users;
mod revocations;
mod tokens;

pub use argon2_hasher::Argon2Hasher;
pub use authenticator::Authenticator;
pub use caller::{Caller, Verified, bearer_token};
pub use follower::RevocationFollower;
pub use hashing_slots::{HashingLimits, HashingSlots};
use known_users::KnownUsers;
pub use revocations::RevocationRegistry;
pub use tokens::{Claims, TokenService};
