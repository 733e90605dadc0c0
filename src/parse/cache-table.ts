/**
 * The partial parse cache's replay table (`target/partial_parse.table`): the cache's lines (src/parse/partial-cache.ts)
 * with its two kinds of large entries, SQL files' parses and compiled SQL, replaced by where they lie in the cache file.
 * A compile replay (src/tasks/compile-replay.ts) checks stamps, compiled files' records and manifest.json's entries
 * for 10,000 nodes but reads the large entries of the few it re-renders: it reads this table (~6 MB at 10,000 models)
 * instead of the cache (~22 MB), and each large entry it needs from the cache file by its offset.
 *
 * The table's first line names the cache file it was made with by its stat (size, modification and change time,
 * inode), taken right after the cache was written: a cache written since (by another kiln, or appended to without the
 * table following) has another stat, and the table is then ignored. Each entry read by offset is checked against the
 * line it must be (kind, id and stamp, and the newline that ends it): a damaged or moved one reads as none, as a
 * damaged entry of the cache does. Nothing here knows what the entries mean.
 */
import { closeSync, openSync, readSync, statSync, type Stats } from 'node:fs';

export const tableFormat = 1;
export const tableFileName = 'partial_parse.table';

/** The stat fields that tell a file rewritten or appended to: size, modification and change time, inode. */
export const sameStat = (st: Stats) => `${st.size} ${st.mtimeMs} ${st.ctimeMs} ${st.ino}`;

/** The file's `sameStat`, or undefined when it cannot be stat'ed. */
export function statText(file: string): string | undefined {
  const st = statSync(file, { throwIfNoEntry: false });
  return st && sameStat(st);
}

const firstLinePrefix = `kiln replay table\t${tableFormat}\t`;

/** The table's first line, naming the cache file by its stat. */
export const tableFirstLine = (cacheStat: string) => `${firstLinePrefix}${cacheStat}\n`;

/**
 * Where the cache's lines start in table bytes `bytes`, and the size of the cache it was made with; undefined when the
 * table is of another format or not made with the cache file whose stat is `cacheStat`.
 */
export function tableBody(bytes: Buffer, cacheStat: string): { start: number; cacheSize: number } | undefined {
  const end = bytes.indexOf(0x0a);
  if (end < 0 || bytes.toString('latin1', 0, end) !== `${firstLinePrefix}${cacheStat}`) return undefined;
  return { start: end + 1, cacheSize: Number(cacheStat.slice(0, cacheStat.indexOf(' '))) };
}

/** How a table line refers to a large entry: where it starts and ends in the cache file. */
export const entryRef = (start: number, end: number) => `${start} ${end}`;

/**
 * The entry a table line refers to, read from the cache file: the line there must start with `head` (the table line's
 * own kind, id and stamp, byte for byte) and end with a newline right after the entry; undefined otherwise.
 */
export function readReferred(cacheFile: string, head: Uint8Array, ref: string): Buffer | undefined {
  const m = /^(\d+) (\d+)$/.exec(ref);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start < head.length || end < start) return undefined;
  const line = Buffer.allocUnsafe(head.length + end - start + 1);
  let fd: number;
  try {
    fd = openSync(cacheFile, 'r');
  } catch {
    return undefined;
  }
  try {
    let got = 0;
    while (got < line.length) {
      const n = readSync(fd, line, got, line.length - got, start - head.length + got);
      if (n === 0) return undefined;
      got += n;
    }
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
  if (line[line.length - 1] !== 0x0a || line.compare(head, 0, head.length, 0, head.length) !== 0) return undefined;
  return line.subarray(head.length, line.length - 1);
}
