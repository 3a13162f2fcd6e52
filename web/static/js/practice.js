// Practice page: sign the target letter (or each letter of a word); an attempt is scored when the target
// is held steadily (~1 s), or recorded as a miss on skip. Attempts go to /api/progress/attempt through a
// persistent queue: failed writes stay queued, are retried and are shown.
import { setupLive } from './live.js';
import { getProfileId, AttemptQueue } from './profile.js';
import { confidenceLevel, labelWords, pct } from './prediction.js';

const $ = (id) => document.getElementById(id);

const HOLD_MS = 1000;        // how long the target must be held
const GRACE_FRAMES = 1;      // mismatched frames tolerated inside a hold
const LETTERS = 'ABCDEFGHIKLMNOPQRSTUVWXY'.split(''); // static letters (J and Z need motion)
const WORDS = ['HI', 'CAT', 'DOG', 'SUN', 'YES', 'NO', 'BOOK', 'HELP', 'LOVE', 'GOOD', 'MILK', 'TEA', 'FISH', 'HELLO', 'WORLD', 'CAKE', 'BLUE', 'HAND', 'SIGN', 'LEARN'];

const profile = getProfileId();
$('profile-id').textContent = profile;
const queue = new AttemptQueue();

const live = setupLive({
  video: $('video'), overlay: $('overlay'), stage: $('stage'), connPill: $('conn-status'), camPill: $('cam-status'),
  startBtn: $('start'), stopBtn: $('stop'), mirror: $('mirror'), placeholder: $('placeholder'), camError: $('cam-error'),
});

// ---------- target ----------
const state = {
  kind: 'letter',      // 'letter' | 'word' | 'custom'
  text: '',            // the whole target
  index: 0,            // which letter of it
  results: [],         // per letter: null | true | false
  holdStart: null,
  holdScores: [],
  misses: 0,
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
  resetHold();
  renderTarget();
  setMatch('idle', live.camera.running ? `Sign ${currentLetter()}.` : 'Start the camera and sign the letter.');
}

function resetHold() {
  state.holdStart = null;
  state.holdScores = [];
  state.misses = 0;
  state.best = 0;
  $('hold').style.width = '0%';
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
    : (currentLetter() === 'J' || currentLetter() === 'Z') ? `${currentLetter()} is traced in the air; the camera sees its hand shape.` : '';
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
  what.append(verdict, ` ${target} · ${correct ? 'held' : 'skipped'} · ${pct(score)}`);
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
  resetHold();
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

  const now = performance.now();
  if (matched) {
    state.misses = 0;
    if (state.holdStart === null) state.holdStart = now;
    state.holdScores.push(conf);
    const held = now - state.holdStart;
    $('hold').style.width = `${Math.min(100, (held / HOLD_MS) * 100)}%`;
    setMatch('match', `✓ That’s ${target}! Hold it…`);
    if (held >= HOLD_MS && state.holdScores.length >= 2) {
      const score = state.holdScores.reduce((a, b) => a + b, 0) / state.holdScores.length;
      record(true, score);
      advance(true);
    }
    return;
  }
  if (state.holdStart !== null && ++state.misses <= GRACE_FRAMES) return;
  state.holdStart = null;
  state.holdScores = [];
  $('hold').style.width = '0%';
  if (label === null || label === undefined) setMatch('idle', msg.landmarks_detected ? 'Hand found, letter unclear.' : 'No hand in view.');
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
  setTarget(v, v.length === 1 ? 'custom' : 'custom');
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
