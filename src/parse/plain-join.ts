/**
 * `path.join` for the paths made once per node (each compiled file's place, by the compiler and in manifest.json).
 * Node's join normalizes the whole joined text a character at a time, and runs cold: 1,000 calls cost 5-9 ms of a
 * compile's main thread before V8 optimises it. A folder as `path.join` gives it and names made of plain segments
 * (no `.`, `..` or empty one, no separator at either end) join to a normal path as they are, so they are concatenated;
 * anything else goes through `path.join`, whose result this always equals.
 */
import { join, sep } from 'node:path';

/** A `.` or `..` segment. */
const dotSegment = /(?:^|\/)\.\.?(?:\/|$)/;

/** Whether `name` is one or more segments, none empty, `.` or `..`: what `path.join` leaves as it is after a `/`. */
function plain(name: string): boolean {
  if (name === '' || name.charCodeAt(0) === 0x2f || name.charCodeAt(name.length - 1) === 0x2f || name.includes('//'))
    return false;
  // Only a name with a segment that starts with a dot is looked at closely (a file's extension is not one).
  return !(name.charCodeAt(0) === 0x2e || name.includes('/.')) || !dotSegment.test(name);
}

/**
 * `join(folder, a, b)`, with `folder` a path as `path.join` (or `path.relative`) gives it. Only where the separator is
 * `/`: elsewhere `path.join` also turns `/` into its own.
 */
export function joinPlain(folder: string, a: string, b: string): string {
  // '' and '.' join as nothing, and a folder ending in a separator (the root) takes no second one.
  if (sep === '/' && folder !== '' && folder !== '.' && !folder.endsWith('/') && plain(a) && plain(b))
    return `${folder}/${a}/${b}`;
  return join(folder, a, b);
}
