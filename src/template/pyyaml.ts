/**
 * YAML as dbt's `fromyaml` and `toyaml` read and write it: PyYAML's safe_load (YAML 1.1:
 * `yes` is true, `010` is octal, `1e3` without a dot is text, dates are dates) and
 * safe_dump (block style, sequences not indented under their key, single quotes for text
 * that would read back as something else).
 */
import jsYaml from 'js-yaml';
import type { Node } from 'yaml';
import { yamlLibrary } from '../yaml/library.js';
import { refuseAliasExpansion } from '../yaml/aliases.js';
import { PyFloat, dictKeys, isDict, iterate, makeFloat, makeInt, typeError, typeName } from './jinja/values.js';
import { PyDate, PyDateTime, PyTime } from './modules/index.js';

/** Text PyYAML's resolver would read back as a bool, null, number or date: it must be quoted. */
const implicitTypes = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^[-+]?(?:0b[0-1_]+|0[0-7_]+|(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/,
];

/** A YAML 1.1 scalar type as PyYAML's resolver knows it: a pattern and how to build the value. */
function scalarType(tag: string, pattern: RegExp, construct: (text: string) => unknown): jsYaml.Type {
  return new jsYaml.Type(`tag:yaml.org,2002:${tag}`, {
    kind: 'scalar',
    resolve: (text: string | null) => pattern.test(text ?? ''),
    construct: (text: string | null) => construct(text ?? ''),
  });
}

function yaml11Int(text: string): unknown {
  const t = text.replace(/_/g, '');
  const sign = t.startsWith('-') ? -1n : 1n;
  const body = t.replace(/^[-+]/, '');
  let n: bigint;
  if (body.includes(':')) n = body.split(':').reduce((acc, part) => acc * 60n + BigInt(part), 0n);
  else if (/^0b/.test(body)) n = BigInt(body);
  else if (/^0x/.test(body)) n = BigInt(body);
  else if (/^0[0-7]+$/.test(body)) n = BigInt('0o' + body.slice(1));
  else n = BigInt(body);
  return makeInt(sign * n);
}

function yaml11Float(text: string): unknown {
  const t = text.replace(/_/g, '').toLowerCase();
  if (t.endsWith('.inf')) return t.startsWith('-') ? -Infinity : Infinity;
  if (t === '.nan') return NaN;
  if (t.includes(':')) {
    const sign = t.startsWith('-') ? -1 : 1;
    return makeFloat(
      sign *
        t
          .replace(/^[-+]/, '')
          .split(':')
          .reduce((acc, part) => acc * 60 + Number(part), 0),
    );
  }
  return makeFloat(Number(t));
}

function yaml11Timestamp(text: string): unknown {
  const date = /^(\d{4})-(\d\d?)-(\d\d?)$/.exec(text);
  if (date) return new PyDate(Number(date[1]), Number(date[2]), Number(date[3]));
  const m =
    /^(\d{4})-(\d\d?)-(\d\d?)(?:[Tt]|[ \t]+)(\d\d?):(\d\d):(\d\d)(?:\.(\d*))?(?:[ \t]*(Z|[-+]\d\d?(?::?\d\d)?))?$/.exec(
      text,
    )!;
  const [, y, mo, d, h, mi, sec, frac = '', tz] = m;
  const us = Number((frac + '000000').slice(0, 6));
  if (!tz) return PyDateTime.make(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(sec), us);
  const iso = `${y}-${mo!.padStart(2, '0')}-${d!.padStart(2, '0')}T${h!.padStart(2, '0')}:${mi}:${sec}.${String(us).padStart(6, '0').slice(0, 3)}${tz === 'Z' ? 'Z' : tz.length <= 3 ? `${tz}:00` : tz.includes(':') ? tz : `${tz.slice(0, 3)}:${tz.slice(3)}`}`;
  return PyDateTime.fromDate(new Date(iso), null);
}

/** PyYAML's safe_load resolvers (YAML 1.1), without the `yaml` package's environment reads. */
export const pyyamlSchema = jsYaml.FAILSAFE_SCHEMA.extend({
  implicit: [
    scalarType('null', /^(?:~|null|Null|NULL|)$/, () => null),
    scalarType('bool', implicitTypes[0]!, (t) => /^(?:yes|true|on)$/i.test(t)),
    scalarType('int', implicitTypes[2]!, yaml11Int),
    scalarType('float', implicitTypes[3]!, yaml11Float),
    scalarType('timestamp', implicitTypes[4]!, yaml11Timestamp),
    (jsYaml as unknown as { types: { merge: jsYaml.Type } }).types.merge,
  ],
});

/** A template's YAML is untrusted like a file's: an alias bomb is refused before anything walks it. */
export function fromYaml(text: string): unknown {
  const data = jsYaml.load(text, { schema: pyyamlSchema }) ?? null;
  refuseAliasExpansion(data, text, 'the text given to fromyaml');
  return data;
}

function toNode(value: unknown, sortKeys: boolean): Node {
  const { Pair, Scalar, YAMLMap, YAMLSeq } = yamlLibrary();
  if (value instanceof PyFloat) {
    const s = new Scalar(value.value);
    s.minFractionDigits = 1;
    return s;
  }
  if (typeof value === 'string') {
    const s = new Scalar(value);
    if (implicitTypes.some((re) => re.test(value))) s.type = 'QUOTE_SINGLE';
    return s;
  }
  if (
    value === null ||
    value === undefined ||
    typeof value === 'boolean' ||
    typeof value === 'number' ||
    typeof value === 'bigint'
  )
    return new Scalar(value ?? null);
  if (value instanceof PyDate || value instanceof PyTime) return new Scalar(String(value));
  if (isDict(value)) {
    const map = new YAMLMap();
    const keys = dictKeys(value);
    if (sortKeys) keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const k of keys) map.items.push(new Pair(toNode(k, sortKeys), toNode(value[k], sortKeys)));
    return map;
  }
  if (Array.isArray(value)) {
    const seq = new YAMLSeq();
    for (const item of iterate(value)) seq.items.push(toNode(item, sortKeys));
    return seq;
  }
  throw typeError(`cannot represent an object: ${typeName(value)}`);
}

export function toYaml(value: unknown, sortKeys = false): string {
  const { Document } = yamlLibrary();
  const doc = new Document(null);
  doc.contents = toNode(value, sortKeys);
  return doc.toString({ indentSeq: false, singleQuote: true, lineWidth: 0 });
}
