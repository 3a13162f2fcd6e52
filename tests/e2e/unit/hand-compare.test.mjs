// hand-compare.js (the practise page's finger-by-finger feedback) and hand-drawing.js's projection,
// on real landmark rows read in place from ../shared/data/landmarks (bisonhacks_3person: three
// people, evaluation only). References are built from persons 2 and 3, the signer is person 1, so a
// reference never contains the hand it is compared with. Runs alone (node --test
// tests/e2e/unit/hand-compare.test.mjs) or with the browser suites (e2e.test.mjs imports it).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { compareHands, compareMeasures, measure, thumbPlace } from '../../../web/static/js/hand-compare.js';
import { turnHand, motionPath } from '../../../web/static/js/hand-drawing.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DATA_DIR = process.env.SIGNBRIDGE_DATA || path.resolve(here, '..', '..', '..', '..', 'shared', 'data');
const person = (k) => path.join(DATA_DIR, 'landmarks', 'bisonhacks_3person', `asl_landmarks_person${k}.csv.gz`);

/** Rows of a landmark table: {label, points: 21 x [x, y, z]}. */
function readRows(file) {
  const lines = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8').trim().split('\n');
  const x0 = lines[0].split(',').indexOf('x0');
  return lines.slice(1).map((line) => {
    const c = line.split(',');
    return { label: c[0], points: Array.from({ length: 21 }, (_, i) => [0, 1, 2].map((d) => Number(c[x0 + 3 * i + d]))) };
  });
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const mostCommon = (xs) => {
  const n = new Map();
  for (const x of xs) n.set(x, (n.get(x) || 0) + 1);
  return [...n.entries()].sort((a, b) => b[1] - a[1])[0][0];
};

describe('hand-compare', () => {
  const signer = readRows(person(1));
  const others = [...readRows(person(2)), ...readRows(person(3))];
  const measured = new Map();
  /** A letter's reference: the hand of persons 2 and 3 closest, by median closeness, to their other hands of it. */
  const reference = (letter) => {
    if (measured.has(letter)) return measured.get(letter);
    const ms = others.filter((r) => r.label === letter).map((r) => ({ r, m: measure(r.points) })).filter((x) => x.m);
    let best = null;
    for (const a of ms.filter((_, i) => i % 4 === 0)) {
      const score = median(ms.map((b) => compareMeasures(b.m, a.m, letter).closeness));
      if (!best || score > best.score) best = { score, points: a.r.points };
    }
    measured.set(letter, best.points);
    return best.points;
  };
  const against = (made, target) => signer.filter((r) => r.label === made).map((r) => compareHands(r.points, reference(target), target));

  test('hand-compare: the measures do not depend on size, position or which hand', () => {
    const row = signer.find((r) => r.label === 'V').points;
    const moved = row.map(([x, y, z]) => [3 * x + 40, 3 * y - 7, 3 * z]);
    const mirrored = row.map(([x, y, z]) => [1 - x, y, z]);
    const a = measure(row);
    for (const other of [moved, mirrored]) {
      const b = measure(other);
      for (const k of ['curl', 'spread']) a[k].forEach((v, i) => assert.ok(Math.abs(v - b[k][i]) < 1e-9, `${k}[${i}]`));
      for (const k of ['across', 'up', 'off', 'out']) assert.ok(Math.abs(a.thumb[k] - b.thumb[k]) < 1e-9, `thumb.${k}`);
      assert.ok(Math.abs(a.point - b.point) < 1e-9, 'point');
      const c = compareHands(other, row, 'V');
      assert.ok(c.closeness > 0.999 && c.tip === '', `same hand: ${c.closeness} "${c.tip}"`);
    }
  });

  test('hand-compare: not a hand is null, never a guess', () => {
    assert.equal(measure(Array.from({ length: 20 }, () => [0, 0, 0])), null);
    assert.equal(measure(Array.from({ length: 21 }, () => [0.5, 0.5, 0])), null, 'all points equal');
    assert.equal(measure(Array.from({ length: 21 }, () => [Number.NaN, 0, 0])), null);
    assert.equal(compareHands(null, signer[0].points), null);
  });

  test('hand-compare: V for target U is a near miss, with the tip to bring two fingers together', () => {
    const vForU = against('V', 'U');
    const uForU = against('U', 'U');
    const c = median(vForU.map((x) => x.closeness));
    assert.ok(c > 0.5, `V for U reads near: median closeness ${c.toFixed(2)}`);
    assert.ok(median(uForU.map((x) => x.closeness)) > c, 'U itself is closer to U than V is');
    assert.equal(mostCommon(vForU.map((x) => x.tip)), 'bring your index and middle fingers together');
    assert.equal(mostCommon(against('U', 'V').map((x) => x.tip)), 'spread your index and middle fingers apart');
  });

  test('hand-compare: a fist for target B reads far, with the tip to straighten the fingers', () => {
    for (const fist of ['A', 'S', 'E']) {
      const r = against(fist, 'B');
      const c = median(r.map((x) => x.closeness));
      assert.ok(c < 0.2, `${fist} for B: median closeness ${c.toFixed(2)}`);
      assert.equal(mostCommon(r.map((x) => x.tip)), 'straighten your fingers', fist);
    }
    // one finger: W for V needs the ring finger curled
    assert.equal(mostCommon(against('W', 'V').map((x) => x.tip)), 'curl your ring finger');
  });

  test('hand-compare: the thumb: A for S, T for A, L has it out', () => {
    assert.equal(mostCommon(against('A', 'S').map((x) => x.tip)), 'fold your thumb across the front of your fingers');
    assert.equal(mostCommon(against('T', 'A').map((x) => x.tip)), 'rest your thumb against the side of your index finger');
    assert.equal(thumbPlace(measure(reference('L'))), 'out');
    assert.equal(thumbPlace(measure(reference('B'))), 'across');
  });

  test('hand-drawing: mirroring and turning the hand', () => {
    const row = reference('B');
    const plain = turnHand(row);
    const mirrored = turnHand(row, { mirror: true });
    plain.forEach((p, i) => { assert.ok(Math.abs(p[0] + mirrored[i][0]) < 1e-12 && Math.abs(p[1] - mirrored[i][1]) < 1e-12); });
    // a quarter turn of yaw puts x into depth and keeps the height
    const turned = turnHand(row, { yaw: Math.PI / 2 });
    plain.forEach((p, i) => { assert.ok(Math.abs(turned[i][1] - p[1]) < 1e-12 && Math.abs(turned[i][2] + p[0]) < 1e-9); });
    // J moves down then hooks; Z goes across, back and across; other letters do not move
    const j = motionPath('J', reference('I'));
    assert.equal(j.tip, 20);
    assert.ok(j.offsets.at(-1)[1] > j.offsets[0][1], 'J ends lower than it starts');
    const z = motionPath('Z', reference('D'));
    assert.equal(z.tip, 8);
    assert.ok(z.offsets[8][0] > z.offsets[0][0] && z.offsets[16][0] < z.offsets[8][0] && z.offsets.at(-1)[0] > z.offsets[16][0], 'Z: across, back, across');
    assert.equal(motionPath('B', row), null);
  });
});
