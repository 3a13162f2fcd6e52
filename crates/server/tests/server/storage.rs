//! Durable state on both backends (issue 16): the same checks against SQLite and PostgreSQL,
//! sessions that come back on another server sharing PostgreSQL, and PostgreSQL that is
//! missing at start or lost while serving. PostgreSQL is started by `scripts/pg.sh`; without
//! it installed these tests skip with a message, except under `CI=true`, where they fail.

use std::time::{Duration, Instant};

use futures_util::SinkExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use signbridge_server::storage::{
    Activity, Attempt, ClassRecord, Location, NewExamples, SavedSentence, SessionKey, Storage,
};
use signbridge_server::wire::SessionKind;
use signbridge_server::Config;
use tokio_tungstenite::tungstenite::Message;

use crate::common::{next_reply, plain_jpeg, upload, Postgres, TestServer, Ws};

const TTL: Duration = Duration::from_secs(1800);

fn attempt(letter: &str, correct: bool, id: Option<&str>) -> Attempt {
    Attempt {
        profile: "learner-0001".into(),
        letter: letter.into(),
        correct,
        score: 0.9,
        attempt_id: id.map(str::to_string),
    }
}

/// What both backends must do alike.
async fn behaves_as_storage(location: Location) {
    let db = Storage::open(&location, TTL).await.expect("opens");
    for (i, ok) in [true, true, false, true].into_iter().enumerate() {
        let id = format!("attempt-{i:04}");
        db.record(attempt("A", ok, Some(&id))).await.unwrap();
    }
    // A retry of a stored attempt changes nothing; attempts without an id all count.
    let p = db
        .record(attempt("A", true, Some("attempt-0003")))
        .await
        .unwrap();
    assert_eq!(p.letters["A"].attempts, 4, "the retry is stored once");
    db.record(attempt("B", false, None)).await.unwrap();
    let p = db.record(attempt("B", true, None)).await.unwrap();
    let a = &p.letters["A"];
    assert_eq!(
        (a.attempts, a.correct, a.streak, a.best_streak),
        (4, 3, 1, 2)
    );
    assert_eq!((p.total_attempts, p.total_correct), (6, 4));
    assert_eq!(db.progress("learner-0001".into()).await.unwrap(), p);
    assert_eq!(
        db.progress("nobody-0001".into())
            .await
            .unwrap()
            .total_attempts,
        0
    );

    // Sentences: versioned, per kind of session, absent until saved.
    let id = "0123456789abcdef0123456789abcdef";
    let http = SessionKey::new(SessionKind::Http, id);
    let ws = SessionKey::new(SessionKind::Ws, id);
    assert_eq!(db.load_sentence(&http).await.unwrap(), None);
    let hello = SavedSentence {
        words: vec!["HELLO".into()],
        current_word: "WO".into(),
    };
    assert_eq!(db.save_sentence(&http, &hello).await.unwrap(), 1);
    let more = SavedSentence {
        current_word: "WOR".into(),
        ..hello.clone()
    };
    assert_eq!(db.save_sentence(&http, &more).await.unwrap(), 2);
    let back = db.load_sentence(&http).await.unwrap().expect("saved");
    assert_eq!((back.sentence, back.version), (more, 2));
    assert_eq!(
        db.load_sentence(&ws).await.unwrap(),
        None,
        "kinds are apart"
    );
    assert_eq!(db.forget_expired().await.unwrap(), 0, "nothing is old yet");

    // Calibration examples: added, bounded per label (newest kept), redone, deleted, per profile.
    let hand = |v: f32| [[v, 1.0 - v, 0.5 * v]; 21];
    let new = |profile: &str, label: &str, hands: Vec<[[f32; 3]; 21]>, replace| NewExamples {
        profile: profile.into(),
        label: label.into(),
        hands,
        replace,
        source: "calibration",
    };
    let e = db
        .add_examples(
            new(
                "learner-0001",
                "R",
                vec![hand(0.1), hand(0.2), hand(0.3)],
                false,
            ),
            2,
        )
        .await
        .unwrap();
    assert_eq!(
        e["R"],
        vec![hand(0.2), hand(0.3)],
        "the newest two, oldest first"
    );
    db.add_examples(new("learner-0001", "A", vec![hand(0.4)], false), 2)
        .await
        .unwrap();
    db.add_examples(new("learner-0002", "A", vec![hand(0.9)], false), 2)
        .await
        .unwrap();
    let e = db
        .add_examples(new("learner-0001", "R", vec![hand(0.5)], true), 2)
        .await
        .unwrap();
    assert_eq!(
        (e["R"].clone(), e["A"].clone()),
        (vec![hand(0.5)], vec![hand(0.4)])
    );
    assert_eq!(
        db.delete_examples("learner-0001".into(), Some("A".into()))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        db.delete_examples("learner-0001".into(), None)
            .await
            .unwrap(),
        1
    );
    assert!(db
        .calibration("learner-0001".into())
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        db.calibration("learner-0002".into()).await.unwrap()["A"],
        vec![hand(0.9)],
        "another profile's examples are untouched"
    );

    // Activities: stored once per id, newest first; attempts counted per day.
    let activity = |at: i64, id: Option<&str>| Activity {
        profile: "learner-0001".into(),
        kind: "drill".into(),
        name: "words".into(),
        letters: 10,
        correct: 8,
        duration_ms: 60_000,
        at,
        activity_id: id.map(str::to_string),
    };
    assert!(db
        .record_activity(activity(10, Some("activity-01")))
        .await
        .unwrap());
    assert!(!db
        .record_activity(activity(11, Some("activity-01")))
        .await
        .unwrap());
    assert!(db.record_activity(activity(12, None)).await.unwrap());
    let listed = db.activities("learner-0001".into(), 5).await.unwrap();
    assert_eq!(listed.iter().map(|a| a.at).collect::<Vec<_>>(), [12, 10]);
    let days = db.practice_days("learner-0001".into(), 0, 0).await.unwrap();
    assert_eq!(
        days.iter().map(|(_, n)| n).sum::<u64>(),
        6,
        "every stored attempt (the retry is not one), on its day"
    );

    // Classes: a code is taken once; members join (renaming on a second join), leave.
    let class = ClassRecord {
        code: "ABCDEF23".into(),
        name: "Club".into(),
        teacher_key_hash: "h".repeat(64),
        created_at: 1,
    };
    assert!(db.create_class(class.clone()).await.unwrap());
    assert!(
        !db.create_class(class.clone()).await.unwrap(),
        "the code is taken"
    );
    assert_eq!(db.class("ABCDEF23".into()).await.unwrap(), Some(class));
    assert_eq!(db.class("ZZZZZZZZ".into()).await.unwrap(), None);
    for (profile, name) in [
        ("learner-0001", "Ana"),
        ("learner-0002", "Ben"),
        ("learner-0001", "Ana B."),
    ] {
        db.join_class("ABCDEF23".into(), profile.into(), name.into())
            .await
            .unwrap();
    }
    let members = db.members("ABCDEF23".into()).await.unwrap();
    let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["Ana B.", "Ben"]);
    let mine = db.memberships("learner-0001".into()).await.unwrap();
    assert_eq!((mine.len(), mine[0].class_name.as_str()), (1, "Club"));
    assert!(db
        .leave_class("ABCDEF23".into(), "learner-0002".into())
        .await
        .unwrap());
    assert!(!db
        .leave_class("ABCDEF23".into(), "learner-0002".into())
        .await
        .unwrap());
    assert_eq!(db.members("ABCDEF23".into()).await.unwrap().len(), 1);

    // Opening again (another replica, a restart) migrates nothing twice and keeps the rows.
    let again = Storage::open(&location, TTL).await.expect("opens again");
    assert_eq!(again.progress("learner-0001".into()).await.unwrap(), p);
    assert_eq!(
        again.load_sentence(&http).await.unwrap().unwrap().version,
        2
    );
}

