/** Live smoke test on a real BigQuery project: KILN_LIVE_BIGQUERY=<profiles.yml or its folder> node --test dist/test/live/bigquery.live.js */
import { liveSmokeTest } from './smoke.js';

liveSmokeTest('bigquery', 'KILN_LIVE_BIGQUERY');
