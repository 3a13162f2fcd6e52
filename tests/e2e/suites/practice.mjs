// (c) Practice: attempts are recorded (a skip = miss, and a correct one when the server commits the target
// held in front of the fake camera), written to the server, and still shown on the progress page after the
// server restarts on the same database file.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fsp from 'node:fs/promises';
import { startServer, chromiumTab, makeTempDir, screenshot, freePort, until } from '../lib/harness.mjs';

describe('practice', () => {
  let server, tab, tmp, db;

  // Its own server: the test restarts it on the same database file.
  before(async () => {
    tmp = await makeTempDir();
    db = path.join(tmp, 'progress.sqlite3');
    server = await startServer({ db });
    tab = await chromiumTab();
  });

  after(async () => {
    if (tab) await tab.close();
    if (server) await server.stop();
    if (tmp) await fsp.rm(tmp, { recursive: true, force: true });
  });

  const savedAttempts = (page) => page.$$eval('#attempts li[data-status="saved"]', (lis) => lis.map((li) => ({ target: li.dataset.target, correct: li.dataset.correct === 'true' })));

  test('practice records attempts that survive a server restart', { timeout: 240000 }, async () => {
    const { page } = tab;

    // 1. skip: recorded as incorrect
    await page.goto(`${server.baseUrl}/practice?target=B`);
    assert.equal(await page.getAttribute('#target', 'data-letter'), 'B');
    await page.click('#skip');
    await page.waitForSelector('#attempts li[data-target="B"][data-status="saved"]', { timeout: 15000 });
    assert.deepEqual(await savedAttempts(page), [{ target: 'B', correct: false }]);
    assert.equal(await page.isVisible('#save-error'), false);
    const profile = await page.evaluate(() => localStorage.getItem('signbridge.profile'));
    assert.match(profile, /^[A-Za-z0-9_-]{16,64}$/);

    // 2. a failed write (the server answers 503) is shown, kept queued, and written on retry
    await page.goto(`${server.baseUrl}/practice?target=C`);
    await page.route('**/api/progress/attempt', (route) => route.fulfill({
      status: 503, contentType: 'application/json', body: JSON.stringify({ error: 'database is locked', error_type: 'storage' }),
    }));
    await page.click('#skip');
    await page.waitForSelector('#save-error:not([hidden])', { timeout: 10000 });
    assert.match(await page.textContent('#save-error-text'), /503/);
    assert.equal(await page.getAttribute('#save-status', 'data-state'), 'error');
    await page.waitForSelector('#attempts li[data-target="C"][data-status="failed"]');
    assert.equal(await page.evaluate(() => JSON.parse(localStorage.getItem('signbridge.pendingAttempts') || '[]').length), 1, 'failed attempt kept queued');
    await screenshot(page, 'practice-save-error');
    await page.unroute('**/api/progress/attempt');
    await page.click('#save-retry');
    await page.waitForSelector('#attempts li[data-target="C"][data-status="saved"]', { timeout: 15000 });
    assert.equal(await page.isVisible('#save-error'), false);

    // 3. a correct attempt is recorded when the server commits the target: the fake camera shows H for
    // 1.5 s per loop, the server commits H once it is held (the prediction's `committed`), and the page
    // records it then, scored with the mean confidence of the H frames since H started matching (a frame
    // without a hand starts over, as on the server)
    const seen = { predictions: [], sent: [] };
    const posted = [];
    page.on('websocket', (ws) => {
      ws.on('framereceived', ({ payload }) => {
        let m;
        try { m = JSON.parse(String(payload)); } catch { return; }
        if (m.type === 'prediction') seen.predictions.push({ label: m.label, confidence: m.confidence, committed: m.committed });
      });
      ws.on('framesent', ({ payload }) => { if (typeof payload === 'string') seen.sent.push(payload); });
    });
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/progress/attempt')) posted.push(JSON.parse(r.postData()));
    });
    const commits = () => seen.predictions.filter((m) => m.committed).map((m) => m.committed);
    const saw = () => `${seen.predictions.length} predictions, commits [${commits()}], last: ${seen.predictions.slice(-15)
      .map((m) => `${m.label ?? '-'}${m.committed ? `(committed ${m.committed})` : ''}`).join(' ')}`;

    await page.goto(`${server.baseUrl}/practice?target=H&interval=100`);
    await page.click('#start');
    await page.waitForSelector('#cam-status[data-state="on"]', { timeout: 15000 });
    await page.waitForSelector('#attempts li[data-target="H"][data-correct="true"][data-status="saved"]', { timeout: 90000 })
      .catch(async (e) => {
        await screenshot(page, 'practice-failed');
        throw new Error(`no correct H recorded (match: ${await page.textContent('#match')}; attempts: ${await page.textContent('#attempts')}; `
          + `the page saw ${saw()}): ${e.message}`);
      });
    await screenshot(page, 'practice');
    // success is celebrated (a pulse of the target, a sound unless switched off)
    assert.ok(Number(await page.getAttribute('#target', 'data-celebrated')) >= 1, 'the correct H was celebrated');
    await page.click('#stop');
    await page.waitForSelector('#cam-status[data-state="off"]');
    assert.equal(await page.evaluate(() => localStorage.getItem('signbridge.profile')), profile, 'profile id kept');
    assert.equal(await page.evaluate(() => JSON.parse(localStorage.getItem('signbridge.pendingAttempts') || '[]').length), 0, 'nothing left queued');
    const heldH = (await savedAttempts(page)).filter((a) => a.target === 'H' && a.correct).length;
    assert.ok(heldH >= 1);
    // Every attempt carries the page's id for it, so a retry after a lost reply is stored once.
    assert.ok(posted.length >= 1 && posted.every((p) => /^[A-Za-z0-9_-]{8,64}$/.test(p.attempt_id)), JSON.stringify(posted));
    const commitsH = commits().filter((c) => c === 'H').length;
    assert.ok(heldH <= commitsH, `${heldH} correct H attempts, but the server committed H ${commitsH} times (the page saw ${saw()})`);
    const first = seen.predictions.findIndex((m) => m.committed === 'H');
    let run = [];
    for (const m of seen.predictions.slice(0, first + 1)) {
      if (m.label === null || m.label === undefined) run = [];
      if (m.label === 'H') run.push(m.confidence);
    }
    const expected = run.reduce((a, b) => a + b, 0) / run.length;
    const scored = posted.find((a) => a.target === 'H' && a.correct);
    assert.ok(scored, `a correct H was posted (posted: ${JSON.stringify(posted)})`);
    assert.ok(Math.abs(scored.score - expected) < 1e-9,
      `score ${scored.score} is the mean confidence of the ${run.length} H frames up to the commit (${expected})`);

    // a new target clears this connection's sentence on the server
    seen.sent.length = 0;
    await page.click('#new-letter');
    await until(() => seen.sent.some((m) => JSON.parse(m).type === 'clear'), { timeoutMs: 5000, what: 'a {"type":"clear"} message after "New letter"' });

    // J and Z: the hint says they are motions, not that the camera reads their hand shape
    await page.goto(`${server.baseUrl}/practice?target=J`);
    const hint = await page.textContent('#target-hint');
    assert.match(hint, /motion/, `J hint: ${hint}`);
    assert.doesNotMatch(hint, /sees its hand shape/, `J hint: ${hint}`);
    await page.waitForSelector('#conn-status[data-state="open"]', { timeout: 15000 });

    // 4. restart the server on the same database file (same port, so the same origin and localStorage)
    // while the server is down the page shows it and reconnects by itself once it is back
    const port = server.port;
    await server.stop();
    server = null;
    await page.waitForSelector('#conn-status[data-state="reconnecting"]', { timeout: 10000 });
    let url;
    try {
      server = await startServer({ db, port });
      url = `${server.baseUrl}/progress`;
    } catch {
      // port taken meanwhile: another origin, so name the profile in the URL
      server = await startServer({ db, port: await freePort() });
      url = `${server.baseUrl}/progress?profile=${profile}`;
    }
    if (server.port === port) await page.waitForSelector('#conn-status[data-state="open"]', { timeout: 30000 });
    await page.goto(url);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 15000 });
    assert.equal((await page.textContent('#profile-id')).trim(), profile);
    const rowB = await page.$$eval('#progress-body tr[data-letter="B"] td', (tds) => tds.map((td) => td.textContent.trim()));
    assert.deepEqual(rowB.slice(0, 2), ['1', '0'], `B row: ${rowB}`);
    const rowH = await page.$$eval('#progress-body tr[data-letter="H"] td', (tds) => tds.map((td) => td.textContent.trim()));
    assert.ok(Number(rowH[1]) >= 1 && Number(rowH[0]) >= Number(rowH[1]), `H row: ${rowH}`);
    const rowC = await page.$$eval('#progress-body tr[data-letter="C"] td', (tds) => tds.map((td) => td.textContent.trim()));
    assert.deepEqual(rowC.slice(0, 2), ['1', '0'], `C row (written on retry): ${rowC}`);
    const practised = await page.textContent('#stat-letters');
    assert.match(practised, /^3 \/ 26$/);
    await screenshot(page, 'progress');
    assert.deepEqual(tab.errors, [], 'no uncaught page errors');
  });
});
