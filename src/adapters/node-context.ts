/**
 * The node being built, for code below the materializer that must know it without being
 * handed it: adapters apply per-model connection settings (Snowflake's `snowflake_warehouse`
 * and `query_tag`) and adapter macros read `config.get(...)` as dbt's do.
 *
 * Builds of several threads interleave, so then this rides on the async context. But an
 * AsyncLocalStorage, once used, turns on promise hooks for the whole process: every promise
 * made anywhere runs them (a 1,000-view run with one thread spent ~0.25 s of CPU in them and
 * what they allocate). A run whose builds go one at a time (`--threads 1`) says so for its
 * adapter (`buildsOneAtATime`), and the node is then kept in a slot of that adapter: each run
 * has its own adapter, so runs side by side in one process (the orchestrator's) never share it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { KilnError } from '../errors.js';

export interface NodeContext {
  uniqueId: string;
  name: string;
  config: Record<string, unknown>;
}

/** Whose builds go one at a time, and the node building now (undefined between builds). */
interface Slot {
  node?: NodeContext;
}

const storage = new AsyncLocalStorage<NodeContext>();
// A property of the adapter, not a WeakMap entry: read through a proxy of it (the template layer's
// adapter bound to a transaction) it is the adapter's own.
const slotKey = Symbol('kiln.buildsOneAtATime');
type WithSlot = { [slotKey]?: Slot };
const slotOf = (adapter: object): Slot | undefined => (adapter as WithSlot)[slotKey];

/**
 * Says that until `release()` the builds against `adapter` run one at a time, each from its
 * withNode() to its end, so the node being built needs no async context.
 */
export function buildsOneAtATime(adapter: object): { release(): void } {
  const holder = adapter as WithSlot;
  if (holder[slotKey]) throw new KilnError('internal', 'two runs claimed one adapter for builds one at a time');
  holder[slotKey] = {};
  return { release: () => void (holder[slotKey] = undefined) };
}

/** Runs `fn` as the build of `node` against `adapter`: currentNode(adapter) is `node` until it settles. */
export function withNode<T>(adapter: object, node: NodeContext, fn: () => Promise<T>): Promise<T> {
  const slot = slotOf(adapter);
  if (!slot) return storage.run(node, fn);
  // A second build while one is under way would be told the wrong node: refuse it loudly.
  if (slot.node)
    throw new KilnError(
      'internal',
      `${node.uniqueId} started building while ${slot.node.uniqueId} was, in a run building one node at a time`,
    );
  slot.node = node;
  let settled: Promise<T>;
  try {
    settled = fn();
  } catch (e) {
    slot.node = undefined;
    throw e;
  }
  return settled.finally(() => (slot.node = undefined));
}

/** The node whose build is running against `adapter`, if any. */
export function currentNode(adapter: object): NodeContext | undefined {
  const slot = slotOf(adapter);
  return slot ? slot.node : storage.getStore();
}
