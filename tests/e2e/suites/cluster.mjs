// Replicas behind nginx sharing PostgreSQL (issue 16), started by scripts/cluster.sh as a user would:
// (a) through the balancer, 20 practice attempts and an HTTP session's sentence; replica 1 is killed; the next
//     20 requests all succeed and the attempts and the sentence are still there;
// (b) the interpreter page keeps its sentence when the replica holding its WebSocket is killed: the page
//     reconnects through nginx to the other replica and resumes its session.
// Each test has a cluster of its own (its own folder, ports and PostgreSQL), taken down by its pids after it.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, DATA_DIR, SERVER_BIN, chromiumTab, screenshot, until } from '../lib/harness.mjs';

const run = promisify(execFile);
const CLUSTER_SH = path.join(REPO_ROOT, 'scripts', 'cluster.sh');
let clusters = 0;

/** `scripts/cluster.sh up` in a folder of its own; returns {base, replicas: [url1, url2], killReplica(n), down()}. */
async function clusterUp() {
  const dir = path.join(os.tmpdir(), `signbridge-cluster-${process.pid}-${++clusters}`);
  const env = { ...process.env, SIGNBRIDGE_CLUSTER_DIR: dir, SIGNBRIDGE_BIN: SERVER_BIN };
  const sh = (...args) => run('bash', [CLUSTER_SH, ...args], { env, timeout: 300000, maxBuffer: 1 << 20 });
  let stdout;
  try {
    ({ stdout } = await sh('up'));
  } catch (e) {
    throw new Error(`scripts/cluster.sh up failed: ${e.message}\n${e.stderr || ''}`);
  }
  const base = stdout.trim().split('\n').pop();
  assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/, `up's last line is the balancer's URL: ${stdout}`);
  const vars = Object.fromEntries(fs.readFileSync(path.join(dir, 'cluster.env'), 'utf8').trim().split('\n')
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  assert.equal(vars.BASE_URL, base);
  return {
    base,
    dir,
    replicas: [vars.REPLICA_1_URL, vars.REPLICA_2_URL],
    killReplica: (n) => sh('kill-replica', String(n)),
    down: async () => { await sh('down'); assert.ok(!fs.existsSync(dir), 'down removes its folder'); },
  };
}

/** fetch with a 10 s limit; returns {status, body (parsed JSON), headers}. */
async function call(url, init = {}) {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10000) });
  const text = await res.text();
  let body;
  try { body = JSON.parse(text); } catch { body = text; }
  return { status: res.status, body, headers: res.headers };
}

/** The WebSocket sessions a replica holds now (0 when it does not answer). */
async function wsSessions(replica) {
  try {
    const { body } = await call(`${replica}/api/memory`);
    return body.per_session.filter((s) => s.kind === 'ws').length;
  } catch { return 0; }
}

