//! One interpreter session: the classifier, the motion trackers (J and Z, double letters) and
//! the sentence builder fed from a single stream of frames (one WebSocket connection, one video).

use crate::bounce::BounceTracker;
use crate::calibration::Calibrated;
use crate::classifier::{Classifier, LetterReader, Prediction};
use crate::features::Hand;
use crate::motion::MotionTracker;
use crate::sentence::{SentenceBuilder, SentenceConfig, SentenceState};
use serde::Serialize;
use std::sync::Arc;

/// What one frame did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrameResult {
    /// The static classification of the frame's hand (`None`: no hand).
    pub prediction: Option<Prediction>,
    /// What the frame committed: a letter, `"space"` (word ended) or `"delete"`.
    pub committed: Option<String>,
    pub state: SentenceState,
}

/// The base handshape whose just-committed letter a motion letter replaces.
fn base_of(motion_letter: &str) -> &'static str {
    if motion_letter == "J" {
        "I"
    } else {
        "D"
    }
}

/// Classifier + motion + sentence for one stream. The classifier is shared between sessions.
#[derive(Debug, Clone)]
pub struct Session {
    classifier: Arc<Classifier>,
    /// The signer's calibration, when they have one: it reads the letters instead.
    calibration: Option<Arc<Calibrated>>,
    motion: MotionTracker,
    bounce: BounceTracker,
    builder: SentenceBuilder,
    /// Signs committed by the builder and when, oldest first, over the motion window.
    commits: Vec<(String, u64)>,
}

impl Session {
    /// A new session.
    pub fn new(classifier: Arc<Classifier>, config: SentenceConfig) -> Session {
        Session {
            classifier,
            calibration: None,
            motion: MotionTracker::default(),
            bounce: BounceTracker::default(),
            builder: SentenceBuilder::new(config),
            commits: Vec::new(),
        }
    }

    /// Reads letters with a signer's calibration from now on (`None`: the shipped model).
    pub fn set_calibration(&mut self, calibration: Option<Arc<Calibrated>>) {
        self.calibration = calibration;
    }

    /// What reads the letters: the signer's calibration, or the shipped model.
    fn reader(&self) -> &dyn LetterReader {
        match &self.calibration {
            Some(c) => c.as_ref(),
            None => self.classifier.as_ref(),
        }
    }

    /// Feed one frame at `t_ms` with the hand seen (the first hand, if several), or `None`.
    pub fn observe(&mut self, t_ms: u64, hand: Option<&Hand>) -> FrameResult {
        let prediction = hand.map(|h| self.reader().classify(h));
        if let Some(moved) = self.bounce.observe(t_ms, hand) {
            self.builder.moved(moved.left_ms);
        }
        let mut committed = self.builder.observe(t_ms, prediction.as_ref());
        let window = crate::motion::MotionConfig::default().window_ms;
        self.commits
            .retain(|(_, at)| t_ms.saturating_sub(*at) <= window);
        if let Some(c) = &committed {
            self.commits.push((c.clone(), t_ms));
        }
        if let Some(letter) = self.motion.observe(t_ms, hand) {
            // The static classifier may have typed the base handshape (I for J, D for Z), once
            // or (re-armed by the moving hand) more, while the motion was under way: the motion
            // letter replaces them.
            let base = base_of(letter);
            while self.commits.last().is_some_and(|(c, _)| c == base)
                && self
                    .builder
                    .last_letter()
                    .is_some_and(|l| base.starts_with(l))
            {
                self.commits.pop();
                self.builder.backspace();
            }
            self.builder.push_motion_letter(letter, base);
            // The tracing moved the hand: that is no double letter.
            self.bounce.reset();
            self.commits.push((letter.to_string(), t_ms));
            committed = Some(letter.to_string());
        }
        FrameResult {
            prediction,
            committed,
            state: self.builder.state(),
        }
    }

    /// End the current word.
    pub fn space(&mut self) {
        self.builder.space();
    }

    /// Remove the last letter.
    pub fn backspace(&mut self) {
        self.builder.backspace();
    }

    /// Forget the text.
    pub fn clear(&mut self) {
        self.builder.clear();
        self.motion = MotionTracker::default();
        self.bounce.reset();
        self.commits.clear();
    }

