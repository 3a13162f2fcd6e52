// A letter's handshape drawn as a solid hand: a shaded palm and thick, shaded finger bones (capsules),
// sorted far to near (painter's order) so the near fingers cover the far ones and are drawn lighter. Our
// own small projection on a plain 2-D canvas: the landmarks are turned by yaw and pitch (drag to turn),
// mirrored for a left-handed signer, and projected orthographically. J and Z are animated along their
// path (J from I, Z from D's index) unless the reader prefers reduced motion: then the path is drawn
// still, with an arrow, and the hand where it starts and (faint) where it ends.
//
// Landmarks follow MediaPipe's 21-point order (0 wrist, 1-4 thumb, 5-8 index, 9-12 middle, 13-16 ring,
// 17-20 little finger), x and y in any one scale (y down), z in the same scale (negative = nearer).

import { prepareCanvas } from './overlay.js';

/** The finger bones: [from, to, finger] (finger 0 = thumb ... 4 = little finger). */
export const BONES = [
  [1, 2, 0], [2, 3, 0], [3, 4, 0],
  [5, 6, 1], [6, 7, 1], [7, 8, 1],
  [9, 10, 2], [10, 11, 2], [11, 12, 2],
  [13, 14, 3], [14, 15, 3], [15, 16, 3],
  [17, 18, 4], [18, 19, 4], [19, 20, 4],
];
/** The palm's outline: wrist, thumb base, the knuckles of index to little finger. */
export const PALM = [0, 1, 5, 9, 13, 17];

const MIRROR_KEY = 'signbridge.leftHanded';
const reduceMotion = () => typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;

/** Whether this browser asked for the left-hand (mirrored) view. */
export function leftHanded() {
  try { return localStorage.getItem(MIRROR_KEY) === '1'; } catch { return false; }
}

/** Remember the left-hand view for this browser and tell every hand view on the page. */
export function setLeftHanded(on) {
  try { localStorage.setItem(MIRROR_KEY, on ? '1' : '0'); } catch { /* private mode: this page only */ }
  window.dispatchEvent(new CustomEvent('signbridge:handedness', { detail: { left: on } }));
}

/** Wire a checkbox to the left-hand view (it reflects and changes the remembered choice). */
export function bindMirrorSwitch(input) {
  input.checked = leftHanded();
  input.addEventListener('change', () => setLeftHanded(input.checked));
  window.addEventListener('signbridge:handedness', (e) => { input.checked = e.detail.left; });
}

/**
 * Turn landmarks about their centre: mirror x (left hand), then yaw (about the vertical axis), then
 * pitch (about the horizontal axis). Returns points [x, y, z] centred on the origin, same scale.
 */
export function turnHand(landmarks, { yaw = 0, pitch = 0, mirror = false } = {}) {
  const n = landmarks.length;
  const c = [0, 0, 0];
  for (const p of landmarks) for (let d = 0; d < 3; d++) c[d] += (p[d] ?? 0) / n;
  const cy = Math.cos(yaw), sy = Math.sin(yaw), cp = Math.cos(pitch), sp = Math.sin(pitch);
  return landmarks.map((p) => {
    let x = (p[0] - c[0]) * (mirror ? -1 : 1);
    const y0 = p[1] - c[1];
    let z = (p[2] ?? 0) - c[2];
    const x1 = x * cy + z * sy;
    z = -x * sy + z * cy;
    x = x1;
    const y = y0 * cp - z * sp;
    z = y0 * sp + z * cp;
    return [x, y, z];
  });
}

/** Radius of the hand about its centre (3-D), so a turned hand keeps its size on screen. */
function radius(points) {
  let r = 0;
  for (const p of points) r = Math.max(r, Math.hypot(p[0], p[1], p[2]));
  return r || 1;
}

const dist = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

/** Skin shade for a depth t in [0, 1] (0 far, 1 near): nearer is lighter. The thumb is warmer. */
function shade(t, finger) {
  const l = 48 + 30 * t;
  return finger === 0 ? `hsl(18 62% ${l}%)` : `hsl(30 42% ${l}%)`;
}

/**
 * Draw `landmarks` as a solid hand filling a `width` x `height` box of `ctx`. Options: yaw, pitch,
 * mirror, padding (fraction of the box), offset ([dx, dy] in the landmarks' own scale, for motion),
 * trail ({tip, offsets}: the path landmark `tip` takes as the hand moves by each offset), arrow (draw
 * the trail's direction), fitBox ({minX, maxX, minY, maxY}: the box to fit, for a moving hand). Returns the projected 2-D points (for tests and hit checks).
 */
