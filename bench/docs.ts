/**
 * Documentation site benchmark: a synthetic 10,000-model project with columns,
 * tests, sources and run results, generated and opened in headless Chromium.
 * Run with `node dist/bench/docs.js [models]`. Prints data size, first render of the
 * home page and of a model page with lineage, search latency per keystroke, lineage
 * focus change and JS heap.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { writeDocsSite } from '../src/docs/site.js';
import { launchChromium } from '../test/fixtures/docs/browser.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any;
declare const document: any;
declare const PointerEvent: any;
declare function requestAnimationFrame(cb: () => void): number;

const PKG = 'bench';
const FOLDERS = ['staging', 'intermediate', 'marts', 'finance', 'marketing', 'ops', 'product', 'sales'];

/** A deterministic pseudo-random generator so every run measures the same project. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

function syntheticProject(models: number): { manifest: any; runResults: any; catalog: any } {
  const rand = rng(42);
  const nodes: Record<string, any> = {};
  const sources: Record<string, any> = {};
  const nSources = Math.max(10, Math.round(models / 50));
  for (let s = 0; s < nSources; s++) {
    const id = `source.${PKG}.src_${s % 20}.table_${s}`;
    sources[id] = {
      unique_id: id, resource_type: 'source', name: `table_${s}`, source_name: `src_${s % 20}`, package_name: PKG,
      original_file_path: `models/staging/src_${s % 20}.yml`, fqn: [PKG, 'staging', `src_${s % 20}`, `table_${s}`],
      database: 'warehouse', schema: `raw_${s % 20}`, identifier: `table_${s}`, relation_name: `warehouse.raw_${s % 20}.table_${s}`,
      description: `Raw table ${s} as loaded.`, loader: 'loader', columns: { id: { name: 'id', description: 'Key', data_type: 'integer' } },
    };
  }
  const results: any[] = [];
  const t0 = Date.parse('2025-01-06T09:00:00Z');
  const threads = 8;
  const threadFree = new Array(threads).fill(0);
  const end = new Map<string, number>();
  for (let m = 0; m < models; m++) {
    const id = `model.${PKG}.m_${String(m).padStart(5, '0')}`;
    const layer = Math.floor(m / (models / 20));
    const folder = FOLDERS[m % FOLDERS.length]!;
    const deps: string[] = [];
    if (layer === 0) deps.push(Object.keys(sources)[Math.floor(rand() * nSources)]!);
    else {
      const k = 1 + Math.floor(rand() * 3);
      for (let j = 0; j < k; j++) {
        const lo = Math.max(0, Math.floor((layer - 1 - Math.floor(rand() * 2)) * (models / 20)));
        const hi = Math.floor(layer * (models / 20));
        const p = lo + Math.floor(rand() * Math.max(1, hi - lo));
        const pid = `model.${PKG}.m_${String(p).padStart(5, '0')}`;
        if (!deps.includes(pid)) deps.push(pid);
      }
    }
    const columns: Record<string, any> = {};
    const colNames = ['id', 'customer_id', 'order_id', 'amount', 'status', 'created_at', 'updated_at', `metric_${m % 97}`];
    colNames.forEach((c) => { columns[c] = { name: c, description: `The ${c.replace(/_/g, ' ')} of this row.`, data_type: c.endsWith('_at') ? 'timestamp' : c === 'status' ? 'varchar' : 'bigint', meta: {}, tags: [] }; });
    const refs = deps.map((d) => (d.startsWith('source.') ? `{{ source('${sources[d].source_name}', '${sources[d].name}') }}` : `{{ ref('${d.split('.').pop()}') }}`));
    const raw = `with base as (\n    select * from ${refs[0]}\n)${refs.slice(1).map((r, k) => `,\njoined_${k} as (\n    select * from ${r}\n)`).join('')}\nselect\n    ${colNames.join(',\n    ')}\nfrom base\nwhere status <> 'deleted'\n  and amount > ${m % 100}`;
    nodes[id] = {
      unique_id: id, resource_type: 'model', name: id.split('.').pop(), package_name: PKG, path: `${folder}/${id.split('.').pop()}.sql`,
      original_file_path: `models/${folder}/sub_${m % 13}/${id.split('.').pop()}.sql`, fqn: [PKG, folder, `sub_${m % 13}`, id.split('.').pop()],
      database: 'warehouse', schema: folder, alias: id.split('.').pop(), relation_name: `warehouse.${folder}.${id.split('.').pop()}`,
      description: `Model number ${m} in the **${folder}** area. It combines ${deps.length} upstream relation${deps.length > 1 ? 's' : ''} and keeps the rows that matter for reporting.`,
      columns, config: { materialized: m % 3 ? 'view' : 'table', tags: [folder, `t${m % 11}`], meta: { owner: `team-${m % 7}` }, enabled: true },
      tags: [folder, `t${m % 11}`], meta: { owner: `team-${m % 7}` }, raw_code: raw,
      compiled_code: raw.replace(/\{\{ ref\('([^']+)'\) \}\}/g, 'warehouse.x.$1').replace(/\{\{ source\('([^']+)', '([^']+)'\) \}\}/g, 'warehouse.$1.$2'),
      language: 'sql', depends_on: { nodes: deps, macros: [] },
    };
    for (const kind of ['unique', 'not_null']) {
      const tid = `test.${PKG}.${kind}_${id.split('.').pop()}_id.${(m * 7919 + kind.length).toString(16)}`;
      nodes[tid] = {
        unique_id: tid, resource_type: 'test', name: `${kind}_${id.split('.').pop()}_id`, package_name: PKG, original_file_path: `models/${folder}/schema.yml`,
        fqn: [PKG, folder, `${kind}_${id.split('.').pop()}_id`], test_metadata: { name: kind, kwargs: { column_name: 'id' } }, column_name: 'id', attached_node: id,
        config: { severity: 'ERROR', enabled: true }, depends_on: { nodes: [id], macros: [] }, raw_code: `{{ test_${kind}(**_dbt_generic_test_kwargs) }}`,
      };
    }
    // A plausible 8-thread schedule.
    const ready = Math.max(0, ...deps.map((d) => end.get(d) ?? 0));
    let th = 0;
    for (let k = 1; k < threads; k++) if (threadFree[k] < threadFree[th]) th = k;
    const start = Math.max(ready, threadFree[th]);
    const dur = 50 + Math.floor(rand() * 900);
    threadFree[th] = start + dur;
    end.set(id, start + dur);
    const failed = m % 997 === 13;
    results.push({ unique_id: id, status: failed ? 'error' : 'success', execution_time: dur / 1000, failures: null, message: failed ? 'Runtime error' : 'OK', thread_id: `Thread-${th + 1}`,
      timing: [{ name: 'execute', started_at: new Date(t0 + start).toISOString(), completed_at: new Date(t0 + start + dur).toISOString() }] });
  }
  const manifest = { metadata: { project_name: PKG, generated_at: new Date(t0).toISOString(), adapter_type: 'duckdb', invocation_id: 'bench' }, nodes, sources, macros: {}, docs: {}, exposures: {} };
  const runResults = { metadata: { generated_at: new Date(t0).toISOString() }, results, elapsed_time: Math.max(...threadFree) / 1000 };
  return { manifest, runResults, catalog: null };
}

const median = (xs: number[]) => { const s = xs.slice().sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)]! : NaN; };
const p95 = (xs: number[]) => { const s = xs.slice().sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]! : NaN; };
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const ms = (n: number) => `${n.toFixed(1)} ms`;

async function ready(page: Page): Promise<void> {
  await page.waitForFunction(() => window.__kiln?.ready === true, undefined, { timeout: 60000 });
}

async function firstRender(page: Page): Promise<{ render: number; fcp: number }> {
  return page.evaluate(() => {
    const fr = window.__kiln.perf.find((p: any) => p.name === 'first-render');
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    return { render: fr ? fr.ms : NaN, fcp: fcp ? fcp.startTime : NaN };
  });
}

/** Time for a keystroke: input event, search, results in the DOM, and the next frame. */
async function keystroke(page: Page, text: string): Promise<{ script: number; frame: number }> {
  return page.evaluate(async (value: string) => {
    const input = document.getElementById('q');
    const t0 = performance.now();
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    const script = performance.now() - t0;
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    return { script, frame: performance.now() - t0 };
  }, text);
}

