// (a) Interpreter page: the fake camera plays the HELLO WORLD clip; the sentence must read HELLO WORLD,
// landmarks must be drawn on the overlay, and space / backspace / clear must change the sentence.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sharedServer, chromiumTab, screenshot, paintedPixels, until, sleep } from '../lib/harness.mjs';

describe('interpreter', () => {
  let server, tab;

  before(async () => {
    server = await sharedServer();
    tab = await chromiumTab();
  });

  after(async () => {
    if (tab) await tab.close();
  });

  const sentenceState = (page) => page.$eval('#sentence', (el) => ({
    text: el.dataset.text || '', words: el.dataset.words || '', current: el.dataset.currentWord || '',
  }));

  test('interpreter: live camera spells HELLO WORLD, draws landmarks, sentence buttons work', { timeout: 240000 }, async () => {
    const { page } = tab;
    await page.goto(`${server.baseUrl}/?interval=100`);
    await page.waitForSelector('#conn-status[data-state="open"]', { timeout: 15000 });
    assert.equal(await page.getAttribute('#conn-status', 'role'), 'status');

    // keyboard: the start control is a real button (focus + Enter)
    assert.equal(await page.$eval('#start', (b) => b.tagName), 'BUTTON');
    await page.focus('#start');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#cam-status[data-state="on"]', { timeout: 15000 });
    await page.waitForFunction(() => /\bframe \d+/.test(document.getElementById('stream-info').textContent), null, { timeout: 20000 });

    // the clip lasts 19.2 s and loops; allow several loops
    await page.waitForFunction(
      () => /\bHELLO WORLD\b/.test(document.getElementById('sentence').dataset.text || ''),
      null, { timeout: 90000, polling: 200 },
    ).catch(async (e) => {
      await screenshot(page, 'interpreter-failed');
      const s = await sentenceState(page);
      throw new Error(`sentence never showed HELLO WORLD (now ${JSON.stringify(s)}; recent: ${await page.textContent('#recent')}): ${e.message}`);
    });

    // never more than one frame in flight: the server never had to drop a waiting frame
    const info = await page.textContent('#stream-info');
    assert.doesNotMatch(info, /dropped/, `stream info: ${info}`);

    // landmarks: the overlay (transparent otherwise) gets pixels while a hand is in view
    const painted = await until(async () => {
      const n = await paintedPixels(page, '#overlay');
      return n > 200 ? n : 0;
    }, { timeoutMs: 25000, intervalMs: 100, what: 'hand landmarks on the overlay canvas' });
    assert.ok(painted > 200, `overlay painted pixels: ${painted}`);
    // the overlay is mirrored exactly like the video
    const transforms = await page.evaluate(() => [getComputedStyle(document.getElementById('video')).transform, getComputedStyle(document.getElementById('overlay')).transform]);
    assert.equal(transforms[0], transforms[1]);
    // a letter with a confidence bar is shown
    const letter = await page.getAttribute('#letter', 'data-label');
    assert.ok(letter !== null);
    await screenshot(page, 'interpreter');

    // stop streaming so the sentence only changes through the buttons
    await page.click('#stop');
    await page.waitForSelector('#cam-status[data-state="off"]');
    await sleep(800);
    assert.equal(await paintedPixels(page, '#overlay'), 0, 'overlay cleared after stopping the camera');

    const s0 = await sentenceState(page);
    assert.match(s0.text, /HELLO WORLD/);
    const letters0 = s0.text.replace(/\s+/g, '');

    // backspace removes the last letter
    await page.click('#btn-backspace');
    const s1 = await until(async () => { const s = await sentenceState(page); return s.text !== s0.text ? s : null; },
      { timeoutMs: 5000, what: 'sentence change after backspace' });
    assert.equal(s1.text.replace(/\s+/g, ''), letters0.slice(0, -1), `backspace: ${JSON.stringify(s0)} -> ${JSON.stringify(s1)}`);

    // space ends the current word: no current word afterwards, letters unchanged
    await page.click('#btn-space');
    const s2 = await until(async () => { const s = await sentenceState(page); return s.current === '' && s.words.replace(/\s+/g, '') === letters0.slice(0, -1) ? s : null; },
      { timeoutMs: 5000, what: 'current word committed after space' });
    assert.equal(s2.text.replace(/\s+/g, ''), letters0.slice(0, -1));

    // clear empties it
    await page.click('#btn-clear');
    await until(async () => (await sentenceState(page)).text === '', { timeoutMs: 5000, what: 'empty sentence after clear' });
    await screenshot(page, 'interpreter-cleared');

    assert.deepEqual(tab.errors, [], 'no uncaught page errors');
  });
});
