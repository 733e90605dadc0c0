{% macro default__create_view_as(relation, sql) -%}
create view {{ relation }} as (
{{ sql }}
)
{%- endmacro %}

{% macro default__create_table_as(relation, sql) -%}
create table {{ relation }} as (
{{ sql }}
)
{%- endmacro %}

{% macro default__create_empty_table(relation, columns) -%}
create table {{ relation }} (
  {%- for c in columns %}
  {{ adapter.quote(c.name) }} {{ c.type }}{% if not loop.last %},{% endif %}
  {%- endfor %}
)
{%- endmacro %}

{% macro default__drop_relation(relation, relation_type) -%}
drop {{ relation_type }} if exists {{ relation }}
{%- endmacro %}

{% macro postgres__drop_relation(relation, relation_type) -%}
drop {{ relation_type }} if exists {{ relation }} cascade
{%- endmacro %}

{% macro default__rename_relation(relation, relation_type, new_identifier) -%}
alter {{ relation_type }} {{ relation }} rename to {{ adapter.quote(new_identifier) }}
{%- endmacro %}

{% macro default__create_schema(database, schema) -%}
create schema if not exists {{ schema }}
{%- endmacro %}
