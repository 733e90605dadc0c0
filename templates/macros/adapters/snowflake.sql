{#- Snowflake's spellings. Tables and views are built in place by one `create or replace`,
    which Snowflake runs atomically: a failed build leaves the old relation as it was.
    Model configs as in dbt-snowflake: transient (default true), cluster_by, copy_grants,
    secure (views). `config` is the node being built. -#}

{% macro snowflake__kiln_list(value) -%}
{%- if value is string %}{{ value }}{% else %}{{ value | join(', ') }}{% endif -%}
{%- endmacro %}

{% macro snowflake__create_table_as(relation, sql) -%}
{%- set transient = config.get('transient', true) -%}
{%- set cluster_by = config.get('cluster_by') -%}
create or replace {% if transient is sameas true or transient == 'true' or transient == 'True' %}transient {% endif %}table {{ relation }}
{%- if cluster_by %} cluster by ({{ snowflake__kiln_list(cluster_by) }}){% endif %}
{%- if config.get('copy_grants') %} copy grants{% endif %} as (
{{ sql }}
)
{%- endmacro %}

{% macro snowflake__create_view_as(relation, sql) -%}
create or replace {% if config.get('secure') %}secure {% endif %}view {{ relation }}
{%- if config.get('copy_grants') %} copy grants{% endif %} as (
{{ sql }}
)
{%- endmacro %}

{% macro snowflake__create_empty_table(relation, columns) -%}
{%- set transient = config.get('transient', true) -%}
create or replace {% if transient is sameas true or transient == 'true' or transient == 'True' %}transient {% endif %}table {{ relation }} (
  {%- for c in columns %}
  {{ adapter.quote(c.name) }} {{ c.type }}{% if not loop.last %},{% endif %}
  {%- endfor %}
)
{%- endmacro %}

{#- Snowflake's ALTER ... RENAME TO resolves an unqualified new name against the session's
    schema, not the relation's, so the new name is written in full. -#}
{% macro snowflake__rename_relation(relation, relation_type, new_identifier) -%}
alter {{ relation_type }} {{ relation }} rename to {{ relation.withIdentifier(new_identifier) }}
{%- endmacro %}

{% macro snowflake__alter_column_type(relation, name, type) -%}
alter table {{ relation }} alter column {{ adapter.quote(name) }} set data type {{ type }}
{%- endmacro %}

{% macro snowflake__snapshot_get_time() -%}
convert_timezone('UTC', current_timestamp())::timestamp_ntz
{%- endmacro %}
