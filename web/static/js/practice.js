// Practice page: sign the target letter (or each letter of a word). The server decides when a sign is
// held: an attempt is correct when a prediction message commits the target (its `committed` field, the
// rule that adds a letter to the interpreter's sentence); a skip is a miss. The score of a correct
// attempt is the mean confidence of the target's frames since it started matching. Attempts go to
// /api/progress/attempt through a persistent queue: failed writes stay queued, are retried and shown.
// The target is drawn beside the letter (hand-drawing.js), and the signer's hand is compared with it
// finger by finger (hand-compare.js): "How close" and the tip come from that comparison. Without a
// camera a photo is read and judged like a live attempt. Letters are read with the learner's calibration
// (?profile= on the socket and the photo); after a miss the learner can confirm "that was my X" and the
// hand's last readings become calibration examples of X.
import { getCalibration, getInfo, getProgress, postActivity, predictImage, predictLandmarks, postExamples, textToSign } from './api.js';
import { LESSONS, DRILL_MS, reviewLetters, lettersPerMinute, lessonsDone } from './path.js';
import { compareHands } from './hand-compare.js';
import { HandView, bindMirrorSwitch } from './hand-drawing.js';
import { setupLive } from './live.js';
import { setupLiveAids } from './live-aids.js';
import { DeviceLandmarker, landmarksMessage } from './on-device.js';
import { drawImageWithHands } from './overlay.js';
import { getProfileId, AttemptQueue } from './profile.js';
import { confidenceLevel, labelWords, pct } from './prediction.js';

const $ = (id) => document.getElementById(id);

// The hold bar is display only (the server decides when a sign is held): it fills over the server's
// hold time, `sentence.hold_ms` from GET /api, read once at start. This is the bar's time until that
// answer comes, or if the server does not give it.
const DISPLAY_HOLD_MS_FALLBACK = 600;
let displayHoldMs = DISPLAY_HOLD_MS_FALLBACK;
getInfo().then((info) => {
  const ms = Number(info && info.sentence && info.sentence.hold_ms);
  if (ms > 0) displayHoldMs = ms;
}).catch(() => {});
// J and Z are motions made from another letter's hand shape (crates/signs/src/motion.rs).
const MOTION_BASE = { J: 'I', Z: 'D' };
const LETTERS = 'ABCDEFGHIKLMNOPQRSTUVWXY'.split(''); // static letters (J and Z need motion)
const WORDS = ['HI', 'CAT', 'DOG', 'SUN', 'YES', 'NO', 'BOOK', 'HELP', 'LOVE', 'GOOD', 'MILK', 'TEA', 'FISH', 'HELLO', 'WORLD', 'CAKE', 'BLUE', 'HAND', 'SIGN', 'LEARN'];

const profile = getProfileId();
$('profile-id').textContent = profile;
const queue = new AttemptQueue();

const live = setupLive({
  video: $('video'), overlay: $('overlay'), stage: $('stage'), connPill: $('conn-status'), camPill: $('cam-status'),
  startBtn: $('start'), stopBtn: $('stop'), mirror: $('mirror'), placeholder: $('placeholder'), camError: $('cam-error'),
  onDevice: $('on-device'), onDeviceNote: $('on-device-note'), profile,
});
setupLiveAids({
  connPill: $('conn-status'), camPill: $('cam-status'), camError: $('cam-error'), help: $('cam-help'), banner: $('conn-banner'),
  lostText: 'Connection to the server lost: attempts wait until it is back.',
  useUpload: () => { $('photo-box').open = true; $('photo').focus(); },
});

// ---------- reference handshapes (the learn page's, from /text-to-sign) ----------
const targetView = new HandView($('target-hand'), { padding: 0.08 });
const answerView = new HandView($('answer-hand'), { interactive: false, padding: 0.08 });
bindMirrorSwitch($('left-hand'));
const shapes = new Map(); // letter -> landmarks of the handshape it is made from (J: I's, Z: D's)
const shapesReady = textToSign('ABCDEFGHIJKLMNOPQRSTUVWXYZ').then((res) => {
  for (const l of res.letters || []) shapes.set(l.char, l.landmarks);
}).catch((err) => {
  $('target-hand-caption').textContent = `The drawing could not be loaded (${err.message}).`;
});

