/** SQL (with Jinja) syntax highlighting to escaped HTML. */
import { escapeHtml } from '../../src/docs/markdown.js';

const KEYWORDS = new Set(
  (
    `select from where and or not in is null as on join left right inner outer full cross group by order
having limit offset union all distinct case when then else end with insert into update delete create table view
replace materialized values set between like ilike exists cast over partition window rows range preceding following
unbounded current row asc desc nulls first last true false using qualify lateral interval returning recursive except
intersect filter within coalesce count sum avg min max date timestamp ` + `varchar integer bigint numeric boolean text`
  ).split(/\s+/),
);

const TOKEN =
  /(\{#[\s\S]*?#\}|\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\})|(--[^\n]*|\/\*[\s\S]*?\*\/)|('(?:[^']|'')*'?)|("(?:[^"]|"")*"?)|(\b\d+(?:\.\d+)?\b)|([A-Za-z_][A-Za-z0-9_$]*)/g;

export function highlightSql(sql: string): string {
  let out = '';
  let last = 0;
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(sql); m; m = TOKEN.exec(sql)) {
    out += escapeHtml(sql.slice(last, m.index));
    const t = m[0];
    let cls = '';
    if (m[1]) cls = 'jj';
    else if (m[2]) cls = 'cm';
    else if (m[3]) cls = 'st';
    else if (m[4]) cls = 'id';
    else if (m[5]) cls = 'nu';
    else if (m[6] && KEYWORDS.has(t.toLowerCase())) cls = 'kw';
    out += cls ? `<span class="${cls}">${escapeHtml(t)}</span>` : escapeHtml(t);
    last = m.index + t.length;
  }
  return out + escapeHtml(sql.slice(last));
}
