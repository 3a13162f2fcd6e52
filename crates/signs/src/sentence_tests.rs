//! Tests of the sentence builder's rules, and the HELLO WORLD clip simulated at several rates.

use super::*;
use crate::rng::Rng;

fn pred(label: &str, confidence: f32) -> Prediction {
    Prediction {
        label: label.to_string(),
        confidence,
        top: vec![(label.to_string(), confidence)],
    }
}

/// Feed `label` (None = no hand) every `step` ms over [from, to); returns the commits.
fn feed(
    b: &mut SentenceBuilder,
    label: Option<&str>,
    from: u64,
    to: u64,
    step: u64,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut t = from;
    while t < to {
        let p = label.map(|l| pred(l, 0.95));
        out.extend(b.observe(t, p.as_ref()));
        t += step;
    }
    out
}

#[test]
fn a_sign_held_for_the_hold_time_is_committed_once() {
    let mut b = SentenceBuilder::default();
    assert!(feed(&mut b, Some("A"), 0, 550, 50).is_empty());
    assert_eq!(feed(&mut b, Some("A"), 550, 3000, 50), vec!["A"]);
    assert_eq!(b.state().current_word, "A");
}

#[test]
fn same_hold_time_at_5_and_30_fps() {
    for step in [200, 33] {
        let mut b = SentenceBuilder::default();
        let commits = feed(&mut b, Some("B"), 0, 590, step);
        assert!(commits.is_empty(), "step {step}");
        assert_eq!(
            feed(&mut b, Some("B"), 590 + 10, 700, step).len(),
            1,
            "step {step}"
        );
    }
}

#[test]
fn a_short_hand_off_rearms_a_repeated_letter() {
    let mut b = SentenceBuilder::default();
    feed(&mut b, Some("L"), 0, 1500, 100);
    feed(&mut b, None, 1500, 1600, 100); // one no-hand frame
    feed(&mut b, Some("L"), 1600, 3100, 100);
    assert_eq!(b.state().current_word, "LL");
}

#[test]
fn without_a_break_a_held_letter_is_not_repeated() {
    let mut b = SentenceBuilder::default();
    feed(&mut b, Some("L"), 0, 5000, 33);
    assert_eq!(b.state().current_word, "L");
}

#[test]
fn a_stable_other_handshape_rearms_but_one_wrong_frame_does_not() {
    let mut b = SentenceBuilder::default();
    feed(&mut b, Some("S"), 0, 1000, 100);
    feed(&mut b, Some("A"), 1000, 1100, 100); // a single wrong frame
    feed(&mut b, Some("S"), 1100, 2000, 100);
    assert_eq!(b.state().current_word, "S");
    feed(&mut b, Some("A"), 2000, 2400, 100); // A for 0.3-0.4 s: too short to commit, re-arms S
    feed(&mut b, Some("S"), 2400, 3100, 100);
    assert_eq!(b.state().current_word, "SS");
}

#[test]
fn a_single_wrong_frame_does_not_reset_the_hold() {
    let mut b = SentenceBuilder::default();
    feed(&mut b, Some("K"), 0, 400, 200);
    feed(&mut b, Some("V"), 400, 600, 200);
    assert_eq!(feed(&mut b, Some("K"), 600, 800, 200), vec!["K"]);
}

#[test]
fn sparse_frames_still_commit_after_the_hold_time() {
    let mut b = SentenceBuilder::default();
    assert!(feed(&mut b, Some("Y"), 0, 1000, 500).is_empty());
    assert_eq!(feed(&mut b, Some("Y"), 1000, 1100, 500), vec!["Y"]);
}

#[test]
fn unsure_frames_of_the_held_sign_count_as_half_votes() {
    let mut b = SentenceBuilder::default();
    // G confident, then unsure G frames and one confident wrong frame: G still wins.
    b.observe(0, Some(&pred("G", 0.9)));
    b.observe(200, Some(&pred("Q", 0.9)));
    b.observe(400, Some(&pred("G", 0.5)));
    b.observe(600, Some(&pred("G", 0.5)));
    assert_eq!(b.observe(800, Some(&pred("G", 0.9))).as_deref(), Some("G"));
}

#[test]
fn scattered_wrong_frames_do_not_win_a_majority() {
    let mut b = SentenceBuilder::default();
    for (i, l) in ["H", "F", "T", "F", "I", "H", "F"].iter().enumerate() {
        b.observe(i as u64 * 200, Some(&pred(l, 0.9)));
    }
    assert_eq!(b.state().full_sentence, "");
}

#[test]
fn low_confidence_frames_do_not_commit() {
    let mut b = SentenceBuilder::default();
    for t in (0..2000).step_by(100) {
        b.observe(t, Some(&pred("C", 0.5)));
    }
    assert_eq!(b.state().full_sentence, "");
}