async function main(): Promise<void> {
  const models = Number(process.argv[2] ?? 10000);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kiln-docs-bench-'));
  const out: [string, string][] = [];
  try {
    let t = performance.now();
    const project = syntheticProject(models);
    out.push(['synthetic project', `${models} models, ${Object.keys(project.manifest.sources).length} sources, ${models * 2} tests`]);
    out.push(['manifest.json size', mb(Buffer.byteLength(JSON.stringify(project.manifest)))]);
    t = performance.now();
    const files = await writeDocsSite(dir, { manifest: project.manifest, runResults: project.runResults }, {});
    out.push(['generate (site data + whole-project layout + write)', ms(performance.now() - t)]);
    for (const f of files) out.push([`  ${path.basename(f)}`, mb((await stat(f)).size)]);
    const staticFiles = await writeDocsSite(dir, { manifest: project.manifest, runResults: project.runResults }, { static: true });
    out.push(['  static_index.html', mb((await stat(staticFiles[0]!)).size)]);

    const browser = await launchChromium();
    try {
      const url = pathToFileURL(path.join(dir, 'index.html')).href;
      const homes: number[] = [], homeFcp: number[] = [], models_: number[] = [];
      for (let k = 0; k < 3; k++) {
        const page = await browser.context.newPage();
        await page.goto(url);
        await ready(page);
        const r = await firstRender(page);
        homes.push(r.render); homeFcp.push(r.fcp);
        await page.close();
      }
      out.push(['first render, home (median of 3)', `${ms(median(homes))} (first contentful paint ${ms(median(homeFcp))})`]);
      const target = `model.${PKG}.m_${String(Math.floor(models * 0.6)).padStart(5, '0')}`;
      for (let k = 0; k < 3; k++) {
        const page = await browser.context.newPage();
        await page.goto(`${url}#!/model/${target}`);
        await ready(page);
        await page.locator('#lineage svg g.n').first().waitFor();
        models_.push((await firstRender(page)).render);
        await page.close();
      }
      out.push(['first render, model page with lineage (median of 3)', ms(median(models_))]);

      const page = await browser.context.newPage();
      await page.goto(`${url}#!/model/${target}`);
      await ready(page);
      await page.locator('#lineage svg g.n').first().waitFor();
      await page.waitForTimeout(500); // let the idle-time SQL index build
      const query = 'customer amount m_0612';
      const script: number[] = [], frame: number[] = [];
      for (let round = 0; round < 3; round++) {
        for (let i = 1; i <= query.length; i++) {
          const r = await keystroke(page, query.slice(0, i));
          script.push(r.script); frame.push(r.frame);
        }
        await keystroke(page, '');
      }
      out.push(['search per keystroke, median (p95)', `${ms(median(script))} (${ms(p95(script))}); to next frame ${ms(median(frame))} (${ms(p95(frame))})`]);
      const cold = await keystroke(page, 'deleted');
      out.push(['search, a SQL-only term over all nodes', ms(cold.script)]);
      await keystroke(page, '');

      const focus: number[] = [], focusFrame: number[] = [];
      for (let k = 0; k < 12; k++) {
        const r = await page.evaluate(async () => {
          const nodes = [...document.querySelectorAll('#lineage g.n:not(.focus)')] as any[];
          const el = nodes[Math.floor(nodes.length / 2)];
          if (!el) return null;
          const box = el.getBoundingClientRect();
          const opts = { bubbles: true, clientX: box.x + 20, clientY: box.y + 10, button: 0, pointerId: 1, isPrimary: true };
          const t0 = performance.now();
          el.dispatchEvent(new PointerEvent('pointerdown', opts));
          el.dispatchEvent(new PointerEvent('pointerup', opts));
          const script = performance.now() - t0;
          await new Promise((res) => requestAnimationFrame(() => setTimeout(res, 0)));
          return { script, frame: performance.now() - t0, n: document.querySelectorAll('#lineage g.n').length };
        });
        if (!r) break;
        focus.push(r.script); focusFrame.push(r.frame);
        await page.waitForTimeout(500); // not a double click
      }
      out.push(['lineage focus change, median (p95)', `${ms(median(focus))} (${ms(p95(focus))}); to next frame ${ms(median(focusFrame))}`]);

      const cdp = await browser.context.newCDPSession(page);
      await cdp.send('HeapProfiler.collectGarbage');
      await cdp.send('Performance.enable');
      const metrics = (await cdp.send('Performance.getMetrics')).metrics as { name: string; value: number }[];
      const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN;
      const nodesCount = metrics.find((m) => m.name === 'Nodes')?.value ?? NaN;
      out.push(['JS heap used (after GC, model page)', `${mb(heap)}; DOM nodes ${nodesCount}`]);

      await page.goto(`${url}#!/lineage`);
      await page.locator('.lin-note button[data-act=all]').waitFor();
      const drawAll = await page.evaluate(async () => {
        const t0 = performance.now();
        document.querySelector('.lin-note button[data-act=all]').click();
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        return { ms: performance.now() - t0, n: document.querySelectorAll('svg g.n').length };
      });
      out.push(['whole-project lineage, "draw all" (precomputed layout)', `${ms(drawAll.ms)} for ${drawAll.n} nodes`]);
      await page.close();
    } finally {
      await browser.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const w = Math.max(...out.map(([k]) => k.length));
  console.log(`\nkiln docs site benchmark (headless Chromium, ${os.cpus().length} cores)\n`);
  for (const [k, v] of out) console.log(`${k.padEnd(w)}  ${v}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
