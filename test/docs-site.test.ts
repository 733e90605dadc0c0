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
import { richShop } from './fixtures/docs/rich.js';

// Functions passed to page.evaluate run in the page; the root build has no DOM types.

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
let rich = '';
let browser: Browser;
const pageErrors: string[] = [];

async function open(url: string): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${url}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`${url}: console: ${m.text()}`);
  });
  await page.goto(url);
  await page.waitForFunction(() => window.__kiln?.ready === true, undefined, { timeout: 10000 });
  return page;
}

const shot = (page: Page, name: string, fullPage = false) =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });

before(async () => {
  await mkdir(SHOTS, { recursive: true });
  work = await mkdtemp(path.join(os.tmpdir(), 'kiln-docs-site-'));
  withRun = path.join(work, 'with-run');
  noRun = path.join(work, 'no-run');
  const manifest = fixture('manifest.json');
  const catalog = fixture('catalog.json');
  await writeDocsSite(
    withRun,
    { manifest, catalog, runResults: fixture('run_results.json'), sources: fixture('sources.json') },
    {},
  );
  await writeDocsSite(
    withRun,
    { manifest, catalog, runResults: fixture('run_results.json'), sources: fixture('sources.json') },
    { static: true },
  );
  await writeDocsSite(noRun, { manifest, catalog }, {});
  rich = path.join(work, 'rich');
  await writeDocsSite(rich, richShop(), {});
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
  const times = await page.evaluate(
    () => window.__kiln.perf.filter((p: any) => p.name === 'search').map((p: any) => p.ms) as number[],
  );
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
  assert.ok((await code.locator('[data-pane="0"] .kw').count()) > 3, 'keywords highlighted');
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
  assert.ok((await lin.locator('g.n').count()) >= 6);
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
  const labels = async () =>
    (
      await page
        .locator('svg g.n')
        .evaluateAll((els) => els.map((e) => String(e.getAttribute('aria-label')).split(',')[0]))
    ).sort();
  assert.deepEqual(await labels(), [
    'model customers',
    'model stg_customers',
    'model stg_orders',
    'model stg_payments',
    'source raw.customers',
    'source raw.orders',
    'source raw.payments',
  ]);
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
  assert.deepEqual(
    (await page.locator('svg g.n.s-bad').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')))).sort(),
    ['model orders, error', 'model stg_payments, test failed'],
  );
  // Exports.
  const [svgDl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-act=svg]').click()]);
  const svgText = await readFile(await svgDl.path(), 'utf8');
  assert.match(svgText, /^<\?xml/);
  assert.match(svgText, /stg_orders/);
  const [pngDl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-act=png]').click()]);
  const png = await readFile(await pngDl.path());
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  await copyFile(await pngDl.path(), path.join(SHOTS, '05-lineage-export.png'));
  await shot(page, '05-lineage-page');
  // The whole project, under the map's threshold, is drawn node by node.
  await page.goto(indexUrl(withRun, '#!/lineage'));
  await page.waitForFunction(() => document.querySelectorAll('svg g.n').length === 13);
  // Fitting never shrinks labels below a readable size (12 px text at scale >= 0.7).
  const scale = await page.evaluate(() =>
    Number(/scale\(([\d.]+)\)/.exec(document.querySelector('svg.lin-svg .vp').getAttribute('transform'))![1]),
  );
  assert.ok(scale >= 0.7, `scale ${scale}`);
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
  await page.locator('article.node-page .page-head h1').waitFor();
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
  await page.waitForFunction(
    () => document.querySelector('g.n.focus')?.getAttribute('aria-label')?.startsWith('model customers') ?? false,
  );
  await page.goto(indexUrl(withRun, '#!/source_list/raw'));
  assert.equal(await page.locator('main tbody tr').count(), 3);
  await page.goto(indexUrl(withRun, '#!/model/model.shop.nope'));
  assert.match(await page.locator('main .page-head h1, main article > h1').innerText(), /Not found/);
  await page.goto(indexUrl(withRun, '#!/run'));
  await page.locator('svg.gantt').waitFor();
  assert.equal(await page.locator('svg.gantt a.bar').count(), 11);
  assert.ok((await page.locator('svg.gantt a.bar.cp').count()) >= 2);
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

const h1 = (page: Page) => page.locator('main .page-head h1, main article > h1').innerText();

test('unknown routes render Not found; a package has its own overview', async () => {
  const page = await open(indexUrl(withRun));
  for (const hash of [
    '#!/nonsense',
    '#!/list/bogus',
    '#!/source_list/nope',
    '#!/overview/otherpkg',
    '#!/model/model.shop.nope',
  ]) {
    await page.goto(indexUrl(withRun, hash));
    await page.waitForFunction(() => document.title.startsWith('Not found'));
    assert.match(await h1(page), /Not found/, hash);
  }
  await page.goto(indexUrl(rich, '#!/overview'));
  await page.locator('main a[href="#!/overview/shop_utils"]').click();
  await page.locator('main h1', { hasText: 'shop_utils' }).waitFor();
  assert.match(await page.locator('main .md').innerText(), /Helpers shared by shop projects/);
  assert.match(await page.locator('main .tiles').innerText(), /1\s+Models/);
  await page.close();
});

test('lineage: focus and hops reach the URL, and a reload restores them', async () => {
  const page = await open(indexUrl(withRun, '#!/lineage?select=' + encodeURIComponent('+customers')));
  await page.locator('svg g.n[aria-label^="model stg_orders"]').click();
  await page.waitForFunction(() => decodeURIComponent(location.hash) === '#!/lineage?select=2+stg_orders+2');
  await page.locator('input[name=depth]').fill('1');
  await page.locator('input[name=depth]').dispatchEvent('change');
  await page.waitForFunction(() => decodeURIComponent(location.hash) === '#!/lineage?select=1+stg_orders+1');
  const before = await page.locator('svg g.n').count();
  await page.reload();
  await page.waitForFunction(() => window.__kiln?.ready === true);
  assert.equal(await page.locator('input[name=depth]').inputValue(), '1');
  assert.equal(await page.locator('input[name=select]').inputValue(), '1+stg_orders+1');
  assert.match((await page.locator('svg g.n.focus').getAttribute('aria-label'))!, /^model stg_orders/);
  assert.equal(await page.locator('svg g.n').count(), before);
  await page.close();
});

test('tree: natural order, one Tab stop, arrow keys, lowercase group folders, no stale highlight', async () => {
  const page = await open(indexUrl(rich, '#!/model/model.shop.m_2'));
  const tree = page.locator('#tree-p');
  const numbered = await tree
    .locator('button.fold', { hasText: 'numbered' })
    .locator('xpath=..')
    .locator('a.leaf')
    .allInnerTexts();
  assert.deepEqual(
    numbered.map((t) => t.trim()),
    ['m_0', 'm_1', 'm_2', 'm_10', 'm_100'],
  );
  assert.equal(await tree.locator('[role=treeitem][tabindex="0"]').count(), 1, 'one Tab stop');
  assert.equal(await tree.locator('a.leaf.current').innerText(), 'm_2');
  assert.equal(await tree.locator('[role=treeitem][tabindex="0"]').innerText(), 'm_2');
  // Synthetic folders are lower case like the file system's; no folder is "Sources".
  const folders = await tree.locator('button.fold').allInnerTexts();
  assert.ok(
    folders.some((f) => /^.sources\b/.test(f)),
    folders.join('|'),
  );
  assert.ok(!folders.some((f) => /Sources|Exposures/.test(f)));
  // Keyboard: focus the tab stop, move with arrows, close and open a folder, Enter opens.
  await tree.locator('[role=treeitem][tabindex="0"]').focus();
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), 'm_10');
  await page.keyboard.press('ArrowLeft');
  assert.match(await page.evaluate(() => document.activeElement.textContent), /numbered/);
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-expanded')), 'false');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-expanded')), 'true');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), 'm_0');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.hash === '#!/model/model.shop.m_0');
  assert.equal(await tree.locator('[role=treeitem][tabindex="0"]').count(), 1);
  // Another page: nothing stays highlighted.
  await page.goto(indexUrl(rich, '#!/run'));
  await page.locator('main h1', { hasText: 'Last run' }).waitFor();
  assert.equal(await tree.locator('.current').count(), 0);
  // docs.show: false keeps a model out of the tree, lists and search; its page still opens.
  assert.equal(await tree.locator('a.leaf', { hasText: 'secret_helper' }).count(), 0);
  await page.goto(indexUrl(rich, '#!/list/model'));
  assert.equal(await page.locator('main td a', { hasText: 'secret_helper' }).count(), 0);
  await page.goto(indexUrl(rich, '#!/model/model.shop.secret_helper'));
  assert.match(await h1(page), /secret_helper/);
  await page.goto(indexUrl(rich, '#!/lineage'));
  await page.locator('svg g.n').first().waitFor();
  assert.equal(await page.locator('svg g.n[aria-label*="secret_helper"]').count(), 0, 'not in the lineage');
  await page.locator('#q').fill('secret_helper');
  await page.locator('#qres li.empty').waitFor();
  await page.close();
});

