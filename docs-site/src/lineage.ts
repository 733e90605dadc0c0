/**
 * The interactive lineage view: a selection box with dbt's grammar, a left-to-right
 * layered drawing of only the selected subgraph, click to focus, double-click
 * (or Enter) to open, colour by type or run status, export as SVG or PNG.
 * Selections too big to draw model by model become a map of clusters (folders or
 * groups) that open on click or on zooming in, and close again on zooming out.
 */
import { escapeHtml as esc } from '../../src/docs/markdown.js';
import { KilnError } from '../../src/errors.js';
import { layeredLayout } from './layout.js';
import { GRAPH_TYPES } from '../../src/docs/model.js';
import { clusterUnit, type MapEdge, type Unit, unitCluster } from './clusters.js';
import { type GroupBy, ProjectMap } from './project-map.js';
import { type Db, nodeHref, shownStatus, statusClass } from './db.js';
import { lineageHref } from './router.js';
import { downloadPng, downloadText } from './download.js';
import { perf } from './perf.js';
import { BOX_H, BOX_W, clusterBox, clusterLabels, edgePaths, nodeBox } from './graph-svg.js';

/** Selections up to this many nodes are drawn node by node; bigger ones as a map. */
export const NODE_LIMIT = 150;
/** Below this scale labels are too small to read: fitting stops here and the map closes a level. */
const MAP_BY_LABEL =
  '<label>Map by <select name="group"><option value="folder">folder</option>' +
  '<option value="group">group</option></select></label>';
const MIN_READABLE = 0.7;
/** Zooming in past this scale over a cluster opens it. */
const OPEN_AT = 1.8;

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
  units: Unit[];
  x: number[];
  y: number[];
  edges: MapEdge[];
  width: number;
  height: number;
  total: number;
  /** Drawn as a map of clusters (the selection is over NODE_LIMIT). */
  map: boolean;
}

export class LineageView {
  private focus: number | undefined;
  private depth: number;
  private colour: 'type' | 'status';
  private groupBy: GroupBy = 'folder';
  private view = { x: 0, y: 0, k: 1 };
  private drawn: Drawn | null = null;
  private mapState: { key: string; map: ProjectMap } | null = null;
  private selected: { key: string; set: Set<number>; error?: string } | null = null;
  private lastClick = { u: NaN, t: 0 };
  private readonly el: HTMLElement;
  private readonly svg: SVGSVGElement;
  private readonly vp: SVGGElement;
  private readonly note: HTMLElement;
  private readonly selectInput: HTMLInputElement;
  private readonly excludeInput: HTMLInputElement;
  private readonly depthInput: HTMLInputElement;

