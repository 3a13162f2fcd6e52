// Calibrate page: the learner teaches SignBridge their own hand. Each sign is asked for in turn; after a
// moment to form it, the page keeps READINGS_PER_SIGN readings of a steady hand from the server's
// prediction messages (the landmarks it found, in pixels of the frame; on-device mode: found here) and
// stores them with POST /api/calibration/examples, replacing that sign's earlier examples. Only
// landmarks are sent, never a picture. The list shows how many examples each sign has, with a button to
// (re)teach one; "Delete my calibration" removes all of them (two clicks).
// Test hooks: ?labels=R,space asks for only those signs; ?per-label=N keeps N readings per sign.
import { getCalibration, postExamples, deleteCalibration, textToSign } from './api.js';
import { setupLive } from './live.js';
import { drawNormalizedHand } from './overlay.js';
import { getProfileId } from './profile.js';
import { labelGlyph, labelWords } from './prediction.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const clampInt = (v, lo, hi, dflt) => {
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : dflt;
};
const READINGS_PER_SIGN = clampInt(params.get('per-label'), 1, 20, 5);
const READY_MS = 1200;            // time to form the sign before readings are kept
const MIN_GAP_MS = 150;           // readings at least this far apart
const STEADY = 0.12;              // mean movement between readings, in hand sizes, still counted as steady
const NO_HAND_HINT_MS = 2500;     // say "show your hand" after this long without one

const profile = getProfileId();
$('profile-id').textContent = profile;

const live = setupLive({
  video: $('video'), overlay: $('overlay'), stage: $('stage'), connPill: $('conn-status'), camPill: $('cam-status'),
  startBtn: $('start'), stopBtn: $('stop'), mirror: $('mirror'), placeholder: $('placeholder'), camError: $('cam-error'),
  onDevice: $('on-device'), onDeviceNote: $('on-device-note'),
});

const hint = (text, state = 'idle') => { const h = $('calib-hint'); h.textContent = text; h.dataset.state = state; };
const say = (text) => { $('calib-msg').textContent = text; };

// ---------- the examples list ----------
let counts = [];   // [{label, examples}] in the order the calibration asks for them
let maxPerLabel = 20;

function render() {
  const list = $('calib-counts');
  list.replaceChildren();
  for (const { label, examples } of counts) {
    const li = document.createElement('li');
    li.dataset.label = label;
    li.dataset.count = String(examples);
    li.dataset.active = String(run && run.label === label);
    const sign = document.createElement('span');
    sign.className = 'sign';
    sign.textContent = labelGlyph(label);
    sign.title = labelWords(label);
    const n = document.createElement('span');
    n.className = 'count';
    n.textContent = String(examples);
    n.setAttribute('aria-label', `${examples} example${examples === 1 ? '' : 's'}`);
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = examples > 0 ? 'Redo' : 'Teach';
    b.setAttribute('aria-label', `${examples > 0 ? 'Redo' : 'Teach'} ${labelWords(label)}`);
    b.addEventListener('click', () => start([label]));
    li.append(sign, n, b);
    list.append(li);
  }
  const total = counts.reduce((a, c) => a + c.examples, 0);
  const taught = counts.filter((c) => c.examples > 0).length;
  $('calib-summary').textContent = total > 0
    ? `${total} examples of ${taught} of ${counts.length} signs (at most ${maxPerLabel} per sign). The Interpreter and Practise read with them.`
    : 'No examples yet: letters are read with the shipped model only.';
  $('calib-delete').disabled = total === 0;
}

function takeBody(body) {
  counts = body.counts;
  maxPerLabel = body.max_per_label;
  render();
}

async function refresh() {
  try {
    takeBody(await getCalibration(profile));
  } catch (err) {
    $('calib-summary').textContent = `Could not read your examples: ${err.message}`;
  }
}

// ---------- one run through the signs ----------
let run = null; // {queue, label, shownAt, readings, last, lastHandAt}

function askedLabels() {
  const all = counts.map((c) => c.label);
  const wanted = (params.get('labels') || '').split(',').map((s) => s.trim()).filter(Boolean);
  const pick = wanted.map((w) => all.find((l) => l.toLowerCase() === w.toLowerCase())).filter(Boolean);
  return pick.length ? pick : all;
}

function start(labels) {
  if (!live.camera.running) {
    hint('Start the camera first: the readings come from it.', 'no');
    $('start').focus();
    return;
  }
  run = { queue: labels.slice(), label: null };
  $('calib-skip').disabled = false;
  $('calib-stop').disabled = false;
  $('calib-start').disabled = true;
  say('');
  next();
}

function next() {
  if (!run) return;
  const label = run.queue.shift();
  if (!label) { finish(); return; }
  Object.assign(run, { label, shownAt: performance.now(), readings: [], last: null, lastHandAt: performance.now() });
  $('calib-target').textContent = labelGlyph(label);
  $('calib-target').setAttribute('aria-label', `Sign asked for: ${labelWords(label)}`);
  $('calib-progress').style.width = '0%';
  hint(`Make the sign for ${labelWords(label)} and hold it still…`);
  showShape(label);
  render();
}

