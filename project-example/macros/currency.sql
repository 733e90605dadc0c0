{#- Prices are stored in cents in the raw data; convert them to an exact
    decimal amount in the shop currency. -#}
{% macro cents_to_currency(cents, scale=2) -%}
    cast(({{ cents }}) * 0.01 as numeric(18, {{ scale }}))
{%- endmacro %}

{#- Round any numeric expression to a two-decimal money amount. -#}
{% macro money(expr) -%}
    cast(round(cast({{ expr }} as numeric(18, 4)), 2) as numeric(18, 2))
{%- endmacro %}
