/** dbt's `modules` context value: the Python modules macros may use. */
import { datetimeModule, pytzModule } from './datetime.js';
import { reModule } from './re.js';
import { itertoolsModule } from './itertools.js';

export { PyDateTime, PyTimedelta, PyTimezone } from './datetime.js';

export const modules = {
  datetime: datetimeModule,
  pytz: pytzModule,
  re: reModule,
  itertools: itertoolsModule,
};
