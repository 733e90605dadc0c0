with source as (

    select * from {{ source('shop', 'raw_order_items') }}

),

orders as (

    -- only keep lines whose order survived the date cut-off in stg_orders
    select order_id from {{ ref('stg_orders') }}

)

select
    cast(source.order_item_id as integer) as order_item_id,
    cast(source.order_id as integer) as order_id,
    cast(source.product_id as integer) as product_id,
    cast(source.quantity as integer) as quantity,
    {{ cents_to_currency('source.unit_price_cents') }} as unit_price,
    coalesce(cast(source.discount_pct as integer), 0) as discount_pct
from source
inner join orders
    on cast(source.order_id as integer) = orders.order_id
