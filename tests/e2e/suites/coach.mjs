// Practise teaches (issue 17 items 1, 2, 5, 6): the target's handshape drawn beside it, after a miss
// and after a skip; a finger-level tip for a near miss (a V photo while U is the target); a photo of the
// target judged like a live attempt; the phone layout with the target and verdict over the running
// camera; camera denied leading to upload on both live pages; and the Learn cards opening practice,
// with J and Z moving and the left-hand view remembered.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { sharedServer, chromiumTab, launchBrowser, screenshot, paintedPixels, DATA_DIR, requireFile } from '../lib/harness.mjs';

const photo = (letter, n = 0) => requireFile(path.join(DATA_DIR, 'images', 'letters', letter, `${letter}${n}.jpg`), `${letter} photo`);

describe('coach', () => {
  let server, tab;

  before(async () => {
    server = await sharedServer();
    tab = await chromiumTab();
  });

  after(async () => {
    if (tab) await tab.close();
  });

  const drawn = async (page, selector) => {
    await page.waitForSelector(`${selector}[data-drawn="true"]`, { timeout: 20000 });
    return paintedPixels(page, selector);
  };

  test('coach: the target is drawn on Practise, and the right form after a skip; J starts from I', { timeout: 120000 }, async () => {
    const { page } = tab;
    await page.goto(`${server.baseUrl}/practice?letter=A`);
    assert.equal(await page.getAttribute('#target', 'data-letter'), 'A');
    assert.equal(await page.getAttribute('#target-hand', 'data-letter'), 'A');
    assert.ok(await drawn(page, '#target-hand') > 2000, 'the target hand is painted');
    assert.equal(await page.getAttribute('#learn-link', 'href'), '/learn#letter-A');
    assert.equal(await page.isVisible('#answer'), false, 'no answer before a miss');

    await page.click('#skip');
    await page.waitForSelector('#answer:not([hidden])', { timeout: 5000 });
    assert.equal(await page.getAttribute('#answer', 'data-letter'), 'A');
    assert.ok(await drawn(page, '#answer-hand') > 1000, 'the skipped letter is drawn');
    assert.match(await page.textContent('#answer-caption'), /Skipped\. This is A/);
    // the next target comes, the skipped letter's form stays until a letter is done
    await page.waitForFunction(() => document.getElementById('target').dataset.letter !== 'A' || document.querySelectorAll('#attempts li').length > 0);
    assert.equal(await page.isVisible('#answer'), true);
    await screenshot(page, 'practice-after-skip');

    await page.goto(`${server.baseUrl}/practice?letter=J`);
    assert.match(await page.textContent('#target-hint'), /start from I/);
    assert.match(await page.textContent('#target-hand-caption'), /start from I/);
    await drawn(page, '#target-hand');
    assert.equal(await page.getAttribute('#target-hand', 'data-animated'), 'true', 'J moves');
    assert.deepEqual(tab.errors, [], 'no uncaught page errors');
  });

  test('coach: a different letter held from the camera is a miss that shows the right form', { timeout: 120000 }, async () => {
    const { page } = tab;
    // the fake camera spells HELLO WORLD; B is never among them
    await page.goto(`${server.baseUrl}/practice?letter=B&interval=100`);
    await page.click('#start');
    await page.waitForSelector('#cam-status[data-state="on"]', { timeout: 15000 });
    await page.waitForSelector('#answer[data-letter="B"]:not([hidden])', { timeout: 60000 });
    assert.match(await page.textContent('#answer-caption'), /^You held [A-Z]\. This is B\.$/);
    assert.ok(await drawn(page, '#answer-hand') > 1000);
    assert.ok(await paintedPixels(page, '#target-hand') > 2000, 'the target drawing stays beside it');
    await page.click('#stop');
    assert.deepEqual(tab.errors, [], 'no uncaught page errors');
  });

  test('coach: a V photo for target U is a near miss with a finger-level tip; a B photo for B counts', { timeout: 120000 }, async () => {
    const { page } = tab;
    await page.goto(`${server.baseUrl}/practice?letter=U`);
    await drawn(page, '#target-hand');
    await page.click('#photo-box summary');
    await page.setInputFiles('#photo', photo('V'));
    await page.waitForFunction(() => /looks like/.test(document.getElementById('match').textContent), null, { timeout: 60000 })
      .catch(async (e) => { throw new Error(`no verdict (match: ${await page.textContent('#match')}): ${e.message}`); });
    const match = await page.textContent('#match');
    const tip = await page.textContent('#tip');
    assert.match(match, /Close: that looks like V/, match);
    assert.equal(tip, 'Bring your index and middle fingers together.');
    const close = Number(await page.getAttribute('#closeness', 'aria-valuenow'));
    assert.ok(close > 50, `How close for V as U: ${close}%`);
    // a miss shows the right form too, and the drawing beside the target stays
    await page.waitForSelector('#answer[data-letter="U"]:not([hidden])');
    assert.ok(await drawn(page, '#answer-hand') > 1000);
    assert.ok(await paintedPixels(page, '#target-hand') > 2000);
    assert.ok(await paintedPixels(page, '#photo-canvas') > 1000, 'the photo is shown');
    await screenshot(page, 'practice-near-miss');

    // a fist for B reads far
    await page.goto(`${server.baseUrl}/practice?letter=B`);
    await page.click('#photo-box summary');
    await page.setInputFiles('#photo', photo('A'));
    await page.waitForFunction(() => /looks like A/.test(document.getElementById('match').textContent), null, { timeout: 60000 });
    assert.ok(Number(await page.getAttribute('#closeness', 'aria-valuenow')) < 20, 'A for B reads far');
    assert.equal(await page.textContent('#tip'), 'Straighten your fingers.');

    // a photo of the target is a correct attempt, saved like a live one
    await page.setInputFiles('#photo', photo('B'));
    await page.waitForSelector('#attempts li[data-target="B"][data-correct="true"][data-status="saved"]', { timeout: 60000 });
    assert.deepEqual(tab.errors, [], 'no uncaught page errors');
  });

  test('coach: phone size with the camera on: the target and a one-line verdict over the video', { timeout: 120000 }, async () => {
    const { page } = tab;
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(`${server.baseUrl}/practice?letter=H&interval=100`);
      await page.click('#start');
      await page.waitForSelector('#cam-status[data-state="on"]', { timeout: 15000 });
      await page.waitForFunction(() => document.getElementById('hud-verdict').textContent.trim().length > 0, null, { timeout: 30000 });
      await page.evaluate(() => document.getElementById('stage').scrollIntoView({ block: 'nearest' }));
      const box = await page.evaluate(() => {
        const r = (id) => { const b = document.getElementById(id).getBoundingClientRect(); return { top: b.top, bottom: b.bottom, left: b.left, right: b.right, h: b.height }; };
        return { hud: r('hud'), target: r('hud-target'), verdict: r('hud-verdict'), stage: r('stage'), w: innerWidth, h: innerHeight, intro: getComputedStyle(document.querySelector('.page-intro p')).display };
      });
      assert.equal(box.intro, 'none', 'the intro collapses while the camera runs');
      for (const k of ['target', 'verdict']) {
        assert.ok(box[k].h > 0 && box[k].top >= 0 && box[k].bottom <= box.h && box[k].right <= box.w, `${k} on screen: ${JSON.stringify(box)}`);
        assert.ok(box[k].top >= box.stage.top && box[k].bottom <= box.stage.bottom, `${k} over the video: ${JSON.stringify(box)}`);
      }
      // the whole stage fits on the screen without scrolling past the header
      assert.ok(box.stage.bottom <= box.h, `stage fits: ${JSON.stringify(box)}`);
      assert.equal((await page.textContent('#hud-target')).trim(), 'H');
      await screenshot(page, 'practice-phone-camera');

      // the interpreter: the letter and the sentence over the video
      await page.click('#stop');
      await page.goto(`${server.baseUrl}/?interval=100`);
      await page.click('#start');
      await page.waitForSelector('#cam-status[data-state="on"]', { timeout: 15000 });
      await page.waitForFunction(() => (document.getElementById('sentence').dataset.text || '').length > 0, null, { timeout: 60000 });
      const hud = await page.evaluate(() => {
        const b = document.getElementById('hud').getBoundingClientRect();
        return { visible: getComputedStyle(document.getElementById('hud')).display !== 'none', top: b.top, bottom: b.bottom, h: innerHeight,
          sentence: document.getElementById('hud-sentence').textContent, text: document.getElementById('sentence').dataset.text };
      });
      assert.ok(hud.visible && hud.top >= 0 && hud.bottom <= hud.h, JSON.stringify(hud));
      assert.ok(hud.sentence.length > 0 && hud.text.endsWith(hud.sentence.replace(/^…/, '')), JSON.stringify(hud));
      await screenshot(page, 'interpreter-phone-camera');
      await page.click('#stop');
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    assert.deepEqual(tab.errors, [], 'no uncaught page errors');
  });

  test('coach: camera denied: how to allow it again, and upload instead on both pages', { timeout: 120000 }, async () => {
    // its own Chromium: camera permission denied for the server's origin (DevTools Browser.setPermission)
    const browser = await launchBrowser({ fakeCameraUi: false });
    try {
      const { page, context } = browser;
      const cdp = await context.newCDPSession(page);
      await cdp.send('Browser.setPermission', { permission: { name: 'camera' }, setting: 'denied', origin: server.baseUrl });

      await page.goto(`${server.baseUrl}/practice?letter=B`);
      await page.click('#start');
      await page.waitForSelector('#cam-help:not([hidden])', { timeout: 15000 });
      assert.equal(await page.getAttribute('#cam-help', 'data-problem'), 'denied');
      assert.match(await page.textContent('#cam-help'), /address bar[\s\S]*Allow[\s\S]*Reload/);
      await page.click('#cam-help-upload');
      assert.equal(await page.$eval('#photo-box', (d) => d.open), true, 'the photo box opens');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'photo');
      await page.setInputFiles('#photo', photo('B'));
      await page.waitForSelector('#attempts li[data-target="B"][data-correct="true"]', { timeout: 60000 });
      await screenshot(page, 'practice-camera-denied');

      await page.goto(`${server.baseUrl}/`);
      await page.click('#start');
      await page.waitForSelector('#cam-help:not([hidden])', { timeout: 15000 });
      await page.click('#cam-help-upload');
      assert.equal(await page.getAttribute('#tab-upload', 'aria-selected'), 'true');
      assert.equal(await page.isVisible('#panel-upload'), true);
      await page.setInputFiles('#file', photo('B'));
      await page.waitForFunction(() => document.getElementById('upload-result').dataset.label === 'B', null, { timeout: 60000 });
      assert.deepEqual(browser.errors, [], 'no uncaught page errors');
    } finally {
      await browser.close();
    }
  });

  test('coach: Learn cards open their practice; the left-hand view is remembered; Z moves', { timeout: 120000 }, async () => {
    const { page } = tab;
    await page.goto(`${server.baseUrl}/learn`);
    await page.waitForFunction(() => document.querySelectorAll('#alphabet canvas[data-drawn="true"]').length === 26, null, { timeout: 30000 });
    assert.equal(await page.getAttribute('#letter-Z canvas', 'data-animated'), 'true');
    assert.equal(await page.getAttribute('#letter-A canvas', 'data-mirrored'), 'false');
    const before = await page.$eval('#letter-B canvas', (c) => c.toDataURL());
    await page.check('#left-hand');
    await page.waitForFunction(() => document.querySelector('#letter-A canvas').dataset.mirrored === 'true');
    assert.notEqual(await page.$eval('#letter-B canvas', (c) => c.toDataURL()), before, 'the mirrored drawing differs');
    // dragging turns a hand
    const mirrored = await page.$eval('#letter-B canvas', (c) => c.toDataURL());
    const box = await page.locator('#letter-B canvas').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    assert.notEqual(await page.$eval('#letter-B canvas', (c) => c.toDataURL()), mirrored, 'dragging turns the hand');
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('#alphabet canvas[data-drawn="true"]').length === 26, null, { timeout: 30000 });
    assert.equal(await page.isChecked('#left-hand'), true, 'remembered');
    assert.equal(await page.getAttribute('#letter-A canvas', 'data-mirrored'), 'true');
    await page.uncheck('#left-hand');
    await page.click('#letter-K a.practise-link');
    await page.waitForURL(/\/practice\?letter=K$/);
    assert.equal(await page.getAttribute('#target', 'data-letter'), 'K');
    assert.deepEqual(tab.errors, [], 'no uncaught page errors');
  });

  test('coach: J and Z are still when motion is reduced', { timeout: 60000 }, async () => {
    const { page } = tab;
    await page.emulateMedia({ reducedMotion: 'reduce' });
    try {
      await page.goto(`${server.baseUrl}/learn`);
      await page.waitForFunction(() => document.querySelectorAll('#alphabet canvas[data-drawn="true"]').length === 26, null, { timeout: 30000 });
      for (const L of ['J', 'Z']) assert.equal(await page.getAttribute(`#letter-${L} canvas`, 'data-animated'), 'false', L);
    } finally {
      await page.emulateMedia({ reducedMotion: null });
    }
  });
});
