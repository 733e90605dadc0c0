/**
 * An oracle test of the Jinja engine's built-in filters and tests: every probe below is run
 * through kiln's tables (src/template/jinja/filters.ts and tests.ts) and through Jinja2's own
 * filter and test functions (Environment.call_filter / call_test, autoescape off) by running
 * Debian's python3 once, and the two answers are compared as Python's repr().
 *
 * Probe values are written in a small JSON encoding both sides decode alike: integral JSON
 * numbers are ints and the others floats; {$float} is a float (also 'nan', 'inf'), {$tuple},
 * {$set}, {$big} (an int past 2^53) and {$undef} (Jinja's Undefined); other objects are dicts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { builtinFilters } from '../src/template/jinja/filters.js';
import { builtinTests } from '../src/template/jinja/tests.js';
import type { RenderEnv } from '../src/template/jinja/render-env.js';
import { pyRepr } from '../src/template/jinja/repr.js';
import {
  JinjaError,
  PyFloat,
  PyIterator,
  Undefined,
  dictKeyOf,
  dictKeys,
  hasKey,
  isDict,
  isInt,
  isPySet,
  isTuple,
  makeFloat,
  makeSet,
  makeTuple,
  typeName,
  type Kwargs,
} from '../src/template/jinja/values.js';

const PYTHON = '/usr/bin/python3';
const INSTALL_HINT = 'apt-get install python3-jinja2';

// ---------------------------------------------------------------------------------------------
// The encoding

type Enc = unknown;
const F = (x: number | string): Enc => ({ $float: x });
const T = (...items: Enc[]): Enc => ({ $tuple: items });
const S = (...items: Enc[]): Enc => ({ $set: items });
const U = (hint = "'x' is undefined"): Enc => ({ $undef: hint });
const B = (digits: string): Enc => ({ $big: digits });

function decode(e: Enc): unknown {
  if (Array.isArray(e)) return e.map(decode);
  if (e !== null && typeof e === 'object') {
    const o = e as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      const v = o[keys[0]!];
      switch (keys[0]!) {
        case '$float':
          return makeFloat(
            typeof v === 'string'
              ? (({ nan: NaN, inf: Infinity, '-inf': -Infinity } as Record<string, number>)[v] ?? Number(v))
              : (v as number),
          );
        case '$tuple':
          return makeTuple((v as Enc[]).map(decode));
        case '$set':
          return makeSet((v as Enc[]).map(decode));
        case '$undef':
          return new Undefined(v as string);
        case '$big':
          return BigInt(v as string);
      }
    }
    const d: Record<string, unknown> = {};
    for (const k of keys) d[k] = decode(o[k]);
    return d;
  }
  return e;
}

/** Python's repr() of a str, escaping every character str.isprintable() refuses. */
function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\' || ch === quote) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch !== ' ' && /[\p{C}\p{Z}]/u.test(ch)) {
      out +=
        code < 0x100
          ? '\\x' + code.toString(16).padStart(2, '0')
          : code < 0x10000
            ? '\\u' + code.toString(16).padStart(4, '0')
            : '\\U' + code.toString(16).padStart(8, '0');
    } else out += ch;
  }
  return out + quote;
}

/** Python's repr() of a result, as the oracle prints it (Undefined shows as `Undefined`). */
function repr(v: unknown): string {
  if (v instanceof Undefined || v === undefined) return 'Undefined';
  if (v instanceof PyIterator) return repr(v.__iter__());
  if (typeof v === 'string') return strRepr(v);
  if (isPySet(v)) return v.length ? `{${v.map(repr).join(', ')}}` : 'set()';
  if (isTuple(v)) return v.length === 1 ? `(${repr(v[0])},)` : `(${v.map(repr).join(', ')})`;
  if (Array.isArray(v)) return `[${v.map(repr).join(', ')}]`;
  if (isDict(v))
    return `{${dictKeys(v)
      .map((k) => `${strRepr(k)}: ${repr(v[k])}`)
      .join(', ')}}`;
  return pyRepr(v);
}

// ---------------------------------------------------------------------------------------------
// A small RenderEnv: dict keys and list indexes, as Jinja's Environment.getitem/getattr find them

const missing = (obj: unknown, name: unknown) =>
  new Undefined(`'${obj === null ? 'None' : `${typeName(obj)} object`}' has no attribute ${pyRepr(name)}`);

const env: RenderEnv = {
  getattr(obj, name) {
    if (isDict(obj) && hasKey(obj, name)) return obj[name];
    return missing(obj, name);
  },
  getitem(obj, key) {
    if (isDict(obj)) return hasKey(obj, key) ? obj[dictKeyOf(key)] : missing(obj, key);
    if ((Array.isArray(obj) || typeof obj === 'string') && isInt(key)) {
      const items = Array.isArray(obj) ? obj : Array.from(obj);
      const i = Number(key) < 0 ? items.length + Number(key) : Number(key);
      return i >= 0 && i < items.length ? items[i] : missing(obj, key);
    }
    return typeof key === 'string' ? env.getattr(obj, key) : missing(obj, key);
  },
  call(fn, pos) {
    return (fn as (...a: unknown[]) => unknown)(...pos);
  },
  applyFilter(name, value, pos, kw) {
    const f = builtinFilters[name];
    if (!f) throw new JinjaError('TemplateRuntimeError', `No filter named '${name}'.`);
    return f(env, value, pos, kw);
  },
  applyTest(name, value, pos, kw) {
    const t = builtinTests[name];
    if (!t) throw new JinjaError('TemplateRuntimeError', `No test named '${name}'.`);
    return t(env, value, pos, kw);
  },
  makeUndefined(hint) {
    return new Undefined(hint);
  },
};

