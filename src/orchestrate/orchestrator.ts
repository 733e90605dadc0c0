/**
 * The orchestrator's core: when each job runs. It turns cron ticks, other jobs' successes,
 * new data and webhook calls into runs; keeps a job from running twice at once (skip or
 * queue), keeps the number of running jobs under the limit, retries, times out, watches
 * deadlines, catches up once after downtime and recovers what a killed process left running.
 * Its collaborators are passed in — the clock, the history, how a job is executed, how
 * source data is read, where alerts go — so it knows nothing of SQL, HTTP or the CLI.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from './clock.js';
import type { History, NodeRecord, RunRecord, RunStatus, FreshnessReading } from './history.js';
import type { Job, JobsConfig, Trigger } from './jobs.js';

/** A node that began; `index` of `total` nodes the run selected. */
export interface StartedNode {
  unique_id: string;
  resource_type: string;
  started_at: number;
  index: number;
  total: number;
}

/** What a job execution reports while it runs. */
export interface ExecutionHooks {
  runId: string;
  /** Set when a trigger narrows what the job runs (new data in some sources). */
  select?: string[];
  signal: AbortSignal;
  onNodeStarted(node: StartedNode): void;
  onNodeFinished(node: Omit<NodeRecord, 'run_id'>): void;
  onFreshness(readings: FreshnessReading[]): void;
}

export interface ExecutionResult {
  success: boolean;
  message: string;
  invocationId?: string;
}

/** Runs one job once (in this process, through kiln's API, in the service). */
export type ExecuteJob = (job: Job, hooks: ExecutionHooks) => Promise<ExecutionResult>;

/** Reads the newest loaded_at of sources (`source_name.table_name`), for on_new_data. */
export type ReadSources = (sources: string[], loadedAtField?: string) => Promise<FreshnessReading[]>;

export interface Alert {
  kind: 'failure' | 'deadline' | 'stale_source' | 'interrupted';
  job?: string;
  runId?: string;
  source?: string;
  message: string;
}

export type OrchestratorEvent =
  | { type: 'run'; run: RunRecord }
  | { type: 'node'; run_id: string; phase: 'started'; node: StartedNode }
  | { type: 'node'; run_id: string; phase: 'finished'; node: NodeRecord }
  | { type: 'freshness'; readings: FreshnessReading[] }
  | { type: 'alert'; alert: Alert; at: number };

/** How often a history with a retention is pruned. */
const pruneEveryMs = 3_600_000;

export interface OrchestratorDeps {
  config: JobsConfig;
  history: History;
  clock: Clock;
  execute: ExecuteJob;
  readSources?: ReadSources;
  alert?: (alert: Alert) => unknown;
  /** Recorded with each run, so a restart can say which process a run belonged to. */
  pid?: number;
}

export interface JobOverview {
  name: string;
  description?: string;
  command: string;
  triggers: string[];
  state: 'idle' | 'queued' | 'running';
  running?: RunRecord;
  lastRun?: RunRecord;
  lastSuccess?: RunRecord;
  nextRun: number | null;
  deadline?: { text: string; next: number | null };
}

interface Pending {
  run: RunRecord;
  job: Job;
  select?: string[];
}

interface Running extends Pending {
  controller: AbortController;
  cancelTimeout?: () => void;
  done: Promise<void>;
}

export class Orchestrator {
  private readonly jobs: Map<string, Job>;
  private readonly running = new Map<string, Running>();
  /** Runs waiting for a free slot, first come first served. */
  private readonly waiting: Pending[] = [];
  private readonly listeners = new Set<(e: OrchestratorEvent) => void>();
  private readonly timers: Array<() => void> = [];
  private readonly staleSources = new Set<string>();
  private stopping = false;
  /** Work in flight that `idle()` waits for: wakes, polls, triggers. */
  private readonly busy = new Set<Promise<unknown>>();

  constructor(private readonly deps: OrchestratorDeps) {
    this.jobs = new Map(deps.config.jobs.map((j) => [j.name, j]));
  }

  get config(): JobsConfig {
    return this.deps.config;
  }

