/**
 * Node entries of manifest.json copied from the file the last `kiln compile` wrote, instead of
 * being built and serialized again: at 10,000 models that is most of the cost of writing it.
 * An entry is copied only when its key (given by the caller: the compiled SQL cache's key of
 * the node before rendering, and what compiling added) is the one recorded with it, and the
 * bytes at the recorded place still hash to what was written there, so an edited, replaced or
 * truncated manifest.json is never copied from, whatever its timestamps say. `created_at`, the
 * one field that differs per invocation, is left out of the hash and written afresh. Nothing is
 * copied or recorded while a secret value is set: the copied text would have been scrubbed for
 * another invocation's secrets.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { PartialParse } from '../parse/partial-cache.js';
import type { CompiledInfo } from '../parse/node-dict.js';
import { RawJson } from './write.js';

/** Where a node's entry is in manifest.json, and what it holds. */
interface EntryPlace {
  key: string;
  /** Byte offset of the entry in the file, and its length. */
  start: number;
  length: number;
  /** Byte offset of the `created_at` value within the entry, and its length. */
  at: number;
  len: number;
  /** Hash of the entry's bytes but the `created_at` value. */
  hash: string;
}

const createdAtKey = '"created_at":';

const entryHash = (head: string | Uint8Array, tail: string | Uint8Array) =>
  createHash('sha1').update(head).update(tail).digest('base64');

export class ManifestEntries {
  /** The last manifest.json's bytes; null when there is none or no entry of it was recorded. */
  private previousBytes?: Buffer | null;
  private readonly places = new Map<string, EntryPlace>();
  /** Counts for --debug and tests. */
  readonly stats = { copied: 0, built: 0 };

  constructor(
    private readonly cache: PartialParse,
    /** manifest.json's path. */
    private readonly file: string,
    /** The key of node `id`'s entry, undefined when it must be built afresh and not recorded. */
    private readonly keyOf: (id: string, compiled: CompiledInfo) => string | undefined,
    /** `created_at` of this invocation, as JSON. */
    private readonly createdAt: string,
  ) {}

  /**
   * Node `id`'s entry: copied from the last manifest.json when its key and bytes hold, else `build()` serialized;
   * undefined when it is not recorded (the caller serializes it as usual).
   */
  entry(id: string, compiled: CompiledInfo | undefined, build: () => Record<string, unknown>): RawJson | undefined {
    const key = compiled && this.keyOf(id, compiled);
    if (key === undefined) return undefined;
    const copied = this.copy(id, key);
    if (copied) {
      this.stats.copied++;
      return copied;
    }
    const made = splitAtCreatedAt(build());
    if (!made) return undefined;
    this.stats.built++;
    const [head, value, tail] = made;
    return this.placed(
      id,
      key,
      [head, value, tail],
      Buffer.byteLength(head),
      Buffer.byteLength(tail),
      entryHash(head, tail),
    );
  }

  private copy(id: string, key: string): RawJson | undefined {
    const bytes = this.previous();
    const place = bytes && this.cache.previousManifestEntry<EntryPlace>(id);
    if (!place || place.key !== key || !fits(bytes, place)) return undefined;
    const head = bytes.subarray(place.start, place.start + place.at);
    const tail = bytes.subarray(place.start + place.at + place.len, place.start + place.length);
    if (entryHash(head, tail) !== place.hash) return undefined;
    return this.placed(id, key, [head, this.createdAt, tail], head.length, tail.length, place.hash);
  }

  /** The entry's pieces, recording where the writer puts them. */
  private placed(
    id: string,
    key: string,
    parts: [string | Uint8Array, string, string | Uint8Array],
    headBytes: number,
    tailBytes: number,
    hash: string,
  ): RawJson {
    // created_at is a number: as many bytes as characters.
    const len = parts[1].length;
    return new RawJson(parts, (start) =>
      this.places.set(id, { key, start, length: headBytes + len + tailBytes, at: headBytes, len, hash }),
    );
  }

  private previous(): Buffer | null {
    if (this.previousBytes === undefined)
      this.previousBytes = this.cache.hasManifestEntries() && existsSync(this.file) ? readFileSync(this.file) : null;
    return this.previousBytes;
  }

  /** Hands the places of this invocation's entries to the cache, once manifest.json is written. */
  finish(): void {
    this.cache.recordManifestEntries(this.places);
  }
}

/** Whether `place` lies inside `bytes` and starts and ends as an entry does. */
function fits(bytes: Buffer, place: EntryPlace): boolean {
  const { start, length, at, len } = place;
  return (
    [start, length, at, len].every(Number.isInteger) &&
    start > 0 &&
    at >= createdAtKey.length &&
    at + len < length &&
    start + length <= bytes.length &&
    bytes[start] === 0x7b /* { */ &&
    bytes[start + length - 1] === 0x7d /* } */
  );
}

/**
 * The entry's JSON (as JSON.stringify writes it) in three pieces: before its top-level `created_at` value, the value,
 * after; undefined if it has none.
 */
export function splitAtCreatedAt(dict: Record<string, unknown>): [string, string, string] | undefined {
  if (typeof dict.created_at !== 'number') return undefined;
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  let target = before;
  for (const k of Object.keys(dict)) {
    if (k === 'created_at') target = after;
    else target[k] = dict[k];
  }
  const head = JSON.stringify(before).slice(1, -1);
  const tail = JSON.stringify(after).slice(1, -1);
  return [`{${head}${head ? ',' : ''}${createdAtKey}`, JSON.stringify(dict.created_at), `${tail ? ',' : ''}${tail}}`];
}
