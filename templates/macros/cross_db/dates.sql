{#- Cross-database date macros (dbt.date_trunc, dbt.dateadd, ...), written for kiln from
    their documented behaviour. Each dispatches: <adapter>__name, then default__name. -#}

{% macro date_trunc(datepart, date) -%}
  {{ return(adapter.dispatch('date_trunc', 'dbt')(datepart, date)) }}
{%- endmacro %}
{% macro default__date_trunc(datepart, date) -%}
date_trunc('{{ datepart }}', {{ date }})
{%- endmacro %}

{% macro dateadd(datepart, interval, from_date_or_timestamp) -%}
  {{ return(adapter.dispatch('dateadd', 'dbt')(datepart, interval, from_date_or_timestamp)) }}
{%- endmacro %}
{% macro default__dateadd(datepart, interval, from_date_or_timestamp) -%}
{{ from_date_or_timestamp }} + ((interval '1 {{ datepart }}') * ({{ interval }}))
{%- endmacro %}
{% macro duckdb__dateadd(datepart, interval, from_date_or_timestamp) -%}
date_add({{ from_date_or_timestamp }}, interval ({{ interval }}) {{ datepart }})
{%- endmacro %}

{#- The number of datepart boundaries crossed going from first_date to second_date. -#}
{% macro datediff(first_date, second_date, datepart) -%}
  {{ return(adapter.dispatch('datediff', 'dbt')(first_date, second_date, datepart)) }}
{%- endmacro %}
{% macro default__datediff(first_date, second_date, datepart) -%}
  {%- set part = datepart | lower -%}
  {%- if part == 'year' -%}
    (date_part('year', ({{ second_date }})::date) - date_part('year', ({{ first_date }})::date))
  {%- elif part == 'quarter' -%}
    ((date_part('year', ({{ second_date }})::date) - date_part('year', ({{ first_date }})::date)) * 4 + date_part('quarter', ({{ second_date }})::date) - date_part('quarter', ({{ first_date }})::date))
  {%- elif part == 'month' -%}
    ((date_part('year', ({{ second_date }})::date) - date_part('year', ({{ first_date }})::date)) * 12 + date_part('month', ({{ second_date }})::date) - date_part('month', ({{ first_date }})::date))
  {%- elif part == 'day' -%}
    (({{ second_date }})::date - ({{ first_date }})::date)
  {%- elif part == 'week' -%}
    ((date_trunc('week', ({{ second_date }})::date)::date - date_trunc('week', ({{ first_date }})::date)::date) / 7)
  {%- elif part in ('hour', 'minute', 'second') -%}
    {%- set seconds = {'hour': 3600, 'minute': 60, 'second': 1}[part] -%}
    ((extract(epoch from date_trunc('{{ part }}', ({{ second_date }})::timestamp)) - extract(epoch from date_trunc('{{ part }}', ({{ first_date }})::timestamp))) / {{ seconds }})::bigint
  {%- elif part in ('millisecond', 'microsecond') -%}
    {%- set per = 1000 if part == 'millisecond' else 1000000 -%}
    ((extract(epoch from ({{ second_date }})::timestamp) - extract(epoch from ({{ first_date }})::timestamp)) * {{ per }})::bigint
  {%- else -%}
    {{ exceptions.raise_compiler_error("datediff does not support the datepart '" ~ datepart ~ "'") }}
  {%- endif -%}
{%- endmacro %}
{% macro duckdb__datediff(first_date, second_date, datepart) -%}
date_diff('{{ datepart }}', ({{ first_date }})::timestamp, ({{ second_date }})::timestamp)
{%- endmacro %}

{#- The last day of the datepart period that `date` falls in, as a date. -#}
{% macro last_day(date, datepart) -%}
  {{ return(adapter.dispatch('last_day', 'dbt')(date, datepart)) }}
{%- endmacro %}
{% macro default__last_day(date, datepart) -%}
cast({{ dbt.dateadd('day', '-1', dbt.dateadd(datepart, '1', dbt.date_trunc(datepart, date))) }} as date)
{%- endmacro %}

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

{#- One row per datepart from start_date (included) to end_date (excluded), in a column
    named date_<datepart>. -#}
{% macro date_spine(datepart, start_date, end_date) -%}
  {{ return(adapter.dispatch('date_spine', 'dbt')(datepart, start_date, end_date)) }}
{%- endmacro %}
{% macro default__date_spine(datepart, start_date, end_date) -%}
select date_{{ datepart }}
from (
    select generate_series(cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval '1 {{ datepart }}') as date_{{ datepart }}
) as spine
where date_{{ datepart }} < cast({{ end_date }} as timestamp)
{%- endmacro %}
{% macro duckdb__date_spine(datepart, start_date, end_date) -%}
select cast(range as timestamp) as date_{{ datepart }}
from range(cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval 1 {{ datepart }})
{%- endmacro %}
