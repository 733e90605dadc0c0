{{ config(materialized='table', alias='product_sales_summary') }}

-- Units and revenue per product from fulfilled orders, with a revenue rank.

with products as (

    select * from {{ ref('stg_products') }}

),

lines as (

    select items.*
    from {{ ref('int_order_items_priced') }} as items
    inner join {{ ref('stg_orders') }} as orders
        on items.order_id = orders.order_id
    where orders.is_fulfilled

),

per_product as (

    select
        product_id,
        count(distinct order_id) as order_count,
        sum(quantity) as units_sold,
        sum(line_net_amount) as net_revenue
    from lines
    group by product_id

)

select
    products.product_id,
    products.sku,
    products.product_name,
    products.category,
    products.is_active,
    coalesce(per_product.order_count, 0) as order_count,
    coalesce(per_product.units_sold, 0) as units_sold,
    coalesce(per_product.net_revenue, 0) as net_revenue,
    dense_rank() over (order by coalesce(per_product.net_revenue, 0) desc) as revenue_rank
from products
left join per_product
    on products.product_id = per_product.product_id
