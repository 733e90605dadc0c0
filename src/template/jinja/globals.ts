/** Jinja2's default globals: range, dict, lipsum, cycler, joiner and namespace. */
import { bindArgs } from './arguments.js';
import { makeNamespace } from './runtime.js';
import {
  CALL,
  JinjaError,
  PyRange,
  dictKeys,
  dictSet,
  isDict,
  isInt,
  iterate,
  makeTuple,
  pyFunction,
  toNumber,
  typeError,
  valueError,
  type PyCall,
  type Kwargs,
} from './values.js';
import { pyStr } from './repr.js';

/** Jinja's sandbox refuses ranges longer than this. */
const MAX_RANGE = 100000;

function range(pos: unknown[], kw: Kwargs): PyRange {
  if (kw && Object.keys(kw).length) throw typeError('range() takes no keyword arguments');
  if (pos.length < 1 || pos.length > 3) throw typeError(`range expected at most 3 arguments, got ${pos.length}`);
  for (const p of pos)
    if (!isInt(p) && typeof p !== 'boolean')
      throw typeError(`'${typeof p === 'string' ? 'str' : 'float'}' object cannot be interpreted as an integer`);
  const [start, stop, step] =
    pos.length === 1
      ? [0, toNumber(pos[0]), 1]
      : [toNumber(pos[0]), toNumber(pos[1]), pos.length === 3 ? toNumber(pos[2]) : 1];
  if (step === 0) throw valueError('range() arg 3 must not be zero');
  const r = new PyRange(start, stop, step);
  if (r.__len__() > MAX_RANGE)
    throw new JinjaError(
      'OverflowError',
      `Range too big. The sandbox blocks ranges larger than MAX_RANGE (${MAX_RANGE}).`,
    );
  return r;
}

function dict(pos: unknown[], kw: Kwargs): Record<string, unknown> {
  if (pos.length > 1) throw typeError(`dict expected at most 1 argument, got ${pos.length}`);
  const out: Record<string, unknown> = {};
  const src = pos[0];
  if (isDict(src)) for (const k of dictKeys(src)) dictSet(out, k, src[k]);
  else if (src !== undefined && src !== null) {
    for (const pair of iterate(src)) {
      const kv = iterate(pair);
      if (kv.length !== 2)
        throw valueError(`dictionary update sequence element has length ${kv.length}; 2 is required`);
      dictSet(out, kv[0], kv[1]);
    }
  }
  if (kw) for (const k of Object.keys(kw)) dictSet(out, k, kw[k]);
  return out;
}

/** `cycler(a, b, c)`: `.next()` walks the items round and round; `.current` is the next one. */
class Cycler {
  #pos = 0;
  readonly #items: unknown[];
  constructor(items: unknown[]) {
    this.#items = items;
  }
  get items(): unknown[] {
    return makeTuple([...this.#items]);
  }
  get current(): unknown {
    return this.#items[this.#pos];
  }
  next(): unknown {
    const v = this.#items[this.#pos];
    this.#pos = (this.#pos + 1) % this.#items.length;
    return v;
  }
  reset(): null {
    this.#pos = 0;
    return null;
  }
}

const words = (
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do ' +
  'eiusmod tempor incididunt ut labore et dolore magna aliqua'
).split(' ');

function lipsum(pos: unknown[], kw: Kwargs): string {
  const [n, html, min, max] = bindArgs(
    'generate_lorem_ipsum',
    [
      ['n', 5],
      ['html', true],
      ['min', 20],
      ['max', 100],
    ],
    pos,
    kw,
  ) as [number, boolean, number, number];
  const paragraphs: string[] = [];
  for (let p = 0; p < toNumber(n); p++) {
    const count = toNumber(min) + ((p * 7) % Math.max(1, toNumber(max) - toNumber(min)));
    const text = Array.from({ length: count }, (_, i) => words[(i + p) % words.length]).join(' ');
    paragraphs.push(text.charAt(0).toUpperCase() + text.slice(1) + '.');
  }
  return html ? paragraphs.map((t) => `<p>${t}</p>`).join('\n') : paragraphs.join('\n\n');
}

/** Jinja's `self`: a reference to the template's blocks, which dbt projects do not use. */
class TemplateReference {
  __repr__(): string {
    return '<TemplateReference None>';
  }
}

export function jinjaGlobals(): Record<string, unknown> {
  const fn = (name: string, impl: PyCall) => pyFunction(name, impl);
  return {
    range: fn('range', range),
    dict: fn('dict', dict),
    lipsum: fn('lipsum', lipsum),
    cycler: fn('cycler', (pos) => {
      if (pos.length === 0) throw typeError('at least one item has to be provided');
      return new Cycler(pos);
    }),
    joiner: fn('joiner', (pos, kw) => {
      const [sep] = bindArgs('joiner', [['sep', ', ']], pos, kw);
      let used = false;
      const j = fn('joiner', () => {
        if (!used) {
          used = true;
          return '';
        }
        return pyStr(sep);
      });
      return j;
    }),
    namespace: fn('namespace', (pos, kw) => makeNamespace(pos, kw)),
    self: new TemplateReference(),
  };
}

export { CALL };
