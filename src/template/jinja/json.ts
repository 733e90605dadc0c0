/** Python's json module for the engine's values: `tojson` (filter and dbt global) and `fromjson`. */
import {
  isDict,
  isFloat,
  isInt,
  isPySet,
  dictKeys,
  dictSet,
  makeFloat,
  makeInt,
  toNumber,
  typeError,
  typeName,
  valueError,
} from './values.js';
import { floatRepr } from './repr.js';

export interface JsonOptions {
  sortKeys?: boolean;
  /** Spaces (a number) or a string per level; none writes one line with `, ` and `: `. */
  indent?: string | null;
  /** Jinja's htmlsafe_json_dumps: `<`, `>`, `&` and `'` as \u escapes. */
  htmlSafe?: boolean;
}

/** A JSON string literal as Python writes it (ensure_ascii: anything outside space..~ escaped). */
function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

function jsonFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return floatRepr(x);
}

const codePointCompare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Python's json.dumps of the engine's values. */
export function jsonDumps(value: unknown, opts: JsonOptions = {}): string {
  const indent = opts.indent ?? null;
  const seen = new Set<unknown>();
  const write = (v: unknown, level: number): string => {
    if (typeof v === 'string') return jsonString(v);
    if (v === null) return 'null';
    if (v === true) return 'true';
    if (v === false) return 'false';
    if (isInt(v)) return String(v);
    if (isFloat(v)) return jsonFloat(toNumber(v));
    const container = (open: string, close: string, parts: (lvl: number) => string[]): string => {
      if (seen.has(v)) throw valueError('Circular reference detected');
      seen.add(v);
      const items = parts(level + 1);
      seen.delete(v);
      if (!items.length) return open + close;
      if (indent === null) return open + items.join(', ') + close;
      const nl = '\n' + indent.repeat(level + 1);
      return open + nl + items.join(',' + nl) + '\n' + indent.repeat(level) + close;
    };
    if (Array.isArray(v) && !isPySet(v)) return container('[', ']', (lvl) => v.map((x) => write(x, lvl)));
    if (isDict(v)) {
      const keys = dictKeys(v);
      if (opts.sortKeys) keys.sort(codePointCompare);
      return container('{', '}', (lvl) => keys.map((k) => `${jsonString(k)}: ${write(v[k], lvl)}`));
    }
    throw typeError(`Object of type ${typeName(v)} is not JSON serializable`);
  };
  const text = write(value, 0);
  return opts.htmlSafe
    ? text.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/'/g, '\\u0027')
    : text;
}

/** Python's json.loads: numbers with a fraction or exponent are floats (`1.0` stays `1.0`). */
export function jsonLoads(text: string): unknown {
  let pos = 0;
  const fail = (what: string): never => {
    throw valueError(`${what}: line 1 column ${pos + 1} (char ${pos})`);
  };
  const ws = () => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos]!)) pos++;
  };
  const value = (): unknown => {
    ws();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const out: Record<string, unknown> = {};
      ws();
      if (text[pos] === '}') return (pos++, out);
      for (;;) {
        ws();
        if (text[pos] !== '"') fail('Expecting property name enclosed in double quotes');
        const key = string();
        ws();
        if (text[pos++] !== ':') fail("Expecting ':' delimiter");
        dictSet(out, key, value());
        ws();
        if (text[pos] === ',') pos++;
        else if (text[pos] === '}') return (pos++, out);
        else fail("Expecting ',' delimiter");
      }
    }
    if (c === '[') {
      pos++;
      const out: unknown[] = [];
      ws();
      if (text[pos] === ']') return (pos++, out);
      for (;;) {
        out.push(value());
        ws();
        if (text[pos] === ',') pos++;
        else if (text[pos] === ']') return (pos++, out);
        else fail("Expecting ',' delimiter");
      }
    }
    if (c === '"') return string();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
      ['NaN', NaN],
      ['Infinity', Infinity],
      ['-Infinity', -Infinity],
    ] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return v;
      }
    }
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(pos));
    if (!m) return fail('Expecting value');
    pos += m[0].length;
    if (m[1] || m[2]) return makeFloat(Number(m[0]));
    const n = BigInt(m[0]);
    return makeInt(n);
  };
  const string = (): string => {
    const m = /^"((?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*)"/.exec(text.slice(pos));
    if (!m) return fail('Invalid string');
    pos += m[0].length;
    return JSON.parse(m[0]) as string;
  };
  const result = value();
  ws();
  if (pos < text.length) fail('Extra data');
  return result;
}
