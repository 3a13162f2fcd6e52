// The README's screenshots: the Learn and Practise pages at desktop (1280x800) and phone (390x844)
// size, written to docs/screenshots/*.png. Run from the repository root after `cargo build --release`:
//   node tests/e2e/screens.mjs
// It starts its own server (temporary database) and Chromium (fake camera playing the HELLO WORLD
// clip), and stops both by pid. Practise is shown with its camera on, the target U, and the verdict
// for a V photo (a near miss with its tip).
import fsp from 'node:fs/promises';
import path from 'node:path';
import { startServer, launchBrowser, makeTempDir, REPO_ROOT, DATA_DIR } from './lib/harness.mjs';

const OUT = path.join(REPO_ROOT, 'docs', 'screenshots');
const SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

const tmp = await makeTempDir();
const server = await startServer({ db: path.join(tmp, 'progress.sqlite3') });
const browser = await launchBrowser({ viewport: SIZES.desktop });
try {
  await fsp.mkdir(OUT, { recursive: true });
  const { page } = browser;
  for (const [size, viewport] of Object.entries(SIZES)) {
    await page.setViewportSize(viewport);
    await page.goto(`${server.baseUrl}/learn`);
    await page.waitForFunction(() => document.querySelectorAll('#alphabet canvas[data-drawn="true"]').length === 26, null, { timeout: 30000 });
    // the A to Z heading (with the left-hand switch) just under the sticky header
    await page.evaluate(() => window.scrollTo(0, document.getElementById('alphabet-heading').getBoundingClientRect().top + window.scrollY
      - document.querySelector('.site-header').getBoundingClientRect().height - 8));
    await page.waitForTimeout(600); // J and Z part-way through their motion
    await page.screenshot({ path: path.join(OUT, `learn-${size}.png`) });

    await page.goto(`${server.baseUrl}/practice?letter=U&interval=150`);
    await page.click('#photo-box summary');
    await page.setInputFiles('#photo', path.join(DATA_DIR, 'images', 'letters', 'V', 'V0.jpg'));
    await page.waitForFunction(() => document.getElementById('tip').textContent.length > 0, null, { timeout: 60000 });
    await page.click('#photo-box summary'); // closed again: the camera is what a learner uses
    if (size === 'phone') {
      await page.click('#start');
      await page.waitForSelector('#cam-status[data-state="on"]', { timeout: 15000 });
      await page.waitForTimeout(1500);
      await page.evaluate(() => window.scrollTo(0, 0));
    } else {
      await page.evaluate(() => window.scrollTo(0, document.querySelector('.status-bar').getBoundingClientRect().top + window.scrollY
        - document.querySelector('.site-header').getBoundingClientRect().height - 8));
    }
    await page.screenshot({ path: path.join(OUT, `practise-${size}.png`) });
    if (size === 'phone') await page.click('#stop');
  }
  for (const f of await fsp.readdir(OUT)) console.log(`${f}: ${(await fsp.stat(path.join(OUT, f))).size} bytes`);
} finally {
  await browser.close();
  await server.stop();
  await fsp.rm(tmp, { recursive: true, force: true });
}
