/** Everything the CLI prints: plain lines for people, JSON lines for machines. */
import type { NodeEvent, NodeResult } from '../run/results.js';
import { describeNode, progressLine, type ProgressLine } from './progress-line.js';
import { scrubSecrets, secretValues, stringifyScrubbed } from '../secrets.js';
import { AfterTurn } from '../run/after-turn.js';

export type LogFormat = 'text' | 'json';

/** dbt's `--log-level`: the least severe message the terminal shows (`none`: not even errors). */
export const logLevels = ['debug', 'info', 'warn', 'error', 'none'] as const;
export type LogLevel = (typeof logLevels)[number];

/** What the terminal shows, set by dbt's global flags (`terminal-settings.ts`). */
export interface TerminalSettings {
  level: LogLevel;
  /** The width of a node's line when not on a terminal (dbt's `--printer-width`): dbt's 80 by default. */
  printerWidth: number;
  /** Whether a template's `print()` is shown (dbt's `--no-print` hides it). */
  print: boolean;
}

export class Output {
  readonly color: boolean;
  /** Values of DBT_ENV_SECRET_* variables: never printed (see emit). */
  private readonly secrets = secretValues();

  constructor(
    readonly format: LogFormat,
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
    private readonly settings: TerminalSettings = { level: 'info', printerWidth: 80, print: true },
  ) {
    this.isLive = format === 'text' && Boolean((out as { isTTY?: boolean }).isTTY) && process.env.TERM !== 'dumb';
    this.color = this.isLive && !process.env.NO_COLOR;
  }

  /**
   * Node events whose lines are made and written at the end of this turn, with the time they
   * happened: the turn that finishes a node's statement sends the next node's before them
   * (after-turn.ts). Anything else written first writes them, so lines keep their order.
   */
  private readonly nodeLines = new AfterTurn<[event: NodeEvent, invocationId: string, time: number]>((events) => {
    if (this.isLive) {
      for (const [event] of events) this.writeLiveNodeEvent(event);
      return;
    }
    // The turn's lines in one write: a write a line was a system call each, and a wake-up of whatever reads a pipe.
    let text = '';
    for (const [event, invocationId, time] of events) text += this.nodeEventText(event, invocationId, time);
    this.out.write(text);
  });

  /** Where text leaves for the terminal (JSON lines: json()): secret values are written as `*****`. */
  private emit(stream: NodeJS.WritableStream, text: string): void {
    this.nodeLines.flush();
    stream.write(scrubSecrets(text, this.secrets));
  }

  /** Whether messages of this level reach the terminal. */
  shows(level: Exclude<LogLevel, 'none'>): boolean {
    return logLevels.indexOf(level) >= logLevels.indexOf(this.settings.level);
  }

  paint(code: number, text: string): string {
    return this.color ? `\u001b[${code}m${text}\u001b[0m` : text;
  }

  /** A line for a person (stderr for notices keeps stdout clean for `ls`). */
  info(message: string, toStderr = false): void {
    this.message('info', message, toStderr ? this.err : this.out);
  }

  /** A line of a run's summary on stdout, shown as a message of `level` (its errors stay under `--quiet`). */
  summaryLine(message: string, level: 'info' | 'warn' | 'error' = 'info'): void {
    this.message(level, message, this.out);
  }

  warn(message: string): void {
    this.message('warn', message, this.err, this.paint(33, `warning: ${message}`));
  }

  error(message: string): void {
    this.message('error', message, this.err, this.paint(31, `error: ${message}`));
  }

  /** What a task's `onLog` hears: a notice (on stderr with `toStderr`), a warning, or a template's `print()`. */
  log(level: 'info' | 'warn' | 'print', message: string, toStderr = false): void {
    if (level === 'warn') this.warn(message);
    else if (level === 'print') this.print(message);
    else this.info(message, toStderr);
  }