  constructor(
    host: HTMLElement,
    private readonly db: Db,
    private readonly opts: LineageOptions,
  ) {
    this.focus = opts.focus;
    this.depth = opts.depth ?? 2;
    this.colour = db.hasRun || db.hasFreshness ? 'status' : 'type';
    host.innerHTML =
      `<section class="lineage${opts.embedded ? ' embedded' : ''}" aria-label="Lineage">
<form class="lin-bar" role="search" aria-label="Lineage selection">
<label>Select <input name="select" class="mono" spellcheck="false" ` +
      `autocomplete="off" placeholder="+orders+ or tag:finance"></label>
<label>Exclude <input name="exclude" class="mono" spellcheck="false" autocomplete="off"></label>
<label>Hops <input name="depth" type="number" min="1" max="9" value="${this.depth}"></label>
<label>Colour <select name="colour"><option value="type">by type</option><option ` +
      `value="status">by run status</option></select></label>
${opts.embedded ? '' : MAP_BY_LABEL}
<button type="submit">Update</button>
<span class="lin-tools"><button type="button" data-act="fit" ` +
      `title="Fit to view">Fit</button><button type="button" data-act="in" ` +
      `title="Zoom in" aria-label="Zoom in">+</button><button type="button" ` +
      `data-act="out" title="Zoom out" aria-label="Zoom out">−</button><button ` +
      `type="button" data-act="svg">SVG</button><button type="button" ` +
      `data-act="png">PNG</button>${opts.embedded ? '<a class="btn" data-act="full" href="#">Full view</a>' : ''}</span>
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
    if (this.focus === undefined && opts.select) this.focus = this.focusOf(opts.select);

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.depth = clampDepth(this.depthInput.value);
      if (!opts.embedded) {
        opts.navigate(lineageHref(this.selectInput.value.trim(), this.excludeInput.value.trim()));
        return;
      }
      this.render(true);
    });
    this.depthInput.addEventListener('change', () => {
      this.depth = clampDepth(this.depthInput.value);
      if (this.focus !== undefined) this.selectInput.value = this.focusExpr(this.focus);
      this.render(true);
      this.syncUrl();
    });
    colourSel.addEventListener('change', () => {
      this.colour = colourSel.value as 'type' | 'status';
      this.applyColour();
    });
    const groupSel = form.elements.namedItem('group') as HTMLSelectElement | null;
    groupSel?.addEventListener('change', () => {
      this.groupBy = groupSel.value as GroupBy;
      this.mapState = null;
      this.render(true);
    });
    this.el.querySelector('.lin-tools')!.addEventListener('click', (e) => this.onTool(e));
    this.note.addEventListener('click', (e) => {
      const c = (e.target as HTMLElement).closest('[data-close]')?.getAttribute('data-close');
      if (c) this.close(Number(c), null);
    });
    this.wireCanvas();
    this.render(true);
  }

  private focusExpr(i: number): string {
    return `${this.depth}+${uniqueSelector(this.db, i)}+${this.depth}`;
  }

  /** A URL's `2+name+2` names its focus and its hops: read both back. */
  private focusOf(text: string): number | undefined {
    const m = /^(\d)\+(\S+)\+(\d)$/.exec(text.trim());
    if (!m || m[1] !== m[3]) return undefined;
    let hit: number[];
    try {
      hit = [...this.db.selection.select(m[2]!)].filter((i) => GRAPH_TYPES.has(this.db.nodes[i]!.type));
    } catch {
      return undefined;
    }
    if (hit.length !== 1) return undefined;
    this.depth = clampDepth(m[1]!);
    this.depthInput.value = String(this.depth);
    return hit[0];
  }

  /** The full-page view keeps the current selection in the URL, without a new history entry. */
  private syncUrl(): void {
    if (this.opts.embedded) return;
    const href = lineageHref(this.selectInput.value.trim(), this.excludeInput.value.trim());
    if (location.hash !== href) history.replaceState(history.state, '', href);
  }

  /** Focus a node: centre the selection on it, keeping it where it was on screen. */
  focusNode(i: number): void {
    const t0 = performance.now();
    const before = this.screenPos(i);
    this.focus = i;
    this.selectInput.value = this.focusExpr(i);
    this.excludeInput.value = '';
    this.render(before === null);
    if (before) this.anchor(i, before);
    this.vp.querySelector<SVGGElement>(`[data-i="${i}"]`)?.focus({ preventScroll: true });
    this.syncUrl();
    perf('lineage-focus', performance.now() - t0);
  }

  private screenPos(u: Unit): [number, number] | null {
    const d = this.drawn;
    if (!d) return null;
    const k = d.units.indexOf(u);
    if (k < 0) return null;
    return [d.x[k]! * this.view.k + this.view.x, d.y[k]! * this.view.k + this.view.y];
  }

  /** Move the view so unit u's box has its corner at screen point p. */
  private anchor(u: Unit, p: [number, number]): void {
    const after = this.screenPos(u);
    if (!after) return;
    this.view.x += p[0] - after[0];
    this.view.y += p[1] - after[1];
    this.applyView();
  }

  /** The selected graph nodes; kept while the boxes say the same, since opening a group does not change it. */
  private selection(): Set<number> {
    const db = this.db;
    const text = this.selectInput.value.trim();
    const exclude = this.excludeInput.value.trim();
    const key = `${text}\u0000${exclude}`;
    if (this.selected?.key === key) return this.selected.set;
    let set: Set<number>;
    let error: string | undefined;
    try {
      set = db.selection.select(text, exclude);
    } catch (e) {
      // A malformed selector is the reader's typo: say what is wrong instead of drawing.
      set = new Set();
      error = e instanceof KilnError ? `${e.message.split('\n')[0]}${e.hint ? ` (${e.hint})` : ''}` : String(e);
    }
    // docs.show: false leaves a node out, unless it is the node whose page this is.
    for (const i of [...set])
      if (!GRAPH_TYPES.has(db.nodes[i]!.type) || (db.nodes[i]!.hidden && i !== this.focus)) set.delete(i);
    this.selected = { key, set, error };
    return set;
  }

  /** The map of the current selection, kept while the selection and grouping stay. */
  private mapOf(set: Set<number>): ProjectMap {
    const key = `${this.groupBy}\u0000${this.selectInput.value.trim()}\u0000${this.excludeInput.value.trim()}`;
    if (this.mapState?.key !== key)
      this.mapState = { key, map: new ProjectMap(this.db, set, this.groupBy, this.focus) };
    return this.mapState.map;
  }

  /** The map being drawn (only called in map mode). */
  private get map(): ProjectMap {
    return this.mapState!.map;
  }

  private compute(): Drawn {
    const db = this.db;
    const set = this.selection();
    const total = set.size;
    let units: Unit[];
    let edges: MapEdge[];
    const map = total > NODE_LIMIT;
    if (map) {
      ({ units, edges } = this.mapOf(set).graph());
    } else {
      this.mapState = null;
      units = [...set].sort((a, b) => a - b);
      const local = new Map<number, number>();
      units.forEach((g, k) => local.set(g, k));
      edges = [];
      units.forEach((g, k) => {
        for (const p of db.gParents[g]!) {
          const lp = local.get(p);
          if (lp !== undefined) edges.push({ from: lp, to: k, count: 1 });
        }
      });
    }
    const layers = map ? this.map.columns(units) : undefined;
    const lay = layeredLayout(
      units.length,
      edges.map((e) => [e.from, e.to] as [number, number]),
      { nodeWidth: BOX_W, nodeHeight: BOX_H, gapX: 60, gapY: 12, ...(layers ? { layers } : {}) },
    );
    return { units, x: lay.x, y: lay.y, edges, width: lay.width, height: lay.height, total, map };
  }

  render(fit: boolean): void {
    const t0 = performance.now();
    const d = this.compute();
    this.drawn = d;
    const db = this.db;
    const near = new Set<Unit>();
    const deps = d.map ? d.units.map(() => ({ in: 0, out: 0 })) : [];
    const edges = edgePaths(
      d.edges.map((e) => {
        const a = d.units[e.from]!,
          b = d.units[e.to]!;
        const hot = this.focus !== undefined && (a === this.focus || b === this.focus);
        if (hot) {
          near.add(a);
          near.add(b);
        }
        if (d.map) {
          deps[e.from]!.out += e.count;
          deps[e.to]!.in += e.count;
        }
        return { x1: d.x[e.from]!, y1: d.y[e.from]!, x2: d.x[e.to]!, y2: d.y[e.to]!, count: e.count, hot };
      }),
    );
    const m = d.map ? this.map : null;
    let biggest = 1;
    if (m) for (const u of d.units) if (u < 0) biggest = Math.max(biggest, m.tree.size[unitCluster(u)]!);
    const labels = m ? clusterLabels(m.tree, d.units.filter((u) => u < 0).map(unitCluster)) : null;
    let boxes = '';
    d.units.forEach((u, k) => {
      if (u < 0)
        boxes += clusterBox(
          m!.tree,
          unitCluster(u),
          labels!.get(unitCluster(u))!,
          d.x[k]!,
          d.y[k]!,
          biggest,
          m!.failed[unitCluster(u)]!,
          deps[k]!,
        );
      else
        boxes += nodeBox(db, u, d.x[k]!, d.y[k]!, `${u === this.focus ? ' focus' : ''}${near.has(u) ? ' near' : ''}`);
    });
    this.vp.innerHTML = `<g class="edges">${edges}</g><g class="nodes">${boxes}</g>`;
    this.svg.classList.toggle('by-status', this.colour === 'status');
    this.svg.classList.toggle('is-map', d.map);
    this.renderNote(d);
    this.renderLegend(d);
    const full = this.el.querySelector<HTMLAnchorElement>('[data-act=full]');
    if (full) full.href = lineageHref(this.selectInput.value.trim(), this.excludeInput.value.trim());
    if (fit) this.fit();
    perf(d.map ? 'map-render' : 'lineage-render', performance.now() - t0);
  }

  private renderNote(d: Drawn): void {
    if (d.total === 0) {
      this.note.textContent = this.selected?.error ?? 'Nothing matches this selection.';
      return;
    }
    if (!d.map) {
      this.note.textContent = `${d.total} node${d.total === 1 ? '' : 's'}.`;
      return;
    }
    const m = this.map;
    const groups = d.units.filter((u) => u < 0).length;
    const opened = m.openedByReader
      .map(
        (c) =>
          `<button type="button" class="chip-btn" data-close="${c}" title="Close ` +
          `this group">${esc(m.tree.path[c] || m.tree.label[c]!)} ✕</button>`,
      )
      .join(' ');
    const models = d.units.length - groups;
    this.note.innerHTML =
      `Map of ${d.total.toLocaleString('en')} nodes: ${groups} group${groups === 1 ? '' : 's'}` +
      `${models ? ` and ${models} node${models === 1 ? '' : 's'}` : ''} ` +
      `drawn. Click a group or zoom into it to open it; zoom out to ` +
      `close it.${opened ? ` Open: ${opened}` : ''}`;
  }

  private renderLegend(d: Drawn): void {
    const types = new Map<string, number>();
    const stats = new Map<string, number>();
    for (const g of d.units) {
      if (g < 0) continue;
      const n = this.db.nodes[g]!;
      types.set(n.type, (types.get(n.type) ?? 0) + 1);
      const s = shownStatus(this.db, g) ?? 'not run';
      stats.set(s, (stats.get(s) ?? 0) + 1);
    }
    const legend = this.el.querySelector('.lin-legend')!;
    const groups = d.map ? `<span class="lg cl-lg"><i></i>group (bar: its size)</span>` : '';
    legend.innerHTML =
      groups +
      (this.colour === 'type'
        ? [...types].map(([t, c]) => `<span class="lg t-${esc(t)}"><i></i>${esc(t)} ${c}</span>`).join('')
        : [...stats]
            .map(
              ([s, c]) =>
                `<span class="lg s-${statusClass(s === 'not run' ? undefined : s)}"><i></i>${esc(s)} ${c}</span>`,
            )
            .join(''));
  }

  private applyColour(): void {
    this.svg.classList.toggle('by-status', this.colour === 'status');
    if (this.drawn) this.renderLegend(this.drawn);
  }

  private applyView(): void {
    this.vp.setAttribute(
      'transform',
      `translate(${this.view.x.toFixed(1)},${this.view.y.toFixed(1)}) scale(${this.view.k.toFixed(4)})`,
    );
  }

  /** Fit the drawing, but never below a readable scale: then centre on the focus (or the middle). */
  fit(): void {
    const d = this.drawn;
    const box = this.svg.getBoundingClientRect();
    const cw = box.width || 800,
      ch = box.height || 400;
    if (!d || d.units.length === 0) {
      this.view = { x: 0, y: 0, k: 1 };
      this.applyView();
      return;
    }
    const pad = 20;
    const k = Math.min((cw - 2 * pad) / Math.max(1, d.width), (ch - 2 * pad) / Math.max(1, d.height), 1.25);
    if (k >= MIN_READABLE) {
      this.view = { k, x: (cw - d.width * k) / 2, y: (ch - d.height * k) / 2 };
      this.applyView();
      return;
    }
    const kk = MIN_READABLE;
    const f = this.focus !== undefined ? d.units.indexOf(this.focus) : -1;
    const cx = f >= 0 ? d.x[f]! + BOX_W / 2 : d.width / 2,
      cy = f >= 0 ? d.y[f]! + BOX_H / 2 : d.height / 2;
    this.view = { k: kk, x: cw / 2 - cx * kk, y: ch / 2 - cy * kk };
    this.applyView();
  }

  private fitsReadable(): boolean {
    const d = this.drawn;
    const box = this.svg.getBoundingClientRect();
    return (
      !!d &&
      Math.min((box.width - 40) / Math.max(1, d.width), (box.height - 40) / Math.max(1, d.height)) >= MIN_READABLE
    );
  }

  /** Zoom by f around a screen point; on a map, zooming in opens the group there and zooming out closes one. */
  private zoom(f: number, cx?: number, cy?: number): void {
    const t0 = performance.now();
    const box = this.svg.getBoundingClientRect();
    const px = cx ?? box.width / 2,
      py = cy ?? box.height / 2;
    let k = this.view.k * f;
    if (this.drawn?.map) {
      const opened = this.map.openedByReader;
      const c = f > 1 && k > OPEN_AT ? this.clusterNear(px, py) : null;
      if (c !== null) {
        this.open(c, [px, py], 1);
        perf('map-zoom', performance.now() - t0);
        return;
      }
      if (f < 1 && k < MIN_READABLE && opened.length) {
        this.close(opened[opened.length - 1]!, [px, py]);
        perf('map-zoom', performance.now() - t0);
        return;
      }
      k = Math.max(MIN_READABLE, k);
    }
    k = Math.min(4, Math.max(0.05, k));
    const r = k / this.view.k;
    this.view = { k, x: px - (px - this.view.x) * r, y: py - (py - this.view.y) * r };
    this.applyView();
    perf(this.drawn?.map ? 'map-zoom' : 'lineage-zoom', performance.now() - t0);
  }

  /** The drawn cluster under (or nearest to, within a box's size) a screen point. */
  private clusterNear(px: number, py: number): number | null {
    const d = this.drawn!;
    const lx = (px - this.view.x) / this.view.k,
      ly = (py - this.view.y) / this.view.k;
    let best: number | null = null,
      bestD = BOX_W * BOX_W;
    d.units.forEach((u, k) => {
      if (u >= 0) return;
      const dx = Math.max(0, Math.abs(lx - (d.x[k]! + BOX_W / 2)) - BOX_W / 2),
        dy = Math.max(0, Math.abs(ly - (d.y[k]! + BOX_H / 2)) - BOX_H / 2);
      const dist = dx * dx + dy * dy;
      if (dist < bestD) {
        bestD = dist;
        best = unitCluster(u);
      }
    });
    return best;
  }

  /**
   * Open cluster c; what it holds is drawn where it was (or at point p), at scale k if given.
   * From the keyboard, focus moves to the first thing it holds.
   */
  open(c: number, p: [number, number] | null, k?: number, byKeyboard = false): void {
    const t0 = performance.now();
    const m = this.map;
    const at = p ?? this.screenPos(clusterUnit(c));
    m.openCluster(c);
    if (k !== undefined) this.view.k = k;
    this.render(false);
    const first = m.tree.kids[c]!.length ? clusterUnit(m.tree.kids[c]![0]!) : m.tree.leaves[c]![0];
    // A click shows the whole new level when it fits at a readable scale; a zoom keeps the place under the pointer.
    if (k === undefined && this.fitsReadable()) this.fit();
    else if (at && first !== undefined) this.anchor(first, at);
    if (byKeyboard)
      this.svg
        .querySelector<SVGGElement>(
          first !== undefined && first < 0 ? `[data-c="${unitCluster(first)}"]` : `[data-i="${first}"]`,
        )
        ?.focus({ preventScroll: true });
    perf('map-open', performance.now() - t0);
  }

  /** Close cluster c and everything opened inside it; it is drawn at point p (or where its first member was). */
  close(c: number, p: [number, number] | null): void {
    const first = this.drawn!.units.find((u) => this.map.holds(c, u));
    const at = p ?? (first !== undefined ? this.screenPos(first) : null);
    this.map.closeCluster(c);
    this.view.k = Math.max(this.view.k, MIN_READABLE);
    this.render(false);
    if (at) this.anchor(clusterUnit(c), at);
  }

  private unitFrom(target: EventTarget | null): Unit | null {
    const g = (target as Element | null)?.closest?.('g.n, g.cl');
    if (!g) return null;
    return g.classList.contains('cl')
      ? clusterUnit(Number(g.getAttribute('data-c')))
      : Number(g.getAttribute('data-i'));
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
      const dx = e.clientX - drag.x,
        dy = e.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
      if (!drag.moved) {
        drag.moved = true;
        svg.setPointerCapture(e.pointerId);
        svg.classList.add('panning');
      }
      this.view.x = drag.vx + dx;
      this.view.y = drag.vy + dy;
      this.applyView();
    });
    const end = (e: PointerEvent) => {
      const wasDrag = drag?.moved;
      drag = null;
      svg.classList.remove('panning');
      if (svg.hasPointerCapture(e.pointerId)) svg.releasePointerCapture(e.pointerId);
      if (wasDrag) return;
      const u = this.unitFrom(e.target);
      if (u === null || e.type !== 'pointerup') return;
      if (u < 0) {
        const box = svg.getBoundingClientRect();
        this.open(unitCluster(u), this.screenPos(u) ?? [e.clientX - box.left, e.clientY - box.top]);
        return;
      }
      const now = performance.now();
      if (this.lastClick.u === u && now - this.lastClick.t < 450) {
        this.lastClick = { u: NaN, t: 0 };
        this.opts.navigate(nodeHref(this.db.nodes[u]!));
        return;
      }
      this.lastClick = { u, t: now };
      if (u !== this.focus) this.focusNode(u);
    };
    svg.addEventListener('pointerup', end);
    svg.addEventListener('pointercancel', end);
    svg.addEventListener(
      'wheel',
      (e) => {
        if (this.opts.embedded && !e.ctrlKey && !e.metaKey) return;
        e.preventDefault();
        const box = svg.getBoundingClientRect();
        this.zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - box.left, e.clientY - box.top);
      },
      { passive: false },
    );
    svg.addEventListener('keydown', (e) => {
      const u = this.unitFrom(e.target);
      if (u === null) return;
      if (u < 0) {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          this.open(unitCluster(u), null, undefined, true);
        }
        return;
      }
      if (e.key === 'Enter') {
        e.preventDefault();
        this.opts.navigate(nodeHref(this.db.nodes[u]!));
        return;
      }
      if (e.key === ' ' || e.key === 'Spacebar') {
        e.preventDefault();
        this.focusNode(u);
        return;
      }
      const next = this.neighbour(u, e.key);
      if (next !== null) {
        e.preventDefault();
        this.vp.querySelector<SVGGElement>(`[data-i="${next}"]`)?.focus();
      }
    });
  }

  /** Arrow keys move between drawn nodes: left to a parent, right to a child, up/down within a column. */
  private neighbour(i: number, key: string): number | null {
    const d = this.drawn;
    if (!d) return null;
    const k = d.units.indexOf(i);
    if (k < 0) return null;
    const drawnSet = new Set(d.units);
    if (key === 'ArrowLeft') return this.db.gParents[i]!.find((p) => drawnSet.has(p)) ?? null;
    if (key === 'ArrowRight') return this.db.gChildren[i]!.find((c) => drawnSet.has(c)) ?? null;
    if (key === 'ArrowUp' || key === 'ArrowDown') {
      let best: number | null = null,
        bestDy = Infinity;
      d.units.forEach((g, j) => {
        if (g < 0 || d.x[j] !== d.x[k]) return;
        const dy = key === 'ArrowUp' ? d.y[k]! - d.y[j]! : d.y[j]! - d.y[k]!;
        if (dy > 0 && dy < bestDy) {
          bestDy = dy;
          best = g;
        }
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
    const w = Math.ceil((d?.width ?? 0) + 40),
      h = Math.ceil((d?.height ?? 0) + 40);
    const cs = getComputedStyle(this.svg);
    const v = (name: string) => cs.getPropertyValue(name).trim() || '#888';
    const types = [
      'model',
      'source',
      'seed',
      'snapshot',
      'exposure',
      'analysis',
      'metric',
      'semantic_model',
      'saved_query',
    ];
    const statuses = ['ok', 'bad', 'warn', 'skip', 'other', 'none'];
    const style = [
      `svg{font:12px system-ui,sans-serif}`,
      `.e{fill:none;stroke:${v('--edge')};stroke-width:1.3}.e.hot{stroke:${v('--edge-hot')};stroke-width:2.2}`,
      `.box{fill:${v('--node-bg')};stroke:${v('--node-border')}}text{fill:${v('--fg')}}`,
      `.cl .box{fill:${v('--bg3')}}.cl .size{fill:${v('--accent')}}.cl-bad{fill:${v('--s-bad')}}`,
      `.focus .box{stroke:${v('--accent')};stroke-width:2.5}`,
      ...types.map((t) => `.t-${t} .tag{fill:${v(`--t-${t}`)}}`),
      ...(this.colour === 'status'
        ? statuses.map((s) => `.s-${s} .tag{fill:${v(`--s-${s}`)}}.s-${s} .box{fill:${v(`--s-${s}-bg`)}}`)
        : []),
    ].join('');
    const inner = this.vp.innerHTML.replace(/ tabindex="0"/g, '');
    return (
      `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" ` +
      `width="${w}" height="${h}" viewBox="-20 -20 ${w} ${h}"><style>${style}</style><rect ` +
      `x="-20" y="-20" width="${w}" height="${h}" fill="${v('--bg')}"/>${inner}</svg>`
    );
  }
}

function clampDepth(v: string): number {
  const n = Math.round(Number(v));
  return Number.isFinite(n) ? Math.min(9, Math.max(1, n)) : 2;
}

/**
 * A selector naming node i alone, in the CLI's grammar: its name when no other node shares
 * it, else its whole fqn; sources and exposures by their own methods.
 */
function uniqueSelector(db: Db, i: number): string {
  const node = db.nodes[i]!;
  const shared = db.nodes.some(
    (n, j) =>
      j !== i &&
      n.name === node.name &&
      (node.type === 'source'
        ? n.type === 'source' && n.source === node.source
        : n.type !== 'source' && n.type !== 'macro'),
  );
  if (node.type === 'source') return `source:${shared ? `${node.pkg}.` : ''}${node.source}.${node.name}`;
  if (node.type === 'exposure') return `exposure:${shared ? `${node.pkg}.` : ''}${node.name}`;
  return shared && node.fqn ? node.fqn.join('.') : node.name;
}
