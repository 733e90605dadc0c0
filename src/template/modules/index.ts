/** dbt's `modules` context value: the Python modules macros may use. */
import { datetimeModule } from './datetime.js';
import { pytzModule } from './pytz.js';
import { reModule } from './re.js';
import { itertoolsModule } from './itertools.js';

export { PyDate, PyDateTime, PyTime, PyTzInfo, PyFixedTimezone } from './datetime.js';
export { PyTimedelta } from './timedelta.js';
export { PyTimezone } from './pytz.js';
export { PyPattern, PyMatch } from './re.js';
export { LazyIterator } from './itertools.js';

/** The modules as kiln implements them, for TypeScript callers. */
export const pythonModules = {
  datetime: datetimeModule,
  pytz: pytzModule,
  re: reModule,
  itertools: itertoolsModule,
};

/**
 * A dict of the named members, in that order. A member the module makes when first read (pytz's zone lists) is made
 * when the dict's is first read, and is then a plain item of the dict, which a template may set or pop as any other.
 */
function pick(module: Record<string, unknown>, names: string[]): Record<string, unknown> {
  const dict: Record<string, unknown> = {};
  for (const name of names) {
    if (!Object.getOwnPropertyDescriptor(module, name)?.get) dict[name] = module[name];
    else {
      const own = (value: unknown) =>
        Object.defineProperty(dict, name, { value, writable: true, enumerable: true, configurable: true });
      Object.defineProperty(dict, name, {
        get: () => {
          const value = module[name];
          own(value);
          return value;
        },
        set: own,
        enumerable: true,
        configurable: true,
      });
    }
  }
  return dict;
}

/**
 * What templates see: like dbt-core, not the modules but dicts of chosen members. datetime
 * gives its five classes, pytz and re what their `__all__` lists (pytz's country_timezones and
 * country_names need country data kiln does not carry), and itertools fourteen functions
 * (dbt leaves out dropwhile, filterfalse, takewhile and groupby).
 */
export const modules = {
  pytz: pick(pytzModule, [
    'timezone',
    'utc',
    'AmbiguousTimeError',
    'InvalidTimeError',
    'NonExistentTimeError',
    'UnknownTimeZoneError',
    'all_timezones',
    'all_timezones_set',
    'common_timezones',
    'common_timezones_set',
    'BaseTzInfo',
    'FixedOffset',
  ]),
  datetime: pick(datetimeModule, ['date', 'datetime', 'time', 'timedelta', 'tzinfo']),
  re: pick(reModule, [
    'match',
    'fullmatch',
    'search',
    'sub',
    'subn',
    'split',
    'findall',
    'finditer',
    'compile',
    'purge',
    'template',
    'escape',
    'error',
    'Pattern',
    'Match',
    'A',
    'I',
    'L',
    'M',
    'S',
    'X',
    'U',
    'ASCII',
    'IGNORECASE',
    'LOCALE',
    'MULTILINE',
    'DOTALL',
    'VERBOSE',
    'UNICODE',
    'NOFLAG',
    'RegexFlag',
  ]),
  itertools: pick(itertoolsModule, [
    'count',
    'cycle',
    'repeat',
    'accumulate',
    'chain',
    'compress',
    'islice',
    'starmap',
    'tee',
    'zip_longest',
    'product',
    'permutations',
    'combinations',
    'combinations_with_replacement',
  ]),
};
