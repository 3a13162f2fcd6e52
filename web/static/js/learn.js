// Learn page: the alphabet drawn from /text-to-sign landmarks as solid hands (hand-drawing.js: drag to
// turn, a left-hand switch, J and Z moving), each card opening that letter's practice, and a word
// spelled letter by letter.
import { textToSign } from './api.js';
import { HandView, bindMirrorSwitch } from './hand-drawing.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const $ = (id) => document.getElementById(id);
const isSpace = (l) => l.label === 'space' || l.char === ' ';
const reduceMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches;

/** A card for one letter: canvas with the hand, the letter, its tip and the motion note. */
function signCard(letter, { compact = false } = {}) {
  const li = document.createElement('li');
  li.className = 'sign-card';
  li.dataset.letter = letter.char;
  const canvas = document.createElement('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `Hand shape for ${letter.char}${compact ? '' : ' (drag to turn it)'}`);
  const h = document.createElement(compact ? 'div' : 'h3');
  h.className = 'letter';
  li.append(canvas, h);
  if (compact || !/^[A-Z]$/.test(letter.char)) {
    h.textContent = letter.char;
  } else {
    // the card opens this letter's practice
    li.id = `letter-${letter.char}`;
    const a = document.createElement('a');
    a.href = `/practice?letter=${letter.char}`;
    a.className = 'practise-link';
    a.textContent = letter.char;
    a.setAttribute('aria-label', `Practise ${letter.char}`);
    h.append(a);
  }
  if (letter.tip && !compact) {
    const tip = document.createElement('p');
    tip.className = 'tip';
    tip.textContent = letter.tip;
    li.append(tip);
  }
  if (letter.motion) {
    const m = document.createElement('p');
    m.className = 'motion';
    m.textContent = compact ? 'moves' : `Motion: ${letter.motion}`;
    if (compact) m.title = letter.motion;
    li.append(m);
  }
  if (!compact && /^[A-Z]$/.test(letter.char)) {
    const go = document.createElement('a');
    go.href = `/practice?letter=${letter.char}`;
    go.className = 'button small-button';
    go.textContent = `Practise ${letter.char}`;
    li.append(go);
  }
  const view = new HandView(canvas, { interactive: !compact, padding: compact ? 0.08 : 0.1 });
  li._draw = () => view.setHand(letter.landmarks, compact ? '' : letter.char);
  return li;
}

function drawAll(root) {
  for (const li of root.querySelectorAll('.sign-card')) li._draw && li._draw();
}

// ---------- alphabet ----------
async function loadAlphabet() {
  const status = $('alphabet-status');
  const grid = $('alphabet');
  try {
    const res = await textToSign(ALPHABET);
    grid.replaceChildren(...res.letters.map((l) => signCard(l)));
    drawAll(grid);
    status.textContent = `${res.letters.length} letters. Drag a hand to turn it; open a letter to practise it.`;
    if (location.hash) document.querySelector(location.hash)?.scrollIntoView();
    status.classList.remove('notice', 'error');
  } catch (err) {
    status.textContent = `Could not load the alphabet from the server: ${err.message}`;
    status.className = 'notice error';
  }
}

// ---------- spell a word ----------
const player = { letters: [], index: 0, timer: null, playing: false };
const spellView = new HandView($('spell-canvas'), { padding: 0.12 });
bindMirrorSwitch($('left-hand'));
const row = $('spell-row');
const playBtn = $('spell-play');

function show(i) {
  const n = player.letters.length;
  if (!n) return;
  player.index = ((i % n) + n) % n;
  const l = player.letters[player.index];
  $('spell-player').hidden = false;
  spellView.setHand(l.landmarks, isSpace(l) ? '' : l.char);
  $('spell-now').textContent = isSpace(l) ? '␣ space' : l.char;
  $('spell-tip').textContent = l.tip || '';
  const motion = $('spell-motion');
  motion.hidden = !l.motion;
  motion.textContent = l.motion ? `Motion: ${l.motion}` : '';
  row.querySelectorAll('.sign-card').forEach((c, k) => c.classList.toggle('active', k === player.index));
}

function setPlaying(on) {
  player.playing = on;
  clearInterval(player.timer);
  playBtn.textContent = on ? 'Pause' : 'Play';
  playBtn.setAttribute('aria-pressed', String(on));
  if (on) {
    player.timer = setInterval(() => {
      if (player.index >= player.letters.length - 1) { setPlaying(false); return; }
      show(player.index + 1);
    }, 1200);
  }
}

$('spell-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = $('spell-input').value.trim();
  const err = $('spell-error');
  err.hidden = true;
  if (!text) return;
  setPlaying(false);
  try {
    const res = await textToSign(text);
    player.letters = res.letters || [];
    const items = [];
    let word = player.letters.length ? player.letters[0].word_index : 0;
    let afterSpace = false;
    for (const l of player.letters) {
      if (isSpace(l)) {
        // the server spells a space between words as the space sign
        const card = signCard({ ...l, char: '␣' }, { compact: true });
        card.classList.add('space-card');
        card.dataset.letter = 'space';
        card.title = l.tip || 'space';
        items.push(card);
        afterSpace = true;
        continue;
      }
      if (l.word_index !== word && !afterSpace) {
        const gap = document.createElement('li');
        gap.className = 'gap';
        gap.setAttribute('aria-hidden', 'true');
        items.push(gap);
        word = l.word_index;
      }
      word = l.word_index;
      afterSpace = false;
      items.push(signCard(l, { compact: true }));
    }
    row.replaceChildren(...items);
    drawAll(row);
    for (const b of [playBtn, $('spell-prev'), $('spell-next')]) b.disabled = !player.letters.length;
    if (!player.letters.length) {
      $('spell-player').hidden = true;
      err.hidden = false;
      err.textContent = 'No letters to spell: use A–Z.';
      return;
    }
    show(0);
    if (!reduceMotion) setPlaying(true);
  } catch (ex) {
    err.hidden = false;
    err.textContent = `Could not spell that: ${ex.message}`;
  }
});
playBtn.addEventListener('click', () => {
  if (!player.playing && player.index >= player.letters.length - 1) show(0);
  setPlaying(!player.playing);
});
$('spell-prev').addEventListener('click', () => { setPlaying(false); show(player.index - 1); });
$('spell-next').addEventListener('click', () => { setPlaying(false); show(player.index + 1); });
row.addEventListener('click', (e) => {
  const card = e.target.closest('.sign-card');
  if (!card) return;
  setPlaying(false);
  show([...row.querySelectorAll('.sign-card')].indexOf(card));
});

let resizeTimer = null;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => { drawAll($('alphabet')); drawAll(row); if (player.letters.length) spellView.draw(); }, 100);
});

const initial = new URLSearchParams(location.search).get('word');
if (initial) { $('spell-input').value = initial; $('spell-form').requestSubmit(); }
loadAlphabet();