// ---------------------------------------------------------------------------------------------
// The probes

type Probe = ['filter' | 'test', string, Enc, Enc[], Record<string, Enc>];
const f = (name: string, value: Enc, ...args: Enc[]): Probe => ['filter', name, value, args, {}];
const fk = (name: string, value: Enc, args: Enc[], kwargs: Record<string, Enc>): Probe => [
  'filter',
  name,
  value,
  args,
  kwargs,
];
const t = (name: string, value: Enc, ...args: Enc[]): Probe => ['test', name, value, args, {}];

const people = [
  { name: 'Ann', city: 'NY', age: 30, active: true, email: null, addr: { zip: '10001' } },
  { name: 'bob', city: 'ca', age: 25, active: false, email: 'b@x.io', addr: { zip: '94000' } },
  { name: 'Cid', city: 'CA', age: 35, active: true, email: null, addr: { zip: '94100' } },
  { name: 'dee', city: 'NY', age: 25, active: true, email: 'd@x.io', addr: { zip: '10002' } },
];
const lorem = 'The quick brown fox jumps over the lazy dog and keeps running far-far-away into the forest';

const probes: Probe[] = [
  // abs
  f('abs', -3),
  f('abs', F(-2.5)),
  f('abs', F(-2)),
  f('abs', true),
  f('abs', 'a'),
  f('abs', B('-99999999999999999999')),
  f('abs', U()),
  // attr
  f('attr', { a: 1 }, 'a'),
  f('attr', [1, 2], 'x'),
  f('attr', null, 'x'),
  f('attr', U(), 'x'),
  f('attr', { a: 1 }, 5),
  // batch
  f('batch', [1, 2, 3, 4, 5, 6, 7], 3),
  f('batch', [1, 2, 3, 4, 5, 6, 7], 3, 'x'),
  f('batch', [], 2),
  f('batch', 'abcde', 2),
  f('batch', [1, 2, 3], 0),
  f('batch', [1, 2, 3, 4], 2, 'x'),
  f('batch', 5, 2),
  // capitalize
  f('capitalize', 'hello WORLD'),
  f('capitalize', 'ßa'),
  f('capitalize', ''),
  f('capitalize', 3),
  f('capitalize', true),
  f('capitalize', 'éCOLE'),
  // center
  f('center', 'ab', 7),
  f('center', 'abc', 8),
  f('center', 'abc', 2),
  f('center', 5, 5),
  f('center', 'x', F(3)),
  f('center', 'abc'),
  // count / length
  f('count', 'abc'),
  f('length', [1, 2]),
  f('length', {}),
  f('length', U()),
  f('length', 5),
  f('count', T(1, 2)),
  f('length', 'a😀b'),
  // default / d
  f('default', U(), 'x'),
  f('default', null, 'x'),
  f('default', '', 'x', true),
  f('d', 0, 'x', true),
  f('d', [], 'x'),
  f('default', U()),
  fk('default', false, [], { default_value: 'y', boolean: true }),
  // dictsort
  f('dictsort', { b: 1, A: 2, c: 0 }),
  f('dictsort', { b: 1, A: 2, c: 0 }, true),
  f('dictsort', { a: 'B', b: 'a', c: 'c' }, false, 'value'),
  fk('dictsort', { b: 1, A: 2, c: 0 }, [], { reverse: true }),
  f('dictsort', { a: 1 }, false, 'x'),
  f('dictsort', [1, 2]),
  f('dictsort', { a: 1, b: 'x' }, false, 'value'),
  // escape / e / forceescape / safe
  f('escape', '<a href="x">&\'</a>'),
  f('e', 5),
  f('escape', null),
  f('escape', U()),
  f('forceescape', '<b>&amp;</b>'),
  f('forceescape', 5),
  f('safe', '<b>'),
  f('safe', 5),
  f('safe', null),
  // filesizeformat
  f('filesizeformat', 100),
  f('filesizeformat', 1),
  f('filesizeformat', 1000),
  f('filesizeformat', 1500),
  f('filesizeformat', 1250),
  f('filesizeformat', 999999),
  f('filesizeformat', F(1000000)),
  f('filesizeformat', '2048', true),
  f('filesizeformat', 1073741824, true),
  f('filesizeformat', B('1000000000000000000000000000000')),
  f('filesizeformat', -5),
  f('filesizeformat', F(0.5)),
  f('filesizeformat', 'abc'),
  f('filesizeformat', null),
  f('filesizeformat', 123456789),
  // first / last
  f('first', [1, 2]),
  f('first', []),
  f('first', 'abc'),
  f('first', { a: 1, b: 2 }),
  f('first', U()),
  f('first', 5),
  f('last', [1, 2, 3]),
  f('last', 'abc'),
  f('last', []),
  f('last', S(1)),
  f('last', 5),
  f('last', { a: 1, b: 2 }),
  f('last', T(1, 2)),
  // float
  f('float', '3.5'),
  f('float', '1_000.5'),
  f('float', ' 2 '),
  f('float', 'abc'),
  f('float', 'abc', 1),
  f('float', null),
  f('float', 3),
  f('float', true),
  f('float', 'inf'),
  f('float', '-Infinity'),
  f('float', 'nan'),
  f('float', '1e400'),
  f('float', U()),
  f('float', '0x10'),
  f('float', '1__0'),
  f('float', '.5e-3'),
  // format
  f('format', '%s-%s', 1, 2),
  fk('format', '%(a)s!', [], { a: 1 }),
  f('format', '%d', F(3.7)),
  fk('format', '%s', [1], { a: 1 }),
  f('format', '%.2f', 3.14159),
  f('format', '%s', [1, 2]),
  f('format', '%s %s', 1),
  f('format', '%x|%5s|%-4d|', 255, 'ab', 7),
  f('format', 5),
  // groupby
  f('groupby', people, 'city'),
  fk('groupby', people, ['city'], { case_sensitive: true }),
  f('groupby', people, 'age'),
  fk('groupby', [{ a: 1 }, { b: 2 }, { a: 1 }], ['a'], { default: 0 }),
  f(
    'groupby',
    [
      [1, 'x'],
      [0, 'y'],
      [1, 'z'],
    ],
    '0',
  ),
  f('groupby', people, 'addr.zip'),
  f('groupby', [{ a: 1 }, { b: 2 }], 'a'),
  // indent
  f('indent', 'a\nb\n\nc'),
  f('indent', 'a\nb\n\nc', 2, true),
  fk('indent', 'a\nb\n\nc', [], { blank: true }),
  f('indent', 'a\nb', '> '),
  f('indent', 5),
  f('indent', 'a\r\nb\u2028c'),
  f('indent', ''),
  f('indent', 'x\ny', F(2)),
  f('indent', 'x\ny\n'),
  // int
  f('int', '42'),
  f('int', '3.7'),
  f('int', '-3.7'),
  f('int', '0x1A', 0, 16),
  f('int', '0x1A'),
  f('int', '0b101', 0, 0),
  f('int', '1_000'),
  f('int', 'abc'),
  f('int', 'abc', -1),
  f('int', F(3.9)),
  f('int', -3.9),
  f('int', true),
  f('int', null),
  f('int', '12345678901234567890123'),
  f('int', 'inf'),
  f('int', 'nan'),
  f('int', F(1e20)),
  f('int', U()),
  f('int', '  12  '),
  f('int', '12abc'),
  f('int', '1e3'),
  f('int', 'z', 0, 36),
  f('int', '10', 0, 1),
  f('int', '010', 0, 0),
  f('int', '0o17', 0, 8),
  f('int', [1]),
  f('int', F('inf')),
  f('int', F('nan'), 7),
  // items
  f('items', { a: 1, b: 2 }),
  f('items', U()),
  f('items', [1]),
  // join
  f('join', [1, 2, 3], ', '),
  f('join', []),
  f('join', 'abc', '-'),
  fk('join', people, [', '], { attribute: 'name' }),
  f('join', [1, null, true, F(1)]),
  f('join', [1, 2, 3], 0),
  f('join', { a: 1, b: 2 }),
  f('join', 5),
  f('join', [[1, 2], T(3)], '|'),
  // list
  f('list', 'abc'),
  f('list', T(1, 2)),
  f('list', { a: 1 }),
  f('list', 5),
  f('list', U()),
  f('list', null),
  // lower / upper
  f('lower', 'AbC'),
  f('lower', 5),
  f('lower', true),
  f('upper', null),
  f('upper', 'ßx'),
  f('upper', F(1.5)),
  f('lower', [1, 'A']),
  f('upper', U()),
  // map
  f('map', ['a', 'B'], 'upper'),
  fk('map', people, [], { attribute: 'name' }),
  fk('map', [{ a: 1 }, { b: 2 }], [], { attribute: 'a', default: 'z' }),
  f('map', ['aa', 'ba'], 'replace', 'a', 'x'),
  fk('map', ['aa', 'ba'], ['replace', 'a', 'x'], { count: 1 }),
  f('map', [], 'upper'),
  f('map', null, 'upper'),
  f('map', [1]),
  f('map', [1], 'nope'),
  fk('map', [{ a: 1 }], [], { attribute: 'a', x: 1 }),
  f('map', [[1, 2], [3]], 'length'),
  fk('map', [[1, 2], [3]], [], { attribute: '0' }),
  f('map', ['3', '4.5', 'x'], 'int'),
  f('map', [U(), 1], 'default', 'z'),
  fk('map', people, [], { attribute: 'addr.zip' }),
  // max / min
  f('max', [3, 1, 2]),
  f('min', [3, 1, 2]),
  f('max', ['b', 'A', 'c']),
  f('min', ['b', 'A', 'c']),
  f('min', ['b', 'a', 'B']),
  f('min', ['b', 'a', 'B'], true),
  f('max', []),
  fk('max', people, [], { attribute: 'age' }),
  fk('min', people, [], { attribute: 'age' }),
  fk('min', people, [], { attribute: 'name' }),
  f('max', [1, 'a']),
  f('max', 'hello'),
  f('min', { b: 1, a: 2 }),
  f('max', [1, F(1), true]),
  f('max', [F(2.5), 2, B('100000000000000000000')]),
  // pprint
  f('pprint', { b: 1, a: [1, 2], c: 'x' }),
  f(
    'pprint',
    Array.from({ length: 40 }, (_, i) => i),
  ),
  f('pprint', {
    key: Array.from({ length: 30 }, (_, i) => i * 100),
    other: { z: 'zzz', a: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' },
  }),
  f('pprint', lorem + ' ' + lorem),
  f('pprint', T(1, 'a', null)),
  f('pprint', 5),
  f('pprint', null),
  f('pprint', U()),
  f('pprint', [lorem, lorem, T(lorem)]),
  f('pprint', 'a\nb'),
  f('pprint', [[lorem + '\n' + lorem]]),
  // select / reject
  f('select', [1, 2, 3, 4], 'odd'),
  f('reject', [1, 2, 3, 4], 'odd'),
  f('select', [0, 1, '', null, 'a', []]),
  f('reject', [0, 1, '', null, 'a', []]),
  f('select', [3, 4, 6, 7, 9], 'divisibleby', 3),
  f('select', [1, 2, 3, 4], 'lessthan', 3),
  f('select', [1, 2, 3, 2], 'equalto', 2),
  f('select', [1, 2, 3], 'in', [1, 3]),
  f('select', [1], 'nope'),
  f('select', null, 'odd'),
  f('select', [U(), 1], 'defined'),
  f('reject', ['a', 'B', 'c'], 'upper'),
  f('select', [1, 'a'], 'odd'),
  // selectattr / rejectattr
  f('selectattr', people, 'active'),
  f('rejectattr', people, 'active'),
  f('selectattr', people, 'age', 'gt', 28),
  f('selectattr', people, 'email', 'none'),
  f('rejectattr', people, 'email', 'none'),
  f('selectattr', people),
  f('selectattr', people, 'addr.zip', 'equalto', '94000'),
  f('selectattr', [[1], [0], [2]], '0'),
  // replace
  f('replace', 'aaaa', 'a', 'b', 2),
  f('replace', 'abc', '', '-'),
  f('replace', 'abc', '', '-', 2),
  f('replace', 123, '2', 'x'),
  f('replace', true, 'ue', 'x'),
  f('replace', 'a', 'a', 'b', F(1)),
  f('replace', 'aaa', 'a', 'b', 0),
  f('replace', 'aaa', 'a', 'b', -1),
  f('replace', 'Hello World', 'Hello', 'Goodbye'),
  f('replace', 'a😀b😀', '😀', 1),
  // reverse
  f('reverse', 'abc'),
  f('reverse', [1, 2, 3]),
  f('reverse', T(1, 2)),
  f('reverse', { a: 1, b: 2 }),
  f('reverse', 5),
  f('reverse', S(1, 2)),
  f('reverse', U()),
  f('reverse', 'a😀b'),
  // round
  f('round', F(2.5)),
  f('round', 3.5),
  f('round', 2.675, 2),
  f('round', 0.125, 2),
  f('round', 42.55),
  f('round', 42.55, 1, 'floor'),
  f('round', 42.55, 1, 'ceil'),
  f('round', 3),
  f('round', 1250, -2),
  f('round', 1350, -2),
  f('round', -2.5),
  f('round', -0.4),
  f('round', 'x'),
  f('round', 2.5, 0, 'bad'),
  f('round', 2.5, F(1)),
  f('round', true),
  f('round', 12.345, -1),
  f('round', 15, -1, 'floor'),
  f('round', F(1e20), 2),
  f('round', F('nan')),
  f('round', F('inf')),
  f('round', U()),
  f('round', U(), 0, 'ceil'),
  f('round', 7, 1, 'ceil'),
  f('round', 1.005, 2),
  f('round', 0.5),
  f('round', 1.5),
  f('round', -7.25, 1, 'floor'),
  f('round', F('inf'), 0, 'floor'),
  f('round', 123.456, 5),
  // slice
  f('slice', [1, 2, 3, 4, 5, 6, 7], 3),
  f('slice', [1, 2, 3, 4, 5, 6, 7], 3, 'x'),
  f('slice', [1, 2], 3),
  f('slice', 'abcd', 2),
  f('slice', [1], 0),
  f('slice', [1, 2, 3], -1),
  // sort
  f('sort', [3, 1, 2]),
  f('sort', [3, 1, 2], true),
  f('sort', ['b', 'A', 'c']),
  f('sort', ['b', 'A', 'c'], false, true),
  fk('sort', people, [], { attribute: 'age' }),
  fk('sort', people, [], { attribute: 'age,name' }),
  fk('sort', people, [], { attribute: 'addr.zip', reverse: true }),
  f('sort', [1, 'a']),
  f('sort', 'cba'),
  f('sort', { b: 1, a: 2 }),
  f('sort', [T(2, 'a'), T(1, 'b'), T(1, 'a')]),
  fk(
    'sort',
    [
      { k: 1, n: 'a' },
      { k: 1, n: 'b' },
      { k: 0, n: 'c' },
    ],
    [],
    { attribute: 'k', reverse: true },
  ),
  fk('sort', [{ k: 1 }, { j: 1 }], [], { attribute: 'k' }),
  f('sort', [F('nan'), 1, 0]),
  f('sort', [U(), U()]),
  // string
  f('string', 5),
  f('string', null),
  f('string', [1, 'a']),
  f('string', U()),
  f('string', F(1)),
  f('string', T(1)),
  f('string', { a: T() }),
  f('string', F(1e16)),
  f('string', F(1e-5)),
  // striptags
  f('striptags', '<p>Hello <b>World</b></p>  &amp;  x'),
  f('striptags', '<!-- c --> a <br/>b'),
  f('striptags', 'a &lt;b&gt; &#65; &#x42; &nbsp; &copy &unknown; &#128;'),
  f('striptags', 5),
  f('striptags', 'a\n\tb   c'),
  // sum
  f('sum', [1, 2, 3]),
  f('sum', [F(1.5), 2]),
  f('sum', []),
  fk('sum', [1, 2], [], { start: 10 }),
  f('sum', [{ n: 1 }, { n: 2.5 }], 'n'),
  fk('sum', [[1], [2]], [], { start: [] }),
  f('sum', ['a']),
  fk('sum', [1], [], { start: 'x' }),
  f('sum', [1, U()]),
  f('sum', [true, true]),
  f('sum', [0.1, 0.2, 0.3]),
  f('sum', [B('9007199254740993'), 1]),
  // title
  f('title', 'hello world-foo (bar) [baz] {qux} <quux>'),
  f('title', "it's o'neil"),
  f('title', 'HELLO wORLD'),
  f('title', 5),
  f('title', 'a\tb  c'),
  // tojson
  f('tojson', { b: 1, a: [1, F(2), 'x', 2.5] }),
  f('tojson', "<script>&'"),
  f('tojson', 'é😀\n\u0001'),
  f('tojson', null),
  f('tojson', [true, false]),
  f('tojson', T(1, 2)),
  f('tojson', { z: { y: [1, { x: null }] }, a: [] }, 2),
  f('tojson', [1, [2]], 0),
  f('tojson', S(1)),
  f('tojson', U()),
  f('tojson', [F('nan'), F('inf'), F('-inf')]),
  f('tojson', B('123456789012345678901234567890')),
  f('tojson', {}, 2),
  fk('tojson', [], [], { indent: 2 }),
  f('tojson', [F(1e16), 0.1, F('-0')]),
  f('string', F('-0')),
  f('tojson', { a: 1 }, '\t'),
  // trim
  f('trim', '  a  '),
  f('trim', 'xxaxx', 'x'),
  f('trim', 5),
  f('trim', '\u00a0a\u3000\u001f'),
  f('trim', 'abc', 5),
  f('trim', '\ufeffa'),
  f('trim', 'abcba', 'ab'),
  // truncate
  f('truncate', 'foo bar baz qux', 9),
  f('truncate', 'foo bar baz qux', 9, true),
  f('truncate', 'foo bar baz qux', 11),
  f('truncate', 'foo bar baz qux', 11, false, '...', 0),
  f('truncate', lorem.repeat(4)),
  f('truncate', 'abc', 2),
  f('truncate', 5),
  f('truncate', 'abcdefghij', 5, true, '', 0),
  f('truncate', 'foobarbazqux', 6, false, '...', 0),
  f('truncate', 'abc', 5, false, '...', -1),
  f('truncate', U()),
  fk('truncate', 'héllo wörld ünïcode', [10], { leeway: 0, end: '…' }),
  // unique
  f('unique', ['a', 'A', 'b', 'a']),
  f('unique', ['a', 'A', 'b', 'a'], true),
  f('unique', [1, F(1), true, 2, F(2.5), 2.5]),
  f('unique', [[1], [1]]),
  fk('unique', people, [], { attribute: 'city' }),
  f('unique', 'aAbB'),
  f('unique', [T(1, 2), T(1, 2), T(2)]),
  f('unique', [null, null, U(), U()]),
  // urlencode
  f('urlencode', 'a b/c?d=é&'),
  f('urlencode', { a: '1 2', b: 'x/y' }),
  f('urlencode', [
    ['a', 1],
    ['b', 2],
  ]),
  f('urlencode', 5),
  f('urlencode', null),
  f('urlencode', T(T('k', 'v'))),
  f('urlencode', [1]),
  f('urlencode', U()),
  f('urlencode', ['ab']),
  f('urlencode', "!*'()~_.-"),
  // urlize
  f('urlize', 'visit www.example.com now'),
  f('urlize', 'see http://x.org/a?b=1.'),
  f('urlize', 'mail me@example.com or mailto:a@b.co'),
  f('urlize', '(https://example.com/x_(y))'),
  f('urlize', 'foo <bar> & example.org'),
  fk('urlize', 'ftp://x.y z', [], { extra_schemes: ['ftp://'] }),
  f('urlize', 'https://averyveryverylongdomain.com/path', 10),
  fk('urlize', 'https://a.io', [], { nofollow: true, target: '_blank', rel: 'x y' }),
  f('urlize', 'https://192.168.0.1:8080/x and https://[::1]/'),
  fk('urlize', 'x', [], { extra_schemes: ['bad scheme'] }),
  f('urlize', 'a@b'),
  // wordcount
  f('wordcount', 'hello world, foo_bar 42'),
  f('wordcount', ''),
  f('wordcount', 5),
  f('wordcount', 'héllo wörld-x'),
  // wordwrap
  f('wordwrap', lorem, 20),
  f('wordwrap', 'a supercalifragilisticexpialidocious word', 10, false),
  f('wordwrap', 'a supercalifragilisticexpialidocious word', 10),
  fk('wordwrap', lorem, [30], { wrapstring: '<br>' }),
  fk('wordwrap', 'a-very-long-hyphenated-word-here ok', [10], { break_on_hyphens: false }),
  f('wordwrap', 'a-very-long-hyphenated-word-here ok', 10),
  f('wordwrap', 'para one is here\npara two is longer than that', 12),
  f('wordwrap', 5),
  f('wordwrap', 'abc', 0),
  f('wordwrap', 'x -- y -- zzzzzz', 4),
  f('wordwrap', '   leading and trailing   ', 8),
  f('wordwrap', ''),
  // xmlattr
  f('xmlattr', { class: 'a"b<', id: null, x: U(), 'data-y': 1 }),
  f('xmlattr', { a: 'b' }, false),
  f('xmlattr', { 'a b': 1 }),
  f('xmlattr', {}),
  f('xmlattr', [1]),

  // more edges
  f('truncate', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3, false, '...', 0),
  f('truncate', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3, true, '...', 0),
  f('truncate', '😀'.repeat(20), 10, true, '...', 0),
  f('truncate', 'ab 😀😀😀 cd ef', 10, false, '...', 0),
  fk('round', 2.5, [], { precision: null }),
  fk('round', 3.5, [], { precision: null }),
  fk('round', F(-7), [], { precision: null }),
  fk('round', 7, [], { precision: null }),
  f('pprint', S(...Array.from({ length: 40 }, (_, i) => i))),
  f('pprint', ['first line\n', 'x'.repeat(90)]),
  f('pprint', { k: 'short\nlines\n' + 'y '.repeat(50) }),
  fk(
    'sort',
    [
      [2, 'a'],
      [1, 'b'],
    ],
    [],
    { attribute: 0 },
  ),
  fk(
    'map',
    [
      [2, 'a'],
      [1, 'b'],
    ],
    [],
    { attribute: 1 },
  ),
  fk('map', [[3, 1, 2]], ['sort'], { reverse: true }),
  fk('select', [1, 2, 3, 4], ['divisibleby'], { num: 2 }),
  f('reject', [1, null, 2], 'none'),
  f('center', '😀', 5),
  f('wordwrap', '😀😀😀 😀😀😀😀😀 😀', 4),
  f('int', '+5'),
  f('int', '-0x1f', 0, 16),
  f('int', ' 0X1f ', 0, 0),
  f('int', '0x_1f', 0, 16),
  f('int', '1__0'),
  f('int', '_1'),
  f('int', '0b12', 0, 0),
  f('float', '+1.5E3'),
  f('float', '1.'),
  f('float', 'e5'),
  f('float', '1_'),
  f('filesizeformat', B('10000000000000000000000000000')),
  f('filesizeformat', F('inf')),
  f('filesizeformat', B('1000000000000000000000000')),
  f('filesizeformat', B('1208925819614629174706176'), true),
  f('filesizeformat', F(1e24)),
  f('dictsort', { a: 1, b: 'x', c: null }, false, 'value'),
  f('xmlattr', { 'a&b': "'x'" }),
  f('urlize', 'see <http://x.org> and www.x.com).'),
  f('urlize', 'https://x.org/(a)) trailing'),
  f('urlize', 'xn--bcher-kva.example and foo.com, bar.info'),
  f('items', { a: T(1, 2), b: [] }),
  f('sum', people, 'addr.zip'),
  fk('sum', people, [], { attribute: 'age', start: F(0.5) }),
  fk(
    'join',
    [
      [1, 2],
      [3, 4],
    ],
    ['-'],
    { attribute: 1 },
  ),
  f('first', S(1)),
  f('groupby', [{ a: null }, { a: 'x' }], 'a'),
  f('groupby', [{ a: 'B' }, { a: 'b' }, { a: 'a' }], 'a'),
  fk('indent', 'a\n\nb', ['--'], { blank: true, first: true }),
  fk('max', people, [], { attribute: 'addr.zip', case_sensitive: true }),
  f('min', [F('nan'), 1, 0]),
  f('reverse', [U()]),
  f('list', [U(), null]),
  f('batch', 'abc', 2, 0),
  f('slice', [1, 2, 3, 4], 2, 0),
  f('title', ''),
  f('title', 'ǆemal ßtraße'),
  f('capitalize', 'ǆemal'),
  f('wordcount', 'a\u0301b c'),
  f('trim', 'x', null),
  f('replace', '', '', 'x'),
  f('format', '%s', null),
  fk('format', '%(a)s %(b)r', [], { a: 'x', b: 'y' }),
  f('tojson', { '<a>': "'&'" }),
  f('tojson', ['\u007f\u0080\u2028']),
  f('urlencode', { 'k&=': 'v v+', '': '' }),
  t('in', [1], { a: 1 }),
  t('in', 'a', S('a')),
  t('sameas', 1, 1),
  t('lower', U()),
  t('upper', 'ÀÉ'),
  t('eq', U(), null),
  t('ne', U(), null),
  t('divisibleby', 'a', 2),
  t('even', B('123456789012345678901234567890')),
  t('odd', true),
  t('iterable', T()),
  t('number', B('123456789012345678901234567890')),
  t('float', F('inf')),
  t('string', U()),
  t('defined', 0),

  // tests
  t('odd', 3),
  t('odd', 4),
  t('odd', F(3)),
  t('odd', -3),
  t('odd', 'a'),
  t('odd', null),
  t('odd', U()),
  t('even', 4),
  t('even', F(2.5)),
  t('divisibleby', 9, 3),
  t('divisibleby', 10, 3),
  t('divisibleby', 1, 0),
  t('divisibleby', F(4.5), F(1.5)),
  t('defined', U()),
  t('defined', null),
  t('undefined', U()),
  t('undefined', 0),
  t('filter', 'upper'),
  t('filter', 'nope'),
  t('filter', 'as_bool'),
  t('filter', [1]),
  t('test', 'odd'),
  t('test', '=='),
  t('test', 'nope'),
  t('test', 5),
  t('none', null),
  t('none', U()),
  t('boolean', true),
  t('boolean', 1),
  t('false', false),
  t('false', 0),
  t('true', true),
  t('true', 1),
  t('integer', 1),
  t('integer', F(1)),
  t('integer', true),
  t('integer', B('123456789012345678901234567890')),
  t('float', F(1)),
  t('float', 1.5),
  t('float', 1),
  t('float', F('nan')),
  t('lower', 'abc'),
  t('lower', 'aBc'),
  t('lower', '123'),
  t('lower', 'ß1'),
  t('lower', 5),
  t('upper', 'ABC1'),
  t('upper', '1'),
  t('upper', 'ǅ'),
  t('upper', true),
  t('string', 'a'),
  t('string', 1),
  t('mapping', {}),
  t('mapping', []),
  t('mapping', U()),
  t('number', 1),
  t('number', F(1)),
  t('number', true),
  t('number', 'a'),
  t('number', null),
  t('sequence', 'a'),
  t('sequence', []),
  t('sequence', {}),
  t('sequence', S(1)),
  t('sequence', 5),
  t('sequence', U()),
  t('sequence', null),
  t('sequence', T()),
  t('iterable', 'a'),
  t('iterable', 5),
  t('iterable', {}),
  t('iterable', U()),
  t('iterable', null),
  t('iterable', S()),
  t('callable', 5),
  t('callable', U()),
  t('sameas', null, null),
  t('sameas', true, true),
  t('sameas', false, 0),
  t('sameas', null, false),
  t('escaped', 'a'),
  t('in', 1, [1, 2]),
  t('in', 'a', 'abc'),
  t('in', 'a', { a: 1 }),
  t('in', 1, 5),
  t('in', 1, 'abc'),
  t('in', 3, U()),
  t('in', T(1), [T(1)]),
  t('eq', 1, F(1)),
  t('==', 'a', 'a'),
  t('equalto', [1], T(1)),
  t('ne', 1, 2),
  t('!=', 1, true),
  t('lt', 'a', 'b'),
  t('lt', 1, 'a'),
  t('<', [1, 2], [1, 3]),
  t('lessthan', U(), 1),
  t('le', 2, F(2)),
  t('<=', 3, 2),
  t('gt', F(2.5), 2),
  t('>', 'b', 'a'),
  t('greaterthan', 1, null),
  t('ge', 2, 2),
  t('>=', T(1, 2), T(1)),
  t('ge', 1, U()),
  t('eq', U(), U()),
  t('eq', { a: 1 }, { a: 1 }),
];

// ---------------------------------------------------------------------------------------------
// The oracle

const ORACLE = String.raw`
import collections.abc, json, sys, types
try:
    import jinja2
    from markupsafe import Markup
except ImportError as exc:
    sys.stderr.write("missing Python package: %s\n" % exc)
    sys.exit(3)

env = jinja2.Environment(autoescape=False)
for name in ("as_text", "as_bool", "as_native", "as_number"):
    env.filters[name] = lambda x: x
ctx = env.from_string("").new_context()

def dec(e):
    if isinstance(e, list):
        return [dec(x) for x in e]
    if isinstance(e, dict):
        if len(e) == 1:
            (k, v), = e.items()
            if k == "$float": return float(v)
            if k == "$tuple": return tuple(dec(x) for x in v)
            if k == "$set": return set(dec(x) for x in v)
            if k == "$undef": return env.undefined(hint=v)
            if k == "$big": return int(v)
        return {k: dec(v) for k, v in e.items()}
    return e

def norm(r):
    if isinstance(r, Markup): return str(r)
    if isinstance(r, (str, jinja2.Undefined)): return r
    if isinstance(r, tuple): return tuple(norm(x) for x in r)
    if isinstance(r, list): return [norm(x) for x in r]
    if isinstance(r, dict): return {k: norm(v) for k, v in r.items()}
    if isinstance(r, (types.GeneratorType, collections.abc.Iterator)): return [norm(x) for x in r]
    return r

out = []
for kind, name, value, args, kwargs in json.load(sys.stdin):
    try:
        v, a, k = dec(value), dec(args), dec(kwargs)
        if kind == "filter":
            r = env.call_filter(name, v, a, k, context=ctx)
        else:
            r = env.call_test(name, v, a, k, context=ctx)
        out.append(repr(norm(r)))
    except Exception as e:
        out.append("ERR:" + type(e).__name__)
print(json.dumps(out))
`;

function runOracle(input: Probe[]): string[] {
  if (!existsSync(PYTHON)) assert.fail(`${PYTHON} is missing: ${INSTALL_HINT}`);
  const r = spawnSync(PYTHON, ['-c', ORACLE], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) assert.fail(`Python's jinja2 oracle failed (${INSTALL_HINT}): ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout) as string[];
}

function runKiln([kind, name, value, args, kwargs]: Probe): string {
  try {
    const kw: Kwargs = Object.keys(kwargs).length ? (decode(kwargs) as Record<string, unknown>) : undefined;
    const pos = args.map(decode);
    if (kind === 'filter') {
      const fn = builtinFilters[name];
      if (!fn) return `ERR:TemplateRuntimeError`;
      return repr(fn(env, decode(value), pos, kw));
    }
    const fn = builtinTests[name];
    if (!fn) return `ERR:TemplateRuntimeError`;
    return repr(fn(env, decode(value), pos, kw));
  } catch (e) {
    if (e instanceof JinjaError) return `ERR:${e.pyType}`;
    return `ERR:JS ${(e as Error).stack}`;
  }
}

test('the probes cover every built-in filter and test', () => {
  assert.ok(probes.length >= 200, `only ${probes.length} probes`);
  const probed = new Set(probes.map(([kind, name]) => `${kind}:${name}`));
  const unprobed = [
    ...Object.keys(builtinFilters)
      .filter((n) => !n.startsWith('as_') && n !== 'random')
      .map((n) => `filter:${n}`),
    ...Object.keys(builtinTests).map((n) => `test:${n}`),
  ].filter((k) => !probed.has(k));
  assert.deepEqual(unprobed, []);
});

test("kiln's filters and tests answer as Jinja2's do", () => {
  const want = runOracle(probes);
  assert.equal(want.length, probes.length);
  const differences: string[] = [];
  probes.forEach((p, i) => {
    const got = runKiln(p);
    if (got !== want[i]) {
      const [kind, name, value, args, kwargs] = p;
      differences.push(
        `${kind} ${name} value=${JSON.stringify(value)} args=${JSON.stringify(args)} kwargs=${JSON.stringify(kwargs)}\n    jinja2: ${want[i]}\n    kiln:   ${got}`,
      );
    }
  });
  assert.equal(
    differences.length,
    0,
    `${differences.length} of ${probes.length} probes differ:\n  ${differences.join('\n  ')}`,
  );
});

test('random picks an element, or Undefined from an empty sequence', () => {
  const pick = builtinFilters.random!;
  for (let i = 0; i < 20; i++) assert.ok([1, 2, 3].includes(pick(env, [1, 2, 3], [], undefined) as number));
  assert.ok(['a', 'b'].includes(pick(env, 'ab', [], undefined) as string));
  assert.ok(pick(env, [], [], undefined) instanceof Undefined);
  assert.throws(() => pick(env, 5, [], undefined), /subscriptable/);
});

test("dbt's as_* filters convert Python literals and pass anything else through", () => {
  const apply = (name: string, v: unknown) => repr(builtinFilters[name]!(env, v, [], undefined));
  assert.equal(apply('as_number', '5'), '5');
  assert.equal(apply('as_number', ' 2.50 '), '2.5');
  assert.equal(apply('as_number', '\n2'), '2');
  assert.equal(apply('as_number', '# c\n\n  2'), "'# c\\n\\n  2'");
  assert.equal(apply('as_native', '(1)'), '1');
  assert.equal(apply('as_native', "'\\q'"), "'\\\\q'");
  assert.equal(apply('as_native', '+True'), "'+True'");
  assert.equal(apply('as_native', '1 2'), "'1 2'");
  assert.equal(apply('as_native', '[1,]'), '[1]');
  assert.equal(apply('as_number', '2.50'), '2.5');
  assert.equal(apply('as_number', '-1_000'), '-1000');
  assert.equal(apply('as_number', '0x10'), '16');
  assert.equal(apply('as_number', 'abc'), "'abc'");
  assert.equal(apply('as_number', 'True'), "'True'");
  assert.equal(apply('as_number', 7), '7');
  assert.equal(apply('as_bool', 'True'), 'True');
  assert.equal(apply('as_bool', 'false'), "'false'");
  assert.equal(apply('as_bool', true), 'True');
  assert.equal(apply('as_bool', '1'), "'1'");
  assert.equal(apply('as_text', 5), "'5'");
  assert.equal(apply('as_text', null), "'None'");
  assert.equal(
    apply('as_native', "[1, 'a', (2,), {'k': None}, {3}, 1e3, \"x\\ty\"]"),
    "[1, 'a', (2,), {'k': None}, {3}, 1000.0, 'x\\ty']",
  );
  assert.equal(apply('as_native', '(1, 2)'), '(1, 2)');
  assert.equal(apply('as_native', '1, 2,'), '(1, 2)');
  assert.equal(apply('as_native', "'a' 'b'  # comment"), "'ab'");
  assert.equal(apply('as_native', '[1,\n 2]\n'), '[1, 2]');
  assert.equal(apply('as_native', '1\n2'), "'1\\n2'");
  assert.equal(apply('as_native', 'set()'), 'set()');
  assert.equal(apply('as_native', '{}'), '{}');
  assert.equal(apply('as_native', '()'), '()');
  assert.equal(apply('as_native', '-0.0'), '-0.0');
  assert.equal(apply('as_native', '--1'), "'--1'");
  assert.equal(apply('as_native', '01'), "'01'");
  assert.equal(apply('as_native', '1j'), "'1j'");
  assert.equal(apply('as_native', 'None'), 'None');
  assert.equal(apply('as_native', "r'\\d' u'\\x41\\101\\u00e9'"), "'\\\\dAAé'");
  assert.equal(apply('as_native', '{[1]: 2}'), "'{[1]: 2}'");
  assert.equal(apply('as_native', '"""a\nb"""'), "'a\\nb'");
  assert.equal(apply('as_native', '[1, 2'), "'[1, 2'");
  assert.equal(apply('as_native', "'unterminated"), '"\'unterminated"');
  assert.equal(apply('as_native', '{1: 2, 3: 4,}'), "{'1': 2, '3': 4}");
  assert.equal(apply('as_native', '{1, 1, 2}'), '{1, 2}');
  assert.equal(apply('as_native', '[]'), '[]');
  assert.equal(apply('as_native', 'foo'), "'foo'");
});

test('groupby results unpack as tuples and carry .grouper and .list', () => {
  const groups = builtinFilters.groupby!(env, decode(people), ['city'], undefined) as unknown[][];
  assert.ok(isTuple(groups[0]));
  const g = groups[0] as unknown[] & { grouper?: unknown; list?: unknown[] };
  assert.equal(g.grouper, 'ca');
  assert.equal(g.list, g[1]);
  assert.deepEqual(Object.keys(g), ['0', '1']);
});

test('filters take keyword arguments by their Python names and check them', () => {
  const run = (name: string, value: unknown, pos: unknown[], kw?: Kwargs) => builtinFilters[name]!(env, value, pos, kw);
  assert.equal(run('truncate', 'foo bar baz qux', [], { length: 9, killwords: true }), 'foo ba...');
  assert.throws(
    () => run('truncate', 'x', [], { nope: 1 }),
    (e: unknown) => e instanceof JinjaError && e.pyType === 'TypeError',
  );
  assert.throws(
    () => run('center', 'x', [1, 2]),
    (e: unknown) => e instanceof JinjaError && e.pyType === 'TypeError',
  );
  assert.ok(run('float', 'x', []) instanceof PyFloat);
});

test('urlize and wordwrap make their Unicode regular expressions when first used, not when the filters load', () => {
  const moduleUrl = new URL('../src/template/jinja/filters.js', import.meta.url).href;
  const script = `
    const Made = RegExp;
    let unicodeClasses = 0;
    globalThis.RegExp = new Proxy(Made, {
      construct(target, args) {
        if (String(args[0]).includes('\\\\p{L}')) unicodeClasses++;
        return Reflect.construct(target, args);
      },
    });
    const { builtinFilters } = await import(${JSON.stringify(moduleUrl)});
    console.log(JSON.stringify({ atLoad: unicodeClasses, filters: ['urlize', 'wordwrap'].every((f) => f in builtinFilters) }));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), { atLoad: 0, filters: true });
});
