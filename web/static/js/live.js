// Shared live-camera wiring for the interpreter and practice pages: socket + camera + frame pump,
// the connection / camera status pills, start/stop/mirror controls, the on-device switch and the
// hand overlay.
//
// Two pumps: server mode sends downscaled frames; on-device mode (the switch, on-device.js) finds
// the hand in this browser and sends only its landmarks. While the switch says on-device, no
// frame is ever sent: if the device cannot do it (no WebAssembly SIMD, the model does not load,
// too slow), the page says so and offers server mode, and sends nothing until the user chooses.
import { Camera, FrameStreamer, LandmarkStreamer, intervalFromUrl, msFromUrl } from './camera.js';
import { DeviceLandmarker, MIN_FPS, onDeviceChosen, rememberOnDevice } from './on-device.js';
import { StreamSocket, streamUrl } from './socket.js';
import { drawHandsOnMedia, clearCanvas } from './overlay.js';

// `profile`: read the letters with this learner's calibration (the server's `session` message says how
// many examples it has).
export function setupLive({ video, overlay, stage, connPill, camPill, startBtn, stopBtn, mirror, placeholder, camError, onDevice, onDeviceNote, onConnState, profile = null }) {
  // a frame every 100 ms: the 0.2 s break between the two Ls of HELLO then always holds one (at
  // 200 ms, about 4.4 frames a second came back here and 2 loops of the clip in 8 read HELO)
  const intervalMs = intervalFromUrl(100);
  // ?min-fps=N lets a test make any device too slow
  const minFps = msFromUrl('min-fps', MIN_FPS, 1, 100000);
  // ?keepalive=ms lets a test ping faster than the default 30 s
  const socket = new StreamSocket({
    url: streamUrl('/ws/stream', { profile }), keepAliveMs: msFromUrl('keepalive', 30000, 100, 600000),
  });
  const camera = new Camera(video);
  // 'sent' events of whichever pump runs: {n, type ('image/webp', 'image/jpeg' or 'landmarks'), …}
  const streamer = new EventTarget();
  const pumps = { server: null, device: null };
  let landmarker = null; // a promise of the DeviceLandmarker, once asked for
  let mode = onDeviceChosen() ? 'device' : 'server';
  onDevice.checked = mode === 'device';

  function note(text, { offerServer = false, kind = '' } = {}) {
    onDeviceNote.hidden = !text;
    onDeviceNote.className = `notice small ${kind}`.trim();
    const parts = [text];
    if (offerServer) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = 'Use server mode';
      b.addEventListener('click', () => setMode('server'));
      parts.push(' ', b);
    }
    onDeviceNote.replaceChildren(...parts);
  }

  function relay(pump) {
    pump.addEventListener('sent', (e) => streamer.dispatchEvent(new CustomEvent('sent', { detail: e.detail })));
    return pump;
  }

  function stopPumps() {
    for (const p of Object.values(pumps)) if (p) p.stop();
  }

  async function startPump() {
    stopPumps();
    if (!camera.running) return;
    if (mode === 'server') {
      pumps.server = pumps.server || relay(new FrameStreamer({ camera, socket, intervalMs }));
      pumps.server.start();
      return;
    }
    note('On-device: loading the hand model into this browser…');
    landmarker = landmarker || DeviceLandmarker.load('VIDEO');
    let device;
    try {
      device = await landmarker;
    } catch (err) {
      landmarker = null;
      if (mode === 'device') note(`On-device mode is unavailable here: ${err.message}. Nothing is sent meanwhile.`, { offerServer: true, kind: 'error' });
      return;
    }
    if (mode !== 'device' || !camera.running) return;
    if (!pumps.device) {
      pumps.device = relay(new LandmarkStreamer({ camera, socket, intervalMs, landmarker: device, minFps }));
      pumps.device.addEventListener('slow', (e) => {
        note(`This device reads only ${e.detail.fps.toFixed(1)} frames a second, under the ${minFps} that signing needs, so on-device mode has stopped. Nothing is sent meanwhile.`,
          { offerServer: true, kind: 'error' });
      });
    }
    note('On-device: your camera picture stays in this browser; only hand landmarks are sent.', { kind: 'ok' });
    pumps.device.start();
  }

  function setMode(next) {
    mode = next;
    onDevice.checked = next === 'device';
    rememberOnDevice(next === 'device');
    if (next === 'server') note('');
    startPump();
  }
  onDevice.addEventListener('change', () => setMode(onDevice.checked ? 'device' : 'server'));

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
    if (state === 'on') startPump();
    else { stopPumps(); clearCanvas(overlay); }
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
  return { socket, camera, streamer, intervalMs, drawPrediction, mode: () => mode };
}
