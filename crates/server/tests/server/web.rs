//! The web front end as a browser gets it: every page of `web/pages.ini`, assembled from the
//! one layout, and the static assets, with their caching headers.

use std::path::PathBuf;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::TestServer;

/// `(path, nav label, title)` of each page, in list order, read from `web/pages.ini` on its
/// own (not through the build script) so the test checks what the list says.
fn listed_pages() -> Vec<(String, String, String)> {
    let list = web_dir().join("pages.ini");
    let text = std::fs::read_to_string(&list).unwrap_or_else(|e| panic!("{}: {e}", list.display()));
    let mut pages: Vec<[String; 3]> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            pages.push(Default::default());
        } else if let Some((key, value)) = line.split_once('=') {
            let field = ["path", "nav", "title"]
                .iter()
                .position(|k| *k == key.trim());
            if let (Some(i), Some(page)) = (field, pages.last_mut()) {
                page[i] = value.trim().to_string();
            }
        }
    }
    assert!(!pages.is_empty(), "no pages in {}", list.display());
    pages.into_iter().map(|[p, n, t]| (p, n, t)).collect()
}

fn web_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web")
}

/// `(href, text, aria-current)` of each link in the page's main nav.
fn nav_links(html: &str) -> Vec<(String, String, Option<String>)> {
    let start = html
        .find("<nav class=\"site-nav\"")
        .expect("the page has the site nav");
    let nav = &html[start..start + html[start..].find("</nav>").expect("</nav>")];
    nav.split("<a ")
        .skip(1)
        .map(|a| {
            let attr = |name: &str| {
                let from = a.find(&format!("{name}=\""))? + name.len() + 2;
                Some(a[from..from + a[from..].find('"')?].to_string())
            };
            let text = &a[a.find('>').expect(">") + 1..a.find("</a>").expect("</a>")];
            (
                attr("href").expect("href"),
                text.to_string(),
                attr("aria-current"),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_listed_page_is_html_with_the_shared_nav_and_its_own_title() {
    let s = TestServer::start(&[]).await.ready().await;
    let pages = listed_pages();
    let hrefs: Vec<&str> = pages.iter().map(|(p, _, _)| p.as_str()).collect();
    let labels: Vec<&str> = pages.iter().map(|(_, n, _)| n.as_str()).collect();
    let client = reqwest::Client::new();
    for (path, nav, title) in &pages {
        let r = client.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let header = |name: &str| r.headers()[name].to_str().unwrap().to_string();
        assert!(header("content-type").starts_with("text/html"), "{path}");
        assert_eq!(header("cache-control"), "no-cache", "{path}");
        let etag = header("etag");
        let html = r.text().await.unwrap();

        assert!(html.starts_with("<!doctype html>"), "{path}");
        assert!(
            html.contains(&format!("<title>{title} · SignBridge</title>")),
            "{path}: its own title, {title}"
        );
        assert!(!html.contains("{{"), "{path}: a placeholder left unfilled");
        let links = nav_links(&html);
        let got: Vec<&str> = links.iter().map(|(h, _, _)| h.as_str()).collect();
        assert_eq!(
            got, hrefs,
            "{path}: the nav links every page, in list order"
        );
        let got: Vec<&str> = links.iter().map(|(_, t, _)| t.as_str()).collect();
        assert_eq!(got, labels, "{path}: nav labels");
        let current: Vec<&str> = links
            .iter()
            .filter(|(_, _, c)| c.as_deref() == Some("page"))
            .map(|(_, t, _)| t.as_str())
            .collect();
        assert_eq!(
            current,
            [nav.as_str()],
            "{path}: aria-current on its own link"
        );
        for shell in [
            "<header class=\"site-header\"",
            "<main id=\"main\"",
            "</footer>",
        ] {
            assert_eq!(html.matches(shell).count(), 1, "{path}: {shell} once");
        }

        let again = client
            .get(s.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path} revalidates");
        assert!(again.bytes().await.unwrap().is_empty());
    }
    s.stop().await.unwrap();
}

#[tokio::test]
async fn static_assets_are_cached_for_five_minutes_and_revalidate_with_304() {
    let s = TestServer::start(&[]).await.ready().await;
    let client = reqwest::Client::new();
    for (path, mime) in [
        ("/static/js/api.js", "javascript"),
        ("/static/css/style.css", "text/css"),
        ("/static/favicon.svg", "image/svg+xml"),
    ] {
        let r = client.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(content_type.contains(mime), "{path}: {content_type}");
        assert_eq!(
            r.headers()["cache-control"],
            "public, max-age=300",
            "{path}"
        );
        let etag = r.headers()["etag"].clone();
        let body = r.bytes().await.unwrap();
        let on_disk = std::fs::read(web_dir().join(path.trim_start_matches('/'))).unwrap();
        assert_eq!(body, on_disk, "{path} is web{path}");
        let again = client
            .get(s.url(path))
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path} revalidates");
    }
    s.stop().await.unwrap();
}

/// Sends `target` exactly as written (an HTTP client would normalise the dots away) and
/// returns the status line and body.
async fn raw_get(s: &TestServer, target: &str) -> (String, String) {
    let addr = s.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer.lines().next().unwrap_or_default().to_string();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn paths_out_of_the_static_folder_and_unknown_pages_are_404() {
    let s = TestServer::start(&[]).await.ready().await;
    for target in [
        "/static/../Cargo.toml",
        "/static/../../Cargo.toml",
        "/static/..%2f..%2fCargo.toml",
        "/static/%2e%2e/%2e%2e/Cargo.toml",
        "/static/../layout.html",
        "/static/../pages/index.html",
        "/static/../pages.ini",
        "/static/",
        "/index.html",
        "/learn.html",
        "/pages/learn",
        "/no-such-page",
    ] {
        let (status, body) = raw_get(&s, target).await;
        assert!(status.contains(" 404 "), "{target}: {status}");
        assert!(
            body.contains("\"not_found\""),
            "{target}: JSON error, got {body}"
        );
    }
    s.stop().await.unwrap();
}
