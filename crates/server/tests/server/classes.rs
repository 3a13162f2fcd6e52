//! Classes (issue 17): a teacher creates one, learners join with its code, the teacher sees
//! their per-letter progress (never a profile id) and removes one, a learner leaves; unknown
//! codes and wrong keys are errors, never someone else's data.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::TestServer;

async fn call(
    s: &TestServer,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut r = reqwest::Client::new().request(method, s.url(path));
    if let Some(key) = key {
        r = r.header("X-Teacher-Key", key);
    }
    if let Some(body) = body {
        r = r.json(&body);
    }
    let r = r.send().await.unwrap();
    (r.status(), r.json().await.unwrap())
}

async fn attempt(s: &TestServer, profile: &str, letter: &str, correct: bool) {
    let (status, _) = call(
        s,
        Method::POST,
        "/api/progress/attempt",
        None,
        Some(json!({"profile": profile, "target": letter, "correct": correct, "score": 0.9})),
    )
    .await;
    assert_eq!(status, 200);
}

const ANA: &str = "learner-ana-000001";
const BEN: &str = "learner-ben-000002";
const CAI: &str = "learner-cai-000003";

#[tokio::test]
async fn a_teacher_sees_the_members_progress_and_removes_one_and_a_learner_leaves() {
    let s = TestServer::start(&[]).await.ready().await;
    let (status, class) = call(
        &s,
        Method::POST,
        "/api/classes",
        None,
        Some(json!({"name": "  Year 7 signing "})),
    )
    .await;
    assert_eq!(status, 201, "{class}");
    let code = class["code"].as_str().unwrap().to_string();
    let key = class["teacher_key"].as_str().unwrap().to_string();
    assert_eq!(
        (code.len(), class["name"].as_str()),
        (8, Some("Year 7 signing"))
    );

    let (status, info) = call(
        &s,
        Method::GET,
        &format!("/api/classes/{code}/info"),
        None,
        None,
    )
    .await;
    assert_eq!((status.as_u16(), info["members"].as_u64()), (200, Some(0)));
    // Codes are read in any case, with a dash.
    let typed = format!("{}-{}", code[..4].to_lowercase(), &code[4..]);
    for (profile, name) in [(ANA, "Ana"), (BEN, "Ben"), (CAI, "Cai")] {
        let (status, mine) = call(
            &s,
            Method::POST,
            &format!("/api/classes/{typed}/join"),
            None,
            Some(json!({"profile": profile, "name": name})),
        )
        .await;
        assert_eq!(status, 200, "{mine}");
        assert_eq!(mine["classes"][0]["code"], code.as_str());
        assert_eq!(mine["classes"][0]["class_name"], "Year 7 signing");
    }
    attempt(&s, ANA, "A", true).await;
    attempt(&s, ANA, "A", false).await;
    attempt(&s, ANA, "B", true).await;
    attempt(&s, BEN, "C", false).await;

    let view_path = format!("/api/classes/{code}");
    let (status, view) = call(&s, Method::GET, &view_path, Some(&key), None).await;
    assert_eq!(status, 200, "{view}");
    let members = view["members"].as_array().unwrap();
    assert_eq!(members.len(), 3);
    let ana = members.iter().find(|m| m["name"] == "Ana").unwrap();
    assert_eq!(ana["letters"]["A"]["attempts"], 2);
    assert_eq!(ana["letters"]["A"]["correct"], 1);
    assert_eq!(ana["total_attempts"], 3);
    assert!(ana["last_activity"].as_i64().unwrap() > 1_700_000_000);
    let cai = members.iter().find(|m| m["name"] == "Cai").unwrap();
    assert_eq!(
        (
            cai["total_attempts"].as_u64(),
            cai["last_activity"].is_null()
        ),
        (Some(0), true)
    );
    let text = view.to_string();
    for profile in [ANA, BEN, CAI] {
        assert!(
            !text.contains(profile),
            "the teacher never sees a profile id"
        );
    }

    // Without the key, or with another, nothing is shown or removed.
    for bad in [None, Some("not-the-key"), Some("")] {
        let (status, body) = call(&s, Method::GET, &view_path, bad, None).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["error_type"], "forbidden");
        assert!(body.get("members").is_none());
    }
    let ben = members.iter().find(|m| m["name"] == "Ben").unwrap()["member"]
        .as_str()
        .unwrap()
        .to_string();
    let remove = format!("/api/classes/{code}/members/{ben}");
    let (status, _) = call(&s, Method::DELETE, &remove, Some("wrong"), None).await;
    assert_eq!(status, 403);
    let (status, view) = call(&s, Method::DELETE, &remove, Some(&key), None).await;
    assert_eq!(status, 200);
    assert_eq!(view["members"].as_array().unwrap().len(), 2);
    let (status, _) = call(&s, Method::DELETE, &remove, Some(&key), None).await;
    assert_eq!(status, 404, "already removed");
    let (_, bens) = call(
        &s,
        Method::GET,
        &format!("/api/classes?profile={BEN}"),
        None,
        None,
    )
    .await;
    assert_eq!(bens["classes"], json!([]));

    // A learner leaves; leaving again is an error.
    let leave = format!("/api/classes/{code}/leave");
    let (status, mine) = call(
        &s,
        Method::POST,
        &leave,
        None,
        Some(json!({"profile": CAI})),
    )
    .await;
    assert_eq!((status.as_u16(), mine["classes"].clone()), (200, json!([])));
    let (status, _) = call(
        &s,
        Method::POST,
        &leave,
        None,
        Some(json!({"profile": CAI})),
    )
    .await;
    assert_eq!(status, 404);
    let (_, view) = call(&s, Method::GET, &view_path, Some(&key), None).await;
    let names: Vec<&str> = view["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ana"]);
    // Progress itself is untouched by leaving or being removed.
    let (_, ben_progress) = call(
        &s,
        Method::GET,
        &format!("/api/progress?profile={BEN}"),
        None,
        None,
    )
    .await;
    assert_eq!(ben_progress["total_attempts"], 1);
}

