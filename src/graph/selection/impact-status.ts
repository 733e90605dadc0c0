/**
 * `impact:breaking` and `impact:modified`: the nodes in this project's target/impact.json,
 * written by `kiln impact --state DIR`. `breaking` is what a breaking column change reaches
 * (the changed models, the downstream models that read the columns, and their tests);
 * `modified` is every model the impact lists. The file is read only when the method is used.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KilnError } from '../../errors.js';

export class ImpactStatus {
  private sets?: { breaking: Set<string>; modified: Set<string> };

  constructor(private readonly targetPath: string) {}

  matches(id: string, value: string): boolean {
    this.sets ??= this.read();
    return (value === 'breaking' ? this.sets.breaking : this.sets.modified).has(id);
  }

  private read(): { breaking: Set<string>; modified: Set<string> } {
    const file = join(this.targetPath, 'impact.json');
    if (!existsSync(file)) {
      throw new KilnError('selection', `'impact:' selects from ${file}, which does not exist`, {
        hint: 'run `kiln impact --state <production artifacts>` first',
      });
    }
    try {
      const json = JSON.parse(readFileSync(file, 'utf8')) as {
        breaking_reach?: string[];
        models?: Array<{ unique_id: string }>;
      };
      return {
        breaking: new Set(json.breaking_reach ?? []),
        modified: new Set((json.models ?? []).map((m) => m.unique_id)),
      };
    } catch (e) {
      throw new KilnError('selection', `cannot read ${file}: ${(e as Error).message}`, {
        file,
        hint: 'run `kiln impact --state <production artifacts>` again',
      });
    }
  }
}
