/**
 * Rendering nodes into warehouse SQL: refs become relations, ephemeral parents become CTEs,
 * generic tests call their `{% test %}` macro. No connection is opened here.
 */
import { dirname, join } from 'node:path';
import { KilnError } from '../errors.js';
import { scrubSecrets, secretValues } from '../secrets.js';
import type { ParsedProject } from '../parse/index.js';
import type { KilnSession } from '../session.js';
import type { Adapter } from '../adapters/types.js';
import type { GraphNode, TestNode } from '../parse/nodes.js';
import type { Relation } from '../adapters/relation.js';
import { LazyValue, type Scope } from '../template/engine.js';
import { configObject, varFunction } from '../template/context.js';
import { analyseSimpleTemplate, exact } from '../parse/simple-template.js';
import { compiledFileUnder, compiledFolderOf, nodeDict } from '../parse/node-dict.js';
import { pyStr as pythonStr } from '../template/jinja/repr.js';
import { cteName, injectCtes } from './ephemeral.js';
import { emptyIfAsked } from './empty.js';
import { emit, outputLineSources, trackedOutput } from '../template/jinja/source-lines.js';
import { lineWithin } from './source-location.js';
import { CompiledFiles } from './compiled-files.js';
import type { CompiledSqlCache } from './compile-cache.js';

export interface CompiledNode {
  uniqueId: string;
  /** The node's SQL with ephemeral CTEs injected: what runs. */
  compiledCode: string;
  /** Ephemeral models this node inlines, dependencies first. */
  ephemerals: string[];
}

export class Compiler {
  private readonly bodies = new Map<string, string>();
  /** Per node, the line of its file each line of its rendered body came from (worked out on demand). */
  private readonly sourceLines = new Map<string, () => number[]>();
  private readonly compiled = new Map<string, CompiledNode>();
  /** Read once: the environment is the same for every file this compiler writes. */
  private secrets?: string[];
  /** target/compiled, under which compiledFile() joins each node's path. */
  private compiledFolder?: string;

  /**
   * `kiln compile` with partial parsing: rendered SQL reused from the last invocation, unchanged files not rewritten.
   */
  cache?: CompiledSqlCache;

  /** Under --defer: relations (from another run's manifest) for nodes not built here. */
  deferred?: Map<string, Relation>;

  /** `is_incremental()`: false unless the runner, which knows the warehouse, says otherwise. */
  private isIncremental: (node: GraphNode) => boolean = () => false;

  constructor(
    private readonly parsed: ParsedProject,
    /** The invocation this compiler renders for: its engine, adapter and flags. */
    readonly session: KilnSession,
    /** Where compiled files are queued; a compile may have prepared it while parsing. */
    private readonly files = new CompiledFiles(),
  ) {}

  /** The parsed project this compiler renders. */
  get parsedProject(): ParsedProject {
    return this.parsed;
  }

  /** Lets the runner answer `is_incremental()` from the relations it found in the warehouse. */
  setIncrementalCheck(check: (node: GraphNode) => boolean): void {
    this.isIncremental = check;
  }

  /** The relation a ref/source to `id` renders as. */
  relationOf(id: string): Relation {
    const deferred = this.deferred?.get(id);
    if (deferred) return deferred;
    const { manifest } = this.parsed;
    const { adapter } = this.session;
    const node = manifest.nodes.get(id);
    if (node) {
      if (node.config.materialized === 'ephemeral')
        return adapter.relation(undefined, undefined, cteName(node.name), 'cte');
      return adapter.relation(
        node.database,
        node.schema,
        node.alias,
        node.config.materialized === 'view' ? 'view' : 'table',
      );
    }
    const src = manifest.sources.get(id);
    if (!src) throw new KilnError('internal', `unknown node ${id}`);
    return adapter.relation(src.database, src.schema, src.identifier);
  }

