/**
 * The documentation site in real headless Chromium (Debian's package, driven by
 * playwright-core, kept off the network). Screenshots go to test-output/docs-site/.
 * A missing Chromium fails this test.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { writeDocsSite } from '../src/docs/site.js';
import { serveDocs } from '../src/docs/serve.js';
import { launchChromium, type Browser } from './fixtures/docs/browser.js';

// Functions passed to page.evaluate run in the page; the root build has no DOM types.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any;
declare const document: any;
declare const location: any;
declare function getComputedStyle(el: unknown): any;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = path.join(ROOT, 'test-output', 'docs-site');
const fixture = (name: string) => JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/docs/shop', name), 'utf8'));

let work = '';
let withRun = '';
let noRun = '';
let browser: Browser;
const pageErrors: string[] = [];

async function open(url: string): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${url}: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`${url}: console: ${m.text()}`); });
  await page.goto(url);
  await page.waitForFunction(() => window.__kiln?.ready === true, undefined, { timeout: 10000 });
  return page;
}

const shot = (page: Page, name: string, fullPage = false) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });

before(async () => {
  await mkdir(SHOTS, { recursive: true });
  work = await mkdtemp(path.join(os.tmpdir(), 'kiln-docs-site-'));
  withRun = path.join(work, 'with-run');
  noRun = path.join(work, 'no-run');
  const manifest = fixture('manifest.json');
  const catalog = fixture('catalog.json');
  await writeDocsSite(withRun, { manifest, catalog, runResults: fixture('run_results.json'), sources: fixture('sources.json') }, {});
  await writeDocsSite(withRun, { manifest, catalog, runResults: fixture('run_results.json'), sources: fixture('sources.json') }, { static: true });
  await writeDocsSite(noRun, { manifest, catalog }, {});
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const indexUrl = (dir: string, hash = '') => pathToFileURL(path.join(dir, 'index.html')).href + hash;

test('home page from file:// shows the overview block, resources and run health', async () => {
  const page = await open(indexUrl(withRun));
  await assert.doesNotReject(page.locator('main h1', { hasText: 'shop' }).waitFor());
  assert.match(await page.locator('main').innerText(), /Shop analytics/);
  assert.match(await page.locator('.tiles').innerText(), /6\s+Models/);
  assert.match(await page.locator('main').innerText(), /failed 2/);
  // Project tree and database tree.
  await page.locator('.tree button.fold', { hasText: 'marts' }).first().click();
  assert.ok(await page.locator('#tree-p a.leaf', { hasText: 'customers' }).first().isVisible());
  await page.locator('#tab-d').click();
  await page.locator('#tree-d button.fold', { hasText: 'raw' }).click();
  assert.ok(await page.locator('#tree-d a.leaf', { hasText: 'payments' }).isVisible());
  await shot(page, '01-home');
  await page.close();
});

test('search, open a model, check columns, SQL and failed status, follow lineage to a parent', async () => {
  const page = await open(indexUrl(withRun));
  const q = page.locator('#q');
  await q.click();
  await q.pressSequentially('orders');
  await page.locator('#qres [role=option]').first().waitFor();
  const first = await page.locator('#qres [role=option]').first().innerText();
  assert.match(first, /orders/);
  await shot(page, '02-search');
  // Per-keystroke timings were recorded.
  const times = await page.evaluate(() => window.__kiln.perf.filter((p: any) => p.name === 'search').map((p: any) => p.ms) as number[]);
  assert.equal(times.length, 6);
  await q.press('Enter');
  await page.waitForFunction(() => location.hash === '#!/model/model.shop.orders');
  await page.locator('article.node-page h1', { hasText: 'orders' }).waitFor();

  // Failed node is marked failed, with its message.
  assert.match(await page.locator('article.node-page h1 .badge').first().innerText(), /error/);
  assert.match(await page.locator('#run').innerText(), /Binder Error/);

  // Columns with types, descriptions (doc() resolved) and tests.
  const cols = page.locator('#columns tbody tr');
  assert.equal(await cols.count(), 6);
  assert.match(await cols.nth(0).innerText(), /order_id\s+INTEGER\s+Primary key\./);
  assert.match(await cols.nth(3).innerText(), /status\s+VARCHAR\s+One of placed, shipped, completed, returned\./);
  assert.equal(await cols.nth(0).locator('a.chip').count(), 2);
  assert.match(await cols.nth(1).locator('a.chip').innerText(), /F/);

  // SQL: source and compiled, highlighted, with a copy button.
  const code = page.locator('#code');
  assert.match(await code.locator('[data-pane="0"]').innerText(), /from \{\{ ref\('stg_orders'\) \}\} o/);
  assert.ok(await code.locator('[data-pane="0"] .kw').count() > 3, 'keywords highlighted');
  await code.locator('[role=tab]', { hasText: 'Compiled' }).click();
  assert.ok(await code.locator('[data-pane="1"]').isVisible());
  await code.locator('button.copy').click();
  await page.locator('#code button.copy', { hasText: /Copied|Copy failed/ }).waitFor();
  // Depends on / referenced by, file path.
  assert.match(await page.locator('#depends').innerText(), /stg_orders[\s\S]*Referenced by[\s\S]*order_summary/);
  assert.match(await page.locator('#details').innerText(), /models\/marts\/orders\.sql/);
  assert.match(await page.locator('#details').innerText(), /finance-team/);

  // Lineage: the failed node is coloured as failed.
  const lin = page.locator('#lineage svg');
  const focusNode = lin.locator('g.n.focus');
  assert.match((await focusNode.getAttribute('class'))!, /s-bad/);
  assert.ok(await lin.locator('g.n').count() >= 6);
  await page.locator('#lineage').scrollIntoViewIfNeeded();
  await shot(page, '03-model-orders', true);

  // Click a parent: it becomes the focus (selection box follows); double-click opens it.
  const parent = lin.locator('g.n[aria-label^="model stg_orders"]');
  await parent.click();
  await page.waitForFunction(() => document.querySelector('#lineage input[name=select]').value === '2+stg_orders+2');
  assert.match((await lin.locator('g.n.focus').getAttribute('aria-label'))!, /stg_orders/);
  await shot(page, '04-lineage-focus-parent');
  await lin.locator('g.n.focus').dblclick();
  await page.waitForFunction(() => location.hash === '#!/model/model.shop.stg_orders');
  await page.locator('article.node-page h1', { hasText: 'stg_orders' }).waitFor();
  assert.match(await page.locator('#description').innerText(), /One of placed/);
  await page.close();
});

test('lineage page: selection grammar, exclude, colour by status, draw and export', async () => {
  const page = await open(indexUrl(withRun, '#!/lineage?select=' + encodeURIComponent('+customers')));
  const labels = async () => (await page.locator('svg g.n').evaluateAll((els) => els.map((e) => String(e.getAttribute('aria-label')).split(',')[0]))).sort();
  assert.deepEqual(await labels(), ['model customers', 'model stg_customers', 'model stg_orders', 'model stg_payments', 'source raw.customers', 'source raw.orders', 'source raw.payments']);
  const sel = page.locator('input[name=select]');
  await sel.fill('tag:finance');
  await page.locator('input[name=exclude]').fill('orders');
  await sel.press('Enter');
  await page.waitForFunction(() => location.hash.includes('exclude=orders'));
  await page.waitForFunction(() => document.querySelectorAll('svg g.n').length === 1);
  assert.deepEqual(await labels(), ['model customers']);
  await sel.fill('2+orders');
  await page.locator('input[name=exclude]').fill('');
  await sel.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('svg g.n').length === 6);
  assert.ok((await page.locator('svg.lin-svg').getAttribute('class'))!.includes('by-status'));
  // orders failed; stg_payments built but its test failed: neither is green.
  assert.deepEqual((await page.locator('svg g.n.s-bad').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')))).sort(), ['model orders, error', 'model stg_payments, test failed']);
  // Exports.
  const [svgDl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-act=svg]').click()]);
  const svgText = await readFile((await svgDl.path())!, 'utf8');
  assert.match(svgText, /^<\?xml/);
  assert.match(svgText, /stg_orders/);
  const [pngDl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-act=png]').click()]);
  const png = await readFile((await pngDl.path())!);
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  await copyFile((await pngDl.path())!, path.join(SHOTS, '05-lineage-export.png'));
  await shot(page, '05-lineage-page');
  // Whole project view uses the layout computed at generate time.
  await page.goto(indexUrl(withRun, '#!/lineage'));
  await page.waitForFunction(() => document.querySelectorAll('svg g.n').length === 13);
  await page.close();
});

test('keyboard only: search with /, arrows and Enter; lineage nodes with Tab, Space and Enter', async () => {
  const page = await open(indexUrl(withRun));
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'q');
  await page.keyboard.type('customer');
  await page.locator('#qres [role=option]').first().waitFor();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.hash === '#!/model/model.shop.customers');
  // Tab into the lineage graph.
  let guard = 0;
  while (guard++ < 80) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement?.matches('g.n') ?? false)) break;
  }
  assert.ok(guard < 80, 'a lineage node is reachable with Tab');
  const start = await page.evaluate(() => document.activeElement!.getAttribute('aria-label'));
  await page.keyboard.press('ArrowRight');
  const moved = await page.evaluate(() => document.activeElement!.getAttribute('aria-label'));
  assert.notEqual(moved, start);
  await page.keyboard.press(' ');
  await page.waitForFunction(() => document.querySelector('g.n.focus') === document.activeElement);
  await page.keyboard.press('ArrowLeft');
  const target = String(await page.evaluate(() => document.activeElement.getAttribute('aria-label')));
  assert.match(target, /^(model|source) /);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => !location.hash.endsWith('model.shop.customers'));
  await page.locator('article.node-page h1').waitFor();
  await page.close();
});

test('deep links in dbt-docs form, sources with freshness, tests, run timeline', async () => {
  const page = await open(indexUrl(withRun, '#!/source/source.shop.raw.orders'));
  assert.match(await page.locator('main .page-head h1, main article > h1').innerText(), /raw\.orders/);
  assert.match(await page.locator('#run').innerText(), /Freshness\s+warn/);
  assert.match(await page.locator('#details').innerText(), /fivetran/);
  await page.goto(indexUrl(withRun, '#!/test/test.shop.not_null_stg_payments_amount.d1'));
  await page.locator('main h1', { hasText: 'not_null_stg_payments_amount' }).waitFor();
  assert.match(await page.locator('main .page-head h1, main article > h1').innerText(), /fail/);
  await page.goto(indexUrl(withRun, '#!/model/model.shop.stg_payments'));
  await page.locator('main h1', { hasText: 'stg_payments' }).waitFor();
  assert.match(await page.locator('main .page-head h1, main article > h1').innerText(), /1 failing test/);
  await page.goto(indexUrl(withRun, '#!/model/model.shop.customers?g_v=1'));
  await page.waitForFunction(() => document.querySelector('g.n.focus')?.getAttribute('aria-label')?.startsWith('model customers') ?? false);
  await page.goto(indexUrl(withRun, '#!/source_list/raw'));
  assert.equal(await page.locator('main tbody tr').count(), 3);
  await page.goto(indexUrl(withRun, '#!/model/model.shop.nope'));
  assert.match(await page.locator('main .page-head h1, main article > h1').innerText(), /Not found/);
  await page.goto(indexUrl(withRun, '#!/run'));
  await page.locator('svg.gantt').waitFor();
  assert.equal(await page.locator('svg.gantt a.bar').count(), 11);
  assert.ok(await page.locator('svg.gantt a.bar.cp').count() >= 2);
  assert.match(await page.locator('ol.cp').innerText(), /stg_orders[\s\S]*customers/);
  await shot(page, '06-run-timeline');
  await page.close();
});

test('dark mode is readable and the toggle is remembered', async () => {
  const page = await open(indexUrl(withRun, '#!/model/model.shop.customers'));
  await page.emulateMedia({ colorScheme: 'dark' });
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(20, 23, 28)');
  await shot(page, '07-dark');
  await page.locator('button.theme').click();
  assert.equal(await page.evaluate(() => document.documentElement.getAttribute('data-theme')), 'light');
  await page.reload();
  await page.waitForFunction(() => window.__kiln?.ready === true);
  assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(255, 255, 255)');
  await page.close();
});

test('static_index.html works alone; the site works over HTTP from kiln docs serve', async () => {
  const alone = path.join(work, 'alone');
  await mkdir(alone);
  await copyFile(path.join(withRun, 'static_index.html'), path.join(alone, 'static_index.html'));
  let page = await open(pathToFileURL(path.join(alone, 'static_index.html')).href + '#!/model/model.shop.orders');
  assert.match(await page.locator('main .page-head h1, main article > h1').innerText(), /orders/);
  assert.equal(await page.locator('#columns tbody tr').count(), 6);
  await page.close();

  const srv = await serveDocs({ dir: withRun, port: 0 });
  try {
    page = await open(srv.url + '#!/model/model.shop.customers');
    assert.match(await page.locator('main .page-head h1, main article > h1').innerText(), /customers/);
    assert.equal(await page.locator('#columns tbody tr').count(), 6);
    await shot(page, '08-served');
    await page.close();
  } finally {
    await srv.close();
  }
});

test('without run results: no run status, lineage coloured by type', async () => {
  const page = await open(indexUrl(noRun, '#!/model/model.shop.orders'));
  assert.equal(await page.locator('.topnav a', { hasText: 'Run' }).count(), 0);
  assert.equal(await page.locator('#run').count(), 0);
  assert.ok(!(await page.locator('svg.lin-svg').getAttribute('class'))!.includes('by-status'));
  await page.goto(indexUrl(noRun, '#!/run'));
  assert.match(await page.locator('main').innerText(), /No run_results\.json/);
  await page.close();
});

test('no page errors and no request left the machine', () => {
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(browser.offHost, []);
});
