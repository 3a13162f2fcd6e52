// (d) Learn page draws all 26 letters from /text-to-sign landmarks and spells a typed word.
// Also: every page has the shared nav, loads nothing from other origins, and gets screenshots
// (desktop and phone size).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sharedServer, chromiumTab, screenshot, paintedPixels } from '../lib/harness.mjs';

describe('learn', () => {
  let server, tab;

  before(async () => {
    server = await sharedServer();
    tab = await chromiumTab();
  });

  after(async () => {
    if (tab) await tab.close();
  });

  test('learn page draws the alphabet and spells a word', { timeout: 120000 }, async () => {
    const { page } = tab;
    await page.goto(`${server.baseUrl}/learn`);
    await page.waitForFunction(() => document.querySelectorAll('#alphabet canvas[data-drawn="true"]').length === 26, null, { timeout: 30000 })
      .catch(async (e) => { throw new Error(`alphabet not drawn (${await page.textContent('#alphabet-status')}): ${e.message}`); });
    const letters = await page.$$eval('#alphabet .sign-card', (cards) => cards.map((c) => c.dataset.letter).join(''));
    assert.equal(letters, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ');
    for (const i of [1, 10, 26]) {
      const n = await paintedPixels(page, `#alphabet .sign-card:nth-child(${i}) canvas`);
      assert.ok(n > 300, `card ${i}: ${n} painted pixels`);
    }
    // every letter has a tip; J and Z have a motion note
    const tips = await page.$$eval('#alphabet .sign-card .tip', (els) => els.filter((e) => e.textContent.trim()).length);
    assert.equal(tips, 26, 'a tip per letter');
    for (const L of ['J', 'Z']) {
      const motion = await page.$eval(`#alphabet .sign-card[data-letter="${L}"]`, (c) => (c.querySelector('.motion') || {}).textContent || '');
      assert.ok(motion.trim().length > 0, `${L} has a motion note`);
    }
    await screenshot(page, 'learn');

    await page.fill('#spell-input', 'Hi Bo');
    await page.press('#spell-input', 'Enter');
    // four letters, and between the words either a gap or the space sign (the server may spell the space)
    await page.waitForFunction(() => {
      const cards = [...document.querySelectorAll('#spell-row .sign-card:not(.space-card)')];
      return cards.length === 4 && cards.every((c) => c.querySelector('canvas[data-drawn="true"]'));
    }, null, { timeout: 15000 }).catch(async (e) => {
      throw new Error(`word not spelled (row: ${await page.$$eval('#spell-row li', (l) => l.map((x) => x.className + ':' + (x.dataset.letter || '')).join(' '))}): ${e.message}`);
    });
    assert.equal(await page.$$eval('#spell-row .sign-card:not(.space-card)', (c) => c.map((x) => x.dataset.letter).join('')), 'HIBO');
    const separators = await page.$$eval('#spell-row > li', (l) => l.map((x) => (x.classList.contains('gap') || x.classList.contains('space-card') ? '_' : x.dataset.letter)).join(''));
    assert.equal(separators, 'HI_BO', 'the two words are separated once');
    assert.ok((await paintedPixels(page, '#spell-canvas')) > 300);
    await screenshot(page, 'learn-word');
    assert.deepEqual(tab.errors, [], 'no uncaught page errors');
  });

  test('every page: shared nav, nothing loaded from other origins, screenshots', { timeout: 120000 }, async () => {
    const { page } = tab;
    const pages = [['/', 'Interpreter', 'index'], ['/learn', 'Learn', 'learn'], ['/practice', 'Practise', 'practice'], ['/calibrate', 'Calibrate', 'calibrate'], ['/progress', 'Progress', 'progress'], ['/class', 'Teach', 'class'], ['/about', 'About', 'about']];
    for (const [p, navName, shot] of pages) {
      const res = await page.goto(`${server.baseUrl}${p}`);
      assert.equal(res.status(), 200, p);
      assert.match(res.headers()['content-type'] || '', /text\/html/, `${p} content type`);
      const nav = await page.$$eval('nav.site-nav a', (as) => as.map((a) => [a.getAttribute('href'), a.textContent.trim(), a.getAttribute('aria-current')]));
      assert.deepEqual(nav.map((n) => n[0]), ['/', '/learn', '/practice', '/calibrate', '/progress', '/class', '/about'], `${p} nav`);
      assert.deepEqual(nav.filter((n) => n[2] === 'page').map((n) => n[1]), [navName], `${p} current page`);
      await page.waitForTimeout(500);
      await screenshot(page, `page-${shot}`);
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${p} fits a phone-width screen (overflow ${overflow}px)`);
      await screenshot(page, `page-${shot}-phone`);
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    const origin = new URL(server.baseUrl).origin;
    const foreign = tab.requests.filter((u) => !u.startsWith(origin) && !u.startsWith('ws://127.0.0.1') && !u.startsWith('data:') && !u.startsWith('blob:'));
    assert.deepEqual(foreign, [], 'no requests to other origins');
    // the About page keeps no copy of the figures (they live in the README, with their commands), and
    // says that J and Z are read from motion, not from hand shape alone
    await page.goto(`${server.baseUrl}/about`);
    assert.equal(await page.locator('main table, #figures').count(), 0, 'About has no figures table');
    const about = (await page.textContent('main')).replace(/\s+/g, ' ');
    assert.match(about, /figures[^.]*README/i, 'About says where the figures are');
    assert.match(about, /J and Z[^.]*motion/, 'About: J and Z are read from motion');
    assert.doesNotMatch(about, /sees only their hand shape|hand shape alone/i, 'About: no claim that J/Z are read from shape alone');
    assert.deepEqual(tab.errors, [], 'no uncaught page errors');
  });
});
