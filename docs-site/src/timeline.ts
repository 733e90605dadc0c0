/** The run page: summary of the last run and a Gantt timeline by thread with the critical path. */
import { escapeHtml as esc } from '../../src/docs/markdown.js';
import { criticalPath, type Span, spans } from './critical-path.js';
import { type Db, displayName, nodeHref, statusClass } from './db.js';
import { badge, fmtSeconds, typeBadge } from './node-page.js';

const ROW_H = 22,
  LABEL_W = 110,
  WIDTH = 1100;

export function renderRunPage(host: HTMLElement, db: Db): void {
  if (!db.hasRun) {
    host.innerHTML =
      '<article><h1>Last run</h1><p>No run_results.json was found when ' +
      'this site was generated. Run <code>kiln build</code> (or <code>kiln ' +
      'run</code>, <code>kiln test</code>) before <code>kiln docs generate</code> ' +
      'to see run status here.</p></article>';
    return;
  }
  const ran = db.nodes.map((n, i) => (n.run ? i : -1)).filter((i) => i >= 0);
  const byStatus = new Map<string, number>();
  for (const i of ran) {
    const s = db.nodes[i]!.run!.status;
    byStatus.set(s, (byStatus.get(s) ?? 0) + 1);
  }
  const cp = criticalPath(db.nodes);
  const cpSet = new Set(cp);
  const sp = spans(db.nodes);
  const problems = ran.filter((i) =>
    ['error', 'fail', 'warn', 'runtime error', 'cancelled'].includes(db.nodes[i]!.run!.status),
  );
  const skipped = ran.filter((i) => db.nodes[i]!.run!.status === 'skipped');
  const slow = ran
    .slice()
    .sort((a, b) => (db.nodes[b]!.run!.time ?? 0) - (db.nodes[a]!.run!.time ?? 0))
    .slice(0, 10);
  const row = (i: number) => {
    const n = db.nodes[i]!;
    return (
      `<tr><td><a href="${esc(nodeHref(n))}">${typeBadge(n.type)} ${esc(displayName(n))}</a></td>` +
      `<td>${badge(n.run!.status)}</td><td>${fmtSeconds(n.run!.time)}</td><td ` +
      `class="msg">${esc(n.run!.message ?? '')}</td></tr>`
    );
  };
  const table = (ids: number[]) =>
    `<table class="cols"><thead><tr><th scope="col">Node</th><th ` +
    `scope="col">Status</th><th scope="col">Duration</th><th scope="col">Message</th></tr></thead>` +
    `<tbody>${ids.map(row).join('')}</tbody></table>`;
  const cpTotal = cp.reduce((s, i) => s + (db.nodes[i]!.run!.time ?? 0), 0);
  const run = db.data.run;
  const elapsed = run?.elapsed !== undefined ? ` · elapsed ${fmtSeconds(run.elapsed)}` : '';
  const generated = run?.generatedAt ? ` · ${esc(run.generatedAt)}` : '';
  const cpItem = (i: number) => {
    const n = db.nodes[i]!;
    return (
      `<li><a href="${esc(nodeHref(n))}">${esc(displayName(n))}</a> ` +
      `<span class="muted">${fmtSeconds(n.run!.time)}</span></li>`
    );
  };
  const skippedMore = skipped.length > 500 ? `<p class="muted">and ${skipped.length - 500} more.</p>` : '';
  const skippedSection = skipped.length
    ? `<section><h2>Skipped <span class="count">${skipped.length}</span></h2>` +
      `<p class="muted">Not run, because something they depend on failed or the run was stopped.</p>` +
      `${table(skipped.slice(0, 500))}${skippedMore}</section>`
    : '';
  const noTiming = '<p class="muted">The run results carry no timing.</p>';
  host.innerHTML =
    `<article class="run-page"><h1>Last run</h1>
<p class="summary">${[...byStatus].map(([s, c]) => `${badge(s)} ${c}`).join(' ')} ${elapsed}${generated}</p>
<section><h2>Timeline</h2><p class="muted">One row per thread; ` +
    `the critical path (the chain of dependencies that decided when ` +
    `the run finished) is outlined.</p>${sp.length ? gantt(db, sp, cpSet) : noTiming}</section>
<section><h2>Critical path</h2><p>${cp.length} nodes, ${fmtSeconds(cpTotal)} ` +
    `of execution.</p><ol class="cp">${cp.map(cpItem).join('')}</ol></section>
<section><h2>Problems</h2>${problems.length ? table(problems.slice(0, 500)) : '<p>None.</p>'}</section>
${skippedSection}
<section><h2>Slowest</h2>${table(slow)}</section>
</article>`;
}

function gantt(db: Db, sp: Span[], cp: Set<number>): string {
  const t0 = Math.min(...sp.map((s) => s.start));
  const t1 = Math.max(...sp.map((s) => s.end));
  const span = Math.max(1, t1 - t0);
  const threads = [...new Set(sp.map((s) => db.nodes[s.i]!.run!.thread ?? 'main'))].sort((a, b) =>
    a.localeCompare(b, undefined, { numeric: true }),
  );
  const rowOf = new Map(threads.map((t, k) => [t, k]));
  const plotW = WIDTH - LABEL_W - 10;
  const h = threads.length * ROW_H + 30;
  const xs = (t: number) => LABEL_W + ((t - t0) / span) * plotW;
  let bars = '';
  for (const s of sp) {
    const n = db.nodes[s.i]!;
    const r = rowOf.get(n.run!.thread ?? 'main')!;
    const x = xs(s.start),
      w = Math.max(1.5, xs(s.end) - x);
    const label =
      w > 60
        ? `<text x="${(x + 4).toFixed(1)}" y="${r * ROW_H + 15}" class="bl">` +
          `${esc(displayName(n).slice(0, Math.floor(w / 7)))}</text>`
        : '';
    const classes = `bar s-${statusClass(n.run!.status)}${cp.has(s.i) ? ' cp' : ''}${s.open ? ' open' : ''}`;
    const duration = fmtSeconds(n.run!.time ?? (s.end - s.start) / 1000);
    const title = `${n.id} · ${n.run!.status}${s.open ? ' (never finished)' : ''} · ${duration}`;
    bars +=
      `<a href="${esc(nodeHref(n))}" class="${classes}"><title>${esc(title)}</title><rect ` +
      `x="${x.toFixed(1)}" y="${r * ROW_H + 3}" width="${w.toFixed(1)}" ` +
      `height="${ROW_H - 6}" rx="2"/>${label}</a>`;
  }
  const labels = threads.map((t, k) => `<text x="4" y="${k * ROW_H + 15}" class="tl">${esc(t)}</text>`).join('');
  const ticks: string[] = [];
  for (let k = 0; k <= 5; k++) {
    const x = LABEL_W + (plotW * k) / 5;
    // The last label ends at its tick so it stays inside the drawing.
    const anchor = k === 5 ? 'end' : 'middle';
    ticks.push(
      `<line x1="${x}" x2="${x}" y1="0" y2="${h - 20}" class="tick"/><text ` +
        `x="${x}" y="${h - 6}" class="tl" text-anchor="${anchor}">${fmtSeconds((span * k) / 5 / 1000)}</text>`,
    );
  }
  return (
    `<div class="gantt-wrap"><svg class="gantt" viewBox="0 0 ${WIDTH} ${h}" ` +
    `width="100%" role="img" aria-label="Run timeline by thread">${ticks.join('')}${labels}${bars}</svg></div>`
  );
}
