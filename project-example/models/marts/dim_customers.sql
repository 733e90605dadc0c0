with customers as (

    select * from {{ ref('stg_customers') }}

),

history as (

    select * from {{ ref('int_customer_orders') }}

)

select
    customers.customer_id,
    customers.full_name,
    customers.email,
    customers.customer_type,
    customers.company_name,
    customers.city,
    customers.country_code,
    customers.signup_date,
    history.first_order_date,
    history.most_recent_order_date,
    coalesce(history.order_count, 0) as order_count,
    coalesce(history.fulfilled_order_count, 0) as fulfilled_order_count,
    case
        when coalesce(history.fulfilled_order_count, 0) = 0 then 'prospect'
        when history.fulfilled_order_count >= 3 then 'regular'
        when history.fulfilled_order_count >= 2 then 'repeat'
        else 'one_off'
    end as customer_segment
from customers
left join history
    on customers.customer_id = history.customer_id