test('interrupted run: the cancelled node is counted, drawn and listed; skipped nodes listed; failed tests are not green', async () => {
  const page = await open(indexUrl(rich, '#!/run'));
  assert.match(await page.locator('.summary').innerText(), /cancelled\s+1/);
  const bar = page.locator('svg.gantt a.bar.open');
  assert.equal(await bar.count(), 1);
  assert.match(
    (await bar.locator('title').textContent()) ?? '',
    /model\.shop\.customers · cancelled \(never finished\)/,
  );
  const problems = page.locator('section', { has: page.locator('h2', { hasText: 'Problems' }) });
  assert.match(await problems.innerText(), /customers\s+cancelled/);
  const skipped = page.locator('section', { has: page.locator('h2', { hasText: 'Skipped' }) });
  const skippedText = await skipped.innerText();
  for (const name of ['order_summary', 'unique_customers_customer_id', 'not_null_customers_customer_id'])
    assert.match(skippedText, new RegExp(name));
  // The last axis label is inside the drawing.
  const clipped = await page.evaluate(() => {
    const svg = document.querySelector('svg.gantt').getBoundingClientRect();
    const labels = [...document.querySelectorAll('svg.gantt text.tl[text-anchor]')].map((t: any) =>
      t.getBoundingClientRect(),
    );
    return labels.filter((r: any) => r.right > svg.right + 0.5 || r.left < svg.left - 0.5).length;
  });
  assert.equal(clipped, 0);
  await page.goto(indexUrl(rich, '#!/overview'));
  assert.match(await page.locator('main section', { hasText: 'Health' }).innerText(), /cancelled 1/);
  // stg_payments built, but a test on it failed: red in the tree, not green.
  await page.goto(indexUrl(rich, '#!/model/model.shop.stg_payments'));
  assert.match((await page.locator('#tree-p a.leaf.current .dot').getAttribute('class'))!, /s-bad/);
  await page.goto(indexUrl(rich, '#!/list/model'));
  assert.match(await page.locator('main tr', { hasText: 'stg_payments' }).innerText(), /test failed\s+1 failing/);
  assert.equal(await page.locator('main tr', { hasText: 'stg_payments' }).locator('.badge.s-ok').count(), 0);
  await page.close();
});

