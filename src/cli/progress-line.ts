/**
 * dbt's progress lines ("3 of 12 START table model main.orders ........ [RUN]"): what a node
 * is called, and a line that fits the width in visible characters, whatever colour it carries.
 */
import type { GraphNode } from '../parse/nodes.js';

const ansi = /\u001b\[[0-9;]*m/g;

/** Length as the terminal shows it: colour codes take no room. */
export function visibleLength(text: string): number {
  return text.replace(ansi, '').length;
}

/** "view model main.stg_orders", "test unique_orders_id", "unit_test orders::one_row": the line's subject. */
export function describeNode(node: GraphNode | undefined, fallback: string): string {
  if (!node) return `node ${fallback}`;
  if (node.resourceType === 'model') return `${String(node.config.materialized)} model ${node.schema}.${node.alias}`;
  if (node.resourceType === 'test') return `test ${node.name}`;
  if (node.resourceType === 'unit_test') return `unit_test ${node.fqn[node.fqn.length - 2]}::${node.name}`;
  return `${node.resourceType} ${node.schema}.${node.alias}`;
}

export interface ProgressLine {
  index: number;
  total: number;
  /** OK, START, ERROR, ...; coloured by `paint`. */
  label: string;
  what: string;
  /** Inside the brackets at the end: "RUN", "CREATE TABLE in 0.12s". */
  detail: string;
}

/** The shortest run of dots between the subject and the detail. */
const MIN_DOTS = 3;
/** On a terminal, the detail in brackets is cut to this many characters (the whole message stays in the summary). */
const MAX_DETAIL = 40;

/**
 * A line padded with dots to `width` visible characters. In a log nothing is cut, as in dbt's
 * (a long line is longer: a log is searched, and a cut name or message would hide what ran);
 * on a terminal (`fit`) the subject is cut with "..." so that the line does not wrap, and a
 * long detail too.
 */
export function progressLine(line: ProgressLine, width: number, paint: (label: string) => string, fit = false): string {
  const digits = String(line.total).length;
  const counter = `${String(line.index).padStart(digits)} of ${line.total} `;
  const label = line.label.padEnd(5);
  const detail = `[${fit ? cut(line.detail, MAX_DETAIL) : line.detail}]`;
  const room = width - counter.length - label.length - 1 - 1 - MIN_DOTS - 1 - detail.length;
  const what = fit ? cut(line.what, Math.max(room, 10)) : line.what;
  const dots = '.'.repeat(
    Math.max(MIN_DOTS, width - counter.length - label.length - 1 - what.length - 1 - 1 - detail.length),
  );
  return `${counter}${paint(label)} ${what} ${dots} ${detail}`;
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 3))}...`;
}

/** "1 seed, 2 view models, 3 data tests": dbt's count of what a run ran, by kind, in build order. */
export function countByKind(kinds: string[]): string {
  const counts = new Map<string, number>();
  for (const kind of kinds) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  const rank = (kind: string) =>
    ['seed', 'snapshot', 'model', 'data test', 'unit test'].findIndex((k) => kind.endsWith(k));
  return [...counts]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([kind, n]) => plural(n, kind))
    .join(', ');
}

export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** A node's kind as dbt counts it: models by materialization, tests as data tests. */
export function kindOf(node: GraphNode | undefined): string {
  if (!node) return 'node';
  if (node.resourceType === 'model') return `${String(node.config.materialized)} model`;
  if (node.resourceType === 'test') return 'data test';
  if (node.resourceType === 'unit_test') return 'unit test';
  return node.resourceType.replace(/_/g, ' ');
}
