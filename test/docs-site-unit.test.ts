import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { layeredLayout } from '../docs-site/src/layout.js';
import {
  buildClusterTree,
  CHUNK,
  clustersAbove,
  clusterUnit,
  initialExpansion,
  mapGraph,
  naturalCompare,
} from '../docs-site/src/clusters.js';
import { siteSelection } from '../docs-site/src/selection-graph.js';
import { renderMarkdown } from '../src/docs/markdown.js';
import { editDistance, SearchIndex } from '../docs-site/src/search-index.js';
import { buildSiteData, makeDocResolver } from '../src/docs/site-data.js';
import { criticalPath } from '../docs-site/src/critical-path.js';
import { dataScript, dataScriptChunks, renderShell } from '../src/docs/html.js';
import { serveDocs } from '../src/docs/serve.js';
import { writeDocsSite } from '../src/docs/site.js';
import { GRAPH_TYPES, type SiteData } from '../src/docs/model.js';

const ROOT = new URL('../../', import.meta.url);
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`test/fixtures/docs/shop/${name}`, ROOT), 'utf8'));
const shop = () => ({
  manifest: fixture('manifest.json'),
  catalog: fixture('catalog.json'),
  runResults: fixture('run_results.json'),
  sources: fixture('sources.json'),
});

test('layout: parents left of children, no overlapping boxes, cycles tolerated', () => {
  const edges: [number, number][] = [
    [0, 2],
    [1, 2],
    [2, 3],
    [2, 4],
    [0, 4],
    [4, 5],
    [5, 4],
  ];
  const lay = layeredLayout(6, edges, { nodeWidth: 100, nodeHeight: 20, gapY: 10 });
  for (const [a, b] of edges.slice(0, 5)) assert.ok(lay.x[a]! < lay.x[b]!, `edge ${a}->${b} goes right`);
  for (let i = 0; i < 6; i++)
    for (let j = i + 1; j < 6; j++) {
      if (lay.x[i] === lay.x[j]) assert.ok(Math.abs(lay.y[i]! - lay.y[j]!) >= 30, `nodes ${i},${j} overlap`);
    }
  assert.ok(lay.width > 0 && lay.height > 0);
  assert.equal(layeredLayout(0, []).width, 0);
});

test('layout: a 10,000-node graph lays out in well under a second', () => {
  const n = 10000;
  const edges: [number, number][] = [];
  for (let i = 50; i < n; i++) {
    edges.push([Math.floor(i * 0.7), i]);
    edges.push([i - 1 - (i % 37), i]);
  }
  const t0 = performance.now();
  const lay = layeredLayout(n, edges, { sweeps: 2 });
  const ms = performance.now() - t0;
  assert.equal(lay.x.length, n);
  assert.ok(ms < 3000, `took ${ms} ms`);
});

test('map clusters: single-folder chains merge, big folders split into name ranges, edges between units are counted', () => {
  // 0..399 in a/b/c (one chain of single folders), 400..409 in a/d; edges i-1 -> i.
  const members = Array.from({ length: 410 }, (_v, i) => i);
  const pathOf = (i: number) => (i < 400 ? ['a', 'b', 'c'] : ['a', 'd']);
  const name = (i: number) => `m_${i}`;
  const tree = buildClusterTree(members, pathOf, name);
  assert.deepEqual(tree.label.slice(0, 3), ['', 'a', 'b/c'], 'b and c merge into one cluster');
  const bc = tree.label.indexOf('b/c');
  assert.equal(tree.size[bc], 400);
  assert.equal(tree.leaves[bc]!.length, 0, 'over CHUNK members are split');
  assert.ok(tree.kids[bc]!.every((k) => tree.leaves[k]!.length <= CHUNK));
  assert.equal(tree.label[tree.kids[bc]![0]!], 'm_0 … m_133', 'ranges in natural order');
  assert.equal(tree.path[tree.kids[bc]![0]!], 'a/b/c (m_0 … m_133)');
  const parents = members.map((i) => (i > 0 ? [i - 1] : []));
  // Everything closed: one unit, no edges.
  assert.deepEqual(mapGraph(tree, new Set([0]), parents), { units: [clusterUnit(1)], edges: [] });
  // a open: b/c and d, one edge (399 -> 400) between them.
  const g = mapGraph(tree, new Set([0, 1]), parents);
  assert.equal(g.units.length, 2);
  assert.deepEqual(
    g.edges.map((e) => e.count),
    [1],
  );
  // b/c open: its three ranges, counted edges between consecutive ranges; d's leaves stay hidden.
  const g2 = mapGraph(tree, new Set([0, 1, bc]), parents);
  assert.equal(g2.units.length, 4);
  assert.equal(
    g2.edges.reduce((s, e) => s + e.count, 0),
    3,
  );
  // The first map opens levels within its budget.
  assert.ok(initialExpansion(tree, 5).has(1));
  assert.ok(!initialExpansion(tree, 1).has(1));
  assert.deepEqual(clustersAbove(tree, 405), [1, tree.label.indexOf('d')]);
  assert.ok(naturalCompare('m_2', 'm_10') < 0);
});

