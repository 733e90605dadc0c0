-- One row per order with the summed line amounts.

select
    order_id,
    count(*) as line_count,
    sum(quantity) as units,
    sum(line_net_amount) as subtotal,
    sum(line_vat_amount) as vat_amount,
    count(*) filter (where discount_pct > 0) as discounted_lines
from {{ ref('int_order_items_priced') }}
group by order_id
