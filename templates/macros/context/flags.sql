{# Helpers dbt's global project offers to macros that read a node's config and the run's flags. #}

{# True when the node stores its failing rows: its store_failures config, else the --store-failures flag. #}
{% macro should_store_failures() -%}
  {%- set configured = config.get('store_failures') -%}
  {%- if configured is none -%}{%- set configured = flags.STORE_FAILURES -%}{%- endif -%}
  {{ return(configured is true) }}
{%- endmacro %}

{# True when the node is rebuilt from scratch: its full_refresh config wins over --full-refresh. #}
{% macro should_full_refresh() -%}
  {%- set configured = config.get('full_refresh') -%}
  {%- if configured is none -%}{%- set configured = flags.FULL_REFRESH -%}{%- endif -%}
  {{ return(configured is true) }}
{%- endmacro %}