  /** A message of `level`, unless the settings hide it: a JSON line, or `text` (the message itself) on `stream`. */
  private message(level: 'info' | 'warn' | 'error', msg: string, stream: NodeJS.WritableStream, text = msg): void {
    if (!this.shows(level)) return;
    if (this.format === 'json') this.writeJson({ level, msg }, Date.now());
    else this.emit(stream, text + '\n');
  }

  /**
   * A template's `print()`: shown whatever the level, as dbt shows it under `--quiet` (on stderr, where kiln's other
   * notices go, so that stdout stays the command's own output), unless `--no-print`.
   */
  print(message: string): void {
    if (!this.settings.print) return;
    if (this.format === 'json') this.writeJson({ level: 'info', msg: message }, Date.now());
    else this.emit(this.err, message + '\n');
  }

  /** Data for scripts (`kiln ls`): always plain stdout, whatever the level. */
  data(line: string): void {
    this.emit(this.out, line + '\n');
  }

  /** A JSON line, unless its `level` is one the settings hide. */
  json(record: Record<string, unknown>, time = Date.now()): void {
    const level = logLevels.find((l) => l === record.level);
    if (level && level !== 'none' && !this.shows(level)) return;
    this.writeJson(record, time);
  }

  private writeJson(record: Record<string, unknown>, time: number): void {
    this.nodeLines.flush();
    this.out.write(this.jsonLine(record, time));
  }

  private jsonLine(record: Record<string, unknown>, time: number): string {
    // Scrubbed value by value, so an escaped secret is caught and the line stays valid JSON.
    return stringifyScrubbed({ ts: new Date(time).toISOString(), ...record }, this.secrets) + '\n';
  }

  // Live progress (TTY only): a status line kept under the node lines.
  private readonly live = new Map<string, string>();
  private done = 0;
  private total = 0;
  private startedAt = 0;
  private ticker?: NodeJS.Timeout;
  private statusShown = false;
  /** Without a terminal: seconds between "still running" lines for a long node (0: none). */
  heartbeatSeconds = 30;
  /** Running nodes (without a terminal), each with when it next says it is still running. */
  private readonly running = new Map<string, { event: NodeEvent; started: number; every: number; next: number }>();
  /**
   * One timer for all of them, armed for the earliest line: a timer made and cleared per node
   * cost every short node its share (a thousand views, a thousand timers).
   */
  private beatTimer?: NodeJS.Timeout;

  /** A terminal that shows a live status line; fixed for the process (asked on every node line, it was not free). */
  private readonly isLive: boolean;

  /** dbt's 80 columns in logs (or its `--printer-width`); the terminal's width (up to 120) on one. */
  private get lineWidth(): number {
    const columns = (this.out as { columns?: number }).columns;
    return this.isLive && columns ? Math.min(Math.max(columns - 1, 40), 120) : this.settings.printerWidth;
  }

  private clearStatus(): void {
    if (this.statusShown) this.emit(this.out, '\r\u001b[2K');
    this.statusShown = false;
  }

