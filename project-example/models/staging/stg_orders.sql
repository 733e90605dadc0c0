with source as (

    select * from {{ source('shop', 'raw_orders') }}

)

select
    cast(order_id as integer) as order_id,
    cast(customer_id as integer) as customer_id,
    cast(order_date as date) as order_date,
    status,
    payment_method,
    {{ cents_to_currency('shipping_cents') }} as shipping_amount,
    status in ('shipped', 'completed') as is_fulfilled
from source
where cast(order_date as date) >= cast('{{ var("min_order_date") }}' as date)