test('selection box: the CLI grammar over the site data (graph operators, methods, union, intersection, exclude)', () => {
  const data = buildSiteData(shop());
  const box = siteSelection(data.nodes, data.project.name);
  const shown = (s: Set<number>) => [...s].filter((i) => GRAPH_TYPES.has(data.nodes[i]!.type));
  const names = (s: Set<number>) =>
    shown(s)
      .map((i) => data.nodes[i]!.name)
      .sort();
  assert.deepEqual(
    shown(box.select('orders')).map((i) => data.nodes[i]!.id),
    ['model.shop.orders'],
    'a bare name leaves the same-named source out',
  );
  assert.deepEqual(names(box.select('1+customers')), ['customers', 'stg_customers', 'stg_orders', 'stg_payments']);
  assert.ok(box.select('+customers').has(data.nodes.findIndex((n) => n.id === 'source.shop.raw.customers')));
  assert.deepEqual(names(box.select('tag:finance')), ['customers', 'orders']);
  assert.deepEqual(names(box.select('tag:finance,config.materialized:table')), ['customers', 'orders']);
  assert.deepEqual(names(box.select('tag:staging', 'stg_payments')), ['stg_customers', 'stg_orders']);
  assert.deepEqual(names(box.select('source:raw.orders+1')), ['orders', 'stg_orders']);
  assert.deepEqual(names(box.select('path:models/marts')), ['customers', 'order_summary', 'orders']);
  assert.deepEqual(names(box.select('resource_type:seed')), ['payment_methods']);
  assert.deepEqual(names(box.select('result:error')), ['orders']);
  assert.deepEqual(names(box.select('shop.marts.reporting')), ['order_summary']);
  assert.deepEqual(names(box.select('stg_*', 'stg_orders stg_payments')), ['stg_customers']);
  assert.ok(names(box.select('@stg_payments')).includes('stg_orders'), '@ adds parents of descendants');
  assert.ok(
    box.select('').size > data.nodes.filter((n) => GRAPH_TYPES.has(n.type)).length - 1,
    'an empty box is everything',
  );
  // dbt's globs are case-sensitive; the old box matched names case-insensitively.
  assert.deepEqual(names(box.select('STG_*')), []);
  assert.deepEqual(names(box.select('stg_[!o]*')), ['stg_customers', 'stg_payments']);
  assert.throws(() => box.select('2+@orders'), /'@' may only come first/);
  assert.throws(() => box.select('state:modified'), /docs site does not have/);
  // A test's fqn is left out of the site data when its file gives it, and selection still reads it.
  const test = data.nodes.find((n) => n.name === 'unique_orders_order_id')!;
  assert.equal(test.fqn, undefined);
  assert.deepEqual(
    [...box.select('shop.unique_orders_*')].map((i) => data.nodes[i]!.name),
    ['unique_orders_order_id'],
  );
});

test('the selection code the browser bundles is pure: no Node module, no package', () => {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(new URL(file, ROOT), 'utf8');
    for (const [, spec] of text.matchAll(/^import (?!type )[^;]*? from '([^']+)';/gm)) {
      assert.ok(spec!.startsWith('.'), `${file} imports '${spec}'`);
      visit(path.posix.join(path.posix.dirname(file), spec!.replace(/\.js$/, '.ts')));
    }
  };
  visit('docs-site/src/selection-graph.ts');
  assert.ok(seen.has('src/graph/selector.ts') && seen.has('src/graph/selection/methods.ts'), [...seen].join(', '));
});

