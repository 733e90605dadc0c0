{#- Cross-database type names (dbt.type_string, ...), for casts in portable SQL, and the
    casts themselves (dbt.cast, dbt.safe_cast, dbt.cast_bool_to_text). -#}

{% macro type_string() %}{{ return(adapter.dispatch('type_string', 'dbt')()) }}{% endmacro %}
{% macro default__type_string() %}{{ return(api.Column.translate_type('string')) }}{% endmacro %}
{% macro bigquery__type_string() %}{{ return('string') }}{% endmacro %}

{% macro type_timestamp() %}{{ return(adapter.dispatch('type_timestamp', 'dbt')()) }}{% endmacro %}
{% macro default__type_timestamp() %}{{ return(api.Column.translate_type('timestamp')) }}{% endmacro %}

{% macro type_float() %}{{ return(adapter.dispatch('type_float', 'dbt')()) }}{% endmacro %}
{% macro default__type_float() %}{{ return(api.Column.translate_type('float')) }}{% endmacro %}
{% macro bigquery__type_float() %}{{ return('float64') }}{% endmacro %}

{#- numeric(28,6) where a precision can be given; BigQuery's numeric is fixed at (38,9). -#}
{% macro type_numeric() %}{{ return(adapter.dispatch('type_numeric', 'dbt')()) }}{% endmacro %}
{% macro default__type_numeric() %}{{ return(api.Column.numeric_type('numeric', 28, 6)) }}{% endmacro %}
{% macro bigquery__type_numeric() %}{{ return('numeric') }}{% endmacro %}

{% macro type_bigint() %}{{ return(adapter.dispatch('type_bigint', 'dbt')()) }}{% endmacro %}
{% macro default__type_bigint() %}{{ return(api.Column.translate_type('bigint')) }}{% endmacro %}

{% macro type_int() %}{{ return(adapter.dispatch('type_int', 'dbt')()) }}{% endmacro %}
{% macro default__type_int() %}{{ return(api.Column.translate_type('integer')) }}{% endmacro %}
{% macro bigquery__type_int() %}{{ return('int64') }}{% endmacro %}

{% macro type_boolean() %}{{ return(adapter.dispatch('type_boolean', 'dbt')()) }}{% endmacro %}
{% macro default__type_boolean() %}{{ return(api.Column.translate_type('boolean')) }}{% endmacro %}

{#- cast() fails on a bad value; safe_cast() gives null where the warehouse can. -#}
{% macro cast(field, type) %}{{ return(adapter.dispatch('cast', 'dbt')(field, type)) }}{% endmacro %}
{% macro default__cast(field, type) %}cast({{ field }} as {{ type }}){% endmacro %}
{#- Snowflake builds spatial values with functions rather than casts. -#}
{% macro snowflake__cast(field, type) -%}
  {%- set kind = type | upper -%}
  {%- if kind == 'GEOGRAPHY' -%}to_geography({{ field }})
  {%- elif kind == 'GEOMETRY' -%}to_geometry({{ field }})
  {%- else -%}cast({{ field }} as {{ type }})
  {%- endif -%}
{%- endmacro %}

{% macro safe_cast(field, type) %}{{ return(adapter.dispatch('safe_cast', 'dbt')(field, type)) }}{% endmacro %}
{% macro default__safe_cast(field, type) %}cast({{ field }} as {{ type }}){% endmacro %}
{% macro duckdb__safe_cast(field, type) %}try_cast({{ field }} as {{ type }}){% endmacro %}
{#- Snowflake's try_cast reads text only (a number literal is quoted for it) and cannot make a
    variant; spatial types have their own try_ functions. -#}
{% macro snowflake__safe_cast(field, type) -%}
  {%- set kind = type | upper -%}
  {%- if kind == 'GEOGRAPHY' -%}try_to_geography({{ field }})
  {%- elif kind == 'GEOMETRY' -%}try_to_geometry({{ field }})
  {%- elif kind == 'VARIANT' -%}{{ dbt.cast(field, type) }}
  {%- else -%}try_cast({{ dbt.string_literal(field) if field is number else field }} as {{ type }})
  {%- endif -%}
{%- endmacro %}
{% macro bigquery__safe_cast(field, type) %}safe_cast({{ field }} as {{ type }}){% endmacro %}

{#- 'true' or 'false' (null stays null). -#}
{% macro cast_bool_to_text(field) %}{{ return(adapter.dispatch('cast_bool_to_text', 'dbt')(field)) }}{% endmacro %}
{% macro default__cast_bool_to_text(field) %}cast({{ field }} as {{ dbt.type_string() }}){% endmacro %}

{#- expr1 = expr2, as a condition. dbt's default: a null on either side is not equal (dbt's
    enable_truthy_nulls_equals_macro behaviour flag, which kiln does not have, would make two
    nulls equal). -#}
{% macro equals(expr1, expr2) %}{{ return(adapter.dispatch('equals', 'dbt')(expr1, expr2)) }}{% endmacro %}
{% macro default__equals(expr1, expr2) %}({{ expr1 }} = {{ expr2 }}){% endmacro %}
