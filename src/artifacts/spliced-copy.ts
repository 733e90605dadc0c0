/**
 * A new version of a file made from its last one with a few byte ranges replaced (a compile replay's manifest.json:
 * 24 MB at 10,000 models, of which a few entries and the metadata change), streamed from the old file to a temporary
 * one beside it through one buffer of a megabyte: the old file is never whole in memory. Reading it whole cost more
 * than the copy itself, the kernel's work of mapping 24 MB of fresh pages for the buffer. The copy replaces the file
 * only when committed (a rename, as `write.ts` does), so a reader never sees half a file.
 */
import { fstatSync, readSync, renameSync, rmSync } from 'node:fs';
import { temporaryName, writeChunks } from './write.js';

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

/** The source ended before a splice it was read up to (it shrank while copied). */
class SourceEnded extends Error {}

/**
 * Writes beside `file` the bytes of `source` (an open file, `file` as it was opened) with each splice applied, in order
 * of their starts; undefined (nothing left behind) when two splices overlap or the source ends before a splice does.
 */
export function splicedCopy(file: string, source: number, splices: readonly Splice[]): PendingCopy | undefined {
  if (!fits(source, splices)) return undefined;
  const tmp = temporaryName(file);
  try {
    writeChunks(tmp, splicedChunks(source, splices));
  } catch (e) {
    rmSync(tmp, { force: true });
    if (e instanceof SourceEnded) return undefined;
    throw e;
  }
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

/** Whether each splice starts at or after the end of the one before and the last ends inside the source. */
function fits(source: number, splices: readonly Splice[]): boolean {
  let end = 0;
  for (const { start, length } of splices) {
    if (start < end) return false;
    end = start + length;
  }
  return end <= fstatSync(source).size;
}

/** The source's bytes, a buffer at a time (one buffer, reused: the writer copies or writes each before the next), and the splices' texts in their places. */
function* splicedChunks(source: number, splices: readonly Splice[]): Generator<string | Uint8Array> {
  const buffer = Buffer.allocUnsafe(bufferBytes);
  let at = 0;
  /** The source from `at` up to `end`, or to its end when undefined. */
  function* upTo(end: number | undefined): Generator<Uint8Array> {
    while (end === undefined || at < end) {
      const n = readSync(source, buffer, 0, end === undefined ? buffer.length : Math.min(buffer.length, end - at), at);
      if (n === 0) {
        if (end === undefined) return;
        throw new SourceEnded();
      }
      at += n;
      yield buffer.subarray(0, n);
    }
  }
  for (const { start, length, text } of splices) {
    yield* upTo(start);
    yield text;
    at = start + length;
  }
  yield* upTo(undefined);
}
