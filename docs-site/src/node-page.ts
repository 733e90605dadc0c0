/** The page of one node: description, columns and their tests, config, SQL, lineage, neighbours. */
import { escapeHtml as esc, renderMarkdown } from '../../src/docs/markdown.js';
import type { SiteForeignKey, SiteNode } from '../../src/docs/model.js';
import { type Db, displayName, failingTests, nodeHref, shownStatus, statusClass, statusOf } from './db.js';
import { highlightSql } from './sql.js';
import { copyText } from './download.js';
import { LineageView } from './lineage.js';
import { columnLineagePanel, columnNameButton, columnOriginCell, wireColumnLineage } from './column-lineage.js';

const TEST_ABBR: Record<string, string> = { unique: 'U', not_null: 'N', relationships: 'F', accepted_values: 'A' };

export function badge(status: string | undefined): string {
  return status ? `<span class="badge s-${statusClass(status)}">${esc(status)}</span>` : '';
}

export function typeBadge(type: string): string {
  return `<span class="tbadge t-${esc(type)}">${esc(type)}</span>`;
}

/** A duration as people say it: 840 ms, 3.20 s, 4 min 5 s, 5 h 3 min, 820 days. */
export function fmtSeconds(s: number | undefined): string {
  if (s === undefined) return '';
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 120) return `${s.toFixed(2)} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  if (s < 2 * 86400) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400).toLocaleString('en')} days`;
}

/** Warehouse statistics: counts with separators, sizes in KB/MB/GB. */
export function fmtStat(id: string, value: unknown): string {
  if (typeof value !== 'number') return String(value);
  if (/bytes|size/i.test(id)) {
    const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];
    let v = value,
      u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return u === 0 ? `${v} bytes` : `${v.toFixed(v < 100 ? 1 : 0)} ${units[u]}`;
  }
  return value.toLocaleString('en');
}

/** `{warn_after: {count: 12, period: hour}, ...}` as "warn after 12 hours, error after 1 day". */
export function fmtFreshness(criteria: unknown): string {
  const c = criteria as Record<string, { count?: number; period?: string } | null> | undefined;
  const part = (k: string, label: string) => {
    const v = c?.[k];
    return v?.count ? `${label} after ${v.count} ${v.period ?? ''}${v.count === 1 ? '' : 's'}` : '';
  };
  const filter = (c as { filter?: unknown } | undefined)?.filter;
  return (
    [part('warn_after', 'warn'), part('error_after', 'error')].filter(Boolean).join(', ') +
    (typeof filter === 'string' && filter ? ` (where ${filter})` : '')
  );
}

function link(db: Db, i: number): string {
  const n = db.nodes[i]!;
  const st = shownStatus(db, i);
  return `<a href="${esc(nodeHref(n))}" class="nlink">${typeBadge(n.type)} ${esc(displayName(n))}</a>${badge(st)}`;
}

