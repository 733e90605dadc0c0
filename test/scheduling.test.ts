import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run, type NodeEvent } from '../src/index.js';
import { writeProject, minimalProject, removeDir } from './helpers/cli.js';

test('the critical path starts first, using the previous run durations', async () => {
  const dir = writeProject(
    minimalProject({
      // Alone but slow: no descendants, so a first run cannot know it matters.
      'models/slow.sql': "{{ config(materialized='table') }}select sum(i) as s from range(300000000) t(i)",
      // Fast, but with a chain behind it: the longer path by node count.
      'models/wide.sql': 'select 1 as id',
      'models/wide_child.sql': "select * from {{ ref('wide') }}",
      'models/wide_grandchild.sql': "select * from {{ ref('wide_child') }}",
    }),
  );
  try {
    const firstStarted = async () => {
      const started: string[] = [];
      const r = await run({
        projectDir: dir,
        threads: 1,
        onEvent: (e: NodeEvent) => e.type === 'started' && started.push(e.node.name),
      });
      assert.equal(r.success, true);
      return started;
    };
    assert.equal((await firstStarted())[0], 'wide', 'with no history, the longest chain by count goes first');
    assert.equal((await firstStarted())[0], 'slow', 'with durations recorded, the slow node is the critical path');
  } finally {
    removeDir(dir);
  }
});
