/**
 * The template sandbox under attack. Templates come from packages that `kiln deps` downloads,
 * so rendering must never be a way to run code, read the environment or touch the file system.
 * With nunjucks, `{{ ''.constructor.constructor('return process')() }}` printed
 * `[object process]`; kiln's own Jinja2 engine closes that by design (attributes.ts).
 *
 * Every payload of test/fixtures/jinja-sandbox/payloads.json is compiled as the one model of
 * a fresh project through kiln's public `compile` API, i.e. with the dbt context kiln really
 * builds (invocationScope, ref/source/config/this, kiln's own macros, graph, modules). The
 * renders run in a child process (this file, started with --kiln-sandbox-child) so that a
 * payload which hangs or exhausts memory costs a timeout or a crash report, not the test run.
 * In that process, around the whole corpus, process.env is a Proxy recording every key read,
 * and after each payload the built-in prototypes and globalThis are compared with a snapshot.
 *
 * Each payload is its own subtest. It passes when
 *  - the render finishes (output or error) within RENDER_LIMIT_MS, without crashing;
 *  - any output carries no trace of a JavaScript object (no `[object`, `function`, `native
 *    code`, `process`, `=>`, `class `) and not the secret planted in the environment;
 *  - no environment variable was read while rendering except those its env_var() calls ask
 *    for, nothing was written to the marker path, and nothing was added to Object.prototype,
 *    the other built-in prototypes or globalThis;
 *  - it agrees with Python's Jinja2 SandboxedEnvironment (do + loopcontrols, as dbt configures
 *    it) rendering the same template with a comparable dbt context: where Jinja2 raises, kiln
 *    raises or prints nothing; where Jinja2 renders, kiln prints exactly the same. Payloads
 *    whose `why` starts with "Meaningless in Python" (and carry "python": false) skip this.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { oracleDir } from './jinja-oracle/harness.js';

interface Payload {
  name: string;
  template: string;
  why: string;
  python?: boolean;
}

type Outcome = { output: string } | { error: string };

interface KilnResult {
  index: number;
  outcome?: Outcome;
  /** Set instead of `outcome` when the child hung or died on this payload. */
  failure?: string;
  /** All renders of the payload together (kiln renders a model when parsing and when compiling). */
  renderMs: number;
  /** The longest single render. */
  longestRenderMs: number;
  totalMs: number;
  envInRender: string[];
  envOutside: string[];
  pollution: string[];
  /** The marker file appeared while this payload rendered (the child then removes it). */
  markerWritten: boolean;
}

const CHILD_FLAG = '--kiln-sandbox-child';
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const payloadFile = join(repoRoot, 'test', 'fixtures', 'jinja-sandbox', 'payloads.json');
const PYTHON = '/usr/bin/python3';
const INSTALL_HINT = "Python's Jinja2 is missing: apt-get install python3-jinja2 python3-yaml";
const SECRET_NAME = 'KILN_SANDBOX_SECRET';
const SECRET_VALUE = 'kiln-sandbox-s3cr3t-value';
/** Time one render may take before it must have finished or failed. */
const RENDER_LIMIT_MS = 5_000;
/** Without a message from the child for this long, the payload counts as a hang. */
const CHILD_SILENCE_MS = 30_000;
const MIN_PAYLOADS = 60;
/** Substrings that betray a JavaScript object reaching the output. */
const JS_TRACES = ['[object', 'function', 'native code', 'process', '=>', 'class '];

function loadPayloads(): Payload[] {
  return JSON.parse(readFileSync(payloadFile, 'utf8')) as Payload[];
}

function withMarker(template: string, marker: string): string {
  return template.split('__MARKER__').join(marker);
}

