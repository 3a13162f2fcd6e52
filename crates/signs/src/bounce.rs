//! Double letters: fingerspelling shows a repeated letter (the SS of KINDNESS) by a small bounce
//! of the same handshape, without changing it. The sentence builder cannot see that in the
//! letters (they stay the same), so [`BounceTracker`] watches where the hand is: still, a quick
//! move away and back, still again.
//!
//! Positions are the landmarks' centre, distances in the hand size of the still frame a move
//! starts from (so distance to the camera does not matter); every duration is between frame
//! timestamps (ms), so it behaves the same at 5 and 30 fps. A move counts when
//! - it starts from a hand still for at least `hold_ms` and ends with the hand still again
//!   (*still*: every frame of the last `settle_ms`, two frames or more, within `settle` of the
//!   newest);
//! - it goes at least `min_reach` from where it started, and at most `max_reach` (farther is
//!   moving the hand somewhere else, or tracing a J or Z);
//! - it lasts at most `max_ms` from the last still frame to the one that finds it still again;
//! - it goes up or down (its farthest point more above or below the start than beside it) and
//!   comes back to within `back` of its reach from the start (a *bounce*: hands rarely land
//!   exactly where they left). With `slides` on, a move that ends at least `min_reach` away,
//!   mostly sideways, and is seen on its way (a jump between two frames is a cut between
//!   photos) counts too (a *slide*).
//!
//! Measured (the settings were chosen on these): the real fingerspelling clip
//! (`video/asl_hand_620x1080_325f.mjpeg`, KINDNESS at 25 fps) bounces its S 0.18 hand sizes up
//! and back, leaving a hand held still 1.2 s and settling 0.5 s later; it is found at 25 fps and
//! with only every 2nd to 5th frame. The recordings of static letters (borisgraudt, one signer
//! moving a held letter about in front of a webcam, 24 letters of about 400 frames) give no
//! bounce at 15 or 30 fps. Without the up-or-down rule they gave 1 at 15 fps and 2 at 30 fps,
//! all three out and back sideways (4 and 6 with a 0.12 reach, 300 ms holds and a 120 ms
//! settle); slides there are common (30 to 100 however set), as a signer moves a held letter
//! sideways all the time, so slides are off by default.

use crate::features::{hand_size, Hand};

/// Settings of the double-letter detector (lengths in hand sizes).
#[derive(Debug, Clone, PartialEq)]
pub struct BounceConfig {
    /// A move reaches at least this far from where it started...
    pub min_reach: f32,
    /// ...and no farther than this.
    pub max_reach: f32,
    /// Still: every frame of the last `settle_ms` within this distance of the newest.
    pub settle: f32,
    pub settle_ms: u64,
    /// From leaving to settling again, at most this long.
    pub max_ms: u64,
    /// Before the move the hand was still for at least this long.
    pub hold_ms: u64,
    /// A bounce ends within this fraction of its reach from where it started.
    pub back: f32,
    /// Whether slides count (off by default: see the module's measurements).
    pub slides: bool,
}

impl Default for BounceConfig {
    fn default() -> Self {
        BounceConfig {
            min_reach: 0.15,
            max_reach: 0.8,
            settle: 0.05,
            settle_ms: 250,
            max_ms: 900,
            hold_ms: 500,
            back: 0.6,
            slides: false,
        }
    }
}

/// A quick move of a still hand that ended still.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Move {
    /// How long the hand had been still before it moved.
    pub held_ms: u64,
    /// The last still frame before the move.
    pub left_ms: u64,
    /// The frame that found the hand still again.
    pub settled_ms: u64,
    /// The farthest it went from the start, in hand sizes...
    pub reach: f32,
    /// ...this long after the last still frame.
    pub out_ms: u64,
    /// Came back (a bounce) rather than stopping elsewhere (a slide).
    pub bounce: bool,
    /// The farthest point, from the start, in hand sizes.
    pub peak: (f32, f32),
}

/// One frame of the hand: when, its centre in pixels, its size, and whether it was still then.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Seen {
    t: u64,
    at: (f32, f32),
    size: f32,
    /// Still at this frame: since when (the start of its settle window), else `None`.
    still: Option<u64>,
}

/// Follows one hand's position; one per stream.
#[derive(Debug, Clone, Default)]
pub struct BounceTracker {
    config: BounceConfig,
    /// The hand's recent frames, oldest first, over `max_ms` (and `settle_ms`).
    recent: Vec<Seen>,
}

impl BounceTracker {
    /// A tracker with the given settings.
    pub fn new(config: BounceConfig) -> BounceTracker {
        BounceTracker {
            config,
            ..BounceTracker::default()
        }
    }

    /// Forget the hand (it left the frame, or a traced letter used the movement).
    pub fn reset(&mut self) {
        self.recent.clear();
    }

