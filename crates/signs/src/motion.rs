//! J and Z, the two letters made by moving: J is the I handshape with the little-finger tip
//! tracing a J (down, then hooking sideways); Z is the index finger (the D/1 handshape) tracing
//! a Z (across, diagonally back and down, across again).
//!
//! [`MotionTracker`] follows the tracing fingertip over frames while the matching handshape is
//! held, in units of the hand's size (so distance to the camera does not matter), and reports
//! the letter once when the path completes. Left or right hand, mirrored or not: a stroke to
//! either side is accepted, so only the shape of the path counts. Frames carry timestamps (ms).

use crate::features::{hand_size, Hand};

/// Which tracing shape a frame shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Little finger out, index/middle/ring curled: the I handshape (J traces with it).
    Pinky,
    /// Index out, middle/ring/little curled: D/1 (Z traces with it).
    Index,
}

/// A finger is extended when its tip is this many times farther from the wrist than its knuckle.
/// Lower than an upright finger's ratio (about 1.8), because a finger tracing a letter often
/// points partly at the camera: on the real Z recording (`examples/motion_recordings.rs`) the
/// index's ratio is 1.2–1.7 while it traces.
const EXTENDED: f32 = 1.2;
/// ...and curled when its tip is nearer the wrist than its knuckle.
const CURLED: f32 = 1.0;

fn reach(h: &Hand, tip: usize, mcp: usize) -> f32 {
    let d = |i: usize| ((h[i][0] - h[0][0]).powi(2) + (h[i][1] - h[0][1]).powi(2)).sqrt();
    d(tip) / d(mcp).max(f32::EPSILON)
}

fn shape_of(h: &Hand) -> Option<Shape> {
    let r = [
        reach(h, 8, 5),
        reach(h, 12, 9),
        reach(h, 16, 13),
        reach(h, 20, 17),
    ];
    let curled = |i: usize| r[i] < CURLED;
    if r[3] > EXTENDED && curled(0) && curled(1) && curled(2) {
        Some(Shape::Pinky)
    } else if r[0] > EXTENDED && curled(1) && curled(2) && curled(3) {
        Some(Shape::Index)
    } else {
        None
    }
}

/// Settings of the motion detector (lengths in hand sizes).
#[derive(Debug, Clone, PartialEq)]
pub struct MotionConfig {
    /// A path older than this is dropped from the front.
    pub window_ms: u64,
    /// The handshape may be lost for this long without restarting the path.
    pub gap_ms: u64,
    /// J: minimum downward travel, then minimum sideways hook.
    pub j_down: f32,
    pub j_hook: f32,
    /// Z: minimum length of each of the three strokes.
    pub z_stroke: f32,
}

impl Default for MotionConfig {
    fn default() -> Self {
        MotionConfig {
            window_ms: 2500,
            gap_ms: 300,
            j_down: 0.7,
            j_hook: 0.3,
            z_stroke: 0.4,
        }
    }
}

/// Follows fingertip paths; one per stream.
#[derive(Debug, Clone, Default)]
pub struct MotionTracker {
    config: MotionConfig,
    shape: Option<Shape>,
    /// (t_ms, x, y) of the tracing fingertip in hand sizes.
    path: Vec<(u64, f32, f32)>,
    /// Hand size (input units) of the path's first frame.
    unit: f32,
    last_seen: u64,
}

impl MotionTracker {
    /// A tracker with the given settings.
    pub fn new(config: MotionConfig) -> MotionTracker {
        MotionTracker {
            config,
            ..MotionTracker::default()
        }
    }

    /// Feed one frame (`None`: no hand). Returns `Some("J")` or `Some("Z")` on the frame that
    /// completes the motion; the path then starts afresh.
    pub fn observe(&mut self, t_ms: u64, hand: Option<&Hand>) -> Option<&'static str> {
        let shape = hand.and_then(shape_of);
        let (Some(h), Some(shape)) = (hand, shape) else {
            if t_ms.saturating_sub(self.last_seen) > self.config.gap_ms {
                self.path.clear();
                self.shape = None;
            }
            return None;
        };
        let stale = t_ms.saturating_sub(self.last_seen) > self.config.gap_ms;
        if self.shape != Some(shape) || stale {
            self.path.clear();
            self.shape = Some(shape);
        }
        self.last_seen = t_ms;
        let size = hand_size(h).max(f32::EPSILON);
        let tip = if shape == Shape::Pinky { h[20] } else { h[8] };
        // Hand size of the first frame keeps the units fixed while the path lasts.
        let unit = match self.path.first() {
            Some(_) => self.unit,
            None => size,
        };
        self.unit = unit;
        self.path.push((t_ms, tip[0] / unit, tip[1] / unit));
        let window = self.config.window_ms;
        self.path.retain(|p| t_ms.saturating_sub(p.0) <= window);
        let done = match shape {
            Shape::Pinky => is_j(&self.path, &self.config).then_some("J"),
            Shape::Index => is_z(&self.path, &self.config).then_some("Z"),
        };
        if done.is_some() {
            self.path.clear();
        }
        done
    }
}

