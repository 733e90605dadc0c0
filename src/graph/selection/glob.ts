/**
 * Glob patterns as dbt's selector methods read them: Python's `fnmatch`, which on POSIX is
 * case-sensitive. `*` matches any run of characters (`/` and `.` included), `?` one
 * character, `[seq]` and `[!seq]` one character in or out of the set; a `[` with no closing
 * `]` is a literal. Pure: the docs site's bundle uses it too.
 */

const cache = new Map<string, RegExp>();

export function glob(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (!re) {
    // Patterns come from what a user types; a browser session could type many.
    if (cache.size > 1000) cache.clear();
    re = new RegExp(`^${translate(pattern)}$`, 's');
    cache.set(pattern, re);
  }
  return re;
}

export const hasWildcard = (text: string): boolean => /[*?[\]]/.test(text);

function translate(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const close = classEnd(pattern, i + 1);
      if (close < 0) out += '\\[';
      else {
        let body = pattern.slice(i + 1, close);
        const negated = body.startsWith('!');
        if (negated) body = body.slice(1);
        out += `[${negated ? '^' : ''}${body.replace(/[\\^\]]/g, '\\$&')}]`;
        i = close;
      }
    } else out += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return out;
}

/** Where the `]` closing a class that opens after position `from` is; -1 when there is none. */
function classEnd(pattern: string, from: number): number {
  let j = from;
  if (pattern[j] === '!') j++;
  // A `]` first in the class is a member, not its end.
  if (pattern[j] === ']') j++;
  const end = pattern.indexOf(']', j);
  return end;
}
