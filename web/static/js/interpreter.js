// Interpreter page (/): live camera over the WebSocket, and upload-a-photo mode.
import { setupLive } from './live.js';
import { clearCanvas } from './overlay.js';
import { predictionPanel, confidenceLevel, labelGlyph, labelWords, pct } from './prediction.js';
import { SentenceView, copyText, speak, canSpeak } from './sentence.js';
import { setupUpload } from './upload.js';
import { getProfileId } from './profile.js';

const $ = (id) => document.getElementById(id);

const overlay = $('overlay');
const streamInfo = $('stream-info');
const sentenceMsg = $('sentence-msg');
const recentList = $('recent');
const sentenceButtons = ['btn-space', 'btn-backspace', 'btn-clear'].map($);
let sentence = null;
// This browser's profile: the server reads with its calibration when it has one (the `session`
// message says how many examples), and the page says so.
const profile = getProfileId();

const { socket, camera, streamer, intervalMs, drawPrediction } = setupLive({
  video: $('video'), overlay, stage: $('stage'), connPill: $('conn-status'), camPill: $('cam-status'),
  startBtn: $('start'), stopBtn: $('stop'), mirror: $('mirror'), placeholder: $('placeholder'), camError: $('cam-error'),
  onDevice: $('on-device'), onDeviceNote: $('on-device-note'), profile,
  onConnState: (state) => {
    for (const b of sentenceButtons) b.disabled = state !== 'open';
  },
});
camera.addEventListener('status', (e) => {
  if (e.detail.state === 'on') return;
  streamInfo.textContent = '';
  sentAt.length = 0;
  rateWarning.hidden = true;
});
sentence = new SentenceView($('sentence'));
const showPrediction = predictionPanel({
  letter: $('letter'), meter: $('meter'), meterText: $('meter-text'), top: $('top'), live: $('letter-live'),
  caption: $('letter-caption'),
});

let frameType = '';
// the rate frames really go at (a slow network or server answers later than the interval asks)
const rateWarning = $('rate-warning');
const sentAt = [];
streamer.addEventListener('sent', (e) => {
  const d = e.detail;
  sentAt.push(performance.now());
  if (sentAt.length > 10) sentAt.shift();
  frameType = d.type === 'landmarks'
    ? `On-device: landmarks only (hand read here in ${Math.round(d.readMs)} ms), ${d.width}×${d.height}`
    : `${d.type === 'image/webp' ? 'WebP' : 'JPEG'} ${d.width}×${d.height}`;
});

/** Below this many frames a second (or 3/4 of what is asked for, if less) the page warns. */
const MIN_FPS = 5;

/** Frames a second over the last ten sent (null until three were sent), and what the page asks for. */
function frameRate() {
  const asked = 1000 / intervalMs;
  if (sentAt.length < 3) return { fps: null, asked };
  return { fps: ((sentAt.length - 1) * 1000) / (sentAt[sentAt.length - 1] - sentAt[0]), asked };
}

function rateText() {
  const { fps, asked } = frameRate();
  const a = asked >= 10 ? Math.round(asked) : asked.toFixed(1).replace(/\.0$/, '');
  if (fps === null) return `asking for ${a} frames/s`;
  // under 5 a second, a break shorter than the time between two frames (the 0.2 s between the Ls
  // of HELLO) can fall between them, and a double letter is typed once
  const slow = fps < Math.min(0.75 * asked, MIN_FPS);
  rateWarning.hidden = !slow;
  if (slow) {
    rateWarning.textContent = `Only ${fps.toFixed(1)} frames a second reach the server and come back (the page asks for ${a}): the network or the server is slow. Hold each letter longer, and make the break between double letters longer than a frame.`;
  }
  return `${fps.toFixed(1)} frames/s (asked: ${a})`;
}

// ---------- recent predictions ----------
let lastRecent = null;
let wordCount = 0;
/** A gap in the strip where a word ended (by the space sign, a pause or the Space button). */
function noteWords(msg) {
  if (!Array.isArray(msg.words)) return;
  const n = msg.words.filter(Boolean).length;
  const last = recentList.lastElementChild;
  if (n > wordCount && last && !last.classList.contains('gap')) {
    const li = document.createElement('li');
    li.className = 'gap';
    li.title = 'word break';
    li.setAttribute('aria-label', 'word break');
    recentList.append(li);
    lastRecent = null;
  }
  wordCount = n;
}
function pushRecent(pred) {
  const label = pred.label;
  if (label === null || label === undefined || label === 'nothing') { lastRecent = null; return; }
  if (label === lastRecent) return;
  lastRecent = label;
  const li = document.createElement('li');
  li.textContent = labelGlyph(label);
  li.dataset.level = confidenceLevel(pred.confidence);
  li.title = `${labelWords(label)}, ${pct(pred.confidence)}`;
  recentList.append(li);
  while (recentList.children.length > 14) recentList.firstElementChild.remove();
}

