/**
 * `state:` selection: this project's manifest compared with another run's. Both sides are
 * manifest.json objects, so the state folder may come from any kiln (or dbt) run.
 * `modified` is new, or any of the subselectors: body, configs, relation,
 * persisted_descriptions, macros (a macro the node calls changed), contract.
 */
import type { StateView } from '../graph/selector.js';
import type { JsonNode, PreviousRun, RecordedColumn } from './artifacts.js';
import { MacroUsage } from './macro-usage.js';

export type ModifiedCheck = 'body' | 'configs' | 'relation' | 'persisted_descriptions' | 'macros' | 'contract';
const checks: ModifiedCheck[] = ['body', 'configs', 'relation', 'persisted_descriptions', 'macros', 'contract'];

export class StateComparison implements StateView {
  private readonly nodes: Record<string, JsonNode>;
  private readonly sources: Record<string, JsonNode>;
  private changedMacros?: Set<string>;
  private usage?: MacroUsage;
  private readonly cache = new Map<string, boolean>();

  constructor(
    current: { nodes?: unknown; sources?: unknown; macros?: unknown },
    private readonly previous: PreviousRun,
  ) {
    this.nodes = (current.nodes ?? {}) as Record<string, JsonNode>;
    this.sources = (current.sources ?? {}) as Record<string, JsonNode>;
    this.currentMacros = (current.macros ?? {}) as Record<string, JsonNode>;
  }

  private readonly currentMacros: Record<string, JsonNode>;

  /**
   * Breaking changes to enforced contracts since the state run: a removed or retyped column,
   * a contract no longer enforced, a contracted model deleted. Consumers of the model break.
   */
  breakingContractChanges(): string[] {
    const out: string[] = [];
    for (const [id, before] of Object.entries(this.previous.nodes)) {
      if (!before.config?.contract?.enforced) continue;
      const now = this.nodes[id];
      const name = `${before.resource_type ?? 'model'} '${before.name ?? id}'`;
      if (!now) {
        out.push(`${name} had an enforced contract and was removed`);
        continue;
      }
      if (!now.config?.contract?.enforced) {
        out.push(`${name} no longer enforces its contract`);
        continue;
      }
      const cols = (n: JsonNode) =>
        new Map(
          Object.values(columnsOf(n)).map((c) => [
            String(c.name).toLowerCase(),
            c.data_type ? String(c.data_type).toLowerCase() : undefined,
          ]),
        );
      const was = cols(before);
      const is = cols(now);
      for (const [col, type] of was) {
        if (!is.has(col)) out.push(`${name}: column '${col}' was removed from the contract`);
        else if (type !== is.get(col))
          out.push(`${name}: column '${col}' changed type from ${type ?? 'none'} to ${is.get(col) ?? 'none'}`);
      }
    }
    return out;
  }

  get hasRunResults(): boolean {
    return this.previous.results !== undefined;
  }

  resultStatus(id: string): string | undefined {
    return this.previous.results?.get(id);
  }

  matches(id: string, check: string): boolean {
    const key = `${id}\u0000${check}`;
    let hit = this.cache.get(key);
    if (hit === undefined) this.cache.set(key, (hit = this.compute(id, check)));
    return hit;
  }

  /** The subselectors under which a node counts as modified (empty: unmodified or new). */
  reasons(id: string): ModifiedCheck[] {
    return checks.filter((c) => this.matches(id, `modified.${c}`));
  }

  private compute(id: string, check: string): boolean {
    const source = id in this.sources;
    const now = source ? this.sources[id] : this.nodes[id];
    const before = source ? this.previous.sources[id] : this.previous.nodes[id];
    if (!now) return false;
    switch (check) {
      case 'new':
        return before === undefined;
      case 'old':
        return before !== undefined;
      case 'modified':
        return before === undefined || checks.some((c) => this.matches(id, `modified.${c}`));
      case 'unmodified':
        return before !== undefined && !this.matches(id, 'modified');
    }
    if (!before) return false;
    if (source) return check === 'modified.configs' || check === 'modified.body' ? sourceChanged(now, before) : false;
    switch (check) {
      case 'modified.body':
        return body(now) !== body(before);
      case 'modified.configs':
        return !same(now.config, before.config);
      case 'modified.relation':
        // The configured names, not the rendered relation: environments differ in target schema.
        return ['database', 'schema', 'alias'].some((k) => !same(now.config?.[k] ?? null, before.config?.[k] ?? null));
      case 'modified.persisted_descriptions':
        return persistedDescriptionsChanged(now, before);
      case 'modified.contract':
        return contractChanged(now, before);
      case 'modified.macros':
        return this.macrosChanged(now);
    }
    return false;
  }

  private macrosChanged(node: JsonNode): boolean {
    if (!this.changedMacros) {
      this.changedMacros = new Set();
      for (const [id, m] of Object.entries(this.currentMacros)) {
        const old = this.previous.macros[id];
        if (!old || old.macro_sql !== m.macro_sql) this.changedMacros.add(id);
      }
      this.usage = new MacroUsage(this.currentMacros);
    }
    if (!this.changedMacros.size) return false;
    for (const id of this.usage!.ofNode(node)) if (this.changedMacros.has(id)) return true;
    return false;
  }
}

/** A generic test's "body" is its test and arguments; kiln gives it no file checksum. */
function body(n: JsonNode): string {
  if (n.test_metadata) return stable([n.test_metadata, n.column_name ?? null]);
  return String(n.checksum?.checksum ?? n.raw_code ?? '');
}

function sourceChanged(now: JsonNode, before: JsonNode): boolean {
  const keys = ['schema', 'identifier', 'loaded_at_field', 'freshness', 'config', 'loader'];
  return keys.some((k) => stable(now[k] ?? null) !== stable(before[k] ?? null));
}

function persistedDescriptionsChanged(now: JsonNode, before: JsonNode): boolean {
  const persist = (n: JsonNode) => n.config?.persist_docs ?? {};
  const p = persist(now);
  const q = persist(before);
  if ((p.relation || q.relation) && (now.description ?? '') !== (before.description ?? '')) return true;
  if (p.columns || q.columns) {
    const cols = (n: JsonNode) =>
      stable(Object.fromEntries(Object.entries(columnsOf(n)).map(([k, c]) => [k, c.description ?? ''])));
    return cols(now) !== cols(before);
  }
  return false;
}

function contractChanged(now: JsonNode, before: JsonNode): boolean {
  const enforced = (n: JsonNode) => Boolean(n.config?.contract?.enforced);
  if (!enforced(now) && !enforced(before)) return false;
  if (enforced(now) !== enforced(before)) return true;
  const shape = (n: JsonNode) => stable(Object.values(columnsOf(n)).map((c) => [c.name, c.data_type ?? null]));
  return shape(now) !== shape(before);
}

function columnsOf(n: JsonNode): Record<string, RecordedColumn> {
  return (n.columns ?? {}) as Record<string, RecordedColumn>;
}

/** Deep equality of JSON values; key order does not count, an undefined key is an absent one. */
export function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => same(x, bb[i]));
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return (
    ka.length === kb.length &&
    ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}

/** JSON with sorted keys, so key order never counts as a change. */
export function stable(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}
