use actix_web::HttpResponse;

use crate::http::page;

/// The queue page's script (shipped inside the binary).
#[utoipa::path(get, path = "/assets/queue.js", tag = "waiting room", responses(
    (status = 200, description = "JavaScript", content_type = "text/javascript"),
))]
pub async fn queue_script() -> HttpResponse {
    HttpResponse::Ok().content_type("text/javascript; charset=utf-8").body(page::QUEUE_JS)
}

/// The queue page's style sheet (shipped inside the binary).
#[utoipa::path(get, path = "/assets/queue.css", tag = "waiting room", responses(
    (status = 200, description = "CSS", content_type = "text/css"),
))]
pub async fn queue_style() -> HttpResponse {
    HttpResponse::Ok().content_type("text/css; charset=utf-8").body(page::QUEUE_CSS)
}
