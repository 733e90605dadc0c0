/**
 * Writing artifacts so that a reader never sees half a file: each is written beside its place
 * under a temporary name and renamed over the old one, so a full disk or a kill mid-write
 * leaves the previous artifact intact.
 */
import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { KilnError } from '../errors.js';
import { join } from 'node:path';
import { secretValues, stringifyScrubbed } from '../secrets.js';

/** A name beside `file` for its next version, renamed into place once written. */
export const temporaryName = (file: string) =>
  `${file}.kiln_tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

/** Writes `text` to `file` atomically (same folder, then rename). */
export function writeFileAtomic(file: string, text: string | Uint8Array): void {
  const tmp = temporaryName(file);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeArtifact(targetPath: string, name: string, data: unknown): string {
  return writeArtifactText(targetPath, name, artifactText(data));
}

/** An artifact's text: a secret value that reached it (a DuckDB path, a driver's message) is written as *****. */
export const artifactText = (data: unknown): string => stringifyScrubbed(data);

/** Writes an artifact's text made beforehand by `artifactText`. */
export function writeArtifactText(targetPath: string, name: string, text: string): string {
  mkdirSync(targetPath, { recursive: true });
  const file = join(targetPath, name);
  writeFileAtomic(file, text);
  return file;
}

/**
 * An object of a streamed artifact whose entries are produced as they are written (a
 * manifest's thousands of nodes), so neither the object nor its JSON text is ever whole in memory.
 */
export class StreamedObject {
  constructor(readonly entries: () => Iterable<readonly [string, unknown]>) {}
}

/**
 * A value of a streamed artifact already written as JSON (scrubbed of secrets by whoever made it), in pieces (bytes
 * are UTF-8); `at` hears, once its pieces are written, the byte offsets in the artifact where it starts and ends.
 */
export class RawJson {
  constructor(
    readonly parts: ReadonlyArray<string | Uint8Array>,
    readonly at?: (start: number, end: number) => void,
  ) {}
}

/** Bytes are gathered into a buffer of this size and written when it is full. */
const bufferBytes = 1 << 20;

/** How far a write has come: the bytes of the chunks written so far. */
export interface WritePosition {
  bytes: number;
}

/**
 * Writes `chunks` (text as UTF-8, or bytes) to `file` atomically (same folder, then rename) as they come, a megabyte
 * at a time, so a large text never has to be whole in memory. `position` counts the bytes written: when the producer
 * of `chunks` resumes after a yield, it holds the offset where its next chunk goes.
 */
export function writeChunksAtomic(
  file: string,
  chunks: Iterable<string | Uint8Array>,
  position: WritePosition = { bytes: 0 },
): void {
  const tmp = temporaryName(file);
  try {
    writeChunksTo(tmp, 'w', chunks, position);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * `writeChunksAtomic`, unless `file` already holds exactly those bytes: then it is left alone (its stat as it was) and
 * false is returned. The chunks are compared as they come, and written from the first that differs, after the bytes
 * that matched.
 */
export function writeChunksAtomicIfChanged(file: string, chunks: Iterable<string | Uint8Array>): boolean {
  const old = bytesIfThere(file);
  if (!old) {
    writeChunksAtomic(file, chunks);
    return true;
  }
  const it = chunks[Symbol.iterator]();
  let at = 0;
  for (let r = it.next(); !r.done; r = it.next()) {
    const bytes = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    if (at + bytes.byteLength > old.length || !old.subarray(at, at + bytes.byteLength).equals(bytes)) {
      const matched = old.subarray(0, at);
      writeChunksAtomic(
        file,
        (function* () {
          yield matched;
          yield bytes;
          for (let n = it.next(); !n.done; n = it.next()) yield n.value;
        })(),
      );
      return true;
    }
    at += bytes.byteLength;
  }
  if (at === old.length) return false;
  writeChunksAtomic(file, [old.subarray(0, at)]);
  return true;
}

function bytesIfThere(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Appends `chunks` to `file` as they come, a megabyte at a time (not atomic: the caller's format must tell a cut
 * append). A chunk is copied or written before the next is asked for, so a producer may reuse its buffer.
 */
export function appendChunks(file: string, chunks: Iterable<string | Uint8Array>): void {
  writeChunksTo(file, 'a', chunks, { bytes: 0 });
}

/** Writes `chunks` to `file` (made or emptied first) as appendChunks does: not atomic, for a file not yet in place. */
export function writeChunks(file: string, chunks: Iterable<string | Uint8Array>): void {
  writeChunksTo(file, 'w', chunks, { bytes: 0 });
}

function writeChunksTo(
  file: string,
  flags: 'w' | 'a',
  chunks: Iterable<string | Uint8Array>,
  position: WritePosition,
): void {
  const fd = openSync(file, flags);
  try {
    const buffer = Buffer.allocUnsafe(bufferBytes);
    let used = 0;
    const flush = () => {
      if (used) writeSync(fd, buffer, 0, used);
      used = 0;
    };
    for (const chunk of chunks) {
      // A UTF-16 unit is at most three UTF-8 bytes.
      const most = typeof chunk === 'string' ? chunk.length * 3 : chunk.byteLength;
      if (most > bufferBytes - used) flush();
      if (most >= bufferBytes) {
        // A chunk the buffer's size or larger (one huge value, a copied file's blocks) goes straight to the file.
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        position.bytes += writeSync(fd, bytes);
        continue;
      }
      let bytes: number;
      if (typeof chunk === 'string') bytes = buffer.write(chunk, used);
      else {
        buffer.set(chunk, used);
        bytes = chunk.byteLength;
      }
      used += bytes;
      position.bytes += bytes;
    }
    flush();
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `data` as JSON to targetPath/name like writeArtifact, but entry by entry: each
 * StreamedObject inside it is written as its entries come. The text is the same as
 * JSON.stringify would give.
 */
export function writeStreamedArtifact(
  targetPath: string,
  name: string,
  data: StreamedObject,
  position: WritePosition = { bytes: 0 },
): string {
  mkdirSync(targetPath, { recursive: true });
  const file = join(targetPath, name);
  writeChunksAtomic(file, jsonChunks(data, secretValues(), position), position);
  return file;
}

/**
 * Entries of plain values are joined into chunks of about this many UTF-16 units: one chunk per entry (a parent_map
 * line, a macro) cost the writer a buffer write and the generator a turn for each of tens of thousands of entries.
 */
const blockChars = 1 << 14;

/** `object` as JSON text in chunks for writeChunksTo(), which keeps `position` (exported for its tests). */
export function* jsonChunks(
  object: StreamedObject,
  secrets: readonly string[],
  position: WritePosition,
): Generator<string | Uint8Array> {
  // Text not yet handed to the writer: written before anything whose place must be known (a RawJson's start).
  let text = '{';
  let first = true;
  for (const [key, value] of object.entries()) {
    if (value === undefined) continue;
    text += `${first ? '' : ','}${stringifyScrubbed(key, secrets)}:`;
    first = false;
    if (value instanceof StreamedObject) {
      yield text;
      text = '';
      yield* jsonChunks(value, secrets, position);
    } else if (value instanceof RawJson) {
      yield text;
      text = '';
      const start = position.bytes;
      // The writer counts each piece's bytes before it asks for the next.
      yield* value.parts;
      value.at?.(start, position.bytes);
    } else {
      text += stringifyScrubbed(value, secrets);
      if (text.length >= blockChars) {
        yield text;
        text = '';
      }
    }
  }
  yield `${text}}`;
}

/** The plain object a StreamedObject stands for (for a caller that wants the data, not the file). */
export function materialize(value: unknown): unknown {
  if (value instanceof RawJson)
    return JSON.parse(value.parts.map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString())).join(''));
  if (!(value instanceof StreamedObject)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, entry] of value.entries()) out[key] = materialize(entry);
  return out;
}

/**
 * Checks, before a run touches the warehouse, that the folders its results go to can be
 * written: a read-only target/ is bad input (exit 2), not a run that changed the warehouse and
 * then lost its results.
 */
export function ensureWritable(folders: string[]): void {
  for (const folder of folders) {
    try {
      mkdirSync(folder, { recursive: true });
      accessSync(folder, constants.W_OK);
      const probe = join(folder, `.kiln-write-check-${process.pid}`);
      writeFileSync(probe, '');
      rmSync(probe, { force: true });
    } catch (e) {
      throw new KilnError(
        'config',
        `cannot write to ${folder}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        {
          hint:
            'kiln writes compiled SQL, artifacts and logs there; make it ' +
            'writable, or point --target-path (and log-path) elsewhere',
        },
      );
    }
  }
}