function kv(rows: [string, string | undefined][]): string {
  const body = rows
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${v}</td></tr>`)
    .join('');
  return body ? `<table class="kv"><tbody>${body}</tbody></table>` : '';
}

function json(v: unknown): string {
  return `<pre class="json">${esc(JSON.stringify(v, null, 2))}</pre>`;
}

function testLabel(db: Db, t: number): string {
  const n = db.nodes[t]!;
  const name = (n.testName ?? n.name).replace(/^dbt\./, '');
  return name;
}

function columnTests(db: Db, i: number): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const t of db.testsOf[i]!) {
    const c = db.nodes[t]!.testCol;
    if (!c) continue;
    const key = c.replace(/^"|"$/g, '').toLowerCase();
    const list = m.get(key) ?? [];
    list.push(t);
    m.set(key, list);
  }
  return m;
}

function testChip(db: Db, t: number): string {
  const n = db.nodes[t]!;
  const name = testLabel(db, t);
  const abbr = TEST_ABBR[name] ?? name.slice(0, 14);
  const st = n.run?.status;
  return (
    `<a class="chip s-${statusClass(st)}" href="${esc(nodeHref(n))}" ` +
    `title="${esc(`${name}${st ? ': ' + st : ''}`)}">` +
    `${esc(abbr)}${st && statusClass(st) === 'bad' ? ' ✕' : ''}<span ` +
    `class="sr-only"> test ${esc(name)}${st ? ' ' + esc(st) : ''}</span></a>`
  );
}

/** Where a column's foreign key points: a link to the node when the docs know it, else its label. */
function foreignKeyTarget(db: Db, f: SiteForeignKey): string {
  if (f.target === undefined) return `<span class="mono">${esc(f.label)}</span>`;
  const target = db.nodes[f.target]!;
  return `<a href="${esc(nodeHref(target))}">${esc(displayName(target))}${f.column ? `.${esc(f.column)}` : ''}</a>`;
}

function columnsSection(db: Db, i: number, n: SiteNode): string {
  if (!n.cols?.length) return '';
  const tests = columnTests(db, i);
  const lineage = n.cols.some((c) => c.up);
  const rows = n.cols
    .map((c) => {
      const ts = tests.get(c.name.toLowerCase()) ?? [];
      const fk = (c.fk ?? []).map((f) => `<span class="fk">→ ${foreignKeyTarget(db, f)}</span>`).join(' ');
      const tags = (c.tags ?? []).map((t) => `<span class="tag">${esc(t)}</span>`).join(' ');
      const meta = c.meta
        ? `<dl class="col-meta">${Object.entries(c.meta)
            .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(typeof v === 'string' ? v : JSON.stringify(v))}</dd>`)
            .join('')}</dl>`
        : '';
      const extra = fk || tags || meta ? `<div class="col-extra">${fk}${tags ? ` ${tags}` : ''}${meta}</div>` : '';
      const origin = lineage ? `<td>${columnOriginCell(db, c)}</td>` : '';
      return (
        `<tr><td>${lineage ? columnNameButton(c) : `<span class="mono">${esc(c.name)}</span>`}</td><td ` +
        `class="mono">${esc(c.type ?? '')}</td><td><div class="md">${renderMarkdown(c.desc)}</div>${extra}</td>` +
        `${origin}<td>${ts.map((t) => testChip(db, t)).join(' ')}</td></tr>`
      );
    })
    .join('');
  return (
    `<section id="columns"><h2>Columns</h2><div class="table-wrap"><table ` +
    `class="cols"><thead><tr><th scope="col">Column</th><th scope="col">Type</th><th ` +
    `scope="col">Description</th>${lineage ? '<th scope="col">Comes from</th>' : ''}<th ` +
    `scope="col">Tests</th></tr></thead><tbody>${rows}</tbody></table></div>` +
    `${columnLineagePanel(n.colLineageGap)}</section>`
  );
}

function argumentsSection(n: SiteNode): string {
  if (!n.args?.length) return '';
  const rows = n.args
    .map(
      (a) =>
        `<tr><td class="mono">${esc(a.name)}</td><td class="mono">${esc(a.type ?? '')}</td>` +
        `<td class="md">${renderMarkdown(a.desc)}</td></tr>`,
    )
    .join('');
  return (
    `<section id="arguments"><h2>Arguments</h2><div class="table-wrap"><table ` +
    `class="cols"><thead><tr><th scope="col">Argument</th><th scope="col">Type</th><th ` +
    `scope="col">Description</th></tr></thead><tbody>${rows}</tbody></table></div></section>`
  );
}

/** Rows of a unit test's given or expect block, as a table (dict rows) or as written (csv, sql). */
function rowsTable(rows: unknown): string {
  if (Array.isArray(rows) && rows.every((r) => r && typeof r === 'object')) {
    const cols = [...new Set(rows.flatMap((r) => Object.keys(r as object)))];
    const head = cols.map((c) => `<th scope="col">${esc(c)}</th>`).join('');
    const cell = (r: unknown, c: string) =>
      `<td class="mono">${esc(String((r as Record<string, unknown>)[c] ?? ''))}</td>`;
    const body = rows.map((r) => `<tr>${cols.map((c) => cell(r, c)).join('')}</tr>`).join('');
    return (
      `<div class="table-wrap"><table class="cols"><thead><tr>${head}</tr></thead>` +
      `<tbody>${body}</tbody></table></div>`
    );
  }
  return rows === undefined
    ? '<p class="muted">No rows.</p>'
    : `<pre class="json">${esc(typeof rows === 'string' ? rows : JSON.stringify(rows, null, 2))}</pre>`;
}

