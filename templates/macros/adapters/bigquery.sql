{#- BigQuery's spellings. Tables and views are built in place by one `create or replace`,
    which BigQuery runs as one atomic job: a failed build leaves the old relation as it was
    (BigQuery has no transaction across DDL, and cannot rename views).
    Model configs as in dbt-bigquery: partition_by {field, data_type, granularity, range},
    cluster_by, labels, require_partition_filter, partition_expiration_days.
    `config` is the node being built. -#}

{#- The partition a row falls in, for `partition_by` p; `prefix` qualifies the column. -#}
{% macro bigquery__kiln_partition_expr(p, prefix='') -%}
{%- set dt = (p.data_type or 'date') | lower -%}
{%- set field = prefix ~ adapter.quote(p.field) -%}
{%- set gran = (p.granularity or 'day') | lower -%}
{%- if dt == 'int64' and p.range -%}
range_bucket({{ field }}, generate_array({{ p.range.start }}, {{ p.range.end }}, {{ p.range.interval }}))
{%- elif dt == 'date' and gran == 'day' -%}
{{ field }}
{%- elif dt == 'date' -%}
date_trunc({{ field }}, {{ gran }})
{%- elif dt == 'datetime' -%}
datetime_trunc({{ field }}, {{ gran }})
{%- else -%}
timestamp_trunc({{ field }}, {{ gran }})
{%- endif -%}
{%- endmacro %}

{% macro bigquery__kiln_partition_by(p) -%}
partition by {{ bigquery__kiln_partition_expr(p) }}
{%- endmacro %}

{#- insert_overwrite: the target's rows in the partitions the new rows fall in are deleted
    (the insert of the new rows follows, in the same transaction). -#}
{% macro bigquery__incremental_delete_partitions_sql(target, source, partition_by) -%}
delete from {{ target }} as DBT_INTERNAL_DEST
where {{ bigquery__kiln_partition_expr(partition_by, 'DBT_INTERNAL_DEST.') }} in (
  select distinct {{ bigquery__kiln_partition_expr(partition_by, 'DBT_INTERNAL_SOURCE.') }} from {{ source }} as DBT_INTERNAL_SOURCE
)
{%- endmacro %}

{% macro bigquery__kiln_options(is_table) -%}
{%- set opts = [] -%}
{%- set labels = config.get('labels') -%}
{%- if labels -%}
{%- set pairs = [] -%}
{%- for k, v in labels | dictsort %}{% do pairs.append("(" ~ kiln_bq_string(k) ~ ", " ~ kiln_bq_string(v) ~ ")") %}{% endfor -%}
{%- do opts.append("labels=[" ~ pairs | join(", ") ~ "]") -%}
{%- endif -%}
{%- if is_table and config.get('partition_by') and config.get('require_partition_filter') -%}
{%- do opts.append("require_partition_filter=true") -%}
{%- endif -%}
{%- if is_table and config.get('partition_by') and config.get('partition_expiration_days') -%}
{%- do opts.append("partition_expiration_days=" ~ config.get('partition_expiration_days')) -%}
{%- endif -%}
{%- if opts | length %} options({{ opts | join(', ') }}){% endif -%}
{%- endmacro %}

{#- GoogleSQL string literals escape with a backslash. -#}
{% macro kiln_bq_string(s) -%}
'{{ (s ~ '') | replace('\\', '\\\\') | replace("'", "\\'") }}'
{%- endmacro %}

{% macro bigquery__create_table_as(relation, sql) -%}
{%- set partition_by = config.get('partition_by') -%}
{%- set cluster_by = config.get('cluster_by') -%}
create or replace table {{ relation }}
{%- if partition_by %}
{{ bigquery__kiln_partition_by(partition_by) }}
{%- endif %}
{%- if cluster_by %}
cluster by {% if cluster_by is string %}{{ adapter.quote(cluster_by) }}{% else %}{% for c in cluster_by %}{{ adapter.quote(c) }}{% if not loop.last %}, {% endif %}{% endfor %}{% endif %}
{%- endif %}
{{- bigquery__kiln_options(true) }}
as (
{{ sql }}
)
{%- endmacro %}

{% macro bigquery__create_view_as(relation, sql) -%}
create or replace view {{ relation }}{{ bigquery__kiln_options(false) }}
as (
{{ sql }}
)
{%- endmacro %}

{% macro bigquery__create_empty_table(relation, columns) -%}
create or replace table {{ relation }} (
  {%- for c in columns %}
  {{ adapter.quote(c.name) }} {{ c.type }}{% if not loop.last %},{% endif %}
  {%- endfor %}
)
{%- endmacro %}

{#- BigQuery renames tables (not views) within their dataset. -#}
{% macro bigquery__rename_relation(relation, relation_type, new_identifier) -%}
alter table {{ relation }} rename to {{ adapter.quote(new_identifier) }}
{%- endmacro %}

{#- DELETE ... USING is not GoogleSQL; the target takes an alias instead. -#}
{% macro bigquery__incremental_delete_sql(target, source, unique_key, predicates) -%}
delete from {{ target }} as DBT_INTERNAL_DEST
where exists (
  select 1 from {{ source }} as DBT_INTERNAL_SOURCE
  where
  {{ incremental_key_match(unique_key) }}
)
{%- for p in predicates %}
and ({{ p }})
{%- endfor %}
{%- endmacro %}

{% macro bigquery__alter_column_type(relation, name, type) -%}
alter table {{ relation }} alter column {{ adapter.quote(name) }} set data type {{ type }}
{%- endmacro %}

{% macro bigquery__snapshot_get_time() -%}
cast(current_timestamp() as datetime)
{%- endmacro %}

{#- dbt_scd_id: a hash of the key expressions and the change time, as default__snapshot_hash. -#}
{% macro bigquery__snapshot_hash(keys, changed_at) -%}
to_hex(md5(concat({% for k in keys %}coalesce(cast({{ k }} as string), ''), '|', {% endfor %}coalesce(cast({{ changed_at }} as string), ''))))
{%- endmacro %}
