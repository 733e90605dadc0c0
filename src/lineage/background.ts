/**
 * Column lineage in a worker thread, for `kiln docs generate`: parsing every node's SQL is
 * most of lineage's time, and it needs nothing the main thread is doing meanwhile (reading
 * the catalog, building the site's data). The worker starts first, so its parser loads while
 * the project compiles; it is sent the compiled SQL and what lineage reads of the project as
 * plain data, computes lineage with a guess of the catalog (catalog-guess.ts) while the main thread reads it,
 * checks the guess when it arrives, and writes column_lineage.json as `kiln lineage` would.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import { catalogColumns, type CatalogJson } from './file.js';
import {
  nodesNeedingSql,
  type CatalogColumns,
  type LineageDag,
  type LineageNode,
  type LineageProject,
  type LineageSource,
} from './project.js';

/** What the main thread sends the worker (structured-cloned: Maps and plain objects only). */
export interface LineageJob {
  projectDir: string;
  targetPath: string;
  adapterType: string;
  invocationId?: string;
  nodes: Map<string, LineageNode>;
  sources: Map<string, LineageSource>;
  order: string[];
  /** The DAG parents of each source (the only parents lineage asks the DAG for). */
  sourceParents: Map<string, string[]>;
  /** Compiled SQL of the nodes lineage reads SQL of, or the message of the error that stopped it. */
  sql: Map<string, string | { error: string }>;
}

/** The catalog's columns, sent on their own port when the main thread has read them. */
export interface CatalogMessage {
  catalog: CatalogColumns | undefined;
}

/** The worker's answer: column_lineage.json's object, or why it failed. */
export type LineageReply = { json: Record<string, unknown> } | { error: { message: string; stack?: string } };

/** What the worker is told as it starts. */
export interface LineageWorkerData {
  /** Whether to warm the SQL parser up while it waits for its job: worth it when most statements will be parsed. */
  warmUp: boolean;
}

/**
 * The worker's young generation, at most: V8 sizes a worker's like the main thread's (up to 16 MB a semi-space), and
 * at 10,000 models that headroom was most of the two threads' peak above the goal of 400 MB. Lineage's garbage dies
 * young, so a smaller nursery costs it no time: `docs generate` at 10,000 models, six runs each alternating, peak
 * 411 → 387 MB, wall 2.37 and 2.34 s, CPU 4.16 → 3.95 s (medians), column_lineage.json the same.
 */
export const lineageYoungGenerationMb = 8;

export class LineageWorker {
  private readonly worker: Worker;
  private readonly catalogChannel = new MessageChannel();
  private readonly done: Promise<Record<string, unknown>>;

  constructor(data: LineageWorkerData) {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: data,
      resourceLimits: { maxYoungGenerationSizeMb: lineageYoungGenerationMb },
    });
    this.done = new Promise((resolve, reject) => {
      this.worker.once('message', (reply: LineageReply) =>
        'json' in reply ? resolve(reply.json) : reject(Object.assign(new Error(reply.error.message), reply.error)),
      );
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => reject(new Error(`the column lineage worker stopped (exit code ${code})`)));
    });
    // Awaited through result(), or not at all when the command fails before lineage.
    this.done.catch(() => undefined);
  }

  /**
   * Sends the project (a parsed one, or manifest.json's as `manifest-input.ts` reads it): `compiledSql` is called here,
   * on the main thread, for each node lineage reads SQL of.
   */
  start(input: {
    parsed: LineageProject & { project: { targetPath: string } };
    dag: LineageDag;
    adapterType: string;
    compiledSql: (id: string) => string | Error;
    invocationId?: string;
  }): void {
    const { parsed, dag } = input;
    const sql = new Map<string, string | { error: string }>();
    for (const id of nodesNeedingSql(parsed, dag)) {
      const code = input.compiledSql(id);
      sql.set(id, code instanceof Error ? { error: code.message } : code);
    }
    const job: LineageJob = {
      projectDir: parsed.project.projectDir,
      targetPath: parsed.project.targetPath,
      adapterType: input.adapterType,
      invocationId: input.invocationId,
      nodes: new Map([...parsed.manifest.nodes].map(([id, n]) => [id, lineageNode(n)])),
      sources: new Map(
        [...parsed.manifest.sources].map(([id, s]) => [
          id,
          {
            uniqueId: s.uniqueId,
            database: s.database,
            schema: s.schema,
            identifier: s.identifier,
            columns: names(s.columns),
          },
        ]),
      ),
      order: dag.order,
      sourceParents: new Map([...parsed.manifest.sources.keys()].map((id) => [id, dag.parents(id)])),
      sql,
    };
    this.worker.postMessage({ job, catalogPort: this.catalogChannel.port2 }, [this.catalogChannel.port2]);
  }

  /** catalog.json's object, once read: the worker waits for it before resolving columns. */
  catalog(catalog: CatalogJson): void {
    this.catalogChannel.port1.postMessage({ catalog: catalogColumns(catalog) } satisfies CatalogMessage);
  }

  /** column_lineage.json's object, once the worker has written the file; the worker then stops, freeing its memory. */
  async result(): Promise<Record<string, unknown>> {
    try {
      return await this.done;
    } finally {
      await this.stop();
    }
  }

  /** The limits the worker's heap runs under (for tests). */
  get resourceLimits(): Worker['resourceLimits'] {
    return this.worker.resourceLimits;
  }

  async stop(): Promise<void> {
    this.catalogChannel.port1.close();
    await this.worker.terminate();
  }
}

const names = (columns: Record<string, { name: string }>) =>
  Object.fromEntries(Object.entries(columns).map(([key, c]) => [key, { name: c.name }]));

/** The fields of a node lineage reads (test metadata: the two kwargs it reads). */
function lineageNode(n: LineageNode): LineageNode {
  const kwargs = n.testMetadata?.kwargs;
  return {
    uniqueId: n.uniqueId,
    resourceType: n.resourceType,
    name: n.name,
    originalFilePath: n.originalFilePath,
    config: { materialized: n.config.materialized, unique_key: n.config.unique_key, updated_at: n.config.updated_at },
    columns: names(n.columns),
    dependsOn: { nodes: n.dependsOn.nodes },
    database: n.database,
    schema: n.schema,
    alias: n.alias,
    attachedNode: n.attachedNode,
    columnName: n.columnName,
    ...(kwargs ? { testMetadata: { kwargs: { column_name: kwargs.column_name, field: kwargs.field } } } : {}),
  };
}
