// On-device mode: MediaPipe's hand landmarker (its WebAssembly build, served by this server from
// /static/mediapipe/, never from another site) finds the hand in this browser, and only its 21
// landmarks go to the server, which reads the letter and builds the sentence. No picture leaves
// the page. The user's choice is kept per browser; `?on-device=1` (or 0) in the URL sets it.
//
//   DeviceLandmarker.load(mode)  the landmarker ('VIDEO' for the camera, 'IMAGE' for photos), or
//                                an OnDeviceUnavailable error saying why (no WebAssembly SIMD, the
//                                server cannot serve the files, the model does not load)
//   landmarksMessage(result, …)  MediaPipe's result as the server's `landmarks` message
//   MIN_FPS                      below this rate the page stops and offers server mode

const STORE_KEY = 'signbridge.onDevice';
/** Under this many frames a second the camera is too slow to read on this device. */
export const MIN_FPS = 5;

export class OnDeviceUnavailable extends Error {}

/** Whether the user chose on-device mode: the URL's `on-device` (remembered), else the stored choice. */
export function onDeviceChosen() {
  const fromUrl = new URLSearchParams(location.search).get('on-device');
  if (fromUrl === '1' || fromUrl === '0') rememberOnDevice(fromUrl === '1');
  try { return localStorage.getItem(STORE_KEY) === '1'; } catch { return fromUrl === '1'; }
}

export function rememberOnDevice(on) {
  try { localStorage.setItem(STORE_KEY, on ? '1' : '0'); } catch { /* private mode: this page only */ }
}

async function serverKit() {
  let res;
  try {
    res = await fetch('/api/on-device', { headers: { Accept: 'application/json' } });
  } catch (err) {
    throw new OnDeviceUnavailable(`the server cannot be reached (${err.message})`);
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new OnDeviceUnavailable(body.error || `the server answered ${res.status}`);
  return body;
}

let visionModule = null;

export class DeviceLandmarker {
  /** Loads MediaPipe's hand landmarker from this server. `mode`: 'VIDEO' or 'IMAGE'. */
  static async load(mode = 'VIDEO') {
    if (typeof WebAssembly !== 'object') throw new OnDeviceUnavailable('this browser cannot run WebAssembly');
    const kit = await serverKit();
    try {
      visionModule = visionModule || await import(`${kit.base}vision_bundle.mjs`);
    } catch (err) {
      throw new OnDeviceUnavailable(`the hand landmarker did not load (${err.message})`);
    }
    const { FilesetResolver, HandLandmarker } = visionModule;
    if (!(await FilesetResolver.isSimdSupported())) {
      throw new OnDeviceUnavailable('this browser lacks WebAssembly SIMD, which the hand landmarker needs');
    }
    const fileset = {
      wasmLoaderPath: `${kit.base}vision_wasm_internal.js`,
      wasmBinaryPath: `${kit.base}vision_wasm_internal.wasm`,
    };
    let landmarker;
    try {
      landmarker = await HandLandmarker.createFromOptions(fileset, {
        baseOptions: { modelAssetPath: `${kit.base}${kit.model}`, delegate: 'CPU' },
        runningMode: mode,
        numHands: kit.max_hands || 2,
        minHandDetectionConfidence: 0.5,
        minHandPresenceConfidence: 0.5,
        minTrackingConfidence: 0.5,
      });
    } catch (err) {
      throw new OnDeviceUnavailable(`the hand model did not start (${err.message || err})`);
    }
    return new DeviceLandmarker(landmarker, kit);
  }

  constructor(landmarker, kit) {
    this.landmarker = landmarker;
    this.kit = kit;
    this.lastTs = 0;
  }

  /** The hands in the video's current frame, seen at `tMs` (performance.now()). */
  video(video, tMs) {
    // MediaPipe wants strictly increasing timestamps.
    const ts = Math.max(this.lastTs + 1, Math.round(tMs));
    this.lastTs = ts;
    return this.landmarker.detectForVideo(video, ts);
  }

  /** The hands in a still image (IMAGE mode). */
  image(img) {
    return this.landmarker.detect(img);
  }

  close() {
    try { this.landmarker.close(); } catch { /* already closed */ }
  }
}

const round = (v) => Math.round(v * 1e5) / 1e5;

/**
 * MediaPipe's result as the server's `landmarks` message (docs/api.md). The tasks runtime names
 * handedness the other way round from MediaPipe's hand solution, whose convention the server
 * reports (for un-mirrored frames, "Left" is usually the signer's right hand), so it is swapped.
 */
export function landmarksMessage(result, width, height, tMs) {
  const hands = (result.landmarks || []).map((points, i) => {
    const cat = (result.handedness && result.handedness[i] && result.handedness[i][0]) || {};
    return {
      handedness: cat.categoryName === 'Left' ? 'Right' : 'Left',
      score: Math.min(1, Math.max(0, round(cat.score ?? 0))),
      landmarks: points.map((p) => [round(p.x), round(p.y), round(p.z)]),
    };
  });
  return { type: 'landmarks', t: Math.max(0, Math.round(tMs)), width, height, hands };
}
