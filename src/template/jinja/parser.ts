/**
 * Jinja2's grammar, with dbt's extensions (`{% do %}`, loop controls, `{% test %}`,
 * `{% materialization %}`, `{% docs %}`, `{% snapshot %}`), from tokens to a syntax tree.
 * Precedence follows Jinja2's parser exactly, including its quirks: `**` is left-associative
 * and filters and tests bind tighter than unary minus's operand (`-x|abs` is `abs(-x)`).
 */
import { tokenize, TemplateSyntaxError, type Token } from './lexer.js';
import type { Expr, Stmt, Target, CallArgs, MacroDef } from './nodes.js';
import { makeFloat } from './values.js';

const compareOps: Record<string, string> = { '==': 'eq', '!=': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge' };
const constNames: Record<string, unknown> = {
  true: true,
  false: false,
  none: null,
  True: true,
  False: false,
  None: null,
};

export function parseTemplate(source: string): Stmt[] {
  return new Parser(tokenize(source)).parseBody([]).body;
}

/**
 * How deep blocks and expressions may nest. Parsing and rendering recurse once per level, and
 * a template nested thousands deep would exhaust the stack; no real template comes near this.
 */
const MAX_NESTING = 200;

class Parser {
  private pos = 0;
  /** The blocks being parsed, outermost first, for errors about one left open. */
  private readonly openBlocks: Array<{ tag: string; line: number }> = [];
  private expressionDepth = 0;
  constructor(private readonly tokens: Token[]) {}

  private get current(): Token {
    return this.tokens[this.pos]!;
  }
  private peek(n = 1): Token {
    return this.tokens[Math.min(this.pos + n, this.tokens.length - 1)]!;
  }
  private next(): Token {
    const t = this.tokens[this.pos]!;
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }
  private fail(message: string, line = this.current.line): never {
    throw new TemplateSyntaxError(message, line);
  }
  private isOp(value: string, t = this.current): boolean {
    return t.type === 'operator' && t.value === value;
  }
  private isName(value: string, t = this.current): boolean {
    return t.type === 'name' && t.value === value;
  }
  private skipOp(value: string): boolean {
    if (!this.isOp(value)) return false;
    this.next();
    return true;
  }
  private skipName(value: string): boolean {
    if (!this.isName(value)) return false;
    this.next();
    return true;
  }
  private expectOp(value: string): Token {
    if (!this.isOp(value)) this.fail(`expected token '${value}', got '${this.describe(this.current)}'`);
    return this.next();
  }
  private expectName(value?: string): Token {
    const t = this.current;
    if (t.type !== 'name' || (value !== undefined && t.value !== value))
      this.fail(
        value ? `expected '${value}', got '${this.describe(t)}'` : `expected a name, got '${this.describe(t)}'`,
      );
    return this.next();
  }
  private expectBlockEnd(): void {
    if (this.current.type !== 'block_end')
      this.fail(`expected the end of the statement block, got '${this.describe(this.current)}'`);
    this.next();
  }
  private describe(t: Token): string {
    if (t.type === 'eof') return 'end of template';
    if (t.type === 'block_end') return 'end of statement block';
    if (t.type === 'variable_end') return 'end of print statement';
    return t.value;
  }

  /** Statements until a `{% <one of endTags> %}`; returns the body and the tag that ended it. */
  parseBody(endTags: string[]): { body: Stmt[]; end?: string } {
    const body: Stmt[] = [];
    for (;;) {
      const t = this.current;
      if (t.type === 'eof') {
        if (endTags.length)
          this.failUnclosed(
            `Unexpected end of template. Jinja was looking for the following ` +
              `tags: ${endTags.map((e) => `'${e}'`).join(' or ')}.`,
          );
        return { body };
      }
      if (t.type === 'data') {
        this.next();
        body.push({ kind: 'output', text: t.value, line: t.line });
      } else if (t.type === 'variable_begin') {
        this.next();
        const expr = this.parseTuple({ allowEmpty: false });
        if (this.current.type !== 'variable_end')
          this.fail(`expected token 'end of print statement', got '${this.describe(this.current)}'`);
        this.next();
        body.push({ kind: 'print', expr, line: t.line });
      } else if (t.type === 'block_begin') {
        const tag = this.peek();
        if (tag.type === 'name' && endTags.includes(tag.value)) {
          this.next();
          this.next();
          return { body, end: tag.value };
        }
        this.next();
        body.push(...this.parseStatement(endTags));
      } else this.fail(`unexpected '${this.describe(t)}'`);
    }
  }

  /**
   * An error caused by a block left open, reported at its opening tag (where the fix goes)
   * rather than where the parser noticed, often the end of the file.
   */
  private failUnclosed(message: string): never {
    const innermost = this.openBlocks[this.openBlocks.length - 1];
    if (!innermost) this.fail(message);
    this.fail(
      `${message} The innermost block that needs to be closed is '${innermost.tag}', ` +
        `opened on line ${innermost.line} and never closed.`,
      innermost.line,
    );
  }

  private parseStatement(open: string[]): Stmt[] {
    const tag = this.current;
    if (tag.type !== 'name') this.fail('tag name expected');
    if (this.openBlocks.length >= MAX_NESTING) this.fail(`blocks nest more than ${MAX_NESTING} deep`);
    this.openBlocks.push({ tag: tag.value, line: tag.line });
    try {
      return this.parseTag(open);
    } finally {
      this.openBlocks.pop();
    }
  }

  private parseTag(open: string[]): Stmt[] {
    const tag = this.current;
    const line = tag.line;
    switch (tag.value) {
      case 'if':
        return [this.parseIf()];
      case 'for':
        return [this.parseFor()];
      case 'set':
        return [this.parseSet()];
      case 'macro':
        return [this.parseMacro()];
      case 'test':
        return [this.parseMacro('test_')];
      case 'materialization':
        return [this.parseMaterialization()];
      case 'call':
        return [this.parseCallBlock()];
      case 'filter':
        return [this.parseFilterBlock()];
      case 'with':
        return [this.parseWith()];
      case 'do': {
        this.next();
        const expr = this.parseTuple({});
        this.expectBlockEnd();
        return [{ kind: 'do', expr, line }];
      }
      case 'break':
      case 'continue':
        this.next();
        this.expectBlockEnd();
        return [{ kind: tag.value, line }];
      case 'autoescape': {
        // Without HTML escaping, {% autoescape %} only scopes its body.
        this.next();
        this.parseExpression();
        this.expectBlockEnd();
        const { body } = this.parseBody(['endautoescape']);
        this.expectBlockEnd();
        return [{ kind: 'scope', body, line }];
      }
      case 'docs': {
        // Documentation blocks are read by the parser of docs files; they render as nothing.
        this.next();
        while (this.current.type !== 'block_end' && this.current.type !== 'eof') this.next();
        this.expectBlockEnd();
        this.parseBody(['enddocs']);
        this.expectBlockEnd();
        return [];
      }
      case 'snapshot': {
        this.next();
        while (this.current.type !== 'block_end' && this.current.type !== 'eof') this.next();
        this.expectBlockEnd();
        const { body } = this.parseBody(['endsnapshot']);
        this.expectBlockEnd();
        return body;
      }
      default: {
        const expected = open.length
          ? ` Jinja was looking for the following tags: ${open.map((e) => `'${e}'`).join(' or ')}.`
          : '';
        if (['include', 'import', 'from', 'extends', 'block'].includes(tag.value))
          this.fail(`'${tag.value}' is not supported: dbt projects call macros by name instead.`);
        // The closing tag of an outer block: the block in between was left open.
        if (open.length && tag.value.startsWith('end') && this.openBlocks.length > 1) {
          this.openBlocks.pop();
          this.failUnclosed(`Encountered unknown tag '${tag.value}'.${expected}`);
        }
        this.fail(`Encountered unknown tag '${tag.value}'.${expected}`);
      }
    }
  }

  private parseIf(): Stmt {
    const line = this.next().line;
    const branches: Array<{ test: Expr; body: Stmt[] }> = [];
    let otherwise: Stmt[] = [];
    let test = this.parseTuple({ withCondexpr: false });
    for (;;) {
      this.expectBlockEnd();
      const { body, end } = this.parseBody(['elif', 'else', 'endif']);
      branches.push({ test, body });
      if (end === 'elif') {
        test = this.parseTuple({ withCondexpr: false });
        continue;
      }
      if (end === 'else') {
        this.expectBlockEnd();
        otherwise = this.parseBody(['endif']).body;
      }
      this.expectBlockEnd();
      return { kind: 'if', branches, otherwise, line };
    }
  }

  private parseFor(): Stmt {
    const line = this.next().line;
    const target = this.parseAssignTarget({ nameOnly: true });
    this.expectName('in');
    const iter = this.parseTuple({ withCondexpr: false, extraEnd: ['recursive'] });
    let filter: Expr | undefined;
    if (this.skipName('if')) filter = this.parseExpression();
    const recursive = this.skipName('recursive');
    this.expectBlockEnd();
    const { body, end } = this.parseBody(['endfor', 'else']);
    let otherwise: Stmt[] = [];
    if (end === 'else') {
      this.expectBlockEnd();
      otherwise = this.parseBody(['endfor']).body;
    }
    this.expectBlockEnd();
    return { kind: 'for', target, iter, filter, body, otherwise, recursive, line };
  }

  private parseSet(): Stmt {
    const line = this.next().line;
    const target = this.parseAssignTarget({ withNamespace: true });
    if (this.skipOp('=')) {
      const value = this.parseTuple({});
      this.expectBlockEnd();
      return { kind: 'set', target, value, line };
    }
    const filters: Expr[] = [];
    while (this.isOp('|')) filters.push(this.parseFilter(undefined));
    this.expectBlockEnd();
    const { body } = this.parseBody(['endset']);
    this.expectBlockEnd();
    return { kind: 'setblock', target, body, filters, line };
  }

  private parseMacroSignature(): MacroDef['params'] {
    const params: MacroDef['params'] = [];
    this.expectOp('(');
    while (!this.isOp(')')) {
      if (params.length) this.expectOp(',');
      if (this.isOp(')')) break;
      const name = this.expectName().value;
      let dflt: Expr | undefined;
      if (this.skipOp('=')) dflt = this.parseExpression();
      else if (params.some((p) => p.dflt)) this.fail('non-default argument follows default argument');
      params.push({ name, dflt });
    }
    this.next();
    return params;
  }

  private parseMacro(prefix = ''): Stmt {
    const isTest = prefix === 'test_';
    const line = this.next().line;
    const name = prefix + this.expectName().value;
    const params = this.parseMacroSignature();
    this.expectBlockEnd();
    const { body } = this.parseBody([isTest ? 'endtest' : 'endmacro']);
    this.expectBlockEnd();
    return { kind: 'macro', macro: { name, params, body, line }, line };
  }

  /** `{% materialization name, adapter='x' %}` (or `default`): a macro dbt finds by that pair. */
  private parseMaterialization(): Stmt {
    const line = this.next().line;
    const name = this.expectName().value;
    let adapter = 'default';
    this.expectOp(',');
    if (this.skipName('adapter')) {
      this.expectOp('=');
      const t = this.next();
      if (t.type !== 'string') this.fail('adapter must be a string');
      adapter = t.value;
    } else this.expectName('default');
    while (this.skipOp(',')) {
      this.expectName();
      this.expectOp('=');
      this.parseExpression();
    }
    this.expectBlockEnd();
    const { body } = this.parseBody(['endmaterialization']);
    this.expectBlockEnd();
    return { kind: 'macro', macro: { name: `materialization_${name}_${adapter}`, params: [], body, line }, line };
  }

  private parseCallBlock(): Stmt {
    const line = this.next().line;
    const params = this.isOp('(') ? this.parseMacroSignature() : [];
    const call = this.parseExpression();
    if (call.kind !== 'call') this.fail('expected call', line);
    this.expectBlockEnd();
    const { body } = this.parseBody(['endcall']);
    this.expectBlockEnd();
    return { kind: 'callblock', call, caller: { name: 'caller', params, body, line }, line };
  }

  private parseFilterBlock(): Stmt {
    const line = this.next().line;
    const filters: Expr[] = [this.parseFilter(undefined, true)];
    while (this.isOp('|')) filters.push(this.parseFilter(undefined));
    this.expectBlockEnd();
    const { body } = this.parseBody(['endfilter']);
    this.expectBlockEnd();
    return { kind: 'filterblock', filters, body, line };
  }

  private parseWith(): Stmt {
    const line = this.next().line;
    const targets: Array<[Target, Expr]> = [];
    while (this.current.type !== 'block_end') {
      if (targets.length) this.expectOp(',');
      const target = this.parseAssignTarget({});
      this.expectOp('=');
      targets.push([target, this.parseExpression()]);
    }
    this.expectBlockEnd();
    const { body } = this.parseBody(['endwith']);
    this.expectBlockEnd();
    return { kind: 'with', targets, body, line };
  }

  private parseAssignTarget(opts: { nameOnly?: boolean; withNamespace?: boolean }): Target {
    if (opts.withNamespace && this.current.type === 'name' && this.isOp('.', this.peek())) {
      const name = this.next().value;
      this.next();
      return { kind: 'nsref', name, attr: this.expectName().value };
    }
    const items: Target[] = [];
    let sawComma = false;
    for (;;) {
      if (items.length) {
        if (!this.isOp(',')) break;
        this.next();
        sawComma = true;
      }
      if (this.isOp('(')) {
        this.next();
        items.push(this.parseAssignTarget({ nameOnly: true }));
        this.expectOp(')');
      } else if (this.current.type === 'name' && !['in', 'recursive'].includes(this.current.value)) {
        if (Object.prototype.hasOwnProperty.call(constNames, this.current.value)) this.fail("can't assign to 'const'");
        items.push({ kind: 'name', name: this.next().value });
      } else if (items.length) break;
      else this.fail(`can't assign to '${this.describe(this.current)}'`);
    }
    if (items.length === 1 && !sawComma) return items[0]!;
    return { kind: 'tuple', items };
  }

  // ----- expressions -----

  /** Comma-separated expressions form a tuple, as in `{{ a, b }}` and `{% set a, b = 1, 2 %}`. */
  parseTuple(opts: { allowEmpty?: boolean; withCondexpr?: boolean; extraEnd?: string[] }): Expr {
    const line = this.current.line;
    const items: Expr[] = [];
    let sawComma = false;
    const ends = (t: Token) =>
      t.type === 'variable_end' ||
      t.type === 'block_end' ||
      (t.type === 'operator' && [')', ']', '}'].includes(t.value)) ||
      (t.type === 'name' && (t.value === 'in' || t.value === 'if' || (opts.extraEnd ?? []).includes(t.value)));
    for (;;) {
      if (items.length) {
        if (!this.isOp(',')) break;
        this.next();
        sawComma = true;
        if (ends(this.current)) break;
      }
      if (opts.allowEmpty && ends(this.current)) break;
      items.push(opts.withCondexpr === false ? this.parseOr() : this.parseExpression());
    }
    if (!sawComma) {
      if (items.length === 1) return items[0]!;
      if (!opts.allowEmpty) this.fail(`Expected an expression, got '${this.describe(this.current)}'`);
    }
    return { kind: 'tuple', items, line };
  }

  parseExpression(): Expr {
    const line = this.current.line;
    let expr = this.parseOr();
    while (this.isName('if')) {
      this.next();
      const test = this.parseOr();
      const otherwise = this.skipName('else') ? this.parseExpression() : undefined;
      expr = { kind: 'condexpr', test, then: expr, otherwise, line };
    }
    return expr;
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isName('or')) {
      const line = this.next().line;
      left = { kind: 'or', left, right: this.parseAnd(), line };
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.isName('and')) {
      const line = this.next().line;
      left = { kind: 'and', left, right: this.parseNot(), line };
    }
    return left;
  }

  private parseNot(): Expr {
    if (this.isName('not')) {
      const line = this.next().line;
      return { kind: 'unary', op: 'not', value: this.parseNot(), line };
    }
    return this.parseCompare();
  }

  private parseCompare(): Expr {
    const line = this.current.line;
    const first = this.parseMath1();
    const ops: Array<[string, Expr]> = [];
    for (;;) {
      const t = this.current;
      if (t.type === 'operator' && compareOps[t.value]) {
        this.next();
        ops.push([compareOps[t.value]!, this.parseMath1()]);
      } else if (this.isName('in')) {
        this.next();
        ops.push(['in', this.parseMath1()]);
      } else if (this.isName('not') && this.isName('in', this.peek())) {
        this.next();
        this.next();
        ops.push(['notin', this.parseMath1()]);
      } else break;
    }
    return ops.length ? { kind: 'compare', first, ops, line } : first;
  }

  private parseMath1(): Expr {
    let left = this.parseConcat();
    while (this.isOp('+') || this.isOp('-')) {
      const t = this.next();
      left = { kind: 'binary', op: t.value === '+' ? 'add' : 'sub', left, right: this.parseConcat(), line: t.line };
    }
    return left;
  }

  private parseConcat(): Expr {
    const line = this.current.line;
    const items = [this.parseMath2()];
    while (this.isOp('~')) {
      this.next();
      items.push(this.parseMath2());
    }
    return items.length === 1 ? items[0]! : { kind: 'concat', items, line };
  }

  private parseMath2(): Expr {
    const ops: Record<string, string> = { '*': 'mul', '/': 'div', '//': 'floordiv', '%': 'mod' };
    let left = this.parsePow();
    while (this.current.type === 'operator' && ops[this.current.value]) {
      const t = this.next();
      left = { kind: 'binary', op: ops[t.value]!, left, right: this.parsePow(), line: t.line };
    }
    return left;
  }

  private parsePow(): Expr {
    let left = this.parseUnary();
    while (this.isOp('**')) {
      const t = this.next();
      left = { kind: 'binary', op: 'pow', left, right: this.parseUnary(), line: t.line };
    }
    return left;
  }

  private parseUnary(withFilter = true): Expr {
    if (this.expressionDepth >= MAX_NESTING) this.fail(`expressions nest more than ${MAX_NESTING} deep`);
    this.expressionDepth++;
    try {
      return this.parseUnaryOperand(withFilter);
    } finally {
      this.expressionDepth--;
    }
  }

  private parseUnaryOperand(withFilter: boolean): Expr {
    const t = this.current;
    let node: Expr;
    if (this.isOp('-') || this.isOp('+')) {
      this.next();
      node = { kind: 'unary', op: t.value === '-' ? 'neg' : 'pos', value: this.parseUnary(false), line: t.line };
    } else node = this.parsePrimary();
    node = this.parsePostfix(node);
    if (withFilter) node = this.parseFilterExpr(node);
    return node;
  }

  private parsePrimary(): Expr {
    const t = this.current;
    if (t.type === 'name') {
      this.next();
      if (Object.prototype.hasOwnProperty.call(constNames, t.value))
        return { kind: 'const', value: constNames[t.value], line: t.line };
      return { kind: 'name', name: t.value, line: t.line };
    }
    if (t.type === 'string') {
      // Adjacent string literals concatenate, as in Python.
      let value = this.next().value;
      while (this.current.type === 'string') value += this.next().value;
      return { kind: 'const', value, line: t.line };
    }
    if (t.type === 'integer') {
      this.next();
      return { kind: 'const', value: t.num, line: t.line };
    }
    if (t.type === 'float') {
      this.next();
      return { kind: 'const', value: makeFloat(Number(t.num)), line: t.line };
    }
    if (this.isOp('(')) {
      this.next();
      const expr = this.parseTuple({ allowEmpty: true });
      this.expectOp(')');
      return expr;
    }
    if (this.isOp('[')) {
      this.next();
      const items: Expr[] = [];
      while (!this.isOp(']')) {
        if (items.length) this.expectOp(',');
        if (this.isOp(']')) break;
        items.push(this.parseExpression());
      }
      this.next();
      return { kind: 'list', items, line: t.line };
    }
    if (this.isOp('{')) {
      this.next();
      const pairs: Array<[Expr, Expr]> = [];
      while (!this.isOp('}')) {
        if (pairs.length) this.expectOp(',');
        if (this.isOp('}')) break;
        const key = this.parseExpression();
        this.expectOp(':');
        pairs.push([key, this.parseExpression()]);
      }
      this.next();
      return { kind: 'dict', pairs, line: t.line };
    }
    this.fail(
      t.type === 'eof' || t.type === 'block_end' || t.type === 'variable_end'
        ? `Expected an expression, got '${this.describe(t)}'`
        : `unexpected '${this.describe(t)}'`,
    );
  }

  private parsePostfix(node: Expr): Expr {
    for (;;) {
      if (this.isOp('.') || this.isOp('[')) node = this.parseSubscript(node);
      else if (this.isOp('('))
        node = { kind: 'call', fn: node, args: this.parseCallArgs(), line: this.tokens[this.pos - 1]!.line };
      else return node;
    }
  }

  private parseFilterExpr(node: Expr): Expr {
    for (;;) {
      if (this.isOp('|')) node = this.parseFilter(node);
      else if (this.isName('is')) node = this.parseTest(node);
      else if (this.isOp('(')) node = { kind: 'call', fn: node, args: this.parseCallArgs(), line: this.current.line };
      else return node;
    }
  }

  private parseSubscript(node: Expr): Expr {
    const t = this.next();
    if (t.value === '.') {
      const attr = this.next();
      if (attr.type === 'name') return { kind: 'getattr', target: node, attr: attr.value, line: t.line };
      if (attr.type === 'integer')
        return { kind: 'getitem', target: node, key: { kind: 'const', value: attr.num, line: t.line }, line: t.line };
      this.fail('expected name or number', t.line);
    }
    const keys: Expr[] = [];
    let sawComma = false;
    while (!this.isOp(']')) {
      if (keys.length) {
        this.expectOp(',');
        sawComma = true;
        if (this.isOp(']')) break;
      }
      keys.push(this.parseSubscribed(node));
    }
    this.expectOp(']');
    if (keys.length === 1 && !sawComma) {
      const k = keys[0]!;
      return k.kind === 'slice' ? k : { kind: 'getitem', target: node, key: k, line: t.line };
    }
    return { kind: 'getitem', target: node, key: { kind: 'tuple', items: keys, line: t.line }, line: t.line };
  }

  /** One subscript: an expression or a slice `a:b:c`. */
  private parseSubscribed(target: Expr): Expr {
    const line = this.current.line;
    const parts: Array<Expr | undefined> = [];
    if (!this.isOp(':')) {
      const first = this.parseExpression();
      if (!this.isOp(':')) return first;
      parts.push(first);
    } else parts.push(undefined);
    this.next();
    parts.push(this.isOp(']') || this.isOp(',') || this.isOp(':') ? undefined : this.parseExpression());
    if (this.skipOp(':')) parts.push(this.isOp(']') || this.isOp(',') ? undefined : this.parseExpression());
    return { kind: 'slice', target, start: parts[0], stop: parts[1], step: parts[2], line };
  }

  parseCallArgs(): CallArgs {
    this.expectOp('(');
    const args: CallArgs = { pos: [], kw: [] };
    let first = true;
    while (!this.isOp(')')) {
      if (!first) {
        this.expectOp(',');
        if (this.isOp(')')) break;
      }
      first = false;
      if (this.isOp('**')) {
        this.next();
        args.starstar = this.parseExpression();
      } else if (this.isOp('*')) {
        this.next();
        args.star = this.parseExpression();
      } else if (this.current.type === 'name' && this.isOp('=', this.peek())) {
        const name = this.next().value;
        this.next();
        if (args.starstar) this.fail('keyword argument after **kwargs');
        args.kw.push([name, this.parseExpression()]);
      } else {
        if (args.kw.length || args.star || args.starstar) this.fail('positional argument follows keyword argument');
        args.pos.push(this.parseExpression());
      }
    }
    this.next();
    return args;
  }

  private dottedName(): string {
    let name = this.expectName().value;
    while (this.isOp('.') && this.peek().type === 'name') {
      this.next();
      name += '.' + this.next().value;
    }
    return name;
  }

  /** `|name` or `|name(args)`; with `start`, the leading `|` is absent (`{% filter name %}`). */
  private parseFilter(value: Expr | undefined, start = false): Expr {
    const line = this.current.line;
    if (!start) this.expectOp('|');
    const name = this.dottedName();
    const args = this.isOp('(') ? this.parseCallArgs() : { pos: [], kw: [] };
    return { kind: 'filter', value, name, args, line };
  }

  private parseTest(value: Expr): Expr {
    const line = this.next().line;
    const negated = this.skipName('not');
    const name = this.dottedName();
    let args: CallArgs = { pos: [], kw: [] };
    const t = this.current;
    if (this.isOp('(')) args = this.parseCallArgs();
    else if (
      (['name', 'string', 'integer', 'float'].includes(t.type) || this.isOp('[') || this.isOp('{')) &&
      !(t.type === 'name' && ['else', 'or', 'and'].includes(t.value))
    ) {
      if (this.isName('is')) this.fail('You cannot chain multiple tests with is');
      args = { pos: [this.parsePostfix(this.parsePrimary())], kw: [] };
    }
    return { kind: 'test', value, name, args, negated, line };
  }
}
