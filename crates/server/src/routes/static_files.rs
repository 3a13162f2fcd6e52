//! The web front end, built into the binary: the pages, assembled at build time by
//! `build.rs` from `web/layout.html`, `web/pages/` and the page list `web/pages.ini`
//! (`docs/web.md`), and the assets of `web/static/` under `/static/`. Pages are `no-cache`
//! (always revalidated), assets may be cached for five minutes; both carry an ETag and answer
//! a matching `If-None-Match` with 304.

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::error::ApiError;
use crate::state::AppState;

/// One assembled page.
struct Page {
    /// The URL path it is served at.
    path: &'static str,
    html: &'static str,
    /// A hash of `html`, quoted.
    etag: &'static str,
}

// `static PAGES: &[Page]`, in nav order: written by build.rs.
include!(concat!(env!("OUT_DIR"), "/pages.rs"));

#[derive(rust_embed::Embed)]
#[folder = "../../web/static/"]
#[allow_missing = true]
struct Assets;

/// The URL paths of the pages, in nav order.
pub fn page_paths() -> impl Iterator<Item = &'static str> {
    PAGES.iter().map(|p| p.path)
}

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for page in PAGES {
        router = router.route(
            page.path,
            get(move |headers: HeaderMap| async move {
                respond(
                    page.html,
                    "text/html; charset=utf-8",
                    page.etag,
                    "no-cache",
                    &headers,
                )
            }),
        );
    }
    router.route("/static/{*path}", get(asset))
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let Some(file) = Assets::get(&path) else {
        return ApiError::NotFound.into_response();
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    respond(
        file.data,
        file.metadata.mimetype(),
        &etag,
        "public, max-age=300",
        &headers,
    )
}

fn respond(
    body: impl IntoResponse,
    content_type: &str,
    etag: &str,
    cache: &'static str,
    headers: &HeaderMap,
) -> Response {
    let fresh = headers.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag);
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body.into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(CONTENT_TYPE, v);
    }
    h.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(ETAG, v);
    }
    response
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_listed_in_nav_order_each_once() {
        let paths: Vec<_> = page_paths().collect();
        assert_eq!(
            paths,
            [
                "/",
                "/learn",
                "/practice",
                "/calibrate",
                "/progress",
                "/class",
                "/about"
            ]
        );
    }

    #[test]
    fn every_page_is_a_whole_document_with_the_nav_marking_itself() {
        for page in PAGES {
            assert!(page.html.starts_with("<!doctype html>"), "{}", page.path);
            assert!(
                !page.html.contains("{{"),
                "{}: a placeholder left",
                page.path
            );
            let own = format!("<a href=\"{}\" aria-current=\"page\">", page.path);
            assert_eq!(page.html.matches(&own).count(), 1, "{}", page.path);
            assert_eq!(
                page.html.matches("aria-current").count(),
                1,
                "{}",
                page.path
            );
        }
    }
}