  compile(id: string): CompiledNode {
    const done = this.compiled.get(id);
    if (done) return done;
    const node = this.parsed.manifest.nodes.get(id);
    if (!node) throw new KilnError('internal', `unknown node ${id}`);
    const body = this.body(node);
    const ephemerals = this.ephemeralAncestors(node);
    const compiledCode = injectCtes(
      body,
      ephemerals.map((e) => ({
        name: cteName(this.parsed.manifest.nodes.get(e)!.name),
        sql: this.body(this.parsed.manifest.nodes.get(e)!),
      })),
    );
    const result = { uniqueId: id, compiledCode: emptyIfAsked(this.session.info, node, compiledCode), ephemerals };
    this.compiled.set(id, result);
    return result;
  }

  /** Ephemeral ancestors reachable through ephemerals only, dependencies first. */
  private ephemeralAncestors(node: GraphNode): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    const visit = (n: GraphNode) => {
      for (const dep of n.dependsOn.nodes) {
        const d = this.parsed.manifest.nodes.get(dep);
        if (!d || d.config.materialized !== 'ephemeral' || seen.has(dep)) continue;
        seen.add(dep);
        visit(d);
        out.push(dep);
      }
    };
    visit(node);
    return out;
  }

  /** The node's own rendered SQL, without CTEs. */
  private body(node: GraphNode): string {
    const cached = this.bodies.get(node.uniqueId);
    if (cached !== undefined) return cached;
    const test = node as TestNode;
    const render = () => (test.testMetadata ? this.renderGenericTest(test) : this.renderSql(node));
    const sql = this.cache ? this.cache.body(node, (id) => this.relationOf(id), render) : render();
    this.bodies.set(node.uniqueId, sql);
    return sql;
  }

  private resolveRef(node: GraphNode, name: string, pkg?: string): Relation {
    const { manifest } = this.parsed;
    const matches = node.dependsOn.nodes.filter((d) => {
      const n = manifest.nodes.get(d);
      return n !== undefined && n.name === name && (pkg === undefined || n.packageName === pkg);
    });
    // A node that refs one name from two packages: an unqualified ref searches as parsing did.
    const owner = (p: string) => matches.find((d) => manifest.nodes.get(d)!.packageName === p);
    const id =
      matches.length > 1 && pkg === undefined
        ? (owner(manifest.projectName) ?? owner(node.packageName) ?? matches[0])
        : matches[0];
    if (!id)
      throw new KilnError('graph', `ref('${name}') in ${node.originalFilePath} was not recorded while parsing`, {
        file: node.originalFilePath,
        hint:
          'a ref inside a branch that parsing did not take needs `-- depends_on: ' +
          '{{ ref(...) }}` at the top of the file',
      });
    return this.relationOf(id);
  }

  private resolveSource(node: GraphNode, src: string, table: string): Relation {
    const id = node.dependsOn.nodes.find((d) => {
      const s = this.parsed.manifest.sources.get(d);
      return s !== undefined && s.sourceName === src && s.name === table;
    });
    if (!id)
      throw new KilnError(
        'graph',
        `source('${src}', '${table}') in ${node.originalFilePath} was not recorded while parsing`,
        { file: node.originalFilePath },
      );
    return this.relationOf(id);
  }

  nodeScope(node: GraphNode): Scope {
    const { info } = this.session;
    return {
      ref: (...args: unknown[]) => {
        const strs = args.filter((a): a is string => typeof a === 'string');
        return strs.length >= 2 ? this.resolveRef(node, strs[1]!, strs[0]) : this.resolveRef(node, strs[0]!);
      },
      source: (src: string, table: string) => this.resolveSource(node, src, table),
      // Made only if a template reads them: a view's create_view_as reads none (and `model`, the
      // node's whole dictionary, cost a run of 1,000 views more than the rest of the scope).
      config: new LazyValue(() =>
        configObject(
          () => undefined,
          () => node.config,
          node.originalFilePath,
        ),
      ),
      var: new LazyValue(() => varFunction(info, { file: node.originalFilePath, node: node.uniqueId })),
      this: new LazyValue(() => this.relationOf(node.uniqueId)),
      is_incremental: () => this.isIncremental(node),
      execute: true,
      model: new LazyValue(() => modelDict(node, this.session.adapter)),
    };
  }

  private renderSql(node: GraphNode): string {
    const template = this.parsed.templates.get(node.uniqueId);
    if (!template) throw new KilnError('internal', `no template for ${node.uniqueId}`);
    if (template.kind === 'jinja') {
      const { text, sourceLines } = this.session.engine.renderWithSourceLines(
        template.template,
        this.nodeScope(node),
        node.originalFilePath,
      );
      this.sourceLines.set(node.uniqueId, sourceLines);
      return text;
    }
    const out = trackedOutput();
    let line = 1;
    let varFn: ReturnType<typeof varFunction> | undefined;
    for (const part of template.parts) {
      if (typeof part === 'string') {
        emit(out, part, line, true);
        for (let i = part.indexOf('\n'); i >= 0; i = part.indexOf('\n', i + 1)) line++;
        continue;
      }
      line = part.line;
      if (part.fn === 'ref') {
        const strs = part.args as string[];
        emit(
          out,
          (strs.length >= 2 ? this.resolveRef(node, strs[1]!, strs[0]) : this.resolveRef(node, strs[0]!)).render(),
          line,
          false,
        );
      } else if (part.fn === 'source')
        emit(out, this.resolveSource(node, part.args[0] as string, part.args[1] as string).render(), line, false);
      else if (part.fn === 'var') {
        varFn ??= varFunction(this.session.info, { file: node.originalFilePath, node: node.uniqueId });
        emit(out, pythonStr(varFn(part.args[0] as string, part.args[1])), line, false);
      }
    }
    // Kept until the compiler goes (a run's error names the line): copied to their lengths (see exact()).
    const chunks = exact(out);
    const sites = exact(out.sites!);
    this.sourceLines.set(node.uniqueId, () => outputLineSources(chunks, sites));
    return out.join('');
  }

  /**
   * Where a line of what ran came from: `statementLine` of `statement` (the SQL sent, which
   * wraps the compiled code) back to the compiled code's line and the line of the node's file.
   */
  sourceLocation(
    id: string,
    statement: string | undefined,
    statementLine: number,
  ): { compiledLine: number; sourceLine?: number } | undefined {
    const compiled = this.compiled.get(id)?.compiledCode;
    const body = this.bodies.get(id);
    if (compiled === undefined) return undefined;
    const compiledLine = statement === undefined ? statementLine : lineWithin(statement, statementLine, compiled);
    if (compiledLine === undefined) return undefined;
    const bodyLine = body === undefined ? undefined : lineWithin(compiled, compiledLine, body);
    const sourceLine = bodyLine === undefined ? undefined : this.sourceLines.get(id)?.()[bodyLine - 1];
    return { compiledLine, sourceLine };
  }

  private renderGenericTest(test: TestNode): string {
    const meta = test.testMetadata!;
    const macro = meta.namespace ? `${meta.namespace}.test_${meta.name}` : `test_${meta.name}`;
    const where = test.declaredAt ?? { file: test.originalFilePath };
    if (!this.session.engine.hasMacro(macro)) {
      throw new KilnError(
        'template',
        `generic test '${meta.namespace ? `${meta.namespace}.` : ''}${meta.name}' is not defined`,
        {
          file: where.file,
          line: where.line,
          hint:
            `define it with {% test ${meta.name}(model, column_name) %} ... ` +
            `{% endtest %} in macros/ or tests/generic/`,
        },
      );
    }
    const scope = this.nodeScope(test);
    // `{{ config(fail_calc=...) }}` inside the test's macro (as dbt_utils' tests do) sets what
    // the YAML left at its default; the run reads the config after this render.
    const defaults: Record<string, unknown> = {
      severity: 'ERROR',
      error_if: '!= 0',
      warn_if: '!= 0',
      fail_calc: 'count(*)',
    };
    scope.config = configObject(
      (kw) => {
        for (const [k, v] of Object.entries(kw))
          if (k !== '__keywords' && (test.config[k] === undefined || test.config[k] === defaults[k]))
            test.config[k] = v;
      },
      () => test.config,
      test.originalFilePath,
    );
    const attached = test.dependsOn.nodes[0] !== undefined ? this.relationOf(test.dependsOn.nodes[0]) : undefined;
    const wherePredicate = test.config.where;
    const model = wherePredicate
      ? `(select * from ${attached?.render()} where ${String(wherePredicate)}) dbt_subquery`
      : attached;
    const kwargs: Record<string, unknown> = { model };
    for (const [k, v] of Object.entries(meta.kwargs)) kwargs[k] = this.renderArg(test, v, scope);
    try {
      const sql = this.session.engine.callMacro(macro, [{ ...kwargs, __keywords: true }], scope);
      return String(sql);
    } catch (e) {
      if (e instanceof KilnError)
        throw new KilnError(e.kind, `in test '${test.name}': ${e.message}`, {
          file: where.file,
          line: where.line,
          hint: e.hint,
        });
      throw e;
    }
  }

  private renderArg(test: TestNode, value: unknown, scope: Scope): unknown {
    if (typeof value !== 'string') return value;
    if (/^\s*(ref|source)\s*\(/.test(value)) {
      const parts = analyseSimpleTemplate(`{{ ${value} }}`);
      const call = parts?.find((p) => typeof p !== 'string');
      if (call && typeof call !== 'string') {
        const strs = call.args as string[];
        if (call.fn === 'ref')
          return strs.length >= 2 ? this.resolveRef(test, strs[1]!, strs[0]) : this.resolveRef(test, strs[0]!);
        if (call.fn === 'source') return this.resolveSource(test, strs[0]!, strs[1]!);
      }
    }
    if (value.includes('{{'))
      return this.session.engine.render(
        this.session.engine.compile(value, test.originalFilePath),
        scope,
        test.originalFilePath,
      );
    return value;
  }

  /** Where the node's compiled SQL is written: target/compiled/<package>/<path>. */
  compiledFile(id: string): string {
    const node = this.parsed.manifest.nodes.get(id)!;
    const rel = (node as TestNode).testMetadata
      ? join(dirname(node.originalFilePath), node.path)
      : node.originalFilePath;
    return compiledFileUnder(
      (this.compiledFolder ??= compiledFolderOf(this.parsed.project.targetPath)),
      node.packageName,
      rel,
    );
  }

  /**
   * Queues target/compiled/<package>/<path> for a compiled node, secrets scrubbed; the files
   * are written while rendering goes on (src/compile/compiled-files.ts), and flushWrites()
   * waits for them.
   */
  writeCompiled(id: string): string {
    const file = this.compiledFile(id);
    const text = scrubSecrets(this.compile(id).compiledCode, (this.secrets ??= secretValues()));
    if (this.cache?.keepsFile(file, text)) {
      // A compile that keeps files rewrites few: a worker starts only for a full batch.
      this.files.expect(0);
      return file;
    }
    this.files.write(file, text);
    return file;
  }

  /** Says that about `count` nodes will be written before the next flush (see CompiledFiles.expect). */
  expectWrites(count: number): void {
    this.files.expect(count);
  }

  /**
   * Resolves once every queued file is written (and recorded in the partial parse cache); rejects with the first file
   * system error.
   */
  flushWrites(): Promise<void> {
    return this.files.flush().then((stats) => this.cache?.recordWrites(stats));
  }
}

/**
 * `model` while a node renders: dbt's node dictionary (src/parse/node-dict.ts), with the
 * relation it builds; `batch` is None outside a microbatch run, so `model.batch.event_time_start`
 * is undefined rather than an error.
 */
export function modelDict(node: GraphNode, adapter?: Pick<Adapter, 'relation'>): Record<string, unknown> {
  return nodeDict(node, {
    flavor: 'context',
    relationName: adapter
      ? (database, schema, identifier) => adapter.relation(database, schema, identifier).render()
      : undefined,
  });
}
