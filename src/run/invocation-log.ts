/**
 * One log file per invocation under the project's log path: JSON lines with the invocation
 * id, node id, thread, status and timings — whatever the console shows, and like the console
 * with the values of DBT_ENV_SECRET_* variables written as `*****`.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeEvent } from './results.js';
import { secretValues, stringifyScrubbed } from '../secrets.js';

export class InvocationLog {
  readonly file: string;
  private fd: number | undefined;
  private readonly secrets = secretValues();

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
    if (this.fd === undefined) return;
    writeSync(
      this.fd,
      stringifyScrubbed({ ts: new Date().toISOString(), invocation_id: this.invocationId, ...record }, this.secrets) +
        '\n',
    );
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
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
