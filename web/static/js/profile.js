// The practice profile: a random id kept in localStorage, and a persistent queue of attempts that have
// not been stored on the server yet (failed writes are kept, retried and shown, never dropped).
import { postAttempt } from './api.js';

const PROFILE_KEY = 'signbridge.profile';
const QUEUE_KEY = 'signbridge.pendingAttempts';
const PROFILE_RE = /^[A-Za-z0-9_-]{16,64}$/;

function storage() {
  try { return window.localStorage; } catch { return null; }
}

function randomId(length = 22) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => alphabet[b & 63]).join('');
}

let memoryProfile = null;

/** This browser's profile id (created on first use). */
export function getProfileId() {
  const s = storage();
  let id = s ? s.getItem(PROFILE_KEY) : memoryProfile;
  if (!id || !PROFILE_RE.test(id)) {
    id = randomId();
    if (s) s.setItem(PROFILE_KEY, id); else memoryProfile = id;
  }
  return id;
}

/** Replace the profile id (e.g. to continue on another device). Returns false if it is not valid. */
export function setProfileId(id) {
  if (!PROFILE_RE.test(id)) return false;
  const s = storage();
  if (s) s.setItem(PROFILE_KEY, id); else memoryProfile = id;
  return true;
}

export const isValidProfileId = (id) => PROFILE_RE.test(id);

let memoryQueue = [];
function loadQueue() {
  const s = storage();
  if (!s) return memoryQueue.slice();
  try {
    const q = JSON.parse(s.getItem(QUEUE_KEY) || '[]');
    return Array.isArray(q) ? q : [];
  } catch { return []; }
}
function saveQueue(q) {
  const s = storage();
  if (s) s.setItem(QUEUE_KEY, JSON.stringify(q)); else memoryQueue = q.slice();
}

/**
 * Attempts waiting to be written. Events:
 *  - 'change'  detail {pending}
 *  - 'saved'   detail {attempt, progress}   (the server's progress answer)
 *  - 'error'   detail {attempt, error, pending, retryInMs}
 */
export class AttemptQueue extends EventTarget {
  constructor() {
    super();
    this.busy = false;
    this.retryTimer = null;
    this.failures = 0;
    this.lastError = null;
    window.addEventListener('online', () => this.flush());
    window.addEventListener('storage', (e) => { if (e.key === QUEUE_KEY) this.#changed(); });
  }

  get pending() { return loadQueue(); }

  /** Queue an attempt {profile, target, correct, score} and try to write it now. */
  add(attempt) {
    const q = loadQueue();
    const item = {
      id: randomId(12),
      profile: attempt.profile,
      target: attempt.target,
      correct: !!attempt.correct,
      score: Math.max(0, Math.min(1, Number(attempt.score) || 0)),
      queuedAt: Date.now(),
    };
    q.push(item);
    saveQueue(q);
    this.#changed();
    this.flush();
    return item;
  }

  #changed() {
    this.dispatchEvent(new CustomEvent('change', { detail: { pending: loadQueue() } }));
  }

  /** Write queued attempts in order; stops at the first failure and schedules a retry (backoff). */
  async flush() {
    if (this.busy) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.busy = true;
    try {
      for (;;) {
        const q = loadQueue();
        if (!q.length) break;
        const item = q[0];
        let progress;
        try {
          // attempt_id: a retry after a lost reply (the write may have landed) is stored once.
          progress = await postAttempt({ profile: item.profile, target: item.target, correct: item.correct, score: item.score, attempt_id: item.id });
        } catch (error) {
          this.failures++;
          this.lastError = error;
          // 400 means the attempt itself is malformed: it would fail forever. Keep it visible, but stop
          // retrying automatically until the user asks (retry button) so the rest are not blocked silently.
          const retryInMs = error.status === 400 ? null : Math.min(30000, 1000 * 2 ** Math.min(this.failures - 1, 5));
          if (retryInMs !== null) this.retryTimer = setTimeout(() => this.flush(), retryInMs);
          this.dispatchEvent(new CustomEvent('error', { detail: { attempt: item, error, pending: q, retryInMs } }));
          return;
        }
        this.failures = 0;
        this.lastError = null;
        saveQueue(loadQueue().filter((x) => x.id !== item.id));
        this.dispatchEvent(new CustomEvent('saved', { detail: { attempt: item, progress } }));
        this.#changed();
      }
    } finally {
      this.busy = false;
    }
  }

  /** Drop a queued attempt the user chose to discard. */
  discard(id) {
    saveQueue(loadQueue().filter((x) => x.id !== id));
    this.#changed();
  }
}
