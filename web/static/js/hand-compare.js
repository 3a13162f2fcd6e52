// Comparing the signer's hand with a letter's reference handshape, finger by finger. Pure functions
// (no DOM), so node --test runs them on real landmark rows (tests/web/hand-compare.test.mjs).
//
// A hand is described by measures that do not depend on its size, where it is in the picture, or
// which hand signs (a mirror image gives the same numbers):
// - each finger's curl: the sum of the bends at its joints, in radians (about 0.2 straight, 3 a fist);
// - the spread of each pair of neighbouring fingers: the angle between their first bones, seen in the
//   palm's plane (counted only as far as both fingers are straight);
// - where the thumb tip is, in the palm's own frame: across the knuckles (0 at the index knuckle, 1 at
//   the little finger's), up the palm (0 at the wrist, 1 at the knuckles), and off the palm's plane;
// - where the fingers point: the angle of wrist -> middle knuckle from straight up (0 up, π down).
// Each difference is divided by a tolerance (how much it may differ and still be the same sign, set
// from the landmark tables: docs/web.md); "How close" is exp(-½ Σ (difference/tolerance)² / SPREAD_OF_CLOSE),
// and the tip names the change with the largest share of that sum.

export const FINGER_NAMES = ['thumb', 'index finger', 'middle finger', 'ring finger', 'little finger'];
const SHORT = ['thumb', 'index', 'middle', 'ring', 'little'];
const CHAINS = [[1, 2, 3, 4], [0, 5, 6, 7, 8], [0, 9, 10, 11, 12], [0, 13, 14, 15, 16], [0, 17, 18, 19, 20]];

/** How far each kind of measure may differ (same units as the measure). */
export const TOLERANCE = { curl: 0.75, thumbCurl: 0.9, spread: 0.16, thumb: 0.32, point: 0.5 };
/** Scale of the summed squared differences: larger gives higher closeness for the same difference. */
export const SPREAD_OF_CLOSE = 6;
/** A difference (in tolerances) under this is not worth a tip. */
const TIP_MIN = 1.0;

const sub = (a, b) => [a[0] - b[0], a[1] - b[1], (a[2] ?? 0) - (b[2] ?? 0)];
const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a) => Math.hypot(a[0], a[1], a[2]);
const unit = (a) => { const n = norm(a) || 1; return [a[0] / n, a[1] / n, a[2] / n]; };
const angle = (a, b) => Math.acos(Math.max(-1, Math.min(1, dot(unit(a), unit(b)))));

/** True for 21 points of 2 or 3 finite numbers. */
export function isHand(points) {
  return Array.isArray(points) && points.length === 21
    && points.every((p) => Array.isArray(p) && p.length >= 2 && Number.isFinite(p[0]) && Number.isFinite(p[1]) && (p[2] === undefined || Number.isFinite(p[2])));
}

/** The hand's size: the largest distance among the palm's rigid points (wrist, knuckles). */
export function handSize(h) {
  const palm = [0, 5, 9, 17];
  let s = 0;
  for (let i = 0; i < palm.length; i++) for (let j = i + 1; j < palm.length; j++) s = Math.max(s, norm(sub(h[palm[i]], h[palm[j]])));
  return s;
}

/**
 * The measures of one hand (see the top of this file), or null for something that is not a hand.
 * Returns {curl: [5], spread: [3], straight: [5] (0..1), thumb: {across, up, off, out}, point}.
 */