/// Plays a recording (one hand per frame, `fps` frames per second) through a fresh tracker and
/// returns the motions it reports, in order.
pub fn motions_in(frames: &[Hand], fps: f64, config: &MotionConfig) -> Vec<&'static str> {
    let mut tracker = MotionTracker::new(config.clone());
    frames
        .iter()
        .enumerate()
        .filter_map(|(i, hand)| {
            let t_ms = (i as f64 * 1000.0 / fps).round() as u64;
            tracker.observe(t_ms, Some(hand))
        })
        .collect()
}

/// Down by `j_down`, then a mostly sideways hook of `j_hook` from where 80% of the descent is done.
fn is_j(path: &[(u64, f32, f32)], cfg: &MotionConfig) -> bool {
    let Some(m) = (0..path.len()).max_by(|a, b| path[*a].2.total_cmp(&path[*b].2)) else {
        return false;
    };
    let top = path[..=m].iter().map(|p| p.2).fold(f32::INFINITY, f32::min);
    let descent = path[m].2 - top;
    if descent < cfg.j_down {
        return false;
    }
    let Some(k) = path.iter().position(|p| p.2 >= top + 0.8 * descent) else {
        return false;
    };
    let (end, turn) = (path[path.len() - 1], path[k]);
    let (dx, dy) = ((end.1 - turn.1).abs(), (end.2 - turn.2).abs());
    dx >= cfg.j_hook && dx > 2.0 * dy
}

