{% macro default__create_view_as(relation, sql) -%}
create view {{ relation }} as (
{{ sql }}
)
{%- endmacro %}

{#- DuckDB and PostgreSQL replace a view in one atomic statement, so views are built in place (replacesViewsAtomically). -#}
{% macro kiln_create_or_replace_view_as(relation, sql) -%}
create or replace view {{ relation }} as (
{{ sql }}
)
{%- endmacro %}

{% macro duckdb__create_view_as(relation, sql) -%}
{{ kiln_create_or_replace_view_as(relation, sql) }}
{%- endmacro %}

{% macro postgres__create_view_as(relation, sql) -%}
{{ kiln_create_or_replace_view_as(relation, sql) }}
{%- endmacro %}

{% macro default__create_table_as(relation, sql) -%}
create table {{ relation }} as (
{{ sql }}
)
{%- endmacro %}

{% macro default__create_empty_table(relation, columns) -%}
create table {{ relation }} (
  {%- for c in columns %}
  {{ adapter.quote(c.name) }} {{ c.type }}{% if not loop.last %},{% endif %}
  {%- endfor %}
)
{%- endmacro %}

{% macro default__drop_relation(relation, relation_type) -%}
drop {{ relation_type }} if exists {{ relation }}
{%- endmacro %}

{#- PostgreSQL drops what depends on a relation with it (`cascade`, as dbt-postgres does). The
    views among those (views on views, in any schema, materialized views too) are not lost:
    their definitions, options, owner, grants, comments, indexes and triggers are kept in the
    transaction's setting kiln.saved_views, and rename_relation recreates them on the relation
    that takes the name, in the same transaction. Whatever holds the name is dropped, whatever
    relation_type says.

    Two replacements whose views overlap (a view reads two tables, each being replaced) would
    each wait for the other's locks, so they take turns: each first takes advisory locks on
    the names of the relation and of its views, in one order. A table is then locked before
    its views are read, so that no view is created on it in between. -#}
{% macro postgres__drop_relation(relation, relation_type) -%}
do $kiln$
declare
  rel oid;
  kind "char";
  views oid[];
  depths int[];
  keys int[];
  held int[] := '{}';
  locked boolean := false;
  k int;
  saved jsonb;
begin
  select c.oid, c.relkind into rel, kind
  from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  where n.nspname = {{ kiln_pg_string(relation.schema) }} and c.relname = {{ kiln_pg_string(relation.identifier) }} and c.relkind in ('r', 'p', 'v', 'm', 'f');
  if rel is null then
    return;
  end if;
  -- A view read here may be dropped by a replacement that does not share its names (one not
  -- made by kiln): its definition is then gone mid-statement, and the views are read again.
  for attempt in 1..5 loop
  begin
    loop
      with recursive dep(oid, depth) as (
        select rw.ev_class, 1
        from pg_catalog.pg_depend d join pg_catalog.pg_rewrite rw on rw.oid = d.objid
        where d.classid = 'pg_catalog.pg_rewrite'::regclass and d.refclassid = 'pg_catalog.pg_class'::regclass
          and d.refobjid = rel and rw.ev_class <> rel
        union
        select rw.ev_class, dep.depth + 1
        from dep join pg_catalog.pg_depend d on d.refclassid = 'pg_catalog.pg_class'::regclass and d.refobjid = dep.oid and d.classid = 'pg_catalog.pg_rewrite'::regclass
        join pg_catalog.pg_rewrite rw on rw.oid = d.objid
        where rw.ev_class <> dep.oid
      )
      select coalesce(array_agg(oid order by depth), '{}'), coalesce(array_agg(depth order by depth), '{}') into views, depths
      from (select oid, max(depth) as depth from dep group by oid) v;
      select coalesce(array_agg(distinct x.k order by x.k), '{}') into keys
      from (
        select pg_catalog.hashtext(n.nspname || '.' || c.relname) as k
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where c.oid = rel or c.oid = any(views)
      ) x
      where not x.k = any(held);
      exit when cardinality(keys) = 0 and locked;
      foreach k in array keys loop
        perform pg_catalog.pg_advisory_xact_lock(1802071155, k); -- 1802071155: "kils" in ASCII
      end loop;
      held := held || keys;
      if not locked and kind in ('r', 'p') then
        execute format('lock table %I.%I in access exclusive mode', {{ kiln_pg_string(relation.schema) }}, {{ kiln_pg_string(relation.identifier) }});
      end if;
      locked := true;
    end loop;
    select jsonb_agg(jsonb_build_object(
      'source', jsonb_build_array({{ kiln_pg_string(relation.schema) }}, {{ kiln_pg_string(relation.identifier) }}),
      'schema', n.nspname, 'name', c.relname, 'kind', c.relkind, 'depth', v.depth,
      'definition', pg_catalog.pg_get_viewdef(c.oid),
      'options', c.reloptions,
      'owner', pg_catalog.pg_get_userbyid(c.relowner),
      'grants', (select jsonb_agg(jsonb_build_object('grantee', case when a.grantee = 0 then 'public' else quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) end, 'privilege', a.privilege_type, 'grantable', a.is_grantable))
                 from pg_catalog.aclexplode(c.relacl) a where a.grantee <> c.relowner),
      'comment', pg_catalog.obj_description(c.oid, 'pg_class'),
      'column_comments', (select jsonb_agg(jsonb_build_array(att.attname, ds.description))
                          from pg_catalog.pg_description ds join pg_catalog.pg_attribute att on att.attrelid = ds.objoid and att.attnum = ds.objsubid
                          where ds.classoid = 'pg_catalog.pg_class'::regclass and ds.objoid = c.oid and ds.objsubid > 0),
      'indexes', (select jsonb_agg(pg_catalog.pg_get_indexdef(i.indexrelid)) from pg_catalog.pg_index i where i.indrelid = c.oid),
      'triggers', (select jsonb_agg(pg_catalog.pg_get_triggerdef(t.oid)) from pg_catalog.pg_trigger t where t.tgrelid = c.oid and not t.tgisinternal)
    ) order by v.depth)
    into saved
    from unnest(views, depths) as v(oid, depth) join pg_catalog.pg_class c on c.oid = v.oid join pg_catalog.pg_namespace n on n.oid = c.relnamespace;
    exit;
  exception when internal_error then
    if attempt = 5 then
      raise;
    end if;
    held := '{}';
    locked := false;
  end;
  end loop;
  if saved is not null then
    perform pg_catalog.set_config('kiln.saved_views', (coalesce(nullif(current_setting('kiln.saved_views', true), ''), '[]')::jsonb || saved)::text, true);
  end if;
  -- By name: if another transaction replaced the relation meanwhile, its successor goes.
  execute format('drop %s if exists %I.%I cascade', case kind when 'v' then 'view' when 'm' then 'materialized view' when 'f' then 'foreign table' else 'table' end,
    {{ kiln_pg_string(relation.schema) }}, {{ kiln_pg_string(relation.identifier) }});
end
$kiln$
{%- endmacro %}

{% macro default__rename_relation(relation, relation_type, new_identifier) -%}
alter {{ relation_type }} {{ relation }} rename to {{ adapter.quote(new_identifier) }}
{%- endmacro %}

{#- Renames, then recreates the views drop_relation kept for the new name, in the order they
    were built on each other. A view that no longer fits the new relation is left out only
    if this run rebuilds it later (kiln_rebuilt_views: [schema, name] pairs the materializer
    sets); otherwise the statement fails, and with it the transaction that replaces the
    relation, so the old relation and every view on it stay as they were. -#}
{% macro postgres__rename_relation(relation, relation_type, new_identifier) -%}
do $kiln$
declare
  saved jsonb := coalesce(nullif(current_setting('kiln.saved_views', true), ''), '[]')::jsonb;
  target jsonb := jsonb_build_array({{ kiln_pg_string(relation.schema) }}, {{ kiln_pg_string(new_identifier) }});
  rebuilt jsonb := {{ kiln_pg_string(kiln_rebuilt_views | default([]) | tojson) }}::jsonb;
  v jsonb;
  x jsonb;
  what text;
  name text;
  broken text[] := '{}';
begin
  execute {{ kiln_pg_string('alter ' ~ relation_type ~ ' ' ~ relation ~ ' rename to ' ~ adapter.quote(new_identifier)) }};
  for v in select e from jsonb_array_elements(saved) e where e->'source' = target order by (e->>'depth')::int loop
    what := case v->>'kind' when 'm' then 'materialized view' else 'view' end;
    name := format('%I.%I', v->>'schema', v->>'name');
    begin
      execute format('create %s %s%s as %s', what, name,
        case when jsonb_typeof(v->'options') = 'array' then ' with (' || (select string_agg(o, ', ') from jsonb_array_elements_text(v->'options') o) || ')' else '' end,
        v->>'definition');
      if v->>'owner' <> current_user then
        execute format('alter %s %s owner to %I', what, name, v->>'owner');
      end if;
      for x in select * from jsonb_array_elements(coalesce(nullif(v->'grants', 'null'), '[]')) loop
        execute format('grant %s on %s to %s%s', x->>'privilege', name, x->>'grantee', case when (x->>'grantable')::boolean then ' with grant option' else '' end);
      end loop;
      if v->>'comment' is not null then
        execute format('comment on %s %s is %L', what, name, v->>'comment');
      end if;
      for x in select * from jsonb_array_elements(coalesce(nullif(v->'column_comments', 'null'), '[]')) loop
        execute format('comment on column %s.%I is %L', name, x->>0, x->>1);
      end loop;
      for x in select * from jsonb_array_elements(coalesce(nullif(v->'indexes', 'null'), '[]') || coalesce(nullif(v->'triggers', 'null'), '[]')) loop
        execute x #>> '{}';
      end loop;
    exception
      -- A conflict with another transaction is not the view's fault: the transaction goes again.
      when deadlock_detected or serialization_failure or lock_not_available then
        raise;
      when others then
        if not exists (select 1 from jsonb_array_elements(rebuilt) r where r->>0 = v->>'schema' and r->>1 = v->>'name') then
          broken := broken || format('%s (%s)', name, sqlerrm);
        end if;
    end;
  end loop;
  perform pg_catalog.set_config('kiln.saved_views', coalesce((select jsonb_agg(e) from jsonb_array_elements(saved) e where e->'source' <> target), '[]')::text, true);
  if cardinality(broken) > 0 then
    raise exception '%', format('replacing %s would break the view%s on it: %s', {{ kiln_pg_string(adapter.quote(relation.schema) ~ '.' ~ adapter.quote(new_identifier)) }},
      case when cardinality(broken) > 1 then 's' else '' end, array_to_string(broken, '; '))
      using hint = 'change or drop those views first, or build them in the same run (for example: kiln run -s <model>+)';
  end if;
end
$kiln$
{%- endmacro %}

{#- A SQL string literal for PostgreSQL. -#}
{% macro kiln_pg_string(value) -%}
'{{ (value ~ '') | replace("'", "''") }}'
{%- endmacro %}

{% macro default__create_schema(database, schema) -%}
create schema if not exists {{ schema }}
{%- endmacro %}
