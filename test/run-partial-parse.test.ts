/**
 * `kiln run` with the partial parse cache gives what a run without it gives: after each kind of
 * change, a warm run and a cold one (`partialParse: false`, another target path and another
 * database of the same name) send the same statements and write the same manifest.json,
 * run_results.json and compiled files. The cold run is the oracle. A run that makes the cache
 * it read leaves the file (and its replay table) alone; any change writes it again.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerAdapter, run, type KilnOptions } from '../src/index.js';
import { DuckDBAdapter, type DuckDBProfile } from '../src/adapters/duckdb/index.js';
import { DuckDBInstance } from '@duckdb/node-api';
import { removeDir, writeProject } from './helpers/cli.js';
import { assertSameOutputs, maskedTimes, targetOutputs } from './helpers/target-outputs.js';
import { recordingStatements } from './helpers/statement-log.js';

let sent: string[] = [];
registerAdapter('duckdb', async (target, projectDir) =>
  recordingStatements(
    new DuckDBAdapter({ ...(target.settings as unknown as DuckDBProfile), threads: target.threads }, projectDir),
    sent,
  ),
);

const dir = writeProject({
  'dbt_project.yml':
    'name: shop\nprofile: shop\nconfig-version: 2\nvars:\n  threshold: 10\nmodels:\n  shop:\n    +materialized: view\n',
  // The same database name in two folders: compiled SQL names it.
  'profiles.yml':
    'shop:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: "{{ env_var(\'KILN_RUN_PP_DB\') }}/dev.duckdb", schema: main}\n',
  'macros/money.sql': '{% macro money(col) %}round({{ col }}, 2){% endmacro %}\n',
  'models/a.sql': 'select 1 as id, 12.345 as amount\n',
  'models/b.sql': "select id, {{ money('amount') }} as amount from {{ ref('a') }} where id < {{ var('threshold') }}\n",
  'models/eph.sql': "{{ config(materialized='ephemeral') }}\nselect id from {{ ref('a') }}\n",
  'models/c.sql': "{{ config(materialized='table') }}\nselect * from {{ ref('eph') }}\n",
  'models/inc.sql':
    "{{ config(materialized='incremental', unique_key='id') }}\nselect id, amount from {{ ref('b') }}\n" +
    '{% if is_incremental() %}where id > (select max(id) - 100 from {{ this }}){% endif %}\n',
  'models/outside.sql': 'select id\nfrom main.outside_table\n',
  'models/schema.yml': 'version: 2\nmodels:\n  - name: b\n    description: Amounts\n',
  // An anchor and a merge key (the data unshared), a value the schema coerces (its check is made every time), and a
  // value JSON cannot hold (the file's data is then not cached).
  'models/more.yml':
    'version: 2\nmodels:\n  - name: a\n    meta: &m {owner: ops, tier: 1}\n' +
    '    columns:\n      - name: id\n        quote: "true"\n' +
    '  - name: c\n    meta:\n      <<: *m\n      tier: 2\n',
  'models/odd.yml': 'version: 2\nmodels:\n  - name: inc\n    meta: {limit: .inf, low: -.inf}\n',
});
after(() => removeDir(dir));
const invocationId = '00000000-0000-0000-0000-000000000000';
let debug: string[] = [];

const databaseDir = (targetPath: string) => join(dir, `db-${targetPath}`);
for (const t of ['target', 'target-cold']) mkdirSync(databaseDir(t), { recursive: true });

/** Runs `sql` in both databases, as something other than kiln. */
async function inBothDatabases(sql: string): Promise<void> {
  for (const t of ['target', 'target-cold']) {
    const instance = await DuckDBInstance.create(join(databaseDir(t), 'dev.duckdb'));
    const c = await instance.connect();
    await c.run(sql);
    c.closeSync();
    instance.closeSync();
  }
}

async function runWith(targetPath: string, partialParse: boolean, extra: KilnOptions = {}): Promise<string[]> {
  process.env.KILN_RUN_PP_DB = databaseDir(targetPath);
  sent = [];
  debug = [];
  await run({
    projectDir: dir,
    profilesDir: dir,
    targetPath,
    invocationId,
    partialParse,
    threads: 1,
    onDebug: (m) => debug.push(m),
    ...extra,
  });
  return sent;
}

