import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { kiln, copyExample, removeDir, writeProject, minimalProject } from './helpers/cli.js';
import { generateDocs, serveDocs } from '../src/index.js';
import type { DocsOptions } from '../src/tasks/options.js';

const dir = copyExample();
after(() => removeDir(dir));

test('kiln docs generate writes catalog.json from the warehouse, column lineage and the site', async () => {
  assert.equal(kiln(['build', '--project-dir', dir]).code, 0);
  assert.ok(!existsSync(join(dir, 'target', 'column_lineage.json')), 'build computes no lineage');
  const r = kiln(['docs', 'generate', '--project-dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  const target = join(dir, 'target');
  for (const f of ['index.html', 'manifest.json', 'catalog.json']) assert.ok(existsSync(join(target, f)), f);
  const catalog = JSON.parse(readFileSync(join(target, 'catalog.json'), 'utf8'));
  const fct = catalog.nodes['model.pottery_shop.fct_orders'];
  assert.equal(fct.metadata.type, 'BASE TABLE');
  assert.equal(fct.columns.order_id.index, 1);
  assert.equal(catalog.nodes['model.pottery_shop.stg_orders'].metadata.type, 'VIEW');
  assert.equal(catalog.nodes['model.pottery_shop.int_order_totals'], undefined, 'ephemeral models have no relation');
  // The site shows column lineage, computed by docs generate (build and compile compute none).
  assert.ok(existsSync(join(target, 'column_lineage.json')));
  const window: { __KILN_DATA__?: { nodes: Array<{ id: string; cols?: Array<{ name: string; up?: unknown[] }> }> } } =
    {};
  runInNewContext(readFileSync(join(target, 'kiln-data.js'), 'utf8'), { window });
  const site = window.__KILN_DATA__!;
  const total = site.nodes
    .find((n) => n.id === 'model.pottery_shop.fct_orders')
    ?.cols?.find((c) => c.name === 'order_total');
  assert.ok(total?.up?.length, 'fct_orders.order_total has upstream columns in the site data');
  const html = readFileSync(join(target, 'index.html'), 'utf8');
  assert.doesNotMatch(html, /https?:\/\/(?!127\.0\.0\.1|localhost)[a-z]/i, 'no request to another host');

  const server = await serveDocs({ dir: target, port: 0 });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+/);
    const res = await fetch(server.url + '/index.html');
    assert.equal(res.status, 200);
    const outside = await fetch(server.url + '/..%2f..%2fdbt_project.yml');
    assert.notEqual(outside.status, 200);
  } finally {
    await server.close();
  }
});

test('kiln docs generate --static writes one self-contained file', () => {
  const r = kiln(['docs', 'generate', '--project-dir', dir, '--static', '--empty-catalog']);
  assert.equal(r.code, 0, r.stderr);
  const file = join(dir, 'target', 'static_index.html');
  assert.ok(existsSync(file));
  const html = readFileSync(file, 'utf8');
  assert.match(html, /fct_orders/);
  assert.doesNotMatch(html, /<script[^>]+src=/, 'scripts are inline');
});

test('docs generate whose database cannot be opened says why, once compiled, and exits', () => {
  const project = writeProject(
    minimalProject({
      'profiles.yml': 'tiny:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: not_a_file\n',
      'not_a_file/.keep': '',
      'models/a.sql': 'select 1 as id',
    }),
  );
  try {
    // The catalog is read while manifest.json is written: its error comes once compiling is done.
    for (const args of [[], ['--no-compile']]) {
      const r = kiln(['docs', 'generate', '--project-dir', project, '--profiles-dir', project, ...args]);
      assert.equal(r.code, 1, r.stderr + r.stdout);
      assert.match(r.stderr, /cannot open DuckDB database .*not_a_file/);
      assert.doesNotMatch(r.stderr, /unhandled|UnhandledPromiseRejection/i);
      assert.ok(existsSync(join(project, 'target', 'manifest.json')));
    }
  } finally {
    removeDir(project);
  }
});

