// Hand drawing shared by the interpreter, upload mode, learn and practice pages.
// Landmarks follow MediaPipe's 21-point order (0 wrist ... 20 pinky tip).

export const HAND_CONNECTIONS = [
  [0, 1], [1, 2], [2, 3], [3, 4],          // thumb
  [0, 5], [5, 6], [6, 7], [7, 8],          // index
  [9, 10], [10, 11], [11, 12],             // middle
  [13, 14], [14, 15], [15, 16],            // ring
  [0, 17], [17, 18], [18, 19], [19, 20],   // pinky
  [5, 9], [9, 13], [13, 17],               // palm
];

// Colour per finger; palm lines and the wrist use PALM.
const FINGER_COLOURS = ['#ff8a3d', '#ffd23f', '#3ddc97', '#3fb8ff', '#c77dff'];
const PALM = '#f1f4fb';

function fingerOf(index) {
  if (index === 0) return -1;
  return Math.floor((index - 1) / 4);
}

function connectionColour(a, b) {
  if (a === 0) return b === 1 ? FINGER_COLOURS[0] : PALM;
  const fa = fingerOf(a);
  return fa === fingerOf(b) ? FINGER_COLOURS[fa] : PALM;
}

/**
 * Size a canvas's backing store to its displayed size (times devicePixelRatio) and return a 2D context
 * whose units are CSS pixels.
 */
export function prepareCanvas(canvas) {
  const rect = canvas.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(rect.width));
  const height = Math.max(1, Math.round(rect.height));
  const bw = Math.round(width * dpr);
  const bh = Math.round(height * dpr);
  if (canvas.width !== bw || canvas.height !== bh) {
    canvas.width = bw;
    canvas.height = bh;
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return { ctx, width, height };
}

export function clearCanvas(canvas) {
  const ctx = canvas.getContext('2d');
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
}

/**
 * Where a source of srcW x srcH pixels is shown inside a box of boxW x boxH with CSS object-fit
 * ('contain' or 'cover'). Returns {x, y, w, h} in box pixels.
 */
export function contentRect(boxW, boxH, srcW, srcH, fit = 'contain') {
  if (!srcW || !srcH) return { x: 0, y: 0, w: boxW, h: boxH };
  const scale = fit === 'cover'
    ? Math.max(boxW / srcW, boxH / srcH)
    : Math.min(boxW / srcW, boxH / srcH);
  const w = srcW * scale;
  const h = srcH * scale;
  return { x: (boxW - w) / 2, y: (boxH - h) / 2, w, h };
}

/**
 * Draw one hand. `points` are [x, y, z?] already in canvas (CSS pixel) coordinates; z (same units as x,
 * negative = nearer the camera) only modulates the joint size a little.
 */
export function drawHand(ctx, points, opts = {}) {
  if (!points || points.length < 21) return;
  const scale = opts.scale ?? 1;
  const line = Math.max(1.5, (opts.lineWidth ?? 3) * scale);
  const radius = Math.max(1.5, (opts.radius ?? 4) * scale);
  ctx.save();
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  // dark halo under the lines so they read on any background
  ctx.strokeStyle = opts.halo ?? 'rgba(10, 14, 30, 0.55)';
  ctx.lineWidth = line + 2.5;
  ctx.beginPath();
  for (const [a, b] of HAND_CONNECTIONS) {
    ctx.moveTo(points[a][0], points[a][1]);
    ctx.lineTo(points[b][0], points[b][1]);
  }
  ctx.stroke();
  ctx.lineWidth = line;
  for (const [a, b] of HAND_CONNECTIONS) {
    ctx.strokeStyle = opts.colour ?? connectionColour(a, b);
    ctx.beginPath();
    ctx.moveTo(points[a][0], points[a][1]);
    ctx.lineTo(points[b][0], points[b][1]);
    ctx.stroke();
  }
  // joints; nearer joints (more negative z) a bit larger
  const zs = points.map((p) => p[2] ?? 0);
  const zMin = Math.min(...zs);
  const zMax = Math.max(...zs);
  for (let i = 0; i < 21; i++) {
    const p = points[i];
    const t = zMax > zMin ? (zMax - p[2]) / (zMax - zMin) : 0.5;
    const r = radius * (0.8 + 0.5 * (Number.isFinite(t) ? t : 0.5));
    ctx.beginPath();
    ctx.arc(p[0], p[1], r, 0, Math.PI * 2);
    ctx.fillStyle = i === 0 ? PALM : FINGER_COLOURS[fingerOf(i)];
    ctx.fill();
    ctx.lineWidth = 1.25;
    ctx.strokeStyle = 'rgba(10, 14, 30, 0.8)';
    ctx.stroke();
  }
  ctx.restore();
}

