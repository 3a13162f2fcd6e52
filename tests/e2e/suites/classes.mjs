// Classes (issue 17): a teacher creates a class on /class and gets its join code; a learner joins from
// /progress; the teacher sees the learners' per-letter practice and last activity and removes one; the
// learner leaves; an unknown code, a malformed ?profile= and an unknown one are said to be so, never
// replaced by someone else's data. Progress tiles open practice of their letter.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sharedServer, chromiumTab, screenshot, until } from '../lib/harness.mjs';

describe('classes', () => {
  let server, tab;

  before(async () => {
    server = await sharedServer();
    tab = await chromiumTab();
  });

  after(async () => {
    if (tab) await tab.close();
  });

  const post = async (p, body) => {
    const r = await fetch(`${server.baseUrl}${p}`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    assert.ok(r.ok, `${p}: ${r.status} ${await r.clone().text()}`);
    return r.json();
  };
  const rows = (page) => page.$$eval('#members-body tr', (trs) => trs.map((tr) => tr.dataset.name));

  test('a teacher creates a class, learners join, the teacher sees their practice and removes one', { timeout: 120000 }, async () => {
    const { page, errors } = tab;

    // The teacher creates a class and gets its code.
    await page.goto(`${server.baseUrl}/class`);
    await page.fill('#class-name', 'Year 7 signing');
    await page.click('#new-class-form button[type="submit"]');
    await page.waitForSelector('#class-panel:not([hidden])');
    const shown = (await page.textContent('#join-code')).trim();
    assert.match(shown, /^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    const code = shown.replace('-', '');
    assert.match(await page.textContent('#class-summary'), /No learners yet/);

    // A learner (this browser's profile) joins from Progress, typing the code in lower case.
    await page.goto(`${server.baseUrl}/progress`);
    const profile = await page.evaluate(() => localStorage.getItem('signbridge.profile'));
    await page.fill('#join-code-input', shown.toLowerCase());
    await page.fill('#join-name', 'Ana');
    await page.click('#join-form button[type="submit"]');
    await page.waitForSelector(`#my-classes li[data-code="${code}"]`);
    assert.match(await page.textContent('#classes-msg'), /You joined Year 7 signing/);
    // Another learner joins through the API; both practise.
    await post(`/api/classes/${code}/join`, { profile: 'learner-ben-e2e-0001', name: 'Ben' });
    for (const [who, letter, correct] of [[profile, 'A', true], [profile, 'A', false], [profile, 'B', true], ['learner-ben-e2e-0001', 'C', false]]) {
      await post('/api/progress/attempt', { profile: who, target: letter, correct, score: 0.8 });
    }
    // An unknown code is said to be one.
    await page.fill('#join-code-input', 'ZZZZ-ZZZZ');
    await page.click('#join-form button[type="submit"]');
    await until(async () => /No class has the code/.test(await page.textContent('#classes-msg')), { what: 'the unknown-code message' });
    // Progress tiles start practice of their letter.
    await page.reload();
    await page.waitForSelector('#letter-grid a[href="/practice?target=A"]');

    // The teacher sees both, with per-letter practice and last activity, and never a profile id.
    await page.goto(`${server.baseUrl}/class`);
    await until(async () => (await rows(page)).length === 2, { what: 'two learners in the table' });
    assert.deepEqual((await rows(page)).sort(), ['Ana', 'Ben']);
    const ana = await page.$eval('#members-body tr[data-name="Ana"]', (tr) => ({
      text: tr.textContent,
      chips: [...tr.querySelectorAll('.letter-chips span')].map((s) => `${s.textContent}:${s.dataset.level}`),
      titles: [...tr.querySelectorAll('.letter-chips span')].map((s) => s.title),
    }));
    // (this browser may have practised other letters in earlier suites)
    assert.deepEqual(ana.chips.filter((c) => /^[AB]:/.test(c)), ['A:mid', 'B:high']);
    assert.match(ana.text, /just now/);
    assert.ok(ana.titles.includes('A: 1 of 2 correct (50%)'), JSON.stringify(ana.titles));
    assert.ok(!(await page.content()).includes(profile), 'the page never holds a learner profile id');
    await screenshot(page, 'class-teacher');

    // Removing takes two clicks.
    await page.click('#members-body tr[data-name="Ben"] button');
    assert.equal((await rows(page)).length, 2, 'the first click only asks');
    await page.click('#members-body tr[data-name="Ben"] button');
    await until(async () => (await rows(page)).join() === 'Ana', { what: 'Ben removed' });
    assert.match(await page.textContent('#class-msg'), /Ben was removed/);

    // The learner leaves; the teacher's class is then empty.
    await page.goto(`${server.baseUrl}/progress`);
    await page.waitForSelector(`#my-classes li[data-code="${code}"] button`);
    await page.click(`#my-classes li[data-code="${code}"] button`);
    await until(async () => /You left Year 7 signing/.test(await page.textContent('#classes-msg')), { what: 'the learner to leave' });
    assert.equal(await page.$$eval('#my-classes li', (l) => l.length), 0);
    await page.goto(`${server.baseUrl}/class`);
    await until(async () => /No learners yet/.test(await page.textContent('#class-summary')), { what: 'an empty class' });
    assert.deepEqual(errors, []);
  });

  test('a mistyped or unknown profile id is said to be one, never replaced by your own', { timeout: 60000 }, async () => {
    const { page } = tab;
    await page.goto(`${server.baseUrl}/progress?profile=not%20an%20id`);
    await page.waitForSelector('#load-error:not([hidden])');
    assert.match(await page.textContent('#load-error'), /is not a profile id/);
    assert.equal(await page.$$eval('#progress-body tr', (r) => r.length), 0);
    await page.goto(`${server.baseUrl}/progress?profile=nobody-has-this-id-0001`);
    await page.waitForSelector('#load-error:not([hidden])');
    assert.match(await page.textContent('#load-error'), /No practice is recorded under profile nobody-has-this-id-0001/);
    assert.equal(await page.isVisible('#classes-card'), false, 'classes are only shown for your own profile');
  });
});
