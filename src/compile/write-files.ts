/**
 * Writing a batch of files synchronously, creating folders once: for the main thread and for the compiled-files worker
 * alike. A file that already holds its text is left alone: `kiln run` compiles every node it
 * runs, and rewriting an unchanged file costs far more than reading it (on ext4, a file cut
 * short and written again has its data flushed as it closes: ~1.7 s of waiting for 1,000
 * files, against 20 ms to read them). Each file's size and modification time, as it is once
 * written, come back with the batch: the partial parse cache records them, and a stat here, in
 * the worker, spares the main thread a stat of each path after the flush.
 */
import {
  closeSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  rmSync,
  writeFileSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { dirname } from 'node:path';

export type FileToWrite = [file: string, text: string];

/** What the compiled-files worker is sent: files to create empty ahead of their text, a batch to write, or a flush. */
export type WriterMessage = { prepare: string[] } | FileToWrite[] | 'flush';

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
 * alone or written), in order: its size and modification time. A file in `prepared` (created empty by prepareFiles)
 * is written into and taken out of it.
 */
export function writeFiles(
  files: FileToWrite[],
  folders: KnownFolders,
  stats: number[],
  prepared?: Set<string>,
): FileFailure | undefined {
  for (const [file, text] of files) {
    try {
      const bytes = Buffer.from(text);
      let st: WrittenStat;
      if (prepared?.delete(file)) st = writeOver(file, bytes);
      else {
        const there = isFresh(dirname(file), folders) ? undefined : statSync(file, { throwIfNoEntry: false });
        st = there ? (holds(file, bytes, there) ?? writeOver(file, bytes)) : write(file, bytes);
      }
      stats.push(st.size, st.mtimeMs);
    } catch (e) {
      return failureOf(e, file);
    }
  }
  return undefined;
}

/**
 * Creates each file empty, ahead of its text, where this writer created the folder itself (so nothing there is
 * replaced), adding it to `prepared`; stops at the first failure. Creating a small file is most of what writing one
 * costs the kernel (1,000 files: ~75 ms to create, ~18 ms to write into afterwards), so a cold compile has it done
 * while the project is still being parsed.
 */
export function prepareFiles(files: string[], folders: KnownFolders, prepared: Set<string>): FileFailure | undefined {
  for (const file of files) {
    try {
      if (prepared.has(file) || !isFresh(dirname(file), folders)) continue;
      closeSync(openSync(file, 'wx'));
      prepared.add(file);
    } catch (e) {
      return failureOf(e, file);
    }
  }
  return undefined;
}

/**
 * Removes the prepared files no text came for (a disabled model's, or every one left when a compile failed); stops at
 * the first failure, which it returns.
 */
export function removeUnwritten(prepared: Set<string>): FileFailure | undefined {
  for (const file of prepared) {
    try {
      rmSync(file, { force: true });
    } catch (e) {
      return failureOf(e, file);
    }
    prepared.delete(file);
  }
  return undefined;
}

/** Whether `folder` was created by this writer; made sure of (created if missing) on first ask. */
function isFresh(folder: string, folders: KnownFolders): boolean {
  let fresh = folders.get(folder);
  if (fresh === undefined) {
    // mkdirSync names the first folder it created, so a defined answer means `folder` itself is new.
    fresh = mkdirSync(folder, { recursive: true }) !== undefined;
    folders.set(folder, fresh);
  }
  return fresh;
}

function failureOf(e: unknown, file: string): FileFailure {
  const err = e as NodeJS.ErrnoException;
  return { message: err.message, code: err.code, path: err.path ?? file, syscall: err.syscall };
}

/**
 * Writes `bytes` to `file`, not there yet, and returns its stat once written and closed (a file system that
 * sets the modification time as it closes, such as a network one, would give another after).
 */
function write(file: string, bytes: Buffer): WrittenStat {
  writeFileSync(file, bytes);
  return statSync(file);
}

/**
 * Writes `bytes` over the file there, in place: cut short only past the new end, never to nothing first. ext4 (the
 * default on Linux) treats a file cut to nothing and written again as a replacement whose data it must flush as it
 * closes: 1,000 such files took 58-124 ms against 12 ms written in place. Like a write that cuts the file first, a
 * reader meanwhile may see a mix: a compiled file is a record of the last compile, not read by kiln.
 */
function writeOver(file: string, bytes: Buffer): WrittenStat {
  const fd = openSync(file, 'r+');
  try {
    for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at, at);
    if (fstatSync(fd).size > bytes.length) ftruncateSync(fd, bytes.length);
  } finally {
    closeSync(fd);
  }
  return statSync(file);
}

/** `there` (the file's stat) when the file holds exactly `bytes`; undefined when it does not, or cannot be read. */
function holds(file: string, bytes: Buffer, there: Stats): WrittenStat | undefined {
  try {
    return there.size === bytes.length && readFileSync(file).equals(bytes) ? there : undefined;
  } catch {
    return undefined;
  }
}
