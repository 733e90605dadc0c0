/**
 * A new version of a file made from its last one with a few byte ranges replaced (a compile replay's manifest.json:
 * 24 MB at 10,000 models, of which a few entries and the metadata change), streamed from the old file to a temporary
 * one beside it through one buffer of a megabyte: the old file is never whole in memory. Reading it whole cost more
 * than the copy itself, the kernel's work of mapping 24 MB of fresh pages for the buffer. The copy replaces the file
 * only when committed (a rename, as `write.ts` does), so a reader never sees half a file.
 */
import { closeSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { temporaryName } from './write.js';

/** Bytes `[start, start + length)` of the old file replaced by `text` (as UTF-8). */
export interface Splice {
  start: number;
  length: number;
  text: string;
}

/** A copy written beside its file: `commit` renames it into place, `discard` removes it. */
export interface PendingCopy {
  commit(): void;
  discard(): void;
}

const bufferBytes = 1 << 20;

/** The byte at `position` of an open file, undefined past its end. */
export function byteAt(fd: number, position: number): number | undefined {
  const one = Buffer.alloc(1);
  return readSync(fd, one, 0, 1, position) === 1 ? one[0] : undefined;
}

/**
 * Writes beside `file` the bytes of `source` (an open file, `file` as it was opened) with each splice applied, in order
 * of their starts; undefined (nothing left behind) when two splices overlap or the source ends before a splice does.
 */
export function splicedCopy(file: string, source: number, splices: readonly Splice[]): PendingCopy | undefined {
  const tmp = temporaryName(file);
  const out = openSync(tmp, 'w');
  let copied = false;
  try {
    copied = copyWithSplices(source, out, splices);
  } finally {
    closeSync(out);
    if (!copied) rmSync(tmp, { force: true });
  }
  if (!copied) return undefined;
  return {
    commit: () => {
      try {
        renameSync(tmp, file);
      } catch (e) {
        rmSync(tmp, { force: true });
        throw e;
      }
    },
    discard: () => rmSync(tmp, { force: true }),
  };
}

function copyWithSplices(source: number, out: number, splices: readonly Splice[]): boolean {
  const buffer = Buffer.allocUnsafe(bufferBytes);
  /** Bytes in the buffer not written yet. */
  let used = 0;
  /** Where the next byte copied is read from in the source. */
  let at = 0;
  const flush = () => {
    for (let done = 0; done < used;) done += writeSync(out, buffer, done, used - done);
    used = 0;
  };
  /** Copies the source from `at` up to `end` (to its end when undefined); whether it reached `end`. */
  const copyTo = (end: number | undefined): boolean => {
    while (end === undefined || at < end) {
      if (used === buffer.length) flush();
      const room = buffer.length - used;
      const n = readSync(source, buffer, used, end === undefined ? room : Math.min(room, end - at), at);
      if (n === 0) return end === undefined;
      used += n;
      at += n;
    }
    return true;
  };
  for (const { start, length, text } of splices) {
    if (start < at || !copyTo(start)) return false;
    // A UTF-16 unit is at most three UTF-8 bytes.
    if (text.length * 3 > buffer.length - used) flush();
    if (text.length * 3 > buffer.length) {
      const bytes = Buffer.from(text);
      for (let done = 0; done < bytes.length;) done += writeSync(out, bytes, done, bytes.length - done);
    } else used += buffer.write(text, used);
    at = start + length;
  }
  // The last splice must end inside the source: a byte at its end or beyond proves it.
  if (at > 0 && splices.length && byteAt(source, at - 1) === undefined) return false;
  const whole = copyTo(undefined);
  flush();
  return whole;
}
