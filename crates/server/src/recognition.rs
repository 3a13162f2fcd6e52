//! The server's only contact with `signbridge_signs`: classifying a hand and building a
//! session's sentence. Kept in one file so that changes in the signs crate's API touch only this.

use serde::Serialize;
use signbridge_signs::{Classifier, Prediction};
use signbridge_vision::Hand;

/// Labels of a classifier prediction, as sent to clients.
pub fn classify(classifier: &Classifier, hand: &Hand) -> Prediction {
    classifier.classify(&hand.landmarks)
}

/// The hand a frame's letter is read from: the one the landmark model is surest of.
pub fn signing_hand(hands: &[Hand]) -> Option<&Hand> {
    hands
        .iter()
        .max_by(|a, b| a.presence.total_cmp(&b.presence))
}

/// A session's sentence, as sent to clients.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SentenceState {
    pub current_word: String,
    pub words: Vec<String>,
    pub full_sentence: String,
    pub last_prediction: Option<String>,
}

/// One session's recognition state: the sentence being built from its predictions.
///
/// Interim: until the signs crate's timestamp-driven sentence builder lands, a letter is
/// committed once it is the confident prediction of `HOLD_FRAMES` consecutive frames (the
/// original's rule).
#[derive(Debug, Default)]
pub struct Recognizer {
    current_word: String,
    words: Vec<String>,
    last: Option<String>,
    repeats: u32,
}

const HOLD_FRAMES: u32 = 4;
const MIN_CONFIDENCE: f32 = 0.5;

impl Recognizer {
    pub fn new() -> Recognizer {
        Recognizer::default()
    }

    /// Feeds one frame's prediction (`None`: no hand) seen at `t_ms`; returns what was
    /// committed to the sentence by it, if anything.
    pub fn observe(&mut self, _t_ms: u64, prediction: Option<&Prediction>) -> Option<String> {
        let p = prediction
            .filter(|p| p.confidence >= MIN_CONFIDENCE && p.label != signbridge_signs::NOTHING)?;
        if self.last.as_deref() != Some(p.label.as_str()) {
            self.last = Some(p.label.clone());
            self.repeats = 1;
            return None;
        }
        self.repeats += 1;
        if self.repeats != HOLD_FRAMES {
            return None;
        }
        match p.label.as_str() {
            signbridge_signs::SPACE => self.space(),
            signbridge_signs::DELETE => self.backspace(),
            letter => {
                self.current_word.push_str(letter);
                return Some(letter.to_string());
            }
        }
        Some(p.label.clone())
    }

    /// Ends the current word.
    pub fn space(&mut self) {
        if !self.current_word.is_empty() {
            self.words.push(std::mem::take(&mut self.current_word));
        }
    }

    /// Removes the last letter, or the last word when the current one is empty.
    pub fn backspace(&mut self) {
        if self.current_word.pop().is_none() {
            self.words.pop();
        }
    }

    pub fn clear(&mut self) {
        *self = Recognizer::default();
    }

    pub fn state(&self) -> SentenceState {
        let mut all = self.words.clone();
        if !self.current_word.is_empty() {
            all.push(self.current_word.clone());
        }
        SentenceState {
            current_word: self.current_word.clone(),
            words: self.words.clone(),
            full_sentence: all.join(" "),
            last_prediction: self.last.clone(),
        }
    }

    pub fn word_count(&self) -> usize {
        self.words.len() + usize::from(!self.current_word.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(label: &str) -> Prediction {
        Prediction {
            label: label.into(),
            confidence: 0.9,
            top: vec![(label.into(), 0.9)],
        }
    }

    #[test]
    fn a_letter_held_for_four_frames_is_committed_once() {
        let mut r = Recognizer::new();
        let committed: Vec<_> = (0..8)
            .filter_map(|i| r.observe(i * 33, Some(&p("A"))))
            .collect();
        assert_eq!(committed, ["A"]);
        assert_eq!(r.state().current_word, "A");
    }

    #[test]
    fn space_backspace_and_clear_edit_the_sentence() {
        let mut r = Recognizer::new();
        for label in ["H", "I"] {
            for i in 0..4 {
                r.observe(i, Some(&p(label)));
            }
        }
        r.space();
        assert_eq!(r.state().full_sentence, "HI");
        assert_eq!(r.state().words, ["HI"]);
        r.backspace();
        assert!(r.state().words.is_empty());
        r.clear();
        assert_eq!(r.state(), SentenceState::default());
    }
}