/// Three strokes: across, back and down, across the first way again (either mirror image).
fn is_z(path: &[(u64, f32, f32)], cfg: &MotionConfig) -> bool {
    let Some(&first) = path.first() else {
        return false;
    };
    let hysteresis = cfg.z_stroke * 0.5;
    let mut turns = vec![(first.1, first.2)];
    let mut dir = 0.0f32;
    let mut ext = (first.1, first.2);
    for p in &path[1..] {
        let q = (p.1, p.2);
        if dir == 0.0 {
            if (q.0 - first.1).abs() >= hysteresis {
                dir = (q.0 - first.1).signum();
                ext = q;
            }
        } else if (q.0 - ext.0) * dir > 0.0 {
            ext = q;
        } else if (ext.0 - q.0) * dir >= hysteresis {
            turns.push(ext);
            dir = -dir;
            ext = q;
        }
    }
    if let Some(last) = path.last() {
        turns.push((last.1, last.2));
    }
    if turns.len() < 4 {
        return false;
    }
    let n = turns.len();
    let seg = |i: usize| (turns[i + 1].0 - turns[i].0, turns[i + 1].1 - turns[i].1);
    let ((dx1, dy1), (dx2, dy2), (dx3, dy3)) = (seg(n - 4), seg(n - 3), seg(n - 2));
    let flat = |dx: f32, dy: f32| dx.abs() >= cfg.z_stroke && dy.abs() <= 0.5 * dx.abs();
    flat(dx1, dy1)
        && flat(dx3, dy3)
        && dx1.signum() == dx3.signum()
        && dx2.signum() == -dx1.signum()
        && dx2.abs() >= 0.5 * cfg.z_stroke
        && dy2 >= 0.75 * cfg.z_stroke
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand of size ~100 px whose tracing fingertip is at (tx, ty); `pinky` picks I or D/1.
    fn hand(tx: f32, ty: f32, pinky: bool) -> Hand {
        let s = 100.0;
        let fx = [-0.3, -0.1, 0.1, 0.3];
        let ext = [!pinky, false, false, pinky];
        let tip_idx = if pinky { 3 } else { 0 };
        // Knuckle of the tracing finger sits 1 hand size below its extended tip.
        let (kx, ky) = (tx - fx[tip_idx] * s, ty + s);
        let mut h = [[0.0f32; 3]; 21];
        h[0] = [kx, ky + s, 0.0];
        for (i, p) in h.iter_mut().enumerate().take(5).skip(1) {
            *p = [kx - 0.5 * s + 0.05 * s * i as f32, ky + 0.6 * s, 0.0];
        }
        for f in 0..4 {
            let mcp = 5 + 4 * f;
            let x = kx + fx[f] * s;
            for j in 0..4 {
                let y = if ext[f] {
                    ky - s * j as f32 / 3.0
                } else {
                    ky + 0.1 * s * j as f32
                };
                h[mcp + j] = [x, y, 0.0];
            }
        }
        h
    }

    /// Play a fingertip path (hand-size units, piecewise linear through `pts` over `ms`) at `fps`.
    fn play(pts: &[(f32, f32)], ms: u64, fps: u64, pinky: bool, mirror: bool) -> Vec<&'static str> {
        let mut m = MotionTracker::default();
        let mut out = Vec::new();
        let step = 1000 / fps;
        let segs = (pts.len() - 1) as f32;
        let mut t = 0;
        while t <= ms + step {
            let u = (t as f32 / ms as f32).min(1.0) * segs;
            let i = (u.floor() as usize).min(pts.len() - 2);
            let f = u - i as f32;
            let x = pts[i].0 + (pts[i + 1].0 - pts[i].0) * f;
            let y = pts[i].1 + (pts[i + 1].1 - pts[i].1) * f;
            let sx = if mirror { -1.0 } else { 1.0 };
            let h = hand(500.0 + sx * x * 100.0, 300.0 + y * 100.0, pinky);
            out.extend(m.observe(1000 + t, Some(&h)));
            t += step;
        }
        out
    }

    const J: [(f32, f32); 5] = [(0.0, 0.0), (0.0, 0.5), (0.0, 1.0), (-0.3, 1.0), (-0.6, 0.8)];
    const Z: [(f32, f32); 4] = [(0.0, 0.0), (1.0, 0.0), (0.0, 0.9), (1.0, 0.9)];

    #[test]
    fn handshapes_are_recognised() {
        assert_eq!(shape_of(&hand(0.0, 0.0, true)), Some(Shape::Pinky));
        assert_eq!(shape_of(&hand(0.0, 0.0, false)), Some(Shape::Index));
    }

    #[test]
    fn j_is_found_once_at_30_and_5_fps_either_hand() {
        for fps in [30, 5] {
            for mirror in [false, true] {
                assert_eq!(play(&J, 1000, fps, true, mirror), vec!["J"], "{fps} fps");
            }
        }
    }

    #[test]
    fn z_is_found_once_at_30_and_5_fps_either_hand() {
        for fps in [30, 5] {
            for mirror in [false, true] {
                assert_eq!(play(&Z, 1500, fps, false, mirror), vec!["Z"], "{fps} fps");
            }
        }
    }

    #[test]
    fn moving_straight_down_is_not_j() {
        assert!(play(&[(0.0, 0.0), (0.0, 1.5)], 1000, 30, true, false).is_empty());
    }

    #[test]
    fn a_diagonal_is_not_j() {
        assert!(play(&[(0.0, 0.0), (1.0, 1.0)], 1000, 30, true, false).is_empty());
    }

    #[test]
    fn the_z_path_with_the_i_handshape_is_not_z() {
        assert!(!play(&Z, 1500, 30, true, false).contains(&"Z"));
    }

    #[test]
    fn waving_sideways_is_not_z() {
        let wave = [(0.0, 0.0), (1.0, 0.0), (0.0, 0.0), (1.0, 0.0)];
        assert!(play(&wave, 1500, 30, false, false).is_empty());
    }

    #[test]
    fn a_still_hand_gives_nothing() {
        assert!(play(&[(0.0, 0.0), (0.0, 0.0)], 2000, 30, true, false).is_empty());
    }

    #[test]
    fn losing_the_hand_restarts_the_path() {
        let mut m = MotionTracker::default();
        // Down stroke, then the hand is gone for a second, then only the hook.
        for (i, y) in [0.0f32, 0.5, 1.0].iter().enumerate() {
            m.observe(i as u64 * 100, Some(&hand(500.0, 300.0 + y * 100.0, true)));
        }
        m.observe(400, None);
        let mut out = Vec::new();
        for (i, x) in [0.0f32, -0.3, -0.6].iter().enumerate() {
            out.extend(m.observe(
                1400 + i as u64 * 100,
                Some(&hand(500.0 + x * 100.0, 400.0, true)),
            ));
        }
        assert!(out.is_empty());
    }
}
