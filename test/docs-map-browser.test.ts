/**
 * The whole-project map of the docs site at 10,000 models, in headless Chromium:
 * groups instead of a sliver of models, opening on click and on zoom, closing on
 * zoom out, readable labels at every step, and large selections drawn the same way.
 * Timings are printed by `node dist/bench/docs.js`, not asserted here.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { writeDocsSite } from '../src/docs/site.js';
import { launchChromium, type Browser } from './fixtures/docs/browser.js';
import { syntheticProject } from './fixtures/docs/synthetic.js';

declare const window: any;
declare const document: any;

let dir = '';
let browser: Browser;
const pageErrors: string[] = [];

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kiln-docs-map-'));
  const project = syntheticProject(10000);
  await writeDocsSite(dir, { manifest: project.manifest, runResults: project.runResults }, {});
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function open(hash: string): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(pathToFileURL(path.join(dir, 'index.html')).href + hash);
  await page.waitForFunction(() => window.__kiln?.ready === true, undefined, { timeout: 30000 });
  return page;
}

/** What the map shows: boxes, groups, the scale, and the smallest label height on screen. */
async function mapState(
  page: Page,
): Promise<{ boxes: number; groups: string[]; nodes: number; scale: number; smallestLabel: number }> {
  return page.evaluate(() => {
    const vp = document.querySelector('svg.lin-svg .vp');
    const scale = Number(/scale\(([\d.]+)\)/.exec(vp.getAttribute('transform'))![1]);
    const canvas = document.querySelector('.lin-canvas').getBoundingClientRect();
    let smallest = Infinity;
    for (const t of document.querySelectorAll('svg.lin-svg g.cl text.cl-name, svg.lin-svg g.n text')) {
      const r = t.getBoundingClientRect();
      if (r.bottom < canvas.top || r.top > canvas.bottom || r.right < canvas.left || r.left > canvas.right) continue;
      smallest = Math.min(smallest, parseFloat(getComputedStyle(t).fontSize) * scale);
    }
    return {
      boxes: document.querySelectorAll('svg.lin-svg g.cl, svg.lin-svg g.n').length,
      groups: [...document.querySelectorAll('svg.lin-svg g.cl')].map((g: any) => g.getAttribute('aria-label')),
      nodes: document.querySelectorAll('svg.lin-svg g.n').length,
      scale,
      smallestLabel: smallest,
    };
  });
}
declare function getComputedStyle(el: unknown): any;

async function wheelOver(page: Page, selector: string, deltaY: number): Promise<void> {
  const box = (await page.locator(selector).first().boundingBox())!;
  await page.mouse.move(box.x + 20, box.y + 10);
  await page.mouse.wheel(0, deltaY);
}