    /// Feed one frame (`None`: no hand, which forgets the hand). Returns the move that this
    /// frame completed, if any.
    pub fn observe(&mut self, t_ms: u64, hand: Option<&Hand>) -> Option<Move> {
        let Some(h) = hand else {
            self.reset();
            return None;
        };
        let n = h.len() as f32;
        let at = h
            .iter()
            .fold((0.0, 0.0), |(x, y), p| (x + p[0] / n, y + p[1] / n));
        self.observe_at(t_ms, at, hand_size(h))
    }

    /// Feed one frame's hand by its landmarks' centre and its size (same units). A timestamp
    /// earlier than the last one counts as the last one.
    pub fn observe_at(&mut self, t_ms: u64, at: (f32, f32), size: f32) -> Option<Move> {
        let t_ms = t_ms.max(self.recent.last().map_or(0, |s| s.t));
        let cfg = self.config.clone();
        let keep = cfg.max_ms.max(cfg.settle_ms);
        self.recent.retain(|s| t_ms.saturating_sub(s.t) <= keep);
        self.recent.push(Seen {
            t: t_ms,
            at,
            size: size.max(f32::EPSILON),
            still: None,
        });
        let last = self.recent.len() - 1;
        let still_from = self.still()?;
        // Still since the previous frame's stillness began, or since this settle window began.
        let since = match last.checked_sub(1).map(|i| self.recent[i].still) {
            Some(Some(since)) => since,
            _ => still_from,
        };
        self.recent[last].still = Some(since);
        // Still now: did the hand leave a still position since, and reach far enough?
        let found = self.recent[..last]
            .iter()
            .enumerate()
            // The latest start that makes a move: when the hand left.
            .rev()
            .filter(|(_, a)| {
                a.still.is_some_and(|since| a.t - since >= cfg.hold_ms) && t_ms - a.t <= cfg.max_ms
            })
            .find_map(|(i, a)| {
                let d = |b: &Seen| dist(b.at, a.at) / a.size;
                let far = self.recent[i + 1..]
                    .iter()
                    .max_by(|x, y| d(x).total_cmp(&d(y)))
                    .unwrap_or(&self.recent[last]);
                let reach = d(far);
                let end = d(&self.recent[last]);
                let (dx, dy) = (at.0 - a.at.0, at.1 - a.at.1);
                let peak = ((far.at.0 - a.at.0) / a.size, (far.at.1 - a.at.1) / a.size);
                // Up or down and back: out and back sideways is a wave or a wiggle.
                let bounce = end <= cfg.back * reach && peak.1.abs() > peak.0.abs();
                // A slide is seen on its way (a frame away from both ends): a hand that jumps
                // between two frames is a cut between photos or a lost frame, not a slide.
                let between = self.recent[i + 1..last]
                    .iter()
                    .any(|b| d(b) > cfg.settle && dist(b.at, at) / a.size > cfg.settle);
                let slide =
                    cfg.slides && between && end >= cfg.min_reach && dx.abs() > 2.0 * dy.abs();
                let counts = reach >= cfg.min_reach && reach <= cfg.max_reach && (bounce || slide);
                counts.then_some(Move {
                    held_ms: a.t - a.still.unwrap_or(a.t),
                    left_ms: a.t,
                    settled_ms: t_ms,
                    reach,
                    out_ms: far.t - a.t,
                    bounce,
                    peak,
                })
            });
        if found.is_some() {
            // Each move counts once: it starts afresh from here.
            self.recent.drain(..last);
        }
        found
    }

    /// Still now: every frame back to the first one at least `settle_ms` old (two frames or
    /// more, whatever the frame rate) is within `settle` of the newest. Returns when that first
    /// frame was seen.
    fn still(&self) -> Option<u64> {
        let newest = self.recent.last()?;
        for s in self.recent.iter().rev().skip(1) {
            if dist(s.at, newest.at) / newest.size > self.config.settle {
                return None;
            }
            if newest.t - s.t >= self.config.settle_ms {
                return Some(s.t);
            }
        }
        None
    }
}

