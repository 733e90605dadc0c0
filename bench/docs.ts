/**
 * Documentation site benchmark: a synthetic 10,000-model project with columns,
 * tests, sources and run results, generated and opened in headless Chromium.
 * Run with `node dist/bench/docs.js [models]`. Prints data size, first render of the
 * home page and of a model page with lineage, search latency per keystroke, lineage
 * focus change, the whole-project map (first draw, opening a group, zoom steps) and
 * page memory.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import type { CDPSession, Page } from 'playwright-core';
import { writeDocsSite } from '../src/docs/site.js';
import { type Browser, launchChromium } from '../test/fixtures/docs/browser.js';
import { PKG, syntheticProject } from '../test/fixtures/docs/synthetic.js';

declare const window: any;
declare const document: any;
declare const PointerEvent: any;
declare const WheelEvent: any;
declare function requestAnimationFrame(cb: () => void): number;

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};
const p95 = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]! : NaN;
};
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
    out.push([
      'synthetic project',
      `${models} models, ${Object.keys(project.manifest.sources).length} sources, ${models * 2} tests`,
    ]);
    out.push(['manifest.json size', mb(Buffer.byteLength(JSON.stringify(project.manifest)))]);
    t = performance.now();
    const files = await writeDocsSite(dir, { manifest: project.manifest, runResults: project.runResults }, {});
    out.push(['generate (site data + write)', ms(performance.now() - t)]);
    for (const f of files) out.push([`  ${path.basename(f)}`, mb((await stat(f)).size)]);
    const staticFiles = await writeDocsSite(
      dir,
      { manifest: project.manifest, runResults: project.runResults },
      { static: true },
    );
    out.push(['  static_index.html', mb((await stat(staticFiles[0]!)).size)]);

    const browser = await launchChromium();
    try {
      const url = pathToFileURL(path.join(dir, 'index.html')).href;
      const homes: number[] = [],
        homeFcp: number[] = [],
        models_: number[] = [];
      for (let k = 0; k < 3; k++) {
        const page = await browser.context.newPage();
        await page.goto(url);
        await ready(page);
        const r = await firstRender(page);
        homes.push(r.render);
        homeFcp.push(r.fcp);
        await page.close();
      }
      out.push([
        'first render, home (median of 3)',
        `${ms(median(homes))} (first contentful paint ${ms(median(homeFcp))})`,
      ]);
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
      const script: number[] = [],
        frame: number[] = [];
      for (let round = 0; round < 3; round++) {
        for (let i = 1; i <= query.length; i++) {
          const r = await keystroke(page, query.slice(0, i));
          script.push(r.script);
          frame.push(r.frame);
        }
        await keystroke(page, '');
      }
      out.push([
        'search per keystroke, median (p95)',
        `${ms(median(script))} (${ms(p95(script))}); to next frame ${ms(median(frame))} (${ms(p95(frame))})`,
      ]);
      const cold = await keystroke(page, 'deleted');
      out.push(['search, a SQL-only term over all nodes', ms(cold.script)]);
      await keystroke(page, '');

      const focus: number[] = [],
        focusFrame: number[] = [];
      for (let k = 0; k < 12; k++) {
        const r = await page.evaluate(async () => {
          const nodes = [...document.querySelectorAll('#lineage g.n:not(.focus)')] as any[];
          const el = nodes[Math.floor(nodes.length / 2)];
          if (!el) return null;
          const box = el.getBoundingClientRect();
          const opts = {
            bubbles: true,
            clientX: box.x + 20,
            clientY: box.y + 10,
            button: 0,
            pointerId: 1,
            isPrimary: true,
          };
          const t0 = performance.now();
          el.dispatchEvent(new PointerEvent('pointerdown', opts));
          el.dispatchEvent(new PointerEvent('pointerup', opts));
          const script = performance.now() - t0;
          await new Promise((res) => requestAnimationFrame(() => setTimeout(res, 0)));
          return { script, frame: performance.now() - t0, n: document.querySelectorAll('#lineage g.n').length };
        });
        if (!r) break;
        focus.push(r.script);
        focusFrame.push(r.frame);
        await page.waitForTimeout(500); // not a double click
      }
      out.push([
        'lineage focus change, median (p95)',
        `${ms(median(focus))} (${ms(p95(focus))}); to next frame ${ms(median(focusFrame))}`,
      ]);

      const cdp = await browser.context.newCDPSession(page);
      await cdp.send('HeapProfiler.collectGarbage');
      await cdp.send('Performance.enable');
      const metrics = (await cdp.send('Performance.getMetrics')).metrics as { name: string; value: number }[];
      const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN;
      const nodesCount = metrics.find((m) => m.name === 'Nodes')?.value ?? NaN;
      out.push(['JS heap used (after GC, model page)', `${mb(heap)}; DOM nodes ${nodesCount}`]);

      await page.close();
      await measureMap(browser, url, out);
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

/** Resident memory of the page's renderer process, from /proc (Linux). */
async function rendererRss(browser: Browser): Promise<number> {
  const b = browser.context.browser();
  if (!b) return NaN;
  const cdp = await b.newBrowserCDPSession();
  try {
    const info = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
    let best = 0;
    for (const p of info.processInfo.filter((x) => x.type === 'renderer')) {
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.id}/status`, 'utf8'));
        if (m) best = Math.max(best, Number(m[1]) * 1024);
      } catch {
        /* the process ended */
      }
    }
    return best || NaN;
  } catch {
    return NaN;
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

/**
 * Main-thread busy time of a page so far (CDP's TaskDuration), in ms. On a shared machine
 * wall-clock figures swing with the load; the page's own busy time much less.
 */
async function busy(cdp: CDPSession): Promise<number> {
  const metrics = (await cdp.send('Performance.getMetrics')).metrics as { name: string; value: number }[];
  return (metrics.find((m) => m.name === 'TaskDuration')?.value ?? NaN) * 1000;
}

/** A new page on the Lineage map, drawn, with the CDP performance domain on. */
async function openMap(browser: Browser, url: string) {
  const page = await browser.context.newPage();
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.goto(`${url}#!/lineage`);
  await ready(page);
  await page.locator('svg g.cl').first().waitFor();
  return { page, cdp };
}

async function measureMap(browser: Browser, url: string, out: [string, string][]): Promise<void> {
  const first: number[] = [],
    draw: number[] = [],
    firstBusy: number[] = [];
  for (let k = 0; k < 3; k++) {
    const { page, cdp } = await openMap(browser, url);
    const r = await page.evaluate(() => ({
      first: window.__kiln.perf.find((p: any) => p.name === 'first-render').ms,
      draw: window.__kiln.perf.find((p: any) => p.name === 'map-render').ms,
    }));
    first.push(r.first);
    draw.push(r.draw);
    firstBusy.push(await busy(cdp));
    await page.close();
  }
  out.push([
    'whole-project map, first map on a cold load (median of 3)',
    `${ms(median(first))} (drawing the map ${ms(median(draw))}); main thread busy ${ms(median(firstBusy))}`,
  ]);

  const { page, cdp } = await openMap(browser, url);
  const opens: number[] = [],
    opensBusy: number[] = [];
  let boxes = 0;
  for (let k = 0; k < 12; k++) {
    const b0 = await busy(cdp);
    const r = await page.evaluate(async () => {
      const groups = [...document.querySelectorAll('svg g.cl')] as any[];
      if (!groups.length) return null;
      const el = groups[Math.floor(groups.length / 2)];
      const box = el.getBoundingClientRect();
      const opts = {
        bubbles: true,
        clientX: box.x + 20,
        clientY: box.y + 10,
        button: 0,
        pointerId: 1,
        isPrimary: true,
      };
      const t0 = performance.now();
      el.dispatchEvent(new PointerEvent('pointerdown', opts));
      el.dispatchEvent(new PointerEvent('pointerup', opts));
      await new Promise((res) => requestAnimationFrame(() => setTimeout(res, 0)));
      return { ms: performance.now() - t0, n: document.querySelectorAll('svg g.n, svg g.cl').length };
    });
    if (!r) break;
    opensBusy.push((await busy(cdp)) - b0);
    opens.push(r.ms);
    boxes = Math.max(boxes, r.n);
  }
  out.push([
    'map: open a group by click, to next frame, median (max)',
    `${ms(median(opens))} (${ms(Math.max(...opens))}); main thread ` +
      `busy ${ms(median(opensBusy))} (${ms(Math.max(...opensBusy))}); ` +
      `up to ${boxes} boxes drawn`,
  ]);

  await page.goto(`${url}#!/overview`);
  await page.goto(`${url}#!/lineage`);
  await page.locator('svg g.cl').first().waitFor();
  const zooms: number[] = [],
    zoomsBusy: number[] = [];
  for (const dir of [-1, 1]) {
    for (let k = 0; k < 25; k++) {
      const b0 = await busy(cdp);
      const r = await page.evaluate(async (d: number) => {
        const svg = document.querySelector('svg.lin-svg');
        const target = document.querySelector('svg g.cl') ?? svg;
        const box = target.getBoundingClientRect();
        const t0 = performance.now();
        svg.dispatchEvent(
          new WheelEvent('wheel', {
            bubbles: true,
            cancelable: true,
            deltaY: 100 * d,
            clientX: box.x + 30,
            clientY: box.y + 12,
          }),
        );
        await new Promise((res) => requestAnimationFrame(() => setTimeout(res, 0)));
        return performance.now() - t0;
      }, dir);
      zooms.push(r);
      zoomsBusy.push((await busy(cdp)) - b0);
    }
  }
  const steps = await page.evaluate(() => window.__kiln.perf.filter((p: any) => p.name === 'map-open').length);
  out.push([
    'map: zoom step (wheel in, then out), to next frame, median (max)',
    `${ms(median(zooms))} (${ms(Math.max(...zooms))}); main thread ` +
      `busy ${ms(median(zoomsBusy))} (${ms(Math.max(...zoomsBusy))}); ${zooms.length} ` +
      `steps, ${steps} opened a group`,
  ]);

  await cdp.send('HeapProfiler.collectGarbage');
  const metrics = (await cdp.send('Performance.getMetrics')).metrics as { name: string; value: number }[];
  const heap = metrics.find((m) => m.name === 'JSHeapTotalSize')?.value ?? NaN;
  const used = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN;
  const nodesCount = metrics.find((m) => m.name === 'Nodes')?.value ?? NaN;
  const rss = await rendererRss(browser);
  out.push([
    'page memory on the map (after GC)',
    `JS heap ${mb(used)} used, ${mb(heap)} total; DOM nodes ${nodesCount}; ` +
      `renderer RSS ${Number.isNaN(rss) ? 'n/a' : mb(rss)}`,
  ]);
  await page.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
