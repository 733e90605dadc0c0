/**
 * The arguments of an invocation as run_results.json records them (`args`, dbt's field
 * names), and back: `kiln retry` repeats the last invocation from them.
 */
import type { KilnOptions } from '../tasks/options.js';

/**
 * `args` of a run_results.json as recordedArgs writes them (dbt's names). Read back unchecked
 * from the last run's file, so each is optional.
 */
export interface RecordedArgs {
  [key: string]: unknown;
  which?: string;
  select?: string[];
  exclude?: string[];
  threads?: number;
  selector?: string;
  resource_types?: string[];
  indirect_selection?: KilnOptions['indirectSelection'];
  full_refresh?: boolean;
  fail_fast?: boolean;
  vars?: KilnOptions['vars'];
  target?: string;
  profile?: string;
  state?: string;
  defer?: boolean;
  defer_state?: string;
  favor_state?: boolean;
}

export function recordedArgs(which: string, opts: KilnOptions, threads: number): Record<string, unknown> {
  const args: Record<string, unknown> = {
    which,
    select: opts.select ?? [],
    exclude: opts.exclude ?? [],
    threads,
  };
  const optional: Record<string, unknown> = {
    selector: opts.selector,
    resource_types: opts.resourceTypes?.length ? opts.resourceTypes : undefined,
    indirect_selection: opts.indirectSelection,
    full_refresh: opts.fullRefresh || undefined,
    fail_fast: opts.failFast || undefined,
    vars: opts.vars,
    target: opts.target,
    profile: opts.profile,
    state: opts.state,
    defer: opts.defer || undefined,
    defer_state: opts.deferState,
    favor_state: opts.favorState || undefined,
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) args[k] = v;
  return args;
}

/** KilnOptions that repeat a recorded invocation; `given` (flags of the retry itself) win. */
export function optionsFromArgs(args: RecordedArgs, given: KilnOptions): KilnOptions {
  const pick = <T>(value: T | undefined, recorded: T | undefined): T | undefined =>
    value !== undefined ? value : (recorded ?? undefined);
  return {
    ...given,
    select: args.select?.length ? args.select : undefined,
    exclude: args.exclude?.length ? args.exclude : undefined,
    selector: args.selector,
    resourceTypes: args.resource_types,
    indirectSelection: args.indirect_selection,
    fullRefresh: pick(given.fullRefresh, args.full_refresh),
    failFast: pick(given.failFast, args.fail_fast),
    vars: pick(given.vars, args.vars),
    target: pick(given.target, args.target),
    profile: pick(given.profile, args.profile),
    threads: pick(given.threads, args.threads),
    state: pick(given.state, args.state),
    defer: pick(given.defer, args.defer),
    deferState: pick(given.deferState, args.defer_state),
    favorState: pick(given.favorState, args.favor_state),
  };
}