test('docs generate after a compile replay writes what the full compile writes', async () => {
  const project = copyExample();
  // A snapshot with the check strategy: its updated_at none, which manifest.json writes as null, as an absent one.
  mkdirSync(join(project, 'snapshots'));
  writeFileSync(
    join(project, 'snapshots', 'orders_snapshot.sql'),
    "{% snapshot orders_snapshot %}\n{{ config(target_schema='snapshots', unique_key='order_id', strategy='check', check_cols=['status'], updated_at=none) }}\nselect * from {{ ref('stg_orders') }}\n{% endsnapshot %}\n",
  );
  const target = join(project, 'target');
  const outputs = (files: string[]) =>
    Object.fromEntries(
      files.map((f) => [
        f,
        readFileSync(join(target, f), 'utf8')
          .replace(/"(generated_at|generatedAt)":"[^"]*"/g, '"$1":"-"')
          .replace(/"created_at":[0-9.e+-]+/g, '"created_at":0'),
      ]),
    );
  const docs = async (opts: DocsOptions) => {
    const said: string[] = [];
    await generateDocs({ projectDir: project, invocationId: 'docs-paths', onDebug: (m) => said.push(m), ...opts });
    return said.some((m) => m.startsWith('docs generate: catalog, lineage and site from manifest.json'));
  };
  const site = ['index.html', 'kiln-data.js'];
  const artifacts = ['manifest.json', 'catalog.json', 'column_lineage.json'];
  let edits = 0;
  const editModel = () => appendFileSync(join(project, 'models', 'marts', 'fct_orders.sql'), `\n-- edit ${++edits}\n`);
  try {
    assert.equal(kiln(['build', '--project-dir', project]).code, 0);
    assert.equal(await docs({}), false, 'the first compile is full');
    const cases: Array<{
      name: string;
      opts: DocsOptions;
      files: string[];
      replays: boolean;
      secret?: boolean;
      selectors?: 'named' | 'default';
    }> = [
      { name: 'nothing changed', opts: {}, files: [...artifacts, ...site], replays: true },
      { name: 'one model edited', opts: {}, files: [...artifacts, ...site], replays: true },
      { name: '--static', opts: { static: true }, files: [...artifacts, 'static_index.html'], replays: true },
      // The secret's value is in the SQL: every output scrubs it, and the compile does not replay.
      { name: 'a secret set', opts: {}, files: [...artifacts, ...site], replays: false, secret: true },
      {
        name: '--no-compile',
        opts: { noCompile: true },
        files: ['manifest.json', 'catalog.json', ...site],
        replays: false,
      },
      // Named selectors choose nothing for a bare docs generate: it replays.
      {
        name: 'selectors.yml with no default',
        opts: {},
        files: [...artifacts, ...site],
        replays: true,
        selectors: 'named',
      },
      // A default selector chooses the catalog's relations: neither the compile nor docs generate replays.
      { name: 'a default selector', opts: {}, files: [...artifacts, ...site], replays: false, selectors: 'default' },
    ];
    for (const c of cases) {
      if (c.name !== 'nothing changed') editModel();
      if (c.secret) process.env.DBT_ENV_SECRET_DOCS_PATHS = 'completed';
      if (c.selectors)
        writeFileSync(
          join(project, 'selectors.yml'),
          `selectors:\n  - name: marts\n${c.selectors === 'default' ? '    default: true\n' : ''}    definition: "tag:marts"\n`,
        );
      try {
        assert.equal(await docs(c.opts), c.replays, `${c.name}: replayed`);
        const replayed = outputs(c.files);
        assert.equal(await docs({ ...c.opts, partialParse: false }), false);
        const full = outputs(c.files);
        for (const f of c.files) assert.equal(difference(replayed[f]!, full[f]!), undefined, `${c.name}: ${f}`);
        if (c.secret) assert.doesNotMatch(replayed['kiln-data.js']!, /'completed'/, 'the secret is scrubbed');
      } finally {
        delete process.env.DBT_ENV_SECRET_DOCS_PATHS;
      }
      // The next case starts from a full compile's cache, as the replay leaves it after its own.
      await docs(c.opts.noCompile ? {} : c.opts);
    }
  } finally {
    removeDir(project);
  }
});

/** Where two texts first differ, with some context, or undefined when they are the same. */
function difference(a: string, b: string): string | undefined {
  if (a === b) return undefined;
  let i = 0;
  while (a[i] === b[i]) i++;
  return `at ${i}: ${JSON.stringify(a.slice(Math.max(0, i - 80), i + 80))} vs ${JSON.stringify(b.slice(Math.max(0, i - 80), i + 80))}`;
}
