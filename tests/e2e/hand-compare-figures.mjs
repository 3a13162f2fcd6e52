// The figures of docs/web.md ("Feedback finger by finger"): hand-compare.js on the bisonhacks rows
// (three people, evaluation only, read in place) against the shipped handshapes. Usage, with a server
// running (cargo run --release -- serve):
//   curl -s -d text=ABCDEFGHIJKLMNOPQRSTUVWXYZ http://127.0.0.1:8000/text-to-sign > /tmp/alphabet.json
//   node tests/e2e/hand-compare-figures.mjs /tmp/alphabet.json
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { compareHands } from '../../web/static/js/hand-compare.js';
import { DATA_DIR } from './lib/harness.mjs';

const file = process.argv[2];
if (!file) { console.error('usage: node tests/e2e/hand-compare-figures.mjs ALPHABET.json (the /text-to-sign answer for A-Z)'); process.exit(2); }
const ref = Object.fromEntries(JSON.parse(fs.readFileSync(file, 'utf8')).letters.map((l) => [l.char, l.landmarks]));

function rows(k) {
  const lines = zlib.gunzipSync(fs.readFileSync(path.join(DATA_DIR, 'landmarks', 'bisonhacks_3person', `asl_landmarks_person${k}.csv.gz`))).toString().trim().split('\n');
  const x0 = lines[0].split(',').indexOf('x0');
  return lines.slice(1).map((line) => {
    const c = line.split(',');
    return { label: c[0], points: Array.from({ length: 21 }, (_, i) => [0, 1, 2].map((d) => Number(c[x0 + 3 * i + d]))) };
  });
}
const all = [1, 2, 3].flatMap(rows);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const pct = (x) => `${Math.round(x * 100)}%`;

const own = [...'ABCDEFGHIKLMNOPQRSTUVWXY'].map((l) => `${l} ${pct(median(all.filter((r) => r.label === l).map((r) => compareHands(r.points, ref[l], l).closeness)))}`);
console.log(`median closeness of each letter to its own handshape: ${own.join(', ')}`);
for (const [made, target] of [['V', 'U'], ['U', 'V'], ['A', 'B'], ['S', 'B'], ['E', 'B'], ['N', 'M'], ['W', 'V'], ['A', 'S'], ['T', 'A']]) {
  const r = all.filter((x) => x.label === made).map((x) => compareHands(x.points, ref[target], target));
  const tips = new Map();
  for (const c of r) tips.set(c.tip || '(no tip)', (tips.get(c.tip || '(no tip)') || 0) + 1);
  const top = [...tips.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([t, n]) => `"${t}" ${n}`).join(', ');
  console.log(`${made} for target ${target}: median ${pct(median(r.map((c) => c.closeness)))} of ${r.length} rows; tips ${top}`);
}
