// Camera access and the frame pumps: downscaled frames (server mode) or only the hands' landmarks
// found on this device (on-device mode) over the stream socket.
import { landmarksMessage } from './on-device.js';

/** 'image/webp' when this browser's canvas can encode WebP (Chromium, current Firefox), else 'image/jpeg' (Safari). */
let frameTypePromise = null;
export function detectFrameType() {
  if (!frameTypePromise) {
    frameTypePromise = new Promise((resolve) => {
      try {
        const c = document.createElement('canvas');
        c.width = 2; c.height = 2;
        c.getContext('2d').fillRect(0, 0, 2, 2);
        c.toBlob((blob) => resolve(blob && blob.type === 'image/webp' ? 'image/webp' : 'image/jpeg'), 'image/webp', 0.8);
      } catch {
        resolve('image/jpeg');
      }
    });
  }
  return frameTypePromise;
}

/** The frame interval: `?interval=N` (ms, 30..5000) or the default `defaultMs`. */
export function intervalFromUrl(defaultMs = 100) {
  return msFromUrl('interval', defaultMs, 30, 5000);
}

/** A duration in ms from the page URL's `name` parameter, if within [min, max]; else `defaultMs`. */
export function msFromUrl(name, defaultMs, min, max) {
  const raw = new URLSearchParams(location.search).get(name);
  const v = Number(raw);
  return raw !== null && Number.isFinite(v) && v >= min && v <= max ? Math.round(v) : defaultMs;
}

/**
 * getUserMedia wrapper. Events: 'status' {state: 'off'|'starting'|'on'|'error', message}
 */
export class Camera extends EventTarget {
  constructor(video) {
    super();
    this.video = video;
    this.stream = null;
    this.state = 'off';
  }

  get running() { return this.state === 'on'; }

  #setState(state, message = '') {
    this.state = state;
    this.dispatchEvent(new CustomEvent('status', { detail: { state, message } }));
  }

  async start() {
    if (this.stream) return;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      this.#setState('error', 'This browser cannot use a camera here (it needs a secure page: https or localhost).');
      return;
    }
    this.#setState('starting');
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' },
      });
      this.stream = stream;
      this.video.srcObject = stream;
      this.video.muted = true;
      this.video.playsInline = true;
      await this.video.play().catch(() => {});
      if (!this.video.videoWidth) {
        await new Promise((resolve) => this.video.addEventListener('loadedmetadata', resolve, { once: true }));
      }
      stream.getVideoTracks().forEach((t) => t.addEventListener('ended', () => this.stop('The camera was disconnected.')));
      this.#setState('on');
    } catch (err) {
      this.stream = null;
      const name = err && err.name;
      const message = name === 'NotAllowedError' ? 'Camera permission was denied.'
        : name === 'NotFoundError' ? 'No camera was found.'
        : name === 'NotReadableError' ? 'The camera is in use by another application.'
        : `Could not start the camera (${(err && err.message) || err}).`;
      this.#setState('error', message);
    }
  }

  stop(message = '') {
    if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
    this.stream = null;
    this.video.srcObject = null;
    this.#setState(message ? 'error' : 'off', message);
  }
}

/**
 * Sends camera frames over a StreamSocket (LandmarkStreamer, in on-device.js's mode, sends only the
 * hands found in them): downscaled to fit maxWidth x maxHeight, one every `intervalMs`
 * at most, and never more than one in flight (the next goes only after the reply to the previous one, or
 * after `timeoutMs`). Call `reply()` for each 'prediction' / 'error' message from the server; the
 * instance listens to the socket itself when `autoReply` (default) is on.
 */
export class FrameStreamer extends EventTarget {
  constructor({ camera, socket, intervalMs = 200, maxWidth = 640, maxHeight = 480, timeoutMs = 3000, quality = 0.8, autoReply = true }) {
    super();
    Object.assign(this, { camera, socket, intervalMs, maxWidth, maxHeight, timeoutMs, quality });
    this.canvas = document.createElement('canvas');
    this.ctx = this.canvas.getContext('2d', { alpha: false });
    this.inFlight = false;
    this.capturing = false;
    this.lastSent = 0;
    this.timer = null;
    this.flightTimer = null;
    this.running = false;
    this.sent = 0;
    this.type = 'image/jpeg';
    this.lastSize = { width: 0, height: 0 };
    detectFrameType().then((t) => { this.type = t; });
    if (autoReply) {
      socket.addEventListener('message', (e) => {
        const t = e.detail.data && e.detail.data.type;
        if (t === 'prediction' || t === 'error') this.reply();
      });
      socket.addEventListener('status', (e) => {
        if (e.detail.state !== 'open') this.#landed();
        else this.#schedule(0);
      });
    }
  }

