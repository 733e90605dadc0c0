/**
 * Node entries of manifest.json copied from the file the last `kiln compile` wrote, instead of
 * being built and serialized again: at 10,000 models that is most of the cost of writing it.
 * An entry is copied only when its key (given by the caller: the compiled SQL cache's key of
 * the node before rendering, and what compiling added) is the one recorded with it, and the
 * bytes at the recorded place still hash to what was written there, so an edited, replaced or
 * truncated manifest.json is never copied from, whatever its timestamps say. A copied entry
 * keeps its `created_at`, as dbt keeps a node it did not parse again. Where every entry is
 * (keyed or not) is recorded, with the file's stat once written (size, modification and change
 * time, inode), so that a compile that re-renders a few models (src/tasks/compile-replay.ts) can
 * splice their entries into the last file while it is as written, without hashing 24 MB.
 * Nothing is copied or recorded while a secret value is set: the copied text would have been
 * scrubbed for another invocation's secrets.
 */
import { hash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { PartialParse } from '../parse/partial-cache.js';
import type { CompiledInfo } from '../parse/node-dict.js';
import { RawJson } from './write.js';

/**
 * A node's entry in manifest.json, as recorded in the order the entries are written. Its offset is not recorded: the
 * entries follow one another in the `nodes` object, so each starts where the one before ends, past its own key
 * (`entryStarts`), and a compile that changes one entry's length leaves every other record as it is.
 */
export interface EntryPlace {
  /** What the entry was made from; null when it must not be copied (it is only placed). */
  key: string | null;
  /** The entry's length in bytes. */
  length: number;
  /**
   * Hash of the entry's bytes; null for an entry without a key, which is never copied, so nothing would check it (a
   * cold compile's every entry: 10,000 SHA-1s of 2 KB saved).
   */
  hash: string | null;
}

/** Where the metadata object and the first node entry are in manifest.json, and the file's stat once written. */
export interface ManifestFile {
  metadata: { start: number; length: number };
  firstEntry: number;
  /**
   * `PartialParse.stampOf(file).same` right after the write: a rewrite (atomic or in place) changes the inode or the
   * change time, so the file is trusted as compiled files are, by its stat (which also has their size and mtime).
   */
  stamp: string;
}

/**
 * A place as the partial parse cache records it: `<length> <hash> <key>` (`-` for no key), not JSON, so that a compile
 * replay reads the lengths of 10,000 entries without parsing them.
 */
export const placeText = (place: EntryPlace): string => `${place.length} ${place.hash ?? '-'} ${place.key ?? '-'}`;

/** A recorded place; undefined when there is none or its text is damaged. */
export function parsedPlace(text: string | undefined): EntryPlace | undefined {
  const m = text === undefined ? null : /^([1-9]\d*) (\S+) (\S+)$/.exec(text);
  return m ? { length: Number(m[1]), hash: m[2] === '-' ? null : m[2]!, key: m[3] === '-' ? null : m[3]! } : undefined;
}

/** Printable ASCII but `"` and `\\`: JSON writes such an id as it is, between quotes, one byte a character. */
const plainAscii = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** The bytes of an id written as a JSON string (a node id nearly always plain: no JSON.stringify per entry). */
const keyBytes = (id: string) => (plainAscii.test(id) ? id.length + 2 : Buffer.byteLength(JSON.stringify(id)));

/**
 * Calls `visit` with each recorded entry's id and length, in the order written, until it returns false; whether none
 * did (`PartialParse.previousManifestEntryLengths`, which reads the lengths from the places' bytes alone).
 */
export type EntryLengths = (visit: (id: string, length: number | undefined) => boolean) => boolean;

/**
 * The byte offset of each recorded entry (of those `wanted`, if given: the records past the last of them are not read,
 * half of 10,000 for a compile replay's one model on average), given where the first starts and each one's length;
 * undefined when a place read is damaged.
 */
export function entryStarts(
  firstEntry: number,
  lengths: EntryLengths,
  wanted?: { has(id: string): boolean; readonly size: number },
): Map<string, number> | undefined {
  const starts = new Map<string, number>();
  let end: number | undefined;
  let damaged = false;
  lengths((id, length) => {
    if (length === undefined) return !(damaged = true);
    // Between two entries: a comma, the next one's key as JSON, a colon.
    const start = end === undefined ? firstEntry : end + keyBytes(id) + 2;
    if (!wanted || wanted.has(id)) starts.set(id, start);
    end = start + length;
    return !wanted || starts.size < wanted.size;
  });
  return damaged ? undefined : starts;
}

export const entryHash = (bytes: string | Uint8Array) => hash('sha1', bytes, 'base64');

export class ManifestEntries {
  /** The last manifest.json's bytes; null when there is none or no entry of it was recorded. */
  private previousBytes?: Buffer | null;
  private readonly places = new Map<string, string>();
  private metadata?: { start: number; length: number };
  private firstEntry?: number;
  /** Where each entry of the last manifest.json starts, worked out on first use. */
  private previousStarts?: Map<string, number>;
  /** Counts for --debug and tests. */
  readonly stats = { copied: 0, built: 0 };

  constructor(
    private readonly cache: PartialParse,
    /** manifest.json's path. */
    private readonly file: string,
    /** The key of node `id`'s entry, undefined when it must be built afresh (and is never copied). */
    private readonly keyOf: (id: string, compiled: CompiledInfo) => string | undefined,
  ) {}

  /** Node `id`'s entry: copied from the last manifest.json when its key and bytes hold, else `build()` serialized. */
  entry(id: string, compiled: CompiledInfo | undefined, build: () => Record<string, unknown>): RawJson {
    const key = (compiled && this.keyOf(id, compiled)) ?? null;
    const copied = key === null ? undefined : this.copy(id, key);
    if (copied) {
      this.stats.copied++;
      return copied;
    }
    if (key !== null) this.stats.built++;
    const text = JSON.stringify(build());
    return this.placed(id, key, text, key === null ? null : entryHash(text));
  }

  /** The metadata object, its place recorded. */
  metadataJson(metadata: Record<string, unknown>): RawJson {
    return new RawJson([JSON.stringify(metadata)], (start, end) => (this.metadata = { start, length: end - start }));
  }

  private copy(id: string, key: string): RawJson | undefined {
    const bytes = this.previous();
    const place = bytes && parsedPlace(this.cache.previousManifestEntry(id));
    const start = place ? this.startOf(id) : undefined;
    if (!place || start === undefined || place.key !== key || !fits(bytes, { start, length: place.length }))
      return undefined;
    const entry = bytes.subarray(start, start + place.length);
    if (entryHash(entry) !== place.hash) return undefined;
    return this.placed(id, key, entry, place.hash);
  }

  private startOf(id: string): number | undefined {
    if (!this.previousStarts) {
      const file = this.cache.previousRecord<ManifestFile>('manifest');
      this.previousStarts =
        (file && entryStarts(file.firstEntry, (visit) => this.cache.previousManifestEntryLengths(visit))) ?? new Map();
    }
    return this.previousStarts.get(id);
  }

  /**
   * The entry, recording its place as the writer puts it: its length is where the writer's count of bytes ends it, so
   * the text is encoded as UTF-8 once, by the writer, and not measured again.
   */
  private placed(id: string, key: string | null, entry: string | Uint8Array, hash: string | null): RawJson {
    return new RawJson([entry], (start, end) => {
      this.firstEntry ??= start;
      this.places.set(id, placeText({ key, length: end - start, hash }));
    });
  }

  private previous(): Buffer | null {
    if (this.previousBytes === undefined)
      this.previousBytes = this.cache.hasManifestEntries() && existsSync(this.file) ? readFileSync(this.file) : null;
    return this.previousBytes;
  }

  /** Hands the places of this invocation's entries to the cache, once manifest.json is written. */
  finish(): void {
    const stamp = this.cache.stampOf(this.file)?.same;
    if (!this.metadata || this.firstEntry === undefined || !stamp) return;
    const file: ManifestFile = { metadata: this.metadata, firstEntry: this.firstEntry, stamp };
    this.cache.recordManifest(this.places, file);
  }
}

/** Whether `place` lies inside `bytes` and starts and ends as an entry does. */
export const fits = (bytes: Buffer, place: { start: number; length: number }): boolean =>
  fitsIn((at) => bytes[at], place);

/**
 * `fits` for a file read by the byte (`byteAt` is undefined past its end): a compile replay checks the few entries it
 * replaces without reading the whole file.
 */
export function fitsIn(byteAt: (at: number) => number | undefined, place: { start: number; length: number }): boolean {
  const { start, length } = place;
  return (
    [start, length].every(Number.isInteger) &&
    start > 0 &&
    length > 1 &&
    byteAt(start) === 0x7b /* { */ &&
    byteAt(start + length - 1) === 0x7d /* } */
  );
}
