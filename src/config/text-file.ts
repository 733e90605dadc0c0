/**
 * Reading a project's text files. dbt reads every file as UTF-8 and stops on one that is not;
 * kiln does the same, naming the line of the first bad byte, rather than silently turning
 * accented letters of a Latin-1 file into U+FFFD. A leading byte order mark is dropped.
 */
import { isUtf8 } from 'node:buffer';
import { closeSync, fstatSync, openSync, readFileSync, readSync, type Stats } from 'node:fs';
import { KilnError } from '../errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function readTextFile(path: string, displayPath = path): string {
  return checkedText(readFileSync(path, 'utf8'), path, displayPath);
}

/**
 * A text Node decoded from a file as it read it (natively, with no buffer in between), checked: Node reads a bad byte
 * as U+FFFD, so only a text holding one is read again as bytes, where a bad byte is an error naming its line and a
 * U+FFFD written as such is kept.
 */
function checkedText(text: string, path: string, displayPath: string): string {
  if (text.includes('\ufffd')) return decodeUtf8(readFileSync(path), displayPath);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * readTextFile, and the file's stat taken on the opened file before it is read: a caller that records both (the
 * partial parse cache) needs no stat of the path, whose lookup costs more than the stat itself, and the stat is of the
 * very file read, so a write after it shows as a changed stat next time.
 */
export function readTextFileStat(path: string, displayPath = path): { text: string; stat: Stats } {
  const fd = openSync(path, 'r');
  try {
    const stat = fstatSync(fd);
    return { text: decodeUtf8(readWhole(fd, stat.size), displayPath), stat };
  } finally {
    closeSync(fd);
  }
}

/** Reused by every small file a parse reads (thousands of SQL files): the text is decoded out of it at once. */
let scratch: Buffer | undefined;

/**
 * The bytes of an opened file of `size` bytes (its stat): one read asking for a byte more than that says the whole file
 * was read, where Node's readFileSync reads until a read returns nothing, after a stat of its own (two system calls a
 * file more: ~30% of reading 10,000 SQL files). A file grown since its stat is read again whole.
 */
function readWhole(fd: number, size: number): Uint8Array {
  const buffer = size < 65536 ? (scratch ??= Buffer.allocUnsafe(65536)) : Buffer.allocUnsafe(size + 1);
  const read = readSync(fd, buffer, 0, size + 1, 0);
  return read <= size ? buffer.subarray(0, read) : readFileSync(fd);
}

export function decodeUtf8(bytes: Uint8Array, displayPath: string): string {
  // Checking and then decoding natively costs a fraction of the fatal TextDecoder, which stays for the error.
  if (isUtf8(bytes)) {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
  try {
    return utf8.decode(bytes);
  } catch {
    const at = firstInvalidByte(bytes);
    const before = bytes.subarray(0, at);
    const line = before.filter((b) => b === 0x0a).length + 1;
    const byte = bytes[at]!.toString(16).padStart(2, '0');
    throw new KilnError(
      'config',
      `the file is not valid UTF-8 (byte 0x${byte}); kiln reads files as UTF-8, as dbt does`,
      {
        file: displayPath,
        line,
        hint: `save it as UTF-8 (from Latin-1: iconv -f latin1 -t utf-8 ${displayPath})`,
      },
    );
  }
}

/** The offset of the first byte that does not belong to a valid UTF-8 sequence. */
function firstInvalidByte(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    const length = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (length === 0) return i;
    try {
      utf8.decode(bytes.subarray(i, i + length));
    } catch {
      return i;
    }
    i += length;
  }
  return bytes.length - 1;
}