test('sources: human ages, freshness criteria, the source description', async () => {
  const page = await open(indexUrl(rich, '#!/source/source.shop.raw.payments'));
  const run = await page.locator('#run').innerText();
  assert.match(run, /Age\s+820 days/);
  assert.match(run, /Checked against\s+warn after 12 hours, error after 1 day/);
  assert.match(await page.locator('#description').innerText(), /Source raw\s+Raw data loaded by the ingestion tool\./);
  await page.goto(indexUrl(rich, '#!/source/source.shop.raw.orders'));
  assert.match(await page.locator('#details').innerText(), /Freshness\s+warn after 12 hours, error after 24 hours/);
  await page.close();
});

test('pages and fields dbt-docs has: unit tests, macro arguments, column meta and tags, foreign keys, node colour, stats', async () => {
  const page = await open(indexUrl(rich, '#!/unit_test/unit_test.shop.orders.test_order_total'));
  assert.match(await h1(page), /test_order_total/);
  const ut = await page.locator('#unit-test').innerText();
  assert.match(
    ut,
    /Given ref\('stg_orders'\)[\s\S]*order_id\s+status[\s\S]*1\s+placed[\s\S]*Expect[\s\S]*order_id\s+amount[\s\S]*1\s+10/i,
  );
  assert.match(await page.locator('#details').innerText(), /Tested\s+model\s+orders/);
  await page.goto(indexUrl(rich, '#!/macro/macro.shop.cents_to_dollars'));
  assert.match(
    await page.locator('#arguments').innerText(),
    /column\s+column name\s+The column holding cents\.[\s\S]*scale\s+integer/,
  );
  await page.goto(indexUrl(rich, '#!/model/model.shop.customers'));
  const idRow = page.locator('#columns tbody tr', { hasText: 'customer_id' }).first();
  assert.match(await idRow.innerText(), /key\s+crm/);
  assert.match(await idRow.innerText(), /pii\s+false[\s\S]*owner\s+crm/);
  assert.match(await page.locator('#details').innerText(), /Row Count\s+1,234,567[\s\S]*Approximate Size\s+11\.8 MB/);
  assert.doesNotMatch(await page.locator('#details').innerText(), /Has Stats/);
  assert.equal(await page.locator('#lineage g.n.focus rect.tag').getAttribute('style'), 'fill:#ff00aa');
  await page.goto(indexUrl(rich, '#!/model/model.shop.orders'));
  const fk = page.locator('#columns tbody tr', { hasText: 'customer_id' }).first().locator('.fk');
  assert.equal(await fk.count(), 1, 'the relationships test and the constraint name the same key once');
  assert.equal(await fk.locator('a').getAttribute('href'), '#!/model/model.shop.customers');
  assert.match(await fk.innerText(), /→ customers\.customer_id/);
  await page.close();
});

