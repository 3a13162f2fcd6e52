//! Double letters: fingerspelling shows a repeated letter (the SS of KINDNESS, the LL of HELLO)
//! by a small bounce or a short sideways slide of the same handshape, without changing it. The
//! sentence builder cannot see that in the letters (they stay the same), so [`BounceTracker`]
//! watches where the hand is: still, a quick move away, still again.
//!
//! Positions are the landmarks' centre in units of the hand's size (so distance to the camera
//! does not matter); every duration is between frame timestamps (ms), so it behaves the same at
//! 5 and 30 fps. A move counts when
//! - it starts from a still hand and ends with the hand still again (every frame of the last
//!   `settle_ms`, two frames or more, within `settle` of the newest);
//! - it goes at least `min_reach` from where it started, and at most `max_reach` (farther is
//!   moving the hand somewhere else, or tracing a J or Z);
//! - it lasts at most `max_ms` from the last still frame to settling (slower is drifting);
//! - it comes back to within 0.6 of its reach from the start (a *bounce*: hands rarely land
//!   where they left), or it ends at least `min_reach` away, mostly sideways (a *slide*; a move
//!   down and stopping is how a J starts, not a double).
//!
//! Distances are in the hand size of the still frame the move started from.
//!
//! Measured on the real fingerspelling clip (`video/asl_hand_620x1080_325f.mjpeg`, KINDNESS at
//! 25 fps): the S is bounced 0.21 hand sizes up and back in 0.4 s; the hand's centre jitters by
//! under 0.02 hand sizes a frame while a letter is held.

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
}

impl Default for BounceConfig {
    fn default() -> Self {
        BounceConfig {
            min_reach: 0.12,
            max_reach: 0.8,
            settle: 0.05,
            settle_ms: 120,
            max_ms: 900,
        }
    }
}

/// A quick move of a still hand that ended still.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Move {
    /// The last still frame before the move.
    pub left_ms: u64,
    /// The frame that found the hand still again.
    pub settled_ms: u64,
    /// The farthest it went from the start, in hand sizes.
    pub reach: f32,
    /// Came back (a bounce) rather than stopping elsewhere (a slide).
    pub bounce: bool,
}

/// One frame of the hand: when, its centre in pixels, its size, and whether it was still then.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Seen {
    t: u64,
    at: (f32, f32),
    size: f32,
    still: bool,
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
        let cfg = self.config.clone();
        let keep = cfg.max_ms.max(cfg.settle_ms);
        self.recent.retain(|s| t_ms.saturating_sub(s.t) <= keep);
        self.recent.push(Seen {
            t: t_ms,
            at,
            size: hand_size(h).max(f32::EPSILON),
            still: false,
        });
        let still = self.still();
        let last = self.recent.len() - 1;
        self.recent[last].still = still;
        if !still {
            return None;
        }
        // Still now: did the hand leave a still position since, and reach far enough?
        let found = self.recent[..last]
            .iter()
            .enumerate()
            .filter(|(_, a)| a.still && t_ms - a.t <= cfg.max_ms)
            .filter_map(|(i, a)| {
                let d = |b: &Seen| dist(b.at, a.at) / a.size;
                let reach = self.recent[i + 1..].iter().map(d).fold(0.0, f32::max);
                let end = d(&self.recent[last]);
                let (dx, dy) = (at.0 - a.at.0, at.1 - a.at.1);
                let bounce = end <= 0.6 * reach;
                let slide = end >= cfg.min_reach && dx.abs() > 2.0 * dy.abs();
                let counts = reach >= cfg.min_reach && reach <= cfg.max_reach && (bounce || slide);
                counts.then_some(Move {
                    left_ms: a.t,
                    settled_ms: t_ms,
                    reach,
                    bounce,
                })
            })
            // The latest start that makes a move: when the hand left.
            .last();
        if found.is_some() {
            // Each move counts once: it starts afresh from here.
            self.recent.drain(..last);
        }
        found
    }

    /// Still now: every frame back to the first one at least `settle_ms` old (two frames or
    /// more, whatever the frame rate) is within `settle` of the newest.
    fn still(&self) -> bool {
        let Some(newest) = self.recent.last() else {
            return false;
        };
        for s in self.recent.iter().rev().skip(1) {
            if dist(s.at, newest.at) / newest.size > self.config.settle {
                return false;
            }
            if newest.t - s.t >= self.config.settle_ms {
                return true;
            }
        }
        false
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
    fn play(path: &[(f32, f32)], step: u64) -> Vec<Move> {
        let mut b = BounceTracker::default();
        let size = hand_size(&hand(0.0, 0.0));
        path.iter()
            .enumerate()
            .filter_map(|(i, (x, y))| b.observe(i as u64 * step, Some(&hand(x * size, y * size))))
            .collect()
    }

    /// Still for `still` frames at the start, then `mv`, then still at its end for `after` frames.
    fn path(still: usize, mv: &[(f32, f32)], after: usize) -> Vec<(f32, f32)> {
        let mut p = vec![(0.0, 0.0); still];
        p.extend_from_slice(mv);
        let end = *mv.last().unwrap_or(&(0.0, 0.0));
        p.extend(std::iter::repeat(end).take(after));
        p
    }

    #[test]
    fn a_bounce_up_and_back_is_found_once_at_25_and_5_fps() {
        // The KINDNESS clip's S: 0.2 hand sizes up and back over 0.4 s.
        let up_back = [(0.0, -0.1), (0.0, -0.2), (0.0, -0.1), (0.0, 0.0)];
        let at_25 = play(&path(15, &up_back, 15), 40);
        assert_eq!(at_25.len(), 1, "{at_25:?}");
        assert!(at_25[0].bounce && at_25[0].reach > 0.19);
        let at_5 = play(&path(4, &[(0.0, -0.2), (0.0, 0.0)], 4), 200);
        assert_eq!(at_5.len(), 1, "{at_5:?}");
    }

    #[test]
    fn a_short_sideways_slide_counts_but_a_move_down_does_not() {
        let slide = [(0.1, 0.0), (0.2, 0.0), (0.3, 0.0)];
        let found = play(&path(10, &slide, 10), 40);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(!found[0].bounce);
        let down = [(0.0, 0.1), (0.0, 0.2), (0.0, 0.3)];
        assert!(play(&path(10, &down, 10), 40).is_empty());
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
        let small = [(0.0, -0.05), (0.0, -0.09), (0.0, 0.0)];
        assert!(play(&path(10, &small, 10), 40).is_empty());
        let far = [(0.5, 0.0), (1.0, 0.0), (1.5, 0.0)];
        assert!(play(&path(10, &far, 10), 40).is_empty());
        // a bounce that takes 1.6 s
        let slow: Vec<(f32, f32)> = (0..40)
            .map(|i| (0.0, -0.2 * (std::f32::consts::PI * i as f32 / 40.0).sin()))
            .collect();
        assert!(play(&path(10, &slow, 10), 40).is_empty());
    }

    #[test]
    fn losing_the_hand_forgets_where_it_was() {
        let mut b = BounceTracker::default();
        let size = hand_size(&hand(0.0, 0.0));
        let at = |y: f32| hand(0.0, y * size);
        for t in (0..400).step_by(40) {
            b.observe(t, Some(&at(0.0)));
        }
        b.observe(440, Some(&at(-0.2)));
        b.observe(480, None);
        let mut found = Vec::new();
        for t in (520..900).step_by(40) {
            found.extend(b.observe(t, Some(&at(0.0))));
        }
        assert!(found.is_empty(), "{found:?}");
    }
}
