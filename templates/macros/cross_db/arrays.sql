{#- Cross-database arrays (dbt.array_construct, dbt.array_append, dbt.array_concat), written
    for kiln from dbt's documented behaviour. Elements of one array share one type. -#}

{#- An array literal of `inputs` (SQL expressions); with none, an empty array of data_type. -#}
{% macro array_construct(inputs=[], data_type=api.Column.translate_type('integer')) %}{{ return(adapter.dispatch('array_construct', 'dbt')(inputs, data_type)) }}{% endmacro %}
{% macro default__array_construct(inputs, data_type) -%}
  {%- if inputs | length > 0 -%}array[ {{ inputs | join(' , ') }} ]{%- else -%}array[]::{{ data_type }}[]{%- endif -%}
{%- endmacro %}
{% macro duckdb__array_construct(inputs, data_type) -%}
  {%- if inputs | length > 0 -%}[ {{ inputs | join(' , ') }} ]{%- else -%}cast([] as {{ data_type }}[]){%- endif -%}
{%- endmacro %}
{#- Snowflake's arrays are untyped: an empty one needs no element type. -#}
{% macro snowflake__array_construct(inputs, data_type) -%}
array_construct({{ inputs | join(', ') }})
{%- endmacro %}
{% macro bigquery__array_construct(inputs, data_type) -%}
  {%- if inputs | length > 0 -%}[ {{ inputs | join(' , ') }} ]{%- else -%}array<{{ data_type }}>[]{%- endif -%}
{%- endmacro %}

{#- `array` with `new_element` added at the end. -#}
{% macro array_append(array, new_element) %}{{ return(adapter.dispatch('array_append', 'dbt')(array, new_element)) }}{% endmacro %}
{% macro default__array_append(array, new_element) -%}
array_append({{ array }}, {{ new_element }})
{%- endmacro %}
{#- BigQuery has no array_append: concatenate a one-element array. -#}
{% macro bigquery__array_append(array, new_element) -%}
{{ dbt.array_concat(array, dbt.array_construct([new_element])) }}
{%- endmacro %}

{#- The elements of array_1 followed by those of array_2. -#}
{% macro array_concat(array_1, array_2) %}{{ return(adapter.dispatch('array_concat', 'dbt')(array_1, array_2)) }}{% endmacro %}
{% macro default__array_concat(array_1, array_2) -%}
array_cat({{ array_1 }}, {{ array_2 }})
{%- endmacro %}
{% macro bigquery__array_concat(array_1, array_2) -%}
array_concat({{ array_1 }}, {{ array_2 }})
{%- endmacro %}
