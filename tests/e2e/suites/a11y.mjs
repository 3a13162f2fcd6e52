// Accessibility: axe-core (from npm, tests/e2e/node_modules; its axe.min.js is given to the page by
// the test over DevTools, never loaded from elsewhere) on every page, at desktop and phone size, with the camera on
// where a page has one. Fails on any serious or critical violation, naming the rule and the elements.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { sharedServer, chromiumTab } from '../lib/harness.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// every page of web/pages.ini; `camera`: start it before checking
const PAGES = [
  { path: '/?interval=200', name: 'interpreter', camera: true },
  { path: '/learn', name: 'learn', ready: () => document.querySelectorAll('#alphabet canvas[data-drawn="true"]').length === 26 },
  { path: '/practice?letter=U&interval=200', name: 'practise', camera: true },
  { path: '/calibrate?interval=200', name: 'calibrate', camera: true, ready: () => document.querySelectorAll('#calib-counts li').length === 26 },
  { path: '/progress', name: 'progress', ready: () => document.body.dataset.loaded === 'true' },
  { path: '/class', name: 'teach' },
  { path: '/about', name: 'about' },
];
const VIEWPORTS = [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]];

describe('a11y', () => {
  let server, tab;

  before(async () => {
    server = await sharedServer();
    tab = await chromiumTab();
  });

  after(async () => {
    if (tab) await tab.close();
  });

  test('a11y: axe-core finds no serious or critical violation on any page (desktop and phone, camera on)', { timeout: 240000 }, async () => {
    const { page } = tab;
    const found = [];
    for (const [size, viewport] of VIEWPORTS) {
      await page.setViewportSize(viewport);
      for (const p of PAGES) {
        await page.goto(`${server.baseUrl}${p.path}`);
        if (p.ready) await page.waitForFunction(p.ready, null, { timeout: 30000 });
        if (p.camera) {
          await page.click('#start');
          await page.waitForSelector('#cam-status[data-state="on"]', { timeout: 15000 });
          await page.waitForFunction(() => document.getElementById('conn-status').dataset.state === 'open', null, { timeout: 15000 });
          await page.waitForTimeout(1500); // a few predictions in
        }
        // evaluated over DevTools, so the page's CSP (no inline scripts) stays as it is
        if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
        const violations = await page.evaluate(async () => {
          const r = await window.axe.run(document, { resultTypes: ['violations'] });
          return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
        });
        for (const v of violations) {
          if (v.impact === 'serious' || v.impact === 'critical') found.push(`${p.name} (${size}): ${v.impact} ${v.id}: ${v.help} [${v.nodes.join(', ')}]`);
        }
        if (p.camera) await page.click('#stop');
      }
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    assert.deepEqual(found, [], `axe-core violations:\n${found.join('\n')}`);
    assert.deepEqual(tab.errors, [], 'no uncaught page errors');
  });
});