#[tokio::test]
async fn storage_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    behaves_as_storage(Location::Sqlite(dir.path().join("s.sqlite3"))).await;
}

#[tokio::test]
async fn storage_on_postgres() {
    let Some(pg) = Postgres::start("storage_on_postgres") else {
        return;
    };
    let location = Location::Postgres(Box::new(pg.url.parse().unwrap()));
    behaves_as_storage(location).await;
}

/// `POST /predict-and-build` of session `id` until the stub's A is committed.
async fn build_until_committed(s: &TestServer, id: &str) -> Value {
    for _ in 0..60 {
        let r = reqwest::Client::new()
            .post(s.url("/predict-and-build"))
            .header("X-Session-Id", id)
            .multipart(upload(plain_jpeg(), "a.jpg", "image/jpeg"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        if body["committed"].is_string() {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("holding A for 60 uploads never committed it");
}

async fn sentence(s: &TestServer, id: &str, op: Option<&str>) -> Value {
    let client = reqwest::Client::new();
    let r = match op {
        None => client.get(s.url("/sentence")),
        Some(op) => client.post(s.url(op)),
    };
    let r = r.header("X-Session-Id", id).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn an_http_session_continues_on_another_server_sharing_postgres() {
    let Some(pg) = Postgres::start("an_http_session_continues_on_another_server") else {
        return;
    };
    let flags = ["--database-url", pg.url.as_str()];
    let a = TestServer::start(&flags).await.ready().await;
    let b = TestServer::start(&flags).await.ready().await;
    let id = "shared-session-0001";
    build_until_committed(&a, id).await;
    assert_eq!(sentence(&a, id, None).await["full_sentence"], "A");
    // B never saw this session: it reads it from PostgreSQL.
    assert_eq!(sentence(&b, id, None).await["full_sentence"], "A");
    // An edit on B is seen by A, which held the session all along.
    let spaced = sentence(&b, id, Some("/sentence/space")).await;
    assert_eq!(
        (spaced["words"].clone(), spaced["current_word"].clone()),
        (json!(["A"]), json!(""))
    );
    let on_a = sentence(&a, id, None).await;
    assert_eq!(on_a["words"], json!(["A"]), "{on_a}");
    assert_eq!(on_a["current_word"], "", "{on_a}");
    // An unknown id is a new, empty session, as on one server.
    assert_eq!(
        sentence(&b, "never-seen-0001", None).await["full_sentence"],
        ""
    );
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

/// Connects (resuming `session` if given) and returns the socket and its `session` message.
async fn open_ws(s: &TestServer, session: Option<&str>) -> (Ws, Value) {
    let url = match session {
        Some(id) => format!("{}?session={id}", s.ws_base),
        None => s.ws_url.clone(),
    };
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let opening = next_reply(&mut ws).await;
    assert_eq!(opening["type"], "session", "{opening}");
    (ws, opening)
}

/// A WebSocket resumes on another server (the sentence continues), and an unknown id is told
/// it got a new session; `servers` may be one server twice.
async fn websocket_resumes(a: &TestServer, b: &TestServer) {
    let (mut ws, opening) = open_ws(a, None).await;
    assert_eq!(opening["status"], "new");
    let id = opening["session"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32, "an unguessable id: {opening}");
    for _ in 0..60 {
        ws.send(Message::Binary(plain_jpeg().into())).await.unwrap();
        let reply = next_reply(&mut ws).await;
        if reply["committed"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ws.send(Message::text(r#"{"type":"space"}"#)).await.unwrap();
    assert_eq!(next_reply(&mut ws).await["words"], json!(["A"]));
    ws.close(None).await.unwrap();
    // The text is stored by the connection's writer task, right after the change.
    let started = Instant::now();
    let resumed = loop {
        let (ws, opening) = open_ws(b, Some(&id)).await;
        assert_eq!(opening["status"], "resumed", "{opening}");
        if opening["words"] == json!(["A"]) {
            break (ws, opening);
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "never resumed: {opening}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let (mut ws, opening) = resumed;
    assert_eq!(opening["session"], id.as_str());
    assert_eq!(opening["words"], json!(["A"]), "{opening}");
    // It goes on from there: a backspace reopens the resumed word.
    ws.send(Message::text(r#"{"type":"backspace"}"#))
        .await
        .unwrap();
    let after = next_reply(&mut ws).await;
    assert_eq!(
        (after["words"].clone(), after["full_sentence"].clone()),
        (json!([]), json!(""))
    );
    let (_, unknown) = open_ws(b, Some("0000000000000000ffffffffffffffff")).await;
    assert_eq!(unknown["status"], "expired", "{unknown}");
    assert_ne!(unknown["session"], "0000000000000000ffffffffffffffff");
    let (_, garbage) = open_ws(b, Some("not%20an%20id")).await;
    assert_eq!(garbage["status"], "expired", "{garbage}");
}

#[tokio::test]
async fn a_websocket_resumes_its_sentence_after_a_reconnect() {
    let s = TestServer::start(&[]).await.ready().await;
    websocket_resumes(&s, &s).await;
    s.stop().await.unwrap();
}

#[tokio::test]
async fn a_websocket_resumes_on_another_server_sharing_postgres() {
    let Some(pg) = Postgres::start("a_websocket_resumes_on_another_server") else {
        return;
    };
    let flags = ["--database-url", pg.url.as_str()];
    let a = TestServer::start(&flags).await.ready().await;
    let b = TestServer::start(&flags).await.ready().await;
    websocket_resumes(&a, &b).await;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

#[tokio::test]
async fn unreachable_postgres_at_start_is_an_error_naming_the_url_without_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://app:s3cret-pw@127.0.0.1:{port}/signbridge");
    let config = Config::from_flags(["--port", "0", "--database-url", &url]).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let started = Instant::now();
    let result = tokio::time::timeout(
        Duration::from_secs(20),
        signbridge_server::serve(
            config,
            || Ok(signbridge_server::Models::stub("A", Duration::ZERO)),
            listener,
            std::future::pending(),
        ),
    )
    .await
    .expect("fails instead of hanging");
    let err = format!("{:#}", result.expect_err("no server without its database"));
    assert!(
        err.contains(&format!("postgres://app:***@127.0.0.1:{port}/signbridge")),
        "{err}"
    );
    assert!(!err.contains("s3cret-pw"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

async fn record(s: &TestServer, n: u32) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(s.url("/api/progress/attempt"))
        .json(
            &json!({"profile": "learner-0001", "target": "A", "correct": true,
            "score": 0.9, "attempt_id": format!("attempt-{n:04}")}),
        )
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

#[tokio::test]
async fn postgres_lost_while_serving_is_503_for_writes_and_recognition_goes_on() {
    let Some(pg) = Postgres::start("postgres_lost_while_serving") else {
        return;
    };
    let s = TestServer::start(&["--database-url", pg.url.as_str()])
        .await
        .ready()
        .await;
    assert_eq!(record(&s, 1).await.0, 200);
    pg.stop();
    let (status, body) = record(&s, 2).await;
    assert_eq!(
        (status, body["error_type"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("storage_unavailable")),
        "{body}"
    );
    // Recognition does not need the database: image mode, a session's frames, the WebSocket.
    let r = reqwest::Client::new()
        .post(s.url("/predict-image"))
        .multipart(upload(plain_jpeg(), "a.jpg", "image/jpeg"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let built = build_until_committed(&s, "offline-session-01").await;
    assert_eq!(built["full_sentence"], "A");
    let (mut ws, opening) = open_ws(&s, None).await;
    assert_eq!(opening["status"], "new");
    ws.send(Message::Binary(plain_jpeg().into())).await.unwrap();
    assert_eq!(next_reply(&mut ws).await["type"], "prediction");
    // Back: writes resume (the pool replaces its dead connections), nothing was lost.
    pg.restart();
    let started = Instant::now();
    let body = loop {
        let (status, body) = record(&s, 3).await;
        if status == 200 {
            break body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "writes did not resume: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(body["total_attempts"], 2, "{body}");
    s.stop().await.unwrap();
}
