//! The queue page: plain HTML, a script and a style sheet, shipped inside the binary and
//! served from this origin, so that it works under a strict Content-Security-Policy (no inline
//! script or style, nothing from elsewhere) and needs no build step.

/// `GET /events/{id}/queue` for a browser.
pub const QUEUE_HTML: &str = include_str!("page/queue.html");
/// `GET /assets/queue.js`.
pub const QUEUE_JS: &str = include_str!("page/queue.js");
/// `GET /assets/queue.css`.
pub const QUEUE_CSS: &str = include_str!("page/queue.css");
