/**
 * The interactive lineage view: a selection box with dbt's grammar, a left-to-right
 * layered drawing of only the selected subgraph, click to focus, double-click
 * (or Enter) to open, colour by type or run status, export as SVG or PNG.
 */
import { escapeHtml as esc } from '../../src/docs/markdown.js';
import { layeredLayout } from '../../src/docs/layout.js';
import { select } from '../../src/docs/select.js';
import { GRAPH_TYPES } from '../../src/docs/model.js';
import { type Db, displayName, nodeHref, statusClass, statusOf } from './db.js';
import { lineageHref } from './router.js';
import { downloadPng, downloadText } from './download.js';
import { perf } from './perf.js';

export const DRAW_CAP = 400;
const NODE_W = 180, NODE_H = 30;

export interface LineageOptions {
  select: string;
  exclude?: string;
  /** Node the view is centred on (its name is shown in the box as `2+name+2`). */
  focus?: number;
  depth?: number;
  embedded?: boolean;
  navigate: (href: string) => void;
}

interface Drawn {
  idx: number[];
  x: number[];
  y: number[];
  width: number;
  height: number;
  total: number;
  capped: boolean;
}

export class LineageView {
  private focus: number | undefined;
  private depth: number;
  private colour: 'type' | 'status';
  private drawAll = false;
  private view = { x: 0, y: 0, k: 1 };
  private drawn: Drawn | null = null;
  private lastClick = { i: -1, t: 0 };
  private readonly el: HTMLElement;
  private readonly svg: SVGSVGElement;
  private readonly vp: SVGGElement;
  private readonly note: HTMLElement;
  private readonly selectInput: HTMLInputElement;
  private readonly excludeInput: HTMLInputElement;
  private readonly depthInput: HTMLInputElement;

