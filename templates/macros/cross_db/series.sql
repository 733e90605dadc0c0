{#- Number and date series (dbt.get_powers_of_two, dbt.generate_series,
    dbt.get_intervals_between, dbt.date_spine), written for kiln from dbt's documented
    behaviour. -#}

{#- The smallest k >= 1 with upper_bound <= 2^k: how many bits count up to upper_bound. -#}
{% macro get_powers_of_two(upper_bound) %}{{ return(adapter.dispatch('get_powers_of_two', 'dbt')(upper_bound)) }}{% endmacro %}
{% macro default__get_powers_of_two(upper_bound) -%}
  {%- if upper_bound <= 0 -%}
    {{ exceptions.raise_compiler_error("get_powers_of_two needs a positive upper bound, got " ~ upper_bound) }}
  {%- endif -%}
  {%- set bits = namespace(count=none) -%}
  {%- for k in range(1, 128) -%}
    {%- if bits.count is none and upper_bound <= 2 ** k -%}{%- set bits.count = k -%}{%- endif -%}
  {%- endfor -%}
  {{ return(bits.count) }}
{%- endmacro %}

{#- A query of one column, generated_number, with the integers 1 to upper_bound. -#}
{% macro generate_series(upper_bound) %}{{ return(adapter.dispatch('generate_series', 'dbt')(upper_bound)) }}{% endmacro %}
{#- Portable SQL: a cross join of one two-row table per bit, each row a binary number. -#}
{% macro default__generate_series(upper_bound) -%}
  {%- set bits = dbt.get_powers_of_two(upper_bound) -%}
select generated_number
from (
    select {% for i in range(bits) %}bit_{{ i }}.b * {{ 2 ** i }} + {% endfor %}1 as generated_number
    from {% for i in range(bits) %}(select 0 as b union all select 1 as b) as bit_{{ i }}{% if not loop.last %}
    cross join {% endif %}{% endfor %}
) as numbers
where generated_number <= {{ upper_bound }}
order by generated_number
{%- endmacro %}
{% macro postgres__generate_series(upper_bound) -%}
select generate_series(1, {{ upper_bound }}) as generated_number
{%- endmacro %}
{% macro duckdb__generate_series(upper_bound) -%}
select generate_series as generated_number from generate_series(1, {{ upper_bound }})
{%- endmacro %}
{% macro bigquery__generate_series(upper_bound) -%}
select generated_number from unnest(generate_array(1, {{ upper_bound }})) as generated_number
{%- endmacro %}

{#- How many datepart intervals lie between two dates, as a number, asked of the warehouse
    (dbt.datediff) while compiling. While parsing, with no warehouse, it is 1. -#}
{% macro get_intervals_between(start_date, end_date, datepart) %}{{ return(adapter.dispatch('get_intervals_between', 'dbt')(start_date, end_date, datepart)) }}{% endmacro %}
{% macro default__get_intervals_between(start_date, end_date, datepart) -%}
  {%- call statement('get_intervals_between', fetch_result=True) -%}
select {{ dbt.datediff(start_date, end_date, datepart) }} as intervals
  {%- endcall -%}
  {%- set answer = load_result('get_intervals_between') -%}
  {%- if answer and answer['data'] -%}
    {{ return(answer['data'][0][0] | int) }}
  {%- endif -%}
  {{ return(1) }}
{%- endmacro %}

{#- A query of one column, date_<datepart>, with one row per datepart from start_date
    (included) up to end_date (excluded). -#}
{% macro date_spine(datepart, start_date, end_date) -%}
  {{ return(adapter.dispatch('date_spine', 'dbt')(datepart, start_date, end_date)) }}
{%- endmacro %}
{#- Portable SQL: numbers 1..n from generate_series, n asked of the warehouse. -#}
{% macro default__date_spine(datepart, start_date, end_date) -%}
  {%- set count = dbt.get_intervals_between(start_date, end_date, datepart) -%}
select date_{{ datepart }}
from (
    select {{ dbt.dateadd(datepart, 'generated_number - 1', start_date) }} as date_{{ datepart }}
    from ({{ dbt.generate_series(count) }}) as spine_numbers
) as spine
where date_{{ datepart }} < {{ end_date }}
{%- endmacro %}
{#- PostgreSQL and DuckDB generate timestamps directly; no question to the warehouse. -#}
{% macro postgres__date_spine(datepart, start_date, end_date) -%}
  {%- set step = "interval '3 month'" if datepart | lower == 'quarter' else "interval '1 " ~ datepart ~ "'" -%}
select date_{{ datepart }}
from (
    select generate_series(cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), {{ step }}) as date_{{ datepart }}
) as spine
where date_{{ datepart }} < cast({{ end_date }} as timestamp)
{%- endmacro %}
{% macro duckdb__date_spine(datepart, start_date, end_date) -%}
select cast(range as timestamp) as date_{{ datepart }}
from range(cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval 1 {{ datepart }})
{%- endmacro %}