/** The environment variables a payload asks for through env_var('NAME', ...). */
function envVarKeys(template: string): string[] {
  return [...template.matchAll(/env_var\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

function describe(o: Outcome | undefined): string {
  if (!o) return '(nothing)';
  return 'output' in o ? `output ${JSON.stringify(o.output)}` : `error ${JSON.stringify(o.error)}`;
}

// ---------------------------------------------------------------------------------------------
// The child: renders payloads through kiln's public compile API, one project each.
// ---------------------------------------------------------------------------------------------

async function childMain(argv: string[]): Promise<void> {
  const start = Number(argv[0]);
  const marker = argv[1]!;
  const scratch = argv[2]!;
  const { compile } = await import('../src/index.js');
  const { TemplateEngine } = await import('../src/template/engine.js');
  const { writeProject, minimalProject, removeDir } = await import('./helpers/cli.js');
  const payloads = loadPayloads();
  const send = (msg: unknown) => new Promise<void>((resolve) => process.send!(msg, () => resolve()));

  // Render windows: every way kiln runs a template goes through these TemplateEngine methods.
  let depth = 0;
  let renderMs = 0;
  let longestRenderMs = 0;
  const proto = TemplateEngine.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const method of ['render', 'callMacro', 'registerMacroFile']) {
    const original = proto[method]!;
    proto[method] = function (this: unknown, ...args: unknown[]) {
      const t0 = performance.now();
      depth++;
      try {
        return original.apply(this, args);
      } finally {
        depth--;
        if (depth === 0) {
          const took = performance.now() - t0;
          renderMs += took;
          longestRenderMs = Math.max(longestRenderMs, took);
        }
      }
    };
  }

  // process.env as a Proxy that records every key read, in and outside render windows.
  let envInRender = new Set<string>();
  let envOutside = new Set<string>();
  const note = (key: string | symbol) => {
    if (typeof key !== 'string') return;
    (depth > 0 ? envInRender : envOutside).add(key);
  };
  const realEnvDescriptor = Object.getOwnPropertyDescriptor(process, 'env')!;
  const realEnv = process.env;
  const envProxy = new Proxy(realEnv, {
    get: (t, k) => (note(k), Reflect.get(t, k)),
    has: (t, k) => (note(k), Reflect.has(t, k)),
    getOwnPropertyDescriptor: (t, k) => (note(k), Reflect.getOwnPropertyDescriptor(t, k)),
    ownKeys: (t) => (note('<every key: the environment was enumerated>'), Reflect.ownKeys(t)),
    set: (t, k, v) => (note(k), Reflect.set(t, k, v)),
    deleteProperty: (t, k) => (note(k), Reflect.deleteProperty(t, k)),
  });

  const compileOne = async (template: string): Promise<Outcome> => {
    // Projects live under the parent's scratch folder, which it removes even after a crash.
    const dir = writeProject(
      minimalProject({ 'models/m.sql': template, 'models/other.sql': 'select 1 as x\n' }),
      mkdtempSync(join(scratch, 'project-')),
    );
    try {
      const r = await compile({ projectDir: dir, select: ['m'] });
      const sql = r.compiled.get('model.tiny.m');
      return sql === undefined ? { error: 'kiln compiled no model.tiny.m' } : { output: sql };
    } catch (e) {
      const err = e as { name?: unknown; message?: unknown };
      return { error: `${String(err?.name ?? 'Error')}: ${String(err?.message ?? e).split('\n')[0]}` };
    } finally {
      removeDir(dir);
    }
  };

  // What the prototypes and globalThis look like before any payload (after a warm-up render).
  const watched: Array<[string, object]> = [
    ['Object.prototype', Object.prototype],
    ['Function.prototype', Function.prototype],
    ['Array.prototype', Array.prototype],
    ['String.prototype', String.prototype],
    ['Number.prototype', Number.prototype],
    ['Boolean.prototype', Boolean.prototype],
    ['globalThis', globalThis],
  ];
  const snapshot = () =>
    new Map(
      watched.map(([label, obj]) => {
        const props = new Map<string | symbol, unknown>();
        for (const key of Reflect.ownKeys(obj)) {
          if (obj === globalThis && key === 'env') continue;
          const d = Object.getOwnPropertyDescriptor(obj, key)!;
          // The getter is compared by identity, never called.
          // eslint-disable-next-line @typescript-eslint/unbound-method
          props.set(key, 'value' in d ? d.value : d.get);
        }
        return [label, props] as const;
      }),
    );
  const pollution = (before: ReturnType<typeof snapshot>): string[] => {
    const out: string[] = [];
    const after = snapshot();
    for (const [label, props] of after) {
      const old = before.get(label)!;
      for (const [key, value] of props) {
        if (!old.has(key)) out.push(`${label} gained ${String(key)}`);
        else if (old.get(key) !== value && label !== 'globalThis') out.push(`${label}.${String(key)} was replaced`);
      }
      for (const key of old.keys()) if (!props.has(key)) out.push(`${label} lost ${String(key)}`);
    }
    const probe = {} as Record<string, unknown>;
    if (probe.polluted !== undefined) out.push('({}).polluted is defined');
    if (([] as unknown as Record<string, unknown>).polluted !== undefined) out.push('[].polluted is defined');
    if (Object.getPrototypeOf(probe) !== Object.prototype) out.push("{}'s prototype changed");
    return out;
  };

  Object.defineProperty(process, 'env', { value: envProxy, configurable: true, writable: true, enumerable: true });
  try {
    // Warm-up: kiln's own lazy initialisation happens here, and its env reads outside renders
    // become the baseline a payload's compile may repeat.
    await compileOne("select {{ 1 }} as one, {{ ref('other') }} as r");
    await compileOne('{{ this_is_undefined() }}');
    const baseline = snapshot();
    const baselineOutside = [...envOutside];
    const baselineInRender = [...envInRender];
    await send({ ready: true, baselineOutside, baselineInRender });
    for (let i = start; i < payloads.length; i++) {
      envInRender = new Set();
      envOutside = new Set();
      renderMs = 0;
      longestRenderMs = 0;
      const t0 = performance.now();
      const outcome = await compileOne(withMarker(payloads[i]!.template, marker));
      const result: KilnResult = {
        index: i,
        outcome,
        renderMs: Math.round(renderMs),
        longestRenderMs: Math.round(longestRenderMs),
        totalMs: Math.round(performance.now() - t0),
        envInRender: [...envInRender],
        envOutside: [...envOutside],
        pollution: pollution(baseline),
        markerWritten: existsSync(marker),
      };
      // Judge each payload alone: a marker one payload wrote must not be blamed on the next.
      if (result.markerWritten) rmSync(marker, { force: true, recursive: true });
      await send(result);
      // A polluted process would blame every later payload: the parent goes on in a fresh one.
      if (result.pollution.length && i + 1 < payloads.length) {
        await send({ restart: true });
        process.exit(0);
      }
    }
  } finally {
    Object.defineProperty(process, 'env', realEnvDescriptor);
  }
  await send({ done: true });
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// The parent: runs the child (restarting it after a hang or a crash) and Python's Jinja2.
// ---------------------------------------------------------------------------------------------

interface KilnRun {
  results: KilnResult[];
  baselineOutside: Set<string>;
  baselineInRender: Set<string>;
}

async function runKiln(count: number, marker: string, home: string): Promise<KilnRun> {
  const results: KilnResult[] = new Array(count);
  const baselineOutside = new Set<string>();
  const baselineInRender = new Set<string>();
  const env: Record<string, string | undefined> = {
    ...process.env,
    [SECRET_NAME]: SECRET_VALUE,
    NO_COLOR: '1',
    KILN_PROFILES_DIR: '',
    DBT_PROFILES_DIR: '',
    HOME: home,
  };
  delete env.KILN_SANDBOX_OK;
  delete env.KILN_SANDBOX_MISSING;
  delete env.NODE_TEST_CONTEXT;
  let next = 0;
  while (next < count) {
    next = await new Promise<number>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--max-old-space-size=2048', fileURLToPath(import.meta.url), CHILD_FLAG, String(next), marker, home],
        {
          stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
          env,
        },
      );
      let at = next;
      let tail = '';
      const keep = (chunk: Buffer) => {
        tail = (tail + chunk.toString('utf8')).slice(-1500);
      };
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const fail = (why: string) => {
        if (at < count && !results[at]) {
          results[at] = {
            index: at,
            failure: why,
            renderMs: 0,
            longestRenderMs: 0,
            totalMs: 0,
            envInRender: [],
            envOutside: [],
            pollution: [],
            markerWritten: existsSync(marker),
          };
        }
      };
      const finish = (resumeAt: number) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        child.removeAllListeners();
        if (child.exitCode === null) child.kill('SIGKILL');
        resolve(resumeAt);
      };
      const arm = () => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          fail(`kiln did not finish within ${CHILD_SILENCE_MS} ms (killed)`);
          finish(at + 1);
        }, CHILD_SILENCE_MS);
      };
      arm();
      child.on(
        'message',
        (
          m:
            | KilnResult
            | { ready: true; baselineOutside: string[]; baselineInRender: string[] }
            | { done: true }
            | { restart: true },
        ) => {
          arm();
          if ('restart' in m) {
            finish(at);
          } else if ('ready' in m) {
            for (const k of m.baselineOutside) baselineOutside.add(k);
            for (const k of m.baselineInRender) baselineInRender.add(k);
          } else if ('done' in m) {
            finish(count);
          } else {
            results[m.index] = m;
            at = m.index + 1;
            if (at >= count) finish(count);
          }
        },
      );
      child.on('exit', (code, signal) => {
        if (settled) return;
        fail(`kiln's process died (exit ${code ?? signal}): ${tail.trim().split('\n').slice(-4).join(' | ')}`);
        finish(at + 1);
      });
    });
  }
  return { results, baselineOutside, baselineInRender };
}

