// An open interpreter page with its camera off keeps its connection (and so its sentence): the page pings,
// and the server, which closes a silent connection after --ws-idle-secs, keeps it open.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fsp from 'node:fs/promises';
import { startServer, chromiumTab, makeTempDir, sleep } from '../lib/harness.mjs';

describe('keep-alive', () => {
  let server, tab, tmp;

  // Its own server, which closes a socket silent for 1 s.
  before(async () => {
    tmp = await makeTempDir();
    server = await startServer({ db: path.join(tmp, 'progress.sqlite3'), extraArgs: ['--ws-idle-secs', '1'] });
    tab = await chromiumTab();
  });

  after(async () => {
    if (tab) await tab.close();
    if (server) await server.stop();
    if (tmp) await fsp.rm(tmp, { recursive: true, force: true });
  });

  /** Opens the interpreter with the given keep-alive period and returns the connection states seen over `ms`. */
  async function connectionStatesOver(page, keepaliveMs, ms) {
    await page.goto(`${server.baseUrl}/?keepalive=${keepaliveMs}`);
    await page.waitForSelector('#conn-status[data-state="open"]', { timeout: 15000 });
    await page.evaluate(() => {
      window.__connStates = [];
      const pill = document.getElementById('conn-status');
      new MutationObserver(() => window.__connStates.push(pill.dataset.state))
        .observe(pill, { attributes: true, attributeFilter: ['data-state'] });
    });
    await sleep(ms);
    return page.evaluate(() => window.__connStates);
  }

  test('keep-alive: an idle page stays connected; without pings the server closes it', { timeout: 60000 }, async () => {
    const { page } = tab;
    // Pinging every 300 ms, the connection outlives three idle limits.
    const kept = await connectionStatesOver(page, 300, 3500);
    assert.deepEqual(kept, [], `connection states while pinging: ${kept}`);
    assert.equal(await page.getAttribute('#conn-status', 'data-state'), 'open');

    // With pings too rare, the server closes the silent connection and the page reconnects.
    const dropped = await connectionStatesOver(page, 600000, 3500);
    assert.ok(dropped.includes('reconnecting'), `connection states without pings: ${dropped}`);
    assert.deepEqual(tab.errors, [], 'no uncaught page errors');
  });
});
