/** Timing marks the benchmark and tests read from `window.__kiln.perf`. */
export interface PerfEntry {
  name: string;
  ms: number;
  at: number;
}

interface KilnGlobal {
  perf: PerfEntry[];
  ready: boolean;
  renders: number;
}

export function kilnGlobal(): KilnGlobal {
  const w = window as unknown as { __kiln?: KilnGlobal };
  if (!w.__kiln) w.__kiln = { perf: [], ready: false, renders: 0 };
  return w.__kiln;
}

export function perf(name: string, ms: number): void {
  const g = kilnGlobal();
  g.perf.push({ name, ms, at: performance.now() });
  if (g.perf.length > 2000) g.perf.splice(0, 1000);
}
