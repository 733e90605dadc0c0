/**
 * Differential test of kiln's template engine against Python's Jinja2 configured as dbt-core
 * configures it: every case under test/jinja-oracle/cases/ is rendered by both, and any
 * difference not listed in docs/jinja-differences.md fails the test. Two outcomes are equal
 * when both are the same string or both are errors. Cases of dbt-only behaviour (return())
 * carry an "expected" answer written by hand instead of an oracle run.
 *
 * KILN_ORACLE_REPORT=1 prints how many cases of each topic are identical;
 * KILN_ORACLE_REPORT=<file>.json writes those counts (and the differing case names) to <file>.
 * KILN_ORACLE_FILTER=<text> runs only the cases whose topic or name contains <text> (the
 * corpus-wide checks are then skipped).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import {
  describeOutcome,
  loadAllowlist,
  loadCorpus,
  renderAllWithKiln,
  runOracle,
  sameOutcome,
  type OracleCase,
  type Outcome,
} from './jinja-oracle/harness.js';

const MIN_CASES = 600;
const MAX_ALLOWLIST = 10;

const corpus = loadCorpus();
const allowlist = loadAllowlist();
const filter = process.env.KILN_ORACLE_FILTER;
const selected = filter ? corpus.filter((c) => c.topic.includes(filter) || c.name.includes(filter)) : corpus;

test(
  'the jinja oracle corpus and allowlist are well-formed',
  { skip: filter ? 'KILN_ORACLE_FILTER is set' : false },
  () => {
    assert.ok(corpus.length >= MIN_CASES, `the corpus has ${corpus.length} cases, fewer than ${MIN_CASES}`);
    const seen = new Set<string>();
    const dupes = corpus.filter((c) => (seen.has(c.name) ? true : (seen.add(c.name), false))).map((c) => c.name);
    assert.deepEqual(dupes, [], 'case names must be unique');
    const badNames = corpus.filter((c) => !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(c.name)).map((c) => c.name);
    assert.deepEqual(badNames, [], 'case names must be kebab-case');
    const noTemplate = corpus.filter((c) => typeof c.template !== 'string').map((c) => c.name);
    assert.deepEqual(noTemplate, [], 'every case needs a template');
    const misplaced = corpus.filter((c) => (c.expected !== undefined) !== (c.topic === 'dbt-only')).map((c) => c.name);
    assert.deepEqual(misplaced, [], 'exactly the dbt-only cases carry "expected"');
    assert.ok(
      allowlist.length <= MAX_ALLOWLIST,
      `docs/jinja-differences.md lists ${allowlist.length} cases, more than ${MAX_ALLOWLIST}`,
    );
    const unknown = allowlist.filter((n) => !seen.has(n));
    assert.deepEqual(unknown, [], 'docs/jinja-differences.md names cases that do not exist');
  },
);

test('kiln renders every template as Jinja2 (configured as dbt does) renders it', async () => {
  const oracleCases = selected.filter((c) => c.expected === undefined);
  const started = Date.now();
  const oracle = runOracle(oracleCases);
  if ('problem' in oracle) assert.fail(oracle.problem);
  const oracleMs = Date.now() - started;

  const reference = new Map<OracleCase, Outcome>();
  oracleCases.forEach((c, i) => reference.set(c, oracle.outcomes[i]!));
  for (const c of selected) if (c.expected !== undefined) reference.set(c, { output: c.expected });

  const kiln = await renderAllWithKiln(selected);
  const allowed = new Set(allowlist);
  const differing: string[] = [];
  const nowMatching: string[] = [];
  const byTopic = new Map<string, { total: number; identical: number }>();
  let identical = 0;
  let allowlisted = 0;
  selected.forEach((c, i) => {
    const want = reference.get(c)!;
    const got = kiln[i]!;
    const same = sameOutcome(want, got);
    const t = byTopic.get(c.topic) ?? { total: 0, identical: 0 };
    t.total++;
    if (same) t.identical++;
    byTopic.set(c.topic, t);
    if (same) identical++;
    if (same && allowed.has(c.name)) nowMatching.push(c.name);
    if (!same && allowed.has(c.name)) allowlisted++;
    if (!same && !allowed.has(c.name)) {
      const macros = c.macros ? `\n    macros:    ${JSON.stringify(c.macros)}` : '';
      const context = c.context ? `\n    context:   ${JSON.stringify(c.context)}` : '';
      const label = c.expected !== undefined ? 'expected:' : 'Jinja2:';
      differing.push(
        `  ${c.name} [${c.topic}]\n    template:  ${JSON.stringify(c.template)}${context}${macros}\n` +
          `    ${label.padEnd(10)} ${describeOutcome(want)}\n    kiln:      ${describeOutcome(got)}`,
      );
    }
  });

  console.log(
    `jinja oracle: ${selected.length} cases, ${identical} identical, ${allowlisted} allowlisted` +
      ` (Jinja2 ${oracle.version}, oracle ${(oracleMs / 1000).toFixed(1)} s)`,
  );
  const topics = [...byTopic].sort(([a], [b]) => a.localeCompare(b));
  const report = process.env.KILN_ORACLE_REPORT;
  if (report === '1') {
    for (const [topic, t] of topics) console.log(`jinja oracle topic ${topic}: ${t.identical}/${t.total} identical`);
  } else if (report?.endsWith('.json')) {
    const summary = {
      cases: selected.length,
      identical,
      allowlisted,
      topics: Object.fromEntries(topics),
      differing: selected.filter((c, i) => !sameOutcome(reference.get(c)!, kiln[i]!)).map((c) => c.name),
    };
    writeFileSync(report, JSON.stringify(summary, null, 2) + '\n');
  }

  const problems: string[] = [];
  if (differing.length) {
    problems.push(
      `${differing.length} case(s) render differently from Jinja2 and are not in docs/jinja-differences.md:\n${differing.join('\n')}`,
    );
  }
  if (nowMatching.length) {
    problems.push(
      `allowlisted case(s) now render as Jinja2 does; remove them from docs/jinja-differences.md: ${nowMatching.join(', ')}`,
    );
  }
  assert.ok(problems.length === 0, problems.join('\n\n'));
});
