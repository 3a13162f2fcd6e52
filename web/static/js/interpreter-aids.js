// The interpreter page's aids (live-aids.js), kept apart from interpreter.js: camera help with the
// upload tab as the fallback, the server-lost banner, and the phone view's letter and sentence over
// the video, copied from the page's own letter panel and sentence as they change.
import { setupLiveAids } from './live-aids.js';

const $ = (id) => document.getElementById(id);

setupLiveAids({
  connPill: $('conn-status'), camPill: $('cam-status'), camError: $('cam-error'), help: $('cam-help'), banner: $('conn-banner'),
  lostText: 'Connection to the server lost: your sentence is kept and continues when it is back.',
  uploadLabel: 'Upload a photo instead',
  useUpload: () => { $('tab-upload').click(); $('file').focus(); },
});

const HUD_CHARS = 26;
function copyToHud() {
  const letter = $('letter');
  $('hud-letter').textContent = letter.textContent;
  $('hud-letter').dataset.level = letter.dataset.level || '';
  const text = $('sentence').dataset.text || '';
  $('hud-sentence').textContent = text.length > HUD_CHARS ? `…${text.slice(-HUD_CHARS)}` : text;
}
for (const el of [$('letter'), $('sentence')]) {
  new MutationObserver(copyToHud).observe(el, { attributes: true, childList: true, characterData: true, subtree: true });
}
copyToHud();
