with orders as (

    select * from {{ ref('stg_orders') }}

),

totals as (

    select * from {{ ref('int_order_totals') }}

)

select
    orders.order_id,
    orders.customer_id,
    orders.order_date,
    orders.status,
    orders.payment_method,
    orders.is_fulfilled,
    totals.line_count,
    totals.units,
    totals.discounted_lines > 0 as has_discount,
    totals.subtotal,
    totals.vat_amount,
    orders.shipping_amount,
    totals.subtotal + totals.vat_amount + orders.shipping_amount as order_total
from orders
inner join totals
    on orders.order_id = totals.order_id
