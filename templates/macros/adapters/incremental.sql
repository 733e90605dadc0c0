{#- Incremental models: the statements that fold new rows into an existing table.
    `target` and `source` are relations; `columns`, `unique_key` and `update_columns` are
    lists of column names; `predicates` a list of SQL conditions (incremental_predicates). -#}

{% macro default__kiln_column_csv(columns, prefix='') -%}
{%- for c in columns %}{{ prefix }}{{ adapter.quote(c) }}{% if not loop.last %}, {% endif %}{% endfor -%}
{%- endmacro %}

{% macro default__incremental_append_sql(target, source, columns) -%}
insert into {{ target }} ({{ default__kiln_column_csv(columns) }})
select {{ default__kiln_column_csv(columns) }} from {{ source }}
{%- endmacro %}

{#- Deletes the target rows whose key comes again in the new rows. The target is
    DBT_INTERNAL_DEST and the new rows DBT_INTERNAL_SOURCE, as in merge, so the same
    incremental_predicates work with either strategy. -#}
{% macro default__incremental_delete_sql(target, source, unique_key, predicates) -%}
delete from {{ target }} as DBT_INTERNAL_DEST
using {{ source }} as DBT_INTERNAL_SOURCE
where (
  {{ incremental_key_match(unique_key) }}
)
{%- for p in predicates %}
and ({{ p }})
{%- endfor %}
{%- endmacro %}

{% macro default__incremental_merge_sql(target, source, unique_key, columns, update_columns, predicates) -%}
merge into {{ target }} as DBT_INTERNAL_DEST
using {{ source }} as DBT_INTERNAL_SOURCE
on (
  {%- if (unique_key | length) == 0 %} false
  {%- else %}
  {{ incremental_key_match(unique_key) }}
  {%- endif %}
  {%- for p in predicates %}
  and ({{ p }})
  {%- endfor %}
)
{%- if (unique_key | length) > 0 and (update_columns | length) > 0 %}
when matched then update set
  {%- for c in update_columns %}
  {{ adapter.quote(c) }} = DBT_INTERNAL_SOURCE.{{ adapter.quote(c) }}{% if not loop.last %},{% endif %}
  {%- endfor %}
{%- endif %}
when not matched then insert ({{ default__kiln_column_csv(columns) }})
values ({{ default__kiln_column_csv(columns, 'DBT_INTERNAL_SOURCE.') }})
{%- endmacro %}

{#- on_schema_change: the column changes, each one statement. -#}
{% macro default__alter_add_column(relation, name, type) -%}
alter table {{ relation }} add column {{ adapter.quote(name) }} {{ type }}
{%- endmacro %}

{% macro default__alter_drop_column(relation, name) -%}
alter table {{ relation }} drop column {{ adapter.quote(name) }}
{%- endmacro %}

{% macro default__alter_column_type(relation, name, type) -%}
alter table {{ relation }} alter column {{ adapter.quote(name) }} type {{ type }}
{%- endmacro %}

{#- PostgreSQL converts only with an explicit cast when no implicit one exists. -#}
{% macro postgres__alter_column_type(relation, name, type) -%}
alter table {{ relation }} alter column {{ adapter.quote(name) }} type {{ type }} using {{ adapter.quote(name) }}::{{ type }}
{%- endmacro %}

{% macro default__count_rows(relation) -%}
select count(*) as n from {{ relation }}
{%- endmacro %}

{#- microbatch: the condition that keeps one batch's rows of an input or of the table;
    `start` and `end` are UTC timestamps written 'YYYY-MM-DD HH:MM:SS', end excluded. -#}
{% macro default__event_time_filter(column, start, end) -%}
{{ column }} >= cast('{{ start }}' as timestamp) and {{ column }} < cast('{{ end }}' as timestamp)
{%- endmacro %}

{#- microbatch: a batch replaces the rows of its window (`condition`: event_time_filter). -#}
{% macro default__incremental_delete_window_sql(target, condition) -%}
delete from {{ target }} where {{ condition }}
{%- endmacro %}

{#- The unique key's columns equal between the new rows and the existing ones. -#}
{% macro incremental_key_match(unique_key) -%}
{%- for k in unique_key -%}
DBT_INTERNAL_SOURCE.{{ adapter.quote(k) }} = DBT_INTERNAL_DEST.{{ adapter.quote(k) }}{% if not loop.last %} and {% endif %}
{%- endfor -%}
{%- endmacro %}
