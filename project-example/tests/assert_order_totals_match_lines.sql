-- Every order total must equal its lines recomputed from staging, plus VAT
-- and shipping. Returns the orders where they differ by more than a cent.

with lines as (

    select
        items.order_id,
        sum({{ money('items.quantity * items.unit_price * (100 - items.discount_pct) * 0.01') }}) as net
    from {{ ref('stg_order_items') }} as items
    group by items.order_id

),

orders as (

    select * from {{ ref('fct_orders') }}

)

select
    orders.order_id,
    orders.subtotal,
    lines.net,
    orders.order_total
from orders
left join lines
    on orders.order_id = lines.order_id
where lines.net is null
    or abs(orders.subtotal - lines.net) > 0.01
    or abs(orders.order_total - (orders.subtotal + orders.vat_amount + orders.shipping_amount)) > 0.01
