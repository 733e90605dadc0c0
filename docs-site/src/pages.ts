/** Overview, lists of resources, a source's tables and the full search results page. */
import { escapeHtml as esc, renderMarkdown } from '../../src/docs/markdown.js';
import { naturalCompare } from './clusters.js';
import { type Db, displayName, failingTests, nodeHref, shownStatus, statusClass, statusOf } from './db.js';
import { badge, typeBadge } from './node-page.js';
import { resultsHtml, searchHref } from './search-box.js';

const PLURAL: Record<string, string> = {
  model: 'Models',
  source: 'Sources',
  seed: 'Seeds',
  snapshot: 'Snapshots',
  test: 'Tests',
  exposure: 'Exposures',
  analysis: 'Analyses',
  macro: 'Macros',
  metric: 'Metrics',
  unit_test: 'Unit tests',
  semantic_model: 'Semantic models',
  saved_query: 'Saved queries',
};

export function plural(type: string): string {
  return PLURAL[type] ?? type;
}

export function typeCounts(db: Db, pkg?: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const n of db.nodes)
    if (!n.hidden && (pkg === undefined || n.pkg === pkg)) m.set(n.type, (m.get(n.type) ?? 0) + 1);
  return m;
}

/** A resource type this site has a list page for. */
export function isKnownType(db: Db, type: string): boolean {
  return type in PLURAL || db.nodes.some((n) => n.type === type);
}

export function renderNotFound(host: HTMLElement, what: string, name: string): void {
  host.innerHTML =
    `<article><h1>Not found</h1><p>No ${esc(what)} <code>${esc(name)}</code> ` +
    `in this project. The link may be from an older version of the ` +
    `site.</p><p><a href="#!/overview">Overview</a></p></article>`;
}

export function renderOverview(host: HTMLElement, db: Db, pkg?: string): void {
  const d = db.data;
  const counts = typeCounts(db, pkg);
  const order = ['model', 'source', 'seed', 'snapshot', 'test', 'unit_test', 'exposure', 'analysis', 'metric', 'macro'];
  const tiles = order
    .filter((t) => counts.get(t))
    .map((t) => `<a class="tile" href="#!/list/${t}"><span class="num">${counts.get(t)}</span> ${plural(t)}</a>`)
    .join('');
  const health = pkg ? '' : healthSection(db);
  const name = pkg ?? d.project.name;
  const doc = pkg ? (pkg === d.project.name ? d.overview : d.packageOverviews?.[pkg]) : d.overview;
  const overview = doc
    ? renderMarkdown(doc)
    : pkg
      ? `<p>The package <strong>${esc(pkg)}</strong> has no <code>{% docs __overview__ %}</code> block.</p>`
      : `<p>Welcome to the documentation of <strong>${esc(d.project.name)}</strong>. ` +
        `Browse the project in the sidebar, search with <kbd>/</kbd>, ` +
        `or open the <a href="#!/lineage">lineage</a>.</p>`;
  const packages = [...new Set(db.nodes.filter((n) => !n.hidden && n.type !== 'macro').map((n) => n.pkg))].sort();
  const pkgList =
    !pkg && packages.length > 1
      ? `<section><h2>Packages</h2><ul class="nlist">` +
        `${packages.map((p) => packageItem(p, d.project.name)).join('')}</ul></section>`
      : '';
  const crumbs = pkg ? `<p class="crumbs"><a href="#!/overview">${esc(d.project.name)}</a> › package</p>` : '';
  const pkgLineage = pkg
    ? `<p><a href="#!/lineage?select=${encodeURIComponent(`package:${pkg}`)}">Lineage of this package</a></p>`
    : '';
  const adapter = d.project.adapter ? ` · ${esc(d.project.adapter)}` : '';
  host.innerHTML =
    `<article class="overview">${crumbs}<h1>${esc(name)}</h1><div ` +
    `class="md">${overview}</div>
<section><h2>Resources</h2><div class="tiles">${tiles}</div>${pkgLineage}</section>${pkgList}${health}
<p class="muted small">Generated ${esc(d.project.generatedAt ?? '')}${adapter}</p></article>`;
}

function packageItem(pkg: string, projectName: string): string {
  const self = pkg === projectName ? ' <span class="muted">(this project)</span>' : '';
  return `<li><a href="#!/overview/${encodeURIComponent(pkg)}">${esc(pkg)}</a>${self}</li>`;
}

/** The last run at a glance: how many passed, warned, failed, were skipped or cancelled, and what failed. */
function healthSection(db: Db): string {
  if (!db.hasRun && !db.hasFreshness) return '';
  const tally = new Map<string, number>();
  for (const n of db.nodes) {
    const s = statusOf(n);
    if (s) tally.set(statusKind(s), (tally.get(statusKind(s)) ?? 0) + 1);
  }
  const bad = db.nodes
    .map((_n, i) => i)
    .filter((i) => statusClass(statusOf(db.nodes[i]!)) === 'bad')
    .slice(0, 20);
  const kinds = HEALTH_KINDS.filter(([k]) => k !== 'cancelled' || tally.get(k));
  const counts = kinds.map(([k, label, cls]) => `<span class="badge s-${cls}">${label} ${tally.get(k) ?? 0}</span>`);
  const badItem = (i: number) => {
    const n = db.nodes[i]!;
    return (
      `<li><a href="${esc(nodeHref(n))}">${typeBadge(n.type)} ${esc(displayName(n))}</a> ` +
      `${badge(statusOf(n))}</li>`
    );
  };
  const badList = bad.length ? `<ul class="nlist">${bad.map(badItem).join('')}</ul>` : '';
  return (
    `<section><h2>Health of the last run</h2><p>${counts.join(' ')} ` +
    `<a href="#!/run">Timeline</a></p>${badList}</section>`
  );
}

