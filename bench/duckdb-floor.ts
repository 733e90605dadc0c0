/**
 * The DuckDB floor for `kiln run`: the models' compiled SQL from a run's manifest.json,
 * executed in dependency order as `create or replace view` on one connection, by a process
 * that does nothing else. `node dist/bench/duckdb-floor.js [--from <database>] <manifest.json> <seed csv> <folder> [model id]`:
 * with a model's unique id, only that model (one that reads only the seed), for the fixed cost of a run.
 * With `--from`, the folder starts with a copy of that database (a run's), so each view replaces
 * one as a second `kiln run` does, which costs DuckDB more than creating it afresh.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

interface ManifestNode {
  resource_type: string;
  relation_name: string;
  compiled_code?: string;
  depends_on: { nodes: string[] };
}

const args = process.argv.slice(2);
const from = args[0] === '--from' ? args.splice(0, 2)[1] : undefined;
const [manifestFile, seedCsv, folder, only] = args;
const manifest = JSON.parse(readFileSync(manifestFile!, 'utf8')) as { nodes: Record<string, ManifestNode> };
const models = new Map(
  Object.entries(manifest.nodes).filter(
    ([id, n]) => n.resource_type === 'model' && n.compiled_code && (!only || id === only),
  ),
);
const order: string[] = [];
const placed = new Set<string>();
const place = (id: string) => {
  if (placed.has(id) || !models.has(id)) return;
  placed.add(id);
  models.get(id)!.depends_on.nodes.forEach(place);
  order.push(id);
};
[...models.keys()].forEach(place);

mkdirSync(folder!, { recursive: true });
// The same database name as kiln's embedded target (kiln.duckdb), so the compiled SQL resolves.
const database = join(folder!, 'kiln.duckdb');
if (from)
  for (const suffix of ['', '.wal']) if (existsSync(from + suffix)) copyFileSync(from + suffix, database + suffix);
const instance = await DuckDBInstance.create(database, {
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
});
const connection = await instance.connect();
await connection.run(
  `create or replace table main.base as select * from read_csv('${seedCsv!.replace(/'/g, "''")}', header = true)`,
);
for (const id of order) {
  const node = models.get(id)!;
  await connection.run(`create or replace view ${node.relation_name} as (\n${node.compiled_code}\n)`);
}
connection.closeSync();
instance.closeSync();
