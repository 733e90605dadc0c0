with source as (

    select * from {{ source('shop', 'raw_products') }}

)

select
    cast(product_id as integer) as product_id,
    sku,
    product_name,
    category,
    {{ cents_to_currency('unit_price_cents') }} as list_price,
    cast(weight_grams as numeric(10, 0)) * 0.001 as weight_kg,
    cast(is_active as boolean) as is_active
from source
