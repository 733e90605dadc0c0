/**
 * kiln_jobs.yml: the jobs an orchestrator runs, validated against one JSON Schema (errors at
 * their line) and turned into typed job specs. Owns the file's shape and its meaning
 * (durations, deadlines, trigger kinds); must not schedule or run anything.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Cron } from 'croner';
import { KilnError } from '../errors.js';
import { readYamlFile, validateYaml, type YamlFile } from '../config/yaml.js';
import { parseJobCommand, type JobCommand } from './job-command.js';

export const JOBS_FILE = 'kiln_jobs.yml';

const duration = { type: ['integer', 'string'], pattern: '^\\s*\\d+\\s*(s|m|h|d)?\\s*$', minimum: 1 };
const timezone = { type: 'string', minLength: 1 };

const trigger = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 2,
  properties: {
    cron: { type: 'string', minLength: 1 },
    timezone,
    after: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
    on_new_data: {
      type: 'object',
      additionalProperties: false,
      required: ['sources'],
      properties: {
        sources: { type: 'array', items: { type: 'string', pattern: '^[^.\\s]+\\.[^.\\s]+$' }, minItems: 1 },
        poll_every: duration,
        loaded_at_field: { type: 'string', minLength: 1 },
      },
    },
    webhook: {
      type: ['boolean', 'object'],
      additionalProperties: false,
      properties: { token_env: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } },
    },
  },
};

export const jobsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['jobs'],
  properties: {
    version: { type: 'integer', enum: [1] },
    concurrency: { type: 'integer', minimum: 1 },
    history: {
      type: 'object',
      additionalProperties: false,
      properties: { keep: duration },
    },
    jobs: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'command', 'triggers'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9_-]+$' },
          description: { type: 'string' },
          command: { type: 'string', minLength: 1 },
          triggers: { type: 'array', items: trigger, minItems: 1 },
          overlap: { type: 'string', enum: ['skip', 'queue'] },
          retries: { type: 'integer', minimum: 0, maximum: 10 },
          timeout: duration,
          deadline: { type: 'string', minLength: 1 },
          timezone,
        },
      },
    },
  },
} as const;

/** A trigger as jobsSchema admits it; that it names one kind is checked at its line by toJob. */
interface TriggerYaml {
  cron?: string;
  timezone?: string;
  after?: string[];
  on_new_data?: { sources: string[]; poll_every?: number | string; loaded_at_field?: string };
  webhook?: boolean | { token_env?: string };
}

/** A job as jobsSchema admits it. */
interface JobYaml {
  name: string;
  description?: string;
  command: string;
  triggers: TriggerYaml[];
  overlap?: 'skip' | 'queue';
  retries?: number;
  timeout?: number | string;
  deadline?: string;
  timezone?: string;
}

export type Trigger =
  | { kind: 'cron'; cron: Cron; expression: string; timezone: string }
  | { kind: 'after'; jobs: string[] }
  | { kind: 'on_new_data'; sources: string[]; pollEverySeconds: number; loadedAtField?: string }
  | { kind: 'webhook'; tokenEnv?: string };

export interface Job {
  name: string;
  description?: string;
  /** The command as written, e.g. `build -s tag:daily`. */
  commandText: string;
  command: JobCommand;
  triggers: Trigger[];
  overlap: 'skip' | 'queue';
  retries: number;
  timeoutSeconds?: number;
  /** When the job must have succeeded by, each time it comes round (a cron schedule). */
  deadline?: { cron: Cron; text: string };
  timezone: string;
}

export interface JobsConfig {
  file: string;
  concurrency: number;
  jobs: Job[];
  /** How long finished runs (with their nodes), freshness readings and alerts are kept; forever when unset. */
  historyKeepSeconds?: number;
}

const DEFAULT_POLL_SECONDS = 60;

/** Seconds in `90`, `"90s"`, `"15m"`, `"2h"`, `"1d"`. */
export function parseDuration(value: number | string): number {
  if (typeof value === 'number') return value;
  const m = /^\s*(\d+)\s*(s|m|h|d)?\s*$/.exec(value)!;
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's'];
}

/** `"07:30"` is every day at 07:30; anything else is a cron expression. */
function deadlineCron(text: string, tz: string, at: () => KilnError): Cron {
  const hhmm = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  return makeCron(hhmm ? `${Number(hhmm[2])} ${Number(hhmm[1])} * * *` : text, tz, at);
}

function makeCron(expression: string, tz: string, at: () => KilnError): Cron {
  try {
    return new Cron(expression, { timezone: tz, paused: true });
  } catch (e) {
    const err = at();
    throw new KilnError('yaml', `${err.message}: ${(e as Error).message}`, {
      file: err.file,
      line: err.line,
      hint: err.hint,
    });
  }
}

function checkTimezone(tz: string, at: () => KilnError): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw at();
  }
}