// ---------- target ----------
const state = {
  kind: 'letter',      // 'letter' | 'word' | 'custom'
  text: '',            // the whole target
  index: 0,            // which letter of it
  results: [],         // per letter: null | true | false
  matchStart: null,    // when the frames began to show the target (for the hold bar only)
  scores: [],          // confidences of the target's frames since it started matching
  best: 0,             // best closeness seen for the current letter
  locked: false,       // between a finished target and the next one
  hands: [],           // the signer's last hands (landmarks) while this letter was asked for
};
const TEACH_READINGS = 5;
const session = { attempts: 0, correct: 0 };

const pick = (arr, not) => {
  let x;
  do { x = arr[Math.floor(Math.random() * arr.length)]; } while (arr.length > 1 && x === not);
  return x;
};
const currentLetter = () => state.text[state.index];

function setTarget(text, kind) {
  state.kind = kind;
  state.text = text.toUpperCase();
  state.index = 0;
  state.results = Array.from(state.text, () => null);
  state.locked = false;
  newLetter();
  renderTarget();
  setMatch('idle', live.camera.running ? `Sign ${currentLetter()}.` : 'Start the camera and sign the letter.');
}

// A new letter to sign: forget the last one's frames, and clear this connection's sentence on the
// server, so that it does not grow without bound and the new letter needs a hold of its own (even the
// second O of BOOK).
function newLetter() {
  state.hands = [];
  state.matchStart = null;
  state.scores = [];
  state.best = 0;
  $('hold').style.width = '0%';
  live.socket.sendJSON({ type: 'clear' });
}

function renderTarget() {
  const root = $('target');
  root.replaceChildren(...Array.from(state.text, (ch, i) => {
    const s = document.createElement('span');
    s.textContent = ch;
    if (state.results[i] === true) s.className = 'done';
    else if (state.results[i] === false) s.className = 'missed';
    else if (i === state.index && !state.locked) s.className = 'now';
    return s;
  }));
  root.dataset.target = state.text;
  root.dataset.letter = currentLetter() || '';
  root.setAttribute('aria-label', state.text.length > 1
    ? `Word ${state.text}, letter ${state.index + 1} of ${state.text.length}: ${currentLetter() || ''}`
    : `Letter ${state.text}`);
  const letter = currentLetter() || state.text[state.text.length - 1] || '';
  const hint = motionHint(letter);
  $('target-hint').textContent = state.text.length > 1
    ? `Letter ${Math.min(state.index + 1, state.text.length)} of ${state.text.length}.${hint ? ` ${hint}` : ''}`
    : hint;
  $('learn-link').href = `/learn#letter-${letter}`;
  $('learn-link').textContent = `See ${letter} on Learn`;
  $('hud-target').textContent = letter;
  drawTarget(letter);
}

/** The target's handshape beside it (when the shapes have come). */
function drawTarget(letter) {
  const canvas = $('target-hand');
  canvas.dataset.letter = letter;
  canvas.setAttribute('aria-label', `How to make ${letter}${MOTION_BASE[letter] ? `: start from ${MOTION_BASE[letter]} and move` : ''} (drag, or use the arrow keys, to turn it)`);
  $('target-hand-caption').textContent = MOTION_BASE[letter] ? `${letter}: start from ${MOTION_BASE[letter]}, then move` : `How to make ${letter}`;
  shapesReady.then(() => { if (canvas.dataset.letter === letter) targetView.setHand(shapes.get(letter), letter); });
}

