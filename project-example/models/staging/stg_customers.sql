with source as (

    select * from {{ source('shop', 'raw_customers') }}

),

renamed as (

    select
        cast(customer_id as integer) as customer_id,
        first_name,
        last_name,
        first_name || ' ' || last_name as full_name,
        lower(email) as email,
        customer_type,
        company_name,
        city,
        upper(country_code) as country_code,
        cast(postal_code as varchar(10)) as postal_code,
        cast(signup_date as date) as signup_date
    from source

)

select * from renamed