#[test]
fn no_hand_for_the_idle_time_ends_the_word() {
    let mut b = SentenceBuilder::default();
    feed(&mut b, Some("H"), 0, 1000, 100);
    feed(&mut b, Some("I"), 1000, 2000, 100);
    assert!(feed(&mut b, None, 2000, 2900, 100).is_empty());
    assert_eq!(feed(&mut b, None, 2900, 3100, 100), vec![SPACE]);
    assert_eq!(b.state().words, vec!["HI"]);
    assert_eq!(b.state().current_word, "");
}

#[test]
fn a_resting_hand_ends_the_word_too() {
    let mut b = SentenceBuilder::default();
    feed(&mut b, Some("O"), 0, 1000, 100);
    feed(&mut b, Some(NOTHING), 1000, 2200, 100);
    assert_eq!(b.state().words, vec!["O"]);
}

#[test]
fn space_and_delete_signs_edit_the_text() {
    let mut b = SentenceBuilder::default();
    feed(&mut b, Some("A"), 0, 1000, 100);
    feed(&mut b, Some("B"), 1000, 2000, 100);
    feed(&mut b, Some(DELETE), 2000, 3000, 100);
    assert_eq!(b.state().current_word, "A");
    feed(&mut b, Some(SPACE), 3000, 4000, 100);
    assert_eq!(b.state().words, vec!["A"]);
    assert_eq!(b.state().full_sentence, "A");
}

#[test]
fn explicit_operations() {
    let mut b = SentenceBuilder::default();
    b.push_letter("H");
    b.push_letter("I");
    b.space();
    b.push_letter("Y");
    assert_eq!(b.state().full_sentence, "HI Y");
    b.backspace();
    b.backspace();
    assert_eq!(b.state().current_word, "H");
    assert!(b.state().words.is_empty());
    b.clear();
    assert_eq!(b.state().full_sentence, "");
    assert_eq!(b.config(), &SentenceConfig::default());
}

#[test]
fn timestamps_going_backwards_are_clamped() {
    let mut b = SentenceBuilder::default();
    b.observe(1000, Some(&pred("W", 0.9)));
    b.observe(10, Some(&pred("W", 0.9)));
    assert!(b.observe(1700, Some(&pred("W", 0.9))).is_some());
}

/// The HELLO WORLD clip's timeline from `shared/data/video`, as (label, first, last) frames.
fn timeline() -> Vec<(String, u64, u64)> {
    let path = crate::dataset::default_data_dir()
        .join("video/HELLO_WORLD_dev_keptsecret_448.timeline.json");
    let text = std::fs::read_to_string(&path).expect("timeline file in shared/data");
    let v: serde_json::Value = serde_json::from_str(&text).expect("timeline JSON");
    v["timeline"]
        .as_array()
        .expect("timeline array")
        .iter()
        .map(|e| {
            (
                e["label"].as_str().unwrap_or_default().to_string(),
                e["first_frame"].as_u64().unwrap_or(0),
                e["last_frame"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// Play the clip sampled every `step_ms`, with 10% wrong and 10% low-confidence frames.
fn play(step_ms: u64, seed: u64) -> String {
    let tl = timeline();
    let end_ms = (tl.last().map(|e| e.2).unwrap_or(0) + 1) * 1000 / 30;
    let mut rng = Rng::new(seed);
    let mut b = SentenceBuilder::default();
    let mut t = 0;
    while t < end_ms {
        let frame = t * 30 / 1000;
        let label = tl
            .iter()
            .find(|e| e.1 <= frame && frame <= e.2)
            .map(|e| e.0.clone())
            .unwrap_or_default();
        let p = if label.starts_with('_') {
            None
        } else {
            let r = rng.uniform();
            Some(if r < 0.1 {
                let wrong = crate::labels::LETTERS[rng.below(24)];
                pred(wrong, 0.8)
            } else if r < 0.2 {
                pred(&label, 0.4)
            } else {
                pred(&label, 0.9)
            })
        };
        b.observe(t, p.as_ref());
        t += step_ms;
    }
    b.state().full_sentence
}

#[test]
fn hello_world_clip_at_5_10_and_30_fps() {
    for step in [200, 100, 33] {
        for seed in 0..20 {
            assert_eq!(
                play(step, seed),
                "HELLO WORLD",
                "step {step} ms, seed {seed}"
            );
        }
    }
}

#[test]
fn a_restored_sentence_continues_with_its_words_and_current_word() {
    let mut b = SentenceBuilder::new(SentenceConfig::default());
    b.restore(vec!["HELLO".into()], "WO".into());
    assert_eq!(b.state().full_sentence, "HELLO WO");
    let commits = feed(&mut b, Some("R"), 0, 1000, 100);
    assert_eq!(commits, vec!["R".to_string()]);
    assert_eq!(b.state().full_sentence, "HELLO WOR");
    b.backspace();
    b.backspace();
    b.backspace();
    b.backspace();
    assert_eq!(
        b.state().words,
        Vec::<String>::new(),
        "backspace reopens the restored word"
    );
    assert_eq!(b.state().current_word, "HELL");
}
