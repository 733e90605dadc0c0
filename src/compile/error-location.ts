/**
 * A warehouse error says which line of the statement it ran failed; a person wants the line of
 * the file they wrote. These add, under the error's first line, the node's file and line
 * (through the Jinja render) and the compiled SQL's file and line.
 */
import { relative } from 'node:path';
import { KilnError } from '../errors.js';
import type { Compiler } from './compiler.js';
import { statementLineOf } from './source-location.js';
import type { GraphNode } from '../parse/nodes.js';

/** The message of a node's failure, with "at models/x.sql:7 (compiled: target/compiled/.../x.sql:8)". */
export function withSourceLocation(
  message: string,
  error: unknown,
  node: GraphNode,
  compiler: Compiler,
  projectDir: string,
): string {
  const at = locate(error, node, compiler);
  if (!at) return message;
  const compiled = `${relative(projectDir, compiler.compiledFile(node.uniqueId))}:${at.compiledLine}`;
  return insertLine(
    message,
    at.sourceLine !== undefined
      ? `at ${node.originalFilePath}:${at.sourceLine} (compiled: ${compiled})`
      : `at ${compiled} (compiled)`,
  );
}

/**
 * A unit test runs its model's SQL over fixtures: an error in that SQL is the model's, so it
 * names the model's file and line (the unit test's own YAML is named by the summary already).
 */
export function inTestedModel(error: unknown, model: GraphNode, compiler: Compiler): unknown {
  const at = locate(error, model, compiler);
  const warehouseError = databaseError(error);
  if (!at?.sourceLine || !warehouseError) return error;
  const message = insertLine(
    warehouseError.message,
    `in model '${model.name}' at ${model.originalFilePath}:${at.sourceLine}, which this unit test runs`,
  );
  return new KilnError('database', message, { cause: error, retryable: warehouseError.retryable });
}

function locate(
  error: unknown,
  node: GraphNode,
  compiler: Compiler,
): { compiledLine: number; sourceLine?: number } | undefined {
  const warehouseError = databaseError(error);
  if (!warehouseError) return undefined;
  const statementLine = statementLineOf(warehouseError.message);
  if (statementLine === undefined) return undefined;
  return compiler.sourceLocation(node.uniqueId, warehouseError.statement, statementLine);
}

function insertLine(message: string, line: string): string {
  const [first, ...rest] = message.split('\n');
  return [first, `  ${line}`, ...rest].join('\n');
}

/** The warehouse's error, also when a step wrapped it. */
function databaseError(error: unknown): KilnError | undefined {
  for (let e = error; e; e = e.cause) {
    if (e instanceof KilnError && e.kind === 'database' && e.statement !== undefined) return e;
    if (!(e instanceof Error)) break;
  }
  return undefined;
}
