// The same pages in Firefox (Debian's firefox-esr, driven over WebDriver BiDi by puppeteer-core): the live
// interpreter streams camera frames over the WebSocket and gets answers, upload mode labels a photo, the
// learn page draws the alphabet, and nothing loads from another origin. Firefox's fake camera is a test
// pattern without a hand, so spelling from the camera is checked in Chromium only (suites/interpreter.mjs).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { sharedServer, launchFirefox, screenshot, paintedPixels, landmarkColouredPixels, DATA_DIR, requireFile } from '../lib/harness.mjs';

const PHOTO = path.join(DATA_DIR, 'images', 'letters', 'B', 'B0.jpg');

describe('firefox', () => {
  let server, firefox;

  // The shared server; Firefox is launched once, for this suite only.
  before(async () => {
    requireFile(PHOTO, 'letter photo');
    server = await sharedServer();
    firefox = await launchFirefox();
  });

  after(async () => {
    if (firefox) await firefox.close();
  });

  const text = (page, selector) => page.$eval(selector, (el) => el.textContent);

  // puppeteer's page.waitForFunction builds its poller with Function(), which Firefox (Debian's 140.10.2esr)
  // refuses under the pages' Content-Security-Policy (no 'unsafe-eval'): "call to Function() blocked by
  // CSP". So poll with page.evaluate, which the policy does not cover; bounded by `timeout`.
  const waitUntil = async (page, predicate, { timeout }) => {
    const deadline = Date.now() + timeout;
    for (;;) {
      if (await page.evaluate(predicate)) return;
      if (Date.now() >= deadline) throw new Error(`not true within ${timeout} ms: ${predicate}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  test('firefox: the interpreter streams camera frames and gets answers', { timeout: 120000 }, async () => {
    const { page } = firefox;
    await page.goto(`${server.baseUrl}/?interval=100`);
    await page.waitForSelector('#conn-status[data-state="open"]', { timeout: 15000 });
    await page.focus('#start');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#cam-status[data-state="on"]', { timeout: 15000 });
    // replies come back for the frames sent: "<type> <w>×<h> · <rate> frames/s (asked: 10) · frame N"
    await waitUntil(page, () => {
      const m = /frame (\d+)/.exec(document.getElementById('stream-info').textContent);
      return m && Number(m[1]) >= 5;
    }, { timeout: 30000 }).catch(async (e) => {
      throw new Error(`no answered frames (stream info: ${await text(page, '#stream-info')}): ${e.message}`);
    });
    const info = await text(page, '#stream-info');
    const size = /(JPEG|WebP) (\d+)×(\d+)/.exec(info);
    assert.ok(size, `stream info names the frame format: ${info}`);
    assert.ok(Number(size[2]) <= 640 && Number(size[3]) <= 480, `frames downscaled to 640x480 at most: ${info}`);
    // a test pattern has no hand: the letter panel says so rather than guessing a letter
    assert.equal(await page.$eval('#letter', (el) => el.dataset.label || ''), '');
    await screenshot(page, 'firefox-interpreter');

    // sentence buttons are live while connected; stop turns the camera off
    assert.equal(await page.$eval('#btn-clear', (b) => b.disabled), false);
    await page.click('#stop');
    await page.waitForSelector('#cam-status[data-state="off"]', { timeout: 5000 });
    assert.deepEqual(firefox.errors, [], 'no uncaught page errors');
  });

  test('firefox: upload mode labels a photo and draws its landmarks', { timeout: 120000 }, async () => {
    const { page } = firefox;
    await page.goto(`${server.baseUrl}/`);
    await page.click('#tab-upload');
    const input = await page.$('#file');
    await input.uploadFile(PHOTO);
    await waitUntil(page, () => {
      const r = document.getElementById('upload-result');
      return !r.hidden && /Recognised|No hand|could not|not recognised/i.test(r.textContent);
    }, { timeout: 60000 });
    await screenshot(page, 'firefox-upload');
    assert.equal(await page.$eval('#upload-result', (el) => el.dataset.label), 'B', await text(page, '#upload-result'));
    const joints = await landmarkColouredPixels(page, '#upload-canvas');
    assert.ok(joints > 50, `landmark-coloured pixels on the photo: ${joints}`);
    assert.deepEqual(firefox.errors, [], 'no uncaught page errors');
  });

  test('firefox: the learn page draws the alphabet; nothing loads from elsewhere', { timeout: 120000 }, async () => {
    const { page } = firefox;
    await page.goto(`${server.baseUrl}/learn`);
    await waitUntil(page, () => document.querySelectorAll('#alphabet canvas[data-drawn="true"]').length === 26, { timeout: 30000 });
    assert.ok((await paintedPixels(page, '#alphabet .sign-card:nth-child(1) canvas')) > 300);
    await screenshot(page, 'firefox-learn');
    for (const p of ['/practice', '/calibrate', '/progress', '/class', '/about']) {
      const res = await page.goto(`${server.baseUrl}${p}`);
      assert.equal(res.status(), 200, p);
    }
    const origin = new URL(server.baseUrl).origin;
    const external = firefox.requests.filter((u) => !u.startsWith(origin) && !/^(data|blob|about):/.test(u));
    assert.deepEqual(external, [], 'requests to other origins');
    assert.deepEqual(firefox.errors, [], 'no uncaught page errors');
  });
});
