/**
 * Jinja2's lexer with its default delimiters: text, `{{ }}`, `{% %}`, `{# #}`, whitespace
 * control (`-`, `+`), `{% raw %}` blocks, and the tokens inside tags (Python's number and
 * string literals included). Produces a flat token list; knows nothing of statements.
 */
import { JinjaError } from './values.js';

export type TokenType =
  | 'data'
  | 'variable_begin'
  | 'variable_end'
  | 'block_begin'
  | 'block_end'
  | 'name'
  | 'string'
  | 'integer'
  | 'float'
  | 'operator'
  | 'eof';

export interface Token {
  type: TokenType;
  /** The text for data and names, the decoded value for strings, the operator itself. */
  value: string;
  /** Numbers: the parsed value (bigint for ints beyond 2^53). */
  num?: number | bigint;
  line: number;
}

export class TemplateSyntaxError extends JinjaError {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super('TemplateSyntaxError', message);
    this.lineno = line;
  }
}

// Longest first, as Jinja's operator regex is ordered.
const operators = [
  '//',
  '**',
  '==',
  '!=',
  '<=',
  '>=',
  '+',
  '-',
  '/',
  '*',
  '%',
  '~',
  '[',
  ']',
  '(',
  ')',
  '{',
  '}',
  '<',
  '>',
  '=',
  '.',
  ':',
  '|',
  ',',
  ';',
];

const numberPattern =
  /(?:0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0[xX](?:_?[0-9a-fA-F])+|(?:\d+_)*\d+(?:(?:\.(?:\d+_)*\d+)?[eE][+-]?(?:\d+_)*\d+|\.(?:\d+_)*\d+)?)/y;

/** Python's `unicode-escape` decoding of a string literal's body, as Jinja applies it. */
function unescapeString(body: string, line: number): string {
  if (!body.includes('\\')) return body;
  return body.replace(
    /\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|N\{([^}]*)\}|([0-7]{1,3})|([\s\S]))/g,
    (m: string, x?: string, u?: string, U?: string, named?: string, oct?: string, ch?: string) => {
      if (x || u || U) return String.fromCodePoint(parseInt((x ?? u ?? U)!, 16));
      if (oct) return String.fromCodePoint(parseInt(oct, 8));
      if (named !== undefined)
        throw new TemplateSyntaxError(`named unicode escapes (\\N{${named}}) are not supported`, line);
      switch (ch) {
        case 'n':
          return '\n';
        case 't':
          return '\t';
        case 'r':
          return '\r';
        case '\\':
          return '\\';
        case "'":
          return "'";
        case '"':
          return '"';
        case 'a':
          return '\x07';
        case 'b':
          return '\b';
        case 'f':
          return '\f';
        case 'v':
          return '\v';
        case '\n':
          return '';
        default:
          return m;
      }
    },
  );
}

