/**
 * Column lineage in the docs site, in real headless Chromium from file://: a model page's
 * columns say where each comes from, and clicking a column shows its upstream and
 * downstream columns with the kind of each path.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { kiln, copyExample, removeDir } from './helpers/cli.js';
import { launchChromium, openSite } from './fixtures/docs/browser.js';

declare const document: any;

const dir = copyExample();
after(() => removeDir(dir));

test('a model page shows where each column comes from, and a clicked column its lineage', async () => {
  const gen = kiln(['docs', 'generate', '--empty-catalog', '--project-dir', dir]);
  assert.equal(gen.code, 0, gen.stderr);
  const browser = await launchChromium();
  try {
    const { page, errors } = await openSite(browser, dir, '#!/model/model.pottery_shop.fct_orders');
    await page.waitForSelector('button.col-lin[data-col="order_total"]', { timeout: 10000 });

    // The columns table: each column's direct upstream columns and kinds.
    const origin = (name: string) =>
      page.evaluate((n: string) => {
        const row = document.querySelector(`button.col-lin[data-col="${n}"]`).closest('tr');
        return row.children[3].innerText.replace(/\s+/g, ' ').trim();
      }, name);
    assert.equal(await origin('order_id'), 'stg_orders.order_id copied');
    assert.equal(
      await origin('order_total'),
      'int_order_totals.subtotal transformed int_order_totals.vat_amount transformed stg_orders.shipping_amount transformed',
    );
    assert.equal(await page.evaluate(() => document.querySelector('.col-lineage').hidden), true);

    await page.click('button.col-lin[data-col="order_total"]');
    const panel = () =>
      page.evaluate(() => ({
        hidden: document.querySelector('.col-lineage').hidden,
        up: [...document.querySelectorAll('.col-up li')].map((li: any) => li.innerText.replace(/\s+/g, ' ').trim()),
        down: [...document.querySelectorAll('.col-down li')].map((li: any) => li.innerText.replace(/\s+/g, ' ').trim()),
      }));
    const shown = await panel();
    assert.equal(shown.hidden, false);
    assert.ok(shown.up.includes('int_order_totals.subtotal transformed'), shown.up.join(' | '));
    assert.ok(
      shown.up.includes('raw_order_items.unit_price_cents aggregated'),
      'through the ephemeral model to the seed',
    );
    assert.ok(shown.up.includes('stg_orders.order_id filter'));
    assert.ok(shown.down.includes('customer_lifetime_value.lifetime_gross_revenue aggregated'), shown.down.join(' | '));
    assert.ok(shown.down.includes('monthly_revenue.total_revenue aggregated'));

    // A second click on the same column closes the panel; a link goes to the upstream model's page.
    await page.click('button.col-lin[data-col="order_total"]');
    assert.equal((await panel()).hidden, true);
    await page.click('button.col-lin[data-col="order_id"]');
    await page.click('.col-up a.nlink');
    await page.waitForFunction(
      () => document.querySelector('article.node-page')?.getAttribute('data-id') !== 'model.pottery_shop.fct_orders',
      undefined,
      { timeout: 10000 },
    );
    assert.match(
      await page.evaluate(() => document.querySelector('article.node-page').getAttribute('data-id')),
      /^(model|source|seed)\.pottery_shop\./,
    );
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
