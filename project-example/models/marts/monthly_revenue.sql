{{ config(tags=['finance']) }}

{%- set statuses = ['placed', 'shipped', 'completed', 'returned', 'cancelled'] %}
{%- set payment_methods = ['card', 'paypal', 'bank_transfer', 'gift_card'] %}

-- One row per calendar month: order counts by status and fulfilled revenue
-- split by payment method.

with orders as (

    select
        cast(date_trunc('month', order_date) as date) as revenue_month,
        status,
        payment_method,
        is_fulfilled,
        order_total
    from {{ ref('fct_orders') }}

)

select
    revenue_month,
    count(*) as order_count,
    {%- for status in statuses %}
    count(*) filter (where status = '{{ status }}') as {{ status }}_orders,
    {%- endfor %}
    coalesce(sum(order_total) filter (where is_fulfilled), 0) as total_revenue,
    {%- for method in payment_methods %}
    coalesce(sum(order_total) filter (where is_fulfilled and payment_method = '{{ method }}'), 0)
        as {{ method }}_revenue{% if not loop.last %},{% endif %}
    {%- endfor %}
from orders
group by revenue_month
