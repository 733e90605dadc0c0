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
const operators = ['//', '**', '==', '!=', '<=', '>=', '+', '-', '/', '*', '%', '~', '[', ']', '(', ')', '{', '}', '<', '>', '=', '.', ':', '|', ',', ';'];

const numberPattern = /(?:0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0[xX](?:_?[0-9a-fA-F])+|(?:\d+_)*\d+(?:(?:\.(?:\d+_)*\d+)?[eE][+-]?(?:\d+_)*\d+|\.(?:\d+_)*\d+)?)/y;
const namePattern = /[A-Za-z_][A-Za-z0-9_]*/y;
const whitespace = /\s+/y;

/** Python's `unicode-escape` decoding of a string literal's body, as Jinja applies it. */
function unescapeString(body: string, line: number): string {
  if (!body.includes('\\')) return body;
  return body.replace(/\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|N\{([^}]*)\}|([0-7]{1,3})|([\s\S]))/g, (m, x, u, U, named, oct, ch: string | undefined) => {
    if (x || u || U) return String.fromCodePoint(parseInt(x ?? u ?? U, 16));
    if (oct) return String.fromCodePoint(parseInt(oct, 8));
    if (named !== undefined) throw new TemplateSyntaxError(`named unicode escapes (\\N{${named}}) are not supported`, line);
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
  });
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
    const startLine = line;
    countLines(text);
    if (stripNextData) t = t.replace(/^\s+/, '');
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
    pos = lexTag(src, pos, closer, tokens, (n) => (line += n), () => line);
    const endTok = tokens[tokens.length - 1]!;
    if (endTok.type !== 'variable_end' && endTok.type !== 'block_end') throw new TemplateSyntaxError(`unexpected end of template, expected '${closer}'`, beginLine);
    stripNextData = endTok.value === '-';
  }
  tokens.push({ type: 'eof', value: '', line });
  return tokens;
}

/** Tokens of one tag's inside, up to and including its closing delimiter; returns the new position. */
function lexTag(src: string, start: number, closer: string, tokens: Token[], addLines: (n: number) => void, currentLine: () => number): number {
  let pos = start;
  const endType: TokenType = closer === '}}' ? 'variable_end' : 'block_end';
  let depth = 0;
  while (pos < src.length) {
    whitespace.lastIndex = pos;
    const ws = whitespace.exec(src);
    if (ws) {
      addLines(ws[0].split('\n').length - 1);
      pos = whitespace.lastIndex;
      if (pos >= src.length) break;
    }
    const line = currentLine();
    // The closing delimiter ends the tag unless it sits inside brackets (`{{ {'a': {}}}}` aside).
    if (src.startsWith('-' + closer, pos) && depth === 0) {
      tokens.push({ type: endType, value: '-', line });
      return pos + 1 + closer.length;
    }
    if (src.startsWith(closer, pos) && depth === 0) {
      tokens.push({ type: endType, value: '', line });
      return pos + closer.length;
    }
    if (src.startsWith('+' + closer, pos) && closer === '%}' && depth === 0) {
      tokens.push({ type: endType, value: '', line });
      return pos + 1 + closer.length;
    }
    const c = src[pos]!;
    if (c === '"' || c === "'") {
      let i = pos + 1;
      while (i < src.length && src[i] !== c) i += src[i] === '\\' ? 2 : 1;
      if (i >= src.length) throw new TemplateSyntaxError('unexpected end of string', line);
      const body = src.slice(pos + 1, i);
      tokens.push({ type: 'string', value: unescapeString(body, line), line });
      addLines(body.split('\n').length - 1);
      pos = i + 1;
      continue;
    }
    if (c >= '0' && c <= '9') {
      numberPattern.lastIndex = pos;
      const m = numberPattern.exec(src)!;
      const { type, num } = parseNumber(m[0]);
      tokens.push({ type, value: m[0], num, line });
      pos = numberPattern.lastIndex;
      continue;
    }
    namePattern.lastIndex = pos;
    const name = namePattern.exec(src);
    if (name) {
      tokens.push({ type: 'name', value: name[0], line });
      pos = namePattern.lastIndex;
      continue;
    }
    const op = operators.find((o) => src.startsWith(o, pos));
    if (!op) throw new TemplateSyntaxError(`unexpected char '${c}'`, line);
    if (op === '(' || op === '[' || op === '{') depth++;
    else if ((op === ')' || op === ']' || op === '}') && depth > 0) depth--;
    tokens.push({ type: 'operator', value: op, line });
    pos += op.length;
  }
  return pos;
}
