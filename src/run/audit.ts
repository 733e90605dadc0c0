/**
 * Write-audit-publish: an audited table is built into a staging relation (an incremental
 * model's step is applied to a copy of its table), its error-severity
 * tests run against that staging relation, and only if they pass is it swapped into place.
 * If they fail, production is untouched and the new data is kept as `<name>__kiln_quarantine`
 * for inspection (replaced on the next failure, dropped on the next success).
 */
import { KilnError } from '../errors.js';
import type { Adapter } from '../adapters/types.js';
import type { Relation } from '../adapters/relation.js';
import { Compiler } from '../compile/compiler.js';
import type { ParsedProject } from '../parse/index.js';
import type { GraphNode } from '../parse/nodes.js';
import type { BuildOutcome, Materializer } from './materialize.js';
import { runDataTest } from './data-test.js';
import { stageIncremental } from './incremental-build.js';

export const quarantineSuffix = '__kiln_quarantine';

export function isAudited(node: GraphNode, auditAll: boolean): boolean {
  const audit = node.config.audit ?? auditAll;
  return (
    audit === true &&
    node.resourceType === 'model' &&
    (node.config.materialized === 'table' || node.config.materialized === 'incremental')
  );
}

// The build lock is already held here: the runner takes it with the node's first hook (runOutsideHooks).
export async function auditedBuild(
  node: GraphNode,
  compiledSql: string,
  parsed: ParsedProject,
  adapter: Adapter,
  materializer: Materializer,
): Promise<BuildOutcome> {
  const target = materializer.relationFor(node).withType('table');
  const staging = target.withIdentifier(target.identifier + materializer.auditSuffix);
  const quarantine = target.withIdentifier(target.identifier + quarantineSuffix);
  await materializer.ensureSchema(target.database, target.schema!);
  await dropIfThere(staging, materializer, adapter);
  // An incremental model's step is applied to a copy of its table; a table is built whole.
  const incremental = node.config.materialized === 'incremental';
  const staged = incremental ? await stageIncremental(materializer, node, compiledSql, staging) : undefined;
  if (!incremental) {
    await adapter.execute(materializer.sql('create_table_as', staging, compiledSql));
    await materializer.remember(staging, 'table');
  }

  // Tests compile against the staging relation in place of the model's own.
  const auditCompiler = new Compiler(parsed, materializer.session);
  auditCompiler.deferred = new Map([[node.uniqueId, staging]]);
  const failures: string[] = [];
  const tests = materializer.gatingTests.of(node);
  for (const t of tests) {
    try {
      const outcome = await runDataTest(t, auditCompiler.compile(t.uniqueId).compiledCode, adapter, materializer);
      if (outcome.status === 'fail')
        failures.push(`${t.name} (${outcome.failures} failing row${outcome.failures === 1 ? '' : 's'})`);
    } catch (e) {
      failures.push(`${t.name} (error: ${(e as Error).message.split('\n')[0]})`);
    }
  }

  if (failures.length) {
    await adapter.transaction(async (s) => {
      const old = await materializer.existing(quarantine);
      if (old) await s.execute(materializer.sql('drop_relation', quarantine.withType(old), old));
      await s.execute(materializer.sql('rename_relation', staging, 'table', quarantine.identifier));
    });
    await materializer.remember(staging, undefined);
    await materializer.remember(quarantine, 'table');
    throw new KilnError(
      'database',
      `audit failed: ${failures.join(', ')}. ${target.render()} was ` +
        `left as it was; the new data is in ${quarantine.render()} for ` +
        `inspection`,
      {
        hint: 'fix the model or the data, then run again; downstream models were not built',
      },
    );
  }

  // Listing relations needs a connection of its own, so it happens before the transaction.
  const old = await materializer.existing(target);
  await adapter.transaction(async (s) => {
    // The hooks run when the audited data is published, so a failed audit runs none of them.
    await materializer.runHooks(node, 'pre_hook', s);
    if (adapter.replacesAtomically && old !== 'view') {
      // One `create or replace` publishes it: there is no moment without the table.
      await s.execute(materializer.sql('create_table_as', target, `select * from ${staging.render()}`));
      await s.execute(materializer.sql('drop_relation', staging, 'table'));
    } else {
      if (old) await s.execute(materializer.sql('drop_relation', target.withType(old), old));
      await s.execute(materializer.sql('rename_relation', staging, 'table', target.identifier));
    }
    await materializer.runHooks(node, 'post_hook', s);
  });
  await materializer.remember(staging, undefined);
  await materializer.remember(target, 'table');
  await dropIfThere(quarantine, materializer, adapter);
  const audited = `audited: ${tests.length} test${tests.length === 1 ? '' : 's'} passed`;
  return staged
    ? { ...staged, message: `${staged.message} (${audited})` }
    : { message: `CREATE TABLE (${audited})`, relation: target };
}

async function dropIfThere(relation: Relation, materializer: Materializer, adapter: Adapter): Promise<void> {
  const type = await materializer.existing(relation);
  if (!type) return;
  await adapter.execute(materializer.sql('drop_relation', relation.withType(type), type));
  await materializer.remember(relation, undefined);
}
