/**
 * Hub package archives: a .tar.gz is gunzipped with node's zlib, read by a small tar reader
 * (ustar, pax and GNU long names) and written into one package folder. Members whose path
 * leaves the folder (`../x`, `/etc/x`), links pointing outside it, hard links and devices are
 * refused; nothing is written before every member has been checked. No network here.
 */
import { gunzipSync } from 'node:zlib';
import { lstatSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { KilnError } from '../errors.js';
import { isInside, isStrictlyInside } from './paths.js';

export interface TarMember {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  mode: number;
  linkTarget: string;
  data: Buffer;
}

const MAX_UNPACKED = 512 * 1024 * 1024;

export function gunzip(archive: Buffer, source: string): Buffer {
  try {
    return gunzipSync(archive, { maxOutputLength: MAX_UNPACKED });
  } catch (e) {
    throw new KilnError('config', `${source} is not a readable .tar.gz: ${(e as Error).message}`);
  }
}

const text = (b: Buffer) => {
  const nul = b.indexOf(0);
  return (nul === -1 ? b : b.subarray(0, nul)).toString('utf8');
};

function number(field: Buffer): number {
  if (field[0]! & 0x80) {
    // base-256, for sizes beyond the octal field
    let n = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const s = text(field).trim();
  return s ? parseInt(s, 8) : 0;
}

function paxRecords(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const len = parseInt(data.subarray(pos, space).toString('ascii'), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const record = data
      .subarray(space + 1, pos + len)
      .toString('utf8')
      .replace(/\n$/, '');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

/** The members of an uncompressed tar archive. */
export function readTar(tar: Buffer, source: string): TarMember[] {
  const members: TarMember[] = [];
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  let off = 0;
  const broken = (why: string) => new KilnError('config', `${source} is not a valid tar archive: ${why}`);
  while (off + 512 <= tar.length) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
    if (sum !== number(header.subarray(148, 156))) throw broken(`bad header checksum at byte ${off}`);
    const size = number(header.subarray(124, 136));
    const flag = String.fromCharCode(header[156]!);
    const ustar = header.subarray(257, 262).toString('ascii') === 'ustar';
    const prefix = ustar ? text(header.subarray(345, 500)) : '';
    const name = text(header.subarray(0, 100));
    off += 512;
    if (off + size > tar.length) throw broken('it ends inside a member');
    const data = tar.subarray(off, off + size);
    off += Math.ceil(size / 512) * 512;
    if (flag === 'x') {
      pax = paxRecords(data);
      continue;
    }
    if (flag === 'g') continue;
    if (flag === 'L') {
      longName = text(data);
      continue;
    }
    if (flag === 'K') {
      longLink = text(data);
      continue;
    }
    const path = pax.path ?? longName ?? (prefix ? `${prefix}/${name}` : name);
    const linkTarget = pax.linkpath ?? longLink ?? text(header.subarray(157, 257));
    pax = {};
    longName = longLink = undefined;
    const type =
      flag === '0' || flag === '\0' || flag === '7'
        ? 'file'
        : flag === '5'
          ? 'dir'
          : flag === '2'
            ? 'symlink'
            : flag === '1'
              ? 'hardlink'
              : 'other';
    members.push({ path, type, mode: number(header.subarray(100, 108)), linkTarget, data });
  }
  return members;
}

/** A member path as segments; throws when it is absolute or climbs out with `..`. */
function segments(path: string, source: string): string[] {
  const bad = () =>
    new KilnError('config', `${source} holds the member '${path}', whose path leaves the package folder`, {
      hint: 'kiln refuses archives that would write outside dbt_packages/',
    });
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.includes('\\') || path.includes('\0')) throw bad();
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw bad();
  return parts;
}

/**
 * Writes the members into `dest` (which must not exist yet). An archive whose members all sit
 * in one top folder (as GitHub's and the Hub's archives do) has that folder stripped.
 */
export function extractPackage(members: TarMember[], dest: string, source: string): void {
  const items = members.map((m) => ({ m, parts: segments(m.path, source) })).filter((i) => i.parts.length > 0);
  const top = items[0]?.parts[0];
  const singleTop =
    top !== undefined && items.every((i) => i.parts[0] === top && (i.parts.length > 1 || i.m.type === 'dir'));
  const planned = items
    .map(({ m, parts }) => ({ m, parts: singleTop ? parts.slice(1) : parts }))
    .filter((i) => i.parts.length > 0)
    .map(({ m, parts }) => ({ m, parts, target: join(dest, ...parts) }));
  for (const { m, target } of planned) {
    if (!isStrictlyInside(dest, target))
      throw new KilnError('config', `${source} holds the member '${m.path}', whose path leaves the package folder`);
    if (m.type === 'hardlink' || m.type === 'other') {
      const kind = m.type === 'hardlink' ? 'hard link' : 'device, fifo or other special file';
      throw new KilnError(
        'config',
        `${source} holds '${m.path}', a ${kind}; ` +
          `kiln installs only files, folders and symlinks inside the package`,
      );
    }
    if (m.type === 'symlink') {
      const resolved = posix.isAbsolute(m.linkTarget) ? m.linkTarget : resolve(dirname(target), m.linkTarget);
      if (posix.isAbsolute(m.linkTarget) || !isInside(dest, resolved))
        throw new KilnError(
          'config',
          `${source} holds a symlink '${m.path}' -> '${m.linkTarget}' that points outside the package`,
          { hint: 'kiln installs no file that links outside its package' },
        );
    }
  }
  mkdirSync(dest, { recursive: false });
  // Files and folders first; symlinks last, so that no member is written through a link.
  for (const { m, target } of planned) {
    if (m.type === 'dir') mkdirSync(target, { recursive: true });
    else if (m.type === 'file') {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, m.data, { mode: m.mode & 0o111 ? 0o755 : 0o644 });
    }
  }
  const realDest = realpathSync(dest);
  for (const { m, parts, target } of planned) {
    if (m.type !== 'symlink') continue;
    mkdirSync(dirname(target), { recursive: true });
    let exists = false;
    try {
      lstatSync(target);
      exists = true;
    } catch {
      // free to create
    }
    if (exists) throw new KilnError('config', `${source} holds '${m.path}' twice, once as a symlink`);
    // The link's folder must be a real folder: through an earlier link, `..` would mean elsewhere.
    if (realpathSync(dirname(target)) !== join(realDest, ...parts.slice(0, -1)))
      throw new KilnError('config', `${source} holds a symlink '${m.path}' inside another symlink`, {
        hint: 'kiln installs no file that links outside its package',
      });
    symlinkSync(m.linkTarget, target);
  }
}

/** Downloads an archive over http(s). */
export async function download(url: string, what: string): Promise<Buffer> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new KilnError('config', `the archive URL of ${what} is not a URL: '${url}'`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new KilnError('config', `the archive URL of ${what} must be http(s), not '${url}'`);
  let res: Response;
  try {
    res = await fetch(parsed, { signal: AbortSignal.timeout(120_000) });
  } catch (e) {
    const { cause, message } = e as Error;
    throw new KilnError(
      'connection',
      `cannot download ${what} from ${url}: ${cause instanceof Error ? cause.message : message}`,
    );
  }
  if (!res.ok) throw new KilnError('connection', `cannot download ${what} from ${url}: HTTP ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length > MAX_UNPACKED)
    throw new KilnError('config', `the archive of ${what} is larger than ${MAX_UNPACKED / 1024 / 1024} MB`);
  return body;
}
