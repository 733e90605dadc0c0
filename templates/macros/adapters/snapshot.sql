{#- Snapshots (SCD type 2). `s` is the snapshot's settings, prepared by src/run/snapshot.ts:
      s['keys']       SQL expressions of the unique key (a column name, or an expression)
      s.strategy      'timestamp' or 'check'
      s.updated_at    SQL expression of the row's change time (timestamp strategy)
      s.check_cols    column names compared by the check strategy
      s.columns       the snapshot query's column names
      s.hard_deletes  'ignore' | 'invalidate' | 'new_record'
      s.valid_to_current  SQL expression for dbt_valid_to of current rows, or none
      s.current_keys  the key columns as current_rows carries them
    Column names are dbt's, so queries written against dbt snapshots keep working. -#}

{% macro default__snapshot_get_time() -%}
cast(current_timestamp as timestamp)
{%- endmacro %}

{% macro postgres__snapshot_get_time() -%}
now()::timestamp without time zone
{%- endmacro %}

{#- dbt_scd_id: a hash of the key expressions and the change time. -#}
{% macro default__snapshot_hash(keys, changed_at) -%}
md5({% for k in keys %}coalesce(cast({{ k }} as varchar), '') || '|' || {% endfor %}coalesce(cast({{ changed_at }} as varchar), ''))
{%- endmacro %}

{#- The change time of a source row: its updated_at, or now for the check strategy. -#}
{% macro default__snapshot_updated_at(s) -%}
{%- if s.strategy == 'timestamp' %}{{ s.updated_at }}{% else %}{{ adapter.dispatch('snapshot_get_time')() }}{% endif -%}
{%- endmacro %}

{% macro default__snapshot_valid_to_new(s, updated_at) -%}
{%- if s.valid_to_current %}coalesce(nullif({{ updated_at }}, {{ updated_at }}), {{ s.valid_to_current }}){% else %}nullif({{ updated_at }}, {{ updated_at }}){% endif -%}
{%- endmacro %}

{#- The first run: every source row, current. -#}
{% macro default__snapshot_initial_sql(sql, s) -%}
{%- set upd = adapter.dispatch('snapshot_updated_at')(s) -%}
select sbq.*,
  {{ adapter.dispatch('snapshot_hash')(s['keys'], upd) }} as dbt_scd_id,
  {{ upd }} as dbt_updated_at,
  {{ upd }} as dbt_valid_from,
  {{ adapter.dispatch('snapshot_valid_to_new')(s, upd) }} as dbt_valid_to
  {%- if s.hard_deletes == 'new_record' %},
  cast('False' as varchar) as dbt_is_deleted
  {%- endif %}
from (
{{ sql }}
) as sbq
{%- endmacro %}

{% macro default__snapshot_is_current(s, alias) -%}
({{ alias }}.dbt_valid_to is null{% if s.valid_to_current %} or {{ alias }}.dbt_valid_to = {{ s.valid_to_current }}{% endif %})
{%- endmacro %}

{% macro default__snapshot_key_match(s, left, right) -%}
{%- for k in s['keys'] %}{{ left }}.dbt_unique_key_{{ loop.index }} = {{ right }}.dbt_unique_key_{{ loop.index }}{% if not loop.last %} and {% endif %}{% endfor -%}
{%- endmacro %}

{% macro default__snapshot_row_changed(s) -%}
{%- if s.strategy == 'timestamp' -%}
(current_rows.dbt_valid_from < source_rows.dbt_updated_at)
{%- else -%}
({% for c in s.check_cols %}current_rows.{{ adapter.quote(c) }} is distinct from source_rows.{{ adapter.quote(c) }}{% if not loop.last %} or {% endif %}{% endfor %})
{%- endif -%}
{%- endmacro %}

{#- Shared CTEs: the source rows and the current snapshot rows, each with its key. -#}
{% macro default__snapshot_ctes(target, source, s) -%}
{%- set upd = adapter.dispatch('snapshot_updated_at')(s) -%}
with current_rows as (
  select *{% for k in s['keys'] %}, {{ k }} as dbt_unique_key_{{ loop.index }}{% endfor %}
  from {{ target }} as snap
  where {{ adapter.dispatch('snapshot_is_current')(s, 'snap') }}
),
source_rows as (
  select *,
    {%- for k in s['keys'] %} {{ k }} as dbt_unique_key_{{ loop.index }},{% endfor %}
    {{ upd }} as dbt_updated_at,
    {{ adapter.dispatch('snapshot_hash')(s['keys'], upd) }} as dbt_scd_id
  from {{ source }} as src
)
{%- endmacro %}

{#- Rows to close: changed keys get the new version's time, vanished keys (hard_deletes
    invalidate / new_record) get now. Yields dbt_scd_id and the new dbt_valid_to. -#}
{% macro default__snapshot_closing_sql(target, source, s) -%}
{{ adapter.dispatch('snapshot_ctes')(target, source, s) }}
select current_rows.dbt_scd_id, source_rows.dbt_updated_at as dbt_valid_to
from source_rows
join current_rows on {{ adapter.dispatch('snapshot_key_match')(s, 'source_rows', 'current_rows') }}
where {{ adapter.dispatch('snapshot_row_changed')(s) }}
{%- if s.hard_deletes == 'new_record' %} or current_rows.dbt_is_deleted = 'True'{% endif %}
{%- if s.hard_deletes != 'ignore' %}
union all
select current_rows.dbt_scd_id, {{ adapter.dispatch('snapshot_get_time')() }} as dbt_valid_to
from current_rows
left join source_rows on {{ adapter.dispatch('snapshot_key_match')(s, 'source_rows', 'current_rows') }}
where source_rows.dbt_unique_key_1 is null
{%- if s.hard_deletes == 'new_record' %} and current_rows.dbt_is_deleted = 'False'{% endif %}
{%- endif %}
{%- endmacro %}

{#- Rows to add: new keys, new versions of changed keys, and (new_record) a deletion record
    for each vanished key. Columns in s.columns order, then dbt's. -#}
{% macro default__snapshot_opening_sql(target, source, s) -%}
{{ adapter.dispatch('snapshot_ctes')(target, source, s) }}
select
  {%- for c in s.columns %} source_rows.{{ adapter.quote(c) }},{% endfor %}
  source_rows.dbt_scd_id,
  source_rows.dbt_updated_at,
  source_rows.dbt_updated_at as dbt_valid_from,
  {{ adapter.dispatch('snapshot_valid_to_new')(s, 'source_rows.dbt_updated_at') }} as dbt_valid_to
  {%- if s.hard_deletes == 'new_record' %},
  cast('False' as varchar) as dbt_is_deleted
  {%- endif %}
from source_rows
left join current_rows on {{ adapter.dispatch('snapshot_key_match')(s, 'source_rows', 'current_rows') }}
where current_rows.dbt_unique_key_1 is null
  or {{ adapter.dispatch('snapshot_row_changed')(s) }}
  {%- if s.hard_deletes == 'new_record' %} or current_rows.dbt_is_deleted = 'True'{% endif %}
{%- if s.hard_deletes == 'new_record' %}
union all
select
  {%- for c in s.columns %} current_rows.{{ adapter.quote(c) }},{% endfor %}
  {{ adapter.dispatch('snapshot_hash')(s.current_keys, adapter.dispatch('snapshot_get_time')()) }} as dbt_scd_id,
  {{ adapter.dispatch('snapshot_get_time')() }} as dbt_updated_at,
  {{ adapter.dispatch('snapshot_get_time')() }} as dbt_valid_from,
  {{ adapter.dispatch('snapshot_valid_to_new')(s, adapter.dispatch('snapshot_get_time')()) }} as dbt_valid_to,
  cast('True' as varchar) as dbt_is_deleted
from current_rows
left join source_rows on {{ adapter.dispatch('snapshot_key_match')(s, 'source_rows', 'current_rows') }}
where source_rows.dbt_unique_key_1 is null and current_rows.dbt_is_deleted = 'False'
{%- endif %}
{%- endmacro %}

{#- Only current rows close: a closed row is history and is never touched again. -#}
{% macro default__snapshot_close_rows(target, closing, s) -%}
update {{ target }} as snap
set dbt_valid_to = closing.dbt_valid_to
from {{ closing }} as closing
where snap.dbt_scd_id = closing.dbt_scd_id
  and {{ adapter.dispatch('snapshot_is_current')(s, 'snap') }}
{%- endmacro %}

{% macro default__snapshot_insert_rows(target, opening, columns) -%}
insert into {{ target }} ({{ adapter.dispatch('kiln_column_csv')(columns) }})
select {{ adapter.dispatch('kiln_column_csv')(columns) }} from {{ opening }}
{%- endmacro %}

{#- hard_deletes switched to new_record on an existing snapshot: its rows so far are not deletions. -#}
{% macro default__snapshot_mark_not_deleted(target) -%}
update {{ target }} set dbt_is_deleted = 'False'
{%- endmacro %}
