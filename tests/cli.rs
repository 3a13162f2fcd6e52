//! The binary as a user runs it: exit codes and error lines for bad input, and `transcribe` on
//! the HELLO WORLD and KINDNESS clips.

use std::path::PathBuf;
use std::process::Command;

fn data_dir() -> PathBuf {
    match std::env::var_os("SIGNBRIDGE_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
    }
}

fn signbridge(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_signbridge"))
        .args(args)
        .output()
        .expect("signbridge runs")
}

#[test]
fn detect_reports_an_unreadable_file_and_still_processes_the_rest() {
    let garbage = std::env::temp_dir().join(format!("not-an-image-{}.jpg", std::process::id()));
    std::fs::write(&garbage, b"this is not a JPEG").unwrap();
    let photo = data_dir().join("images/letters/A/A0.jpg");
    let out = signbridge(&[
        "detect",
        "--json",
        garbage.to_str().unwrap(),
        photo.to_str().unwrap(),
    ]);
    std::fs::remove_file(&garbage).unwrap();
    assert!(
        !out.status.success(),
        "a bad file makes the exit status non-zero"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["error_type"], "unsupported_type");
    assert_eq!(
        lines[1]["hands"].as_array().unwrap().len(),
        1,
        "{}",
        lines[1]
    );
    assert_eq!(
        lines[1]["hands"][0]["landmarks"].as_array().unwrap().len(),
        21
    );
}

#[test]
fn classify_gives_no_letter_to_photos_without_a_hand() {
    let photo = data_dir().join("images/negatives/banana.jpg");
    let out = signbridge(&["classify", "--json", photo.to_str().unwrap()]);
    assert!(out.status.success());
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(line["label"].is_null(), "{line}");
}

#[test]
fn transcribe_reads_hello_world_from_the_clip() {
    let clip = data_dir().join("video/HELLO_WORLD_dev_keptsecret_448.mjpeg");
    let out = signbridge(&["transcribe", clip.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().last(), Some("HELLO WORLD"));
}

/// Issue 17: the real fingerspelling clip spells KINDNESS, its second S a bounce of the first.
#[test]
fn transcribe_reads_the_double_s_of_kindness_from_its_bounce() {
    let clip = data_dir().join("video/asl_hand_620x1080_325f.mjpeg");
    let out = signbridge(&["transcribe", "--fps", "25", clip.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().last(), Some("KINDNESS"));
}

#[test]
fn every_subcommand_that_loads_models_takes_the_same_models_dir_flag() {
    for command in [
        "detect",
        "classify",
        "calibrate",
        "transcribe",
        "train",
        "bench",
        "serve",
    ] {
        let out = signbridge(&[command, "--help"]);
        assert!(out.status.success(), "{command} --help");
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(
            help.contains("--models-dir <") && help.contains("SIGNBRIDGE_MODELS"),
            "{command} --help names --models-dir and SIGNBRIDGE_MODELS:\n{help}"
        );
    }
}

#[test]
fn every_subcommand_that_loads_models_takes_the_engine_flag() {
    for command in [
        "detect",
        "classify",
        "calibrate",
        "transcribe",
        "train",
        "bench",
        "serve",
    ] {
        let out = signbridge(&[command, "--help"]);
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(
            help.contains("--engine <") && help.contains("SIGNBRIDGE_ENGINE"),
            "{command} --help names --engine and SIGNBRIDGE_ENGINE:\n{help}"
        );
    }
    let out = signbridge(&["detect", "--engine", "onnx", "x.jpg"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown engine is a usage error"
    );
}

/// Without pip (and without a cached library), `auto` runs on tract and says why on stderr,
/// with how to get LiteRT; `--engine litert` fails with the same reason.
#[test]
fn without_pip_auto_runs_on_tract_and_says_how_to_get_litert() {
    let cache = match std::env::var_os("SIGNBRIDGE_MODELS") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let home = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache"));
            home.join("signbridge/models")
        }
    };
    // The models only (the other tests have fetched them), not the LiteRT library.
    let models = std::env::temp_dir().join(format!("sb-no-pip-{}", std::process::id()));
    std::fs::create_dir_all(&models).unwrap();
    let photo = data_dir().join("images/letters/B/B0.jpg");
    let first = signbridge(&["detect", photo.to_str().unwrap()]);
    assert!(first.status.success(), "models fetched");
    for name in ["palm_detection_full.tflite", "hand_landmark_full.tflite"] {
        std::fs::copy(cache.join(name), models.join(name)).unwrap();
    }
    let run = |engine: &str| {
        Command::new(env!("CARGO_BIN_EXE_signbridge"))
            .args(["detect", "--engine", engine, "--models-dir"])
            .arg(&models)
            .arg(&photo)
            .env("PATH", "/nonexistent")
            .output()
            .expect("signbridge runs")
    };
    let auto = run("auto");
    let stderr = String::from_utf8_lossy(&auto.stderr);
    assert!(auto.status.success(), "{stderr}");
    assert!(
        String::from_utf8_lossy(&auto.stdout).contains("1 hand(s)"),
        "tract found the hand"
    );
    assert!(
        stderr.contains("running on tract") && stderr.contains("install pip"),
        "{stderr}"
    );
    let litert = run("litert");
    assert!(!litert.status.success());
    assert!(
        String::from_utf8_lossy(&litert.stderr).contains("install pip"),
        "{}",
        String::from_utf8_lossy(&litert.stderr)
    );
    std::fs::remove_dir_all(&models).unwrap();
}

/// Label folders and the photos (under `images/`) each holds.
type Folders<'a> = Vec<(&'a str, &'a [&'a str])>;

