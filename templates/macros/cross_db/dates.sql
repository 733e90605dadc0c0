{#- Cross-database date macros (dbt.date_trunc, dbt.dateadd, dbt.datediff, dbt.last_day,
    dbt.date), written for kiln from their documented behaviour. Each dispatches:
    <adapter>__name, then default__name. datepart is a bare word: day, week, month, ... -#}

{#- The date or timestamp truncated to the start of its datepart. -#}
{% macro date_trunc(datepart, date) -%}
  {{ return(adapter.dispatch('date_trunc', 'dbt')(datepart, date)) }}
{%- endmacro %}
{% macro default__date_trunc(datepart, date) -%}
date_trunc('{{ datepart }}', {{ date }})
{%- endmacro %}
{% macro bigquery__date_trunc(datepart, date) -%}
timestamp_trunc(cast({{ date }} as timestamp), {{ datepart }})
{%- endmacro %}

{#- from_date_or_timestamp plus `interval` (a number, or an SQL expression) datepart units. -#}
{% macro dateadd(datepart, interval, from_date_or_timestamp) -%}
  {{ return(adapter.dispatch('dateadd', 'dbt')(datepart, interval, from_date_or_timestamp)) }}
{%- endmacro %}
{#- PostgreSQL's interval has no quarter unit: a quarter is three months. -#}
{% macro default__dateadd(datepart, interval, from_date_or_timestamp) -%}
  {%- set unit = "interval '3 month'" if datepart | lower == 'quarter' else "interval '1 " ~ datepart ~ "'" -%}
({{ from_date_or_timestamp }} + (({{ unit }}) * ({{ interval }})))
{%- endmacro %}
{% macro duckdb__dateadd(datepart, interval, from_date_or_timestamp) -%}
date_add({{ from_date_or_timestamp }}, interval ({{ interval }}) {{ datepart }})
{%- endmacro %}
{% macro snowflake__dateadd(datepart, interval, from_date_or_timestamp) -%}
dateadd({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }})
{%- endmacro %}
{% macro bigquery__dateadd(datepart, interval, from_date_or_timestamp) -%}
datetime_add(cast({{ from_date_or_timestamp }} as datetime), interval {{ interval }} {{ datepart }})
{%- endmacro %}

{#- The number of datepart boundaries crossed going from first_date to second_date (negative
    when second_date is earlier). Weeks start on Monday, except on BigQuery (Sunday). -#}
{% macro datediff(first_date, second_date, datepart) -%}
  {{ return(adapter.dispatch('datediff', 'dbt')(first_date, second_date, datepart)) }}
{%- endmacro %}
{% macro default__datediff(first_date, second_date, datepart) -%}
  {%- set part = datepart | lower -%}
  {%- set years -%}(date_part('year', ({{ second_date }})::date) - date_part('year', ({{ first_date }})::date)){%- endset -%}
  {%- if part == 'year' -%}
    {{ years }}
  {%- elif part == 'quarter' -%}
    ({{ years }} * 4 + date_part('quarter', ({{ second_date }})::date) - date_part('quarter', ({{ first_date }})::date))
  {%- elif part == 'month' -%}
    ({{ years }} * 12 + date_part('month', ({{ second_date }})::date) - date_part('month', ({{ first_date }})::date))
  {%- elif part == 'week' -%}
    ((date_trunc('week', ({{ second_date }})::date)::date - date_trunc('week', ({{ first_date }})::date)::date) / 7)
  {%- elif part == 'day' -%}
    (({{ second_date }})::date - ({{ first_date }})::date)
  {%- elif part in ('hour', 'minute', 'second', 'millisecond', 'microsecond') -%}
    {#- Both ends truncated to the unit, then the exact difference in seconds converted. -#}
    {%- set unit = {'hour': 'hour', 'minute': 'minute', 'second': 'second', 'millisecond': 'milliseconds', 'microsecond': 'microseconds'}[part] -%}
    {%- set scale = {'hour': ' / 3600', 'minute': ' / 60', 'second': '', 'millisecond': ' * 1000', 'microsecond': ' * 1000000'}[part] -%}
    (((extract(epoch from date_trunc('{{ unit }}', ({{ second_date }})::timestamp)) - extract(epoch from date_trunc('{{ unit }}', ({{ first_date }})::timestamp))){{ scale }})::bigint)
  {%- else -%}
    {{ exceptions.raise_compiler_error("datediff does not support the datepart '" ~ datepart ~ "'") }}
  {%- endif -%}
{%- endmacro %}
{#- DuckDB's date_diff counts boundaries, except for weeks (whole 7-day spans): those go
    through the Monday each end falls in. -#}
{% macro duckdb__datediff(first_date, second_date, datepart) -%}
  {%- if datepart | lower == 'week' -%}
(date_diff('day', date_trunc('week', ({{ first_date }})::timestamp), date_trunc('week', ({{ second_date }})::timestamp)) // 7)
  {%- else -%}
date_diff('{{ datepart }}', ({{ first_date }})::timestamp, ({{ second_date }})::timestamp)
  {%- endif -%}
{%- endmacro %}
{% macro snowflake__datediff(first_date, second_date, datepart) -%}
datediff({{ datepart }}, {{ first_date }}, {{ second_date }})
{%- endmacro %}
{% macro bigquery__datediff(first_date, second_date, datepart) -%}
datetime_diff(cast({{ second_date }} as datetime), cast({{ first_date }} as datetime), {{ datepart }})
{%- endmacro %}

{#- The last day of the datepart period that `date` falls in, as a date. -#}
{% macro last_day(date, datepart) -%}
  {{ return(adapter.dispatch('last_day', 'dbt')(date, datepart)) }}
{%- endmacro %}
{% macro default__last_day(date, datepart) -%}
cast({{ dbt.dateadd('day', '-1', dbt.dateadd(datepart, '1', dbt.date_trunc(datepart, date))) }} as date)
{%- endmacro %}

{#- The date year-month-day. The default makes a literal from three numbers and rejects an
    impossible date (date(2023, 2, 30)) while compiling. -#}
{% macro date(year, month, day) -%}
  {{ return(adapter.dispatch('date', 'dbt')(year, month, day)) }}
{%- endmacro %}
{% macro default__date(year, month, day) -%}
  {%- set iso = modules.datetime.date(year, month, day).strftime('%Y-%m-%d') -%}
to_date('{{ iso }}', 'YYYY-MM-DD')
{%- endmacro %}
{#- DuckDB and BigQuery build the date from three SQL expressions (columns allowed). -#}
{% macro duckdb__date(year, month, day) -%}
make_date({{ year }}, {{ month }}, {{ day }})
{%- endmacro %}
{% macro bigquery__date(year, month, day) -%}
date({{ year }}, {{ month }}, {{ day }})
{%- endmacro %}
