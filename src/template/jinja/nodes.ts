/** The syntax tree of a Jinja2 template, as the parser builds it and the compiler reads it. */

export type Expr =
  | { kind: 'const'; value: unknown; line: number }
  | { kind: 'name'; name: string; line: number }
  | { kind: 'list'; items: Expr[]; line: number }
  | { kind: 'tuple'; items: Expr[]; line: number }
  | { kind: 'dict'; pairs: Array<[Expr, Expr]>; line: number }
  | { kind: 'getattr'; target: Expr; attr: string; line: number }
  | { kind: 'getitem'; target: Expr; key: Expr; line: number }
  | { kind: 'slice'; target: Expr; start?: Expr; stop?: Expr; step?: Expr; line: number }
  | { kind: 'call'; fn: Expr; args: CallArgs; line: number }
  | { kind: 'filter'; value: Expr | undefined; name: string; args: CallArgs; line: number }
  | { kind: 'test'; value: Expr; name: string; args: CallArgs; negated: boolean; line: number }
  | { kind: 'binary'; op: string; left: Expr; right: Expr; line: number }
  | { kind: 'unary'; op: 'neg' | 'pos' | 'not'; value: Expr; line: number }
  | { kind: 'and' | 'or'; left: Expr; right: Expr; line: number }
  | { kind: 'concat'; items: Expr[]; line: number }
  | { kind: 'compare'; first: Expr; ops: Array<[string, Expr]>; line: number }
  | { kind: 'condexpr'; test: Expr; then: Expr; otherwise?: Expr; line: number };

export interface CallArgs {
  pos: Expr[];
  kw: Array<[string, Expr]>;
  star?: Expr;
  starstar?: Expr;
}

/** An assignment target: a name, a tuple of targets, or `ns.attr` (namespace attribute). */
export type Target =
  { kind: 'name'; name: string } | { kind: 'tuple'; items: Target[] } | { kind: 'nsref'; name: string; attr: string };

export interface MacroDef {
  name: string;
  params: Array<{ name: string; dflt?: Expr }>;
  body: Stmt[];
  line: number;
}

export type Stmt =
  | { kind: 'output'; text: string; line: number }
  | { kind: 'print'; expr: Expr; line: number }
  | { kind: 'if'; branches: Array<{ test: Expr; body: Stmt[] }>; otherwise: Stmt[]; line: number }
  | {
      kind: 'for';
      target: Target;
      iter: Expr;
      filter?: Expr;
      body: Stmt[];
      otherwise: Stmt[];
      recursive: boolean;
      line: number;
    }
  | { kind: 'set'; target: Target; value: Expr; line: number }
  | { kind: 'setblock'; target: Target; body: Stmt[]; filters: Expr[]; line: number }
  | { kind: 'macro'; macro: MacroDef; line: number }
  | { kind: 'callblock'; call: Expr; caller: MacroDef; line: number }
  | { kind: 'filterblock'; filters: Expr[]; body: Stmt[]; line: number }
  | { kind: 'with'; targets: Array<[Target, Expr]>; body: Stmt[]; line: number }
  | { kind: 'do'; expr: Expr; line: number }
  | { kind: 'break' | 'continue'; line: number }
  | { kind: 'scope'; body: Stmt[]; line: number };
