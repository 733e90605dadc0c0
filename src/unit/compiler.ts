/**
 * The model under test, rendered as in a run except: each input renders as its fixture CTE,
 * `is_incremental()` and other macros, vars and env vars take the test's overrides.
 */
import { Compiler, type CompiledNode } from '../compile/compiler.js';
import type { ParsedProject } from '../parse/index.js';
import type { KilnSession } from '../session.js';
import type { GraphNode, UnitTestNode } from '../parse/nodes.js';
import type { Relation } from '../adapters/relation.js';
import type { Scope } from '../template/engine.js';
import { envVar } from '../template/env-var.js';

export class UnitTestCompiler extends Compiler {
  private readonly extra: Scope = {};

  constructor(
    parsed: ParsedProject,
    session: KilnSession,
    private readonly test: UnitTestNode,
    inputs: Map<string, Relation>,
  ) {
    const { vars, envVars, macros } = test.overrides;
    const { info } = session;
    // var() reads the invocation's lookup: the overrides come first.
    super(parsed, {
      ...session,
      info: {
        ...info,
        flags: { ...info.flags, EMPTY: false },
        vars: (name) => (name in vars ? { found: true, value: vars[name] } : info.vars(name)),
      },
    });
    this.deferred = inputs;
    const incremental = macros.is_incremental;
    this.setIncrementalCheck(() => incremental === true || String(incremental).toLowerCase() === 'true');
    for (const [name, value] of Object.entries(macros))
      if (name !== 'is_incremental' && !name.includes('.')) this.extra[name] = () => value;
    if (Object.keys(envVars).length)
      this.extra.env_var = (name: string, fallback?: unknown) =>
        name in envVars ? String(envVars[name]) : envVar(name, fallback);
  }

  override nodeScope(node: GraphNode): Scope {
    const scope = super.nodeScope(node);
    return node.uniqueId === this.test.model ? { ...scope, ...this.extra } : scope;
  }

  /** Renders, then puts back the globals the overrides replaced (rendering installs its scope as globals). */
  override compile(id: string): CompiledNode {
    const globals = this.session.engine.globals;
    const saved = Object.keys(this.extra).map((k) => [k, globals[k]] as const);
    try {
      return super.compile(id);
    } finally {
      for (const [k, v] of saved) globals[k] = v;
    }
  }
}
