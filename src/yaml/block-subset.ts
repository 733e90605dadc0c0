/**
 * A reader for the plain block YAML nearly every properties file is written in: mappings and sequences by
 * indentation, one-line scalars (plain, or quoted without escapes), `[a, 'b']` of one-line scalars, literal and folded
 * block scalars under keys, comments. It gives exactly the data js-yaml's core schema gives, or declines (undefined)
 * at the first thing outside that subset (flow mappings, nested flow sequences, anchors, tags, multi-line plain or
 * quoted scalars, tabs, documents, anything ambiguous), and the caller loads the text with js-yaml, which also
 * reports every error. Why: on a cold start js-yaml's character-by-character parser runs in
 * V8's interpreter, ~0.5 ms per kilobyte; a line at a time with regular expressions (compiled to machine code at
 * once) is several times faster, and a project's properties are most of the YAML a parse reads.
 */

/** Characters js-yaml accepts in any text, minus tabs, carriage returns and surrogates (declined, not judged). */
const plainText = /^[\n\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd]*$/;
/** A key: a word (dbt's `+materialized` too) that the core schema reads as a string, not a number, bool or null. */
const keyLine = /^(\+?[A-Za-z_][\w./+-]*):(?:$| +(.*)$)/;
const nonStringKey = /^(?:null|Null|NULL|true|True|TRUE|false|False|FALSE)$/;
const intText = /^(?:0|-?[1-9][0-9]{0,14})$/;
const floatText = /^-?(?:0|[1-9][0-9]{0,14})\.[0-9]{1,15}$/;
/** How a plain scalar that is surely a string starts: no indicator, nothing a number, null or bool could start with. */
const stringStart = /^[A-Za-z_(/$]/;
/** A block scalar's header: its style and chomping (keep, `+`, and indentation indicators are declined). */
const blockHeader = /^([|>])(-?)(?: +#.*)?$/;
const singleQuoted = /^'((?:[^']|'')*)'(?: +#.*)?$/;
const doubleQuoted = /^"([^"\\]*)"(?: +#.*)?$/;

/** What a text reads as: `{ data }`, or undefined when it is outside the subset (load it with js-yaml). */
export function readBlockYaml(text: string): { data: unknown } | undefined {
  if (!plainText.test(text)) return undefined;
  const lines = significantLines(text);
  if (!lines?.length || lines[0]!.indent !== 0) return undefined;
  const reader = new BlockReader(text, lines);
  const data = reader.node(0);
  return data === declined || reader.at !== lines.length ? undefined : { data };
}

interface Line {
  indent: number;
  /** The line without its indentation and trailing spaces. */
  content: string;
  /** Where the line starts in the text. */
  start: number;
  /** Where the next line starts. */
  next: number;
}

/** The lines that hold data, comments and blank lines left out; undefined for a document marker or directive. */
function significantLines(text: string): Line[] | undefined {
  const out: Line[] = [];
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let indent = start;
    while (indent < end && text.charCodeAt(indent) === 32) indent++;
    let last = end;
    while (last > indent && text.charCodeAt(last - 1) === 32) last--;
    if (last > indent && text.charCodeAt(indent) !== 35 /* # */) {
      const content = text.slice(indent, last);
      if (indent === start && (content.startsWith('---') || content.startsWith('...') || content[0] === '%'))
        return undefined;
      out.push({ indent: indent - start, content, start, next: end + 1 });
    }
    start = end + 1;
  }
  return out;
}

const declined = Symbol('declined');
/** A value read, or `declined` (typed as any value: TypeScript folds a union with unknown). */
type Read = unknown;

class BlockReader {
  at = 0;
  constructor(
    private readonly text: string,
    private readonly lines: Line[],
  ) {}

  /** The node whose first line is the current one, at `indent`. */
  node(indent: number): Read {
    const { content } = this.lines[this.at]!;
    return isItem(content) ? this.sequence(indent) : this.mapping(indent, content);
  }

  /** A block mapping whose keys stand at `column`, its first key in `first` (the current line, or what follows a `- `). */
  private mapping(column: number, first: string): Read {
    const map: Record<string, unknown> = {};
    let content = first;
    for (;;) {
      const key = keyLine.exec(content);
      if (!key || nonStringKey.test(key[1]!) || key[1] === '__proto__' || Object.hasOwn(map, key[1]!)) return declined;
      const { next: after } = this.lines[this.at++]!;
      const rest = key[2] === undefined || key[2].startsWith('#') ? undefined : key[2];
      const block = rest === undefined ? null : blockHeader.exec(rest);
      const value =
        rest === undefined
          ? this.nested(column, true)
          : block
            ? this.blockScalar(block[1] === '>', block[2] === '-', column, after)
            : this.scalarAlone(rest, column);
      if (value === declined) return declined;
      map[key[1]!] = value;
      const next = this.lines[this.at];
      if (!next || next.indent < column) return map;
      if (next.indent > column || isItem(next.content)) return declined;
      content = next.content;
    }
  }