  start() {
    this.running = true;
    this.#schedule(0);
  }

  stop() {
    this.running = false;
    clearTimeout(this.timer);
    clearTimeout(this.flightTimer);
    this.inFlight = false;
  }

  /** The server answered the frame in flight. */
  reply() {
    if (!this.inFlight) return;
    this.#landed();
    this.#schedule(Math.max(0, this.lastSent + this.intervalMs - performance.now()));
  }

  #landed() {
    this.inFlight = false;
    clearTimeout(this.flightTimer);
  }

  #schedule(delay) {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.#tick(), delay);
  }

  async #tick() {
    if (!this.running) return;
    const wait = this.lastSent + this.intervalMs - performance.now();
    if (this.inFlight || this.capturing) return; // reply() / the timeout reschedules
    if (wait > 1) { this.#schedule(wait); return; }
    if (!this.camera.running || !this.socket.isOpen || this.camera.video.readyState < 2) {
      this.#schedule(this.intervalMs);
      return;
    }
    this.capturing = true;
    let payload = null;
    try {
      payload = await this.capture();
    } finally {
      this.capturing = false;
    }
    if (!this.running) return;
    if (!payload || !this.send(payload)) { this.#schedule(this.intervalMs); return; }
    this.inFlight = true;
    this.lastSent = performance.now();
    this.sent++;
    this.dispatchEvent(new CustomEvent('sent', { detail: { n: this.sent, ...this.describe(payload) } }));
    clearTimeout(this.flightTimer);
    this.flightTimer = setTimeout(() => {
      // no reply in time: give up on that frame, send the next
      this.inFlight = false;
      this.dispatchEvent(new CustomEvent('timeout'));
      this.#schedule(0);
    }, this.timeoutMs);
  }

  /** Sends what capture() made; false if it could not be sent. */
  send(blob) {
    return this.socket.sendBinary(blob);
  }

  /** What the 'sent' event says of what was sent. */
  describe(blob) {
    return { bytes: blob.size, type: blob.type, ...this.lastSize };
  }

  /** Grab the current video frame, downscaled, encoded as WebP or JPEG. */
  capture() {
    const v = this.camera.video;
    const vw = v.videoWidth, vh = v.videoHeight;
    if (!vw || !vh) return Promise.resolve(null);
    const s = Math.min(1, this.maxWidth / vw, this.maxHeight / vh);
    const w = Math.max(1, Math.round(vw * s));
    const h = Math.max(1, Math.round(vh * s));
    if (this.canvas.width !== w || this.canvas.height !== h) { this.canvas.width = w; this.canvas.height = h; }
    this.ctx.drawImage(v, 0, 0, w, h);
    this.lastSize = { width: w, height: h };
    return new Promise((resolve) => this.canvas.toBlob(resolve, this.type, this.quality));
  }
}

/**
 * On-device mode's pump: the same pacing as FrameStreamer, but each frame is read by `landmarker`
 * (a DeviceLandmarker) here and only its landmarks are sent, as a `landmarks` message. Emits 'slow'
 * {fps} and stops when the device reads fewer than `minFps` frames a second (median of ten frames
 * after three to warm up), so the page can offer server mode instead.
 */
export class LandmarkStreamer extends FrameStreamer {
  constructor({ landmarker, minFps, ...options }) {
    super(options);
    this.landmarker = landmarker;
    this.minFps = minFps;
    this.readMs = [];
    this.lastRead = { ms: 0, hands: 0 };
  }

  capture() {
    const v = this.camera.video;
    const width = v.videoWidth, height = v.videoHeight;
    if (!width || !height) return Promise.resolve(null);
    const t = performance.now();
    const result = this.landmarker.video(v, t);
    const ms = performance.now() - t;
    this.lastRead = { ms, hands: result.landmarks.length };
    this.lastSize = { width, height };
    this.#measure(ms);
    return Promise.resolve(landmarksMessage(result, width, height, t));
  }

  #measure(ms) {
    this.readMs.push(ms);
    if (this.readMs.length !== 13) return;
    const sorted = this.readMs.slice(3).sort((a, b) => a - b);
    const fps = 1000 / sorted[Math.floor(sorted.length / 2)];
    if (fps < this.minFps) {
      this.stop();
      this.dispatchEvent(new CustomEvent('slow', { detail: { fps } }));
    }
  }

  send(message) {
    if (!this.running) return false;
    return this.socket.sendJSON(message);
  }

  describe(message) {
    return { type: 'landmarks', hands: message.hands.length, readMs: this.lastRead.ms, ...this.lastSize };
  }
}
