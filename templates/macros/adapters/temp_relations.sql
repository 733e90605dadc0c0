{#- dbt's make_temp_relation: the base relation with a suffix on its identifier (packages such
    as elementary build their staging tables with it). -#}
{% macro make_temp_relation(base_relation, suffix='__dbt_tmp') %}
  {{- return(adapter.dispatch('make_temp_relation', 'dbt')(base_relation, suffix)) -}}
{% endmacro %}

{% macro default__make_temp_relation(base_relation, suffix) %}
  {{- return(base_relation.incorporate(path={'identifier': base_relation.identifier ~ suffix})) -}}
{% endmacro %}

{#- Temporary tables live in their own schema (DuckDB's temp catalog, PostgreSQL's pg_temp): the relation has none. -#}
{% macro duckdb__make_temp_relation(base_relation, suffix) %}
  {{- return(base_relation.incorporate(path={'identifier': base_relation.identifier ~ suffix, 'schema': none, 'database': none})) -}}
{% endmacro %}

{% macro postgres__make_temp_relation(base_relation, suffix) %}
  {{- return(base_relation.incorporate(path={'identifier': base_relation.identifier ~ suffix, 'schema': none, 'database': none})) -}}
{% endmacro %}
