/**
 * `--defer`: a ref to a node this invocation does not build, and that does not exist in
 * this environment, reads the relation another run recorded (production, typically).
 * With `--favor-state` the recorded relation wins even when this environment has one.
 */
import type { KilnSession } from '../session.js';
import { relationNameKey, type Relation } from '../adapters/relation.js';
import type { ParsedProject } from '../parse/index.js';
import { KilnError } from '../errors.js';
import { readPreviousRun, type PreviousRun } from './artifacts.js';

const deferrable = new Set(['model', 'seed', 'snapshot']);

export interface DeferOptions {
  /** Node ids this invocation builds: never deferred. */
  building: Set<string>;
  favorState: boolean;
  /** Look in this environment's warehouse; without it (compile opens no connection) every candidate defers. */
  readsWarehouse?: boolean;
}

export async function deferredRelations(
  parsed: ParsedProject,
  session: KilnSession,
  previous: PreviousRun,
  opts: DeferOptions,
): Promise<Map<string, Relation>> {
  const { adapter } = session;
  const out = new Map<string, Relation>();
  const existing = new Map<string, Promise<Set<string>>>();
  const exists = (database: string | undefined, schema: string, name: string): Promise<boolean> => {
    const key = relationNameKey(`${database ?? ''}.${schema}`, adapter);
    let p = existing.get(key);
    if (!p) {
      p = adapter.listRelations(database, schema).then(
        (list) => new Set(list.map((r) => relationNameKey(r.name, adapter))),
        () => new Set<string>(),
      );
      existing.set(key, p);
    }
    return p.then((names) => names.has(relationNameKey(name, adapter)));
  };
  for (const node of parsed.manifest.nodes.values()) {
    if (
      !deferrable.has(node.resourceType) ||
      node.config.materialized === 'ephemeral' ||
      opts.building.has(node.uniqueId)
    )
      continue;
    const recorded = previous.nodes[node.uniqueId];
    if (!recorded || !recorded.relation_name || recorded.config?.materialized === 'ephemeral') continue;
    if (!opts.favorState && opts.readsWarehouse && (await exists(node.database, node.schema, node.alias))) continue;
    const type = recorded.config?.materialized === 'view' ? 'view' : 'table';
    out.set(
      node.uniqueId,
      adapter.relation(
        recorded.database ?? undefined,
        recorded.schema ?? undefined,
        String(recorded.alias ?? recorded.name),
        type,
      ),
    );
  }
  return out;
}

/** The run to defer to, or undefined without --defer; --defer alone is bad input. */
export function deferTarget(opts: { defer?: boolean; state?: string; deferState?: string }): PreviousRun | undefined {
  if (!opts.defer) return undefined;
  const dir = opts.deferState ?? opts.state;
  if (!dir)
    throw new KilnError(
      'config',
      '--defer needs --state or --defer-state: the folder holding the manifest.json of the run to defer to',
      { hint: 'e.g. kiln build --select state:modified+ --defer --state prod-artifacts/' },
    );
  return readPreviousRun(dir, opts.deferState ? '--defer-state' : '--state');
}