function parseNumber(text: string): { type: 'integer' | 'float'; num: number | bigint } {
  const clean = text.replace(/_/g, '');
  if (/^0[bBoOxX]/.test(clean)) {
    const n = BigInt(clean.toLowerCase());
    return { type: 'integer', num: n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n };
  }
  if (/[.eE]/.test(clean)) return { type: 'float', num: Number(clean) };
  const n = BigInt(clean);
  return { type: 'integer', num: n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n };
}

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  // Jinja normalises newlines and drops one trailing newline (keep_trailing_newline=False).
  let src = source.replace(/\r\n?/g, '\n');
  if (src.endsWith('\n')) src = src.slice(0, -1);
  let pos = 0;
  let line = 1;
  let stripNextData = false;
  const countLines = (text: string) => {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  };
  const pushData = (text: string, stripEnd: boolean) => {
    let t = text;
    let startLine = line;
    countLines(text);
    if (stripNextData) {
      t = t.replace(/^\s+/, '');
      // The data starts where its first kept character is, below the stripped newlines.
      for (let i = 0; i < text.length - t.length; i++) if (text.charCodeAt(i) === 10) startLine++;
    }
    if (stripEnd) t = t.replace(/\s+$/, '');
    stripNextData = false;
    if (t) tokens.push({ type: 'data', value: t, line: startLine });
  };
  const openRe = /\{([{%#])([-+]?)/g;
  while (pos < src.length) {
    openRe.lastIndex = pos;
    const open = openRe.exec(src);
    if (!open) {
      pushData(src.slice(pos), false);
      break;
    }
    const kind = open[1]!;
    const strip = open[2] === '-';
    pushData(src.slice(pos, open.index), strip);
    pos = open.index + open[0].length;
    if (kind === '#') {
      const end = /-?#\}/g;
      end.lastIndex = pos;
      const close = end.exec(src);
      if (!close) throw new TemplateSyntaxError('Missing end of comment tag', line);
      countLines(src.slice(pos, close.index + close[0].length));
      stripNextData = close[0].startsWith('-');
      pos = close.index + close[0].length;
      continue;
    }
    // {% raw %} ... {% endraw %}: the body is text, untouched.
    if (kind === '%') {
      const raw = /\s*raw\s*(-?)%\}/y;
      raw.lastIndex = pos;
      const r = raw.exec(src);
      if (r) {
        const endRaw = /\{%([-+]?)\s*endraw\s*(-?)%\}/g;
        endRaw.lastIndex = raw.lastIndex;
        const e = endRaw.exec(src);
        if (!e) throw new TemplateSyntaxError('Missing end of raw directive', line);
        countLines(src.slice(pos, raw.lastIndex));
        let body = src.slice(raw.lastIndex, e.index);
        if (r[1] === '-') body = body.replace(/^\s+/, '');
        if (e[1] === '-') body = body.replace(/\s+$/, '');
        const bodyLine = line;
        countLines(src.slice(raw.lastIndex, e.index + e[0].length));
        if (body) tokens.push({ type: 'data', value: body, line: bodyLine });
        stripNextData = e[2] === '-';
        pos = e.index + e[0].length;
        continue;
      }
    }
    const beginLine = line;
    tokens.push({ type: kind === '{' ? 'variable_begin' : 'block_begin', value: '', line });
    const closer = kind === '{' ? '}}' : '%}';
    pos = lexTag(
      src,
      pos,
      closer,
      tokens,
      (n) => (line += n),
      () => line,
    );
    const endTok = tokens[tokens.length - 1]!;
    if (endTok.type !== 'variable_end' && endTok.type !== 'block_end')
      throw new TemplateSyntaxError(`unexpected end of template, expected '${closer}'`, beginLine);
    stripNextData = endTok.value === '-';
  }
  tokens.push({ type: 'eof', value: '', line });
  return tokens;
}

/** Tokens of one tag's inside, up to and including its closing delimiter; returns the new position. */
const isSpace = (c: number) => c === 32 || c === 10 || c === 9 || c === 13 || c === 12 || c === 11;
const isNameStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 57);
const twoCharOperators = new Set(['//', '**', '==', '!=', '<=', '>=']);
const oneCharOperators = new Set(operators.filter((o) => o.length === 1));

function lexTag(
  src: string,
  start: number,
  closer: string,
  tokens: Token[],
  addLines: (n: number) => void,
  currentLine: () => number,
): number {
  let pos = start;
  const endType: TokenType = closer === '}}' ? 'variable_end' : 'block_end';
  // The closer's two characters: `}}` or `%}`.
  const close0 = closer.charCodeAt(0);
  let depth = 0;
  const n = src.length;
  while (pos < n) {
    let newlines = 0;
    let c = src.charCodeAt(pos);
    while (isSpace(c) && pos < n) {
      if (c === 10) newlines++;
      c = src.charCodeAt(++pos);
    }
    if (newlines) addLines(newlines);
    if (pos >= n) break;
    const line = currentLine();
    // The closing delimiter ends the tag unless it sits inside brackets (`{{ {'a': {}}}}` aside).
    if (depth === 0) {
      const at = c === 45 /* - */ || (c === 43 /* + */ && close0 === 37) ? pos + 1 : pos;
      if (src.charCodeAt(at) === close0 && src.charCodeAt(at + 1) === 125) {
        tokens.push({ type: endType, value: c === 45 && at > pos ? '-' : '', line });
        return at + 2;
      }
    }
    if (c === 34 || c === 39) {
      let i = pos + 1;
      let lines = 0;
      while (i < n && src.charCodeAt(i) !== c) {
        if (src.charCodeAt(i) === 10) lines++;
        i += src.charCodeAt(i) === 92 ? 2 : 1;
      }
      if (i >= n) throw new TemplateSyntaxError('unexpected end of string', line);
      tokens.push({ type: 'string', value: unescapeString(src.slice(pos + 1, i), line), line });
      if (lines) addLines(lines);
      pos = i + 1;
      continue;
    }
    if (c >= 48 && c <= 57) {
      numberPattern.lastIndex = pos;
      const m = numberPattern.exec(src)!;
      const { type, num } = parseNumber(m[0]);
      tokens.push({ type, value: m[0], num, line });
      pos = numberPattern.lastIndex;
      continue;
    }
    if (isNameStart(c)) {
      let end = pos + 1;
      while (end < n && isNameChar(src.charCodeAt(end))) end++;
      tokens.push({ type: 'name', value: src.slice(pos, end), line });
      pos = end;
      continue;
    }
    const two = src.slice(pos, pos + 2);
    const op = twoCharOperators.has(two) ? two : oneCharOperators.has(src[pos]!) ? src[pos]! : undefined;
    if (!op) throw new TemplateSyntaxError(`unexpected char '${src[pos]}'`, line);
    if (op === '(' || op === '[' || op === '{') depth++;
    else if ((op === ')' || op === ']' || op === '}') && depth > 0) depth--;
    tokens.push({ type: 'operator', value: op, line });
    pos += op.length;
  }
  return pos;
}
