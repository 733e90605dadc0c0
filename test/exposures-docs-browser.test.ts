/**
 * The site `kiln docs generate` writes for project-example shows its exposure, opened from
 * file:// in real headless Chromium: the exposure's page with its type, maturity, owner and
 * the models it reads, and the models' pages list it as a dependant.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { kiln, copyExample, removeDir } from './helpers/cli.js';
import { launchChromium } from './fixtures/docs/browser.js';

declare const window: any;
declare const document: any;

const dir = copyExample();
after(() => removeDir(dir));

test("project-example's exposure is in its manifest and on its generated docs site", async () => {
  const gen = kiln(['docs', 'generate', '--project-dir', dir, '--empty-catalog']);
  assert.equal(gen.code, 0, gen.stderr);
  const manifest = JSON.parse(readFileSync(join(dir, 'target', 'manifest.json'), 'utf8'));
  const id = 'exposure.pottery_shop.revenue_dashboard';
  assert.deepEqual(manifest.parent_map[id].sort(), [
    'model.pottery_shop.customer_lifetime_value',
    'model.pottery_shop.monthly_revenue',
  ]);
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const index = pathToFileURL(join(dir, 'target', 'index.html')).href;
    await page.goto(`${index}#!/exposure/${id}`);
    await page.waitForFunction(() => window.__kiln?.ready === true, undefined, { timeout: 15000 });
    await page.waitForFunction(() => document.body.innerText.includes('Sales operations'), undefined, {
      timeout: 10000,
    });
    const text: string = await page.evaluate(() => document.body.innerText);
    assert.match(text, /revenue_dashboard/);
    assert.match(text, /dashboard/);
    assert.match(text, /medium/, 'maturity');
    assert.match(text, /Monthly revenue and customer lifetime value/, 'description');
    assert.match(text, /monthly_revenue/, 'a parent is listed');
    assert.match(text, /customer_lifetime_value/, 'the other parent is listed');
    // The model's page names the exposure among what reads it.
    await page.goto(`${index}#!/model/model.pottery_shop.monthly_revenue`);
    await page.waitForFunction(() => document.body.innerText.includes('revenue_dashboard'), undefined, {
      timeout: 10000,
    });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
