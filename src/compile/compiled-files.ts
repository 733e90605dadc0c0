/**
 * Writing target/compiled/: creating thousands of small files is slow in the kernel (a tenth
 * of a millisecond each on a virtual disk), so past a batch they are written by a worker
 * thread while the main thread goes on rendering; a handful are written in place, with no
 * thread to start. Knows nothing of nodes: a file name and its text.
 */
import type { Worker } from 'node:worker_threads';
import {
  writeFiles,
  type FileFailure,
  type FileToWrite,
  type FlushAnswer,
  type KnownFolders,
  type WriterMessage,
  type WrittenStat,
} from './write-files.js';

/** Files queued before a worker is worth starting; also the size of a message to it. */
const batchSize = 256;

export class CompiledFiles {
  private batch: FileToWrite[] = [];
  private worker?: Worker;
  /** Why the worker stopped, if it failed before it was asked to flush. */
  private crash?: Error;
  /** Folders made sure of by writes in this thread (the worker keeps its own). */
  private readonly folders: KnownFolders = new Map();
  /** Every file queued since the last flush, in order: the stats that come back follow it. */
  private queued: string[] = [];
  /** How many files the caller said it would write before the next flush. */
  private expected = 0;

  /**
   * Says that about `count` files will be queued: when that is past a batch, the worker starts with the first one, so
   * that it has started (~0.1 s of its own thread's time) by the time a batch is full.
   */
  expect(count: number): void {
    this.expected = count;
  }

  /**
   * Says that `files` (a batch or more) are about to be written into folders that are not there yet: the worker starts
   * now and creates them empty while the caller goes on (parsing, say), and the writes then only fill them. A file no
   * text comes for before the next flush is removed by it.
   */
  prepare(files: string[]): void {
    if (files.length < batchSize) return;
    this.post({ prepare: files });
  }

  /** Whether a worker thread is writing (for tests). */
  get threaded(): boolean {
    return this.worker !== undefined;
  }

  /** Queues `text` for `file` (its folder is created as needed). */
  write(file: string, text: string): void {
    this.batch.push([file, text]);
    this.queued.push(file);
    if (!this.worker && this.expected >= batchSize) this.start();
    if (this.batch.length >= batchSize) this.send();
  }

  /**
   * Waits until every queued file is written; rejects with the first failure, as fs would. Resolves with each file's
   * stat once written (or found holding its text).
   */
  async flush(): Promise<Map<string, WrittenStat>> {
    const batch = this.batch.splice(0);
    const queued = this.queued;
    this.queued = [];
    this.expected = 0;
    const worker = this.worker;
    if (!worker) {
      const stats: number[] = [];
      throwFailure(writeFiles(batch, this.folders, stats));
      return statsOf(queued, stats);
    }
    this.worker = undefined;
    if (batch.length) this.post(batch, worker);
    this.post('flush', worker);
    try {
      const answer = await new Promise<FlushAnswer>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('exit', () =>
          reject(this.crash ?? new Error('the compiled-files writer stopped before it was done')),
        );
      });
      throwFailure(answer.failure ?? undefined);
      return statsOf(queued, answer.stats);
    } finally {
      await worker.terminate();
    }
  }

  private start(): Worker {
    // worker_threads is loaded only for a batch or more: a small compile never starts a worker.
    const { Worker } = process.getBuiltinModule('node:worker_threads');
    const worker = new Worker(new URL('./compiled-files-worker.js', import.meta.url));
    worker.on('error', (e) => (this.crash = e));
    return (this.worker = worker);
  }

  private send(): void {
    this.post(this.batch.splice(0));
  }

  private post(message: WriterMessage, worker = this.worker ?? this.start()): void {
    worker.postMessage(message);
  }
}

function statsOf(files: string[], stats: ArrayLike<number>): Map<string, WrittenStat> {
  const out = new Map<string, WrittenStat>();
  for (let i = 0; i < files.length; i++) out.set(files[i]!, { size: stats[2 * i]!, mtimeMs: stats[2 * i + 1]! });
  return out;
}

function throwFailure(failure: FileFailure | undefined): void {
  if (failure)
    throw Object.assign(new Error(failure.message), {
      code: failure.code,
      path: failure.path,
      syscall: failure.syscall,
    });
}
