/**
 * The worker thread of LineageWorker: loads the SQL parser at once, then for the job it is
 * sent parses statements ahead (in DAG order, those the last column_lineage.json cannot answer)
 * until the catalog arrives, runs projectLineage with them, writes column_lineage.json and
 * answers with its object.
 */
import { parentPort, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { once } from 'node:events';
import { writeArtifact } from '../artifacts/write.js';
import type { CatalogMessage, LineageJob, LineageReply } from './background.js';
import { columnLineageFile, columnLineageJson, readPreviousLineage } from './file.js';
import { projectLineage } from './project.js';
import { dialectOf, loadSqlParser, parseStatement, type ParsedStatement } from './sql.js';

const parserReady = loadSqlParser();

parentPort!.once('message', ({ job, catalogPort }: { job: LineageJob; catalogPort: MessagePort }) => {
  run(job, catalogPort).then(
    (json) => parentPort!.postMessage({ json } satisfies LineageReply),
    (e: Error) => parentPort!.postMessage({ error: { message: e.message, stack: e.stack } } satisfies LineageReply),
  );
});

async function run(job: LineageJob, catalogPort: MessagePort): Promise<Record<string, unknown>> {
  await parserReady;
  const dialect = dialectOf(job.adapterType);
  const previous = readPreviousLineage(job.targetPath);
  const ahead = new Map<string, ParsedStatement>();
  const arrived = () => receiveMessageOnPort(catalogPort)?.message as CatalogMessage | undefined;
  let message = arrived();
  for (const id of job.order) {
    if (message) break;
    const sql = job.sql.get(id);
    if (typeof sql !== 'string' || previous?.nodes[id]) continue;
    ahead.set(id, parseStatement(sql, dialect));
    message = arrived();
  }
  message ??= (await once(catalogPort, 'message'))[0] as CatalogMessage;
  catalogPort.close();
  const { catalog } = message;
  const lineage = projectLineage({
    parsed: { manifest: { nodes: job.nodes, sources: job.sources }, project: { projectDir: job.projectDir } },
    dag: { order: job.order, parents: (id) => job.sourceParents.get(id) ?? [] },
    adapterType: job.adapterType,
    compiledSql: (id) => {
      const sql = job.sql.get(id);
      if (sql === undefined) return new Error(`no compiled SQL for ${id}`);
      return typeof sql === 'string' ? sql : new Error(sql.error);
    },
    catalog,
    previous,
    parse: (id, sql) => {
      const parsed = ahead.get(id);
      if (!parsed) return parseStatement(sql, dialect);
      ahead.delete(id);
      return parsed;
    },
  });
  const json = columnLineageJson(lineage, job.invocationId);
  writeArtifact(job.targetPath, columnLineageFile, json);
  return json;
}
