//! One module per endpoint. A handler parses its body into a domain command, calls one
//! service method and maps the result: no SQL, no transaction, no business rule here.

mod book;
mod cancel;
mod initialize;
mod login;
mod register;
mod status;

pub use book::book;
pub use cancel::cancel;
pub use initialize::initialize;
pub use login::login;
pub use register::register;
pub use status::status;
