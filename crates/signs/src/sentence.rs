//! The per-session sentence builder: turns a stream of per-frame predictions into letters,
//! words and a sentence. Driven only by the frames' timestamps (milliseconds), never a clock,
//! so it behaves the same at 5 fps and 30 fps and in tests.
//!
//! Rules (every duration is measured between frame timestamps):
//! - a label becomes the *candidate* when seen with confidence >= `min_confidence`; a different
//!   label replaces it only once it has been seen over at least `switch_ms` without the
//!   candidate reappearing in between (so a single wrong frame at any frame rate does not reset
//!   a held sign, and glitches of different labels do not block a new sign);
//! - a candidate held for `hold_ms` is committed once, on a frame that shows it: a letter is appended, `space` ends the
//!   word, `delete` removes the last letter;
//! - the same label is committed again only after it is *re-armed*: any no-hand observation
//!   (of any duration, e.g. the 0.2 s between the two Ls of HELLO) or another candidate
//!   (a different handshape, `nothing` included) in between;
//! - no hand or `nothing` for `idle_ms` ends the current word;
//! - frames below `min_confidence` (other than `nothing`) are neutral: they neither reset nor
//!   extend anything.

use crate::classifier::Prediction;
use crate::labels::{DELETE, NOTHING, SPACE};
use serde::Serialize;

/// Timing and confidence settings.
#[derive(Debug, Clone, PartialEq)]
pub struct SentenceConfig {
    /// How long a sign must be held to be committed (the original app: 3 frames at 200 ms).
    pub hold_ms: u64,
    /// Minimum calibrated confidence for a frame to count toward a sign.
    pub min_confidence: f32,
    /// No hand or a resting hand for this long ends the word.
    pub idle_ms: u64,
    /// A different label must persist this long to replace the current candidate.
    pub switch_ms: u64,
}

impl Default for SentenceConfig {
    fn default() -> Self {
        SentenceConfig {
            hold_ms: 600,
            min_confidence: 0.7,
            idle_ms: 1000,
            switch_ms: 150,
        }
    }
}

/// A snapshot for the client.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentenceState {
    pub current_word: String,
    pub words: Vec<String>,
    pub full_sentence: String,
    /// Label of the last frame's prediction (`None`: no hand in the last frame).
    pub last_prediction: Option<String>,
}

#[derive(Debug, Clone)]
struct Seen {
    label: String,
    first_ms: u64,
    last_ms: u64,
}

/// Builds words from observations. One per session.
#[derive(Debug, Clone, Default)]
pub struct SentenceBuilder {
    config: SentenceConfig,
    current: String,
    words: Vec<String>,
    candidate: Option<Seen>,
    /// Other labels seen since the candidate was last seen.
    challengers: Vec<Seen>,
    /// The label committed last and not re-armed since.
    committed: Option<String>,
    idle_since: Option<u64>,
    last_ms: u64,
    last_prediction: Option<String>,
}

impl SentenceBuilder {
    /// A builder with the given settings.
    pub fn new(config: SentenceConfig) -> SentenceBuilder {
        SentenceBuilder {
            config,
            ..SentenceBuilder::default()
        }
    }

    /// The settings in use.
    pub fn config(&self) -> &SentenceConfig {
        &self.config
    }

    /// Feed one frame: `None` when no hand was seen. Returns what was committed by this frame:
    /// a letter, [`SPACE`] (a word ended, by the sign or by idling) or [`DELETE`].
    pub fn observe(&mut self, t_ms: u64, prediction: Option<&Prediction>) -> Option<String> {
        let t = t_ms.max(self.last_ms);
        self.last_ms = t;
        self.last_prediction = prediction.map(|p| p.label.clone());
        let Some(p) = prediction else {
            // The hand left: re-arm and forget the candidate.
            self.committed = None;
            self.candidate = None;
            self.challengers.clear();
            return self.idle(t);
        };
        if p.label == NOTHING {
            let ended = self.idle(t);
            self.see(t, NOTHING);
            return ended;
        }
        if p.confidence < self.config.min_confidence {
            return None;
        }
        self.idle_since = None;
        self.see(t, &p.label);
        let cand = self.candidate.as_ref()?;
        if cand.label != p.label
            || t.saturating_sub(cand.first_ms) < self.config.hold_ms
            || self.committed.as_deref() == Some(cand.label.as_str())
            || cand.label == NOTHING
        {
            return None;
        }
        let label = cand.label.clone();
        self.committed = Some(label.clone());
        self.apply(&label)
    }

