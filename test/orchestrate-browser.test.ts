/**
 * The monitoring page of `kiln orchestrate` for project-example in headless Chromium: the
 * shipped jobs are listed with their state and next run; a build triggered through the API
 * shows up live (nodes running, progress, elapsed) as events arrive, then lands in the
 * history chart; a failing test run that follows it is marked in its chart and listed
 * among test failures.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { copyExample, removeDir, repoRoot } from './helpers/cli.js';
import { launchChromium } from './fixtures/docs/browser.js';
import { orchestrate } from '../src/orchestrate/service.js';

declare const window: any;
declare const document: any;
declare const MutationObserver: any;

const dir = copyExample();
after(() => removeDir(dir));

test('the monitoring page shows the jobs and watches a live run', async () => {
  // A check that fails on purpose after the nightly build: every order is "before" 2099.
  appendFileSync(
    join(dir, 'kiln_jobs.yml'),
    `
  - name: cutoff_check
    command: 'test -s assert_no_orders_before_cutoff --vars "{min_order_date: ''2099-01-01''}"'
    triggers:
      - after: [nightly]
`,
  );
  const service = await orchestrate({ projectDir: dir, port: 0, token: 'browser-token' });
  // Stopped in finally even when Chromium cannot start, or the test process would never exit.
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Every /api/jobs reply comes late, as on a loaded machine: one sent while a run was going
    // arrives after that run's end event, and must not bring the run back to the live view.
    await page.route(/\/api\/jobs$/, async (route: any) => {
      const response = await route.fetch();
      await new Promise((resolve) => setTimeout(resolve, 700));
      await route.fulfill({ response });
    });
    await page.goto(service.url);
    await page.waitForFunction(() => window.__monitor?.ready === true, undefined, { timeout: 30000 });
    const jobNames: string[] = await page.evaluate(() =>
      Array.from(document.querySelectorAll('#jobs tbody tr')).map((tr: any) => tr.dataset.job),
    );
    assert.deepEqual(jobNames, ['load_exports', 'orders_on_arrival', 'nightly', 'marts_checks', 'cutoff_check']);
    const nightlyRow: string = await page.evaluate(
      () => document.querySelector('#jobs tr[data-job="nightly"]').innerText,
    );
    assert.match(nightlyRow, /cron 0 6 \* \* \* \(Europe\/Berlin\)/);
    assert.match(nightlyRow, /idle/);
    assert.match(nightlyRow, /07:30/);

    // Record every state of the live view the page goes through.
    await page.evaluate(() => {
      window.__seen = [];
      new MutationObserver(() => {
        const card = document.querySelector('#live .run-card');
        if (card)
          window.__seen.push({
            done: Number(card.querySelector('.done-count').textContent),
            total: card.querySelector('.total').textContent,
            running: card.querySelectorAll('.nodes-running li').length,
            elapsed: card.querySelector('.elapsed').textContent,
            job: card.querySelector('strong').textContent,
          });
      }).observe(document.getElementById('live'), { childList: true, subtree: true, characterData: true });
    });
    const res = await fetch(`${service.url}api/jobs/nightly/trigger`, {
      method: 'POST',
      headers: { authorization: 'Bearer browser-token' },
    });
    assert.equal(res.status, 202);
    // Both runs over: nightly, then cutoff_check after it.
    await page
      .waitForFunction(
        () => /failed/.test(document.querySelector('#jobs tr[data-job="cutoff_check"] .last')?.innerText ?? ''),
        undefined,
        { timeout: 60000 },
      )
      .catch(async (e) => {
        console.log(errors, await page.evaluate(() => document.body.innerText));
        throw e;
      });
    await service.orchestrator.idle();
    const seen: Array<{ done: number; total: string; running: number; job: string }> = await page.evaluate(
      () => window.__seen,
    );
    const nightly = seen.filter((s) => s.job === 'nightly');
    const progress = [...new Set(nightly.map((s) => s.done))];
    assert.ok(
      progress.length >= 5,
      `the live view moved through several node counts as events arrived: ${progress.join(', ')}`,
    );
    assert.deepEqual(
      progress,
      [...progress].sort((a, b) => a - b),
      'progress only goes forward',
    );
    assert.ok(
      nightly.some((s) => s.running > 0),
      'running nodes were listed',
    );
    assert.ok(
      nightly.some((s) => Number(s.total) > 20),
      'the total number of nodes was known',
    );
    await page.waitForFunction(() => document.querySelector('#live .empty'), undefined, { timeout: 30000 });
    await page.waitForFunction(
      () => /success/.test(document.querySelector('#jobs tr[data-job="nightly"] .last')?.innerText ?? ''),
      undefined,
      { timeout: 30000 },
    );

    // History of nightly: one bar; of cutoff_check: one bar, marked failed.
    await page.click('#job-tabs button[data-job="nightly"]');
    await page.waitForFunction(() => document.getElementById('history-chart').dataset.runs === '1', undefined, {
      timeout: 30000,
    });
    await page.click('#job-tabs button[data-job="cutoff_check"]');
    await page.waitForFunction(() => document.getElementById('history-chart').dataset.failed === '1', undefined, {
      timeout: 30000,
    });
    assert.equal(await page.locator('#history-chart .bar-bad').count(), 1);
    assert.equal(await page.locator('#history-chart .fail-mark').count(), 1);
    await page.click('#history-chart .bar');
    await page.waitForFunction(
      () => /assert_no_orders_before_cutoff/.test(document.getElementById('run-detail').innerText),
      undefined,
      { timeout: 30000 },
    );
    await page.waitForFunction(
      () => /assert_no_orders_before_cutoff/.test(document.getElementById('tests').innerText),
      undefined,
      { timeout: 30000 },
    );
    assert.equal(await page.locator('#tests-chart .bar-bad').count(), 1);

    // Node duration trends of nightly, with links into the docs site.
    await page.click('#job-tabs button[data-job="nightly"]');
    await page.waitForFunction(() => document.getElementById('history-chart').dataset.failed === '0', undefined, {
      timeout: 30000,
    });
    await page.waitForFunction(() => document.querySelectorAll('#trends .trend').length > 10, undefined, {
      timeout: 30000,
    });
    const link: string = await page.evaluate(() =>
      document.querySelector('#trends .trend[data-node="model.pottery_shop.fct_orders"] a').getAttribute('href'),
    );
    assert.equal(link, '/docs/#!/model/model.pottery_shop.fct_orders');
    assert.match(await page.evaluate(() => document.getElementById('alerts').innerText), /cutoff_check failed/);

    const shots = join(repoRoot, 'test-output', 'orchestrate');
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, 'monitoring-page.png'), fullPage: true });
    assert.deepEqual(errors, []);
    assert.deepEqual(browser.offHost, []);
  } finally {
    await browser?.close();
    await service.stop();
  }
});
