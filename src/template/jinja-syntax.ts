/**
 * Jinja2 syntax that nunjucks' parser and compiler lack or read differently, patched into
 * their prototypes once per process. Each patch names the Jinja construct it accepts; the
 * generated code calls helpers that jinja-compat.ts installs on nunjucks' runtime.
 */
import nunjucks from 'nunjucks';

const nj = nunjucks as any;
const lexer = nj.lexer;
const nodes = nj.nodes;
const Parser = nj.parser.Parser.prototype;
const Compiler = nj.compiler.Compiler.prototype;

// New expression nodes extend FunCall so nunjucks' expression type checks accept them.
const Slice = nodes.FunCall.extend('KilnSlice', { fields: ['target', 'start', 'stop', 'step'] });
const Star = nodes.FunCall.extend('KilnStar', { fields: ['value'] });
const DoubleStar = nodes.FunCall.extend('KilnDoubleStar', { fields: ['value'] });
const LoopFilter = nodes.FunCall.extend('KilnLoopFilter', { fields: ['arr', 'names', 'cond'] });
const IterValue = nodes.FunCall.extend('KilnIter', { fields: ['value'] });
const Truthy = nodes.FunCall.extend('KilnTruthy', { fields: ['value'] });
const Do = nodes.Node.extend('KilnDo', { fields: ['expr'] });
const LoopJump = nodes.Node.extend('KilnLoopJump', { fields: ['kind'] });
// Start of each loop iteration: names the previous iteration set are forgotten.
const LoopReset = nodes.Node.extend('KilnLoopReset', { fields: [] });
// `(a, b)`: an Array node (so every place that takes a sequence accepts it) that builds a tuple.
const Tuple = nodes.Array.extend('KilnTuple');

const closers = new Set([lexer.TOKEN_RIGHT_PAREN, lexer.TOKEN_RIGHT_BRACKET, lexer.TOKEN_RIGHT_CURLY]);
const notTestArgs = new Set(['and', 'or', 'else', 'if', 'is', 'not', 'in', 'recursive']);

let installed = false;

