/**
 * Writing target/compiled/: creating thousands of small files is slow in the kernel (a tenth
 * of a millisecond each on a virtual disk), so past a batch they are written by a worker
 * thread while the main thread goes on rendering; a handful are written in place, with no
 * thread to start. Knows nothing of nodes: a file name and its text.
 */
import type { Worker } from 'node:worker_threads';
import { writeFiles, type FileFailure, type FileToWrite } from './write-files.js';

/** Files queued before a worker is worth starting; also the size of a message to it. */
const batchSize = 256;

export class CompiledFiles {
  private batch: FileToWrite[] = [];
  private worker?: Worker;
  /** Why the worker stopped, if it failed before it was asked to flush. */
  private crash?: Error;
  private readonly createdFolders = new Set<string>();

  /** Queues `text` for `file` (its folder is created as needed). */
  write(file: string, text: string): void {
    this.batch.push([file, text]);
    if (this.batch.length >= batchSize) this.send();
  }

  /** Waits until every queued file is written; rejects with the first failure, as fs would. */
  async flush(): Promise<void> {
    const batch = this.batch.splice(0);
    const worker = this.worker;
    if (!worker) return throwFailure(writeFiles(batch, this.createdFolders));
    this.worker = undefined;
    if (batch.length) worker.postMessage(batch);
    worker.postMessage('flush');
    try {
      const failure = await new Promise<FileFailure | null>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('exit', () =>
          reject(this.crash ?? new Error('the compiled-files writer stopped before it was done')),
        );
      });
      throwFailure(failure ?? undefined);
    } finally {
      await worker.terminate();
    }
  }

  private send(): void {
    if (!this.worker) {
      // worker_threads is loaded only past the first batch: a small compile never starts a worker.
      const { Worker } = process.getBuiltinModule('node:worker_threads');
      this.worker = new Worker(new URL('./compiled-files-worker.js', import.meta.url));
      this.worker.on('error', (e) => (this.crash = e));
    }
    this.worker.postMessage(this.batch.splice(0));
  }
}

function throwFailure(failure: FileFailure | undefined): void {
  if (failure)
    throw Object.assign(new Error(failure.message), {
      code: failure.code,
      path: failure.path,
      syscall: failure.syscall,
    });
}
