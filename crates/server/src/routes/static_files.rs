//! The web front end, embedded from the repository's `web/` folder at build time:
//! `/` and the named pages (`web/<page>.html`), and assets under `/static/`.

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(rust_embed::Embed)]
#[folder = "../../web/"]
#[allow_missing = true]
#[exclude = "node_modules/*"]
#[exclude = "*.md"]
struct Web;

pub fn routes() -> Router<AppState> {
    let mut router = Router::new().route(
        "/",
        get(|headers: HeaderMap| async move { page("index.html", &headers) }),
    );
    for name in ["learn", "practice", "progress", "about"] {
        router = router.route(
            &format!("/{name}"),
            get(move |headers: HeaderMap| async move { page(&format!("{name}.html"), &headers) }),
        );
    }
    router.route("/static/{*path}", get(asset))
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    page(&format!("static/{path}"), &headers)
}

fn page(path: &str, headers: &HeaderMap) -> Response {
    let Some(file) = Web::get(path) else {
        return ApiError::NotFound.into_response();
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    let cache = if path.ends_with(".html") {
        "no-cache"
    } else {
        "public, max-age=300"
    };
    let mut response =
        if headers.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            file.data.into_owned().into_response()
        };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(file.metadata.mimetype()) {
        h.insert(CONTENT_TYPE, v);
    }
    h.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(ETAG, v);
    }
    response
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
