/**
 * JUnit XML for CI systems: one test case per executed node. A failing data test is a
 * <failure> with its failing-row count and the compiled SQL to run by hand; a node that
 * errored is an <error>; a skipped node is <skipped>.
 */
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from './write.js';
import { dirname, resolve } from 'node:path';
import type { GraphNode, TestNode } from '../parse/nodes.js';
import { compiledPath } from '../parse/node-dict.js';
import type { NodeResult } from '../run/results.js';
import { scrubSecrets } from '../secrets.js';

export { compiledPath };

export interface JunitInput {
  suiteName: string;
  results: NodeResult[];
  nodes: Map<string, GraphNode>;
  /** Seconds. */
  elapsed: number;
  projectDir: string;
  targetPath: string;
  timestamp?: Date;
}

export function junitXml(input: JunitInput): string {
  const count = (...s: string[]) => input.results.filter((r) => s.includes(r.status)).length;
  const cases = input.results.map((r) => testCase(r, input));
  const attrs = {
    name: input.suiteName,
    tests: input.results.length,
    failures: count('fail'),
    errors: count('error'),
    skipped: count('skipped', 'cancelled'),
    time: input.elapsed.toFixed(3),
    timestamp: (input.timestamp ?? new Date()).toISOString(),
  };
  const { tests, failures, errors, skipped, time } = attrs;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${attributes({ name: 'kiln', tests, failures, errors, skipped, time })}>`,
    `  <testsuite ${attributes(attrs)}>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

function testCase(r: NodeResult, input: JunitInput): string {
  const node = input.nodes.get(r.uniqueId);
  const classname = node
    ? `${node.resourceType}.${node.packageName}${node.fqn.length > 2 ? '.' + node.fqn.slice(1, -1).join('.') : ''}`
    : r.uniqueId;
  const file = node ? ((node as TestNode).declaredAt?.file ?? node.originalFilePath) : undefined;
  const caseAttributes = attributes({
    classname,
    name: node?.name ?? r.uniqueId,
    file,
    time: r.executionTime.toFixed(3),
  });
  const head = `    <testcase ${caseAttributes}`;
  const sql = node && r.compiledCode !== undefined ? compiledPath(node, input.projectDir, input.targetPath) : undefined;
  const where = sql ? `\ncompiled SQL: ${sql}` : '';
  switch (r.status) {
    case 'fail': {
      const rows = `${r.failures ?? 0} failing row${r.failures === 1 ? '' : 's'}`;
      const failure = attributes({ type: 'test_failure', message: `${rows}${sql ? ` (compiled SQL: ${sql})` : ''}` });
      return `${head}>\n      <failure ${failure}>${text(`${r.message}${where}`)}</failure>\n    </testcase>`;
    }
    case 'error': {
      const error = attributes({ type: 'error', message: r.message.split('\n')[0] });
      return `${head}>\n      <error ${error}>${text(`${r.message}${where}`)}</error>\n    </testcase>`;
    }
    case 'skipped':
    case 'cancelled':
      return `${head}>\n      <skipped ${attributes({ message: r.message })}/>\n    </testcase>`;
    case 'warn': {
      const output = text(`WARN: ${r.failures ?? 0} failing rows${where}\n${r.message}`);
      return `${head}>\n      <system-out>${output}</system-out>\n    </testcase>`;
    }
    default:
      return `${head}/>`;
  }
}

function attributes(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}="${text(String(v)).replace(/"/g, '&quot;').replace(/\n/g, '&#10;')}"`)
    .join(' ');
}

/** XML-escaped text, without characters XML 1.0 forbids. */
function text(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

export function writeJunitXml(file: string, input: JunitInput): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileAtomic(file, scrubSecrets(junitXml(input)));
}
