/**
 * The node being built, for code below the materializer that must know it without being
 * handed it: adapters apply per-model connection settings (Snowflake's `snowflake_warehouse`
 * and `query_tag`, BigQuery's `labels`) and adapter macros read `config.get(...)` as dbt's do.
 * Builds of several threads interleave, so this rides on the async context, not a global.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface NodeContext {
  uniqueId: string;
  name: string;
  config: Record<string, unknown>;
}

const storage = new AsyncLocalStorage<NodeContext>();

export function withNode<T>(node: NodeContext, fn: () => Promise<T>): Promise<T> {
  return storage.run(node, fn);
}

export function currentNode(): NodeContext | undefined {
  return storage.getStore();
}