test('markdown: constructs render, HTML is escaped, unsafe links and remote images are dropped', () => {
  const html = renderMarkdown(
    '# Title\n\nSome **bold** and `code` <script>alert(1)</script>\n\n- a\n- b\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n[ok](https://example.invalid/x) [bad](javascript:alert(1)) ![img](https://tracker.invalid/p.png) ![local](img/a.png)',
  );
  assert.match(html, /<h1>Title<\/h1>/);
  assert.match(html, /<strong>bold<\/strong>/);
  assert.match(html, /<code>code<\/code>/);
  assert.doesNotMatch(html, /<script>/);
  assert.match(html, /&lt;script&gt;/);
  assert.match(html, /<ul>\s*<li>a<\/li>\s*<li>b<\/li>\s*<\/ul>/);
  assert.match(html, /<table>.*<td>1<\/td>/s);
  assert.match(html, /<a href="https:\/\/example.invalid\/x" rel="noopener noreferrer" target="_blank">ok<\/a>/);
  assert.doesNotMatch(html, /href="javascript:/i);
  assert.doesNotMatch(html, /<img[^>]+tracker/);
  assert.match(
    html,
    /<a href="https:\/\/tracker.invalid\/p.png" rel="noopener noreferrer" target="_blank">img<\/a>/,
    'a remote image becomes a link',
  );
  assert.match(html, /<img src="img\/a.png" alt="local">/);
  assert.match(
    renderMarkdown('```sql\nselect 1 < 2\n```'),
    /<pre><code class="language-sql">select 1 &lt; 2\n<\/code><\/pre>/,
  );
});

test('markdown: the cases the hand-written renderer got wrong', () => {
  assert.match(
    renderMarkdown('[Foo](https://en.wikipedia.org/wiki/Foo_(bar))'),
    /href="https:\/\/en.wikipedia.org\/wiki\/Foo_\(bar\)"/,
    'parentheses in a URL',
  );
  assert.match(renderMarkdown('***x***'), /<em><strong>x<\/strong><\/em>/, 'strong inside emphasis, properly nested');
  assert.match(
    renderMarkdown('see https://example.invalid/page.'),
    /<a href="https:\/\/example.invalid\/page" rel="noopener noreferrer" target="_blank">https:\/\/example.invalid\/page<\/a>\./,
    'autolink',
  );
  assert.doesNotMatch(renderMarkdown('see example.com'), /<a /, 'no fuzzy links: a bare domain stays text');
  const tasks = renderMarkdown('- [x] done\n- [ ] to do');
  assert.match(tasks, /<li class="task-item"><input type="checkbox" class="task" disabled checked> done<\/li>/);
  assert.match(tasks, /<li class="task-item"><input type="checkbox" class="task" disabled> to do<\/li>/);
});

test('markdown safety: no script, no event handlers, no javascript: or data: links, no remote or protocol-relative images', () => {
  const cases: [string, RegExp][] = [
    ['<script>alert(1)</script>', /<script/i],
    ['<img src=x onerror="alert(1)">', /<img/i],
    ['<a href="javascript:alert(1)">x</a>', /<a /i],
    ['[x](javascript:alert(1))', /href=/i],
    ['[x](JAVASCRIPT:alert(1))', /href=/i],
    ['[x](  javascript:alert(1))', /href=/i],
    ['[x](data:text/html;base64,PHNjcmlwdD4=)', /href=/i],
    ['[x](vbscript:msgbox)', /href=/i],
    ['[x](file:///etc/passwd)', /href=/i],
    ['<https://example.invalid/x" onmouseover="alert(1)>', /onmouseover="/i],
    ['![t](https://tracker.invalid/p.gif)', /<img/i],
    ['![t](//tracker.invalid/p.gif)', /<img/i],
    ['![t](data:image/svg+xml;base64,PHN2Zz4=)', /<img/i],
    ['<iframe src="https://example.invalid"></iframe>', /<iframe/i],
    ['<style>body{display:none}</style>', /<style/i],
  ];
  for (const [src, bad] of cases) assert.doesNotMatch(renderMarkdown(src), bad, src);
  assert.match(
    renderMarkdown('![dot](data:image/png;base64,iVBORw0KGgo=)'),
    /<img src="data:image\/png;base64,iVBORw0KGgo=" alt="dot">/,
    'inline raster images stay',
  );
  assert.match(
    renderMarkdown('[rel](../other.html#x) [mail](mailto:a@b.invalid)'),
    /href="..\/other.html#x">rel<\/a>.*href="mailto:a@b.invalid"/,
  );
});

test('search: names rank above columns, descriptions and SQL; incremental narrowing agrees', () => {
  const data = buildSiteData(shop());
  const idx = new SearchIndex(data.nodes);
  const top = idx.search('orders').hits.map((h) => data.nodes[h.i]!.id);
  assert.equal(top[0], 'model.shop.orders');
  const col = idx.search('lifetime').hits.map((h) => [data.nodes[h.i]!.name, h.field]);
  assert.deepEqual(col[0], ['customers', 'column']);
  const sql = idx.search('payment_method').hits.find((h) => data.nodes[h.i]!.name === 'orders');
  assert.ok(sql, 'found in SQL');
  const a = new SearchIndex(data.nodes).search('stg_pay').hits.map((h) => h.i);
  idx.search('st');
  idx.search('stg');
  idx.search('stg_');
  const b = idx.search('stg_pay').hits.map((h) => h.i);
  assert.deepEqual(b, a);
  assert.equal(idx.search('   ').total, 0);
  assert.ok(idx.search('customer lifetime').total >= 1, 'all terms must match');
});

test('search: a typo finds the nearest word; results narrow to resource types with counts over all', () => {
  const data = buildSiteData(shop());
  const idx = new SearchIndex(data.nodes);
  const typo = idx.search('lifetme');
  assert.equal(typo.corrected, 'lifetime');
  assert.ok(typo.hits.some((h) => data.nodes[h.i]!.name === 'customers'));
  assert.equal(idx.search('custmoers').corrected, 'customers', 'two letters swapped');
  assert.equal(idx.search('zzzzqqq').total, 0);
  assert.equal(idx.search('zzzzqqq').corrected, undefined);
  assert.equal(idx.search('orders').corrected, undefined, 'no correction when the query matches');
  assert.equal(editDistance('lifetme', 'lifetime', 2), 1);
  assert.equal(editDistance('abc', 'xyz', 1), 2);
  const all = idx.search('orders', 500);
  const tests = idx.search('orders', 500, new Set(['test']));
  assert.ok(tests.hits.length > 0 && tests.hits.every((h) => data.nodes[h.i]!.type === 'test'));
  assert.equal(tests.total, all.byType.get('test'));
  assert.deepEqual([...tests.byType], [...all.byType], 'counts per type ignore the filter');
  const hidden = buildSiteData(shop());
  hidden.nodes.find((n) => n.name === 'orders' && n.type === 'model')!.hidden = true;
  assert.ok(
    !new SearchIndex(hidden.nodes).search('orders', 500).hits.some((h) => hidden.nodes[h.i]!.hidden),
    'docs.show: false is never found',
  );
});

test('site data: doc() resolved, catalog merged case-insensitively, tests attached, run and freshness status', () => {
  const data = buildSiteData(shop());
  const by = (id: string) => data.nodes.find((n) => n.id === id)!;
  assert.match(by('model.shop.stg_orders').desc!, /One of `placed`/);
  assert.match(data.overview!, /Shop analytics/);
  const customers = by('model.shop.customers');
  assert.deepEqual(customers.cols!.map((c) => c.name).slice(0, 2), ['customer_id', 'first_name']);
  assert.equal(customers.cols![0]!.type, 'INTEGER');
  const orders = by('model.shop.orders');
  assert.ok(
    orders.cols!.some((c) => c.name === '_loaded_at'),
    'catalog-only column kept',
  );
  assert.equal(orders.run!.status, 'error');
  assert.match(orders.run!.message!, /Binder Error/);
  const rel = by('test.shop.relationships_orders_customer_id__customer_id__ref_customers_.b3');
  assert.equal(data.nodes[rel.testOf!]!.id, 'model.shop.orders');
  assert.equal(rel.testCol, 'customer_id');
  assert.equal(by('source.shop.raw.orders').fresh!.status, 'warn');
  assert.ok(!data.nodes.some((n) => n.id === 'macro.dbt.run_query'), 'internal macros left out');
  assert.equal(makeDocResolver({})('{{ doc("missing") }}'), '{{ doc("missing") }}');
});

test('site data: tolerant of a bare manifest', () => {
  const data = buildSiteData({
    manifest: {
      nodes: {
        'model.p.a': { unique_id: 'model.p.a' },
        'model.p.b': { unique_id: 'model.p.b', depends_on: { nodes: ['model.p.a', 'model.p.zzz'] } },
      },
    },
  });
  assert.equal(data.nodes.length, 2);
  assert.deepEqual(data.nodes[1]!.parents, [0]);
  assert.equal(data.nodes[0]!.name, 'a');
  assert.equal(buildSiteData({ manifest: null }).nodes.length, 0);
});

test('critical path follows the parent that finished last', () => {
  const data = buildSiteData(shop());
  const cp = criticalPath(data.nodes).map((i) => data.nodes[i]!.name);
  assert.deepEqual(cp.slice(0, 2), ['stg_orders', 'customers']);
  const noTiming = criticalPath([
    { parents: [], run: { time: 1 } },
    { parents: [0], run: { time: 5 } },
    { parents: [], run: { time: 2 } },
  ]);
  assert.deepEqual(noTiming, [0, 1]);
});

test('data script is valid JavaScript that is safe inline and round-trips', () => {
  const data: SiteData = {
    v: 1,
    project: { name: "it's </script><b>" },
    nodes: [
      { id: 'a', type: 'model', name: 'x\\y\u2028"', pkg: 'p', parents: [], desc: "'quoted' </script>" },
      { id: 'b', type: 'model', name: '\u2029<', pkg: 'p', parents: [0] },
    ],
  };
  const js = dataScript(data);
  assert.doesNotMatch(js, /<\/script/i);
  const ctx: { window: { __KILN_DATA__?: SiteData } } = { window: {} };
  vm.runInNewContext(js, ctx);
  assert.deepEqual(JSON.parse(JSON.stringify(ctx.window.__KILN_DATA__)), data);
  // Written a node at a time, the script is the same text.
  assert.equal([...dataScriptChunks(data)].length, 2 + data.nodes.length, 'a head, a piece per node, a tail');
  const empty: SiteData = { v: 1, project: { name: 'p' }, nodes: [] };
  const emptyCtx: { window: { __KILN_DATA__?: SiteData } } = { window: {} };
  vm.runInNewContext(dataScript(empty), emptyCtx);
  assert.deepEqual(JSON.parse(JSON.stringify(emptyCtx.window.__KILN_DATA__)), empty);
  const html = renderShell({
    title: '<x>',
    css: { inline: 'a{}</style>' },
    data: { inline: js },
    app: { inline: 'var s="</script>"' },
  });
  assert.equal(html.match(/<\/script>/g)!.length, 2);
  assert.match(html, /<title>&lt;x&gt;<\/title>/);
});

test('writeDocsSite writes index.html with assets, or one static_index.html', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kiln-docs-'));
  try {
    const files = await writeDocsSite(dir, shop(), {});
    assert.deepEqual(files.map((f) => path.basename(f)).sort(), [
      'index.html',
      'kiln-data.js',
      'kiln-docs.css',
      'kiln-docs.js',
    ]);
    const index = await readFile(path.join(dir, 'index.html'), 'utf8');
    assert.doesNotMatch(index, /https?:\/\/(?!www\.w3\.org)/, 'no remote URL in the shell');
    const stat = await writeDocsSite(path.join(dir, 's'), shop(), { static: true });
    assert.deepEqual(
      stat.map((f) => path.basename(f)),
      ['static_index.html'],
    );
    const html = await readFile(stat[0]!, 'utf8');
    assert.match(html, /__KILN_DATA__/);
    assert.doesNotMatch(html, /<script src=|<link rel="stylesheet"/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

function get(url: string): Promise<{ status: number; body: string; type?: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] }));
      })
      .on('error', reject);
  });
}

