/**
 * A small left-to-right layered graph layout: longest-path layering,
 * barycentre ordering sweeps and a simple vertical placement.
 * Runs in O(sweeps · (V + E) log V), so it is cheap on a focused subgraph and
 * still fine for a whole project laid out once at generate time.
 * Pure: no DOM, no Node.
 */

export interface LayoutOptions {
  nodeWidth?: number;
  nodeHeight?: number;
  gapX?: number;
  gapY?: number;
  sweeps?: number;
  /** Column of each node, when the caller decides them (else longest-path layering). */
  layers?: readonly number[];
}

export interface Layout {
  /** Top-left corner of each node box. */
  x: number[];
  y: number[];
  layer: number[];
  width: number;
  height: number;
  layers: number;
  nodeWidth: number;
  nodeHeight: number;
}

/**
 * Lay out nodes 0..n-1 with directed edges [from, to] (from = parent, drawn to the left).
 * Cycles are tolerated (the nodes on them are layered after their acyclic parents).
 */
export function layeredLayout(
  n: number,
  edges: ReadonlyArray<readonly [number, number]>,
  opts: LayoutOptions = {},
): Layout {
  const nodeWidth = opts.nodeWidth ?? 180;
  const nodeHeight = opts.nodeHeight ?? 32;
  const gapX = opts.gapX ?? 70;
  const gapY = opts.gapY ?? 14;
  const sweeps = opts.sweeps ?? 4;

  const parents: number[][] = Array.from({ length: n }, () => []);
  const children: number[][] = Array.from({ length: n }, () => []);
  for (const [a, b] of edges) {
    if (a === b || a < 0 || b < 0 || a >= n || b >= n) continue;
    parents[b]!.push(a);
    children[a]!.push(b);
  }

  const layer = opts.layers ? opts.layers.slice(0, n) : assignLayers(n, parents, children);
  const layerCount = n === 0 ? 0 : Math.max(...layer) + 1;

  // Initial order: by node index within each layer (callers pass nodes in a stable order).
  const rows: number[][] = Array.from({ length: layerCount }, () => []);
  for (let v = 0; v < n; v++) rows[layer[v]!]!.push(v);
  const pos = new Float64Array(n);
  const writePos = (row: number[]) => {
    for (let i = 0; i < row.length; i++) pos[row[i]!] = i / Math.max(1, row.length - 1 || 1);
  };
  for (const row of rows) writePos(row);

  const bary = new Float64Array(n);
  const sortRow = (row: number[], neighbours: number[][]) => {
    for (let i = 0; i < row.length; i++) {
      const v = row[i]!;
      const nb = neighbours[v]!;
      if (nb.length === 0) {
        bary[v] = pos[v]!;
        continue;
      }
      let s = 0;
      for (const u of nb) s += pos[u]!;
      bary[v] = s / nb.length;
    }
    row.sort((a, b) => bary[a]! - bary[b]! || pos[a]! - pos[b]!);
    writePos(row);
  };
  for (let s = 0; s < sweeps; s++) {
    for (let l = 1; l < layerCount; l++) sortRow(rows[l]!, parents);
    for (let l = layerCount - 2; l >= 0; l--) sortRow(rows[l]!, children);
  }

  // Vertical placement: each node wants the mean y of its already placed parents;
  // order is kept and boxes never overlap.
  const pitch = nodeHeight + gapY;
  const y = new Array<number>(n).fill(0);
  const placed = new Uint8Array(n);
  let maxRows = 0;
  for (const row of rows) maxRows = Math.max(maxRows, row.length);
  for (let l = 0; l < layerCount; l++) {
    const row = rows[l]!;
    const want = row.map((v) => {
      let s = 0,
        c = 0;
      for (const p of parents[v]!)
        if (placed[p]) {
          s += y[p]!;
          c++;
        }
      return c ? s / c : NaN;
    });
    // Nodes without placed parents go where their index would put them in a centred column.
    const offset = ((maxRows - row.length) * pitch) / 2;
    for (let i = 0; i < row.length; i++) if (Number.isNaN(want[i]!)) want[i] = offset + i * pitch;
    // Forward pass keeps order and spacing; the block is then shifted back by its mean drift.
    const out = new Array<number>(row.length);
    for (let i = 0; i < row.length; i++) out[i] = i === 0 ? want[i]! : Math.max(want[i]!, out[i - 1]! + pitch);
    let drift = 0;
    for (let i = 0; i < row.length; i++) drift += out[i]! - want[i]!;
    drift /= Math.max(1, row.length);
    for (let i = 0; i < row.length; i++) out[i] = out[i]! - drift;
    for (let i = 0; i < row.length; i++) {
      const v = row[i]!;
      y[v] = out[i]!;
      placed[v] = 1;
    }
  }
  let minY = Infinity,
    maxY = -Infinity;
  for (let v = 0; v < n; v++) {
    minY = Math.min(minY, y[v]!);
    maxY = Math.max(maxY, y[v]!);
  }
  if (n === 0) {
    minY = 0;
    maxY = 0;
  }
  const x = new Array<number>(n);
  for (let v = 0; v < n; v++) {
    x[v] = layer[v]! * (nodeWidth + gapX);
    y[v] = Math.round(y[v]! - minY);
  }
  return {
    x,
    y,
    layer,
    layers: layerCount,
    nodeWidth,
    nodeHeight,
    width: n === 0 ? 0 : layerCount * (nodeWidth + gapX) - gapX,
    height: n === 0 ? 0 : Math.round(maxY - minY) + nodeHeight,
  };
}

/** Longest-path layering from the roots, then roots pulled right next to their first child. */
export function assignLayers(n: number, parents: number[][], children: number[][]): number[] {
  const layer = new Array<number>(n).fill(0);
  const indeg = new Int32Array(n);
  for (let v = 0; v < n; v++) indeg[v] = parents[v]!.length;
  const queue: number[] = [];
  for (let v = 0; v < n; v++) if (indeg[v] === 0) queue.push(v);
  const done = new Uint8Array(n);
  let head = 0;
  const drain = () => {
    while (head < queue.length) {
      const v = queue[head++]!;
      done[v] = 1;
      for (const c of children[v]!) {
        if (layer[c]! < layer[v]! + 1) layer[c] = layer[v]! + 1;
        if (--indeg[c]! === 0) queue.push(c);
      }
    }
  };
  drain();
  // Cycles: release the unfinished node with the fewest pending parents, repeatedly.
  for (;;) {
    let pick = -1;
    for (let v = 0; v < n; v++) if (!done[v] && indeg[v]! > 0 && (pick < 0 || indeg[v]! < indeg[pick]!)) pick = v;
    if (pick < 0) break;
    indeg[pick] = 0;
    queue.push(pick);
    drain();
  }
  for (let v = 0; v < n; v++) {
    if (parents[v]!.length === 0 && children[v]!.length > 0) {
      let m = Infinity;
      for (const c of children[v]!) m = Math.min(m, layer[c]!);
      if (m !== Infinity && m - 1 > layer[v]!) layer[v] = m - 1;
    }
  }
  return layer;
}
