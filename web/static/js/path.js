// The learning path: lessons of similar handshapes in a sensible order, a spaced review of weak letters,
// and a timed word drill. Pure functions (no DOM), used by the practice and progress pages.

/** Lessons, in order: each a group of letters whose handshapes are alike, so they are learnt side by side. */
export const LESSONS = [
  { id: 'lesson-1', title: 'Fists', letters: 'ASET', note: 'A, S, E and T are all fists: only the thumb moves.' },
  { id: 'lesson-2', title: 'Flat and round', letters: 'BCO', note: 'an open flat hand, then curved into C and closed into O.' },
  { id: 'lesson-3', title: 'The index points', letters: 'DGLX', note: 'the index finger alone: up, sideways, with the thumb out, hooked.' },
  { id: 'lesson-4', title: 'Two fingers', letters: 'UVRKH', note: 'index and middle: together, apart, crossed, with the thumb between, sideways.' },
  { id: 'lesson-5', title: 'Three and more', letters: 'WFMN', note: 'three fingers up, the OK ring, and the thumb under three or two fingers.' },
  { id: 'lesson-6', title: 'Little finger', letters: 'IYJ', note: 'the little finger up, with the thumb out, and J traced from I.' },
  { id: 'lesson-7', title: 'Pointing down', letters: 'PQ', note: 'K and G turned to point down.' },
  { id: 'lesson-8', title: 'Z in the air', letters: 'Z', note: 'trace a Z with the index finger of D.' },
];

/** Letters a review takes. */
export const REVIEW_SIZE = 5;
/** A timed drill's length. */
export const DRILL_MS = 60000;

/**
 * The letters to review: the weakest first, where weak is a low (smoothed) accuracy, made more urgent
 * the longer ago the letter was practised (up to two weeks), so a letter missed long ago comes back.
 * Letters never practised fill the review, in lesson order, when fewer than `size` were practised.
 */
export function reviewLetters(letters, nowSecs, size = REVIEW_SIZE) {
  const scored = Object.entries(letters || {})
    .filter(([l, p]) => /^[A-Z]$/.test(l) && p && p.attempts > 0)
    .map(([l, p]) => {
      const miss = 1 - (p.correct + 1) / (p.attempts + 2);
      const days = p.last_practised ? Math.max(0, (nowSecs - p.last_practised) / 86400) : 14;
      return { l, priority: miss + Math.min(days, 14) / 28 };
    })
    .sort((a, b) => b.priority - a.priority || a.l.localeCompare(b.l));
  const picked = scored.slice(0, size).map((x) => x.l);
  for (const lesson of LESSONS) {
    for (const l of lesson.letters) {
      if (picked.length >= size) break;
      if (!picked.includes(l) && !(letters && letters[l] && letters[l].attempts > 0)) picked.push(l);
    }
  }
  return picked;
}

/** Letters signed right per minute. */
export const lettersPerMinute = (correct, ms) => (ms > 0 ? (correct * 60000) / ms : 0);

/** The lessons done (a finished lesson activity with at least half its letters right). */
export function lessonsDone(activities) {
  const done = new Set();
  for (const a of activities || []) {
    if (a.kind === 'lesson' && a.correct * 2 >= a.letters) done.add(a.name);
  }
  return done;
}