export function installJinjaSyntax(): void {
  if (installed) return;
  installed = true;

  // Lists, dicts and tuples: trailing commas, expression keys, `(a, b)` as a tuple.
  Parser.parseAggregate = function parseAggregate(this: any) {
    const tok = this.nextToken();
    let node: any;
    if (tok.type === lexer.TOKEN_LEFT_PAREN) node = new nodes.Group(tok.lineno, tok.colno);
    else if (tok.type === lexer.TOKEN_LEFT_BRACKET) node = new nodes.Array(tok.lineno, tok.colno);
    else if (tok.type === lexer.TOKEN_LEFT_CURLY) node = new nodes.Dict(tok.lineno, tok.colno);
    else return null;
    let sawComma = false;
    for (;;) {
      if (closers.has(this.peekToken().type)) {
        this.nextToken();
        break;
      }
      if (node.children.length > 0) {
        if (!this.skip(lexer.TOKEN_COMMA)) this.fail('expected a comma after the expression', tok.lineno, tok.colno);
        sawComma = true;
        if (closers.has(this.peekToken().type)) {
          this.nextToken();
          break;
        }
      }
      if (node instanceof nodes.Dict) {
        const key = this.parseExpression();
        if (!this.skip(lexer.TOKEN_COLON)) this.fail('expected a colon after the dict key', tok.lineno, tok.colno);
        node.addChild(new nodes.Pair(key.lineno, key.colno, key, this.parseExpression()));
      } else node.addChild(this.parseExpression());
    }
    if (node instanceof nodes.Group && (node.children.length !== 1 || sawComma)) {
      const tuple = new Tuple(node.lineno, node.colno);
      for (const c of node.children) tuple.addChild(c);
      return tuple;
    }
    return node;
  };

  // Call arguments: trailing commas, `*args`, `**kwargs`; keyword names become literals.
  Parser.parseSignature = function parseSignature(this: any, tolerant: boolean, noParens: boolean) {
    let tok = this.peekToken();
    if (!noParens && tok.type !== lexer.TOKEN_LEFT_PAREN) {
      if (tolerant) return null;
      this.fail('expected arguments', tok.lineno, tok.colno);
    }
    if (tok.type === lexer.TOKEN_LEFT_PAREN) tok = this.nextToken();
    const args = new nodes.NodeList(tok.lineno, tok.colno);
    const kwargs = new nodes.KeywordArgs(tok.lineno, tok.colno);
    let first = true;
    for (;;) {
      tok = this.peekToken();
      if (!noParens && tok.type === lexer.TOKEN_RIGHT_PAREN) {
        this.nextToken();
        break;
      }
      if (noParens && tok.type === lexer.TOKEN_BLOCK_END) break;
      if (!first) {
        if (!this.skip(lexer.TOKEN_COMMA)) this.fail('expected a comma after the argument', tok.lineno, tok.colno);
        tok = this.peekToken();
        if (!noParens && tok.type === lexer.TOKEN_RIGHT_PAREN) {
          this.nextToken();
          break;
        }
      }
      first = false;
      if (tok.type === lexer.TOKEN_OPERATOR && (tok.value === '**' || tok.value === '*')) {
        this.nextToken();
        const value = this.parseExpression();
        if (tok.value === '**') kwargs.addChild(new DoubleStar(tok.lineno, tok.colno, value));
        else args.addChild(new Star(tok.lineno, tok.colno, value));
        continue;
      }
      const arg = this.parseExpression();
      if (this.skipValue(lexer.TOKEN_OPERATOR, '=')) {
        const key = arg instanceof nodes.Symbol ? new nodes.Literal(arg.lineno, arg.colno, arg.value) : arg;
        kwargs.addChild(new nodes.Pair(arg.lineno, arg.colno, key, this.parseExpression()));
      } else args.addChild(arg);
    }
    if (kwargs.children.length) args.addChild(kwargs);
    return args;
  };

  // Subscripts with Python slices: `s[1:]`, `xs[:-1]`, `xs[::2]`.
  Parser.parsePostfix = function parsePostfix(this: any, node: any) {
    let tok = this.peekToken();
    while (tok) {
      if (tok.type === lexer.TOKEN_LEFT_PAREN) {
        node = new nodes.FunCall(tok.lineno, tok.colno, node, this.parseSignature());
      } else if (tok.type === lexer.TOKEN_LEFT_BRACKET) {
        this.nextToken();
        const bound = () => (this.peekToken().type === lexer.TOKEN_COLON || this.peekToken().type === lexer.TOKEN_RIGHT_BRACKET ? null : this.parseExpression());
        const start = bound();
        if (this.skip(lexer.TOKEN_COLON)) {
          const stop = bound();
          const step = this.skip(lexer.TOKEN_COLON) ? bound() : null;
          node = new Slice(tok.lineno, tok.colno, node, start, stop, step);
        } else {
          if (start === null) this.fail('expected an index', tok.lineno, tok.colno);
          node = new nodes.LookupVal(tok.lineno, tok.colno, node, start);
        }
        if (!this.skip(lexer.TOKEN_RIGHT_BRACKET)) this.fail('expected ]', tok.lineno, tok.colno);
      } else if (tok.type === lexer.TOKEN_OPERATOR && tok.value === '.') {
        this.nextToken();
        const val = this.nextToken();
        if (val.type !== lexer.TOKEN_SYMBOL) this.fail('expected a name after the dot, got ' + val.value, val.lineno, val.colno);
        node = new nodes.LookupVal(tok.lineno, tok.colno, node, new nodes.Literal(val.lineno, val.colno, val.value));
      } else break;
      tok = this.peekToken();
    }
    return node;
  };

  // `{% if x: %}` and `{% elif y: %}` (a colon Jinja tolerates).
  Parser.parseIf = function parseIf(this: any) {
    const tag = this.peekToken();
    if (!(this.skipSymbol('if') || this.skipSymbol('elif') || this.skipSymbol('elseif'))) this.fail('expected if, elif, or elseif', tag.lineno, tag.colno);
    const node = new nodes.If(tag.lineno, tag.colno);
    node.cond = this.parseExpression();
    this.skip(lexer.TOKEN_COLON);
    this.advanceAfterBlockEnd(tag.value);
    node.body = this.parseUntilBlocks('elif', 'elseif', 'else', 'endif');
    const tok = this.peekToken();
    switch (tok && tok.value) {
      case 'elseif':
      case 'elif':
        node.else_ = this.parseIf();
        break;
      case 'else':
        this.advanceAfterBlockEnd();
        node.else_ = this.parseUntilBlocks('endif');
        this.advanceAfterBlockEnd();
        break;
      case 'endif':
        node.else_ = null;
        this.advanceAfterBlockEnd();
        break;
      default:
        this.fail('expected elif, else, or endif, got end of file');
    }
    return node;
  };

  // `x is divisibleby 3`: one test argument without parentheses.
  Parser.parseIs = function parseIs(this: any) {
    let node = this.parseCompare();
    if (this.skipSymbol('is')) {
      const not = this.skipSymbol('not');
      // The test's name is a bare name (`in [1]` is the test `in` and a list, not a subscript).
      const nameTok = this.peekToken();
      let test: any;
      if (nameTok.type === lexer.TOKEN_SYMBOL) {
        this.nextToken();
        test = new nodes.Symbol(nameTok.lineno, nameTok.colno, nameTok.value);
        if (this.peekToken().type === lexer.TOKEN_LEFT_PAREN) test = new nodes.FunCall(nameTok.lineno, nameTok.colno, test, this.parseSignature());
      } else test = this.parseCompare();
      if (test instanceof nodes.Symbol) {
        const t = this.peekToken();
        const argStart =
          t &&
          (t.type === lexer.TOKEN_STRING ||
            t.type === lexer.TOKEN_INT ||
            t.type === lexer.TOKEN_FLOAT ||
            t.type === lexer.TOKEN_BOOLEAN ||
            t.type === lexer.TOKEN_NONE ||
            t.type === lexer.TOKEN_LEFT_BRACKET ||
            t.type === lexer.TOKEN_LEFT_CURLY ||
            (t.type === lexer.TOKEN_SYMBOL && !notTestArgs.has(t.value)));
        if (argStart) {
          const arg = this.parsePrimary();
          test = new nodes.FunCall(t.lineno, t.colno, test, new nodes.NodeList(t.lineno, t.colno, [arg]));
        }
      } else if (test instanceof nodes.Literal && (test.value === true || test.value === false || test.value === null)) {
        test = new nodes.Symbol(test.lineno, test.colno, test.value === null ? 'none' : String(test.value));
      }
      node = new nodes.Is(node.lineno, node.colno, node, test);
      if (not) node = new nodes.Not(node.lineno, node.colno, node);
    }
    return node;
  };

  // `{% set a, b = pair %}` unpacks; `{% set ns.x = 1 %}` assigns an attribute.
  Parser.parseSet = function parseSet(this: any) {
    const tag = this.peekToken();
    if (!this.skipSymbol('set')) this.fail('expected set', tag.lineno, tag.colno);
    const node = new nodes.Set(tag.lineno, tag.colno, []);
    const paren = this.skip(lexer.TOKEN_LEFT_PAREN);
    for (;;) {
      let target = this.parsePrimary(true);
      while (this.skipValue(lexer.TOKEN_OPERATOR, '.')) {
        const attr = this.nextToken();
        target = new nodes.LookupVal(attr.lineno, attr.colno, target, new nodes.Literal(attr.lineno, attr.colno, attr.value));
      }
      node.targets.push(target);
      if (!this.skip(lexer.TOKEN_COMMA)) break;
      if (this.peekToken().type !== lexer.TOKEN_SYMBOL) break;
    }
    if (paren && !this.skip(lexer.TOKEN_RIGHT_PAREN)) this.fail('expected ) after the names to set', tag.lineno, tag.colno);
    if (!this.skipValue(lexer.TOKEN_OPERATOR, '=')) {
      const end = this.peekToken();
      if (!this.skip(lexer.TOKEN_BLOCK_END)) this.fail('expected = or the end of the set tag', tag.lineno, tag.colno);
      // `-%}` trims the captured body's leading whitespace, as after any other tag.
      if (end.value.charAt(0) === '-') this.dropLeadingWhitespace = true;
      node.body = new nodes.Capture(tag.lineno, tag.colno, this.parseUntilBlocks('endset'));
      node.value = null;
      this.advanceAfterBlockEnd();
    } else {
      node.value = this.parseExpression();
      this.advanceAfterBlockEnd(tag.value);
    }
    return node;
  };

  // `{% for x in xs if cond %}`; the loop target parses without swallowing the `if`.
  const originalParseFor = Parser.parseFor;
  Parser.parseFor = function parseFor(this: any) {
    const originalParseExpression = this.parseExpression;
    let filterCond: unknown = null;
    // parseFor reads the iterable with parseExpression; read it without the inline if.
    this.parseExpression = function (this: any) {
      this.parseExpression = originalParseExpression;
      const arr = this.parseOr();
      if (this.skipSymbol('if')) filterCond = this.parseExpression();
      this.skipSymbol('recursive');
      return arr;
    };
    try {
      const node = originalParseFor.call(this);
      node.filterCond = filterCond;
      return node;
    } finally {
      this.parseExpression = originalParseExpression;
    }
  };

  // `{% do expr %}`, `{% break %}`, `{% continue %}`.
  const originalParseStatement = Parser.parseStatement;
  Parser.parseStatement = function parseStatement(this: any) {
    const tok = this.peekToken();
    if (tok && tok.type === lexer.TOKEN_SYMBOL && !(this.breakOnBlocks && this.breakOnBlocks.includes(tok.value))) {
      if (tok.value === 'do') {
        this.nextToken();
        const expr = this.parseExpression();
        this.advanceAfterBlockEnd(tok.value);
        return new Do(tok.lineno, tok.colno, expr);
      }
      if (tok.value === 'break' || tok.value === 'continue') {
        this.nextToken();
        this.advanceAfterBlockEnd(tok.value);
        return new LoopJump(tok.lineno, tok.colno, tok.value);
      }
    }
    return originalParseStatement.call(this);
  };

  // String literals as Python reads them: a backslash before a newline continues the line.
  const Tokenizer = Object.getPrototypeOf(lexer.lex(''));
  Tokenizer._parseString = function parseString(this: any, delimiter: string) {
    this.forward();
    let str = '';
    const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\n': '' };
    while (!this.isFinished() && this.current() !== delimiter) {
      const cur = this.current();
      if (cur === '\\') {
        this.forward();
        const next = this.current();
        str += next in escapes ? escapes[next] : next;
      } else str += cur;
      this.forward();
    }
    this.forward();
    return str;
  };

  installCompilerPatches();
}

