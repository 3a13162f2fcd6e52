// Upload-a-photo mode: POST the photo to /predict-image, show it with its landmarks and the letter.
// In on-device mode (`onDevice()` true) the hand is found in this browser and only its landmarks are
// posted (/predict-landmarks): the photo never leaves the page.
import { predictImage, predictLandmarks } from './api.js';
import { DeviceLandmarker, landmarksMessage } from './on-device.js';
import { drawImageWithHands } from './overlay.js';
import { labelWords, pct, confidenceLevel } from './prediction.js';

function loadImage(file) {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => { URL.revokeObjectURL(url); reject(new Error('this file is not an image the browser can show')); };
    img.src = url;
  });
}

/** The photo's letter from landmarks found here; throws with a reason if this device cannot. */
let imageLandmarker = null;
async function predictOnDevice(img, profile) {
  imageLandmarker = imageLandmarker || DeviceLandmarker.load('IMAGE');
  let device;
  try {
    device = await imageLandmarker;
  } catch (err) {
    imageLandmarker = null;
    throw new Error(`on-device mode is unavailable here: ${err.message}; turn it off to send the photo to the server`);
  }
  const { type, ...frame } = landmarksMessage(device.image(img), img.naturalWidth, img.naturalHeight, 0);
  return predictLandmarks(frame, { profile });
}

/** Where a hand's landmarks lie, in pixels. */
function extent(hand) {
  const xs = hand.landmarks.map((p) => p[0]);
  const ys = hand.landmarks.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  return { x0, x1, y0, y1, cx: (x0 + x1) / 2, w: x1 - x0, h: y1 - y0 };
}

/**
 * A hand fills the photo when its joints span this much of its width or height, or come within
 * EDGE of its edge (the skin reaches further than the joints). Many good photos do (the letter
 * photos' median span is 0.67; the digit photos' tight 100x100 crops 0.6-0.8), so it is only said
 * when the reading is poor: no letter, "nothing", or under 50% sure.
 */
const FILLS = 0.7;
const EDGE = 0.05;

/**
 * What to tell about the photo beside its letter: that the hand fills the frame (too close, when the
 * reading is poor), and, with several hands, which one the letter was read from. Each note is a
 * `span.note` with `data-note` "fills" or "hands".
 */
export function photoNotes(pred) {
  const hands = Array.isArray(pred.hands) ? pred.hands : [];
  const index = Number.isInteger(pred.signing_hand) ? pred.signing_hand : 0;
  const read = hands[index];
  const notes = [];
  const note = (kind, text) => {
    const span = document.createElement('span');
    span.className = 'note';
    span.dataset.note = kind;
    span.textContent = ` ${text}`;
    notes.push(span);
  };
  if (read && hands.length > 1) {
    const others = hands.filter((_, i) => i !== index).map((h) => extent(h).cx);
    const mean = others.reduce((a, b) => a + b, 0) / others.length;
    const side = extent(read).cx < mean ? 'left' : 'right';
    note('hands', `${hands.length} hands were seen; the letter was read from the one on the ${side} of the photo (the one the model is surest is a hand). Show one hand for a reliable reading.`);
  }
  const W = pred.image_width, H = pred.image_height;
  const poor = pred.label === null || pred.label === undefined || pred.label === 'nothing' || !(pred.confidence >= 0.5);
  if (read && W > 0 && H > 0 && poor) {
    const e = extent(read);
    const edge = e.x0 < EDGE * W || e.y0 < EDGE * H || e.x1 > (1 - EDGE) * W || e.y1 > (1 - EDGE) * H;
    if (edge || e.w >= FILLS * W || e.h >= FILLS * H) {
      note('fills', `${hands.length > 1 ? 'That hand' : 'The hand'} fills the photo: it is too close to the camera (or cut off at the edge). Step back, or choose a photo with some space around the whole hand.`);
    }
  }
  return notes;
}

// `profile`: read the letter with this learner's calibration.
export function setupUpload({ input, canvas, placeholder, result, onPrediction, onDevice = () => false, profile = null }) {
  let current = null; // {img, pred}
  let seq = 0;

  function redraw() {
    if (!current) return;
    const p = current.pred;
    const n = drawImageWithHands(canvas, current.img, p ? p.hands : [], p ? p.image_width : 0, p ? p.image_height : 0);
    canvas.dataset.hands = String(n);
  }

  function say(text, kind = '') {
    result.hidden = false;
    result.className = `notice ${kind}`.trim();
    result.replaceChildren(...(Array.isArray(text) ? text : [text]));
  }

  function forgetPhoto() {
    current = null;
    canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
    canvas.dataset.hands = '0';
    placeholder.hidden = false;
    result.dataset.label = '';
    result.hidden = true;
    result.replaceChildren();
  }

  input.addEventListener('change', async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    const mine = ++seq;
    // the previous photo and its result go at once: nothing old stays beside a new answer or error
    forgetPhoto();
    let img;
    try {
      img = await loadImage(file);
    } catch (err) {
      if (mine === seq) say(`Could not read “${file.name}”: ${err.message}.`, 'error');
      return;
    }
    if (mine !== seq) return;
    current = { img, pred: null };
    placeholder.hidden = true;
    redraw();
    say('Looking for a hand…');
    result.dataset.label = '';
    try {
      const local = onDevice();
      const pred = local ? await predictOnDevice(img, profile) : await predictImage(file, { profile });
      if (mine !== seq) return;
      current.pred = pred;
      redraw();
      onPrediction && onPrediction(pred);
      const notes = photoNotes(pred);
      if (pred.label === null || pred.label === undefined) {
        result.dataset.label = '';
        say(pred.landmarks_detected ? ['A hand was found but no letter was recognised.', ...notes]
          : 'No hand was found in this photo. Show one whole hand with some space around it (a hand that fills the whole photo is hard to find), in good light.');
      } else if (pred.label === 'nothing') {
        result.dataset.label = pred.label;
        say([`No letter: the hand is not making a letter shape (it reads as resting, “nothing”, shown as ∅). Sign one letter with one hand, palm towards the camera.`, ...notes]);
      } else {
        result.dataset.label = pred.label;
        const strong = document.createElement('strong');
        strong.id = 'upload-label';
        strong.textContent = pred.label;
        const hands = (pred.hands || []).length;
        say(['Recognised ', strong, ` (${labelWords(pred.label)}, ${pct(pred.confidence)} confident; ${hands} hand${hands === 1 ? '' : 's'} found${local ? ' on this device; only landmarks were sent' : ''}).`, ...notes],
          confidenceLevel(pred.confidence) === 'high' && !notes.length ? 'ok' : '');
      }
    } catch (err) {
      if (mine !== seq) return;
      forgetPhoto();
      say(onDevice() ? `Could not read this photo on this device: ${err.message}` : `The server could not read this photo: ${err.message}`, 'error');
    }
  });

  window.addEventListener('resize', redraw);
  return { redraw };
}
