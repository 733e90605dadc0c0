/**
 * One selection grammar: `kiln ls -s X --exclude Y` and the docs site's lineage box, typed
 * into in headless Chromium, pick the same nodes of a real project (project-example, built,
 * plus two models whose names differ only in case from a pattern). The box draws only
 * graph nodes (no tests), so the CLI's answer is compared on those.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, copyExample, removeDir, tempDir } from './helpers/cli.js';
import { launchChromium, openSite } from './fixtures/docs/browser.js';
import { GRAPH_TYPES } from '../src/docs/model.js';

declare const window: { __kiln: { perf: unknown[] } };

const dir = copyExample();
const state = tempDir('kiln-state-');
after(() => (removeDir(dir), removeDir(state)));

writeFileSync(
  join(dir, 'models', 'marts', 'Weekly_Revenue.sql'),
  "{{ config(tags=['finance']) }}\nselect * from {{ ref('monthly_revenue') }}\n",
);
writeFileSync(join(dir, 'models', 'staging', 'stg_Legacy_orders.sql'), "select * from {{ ref('stg_orders') }}\n");

/** [select, exclude]: each a row of the table both must agree on. */
const table: Array<[string, string?]> = [
  ['fct_orders'],
  ['+fct_orders'],
  ['fct_orders+'],
  ['1+stg_orders+1'],
  ['@stg_orders'],
  ['2+int_order_totals'],
  ['stg_*'],
  ['STG_*'],
  ['stg_[!o]*'],
  ['Weekly_*'],
  ['weekly_*'],
  ['*_orders'],
  ['marts.*'],
  ['pottery_shop.staging'],
  ['*.fct_orders'],
  ['staging.stg_orders+1'],
  ['tag:marts'],
  ['tag:Mar*'],
  ['tag:fin*+'],
  ['path:models/staging'],
  ['models/marts/fct_orders.sql'],
  ['path:models/*/int_*'],
  ['file:fct_orders.sql'],
  ['file:stg_*'],
  ['source:shop'],
  ['source:shop.raw_orders+'],
  ['source:shop.raw_o*+1'],
  ['exposure:revenue_dashboard'],
  ['+exposure:revenue_dashboard'],
  ['resource_type:seed'],
  ['resource_type:source+1'],
  ['config.materialized:table'],
  ['config.materialized:view,+fct_orders'],
  ['package:this', 'resource_type:seed'],
  ['access:protected,tag:marts'],
  ['version:none'],
  ['@test_type:singular'],
  ['test_name:relationships'],
  ['1+staging.unique_*'],
  ['result:success'],
  ['@result:warn'],
  ['stg_orders stg_customers'],
  ['tag:marts,fct_orders+'],
  ['+fct_orders', 'resource_type:seed stg_products'],
  ['', 'marts.*'],
];

/** The graph nodes `kiln ls` selects; `state` holds the build's artifacts for `result:`. */
function cli(select: string, exclude: string | undefined): string[] {
  const args = [
    'ls',
    '--project-dir',
    dir,
    '--state',
    state,
    '--output',
    'json',
    '--output-keys',
    'unique_id',
    'resource_type',
  ];
  if (select) args.push('-s', select);
  if (exclude) args.push('--exclude', exclude);
  const r = kiln(args);
  assert.equal(r.code, 0, `kiln ls -s '${select}' --exclude '${exclude ?? ''}': ${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { unique_id: string; resource_type: string })
    .filter((n) => GRAPH_TYPES.has(n.resource_type))
    .map((n) => n.unique_id)
    .sort();
}

test('the CLI and the docs site box select the same nodes, selector by selector', async () => {
  const build = kiln(['build', '--project-dir', dir]);
  assert.equal(build.code, 0, build.stderr);
  const gen = kiln(['docs', 'generate', '--project-dir', dir]);
  assert.equal(gen.code, 0, gen.stderr);
  cpSync(join(dir, 'target'), state, { recursive: true });
  const browser = await launchChromium();
  try {
    const { page, errors } = await openSite(browser, dir, '#!/lineage');
    await page.waitForSelector('svg.lin-svg g.n');
    /** Types the selection into the box, submits it, and reads the node ids drawn. */
    const box = async (select: string, exclude: string | undefined): Promise<{ ids: string[]; note: string }> => {
      const before = await page.evaluate(() => window.__kiln.perf.length);
      await page.locator('input[name=select]').fill(select);
      await page.locator('input[name=exclude]').fill(exclude ?? '');
      await page.locator('input[name=select]').press('Enter');
      await page.waitForFunction((n) => window.__kiln.perf.length > n, before);
      const ids = await page.locator('svg.lin-svg g.n title').evaluateAll((els) =>
        els.map((e) =>
          String(e.textContent)
            .replace(/^\w+: /, '')
            .replace(/ \(.*\)$/, ''),
        ),
      );
      return { ids: ids.sort(), note: await page.locator('.lin-note').innerText() };
    };
    let nonEmpty = 0;
    for (const [select, exclude] of table) {
      const expected = cli(select, exclude);
      const got = await box(select, exclude);
      assert.deepEqual(got.ids, expected, `select '${select}' exclude '${exclude ?? ''}' (box note: ${got.note})`);
      if (expected.length) nonEmpty++;
    }
    assert.ok(nonEmpty >= table.length - 4, `most rows select something (${nonEmpty} of ${table.length})`);
    // A malformed selector: the CLI exits 2 and the box says the same first line.
    const bad = kiln(['ls', '--project-dir', dir, '-s', '2+@fct_orders']);
    assert.equal(bad.code, 2);
    const first = /error: (.*)/.exec(bad.stderr)![1]!;
    assert.match(first, /'@' may only come first/);
    const shown = await box('2+@fct_orders', undefined);
    assert.deepEqual(shown.ids, []);
    assert.ok(shown.note.startsWith(first), `box note: ${shown.note}`);
    assert.deepEqual(errors, []);
    assert.deepEqual(browser.offHost, []);
  } finally {
    await browser.close();
  }
});