function stopRun(message) {
  run = null;
  $('calib-skip').disabled = true;
  $('calib-stop').disabled = true;
  $('calib-start').disabled = false;
  $('calib-target').textContent = '–';
  $('calib-shape').hidden = true;
  $('calib-progress').style.width = '0%';
  render();
  if (message) hint(message);
}

function finish() {
  const total = counts.reduce((a, c) => a + c.examples, 0);
  stopRun(`Done. ${total} examples stored: the Interpreter and Practise now read with your calibration.`);
}

/** The shipped model's drawing of a letter, beside the sign asked for. */
const shapes = new Map();
async function showShape(label) {
  const canvas = $('calib-shape');
  canvas.hidden = true;
  if (label.length !== 1) return;
  try {
    if (!shapes.has(label)) shapes.set(label, (await textToSign(label)).letters[0].landmarks);
    if (!run || run.label !== label) return;
    canvas.hidden = false;
    drawNormalizedHand(canvas, shapes.get(label));
  } catch { /* the drawing is a help, not needed */ }
}

/** The hand a prediction was read from: the one the landmark model is surest of (as the server picks it). */
function signingHand(msg) {
  const hands = Array.isArray(msg.hands) ? msg.hands : [];
  return hands.reduce((best, h) => (!best || h.score > best.score ? h : best), null);
}

/** Mean movement of the 21 points between two readings, in hand sizes (wrist to middle knuckle). */
function movement(a, b) {
  const size = Math.hypot(a[9][0] - a[0][0], a[9][1] - a[0][1]) || 1;
  let sum = 0;
  for (let i = 0; i < 21; i++) sum += Math.hypot(a[i][0] - b[i][0], a[i][1] - b[i][1]);
  return sum / 21 / size;
}

async function store(label, hands) {
  hint(`Saving ${labelWords(label)}…`);
  try {
    takeBody(await postExamples({ profile, label, hands, replace: true }));
    say(`Kept ${hands.length} readings of ${labelWords(label)}.`);
    return true;
  } catch (err) {
    stopRun(`Could not save ${labelWords(label)}: ${err.message}. Press Redo beside it to try again.`);
    return false;
  }
}

async function onPrediction(msg) {
  if (!run || !run.label || run.saving) return;
  const now = performance.now();
  const hand = signingHand(msg);
  if (!hand) {
    if (now - run.lastHandAt > NO_HAND_HINT_MS) hint('Show your hand to the camera, palm towards it.', 'no');
    return;
  }
  run.lastHandAt = now;
  if (now - run.shownAt < READY_MS) return;
  const points = hand.landmarks;
  const steady = run.last && movement(points, run.last.points) <= STEADY;
  const spaced = !run.last || now - run.last.at >= MIN_GAP_MS;
  if (!spaced) return;
  const previous = run.last;
  run.last = { points, at: now };
  if (previous && !steady) {
    hint(`Hold ${labelWords(run.label)} still…`, 'close');
    return;
  }
  if (!previous) return; // a first reading only sets where the hand is
  run.readings.push(points);
  $('calib-progress').style.width = `${Math.round((100 * run.readings.length) / READINGS_PER_SIGN)}%`;
  hint(`Hold it: ${run.readings.length} of ${READINGS_PER_SIGN}`, 'match');
  if (run.readings.length < READINGS_PER_SIGN) return;
  const { label, readings } = run;
  run.saving = true;
  const ok = await store(label, readings);
  if (!run) return;
  run.saving = false;
  if (ok) next();
}

live.socket.addEventListener('message', (e) => {
  const msg = e.detail.data;
  if (msg.type !== 'prediction') return;
  if (live.camera.running) live.drawPrediction(msg);
  onPrediction(msg);
});
live.camera.addEventListener('status', (e) => {
  if (e.detail.state !== 'on' && run) stopRun('The camera stopped: calibration paused. Start it again to go on.');
});

$('calib-start').addEventListener('click', () => start(askedLabels()));
$('calib-skip').addEventListener('click', () => { say(run ? `Skipped ${labelWords(run.label)}.` : ''); next(); });
$('calib-stop').addEventListener('click', () => stopRun('Stopped. The signs already taught are kept.'));

// Deleting everything takes two clicks: the first asks, the second deletes.
const del = $('calib-delete');
let confirmTimer = null;
del.addEventListener('click', async () => {
  if (del.dataset.confirm !== 'true') {
    del.dataset.confirm = 'true';
    del.textContent = 'Really delete every example? Click again';
    clearTimeout(confirmTimer);
    confirmTimer = setTimeout(() => { del.dataset.confirm = 'false'; del.textContent = 'Delete my calibration'; }, 6000);
    return;
  }
  clearTimeout(confirmTimer);
  del.dataset.confirm = 'false';
  del.textContent = 'Delete my calibration';
  if (run) stopRun();
  try {
    const body = await deleteCalibration(profile);
    takeBody(body);
    say(`Deleted ${body.deleted} example${body.deleted === 1 ? '' : 's'}: letters are read with the shipped model again.`);
  } catch (err) {
    say(`Could not delete: ${err.message}`);
  }
});

refresh();