#[tokio::test]
async fn unknown_codes_and_bad_input_are_errors() {
    let s = TestServer::start(&[]).await.ready().await;
    let (_, class) = call(
        &s,
        Method::POST,
        "/api/classes",
        None,
        Some(json!({"name": "Club"})),
    )
    .await;
    let code = class["code"].as_str().unwrap();
    let unknown = if code == "ABCDEFGH" {
        "ABCDEFGJ"
    } else {
        "ABCDEFGH"
    };
    for (method, path, body) in [
        (Method::GET, format!("/api/classes/{unknown}/info"), None),
        (Method::GET, format!("/api/classes/{unknown}"), None),
        (
            Method::POST,
            format!("/api/classes/{unknown}/join"),
            Some(json!({"profile": ANA, "name": "Ana"})),
        ),
    ] {
        let (status, body) = call(&s, method, &path, Some("key"), body).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["error_type"], "not_found");
        assert!(body["error"].as_str().unwrap().contains(unknown), "{body}");
    }
    let join = format!("/api/classes/{code}/join");
    for (path, body, status) in [
        ("/api/classes/NOPE/info".to_string(), None, 400),
        ("/api/classes".into(), Some(json!({"name": ""})), 400),
        (
            "/api/classes".into(),
            Some(json!({"name": "x".repeat(61)})),
            400,
        ),
        ("/api/classes".into(), Some(json!({"title": "x"})), 400),
        (
            join.clone(),
            Some(json!({"profile": "bad id", "name": "Ana"})),
            400,
        ),
        (join.clone(), Some(json!({"profile": ANA})), 400),
        (
            join.clone(),
            Some(json!({"profile": ANA, "name": "a\u{7}b"})),
            400,
        ),
    ] {
        let method = if body.is_some() {
            Method::POST
        } else {
            Method::GET
        };
        let (got, answer) = call(&s, method, &path, None, body.clone()).await;
        assert_eq!(got.as_u16(), status, "{path} {body:?}: {answer}");
        assert!(answer["error"].is_string());
    }
    let (status, _) = call(&s, Method::GET, "/api/classes?profile=no", None, None).await;
    assert_eq!(status, 400);
    let (_, info) = call(
        &s,
        Method::GET,
        &format!("/api/classes/{code}/info"),
        None,
        None,
    )
    .await;
    assert_eq!(info["members"], 0, "nothing was joined");
}
