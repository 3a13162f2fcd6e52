//! The server's only contact with `signbridge_signs`: classifying a hand (image mode) and a
//! session's recognition state (classifier + J/Z motion + sentence builder). Kept in one file
//! so that changes in the signs crate's API touch only this.

use std::sync::Arc;

use signbridge_signs::{Classifier, Prediction, SentenceConfig, Session};
use signbridge_vision::Hand;

pub use signbridge_signs::{FrameResult, SentenceState};

/// Image mode: the letter one hand makes.
pub fn classify(classifier: &Classifier, hand: &Hand) -> Prediction {
    classifier.classify(&hand.landmarks)
}

/// The hand a frame's letter is read from: the one the landmark model is surest of.
pub fn signing_hand(hands: &[Hand]) -> Option<&Hand> {
    hands
        .iter()
        .max_by(|a, b| a.presence.total_cmp(&b.presence))
}

/// One session's recognition state: the sentence being built from its frames.
pub struct Recognizer {
    session: Session,
}

impl Recognizer {
    pub fn new(classifier: Arc<Classifier>) -> Recognizer {
        Recognizer {
            session: Session::new(classifier, SentenceConfig::default()),
        }
    }

    /// Feeds one frame seen at `t_ms` (the server's clock): classifies the signing hand, if
    /// any, and updates the sentence.
    pub fn observe(&mut self, t_ms: u64, hands: &[Hand]) -> FrameResult {
        self.session
            .observe(t_ms, signing_hand(hands).map(|h| &h.landmarks))
    }

    pub fn space(&mut self) {
        self.session.space();
    }

    pub fn backspace(&mut self) {
        self.session.backspace();
    }

    pub fn clear(&mut self) {
        self.session.clear();
    }

    pub fn state(&self) -> SentenceState {
        self.session.state()
    }

    pub fn word_count(&self) -> usize {
        let s = self.session.state();
        s.words.len() + usize::from(!s.current_word.is_empty())
    }
}

/// Text to fingerspelling with the server's classifier's handshapes.
pub fn fingerspell(classifier: &Classifier, text: &str) -> Vec<signbridge_signs::SpelledLetter> {
    signbridge_signs::text_to_sign::fingerspell_with(classifier, text)
}
