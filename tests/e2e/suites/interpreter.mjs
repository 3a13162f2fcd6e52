// (a) Interpreter page: the fake camera plays the HELLO WORLD clip; the sentence must read HELLO WORLD,
// landmarks must be drawn on the overlay, and space / backspace / clear must change the sentence.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { sharedServer, chromiumTab, screenshot, paintedPixels, until, sleep, SERVER_BIN, HELLO_VIDEO, REPO_ROOT } from '../lib/harness.mjs';

/**
 * A TCP proxy on 127.0.0.1 that holds every chunk `delayMs` in each direction (a slow network for the
 * page's WebSocket and requests). Returns {port, close()}.
 */
async function delayingProxy(targetPort, delayMs) {
  const sockets = new Set();
  const proxy = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => {}); }
    client.on('data', (d) => setTimeout(() => upstream.write(d), delayMs));
    upstream.on('data', (d) => setTimeout(() => client.write(d), delayMs));
    client.on('end', () => setTimeout(() => upstream.end(), delayMs));
    upstream.on('end', () => setTimeout(() => client.end(), delayMs));
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: proxy.address().port,
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); proxy.close(resolve); }),
  };
}

/** What `signbridge transcribe` prints for the HELLO WORLD clip (its last line). */
async function transcribeOffline() {
  const { stdout } = await promisify(execFile)(SERVER_BIN, ['transcribe', HELLO_VIDEO], { cwd: REPO_ROOT, timeout: 120000 });
  return stdout.trim().split('\n').pop().trim();
}

/**
 * Records, in the page, every change of the shown letter (`''` = no hand) and of the sentence, with
 * the page's time; returns the clip's loops: the sentence each loop added, a loop ending where the
 * hand is gone for longer than any pause inside the clip (2.5 s at the loop point, 1.5 s between words).
 */
async function recordLoops(page, loops, { timeoutMs }) {
  await page.evaluate(() => {
    window.__trace = [];
    let last = null;
    setInterval(() => {
      const label = document.getElementById('letter').dataset.label || '';
      const text = document.getElementById('sentence').dataset.text || '';
      const key = `${label}|${text}`;
      if (key !== last) { last = key; window.__trace.push({ t: performance.now(), label, text }); }
    }, 25);
  });
  const split = (trace) => {
    // the sentence at the end of each no-hand run of 2 s or more (the loop point)
    const ends = [];
    let gapFrom = null;
    for (const e of trace) {
      if (e.label === '') { gapFrom ??= e.t; continue; }
      if (gapFrom !== null && e.t - gapFrom >= 2000) ends.push(e.text);
      gapFrom = null;
    }
    return ends;
  };
  const ends = await until(async () => {
    const e = split(await page.evaluate(() => window.__trace));
    return e.length >= loops + 1 ? e : null;
  }, { timeoutMs, intervalMs: 500, what: `${loops + 1} loop points of the clip` });
  const out = [];
  for (let i = 1; i < ends.length; i++) out.push(ends[i].slice(ends[i - 1].length).trim());
  return out;
}