const HEALTH_KINDS: [string, string, string][] = [
  ['ok', 'passed', 'ok'],
  ['warn', 'warnings', 'warn'],
  ['bad', 'failed', 'bad'],
  ['skip', 'skipped', 'skip'],
  ['cancelled', 'cancelled', 'skip'],
];

/** The health tally's bucket for a status: cancelled is counted apart from skipped. */
function statusKind(status: string): string {
  return status === 'cancelled' ? 'cancelled' : statusClass(status);
}

export function renderList(host: HTMLElement, db: Db, type: string, limit = 500): void {
  const ids = db.nodes
    .map((n, i) => (n.type === type && !n.hidden ? i : -1))
    .filter((i) => i >= 0)
    .sort((a, b) => naturalCompare(displayName(db.nodes[a]!), displayName(db.nodes[b]!)));
  const rows = ids
    .slice(0, limit)
    .map((i) => {
      const n = db.nodes[i]!;
      const extra =
        type === 'test' && n.testOf !== undefined
          ? esc(displayName(db.nodes[n.testOf]!)) + (n.testCol ? `.${esc(n.testCol)}` : '')
          : esc(n.path ?? '');
      const bad = failingTests(db, i).length;
      return (
        `<tr><td><a href="${esc(nodeHref(n))}">${esc(displayName(n))}</a></td><td ` +
        `class="mono small">${extra}</td><td>${badge(shownStatus(db, i))}` +
        `${bad ? ` <span class="badge s-bad">${bad} failing</span>` : ''}</td></tr>`
      );
    })
    .join('');
  const table = ids.length
    ? `<table class="cols"><thead><tr><th scope="col">Name</th>` +
      `<th scope="col">${type === 'test' ? 'Tests' : 'File'}</th>` +
      `<th scope="col">Status</th></tr></thead><tbody>${rows}</tbody></table>`
    : '<p>None.</p>';
  const hidden = ids.length - limit;
  const more =
    hidden > 0
      ? `<p><button type="button" class="more-rows">Show ${Math.min(500, hidden)} more of ${hidden}</button></p>`
      : '';
  const heading = `<h1>${esc(plural(type))} <span class="count">${ids.length}</span></h1>`;
  host.innerHTML = `<article>${heading}${table}${more}</article>`;
  host.querySelector('.more-rows')?.addEventListener('click', () => renderList(host, db, type, limit + 500));
}

export function renderSourceList(host: HTMLElement, db: Db, source: string): void {
  const ids = db.nodes.map((n, i) => (n.type === 'source' && n.source === source ? i : -1)).filter((i) => i >= 0);
  const rows = ids
    .map((i) => {
      const n = db.nodes[i]!;
      return (
        `<tr><td><a href="${esc(nodeHref(n))}">${esc(n.name)}</a></td><td class="mono small">${esc(n.rel ?? '')}</td>` +
        `<td class="md">${renderMarkdown(n.desc)}</td><td>${badge(n.fresh?.status)}</td></tr>`
      );
    })
    .join('');
  host.innerHTML =
    `<article><p class="crumbs">${typeBadge('source')}</p><h1>${esc(source)}</h1>
<table class="cols"><thead><tr><th scope="col">Table</th><th ` +
    `scope="col">Relation</th><th scope="col">Description</th><th ` +
    `scope="col">Freshness</th></tr></thead><tbody>${rows}</tbody></table>
<p><a href="#!/lineage?select=${encodeURIComponent(`source:${source}+`)}">Lineage of this source</a></p></article>`;
}

export function renderSearchPage(host: HTMLElement, db: Db, q: string, type: string): void {
  const types = type ? new Set([type]) : undefined;
  const { html, total, byType, corrected } = resultsHtml(db, q, 500, {
    ...(types ? { types } : {}),
    descriptions: true,
  });
  const all = [...byType.values()].reduce((a, b) => a + b, 0);
  const chip = (t: string, label: string, count: number) =>
    `<a class="filter${t === type ? ' on' : ''}" href="${esc(searchHref(q, t))}"` +
    `${t === type ? ' aria-current="true"' : ''}>${esc(label)} ` +
    `<span class="count">${count}</span></a>`;
  const filters =
    byType.size > 1 || type
      ? `<nav class="filters" aria-label="Filter by resource type">${chip('', 'All', all)}${[...byType]
          .sort((a, b) => b[1] - a[1])
          .map(([t, c]) => chip(t, plural(t), c))
          .join('')}</nav>`
      : '';
  const what = corrected
    ? `<strong>${esc(corrected)}</strong> (no match for <em>${esc(q)}</em>)`
    : `<strong>${esc(q)}</strong>`;
  host.innerHTML =
    `<article><h1>Search</h1><p>${total} result${total === 1 ? '' : 's'} ` +
    `for ${what}${type ? ` among ${esc(plural(type).toLowerCase())}` : ''}` +
    `${total > 500 ? ' (first 500 shown)' : ''}</p>${filters}<ul ` +
    `class="search-page" role="list">${html
      .replace(/ role="option"/g, '')
      .replace(/ tabindex="-1"/g, '')
      .replace(/ aria-selected="false"/g, '')}</ul></article>`;
}
