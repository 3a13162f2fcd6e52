// Teach page: create a class (POST /api/classes), keep its key in this browser, and show a class's learners
// with their per-letter practice (GET /api/classes/{code} with the key); remove a learner in two clicks.
import { createClass, getClass, removeMember } from './api.js';
import { confidenceLevel, pct } from './prediction.js';
import { copyText } from './sentence.js';

const $ = (id) => document.getElementById(id);
const KEY = 'signbridge.teacherClasses';

/** The classes this browser created: [{code, name, key}]. */
function saved() {
  try {
    const list = JSON.parse(localStorage.getItem(KEY) || '[]');
    return Array.isArray(list) ? list.filter((c) => c && c.code && c.key) : [];
  } catch { return []; }
}
function save(list) {
  try { localStorage.setItem(KEY, JSON.stringify(list)); } catch { /* private mode: kept for this visit only */ }
}
let classes = saved();
let current = null;

const showError = (text) => { const e = $('class-error'); e.hidden = !text; e.textContent = text || ''; };
const pretty = (code) => `${code.slice(0, 4)}-${code.slice(4)}`;

function when(ts) {
  if (!ts) return 'never';
  const secs = (Date.now() / 1000) - ts;
  if (secs < 60) return 'just now';
  if (secs < 3600) return `${Math.round(secs / 60)} min ago`;
  if (secs < 86400) return `${Math.round(secs / 3600)} h ago`;
  return `${Math.round(secs / 86400)} days ago`;
}

function renderList() {
  $('no-classes').hidden = classes.length > 0;
  $('class-list').replaceChildren(...classes.map((c) => {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.code = c.code;
    b.textContent = `${c.name} (${pretty(c.code)})`;
    b.setAttribute('aria-current', String(current === c.code));
    b.addEventListener('click', () => open(c.code));
    li.append(b);
    return li;
  }));
}

function chips(letters) {
  const box = document.createElement('div');
  box.className = 'letter-chips';
  const practised = Object.keys(letters || {}).filter((l) => letters[l].attempts > 0).sort();
  if (!practised.length) { box.textContent = '–'; return box; }
  for (const l of practised) {
    const { attempts, correct } = letters[l];
    const s = document.createElement('span');
    s.textContent = l;
    s.dataset.level = confidenceLevel(correct / attempts);
    s.title = `${l}: ${correct} of ${attempts} correct (${pct(correct / attempts)})`;
    box.append(s);
  }
  return box;
}

function renderClass(view) {
  $('class-panel').hidden = false;
  $('class-heading').textContent = view.name;
  $('join-code').textContent = pretty(view.code);
  const n = view.members.length;
  $('class-summary').textContent = n ? `${n} learner${n === 1 ? '' : 's'}.` : 'No learners yet: share the join code.';
  $('members-body').replaceChildren(...view.members.map((m) => {
    const tr = document.createElement('tr');
    tr.dataset.member = m.member;
    tr.dataset.name = m.name;
    const name = document.createElement('th');
    name.scope = 'row';
    name.textContent = m.name;
    const cell = (text, cls) => { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; return td; };
    const letters = document.createElement('td');
    letters.append(chips(m.letters));
    const actions = document.createElement('td');
    const rm = document.createElement('button');
    rm.type = 'button';
    rm.className = 'danger';
    rm.textContent = 'Remove';
    rm.setAttribute('aria-label', `Remove ${m.name} from the class`);
    rm.addEventListener('click', () => remove(m, rm));
    actions.append(rm);
    tr.append(name, cell(when(m.last_activity)), cell(String(m.total_attempts), 'num'),
      cell(m.total_attempts ? pct(m.accuracy) : '–', 'num'), letters, actions);
    return tr;
  }));
}

async function open(code) {
  const c = classes.find((x) => x.code === code);
  if (!c) return;
  current = code;
  renderList();
  showError('');
  try {
    renderClass(await getClass(code, c.key));
  } catch (err) {
    $('class-panel').hidden = true;
    showError(err.status === 404 ? `Class ${pretty(code)} no longer exists on this server.`
      : err.status === 403 ? `This browser's key for ${pretty(code)} is not accepted.`
      : `Could not load the class: ${err.message}`);
  }
}

async function remove(member, button) {
  if (button.dataset.confirm !== 'true') {
    button.dataset.confirm = 'true';
    button.textContent = `Really remove ${member.name}?`;
    return;
  }
  const c = classes.find((x) => x.code === current);
  try {
    renderClass(await removeMember(current, member.member, c.key));
    $('class-msg').textContent = `${member.name} was removed from the class (their own progress is kept).`;
  } catch (err) {
    $('class-msg').textContent = `Could not remove ${member.name}: ${err.message}`;
  }
}

$('new-class-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const name = $('class-name').value.trim();
  if (!name) return;
  try {
    const made = await createClass(name);
    classes = [...classes, { code: made.code, name: made.name, key: made.teacher_key }];
    save(classes);
    $('class-name').value = '';
    await open(made.code);
    $('class-msg').textContent = `Created “${made.name}”. Share the join code ${pretty(made.code)} with your learners.`;
  } catch (err) {
    showError(`Could not create the class: ${err.message}`);
  }
});
$('refresh-class').addEventListener('click', () => { if (current) open(current); });
$('copy-code').addEventListener('click', async () => {
  try { await copyText($('join-code').textContent); $('class-msg').textContent = 'Join code copied.'; }
  catch { $('class-msg').textContent = 'Could not copy: select the code and copy it by hand.'; }
});

renderList();
const wanted = new URLSearchParams(location.search).get('code');
if (wanted && classes.some((c) => c.code === wanted.toUpperCase())) open(wanted.toUpperCase());
else if (classes.length) open(classes[classes.length - 1].code);
