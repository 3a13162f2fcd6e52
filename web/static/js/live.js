// Shared live-camera wiring for the interpreter and practice pages: socket + camera + frame pump,
// the connection / camera status pills, start/stop/mirror controls and the hand overlay.
import { Camera, FrameStreamer, intervalFromUrl, msFromUrl } from './camera.js';
import { StreamSocket } from './socket.js';
import { drawHandsOnMedia, clearCanvas } from './overlay.js';

export function setupLive({ video, overlay, stage, connPill, camPill, startBtn, stopBtn, mirror, placeholder, camError, onConnState }) {
  const intervalMs = intervalFromUrl(200);
  // ?keepalive=ms lets a test ping faster than the default 30 s
  const socket = new StreamSocket({ keepAliveMs: msFromUrl('keepalive', 30000, 100, 600000) });
  const camera = new Camera(video);
  const streamer = new FrameStreamer({ camera, socket, intervalMs });

  socket.addEventListener('status', (e) => {
    const { state, delayMs, attempt } = e.detail;
    connPill.dataset.state = state;
    connPill.textContent = state === 'open' ? 'Server: connected'
      : state === 'connecting' ? 'Server: connecting…'
      : state === 'reconnecting' ? (delayMs ? `Server: connection lost, retrying in ${Math.max(1, Math.round(delayMs / 1000))} s (try ${attempt})` : 'Server: reconnecting…')
      : 'Server: disconnected';
    onConnState && onConnState(state);
  });

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
    placeholder.hidden = state === 'on';
    if (state === 'on') streamer.start();
    else { streamer.stop(); clearCanvas(overlay); }
  });

  startBtn.addEventListener('click', async () => {
    await camera.start();
    if (camera.running) stopBtn.focus();
  });
  stopBtn.addEventListener('click', () => { camera.stop(); startBtn.focus(); });
  mirror.addEventListener('change', () => stage.classList.toggle('mirrored', mirror.checked));

  // server-side refusals worth showing next to the camera (a full server, models still loading)
  socket.addEventListener('message', (e) => {
    const msg = e.detail.data;
    if (msg.type !== 'error' || !['too_many_sessions', 'models_not_ready'].includes(msg.error_type)) return;
    camError.hidden = false;
    camError.textContent = msg.error_type === 'too_many_sessions'
      ? `The server is busy (${msg.error}). Retrying automatically…`
      : `The server is still loading its models (${msg.error}).`;
  });
  socket.addEventListener('status', (e) => {
    if (e.detail.state === 'open' && camera.state !== 'error') camError.hidden = true;
  });

  let overlayTimer = null;
  /** Draw a prediction's hands over the video; the drawing fades out if no new prediction comes. */
  function drawPrediction(msg) {
    drawHandsOnMedia(overlay, msg.hands, msg.image_width, msg.image_height, { fit: 'contain' });
    clearTimeout(overlayTimer);
    overlayTimer = setTimeout(() => clearCanvas(overlay), Math.max(1500, intervalMs * 6));
  }

  window.addEventListener('pagehide', () => { camera.stop(); socket.close(); });
  socket.connect();
  return { socket, camera, streamer, intervalMs, drawPrediction };
}
