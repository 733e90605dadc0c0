{#- Enforced model contracts: the table is created from the declared columns and types, with
    constraints, then filled from the model's SQL. `columns` are {name, data_type, constraints}
    with each constraint {type, name, expression, to_relation, to_columns}; `constraints` are
    the model-level ones, which also carry `columns`. -#}

{% macro default__kiln_constraint_name(c) -%}
{%- if c.name %}constraint {{ adapter.quote(c.name) }} {% endif -%}
{%- endmacro %}

{% macro default__kiln_column_list(names) -%}
{%- for n in names %}{{ adapter.quote(n) }}{% if not loop.last %}, {% endif %}{% endfor -%}
{%- endmacro %}

{% macro default__kiln_references(c) -%}
{%- if c.to_relation %}references {{ c.to_relation }}{% if c.to_columns %} ({{ default__kiln_column_list(c.to_columns) }}){% endif %}
{%- else %}references {{ c.expression }}{% endif -%}
{%- endmacro %}

{#- DuckDB refuses a foreign key that names the database, even its own. -#}
{% macro duckdb__kiln_references(c) -%}
{%- if c.to_relation %}references {{ c.to_relation_in_database }}{% if c.to_columns %} ({{ default__kiln_column_list(c.to_columns) }}){% endif %}
{%- else %}references {{ c.expression }}{% endif -%}
{%- endmacro %}

{#- One constraint written after a column's type. -#}
{% macro default__column_constraint_sql(c) -%}
{%- if c.type == 'not_null' %}{{ default__kiln_constraint_name(c) }}not null
{%- elif c.type == 'unique' %}{{ default__kiln_constraint_name(c) }}unique
{%- elif c.type == 'primary_key' %}{{ default__kiln_constraint_name(c) }}primary key
{%- elif c.type == 'check' %}{{ default__kiln_constraint_name(c) }}check ({{ c.expression }})
{%- elif c.type == 'foreign_key' %}{{ default__kiln_constraint_name(c) }}{{ adapter.dispatch('kiln_references')(c) }}
{%- elif c.type == 'custom' %}{{ c.expression }}
{%- endif -%}
{%- endmacro %}

{#- One model-level constraint, written as a table constraint. -#}
{% macro default__model_constraint_sql(c) -%}
{%- if c.type == 'unique' %}{{ default__kiln_constraint_name(c) }}unique ({{ default__kiln_column_list(c.columns) }})
{%- elif c.type == 'primary_key' %}{{ default__kiln_constraint_name(c) }}primary key ({{ default__kiln_column_list(c.columns) }})
{%- elif c.type == 'check' %}{{ default__kiln_constraint_name(c) }}check ({{ c.expression }})
{%- elif c.type == 'foreign_key' %}{{ default__kiln_constraint_name(c) }}foreign key ({{ default__kiln_column_list(c.columns) }}) {{ adapter.dispatch('kiln_references')(c) }}
{%- elif c.type == 'custom' %}{{ c.expression }}
{%- endif -%}
{%- endmacro %}

{% macro default__create_table_with_contract(relation, columns, constraints) -%}
create table {{ relation }} (
  {%- for col in columns %}
  {{ adapter.quote(col.name) }} {{ col.data_type }}
  {%- for c in col.constraints %} {{ adapter.dispatch('column_constraint_sql')(c) }}{% endfor %}
  {%- if not loop.last or (constraints | length) > 0 %},{% endif %}
  {%- endfor %}
  {%- for c in constraints %}
  {{ adapter.dispatch('model_constraint_sql')(c) }}{% if not loop.last %},{% endif %}
  {%- endfor %}
)
{%- endmacro %}

{#- DuckDB keeps a named constraint's name only for check constraints; others are written unnamed. -#}
{% macro duckdb__column_constraint_sql(c) -%}
{%- if c.type == 'check' %}{{ default__column_constraint_sql(c) }}
{%- else %}{{ default__column_constraint_sql({'type': c.type, 'expression': c.expression, 'to_relation': c.to_relation, 'to_relation_in_database': c.to_relation_in_database, 'to_columns': c.to_columns}) }}
{%- endif -%}
{%- endmacro %}

{% macro default__insert_into_contract(relation, columns, sql) -%}
insert into {{ relation }} ({{ default__kiln_column_list(columns) }})
select {{ default__kiln_column_list(columns) }} from (
{{ sql }}
) as kiln_contract_subquery
{%- endmacro %}

{#- A zero-row query with the declared types, to learn how the warehouse names them. -#}
{% macro default__contract_types_sql(columns) -%}
select
  {%- for col in columns %}
  cast(null as {{ col.data_type }}) as {{ adapter.quote(col.name) }}{% if not loop.last %},{% endif %}
  {%- endfor %}
{%- endmacro %}

{% macro default__kiln_count_rows(relation) -%}
select count(*) as n from {{ relation }}
{%- endmacro %}
