import type nunjucks from 'nunjucks';
import { pythonStr } from './python-values.js';

/** dbt's filters for YAML values: `{{ env_var('PORT') | as_number }}` yields a real number. */
export function registerFilters(env: nunjucks.Environment): void {
  env.addFilter('as_bool', (v: unknown) => {
    if (typeof v === 'string') return /^(true|yes|1)$/i.test(v.trim());
    return Boolean(v);
  });
  env.addFilter('as_number', (v: unknown) => {
    const n = Number(typeof v === 'string' ? v.trim() : v);
    if (Number.isNaN(n)) throw new Error(`as_number: '${String(v)}' is not a number`);
    return n;
  });
  env.addFilter('as_text', (v: unknown) => pythonStr(v));
  env.addFilter('as_native', (v: unknown) => {
    if (typeof v !== 'string') return v;
    const t = v.trim();
    if (/^(true|false)$/i.test(t)) return t.toLowerCase() === 'true';
    if (t !== '' && !Number.isNaN(Number(t))) return Number(t);
    return v;
  });
  env.addFilter('string', (v: unknown) => pythonStr(v));
}