export function drawSolidHand(ctx, landmarks, width, height, opts = {}) {
  const { yaw = 0, pitch = 0, mirror = false, padding = 0.1, offset = [0, 0], trail = null, arrow = false, fitBox } = opts;
  const turned = turnHand(landmarks, { yaw, pitch, mirror });
  let s, ox, oy;
  if (fitBox) {
    // a moving hand: fit the box the hand sweeps (in the turned hand's units)
    s = (Math.min(width, height) * (1 - 2 * padding)) / Math.max(fitBox.maxX - fitBox.minX, fitBox.maxY - fitBox.minY, 1e-9);
    ox = width / 2 - s * (fitBox.minX + fitBox.maxX) / 2;
    oy = height / 2 - s * (fitBox.minY + fitBox.maxY) / 2;
  } else {
    // a still hand: fit its radius, so turning it keeps its size
    s = (Math.min(width, height) * (1 - 2 * padding)) / (2 * radius(turned));
    ox = width / 2;
    oy = height / 2;
  }
  const mx = mirror ? -1 : 1;
  const project = (p) => [ox + p[0] * s, oy + p[1] * s, p[2] * s];
  const pts = turned.map((p) => project([p[0] + offset[0] * mx, p[1] + offset[1], p[2]]));
  const palmWidth = dist(turned[5], turned[17]) * s;
  const thick = Math.max(3, palmWidth * 0.27);
  const zs = pts.map((p) => p[2]);
  const zMin = Math.min(...zs), zMax = Math.max(...zs);
  const near = (z) => (zMax > zMin ? (zMax - z) / (zMax - zMin) : 0.5);

  // primitives, far (large z) to near
  const prims = [];
  prims.push({ z: PALM.reduce((a, i) => a + pts[i][2], 0) / PALM.length + thick * 0.3, palm: true });
  for (const [a, b, f] of BONES) {
    // a bone's thickness tapers to the tip; the thumb's base is broad
    const w = thick * (f === 0 ? (a === 1 ? 1.25 : 1.05) : f === 4 ? 0.82 : 1) * (b % 4 === 0 ? 0.9 : 1);
    prims.push({ z: (pts[a][2] + pts[b][2]) / 2, a, b, f, w });
  }
  prims.sort((p, q) => q.z - p.z);

  ctx.save();
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  for (const p of prims) {
    if (p.palm) drawPalm(ctx, pts, turned, near, thick);
    else drawBone(ctx, pts[p.a], pts[p.b], p.w, near((pts[p.a][2] + pts[p.b][2]) / 2), p.f);
  }
  ctx.restore();
  // the motion's path over the hand (it starts at a fingertip and crosses the hand as it moves)
  if (trail && trail.offsets.length > 1) {
    const tip = turned[trail.tip];
    drawTrail(ctx, trail.offsets.map(([dx, dy]) => project([tip[0] + dx * mx, tip[1] + dy, tip[2]])), arrow, thick);
  }
  return pts;
}

function drawPalm(ctx, pts, turned, near, thick) {
  // how squarely the palm faces the viewer: lighter when facing, darker edge-on
  const u = sub(turned[5], turned[0]), v = sub(turned[17], turned[0]);
  const n = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
  const facing = Math.abs(n[2]) / (Math.hypot(...n) || 1);
  const t = PALM.reduce((a, i) => a + near(pts[i][2]), 0) / PALM.length;
  ctx.beginPath();
  PALM.forEach((i, k) => (k ? ctx.lineTo(pts[i][0], pts[i][1]) : ctx.moveTo(pts[i][0], pts[i][1])));
  ctx.closePath();
  ctx.lineWidth = thick * 1.1;
  ctx.strokeStyle = 'rgba(40, 22, 12, 0.85)';
  ctx.stroke();
  ctx.fillStyle = `hsl(30 40% ${40 + 22 * facing + 12 * t}%)`;
  ctx.lineWidth = thick * 0.95;
  ctx.strokeStyle = ctx.fillStyle;
  ctx.fill();
  ctx.stroke();
}