/// A calibration folder in a temp dir: `label -> photos` linked from `images/letters` (read in
/// place, never copied).
fn calibration_dir(name: &str, folders: &[(&str, &[&str])]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sb-cal-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (label, photos) in folders {
        let sub = dir.join(label);
        std::fs::create_dir_all(&sub).unwrap();
        for photo in *photos {
            let from = data_dir().join("images").join(photo);
            let to = sub.join(std::path::Path::new(photo).file_name().unwrap());
            std::os::unix::fs::symlink(from, to).unwrap();
        }
    }
    dir
}

/// `calibrate` keeps each folder's hands under its label and says how many; `classify --profile`
/// then reads with them: here a signer whose R looks like the shipped B gets R for a B-shaped
/// hand, and the same photo without the profile still reads B.
#[test]
fn calibrate_makes_a_profile_that_classify_reads_with() {
    let dir = calibration_dir(
        "ok",
        &[
            (
                "A",
                &["letters/A/A0.jpg", "letters/A/A1.jpg", "letters/A/A2.jpg"],
            ),
            (
                "R",
                &[
                    "letters/B/B0.jpg",
                    "letters/B/B1.jpg",
                    "negatives/banana.jpg",
                ],
            ),
            (
                "space",
                &["letters/Space/Space0.jpg", "letters/Space/Space1.jpg"],
            ),
        ],
    );
    let profile = dir.join("profile.json");
    let out = signbridge(&[
        "calibrate",
        "--out",
        profile.to_str().unwrap(),
        dir.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("A: kept 3 of 3"), "{stdout}");
    assert!(stdout.contains("R: kept 2 of 3"), "{stdout}");
    assert!(stdout.contains("space: kept 2 of 2"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("banana.jpg: no hand found"));
    let text = std::fs::read_to_string(&profile).unwrap();
    assert!(
        !text.contains("jpg") && text.contains("\"R\""),
        "landmarks only: {text:.200}"
    );

    let b = data_dir().join("images/letters/B/B5.jpg");
    let read = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["classify", "--json"];
        args.extend_from_slice(extra);
        args.push(b.to_str().unwrap());
        let out = signbridge(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    assert_eq!(read(&[])["label"], "B");
    assert_eq!(
        read(&["--profile", profile.to_str().unwrap()])["label"],
        "R"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn calibration_input_that_cannot_be_used_is_an_error_naming_it() {
    let cases: Vec<(&str, Folders, &str)> = vec![
        (
            "unknown",
            vec![("Hello", &["letters/A/A0.jpg"])],
            "unknown label \"Hello\"",
        ),
        ("empty", vec![("A", &[])], "empty folder"),
        (
            "nohand",
            vec![("C", &["negatives/banana.jpg"])],
            "no usable hand",
        ),
        ("none", vec![], "no label folders"),
    ];
    for (name, folders, expected) in cases {
        let dir = calibration_dir(name, &folders);
        std::fs::create_dir_all(&dir).unwrap();
        let out = signbridge(&[
            "calibrate",
            "--out",
            dir.join("p.json").to_str().unwrap(),
            dir.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}");
        assert!(
            stderr.contains(expected) && stderr.contains(&*dir.to_string_lossy()),
            "{name}: {stderr}"
        );
        assert!(!dir.join("p.json").exists(), "{name}: no profile written");
        std::fs::remove_dir_all(dir).unwrap();
    }
    let bad = std::env::temp_dir().join(format!("sb-bad-profile-{}.json", std::process::id()));
    for text in [
        "{\"format\":1",
        "{\"format\":1,\"examples\":{\"Hello\":[]}}",
    ] {
        std::fs::write(&bad, text).unwrap();
        let photo = data_dir().join("images/letters/B/B5.jpg");
        let out = signbridge(&[
            "classify",
            "--profile",
            bad.to_str().unwrap(),
            photo.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            stderr.contains(&*bad.to_string_lossy())
                && stderr.contains("not a usable calibration profile"),
            "{stderr}"
        );
    }
    std::fs::remove_file(bad).unwrap();
}

#[test]
fn serve_without_its_postgres_exits_non_zero_naming_the_url_without_the_password() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let url = format!("postgres://app:topsecret@127.0.0.1:{port}/signbridge");
    let out = Command::new(env!("CARGO_BIN_EXE_signbridge"))
        .args(["serve", "--port", "0"])
        .env("SIGNBRIDGE_DATABASE_URL", &url)
        .output()
        .expect("signbridge runs");
    assert!(!out.status.success(), "no server without its database");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "cannot use PostgreSQL at postgres://app:***@127.0.0.1:{port}/signbridge"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("topsecret"), "{stderr}");
}
