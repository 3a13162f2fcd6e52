// Shared helpers for the browser end-to-end tests: start/stop the real server, launch Debian's Chromium
// through playwright-core with a fake camera, screenshots, pixel checks; and the fixtures the suites
// share in the one test process (e2e.test.mjs): one server and one Chromium, started on first use and
// stopped by stopShared() at the end.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const E2E_DIR = path.resolve(here, '..');
export const REPO_ROOT = path.resolve(E2E_DIR, '..', '..');
/** Shared data is read in place (never copied into the repo): <repo>/../shared/data or $SIGNBRIDGE_DATA. */
export const DATA_DIR = process.env.SIGNBRIDGE_DATA || path.resolve(REPO_ROOT, '..', 'shared', 'data');
export const SERVER_BIN = process.env.SIGNBRIDGE_BIN || path.join(REPO_ROOT, 'target', 'release', 'signbridge');
export const CHROMIUM = process.env.SIGNBRIDGE_CHROMIUM || '/usr/bin/chromium';
export const FIREFOX = process.env.SIGNBRIDGE_FIREFOX || '/usr/bin/firefox-esr';
export const SCREENSHOT_DIR = path.join(E2E_DIR, 'screenshots');
export const HELLO_VIDEO = path.join(DATA_DIR, 'video', 'HELLO_WORLD_dev_keptsecret_448.mjpeg');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function requireFile(p, what) {
  if (!fs.existsSync(p)) throw new Error(`${what} not found at ${p}`);
  return p;
}

export async function makeTempDir(prefix = 'signbridge-e2e-') {
  return fsp.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** A TCP port that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Servers started by this process and not yet exited: killed by pid if the process exits early. */
const running = new Set();
process.on('exit', () => {
  for (const proc of running) {
    try { process.kill(proc.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
});

/**
 * Start `signbridge serve --host 127.0.0.1 --port P --db DB [extraArgs...]` and wait (up to timeoutMs) for GET /health
 * to answer 200. The environment is passed through (SIGNBRIDGE_MODELS etc.).
 * Returns {proc, port, baseUrl, logFile, log(), stop()}.
 */
export async function startServer({ db, port, timeoutMs = 60000, logDir, extraArgs = [] } = {}) {
  requireFile(SERVER_BIN, 'signbridge binary (set SIGNBRIDGE_BIN or build target/release/signbridge)');
  if (!db) throw new Error('startServer needs a db path');
  port = port || await freePort();
  logDir = logDir || path.dirname(db);
  const logFile = path.join(logDir, `server-${port}-${Date.now()}.log`);
  const out = fs.openSync(logFile, 'a');
  const args = ['serve', '--host', '127.0.0.1', '--port', String(port), '--db', db, ...extraArgs];
  const proc = spawn(SERVER_BIN, args, { cwd: REPO_ROOT, stdio: ['ignore', out, out], env: process.env });
  fs.closeSync(out);
  let exited = null;
  running.add(proc);
  proc.on('exit', (code, signal) => { exited = { code, signal }; running.delete(proc); });
  const baseUrl = `http://127.0.0.1:${port}`;
  const log = () => { try { return fs.readFileSync(logFile, 'utf8'); } catch { return ''; } };
  const tail = () => log().split('\n').slice(-40).join('\n');

  const stop = async () => {
    if (exited) return exited;
    proc.kill('SIGTERM');
    for (let i = 0; i < 50 && !exited; i++) await sleep(100);
    if (!exited) {
      proc.kill('SIGKILL');
      for (let i = 0; i < 30 && !exited; i++) await sleep(100);
    }
    return exited;
  };

  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (exited) throw new Error(`server exited before it was healthy (${JSON.stringify(exited)}): ${SERVER_BIN} ${args.join(' ')}\n--- log ---\n${tail()}`);
    try {
      const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2000) });
      last = `${res.status} ${await res.text()}`;
      if (res.status === 200) return { proc, port, baseUrl, logFile, log, tail, stop, args };
    } catch (e) {
      last = e.message;
    }
    await sleep(250);
  }
  await stop();
  throw new Error(`server not healthy after ${timeoutMs} ms (last: ${last})\n--- log ---\n${tail()}`);
}

/**
 * Launch Chromium (Debian's, not Playwright's download) with a fresh profile and a fake camera playing
 * `video` (an MJPEG file). `fakeCameraUi: false` leaves out --use-fake-ui-for-media-stream (which grants
 * the camera without asking), so a permission the test denies stays denied.
 * Returns {context, page, userDataDir, errors, close()}.
 * `errors` collects uncaught page errors; `external` collects requests to any other origin than allowed.
 */