/** Python's Jinja2, sandboxed as dbt configures it, with a comparable dbt context. */
const ORACLE = String.raw`
import datetime, json, os, resource, signal, sys
# The differential test's oracle: dbt's environment and base context (render_jinja2.py).
sys.path.insert(0, sys.argv[1])
try:
    import render_jinja2 as dbt
except ImportError as exc:
    sys.stderr.write("missing Python package: %s\n" % exc)
    sys.exit(3)

# A payload that allocates without bound fails with MemoryError instead of taking the machine.
resource.setrlimit(resource.RLIMIT_AS, (768 * 1024 * 1024, 768 * 1024 * 1024))
sys.setrecursionlimit(3000)
CASE_TIMEOUT = 5


class CaseTimeout(Exception):
    pass


def on_alarm(signum, frame):
    raise CaseTimeout("took longer than %d s" % CASE_TIMEOUT)


class Relation:
    """dbt's BaseRelation as templates print it, quoted as kiln quotes for DuckDB."""

    def __init__(self, database=None, schema=None, identifier=None, type="table"):
        self.database, self.schema, self.identifier, self.type = database, schema, identifier, type

    @property
    def name(self):
        return self.identifier

    @property
    def table(self):
        return self.identifier

    @property
    def path(self):
        return {"database": self.database, "schema": self.schema, "identifier": self.identifier}

    def render(self):
        return ".".join('"%s"' % p for p in (self.database, self.schema, self.identifier) if p is not None)

    def include(self, database=True, schema=True, identifier=True):
        return Relation(self.database if database else None, self.schema if schema else None, self.identifier if identifier else None, self.type)

    def __str__(self):
        return self.render()


class RelationApi:
    @staticmethod
    def create(database=None, schema=None, identifier=None, type="table", **kwargs):
        return Relation(database, schema, identifier, type)


class Config:
    def __call__(self, *args, **kwargs):
        return ""

    def get(self, key, default=None):
        return default

    def require(self, key):
        raise dbt.CompilationError("config '%s' is required" % key)


class Adapter:
    def type(self):
        return "duckdb"

    def quote(self, name):
        return '"%s"' % name

    def dispatch(self, macro_name, macro_namespace=None):
        raise dbt.CompilationError("no implementation of macro '%s'" % macro_name)


def _env_var(name, default=None):
    if name in os.environ:
        return os.environ[name]
    if default is not None:
        return default
    raise dbt.CompilationError("Env var required but not provided: '%s'" % name)


def _var(name, default=None):
    if default is not None:
        return default
    raise dbt.CompilationError("Required var '%s' not found" % name)


def context():
    ref = lambda *a, **k: Relation("kiln", "main", a[-1] if a else None)
    source = lambda s, t: Relation("kiln", "main", t)
    config = Config()
    modules = dbt.context_modules()
    return {
        "ref": ref,
        "source": source,
        "config": config,
        "this": Relation("kiln", "main", "m"),
        "execute": True,
        "target": {"name": "dev", "schema": "main", "type": "duckdb", "database": "kiln", "threads": 1, "profile_name": "tiny", "target_name": "dev"},
        "project_name": "tiny",
        "env_var": _env_var,
        "var": _var,
        "invocation_id": "00000000-0000-0000-0000-000000000000",
        "run_started_at": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        "flags": {},
        "adapter": Adapter(),
        "api": {"Relation": RelationApi, "Column": {}},
        "modules": modules,
        "run_query": lambda sql: None,
        "statement": lambda *a, **k: "",
        "load_result": lambda name: None,
        "store_result": lambda *a, **k: "",
        "selected_resources": ["model.tiny.m"],
        "dbt_version": "1.9.0",
        "thread_id": "Thread-1",
        "builtins": {"ref": ref, "source": source, "config": config},
        "log": lambda msg, info=False: "",
        "print": lambda msg: "",
        "exceptions": {"raise_compiler_error": dbt._raise_compiler_error, "warn": lambda msg, node=None: ""},
        "return": dbt._return,
        "tojson": dbt._tojson,
        "fromjson": dbt._fromjson,
        "fromyaml": dbt._fromyaml,
        "is_incremental": lambda: False,
        "model": {"name": "m", "unique_id": "model.tiny.m", "resource_type": "model", "package_name": "tiny"},
        "graph": {"nodes": {}, "sources": {}, "macros": {}, "exposures": {}, "metrics": {}, "groups": {}, "semantic_models": {}, "saved_queries": {}},
    }


def render(template):
    return dbt.new_environment().from_string(template).render(context())


def main():
    templates = json.load(sys.stdin)
    signal.signal(signal.SIGALRM, on_alarm)
    results = []
    for template in templates:
        try:
            signal.alarm(CASE_TIMEOUT)
            try:
                out = render(template)
            finally:
                signal.alarm(0)
            results.append({"output": out})
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as e:  # MemoryError and RecursionError too: every failure is an outcome
            text = str(e).splitlines()[0] if str(e) else ""
            results.append({"error": "%s: %s" % (type(e).__name__, text[:300])})
    sys.stdout.write(json.dumps(results))


main()
`;