/** After a skip or a miss: the right form of the letter, until the next one is done. */
function showAnswer(letter, why, hands = state.hands) {
  offerTeach(letter, hands.slice(-TEACH_READINGS));
  $('answer').hidden = false;
  $('answer').dataset.letter = letter;
  $('answer-caption').textContent = `${why} This is ${letter}${MOTION_BASE[letter] ? ` (start from ${MOTION_BASE[letter]}, then move)` : ''}.`;
  shapesReady.then(() => { if ($('answer').dataset.letter === letter) answerView.setHand(shapes.get(letter), letter); });
}

/**
 * "That was my X": the learner confirms that the hand just read as something else was their X, and its
 * last readings are stored as calibration examples of X (landmarks only). The socket then reconnects, so
 * the server reads with them at once.
 */
let teachHands = null;
function hideAnswer() {
  $('answer').hidden = true;
  $('teach-it').hidden = true;
  teachHands = null;
}
function offerTeach(letter, hands) {
  const b = $('teach-it');
  teachHands = hands.length && !MOTION_BASE[letter] ? { letter, hands } : null;
  b.hidden = !teachHands;
  b.disabled = false;
  b.textContent = `That was my ${letter}: teach SignBridge my hand`;
  $('teach-msg').textContent = '';
}
$('teach-it').addEventListener('click', async () => {
  if (!teachHands) return;
  const { letter, hands } = teachHands;
  $('teach-it').disabled = true;
  try {
    const body = await postExamples({ profile, label: letter, hands, source: 'practice' });
    const n = body.counts.find((c) => c.label === letter)?.examples ?? hands.length;
    $('teach-msg').textContent = `Added ${hands.length} examples of ${letter} to your calibration (${n} now). Letters are read with them from now on.`;
    $('teach-it').hidden = true;
    teachHands = null;
    live.socket.restart();
    loadOwnForms();
  } catch (err) {
    $('teach-it').disabled = false;
    $('teach-msg').textContent = `Could not add them: ${err.message}`;
  }
});

function motionHint(letter) {
  if (letter === 'J') return 'J is a motion: start from I (little finger up), then trace a J with your little finger. It counts once the whole stroke is seen.';
  if (letter === 'Z') return 'Z is a motion: start from D (index finger pointing), then trace a Z. It counts once the whole stroke is seen.';
  return '';
}

function setMatch(kind, text, tip = '') {
  const m = $('match');
  m.dataset.state = kind;
  if (m.textContent !== text) m.textContent = text; // unchanged text is not re-announced
  const t = $('tip');
  const sentence = tip ? `${tip[0].toUpperCase()}${tip.slice(1)}.` : '';
  if (t.textContent !== sentence) t.textContent = sentence;
  // the phone's one-line verdict over the video: the tip when there is one
  $('hud-verdict').textContent = sentence || text;
  $('hud').dataset.state = kind;
}

/**
 * The signer's hand against the target's handshape (J and Z: the I and D they start from): {closeness,
 * tip} from hand-compare.js, or null without a hand or a reference.
 */
function compareWithTarget(msg, target) {
  const ref = shapes.get(target);
  const hands = Array.isArray(msg.hands) ? msg.hands : [];
  if (!ref || !hands.length) return null;
  const hand = hands.reduce((a, b) => ((b.score ?? 0) > (a.score ?? 0) ? b : a));
  const letter = MOTION_BASE[target] || target;
  let best = compareHands(hand.landmarks, ref, letter);
  if (best) best.reference = 'shipped';
  // With a calibration, the learner's own forms of the letter count too: the nearest one is the reference.
  for (const own of (ownForms.get(letter) || []).slice(-5)) {
    const c = compareHands(hand.landmarks, own, letter);
    if (c && (!best || c.closeness > best.closeness)) best = { ...c, reference: 'own' };
  }
  return best;
}

