/**
 * What a render read besides its own text, for the caches that reuse a render's result
 * (src/parse/partial-cache.ts, src/compile/compile-cache.ts): the macro files whose macros it
 * called (nested calls included), the environment variables env_var() read, and whether it
 * touched anything that differs per invocation or has an effect (the warehouse, the clock,
 * invocation_id, run_started_at, flags, selected_resources, graph, log output). Such a render
 * is never reused. Knows nothing of caches: it only records, and only while someone listens.
 */

export interface RenderReads {
  /** Macro files (as registered with the engine) whose macros ran. */
  macroFiles: Set<string>;
  /** env_var() names and the value read (null: unset). */
  envVars: Map<string, string | null>;
  /** The first per-invocation value or effect the render touched; undefined when none. */
  volatile?: string;
}

/** Open records; a render inside another (an ephemeral parent while its child compiles) counts for both. */
const open: RenderReads[] = [];

/** Runs `fn`, recording what it reads. */
export function recordReads<T>(fn: () => T): { result: T; reads: RenderReads } {
  const reads: RenderReads = { macroFiles: new Set(), envVars: new Map() };
  open.push(reads);
  try {
    return { result: fn(), reads };
  } finally {
    open.splice(open.lastIndexOf(reads), 1);
  }
}

/** True while some render is being recorded: callers skip building what they would note. */
export function recording(): boolean {
  return open.length > 0;
}

export function noteMacroFile(file: string): void {
  for (const r of open) r.macroFiles.add(file);
}

/**
 * Invocation-wide listeners: every env_var() read, in renders or in YAML (dbt_project.yml, profiles.yml, properties).
 */
const envListeners = new Set<Map<string, string | null>>();

/** Collects every env_var() read from now until `stop()`; reads of concurrent invocations may be mixed in. */
export function listenToEnvReads(): { reads: Map<string, string | null>; stop: () => void } {
  const reads = new Map<string, string | null>();
  envListeners.add(reads);
  return { reads, stop: () => envListeners.delete(reads) };
}

export function noteEnvVar(name: string, value: string | undefined): void {
  for (const r of open) if (!r.envVars.has(name)) r.envVars.set(name, value ?? null);
  for (const l of envListeners) if (!l.has(name)) l.set(name, value ?? null);
}

export function noteVolatile(what: string): void {
  for (const r of open) r.volatile ??= what;
}
