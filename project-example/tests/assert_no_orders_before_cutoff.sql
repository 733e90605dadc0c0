-- The staging layer drops orders from before the min_order_date variable.
select order_id, order_date
from {{ ref('fct_orders') }}
where order_date < cast('{{ var("min_order_date") }}' as date)
