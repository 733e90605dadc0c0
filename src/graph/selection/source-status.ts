/**
 * `source_status:fresher`: sources whose newest loaded row (max_loaded_at in this project's
 * sources.json) is later than in the --state run's sources.json, as in dbt. A source the
 * earlier run did not check counts as fresher; a source that failed to be checked in
 * either run does not. Both files are read only when the method is used.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KilnError } from '../../errors.js';

type Loaded = Map<string, number | undefined>;

export class SourceStatus {
  private current?: Loaded;
  private previous?: Loaded;

  /** `stateDir`: the --state folder, if given; `targetPath`: this project's target folder. */
  constructor(
    private readonly stateDir: string | undefined,
    private readonly targetPath: string,
  ) {}

  fresher(id: string): boolean {
    if (!this.stateDir) {
      throw new KilnError(
        'selection',
        "'source_status:' compares with another run's sources.json, but no --state was given",
        { hint: 'pass --state <folder of the run to compare with, holding its sources.json>' },
      );
    }
    this.previous ??= read(join(this.stateDir, 'sources.json'), 'the --state folder');
    this.current ??= read(join(this.targetPath, 'sources.json'), "this project's target folder");
    if (!this.current.has(id)) return false;
    const now = this.current.get(id);
    if (now === undefined) return false;
    if (!this.previous.has(id)) return true;
    const before = this.previous.get(id);
    return before !== undefined && now > before;
  }
}

/** unique_id → max_loaded_at in ms; undefined when the check errored or found no time. */
function read(file: string, where: string): Loaded {
  if (!existsSync(file)) {
    throw new KilnError('selection', `'source_status:' needs sources.json in ${where}, which has none`, {
      file,
      hint: 'run `kiln source freshness` in both runs: the earlier one (the --state folder) and this one',
    });
  }
  let json: { results?: Array<Record<string, unknown>> };
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as typeof json;
  } catch (e) {
    throw new KilnError('selection', `cannot read ${file}: ${(e as Error).message}`, {
      file,
      hint: 'the file must be sources.json written by `kiln source freshness` or dbt',
    });
  }
  const out: Loaded = new Map();
  for (const r of json.results ?? []) {
    const at = typeof r.max_loaded_at === 'string' ? Date.parse(r.max_loaded_at) : NaN;
    out.set(String(r.unique_id), r.status === 'runtime error' || Number.isNaN(at) ? undefined : at);
  }
  return out;
}