  /** A block sequence whose dashes stand at `indent`. */
  private sequence(indent: number): Read {
    const items: unknown[] = [];
    for (;;) {
      const line = this.lines[this.at]!;
      const after = line.content.length === 1 ? '' : line.content.slice(2);
      let item: Read;
      if (after === '' || after.startsWith('#')) {
        this.at++;
        item = this.nested(indent, false);
      } else if (after.startsWith(' ') || after.startsWith('- ') || after === '-') {
        return declined;
      } else if (keyLine.test(after)) {
        item = this.mapping(indent + 2, after);
      } else {
        this.at++;
        item = this.scalarAlone(after, indent);
      }
      if (item === declined) return declined;
      items.push(item);
      const next = this.lines[this.at];
      if (!next || next.indent < indent) return items;
      if (next.indent > indent) return declined;
      // A key at the dashes' indentation ends a sequence that is that mapping's value; anywhere else it is an error
      // the caller finds (the line is not where it can stand).
      if (!isItem(next.content)) return items;
    }
  }

  /**
   * The value of a key or a dash with nothing after it on its line: a node on the next lines, indented further (or,
   * under a key, a sequence at the key's own indentation, as YAML allows), else null.
   */
  private nested(parentIndent: number, underKey: boolean): Read {
    const next = this.lines[this.at];
    if (!next) return null;
    if (next.indent > parentIndent) return this.node(next.indent);
    if (underKey && next.indent === parentIndent && isItem(next.content)) return this.sequence(parentIndent);
    return null;
  }

  /**
   * A literal (`|`) or folded (`>`) scalar under a key at `column`, its text starting at offset `from`: the lines
   * indented further than the key, or blank (comment-like lines among them are text). Declined: a folded scalar
   * with a line indented further than its first (YAML keeps those lines' breaks), a blank line before the text or
   * indented further than it (YAML makes its spaces text, or an error).
   */
  private blockScalar(folded: boolean, strip: boolean, column: number, from: number): Read {
    const { text } = this;
    const body: string[] = [];
    let indent = -1;
    let at = from;
    while (at < text.length) {
      let end = text.indexOf('\n', at);
      if (end < 0) end = text.length;
      let first = at;
      while (first < end && text.charCodeAt(first) === 32) first++;
      const blank = first === end;
      if (!blank && first - at <= column) break;
      if (blank && indent < 0) return declined;
      if (indent < 0) indent = first - at;
      if (blank ? end - at > indent : first - at !== indent && (folded || first - at < indent)) return declined;
      body.push(blank ? '' : text.slice(at + indent, end));
      at = end + 1;
    }
    if (indent < 0 || body.length === 0) return declined;
    while (this.at < this.lines.length && this.lines[this.at]!.start < at) this.at++;
    while (body[body.length - 1] === '') body.pop();
    let value = '';
    if (!folded) value = body.join('\n');
    else
      for (let i = 0; i < body.length; i++) {
        const line = body[i]!;
        if (i === 0) value = line;
        else if (line === '') value += '\n';
        else value += body[i - 1] === '' ? line : ` ${line}`;
      }
    return strip ? value : `${value}\n`;
  }

  /** A scalar that must end on its line: a further-indented line after it would continue it (declined). */
  private scalarAlone(text: string, parentIndent: number): Read {
    const next = this.lines[this.at];
    if (next && next.indent > parentIndent) return declined;
    return scalar(text);
  }
}

const isItem = (content: string) => content === '-' || content.startsWith('- ');

/** A one-line scalar as the core schema reads it, or declined. */
function scalar(text: string): Read {
  const comment = text.indexOf(' #');
  const value = comment < 0 ? text : text.slice(0, comment).trimEnd();
  const first = value.charCodeAt(0);
  if (first === 39 /* ' */) {
    const m = singleQuoted.exec(text);
    return m ? unquoted(m[1]!) : declined;
  }
  if (first === 34 /* " */) {
    const m = doubleQuoted.exec(text);
    return m ? m[1]! : declined;
  }
  switch (value) {
    case '{}':
      return {};
    case 'null':
    case 'Null':
    case 'NULL':
    case '~':
      return null;
    case 'true':
    case 'True':
    case 'TRUE':
      return true;
    case 'false':
    case 'False':
    case 'FALSE':
      return false;
  }
  if (first === 91 /* [ */) return flowSequence(value);
  return plainScalar(value);
}

/** A single-quoted scalar's text, between its quotes: a quote is written twice. */
const unquoted = (quoted: string) => quoted.replaceAll("''", "'");

/** A plain scalar's value, or declined. */
function plainScalar(value: string): Read {
  if (intText.test(value) || floatText.test(value)) return Number(value);
  if (!stringStart.test(value) || value.includes(': ') || value.endsWith(':')) return declined;
  return value;
}

/** An item of a flow sequence: quoted, or a plain word with no indicator in it, and the comma after it. */
const flowItem = /\s*(?:'((?:[^']|'')*)'|"([^"\\]*)"|([^\s,'"[\]{}#:&*!|>%@`?-][^,'"[\]{}#:]*?))\s*(,|$)/y;

/** `[a, 'b', 1]` (`tags: [nightly, finance]`): plain and quoted scalars, nothing nested, no empty item. */
function flowSequence(value: string): Read {
  if (!value.endsWith(']')) return declined;
  const inner = value.slice(1, -1);
  if (inner.trim() === '') return [];
  const items: unknown[] = [];
  flowItem.lastIndex = 0;
  for (;;) {
    const m = flowItem.exec(inner);
    if (!m) return declined;
    const item = m[1] !== undefined ? unquoted(m[1]) : m[2] !== undefined ? m[2] : plainScalar(m[3]!);
    if (item === declined) return declined;
    items.push(item);
    if (m[4] === '') return items;
    if (flowItem.lastIndex === inner.length) return declined;
  }
}
