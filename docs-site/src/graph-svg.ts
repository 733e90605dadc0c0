/**
 * SVG markup for the lineage drawing: model boxes, cluster boxes of the project map and
 * the edges between them. Strings only: no state, no events.
 */
import { escapeHtml as esc } from '../../src/docs/markdown.js';
import type { ClusterTree } from './clusters.js';
import { type Db, displayName, shownStatus, statusClass } from './db.js';

export const BOX_W = 190,
  BOX_H = 34;

/** Cut a label to what fits in a box at 12 px. */
function fit(label: string, chars: number): string {
  return label.length > chars ? label.slice(0, chars - 1) + '…' : label;
}

/** Cut a path to what fits, keeping its end (the part that tells boxes apart). */
function fitTail(label: string, chars: number): string {
  return label.length > chars ? '…' + label.slice(label.length - chars + 1) : label;
}

/**
 * What each drawn cluster is called: its path without the part all drawn clusters share
 * (so two `sub_1` folders read `finance/sub_1` and `marts/sub_1`), never less than its own name.
 */
export function clusterLabels(tree: ClusterTree, clusters: number[]): Map<number, string> {
  const parts = clusters.map((c) => (tree.path[c] || tree.label[c]!).split('/'));
  let common = parts.length > 1 ? Math.min(...parts.map((p) => p.length)) : 0;
  for (let k = 0; k < common; k++)
    if (parts.some((p) => p[k] !== parts[0]![k])) {
      common = k;
      break;
    }
  const out = new Map<number, string>();
  clusters.forEach((c, j) => {
    const p = parts[j]!;
    out.set(c, p.slice(Math.min(common, p.length - 1)).join('/'));
  });
  return out;
}

export function nodeBox(db: Db, i: number, x: number, y: number, extraClass: string): string {
  const n = db.nodes[i]!;
  const st = shownStatus(db, i);
  const label = displayName(n);
  const aria = `${n.type} ${label}${st ? ', ' + st : ''}`;
  const colour = n.nodeColor ? ` style="fill:${esc(n.nodeColor)}"` : '';
  return (
    `<g class="n t-${esc(n.type)} s-${statusClass(st)}${extraClass}" ` +
    `data-i="${i}" transform="translate(${x},${y})" tabindex="0" role="button" ` +
    `aria-label="${esc(aria)}"><title>${esc(`${n.type}: ${n.id}${st ? ` (${st})` : ''}`)}</title><rect ` +
    `class="box" width="${BOX_W}" height="${BOX_H}" rx="5"/><rect ` +
    `class="tag" width="6" height="${BOX_H}" rx="2"${colour}/><text ` +
    `x="14" y="${BOX_H / 2 + 4}">${esc(fit(label, 25))}</text></g>`
  );
}

/**
 * A cluster: its name, how many nodes it holds (also as a bar against the biggest
 * cluster drawn) and how many of them failed.
 */
export function clusterBox(
  tree: ClusterTree,
  c: number,
  label: string,
  x: number,
  y: number,
  biggest: number,
  failed: number,
  deps: { in: number; out: number },
): string {
  const size = tree.size[c]!;
  const bar = Math.max(3, Math.round(((BOX_W - 16) * Math.sqrt(size)) / Math.sqrt(Math.max(1, biggest))));
  const count = size.toLocaleString('en');
  const aria =
    `group ${tree.path[c] || label}, ${count} node${size === 1 ? '' : 's'}${failed ? `, ${failed} failed` : ''}; ` +
    `press Enter to open`;
  const title =
    `${tree.path[c] || label}: ${count} nodes${failed ? `, ${failed} failed` : ''}; ${deps.in.toLocaleString('en')} ` +
    `dependencies in, ${deps.out.toLocaleString('en')} out (click ` +
    `or zoom in to open)`;
  const failedLabel = failed
    ? `<text x="${BOX_W - 8}" y="${BOX_H - 9}" class="cl-bad" text-anchor="end">${failed} failed</text>`
    : '';
  return (
    `<g class="cl${failed ? ' has-bad' : ''}" data-c="${c}" transform="translate(${x},${y})" ` +
    `tabindex="0" role="button" aria-label="${esc(aria)}"><title>${esc(title)}</title><rect ` +
    `class="box" width="${BOX_W}" height="${BOX_H}" rx="8"/><rect ` +
    `class="size" x="8" y="${BOX_H - 5}" width="${bar}" height="2.5" ` +
    `rx="1.2"/><text x="10" y="14" class="cl-name">▸ ${esc(fitTail(label, 22))}</text><text ` +
    `x="22" y="${BOX_H - 9}" class="cl-count">${count}</text>${failedLabel}</g>`
  );
}

/** Stroke width of an edge standing for `count` dependencies, in half-pixel steps. */
export function edgeWidth(count: number): number {
  return Math.min(9, Math.round((1.3 + Math.log2(Math.max(1, count))) * 2) / 2);
}

/**
 * All edges as a few paths, one per width (and one for the focus's edges): a map of
 * hundreds of groups has about a thousand edges, and one element each would cost more
 * to build and lay out than the rest of the drawing.
 */
export function edgePaths(
  edges: { x1: number; y1: number; x2: number; y2: number; count: number; hot: boolean }[],
): string {
  const byStyle = new Map<string, string[]>();
  for (const e of edges) {
    const ax = e.x1 + BOX_W,
      ay = e.y1 + BOX_H / 2,
      bx = e.x2,
      by = e.y2 + BOX_H / 2;
    const mx = (ax + bx) / 2;
    const key = `${e.hot ? 'hot' : ''}|${edgeWidth(e.count)}`;
    let list = byStyle.get(key);
    if (!list) {
      list = [];
      byStyle.set(key, list);
    }
    list.push(`M${ax} ${ay}C${mx} ${ay} ${mx} ${by} ${bx} ${by}`);
  }
  let out = '';
  for (const [key, d] of byStyle) {
    const [hot, width] = key.split('|');
    out +=
      `<path class="e${hot ? ' hot' : ''}"${width !== '1.5' ? ` style="stroke-width:${width}"` : ''} ` +
      `data-edges="${d.length}" d="${d.join('')}"/>`;
  }
  return out;
}