// ---------- messages ----------
socket.addEventListener('message', (e) => {
  const msg = e.detail.data;
  if (msg.type === 'prediction') {
    if (!camera.running) return; // a late reply after stopping
    showPrediction(msg);
    pushRecent(msg);
    noteWords(msg);
    sentence.update(msg);
    drawPrediction(msg);
    const t = msg.timings_ms && Number.isFinite(msg.timings_ms.total) ? ` · server ${Math.round(msg.timings_ms.total)} ms` : '';
    streamInfo.textContent = `${frameType} · ${rateText()} · frame ${msg.frame ?? '?'}${msg.dropped ? ` · ${msg.dropped} dropped` : ''}${t}`;
    if (msg.committed) sentenceMsg.textContent = `Added “${msg.committed}”.`;
  } else if (msg.type === 'sentence') {
    noteWords(msg);
    sentence.update(msg);
  } else if (msg.type === 'session') {
    // a reconnect resumes the session (the sentence continues); one the server no longer has starts afresh
    if (Array.isArray(msg.words)) wordCount = msg.words.filter(Boolean).length;
    sentence.update(msg);
    showCalibration(msg.calibration);
    if (msg.status === 'resumed') sentenceMsg.textContent = 'Reconnected: your sentence continues.';
    else if (msg.status === 'expired') sentenceMsg.textContent = 'Reconnected: the server no longer had your session, so a new sentence was started.';
  } else if (msg.type === 'error') {
    streamInfo.textContent = `Server: ${msg.error || 'error'}`;
  }
});

/** The calibration pill: “Calibrated: N examples” (a link to change it), or an invitation. */
function showCalibration(c) {
  const pill = $('calib-status');
  if (!c) return;
  const n = Number(c.examples) || 0;
  pill.hidden = false;
  pill.dataset.state = n > 0 ? 'open' : 'off';
  pill.textContent = n > 0
    ? `Calibrated to your hand: ${n} example${n === 1 ? '' : 's'} of ${c.labels} sign${c.labels === 1 ? '' : 's'}`
    : 'Not calibrated: teach it your hand';
  pill.title = n > 0 ? 'Letters are read with your own examples. Change them on the Calibrate page.' : 'Calibrate: a minute that makes letters read better for your hand';
}

// ---------- sentence controls ----------
function command(type, label) {
  if (!socket.sendJSON({ type })) {
    sentenceMsg.textContent = 'Not connected to the server: try again in a moment.';
    return;
  }
  sentenceMsg.textContent = label;
}
$('btn-space').addEventListener('click', () => command('space', 'Word ended.'));
$('btn-backspace').addEventListener('click', () => command('backspace', 'Deleted the last letter.'));
$('btn-clear').addEventListener('click', () => command('clear', 'Sentence cleared.'));
// Keyboard: Space ends the word and Backspace deletes a letter while signing (one hand stays free),
// unless a control that takes those keys itself has the focus.
document.addEventListener('keydown', (e) => {
  if (e.altKey || e.ctrlKey || e.metaKey || e.repeat) return;
  const t = e.target;
  if (t && t !== document.body && (t.closest('input, textarea, select, button, a, [contenteditable], [role="tab"]'))) return;
  if (e.key === ' ') { e.preventDefault(); command('space', 'Word ended (Space key).'); }
  else if (e.key === 'Backspace') { e.preventDefault(); command('backspace', 'Deleted the last letter (Backspace key).'); }
});
$('btn-copy').addEventListener('click', async () => {
  const text = sentence.text;
  if (!text) { sentenceMsg.textContent = 'Nothing to copy yet.'; return; }
  try {
    await copyText(text);
    sentenceMsg.textContent = 'Copied to the clipboard.';
  } catch {
    sentenceMsg.textContent = 'Could not copy: select the text and copy it by hand.';
  }
});
const speakBtn = $('btn-speak');
if (!canSpeak()) { speakBtn.disabled = true; speakBtn.title = 'Speech is not available in this browser'; }
speakBtn.addEventListener('click', () => {
  const text = sentence.text;
  if (!text) { sentenceMsg.textContent = 'Nothing to read yet.'; return; }
  speak(text);
  sentenceMsg.textContent = 'Speaking…';
});

// ---------- tabs ----------
const tabs = [$('tab-live'), $('tab-upload')];
function selectTab(tab) {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute('aria-controls')).hidden = !on;
  }
  if (tab.id === 'tab-upload' && camera.running) camera.stop();
  uploadOnDevice.checked = liveOnDevice.checked;
}
for (const t of tabs) {
  t.addEventListener('click', () => selectTab(t));
  t.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const next = tabs[(tabs.indexOf(t) + 1) % tabs.length];
    selectTab(next);
    next.focus();
    e.preventDefault();
  });
}

// one on-device choice for both tabs: the upload tab's switch drives the live one (which remembers it)
const liveOnDevice = $('on-device');
const uploadOnDevice = $('upload-on-device');
uploadOnDevice.checked = liveOnDevice.checked;
liveOnDevice.addEventListener('change', () => { uploadOnDevice.checked = liveOnDevice.checked; });
uploadOnDevice.addEventListener('change', () => {
  liveOnDevice.checked = uploadOnDevice.checked;
  liveOnDevice.dispatchEvent(new Event('change'));
});
setupUpload({
  input: $('file'), canvas: $('upload-canvas'), placeholder: $('upload-placeholder'), result: $('upload-result'),
  onPrediction: (pred) => showPrediction(pred), onDevice: () => liveOnDevice.checked, profile,
});

window.addEventListener('resize', () => { if (!camera.running) clearCanvas(overlay); });