export function measure(points) {
  if (!isHand(points)) return null;
  const h = points.map((p) => [p[0], p[1], p[2] ?? 0]);
  const size = handSize(h);
  if (!(size > 1e-9)) return null;
  const curl = CHAINS.map((chain) => {
    let sum = 0;
    for (let k = 1; k + 1 < chain.length; k++) sum += angle(sub(h[chain[k]], h[chain[k - 1]]), sub(h[chain[k + 1]], h[chain[k]]));
    return sum;
  });
  // how straight each finger is, 0..1, from its curl (a straight finger about 0.3 rad, curled 2.3+)
  const straight = curl.map((c) => Math.max(0, Math.min(1, (2.3 - c) / 2)));
  // the palm's frame: across (index -> little knuckle), up (wrist -> middle knuckle), normal
  const across = unit(sub(h[17], h[5]));
  const upRaw = sub(h[9], h[0]);
  const up = unit(sub(upRaw, across.map((v) => v * dot(upRaw, across))));
  const normal = unit(cross(across, up));
  const inPlane = (v) => sub(v, normal.map((x) => x * dot(v, normal)));
  const spread = [1, 2, 3].map((f) => angle(inPlane(sub(h[CHAINS[f][2]], h[CHAINS[f][1]])), inPlane(sub(h[CHAINS[f + 1][2]], h[CHAINS[f + 1][1]]))));
  // the knuckles foreshorten when the hand turns sideways (O, C): never count them under half its size
  const knuckles = Math.max(norm(sub(h[17], h[5])), 0.55 * size);
  const tip = sub(h[4], h[5]);
  const thumb = {
    across: dot(tip, across) / knuckles,
    up: dot(sub(h[4], h[0]), up) / size,
    off: Math.abs(dot(tip, normal)) / size,
    out: norm(tip) / size,
  };
  const point = Math.atan2(Math.abs(h[9][0] - h[0][0]), -(h[9][1] - h[0][1]));
  return { curl, spread, straight, thumb, point };
}

/**
 * The differences between the signer's measures and the target's (letter `letter`, if known), each
 * {key, kind, d: signed difference in tolerances, words: what the signer should do}.
 */
export function differences(mine, target, letter = '') {
  const out = [];
  for (let f = 0; f < 5; f++) {
    const d = (mine.curl[f] - target.curl[f]) / (f === 0 ? TOLERANCE.thumbCurl : TOLERANCE.curl);
    out.push({ key: `curl${f}`, kind: 'curl', finger: f, d, words: d > 0 ? `straighten your ${FINGER_NAMES[f]}` : `curl your ${FINGER_NAMES[f]}` });
  }
  for (let k = 0; k < 3; k++) {
    // a spread only counts as far as both fingers are straight in the target
    const w = Math.min(target.straight[k + 1], target.straight[k + 2]);
    const d = ((mine.spread[k] - target.spread[k]) / TOLERANCE.spread) * w;
    const pair = `${SHORT[k + 1]} and ${FINGER_NAMES[k + 2].replace('finger', 'fingers')}`;
    out.push({ key: `spread${k}`, kind: 'spread', pair: k, d, words: d > 0 ? `bring your ${pair} together` : `spread your ${pair} apart` });
  }
  const t = mine.thumb, r = target.thumb;
  const place = THUMB_WORDS[letter];
  out.push({ key: 'thumbAcross', kind: 'thumb', d: (t.across - r.across) / TOLERANCE.thumb,
    words: place || (t.across > r.across ? thumbOutWords(target) : thumbInWords(target)) });
  out.push({ key: 'thumbUp', kind: 'thumb', d: (t.up - r.up) / TOLERANCE.thumb,
    words: place || (t.up > r.up ? 'lower your thumb' : 'raise your thumb') });
  out.push({ key: 'thumbOut', kind: 'thumb', d: (t.out - r.out) / TOLERANCE.thumb,
    words: place || (t.out > r.out ? thumbInWords(target) : 'move your thumb out, away from your palm') });
  const dp = (mine.point - target.point) / TOLERANCE.point;
  out.push({ key: 'point', kind: 'point', d: dp, words: pointWords(target.point) });
  return out;
}

/**
 * Where a hand's thumb tip is: 'out' (away to the side), 'beside' (against the index finger),
 * 'across' (over the palm), or under curled fingers: 'between1' (index only), 'between2' (index and
 * middle), 'between3' (three fingers).
 */