  private drawStatus(): void {
    if (!this.live.size && this.done >= this.total) return;
    const names = [...this.live.values()];
    const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? ` (+${names.length - 3})` : '');
    const seconds = ((Date.now() - this.startedAt) / 1000).toFixed(1);
    const line = `  [${this.done}/${this.total}] ${seconds}s${shown ? ` · running: ${shown}` : ''}`;
    this.emit(this.out, this.paint(2, line.slice(0, this.lineWidth)));
    this.statusShown = true;
  }

  /** Ends the live status line and the heartbeats before the summary. */
  endProgress(): void {
    this.nodeLines.flush();
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    clearTimeout(this.beatTimer);
    this.beatTimer = undefined;
    this.running.clear();
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

  /** In a CI log a long node would look like a hang: say every so often that it is still running. */
  private heartbeat(event: NodeEvent, started: number): void {
    // A finished node just leaves: the timer, when it fires, re-arms for the others or stops.
    if (event.type === 'finished') this.running.delete(event.uniqueId);
    else if (this.heartbeatSeconds > 0) {
      const every = this.heartbeatSeconds * 1000;
      this.running.set(event.uniqueId, { event, started, every, next: started + every });
      this.beatTimer ??= this.armBeat(every);
    }
  }

  private armBeat(delay: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.beat(), delay);
    timer.unref();
    return timer;
  }

  /** Says so for each running node whose time has come, and arms the timer for the next. */
  private beat(): void {
    this.beatTimer = undefined;
    const now = Date.now();
    let next = Infinity;
    for (const node of this.running.values()) {
      if (node.next <= now) {
        const { event } = node;
        const detail = `still running after ${Math.round((now - node.started) / 1000)}s`;
        const line = {
          index: event.index,
          total: event.total,
          label: 'RUNNING',
          what: describeNode(event.node, event.uniqueId),
          detail,
        };
        this.emit(this.out, this.line(line, 0) + '\n');
        node.next = now + node.every;
      }
      next = Math.min(next, node.next);
    }
    if (next < Infinity) this.beatTimer = this.armBeat(Math.max(1, next - now));
  }

  /** A node started or finished: its line is written at the end of this turn (see nodeLines). */
  nodeEvent(event: NodeEvent, invocationId: string): void {
    if (!this.shows('info')) return;
    const time = Date.now();
    // A heartbeat counts from the node's start, whenever its line is written.
    if (this.format === 'text' && !this.isLive) this.heartbeat(event, time);
    this.nodeLines.push([event, invocationId, time]);
  }

  /** A node event's line (JSON or text, secrets scrubbed), newline included. */
  private nodeEventText(event: NodeEvent, invocationId: string, time: number): string {
    if (this.format === 'json') {
      const base = {
        level: 'info',
        event: event.type === 'started' ? 'node_started' : 'node_finished',
        invocation_id: invocationId,
        node_id: event.uniqueId,
        index: event.index,
        total: event.total,
      };
      if (event.type === 'started') return this.jsonLine({ ...base, thread: event.threadId }, time);
      return this.jsonLine(
        {
          ...base,
          thread: event.result.threadId,
          status: event.result.status,
          execution_time: event.result.executionTime,
          failures: event.result.failures,
          message: event.result.message,
        },
        time,
      );
    }
    return scrubSecrets(this.nodeTextLine(event) + '\n', this.secrets);
  }

  /** On a terminal: the node's line above the live status line, which is drawn again under it. */
  private writeLiveNodeEvent(event: NodeEvent): void {
    this.clearStatus();
    this.progress(event);
    this.emit(this.out, this.nodeTextLine(event) + '\n');
    this.drawStatus();
  }

  private nodeTextLine(event: NodeEvent): string {
    const what = describeNode(event.node, event.uniqueId);
    if (event.type === 'started')
      return this.line({ index: event.index, total: event.total, label: 'START', what, detail: 'RUN' }, 0);
    return this.resultLine(event.result, what, event.index, event.total);
  }

  private line(parts: ProgressLine, colour: number): string {
    return progressLine(parts, this.lineWidth, (label) => this.paint(colour, label), this.isLive);
  }

  private resultLine(r: NodeResult, what: string, index: number, total: number): string {
    const labels: Record<string, [string, number]> = {
      success: ['OK', 32],
      pass: ['PASS', 32],
      warn: ['WARN', 33],
      fail: ['FAIL', 31],
      error: ['ERROR', 31],
      skipped: ['SKIP', 33],
      cancelled: ['CANCEL', 33],
    };
    const [label, colour] = labels[r.status] ?? [r.status.toUpperCase(), 0];
    const detail = r.status === 'skipped' ? 'SKIP' : `${shortMessage(r)} in ${r.executionTime.toFixed(2)}s`;
    return this.line({ index, total, label, what, detail }, colour);
  }
}

function shortMessage(r: NodeResult): string {
  if (r.status === 'pass') return 'PASS';
  if (r.status === 'error') return 'ERROR';
  if (r.status === 'cancelled') return 'CANCEL';
  if (r.status === 'fail' || r.status === 'warn') return `${r.status.toUpperCase()} ${r.failures ?? 0}`;
  return r.message.split('\n')[0]!;
}