test('markdown in Chromium: parentheses in URLs, nesting, autolinks, task lists; no script runs, no unsafe link, no remote image', async () => {
  const page = await open(indexUrl(rich, '#!/model/model.shop.customers'));
  const md = page.locator('#description .md');
  assert.equal(
    await md.locator('a', { hasText: 'the docs' }).getAttribute('href'),
    'https://en.wikipedia.org/wiki/Foo_(bar)',
  );
  assert.equal(await md.locator('em > strong', { hasText: 'both' }).count(), 1);
  assert.equal(await md.locator('a[href="https://example.com/page"]').count(), 1);
  assert.equal(await md.locator('input.task[type=checkbox][disabled]').count(), 2);
  assert.equal(await md.locator('input.task:checked').count(), 1);
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script or handler ran');
  assert.equal(await md.locator('script, iframe, [onerror]').count(), 0);
  assert.match(await md.innerText(), /<script>window.__pwned = 1<\/script>/, 'raw HTML is shown as text');
  const hrefs = await md.locator('a').evaluateAll((els) => els.map((e) => e.getAttribute('href')));
  assert.ok(
    hrefs.every((h) => /^(https?:|mailto:|#|[^:]*$)/.test(h ?? '')),
    hrefs.join(' '),
  );
  const srcs = await md.locator('img').evaluateAll((els) => els.map((e) => e.getAttribute('src')));
  assert.deepEqual(
    srcs.map((x) => String(x).slice(0, 15)),
    ['data:image/png;'],
  );
  assert.equal(await md.locator('a[href="https://example.com/a.png"]').innerText(), 'remote');
  await page.close();
});

test('search: typo tolerance, filter by resource type, descriptions on the results page', async () => {
  const page = await open(indexUrl(withRun));
  await page.locator('#q').fill('lifetme');
  await page.locator('#qres li.fixed').waitFor();
  assert.match(await page.locator('#qres li.fixed').innerText(), /No match for lifetme; showing lifetime/);
  assert.match(await page.locator('#qres [role=option]').first().innerText(), /customers/);
  await page.goto(indexUrl(withRun, '#!/search?q=orders'));
  const filters = page.locator('nav.filters');
  assert.match(await filters.innerText(), /All\s+\d+[\s\S]*Models\s+\d+[\s\S]*Tests\s+\d+/);
  const allCount = await page.locator('.search-page li').count();
  // Descriptions are on the results page.
  assert.match(
    await page.locator('.search-page li', { hasText: 'stg_orders' }).first().locator('.sr-desc').innerText(),
    /One of placed/,
  );
  await filters.locator('a', { hasText: 'Models' }).click();
  await page.waitForFunction(() => location.hash.includes('type=model'));
  const types = await page.locator('.search-page li .tbadge').allInnerTexts();
  assert.ok(types.length > 0 && types.length < allCount);
  assert.deepEqual([...new Set(types)], ['model']);
  assert.equal(
    await filters
      .locator('a.on')
      .innerText()
      .then((t) => t.replace(/\s+\d+$/, '')),
    'Models',
  );
  await page.close();
});

test('at 420 px wide no page scrolls sideways and the search box is usable', async () => {
  const page = await open(indexUrl(rich));
  await page.setViewportSize({ width: 420, height: 800 });
  const pages = [
    '#!/overview',
    '#!/model/model.shop.customers',
    '#!/model/model.shop.orders',
    '#!/lineage',
    '#!/run',
    '#!/search?q=orders',
    '#!/list/test',
    '#!/source_list/raw',
    '#!/source/source.shop.raw.payments',
    '#!/macro/macro.shop.cents_to_dollars',
    '#!/unit_test/unit_test.shop.orders.test_order_total',
  ];
  for (const hash of pages) {
    await page.goto(indexUrl(rich, hash));
    await page.waitForFunction(() => window.__kiln?.ready === true);
    const { scroll, search } = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      search: document.getElementById('q').getBoundingClientRect().width,
    }));
    assert.ok(scroll <= 420, `${hash} is ${scroll} px wide`);
    assert.ok(search >= 300, `${hash}: the search box is ${search} px wide`);
  }
  await page.locator('#q').fill('customers');
  await page.locator('#qres [role=option]').first().waitFor();
  const list = (await page.locator('#qres').boundingBox())!;
  assert.ok(list.x >= 0 && list.x + list.width <= 420, 'results fit the screen');
  await shot(page, '09-narrow');
  await page.close();
});

test('no page errors and no request left the machine', () => {
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(browser.offHost, []);
});
