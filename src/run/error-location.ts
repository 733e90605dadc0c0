/**
 * A warehouse error says which line of the statement it ran failed; a person wants the line of
 * the file they wrote. This adds, under the error's first line, the node's file and line
 * (through the Jinja render) and the compiled SQL's file and line.
 */
import { relative } from 'node:path';
import { KilnError } from '../errors.js';
import type { Compiler } from '../compile/compiler.js';
import { statementLineOf } from '../compile/source-location.js';
import type { GraphNode } from '../parse/nodes.js';

export function withSourceLocation(message: string, error: unknown, node: GraphNode, compiler: Compiler, projectDir: string): string {
  const warehouseError = databaseError(error);
  if (!warehouseError) return message;
  const statementLine = statementLineOf(warehouseError.message);
  if (statementLine === undefined) return message;
  const at = compiler.sourceLocation(node.uniqueId, warehouseError.statement, statementLine);
  if (!at) return message;
  const compiled = `${relative(projectDir, compiler.compiledFile(node.uniqueId))}:${at.compiledLine}`;
  const where = at.sourceLine !== undefined ? `${node.originalFilePath}:${at.sourceLine} (compiled: ${compiled})` : `${compiled} (compiled)`;
  const [first, ...rest] = message.split('\n');
  return [first, `  at ${where}`, ...rest].join('\n');
}

/** The warehouse's error, also when a step wrapped it. */
function databaseError(error: unknown): KilnError | undefined {
  for (let e = error; e; e = (e as Error).cause) {
    if (e instanceof KilnError && e.kind === 'database' && e.statement !== undefined) return e;
    if (!(e instanceof Error)) break;
  }
  return undefined;
}