function rawRequest(port: number, rawPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

test('serveDocs serves only files inside the folder, on 127.0.0.1, on a free port', async () => {
  const base = await mkdtemp(path.join(os.tmpdir(), 'kiln-serve-'));
  const dir = path.join(base, 'target');
  await mkdir(path.join(dir, 'sub'), { recursive: true });
  await writeFile(path.join(dir, 'index.html'), '<p>hi</p>');
  await writeFile(path.join(dir, 'sub', 'a.js'), 'x=1');
  await writeFile(path.join(base, 'secret.txt'), 'secret');
  await symlink(path.join(base, 'secret.txt'), path.join(dir, 'link.txt'));
  const srv = await serveDocs({ dir, port: 0, open: false });
  try {
    const u = new URL(srv.url);
    assert.equal(u.hostname, '127.0.0.1');
    assert.notEqual(u.port, '0');
    const port = Number(u.port);
    const home = await get(srv.url);
    assert.equal(home.status, 200);
    assert.match(home.type!, /text\/html/);
    assert.equal((await get(srv.url + 'sub/a.js')).status, 404, 'only the files docs generate writes are served');
    for (const p of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/sub/..%2f..%2fsecret.txt',
      '/link.txt',
      '/..\\secret.txt',
      '/missing.js',
      '/%00',
    ]) {
      assert.equal(await rawRequest(port, p), 404, p);
    }
    const post = await new Promise<number>((resolve) => {
      const r = http.request({ host: '127.0.0.1', port, path: '/', method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      r.end();
    });
    assert.equal(post, 405);
  } finally {
    await srv.close();
    await rm(base, { recursive: true, force: true });
  }
});
