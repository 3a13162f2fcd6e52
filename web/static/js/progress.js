// Progress page: GET /api/progress?profile=ID for this browser's profile (or ?profile=ID to view another:
// a malformed or unknown id is said to be one, never replaced by this browser's own). Letter tiles open
// practice of that letter. Classes: the learner's classes (join with a code, leave).
import { getProgress, myClasses, joinClass, leaveClass } from './api.js';
import { getProfileId, setProfileId, isValidProfileId, AttemptQueue } from './profile.js';
import { confidenceLevel, pct } from './prediction.js';
import { copyText } from './sentence.js';

const $ = (id) => document.getElementById(id);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');

const own = getProfileId();
const asked = new URLSearchParams(location.search).get('profile');
const badProfile = asked !== null && !isValidProfileId(asked);
const profile = asked !== null ? asked : own;
$('profile-id').textContent = profile;
$('adopt-row').hidden = profile === own || badProfile;
// Classes belong to this browser's own profile.
$('classes-card').hidden = profile !== own;

function when(ts) {
  if (ts === null || ts === undefined || !Number.isFinite(Number(ts))) return '–';
  const d = new Date(Number(ts) * 1000);
  const secs = (Date.now() - d.getTime()) / 1000;
  const rel = secs < 60 ? 'just now'
    : secs < 3600 ? `${Math.round(secs / 60)} min ago`
    : secs < 86400 ? `${Math.round(secs / 3600)} h ago`
    : `${Math.round(secs / 86400)} days ago`;
  return { text: rel, title: d.toLocaleString() };
}

function cell(text, cls, title) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  if (title) td.title = title;
  return td;
}

function render(p) {
  const letters = p.letters || {};
  const practised = Object.keys(letters).filter((k) => (letters[k].attempts || 0) > 0).sort();
  let last = null;
  let best = 0;
  for (const k of practised) {
    const l = letters[k];
    if (l.last_practised && (!last || l.last_practised > last)) last = l.last_practised;
    best = Math.max(best, l.best_streak || 0);
  }
  const total = p.total_attempts ?? practised.reduce((a, k) => a + letters[k].attempts, 0);
  const correct = p.total_correct ?? practised.reduce((a, k) => a + letters[k].correct, 0);
  const accuracy = p.accuracy ?? (total ? correct / total : 0);
  $('stat-letters').textContent = `${practised.length} / 26`;
  $('stat-attempts').textContent = total ? `${correct} / ${total}` : '0';
  $('stat-accuracy').textContent = total ? pct(accuracy) : '–';
  $('stat-streak').textContent = String(best);
  const w = when(last);
  $('stat-last').textContent = typeof w === 'string' ? w : w.text;
  if (typeof w !== 'string') $('stat-last').title = w.title;
  if (p.daily) {
    $('stat-today').textContent = `${p.daily.today} / ${p.daily.goal}`;
    $('stat-days').textContent = String(p.daily.streak_days);
  }
  $('activities').replaceChildren(...(p.activities || []).map((a) => {
    const li = document.createElement('li');
    li.dataset.kind = a.kind;
    const aw = when(a.at);
    const head = a.kind === 'drill'
      ? `Drill: ${a.correct} letters, ${a.letters_per_minute.toFixed(1)} per minute`
      : `${a.kind === 'lesson' ? `Lesson ${a.name.replace('lesson-', '')}` : 'Review'}: ${a.correct} of ${a.letters} right`;
    li.textContent = `${head} · ${typeof aw === 'string' ? aw : aw.text}`;
    return li;
  }));
  if (!(p.activities || []).length) {
    const li = document.createElement('li');
    li.className = 'muted';
    li.textContent = 'None yet.';
    $('activities').replaceChildren(li);
  }

  $('letter-grid').replaceChildren(...ALPHABET.map((L) => {
    const l = letters[L];
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = `/practice?target=${L}`;
    a.className = 'tile-link';
    const b = document.createElement('b');
    b.textContent = L;
    const s = document.createElement('span');
    if (l && l.attempts) {
      const acc = l.correct / l.attempts;
      li.dataset.level = confidenceLevel(acc);
      s.textContent = pct(acc);
      li.title = `${L}: ${l.correct} of ${l.attempts} correct`;
    } else {
      s.textContent = '–';
      li.title = `${L}: not practised yet`;
    }
    a.title = `${li.title}. Practise ${L}`;
    a.append(b, s);
    li.append(a);
    return li;
  }));

  const body = $('progress-body');
  if (!practised.length) {
    const tr = document.createElement('tr');
    const td = cell('Nothing practised yet with this profile.', 'muted');
    td.colSpan = 7;
    tr.append(td);
    body.replaceChildren(tr);
    return;
  }
  body.replaceChildren(...practised.map((L) => {
    const l = letters[L];
    const tr = document.createElement('tr');
    tr.dataset.letter = L;
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = L;
    const lw = when(l.last_practised);
    tr.append(th,
      cell(String(l.attempts), 'num'),
      cell(String(l.correct), 'num'),
      cell(l.attempts ? pct(l.correct / l.attempts) : '–', 'num'),
      cell(String(l.streak ?? 0), 'num'),
      cell(String(l.best_streak ?? 0), 'num'),
      typeof lw === 'string' ? cell(lw) : cell(lw.text, '', lw.title));
    return tr;
  }));
}

