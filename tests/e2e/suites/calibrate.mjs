// Calibration (issue 13): a learner teaches their own hand on /calibrate from the fake camera, the
// interpreter page then reads with that profile's calibration and says so, another profile is not
// changed, and "Delete my calibration" removes every stored example.
//
// The fake camera plays one photo of U on a loop. The learner's "R" looks like that U (the situation
// calibration is for: a handshape the shipped model reads as another letter): before calibrating, the
// interpreter reads U; after teaching R with it, R; after deleting, U again.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { sharedServer, launchBrowser, makeTempDir, screenshot, until, DATA_DIR } from '../lib/harness.mjs';

const PHOTO = path.join(DATA_DIR, 'images', 'letters', 'U', 'U0.jpg');

describe('calibration', () => {
  let server, browser, tmp;

  before(async () => {
    server = await sharedServer();
    tmp = await makeTempDir();
    // A clip of the photo, 3 s at 30 frames per second (MJPEG: JPEG frames one after another).
    const clip = path.join(tmp, 'u.mjpeg');
    const jpeg = fs.readFileSync(PHOTO);
    fs.writeFileSync(clip, Buffer.concat(Array.from({ length: 90 }, () => jpeg)));
    browser = await launchBrowser({ video: clip });
  });

  after(async () => {
    if (browser) await browser.close();
    if (tmp) await fsp.rm(tmp, { recursive: true, force: true });
  });

  const api = async (p, init) => (await fetch(`${server.baseUrl}${p}`, init)).json();
  const uploadU = async (query) => {
    const form = new FormData();
    form.append('file', new Blob([fs.readFileSync(PHOTO)], { type: 'image/jpeg' }), 'u.jpg');
    return api(`/predict-image${query}`, { method: 'POST', body: form });
  };

  /** Opens the interpreter with the camera on; returns the calibration pill's text once the letter is `letter`. */
  async function interpreterReads(page, letter) {
    await page.goto(`${server.baseUrl}/`);
    await page.waitForSelector('#calib-status:not([hidden])', { timeout: 15000 });
    await page.click('#start');
    await until(async () => (await page.textContent('#letter')) === letter, {
      timeoutMs: 30000, what: `the interpreter to read ${letter}`,
    });
    const pill = await page.textContent('#calib-status');
    await page.click('#stop');
    return pill;
  }

  test('a learner calibrates from the camera, the interpreter reads with it, and deleting removes it', { timeout: 240000 }, async () => {
    const { page, errors } = browser;

    // Before: the shipped model reads the photo as U, and the page says there is no calibration.
    assert.match(await interpreterReads(page, 'U'), /Not calibrated/);
    const profile = await page.evaluate(() => localStorage.getItem('signbridge.profile'));
    assert.match(profile, /^[A-Za-z0-9_-]{16,64}$/);

    // Calibrate: R is asked for and taught from the camera; space is asked for next and skipped.
    await page.goto(`${server.baseUrl}/calibrate?labels=R,space&per-label=5`);
    await page.waitForSelector('#calib-counts li[data-label="R"][data-count="0"]');
    assert.equal(await page.textContent('#profile-id'), profile);
    await page.click('#start');
    await page.waitForSelector('#cam-status[data-state="on"]', { timeout: 20000 });
    await page.click('#calib-start');
    assert.equal(await page.textContent('#calib-target'), 'R');
    await page.waitForSelector('#calib-counts li[data-label="R"][data-count="5"]', { timeout: 60000 });
    await until(async () => (await page.getAttribute('#calib-target', 'aria-label')) === 'Sign asked for: space', {
      timeoutMs: 10000, what: 'space to be asked for after R',
    });
    await screenshot(page, 'calibrate-running');
    await page.click('#calib-skip');
    await page.waitForSelector('#calib-start:not([disabled])');
    assert.match(await page.textContent('#calib-hint'), /Done/);
    assert.match(await page.textContent('#calib-summary'), /5 examples of 1 of 26 signs/);
    const stored = await api(`/api/calibration?profile=${profile}`);
    assert.equal(stored.total, 5);
    assert.equal(stored.counts.find((c) => c.label === 'R').examples, 5);
    assert.equal(stored.counts.find((c) => c.label === 'space').examples, 0, 'a skipped sign stores nothing');
    await page.click('#stop');

    // The interpreter reads R with this profile, and says it is calibrated.
    assert.match(await interpreterReads(page, 'R'), /Calibrated to your hand: 5 examples of 1 sign/);
    // Nobody else's reading changes: no profile, or another profile, still reads U.
    assert.equal((await uploadU('')).label, 'U');
    assert.equal((await uploadU('?profile=someone-else-0001')).label, 'U');
    assert.equal((await uploadU(`?profile=${profile}`)).label, 'R', 'uploads use the calibration too');

    // Delete: two clicks, then nothing is stored and the interpreter reads U again.
    await page.goto(`${server.baseUrl}/calibrate`);
    await page.waitForSelector('#calib-counts li[data-label="R"][data-count="5"]');
    await page.click('#calib-delete');
    assert.match(await page.textContent('#calib-delete'), /Really delete/);
    await page.click('#calib-delete');
    await page.waitForSelector('#calib-counts li[data-label="R"][data-count="0"]', { timeout: 10000 });
    assert.match(await page.textContent('#calib-msg'), /Deleted 5 examples/);
    assert.equal((await api(`/api/calibration?profile=${profile}`)).total, 0);
    assert.match(await interpreterReads(page, 'U'), /Not calibrated/);
    assert.deepEqual(errors, []);
  });

  test('a practise miss the learner confirms becomes calibration examples, and the next attempt reads with them', { timeout: 120000 }, async () => {
    const { page, errors } = browser;
    const profile = await page.evaluate(() => localStorage.getItem('signbridge.profile'));
    assert.equal((await api(`/api/calibration?profile=${profile}`)).total, 0, 'starts uncalibrated');
    // R is asked for; the camera's hand reads U and is held, so the page shows R's right form and asks
    // whether that was the learner's R.
    await page.goto(`${server.baseUrl}/practice?letter=R`);
    await page.click('#start');
    await page.waitForSelector('#teach-it:not([hidden])', { timeout: 30000 });
    assert.match(await page.textContent('#answer-caption'), /You held U/);
    assert.match(await page.textContent('#teach-it'), /That was my R/);
    await page.click('#teach-it');
    const added = await until(async () => (await page.textContent('#teach-msg')).match(/Added (\d+) examples of R/), { what: 'the examples to be added' });
    const n = Number(added[1]);
    assert.ok(n >= 2 && n <= 5, `the hand's last readings (${n})`);
    const stored = await api(`/api/calibration?profile=${profile}`);
    assert.equal(stored.counts.find((c) => c.label === 'R').examples, n);
    // "How close" now measures the hand against the learner's own R as well (the nearest form counts).
    await until(async () => (await page.getAttribute('#tip', 'data-reference')) === 'own', {
      intervalMs: 50, what: 'the comparison to use the learner\'s own R',
    });
    // The socket reconnects with the calibration: the same hand is now read as R and accepted.
    await page.waitForSelector('#attempts li[data-target="R"][data-correct="true"]', { timeout: 30000 });
    await page.click('#stop');
    await api(`/api/calibration?profile=${profile}`, { method: 'DELETE' });
    assert.deepEqual(errors, []);
  });
});