function installCompilerPatches(): void {
  const emitCall = (self: any, fn: string, frame: any, ...args: any[]) => {
    self._emit(`runtime.${fn}(`);
    args.forEach((a, i) => {
      if (i) self._emit(', ');
      if (a === null || a === undefined) self._emit('null');
      else self.compile(a, frame);
    });
    self._emit(')');
  };

  // Call names end up inside a generated string literal: keep them one safe line.
  const originalGetNodeName = Compiler._getNodeName;
  Compiler._getNodeName = function (this: any, node: any) {
    return String(originalGetNodeName.call(this, node)).replace(/[\\\n\r\u2028\u2029]/g, ' ');
  };

  Compiler.compileKilnTuple = function (this: any, node: any, frame: any) {
    this._emit('runtime.kilnTuple(');
    this._compileAggregate(node, frame, '[', ']');
    this._emit(')');
  };

  // `==` and `!=` compare as Python does (no coercion; lists and dicts by value).
  Compiler.compileCompare = function (this: any, node: any, frame: any) {
    const operands = [node.expr, ...node.ops.map((op: any) => op.expr)];
    if (!node.ops.some((op: any) => op.type === '==' || op.type === '!=')) {
      this.compile(node.expr, frame);
      for (const op of node.ops) {
        this._emit(` ${op.type} `);
        this.compile(op.expr, frame);
      }
      return;
    }
    if (node.ops.length === 1) {
      const op = node.ops[0];
      if (op.type === '!=') this._emit('!');
      emitCall(this, 'kilnEq', frame, node.expr, op.expr);
      return;
    }
    // A chain `a < b == c` is `a < b and b == c`, each operand evaluated once.
    const ids = operands.map(() => this._tmpid());
    this._emit('(function(){');
    operands.forEach((o: any, i: number) => {
      this._emit(`var ${ids[i]} = `);
      this._compileExpression(o, frame);
      this._emit(';');
    });
    const parts = node.ops.map((op: any, i: number) => {
      const [l, r] = [ids[i], ids[i + 1]];
      if (op.type === '==') return `runtime.kilnEq(${l}, ${r})`;
      if (op.type === '!=') return `!runtime.kilnEq(${l}, ${r})`;
      return `(${l} ${op.type} ${r})`;
    });
    this._emit(`return ${parts.join(' && ')};})()`);
  };

  Compiler.compileKilnSlice = function (this: any, node: any, frame: any) {
    emitCall(this, 'kilnSlice', frame, node.target, node.start, node.stop, node.step);
  };
  Compiler.compileKilnStar = function (this: any, node: any, frame: any) {
    this._emit('...');
    emitCall(this, 'kilnStarArgs', frame, node.value);
  };
  Compiler.compileKilnDoubleStar = function (this: any, node: any, frame: any) {
    this._emit('...');
    emitCall(this, 'kilnStarKwargs', frame, node.value);
  };
  Compiler.compileKilnIter = function (this: any, node: any, frame: any) {
    emitCall(this, 'kilnIter', frame, node.value);
  };
  Compiler.compileKilnTruthy = function (this: any, node: any, frame: any) {
    emitCall(this, 'kilnTruthy', frame, node.value);
  };
  Compiler.compileKilnDo = function (this: any, node: any, frame: any) {
    this._compileExpression(node.expr, frame);
    this._emitLine(';');
  };
  Compiler.compileKilnLoopReset = function (this: any) {
    this._emitLine('runtime.kilnLoopReset(frame);');
  };
  Compiler.compileKilnLoopJump = function (this: any, node: any) {
    this._emitLine(`${node.kind};`);
  };
  Compiler.compileKilnLoopFilter = function (this: any, node: any, frame: any) {
    const names: any[] = node.names instanceof nodes.Array ? node.names.children : [node.names];
    const item = this._tmpid();
    const inner = frame.push();
    this._emit(`runtime.kilnLoopFilter(`);
    this.compile(node.arr, frame);
    this._emit(`, ${names.length}, function(${item}) {`);
    names.forEach((n, i) => {
      const id = this._tmpid();
      this._emit(`var ${id} = ${names.length > 1 ? `${item}[${i}]` : item};`);
      inner.set(n.value, id);
    });
    this._emit('return ');
    emitCall(this, 'kilnTruthy', inner, node.cond);
    this._emit(';})');
  };

  // Dict keys are expressions (`{name: 1}` uses the variable `name`), as in Jinja.
  Compiler.compilePair = function (this: any, node: any, frame: any) {
    if (node instanceof DoubleStar) return this.compile(node, frame);
    if (node.key instanceof nodes.Literal && typeof node.key.value === 'string') this.compile(node.key, frame);
    else {
      this._emit('[runtime.kilnKey(');
      this._compileExpression(node.key, frame);
      this._emit(')]');
    }
    this._emit(': ');
    this._compileExpression(node.value, frame);
  };
  const originalCompileDict = Compiler.compileDict;
  Compiler.compileDict = function (this: any, node: any, frame: any) {
    // A `**kwargs` child compiles itself as an object spread.
    if (!node.children.some((c: any) => c instanceof DoubleStar)) return originalCompileDict.call(this, node, frame);
    this._emit('{');
    node.children.forEach((c: any, i: number) => {
      if (i) this._emit(',');
      this.compile(c, frame);
    });
    this._emit('}');
  };

  // Keyword arguments: names are literal (nunjucks adds `caller` to a {% call %} as a name).
  Compiler.compileKeywordArgs = function (this: any, node: any, frame: any) {
    this._emit('runtime.makeKeywordArgs({');
    node.children.forEach((c: any, i: number) => {
      if (i) this._emit(',');
      if (c instanceof nodes.Pair && c.key instanceof nodes.Symbol) c = new nodes.Pair(c.lineno, c.colno, new nodes.Literal(c.key.lineno, c.key.colno, c.key.value), c.value);
      this.compile(c, frame);
    });
    this._emit('})');
  };

  // Python arithmetic on strings and lists: `'%s' % x`, `'ab' * 2`, `[1] + [2]`.
  for (const [method, fn] of [
    ['compileMod', 'kilnMod'],
    ['compileMul', 'kilnMul'],
    ['compileAdd', 'kilnAdd'],
    ['compileSub', 'kilnSub'],
  ] as const) {
    Compiler[method] = function (this: any, node: any, frame: any) {
      emitCall(this, fn, frame, node.left, node.right);
    };
  }

  // Python truthiness: empty lists and dicts are false.
  Compiler.compileOr = function (this: any, node: any, frame: any) {
    this._emit('runtime.kilnOr(');
    this.compile(node.left, frame);
    this._emit(', function() { return ');
    this.compile(node.right, frame);
    this._emit('; })');
  };
  Compiler.compileAnd = function (this: any, node: any, frame: any) {
    this._emit('runtime.kilnAnd(');
    this.compile(node.left, frame);
    this._emit(', function() { return ');
    this.compile(node.right, frame);
    this._emit('; })');
  };
  Compiler.compileNot = function (this: any, node: any, frame: any) {
    this._emit('!');
    emitCall(this, 'kilnTruthy', frame, node.target);
  };
  const wrapCond = (node: any) => {
    if (!(node.cond instanceof Truthy)) node.cond = new Truthy(node.cond.lineno, node.cond.colno, node.cond);
  };
  const originalCompileIf = Compiler.compileIf;
  Compiler.compileIf = function (this: any, node: any, frame: any, async: boolean) {
    wrapCond(node);
    return originalCompileIf.call(this, node, frame, async);
  };
  const originalCompileInlineIf = Compiler.compileInlineIf;
  Compiler.compileInlineIf = function (this: any, node: any, frame: any) {
    wrapCond(node);
    return originalCompileInlineIf.call(this, node, frame);
  };

  // Loops: a filter (`for x in xs if c`), and a dict iterates over its keys. The loop's own
  // frame is marked so that `{% set %}` in its body stays in the loop, as in Jinja.
  const originalCompileFor = Compiler.compileFor;
  Compiler.compileFor = function (this: any, node: any, frame: any) {
    if (!node.kilnPrepared) {
      node.kilnPrepared = true;
      if (!(node.name instanceof nodes.Array)) node.arr = new IterValue(node.arr.lineno, node.arr.colno, node.arr);
      if (node.filterCond) node.arr = new LoopFilter(node.arr.lineno, node.arr.colno, node.arr, node.name, node.filterCond);
      node.body.children.unshift(new LoopReset(node.lineno, node.colno));
    }
    frame.push = function (this: any, isolateWrites?: boolean) {
      delete this.push;
      const inner = this.push(isolateWrites);
      inner.kilnLoop = true;
      return inner;
    };
    try {
      return originalCompileFor.call(this, node, frame);
    } finally {
      delete frame.push;
    }
  };

  /** Whether a `{% set name %}` here binds in a loop body rather than a variable outside it. */
  const bindsInLoop = (frame: any, name: string): boolean => {
    for (let f = frame; f; f = f.parent) {
      if (f.variables[name] !== undefined) return Boolean(f.kilnLoopLocals?.has(name));
      if (f.kilnLoop) return true;
      if (f.isolateWrites) return false;
    }
    return false;
  };

  // Jinja's loop extras: `loop.cycle('odd', 'even')`, `loop.previtem`, `loop.nextitem`, `loop.changed(x)`.
  const originalLoopBindings = Compiler._emitLoopBindings;
  Compiler._emitLoopBindings = function (this: any, node: any, arr: string, i: string, len: string) {
    originalLoopBindings.call(this, node, arr, i, len);
    this._emitLine(`frame.set("loop.cycle", function() { return arguments.length ? arguments[${i} % arguments.length] : undefined; });`);
    this._emitLine(`frame.set("loop.previtem", runtime.isArray(${arr}) && ${i} > 0 ? ${arr}[${i} - 1] : undefined);`);
    this._emitLine(`frame.set("loop.nextitem", runtime.isArray(${arr}) && ${i} + 1 < ${len} ? ${arr}[${i} + 1] : undefined);`);
    this._emitLine('frame.set("loop.changed", runtime.kilnLoopChanged(frame));');
  };

  // Assignment targets: several names unpack a sequence; `ns.attr` sets an attribute.
  Compiler.compileSet = function (this: any, node: any, frame: any) {
    const value = this._tmpid();
    this._emit(`var ${value} = `);
    if (node.value) this._compileExpression(node.value, frame);
    else this.compile(node.body, frame);
    this._emitLine(';');
    const many = node.targets.length > 1;
    if (many) this._emitLine(`${value} = runtime.kilnUnpack(${value}, ${node.targets.length});`);
    node.targets.forEach((target: any, i: number) => {
      const v = many ? `${value}[${i}]` : value;
      if (target instanceof nodes.LookupVal) {
        this._emit('runtime.kilnSetAttr(');
        this._compileExpression(target.target, frame);
        this._emit(', ');
        this._compileExpression(target.val, frame);
        this._emitLine(`, ${v});`);
        return;
      }
      const name = target.value;
      if (bindsInLoop(frame, name)) {
        // Jinja: a name set in a loop body belongs to that iteration; the outer one is untouched.
        // Reads of it look it up at run time: before the set (in this iteration) they see the outer value.
        this._emitLine(`runtime.kilnSetLocal(frame, "${name}", ${v});`);
        frame.set(name, `runtime.contextOrFrameLookup(context, frame, "${name}")`);
        (frame.kilnLoopLocals ??= new Set()).add(name);
        return;
      }
      let id = frame.lookup(name);
      if (id === null || id === undefined) {
        id = this._tmpid();
        this._emitLine(`var ${id};`);
      }
      this._emitLine(`${id} = ${v};`);
      this._emitLine(`frame.set("${name}", ${id}, true);`);
      this._emitLine('if(frame.topLevel) {');
      this._emitLine(`context.setVariable("${name}", ${id});`);
      if (name.charAt(0) !== '_') this._emitLine(`context.addExport("${name}", ${id});`);
      this._emitLine('}');
    });
  };

  // Calls: `f(*args, **kwargs)` spread into the argument list.
  const originalCompileFunCall = Compiler.compileFunCall;
  Compiler.compileFunCall = function (this: any, node: any, frame: any) {
    const last = node.args.children[node.args.children.length - 1];
    const spreads = node.args.children.some((c: any) => c instanceof Star) || (last instanceof nodes.KeywordArgs && last.children.some((c: any) => c instanceof DoubleStar));
    if (!spreads) return originalCompileFunCall.call(this, node, frame);
    this._emit(`(lineno = ${node.lineno}, colno = ${node.colno}, runtime.callWrap(`);
    this._compileExpression(node.name, frame);
    this._emit(`, "${this._getNodeName(node.name).replace(/"/g, '\\"')}", context, runtime.kilnCallArgs([`);
    node.args.children.forEach((c: any, i: number) => {
      if (i) this._emit(',');
      this.compile(c, frame);
    });
    this._emit('])))');
  };

  // Macros: `varargs` and `kwargs` inside the body; names starting with `_` are exported too.
  Compiler._compileMacro = function (this: any, node: any, frame: any) {
    const args: any[] = [];
    let kwargs: any = null;
    const funcId = 'macro_' + this._tmpid();
    const keepFrame = frame !== undefined;
    node.args.children.forEach((arg: any, i: number) => {
      if (i === node.args.children.length - 1 && arg instanceof nodes.Dict) kwargs = arg;
      else {
        this.assertType(arg, nodes.Symbol);
        args.push(arg);
      }
    });
    const kwargPairs: any[] = kwargs ? kwargs.children : [];
    const realNames = [...args.map((n) => `l_${n.value}`), 'kwargs', 'kilnExtra'];
    const argNames = args.map((n) => `"${n.value}"`);
    const kwargNames = kwargPairs.map((p) => `"${p.key.value}"`);
    const currFrame = keepFrame ? frame.push(true) : new nj.runtime.Frame();
    this._emitLines(
      `var ${funcId} = runtime.makeMacro(`,
      `[${argNames.join(', ')}], `,
      `[${kwargNames.join(', ')}], `,
      `function (${realNames.join(', ')}) {`,
      'var callerFrame = frame;',
      'frame = ' + (keepFrame ? 'frame.push(true);' : 'new runtime.Frame();'),
      'kwargs = kwargs || {};',
      'if (Object.prototype.hasOwnProperty.call(kwargs, "caller")) {',
      'frame.set("caller", kwargs.caller); }',
      'frame.set("varargs", kilnExtra ? kilnExtra.varargs : []);',
      'frame.set("kwargs", kilnExtra ? kilnExtra.kwargs : {});',
    );
    for (const arg of args) {
      this._emitLine(`frame.set("${arg.value}", l_${arg.value});`);
      currFrame.set(arg.value, `l_${arg.value}`);
    }
    for (const pair of kwargPairs) {
      const name = pair.key.value;
      this._emit(`frame.set("${name}", Object.prototype.hasOwnProperty.call(kwargs, "${name}") ? kwargs["${name}"] : `);
      this._compileExpression(pair.value, currFrame);
      this._emit(');');
    }
    const bufferId = this._pushBuffer();
    this._withScopedSyntax(() => {
      this.compile(node.body, currFrame);
    });
    this._emitLine('frame = ' + (keepFrame ? 'frame.pop();' : 'callerFrame;'));
    this._emitLine(`return new runtime.SafeString(${bufferId});`);
    this._emitLine('});');
    this._popBuffer();
    return funcId;
  };
  Compiler.compileMacro = function (this: any, node: any, frame: any) {
    const funcId = this._compileMacro(node);
    const name = node.name.value;
    frame.set(name, funcId);
    if (frame.parent) this._emitLine(`frame.set("${name}", ${funcId});`);
    else {
      this._emitLine(`context.addExport("${name}");`);
      this._emitLine(`context.setVariable("${name}", ${funcId});`);
    }
  };
}
