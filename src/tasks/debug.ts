/** `kiln debug`: project, profile and connection, each checked. */
import { load } from './load.js';
import type { KilnOptions } from './options.js';

export async function debug(opts: KilnOptions = {}): Promise<{ ok: boolean; lines: string[] }> {
  const lines: string[] = [];
  const loaded = await load(opts);
  lines.push(`project: ${loaded.project.name} (${loaded.project.file})`);
  const { profileName, targetName, profilesFile } = loaded.target;
  lines.push(
    `profile: ${profileName}, target: ${targetName}${profilesFile ? ` (${profilesFile})` : ' (embedded DuckDB)'}`,
  );
  lines.push(`adapter: ${loaded.adapter.type}, threads: ${loaded.target.threads}`);
  const check = await loaded.adapter.check();
  await loaded.adapter.close().catch(() => undefined);
  lines.push(`connection: ${check.ok ? 'OK' : 'FAILED'} — ${check.message}`);
  return { ok: check.ok, lines };
}