/**
 * Clear `canvas` and draw `hands` (objects with `landmarks` in pixels of an image of imageW x imageH)
 * over media shown with object-fit `fit` in an element of the canvas's size. Mirroring is left to CSS:
 * mirror the canvas with the same transform as the video.
 * Returns the number of hands drawn.
 */
export function drawHandsOnMedia(canvas, hands, imageW, imageH, opts = {}) {
  const { ctx, width, height } = prepareCanvas(canvas);
  if (!hands || !hands.length || !imageW || !imageH) return 0;
  const r = contentRect(width, height, imageW, imageH, opts.fit ?? 'contain');
  const sx = r.w / imageW;
  const sy = r.h / imageH;
  const scale = Math.min(1.6, Math.max(0.6, r.w / 480));
  let n = 0;
  for (const hand of hands) {
    const lm = hand.landmarks;
    if (!Array.isArray(lm) || lm.length < 21) continue;
    const pts = lm.map(([x, y, z = 0]) => [r.x + x * sx, r.y + y * sy, z * sx]);
    drawHand(ctx, pts, { scale });
    n++;
  }
  return n;
}

/**
 * Draw an image (HTMLImageElement / ImageBitmap) letterboxed in `canvas`, then its hands on top.
 * Used by upload mode. Returns the number of hands drawn.
 */
export function drawImageWithHands(canvas, image, hands, imageW, imageH) {
  const { ctx, width, height } = prepareCanvas(canvas);
  const iw = imageW || image.naturalWidth || image.width;
  const ih = imageH || image.naturalHeight || image.height;
  const r = contentRect(width, height, iw, ih, 'contain');
  ctx.drawImage(image, r.x, r.y, r.w, r.h);
  if (!hands || !hands.length) return 0;
  const sx = r.w / iw;
  const sy = r.h / ih;
  const scale = Math.min(1.6, Math.max(0.6, r.w / 480));
  let n = 0;
  for (const hand of hands) {
    if (!Array.isArray(hand.landmarks) || hand.landmarks.length < 21) continue;
    drawHand(ctx, hand.landmarks.map(([x, y, z = 0]) => [r.x + x * sx, r.y + y * sy, z * sx]), { scale });
    n++;
  }
  return n;
}

/**
 * Draw a hand given normalised landmarks (0..1, y down) so that it fills `canvas` with some padding,
 * keeping its proportions. Used by the learn page (no photos: the hand is drawn from landmarks only).
 */
export function drawNormalizedHand(canvas, landmarks, opts = {}) {
  const { ctx, width, height } = prepareCanvas(canvas);
  if (!Array.isArray(landmarks) || landmarks.length < 21) return false;
  const xs = landmarks.map((p) => p[0]);
  const ys = landmarks.map((p) => p[1]);
  const minX = Math.min(...xs), maxX = Math.max(...xs);
  const minY = Math.min(...ys), maxY = Math.max(...ys);
  const spanX = Math.max(maxX - minX, 1e-6);
  const spanY = Math.max(maxY - minY, 1e-6);
  const pad = opts.padding ?? 0.14;
  const avail = Math.min(width, height) * (1 - 2 * pad);
  const s = avail / Math.max(spanX, spanY);
  const ox = (width - spanX * s) / 2 - minX * s;
  const oy = (height - spanY * s) / 2 - minY * s;
  const pts = landmarks.map(([x, y, z = 0]) => [ox + x * s, oy + y * s, z * s]);
  drawHand(ctx, pts, { scale: Math.max(0.7, Math.min(1.5, width / 180)), ...opts });
  return true;
}