    /// Continue a sentence typed earlier (in another process): its words and current word.
    pub fn restore(&mut self, words: Vec<String>, current: String) {
        self.clear();
        self.builder.restore(words, current);
    }

    /// The text so far.
    pub fn state(&self) -> SentenceState {
        self.builder.state()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sentence::SentenceBuilder;

    #[test]
    fn no_hand_frames_give_no_prediction() {
        let mut s = Session::new(
            Arc::new(Classifier::default_model()),
            SentenceConfig::default(),
        );
        let r = s.observe(0, None);
        assert!(r.prediction.is_none() && r.committed.is_none());
        assert_eq!(r.state.full_sentence, "");
    }

    #[test]
    fn a_held_medoid_handshape_types_its_letter() {
        let clf = Arc::new(Classifier::default_model());
        let Some(b) = clf.handshape("B").copied() else {
            panic!("model has a B handshape");
        };
        let mut s = Session::new(clf, SentenceConfig::default());
        for t in (0..1000).step_by(100) {
            s.observe(t, Some(&b));
        }
        assert_eq!(s.state().current_word, "B");
        s.space();
        s.backspace();
        assert_eq!(s.state().full_sentence, "");
    }

    /// The model's I handshape, scaled to ~100 px and moved so its little-finger tip is at (x, y).
    fn i_hand_at(clf: &Classifier, x: f32, y: f32) -> Hand {
        let Some(i) = clf.handshape("I") else {
            panic!("model has an I handshape");
        };
        let mut h = *i;
        let (tx, ty) = (i[20][0] * 100.0, i[20][1] * 100.0);
        for p in h.iter_mut() {
            *p = [p[0] * 100.0 - tx + x, p[1] * 100.0 - ty + y, 0.0];
        }
        h
    }

    #[test]
    fn a_j_traced_after_a_held_i_replaces_the_i() {
        let clf = Arc::new(Classifier::default_model());
        let mut s = Session::new(clf.clone(), SentenceConfig::default());
        let mut t = 0;
        // Hold I still: the static classifier types it.
        while t < 800 {
            s.observe(t, Some(&i_hand_at(&clf, 300.0, 200.0)));
            t += 50;
        }
        assert_eq!(s.state().current_word, "I");
        // Then trace the J: down one hand size, then hook sideways.
        let path = [(0.0, 0.5), (0.0, 1.0), (-0.3, 1.0), (-0.6, 0.8)];
        let mut committed = Vec::new();
        for (dx, dy) in path {
            for _ in 0..4 {
                let r = s.observe(
                    t,
                    Some(&i_hand_at(&clf, 300.0 + dx * 100.0, 200.0 + dy * 100.0)),
                );
                committed.extend(r.committed);
                t += 50;
            }
        }
        assert!(committed.contains(&"J".to_string()), "{committed:?}");
        assert_eq!(s.state().current_word, "J");
    }

    /// The model's `letter` handshape, about 100 px, its landmarks' centre at (x, y).
    fn shape_at(clf: &Classifier, letter: &str, x: f32, y: f32) -> Hand {
        let Some(shape) = clf.handshape(letter) else {
            panic!("model has a {letter} handshape");
        };
        let (cx, cy) = shape
            .iter()
            .fold((0.0, 0.0), |(a, b), p| (a + p[0] / 21.0, b + p[1] / 21.0));
        shape.map(|p| {
            [
                (p[0] - cx) * 100.0 + x,
                (p[1] - cy) * 100.0 + y,
                p[2] * 100.0,
            ]
        })
    }

    /// Hold `letter` at (300, 300) for a second, move its centre through `path` (hand sizes,
    /// one point per 40 ms frame), hold it a second where the path ends; returns the text.
    fn held_moved_held(letter: &str, path: &[(f32, f32)]) -> String {
        let clf = Arc::new(Classifier::default_model());
        let size = crate::features::hand_size(&shape_at(&clf, letter, 0.0, 0.0));
        let mut s = Session::new(clf.clone(), SentenceConfig::default());
        let mut frames: Vec<(f32, f32)> = vec![(0.0, 0.0); 25];
        frames.extend_from_slice(path);
        frames.extend(std::iter::repeat_n(*path.last().unwrap_or(&(0.0, 0.0)), 25));
        for (i, (dx, dy)) in frames.iter().enumerate() {
            let hand = shape_at(&clf, letter, 300.0 + dx * size, 300.0 + dy * size);
            s.observe(i as u64 * 40, Some(&hand));
        }
        s.state().full_sentence
    }

    #[test]
    fn a_held_letter_bounced_up_and_back_is_typed_twice() {
        // KINDNESS's S in the real clip: 0.2 hand sizes up and back in 0.4 s.
        let bounce = [
            (0.0, -0.07),
            (0.0, -0.15),
            (0.0, -0.2),
            (0.0, -0.12),
            (0.0, -0.04),
        ];
        assert_eq!(held_moved_held("S", &bounce), "SS");
        assert_eq!(held_moved_held("S", &[(0.0, 0.0)]), "S", "held still: once");
    }

    #[test]
    fn a_held_letter_moved_elsewhere_is_typed_once() {
        let slide = [(0.08, 0.0), (0.16, 0.0), (0.24, 0.0), (0.3, 0.0)];
        assert_eq!(held_moved_held("L", &slide), "L");
        let down = [(0.0, 0.08), (0.0, 0.16), (0.0, 0.24), (0.0, 0.3)];
        assert_eq!(held_moved_held("L", &down), "L");
    }

    #[test]
    fn a_letter_shown_at_another_place_without_moving_there_is_not_doubled() {
        // a cut between two photos of the same letter
        assert_eq!(held_moved_held("B", &[(0.3, 0.0)]), "B");
    }

    /// Plays `hands` (one per `step_ms`) through a session and through a bare sentence builder
    /// fed the same letters: what the session's bounce and motion trackers added.
    fn session_and_builder(hands: &[Option<Hand>], step_ms: u64) -> (String, String) {
        let clf = Arc::new(Classifier::default_model());
        let mut session = Session::new(clf.clone(), SentenceConfig::default());
        let mut builder = SentenceBuilder::new(SentenceConfig::default());
        for (i, hand) in hands.iter().enumerate() {
            let t = i as u64 * step_ms;
            let r = session.observe(t, hand.as_ref());
            builder.observe(t, r.prediction.as_ref());
        }
        (session.state().full_sentence, builder.state().full_sentence)
    }

    /// Regression for issue 17's doubles: a still letter must not gain a double from the
    /// hand's small movements, on the real recordings of static letters (borisgraudt, one
    /// signer, A-Y held in front of a webcam)...
    #[test]
    fn recordings_of_static_letters_gain_no_double() {
        let data = crate::dataset::default_data_dir();
        let recordings = crate::dataset::tables::load_borisgraudt_recordings(&data).expect("table");
        let mut doubled = Vec::new();
        for fps in [15u64, 30] {
            for (letter, frames) in recordings.iter().filter(|(l, _)| *l != "J" && *l != "Z") {
                let hands: Vec<Option<Hand>> = frames.iter().copied().map(Some).collect();
                let (session, builder) = session_and_builder(&hands, 1000 / fps);
                if session != builder {
                    doubled.push(format!(
                        "{letter} at {fps} fps: {session} (without: {builder})"
                    ));
                }
            }
        }
        assert!(doubled.is_empty(), "{doubled:#?}");
    }

    /// ...nor on the letter photos of `images/letters` shown one after another (MediaPipe's
    /// landmarks from `reference/letters.jsonl`), each photo for a second at 30 fps.
    #[test]
    fn letter_photos_shown_in_turn_gain_no_double() {
        let path = crate::dataset::default_data_dir().join("reference/letters.jsonl");
        let photos = crate::dataset::jsonl::load_jsonl(&path, "letters").expect("reference");
        for letter in crate::labels::LETTERS {
            let hands: Vec<Option<Hand>> = photos
                .samples
                .iter()
                .filter(|p| p.label == letter)
                .flat_map(|p| std::iter::repeat_n(Some(p.hand), 30))
                .collect();
            let (session, builder) = session_and_builder(&hands, 33);
            assert_eq!(session, builder, "photos of {letter}");
        }
    }
}
