/**
 * A run's event stream replays the history, then follows live events: a node that finishes while the history is
 * being read (its row not yet written) still reaches the client, once; and one already recorded is not sent twice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer } from '../src/orchestrate/server.js';
import type { History, NodeRecord, RunRecord } from '../src/orchestrate/history.js';
import type { Orchestrator, OrchestratorEvent } from '../src/orchestrate/orchestrator.js';

const RUN_ID = '00000000-0000-4000-8000-000000000001';
const run = (status: RunRecord['status']) => ({ run_id: RUN_ID, job: 'j', status }) as RunRecord;
const node = (name: string) =>
  ({ run_id: RUN_ID, unique_id: `model.p.${name}`, resource_type: 'model', status: 'success' }) as NodeRecord;

/** An orchestrator that only publishes, and a history whose read of the nodes lets `during` run first. */
function fakes(recorded: NodeRecord[], during: (emit: (e: OrchestratorEvent) => void) => void) {
  const listeners = new Set<(e: OrchestratorEvent) => void>();
  const emit = (e: OrchestratorEvent) => listeners.forEach((l) => l(e));
  const orchestrator = {
    subscribe(listener: (e: OrchestratorEvent) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  } as unknown as Orchestrator;
  const history = {
    run: () => Promise.resolve(run('running')),
    nodes: async () => {
      const rows = [...recorded];
      await new Promise((resolve) => setImmediate(resolve));
      during(emit);
      return rows;
    },
  } as unknown as History;
  return { orchestrator, history };
}

function events(url: string): Promise<Array<{ type: string; phase?: string; node?: NodeRecord; run?: RunRecord }>> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () =>
          resolve(
            body
              .split('\n')
              .filter((l) => l.startsWith('data: '))
              .map((l) => JSON.parse(l.slice(6))),
          ),
        );
      })
      .on('error', reject);
  });
}

test(
  'a node finishing while the history is read reaches the stream once, and the run ends it',
  { timeout: 10_000 },
  async () => {
    const { orchestrator, history } = fakes([node('a')], (emit) => {
      // b finishes before its row is written; a's event comes again though its row was read.
      emit({ type: 'node', run_id: RUN_ID, phase: 'finished', node: node('a') });
      emit({ type: 'node', run_id: RUN_ID, phase: 'finished', node: node('b') });
      emit({ type: 'run', run: run('success') });
    });
    const server = await startServer({ orchestrator, history, token: 't', projectName: 'p', port: 0 });
    try {
      const got = await events(`${server.url}api/runs/${RUN_ID}/events`);
      assert.deepEqual(
        got.map((e) => (e.type === 'node' ? `node ${e.node!.unique_id}` : `run ${e.run!.status}`)),
        ['run running', 'node model.p.a', 'node model.p.b', 'run success'],
      );
    } finally {
      await server.close();
    }
  },
);
