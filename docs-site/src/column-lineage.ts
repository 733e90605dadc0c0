/**
 * Column lineage on a model page: where each column comes from (a cell in the columns
 * table), and, when a column's name is clicked, its upstream and downstream columns across
 * the DAG by distance, each with the kind of its path. Reads only SiteColumn.up.
 */
import { escapeHtml as esc } from '../../src/docs/markdown.js';
import type { SiteColumn } from '../../src/docs/model.js';
import { type Db, displayName, nodeHref } from './db.js';
import './column-lineage.css';

type Kind = string;
interface Reached {
  node: number;
  column: string;
  kind: Kind;
  depth: number;
}

const RANK: Record<string, number> = { copied: 0, transformed: 1, aggregated: 2 };

/** The kind of a two-step path: filter if either step only filters, else the stronger change. */
function compose(a: Kind, b: Kind): Kind {
  if (a === 'filter' || b === 'filter') return 'filter';
  return (RANK[a] ?? 1) >= (RANK[b] ?? 1) ? a : b;
}

const readersCache = new WeakMap<Db, Map<string, Array<[number, string, Kind]>>>();

/** For each `node index/column`, the columns that read it directly. */
function readers(db: Db): Map<string, Array<[number, string, Kind]>> {
  let index = readersCache.get(db);
  if (index) return index;
  index = new Map();
  db.nodes.forEach((n, i) => {
    for (const c of n.cols ?? []) {
      for (const [j, column, kind] of c.up ?? []) {
        const key = `${j}/${column}`;
        const list = index.get(key) ?? [];
        list.push([i, c.name, kind]);
        index.set(key, list);
      }
    }
  });
  readersCache.set(db, index);
  return index;
}

function columnOf(db: Db, node: number, name: string): SiteColumn | undefined {
  return db.nodes[node]?.cols?.find((c) => c.name.toLowerCase() === name.toLowerCase());
}

/** Breadth-first walk; each column once, at its nearest distance. */
function walk(
  db: Db,
  node: number,
  column: string,
  next: (node: number, column: string) => Array<[number, string, Kind]>,
): Reached[] {
  const seen = new Set<string>([`${node}/${column}`]);
  const out: Reached[] = [];
  let frontier: Reached[] = [{ node, column, kind: 'copied', depth: 0 }];
  while (frontier.length) {
    const following: Reached[] = [];
    for (const at of frontier) {
      for (const [j, c, kind] of next(at.node, at.column)) {
        const key = `${j}/${c}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const r = { node: j, column: c, kind: compose(at.kind, kind), depth: at.depth + 1 };
        out.push(r);
        following.push(r);
      }
    }
    frontier = following;
  }
  return out;
}

export function upstreamColumns(db: Db, node: number, column: string): Reached[] {
  return walk(db, node, column, (n, c) => columnOf(db, n, c)?.up ?? []);
}

export function downstreamColumns(db: Db, node: number, column: string): Reached[] {
  const index = readers(db);
  return walk(db, node, column, (n, c) => index.get(`${n}/${c}`) ?? []);
}

function columnLink(db: Db, node: number, column: string): string {
  const n = db.nodes[node]!;
  return `<a class="nlink mono" href="${esc(nodeHref(n))}">${esc(displayName(n))}.${esc(column)}</a>`;
}

/** The "Comes from" cell of a column: its direct upstream columns with kinds. */
export function columnOriginCell(db: Db, column: SiteColumn): string {
  const up = column.up ?? [];
  const values = up.filter(([, , kind]) => kind !== 'filter');
  if (!values.length) return up.length ? '<span class="muted">filters only</span>' : '';
  return values
    .map(([j, c, kind]) => `${columnLink(db, j, c)} <span class="col-kind k-${esc(kind)}">${esc(kind)}</span>`)
    .join('<br>');
}

/** A column name that opens its lineage when clicked. */
export function columnNameButton(column: SiteColumn): string {
  return (
    `<button type="button" class="col-lin mono" data-col="${esc(column.name)}" ` +
    `aria-expanded="false">${esc(column.name)}</button>`
  );
}

function levels(db: Db, list: Reached[], direction: 'upstream' | 'downstream'): string {
  if (!list.length) return `<p class="muted">No ${direction} columns.</p>`;
  const byDepth = new Map<number, Reached[]>();
  for (const r of list) byDepth.set(r.depth, [...(byDepth.get(r.depth) ?? []), r]);
  const depths = [...byDepth.keys()].sort((a, b) => (direction === 'upstream' ? b - a : a - b));
  const item = (r: Reached) =>
    `<li data-kind="${esc(r.kind)}">${columnLink(db, r.node, r.column)} ` +
    `<span class="col-kind k-${esc(r.kind)}">${esc(r.kind)}</span></li>`;
  return `<div class="col-levels">${depths
    .map(
      (d) =>
        `<ol class="col-level" aria-label="${direction} ${d} step${d === 1 ? '' : 's'} away">` +
        `${byDepth.get(d)!.map(item).join('')}</ol>`,
    )
    .join('')}</div>`;
}

/** Renders the lineage of one column into `panel`. */
export function renderColumnLineage(panel: HTMLElement, db: Db, node: number, column: string): void {
  const up = upstreamColumns(db, node, column);
  const down = downstreamColumns(db, node, column);
  const tests = db.testsOf[node]?.filter((t) => db.nodes[t]!.testCol?.toLowerCase() === column.toLowerCase()) ?? [];
  const testCount = tests.length ? `<p class="muted">${tests.length} test${tests.length === 1 ? '' : 's'}</p>` : '';
  panel.innerHTML =
    `<h3>Lineage of <span class="mono">${esc(column)}</span></h3>
<div class="col-graph"><section class="col-up" aria-label="upstream ` +
    `columns"><h4>Upstream</h4>${levels(db, up, 'upstream')}</section>
<section class="col-self"><h4>Column</h4><p class="mono">${esc(displayName(db.nodes[node]!))}.${esc(column)}</p>` +
    `${testCount}</section>
<section class="col-down" aria-label="downstream columns"><h4>Downstream</h4>` +
    `${levels(db, down, 'downstream')}</section></div>`;
  panel.hidden = false;
}

/** Wires the column buttons of a model page to its lineage panel. */
export function wireColumnLineage(host: HTMLElement, db: Db, node: number): void {
  const panel = host.querySelector<HTMLElement>('.col-lineage');
  if (!panel) return;
  host.querySelectorAll<HTMLButtonElement>('button.col-lin').forEach((button) => {
    button.addEventListener('click', () => {
      const open = button.getAttribute('aria-expanded') === 'true';
      host.querySelectorAll('button.col-lin').forEach((b) => b.setAttribute('aria-expanded', 'false'));
      if (open) {
        panel.hidden = true;
        return;
      }
      button.setAttribute('aria-expanded', 'true');
      renderColumnLineage(panel, db, node, button.dataset.col!);
    });
  });
}

/** The panel under the columns table, hidden until a column is clicked. */
export function columnLineagePanel(gap: string | undefined): string {
  return (
    `${gap ? `<p class="muted">Column lineage could not read this SQL: ${esc(gap)}</p>` : ''}<div ` +
    `class="col-lineage" hidden></div>`
  );
}