    /// Track the candidate and its challengers for a confident label (or `nothing`).
    fn see(&mut self, t: u64, label: &str) {
        match &mut self.candidate {
            Some(c) if c.label == label => {
                // The candidate reasserts itself: earlier glitches are forgotten.
                c.last_ms = t;
                self.challengers.clear();
                return;
            }
            None => {
                self.candidate = Some(Seen {
                    label: label.to_string(),
                    first_ms: t,
                    last_ms: t,
                });
                self.rearm_unless(label);
                return;
            }
            Some(_) => {}
        }
        let pos = match self.challengers.iter().position(|c| c.label == label) {
            Some(i) => {
                self.challengers[i].last_ms = t;
                i
            }
            None => {
                self.challengers.push(Seen {
                    label: label.to_string(),
                    first_ms: t,
                    last_ms: t,
                });
                self.challengers.len() - 1
            }
        };
        let c = &self.challengers[pos];
        if c.last_ms - c.first_ms >= self.config.switch_ms {
            self.candidate = Some(self.challengers.swap_remove(pos));
            self.challengers.clear();
            self.rearm_unless(label);
        }
    }

    /// A new candidate re-arms every label but its own.
    fn rearm_unless(&mut self, label: &str) {
        if self.committed.as_deref() != Some(label) {
            self.committed = None;
        }
    }

    fn idle(&mut self, t: u64) -> Option<String> {
        let since = *self.idle_since.get_or_insert(t);
        if t.saturating_sub(since) >= self.config.idle_ms && !self.current.is_empty() {
            self.end_word();
            return Some(SPACE.to_string());
        }
        None
    }

    fn apply(&mut self, label: &str) -> Option<String> {
        match label {
            SPACE => {
                self.end_word();
                Some(SPACE.to_string())
            }
            DELETE => {
                self.backspace();
                Some(DELETE.to_string())
            }
            _ => {
                self.current.push_str(label);
                Some(label.to_string())
            }
        }
    }

    fn end_word(&mut self) {
        if !self.current.is_empty() {
            self.words.push(std::mem::take(&mut self.current));
        }
    }

    /// Append a letter directly (motion letters J and Z).
    pub fn push_letter(&mut self, letter: &str) {
        self.current.push_str(letter);
        self.committed = None;
        self.candidate = None;
        self.challengers.clear();
    }

    /// Append a letter found by motion (J, Z). The base handshape it was made with (I, D) counts
    /// as committed, so holding it on afterwards does not type it.
    pub fn push_motion_letter(&mut self, letter: &str, base: &str) {
        self.current.push_str(letter);
        self.committed = Some(base.to_string());
    }

    /// The last letter of the current word, if any.
    pub fn last_letter(&self) -> Option<char> {
        self.current.chars().last()
    }

    /// End the current word (the space button).
    pub fn space(&mut self) {
        self.end_word();
    }

    /// Remove the last letter; with an empty word, reopen the previous word and remove its last.
    pub fn backspace(&mut self) {
        if self.current.is_empty() {
            if let Some(w) = self.words.pop() {
                self.current = w;
            }
        }
        self.current.pop();
    }

    /// Forget everything typed (settings stay).
    pub fn clear(&mut self) {
        *self = SentenceBuilder::new(self.config.clone());
    }

    /// A snapshot of the text so far.
    pub fn state(&self) -> SentenceState {
        let mut parts = self.words.clone();
        if !self.current.is_empty() {
            parts.push(self.current.clone());
        }
        SentenceState {
            current_word: self.current.clone(),
            words: self.words.clone(),
            full_sentence: parts.join(" "),
            last_prediction: self.last_prediction.clone(),
        }
    }
}

#[cfg(test)]
#[path = "sentence_tests.rs"]
mod tests;