/** The learner's calibration examples per label (canonical landmarks), when they have any. */
const ownForms = new Map();
function loadOwnForms() {
  return getCalibration(profile, { landmarks: true }).then((body) => {
    ownForms.clear();
    for (const [label, hands] of Object.entries(body.examples || {})) ownForms.set(label, hands);
  }).catch(() => {});
}
loadOwnForms();

function setCloseness(x) {
  const meter = $('closeness');
  meter.dataset.level = confidenceLevel(x);
  meter.setAttribute('aria-valuenow', String(Math.round(x * 100)));
  meter.firstElementChild.style.width = pct(x);
  $('closeness-text').textContent = pct(x);
}

// ---------- attempts ----------
const attemptsList = $('attempts');
const rows = new Map(); // queue item id -> li

function record(correct, score) {
  const target = currentLetter();
  if (!target) return;
  if (mode.kind !== 'free') {
    mode.letters++;
    if (correct) mode.correct++;
  }
  const item = queue.add({ profile, target, correct, score });
  session.attempts++;
  if (correct) session.correct++;
  $('session-score').textContent = `${session.correct} of ${session.attempts} correct (${pct(session.correct / session.attempts)}).`;
  const li = document.createElement('li');
  li.dataset.id = item.id;
  li.dataset.target = target;
  li.dataset.correct = String(correct);
  const what = document.createElement('span');
  const verdict = document.createElement('b');
  verdict.className = correct ? 'ok' : 'bad';
  verdict.textContent = correct ? '✓' : '✗';
  what.append(verdict, ` ${target} · ${correct ? 'accepted' : 'skipped'} · ${pct(score)}`);
  const status = document.createElement('span');
  status.className = 'pending';
  status.textContent = 'saving…';
  li.dataset.status = 'pending';
  li.append(what, status);
  attemptsList.prepend(li);
  rows.set(item.id, li);
  // the queue may already have written it (flush starts synchronously)
  if (!queue.pending.some((x) => x.id === item.id) && !queue.busy) markSaved(item.id);
}

function markSaved(id) {
  const li = rows.get(id);
  if (!li) return;
  li.dataset.status = 'saved';
  const s = li.lastElementChild;
  s.className = 'muted';
  s.textContent = 'saved';
}

function advance(correct) {
  if (correct) hideAnswer();
  state.results[state.index] = correct;
  state.index++;
  if (state.index < state.text.length) newLetter();
  if (state.index >= state.text.length) {
    state.locked = true;
    renderTarget();
    const good = state.results.filter(Boolean).length;
    setMatch(correct ? 'match' : 'no', state.text.length > 1 ? `Finished ${state.text}: ${good} of ${state.text.length}.` : (correct ? `Well done: ${state.text}!` : `Skipped ${state.text}.`));
    if (correct && good === state.text.length) celebrate();
    setTimeout(nextTarget, correct ? 1400 : 700);
    return;
  }
  renderTarget();
  setMatch('idle', `Now ${currentLetter()}.`);
}

// ---------- live feedback ----------
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * How close a prediction is to the target: the finger-by-finger comparison (hand-compare.js), or,
 * without landmarks, the classifier's probability of the target. A frame the classifier reads as the
 * target is at least as close as its confidence.
 */
function judge(msg, target) {
  const label = msg.label;
  const conf = Number(msg.confidence) || 0;
  const matched = label === target;
  const cmp = compareWithTarget(msg, target);
  const inTop = Array.isArray(msg.top) ? msg.top.find(([l]) => l === target) : null;
  const fromClassifier = matched ? conf : inTop ? Number(inTop[1]) || 0 : 0;
  const closeness = cmp ? (matched ? Math.max(cmp.closeness, conf) : cmp.closeness) : fromClassifier;
  $('tip').dataset.reference = cmp ? cmp.reference : '';
  return { label, conf, matched, closeness, tip: cmp && !matched ? cmp.tip : '' };
}