describe('cluster', () => {
  const up = [];
  after(async () => {
    for (const c of up) await c.down().catch(() => {});
  });

  test('cluster: attempts and an HTTP session\'s sentence survive a killed replica; the next 20 requests succeed', { timeout: 300000 }, async () => {
    const c = await clusterUp();
    up.push(c);
    const profile = 'learner-cluster-01';
    for (let i = 0; i < 20; i++) {
      const r = await call(`${c.base}/api/progress/attempt`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ profile, target: 'A', correct: i % 4 !== 3, score: 0.9, attempt_id: `cluster-attempt-${i}` }),
      });
      assert.equal(r.status, 200, `attempt ${i}: ${JSON.stringify(r.body)}`);
    }

    // An HTTP session (the server's cookie): a photo of A uploaded until the sentence builder commits it.
    const photo = fs.readFileSync(path.join(DATA_DIR, 'images', 'letters', 'A', 'A0.jpg'));
    let cookie = null;
    let committed = null;
    for (let i = 0; i < 80 && !committed; i++) {
      const form = new FormData();
      form.append('file', new Blob([photo], { type: 'image/jpeg' }), 'a.jpg');
      const r = await call(`${c.base}/predict-and-build`, { method: 'POST', body: form, headers: cookie ? { cookie } : {} });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const set = r.headers.get('set-cookie');
      if (set) cookie = set.split(';')[0];
      committed = r.body.committed;
    }
    assert.match(committed || '', /^[A-Z]$/, 'holding the photo commits its letter');
    assert.ok(cookie && cookie.startsWith('signbridge_session='), `session cookie: ${cookie}`);
    const spaced = await call(`${c.base}/sentence/space`, { method: 'POST', headers: { cookie } });
    const words = spaced.body.words;
    assert.ok(words.length === 1 && words[0].endsWith(committed), JSON.stringify(spaced.body));

    await c.killReplica(1);
    const results = [];
    for (let i = 0; i < 20; i++) {
      let r;
      if (i % 3 === 0) r = await call(`${c.base}/api/progress?profile=${profile}`);
      else if (i % 3 === 1) r = await call(`${c.base}/sentence`, { headers: { cookie } });
      else {
        // a retried attempt (its id is stored): accepted, counted once
        r = await call(`${c.base}/api/progress/attempt`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ profile, target: 'A', correct: true, score: 0.9, attempt_id: `cluster-attempt-${i}` }),
        });
      }
      results.push(r);
    }
    assert.deepEqual(results.map((r) => r.status), Array(20).fill(200), JSON.stringify(results.map((r) => r.body)));
    for (const r of results) {
      if ('total_attempts' in r.body) assert.equal(r.body.total_attempts, 20, JSON.stringify(r.body));
      if ('full_sentence' in r.body) assert.deepEqual([r.body.words, r.body.current_word], [words, ''], JSON.stringify(r.body));
    }
    const p = (await call(`${c.base}/api/progress?profile=${profile}`)).body;
    assert.deepEqual([p.total_attempts, p.total_correct, p.letters.A.attempts], [20, 15, 20]);
  });

  test('cluster: the interpreter page keeps its sentence when its replica is killed (reconnects and resumes)', { timeout: 300000 }, async () => {
    const c = await clusterUp();
    up.push(c);
    const tab = await chromiumTab();
    try {
      const { page } = tab;
      await page.goto(`${c.base}/?interval=100`);
      await page.waitForSelector('#conn-status[data-state="open"]', { timeout: 15000 });
      await page.click('#start');
      await page.waitForSelector('#cam-status[data-state="on"]', { timeout: 15000 });
      await page.waitForFunction(() => /\bHELLO\b/.test(document.getElementById('sentence').dataset.words || ''),
        null, { timeout: 120000, polling: 200 }).catch(async (e) => {
        await screenshot(page, 'cluster-failed');
        throw new Error(`the sentence never had the word HELLO (${await page.$eval('#sentence', (el) => el.dataset.text)}): ${e.message}`);
      });
      await page.click('#stop');
      await page.waitForSelector('#cam-status[data-state="off"]');
      // the last frame's reply has come back once a sentence edit round-trips
      await page.click('#btn-space');
      await until(async () => (await page.$eval('#sentence', (el) => el.dataset.currentWord)) === '', { timeoutMs: 5000, what: 'space applied' });
      const before = await page.$eval('#sentence', (el) => el.dataset.text);
      assert.match(before, /HELLO/);

      const holders = await Promise.all(c.replicas.map(wsSessions));
      const n = holders.findIndex((count) => count > 0) + 1;
      assert.ok(n >= 1, `one replica holds the page's WebSocket: ${holders}`);
      await page.evaluate(() => {
        window.__connStates = [];
        const pill = document.getElementById('conn-status');
        new MutationObserver(() => window.__connStates.push(pill.dataset.state)).observe(pill, { attributes: true, attributeFilter: ['data-state'] });
      });
      await c.killReplica(n);
      await until(() => page.evaluate(() => window.__connStates.includes('reconnecting') && document.getElementById('conn-status').dataset.state === 'open'),
        { timeoutMs: 30000, what: 'the page reconnecting after its replica was killed' });
      const other = c.replicas[2 - n];
      await until(async () => (await wsSessions(other)) > 0, { timeoutMs: 10000, what: 'the WebSocket on the other replica' });
      await until(async () => /continues/.test(await page.textContent('#sentence-msg')), { timeoutMs: 10000, what: 'the page saying the sentence continues' });
      assert.equal(await page.$eval('#sentence', (el) => el.dataset.text), before, 'the sentence is kept');
      // The server it now talks to has the sentence: a backspace removes the last letter of it.
      await page.click('#btn-backspace');
      const letters = before.replace(/\s+/g, '');
      const after = await until(async () => {
        const t = await page.$eval('#sentence', (el) => el.dataset.text);
        return t !== before ? t : null;
      }, { timeoutMs: 5000, what: 'the sentence after backspace' });
      assert.equal(after.replace(/\s+/g, ''), letters.slice(0, -1), `${before} -> ${after}`);
      assert.deepEqual(tab.errors, [], 'no uncaught page errors');
    } finally {
      await tab.close();
    }
  });
});