function drawBone(ctx, a, b, w, t, finger) {
  ctx.beginPath();
  ctx.moveTo(a[0], a[1]);
  ctx.lineTo(b[0], b[1]);
  ctx.strokeStyle = 'rgba(40, 22, 12, 0.9)';
  ctx.lineWidth = w + 2.5;
  ctx.stroke();
  ctx.strokeStyle = shade(t, finger);
  ctx.lineWidth = w;
  ctx.stroke();
  // a highlight along the bone gives it volume
  const dx = b[0] - a[0], dy = b[1] - a[1];
  const len = Math.hypot(dx, dy) || 1;
  const hx = (-dy / len) * w * 0.18, hy = (dx / len) * w * 0.18;
  ctx.beginPath();
  ctx.moveTo(a[0] - hx, a[1] - Math.abs(hy));
  ctx.lineTo(b[0] - hx, b[1] - Math.abs(hy));
  ctx.strokeStyle = `rgba(255, 244, 230, ${0.18 + 0.22 * t})`;
  ctx.lineWidth = w * 0.3;
  ctx.stroke();
}

function drawTrail(ctx, pts, arrow, thick) {
  ctx.save();
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  const line = Math.max(2, thick * 0.22);
  ctx.beginPath();
  pts.forEach((p, k) => (k ? ctx.lineTo(p[0], p[1]) : ctx.moveTo(p[0], p[1])));
  // a pale halo keeps the path readable where it crosses the hand
  ctx.strokeStyle = 'rgba(255, 255, 255, 0.75)';
  ctx.lineWidth = line + 3;
  ctx.stroke();
  ctx.setLineDash([thick * 0.5, thick * 0.45]);
  ctx.strokeStyle = 'rgba(47, 63, 200, 0.95)';
  ctx.lineWidth = line;
  ctx.stroke();
  ctx.setLineDash([]);
  if (arrow) {
    const [a, b] = [pts[pts.length - 2], pts[pts.length - 1]];
    const ang = Math.atan2(b[1] - a[1], b[0] - a[0]);
    const h = Math.max(6, thick * 0.7);
    ctx.fillStyle = 'rgba(63, 81, 216, 0.95)';
    ctx.beginPath();
    ctx.moveTo(b[0], b[1]);
    ctx.lineTo(b[0] - h * Math.cos(ang - 0.45), b[1] - h * Math.sin(ang - 0.45));
    ctx.lineTo(b[0] - h * Math.cos(ang + 0.45), b[1] - h * Math.sin(ang + 0.45));
    ctx.closePath();
    ctx.fill();
  }
  ctx.restore();
}

const sub = (a, b) => [a[0] - b[0], a[1] - b[1], (a[2] ?? 0) - (b[2] ?? 0)];

/**
 * The motion of J or Z as a path of hand offsets, in the landmarks' own scale, from the size of the
 * hand: J drops the little finger and hooks it towards the signer; Z's index finger draws across,
 * diagonally back and down, and across. Returns {offsets: [[dx, dy] ...], tip} (tip: the landmark
 * whose path is traced), or null for other letters.
 */
export function motionPath(letter, landmarks) {
  const size = dist(landmarks[0], landmarks[9]) || 0.3;
  const steps = [];
  if (letter === 'J') {
    // down, then curve sideways and up: a J seen from the front (towards the thumb side)
    const sideways = Math.sign(landmarks[5][0] - landmarks[17][0]) || -1;
    for (let k = 0; k <= 24; k++) {
      const t = k / 24;
      if (t < 0.5) steps.push([0, size * 1.3 * (t / 0.5)]);
      else {
        const a = ((t - 0.5) / 0.5) * Math.PI * 0.9;
        steps.push([sideways * size * 0.5 * (1 - Math.cos(a)), size * 1.3 + size * 0.5 * Math.sin(a)]);
      }
    }
    return { offsets: steps, tip: 20 };
  }
  if (letter === 'Z') {
    const w = size * 1.3, h = size * 1.1;
    const corners = [[0, 0], [w, 0], [0, h], [w, h]];
    for (let c = 0; c < 3; c++) {
      for (let k = 0; k < 8; k++) {
        const t = k / 8;
        steps.push([corners[c][0] + (corners[c + 1][0] - corners[c][0]) * t, corners[c][1] + (corners[c + 1][1] - corners[c][1]) * t]);
      }
    }
    steps.push(corners[3]);
    return { offsets: steps.map(([x, y]) => [x - w / 2, y - h / 2]), tip: 8 };
  }
  return null;
}

/**
 * A canvas showing one handshape: turned by dragging (or the arrow keys when focused; double-click or
 * Home resets), mirrored while the left-hand view is on, J and Z animated. `setHand(landmarks, letter)`
 * changes what it shows.
 */
export class HandView {
  constructor(canvas, { interactive = true, padding = 0.1 } = {}) {
    this.canvas = canvas;
    this.padding = padding;
    this.landmarks = null;
    this.letter = '';
    this.yaw = 0;
    this.pitch = 0;
    this.frame = null;
    this.started = 0;
    if (interactive) this.#interact();
    window.addEventListener('signbridge:handedness', () => this.draw());
  }