describe('interpreter', () => {
  let server, tab;

  before(async () => {
    server = await sharedServer();
    tab = await chromiumTab();
  });

  after(async () => {
    if (tab) await tab.close();
  });

  const sentenceState = (page) => page.$eval('#sentence', (el) => ({
    text: el.dataset.text || '', words: el.dataset.words || '', current: el.dataset.currentWord || '',
  }));

  test('interpreter: live camera spells HELLO WORLD, draws landmarks, sentence buttons work', { timeout: 240000 }, async () => {
    const { page } = tab;
    await page.goto(`${server.baseUrl}/?interval=100`);
    await page.waitForSelector('#conn-status[data-state="open"]', { timeout: 15000 });
    assert.equal(await page.getAttribute('#conn-status', 'role'), 'status');

    // keyboard: the start control is a real button (focus + Enter)
    assert.equal(await page.$eval('#start', (b) => b.tagName), 'BUTTON');
    await page.focus('#start');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#cam-status[data-state="on"]', { timeout: 15000 });
    await page.waitForFunction(() => /\bframe \d+/.test(document.getElementById('stream-info').textContent), null, { timeout: 20000 });

    // the clip lasts 19.2 s and loops; allow several loops
    await page.waitForFunction(
      () => /\bHELLO WORLD\b/.test(document.getElementById('sentence').dataset.text || ''),
      null, { timeout: 90000, polling: 200 },
    ).catch(async (e) => {
      await screenshot(page, 'interpreter-failed');
      const s = await sentenceState(page);
      throw new Error(`sentence never showed HELLO WORLD (now ${JSON.stringify(s)}; recent: ${await page.textContent('#recent')}): ${e.message}`);
    });

    // never more than one frame in flight: the server never had to drop a waiting frame
    const info = await page.textContent('#stream-info');
    assert.doesNotMatch(info, /dropped/, `stream info: ${info}`);

    // landmarks: the overlay (transparent otherwise) gets pixels while a hand is in view
    const painted = await until(async () => {
      const n = await paintedPixels(page, '#overlay');
      return n > 200 ? n : 0;
    }, { timeoutMs: 25000, intervalMs: 100, what: 'hand landmarks on the overlay canvas' });
    assert.ok(painted > 200, `overlay painted pixels: ${painted}`);
    // the overlay is mirrored exactly like the video
    const transforms = await page.evaluate(() => [getComputedStyle(document.getElementById('video')).transform, getComputedStyle(document.getElementById('overlay')).transform]);
    assert.equal(transforms[0], transforms[1]);
    // a letter with a confidence bar is shown
    const letter = await page.getAttribute('#letter', 'data-label');
    assert.ok(letter !== null);
    // the recent predictions show where a word ended, and say what their underlines mean
    const strip = await page.$$eval('#recent li', (lis) => lis.map((li) => (li.classList.contains('gap') ? ' ' : li.textContent)).join(''));
    assert.match(strip, /O W/, `a word break between HELLO and WORLD in the strip: ${JSON.stringify(strip)}`);
    const legend = await page.textContent('#recent-legend');
    assert.match(legend, /80% or more.*50–79%.*under 50%.*word break/s, legend);
    assert.equal(await page.$$eval('#recent-legend .swatch', (s) => s.map((x) => x.dataset.level).join()), 'high,mid,low');
    await screenshot(page, 'interpreter');

    // stop streaming so the sentence only changes through the buttons
    await page.click('#stop');
    await page.waitForSelector('#cam-status[data-state="off"]');
    await sleep(800);
    assert.equal(await paintedPixels(page, '#overlay'), 0, 'overlay cleared after stopping the camera');

    const s0 = await sentenceState(page);
    assert.match(s0.text, /HELLO WORLD/);
    const letters0 = s0.text.replace(/\s+/g, '');

    // backspace removes the last letter
    await page.click('#btn-backspace');
    const s1 = await until(async () => { const s = await sentenceState(page); return s.text !== s0.text ? s : null; },
      { timeoutMs: 5000, what: 'sentence change after backspace' });
    assert.equal(s1.text.replace(/\s+/g, ''), letters0.slice(0, -1), `backspace: ${JSON.stringify(s0)} -> ${JSON.stringify(s1)}`);

    // space ends the current word: no current word afterwards, letters unchanged
    await page.click('#btn-space');
    const s2 = await until(async () => { const s = await sentenceState(page); return s.current === '' && s.words.replace(/\s+/g, '') === letters0.slice(0, -1) ? s : null; },
      { timeoutMs: 5000, what: 'current word committed after space' });
    assert.equal(s2.text.replace(/\s+/g, ''), letters0.slice(0, -1));

    // clear empties it
    await page.click('#btn-clear');
    await until(async () => (await sentenceState(page)).text === '', { timeoutMs: 5000, what: 'empty sentence after clear' });
    await screenshot(page, 'interpreter-cleared');

    assert.deepEqual(tab.errors, [], 'no uncaught page errors');
  });

  test('interpreter: the page reads the HELLO WORLD clip as `signbridge transcribe` does', { timeout: 240000 }, async () => {
    const offline = await transcribeOffline();
    assert.equal(offline, 'HELLO WORLD', 'transcribe on the clip');
    const { page } = tab;
    // the page as a user gets it: default frame interval (100 ms), server mode
    await page.goto(`${server.baseUrl}/`);
    await page.waitForSelector('#conn-status[data-state="open"]', { timeout: 15000 });
    await page.click('#btn-clear');
    await page.click('#start');
    await page.waitForSelector('#cam-status[data-state="on"]', { timeout: 15000 });
    // three whole loops of the 19.2 s clip, each between two loop points (at a frame every 200 ms,
    // 2 loops in 8 read HELO WORLD: no frame fell in the 0.2 s break between the Ls)
    const loops = await recordLoops(page, 3, { timeoutMs: 130000 });
    await page.click('#stop');
    assert.deepEqual(loops, [offline, offline, offline], `each loop of the clip read live as offline (${JSON.stringify(loops)})`);
    assert.deepEqual(tab.errors, [], 'no uncaught page errors');
  });

  test('interpreter: over a slow network the page says the frame rate it gets, not the one it asks for', { timeout: 120000 }, async () => {
    // 300 ms each way: every frame waits 600 ms for its answer before the next goes
    const proxy = await delayingProxy(server.port, 300);
    try {
      const { page } = tab;
      await page.goto(`http://127.0.0.1:${proxy.port}/`);
      await page.waitForSelector('#conn-status[data-state="open"]', { timeout: 30000 });
      await page.click('#start');
      await page.waitForSelector('#cam-status[data-state="on"]', { timeout: 15000 });
      const info = await until(async () => {
        const t = await page.textContent('#stream-info');
        return /[\d.]+ frames\/s \(asked: 10\)/.test(t) ? t : null;
      }, { timeoutMs: 30000, intervalMs: 300, what: 'the measured frame rate in the stream info' });
      const fps = Number(info.match(/([\d.]+) frames\/s/)[1]);
      assert.ok(fps > 0.5 && fps < 2.5, `${fps} frames/s over a 600 ms round trip: ${info}`);
      assert.doesNotMatch(info, /every \d+ ms/, info);
      await page.waitForSelector('#rate-warning:not([hidden])', { timeout: 10000 });
      assert.match(await page.textContent('#rate-warning'), /Only [\d.]+ frames a second reach the server.*asks for 10/s);
      await screenshot(page, 'interpreter-slow-network');
      await page.click('#stop');
      assert.equal(await page.isVisible('#rate-warning'), false, 'the warning goes with the camera');
    } finally {
      await proxy.close();
    }
    assert.deepEqual(tab.errors, [], 'no uncaught page errors');
  });

  test('pages at 1280 px wide: nothing is cut off or runs past the window', { timeout: 60000 }, async () => {
    const { page } = tab;
    await page.setViewportSize({ width: 1280, height: 800 });
    for (const p of ['/about', '/']) {
      await page.goto(`${server.baseUrl}${p}`);
      const over = await page.evaluate(() => {
        const wide = document.documentElement.scrollWidth > window.innerWidth;
        // a table wider than its box must scroll inside that box, never be cut off
        const cut = [...document.querySelectorAll('table')].filter((t) => {
          const box = t.parentElement;
          return t.scrollWidth > box.clientWidth + 1 && !['auto', 'scroll'].includes(getComputedStyle(box).overflowX);
        }).length;
        return { wide, cut, scrollWidth: document.documentElement.scrollWidth };
      });
      assert.deepEqual({ wide: over.wide, cut: over.cut }, { wide: false, cut: 0 }, `${p}: ${JSON.stringify(over)}`);
    }
  });
});