function runPython(templates: string[]): { outcomes: Outcome[] } | { problem: string } {
  if (!existsSync(PYTHON)) return { problem: `${INSTALL_HINT} (${PYTHON} not found)` };
  const probe = spawnSync(PYTHON, ['-c', 'import jinja2, jinja2.sandbox, yaml'], { encoding: 'utf8' });
  if (probe.status !== 0) return { problem: `${INSTALL_HINT} (${(probe.stderr || '').trim().split('\n').pop()})` };
  const r = spawnSync(PYTHON, ['-B', '-c', ORACLE, oracleDir], {
    input: JSON.stringify(templates),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 600_000,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PYTHONHASHSEED: '0',
      PYTHONIOENCODING: 'utf-8',
      TZ: 'UTC',
      [SECRET_NAME]: SECRET_VALUE,
    },
  });
  if (r.status !== 0)
    return {
      problem: `Python's Jinja2 oracle failed (status ${r.status}): ${(r.stderr || String(r.error ?? '')).trim().split('\n').pop()}`,
    };
  const outcomes = JSON.parse(r.stdout) as Outcome[];
  if (outcomes.length !== templates.length)
    return { problem: `Python's Jinja2 oracle answered ${outcomes.length} of ${templates.length} payloads` };
  return { outcomes };
}

