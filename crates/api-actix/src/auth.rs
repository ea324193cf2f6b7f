//! Who is calling: password hashing, tokens, and the extractor that turns an `Authorization`
//! header into a known user.

mod argon2_hasher;
mod authenticator;
mod caller;
mod known_users;
mod tokens;

pub use argon2_hasher::Argon2Hasher;
pub use authenticator::Authenticator;
pub use caller::Caller;
use known_users::KnownUsers;
pub use tokens::{Claims, TokenService};
