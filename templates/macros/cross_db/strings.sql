{#- Cross-database string macros (dbt.concat, dbt.hash, dbt.split_part, ...). -#}

{#- The fields (SQL expressions) joined end to end. -#}
{% macro concat(fields) %}{{ return(adapter.dispatch('concat', 'dbt')(fields)) }}{% endmacro %}
{% macro default__concat(fields) %}{{ fields | join(' || ') }}{% endmacro %}

{#- The MD5 of the field as text, 32 lower-case hex digits. -#}
{% macro hash(field) %}{{ return(adapter.dispatch('hash', 'dbt')(field)) }}{% endmacro %}
{% macro default__hash(field) %}md5(cast({{ field }} as {{ dbt.type_string() }})){% endmacro %}
{#- BigQuery's md5 returns bytes. -#}
{% macro bigquery__hash(field) %}to_hex(md5(cast({{ field }} as {{ dbt.type_string() }}))){% endmacro %}

{#- The part_number-th piece of string_text split on delimiter_text, counting from 1; a
    negative part_number counts from the end. -#}
{% macro split_part(string_text, delimiter_text, part_number) %}{{ return(adapter.dispatch('split_part', 'dbt')(string_text, delimiter_text, part_number)) }}{% endmacro %}
{% macro default__split_part(string_text, delimiter_text, part_number) %}split_part({{ string_text }}, {{ delimiter_text }}, {{ part_number }}){% endmacro %}
{#- PostgreSQL takes negative positions only from 14 on: count the pieces instead. -#}
{% macro postgres__split_part(string_text, delimiter_text, part_number) -%}
  {%- if part_number is number and part_number < 0 -%}
split_part({{ string_text }}, {{ delimiter_text }}, (length({{ string_text }}) - length(replace({{ string_text }}, {{ delimiter_text }}, ''))) / length({{ delimiter_text }}) + 2 + ({{ part_number }}))
  {%- else -%}
split_part({{ string_text }}, {{ delimiter_text }}, {{ part_number }})
  {%- endif -%}
{%- endmacro %}
{#- BigQuery: an array of the pieces, read by ordinal (null past either end). -#}
{% macro bigquery__split_part(string_text, delimiter_text, part_number) -%}
  {%- if part_number is number and part_number < 0 -%}
split({{ string_text }}, {{ delimiter_text }})[safe_ordinal(array_length(split({{ string_text }}, {{ delimiter_text }})) + 1 + ({{ part_number }}))]
  {%- else -%}
split({{ string_text }}, {{ delimiter_text }})[safe_ordinal({{ part_number }})]
  {%- endif -%}
{%- endmacro %}

{#- field with every old_chars replaced by new_chars. -#}
{% macro replace(field, old_chars, new_chars) %}{{ return(adapter.dispatch('replace', 'dbt')(field, old_chars, new_chars)) }}{% endmacro %}
{% macro default__replace(field, old_chars, new_chars) %}replace({{ field }}, {{ old_chars }}, {{ new_chars }}){% endmacro %}

{#- The number of characters. -#}
{% macro length(expression) %}{{ return(adapter.dispatch('length', 'dbt')(expression)) }}{% endmacro %}
{% macro default__length(expression) %}length({{ expression }}){% endmacro %}

{#- Where substring_text first occurs in string_text, from 1; 0 when it does not. -#}
{% macro position(substring_text, string_text) %}{{ return(adapter.dispatch('position', 'dbt')(substring_text, string_text)) }}{% endmacro %}
{% macro default__position(substring_text, string_text) %}position({{ substring_text }} in {{ string_text }}){% endmacro %}
{% macro bigquery__position(substring_text, string_text) %}strpos({{ string_text }}, {{ substring_text }}){% endmacro %}

{#- The last length_expression characters ('' for 0). -#}
{% macro right(string_text, length_expression) %}{{ return(adapter.dispatch('right', 'dbt')(string_text, length_expression)) }}{% endmacro %}
{% macro default__right(string_text, length_expression) %}right({{ string_text }}, {{ length_expression }}){% endmacro %}
{% macro snowflake__right(string_text, length_expression) %}case when {{ length_expression }} = 0 then '' else right({{ string_text }}, {{ length_expression }}) end{% endmacro %}

{#- Text made safe to place inside a quoted SQL string literal. -#}
{% macro escape_single_quotes(expression) %}{{ return(adapter.dispatch('escape_single_quotes', 'dbt')(expression)) }}{% endmacro %}
{% macro default__escape_single_quotes(expression) %}{{ expression | replace("'", "''") }}{% endmacro %}
{#- Snowflake and BigQuery escape a quote with a backslash. -#}
{% macro snowflake__escape_single_quotes(expression) %}{{ expression | replace("'", "\\'") }}{% endmacro %}
{% macro bigquery__escape_single_quotes(expression) %}{{ expression | replace("'", "\\'") }}{% endmacro %}

{#- The value as a quoted SQL string literal (the value is not escaped). -#}
{% macro string_literal(value) %}{{ return(adapter.dispatch('string_literal', 'dbt')(value)) }}{% endmacro %}
{% macro default__string_literal(value) %}'{{ value }}'{% endmacro %}
{#- A triple-quoted literal: single quotes and newlines inside need no escaping. -#}
{% macro bigquery__string_literal(value) %}'''{{ value }}'''{% endmacro %}
