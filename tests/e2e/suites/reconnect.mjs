// Server lost and back (issue 17 item 6): the interpreter spells from the fake camera, the server is
// stopped: a banner over the video, the letter greyed, the sentence still shown; the server is started
// again on the same port with the same --db: the banner goes, the page says the sentence continues, and
// it is the same sentence.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fsp from 'node:fs/promises';
import { startServer, chromiumTab, makeTempDir, screenshot } from '../lib/harness.mjs';

describe('reconnect', () => {
  let server, tab, tmp, db;

  // Its own server: the test stops it and starts it again on the same database file and port.
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

  test('reconnect: server stopped and restarted, the sentence kept', { timeout: 180000 }, async () => {
    const { page } = tab;
    await page.goto(`${server.baseUrl}/?interval=100`);
    await page.click('#start');
    await page.waitForSelector('#cam-status[data-state="on"]', { timeout: 15000 });
    // a few letters of HELLO from the fake camera, then stop so the sentence stands still
    await page.waitForFunction(() => (document.getElementById('sentence').dataset.text || '').replace(/\s/g, '').length >= 2, null, { timeout: 90000 });
    await page.click('#stop');
    await page.waitForSelector('#cam-status[data-state="off"]');
    await page.waitForTimeout(500);
    const kept = await page.getAttribute('#sentence', 'data-text');
    assert.ok(kept.length >= 2, kept);

    const port = server.port;
    await server.stop();
    server = null;
    await page.waitForSelector('#conn-banner:not([hidden])', { timeout: 10000 });
    assert.match(await page.textContent('#conn-banner'), /lost[\s\S]*sentence is kept/);
    assert.equal(await page.evaluate(() => document.body.classList.contains('server-lost')), true);
    const opacity = Number(await page.$eval('#letter', (el) => getComputedStyle(el).opacity));
    assert.ok(opacity < 0.5, `the letter is greyed (opacity ${opacity})`);
    assert.equal(await page.getAttribute('#sentence', 'data-text'), kept, 'the sentence stays on the page');
    await screenshot(page, 'interpreter-server-lost');

    server = await startServer({ db, port });
    await page.waitForSelector('#conn-status[data-state="open"]', { timeout: 30000 });
    await page.waitForSelector('#conn-banner', { state: 'hidden', timeout: 5000 });
    assert.equal(await page.evaluate(() => document.body.classList.contains('server-lost')), false);
    await page.waitForFunction(() => /sentence continues/.test(document.getElementById('sentence-msg').textContent), null, { timeout: 10000 })
      .catch(async (e) => { throw new Error(`not resumed (message: ${await page.textContent('#sentence-msg')}): ${e.message}`); });
    assert.equal(await page.getAttribute('#sentence', 'data-text'), kept, 'the same sentence after the restart');
    // and the server has it: a backspace there removes its last letter
    await page.click('#btn-backspace');
    await page.waitForFunction((k) => document.getElementById('sentence').dataset.text === k.slice(0, -1).trimEnd(), kept, { timeout: 5000 });
    assert.deepEqual(tab.errors, [], 'no uncaught page errors');
  });
});