const masked = (text: string, targetPath: string) =>
  maskedTimes(text.split(databaseDir(targetPath)).join('DB'), targetPath);

/** The artifacts and compiled files of a target path, with times and the paths themselves taken out. */
const outputs = (targetPath: string) =>
  targetOutputs(join(dir, targetPath), ['manifest.json', 'run_results.json'], (text) => masked(text, targetPath));

/** A warm run and a cold one: the same statements and outputs. The warm run's debug lines. */
async function warmEqualsCold(what: string, extra: KilnOptions = {}): Promise<string[]> {
  const warmSent = (await runWith('target', true, extra)).map((s) => masked(s, 'target'));
  const log = debug;
  const coldSent = (await runWith('target-cold', false, extra)).map((s) => masked(s, 'target-cold'));
  // In the order of the critical path, which the last run's durations (each target's own) set.
  assert.deepEqual(warmSent.sort(), coldSent.sort(), `${what}: the same statements`);
  assertSameOutputs(outputs('target'), outputs('target-cold'), what);
  return log;
}

function edit(rel: string, change: (text: string) => string): void {
  writeFileSync(join(dir, rel), change(readFileSync(join(dir, rel), 'utf8')));
}
const cacheFiles = ['partial_parse.bin', 'partial_parse.table'].map((f) => join(dir, 'target', f));
/** The cache files' stats: a file written again (renamed over the old one) has another inode and change time. */
const stamps = () => cacheFiles.map((f) => `${statSync(f).ino} ${statSync(f).ctimeMs}`).join(', ');

/**
 * Runs until the cache trusts every file's stat: a file changed within two seconds of a run is recorded as racy, and
 * a later run that trusts it writes the cache again.
 */
async function settled(what: string): Promise<void> {
  const racy = () => /\d racy\t/.test(readFileSync(cacheFiles[0]!, 'utf8'));
  for (let i = 0; i < 100 && racy(); i++) await warmEqualsCold(`${what}, run again`);
  assert.ok(!racy(), `${what}: no racy file left`);
}

test('a run with the cache of the last one sends and writes what a run without it does', async () => {
  await inBothDatabases('create table main.outside_table as select 1 as id');
  await warmEqualsCold('first run');
  await settled('first run');
  let before = stamps();
  const log = await warmEqualsCold('nothing changed');
  assert.match(log.join('\n'), /reused (\d+) of \1 SQL parses/);
  // Each properties file's data is reused by its text's hash, but for the one JSON cannot hold.
  // The schema's check is made again only on the data it changed.
  assert.match(log.join('\n'), /reused 2 of 3 YAML files \(1 checks kept\)/);
  assert.equal(stamps(), before, 'nothing changed: the cache and its table are left alone');
  // A properties file's data is cached by its text's hash: an edit writes the cache again.
  const changes: Array<[string, () => void, boolean, KilnOptions?]> = [
    ['a model edited', () => edit('models/a.sql', (t) => t.replace('12.345', '23.456')), true],
    ['a macro edited', () => edit('macros/money.sql', (t) => t.replace('2)', '1)')), true],
    ['a description edited', () => edit('models/schema.yml', (t) => t.replace('Amounts', 'Amounts, rounded')), true],
    ['a merged value edited', () => edit('models/more.yml', (t) => t.replace('tier: 2', 'tier: 3')), true],
    ['the merged value back', () => edit('models/more.yml', (t) => t.replace('tier: 3', 'tier: 2')), true],
    ['a var given', () => undefined, true, { vars: { threshold: 5 } }],
    ['the var as in dbt_project.yml', () => undefined, true],
  ];
  for (const [what, change, rewrites, extra] of changes) {
    change();
    await warmEqualsCold(what, extra);
    if (rewrites) assert.notEqual(stamps(), before, `${what}: the cache written again`);
    await settled(what);
    before = stamps();
    await warmEqualsCold(`${what}, then nothing`, extra);
    assert.equal(stamps(), before, `${what}, then nothing: the cache left alone`);
  }
});
