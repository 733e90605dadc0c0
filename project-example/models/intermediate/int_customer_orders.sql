-- Order history per customer, counting only fulfilled orders as revenue.

with orders as (

    select * from {{ ref('stg_orders') }}

),

totals as (

    select * from {{ ref('int_order_totals') }}

)

select
    orders.customer_id,
    min(orders.order_date) as first_order_date,
    max(orders.order_date) as most_recent_order_date,
    count(*) as order_count,
    count(*) filter (where orders.is_fulfilled) as fulfilled_order_count,
    count(*) filter (where orders.status = 'returned') as returned_order_count,
    coalesce(sum(totals.subtotal) filter (where orders.is_fulfilled), 0) as net_revenue
from orders
left join totals
    on orders.order_id = totals.order_id
group by orders.customer_id