/** Reads kiln_jobs.yml of a project; a KilnError (exit 2) at the line of the first problem. */
export function loadJobs(projectDir: string, file = join(projectDir, JOBS_FILE)): JobsConfig {
  if (!existsSync(file))
    throw new KilnError('config', `no ${JOBS_FILE} in ${projectDir}`, {
      hint: `create ${JOBS_FILE} with a list of jobs (see docs/orchestrate.md)`,
    });
  const yaml = readYamlFile(file, JOBS_FILE);
  validateYaml(jobsSchema, yaml);
  const data = yaml.data as {
    version?: 1;
    concurrency?: number;
    history?: { keep?: number | string };
    jobs: JobYaml[];
  };
  const jobs = data.jobs.map((raw, i) => toJob(raw, i, yaml));
  const names = new Set<string>();
  jobs.forEach((job, i) => {
    if (names.has(job.name))
      throw new KilnError('yaml', `two jobs are named '${job.name}'`, {
        file: JOBS_FILE,
        line: yaml.lineOf(['jobs', i, 'name']),
        hint: 'give each job its own name',
      });
    names.add(job.name);
  });
  jobs.forEach((job, i) =>
    job.triggers.forEach((t, k) => {
      if (t.kind !== 'after') return;
      const unknown = t.jobs.find((name) => !names.has(name) || name === job.name);
      if (unknown)
        throw new KilnError(
          'yaml',
          `job '${job.name}' runs after '${unknown}', which is ` +
            (unknown === job.name ? 'itself' : 'not a job in this file'),
          {
            file: JOBS_FILE,
            line: yaml.lineOf(['jobs', i, 'triggers', k, 'after']),
            hint: `name other jobs: ${[...names].filter((n) => n !== job.name).join(', ')}`,
          },
        );
    }),
  );
  const keep = data.history?.keep;
  return {
    file,
    concurrency: data.concurrency ?? 1,
    jobs,
    ...(keep === undefined ? {} : { historyKeepSeconds: parseDuration(keep) }),
  };
}

function toJob(raw: JobYaml, i: number, yaml: YamlFile): Job {
  const here = (message: string, path: Array<string | number>, hint?: string) => () =>
    new KilnError('yaml', message, { file: JOBS_FILE, line: yaml.lineOf(['jobs', i, ...path]), hint });
  const firstCronTz = raw.triggers.find((t) => t.cron && t.timezone)?.timezone;
  const timezone = raw.timezone ?? firstCronTz ?? 'UTC';
  // A time zone taken from a cron trigger is checked with that trigger, at its line.
  if (raw.timezone !== undefined)
    checkTimezone(
      timezone,
      here(`unknown time zone '${timezone}'`, ['timezone'], 'use an IANA name such as Europe/Berlin or UTC'),
    );
  const command = parseJobCommand(raw.command, (message, hint) => here(message, ['command'], hint)());
  const triggers = raw.triggers.map((t, k): Trigger => {
    const at = (m: string, key: string, hint?: string) => here(m, ['triggers', k, key], hint);
    const keys = Object.keys(t).filter((key) => key !== 'timezone');
    if (keys.length !== 1)
      throw at(
        `a trigger has exactly one of cron, after, on_new_data, webhook (found ${keys.join(', ') || 'none'})`,
        keys[1] ?? 'timezone',
        'write each trigger as its own list item',
      )();
    if (t.timezone !== undefined && t.cron === undefined)
      throw at(
        'timezone belongs to a cron trigger',
        'timezone',
        'move it next to cron, or set the job-level timezone',
      )();
    if (t.cron !== undefined) {
      const tz = t.timezone ?? timezone;
      checkTimezone(tz, at(`unknown time zone '${tz}'`, 'timezone', 'use an IANA name such as Europe/Berlin or UTC'));
      return {
        kind: 'cron',
        expression: t.cron,
        timezone: tz,
        cron: makeCron(
          t.cron,
          tz,
          at(
            `invalid cron expression '${t.cron}'`,
            'cron',
            "five fields: minute hour day-of-month month day-of-week, e.g. '0 6 * * *'",
          ),
        ),
      };
    }
    if (t.after !== undefined) return { kind: 'after', jobs: t.after };
    if (t.on_new_data !== undefined)
      return {
        kind: 'on_new_data',
        sources: t.on_new_data.sources,
        pollEverySeconds:
          t.on_new_data.poll_every !== undefined ? parseDuration(t.on_new_data.poll_every) : DEFAULT_POLL_SECONDS,
        loadedAtField: t.on_new_data.loaded_at_field,
      };
    if (t.webhook === false)
      throw at('webhook: false is no trigger', 'webhook', 'remove the trigger, or write webhook: true')();
    return { kind: 'webhook', tokenEnv: typeof t.webhook === 'object' ? t.webhook.token_env : undefined };
  });
  const deadline =
    raw.deadline !== undefined
      ? {
          text: raw.deadline,
          cron: deadlineCron(
            raw.deadline,
            timezone,
            here(
              `invalid deadline '${raw.deadline}'`,
              ['deadline'],
              "a time of day such as '07:30', or a cron expression",
            ),
          ),
        }
      : undefined;
  return {
    name: raw.name,
    description: raw.description,
    commandText: raw.command,
    command,
    triggers,
    overlap: raw.overlap ?? 'skip',
    retries: raw.retries ?? 0,
    timeoutSeconds: raw.timeout !== undefined ? parseDuration(raw.timeout) : undefined,
    deadline,
    timezone,
  };
}