export async function launchBrowser({ video = HELLO_VIDEO, viewport = { width: 1280, height: 900 }, userDataDir, fakeCameraUi = true } = {}) {
  requireFile(CHROMIUM, 'Chromium (apt-get install -y chromium)');
  requireFile(video, 'fake camera video');
  userDataDir = userDataDir || await makeTempDir('signbridge-chromium-');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic',
      ...(fakeCameraUi ? ['--use-fake-ui-for-media-stream'] : []), '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${video}`,
    ],
  });
  const page = context.pages()[0] || await context.newPage();
  const errors = [];
  const consoleErrors = [];
  const requests = [];
  context.on('page', (p) => watch(p, { errors, consoleErrors, requests }));
  watch(page, { errors, consoleErrors, requests });
  const close = async () => {
    await context.close().catch(() => {});
    await fsp.rm(userDataDir, { recursive: true, force: true }).catch(() => {});
  };
  return { context, page, userDataDir, errors, consoleErrors, requests, close };
}

function watch(page, { errors, consoleErrors, requests }) {
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('request', (r) => requests.push(r.url()));
}

/**
 * A new tab in a browser from launchBrowser(), with its own logs of page errors, console errors and
 * requests. Returns {page, errors, consoleErrors, requests, close()}.
 */
export async function openTab(browser) {
  const page = await browser.context.newPage();
  const tab = { page, errors: [], consoleErrors: [], requests: [] };
  watch(page, tab);
  tab.close = () => page.close().catch(() => {});
  return tab;
}

// ---------- fixtures shared by the suites of one process ----------
const shared = { server: null, chromium: null, tmp: null };

/** The one server for suites that need no fresh one, started on first use (its own temp database). */
export function sharedServer() {
  shared.server ??= (async () => {
    shared.tmp = await makeTempDir();
    return startServer({ db: path.join(shared.tmp, 'progress.sqlite3') });
  })();
  return shared.server;
}

/** A new tab in the one Chromium (fake camera playing HELLO_VIDEO), launched on first use. */
export async function chromiumTab() {
  shared.chromium ??= launchBrowser();
  return openTab(await shared.chromium);
}

/** Closes the shared Chromium and stops the shared server (by its pid), if they were started. */
export async function stopShared() {
  const { server, chromium, tmp } = shared;
  shared.server = shared.chromium = shared.tmp = null;
  if (chromium) await (await chromium.catch(() => null))?.close();
  if (server) await (await server.catch(() => null))?.stop();
  if (tmp) await fsp.rm(tmp, { recursive: true, force: true }).catch(() => {});
}

/**
 * Launch Debian's Firefox ESR through puppeteer-core (WebDriver BiDi; playwright-core needs its own patched
 * Firefox) with a fresh profile and Firefox's fake camera (a generated test pattern: it has no hand in it).
 * Returns {browser, page, errors, requests, close()}.
 */
export async function launchFirefox({ viewport = { width: 1280, height: 900 } } = {}) {
  requireFile(FIREFOX, 'Firefox (apt-get install -y firefox-esr)');
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    defaultViewport: viewport,
    extraPrefsFirefox: {
      'media.navigator.streams.fake': true,
      'media.navigator.permission.disabled': true,
      'app.update.enabled': false,
      'browser.safebrowsing.malware.enabled': false,
      'browser.safebrowsing.phishing.enabled': false,
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
      'datareporting.policy.dataSubmissionEnabled': false,
      'toolkit.telemetry.enabled': false,
    },
  });
  const page = await browser.newPage();
  const errors = [];
  const requests = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  const close = () => browser.close().catch(() => {});
  return { browser, page, errors, requests, close };
}

export async function screenshot(page, name) {
  await fsp.mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Number of pixels of a canvas with alpha > 0. */
export function paintedPixels(page, selector) {
  return page.$eval(selector, (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  });
}

/** Number of canvas pixels within `tol` (per channel) of one of the overlay's joint colours. */
export function landmarkColouredPixels(page, selector, tol = 12) {
  return page.$eval(selector, (c, tol) => {
    const colours = [[0xff, 0x8a, 0x3d], [0xff, 0xd2, 0x3f], [0x3d, 0xdc, 0x97], [0x3f, 0xb8, 0xff], [0xc7, 0x7d, 0xff]];
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      for (const [r, g, b] of colours) {
        if (Math.abs(d[i] - r) <= tol && Math.abs(d[i + 1] - g) <= tol && Math.abs(d[i + 2] - b) <= tol) { n++; break; }
      }
    }
    return n;
  }, tol);
}

/** Wait until `fn()` returns a truthy value (polling), or throw with `what`. */
export async function until(fn, { timeoutMs = 10000, intervalMs = 200, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) { last = e; }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}
