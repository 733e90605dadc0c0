/**
 * A large seed stops within a second or two of SIGINT and leaves the previous seed table in
 * place: the CSV is read in chunks that let the signal through, rows load into the staging
 * relation, and the swap happens only once every row is in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresProfileYaml, postgresForTests } from './helpers/postgres-server.js';
import { kiln, kilnBin, minimalProject, removeDir, writeProject } from './helpers/cli.js';
import { queryDuckDB } from './helpers/duckdb.js';

const ROWS = 500_000;
const schema = `kiln_seed_${randomBytes(4).toString('hex')}`;
const db = postgresForTests(schema);

async function writeLargeCsv(file: string): Promise<void> {
  const out = createWriteStream(file);
  out.write('id,name,amount,day,flag\n');
  const chunk: string[] = [];
  for (let i = 1; i <= ROWS; i++) {
    chunk.push(
      `${i},"customer ${i % 9973}, ltd",${(i % 1000) / 4},2024-01-${String((i % 28) + 1).padStart(2, '0')},${i % 2 === 0}`,
    );
    if (chunk.length === 10_000) {
      if (!out.write(chunk.join('\n') + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk.length = 0;
    }
  }
  await new Promise<void>((resolve, reject) => out.end(chunk.join('\n') + '\n', () => resolve()).on('error', reject));
}

interface Interrupted {
  code: number | null;
  /** Seconds from SIGINT to exit. */
  stopSeconds: number;
  output: string;
}

/** `kiln seed`, interrupted `delayMs` after the seed's node started. */
function interruptedSeed(dir: string, delayMs: number): Promise<Interrupted> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [kilnBin, '--log-format', 'json', 'seed', '--project-dir', dir], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', HOME: tmpdir() },
    });
    let output = '';
    let sentAt = 0;
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (!sentAt && output.includes('"node_started"')) {
        sentAt = -1;
        setTimeout(() => {
          sentAt = Date.now();
          child.kill('SIGINT');
        }, delayMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => resolve({ code, stopSeconds: (Date.now() - sentAt) / 1000, output }));
  });
}

test(
  'PostgreSQL: SIGINT during a 500,000-row seed exits 130 within two seconds and keeps the old seed table',
  { timeout: 120_000 },
  async () => {
    await db.ready;
    const dir = writeProject({
      'dbt_project.yml': 'name: seeds\nprofile: seeds\nconfig-version: 2\n',
      'profiles.yml': postgresProfileYaml('seeds', db.server, schema, 2),
      'seeds/customers.csv': 'id,name,amount,day,flag\n1,old,1.5,2024-01-01,true\n2,old,2.5,2024-01-02,false\n',
    });
    try {
      const r = kiln(['seed', '--project-dir', dir]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      await writeLargeCsv(join(dir, 'seeds/customers.csv'));
      for (const delayMs of [300, 1500]) {
        const run = await interruptedSeed(dir, delayMs);
        assert.equal(run.code, 130, run.output);
        assert.deepEqual(
          (await db.pg.execute(`select count(*)::int as n, min(name) as name from "${schema}".customers`)).rows,
          [{ n: 2, name: 'old' }],
          'the old seed is intact',
        );
        assert.ok(
          run.stopSeconds < 2,
          `stopped ${run.stopSeconds.toFixed(2)} s after SIGINT (interrupted ${delayMs} ms in)`,
        );
        assert.deepEqual(
          (
            await db.pg.execute(
              `select table_name from information_schema.tables where table_schema = '${schema}' and table_name like '%kiln%'`,
            )
          ).rows,
          [],
        );
      }
    } finally {
      removeDir(dir);
    }
  },
);

test(
  'DuckDB: SIGINT during a 500,000-row seed exits 130 within two seconds and keeps the old seed table',
  { timeout: 120_000 },
  async () => {
    const dir = writeProject(
      minimalProject({
        'seeds/customers.csv': 'id,name,amount,day,flag\n1,old,1.5,2024-01-01,true\n2,old,2.5,2024-01-02,false\n',
      }),
    );
    try {
      const r = kiln(['seed', '--project-dir', dir]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      await writeLargeCsv(join(dir, 'seeds/customers.csv'));
      const run = await interruptedSeed(dir, 500);
      assert.equal(run.code, 130, run.output);
      const file = join(dir, 'target', 'kiln.duckdb');
      assert.deepEqual(await queryDuckDB(file, 'select count(*)::int as n, min(name) as name from customers'), [
        { n: 2, name: 'old' },
      ]);
      assert.ok(run.stopSeconds < 2, `stopped ${run.stopSeconds.toFixed(2)} s after SIGINT`);
    } finally {
      removeDir(dir);
    }
  },
);

test('a seed read in chunks loads the same rows and types as before, quotes and line breaks included', async () => {
  await db.ready;
  const csv =
    'id,label,when_at,ratio\r\n1,"a, ""quoted""\nvalue",2024-01-01 10:00:00,0.5\r\n2,,2024-01-02 11:30:00,\r\n3,plain,,1e3\r\n';
  const dir = writeProject({
    'dbt_project.yml': 'name: seeds\nprofile: seeds\nconfig-version: 2\n',
    'profiles.yml': postgresProfileYaml('seeds', db.server, schema, 2),
    'seeds/tricky.csv': csv,
  });
  try {
    const r = kiln(['seed', '--project-dir', dir]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const got = (
      await db.pg.execute(
        `select id, label, when_at::text as when_at, ratio::text as ratio from "${schema}".tricky order by id`,
      )
    ).rows;
    assert.deepEqual(got, [
      { id: 1, label: 'a, "quoted"\nvalue', when_at: '2024-01-01 10:00:00', ratio: '0.5' },
      { id: 2, label: null, when_at: '2024-01-02 11:30:00', ratio: null },
      { id: 3, label: 'plain', when_at: null, ratio: '1000' },
    ]);
    const types = (
      await db.pg.execute(
        `select column_name, data_type from information_schema.columns where table_schema = '${schema}' and table_name = 'tricky' order by ordinal_position`,
      )
    ).rows;
    assert.deepEqual(
      types.map((t) => t.data_type),
      ['integer', 'text', 'timestamp without time zone', 'numeric'],
    );
  } finally {
    removeDir(dir);
  }
});
