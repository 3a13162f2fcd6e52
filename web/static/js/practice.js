// Practice page: sign the target letter (or each letter of a word). The server decides when a sign is
// held: an attempt is correct when a prediction message commits the target (its `committed` field, the
// rule that adds a letter to the interpreter's sentence); a skip is a miss. The score of a correct
// attempt is the mean confidence of the target's frames since it started matching. Attempts go to
// /api/progress/attempt through a persistent queue: failed writes stay queued, are retried and shown.
import { getInfo } from './api.js';
import { setupLive } from './live.js';
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
  onDevice: $('on-device'), onDeviceNote: $('on-device-note'),
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
};
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
  $('target-hint').textContent = state.text.length > 1
    ? `Letter ${Math.min(state.index + 1, state.text.length)} of ${state.text.length}.`
    : motionHint(currentLetter());
}

function motionHint(letter) {
  if (letter === 'J') return 'J is a motion: make an I, then trace a J with your little finger. It counts once the whole stroke is seen.';
  if (letter === 'Z') return 'Z is a motion: point your index finger as for D, then trace a Z. It counts once the whole stroke is seen.';
  return '';
}

function setMatch(kind, text) {
  const m = $('match');
  m.dataset.state = kind;
  if (m.textContent !== text) m.textContent = text; // unchanged text is not re-announced
}

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
  state.results[state.index] = correct;
  state.index++;
  if (state.index < state.text.length) newLetter();
  if (state.index >= state.text.length) {
    state.locked = true;
    renderTarget();
    const good = state.results.filter(Boolean).length;
    setMatch(correct ? 'match' : 'no', state.text.length > 1 ? `Finished ${state.text}: ${good} of ${state.text.length}.` : (correct ? `Well done: ${state.text}!` : `Skipped ${state.text}.`));
    setTimeout(() => {
      if (state.kind === 'word') setTarget(pick(WORDS, state.text), 'word');
      else if (state.kind === 'custom') setTarget(state.text, 'custom');
      else setTarget(pick(LETTERS, state.text), 'letter');
    }, correct ? 1400 : 700);
    return;
  }
  renderTarget();
  setMatch('idle', `Now ${currentLetter()}.`);
}

// ---------- live feedback ----------
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

live.socket.addEventListener('message', (e) => {
  const msg = e.detail.data;
  if (msg.type !== 'prediction' || !live.camera.running) return;
  live.drawPrediction(msg);
  if (state.locked) return;
  const target = currentLetter();
  const label = msg.label;
  const conf = Number(msg.confidence) || 0;
  const matched = label === target;
  const inTop = Array.isArray(msg.top) ? msg.top.find(([l]) => l === target) : null;
  const closeness = matched ? conf : inTop ? Number(inTop[1]) || 0 : 0;
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
  if (matched) {
    const now = performance.now();
    if (state.matchStart === null) state.matchStart = now;
    $('hold').style.width = `${Math.min(100, ((now - state.matchStart) / displayHoldMs) * 100)}%`;
    setMatch('match', `✓ That’s ${target}! Hold it steady…`);
    return;
  }
  state.matchStart = null;
  $('hold').style.width = '0%';
  if (label === null || label === undefined) setMatch('idle', msg.landmarks_detected ? 'Hand found, letter unclear.' : 'No hand in view.');
  else if (label === MOTION_BASE[target]) setMatch('close', `That’s the ${label} hand shape: now trace the ${target}.`);
  else if (closeness >= 0.2) setMatch('close', `Close: that looks like ${labelWords(label).replace('letter ', '')}; keep adjusting towards ${target}.`);
  else setMatch('no', `Not yet: that looks like ${labelWords(label).replace('letter ', '')}.`);
});

// ---------- controls ----------
$('skip').addEventListener('click', () => {
  if (state.locked || !currentLetter()) return;
  record(false, state.best);
  advance(false);
});
$('new-letter').addEventListener('click', () => setTarget(pick(LETTERS, state.text), 'letter'));
$('new-word').addEventListener('click', () => setTarget(pick(WORDS, state.text), 'word'));
$('choose-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const v = $('choose-input').value.trim().toUpperCase().replace(/[^A-Z]/g, '');
  if (!v) return;
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

// ---------- start ----------
const params = new URLSearchParams(location.search);
const wanted = (params.get('target') || '').toUpperCase().replace(/[^A-Z]/g, '').slice(0, 12);
if (wanted) setTarget(wanted, 'custom');
else setTarget(pick(LETTERS), 'letter');
showPending(queue.pending);
queue.flush(); // anything left from an earlier visit
