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
      if (pred.label === null || pred.label === undefined) {
        result.dataset.label = '';
        say(pred.landmarks_detected ? 'A hand was found but no letter was recognised.'
          : 'No hand was found in this photo. Show one whole hand with some space around it (a hand that fills the whole photo is hard to find), in good light.');
      } else if (pred.label === 'nothing') {
        result.dataset.label = pred.label;
        const hands = (pred.hands || []).length;
        say(`No letter: ${hands > 1 ? `${hands} hands were found; the one the model is surest of` : 'the hand'} is not making a letter shape (it reads as resting, “nothing”, shown as ∅). Sign one letter with one hand, palm towards the camera.`);
      } else {
        result.dataset.label = pred.label;
        const strong = document.createElement('strong');
        strong.id = 'upload-label';
        strong.textContent = pred.label;
        const hands = (pred.hands || []).length;
        say(['Recognised ', strong, ` (${labelWords(pred.label)}, ${pct(pred.confidence)} confident; ${hands} hand${hands === 1 ? '' : 's'} found${local ? ' on this device; only landmarks were sent' : ''}).`],
          confidenceLevel(pred.confidence) === 'high' ? 'ok' : '');
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
