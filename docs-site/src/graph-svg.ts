/**
 * SVG markup for the lineage drawing: model boxes, cluster boxes of the project map and
 * the edges between them. Strings only: no state, no events.
 */
import { escapeHtml as esc } from '../../src/docs/markdown.js';
import type { ClusterTree } from '../../src/docs/clusters.js';
import { type Db, displayName, shownStatus, statusClass } from './db.js';

export const BOX_W = 190, BOX_H = 34;

/** Cut a label to what fits in a box at 12 px. */
function fit(label: string, chars: number): string {
  return label.length > chars ? label.slice(0, chars - 1) + '…' : label;
}

export function nodeBox(db: Db, i: number, x: number, y: number, extraClass: string): string {
  const n = db.nodes[i]!;
  const st = shownStatus(db, i);
  const label = displayName(n);
  const aria = `${n.type} ${label}${st ? ', ' + st : ''}`;
  const colour = n.nodeColor ? ` style="fill:${esc(n.nodeColor)}"` : '';
  return `<g class="n t-${esc(n.type)} s-${statusClass(st)}${extraClass}" data-i="${i}" transform="translate(${x},${y})" tabindex="0" role="button" aria-label="${esc(aria)}"><title>${esc(`${n.type}: ${n.id}${st ? ` (${st})` : ''}`)}</title><rect class="box" width="${BOX_W}" height="${BOX_H}" rx="5"/><rect class="tag" width="6" height="${BOX_H}" rx="2"${colour}/><text x="14" y="${BOX_H / 2 + 4}">${esc(fit(label, 25))}</text></g>`;
}

/**
 * A cluster: its name, how many nodes it holds (also as a bar against the biggest
 * cluster drawn) and how many of them failed.
 */
export function clusterBox(tree: ClusterTree, c: number, x: number, y: number, biggest: number, failed: number, deps: { in: number; out: number }): string {
  const size = tree.size[c]!;
  const bar = Math.max(3, Math.round(((BOX_W - 16) * Math.sqrt(size)) / Math.sqrt(Math.max(1, biggest))));
  const label = tree.label[c]!;
  const count = size.toLocaleString('en');
  const aria = `group ${tree.path[c] || label}, ${count} node${size === 1 ? '' : 's'}${failed ? `, ${failed} failed` : ''}; press Enter to open`;
  const title = `${tree.path[c] || label}: ${count} nodes${failed ? `, ${failed} failed` : ''}; ${deps.in.toLocaleString('en')} dependencies in, ${deps.out.toLocaleString('en')} out (click or zoom in to open)`;
  return `<g class="cl${failed ? ' has-bad' : ''}" data-c="${c}" transform="translate(${x},${y})" tabindex="0" role="button" aria-label="${esc(aria)}"><title>${esc(title)}</title><rect class="box" width="${BOX_W}" height="${BOX_H}" rx="8"/><rect class="size" x="8" y="${BOX_H - 7}" width="${bar}" height="3" rx="1.5"/><text x="10" y="15" class="cl-name">${esc(fit(`▸ ${label}`, 22))}</text><text x="${BOX_W - 8}" y="15" class="cl-count" text-anchor="end">${count}</text>${failed ? `<text x="${BOX_W - 8}" y="${BOX_H - 10}" class="cl-bad" text-anchor="end">${failed} ✕</text>` : ''}</g>`;
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
export function edgePaths(edges: { x1: number; y1: number; x2: number; y2: number; count: number; hot: boolean }[]): string {
  const byStyle = new Map<string, string[]>();
  for (const e of edges) {
    const ax = e.x1 + BOX_W, ay = e.y1 + BOX_H / 2, bx = e.x2, by = e.y2 + BOX_H / 2;
    const mx = (ax + bx) / 2;
    const key = `${e.hot ? 'hot' : ''}|${edgeWidth(e.count)}`;
    let list = byStyle.get(key);
    if (!list) { list = []; byStyle.set(key, list); }
    list.push(`M${ax} ${ay}C${mx} ${ay} ${mx} ${by} ${bx} ${by}`);
  }
  let out = '';
  for (const [key, d] of byStyle) {
    const [hot, width] = key.split('|');
    out += `<path class="e${hot ? ' hot' : ''}"${width !== '1.5' ? ` style="stroke-width:${width}"` : ''} data-edges="${d.length}" d="${d.join('')}"/>`;
  }
  return out;
}