  constructor(host: HTMLElement, private readonly db: Db, private readonly opts: LineageOptions) {
    this.focus = opts.focus;
    this.depth = opts.depth ?? 2;
    this.colour = db.hasRun || db.hasFreshness ? 'status' : 'type';
    host.innerHTML = `<section class="lineage${opts.embedded ? ' embedded' : ''}" aria-label="Lineage">
<form class="lin-bar" role="search" aria-label="Lineage selection">
<label>Select <input name="select" class="mono" spellcheck="false" autocomplete="off" placeholder="+orders+ or tag:finance"></label>
<label>Exclude <input name="exclude" class="mono" spellcheck="false" autocomplete="off"></label>
<label>Hops <input name="depth" type="number" min="1" max="9" value="${this.depth}"></label>
<label>Colour <select name="colour"><option value="type">by type</option><option value="status">by run status</option></select></label>
<button type="submit">Update</button>
<span class="lin-tools"><button type="button" data-act="fit" title="Fit to view">Fit</button><button type="button" data-act="in" title="Zoom in" aria-label="Zoom in">+</button><button type="button" data-act="out" title="Zoom out" aria-label="Zoom out">−</button><button type="button" data-act="svg">SVG</button><button type="button" data-act="png">PNG</button>${opts.embedded ? '<a class="btn" data-act="full" href="#">Full view</a>' : ''}</span>
</form>
<div class="lin-note" aria-live="polite"></div>
<div class="lin-canvas"><svg class="lin-svg" role="group" aria-label="Lineage graph"><g class="vp"></g></svg></div>
<div class="lin-legend"></div>
</section>`;
    this.el = host.querySelector('.lineage')!;
    this.svg = this.el.querySelector('svg')!;
    this.vp = this.el.querySelector('.vp')!;
    this.note = this.el.querySelector('.lin-note')!;
    const form = this.el.querySelector('form')!;
    this.selectInput = form.elements.namedItem('select') as HTMLInputElement;
    this.excludeInput = form.elements.namedItem('exclude') as HTMLInputElement;
    this.depthInput = form.elements.namedItem('depth') as HTMLInputElement;
    const colourSel = form.elements.namedItem('colour') as HTMLSelectElement;
    colourSel.value = this.colour;
    this.selectInput.value = opts.select || (this.focus !== undefined ? this.focusExpr(this.focus) : '');
    this.excludeInput.value = opts.exclude ?? '';

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.depth = clampDepth(this.depthInput.value);
      this.drawAll = false;
      if (!opts.embedded) { opts.navigate(lineageHref(this.selectInput.value.trim(), this.excludeInput.value.trim())); return; }
      this.render(true);
    });
    this.depthInput.addEventListener('change', () => {
      this.depth = clampDepth(this.depthInput.value);
      if (this.focus !== undefined) this.selectInput.value = this.focusExpr(this.focus);
      this.render(true);
    });
    colourSel.addEventListener('change', () => { this.colour = colourSel.value as 'type' | 'status'; this.applyColour(); });
    this.el.querySelector('.lin-tools')!.addEventListener('click', (e) => this.onTool(e));
    this.wireCanvas();
    this.render(true);
  }

  private focusExpr(i: number): string {
    const node = this.db.nodes[i]!;
    const same = this.db.nodes.filter((n) => n.name === node.name && n.type !== 'source' && GRAPH_TYPES.has(n.type)).length;
    const ref = node.type === 'source' ? `source:${node.source}.${node.name}` : same > 1 ? node.id : node.name;
    return `${this.depth}+${ref}+${this.depth}`;
  }

  /** Focus a node: centre the selection on it, keeping it where it was on screen. */
  focusNode(i: number): void {
    const t0 = performance.now();
    const before = this.screenPos(i);
    this.focus = i;
    this.selectInput.value = this.focusExpr(i);
    this.excludeInput.value = '';
    this.drawAll = false;
    this.render(before === null);
    if (before) {
      const after = this.screenPos(i);
      if (after) { this.view.x += before[0] - after[0]; this.view.y += before[1] - after[1]; this.applyView(); }
    }
    (this.vp.querySelector(`[data-i="${i}"]`) as SVGGElement | null)?.focus({ preventScroll: true });
    perf('lineage-focus', performance.now() - t0);
  }

  private screenPos(i: number): [number, number] | null {
    const d = this.drawn;
    if (!d) return null;
    const k = d.idx.indexOf(i);
    if (k < 0) return null;
    return [d.x[k]! * this.view.k + this.view.x, d.y[k]! * this.view.k + this.view.y];
  }

  private compute(): Drawn {
    const db = this.db;
    const text = this.selectInput.value.trim();
    const exclude = this.excludeInput.value.trim();
    let set: Set<number>;
    let wholeProject = false;
    if (text) {
      set = select(db.graph, text, exclude);
    } else {
      wholeProject = true;
      set = new Set();
      db.nodes.forEach((n, i) => { if (GRAPH_TYPES.has(n.type)) set.add(i); });
      if (exclude) for (const x of select(db.graph, exclude)) set.delete(x);
    }
    for (const i of [...set]) if (!GRAPH_TYPES.has(db.nodes[i]!.type)) set.delete(i);
    const total = set.size;
    let idx: number[];
    let capped = false;
    if (total > DRAW_CAP && !this.drawAll) {
      capped = true;
      idx = nearest(set, this.focus, db.gParents, db.gChildren, DRAW_CAP);
    } else {
      idx = [...set].sort((a, b) => a - b);
    }
    if (wholeProject && db.data.projectLayout && idx.every((i) => db.nodes[i]!.lx !== undefined)) {
      // Precomputed at generate time: no layout cost in the browser.
      const x = idx.map((i) => db.nodes[i]!.lx!);
      const y = idx.map((i) => db.nodes[i]!.ly!);
      const minX = Math.min(...x), minY = Math.min(...y);
      return { idx, x: x.map((v) => v - minX), y: y.map((v) => v - minY), width: Math.max(...x) - minX + NODE_W, height: Math.max(...y) - minY + NODE_H, total, capped };
    }
    const local = new Map<number, number>();
    idx.forEach((g, k) => local.set(g, k));
    const edges: [number, number][] = [];
    idx.forEach((g, k) => { for (const p of db.gParents[g]!) { const lp = local.get(p); if (lp !== undefined) edges.push([lp, k]); } });
    const lay = layeredLayout(idx.length, edges, { nodeWidth: NODE_W, nodeHeight: NODE_H, gapX: 60, gapY: 12 });
    return { idx, x: lay.x, y: lay.y, width: lay.width, height: lay.height, total, capped };
  }

  render(fit: boolean): void {
    const t0 = performance.now();
    const d = this.compute();
    this.drawn = d;
    const db = this.db;
    const pos = new Map<number, number>();
    d.idx.forEach((g, k) => pos.set(g, k));
    const focusEdges = new Set<number>();
    let edges = '';
    d.idx.forEach((g, k) => {
      for (const p of db.gParents[g]!) {
        const kp = pos.get(p);
        if (kp === undefined) continue;
        const x1 = d.x[kp]! + NODE_W, y1 = d.y[kp]! + NODE_H / 2, x2 = d.x[k]!, y2 = d.y[k]! + NODE_H / 2;
        const mx = (x1 + x2) / 2;
        const hot = g === this.focus || p === this.focus;
        if (hot) { focusEdges.add(g); focusEdges.add(p); }
        edges += `<path class="e${hot ? ' hot' : ''}" d="M${x1} ${y1}C${mx} ${y1} ${mx} ${y2} ${x2} ${y2}"/>`;
      }
    });
    let nodes = '';
    d.idx.forEach((g, k) => {
      const n = db.nodes[g]!;
      const st = statusOf(n);
      const label = displayName(n);
      const short = label.length > 24 ? label.slice(0, 23) + '…' : label;
      const cls = `n t-${esc(n.type)} s-${statusClass(st)}${g === this.focus ? ' focus' : ''}${focusEdges.has(g) ? ' near' : ''}`;
      const aria = `${n.type} ${label}${st ? ', ' + st : ''}`;
      nodes += `<g class="${cls}" data-i="${g}" transform="translate(${d.x[k]},${d.y[k]})" tabindex="0" role="button" aria-label="${esc(aria)}"><title>${esc(`${n.type}: ${n.id}${st ? ` (${st})` : ''}`)}</title><rect class="box" width="${NODE_W}" height="${NODE_H}" rx="5"/><rect class="tag" width="6" height="${NODE_H}" rx="2"/><text x="14" y="${NODE_H / 2 + 4}">${esc(short)}</text></g>`;
    });
    this.vp.innerHTML = `<g class="edges">${edges}</g><g class="nodes">${nodes}</g>`;
    this.svg.classList.toggle('by-status', this.colour === 'status');
    const shown = d.idx.length;
    this.note.innerHTML = d.total === 0
      ? 'Nothing matches this selection.'
      : d.capped
        ? `Showing the ${shown} nodes nearest the focus of ${d.total} selected. <button type="button" data-act="all">Draw all ${d.total}</button>`
        : `${d.total} node${d.total === 1 ? '' : 's'}.`;
    this.note.querySelector('[data-act=all]')?.addEventListener('click', () => { this.drawAll = true; this.render(true); });
    this.renderLegend(d);
    const full = this.el.querySelector<HTMLAnchorElement>('[data-act=full]');
    if (full) full.href = lineageHref(this.selectInput.value.trim(), this.excludeInput.value.trim());
    if (fit) this.fit();
    perf('lineage-render', performance.now() - t0);
  }

  private renderLegend(d: Drawn): void {
    const types = new Map<string, number>();
    const stats = new Map<string, number>();
    for (const g of d.idx) {
      const n = this.db.nodes[g]!;
      types.set(n.type, (types.get(n.type) ?? 0) + 1);
      const s = statusOf(n) ?? 'not run';
      stats.set(s, (stats.get(s) ?? 0) + 1);
    }
    const legend = this.el.querySelector('.lin-legend')!;
    legend.innerHTML = this.colour === 'type'
      ? [...types].map(([t, c]) => `<span class="lg t-${esc(t)}"><i></i>${esc(t)} ${c}</span>`).join('')
      : [...stats].map(([s, c]) => `<span class="lg s-${statusClass(s === 'not run' ? undefined : s)}"><i></i>${esc(s)} ${c}</span>`).join('');
  }

  private applyColour(): void {
    this.svg.classList.toggle('by-status', this.colour === 'status');
    if (this.drawn) this.renderLegend(this.drawn);
  }

  private applyView(): void {
    this.vp.setAttribute('transform', `translate(${this.view.x.toFixed(1)},${this.view.y.toFixed(1)}) scale(${this.view.k.toFixed(4)})`);
  }

  fit(): void {
    const d = this.drawn;
    const box = this.svg.getBoundingClientRect();
    const cw = box.width || 800, ch = box.height || 400;
    if (!d || d.idx.length === 0) { this.view = { x: 0, y: 0, k: 1 }; this.applyView(); return; }
    const pad = 20;
    const k = Math.min((cw - 2 * pad) / Math.max(1, d.width), (ch - 2 * pad) / Math.max(1, d.height), 1.25);
    const kk = Math.max(k, 0.02);
    this.view = { k: kk, x: (cw - d.width * kk) / 2, y: (ch - d.height * kk) / 2 };
    this.applyView();
  }

  private zoom(f: number, cx?: number, cy?: number): void {
    const box = this.svg.getBoundingClientRect();
    const px = cx ?? box.width / 2, py = cy ?? box.height / 2;
    const k = Math.min(4, Math.max(0.02, this.view.k * f));
    const r = k / this.view.k;
    this.view = { k, x: px - (px - this.view.x) * r, y: py - (py - this.view.y) * r };
    this.applyView();
  }

  private nodeFrom(target: EventTarget | null): number | null {
    const g = (target as Element | null)?.closest?.('g.n');
    return g ? Number(g.getAttribute('data-i')) : null;
  }

  private wireCanvas(): void {
    const svg = this.svg;
    let drag: { x: number; y: number; vx: number; vy: number; moved: boolean } | null = null;
    svg.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      drag = { x: e.clientX, y: e.clientY, vx: this.view.x, vy: this.view.y, moved: false };
    });
    svg.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
      if (!drag.moved) { drag.moved = true; svg.setPointerCapture(e.pointerId); svg.classList.add('panning'); }
      this.view.x = drag.vx + dx; this.view.y = drag.vy + dy; this.applyView();
    });
    const end = (e: PointerEvent) => {
      const wasDrag = drag?.moved;
      drag = null;
      svg.classList.remove('panning');
      if (svg.hasPointerCapture(e.pointerId)) svg.releasePointerCapture(e.pointerId);
      if (wasDrag) return;
      const i = this.nodeFrom(e.target);
      if (i === null || e.type !== 'pointerup') return;
      const now = performance.now();
      if (this.lastClick.i === i && now - this.lastClick.t < 450) {
        this.lastClick = { i: -1, t: 0 };
        this.opts.navigate(nodeHref(this.db.nodes[i]!));
        return;
      }
      this.lastClick = { i, t: now };
      if (i !== this.focus) this.focusNode(i);
    };
    svg.addEventListener('pointerup', end);
    svg.addEventListener('pointercancel', end);
    svg.addEventListener('wheel', (e) => {
      if (this.opts.embedded && !e.ctrlKey && !e.metaKey) return;
      e.preventDefault();
      const box = svg.getBoundingClientRect();
      this.zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - box.left, e.clientY - box.top);
    }, { passive: false });
    svg.addEventListener('keydown', (e) => {
      const i = this.nodeFrom(e.target);
      if (i === null) return;
      if (e.key === 'Enter') { e.preventDefault(); this.opts.navigate(nodeHref(this.db.nodes[i]!)); return; }
      if (e.key === ' ' || e.key === 'Spacebar') { e.preventDefault(); this.focusNode(i); return; }
      const next = this.neighbour(i, e.key);
      if (next !== null) {
        e.preventDefault();
        const el = this.vp.querySelector<SVGGElement>(`[data-i="${next}"]`);
        el?.focus();
      }
    });
  }

  /** Arrow keys move between drawn nodes: left to a parent, right to a child, up/down within a column. */
  private neighbour(i: number, key: string): number | null {
    const d = this.drawn;
    if (!d) return null;
    const k = d.idx.indexOf(i);
    if (k < 0) return null;
    const drawnSet = new Set(d.idx);
    if (key === 'ArrowLeft') return this.db.gParents[i]!.find((p) => drawnSet.has(p)) ?? null;
    if (key === 'ArrowRight') return this.db.gChildren[i]!.find((c) => drawnSet.has(c)) ?? null;
    if (key === 'ArrowUp' || key === 'ArrowDown') {
      let best: number | null = null, bestDy = Infinity;
      d.idx.forEach((g, j) => {
        if (d.x[j] !== d.x[k]) return;
        const dy = key === 'ArrowUp' ? d.y[k]! - d.y[j]! : d.y[j]! - d.y[k]!;
        if (dy > 0 && dy < bestDy) { bestDy = dy; best = g; }
      });
      return best;
    }
    return null;
  }

  private onTool(e: Event): void {
    const act = (e.target as HTMLElement).closest('[data-act]')?.getAttribute('data-act');
    if (!act || act === 'full') return;
    if (act === 'fit') this.fit();
    else if (act === 'in') this.zoom(1.25);
    else if (act === 'out') this.zoom(0.8);
    else if (act === 'svg') downloadText(`${this.fileStem()}.svg`, this.exportSvg(), 'image/svg+xml');
    else if (act === 'png') void downloadPng(`${this.fileStem()}.png`, this.exportSvg());
  }

  private fileStem(): string {
    const f = this.focus !== undefined ? this.db.nodes[this.focus]!.name : 'lineage';
    return `lineage-${f.replace(/[^\w.-]+/g, '_')}`;
  }

  /** A standalone SVG of the drawn graph with the current theme's colours inlined. */
  exportSvg(): string {
    const d = this.drawn;
    const w = Math.ceil((d?.width ?? 0) + 40), h = Math.ceil((d?.height ?? 0) + 40);
    const cs = getComputedStyle(this.svg);
    const v = (name: string) => cs.getPropertyValue(name).trim() || '#888';
    const types = ['model', 'source', 'seed', 'snapshot', 'exposure', 'analysis', 'metric', 'semantic_model', 'saved_query'];
    const statuses = ['ok', 'bad', 'warn', 'skip', 'other', 'none'];
    const style = [
      `svg{font:12px system-ui,sans-serif}`,
      `.e{fill:none;stroke:${v('--edge')};stroke-width:1.3}.e.hot{stroke:${v('--edge-hot')};stroke-width:2.2}`,
      `.box{fill:${v('--node-bg')};stroke:${v('--node-border')}}text{fill:${v('--fg')}}`,
      `.focus .box{stroke:${v('--accent')};stroke-width:2.5}`,
      ...types.map((t) => `.t-${t} .tag{fill:${v(`--t-${t}`)}}`),
      ...(this.colour === 'status' ? statuses.map((s) => `.s-${s} .tag{fill:${v(`--s-${s}`)}}.s-${s} .box{fill:${v(`--s-${s}-bg`)}}`) : []),
    ].join('');
    const inner = this.vp.innerHTML.replace(/ tabindex="0"/g, '');
    return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="-20 -20 ${w} ${h}"><style>${style}</style><rect x="-20" y="-20" width="${w}" height="${h}" fill="${v('--bg')}"/>${inner}</svg>`;
  }
}

function clampDepth(v: string): number {
  const n = Math.round(Number(v));
  return Number.isFinite(n) ? Math.min(9, Math.max(1, n)) : 2;
}

/** Up to `cap` members of `set`, nearest to `focus` first (breadth-first both ways). */
function nearest(set: Set<number>, focus: number | undefined, parents: number[][], children: number[][], cap: number): number[] {
  const start = focus !== undefined && set.has(focus) ? focus : Math.min(...set);
  const out: number[] = [start];
  const seen = new Set<number>(out);
  for (let h = 0; h < out.length && out.length < cap; h++) {
    const v = out[h]!;
    for (const u of [...parents[v]!, ...children[v]!]) {
      if (out.length >= cap) break;
      if (!set.has(u) || seen.has(u)) continue;
      seen.add(u);
      out.push(u);
    }
  }
  // Disconnected members (e.g. `tag:x` selections) fill the rest in index order.
  if (out.length < cap) for (const v of set) { if (out.length >= cap) break; if (!seen.has(v)) { seen.add(v); out.push(v); } }
  return out.sort((a, b) => a - b);
}
