//! Who may drive the server from a browser, and what pages may do (issue 15).
//!
//! - **Origins**: a request that carries an `Origin` header (browsers send one on every
//!   cross-origin request, every POST and every WebSocket handshake) is served only if that
//!   origin is the server's own (its authority equals the `Host` the request was sent to) or
//!   is listed in `--allowed-origins`; otherwise 403 `forbidden_origin`. Requests without one
//!   (curl, scripts, same-origin GETs) are served. This stops a page elsewhere from writing
//!   progress, uploading frames or opening `/ws/stream`; CORS headers are sent only for the
//!   listed origins, so no other page can read an answer either.
//! - **Headers** on every response: a Content-Security-Policy with no inline script and
//!   `connect-src 'self'`, `frame-ancestors 'none'` (and `X-Frame-Options: DENY`),
//!   `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`.
//! - **Logs**: a request's span records its method and path, never its query string (where
//!   `?profile=<id>`, the only key to a learner's progress, travels).

use axum::extract::{Request, State};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, HOST, ORIGIN, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::error::ApiError;
use crate::sessions::SESSION_HEADER;
use crate::state::AppState;

/// The pages' policy: scripts, styles and everything else from this server only (the pages
/// have no inline script or style), images also from `blob:` (a photo being uploaded) and
/// `data:`, fetches and the WebSocket to this server only, no plugins, no framing. Scripts may
/// compile WebAssembly (`'wasm-unsafe-eval'`, which allows no `eval` of JavaScript): on-device
/// mode runs MediaPipe's hand landmarker, served by this server, as WebAssembly.
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'self'; \
     script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A checked `--allowed-origins` entry: `scheme://host[:port]`, lower case, no path.
pub fn parse_origin(s: &str) -> Result<String, String> {
    let origin = s.trim().trim_end_matches('/').to_ascii_lowercase();
    let (scheme, authority) = origin
        .split_once("://")
        .ok_or_else(|| format!("{s:?}: expected scheme://host[:port]"))?;
    let ok = matches!(scheme, "http" | "https")
        && !authority.is_empty()
        && authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    if ok {
        Ok(origin)
    } else {
        Err(format!("{s:?}: expected http(s)://host[:port]"))
    }
}

/// Whether a request with these `Origin` and `Host` values may be served.
pub fn origin_allowed(origin: &str, host: Option<&str>, allowed: &[String]) -> bool {
    let origin = origin.trim().to_ascii_lowercase();
    if allowed.contains(&origin) {
        return true;
    }
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    match (authority, host) {
        (Some(authority), Some(host)) => authority == host.trim().to_ascii_lowercase(),
        _ => false,
    }
}

/// Refuses requests from other origins than the server's own and the listed ones.
pub async fn check_origin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(origin) = request.headers().get(ORIGIN) {
        let host = request
            .headers()
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| request.uri().authority().map(|a| a.as_str()));
        let allowed = origin
            .to_str()
            .is_ok_and(|o| origin_allowed(o, host, &state.config.allowed_origins));
        if !allowed {
            return ApiError::ForbiddenOrigin.into_response();
        }
    }
    next.run(request).await
}

/// Adds the security headers to every response (keeping any a handler set).
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    for (name, value) in [
        (CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_VALUE),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (X_FRAME_OPTIONS, "DENY"),
        (REFERRER_POLICY, "no-referrer"),
    ] {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

/// CORS for the listed origins only (none: no CORS headers at all, same-origin only).
pub fn cors(allowed: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = allowed
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            axum::http::header::CONTENT_TYPE,
            HeaderName::from_static(SESSION_HEADER),
        ])
}

/// The span of one request: method and path, not the query string.
pub fn request_span(request: &Request) -> tracing::Span {
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        version = ?request.version(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_and_listed_origins_only() {
        let listed = vec!["https://app.example".to_string()];
        assert!(origin_allowed(
            "http://127.0.0.1:8000",
            Some("127.0.0.1:8000"),
            &[]
        ));
        assert!(origin_allowed("https://APP.example", Some("x"), &listed));
        assert!(!origin_allowed(
            "https://evil.example",
            Some("127.0.0.1:8000"),
            &listed
        ));
        assert!(!origin_allowed(
            "http://127.0.0.1:8001",
            Some("127.0.0.1:8000"),
            &[]
        ));
        assert!(!origin_allowed("null", Some("127.0.0.1:8000"), &[]));
        assert!(!origin_allowed("http://127.0.0.1:8000", None, &[]));
    }

    #[test]
    fn allowed_origins_are_checked() {
        assert_eq!(
            parse_origin("HTTPS://App.Example:8443/").unwrap(),
            "https://app.example:8443"
        );
        assert!(parse_origin("app.example").is_err());
        assert!(parse_origin("ftp://app.example").is_err());
        assert!(parse_origin("https://app.example/path").is_err());
    }
}
