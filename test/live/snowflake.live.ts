/** Live smoke test on a real Snowflake account: KILN_LIVE_SNOWFLAKE=<profiles.yml or its folder> node --test dist/test/live/snowflake.live.js */
import { liveSmokeTest } from './smoke.js';

liveSmokeTest('snowflake', 'KILN_LIVE_SNOWFLAKE');
