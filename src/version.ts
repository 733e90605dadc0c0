import { readFileSync } from 'node:fs';

/** kiln's version, from package.json, for artifacts and `kiln --version`. */
export const kilnVersion: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