/** The verdict for a hand that is not the target: what it looks like, and the one change to make. */
function missVerdict({ label, closeness, tip }, target) {
  const looks = labelWords(label).replace('letter ', '');
  if (label === MOTION_BASE[target]) return ['close', `That’s the ${label} hand shape: now trace the ${target}.`, ''];
  if (closeness >= 0.5) return ['close', `Close: that looks like ${looks}.`, tip || `keep adjusting towards ${target}`];
  return ['no', `Not yet: that looks like ${looks}.`, tip];
}

live.socket.addEventListener('message', (e) => {
  const msg = e.detail.data;
  if (msg.type !== 'prediction' || !live.camera.running) return;
  live.drawPrediction(msg);
  if (state.locked) return;
  const target = currentLetter();
  const seen = Array.isArray(msg.hands) && msg.hands.length
    ? msg.hands.reduce((a, b) => ((b.score ?? 0) > (a.score ?? 0) ? b : a)) : null;
  if (seen) {
    state.hands.push(seen.landmarks);
    if (state.hands.length > 20) state.hands.shift();
  }
  const verdict = judge(msg, target);
  const { label, conf, matched, closeness } = verdict;
  state.best = Math.max(state.best, closeness);
  setCloseness(closeness);

  // The server forgets a sign's frames when the hand leaves the picture; so does the score.
  if (label === null || label === undefined) state.scores = [];
  if (matched) state.scores.push(conf);

  if (msg.committed === target) {
    // A J or Z is committed from a motion whose frames show the I or D hand shape: no frame shows the
    // letter itself, so its score is the committing frame's confidence.
    record(true, state.scores.length ? mean(state.scores) : conf);
    advance(true);
    return;
  }
  // a different letter held long enough to count: a miss, so show the right form beside it
  if (msg.committed && msg.committed !== target && /^[A-Z]$/.test(msg.committed) && msg.committed !== MOTION_BASE[target]) {
    showAnswer(target, `You held ${msg.committed}.`);
  }
  if (matched) {
    const now = performance.now();
    if (state.matchStart === null) state.matchStart = now;
    $('hold').style.width = `${Math.min(100, ((now - state.matchStart) / displayHoldMs) * 100)}%`;
    setMatch('match', `✓ That’s ${target}! Hold it steady…`);
    return;
  }
  state.matchStart = null;
  $('hold').style.width = '0%';
  if (label === null || label === undefined) setMatch('idle', msg.landmarks_detected ? 'Hand found, letter unclear.' : 'No hand in view.', verdict.tip);
  else setMatch(...missVerdict(verdict, target));
});

