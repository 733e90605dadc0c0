/**
 * kiln's Jinja2 engine: compile a template once, render it many times against a set of
 * globals. Behaves as Python's Jinja2 in a SandboxedEnvironment with the `do` and
 * `loopcontrols` extensions, as dbt configures it; knows nothing of dbt's context.
 */
import { parseTemplate } from './parser.js';
import { compileBody } from './compiler.js';
import { Frame, makeRenderEnv, type RenderState } from './runtime.js';
import { builtinFilters } from './filters.js';
import { builtinTests } from './tests.js';
import type { Filter, RenderEnv, Test } from './render-env.js';
import type { Stmt } from './nodes.js';
import { outputLineSources, trackedOutput, type Output } from './source-lines.js';

export class JinjaTemplate {
  constructor(
    readonly file: string,
    readonly source: string,
    private readonly run: (frame: Frame, out: Output) => void,
  ) {}

  /**
   * Renders into a fresh top-level scope; returns the text and the scope (its macros and sets),
   * and with `trackLines` the template line each output line came from.
   */
  execute(
    state: RenderState,
    namespace?: Record<string, unknown>,
    trackLines = false,
  ): { text: string; frame: Frame; sourceLines?: () => number[] } {
    const frame = new Frame(undefined, state, namespace);
    const out = trackLines ? trackedOutput() : [];
    this.run(frame, out);
    const text = out.join('');
    if (!trackLines) return { text, frame };
    // Worked out only when asked (an error to locate): a render pays for two array writes per chunk.
    return { text, frame, sourceLines: () => outputLineSources(out, out.sites!) };
  }
}

/** The statements of a macro file that run: its top-level macro definitions, as the parser reads them. */
export function macroStatements(source: string): Stmt[] {
  return parseTemplate(source).filter((s) => s.kind === 'macro');
}

export class JinjaEnvironment {
  readonly globals: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  readonly filters: Record<string, Filter> = Object.assign(
    Object.create(null) as Record<string, Filter>,
    builtinFilters,
  );
  readonly tests: Record<string, Test> = Object.assign(Object.create(null) as Record<string, Test>, builtinTests);
  readonly renderEnv: RenderEnv = makeRenderEnv(this.filters, this.tests);
  readonly state: RenderState = {
    globals: this.globals,
    filters: this.filters,
    tests: this.tests,
    env: this.renderEnv,
  };

  /**
   * With `macrosOnly`, only the top-level macro definitions are kept (dbt's macro files); `parsed` is what
   * `macroStatements` gave for this source before (kiln's own macro files are parsed at build time), and
   * `macroBodiesOnCall` compiles each macro's body when first called (see CompileOptions).
   */
  compile(
    source: string,
    file: string,
    opts: { macrosOnly?: boolean; parsed?: Stmt[]; macroBodiesOnCall?: boolean } = {},
  ): JinjaTemplate {
    const ast = opts.macrosOnly ? (opts.parsed ?? macroStatements(source)) : parseTemplate(source);
    const { macroBodiesOnCall } = opts;
    return new JinjaTemplate(
      file,
      source,
      compileBody(ast, { file, filters: this.filters, tests: this.tests, macroBodiesOnCall }),
    );
  }

  render(template: JinjaTemplate, namespace?: Record<string, unknown>): string {
    return template.execute(this.state, namespace).text;
  }

  /** The text, and a function giving for each of its lines (index 0 is line 1) the template line it came from. */
  renderWithSourceLines(
    template: JinjaTemplate,
    namespace?: Record<string, unknown>,
  ): { text: string; sourceLines: () => number[] } {
    const { text, sourceLines } = template.execute(this.state, namespace, true);
    return { text, sourceLines: sourceLines! };
  }
}

export { MacroReturn, errorSite, callValue } from './runtime.js';
export { TemplateSyntaxError } from './lexer.js';
export { outputLineSources } from './source-lines.js';
