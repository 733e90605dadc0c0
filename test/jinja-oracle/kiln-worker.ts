/** Worker thread of the differential template test: renders cases through kiln, one message each. */
import { parentPort, workerData } from 'node:worker_threads';
import { TemplateEngine } from '../../src/template/engine.js';
import { modules } from '../../src/template/modules/index.js';
import type { OracleCase, Outcome } from './harness.js';

/** One case through kiln: a fresh engine, the case's macro files as global macros, then the template. */
export function renderWithKiln(c: OracleCase): Outcome {
  try {
    const engine = new TemplateEngine({ modules, log: () => '' });
    for (const [fileName, source] of Object.entries(c.macros ?? {})) {
      engine.registerMacroFile(source, fileName, 'oracle', { global: true });
    }
    const out: unknown = engine.render(engine.compile(c.template, 'case.sql'), c.context ?? {}, 'case.sql');
    return { output: String(out) };
  } catch (e) {
    const err = e as { name?: unknown; message?: unknown };
    const message = String(err?.message ?? e).split('\n')[0];
    return { error: `${String(err?.name ?? 'Error')}: ${message}` };
  }
}

if (parentPort) {
  const { cases, start } = workerData as { cases: OracleCase[]; start: number };
  for (let i = start; i < cases.length; i++) parentPort.postMessage({ index: i, outcome: renderWithKiln(cases[i]!) });
}