// ---------- a photo instead of the camera ----------
// The photo is read by the server (POST /predict-image; in on-device mode the hand is found here and
// only its landmarks go, POST /predict-landmarks) and judged like a live frame; a photo of the target
// counts as a correct attempt (a photo cannot be held, so no hold is needed), scored with the
// classifier's confidence. J and Z are motions: a photo cannot show them.
let imageLandmarker = null;
async function readPhoto(file, img) {
  if (live.mode() !== 'device') return predictImage(file, { profile });
  imageLandmarker = imageLandmarker || DeviceLandmarker.load('IMAGE');
  let device;
  try {
    device = await imageLandmarker;
  } catch (err) {
    imageLandmarker = null;
    throw new Error(`on-device mode is unavailable here (${err.message}); turn it off to send the photo to the server`);
  }
  const { type, ...frame } = landmarksMessage(device.image(img), img.naturalWidth, img.naturalHeight, 0);
  return predictLandmarks(frame, { profile });
}
let photoSeq = 0;
let photoUrl = null;
$('photo').addEventListener('change', async () => {
  const file = $('photo').files && $('photo').files[0];
  if (!file || state.locked) return;
  const target = currentLetter();
  const mine = ++photoSeq;
  if (MOTION_BASE[target]) {
    setMatch('idle', `${target} is a motion: a photo cannot show it. Use the camera, or choose another letter.`);
    return;
  }
  setMatch('idle', 'Reading your photo…');
  let img;
  try {
    img = await new Promise((resolve, reject) => {
      const i = new Image();
      i.onload = () => resolve(i);
      i.onerror = () => reject(new Error('this file is not an image the browser can show'));
      if (photoUrl) URL.revokeObjectURL(photoUrl);
      photoUrl = URL.createObjectURL(file);
      i.src = photoUrl;
    });
  } catch (err) {
    if (mine === photoSeq) setMatch('no', `Could not read “${file.name}”: ${err.message}.`);
    return;
  }
  let pred;
  try {
    pred = await readPhoto(file, img);
  } catch (err) {
    if (mine === photoSeq) setMatch('no', `Could not read this photo: ${err.message}`);
    return;
  }
  if (mine !== photoSeq || currentLetter() !== target) return;
  $('photo-stage').hidden = false;
  drawImageWithHands($('photo-canvas'), img, pred.hands || [], pred.image_width, pred.image_height);
  $('photo-canvas').dataset.label = pred.label ?? '';
  const verdict = judge(pred, target);
  setCloseness(verdict.closeness);
  state.best = Math.max(state.best, verdict.closeness);
  if (verdict.matched) {
    setMatch('match', `✓ That’s ${target}!`);
    record(true, verdict.conf);
    advance(true);
  } else if (verdict.label === null || verdict.label === undefined || verdict.label === 'nothing') {
    setMatch('idle', pred.landmarks_detected ? 'A hand was found but it makes no letter: sign the letter shown.' : 'No hand was found in this photo: show one whole hand, in good light.');
  } else {
    setMatch(...missVerdict(verdict, target));
    const photoHand = (pred.hands || []).reduce((a, b) => (!a || (b.score ?? 0) > (a.score ?? 0) ? b : a), null);
    if (photoHand) state.hands = [photoHand.landmarks];
    showAnswer(target, 'Not yet.');
  }
});

// ---------- controls ----------
$('skip').addEventListener('click', () => {
  if (state.locked || !currentLetter()) return;
  const letter = currentLetter();
  const hands = state.hands.slice();
  record(false, state.best);
  advance(false);
  showAnswer(letter, 'Skipped.', hands);
});
$('new-letter').addEventListener('click', () => { hideAnswer(); setTarget(pick(LETTERS, state.text), 'letter'); });
$('new-word').addEventListener('click', () => { hideAnswer(); setTarget(pick(WORDS, state.text), 'word'); });
$('choose-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const v = $('choose-input').value.trim().toUpperCase().replace(/[^A-Z]/g, '');
  if (!v) return;
  hideAnswer();
  setTarget(v, 'custom');
});
live.camera.addEventListener('status', (e) => {
  if (e.detail.state === 'on' && !state.locked) setMatch('idle', `Sign ${currentLetter()}.`);
});

// ---------- saving ----------
const savePill = $('save-status');
const saveError = $('save-error');
function showPending(pending) {
  if (!pending.length) {
    savePill.dataset.state = 'open';
    savePill.textContent = 'Progress: saved';
    saveError.hidden = true;
  } else if (saveError.hidden) {
    savePill.dataset.state = 'connecting';
    savePill.textContent = `Progress: saving ${pending.length}…`;
  }
}
queue.addEventListener('saved', (e) => markSaved(e.detail.attempt.id));
queue.addEventListener('change', (e) => showPending(e.detail.pending));
queue.addEventListener('error', (e) => {
  const { error, pending, retryInMs } = e.detail;
  savePill.dataset.state = 'error';
  savePill.textContent = `Progress: ${pending.length} not saved`;
  saveError.hidden = false;
  $('save-error-text').textContent = `Could not save ${pending.length} attempt${pending.length === 1 ? '' : 's'} (${error.message}). `
    + (retryInMs ? `Kept in this browser; retrying in ${Math.round(retryInMs / 1000)} s.` : 'Kept in this browser; press retry.');
  for (const p of pending) {
    const li = rows.get(p.id);
    if (li) { li.dataset.status = 'failed'; li.lastElementChild.className = 'bad'; li.lastElementChild.textContent = 'not saved yet'; }
  }
});
$('save-retry').addEventListener('click', () => {
  saveError.hidden = true;
  queue.flush();
});

