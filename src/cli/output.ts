/** Everything the CLI prints: plain lines for people, JSON lines for machines. */
import type { NodeEvent, NodeResult } from '../run/results.js';
import type { GraphNode } from '../parse/nodes.js';
import { scrubSecrets, secretValues, stringifyScrubbed } from '../secrets.js';

export type LogFormat = 'text' | 'json';

export class Output {
  readonly color: boolean;
  /** Values of DBT_ENV_SECRET_* variables: never printed (see emit). */
  private readonly secrets = secretValues();

  constructor(
    readonly format: LogFormat,
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {
    this.color = format === 'text' && Boolean((out as { isTTY?: boolean }).isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  }

  /** Where text leaves for the terminal (JSON lines: json()): secret values are written as `*****`. */
  private emit(stream: NodeJS.WritableStream, text: string): void {
    stream.write(scrubSecrets(text, this.secrets));
  }

  paint(code: number, text: string): string {
    return this.color ? `\u001b[${code}m${text}\u001b[0m` : text;
  }

  /** A line for a person (stderr for notices keeps stdout clean for `ls`). */
  info(message: string, toStderr = false): void {
    if (this.format === 'json') this.json({ level: 'info', msg: message });
    else this.emit(toStderr ? this.err : this.out, message + '\n');
  }

  warn(message: string): void {
    if (this.format === 'json') this.json({ level: 'warn', msg: message });
    else this.emit(this.err, this.paint(33, `warning: ${message}`) + '\n');
  }

  error(message: string): void {
    if (this.format === 'json') this.json({ level: 'error', msg: message });
    else this.emit(this.err, this.paint(31, `error: ${message}`) + '\n');
  }

  /** Data for scripts (`kiln ls`): always plain stdout. */
  data(line: string): void {
    this.emit(this.out, line + '\n');
  }

  json(record: Record<string, unknown>): void {
    // Scrubbed value by value, so an escaped secret is caught and the line stays valid JSON.
    this.out.write(stringifyScrubbed({ ts: new Date().toISOString(), ...record }, this.secrets) + '\n');
  }

  // Live progress (TTY only): a status line kept under the node lines.
  private readonly live = new Map<string, string>();
  private done = 0;
  private total = 0;
  private startedAt = 0;
  private ticker?: NodeJS.Timeout;
  private statusShown = false;

  private get isLive(): boolean {
    return this.format === 'text' && Boolean((this.out as { isTTY?: boolean }).isTTY) && process.env.TERM !== 'dumb';
  }

  private clearStatus(): void {
    if (this.statusShown) this.emit(this.out, '\r\u001b[2K');
    this.statusShown = false;
  }

  private drawStatus(): void {
    if (!this.live.size && this.done >= this.total) return;
    const names = [...this.live.values()];
    const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? ` (+${names.length - 3})` : '');
    const line = `  [${this.done}/${this.total}] ${((Date.now() - this.startedAt) / 1000).toFixed(1)}s${shown ? ` · running: ${shown}` : ''}`;
    const width = (this.out as { columns?: number }).columns || 100;
    this.emit(this.out, this.paint(2, line.slice(0, Math.max(20, width - 1))));
    this.statusShown = true;
  }

  /** Ends the live status line before the summary. */
  endProgress(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    this.clearStatus();
  }

  private progress(event: NodeEvent): void {
    if (!this.startedAt) {
      this.startedAt = Date.now();
      this.ticker = setInterval(() => (this.clearStatus(), this.drawStatus()), 500);
      this.ticker.unref();
    }
    this.total = event.total;
    if (event.type === 'started') this.live.set(event.uniqueId, event.node.name);
    else {
      this.live.delete(event.uniqueId);
      this.done++;
    }
  }

  nodeEvent(event: NodeEvent, invocationId: string): void {
    const node = event.node;
    if (this.isLive) {
      this.clearStatus();
      this.progress(event);
      if (event.type === 'finished') this.emit(this.out, this.nodeLine(event.result, node, event.index, event.total) + '\n');
      this.drawStatus();
      return;
    }
    if (this.format === 'json') {
      const base = { level: 'info', event: event.type === 'started' ? 'node_started' : 'node_finished', invocation_id: invocationId, node_id: event.uniqueId, index: event.index, total: event.total };
      if (event.type === 'started') this.json({ ...base, thread: event.threadId });
      else this.json({ ...base, thread: event.result.threadId, status: event.result.status, execution_time: event.result.executionTime, failures: event.result.failures, message: event.result.message });
      return;
    }
    if (event.type !== 'finished') return;
    this.emit(this.out, this.nodeLine(event.result, node, event.index, event.total) + '\n');
  }

  private nodeLine(r: NodeResult, node: GraphNode | undefined, index: number, total: number): string {
    const labels: Record<string, [string, number]> = {
      success: ['OK', 32],
      pass: ['PASS', 32],
      warn: ['WARN', 33],
      fail: ['FAIL', 31],
      error: ['ERROR', 31],
      skipped: ['SKIP', 33],
      cancelled: ['CANCEL', 33],
    };
    const [label, code] = labels[r.status] ?? [r.status.toUpperCase(), 0];
    const kind = node ? (node.resourceType === 'model' ? `${String(node.config.materialized)} model` : node.resourceType) : 'node';
    const name = node ? (node.resourceType === 'test' ? node.name : node.resourceType === 'unit_test' ? `${node.fqn[node.fqn.length - 2]}::${node.name}` : `${node.schema}.${node.alias}`) : r.uniqueId;
    const what = `${kind} ${name}`;
    const width = String(total).length;
    const head = `${String(index).padStart(width)} of ${total} ${this.paint(code, label.padEnd(5))} ${what} `;
    const detail = r.status === 'skipped' ? '[SKIP]' : `[${r.status === 'error' ? 'ERROR' : shortMessage(r)} in ${r.executionTime.toFixed(2)}s]`;
    const dots = '.'.repeat(Math.max(3, 78 - head.length - detail.length));
    return `${head}${dots} ${detail}`;
  }
}

function shortMessage(r: NodeResult): string {
  if (r.status === 'pass') return 'PASS';
  if (r.status === 'fail' || r.status === 'warn') return `${r.status.toUpperCase()} ${r.failures ?? 0}`;
  return r.message.split('\n')[0]!;
}
