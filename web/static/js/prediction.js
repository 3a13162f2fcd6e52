// Showing a prediction: the current letter, its confidence bar (coloured by level) and the top 3.

/** 'low' (< 0.5), 'mid' (< 0.8) or 'high'. */
export function confidenceLevel(c) {
  if (!Number.isFinite(c)) return 'low';
  return c < 0.5 ? 'low' : c < 0.8 ? 'mid' : 'high';
}

const SPECIAL = { space: '␣', delete: '⌫', nothing: '∅' };

/** Short text for a label: letters as they are, the control labels as symbols. */
export function labelGlyph(label) {
  if (label === null || label === undefined) return '–';
  return SPECIAL[label] ?? label;
}

/** Words for screen readers. */
export function labelWords(label) {
  if (label === null || label === undefined) return 'no hand';
  if (label === 'space' || label === 'delete' || label === 'nothing') return label;
  return `letter ${label}`;
}

export const pct = (x) => `${Math.round((Number(x) || 0) * 100)}%`;

/** What a symbol shown for a label means ('' for a letter). */
export function labelMeaning(label) {
  if (label === 'nothing') return '∅: no letter, the hand is resting or unclear';
  if (label === 'space') return '␣: the space sign (ends the word)';
  if (label === 'delete') return '⌫: the delete sign (removes the last letter)';
  return '';
}

/**
 * Wire up a prediction panel. `els`: {letter, meter, meterText, top, live, caption} (any may be
 * missing); the caption says what a symbol (∅ ␣ ⌫) means.
 * Returns update(prediction).
 */
export function predictionPanel(els) {
  let lastAnnounced = null;
  return function update(pred) {
    const label = pred ? pred.label : null;
    const conf = pred && label !== null ? Number(pred.confidence) || 0 : 0;
    const level = label === null ? '' : confidenceLevel(conf);
    if (els.letter) {
      els.letter.textContent = labelGlyph(label);
      els.letter.dataset.level = level;
      els.letter.dataset.label = label ?? '';
      els.letter.title = labelWords(label);
      els.letter.classList.toggle('small-text', false);
    }
    if (els.caption) els.caption.textContent = labelMeaning(label);
    if (els.meter) {
      els.meter.dataset.level = level;
      els.meter.setAttribute('aria-valuenow', String(Math.round(conf * 100)));
      els.meter.firstElementChild.style.width = pct(conf);
    }
    if (els.meterText) els.meterText.textContent = label === null ? (pred && pred.landmarks_detected === false ? 'no hand in view' : '–') : pct(conf);
    if (els.top) {
      els.top.replaceChildren();
      for (const [l, p] of (pred && Array.isArray(pred.top) ? pred.top : [])) {
        const li = document.createElement('li');
        const b = document.createElement('b');
        b.textContent = labelGlyph(l);
        li.append(b, ` ${pct(p)}`);
        li.title = labelWords(l);
        els.top.append(li);
      }
    }
    // aria-live: announce only when the letter changes, not every frame
    if (els.live && label !== lastAnnounced) {
      lastAnnounced = label;
      els.live.textContent = label === null ? 'No hand detected' : `${labelWords(label)}, ${pct(conf)}`;
    }
  };
}
