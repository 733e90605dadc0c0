/**
 * `kiln compile --dry-run`: each selected model's compiled SQL is handed to the warehouse's
 * dry run (BigQuery validates it and reports the bytes it would scan) before anyone pays for
 * running it. Nothing is created or run.
 */
import { KilnError } from '../errors.js';
import type { Adapter } from '../adapters/types.js';
import type { Compiler } from './compiler.js';
import type { ParsedProject } from '../parse/index.js';

export interface ModelEstimate {
  uniqueId: string;
  name: string;
  /** Bytes the query would scan; undefined when the dry run failed. */
  bytesProcessed?: number;
  statementType?: string;
  error?: string;
}

export interface DryRunReport {
  models: ModelEstimate[];
  totalBytes: number;
  /** True when every model's dry run succeeded. */
  ok: boolean;
}

export async function estimateModels(
  parsed: ParsedProject,
  compiler: Compiler,
  adapter: Adapter,
  ids: string[],
): Promise<DryRunReport> {
  if (!adapter.dryRun) {
    throw new KilnError(
      'config',
      `--dry-run needs a warehouse that can estimate a query without ` +
        `running it (bigquery); this target's adapter is ${adapter.type}`,
      {
        hint: 'point --target at a bigquery output',
      },
    );
  }
  const models = ids.filter((id) => {
    const n = parsed.manifest.nodes.get(id);
    return n?.resourceType === 'model' && n.config.materialized !== 'ephemeral' && parsed.templates.has(id);
  });
  const out: ModelEstimate[] = [];
  await adapter.open();
  try {
    for (const id of models) {
      const node = parsed.manifest.nodes.get(id)!;
      const sql = compiler.compile(id).compiledCode;
      try {
        const est = await adapter.dryRun(sql);
        out.push({
          uniqueId: id,
          name: node.name,
          bytesProcessed: est.bytesProcessed,
          statementType: est.statementType,
        });
      } catch (e) {
        out.push({ uniqueId: id, name: node.name, error: (e as Error).message });
      }
    }
  } finally {
    await adapter.close();
  }
  return {
    models: out,
    totalBytes: out.reduce((s, m) => s + (m.bytesProcessed ?? 0), 0),
    ok: out.every((m) => m.error === undefined),
  };
}

/** 1536 → "1.5 KiB", as BigQuery's console shows sizes. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}
