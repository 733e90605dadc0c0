/**
 * Compiled SQL kept between invocations of `kiln compile` (in the partial parse cache,
 * src/parse/partial-cache.ts): a node's rendered SQL is reused while the node (its template,
 * config, description, columns: everything manifest.json says of it), the relations it and its
 * refs and sources name, the macro files its render called, vars, target and env_var() values
 * are unchanged, and only if that render touched nothing that differs per invocation (the
 * warehouse, the clock, invocation_id, run_started_at, flags, selected_resources, graph, log
 * output). Files under target/compiled whose text did not change are not written again.
 */
import { statSync } from 'node:fs';
import type { GraphNode, TestNode } from '../parse/nodes.js';
import type { Relation } from '../adapters/relation.js';
import type { TemplateEngine } from '../template/engine.js';
import { recordReads } from '../template/render-reads.js';
import type { PartialParse } from '../parse/partial-cache.js';
import { sha256Hex as sha } from '../parse/text-hash.js';

export class CompiledSqlCache {
  private readonly pendingWrites: Array<[file: string, hash: string]> = [];
  /**
   * Nodes whose SQL came from the cache, with the key it was found under: such a node is in the state it was in when
   * the entry was recorded (the key covers it before rendering, the entry what rendering changed), so its
   * manifest.json entry can be keyed by it too.
   */
  private readonly reused = new Map<string, { key: string; body: string }>();

  constructor(
    private readonly cache: PartialParse,
    private readonly engine: TemplateEngine,
  ) {}

  /** The node's rendered SQL: from the cache when still valid, else `render()`, recorded for next time. */
  body(node: GraphNode, relationOf: (id: string) => Relation, render: () => string): string {
    const { key, state } = bodyKey(node, relationOf);
    const previous = this.cache.previousBody(node.uniqueId);
    if (previous && previous.key === key && this.cache.dependenciesHold(this.engine, previous)) {
      if (previous.configSet) Object.assign(node.config, previous.configSet);
      this.cache.keepBody(node.uniqueId);
      this.cache.noteEnvHashes(previous.env);
      this.cache.stats.bodiesReused++;
      this.reused.set(node.uniqueId, { key, body: previous.body });
      return previous.body;
    }
    this.cache.stats.bodiesRendered++;
    // The config as it was, as two arrays: a spread copy of it gave each node's a hidden class of its own.
    const keys = Object.keys(node.config);
    const values = keys.map((k) => node.config[k]);
    const { result, reads } = recordReads(render);
    const deps = this.cache.dependenciesOf(this.engine, reads);
    const configSet = setByRender(node.config, keys, values);
    if (deps)
      this.cache.storeBody(
        node.uniqueId,
        // Literals, not a spread of deps (a hidden class per entry); the same keys in the same order as ever.
        configSet
          ? { macroFiles: deps.macroFiles, env: deps.env, key, body: result, configSet }
          : { macroFiles: deps.macroFiles, env: deps.env, key, body: result },
        // Only a node of its own SQL file is re-rendered by a compile replay (src/tasks/compile-replay.ts): the state
        // of the thousands of generic tests would only weigh on memory.
        (node as TestNode).testMetadata ? undefined : state,
      );
    return result;
  }

  /**
   * A key for node `id`'s manifest.json entry, given what its compilation added: undefined unless its SQL came from
   * the cache (a fresh render may change the node in ways its entry for next time would not replay).
   */
  manifestKey(id: string, compiled: { code: string; ctes: unknown[]; path: string }): string | undefined {
    const reused = this.reused.get(id);
    if (!reused) return undefined;
    // The compiled code is the cached body unless ephemeral CTEs or --empty changed it; the path follows from the node.
    if (compiled.ctes.length === 0 && compiled.code === reused.body) return reused.key;
    return sha(`${reused.key}\n${JSON.stringify(compiled)}`);
  }

  /**
   * True when `file` holds `text` as kiln wrote it last time (same hash, and the file's size and
   * mtime as then): it is not written again. Otherwise the text's hash is kept (not the text) for
   * recordWrites() once the file is written.
   */
  keepsFile(file: string, text: string): boolean {
    const hash = sha(text);
    const previous = this.cache.previousWrite(file);
    const st = previous?.hash === hash ? statSync(file, { throwIfNoEntry: false }) : undefined;
    if (previous && st && st.size === previous.size && st.mtimeMs === previous.mtimeMs) {
      this.cache.written.set(file, previous);
      this.cache.stats.filesKept++;
      return true;
    }
    this.pendingWrites.push([file, hash]);
    return false;
  }

  /**
   * Records the files written since keepsFile() asked for them, as they now are on disk (`written`: their stats as the
   * writer saw them once written, else each is stat'ed).
   */
  recordWrites(written?: ReadonlyMap<string, { size: number; mtimeMs: number }>): void {
    for (const [file, hash] of this.pendingWrites.splice(0)) {
      const st = written?.get(file) ?? statSync(file);
      this.cache.written.set(file, { hash, size: st.size, mtimeMs: st.mtimeMs });
    }
  }
}

/**
 * The config keys whose values differ from `values` (the values of `keys` before the render), in the config's order;
 * undefined when none does. A key the render added counts as undefined before it.
 */
export function setByRender(
  config: Record<string, unknown>,
  keys: readonly string[],
  values: readonly unknown[],
): Record<string, unknown> | undefined {
  let set: Record<string, unknown> | undefined;
  const now = Object.keys(config);
  for (let i = 0; i < now.length; i++) {
    const k = now[i]!;
    // Keys keep their places unless the render added one before them (an integer-like key), so look up only then.
    const at = keys[i] === k ? i : keys.indexOf(k);
    if (config[k] !== (at < 0 ? undefined : values[at])) (set ??= {})[k] = config[k];
  }
  return set;
}

/** Everything about the node and the relations its SQL can name, as one hash; and the node's state it hashed, as JSON. */
function bodyKey(node: GraphNode, relationOf: (id: string) => Relation): { key: string; state: string } {
  // Quoting is the adapter's (part of the cache's key): the parts name the relation.
  const relations = [node.uniqueId, ...node.dependsOn.nodes].map((id) => {
    const r = relationOf(id);
    return [id, r.database, r.schema, r.identifier, r.type];
  });
  // Where a test was declared only names it in errors (and is worked out lazily from its YAML). A node without it
  // (every model) is written as it is: copying its fields cost more than the JSON of 10,000 models.
  const placed = node as GraphNode & { declaredAt?: unknown };
  // Rendering may change the node (a test's config()): its state is kept as JSON before that.
  const state = JSON.stringify(placed.declaredAt === undefined ? node : withoutPlace(placed));
  return { key: sha(`[${state},${JSON.stringify(relations)}]`), state };
}

function withoutPlace({ declaredAt: _, ...rest }: GraphNode & { declaredAt?: unknown }): GraphNode {
  return rest;
}
