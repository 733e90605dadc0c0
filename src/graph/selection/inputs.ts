/**
 * What a command's selection reads besides the flags: selectors.yml (for --selector, the
 * default selector and the `selector:` method) and another run's manifest (for `state:`).
 */
import { KilnError } from '../../errors.js';
import { join } from 'node:path';
import { loadSelectors } from '../selectors-yml.js';
import { SourceStatus } from './source-status.js';
import { ImpactStatus } from './impact-status.js';
import { StateComparison } from '../../state/compare.js';
import type { PreviousRun } from '../../state/artifacts.js';
import type { SelectOptions } from '../selector.js';

export interface SelectionFlags {
  select?: string[];
  exclude?: string[];
  /** A name from selectors.yml. */
  selector?: string;
}

export function selectionInputs(
  projectDir: string,
  currentManifest: () => Record<string, unknown>,
  flags: SelectionFlags,
  previous: PreviousRun | undefined,
  log: (message: string, level?: 'info' | 'warn') => void,
  targetPath: string = join(projectDir, 'target'),
): Pick<SelectOptions, 'selector' | 'selectorName' | 'selectors' | 'state' | 'sourceStatus' | 'impact'> {
  const file = loadSelectors(projectDir);
  let selector = undefined;
  let selectorName = flags.selector;
  if (flags.selector !== undefined) {
    if (flags.select?.length || flags.exclude?.length)
      throw new KilnError('selection', '--selector cannot be combined with --select or --exclude', {
        hint: 'put the extra criteria into the selector definition in selectors.yml',
      });
    selector = file.selectors.get(flags.selector);
    if (!selector) {
      const known = [...file.selectors.keys()];
      throw new KilnError(
        'selection',
        `no selector named '${flags.selector}'` +
          (known.length ? ' in selectors.yml' : ': the project has no selectors.yml'),
        {
          file: known.length ? 'selectors.yml' : undefined,
          hint: known.length
            ? `defined selectors: ${known.join(', ')}`
            : 'define named selectors in selectors.yml at the project root',
        },
      );
    }
  } else if (!flags.select?.length && !flags.exclude?.length && file.defaultName) {
    selector = file.selectors.get(file.defaultName);
    selectorName = file.defaultName;
    log(`using the default selector '${file.defaultName}' from selectors.yml`);
  }
  const state = previous ? new StateComparison(currentManifest(), previous) : undefined;
  for (const change of state?.breakingContractChanges() ?? []) log(`breaking change to a contract: ${change}`, 'warn');
  return {
    selector,
    selectorName,
    selectors: file.selectors,
    state,
    sourceStatus: new SourceStatus(previous?.dir, targetPath),
    impact: new ImpactStatus(targetPath),
  };
}
