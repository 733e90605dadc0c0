-- Revenue per customer over their whole history, fulfilled orders only.

with customers as (

    select * from {{ ref('dim_customers') }}

),

orders as (

    select * from {{ ref('fct_orders') }}
    where is_fulfilled

),

per_customer as (

    select
        customer_id,
        count(*) as fulfilled_orders,
        sum(subtotal) as lifetime_net_revenue,
        sum(order_total) as lifetime_gross_revenue,
        min(order_date) as first_fulfilled_order_date,
        max(order_date) as last_fulfilled_order_date
    from orders
    group by customer_id

)

select
    customers.customer_id,
    customers.full_name,
    customers.customer_type,
    customers.customer_segment,
    coalesce(per_customer.fulfilled_orders, 0) as fulfilled_orders,
    coalesce(per_customer.lifetime_net_revenue, 0) as lifetime_net_revenue,
    coalesce(per_customer.lifetime_gross_revenue, 0) as lifetime_gross_revenue,
    case
        when per_customer.fulfilled_orders > 0
            then {{ money('per_customer.lifetime_gross_revenue / per_customer.fulfilled_orders') }}
    end as average_order_value,
    cast(per_customer.last_fulfilled_order_date - per_customer.first_fulfilled_order_date as integer)
        as active_days
from customers
left join per_customer
    on customers.customer_id = per_customer.customer_id
