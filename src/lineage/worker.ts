/**
 * The worker thread of LineageWorker: loads the SQL parser at once and (if asked) warms it up
 * until its job arrives; then computes column lineage without waiting for the catalog, with the
 * last catalog.json as a guess of it (catalog-guess.ts), and makes column_lineage.json's text.
 * When the catalog arrives, it keeps both if the guess held for every relation lineage asked
 * about, or computes them again with the catalog (reusing every entry whose cache key did not
 * change); then it writes the file and answers with its object.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { once } from 'node:events';
import { artifactText, writeArtifactText } from '../artifacts/write.js';
import type { CatalogMessage, LineageJob, LineageReply, LineageWorkerData } from './background.js';
import { guessCatalog } from './catalog-guess.js';
import { catalogColumns, columnLineageFile, columnLineageJson, readCatalog, readPreviousLineage } from './file.js';
import { projectLineage, type ProjectLineageInput } from './project.js';
import type { ColumnLineage } from './types.js';
import { loadSqlParser, warmUpSqlParser } from './sql.js';

const parserReady = loadSqlParser();
// Until the job arrives (the main thread is compiling meanwhile), the parser is warmed up, if asked.
let jobArrived = false;
const warmedUp = (workerData as LineageWorkerData).warmUp ? warmUpSqlParser(() => jobArrived) : undefined;

parentPort!.once('message', ({ job, catalogPort }: { job: LineageJob; catalogPort: MessagePort }) => {
  jobArrived = true;
  run(job, catalogPort).then(
    (json) => parentPort!.postMessage({ json } satisfies LineageReply),
    (e: Error) => parentPort!.postMessage({ error: { message: e.message, stack: e.stack } } satisfies LineageReply),
  );
});

async function run(job: LineageJob, catalogPort: MessagePort): Promise<Record<string, unknown>> {
  // The last catalog.json, read if lineage asks about a relation (most often before the main
  // thread writes this run's; were it written already, it would only be a better guess).
  const guess = guessCatalog(() => catalogColumns(readCatalog(job.targetPath)));
  const previous = readPreviousLineage(job.targetPath);
  await parserReady;
  await warmedUp;
  const input: ProjectLineageInput = {
    parsed: { manifest: { nodes: job.nodes, sources: job.sources }, project: { projectDir: job.projectDir } },
    dag: { order: job.order, parents: (id) => job.sourceParents.get(id) ?? [] },
    adapterType: job.adapterType,
    compiledSql: (id) => {
      const sql = job.sql.get(id);
      if (sql === undefined) return new Error(`no compiled SQL for ${id}`);
      return typeof sql === 'string' ? sql : new Error(sql.error);
    },
  };
  let lineage = projectLineage({ ...input, catalog: guess.catalog, previous });
  // The file's object and text are made while the main thread is still reading the catalog.
  const artifact = (of: ColumnLineage) => {
    const json = columnLineageJson(of, job.invocationId);
    return { json, text: artifactText(json) };
  };
  let made = artifact(lineage);
  const message = (receiveMessageOnPort(catalogPort)?.message ??
    (await once(catalogPort, 'message'))[0]) as CatalogMessage;
  catalogPort.close();
  if (!guess.holdsFor(message.catalog)) {
    lineage = projectLineage({ ...input, catalog: message.catalog, previous: lineage });
    made = artifact(lineage);
  }
  writeArtifactText(job.targetPath, columnLineageFile, made.text);
  return made.json;
}