// ---------------------------------------------------------------------------------------------

if (process.argv.includes(CHILD_FLAG)) {
  await childMain(process.argv.slice(process.argv.indexOf(CHILD_FLAG) + 1));
} else {
  const payloads = loadPayloads();
  const home = mkdtempSync(join(tmpdir(), 'kiln-sandbox-home-'));
  const marker = join(tmpdir(), `kiln-sandbox-marker-${process.pid}-${Date.now()}`);
  const protoKeysBefore = Reflect.ownKeys(Object.prototype).map(String).sort();
  const globalKeysBefore = new Set(Reflect.ownKeys(globalThis).map(String));
  const python = runPython(payloads.map((p) => withMarker(p.template, marker)));
  let run: KilnRun;
  try {
    run = await runKiln(payloads.length, marker, home);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }

  test('the sandbox payload corpus is well-formed', () => {
    assert.ok(
      payloads.length >= MIN_PAYLOADS,
      `the corpus has ${payloads.length} payloads, fewer than ${MIN_PAYLOADS}`,
    );
    const seen = new Set<string>();
    const dupes = payloads.filter((p) => (seen.has(p.name) ? true : (seen.add(p.name), false))).map((p) => p.name);
    assert.deepEqual(dupes, [], 'payload names must be unique');
    assert.deepEqual(
      payloads.filter((p) => !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(p.name)).map((p) => p.name),
      [],
      'payload names must be kebab-case',
    );
    assert.deepEqual(
      payloads
        .filter((p) => typeof p.template !== 'string' || !p.template || typeof p.why !== 'string' || !p.why)
        .map((p) => p.name),
      [],
      'every payload needs a template and a why',
    );
    const noPython = payloads
      .filter((p) => (p.python === false) !== p.why.startsWith('Meaningless in Python'))
      .map((p) => p.name);
    assert.deepEqual(noPython, [], '"python": false exactly when the why starts with "Meaningless in Python"');
    assert.ok(
      payloads.some((p) => envVarKeys(p.template).length > 0),
      'the corpus needs a legitimate env_var() payload',
    );
  });

  test("Python's Jinja2 sandbox is available as the reference", () => {
    if ('problem' in python) assert.fail(python.problem);
  });

  payloads.forEach((p, i) => {
    test(`payload ${p.name}`, () => {
      const r = run.results[i];
      assert.ok(r, 'kiln reported nothing for this payload');
      const problems: string[] = [];
      if (r.failure) problems.push(`CRASH/HANG: ${r.failure}`);
      if (r.longestRenderMs > RENDER_LIMIT_MS)
        problems.push(
          `SLOW: one render took ${r.longestRenderMs} ms (limit ${RENDER_LIMIT_MS} ms; all renders ${r.renderMs} ms)`,
        );
      const got = r.outcome;
      if (got && 'output' in got) {
        const traces = JS_TRACES.filter((t) => got.output.includes(t));
        if (traces.length) problems.push(`LEAK: the output carries ${traces.map((t) => JSON.stringify(t)).join(', ')}`);
        if (got.output.includes(SECRET_VALUE)) problems.push(`LEAK: the output carries the value of ${SECRET_NAME}`);
      }
      const allowed = new Set(envVarKeys(p.template));
      const readInRender = r.envInRender.filter((k) => !allowed.has(k) && !run.baselineInRender.has(k));
      if (readInRender.length) problems.push(`ENV: rendering read ${readInRender.join(', ')}`);
      const readOutside = r.envOutside.filter((k) => !allowed.has(k) && !run.baselineOutside.has(k));
      if (readOutside.length)
        problems.push(`ENV: compiling read ${readOutside.join(', ')}, which a plain compile does not`);
      if (r.pollution.length) problems.push(`POLLUTION: ${r.pollution.join('; ')}`);
      if (r.markerWritten) problems.push(`FILE: the payload wrote the marker file ${marker}`);
      if (!('problem' in python) && p.python !== false && got) {
        const want = python.outcomes[i]!;
        if ('error' in want) {
          if ('output' in got && got.output.trim() !== '')
            problems.push(`PARITY: Jinja2 raises (${want.error}) but kiln printed ${JSON.stringify(got.output)}`);
        } else if (!('output' in got)) {
          problems.push(`PARITY: Jinja2 prints ${JSON.stringify(want.output)} but kiln raised ${got.error}`);
        } else if (got.output !== want.output) {
          problems.push(
            `PARITY: Jinja2 prints ${JSON.stringify(want.output)} but kiln printed ${JSON.stringify(got.output)}`,
          );
        }
      }
      if (problems.length) {
        const pyLine = 'problem' in python ? '' : `\n  Jinja2:   ${describe(python.outcomes[i])}`;
        assert.fail(
          `${p.name}: ${problems.join(' / ')}\n  template: ${p.template}\n  kiln:     ${describe(got)}${pyLine}`,
        );
      }
    });
  });

  test('the whole corpus left the process, the environment and the file system as they were', () => {
    const allowed = new Set(payloads.flatMap((p) => envVarKeys(p.template)));
    const inRender = new Set(run.results.flatMap((r) => r?.envInRender ?? []));
    const unexpected = [...inRender].filter((k) => !allowed.has(k) && !run.baselineInRender.has(k)).sort();
    assert.deepEqual(
      unexpected,
      [],
      'environment variables read while rendering, other than those env_var() asked for',
    );
    assert.deepEqual(
      [...run.baselineInRender].sort(),
      [],
      'a plain compile read environment variables while rendering',
    );
    assert.deepEqual(
      run.results.flatMap((r) => r?.pollution ?? []),
      [],
      'built-in prototypes or globalThis changed in the rendering process',
    );
    const writers = payloads.filter((_, i) => run.results[i]?.markerWritten).map((p) => p.name);
    const markerLeft = existsSync(marker);
    rmSync(marker, { force: true, recursive: true });
    assert.deepEqual(writers, [], `payloads wrote the marker file ${marker}`);
    assert.equal(markerLeft, false, `the marker file ${marker} exists after the corpus`);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(
      Reflect.ownKeys(Object.prototype).map(String).sort(),
      protoKeysBefore,
      'Object.prototype changed in the test process',
    );
    const newGlobals = Reflect.ownKeys(globalThis)
      .map(String)
      .filter((k) => !globalKeysBefore.has(k));
    assert.deepEqual(newGlobals, [], 'globalThis gained keys in the test process');
  });
}
