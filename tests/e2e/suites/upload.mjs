// (b) Upload mode: a photo from shared/data/images/letters is labelled and drawn with its landmarks;
// a bad file after it shows only its own error.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fsp from 'node:fs/promises';
import { sharedServer, chromiumTab, screenshot, landmarkColouredPixels, makeTempDir, DATA_DIR, requireFile } from '../lib/harness.mjs';

const PHOTO = path.join(DATA_DIR, 'images', 'letters', 'B', 'B0.jpg');
const EXPECTED = 'B';

describe('upload', () => {
  let server, tab;

  before(async () => {
    requireFile(PHOTO, 'letter photo');
    server = await sharedServer();
    tab = await chromiumTab();
  });

  after(async () => {
    if (tab) await tab.close();
  });

  test('upload mode: a photo is labelled and its landmarks drawn', { timeout: 120000 }, async () => {
    const { page } = tab;
    await page.goto(`${server.baseUrl}/`);
    await page.click('#tab-upload');
    assert.equal(await page.isVisible('#panel-upload'), true);
    assert.equal(await page.isVisible('#panel-live'), false);

    await page.setInputFiles('#file', PHOTO);
    await page.waitForFunction(() => {
      const r = document.getElementById('upload-result');
      return !r.hidden && /Recognised|No hand|could not|not recognised/i.test(r.textContent);
    }, null, { timeout: 60000 });
    await screenshot(page, 'upload');
    const resultText = await page.textContent('#upload-result');
    const label = await page.getAttribute('#upload-result', 'data-label');
    assert.equal(label, EXPECTED, `label for ${path.basename(PHOTO)}: ${resultText}`);
    assert.equal((await page.textContent('#upload-label')).trim(), EXPECTED);
    // the big letter panel shows it too
    assert.equal(await page.getAttribute('#letter', 'data-label'), EXPECTED);

    const hands = Number(await page.getAttribute('#upload-canvas', 'data-hands'));
    assert.ok(hands >= 1, `hands drawn: ${hands}`);
    const joints = await landmarkColouredPixels(page, '#upload-canvas');
    assert.ok(joints > 50, `landmark-coloured pixels on the photo: ${joints}`);

    // a bad file next: only its error shows, not the previous photo and letter beside it
    const bad = path.join(await makeTempDir(), 'not-a-photo.jpg');
    await fsp.writeFile(bad, 'this is text, not a JPEG');
    await page.setInputFiles('#file', bad);
    await page.waitForFunction(() => /Could not read/.test(document.getElementById('upload-result').textContent), null, { timeout: 20000 });
    assert.equal(await page.getAttribute('#upload-canvas', 'data-hands'), '0');
    assert.equal(await page.isVisible('#upload-placeholder'), true, 'the placeholder is back');
    assert.equal(await page.$('#upload-label'), null, 'no letter left from the previous photo');
    assert.equal(await landmarkColouredPixels(page, '#upload-canvas'), 0, 'the previous photo is gone');
    assert.deepEqual(tab.errors, [], 'no uncaught page errors');
  });
});
