/**
 * The orchestrator's run history: every run of a job, every node's status, duration, rows and
 * message, every test result, and source freshness readings, in one embedded DuckDB file in
 * the project (see ARCHITECTURE.md for why DuckDB). Each write is its own committed
 * transaction, so a process killed with SIGKILL loses at most the write it was making; the
 * next open replays DuckDB's write-ahead log. Times are milliseconds since the epoch.
 * Owns the tables and the queries the API and page need; must not decide what to run.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';

export type RunStatus =
  'queued' | 'running' | 'success' | 'failed' | 'cancelled' | 'timed_out' | 'interrupted' | 'skipped';

export const FINISHED: ReadonlySet<RunStatus> = new Set([
  'success',
  'failed',
  'cancelled',
  'timed_out',
  'interrupted',
  'skipped',
]);

export interface RunRecord {
  run_id: string;
  job: string;
  /** What started it: cron, after, on_new_data, webhook, manual, catch-up, recovery. */
  trigger: string;
  /** Words for a person: which tick, which job, which sources. */
  reason: string;
  status: RunStatus;
  attempt: number;
  queued_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** Seconds. */
  duration: number | null;
  message: string | null;
  invocation_id: string | null;
  /** The selection this run used, when a trigger narrowed the job's own. */
  selection: string | null;
  pid: number | null;
}

export interface NodeRecord {
  run_id: string;
  unique_id: string;
  resource_type: string;
  status: string;
  started_at: number;
  /** Seconds. */
  duration: number;
  rows: number | null;
  failures: number | null;
  message: string;
}

export interface FreshnessReading {
  source_id: string;
  checked_at: number;
  max_loaded_at: number | null;
  age_seconds: number | null;
  status: string;
}

export interface AlertRecord {
  at: number;
  kind: string;
  job: string | null;
  source_id: string | null;
  run_id: string | null;
  message: string;
}

export interface JobState {
  /** The last cron tick the orchestrator has dealt with (run, skipped or caught up). */
  lastCronTick: number | null;
  /** Per source: the max loaded_at the job's last data-triggered run consumed. */
  dataMarks: Record<string, number>;
}

const SCHEMA = `
create table if not exists runs (
  run_id varchar, job varchar, trigger varchar, reason varchar, status varchar, attempt integer,
  queued_at double, started_at double, finished_at double, duration double, message varchar,
  invocation_id varchar, selection varchar, pid integer);
create table if not exists node_runs (
  run_id varchar, unique_id varchar, resource_type varchar, status varchar, started_at double,
  duration double, "rows" double, failures double, message varchar);
create table if not exists test_problems (job varchar, run_id varchar, unique_id varchar, resource_type varchar, status varchar, started_at double, duration double, failures double, message varchar);
create table if not exists freshness_readings (
  source_id varchar, checked_at double, max_loaded_at double, age_seconds double, status varchar);
create table if not exists job_state (job varchar, last_cron_tick double, data_marks varchar);
create table if not exists alerts ("at" double, kind varchar, job varchar, source_id varchar, run_id varchar, message varchar);
`;

const TEST_TYPES = new Set(['test', 'unit_test']);
const TEST_PROBLEMS = new Set(['fail', 'error', 'warn']);

const RUN_COLUMNS = [
  'run_id',
  'job',
  'trigger',
  'reason',
  'status',
  'attempt',
  'queued_at',
  'started_at',
  'finished_at',
  'duration',
  'message',
  'invocation_id',
  'selection',
  'pid',
] as const;

