/**
 * Lines of the partial parse cache (src/parse/partial-cache.ts) as an invocation makes them, kept in the order added in
 * a buffer of a megabyte that is spilled to a spool file beside the cache whenever it fills. A cold compile at 10,000
 * models makes 40,000 entries (each SQL file's text, each compiled query, each model's state before rendering): held
 * as strings until the cache was written, they were ~50 MB of the live heap at its peak, and V8 grew the heap around
 * them by as much again. Spilled, they are garbage as soon as they are copied into the buffer, and writing the cache
 * copies the spool file into it a megabyte at a time.
 *
 * The spool file is removed as soon as it is opened where the system allows it (its data lives while it stays open),
 * so an invocation that stops before writing the cache leaves nothing behind; it is closed when the cache has been
 * written from it, or when the spool is collected unwritten. Without a folder (a process that must not write target/),
 * or once the file cannot be written, the buffer grows in memory instead. Nothing here knows the cache's format: a line is a head, an entry and a newline.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** How many bytes of lines are held before they are spilled to the file. */
export const spoolBufferBytes = 1 << 20;

/** What must be released when a spool is spent or collected: its file's descriptor, and its path if still there. */
interface SpoolFile {
  fd: number;
  path?: string;
}

function release(file: SpoolFile): void {
  closeSync(file.fd);
  if (file.path) rmSync(file.path, { force: true });
}

const unwritten = new FinalizationRegistry<SpoolFile>((file) => {
  try {
    release(file);
  } catch {
    // Closing an abandoned spool is best effort: nothing depends on it.
  }
});

export class LineSpool {
  private buffer: Buffer;
  private used = 0;
  /** Bytes already in the file: the buffer's first byte is at this offset of the spool. */
  private flushed = 0;
  /** Bytes of lines added, kept when spent. */
  private total = 0;
  private file: SpoolFile | undefined;
  private spent = false;
  /** Each id's latest line, as an index into where entries start and end in the spool (numbers, not 40,000 pairs). */
  private readonly lines = new Map<string, number>();
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  /**
   * @param dir where the spool file goes (created if need be); undefined keeps every line in memory.
   * @param name the spool file's name, to which a unique suffix is added.
   */
  constructor(
    private dir: string | undefined,
    private readonly name: string,
    bufferBytes = spoolBufferBytes,
  ) {
    this.buffer = Buffer.allocUnsafe(bufferBytes);
  }

  /** How many ids have a line. */
  get size(): number {
    return this.lines.size;
  }

  /** How many bytes of lines have been added: what `chunks` yields in all. */
  get byteLength(): number {
    return this.total;
  }

  /**
   * Calls `visit` with each id and where its latest entry starts and ends among the bytes `chunks` yields (still
   * answered once spent: the cache's replay table records where each entry went).
   */
  places(visit: (id: string, start: number, end: number) => void): void {
    for (const [id, line] of this.lines) visit(id, this.starts[line]!, this.ends[line]!);
  }

  /** Bytes spilled to the spool file so far (for tests: lines are written as they come). */
  get spilledBytes(): number {
    return this.flushed;
  }

  has(id: string): boolean {
    return this.lines.has(id);
  }

  /**
   * Adds the line `head` + `entry` + newline for `id`. Another line of an id added earlier is written too: the cache's
   * reader lets a later line of an id replace an earlier one in its place, as a Map's set does.
   */
  add(id: string, head: string, entry: string | Uint8Array): void {
    if (this.spent) throw new Error('the partial parse cache was already written from this spool');
    // A UTF-16 unit is at most three UTF-8 bytes: a line is placed whole in the buffer, never split across the file.
    const most = head.length * 3 + (typeof entry === 'string' ? entry.length * 3 : entry.byteLength) + 1;
    this.reserve(most);
    this.used += this.buffer.write(head, this.used);
    const start = this.flushed + this.used;
    if (typeof entry === 'string') this.used += this.buffer.write(entry, this.used);
    else {
      this.buffer.set(entry, this.used);
      this.used += entry.byteLength;
    }
    this.lines.set(id, this.starts.length);
    this.starts.push(start);
    this.ends.push(this.flushed + this.used);
    this.buffer[this.used++] = 0x0a;
    this.total = this.flushed + this.used;
  }

  /** A copy of the entry of `id`'s latest line. */
  entry(id: string): Uint8Array | undefined {
    const line = this.lines.get(id);
    if (line === undefined || this.spent) return undefined;
    const start = this.starts[line]!;
    const end = this.ends[line]!;
    if (start >= this.flushed) return Buffer.from(this.buffer.subarray(start - this.flushed, end - this.flushed));
    const bytes = Buffer.allocUnsafe(end - start);
    readSync(this.file!.fd, bytes, 0, bytes.length, start);
    return bytes;
  }

  /**
   * Every line in the order added, a megabyte at a time, for the cache file: each chunk is valid until the next is
   * asked for (one buffer is read into). The spool is spent once they have been read (or the reading stopped): its
   * file is closed and removed, and entry() answers no more.
   */
  *chunks(): Generator<Uint8Array> {
    if (this.spent) throw new Error('the partial parse cache was already written from this spool');
    try {
      const chunk = Buffer.allocUnsafe(Math.min(spoolBufferBytes, this.flushed));
      for (let at = 0; at < this.flushed;) {
        const n = readSync(this.file!.fd, chunk, 0, Math.min(chunk.length, this.flushed - at), at);
        if (n === 0) throw new Error('the partial parse spool file ended early');
        at += n;
        yield chunk.subarray(0, n);
      }
      if (this.used) yield this.buffer.subarray(0, this.used);
    } finally {
      this.spend();
    }
  }

  private spend(): void {
    this.spent = true;
    this.buffer = Buffer.alloc(0);
    this.used = 0;
    if (this.file) {
      unwritten.unregister(this);
      release(this.file);
      this.file = undefined;
    }
  }

  /** Room in the buffer for `most` bytes: the buffer spilled to the file, or grown (no folder, or a huge line). */
  private reserve(most: number): void {
    if (this.used + most <= this.buffer.length) return;
    if (this.dir !== undefined && this.used && this.spill()) {
      if (most <= this.buffer.length) return;
    }
    let size = this.buffer.length * 2;
    while (size < this.used + most) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.buffer.copy(bigger, 0, 0, this.used);
    this.buffer = bigger;
  }

  /**
   * Writes the buffer to the spool file; false, and the lines kept in memory from then on, when the file cannot be
   * written (a read-only target folder, a full disk): a cache that cannot be spooled costs memory, never the command.
   */
  private spill(): boolean {
    try {
      this.writeBuffer();
      return true;
    } catch {
      // What reached the file before is still read up to `flushed`; the rest stays in the buffer.
      this.dir = undefined;
      return false;
    }
  }

  private writeBuffer(): void {
    if (!this.file) {
      mkdirSync(this.dir!, { recursive: true });
      const path = join(this.dir!, `${this.name}.kiln_spool-${process.pid}-${randomBytes(4).toString('hex')}`);
      const fd = openSync(path, 'wx+');
      let removed = false;
      try {
        unlinkSync(path);
        removed = true;
      } catch {
        // A system that keeps an open file's name (Windows) has it removed when the spool is closed.
      }
      this.file = removed ? { fd } : { fd, path };
      unwritten.register(this, this.file, this);
    }
    for (let at = 0; at < this.used;) at += writeSync(this.file.fd, this.buffer, at, this.used - at);
    this.flushed += this.used;
    this.used = 0;
  }
}
