import { describe, before, after } from 'node:test';
/**
 * The warehouses the incremental, snapshot and hook tests run on: each case is written once
 * and run per engine. An engine gives a project the profile that targets it and reads back
 * what kiln built. DuckDB always; PostgreSQL when its adapter is part of kiln, on the real
 * server test/helpers/postgres-server.ts starts.
 */
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { queryDuckDB } from './helpers/duckdb.js';
import { startPostgres, type PostgresServer } from './helpers/postgres-server.js';

export interface Engine {
  name: string;
  /** The schema models land in. */
  schema: string;
  /** profiles.yml (or nothing, for the embedded default) for a project in `dir`. */
  profileFiles(): Record<string, string>;
  query(dir: string, sql: string): Promise<Array<Record<string, unknown>>>;
  stop(): Promise<void>;
}

const duckdb: Engine = {
  name: 'duckdb',
  schema: 'main',
  profileFiles: () => ({}),
  query: (dir, sql) => queryDuckDB(join(dir, 'target', 'kiln.duckdb'), sql),
  stop: async () => undefined,
};

/**
 * Test files run in parallel, each starting its own cluster; a cluster being initialised can
 * be cleaned away by another file's start-up as stale, so a failed start is tried again.
 */
async function startWithRetries(): Promise<PostgresServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startPostgres();
    } catch (e) {
      if (attempt >= 3 || !/initdb failed/.test(String((e as Error).message))) throw e;
    }
  }
}

async function postgres(): Promise<Engine> {
  const server = await startWithRetries();
  const client = new pg.Client({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database: server.database,
  });
  await client.connect();
  const schemas: string[] = [];
  const engine: Engine = {
    name: 'postgres',
    schema: '',
    // Each project gets a schema of its own (the latest one is engine.schema), like its own DuckDB file.
    profileFiles: () => {
      engine.schema = `kiln_t_${randomBytes(4).toString('hex')}`;
      schemas.push(engine.schema);
      return {
        'profiles.yml': `tiny:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n      host: ${server.host}\n      port: ${server.port}\n      user: ${server.user}\n      password: "${server.password}"\n      dbname: ${server.database}\n      schema: ${engine.schema}\n      threads: 2\n`,
      };
    },
    query: async (_dir, sql) =>
      ((await client.query(`set search_path to "${engine.schema}"; ${sql}`)) as unknown as pg.QueryResult[])[1]!.rows,
    stop: async () => {
      for (const s of schemas) {
        await client.query(`drop schema if exists "${s}" cascade`).catch(() => undefined);
        await client.query(`drop schema if exists "${s}_hist" cascade`).catch(() => undefined);
      }
      await client.end();
      await server.stop();
    },
  };
  return engine;
}

/** Every engine the cases run on. */
export const engineNames = ['duckdb', 'postgres'];

export async function startEngine(name: string): Promise<Engine> {
  return name === 'postgres' ? postgres() : duckdb;
}

/**
 * A `describe` block per engine with its server started before and stopped after. `engine`
 * forwards to the started engine, so the cases read as if it were a plain value.
 */
export function describeEngines(body: (engine: Engine, engineName: string) => void): void {
  for (const engineName of engineNames) {
    describe(engineName, () => {
      let started: Engine | undefined;
      before(async () => {
        started = await startEngine(engineName);
      });
      after(async () => {
        await started?.stop();
      });
      const engine = new Proxy({} as Engine, {
        get: (_target, key) => {
          if (!started) throw new Error(`the ${engineName} engine is not started yet`);
          const value = (started as unknown as Record<string | symbol, unknown>)[key];
          return typeof value === 'function' ? value.bind(started) : value;
        },
      });
      body(engine, engineName);
    });
  }
}
