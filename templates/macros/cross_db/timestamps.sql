{#- The current time (dbt.current_timestamp, dbt.snapshot_get_time and the two *_backcompat
    macros), written for kiln from dbt's documented behaviour. -#}

{#- The current time as the warehouse's usual timestamp type. -#}
{% macro current_timestamp() -%}
  {{ return(adapter.dispatch('current_timestamp', 'dbt')()) }}
{%- endmacro %}
{% macro default__current_timestamp() -%}
current_timestamp
{%- endmacro %}
{% macro postgres__current_timestamp() -%}
now()
{%- endmacro %}
{% macro duckdb__current_timestamp() -%}
now()
{%- endmacro %}
{% macro snowflake__current_timestamp() -%}
convert_timezone('UTC', current_timestamp())
{%- endmacro %}
{% macro bigquery__current_timestamp() -%}
current_timestamp()
{%- endmacro %}

{#- The time snapshots record; the implementations are with the snapshot SQL
    (templates/macros/adapters/). -#}
{% macro snapshot_get_time() -%}
  {{ return(adapter.dispatch('snapshot_get_time', 'dbt')()) }}
{%- endmacro %}

{#- Deprecated in dbt, kept for packages written against dbt_utils.current_timestamp(): the
    current time as a timestamp without time zone, in the session's time zone. -#}
{% macro current_timestamp_backcompat() -%}
  {{ return(adapter.dispatch('current_timestamp_backcompat', 'dbt')()) }}
{%- endmacro %}
{% macro default__current_timestamp_backcompat() -%}
current_timestamp::{{ dbt.type_timestamp() }}
{%- endmacro %}
{% macro bigquery__current_timestamp_backcompat() -%}
current_timestamp
{%- endmacro %}

{#- Likewise deprecated: the current UTC time as a timestamp without time zone. -#}
{% macro current_timestamp_in_utc_backcompat() -%}
  {{ return(adapter.dispatch('current_timestamp_in_utc_backcompat', 'dbt')()) }}
{%- endmacro %}
{#- Where timestamps carry no session zone (BigQuery's are UTC), the same as backcompat. -#}
{% macro default__current_timestamp_in_utc_backcompat() -%}
{{ dbt.current_timestamp_backcompat() }}
{%- endmacro %}
{% macro postgres__current_timestamp_in_utc_backcompat() -%}
(current_timestamp at time zone 'utc')::{{ dbt.type_timestamp() }}
{%- endmacro %}
{% macro duckdb__current_timestamp_in_utc_backcompat() -%}
(current_timestamp at time zone 'UTC')::{{ dbt.type_timestamp() }}
{%- endmacro %}
{% macro snowflake__current_timestamp_in_utc_backcompat() -%}
convert_timezone('UTC', current_timestamp())::{{ dbt.type_timestamp() }}
{%- endmacro %}
