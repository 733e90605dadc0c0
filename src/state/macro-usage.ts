/**
 * Which macros a node calls, directly or through other macros. Read from the code itself
 * (`name(` and `package.name(` calls, a generic test's `test_<name>` macro), so it works on
 * any manifest.json, including one whose depends_on.macros is empty.
 */
import type { JsonNode } from './artifacts.js';

const callPattern = /\b([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?\s*\(/g;
const dispatchPattern = /dispatch\(\s*['"](\w+)['"]/g;

export class MacroUsage {
  private readonly byName = new Map<string, string[]>();
  private readonly closure = new Map<string, Set<string>>();

  constructor(private readonly macros: Record<string, JsonNode>) {
    for (const [id, m] of Object.entries(macros)) {
      const name = String(m.name);
      (this.byName.get(name) ?? this.byName.set(name, []).get(name)!).push(id);
    }
  }

  /** Macro ids a piece of Jinja calls directly, dispatched implementations included. */
  private direct(code: string): string[] {
    const out = new Set<string>();
    for (const m of code.matchAll(callPattern)) {
      const [, first, second] = m;
      // `pkg.name(` names one package's macro; `name(` any macro of that name (overrides too).
      for (const id of this.byName.get(second ?? first!) ?? [])
        if (second === undefined || this.macros[id]?.package_name === first) out.add(id);
    }
    for (const m of code.matchAll(dispatchPattern)) {
      for (const [name, ids] of this.byName)
        if (name === m[1] || name.endsWith(`__${m[1]}`)) for (const id of ids) out.add(id);
    }
    return [...out];
  }

  /** Every macro a node uses, transitively. */
  ofNode(node: JsonNode): Set<string> {
    const roots = this.direct(String(node.raw_code ?? ''));
    const test = node.test_metadata;
    if (test?.name) for (const id of this.byName.get(`test_${test.name}`) ?? []) roots.push(id);
    for (const id of node.depends_on?.macros ?? []) if (this.macros[id]) roots.push(id);
    const out = new Set<string>();
    for (const r of roots) for (const id of this.ofMacro(r)) out.add(id);
    return out;
  }

  private ofMacro(id: string): Set<string> {
    const cached = this.closure.get(id);
    if (cached) return cached;
    const out = new Set<string>([id]);
    this.closure.set(id, out); // set before recursing: macros may call each other in a cycle
    for (const d of this.direct(String(this.macros[id]?.macro_sql ?? ''))) for (const x of this.ofMacro(d)) out.add(x);
    return out;
  }
}
