//! The per-session sentence builder: turns a stream of per-frame predictions into letters,
//! words and a sentence. Driven only by the frames' timestamps (milliseconds), never a clock,
//! so it behaves the same at 5 fps and 30 fps and in tests.
//!
//! Rules (every duration is measured between frame timestamps):
//! - every hand frame is a vote for its top label; frames with confidence >= `min_confidence`
//!   (and `nothing` frames) are *confident* votes;
//! - a sign X is committed, on a confident frame that shows it, when over the last `hold_ms` X has
//!   more than half of the votes (a confident vote weighs twice an unsure one) and was already
//!   the top label in the first third of
//!   that window (so it has been held about `hold_ms`, whatever the frame rate, and scattered
//!   wrong or unsure frames do not stop it);
//!   a letter is appended, `space` ends the word, `delete` removes the last letter;
//! - the same sign is committed again only after it is *re-armed*: any no-hand frame (of any
//!   duration, e.g. the 0.2 s between the two Ls of HELLO), or another label (`nothing` included)
//!   seen confidently over at least `rearm_ms` while X was absent (a real change of handshape,
//!   not a glitch), or a quick bounce or slide of the still hand ([`crate::bounce`]: how a
//!   double letter is signed), after which X must be held again, counted from when the hand left;
//! - no hand or `nothing` for `idle_ms` ends the current word.

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
    /// Another label seen over this long, without the committed one, re-arms it.
    pub rearm_ms: u64,
}

impl Default for SentenceConfig {
    fn default() -> Self {
        SentenceConfig {
            hold_ms: 600,
            min_confidence: 0.7,
            idle_ms: 1000,
            rearm_ms: 300,
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

/// Builds words from observations. One per session.
#[derive(Debug, Clone, Default)]
pub struct SentenceBuilder {
    config: SentenceConfig,
    current: String,
    words: Vec<String>,
    /// Votes `(t_ms, top label, confident)` since the hand last appeared, oldest first, pruned
    /// to the window.
    votes: std::collections::VecDeque<(u64, String, bool)>,
    /// When the hand last appeared after a no-hand frame (or the start).
    present_since: Option<u64>,
    /// The label committed last and not re-armed since, and when it was last seen.
    committed: Option<String>,
    committed_seen_ms: u64,
    /// When `committed` was committed.
    committed_at: u64,
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
            // The hand left: re-arm and forget the votes.
            self.committed = None;
            self.votes.clear();
            self.present_since = None;
            return self.idle(t);
        };
        let since = *self.present_since.get_or_insert(t);
        if p.label == NOTHING {
            self.vote(t, NOTHING, true);
            return self.idle(t);
        }
        self.idle_since = None;
        let confident = p.confidence >= self.config.min_confidence;
        self.vote(t, &p.label, confident);
        if !confident {
            return None;
        }
        let hold = self.config.hold_ms;
        if self.committed.as_deref() == Some(p.label.as_str()) || t.saturating_sub(since) < hold {
            return None;
        }
        // The window starts with the vote in effect at its start (the last one at or before it),
        // so sparse frames (a few per hold time) still count.
        let window_start = t.saturating_sub(hold);
        let from = self
            .votes
            .iter()
            .rposition(|(vt, _, _)| *vt <= window_start)
            .unwrap_or(0);
        let (mut mine, mut all, mut first) = (0usize, 0usize, None);
        for (vt, l, conf) in self.votes.iter().skip(from) {
            if *l == p.label {
                first.get_or_insert(*vt);
            }
            // A confident vote weighs 2, an unsure one 1.
            let w = if *conf { 2 } else { 1 };
            all += w;
            if *l == p.label {
                mine += w;
            }
        }
        let early = first.is_some_and(|f| f <= window_start + hold / 3);
        if !early || 2 * mine <= all {
            return None;
        }
        self.committed = Some(p.label.clone());
        self.committed_seen_ms = t;
        self.committed_at = t;
        self.apply(&p.label)
    }

    /// Record a vote, prune old ones, and re-arm the committed label if another label has been
    /// seen over `rearm_ms` since the committed one was last seen.
    fn vote(&mut self, t: u64, label: &str, confident: bool) {
        let keep = self.config.hold_ms.max(self.config.rearm_ms);
        // Keep the window plus the one vote in effect at its start.
        while self.votes.get(1).is_some_and(|(vt, _, _)| *vt + keep <= t) {
            self.votes.pop_front();
        }
        self.votes.push_back((t, label.to_string(), confident));
        if !confident {
            return;
        }
        let Some(c) = self.committed.clone() else {
            return;
        };
        if c == label {
            self.committed_seen_ms = t;
            return;
        }
        let seen = self.committed_seen_ms;
        let first_other = self
            .votes
            .iter()
            .find(|(vt, l, c)| *vt > seen && *c && l == label)
            .map(|(vt, _, _)| *vt);
        if first_other.is_some_and(|f| t - f >= self.config.rearm_ms) {
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

    /// The hand bounced or slid without leaving the frame (a double letter, [`crate::bounce`]),
    /// starting still at `left_ms`: if a sign had been committed by then (the hand held it when
    /// it moved), it is re-armed, and any sign is committed only after a new hold counted from
    /// `left_ms`. A move that began before the commit was the hand arriving at the sign.
    pub fn moved(&mut self, left_ms: u64) {
        if self.committed.is_some() && self.committed_at <= left_ms {
            self.committed = None;
            self.present_since = Some(left_ms.min(self.last_ms));
        }
    }

    /// Append a letter directly (motion letters J and Z).
    pub fn push_letter(&mut self, letter: &str) {
        self.current.push_str(letter);
        self.committed = None;
        self.votes.clear();
    }

    /// Append a letter found by motion (J, Z). The base handshape it was made with (I, D) counts
    /// as committed, so holding it on afterwards does not type it.
    pub fn push_motion_letter(&mut self, letter: &str, base: &str) {
        self.current.push_str(letter);
        self.committed = Some(base.to_string());
        self.committed_at = self.last_ms;
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

    /// Replace the text with `words` and `current` (a session resumed from storage); the votes
    /// and timing start afresh.
    pub fn restore(&mut self, words: Vec<String>, current: String) {
        self.clear();
        self.words = words.into_iter().filter(|w| !w.is_empty()).collect();
        self.current = current;
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