  subscribe(listener: (e: OrchestratorEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: OrchestratorEvent): void {
    for (const l of this.listeners) l(e);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.busy.add(work);
    const forget = () => this.busy.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Resolves once nothing runs, waits or is being decided. */
  async idle(): Promise<void> {
    while (this.busy.size || this.running.size) {
      await Promise.allSettled([...this.busy, ...[...this.running.values()].map((r) => r.done)]);
    }
  }

  /** Recovers a killed predecessor's runs, catches up missed cron ticks once, arms timers. */
  async start(): Promise<void> {
    const now = this.deps.clock.now();
    const leftovers = await this.deps.history.interruptLeftovers(now);
    for (const run of leftovers) {
      const job = this.jobs.get(run.job);
      if (!job) continue;
      this.emit({ type: 'run', run: { ...run, status: 'interrupted', finished_at: now } });
      // A run that never started is simply due; one cut off mid-way is a failed attempt.
      if (run.status === 'queued')
        await this.enqueue(job, 'recovery', `queued before a restart (run ${run.run_id})`, {
          select: parseSelection(run.selection),
        });
      else if (run.attempt <= job.retries)
        await this.enqueue(job, 'recovery', `rerun of run ${run.run_id}, interrupted by a restart`, {
          attempt: run.attempt + 1,
          select: parseSelection(run.selection),
        });
      else
        this.raise({
          kind: 'interrupted',
          job: job.name,
          runId: run.run_id,
          message: `job ${job.name}: run ${run.run_id} was interrupted by a restart and the job has no retries left`,
        });
    }
    for (const job of this.jobs.values()) await this.catchUp(job, now);
    for (const job of this.jobs.values()) this.armJob(job);
    await this.pruneHistory();
  }

  /** With `history: {keep: ...}`, forgets what finished longer ago, now and then every hour. */
  private async pruneHistory(): Promise<void> {
    const keepSeconds = this.deps.config.historyKeepSeconds;
    if (keepSeconds === undefined) return;
    const now = this.deps.clock.now();
    await this.deps.history.prune(now - keepSeconds * 1000);
    this.arm(now + pruneEveryMs, () => this.pruneHistory());
  }

  private async catchUp(job: Job, now: number): Promise<void> {
    const crons = job.triggers.filter((t): t is Extract<Trigger, { kind: 'cron' }> => t.kind === 'cron');
    if (!crons.length) return;
    const state = await this.deps.history.jobState(job.name);
    const missed =
      state.lastCronTick === null
        ? []
        : crons
            .map((t) => t.cron.nextRun(new Date(state.lastCronTick!)))
            .filter((d): d is Date => d !== null && d.getTime() <= now);
    if (missed.length) {
      const first = Math.min(...missed.map((d) => d.getTime()));
      await this.enqueue(job, 'catch-up', `one run for the ticks missed since ${new Date(first).toISOString()}`);
    }
    await this.deps.history.saveJobState(job.name, { ...state, lastCronTick: now });
  }

  private armJob(job: Job): void {
    for (const trigger of job.triggers) {
      if (trigger.kind === 'cron') this.armCron(job, trigger);
      if (trigger.kind === 'on_new_data') this.armPoll(job, trigger, this.deps.clock.now());
    }
    if (job.deadline) this.armDeadline(job, job.deadline.cron);
  }

  private arm(at: number, fire: () => Promise<unknown>): void {
    if (this.stopping) return;
    this.timers.push(this.deps.clock.at(at, () => this.track(fire())));
  }

  private armCron(job: Job, trigger: Extract<Trigger, { kind: 'cron' }>): void {
    const next = trigger.cron.nextRun(new Date(this.deps.clock.now()));
    if (!next) return;
    this.arm(next.getTime(), async () => {
      const tick = next.getTime();
      const state = await this.deps.history.jobState(job.name);
      await this.deps.history.saveJobState(job.name, {
        ...state,
        lastCronTick: Math.max(tick, state.lastCronTick ?? 0),
      });
      await this.enqueue(job, 'cron', `${trigger.expression} (${trigger.timezone}) at ${new Date(tick).toISOString()}`);
      this.armCron(job, trigger);
    });
  }

  private armPoll(job: Job, trigger: Extract<Trigger, { kind: 'on_new_data' }>, from: number): void {
    this.arm(from + trigger.pollEverySeconds * 1000, async () => {
      try {
        await this.poll(job, trigger);
      } finally {
        this.armPoll(job, trigger, this.deps.clock.now());
      }
    });
  }

  /** Reads the sources; runs what reads those whose loaded_at advanced past the job's marks. */
  async poll(job: Job, trigger: Extract<Trigger, { kind: 'on_new_data' }>): Promise<string[]> {
    if (!this.deps.readSources) return [];
    const readings = await this.deps.readSources(trigger.sources, trigger.loadedAtField);
    for (const r of readings) await this.deps.history.insertFreshness(r);
    this.emit({ type: 'freshness', readings });
    this.alertStale(readings);
    const state = await this.deps.history.jobState(job.name);
    const advanced = readings.filter(
      (r) =>
        r.max_loaded_at !== null &&
        (state.dataMarks[r.source_id] === undefined || r.max_loaded_at > state.dataMarks[r.source_id]!),
    );
    // The first reading only records where the data stands: nothing is new to this job yet.
    const news = advanced.filter((r) => state.dataMarks[r.source_id] !== undefined).map((r) => r.source_id);
    const run = news.length
      ? await this.enqueue(job, 'on_new_data', `new data in ${news.join(', ')}`, {
          select: narrowSelection(job.command.options.select, news),
        })
      : undefined;
    // Data a skipped run did not take stays new for the next poll.
    const taken = run?.status === 'skipped' ? advanced.filter((r) => !news.includes(r.source_id)) : advanced;
    if (taken.length) {
      const dataMarks = { ...state.dataMarks };
      for (const r of taken) dataMarks[r.source_id] = r.max_loaded_at!;
      await this.deps.history.saveJobState(job.name, { ...(await this.deps.history.jobState(job.name)), dataMarks });
    }
    return run?.status === 'skipped' ? [] : news;
  }

  private alertStale(readings: FreshnessReading[]): void {
    for (const r of readings) {
      const stale = r.status === 'error';
      if (stale && !this.staleSources.has(r.source_id)) {
        this.staleSources.add(r.source_id);
        const loaded = r.age_seconds === null ? 'never' : `${Math.round(r.age_seconds / 60)} minutes ago`;
        this.raise({
          kind: 'stale_source',
          source: r.source_id,
          message: `source ${r.source_id} is stale past its error_after: last loaded ${loaded}`,
        });
      } else if (!stale) this.staleSources.delete(r.source_id);
    }
  }

  private armDeadline(job: Job, cron: NonNullable<Job['deadline']>['cron']): void {
    const next = cron.nextRun(new Date(this.deps.clock.now()));
    if (!next) return;
    this.arm(next.getTime(), async () => {
      const due = next.getTime();
      const previous = cron.previousRuns(1, new Date(due))[0]?.getTime() ?? due - 86_400_000;
      if (!(await this.deps.history.succeededBetween(job.name, previous, due))) {
        this.raise({
          kind: 'deadline',
          job: job.name,
          message:
            `job ${job.name} missed its deadline ${job.deadline!.text} (${job.timezone}): ` +
            `no successful run since ${new Date(previous).toISOString()}`,
        });
      }
      this.armDeadline(job, cron);
    });
  }

  private raise(alert: Alert): void {
    const at = this.deps.clock.now();
    void this.track(
      this.deps.history.insertAlert({
        at,
        kind: alert.kind,
        job: alert.job ?? null,
        source_id: alert.source ?? null,
        run_id: alert.runId ?? null,
        message: alert.message,
      }),
    );
    this.emit({ type: 'alert', alert, at });
    void Promise.resolve(this.deps.alert?.(alert)).catch(() => undefined);
  }

  /** A webhook call, an API request or a person: runs the job (subject to overlap). */
  trigger(jobName: string, kind: 'webhook' | 'manual', reason: string): Promise<RunRecord> {
    const job = this.jobs.get(jobName)!;
    return this.track(this.enqueue(job, kind, reason));
  }

  /** Records a run as queued (or skipped), then starts what the limits allow. */
  private async enqueue(
    job: Job,
    trigger: string,
    reason: string,
    opts: { attempt?: number; select?: string[] } = {},
  ): Promise<RunRecord> {
    const now = this.deps.clock.now();
    const base = {
      job: job.name,
      trigger,
      reason,
      attempt: opts.attempt ?? 1,
      queued_at: now,
      started_at: null,
      finished_at: null,
      duration: null,
      invocation_id: null,
      selection: opts.select ? JSON.stringify(opts.select) : null,
      pid: this.deps.pid ?? null,
    };
    const busy = this.running.has(job.name) || this.waiting.some((p) => p.job === job);
    const alreadyWaiting = this.waiting.find((p) => p.job === job);
    if (this.stopping || (busy && (job.overlap === 'skip' || alreadyWaiting) && opts.attempt === undefined)) {
      // A queued run already covers this trigger; with `skip` the running one does.
      const run: RunRecord = {
        ...base,
        run_id: randomUUID(),
        status: 'skipped',
        finished_at: now,
        duration: 0,
        message: this.stopping
          ? 'the orchestrator is stopping'
          : alreadyWaiting
            ? `a run of ${job.name} is already queued (${alreadyWaiting.run.run_id})`
            : `${job.name} is already running (overlap: skip)`,
      };
      if (alreadyWaiting && opts.select && alreadyWaiting.select)
        alreadyWaiting.select = [...new Set([...alreadyWaiting.select, ...opts.select])];
      else if (alreadyWaiting && !opts.select) alreadyWaiting.select = undefined;
      await this.deps.history.insertRun(run);
      this.emit({ type: 'run', run });
      return run;
    }
    const run: RunRecord = { ...base, run_id: randomUUID(), status: 'queued', message: null };
    await this.deps.history.insertRun(run);
    this.emit({ type: 'run', run });
    this.waiting.push({ run, job, select: opts.select });
    this.startWaiting();
    return run;
  }

  private startWaiting(): void {
    while (!this.stopping && this.running.size < this.deps.config.concurrency) {
      const index = this.waiting.findIndex((p) => !this.running.has(p.job.name));
      if (index < 0) return;
      const [next] = this.waiting.splice(index, 1);
      this.begin(next!);
    }
  }

  private begin(pending: Pending): void {
    const { job } = pending;
    const controller = new AbortController();
    const entry = { ...pending, controller } as Running;
    this.running.set(job.name, entry);
    entry.done = this.execute(entry).finally(() => {
      entry.cancelTimeout?.();
      this.running.delete(job.name);
      this.startWaiting();
    });
  }

  private async execute(entry: Running): Promise<void> {
    const { job, run, controller } = entry;
    const { clock, history } = this.deps;
    const started = clock.now();
    await history.updateRun(run.run_id, { status: 'running', started_at: started });
    this.emit({ type: 'run', run: { ...run, status: 'running', started_at: started } });
    if (job.timeoutSeconds)
      entry.cancelTimeout = clock.at(started + job.timeoutSeconds * 1000, () => controller.abort('timeout'));
    let result: ExecutionResult;
    try {
      result = await this.deps.execute(job, {
        runId: run.run_id,
        select: entry.select,
        signal: controller.signal,
        onNodeStarted: (node) => this.emit({ type: 'node', run_id: run.run_id, phase: 'started', node }),
        onNodeFinished: (node) => {
          const record = { ...node, run_id: run.run_id };
          void this.track(history.insertNode(record, job.name));
          this.emit({ type: 'node', run_id: run.run_id, phase: 'finished', node: record });
        },
        onFreshness: (readings) => {
          void this.track(Promise.all(readings.map((r) => history.insertFreshness(r))));
          this.emit({ type: 'freshness', readings });
          this.alertStale(readings);
        },
      });
    } catch (e) {
      result = { success: false, message: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
    }
    const finished = clock.now();
    const reason: unknown = controller.signal.reason;
    const status: RunStatus =
      result.success && !controller.signal.aborted
        ? 'success'
        : reason === 'timeout'
          ? 'timed_out'
          : controller.signal.aborted
            ? 'cancelled'
            : 'failed';
    const message =
      status === 'timed_out'
        ? `cancelled after its timeout of ${job.timeoutSeconds}s`
        : status === 'cancelled'
          ? 'cancelled: the orchestrator is stopping'
          : result.message;
    const change = {
      status,
      finished_at: finished,
      duration: (finished - started) / 1000,
      message,
      invocation_id: result.invocationId ?? null,
    };
    await history.updateRun(run.run_id, change);
    const done: RunRecord = { ...run, ...change, started_at: started };
    this.emit({ type: 'run', run: done });
    if (status === 'success') await this.afterSuccess(job);
    else if (status !== 'cancelled') await this.afterFailure(job, done, entry.select);
  }

  private async afterFailure(job: Job, run: RunRecord, select?: string[]): Promise<void> {
    const outcome = run.status === 'timed_out' ? 'timed out' : 'failed';
    if (run.attempt <= job.retries) {
      await this.enqueue(
        job,
        'retry',
        `attempt ${run.attempt + 1} of ${job.retries + 1}, after run ${run.run_id} ${outcome}`,
        { attempt: run.attempt + 1, select },
      );
      return;
    }
    const attempts = run.attempt > 1 ? ` after ${run.attempt} attempts` : '';
    this.raise({
      kind: 'failure',
      job: job.name,
      runId: run.run_id,
      message: `job ${job.name} ${outcome}${attempts}: ${run.message ?? ''}`,
    });
  }

  /** Jobs that run `after` this one start when every job they wait for has succeeded since their own last run. */
  private async afterSuccess(job: Job): Promise<void> {
    const followers = [...this.jobs.values()].filter((j) =>
      j.triggers.some((t) => t.kind === 'after' && t.jobs.includes(job.name)),
    );
    if (!followers.length) return;
    const last = await this.deps.history.lastRuns();
    for (const follower of followers) {
      for (const t of follower.triggers) {
        if (t.kind !== 'after' || !t.jobs.includes(job.name)) continue;
        const since = last.get(follower.name)?.last?.queued_at ?? -Infinity;
        if (t.jobs.every((name) => (last.get(name)?.lastSuccess?.finished_at ?? -Infinity) > since))
          await this.enqueue(follower, 'after', `after ${t.jobs.join(', ')} succeeded`);
      }
    }
  }

  /** Jobs with their state, last runs and next scheduled run. */
  async overview(): Promise<JobOverview[]> {
    const last = await this.deps.history.lastRuns();
    const now = new Date(this.deps.clock.now());
    return [...this.jobs.values()].map((job) => {
      const nextTimes = job.triggers.flatMap((t) =>
        t.kind === 'cron' ? [t.cron.nextRun(now)?.getTime() ?? Infinity] : [],
      );
      const running = this.running.get(job.name)?.run;
      return {
        name: job.name,
        description: job.description,
        command: job.commandText,
        triggers: job.triggers.map(describeTrigger),
        state: running ? 'running' : this.waiting.some((p) => p.job === job) ? 'queued' : 'idle',
        running: running ? { ...running, status: 'running' } : undefined,
        lastRun: last.get(job.name)?.last,
        lastSuccess: last.get(job.name)?.lastSuccess,
        nextRun: nextTimes.length && Math.min(...nextTimes) !== Infinity ? Math.min(...nextTimes) : null,
        deadline: job.deadline
          ? { text: job.deadline.text, next: job.deadline.cron.nextRun(now)?.getTime() ?? null }
          : undefined,
      };
    });
  }

  hasJob(name: string): boolean {
    return this.jobs.has(name);
  }

  job(name: string): Job | undefined {
    return this.jobs.get(name);
  }

  /** Starts nothing new, cancels what runs (as `kiln build` cancels) and waits for it to end. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const cancel of this.timers.splice(0)) cancel();
    for (const pending of this.waiting.splice(0)) {
      await this.deps.history.updateRun(pending.run.run_id, {
        status: 'cancelled',
        finished_at: this.deps.clock.now(),
        message: 'the orchestrator stopped before this run started',
      });
    }
    for (const r of this.running.values()) r.controller.abort('stop');
    await this.idle();
  }
}

export function describeTrigger(t: Trigger): string {
  switch (t.kind) {
    case 'cron':
      return `cron ${t.expression} (${t.timezone})`;
    case 'after':
      return `after ${t.jobs.join(', ')}`;
    case 'on_new_data':
      return `new data in ${t.sources.join(', ')} (polled every ${t.pollEverySeconds}s)`;
    case 'webhook':
      return 'webhook';
  }
}

/** The job's own selection, kept to what reads the given sources (intersections, one per pair). */
export function narrowSelection(select: string[] | undefined, sources: string[]): string[] {
  const readers = sources.map((s) => `source:${s}+`);
  if (!select?.length) return readers;
  return select.flatMap((s) => readers.map((r) => `${s},${r}`));
}

function parseSelection(text: string | null): string[] | undefined {
  return text ? (JSON.parse(text) as string[]) : undefined;
}
