// Interpreter page (/): live camera over the WebSocket, and upload-a-photo mode.
import { Camera, FrameStreamer, intervalFromUrl } from './camera.js';
import { StreamSocket } from './socket.js';
import { drawHandsOnMedia, clearCanvas } from './overlay.js';
import { predictionPanel, confidenceLevel, labelGlyph, labelWords, pct } from './prediction.js';
import { SentenceView, copyText, speak, canSpeak } from './sentence.js';
import { setupUpload } from './upload.js';

const $ = (id) => document.getElementById(id);

const video = $('video');
const overlay = $('overlay');
const stage = $('stage');
const connPill = $('conn-status');
const camPill = $('cam-status');
const startBtn = $('start');
const stopBtn = $('stop');
const camError = $('cam-error');
const streamInfo = $('stream-info');
const sentenceMsg = $('sentence-msg');
const recentList = $('recent');
const sentenceButtons = ['btn-space', 'btn-backspace', 'btn-clear'].map($);

const intervalMs = intervalFromUrl(200);
const socket = new StreamSocket();
const camera = new Camera(video);
const streamer = new FrameStreamer({ camera, socket, intervalMs });
const sentence = new SentenceView($('sentence'));
const showPrediction = predictionPanel({
  letter: $('letter'), meter: $('meter'), meterText: $('meter-text'), top: $('top'), live: $('letter-live'),
});

// ---------- connection status ----------
socket.addEventListener('status', (e) => {
  const { state, delayMs, attempt } = e.detail;
  connPill.dataset.state = state;
  connPill.textContent = state === 'open' ? 'Server: connected'
    : state === 'connecting' ? 'Server: connecting…'
    : state === 'reconnecting' ? (delayMs ? `Server: connection lost, retrying in ${Math.max(1, Math.round(delayMs / 1000))} s (try ${attempt})` : 'Server: reconnecting…')
    : 'Server: disconnected';
  for (const b of sentenceButtons) b.disabled = state !== 'open';
});

// ---------- camera ----------
camera.addEventListener('status', (e) => {
  const { state, message } = e.detail;
  camPill.dataset.state = state;
  camPill.textContent = state === 'on' ? `Camera: on (${video.videoWidth}×${video.videoHeight})`
    : state === 'starting' ? 'Camera: starting…'
    : state === 'error' ? 'Camera: error' : 'Camera: off';
  camError.hidden = state !== 'error';
  camError.textContent = message || '';
  startBtn.disabled = state === 'on' || state === 'starting';
  stopBtn.disabled = state !== 'on';
  $('placeholder').hidden = state === 'on';
  if (state === 'on') streamer.start();
  else { streamer.stop(); clearCanvas(overlay); streamInfo.textContent = ''; }
});

startBtn.addEventListener('click', async () => {
  await camera.start();
  if (camera.running) stopBtn.focus();
});
stopBtn.addEventListener('click', () => { camera.stop(); startBtn.focus(); });

const mirror = $('mirror');
mirror.addEventListener('change', () => stage.classList.toggle('mirrored', mirror.checked));

let frameType = '';
streamer.addEventListener('sent', (e) => {
  frameType = `${e.detail.type === 'image/webp' ? 'WebP' : 'JPEG'} ${e.detail.width}×${e.detail.height}`;
});

// ---------- recent predictions ----------
let lastRecent = null;
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
let overlayTimer = null;
socket.addEventListener('message', (e) => {
  const msg = e.detail.data;
  if (msg.type === 'prediction') {
    if (!camera.running) return; // a late reply after stopping
    showPrediction(msg);
    pushRecent(msg);
    sentence.update(msg);
    drawHandsOnMedia(overlay, msg.hands, msg.image_width, msg.image_height, { fit: 'contain' });
    clearTimeout(overlayTimer);
    overlayTimer = setTimeout(() => clearCanvas(overlay), Math.max(1500, intervalMs * 6));
    const t = msg.timings_ms && Number.isFinite(msg.timings_ms.total) ? ` · server ${Math.round(msg.timings_ms.total)} ms` : '';
    streamInfo.textContent = `${frameType} every ${intervalMs} ms · frame ${msg.frame ?? '?'}${msg.dropped ? ` · ${msg.dropped} dropped` : ''}${t}`;
    if (msg.committed) sentenceMsg.textContent = `Added “${msg.committed}”.`;
  } else if (msg.type === 'sentence') {
    sentence.update(msg);
  } else if (msg.type === 'error') {
    streamInfo.textContent = `Server: ${msg.error || 'error'}`;
  }
});

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

setupUpload({
  input: $('file'), canvas: $('upload-canvas'), placeholder: $('upload-placeholder'), result: $('upload-result'),
  onPrediction: (pred) => showPrediction(pred),
});

window.addEventListener('resize', () => { if (!camera.running) clearCanvas(overlay); });
window.addEventListener('pagehide', () => { camera.stop(); socket.close(); });
socket.connect();
