// The learning path (issue 17): a lesson, a review of the weakest letters and a timed drill run on the
// practise page and are recorded in progress (POST /api/progress/activity), which the progress page lists
// with the daily goal and the days in a row. Attempts are skipped here (the practice suite signs a
// letter from the camera), so each is recorded with its misses.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sharedServer, chromiumTab, screenshot, until } from '../lib/harness.mjs';

describe('path', () => {
  let server, tab;

  before(async () => {
    server = await sharedServer();
    tab = await chromiumTab();
  });

  after(async () => {
    if (tab) await tab.close();
  });

  /** Skips the current letter once the page takes input (not between two targets). */
  async function skip(page) {
    await page.waitForSelector('#target span.now', { timeout: 10000 });
    const before = await page.$$eval('#attempts li', (l) => l.length);
    await page.click('#skip');
    await until(async () => (await page.$$eval('#attempts li', (l) => l.length)) > before, { what: 'the skip to be recorded' });
  }

  const status = (page) => page.textContent('#mode-status');

  test('a lesson, a review and a drill are recorded in progress with the daily goal', { timeout: 120000 }, async () => {
    const { page, errors } = tab;

    // Lesson 8 (Z): each letter twice.
    await page.goto(`${server.baseUrl}/practice?lesson=8`);
    assert.match(await status(page), /Lesson 8, Z in the air/);
    assert.equal(await page.getAttribute('#target', 'data-letter'), 'Z');
    await skip(page);
    await skip(page);
    await until(async () => /Lesson done: 0 of 2 right\. Saved to your progress/.test(await status(page)), { what: 'the lesson to be saved' });
    assert.equal(await page.getAttribute('#lessons button[data-lesson="lesson-8"]', 'data-done'), 'false', 'half right is needed to tick it');

    // A review: the weakest letters first (Z was just missed twice).
    await page.goto(`${server.baseUrl}/practice`);
    await page.click('#start-review');
    // The review starts once the page has read the progress it ranks the letters by.
    await until(async () => /^Review/.test(await status(page)), { what: 'the review to start' });
    assert.match(await status(page), /Review: your weakest letters, Z/);
    for (let i = 0; i < 5; i++) await skip(page);
    await until(async () => /Review done: 0 of 5 right\. Saved/.test(await status(page)), { what: 'the review to be saved' });

    // A timed drill (shortened to 4 s here): words until the time is up.
    await page.goto(`${server.baseUrl}/practice?drill=1&drill-secs=4`);
    assert.match(await status(page), /Timed drill/);
    assert.equal(await page.isVisible('#drill-clock'), true);
    await skip(page);
    await until(async () => /Drill over: 0 letters in 4 s \(0\.0 letters per minute\)\. Saved/.test(await status(page)), { timeoutMs: 15000, what: 'the drill to end and be saved' });

    // Progress lists all three, newest first, with the daily goal and the streak.
    await page.goto(`${server.baseUrl}/progress`);
    await page.waitForSelector('#activities li[data-kind]');
    const kinds = await page.$$eval('#activities li[data-kind]', (l) => l.map((x) => x.dataset.kind));
    assert.deepEqual(kinds.slice(0, 3), ['drill', 'review', 'lesson']);
    assert.match(await page.textContent('#stat-today'), /^\d+ \/ 20$/);
    assert.ok(Number(await page.textContent('#stat-days')) >= 1);
    await screenshot(page, 'progress-path');
    assert.deepEqual(errors, []);
  });
});
