-- Prices every order line: net amount after discount, VAT and gross amount.

with items as (

    select * from {{ ref('stg_order_items') }}

),

products as (

    select * from {{ ref('stg_products') }}

),

priced as (

    select
        items.order_item_id,
        items.order_id,
        items.product_id,
        products.category,
        items.quantity,
        items.unit_price,
        items.discount_pct,
        {{ money('items.quantity * items.unit_price * (1 - items.discount_pct * 0.01)') }} as line_net_amount
    from items
    inner join products
        on items.product_id = products.product_id

)

select
    priced.*,
    {{ money('line_net_amount * ' ~ var('vat_rate')) }} as line_vat_amount
from priced