function unitTestSection(n: SiteNode): string {
  if (!n.unitTest) return '';
  const given = n.unitTest.given
    .map((g) => `<h3>Given <span class="mono">${esc(g.input)}</span></h3>${rowsTable(g.rows)}`)
    .join('');
  const expect = rowsTable(n.unitTest.expect.rows);
  return `<section id="unit-test"><h2>Unit test</h2>${given}<h3>Expect</h3>${expect}</section>`;
}

function codeSection(n: SiteNode): string {
  if (!n.raw && !n.compiled) return '';
  const tabs: [string, string][] = [];
  if (n.raw) tabs.push([n.type === 'macro' ? 'Macro' : 'Source', n.raw]);
  if (n.compiled) tabs.push(['Compiled', n.compiled]);
  const btns = tabs
    .map(
      ([l], k) =>
        `<button type="button" role="tab" data-tab="${k}" aria-selected="${k === 0}" ` +
        `tabindex="${k === 0 ? 0 : -1}">${l}</button>`,
    )
    .join('');
  const panes = tabs
    .map(
      ([l, code], k) =>
        `<div role="tabpanel" class="code-pane" data-pane="${k}" aria-label="${l} ` +
        `code"${k === 0 ? '' : ' hidden'}><pre class="sql"><code>${highlightSql(code)}</code></pre></div>`,
    )
    .join('');
  return (
    `<section id="code"><h2>Code</h2><div class="code"><div class="code-bar"><div ` +
    `role="tablist" aria-label="Code version">${btns}</div><button ` +
    `type="button" class="copy">Copy</button></div>${panes}</div></section>`
  );
}

function runSection(db: Db, i: number, n: SiteNode): string {
  const rows: [string, string | undefined][] = [];
  if (n.run) {
    rows.push(['Status', badge(n.run.status)]);
    rows.push(['Duration', fmtSeconds(n.run.time)]);
    if (n.run.start) rows.push(['Started', esc(n.run.start)]);
    if (n.run.thread) rows.push(['Thread', esc(n.run.thread)]);
    if (typeof n.run.failures === 'number' && n.type === 'test') rows.push(['Failures', String(n.run.failures)]);
    if (n.run.message) rows.push(['Message', `<span class="msg">${esc(n.run.message)}</span>`]);
  }
  const tests = db.testsOf[i]!;
  const ran = tests.filter((t) => db.nodes[t]!.run);
  if (ran.length) {
    const bad = failingTests(db, i);
    const passing = ran.filter((t) => ['pass', 'success'].includes(db.nodes[t]!.run!.status)).length;
    const other = ran.length - passing - bad.length;
    rows.push([
      'Tests',
      `${passing} passing, <span class="${bad.length ? 'bad-text' : ''}">${bad.length} ` +
        `failing</span>${other ? `, ${other} not passed (skipped or warned)` : ''}`,
    ]);
  }
  if (n.fresh) {
    rows.push(['Freshness', badge(n.fresh.status)]);
    if (n.fresh.maxLoadedAt) rows.push(['Max loaded at', esc(n.fresh.maxLoadedAt)]);
    if (n.fresh.ageS !== undefined) rows.push(['Age', fmtSeconds(n.fresh.ageS)]);
    if (fmtFreshness(n.fresh.criteria)) rows.push(['Checked against', esc(fmtFreshness(n.fresh.criteria))]);
    if (n.fresh.error) rows.push(['Error', `<span class="msg">${esc(n.fresh.error)}</span>`]);
  }
  const t = kv(rows);
  return t ? `<section id="run"><h2>Last run</h2>${t}</section>` : '';
}

function neighbours(db: Db, i: number): string {
  const n = db.nodes[i]!;
  const parents = n.parents.filter((p) => db.nodes[p]!.type !== 'macro');
  const macros = n.parents.filter((p) => db.nodes[p]!.type === 'macro');
  const kids = db.children[i]!.filter((c) => db.nodes[c]!.type !== 'test');
  const list = (xs: number[]) =>
    xs.length
      ? `<ul class="nlist">${xs
          .slice(0, 500)
          .map((x) => `<li>${link(db, x)}</li>`)
          .join('')}${xs.length > 500 ? `<li>… and ${xs.length - 500} more</li>` : ''}</ul>`
      : '<p class="muted">None</p>';
  const macroList = macros.length ? `<h3>Macros</h3>${list(macros)}` : '';
  return (
    `<section id="depends"><div class="two"><div><h2>Depends on</h2>${list(parents)}${macroList}</div>` +
    `<div><h2>Referenced ` +
    `by</h2>${list(kids)}</div></div></section>`
  );
}

