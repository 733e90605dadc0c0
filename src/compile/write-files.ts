/**
 * Writing a batch of files synchronously, creating folders once: for the main thread and for the compiled-files worker
 * alike. A file that already holds its text is left alone: `kiln run` compiles every node it
 * runs, and rewriting an unchanged file costs far more than reading it (on ext4, a file cut
 * short and written again has its data flushed as it closes: ~1.7 s of waiting for 1,000
 * files, against 20 ms to read them). Each file's size and modification time, as it is once
 * written, come back with the batch: the partial parse cache records them, and a stat here, in
 * the worker, spares the main thread a stat of each path after the flush.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type FileToWrite = [file: string, text: string];

/** A file system error as plain data, so it crosses from a worker thread with its code and path. */
export interface FileFailure {
  message: string;
  code?: string;
  path?: string;
  syscall?: string;
}

/** A written file's stat as the partial parse cache records it. */
export interface WrittenStat {
  size: number;
  mtimeMs: number;
}

/** The worker's answer to a flush: its first failure, and two numbers per file handled (see writeFiles). */
export interface FlushAnswer {
  failure: FileFailure | null;
  stats: Float64Array;
}

/**
 * The folders a writer has made sure of: true for one it created itself (empty then, so a file in it needs no look
 * before it is written), false for one that was there.
 */
export type KnownFolders = Map<string, boolean>;

/**
 * Writes each file, stopping at the first failure, which it returns. `stats` gets two numbers per file handled (left
 * alone or written), in order: its size and modification time.
 */
export function writeFiles(files: FileToWrite[], folders: KnownFolders, stats: number[]): FileFailure | undefined {
  for (const [file, text] of files) {
    try {
      const folder = dirname(file);
      let fresh = folders.get(folder);
      if (fresh === undefined) {
        // mkdirSync names the first folder it created, so a defined answer means `folder` itself is new.
        fresh = mkdirSync(folder, { recursive: true }) !== undefined;
        folders.set(folder, fresh);
      }
      const bytes = Buffer.from(text);
      const held = fresh ? undefined : holds(file, bytes);
      const st = held ?? write(file, bytes);
      stats.push(st.size, st.mtimeMs);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      return { message: err.message, code: err.code, path: err.path ?? file, syscall: err.syscall };
    }
  }
  return undefined;
}

/**
 * Writes `bytes` to `file` (created or cut short) and returns its stat once written and closed (a file system that
 * sets the modification time as it closes, such as a network one, would give another after).
 */
function write(file: string, bytes: Buffer): WrittenStat {
  writeFileSync(file, bytes);
  return statSync(file);
}

/**
 * `file`'s stat when it holds exactly `bytes` (undefined when it does not, or cannot be read). Its size is looked at
 * first, without an exception for a file not there yet.
 */
function holds(file: string, bytes: Buffer): WrittenStat | undefined {
  try {
    const st = statSync(file, { throwIfNoEntry: false });
    return st !== undefined && st.size === bytes.length && readFileSync(file).equals(bytes) ? st : undefined;
  } catch {
    return undefined;
  }
}
