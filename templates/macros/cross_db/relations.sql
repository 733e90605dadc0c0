{#- dbt's global helpers that read the warehouse while rendering. -#}

{#- The relation as it exists in the warehouse (with its type), or none. -#}
{% macro load_relation(relation) %}
  {{ return(adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier)) }}
{% endmacro %}

{#- The column names a query returns, read from the warehouse without fetching rows. -#}
{% macro get_columns_in_query(select_sql) %}
  {%- set result = run_query('select * from (' ~ select_sql ~ ') as __kiln_columns where false limit 0') -%}
  {#- A result with no rows is false in a test: ask for none (parsing) explicitly. -#}
  {{ return(result.column_names if result is not none else []) }}
{% endmacro %}
