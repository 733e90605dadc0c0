/**
 * A job's `command:` — the words a user would type after `kiln`, e.g.
 * `build -s tag:daily --fail-fast` — read into the API call it stands for. Only commands that
 * do work on a schedule are allowed (run, test, seed, build, snapshot, source freshness), with
 * the flags that make sense for one project's orchestrator (not --project-dir or --state).
 */
import type { KilnOptions, Command } from '../api.js';
import type { KilnError } from '../errors.js';

export interface JobCommand {
  command: Command | 'source freshness';
  options: KilnOptions;
}

type Flag = { key: keyof KilnOptions; takes: 'list' | 'one' | 'number' | 'none' };

const FLAGS: Record<string, Flag> = {
  '-s': { key: 'select', takes: 'list' },
  '--select': { key: 'select', takes: 'list' },
  '-m': { key: 'select', takes: 'list' },
  '--models': { key: 'select', takes: 'list' },
  '--exclude': { key: 'exclude', takes: 'list' },
  '--selector': { key: 'selector', takes: 'one' },
  '--resource-type': { key: 'resourceTypes', takes: 'list' },
  '-t': { key: 'target', takes: 'one' },
  '--target': { key: 'target', takes: 'one' },
  '--vars': { key: 'vars', takes: 'one' },
  '--threads': { key: 'threads', takes: 'number' },
  '--retries': { key: 'retries', takes: 'number' },
  '--full-refresh': { key: 'fullRefresh', takes: 'none' },
  '-x': { key: 'failFast', takes: 'none' },
  '--fail-fast': { key: 'failFast', takes: 'none' },
  '--fail-on-stale-sources': { key: 'failOnStaleSources', takes: 'none' },
  '--audit': { key: 'audit', takes: 'none' },
};

const COMMANDS = ['run', 'test', 'seed', 'build', 'snapshot'] as const;

/** Words split on spaces; single or double quotes keep spaces in one word. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

/** `errorAt` makes an error that points at the command's line in kiln_jobs.yml. */
export function parseJobCommand(text: string, errorAt: (message: string, hint: string) => KilnError): JobCommand {
  const fail = (message: string, hint: string): never => {
    throw errorAt(`command '${text}': ${message}`, hint);
  };
  const words = splitWords(text.replace(/^\s*kiln\s+/, ''));
  let command: JobCommand['command'];
  if (words[0] === 'source' && words[1] === 'freshness') {
    command = 'source freshness';
    words.splice(0, 2);
  } else if ((COMMANDS as readonly string[]).includes(words[0] ?? '')) command = words.shift() as Command;
  else
    return fail(
      `'${words[0] ?? ''}' is not a command a job can run`,
      `start with one of: ${COMMANDS.join(', ')}, source freshness`,
    );
  const options: Record<string, unknown> = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const flag = FLAGS[word];
    if (!flag)
      fail(
        `unknown or unsupported flag '${word}'`,
        `a job's command takes ${Object.keys(FLAGS)
          .filter((f) => f.startsWith('--'))
          .join(', ')}`,
      );
    if (flag!.takes === 'none') {
      options[flag!.key] = true;
      continue;
    }
    const values: string[] = [];
    while (i + 1 < words.length && !words[i + 1]!.startsWith('-') && (flag!.takes === 'list' || values.length === 0))
      values.push(words[++i]!);
    if (!values.length) fail(`${word} needs a value`, `e.g. ${word} ${flag!.takes === 'number' ? '4' : 'tag:daily'}`);
    if (flag!.takes === 'number') {
      const n = Number(values[0]);
      if (!Number.isInteger(n) || n < (flag!.key === 'threads' ? 1 : 0))
        fail(`${word} must be a whole number, got '${values[0]}'`, `e.g. ${word} 4`);
      options[flag!.key] = n;
    } else if (flag!.takes === 'list') options[flag!.key] = [...((options[flag!.key] as string[]) ?? []), ...values];
    else options[flag!.key] = values[0];
  }
  if (command === 'source freshness') {
    const extra = Object.keys(options).find((k) => !['select', 'exclude', 'target', 'vars'].includes(k));
    if (extra) fail('source freshness takes only --select, --exclude, --target and --vars', 'remove the other flags');
  }
  return { command, options: options };
}
