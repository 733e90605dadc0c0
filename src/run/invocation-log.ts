/**
 * One log file per invocation under the project's log path: JSON lines with the invocation
 * id, node id, thread, status and timings — whatever the console shows, and like the console
 * with the values of DBT_ENV_SECRET_* variables written as `*****`.
 *
 * Records are written once the current turn of the event loop is done (in one write), not
 * as they happen: a node's events then cost its critical path an array push, and their JSON
 * and the write happen while the warehouse runs the next statement. close(), and the
 * process's exit, write what is left; a process killed outright loses at most that turn's records.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeEvent } from './results.js';
import { secretValues, stringifyScrubbed } from '../secrets.js';
import { AfterTurn } from './after-turn.js';

export class InvocationLog {
  readonly file: string;
  private fd: number | undefined;
  private readonly secrets = secretValues();
  /** Records with the time they happened, written at the end of this turn (after-turn.ts). */
  private readonly pending = new AfterTurn<[time: number, record: Record<string, unknown>]>(
    (records) => this.writeRecords(records),
    // A write that failed between turns: close() throws it, as the write itself would have.
    (error) => (this.failure ??= { error }),
  );
  private failure?: { error: unknown };

  constructor(
    logDir: string,
    readonly invocationId: string,
    command: string,
  ) {
    mkdirSync(logDir, { recursive: true });
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    this.file = join(logDir, `kiln-${stamp}-${command}-${invocationId.slice(0, 8)}.log`);
    this.fd = openSync(this.file, 'a');
  }

  private write(record: Record<string, unknown>): void {
    if (this.fd !== undefined) this.pending.push([Date.now(), record]);
  }

  /** Writes the pending records, in order, in one write. */
  flush(): void {
    this.pending.flush();
  }

  private writeRecords(records: Array<[time: number, record: Record<string, unknown>]>): void {
    if (this.fd === undefined) return;
    let text = '';
    for (const [time, record] of records)
      text +=
        stringifyScrubbed(
          { ts: new Date(time).toISOString(), invocation_id: this.invocationId, ...record },
          this.secrets,
        ) + '\n';
    writeSync(this.fd, text);
  }

  message(level: string, msg: string): void {
    this.write({ level, msg });
  }

  event(e: NodeEvent): void {
    if (e.type === 'started')
      this.write({
        level: 'info',
        event: 'node_started',
        node_id: e.uniqueId,
        thread: e.threadId,
        index: e.index,
        total: e.total,
      });
    else
      this.write({
        level: e.result.status === 'error' || e.result.status === 'fail' ? 'error' : 'info',
        event: 'node_finished',
        node_id: e.uniqueId,
        thread: e.result.threadId,
        status: e.result.status,
        execution_time: e.result.executionTime,
        timing: e.result.timing,
        failures: e.result.failures,
        attempts: e.result.attempts ?? 1,
        message: e.result.message,
      });
  }

  close(summary: Record<string, unknown>): void {
    this.write({ level: 'info', event: 'invocation_finished', ...summary });
    try {
      this.flush();
    } finally {
      if (this.fd !== undefined) closeSync(this.fd);
      this.fd = undefined;
    }
    if (this.failure) throw this.failure.error;
  }
}
