// (b) Upload mode: a photo from shared/data/images/letters is labelled and drawn with its landmarks.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { sharedServer, chromiumTab, screenshot, landmarkColouredPixels, DATA_DIR, requireFile } from '../lib/harness.mjs';

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
    assert.deepEqual(tab.errors, [], 'no uncaught page errors');
  });
});