test('the whole project at 10,000 models is a map of folders with readable labels, opening on click', async () => {
  const page = await open('#!/lineage');
  await page.locator('svg g.cl').first().waitFor();
  const first = await mapState(page);
  assert.ok(first.boxes <= 24 && first.boxes >= 4, `a readable first map, not 10,000 boxes (${first.boxes})`);
  assert.ok(
    first.groups.some((g) => /^group bench\/models\/marts, 1,250 nodes/.test(g)),
    first.groups.join('\n'),
  );
  assert.ok(first.smallestLabel >= 8.39, `labels at least 8.4 px on screen (${first.smallestLabel})`);
  assert.match(await page.locator('.lin-note').innerText(), /Map of 10,200 nodes/);
  assert.equal(await page.locator('.lin-note [data-act=all]').count(), 0, 'no cap and no "Draw all"');
  // Edges between groups are aggregated: drawn thicker for more dependencies, counted on each group.
  const widths = await page
    .locator('svg path.e')
    .evaluateAll((els) => els.map((e) => (e as any).style.strokeWidth).filter(Boolean));
  assert.ok(new Set(widths).size >= 2, `edges of several widths (${widths.join(', ')})`);
  assert.match((await page.locator('svg g.cl title').first().textContent())!, /[\d,]+ dependencies in, [\d,]+ out/);
  // Failed models are counted on their groups.
  assert.ok((await page.locator('svg g.cl.has-bad').count()) > 0);
  await page.screenshot({ path: path.join(dir, 'map.png') });

  // Click a group: it opens into its subfolders, in place.
  const marts = page.locator('svg g.cl[aria-label^="group bench/models/marts,"]');
  await marts.click();
  await page.waitForFunction(() => !document.querySelector('svg g.cl[aria-label^="group bench/models/marts,"]'));
  const opened = await mapState(page);
  assert.ok(
    opened.groups.some((g) => g.startsWith('group bench/models/marts/sub_0,')),
    opened.groups.join('\n'),
  );
  assert.ok(opened.smallestLabel >= 8.39);
  assert.match(await page.locator('.lin-note').innerText(), /Open: bench\/models\/marts/);
  // Two folders called sub_1 (in finance and in marts) read differently on the map.
  const names = await page.locator('svg g.cl text.cl-name').allTextContents();
  assert.equal(new Set(names).size, names.length, names.join(' | '));
  assert.ok(names.includes('▸ models/marts/sub_1') && names.includes('▸ models/finance/sub_1'), names.join(' | '));

  // Keep opening down to models: Enter on a subfolder draws its models.
  await page.locator('svg g.cl[aria-label^="group bench/models/marts/sub_0,"]').focus();
  await page.keyboard.press('Enter');
  await page.locator('svg g.n[aria-label^="model m_"]').first().waitFor();
  const models = await mapState(page);
  assert.ok(
    models.nodes >= 90 && models.boxes <= 300,
    `models drawn, within the box budget (${models.nodes}, ${models.boxes})`,
  );
  assert.ok(models.smallestLabel >= 8.39);
  // Closing from the note returns to the level above.
  await page.locator('.lin-note [data-close]', { hasText: 'bench/models/marts' }).first().click();
  await page.locator('svg g.cl[aria-label^="group bench/models/marts,"]').waitFor();
  await page.close();
});

test('the map opens on zoom in and closes on zoom out (semantic zoom), labels stay readable', async () => {
  const page = await open('#!/lineage');
  await page.locator('svg g.cl').first().waitFor();
  const before = await mapState(page);
  let opened = before;
  for (let k = 0; k < 12 && opened.groups.join() === before.groups.join(); k++) {
    await wheelOver(page, 'svg g.cl', -100);
    opened = await mapState(page);
    assert.ok(opened.smallestLabel >= 8.39, `readable while zooming in (${opened.smallestLabel})`);
  }
  assert.notDeepEqual(opened.groups, before.groups, 'zooming in over a group opened it');
  const openCount = await page.locator('.lin-note [data-close]').count();
  assert.equal(openCount, 1);
  let closed = opened;
  for (let k = 0; k < 12 && (await page.locator('.lin-note [data-close]').count()) > 0; k++) {
    await wheelOver(page, 'svg.lin-svg', 100);
    closed = await mapState(page);
    assert.ok(closed.smallestLabel >= 8.39, `readable while zooming out (${closed.smallestLabel})`);
  }
  assert.equal(await page.locator('.lin-note [data-close]').count(), 0, 'zooming out closed the group');
  assert.deepEqual(closed.groups.slice().sort(), before.groups.slice().sort());
  await page.close();
});

test('a selection of ~900 models is drawn as a map of its own, not capped; grouping by group works', async () => {
  const page = await open('#!/lineage?select=' + encodeURIComponent('tag:t3'));
  await page.locator('svg g.cl').first().waitFor();
  const note = await page.locator('.lin-note').innerText();
  const total = Number(/Map of ([\d,]+) nodes/.exec(note)![1]!.replace(/,/g, ''));
  assert.ok(total > 800 && total < 1000, note);
  const groups = await mapState(page);
  const sum = await page.evaluate(
    () =>
      [...document.querySelectorAll('svg g.cl')].reduce(
        (s: number, g: any) =>
          s + Number(/, ([\d,]+) nodes?/.exec(g.getAttribute('aria-label'))![1]!.replace(/,/g, '')),
        0,
      ) + document.querySelectorAll('svg g.n').length,
  );
  assert.equal(sum, total, 'every selected model is in exactly one box');
  assert.ok(groups.boxes <= 24);
  // Grouped by dbt group instead of folder.
  await page.locator('select[name=group]').selectOption('group');
  await page.locator('svg g.cl[aria-label^="group finance,"]').waitFor();
  // The 800 models in no group are split into ranges of names, each a box.
  assert.ok((await page.locator('svg g.cl[aria-label^="group no group (m_"]').count()) >= 5);
  await page.close();
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(browser.offHost, []);
});