fn dist(a: (f32, f32), b: (f32, f32)) -> f32 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand of size 100 px (wrist to little-finger knuckle) whose centre is near (x, y).
    fn hand(x: f32, y: f32) -> Hand {
        let mut h = [[0.0f32; 3]; 21];
        for (i, p) in h.iter_mut().enumerate() {
            let a = i as f32 * 0.3;
            *p = [x + 40.0 * a.cos(), y + 40.0 * a.sin(), 0.0];
        }
        h[0] = [x, y + 50.0, 0.0];
        h[17] = [x, y - 50.0, 0.0];
        h
    }

    /// Play centre positions (in hand sizes, one per `step` ms); returns the moves found.
    fn play_with(config: BounceConfig, path: &[(f32, f32)], step: u64) -> Vec<Move> {
        let mut b = BounceTracker::new(config);
        let size = hand_size(&hand(0.0, 0.0));
        path.iter()
            .enumerate()
            .filter_map(|(i, (x, y))| b.observe(i as u64 * step, Some(&hand(x * size, y * size))))
            .collect()
    }

    fn play(path: &[(f32, f32)], step: u64) -> Vec<Move> {
        play_with(BounceConfig::default(), path, step)
    }

    /// Still for `ms` at the start, then `mv` (one point a frame), then still at its end for `ms`.
    fn path(ms: u64, step: u64, mv: &[(f32, f32)]) -> Vec<(f32, f32)> {
        let n = (ms / step) as usize;
        let mut p = vec![(0.0, 0.0); n];
        p.extend_from_slice(mv);
        let end = *mv.last().unwrap_or(&(0.0, 0.0));
        p.extend(std::iter::repeat_n(end, n));
        p
    }

    #[test]
    fn a_bounce_up_and_back_is_found_once_at_25_and_5_fps() {
        // The KINDNESS clip's S: 0.2 hand sizes up and back over 0.4 s.
        let up_back = [(0.0, -0.1), (0.0, -0.2), (0.0, -0.1), (0.0, 0.0)];
        let at_25 = play(&path(1000, 40, &up_back), 40);
        assert_eq!(at_25.len(), 1, "{at_25:?}");
        assert!(at_25[0].bounce && at_25[0].reach > 0.19);
        let at_5 = play(&path(1000, 200, &[(0.0, -0.2), (0.0, 0.0)]), 200);
        assert_eq!(at_5.len(), 1, "{at_5:?}");
    }

    #[test]
    fn a_bounce_from_a_hand_that_was_not_held_still_is_not_a_double() {
        let up_back = [(0.0, -0.1), (0.0, -0.2), (0.0, -0.1), (0.0, 0.0)];
        assert!(play(&path(200, 40, &up_back), 40).is_empty());
    }

    #[test]
    fn slides_count_only_when_asked_for_and_never_downwards() {
        let slides = BounceConfig {
            slides: true,
            ..BounceConfig::default()
        };
        let slide = [(0.1, 0.0), (0.2, 0.0), (0.3, 0.0)];
        assert!(play(&path(1000, 40, &slide), 40).is_empty());
        let found = play_with(slides.clone(), &path(1000, 40, &slide), 40);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(!found[0].bounce);
        let down = [(0.0, 0.1), (0.0, 0.2), (0.0, 0.3)];
        assert!(play_with(slides.clone(), &path(1000, 40, &down), 40).is_empty());
        // a jump between two frames (a cut between photos) is no slide
        assert!(play_with(slides, &path(1000, 40, &[(0.3, 0.0)]), 40).is_empty());
    }

    #[test]
    fn a_still_hand_with_jitter_gives_no_move() {
        let mut rng = crate::rng::Rng::new(7);
        let p: Vec<(f32, f32)> = (0..200)
            .map(|_| (rng.uniform() * 0.03, rng.uniform() * 0.03))
            .collect();
        assert!(play(&p, 33).is_empty());
    }

    #[test]
    fn too_small_too_far_or_too_slow_is_not_a_double() {
        let small = [(0.0, -0.06), (0.0, -0.12), (0.0, 0.0)];
        assert!(play(&path(1000, 40, &small), 40).is_empty());
        let far = [(0.0, -0.5), (0.0, -1.0), (0.0, -0.5), (0.0, 0.0)];
        assert!(play(&path(1000, 40, &far), 40).is_empty());
        // a bounce that takes 1.6 s
        let slow: Vec<(f32, f32)> = (0..40)
            .map(|i| (0.0, -0.2 * (std::f32::consts::PI * i as f32 / 40.0).sin()))
            .collect();
        assert!(play(&path(1000, 40, &slow), 40).is_empty());
    }

    #[test]
    fn timestamps_going_backwards_are_taken_as_the_last_one() {
        let mut b = BounceTracker::default();
        for t in [1000, 1040, 10, 1080, 0, 2000] {
            assert!(b.observe_at(t, (0.0, 0.0), 100.0).is_none());
        }
    }

    #[test]
    fn losing_the_hand_forgets_where_it_was() {
        let mut b = BounceTracker::default();
        let size = hand_size(&hand(0.0, 0.0));
        let at = |y: f32| hand(0.0, y * size);
        for t in (0..1000).step_by(40) {
            b.observe(t, Some(&at(0.0)));
        }
        b.observe(1040, Some(&at(-0.2)));
        b.observe(1080, None);
        let mut found = Vec::new();
        for t in (1120..2000).step_by(40) {
            found.extend(b.observe(t, Some(&at(0.0))));
        }
        assert!(found.is_empty(), "{found:?}");
    }
}