export function thumbPlace(m) {
  const r = m.thumb;
  if (r.out > 0.65 && r.across < -0.3) return 'out';
  if (r.across < 0.1) return 'beside';
  const curled = (f) => m.straight[f] < 0.3;
  // at the knuckles, inside the hand, with the fingers before it curled over it
  if (r.up >= 0.75 && curled(1)) {
    if (r.across < 0.3) return 'between1';
    if (r.across < 0.55 && curled(2)) return 'between2';
    if (curled(2) && curled(3)) return 'between3';
  }
  return 'across';
}

/**
 * How to place the thumb for letters whose thumb is their difference (A E M N S T, and B), as the
 * learn page's tips say it; other letters are described from the reference's geometry.
 */
export const THUMB_WORDS = {
  A: 'rest your thumb against the side of your index finger',
  B: 'fold your thumb across your palm',
  E: 'fold your thumb across your palm, under your fingertips',
  M: 'tuck your thumb under three fingers',
  N: 'tuck your thumb under two fingers',
  S: 'fold your thumb across the front of your fingers',
  T: 'tuck your thumb between your index and middle fingers',
};

function thumbInWords(r) {
  switch (thumbPlace(r)) {
    case 'beside': return 'bring your thumb against the side of your index finger';
    case 'across': return 'fold your thumb across your palm';
    case 'between1': return 'tuck your thumb between your index and middle fingers';
    case 'between2': return 'tuck your thumb under two fingers';
    case 'between3': return 'tuck your thumb under three fingers';
    default: return 'bring your thumb in closer to your hand';
  }
}

function thumbOutWords(r) {
  switch (thumbPlace(r)) {
    case 'out': return 'move your thumb out to the side';
    case 'beside': return 'move your thumb to the side of your index finger, not across the palm';
    case 'between1': return 'tuck your thumb between your index and middle fingers, not further across';
    case 'between2': return 'tuck your thumb under two fingers (index and middle), not three';
    default: return 'move your thumb back towards your index finger';
  }
}

function pointWords(p) {
  if (p > 2.2) return 'point your fingers down';
  if (p > 0.9) return 'point your fingers sideways';
  return 'point your fingers up';
}

/**
 * Compare the signer's hand (21 landmarks, any scale or position, either hand) with the target's
 * reference (21 landmarks) for `letter` (optional: names the thumb's place). Returns {closeness (0..1), tip (the one change that matters most, or ''
 * when nothing stands out), worst (its difference record), parts}, or null if either is not a hand.
 */
export function compareHands(mine, target, letter = '') {
  const a = measure(mine), b = measure(target);
  return a && b ? compareMeasures(a, b, letter) : null;
}

/** compareHands for hands already measured (measure()). */
export function compareMeasures(a, b, letter = '') {
  const parts = differences(a, b, letter);
  const total = parts.reduce((s, p) => s + p.d * p.d, 0);
  const closeness = Math.exp((-0.5 * total) / SPREAD_OF_CLOSE);
  const worst = mergeFingers(parts);
  return { closeness, tip: worst && Math.abs(worst.d) >= TIP_MIN ? worst.words : '', worst, parts };
}

/**
 * The part with the largest difference; when neighbouring fingers need the same curl change, one tip
 * names them together ("curl your ring and little fingers").
 */
function mergeFingers(parts) {
  let worst = null;
  for (const p of parts) if (!worst || Math.abs(p.d) > Math.abs(worst.d)) worst = p;
  if (!worst || worst.kind !== 'curl' || worst.finger === 0) return worst;
  const same = parts.filter((p) => p.kind === 'curl' && p.finger > 0 && Math.sign(p.d) === Math.sign(worst.d) && Math.abs(p.d) >= Math.max(TIP_MIN, Math.abs(worst.d) * 0.6));
  if (same.length < 2) return worst;
  const names = same.map((p) => SHORT[p.finger]);
  const list = names.length === 4 ? 'fingers' : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} fingers`;
  return { ...worst, words: `${worst.d > 0 ? 'straighten' : 'curl'} your ${list}` };
}
