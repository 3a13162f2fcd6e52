// (b) Upload mode: a photo from shared/data/images/letters is labelled and drawn with its landmarks;
// a bad file after it shows only its own error.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fsp from 'node:fs/promises';
import { sharedServer, chromiumTab, screenshot, landmarkColouredPixels, makeTempDir, DATA_DIR, requireFile } from '../lib/harness.mjs';

const PHOTO = path.join(DATA_DIR, 'images', 'letters', 'B', 'B0.jpg');
const EXPECTED = 'B';
const TWO_HANDS = path.join(DATA_DIR, 'images', 'two_hands', 'tfjs_hands.jpg');
// a 100x100 tight crop: the hand fills the photo
const TIGHT = path.join(DATA_DIR, 'images', 'digits_ardamavi', '2', 'IMG_1120.JPG');

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

  const uploadAndWait = async (page, file) => {
    await page.setInputFiles('#file', file);
    await page.waitForFunction(() => {
      const r = document.getElementById('upload-result');
      return !r.hidden && !/Looking for a hand/.test(r.textContent);
    }, null, { timeout: 60000 });
    return (await page.textContent('#upload-result')).trim();
  };

  test('upload mode: two hands say which one was read; a hand filling the photo is told it is too close', { timeout: 120000 }, async () => {
    requireFile(TWO_HANDS, 'two-hands photo');
    requireFile(TIGHT, 'tight crop');
    const { page } = tab;
    await page.goto(`${server.baseUrl}/`);
    await page.click('#tab-upload');

    // two hands: the message names the hand the letter came from, never a bare "nothing" or symbol
    const two = await uploadAndWait(page, TWO_HANDS);
    assert.match(two, /2 hands were seen; the letter was read from the one on the (left|right) of the photo/, two);
    const label = await page.getAttribute('#letter', 'data-label');
    if (label === 'nothing') assert.match(await page.textContent('#letter-caption'), /no letter/, 'the ∅ symbol is explained');
    await screenshot(page, 'upload-two-hands');

    // a tight crop: whatever is found, the advice is never to come closer
    const tight = await uploadAndWait(page, TIGHT);
    assert.doesNotMatch(tight, /closer/i, tight);
    const sure = /Recognised/.test(tight) && (await page.getAttribute('#meter', 'aria-valuenow')) >= 50;
    if (!sure) assert.match(tight, /fills the (whole )?photo/, tight);

    // the rule itself, on readings the detector could give: a poor reading of a hand spanning the photo
    const notes = await page.evaluate(async () => {
      const { photoNotes } = await import('/static/js/upload.js');
      const hand = (x0, y0, x1, y1) => ({ landmarks: Array.from({ length: 21 }, (_, i) => [x0 + ((x1 - x0) * i) / 20, y0 + ((y1 - y0) * i) / 20, 0]) });
      const kinds = (pred) => photoNotes({ image_width: 200, image_height: 200, ...pred }).map((n) => n.dataset.note);
      return {
        fillsPoor: kinds({ label: 'nothing', confidence: 0.8, hands: [hand(5, 5, 195, 195)], signing_hand: 0 }),
        fillsSure: kinds({ label: 'B', confidence: 0.97, hands: [hand(5, 5, 195, 195)], signing_hand: 0 }),
        smallPoor: kinds({ label: 'A', confidence: 0.3, hands: [hand(60, 60, 120, 120)], signing_hand: 0 }),
        cutOff: kinds({ label: 'A', confidence: 0.3, hands: [hand(60, 60, 140, 230)], signing_hand: 0 }),
        twoRight: photoNotes({ label: 'A', confidence: 0.9, image_width: 200, image_height: 200, hands: [hand(10, 60, 60, 140), hand(120, 60, 190, 140)], signing_hand: 1 }).map((n) => n.textContent),
      };
    });
    assert.deepEqual(notes.fillsPoor, ['fills']);
    assert.deepEqual(notes.fillsSure, [], 'a sure reading gets no advice');
    assert.deepEqual(notes.smallPoor, []);
    assert.deepEqual(notes.cutOff, ['fills']);
    assert.match(notes.twoRight.join(''), /on the right of the photo/);
    assert.deepEqual(tab.errors, [], 'no uncaught page errors');
  });
});
