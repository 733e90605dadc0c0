/** Node events and an Output writing to memory, for the tests of the progress lines. */
import { Output, type LogFormat } from '../../src/cli/output.js';
import type { NodeEvent, NodeResult } from '../../src/run/results.js';
import type { GraphNode } from '../../src/parse/nodes.js';

export const viewNode = (name: string) =>
  ({
    name,
    resourceType: 'model',
    schema: 'main',
    alias: name,
    config: { materialized: 'view' },
  }) as unknown as GraphNode;

export function startedEvent(name: string, index: number, total: number): NodeEvent {
  return { type: 'started', uniqueId: `model.p.${name}`, node: viewNode(name), index, total, threadId: 'Thread-1' };
}

export function finishedEvent(name: string, index: number, total: number, message = 'OK'): NodeEvent {
  const result = {
    uniqueId: `model.p.${name}`,
    status: 'success',
    message,
    executionTime: 0.01,
    timing: [],
    failures: null,
    threadId: 'Thread-1',
    adapterResponse: {},
  } as NodeResult;
  return { type: 'finished', uniqueId: `model.p.${name}`, node: viewNode(name), index, total, result };
}

/** An Output in `format` whose lines (both streams) land in `lines`. */
export function memoryOutput(format: LogFormat = 'text'): { out: Output; lines: string[] } {
  const lines: string[] = [];
  const sink = { write: (text: string) => (lines.push(...text.split('\n').filter(Boolean)), true) };
  const stream = sink as unknown as NodeJS.WritableStream;
  return { out: new Output(format, stream, stream), lines };
}
