/**
 * Generic test names as dbt makes them. The node name, fqn and unique id carry the full
 * synthesised name (`<test>_<model>_<arguments>`); only the compiled file (`path`) and the
 * relation (`alias`) use the short, md5-hashed name when the full one has 64 characters or
 * more. The expectations below were computed, not copied: a Python script followed dbt-core's
 * naming by hand (generic_test_builders.py `synthesize_generic_test_names` and `TestBuilder`,
 * schema_generic_tests.py `create_test_node`: the unique id's hash is the last 10 hex digits of
 * md5(name + repr of the test metadata, values str()'d, keys sorted)) on this very YAML, read
 * with PyYAML's safe_load as dbt reads it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, ls } from '../src/index.js';
import type { TestNode } from '../src/parse/nodes.js';
import { genericTestNames } from '../src/parse/generic-tests.js';
import { writeProject, removeDir } from './helpers/cli.js';

const properties = `version: 2

models:
  - name: orders
    data_tests:
      - dbt_utils.unique_combination_of_columns:
          combination_of_columns: [order_id, line_no]
      - dbt_utils.expression_is_true:
          expression: "amount >= 0"
      - dbt_utils.expression_is_true:
          name: orders_amount_positive
          expression: "amount > 0"
      - row_check
      - rows_match:
          rows: [{id: 1}, {id: 2, label: "two"}]
    columns:
      - name: id
        data_tests:
          - not_null
          - unique
      - name: customer_id
        data_tests:
          - relationships:
              to: ref('customers')
              field: customer_id
      - name: priority
        data_tests:
          - accepted_values:
              values: [1, 2]
              quote: false
      - name: discount
        data_tests:
          - accepted_values:
              values: [1.0, 2.5, 1e3]
              quote: false
      - name: is_gift
        data_tests:
          - accepted_values:
              values: [yes, no]
              quote: false
      - name: note
        data_tests:
          - accepted_values:
              values: ["it's", 'say "hi"', 'a  b', 'x-y.z']
              config:
                severity: warn
      - name: amount
        data_tests:
          - dbt_utils.accepted_range:
              min_value: 0
              max_value: 100.0
              inclusive: true
              where: "amount is not null"
          - mapping_check:
              arguments:
                mapping: {low: 1, high: two}
                fallback: null
              description: described, not named
      - name: channel
        data_tests:
          - test_name: accepted_values
            values: [web, store]
            severity: warn
  - name: stg_orders
    columns:
      - name: status
        data_tests:
          - accepted_values:
              values: ['placed', 'shipped', 'completed']
  - name: stg_events
    columns:
      - name: account_id
        data_tests:
          - relationships:
              to: ref('stg_accounts')
              field: account_id
      - name: event_type
        data_tests:
          - accepted_values:
              values: [page_view, click, purchase, signup, logout, search, share]

seeds:
  - name: country_codes
    columns:
      - name: code
        data_tests:
          - not_null
          - unique:
              name: country_code_unique

sources:
  - name: raw
    tables:
      - name: payments
        data_tests:
          - dbt_utils.at_least_one:
              column_name: amount
        columns:
          - name: id
            data_tests:
              - not_null
          - name: customer_id
            data_tests:
              - relationships:
                  to: source('raw', 'customers')
                  field: id
      - name: customers
`;

interface Expected {
  name: string;
  uniqueId: string;
  path: string;
  alias: string;
}

// [what the case shows, what dbt names it]
const cases: Array<[string, Expected]> = [
  [
    'package test, model level, list argument, long: hashed file name',
    {
      name: 'dbt_utils_unique_combination_of_columns_orders_order_id__line_no',
      uniqueId: 'test.shop.dbt_utils_unique_combination_of_columns_orders_order_id__line_no.a950f77e77',
      path: 'dbt_utils_unique_combination_o_262d5608b8f2e19fc6ab42fab34b5894.sql',
      alias: 'dbt_utils_unique_combination_o_262d5608b8f2e19fc6ab42fab34b5894',
    },
  ],
  [
    'package test, model level, text argument with spaces and >=',
    {
      name: 'dbt_utils_expression_is_true_orders_amount_0',
      uniqueId: 'test.shop.dbt_utils_expression_is_true_orders_amount_0.23e56bc9d2',
      path: 'dbt_utils_expression_is_true_orders_amount_0.sql',
      alias: 'dbt_utils_expression_is_true_orders_amount_0',
    },
  ],
  [
    'custom name via name:',
    {
      name: 'orders_amount_positive',
      uniqueId: 'test.shop.orders_amount_positive.aaceecef11',
      path: 'orders_amount_positive.sql',
      alias: 'orders_amount_positive',
    },
  ],
  [
    'model-level test without arguments: trailing underscore',
    {
      name: 'row_check_orders_',
      uniqueId: 'test.shop.row_check_orders_.06a6bb9cf6',
      path: 'row_check_orders_.sql',
      alias: 'row_check_orders_',
    },
  ],
  [
    'list of dicts: Python repr of each dict',
    {
      name: 'rows_match_orders__id_1____id_2_label_two_',
      uniqueId: 'test.shop.rows_match_orders__id_1____id_2_label_two_.1655d76150',
      path: 'rows_match_orders__id_1____id_2_label_two_.sql',
      alias: 'rows_match_orders__id_1____id_2_label_two_',
    },
  ],
  [
    'not_null, column level',
    {
      name: 'not_null_orders_id',
      uniqueId: 'test.shop.not_null_orders_id.84ef11d8fe',
      path: 'not_null_orders_id.sql',
      alias: 'not_null_orders_id',
    },
  ],
  [
    'unique, column level',
    {
      name: 'unique_orders_id',
      uniqueId: 'test.shop.unique_orders_id.1360ecc70e',
      path: 'unique_orders_id.sql',
      alias: 'unique_orders_id',
    },
  ],
  [
    'relationships with a ref() argument',
    {
      name: 'relationships_orders_customer_id__customer_id__ref_customers_',
      uniqueId: 'test.shop.relationships_orders_customer_id__customer_id__ref_customers_.c6ec7f58f2',
      path: 'relationships_orders_customer_id__customer_id__ref_customers_.sql',
      alias: 'relationships_orders_customer_id__customer_id__ref_customers_',
    },
  ],
  [
    'ints and a boolean (quote: false)',
    {
      name: 'accepted_values_orders_priority__False__1__2',
      uniqueId: 'test.shop.accepted_values_orders_priority__False__1__2.8c7a5e7283',
      path: 'accepted_values_orders_priority__False__1__2.sql',
      alias: 'accepted_values_orders_priority__False__1__2',
    },
  ],
  [
    'floats as PyYAML reads them: 1.0 stays 1.0, 1e3 is text',
    {
      name: 'accepted_values_orders_discount__False__1_0__2_5__1e3',
      uniqueId: 'test.shop.accepted_values_orders_discount__False__1_0__2_5__1e3.5a7365c63f',
      path: 'accepted_values_orders_discount__False__1_0__2_5__1e3.sql',
      alias: 'accepted_values_orders_discount__False__1_0__2_5__1e3',
    },
  ],
  [
    'YAML 1.1 booleans: yes/no are True/False',
    {
      name: 'accepted_values_orders_is_gift__False__True__False',
      uniqueId: 'test.shop.accepted_values_orders_is_gift__False__True__False.bb08b28eb0',
      path: 'accepted_values_orders_is_gift__False__True__False.sql',
      alias: 'accepted_values_orders_is_gift__False__True__False',
    },
  ],
  [
    'strings with quotes, spaces, dots and dashes; config: left out',
    {
      name: 'accepted_values_orders_note__it_s__say_hi___a_b__x_y_z',
      uniqueId: 'test.shop.accepted_values_orders_note__it_s__say_hi___a_b__x_y_z.aa0ac21767',
      path: 'accepted_values_orders_note__it_s__say_hi___a_b__x_y_z.sql',
      alias: 'accepted_values_orders_note__it_s__say_hi___a_b__x_y_z',
    },
  ],
  [
    'package test with numbers, a float, a bool and an inline where config',
    {
      name: 'dbt_utils_accepted_range_orders_amount__True__100_0__0',
      uniqueId: 'test.shop.dbt_utils_accepted_range_orders_amount__True__100_0__0.f92d131334',
      path: 'dbt_utils_accepted_range_orders_amount__True__100_0__0.sql',
      alias: 'dbt_utils_accepted_range_orders_amount__True__100_0__0',
    },
  ],
  [
    'arguments: property with a dict and a null; description left out',
    {
      name: 'mapping_check_orders_amount__None__1__two',
      uniqueId: 'test.shop.mapping_check_orders_amount__None__1__two.4acc80bd83',
      path: 'mapping_check_orders_amount__None__1__two.sql',
      alias: 'mapping_check_orders_amount__None__1__two',
    },
  ],
  [
    'test_name: form with an inline severity',
    {
      name: 'accepted_values_orders_channel__web__store',
      uniqueId: 'test.shop.accepted_values_orders_channel__web__store.350854b1ff',
      path: 'accepted_values_orders_channel__web__store.sql',
      alias: 'accepted_values_orders_channel__web__store',
    },
  ],
  [
    'accepted_values, the issue example',
    {
      name: 'accepted_values_stg_orders_status__placed__shipped__completed',
      uniqueId: 'test.shop.accepted_values_stg_orders_status__placed__shipped__completed.b263cf4045',
      path: 'accepted_values_stg_orders_status__placed__shipped__completed.sql',
      alias: 'accepted_values_stg_orders_status__placed__shipped__completed',
    },
  ],
  [
    'relationships with 64+ characters: the issue example',
    {
      name: 'relationships_stg_events_account_id__account_id__ref_stg_accounts_',
      uniqueId: 'test.shop.relationships_stg_events_account_id__account_id__ref_stg_accounts_.dbef98b1de',
      path: 'relationships_stg_events_cc1f8d20488795611c40df977e06ce63.sql',
      alias: 'relationships_stg_events_cc1f8d20488795611c40df977e06ce63',
    },
  ],
  [
    'accepted_values with a long list',
    {
      name: 'accepted_values_stg_events_event_type__page_view__click__purchase__signup__logout__search__share',
      uniqueId:
        'test.shop.accepted_values_stg_events_event_type__page_view__click__purchase__signup__logout__search__share.0923758534',
      path: 'accepted_values_stg_events_bd0c657ea36dc4952d076a1d4dfff091.sql',
      alias: 'accepted_values_stg_events_bd0c657ea36dc4952d076a1d4dfff091',
    },
  ],
  [
    'seed column',
    {
      name: 'not_null_country_codes_code',
      uniqueId: 'test.shop.not_null_country_codes_code.43055761e8',
      path: 'not_null_country_codes_code.sql',
      alias: 'not_null_country_codes_code',
    },
  ],
  [
    'custom name on a seed column test',
    {
      name: 'country_code_unique',
      uniqueId: 'test.shop.country_code_unique.435b61a2c2',
      path: 'country_code_unique.sql',
      alias: 'country_code_unique',
    },
  ],
  [
    'package test on a source table: namespace before source_',
    {
      name: 'dbt_utils_source_at_least_one_raw_payments_amount',
      uniqueId: 'test.shop.dbt_utils_source_at_least_one_raw_payments_amount.d8145a910e',
      path: 'dbt_utils_source_at_least_one_raw_payments_amount.sql',
      alias: 'dbt_utils_source_at_least_one_raw_payments_amount',
    },
  ],
  [
    'source column test: source_ prefix and source_table name',
    {
      name: 'source_not_null_raw_payments_id',
      uniqueId: 'test.shop.source_not_null_raw_payments_id.d63967c7f7',
      path: 'source_not_null_raw_payments_id.sql',
      alias: 'source_not_null_raw_payments_id',
    },
  ],
  [
    'relationships to a source(), long',
    {
      name: 'source_relationships_raw_payments_customer_id__id__source_raw_customers_',
      uniqueId: 'test.shop.source_relationships_raw_payments_customer_id__id__source_raw_customers_.43a3e2117e',
      path: 'source_relationships_raw_payme_df0d4cfc9f64c572e96156d832acf4be.sql',
      alias: 'source_relationships_raw_payme_df0d4cfc9f64c572e96156d832acf4be',
    },
  ],
];

const files = {
  'dbt_project.yml': 'name: shop\nprofile: shop\nconfig-version: 2\n',
  'models/orders.sql': 'select 1 as id',
  'models/customers.sql': 'select 1 as customer_id',
  'models/stg_orders.sql': "select 'placed' as status",
  'models/stg_events.sql': 'select 1 as account_id',
  'models/stg_accounts.sql': 'select 1 as account_id',
  'models/shop.yml': properties,
  'seeds/country_codes.csv': 'code\nNL\n',
  // The project's own generic tests (a test with no macro is an error at parse time).
  'tests/generic/custom.sql':
    '{% test row_check(model) %}select 1 where false{% endtest %}\n{% test rows_match(model, rows) %}select 1 where false{% endtest %}\n{% test mapping_check(model, column_name, mapping, fallback=none) %}select 1 where false{% endtest %}\n',
};

test('generic test names, ids, compiled file names and aliases match dbt', async (t) => {
  const dir = writeProject(files);
  try {
    const project = await parse({ projectDir: dir });
    const tests = [...project.parsed.manifest.nodes.values()].filter((n): n is TestNode => n.resourceType === 'test');
    assert.deepEqual(
      tests.map((n) => n.uniqueId).sort(),
      cases.map(([, e]) => e.uniqueId).sort(),
      'the same tests, with the same unique ids',
    );
    const manifest = project.manifest as {
      nodes: Record<string, { name: string; path: string; alias: string; fqn: string[] }>;
    };
    for (const [what, expected] of cases) {
      await t.test(what, () => {
        const node = project.parsed.manifest.nodes.get(expected.uniqueId)!;
        assert.equal(node.name, expected.name);
        assert.equal(node.path, expected.path);
        assert.equal(node.alias, expected.alias);
        assert.equal(node.fqn.at(-1), expected.name);
        const written = manifest.nodes[expected.uniqueId]!;
        assert.deepEqual([written.name, written.path, written.alias], [expected.name, expected.path, expected.alias]);
      });
    }
  } finally {
    removeDir(dir);
  }
});

test('a generic test is selected by its full name, not by its hashed file name', async () => {
  const dir = writeProject(files);
  try {
    const full = 'relationships_stg_events_account_id__account_id__ref_stg_accounts_';
    const byFull = await ls({ projectDir: dir, select: [full] });
    assert.deepEqual(byFull.ids, [cases.find(([, e]) => e.name === full)![1].uniqueId]);
    const byShort = await ls({
      projectDir: dir,
      select: ['relationships_stg_events_cc1f8d20488795611c40df977e06ce63'],
    });
    assert.deepEqual(byShort.ids, []);
  } finally {
    removeDir(dir);
  }
});

test('the name is hashed from 64 characters on, not before', () => {
  const target = { uniqueId: 'model.p.m', name: 'm' };
  const at63 = genericTestNames({ testName: 'not_null' }, target, { column_name: 'c'.repeat(52) });
  assert.equal(at63.full.length, 63);
  assert.equal(at63.short, at63.full);
  const at64 = genericTestNames({ testName: 'not_null' }, target, { column_name: 'c'.repeat(53) });
  assert.equal(at64.full, `not_null_m_${'c'.repeat(53)}`);
  assert.equal(at64.short, 'not_null_m_24a64a68b5e1ebb4b6e85e05afa26581');
});
