//! Sizes every part of the HTTP layer must agree on.

/// The largest JSON body accepted, in bytes: the JSON extractor refuses more, and the
/// idempotency middleware reads no more to fingerprint a request.
pub const JSON_LIMIT: usize = 64 * 1024;
