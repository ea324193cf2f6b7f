//! Names of the constraints in `migrations/` whose violations mean something to a client.
//! Matching on these names (not on message text) is how a violation becomes a business error.

pub const USERS_EMAIL_UNIQUE: &str = "users_email_unique";
pub const EVENTS_ORGANIZER_FKEY: &str = "events_organizer_fkey";
pub const BOOKINGS_ONE_LIVE_PER_USER: &str = "bookings_one_live_per_user";
pub const BOOKINGS_USER_FKEY: &str = "bookings_user_fkey";