async function load() {
  const err = $('load-error');
  if (badProfile) {
    err.hidden = false;
    err.textContent = `“${asked}” is not a profile id (they are 16 to 64 letters, digits, - and _). Check the link; nothing is shown.`;
    $('progress-body').replaceChildren();
    return;
  }
  try {
    const p = await getProgress(profile, -new Date().getTimezoneOffset());
    err.hidden = true;
    if (profile !== own && !p.total_attempts) {
      err.hidden = false;
      err.textContent = `No practice is recorded under profile ${profile} on this server. Check the id.`;
    }
    render(p);
    document.body.dataset.loaded = 'true';
  } catch (e) {
    err.hidden = false;
    err.textContent = `Could not load your progress from the server: ${e.message}`;
    $('progress-body').replaceChildren();
  }
}

// attempts not yet stored (written from the practice page while the server failed) are retried here too
const queue = new AttemptQueue();
function showPending(pending) {
  const note = $('pending-note');
  const mine = pending.filter((x) => x.profile === profile);
  note.className = 'notice';
  note.hidden = !mine.length;
  note.textContent = mine.length ? `${mine.length} attempt${mine.length === 1 ? ' is' : 's are'} waiting to be saved to the server (not counted below yet).` : '';
}
queue.addEventListener('change', (e) => showPending(e.detail.pending));
queue.addEventListener('saved', () => load());
queue.addEventListener('error', (e) => {
  showPending(e.detail.pending);
  const note = $('pending-note');
  note.className = 'notice error';
  note.textContent += ` Last error: ${e.detail.error.message}.`;
});
showPending(queue.pending);
queue.flush();

$('copy-profile').addEventListener('click', async () => {
  try { await copyText(profile); $('profile-msg').textContent = 'Profile id copied.'; }
  catch { $('profile-msg').textContent = 'Could not copy; select the id and copy it by hand.'; }
});
$('adopt').addEventListener('click', () => {
  if (setProfileId(profile)) {
    $('adopt-row').hidden = true;
    $('profile-msg').textContent = 'This browser now uses this profile.';
  }
});

// ---------- classes ----------
const pretty = (code) => `${code.slice(0, 4)}-${code.slice(4)}`;
function renderClasses(body) {
  $('my-classes').replaceChildren(...body.classes.map((c) => {
    const li = document.createElement('li');
    li.dataset.code = c.code;
    li.append(`${c.class_name} (${pretty(c.code)}), as “${c.name}” `);
    const leave = document.createElement('button');
    leave.type = 'button';
    leave.textContent = 'Leave';
    leave.setAttribute('aria-label', `Leave ${c.class_name}`);
    leave.addEventListener('click', async () => {
      try {
        renderClasses(await leaveClass(c.code, own));
        $('classes-msg').textContent = `You left ${c.class_name}.`;
      } catch (e) {
        $('classes-msg').textContent = `Could not leave: ${e.message}`;
      }
    });
    li.append(leave);
    return li;
  }));
  if (!body.classes.length) $('classes-msg').textContent = 'You are not in a class.';
}
$('join-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const code = $('join-code-input').value.trim();
  const name = $('join-name').value.trim();
  try {
    const body = await joinClass(code, own, name);
    renderClasses(body);
    const joined = body.classes.find((c) => c.code === code.replace(/[-\s]/g, '').toUpperCase());
    $('classes-msg').textContent = joined ? `You joined ${joined.class_name}.` : 'Joined.';
    $('join-code-input').value = '';
  } catch (err) {
    $('classes-msg').textContent = err.status === 404
      ? `No class has the code ${code}: check it with your teacher.`
      : `Could not join: ${err.message}`;
  }
});
if (profile === own) {
  myClasses(own).then(renderClasses).catch((e) => { $('classes-msg').textContent = `Could not load your classes: ${e.message}`; });
}

load();