export class History {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly db: DuckDBConnection,
  ) {}
  /** DuckDB runs one statement at a time per connection: writes queue here, in order. */
  private chain: Promise<unknown> = Promise.resolve();

  static async open(file: string): Promise<History> {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    // The history never needs an extension: none may be fetched or loaded. One thread: its
    // queries are small, and the warehouse's work should keep the machine's cores.
    const instance = await DuckDBInstance.create(file, {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      threads: '1',
    });
    const db = await instance.connect();
    await db.run(SCHEMA);
    return new History(instance, db);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async rows<T>(sql: string, values: DuckDBValue[] = []): Promise<T[]> {
    return this.serial(async () => (await this.db.runAndReadAll(sql, values)).getRowObjectsJS() as T[]);
  }

  private async exec(sql: string, values: DuckDBValue[] = []): Promise<void> {
    await this.serial(() => this.db.run(sql, values));
  }

  async insertRun(run: RunRecord): Promise<void> {
    await this.exec(
      `insert into runs (${RUN_COLUMNS.join(', ')}) values (${RUN_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`,
      RUN_COLUMNS.map((c) => run[c] as DuckDBValue),
    );
  }

  async updateRun(runId: string, change: Partial<Omit<RunRecord, 'run_id'>>): Promise<void> {
    const keys = Object.keys(change) as Array<keyof typeof change>;
    if (!keys.length) return;
    await this.exec(`update runs set ${keys.map((k, i) => `${k} = $${i + 2}`).join(', ')} where run_id = $1`, [
      runId,
      ...keys.map((k) => change[k] as DuckDBValue),
    ]);
  }

  /**
   * A test that failed, errored or warned is also written to `test_problems`, so the page's
   * "test failures over time" reads a few rows instead of scanning every node of every run.
   */
  async insertNode(node: NodeRecord, job: string): Promise<void> {
    const statements: Array<[string, DuckDBValue[]]> = [
      [
        'insert into node_runs values ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
        [
          node.run_id,
          node.unique_id,
          node.resource_type,
          node.status,
          node.started_at,
          node.duration,
          node.rows,
          node.failures,
          node.message,
        ],
      ],
    ];
    if (TEST_TYPES.has(node.resource_type) && TEST_PROBLEMS.has(node.status)) {
      statements.push([
        'insert into test_problems values ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
        [
          job,
          node.run_id,
          node.unique_id,
          node.resource_type,
          node.status,
          node.started_at,
          node.duration,
          node.failures,
          node.message,
        ],
      ]);
    }
    await this.transaction(statements);
  }

  /** Statements that stand or fall together (a kill between them leaves neither). */
  private async transaction(statements: Array<[string, DuckDBValue[]]>): Promise<void> {
    await this.serial(async () => {
      await this.db.run('begin transaction');
      try {
        for (const [sql, values] of statements) await this.db.run(sql, values);
        await this.db.run('commit');
      } catch (e) {
        await this.db.run('rollback');
        throw e;
      }
    });
  }

  /**
   * Forgets what finished before `before`: runs (a run still queued or running is kept whatever its age) with their
   * nodes and test problems, freshness readings and alerts; jobs' state (last cron tick, data marks) stays. One
   * transaction. Returns how many runs went.
   */
  async prune(before: number): Promise<number> {
    const [counted] = await this.rows<{ n: number }>('select count(*)::double as n from runs where finished_at < $1', [
      before,
    ]);
    const old = 'select run_id from runs where finished_at < $1';
    await this.transaction([
      [`delete from node_runs where run_id in (${old})`, [before]],
      [`delete from test_problems where run_id in (${old})`, [before]],
      ['delete from runs where finished_at < $1', [before]],
      ['delete from freshness_readings where checked_at < $1', [before]],
      ['delete from alerts where "at" < $1', [before]],
    ]);
    return counted?.n ?? 0;
  }

  async insertFreshness(r: FreshnessReading): Promise<void> {
    await this.exec('insert into freshness_readings values ($1, $2, $3, $4, $5)', [
      r.source_id,
      r.checked_at,
      r.max_loaded_at,
      r.age_seconds,
      r.status,
    ]);
  }

  async insertAlert(a: AlertRecord): Promise<void> {
    await this.exec('insert into alerts values ($1, $2, $3, $4, $5, $6)', [
      a.at,
      a.kind,
      a.job,
      a.source_id,
      a.run_id,
      a.message,
    ]);
  }

  async alerts(limit = 50): Promise<AlertRecord[]> {
    return this.rows<AlertRecord>('select * from alerts order by "at" desc limit $1', [limit]);
  }

  async jobState(job: string): Promise<JobState> {
    const [row] = await this.rows<{ last_cron_tick: number | null; data_marks: string | null }>(
      'select last_cron_tick, data_marks from job_state where job = $1',
      [job],
    );
    return {
      lastCronTick: row?.last_cron_tick ?? null,
      dataMarks: row?.data_marks ? (JSON.parse(row.data_marks) as JobState['dataMarks']) : {},
    };
  }

  async saveJobState(job: string, state: JobState): Promise<void> {
    await this.transaction([
      ['delete from job_state where job = $1', [job]],
      ['insert into job_state values ($1, $2, $3)', [job, state.lastCronTick, JSON.stringify(state.dataMarks)]],
    ]);
  }

  /** Runs a killed process left queued or running: marked interrupted, and returned. */
  async interruptLeftovers(now: number): Promise<RunRecord[]> {
    const left = await this.rows<RunRecord>(
      `select * from runs where status in ('queued', 'running') order by queued_at`,
    );
    for (const run of left)
      await this.updateRun(run.run_id, {
        status: 'interrupted',
        finished_at: now,
        message: `the orchestrator stopped while this run was ${run.status} (process ${run.pid ?? 'unknown'})`,
      });
    return left;
  }

  async run(runId: string): Promise<RunRecord | undefined> {
    return (await this.rows<RunRecord>('select * from runs where run_id = $1', [runId]))[0];
  }

  async nodes(runId: string): Promise<NodeRecord[]> {
    return this.rows<NodeRecord>('select * from node_runs where run_id = $1 order by started_at, unique_id', [runId]);
  }

  /** The newest runs first; of one job, or of all. */
  async runs(opts: { job?: string; limit?: number } = {}): Promise<RunRecord[]> {
    const limit = Math.min(Math.max(1, opts.limit ?? 50), 1000);
    return opts.job
      ? this.rows<RunRecord>('select * from runs where job = $1 order by queued_at desc, rowid desc limit $2', [
          opts.job,
          limit,
        ])
      : this.rows<RunRecord>('select * from runs order by queued_at desc, rowid desc limit $1', [limit]);
  }

  /** Per job: its newest run and its newest success. */
  async lastRuns(): Promise<Map<string, { last?: RunRecord; lastSuccess?: RunRecord }>> {
    // Ids first (one aggregate pass), whole rows second: cheaper than ranking every run.
    const ids = await this.rows<{ job: string; last: string | null; success: string | null }>(`
      select job, max_by(run_id, queued_at) filter (where status <> 'skipped') as last, max_by(run_id, finished_at) filter (where status = 'success') as success
      from runs group by job`);
    const wanted = ids.flatMap((r) => [r.last, r.success]).filter((id): id is string => id !== null);
    const runs = new Map((await this.byIds(wanted)).map((r) => [r.run_id, r]));
    return new Map(
      ids.map((r) => [
        r.job,
        { last: r.last ? runs.get(r.last) : undefined, lastSuccess: r.success ? runs.get(r.success) : undefined },
      ]),
    );
  }

  private async byIds(ids: string[]): Promise<RunRecord[]> {
    if (!ids.length) return [];
    return this.rows<RunRecord>(
      `select * from runs where run_id in (${ids.map((_, i) => `$${i + 1}`).join(', ')})`,
      ids,
    );
  }

  /** The last success of a job that finished within (from, to]. */
  async succeededBetween(job: string, from: number, to: number): Promise<boolean> {
    const [row] = await this.rows<{ n: bigint }>(
      `select count(*) as n from runs where job = $1 and status = 'success' and finished_at > $2 and finished_at <= $3`,
      [job, from, to],
    );
    return Number(row?.n ?? 0) > 0;
  }

  /** Per node of a job: its durations in the job's last `runs` runs, oldest first. */
  async nodeTrends(
    job: string,
    runs = 30,
  ): Promise<
    Array<{
      unique_id: string;
      points: Array<{ run_id: string; started_at: number; duration: number; status: string }>;
    }>
  > {
    const recent = await this.rows<{ run_id: string; started_at: number }>(
      'select run_id, started_at from runs where job = $1 and started_at is not null order by queued_at desc, rowid desc limit $2',
      [job, runs],
    );
    if (!recent.length) return [];
    // Node rows are written in time order: a literal lower bound lets DuckDB skip older row groups.
    const since = Math.floor(Math.min(...recent.map((r) => r.started_at)));
    const rows = await this.rows<{
      unique_id: string;
      run_id: string;
      started_at: number;
      duration: number;
      status: string;
    }>(
      `select unique_id, run_id, started_at, duration, status from node_runs
       where started_at >= ${since} and run_id in (${recent.map((_, i) => `$${i + 1}`).join(', ')}) and resource_type in ('model', 'seed', 'snapshot')
       order by unique_id, started_at`,
      recent.map((r) => r.run_id),
    );
    return group(rows, (r) => r.unique_id).map(([unique_id, points]) => ({
      unique_id,
      points: points.map(({ run_id, started_at, duration, status }) => ({ run_id, started_at, duration, status })),
    }));
  }

  /** Failing, erroring or warning tests, newest first. */
  async testFailures(limit = 200): Promise<Array<Omit<NodeRecord, 'rows'> & { job: string }>> {
    return this.rows('select * from test_problems order by started_at desc limit $1', [limit]);
  }

  /** Per source: its readings since `since`, oldest first. */
  async freshness(since: number): Promise<Array<{ source_id: string; readings: FreshnessReading[] }>> {
    const rows = await this.rows<FreshnessReading>(
      'select * from freshness_readings where checked_at >= $1 order by source_id, checked_at',
      [since],
    );
    return group(rows, (r) => r.source_id).map(([source_id, readings]) => ({ source_id, readings }));
  }

  async close(): Promise<void> {
    await this.chain;
    this.db.closeSync();
    this.instance.closeSync();
  }
}

function group<T>(rows: T[], key: (row: T) => string): Array<[string, T[]]> {
  const out = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = out.get(k) ?? [];
    list.push(row);
    out.set(k, list);
  }
  return [...out];
}