  setHand(landmarks, letter = '') {
    this.landmarks = Array.isArray(landmarks) && landmarks.length >= 21 ? landmarks : null;
    this.letter = letter;
    this.yaw = 0;
    this.pitch = 0;
    this.started = performance.now();
    this.draw();
  }

  /** Draw now (and keep animating J and Z). Sets data-drawn on the canvas. */
  draw() {
    cancelAnimationFrame(this.frame);
    this.frame = null;
    const { ctx, width, height } = prepareCanvas(this.canvas);
    if (!this.landmarks) { this.canvas.dataset.drawn = 'false'; return false; }
    const motion = motionPath(this.letter, this.landmarks);
    const mirror = leftHanded();
    const view = { yaw: this.yaw, pitch: this.pitch, mirror, padding: this.padding };
    if (!motion) {
      drawSolidHand(ctx, this.landmarks, width, height, view);
    } else {
      const n = motion.offsets.length;
      const centred = motion.offsets;
      const fitBox = sweptBox(this.landmarks, centred, view);
      const trail = (k) => ({ tip: motion.tip, offsets: centred.slice(0, k + 1) });
      if (reduceMotion()) {
        // still: a faint hand where the motion ends, the hand where it starts, the whole path with an arrow
        ctx.globalAlpha = 0.3;
        drawSolidHand(ctx, this.landmarks, width, height, { ...view, fitBox, offset: centred[n - 1] });
        ctx.globalAlpha = 1;
        drawSolidHand(ctx, this.landmarks, width, height, { ...view, fitBox, offset: centred[0], trail: trail(n - 1), arrow: true });
        this.canvas.dataset.animated = 'false';
      } else {
        const period = 2400;
        const t = ((performance.now() - this.started) % period) / period;
        const k = Math.min(centred.length - 1, Math.floor(Math.min(1, t / 0.8) * (centred.length - 1)));
        drawSolidHand(ctx, this.landmarks, width, height, { ...view, fitBox, offset: centred[k], trail: trail(k), arrow: k > 1 });
        this.canvas.dataset.animated = 'true';
        this.frame = requestAnimationFrame(() => this.draw());
      }
    }
    this.canvas.dataset.drawn = 'true';
    this.canvas.dataset.mirrored = String(mirror);
    return true;
  }

  stop() { cancelAnimationFrame(this.frame); this.frame = null; }

  #interact() {
    const c = this.canvas;
    c.classList.add('turnable');
    let drag = null;
    c.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, y: e.clientY, yaw: this.yaw, pitch: this.pitch };
      c.setPointerCapture(e.pointerId);
      e.preventDefault();
    });
    c.addEventListener('pointermove', (e) => {
      if (!drag) return;
      this.yaw = drag.yaw + (e.clientX - drag.x) * 0.012;
      this.pitch = clamp(drag.pitch - (e.clientY - drag.y) * 0.012, -1.3, 1.3);
      if (!this.frame) this.draw();
    });
    const end = () => { drag = null; };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    c.addEventListener('dblclick', () => { this.yaw = 0; this.pitch = 0; this.draw(); });
    c.addEventListener('keydown', (e) => {
      const step = 0.15;
      if (e.key === 'ArrowLeft') this.yaw -= step;
      else if (e.key === 'ArrowRight') this.yaw += step;
      else if (e.key === 'ArrowUp') this.pitch = clamp(this.pitch + step, -1.3, 1.3);
      else if (e.key === 'ArrowDown') this.pitch = clamp(this.pitch - step, -1.3, 1.3);
      else if (e.key === 'Home') { this.yaw = 0; this.pitch = 0; } else return;
      e.preventDefault();
      this.draw();
    });
  }
}

const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));

/** The box the turned hand sweeps as it moves by each offset (x mirrored with the hand). */
function sweptBox(landmarks, offsets, view) {
  const turned = turnHand(landmarks, view);
  const mx = view.mirror ? -1 : 1;
  const xs = turned.map((p) => p[0]), ys = turned.map((p) => p[1]);
  const dxs = offsets.map((o) => o[0] * mx), dys = offsets.map((o) => o[1]);
  return {
    minX: Math.min(...xs) + Math.min(...dxs), maxX: Math.max(...xs) + Math.max(...dxs),
    minY: Math.min(...ys) + Math.min(...dys), maxY: Math.max(...ys) + Math.max(...dys),
  };
}