function testsSection(db: Db, i: number): string {
  const tests = db.testsOf[i]!;
  if (!tests.length) return '';
  const rows = tests
    .slice(0, 1000)
    .map((t) => {
      const tn = db.nodes[t]!;
      return (
        `<tr><td><a href="${esc(nodeHref(tn))}">${esc(testLabel(db, t))}</a></td><td ` +
        `class="mono">${esc(tn.testCol ?? '')}</td><td>${badge(tn.run?.status)}</td>` +
        `<td>${tn.run?.failures ? tn.run.failures : ''}</td></tr>`
      );
    })
    .join('');
  return (
    `<section id="tests"><h2>Tests</h2><table class="cols"><thead><tr><th ` +
    `scope="col">Test</th><th scope="col">Column</th><th scope="col">Status</th><th ` +
    `scope="col">Failures</th></tr></thead><tbody>${rows}</tbody></table></section>`
  );
}

export function renderNodePage(
  host: HTMLElement,
  db: Db,
  i: number,
  navigate: (h: string) => void,
): LineageView | null {
  const n = db.nodes[i]!;
  const st = statusOf(n);
  const failing = failingTests(db, i);
  const rel = n.rel ?? ([n.db, n.schema, n.alias ?? n.identifier ?? n.name].filter(Boolean).join('.') || undefined);
  const details = kv([
    ['Type', esc(n.type)],
    ['Package', esc(n.pkg)],
    ['File', n.path ? `<span class="mono">${esc(n.path)}</span>` : undefined],
    [
      'Relation',
      rel && !['test', 'unit_test', 'macro', 'exposure'].includes(n.type)
        ? `<span class="mono">${esc(rel)}</span>`
        : undefined,
    ],
    ['Materialization', n.mat ? esc(n.mat) : undefined],
    ['Language', n.lang && n.lang !== 'sql' ? esc(n.lang) : undefined],
    ['Owner', n.owner ? esc(n.owner) : n.cat?.owner ? esc(n.cat.owner) : undefined],
    [
      'Tags',
      n.tags?.length
        ? n.tags
            .map((t) => `<a class="tag" href="#!/lineage?select=${encodeURIComponent('tag:' + t)}">${esc(t)}</a>`)
            .join(' ')
        : undefined,
    ],
    ['Warehouse type', n.cat?.type ? esc(n.cat.type) : undefined],
    ['Loader', n.loader ? esc(n.loader) : undefined],
    ['Freshness', n.freshness && fmtFreshness(n.freshness) ? esc(fmtFreshness(n.freshness)) : undefined],
    [
      'Node colour',
      n.nodeColor
        ? `<span class="swatch" style="background:${esc(n.nodeColor)}"></span> ${esc(n.nodeColor)}`
        : undefined,
    ],
    [
      'Tested',
      n.testOf !== undefined
        ? link(db, n.testOf) + (n.testCol ? ` column <span class="mono">${esc(n.testCol)}</span>` : '')
        : undefined,
    ],
    ['Severity', n.severity ? esc(n.severity) : undefined],
    ['Exposure type', n.exposure?.type ? esc(n.exposure.type) : undefined],
    ['Maturity', n.exposure?.maturity ? esc(n.exposure.maturity) : undefined],
    [
      'URL',
      n.exposure?.url && /^https?:/i.test(n.exposure.url)
        ? `<a href="${esc(n.exposure.url)}" rel="noopener noreferrer" target="_blank">${esc(n.exposure.url)}</a>`
        : undefined,
    ],
  ]);
  const stats = n.cat?.stats
    ? Object.entries(n.cat.stats).filter(([, s]) => s.include !== false && s.label && s.value !== undefined)
    : [];
  const inGraph =
    db.gParents[i]!.length + db.gChildren[i]!.length > 0 ||
    ['model', 'seed', 'snapshot', 'source', 'exposure'].includes(n.type);
  const desc = n.desc
    ? `<div class="md">${renderMarkdown(n.desc)}</div>`
    : n.cat?.comment
      ? `<div class="md">${renderMarkdown(n.cat.comment)}</div>`
      : '<p class="muted">No description.</p>';
  const testKw = n.testKw ? `<section><h2>Test arguments</h2>${json(n.testKw)}</section>` : '';
  const cfg =
    n.config || n.meta
      ? `<section id="config"><h2>Config</h2>${n.meta ? `<h3>Meta</h3>${json(n.meta)}` : ''}` +
        `${n.config ? `<details><summary>All config</summary>${json(n.config)}</details>` : ''}</section>`
      : '';
  const failingBadge = failing.length
    ? ` <span class="badge s-bad" title="failing tests">` +
      `${failing.length} failing test${failing.length === 1 ? '' : 's'}</span>`
    : '';
  const toc =
    (n.cols?.length ? '<a href="#columns" data-jump="columns">Columns</a>' : '') +
    (inGraph ? '<a href="#lineage" data-jump="lineage">Lineage</a>' : '') +
    (n.raw || n.compiled ? '<a href="#code" data-jump="code">Code</a>' : '');
  const statsHtml = stats.length
    ? `<h3>Warehouse statistics</h3>${kv(stats.map(([id, s]) => [String(s.label), esc(fmtStat(id, s.value))]))}`
    : '';
  const sourceDesc = n.sourceDesc
    ? `<h3>Source ${esc(n.source ?? '')}</h3><div class="md">${renderMarkdown(n.sourceDesc)}</div>`
    : '';
  host.innerHTML =
    `<article class="node-page" data-id="${esc(n.id)}">
<header class="page-head"><p class="crumbs">${typeBadge(n.type)} <span class="mono muted">${esc(n.id)}</span></p>
<h1>${esc(displayName(n))} ${badge(st)}${failingBadge}</h1>
${n.run?.time !== undefined ? `<p class="muted">Last run ${fmtSeconds(n.run.time)}</p>` : ''}</header>
<nav class="page-toc" aria-label="On this page"><a href="#details" ` +
    `data-jump="details">Details</a>${toc}</nav>
<section id="details"><h2>Details</h2>${details}${statsHtml}</section>
<section id="description"><h2>Description</h2>${desc}${sourceDesc}</section>
${runSection(db, i, n)}
${columnsSection(db, i, n)}
${argumentsSection(n)}
${unitTestSection(n)}
${testKw}
${inGraph ? '<section id="lineage"><h2>Lineage</h2><div class="lin-host"></div></section>' : ''}
${n.type !== 'macro' ? neighbours(db, i) : ''}
${testsSection(db, i)}
${codeSection(n)}
${cfg}
</article>`;
  wireCode(host);
  wireColumnLineage(host, db, i);
  host.querySelector('.page-toc')?.addEventListener('click', (e) => {
    const id = (e.target as HTMLElement).getAttribute('data-jump');
    if (!id) return;
    e.preventDefault(); // keep the route in the hash
    const target = host.querySelector<HTMLElement>(`#${id}`);
    target?.scrollIntoView({ block: 'start' });
    target?.querySelector<HTMLElement>('h2')?.setAttribute('tabindex', '-1');
    target?.querySelector<HTMLElement>('h2')?.focus({ preventScroll: true });
  });
  const linHost = host.querySelector<HTMLElement>('.lin-host');
  return linHost ? new LineageView(linHost, db, { select: '', focus: i, depth: 2, embedded: true, navigate }) : null;
}

function wireCode(host: HTMLElement): void {
  const code = host.querySelector('.code');
  if (!code) return;
  const tabs = [...code.querySelectorAll<HTMLButtonElement>('[role=tab]')];
  const select = (k: number) => {
    tabs.forEach((t, j) => {
      t.setAttribute('aria-selected', String(j === k));
      t.tabIndex = j === k ? 0 : -1;
    });
    code.querySelectorAll<HTMLElement>('[role=tabpanel]').forEach((p, j) => {
      p.hidden = j !== k;
    });
  };
  tabs.forEach((t, k) => {
    t.addEventListener('click', () => select(k));
    t.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
      const next = (k + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length;
      select(next);
      tabs[next]!.focus();
    });
  });
  const btn = code.querySelector<HTMLButtonElement>('.copy')!;
  const copyShown = async () => {
    const pane = code.querySelector<HTMLElement>('[role=tabpanel]:not([hidden]) code');
    const ok = await copyText(pane?.textContent ?? '');
    btn.textContent = ok ? 'Copied' : 'Copy failed';
    setTimeout(() => {
      btn.textContent = 'Copy';
    }, 1500);
  };
  btn.addEventListener('click', () => void copyShown());
}
