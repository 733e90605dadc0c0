/** dbt's `modules` context value: the Python modules macros may use. */
import { datetimeModule } from './datetime.js';
import { pytzModule } from './pytz.js';
import { reModule } from './re.js';
import { itertoolsModule } from './itertools.js';

export { PyDate, PyDateTime, PyTime, PyTzInfo, PyFixedTimezone } from './datetime.js';
export { PyTimedelta } from './timedelta.js';
export { PyTimezone } from './pytz.js';
export { PyPattern, PyMatch } from './re.js';
export { PyException } from './py.js';

export const modules = {
  datetime: datetimeModule,
  pytz: pytzModule,
  re: reModule,
  itertools: itertoolsModule,
};