// ---------- the path: lessons, review, timed drill ----------
// mode.kind: 'free' | 'lesson' | 'review' | 'drill'; a lesson or review is a queue of letters, a drill
// words for DRILL_MS. Each finished one is recorded in progress (POST /api/progress/activity).
// ?drill-secs=N shortens the drill (tests)
const drillMs = (() => {
  const n = Number.parseInt(new URLSearchParams(location.search).get('drill-secs') || '', 10);
  return n >= 3 && n <= 600 ? n * 1000 : DRILL_MS;
})();
const mode = { kind: 'free', name: '', queue: [], letters: 0, correct: 0, started: 0, timer: null };
const tzOffset = () => -new Date().getTimezoneOffset();
const randomId = () => Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');

/** What comes after a finished target: the mode's next item, or (free practice) a new letter or word. */
function nextTarget() {
  if (mode.kind === 'lesson' || mode.kind === 'review') {
    const next = mode.queue.shift();
    if (next) setTarget(next, 'custom');
    else finishMode();
    return;
  }
  if (mode.kind === 'drill') {
    if (performance.now() - mode.started < drillMs) setTarget(pick(WORDS, state.text), 'word');
    return;
  }
  if (state.kind === 'word') setTarget(pick(WORDS, state.text), 'word');
  else setTarget(pick(LETTERS, state.text), 'letter'); // a chosen letter is not repeated forever
}

function startMode(kind, name, queue, label) {
  clearInterval(mode.timer);
  Object.assign(mode, { kind, name, queue: queue.slice(), letters: 0, correct: 0, started: performance.now(), timer: null });
  hideAnswer();
  $('free-practice').hidden = false;
  $('mode-status').textContent = label;
  if (kind === 'drill') {
    $('drill-clock').hidden = false;
    const tick = () => {
      const left = Math.max(0, drillMs - (performance.now() - mode.started));
      $('drill-clock').textContent = `${Math.ceil(left / 1000)} s · ${mode.correct} letters`;
      if (left <= 0) finishMode();
    };
    mode.timer = setInterval(tick, 250);
    tick();
    setTarget(pick(WORDS), 'word');
  } else {
    setTarget(mode.queue.shift(), 'custom');
  }
}

function stopMode(text = 'Free practice: any letter or word.') {
  clearInterval(mode.timer);
  Object.assign(mode, { kind: 'free', name: '', queue: [], timer: null });
  $('drill-clock').hidden = true;
  $('free-practice').hidden = true;
  $('mode-status').textContent = text;
}

async function finishMode() {
  const { kind, name, letters, correct, started } = mode;
  const duration = Math.max(1, Math.round(performance.now() - started));
  const what = kind === 'drill'
    ? `Drill over: ${correct} letters in ${Math.round(drillMs / 1000)} s (${lettersPerMinute(correct, duration).toFixed(1)} letters per minute).`
    : `${kind === 'lesson' ? 'Lesson' : 'Review'} done: ${correct} of ${letters} right.`;
  stopMode(what);
  state.locked = true;
  if (correct === letters && letters > 0) celebrate();
  if (letters > 0) {
    try {
      const p = await postActivity({ profile, kind, name, letters, correct, duration_ms: duration, activity_id: randomId(), tz_offset_min: tzOffset() });
      $('mode-status').textContent = `${what} Saved to your progress.`;
      showPath(p);
    } catch (err) {
      $('mode-status').textContent = `${what} It could not be saved: ${err.message}`;
    }
  }
  setTimeout(() => setTarget(pick(LETTERS), 'letter'), 1500);
}

/** The lessons (done ones ticked), and the daily goal, from the progress answer. */
let progressNow = null;
function showPath(p) {
  progressNow = p;
  const done = lessonsDone(p && p.activities);
  $('lessons').replaceChildren(...LESSONS.map((lesson, i) => {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.lesson = lesson.id;
    b.dataset.done = String(done.has(lesson.id));
    b.textContent = `${i + 1}. ${lesson.title}: ${lesson.letters.split('').join(' ')}`;
    b.title = lesson.note;
    b.addEventListener('click', () => startLesson(i));
    li.append(b);
    return li;
  }));
  if (p && p.daily) {
    const { goal, today, streak_days: streak } = p.daily;
    $('daily-goal').textContent = `Today: ${Math.min(today, goal)} of ${goal} attempts${today >= goal ? ' – goal reached!' : ''} · ${streak} day${streak === 1 ? '' : 's'} in a row.`;
  }
}
function startLesson(i) {
  const lesson = LESSONS[i];
  // each letter twice, the second round in another order
  const round2 = lesson.letters.split('').sort(() => Math.random() - 0.5);
  startMode('lesson', lesson.id, [...lesson.letters.split(''), ...round2], `Lesson ${i + 1}, ${lesson.title}: ${lesson.note}`);
}
async function startReview() {
  try { progressNow = await getProgress(profile, tzOffset()); } catch { /* review from what we have */ }
  const letters = reviewLetters(progressNow ? progressNow.letters : {}, Date.now() / 1000);
  startMode('review', `review ${letters.join('')}`, letters, `Review: your weakest letters, ${letters.join(', ')}.`);
}
$('start-review').addEventListener('click', startReview);
$('start-drill').addEventListener('click', () => startMode('drill', 'words', [], 'Timed drill: spell as many words as you can in one minute (Skip moves on).'));
$('free-practice').addEventListener('click', () => { stopMode(); setTarget(pick(LETTERS), 'letter'); });

// ---------- success: a short sound and a pulse of the target ----------
// The "Sound and animation" switch (remembered) turns both off; it starts off under
// prefers-reduced-motion, and the pulse never plays there. Every success is counted on the target
// (data-celebrated) either way.
const SOUND_KEY = 'signbridge.sound';
const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
try {
  const kept = localStorage.getItem(SOUND_KEY);
  $('sound').checked = kept === null ? !reducedMotion : kept === 'on';
} catch { $('sound').checked = !reducedMotion; }
$('sound').addEventListener('change', () => { try { localStorage.setItem(SOUND_KEY, $('sound').checked ? 'on' : 'off'); } catch { /* not kept */ } });
let audio = null;
function celebrate() {
  const t = $('target');
  t.dataset.celebrated = String(Number(t.dataset.celebrated || 0) + 1);
  if (!$('sound').checked) return;
  if (!reducedMotion) {
    t.classList.remove('celebrate');
    void t.offsetWidth; // restart the animation
    t.classList.add('celebrate');
  }
  try {
    audio = audio || new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.setValueAtTime(660, audio.currentTime);
    osc.frequency.setValueAtTime(880, audio.currentTime + 0.09);
    gain.gain.setValueAtTime(0.12, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.25);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.25);
  } catch { /* no audio here */ }
}

// ---------- start ----------
const params = new URLSearchParams(location.search);
const wanted = (params.get('target') || params.get('letter') || '').toUpperCase().replace(/[^A-Z]/g, '').slice(0, 12);
showPath(null);
getProgress(profile, tzOffset()).then(showPath).catch(() => {});
const lessonParam = Number.parseInt(params.get('lesson') || '', 10);
if (lessonParam >= 1 && lessonParam <= LESSONS.length) startLesson(lessonParam - 1);
else if (params.get('review') === '1') startReview();
else if (params.get('drill') === '1') $('start-drill').click();
else if (wanted) setTarget(wanted, 'custom');
else setTarget(pick(LETTERS), 'letter');
showPending(queue.pending);
queue.flush(); // anything left from an earlier visit
