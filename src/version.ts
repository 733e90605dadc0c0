import { packageManifest } from './package-root.js';

/** kiln's version, from package.json, for artifacts and `kiln --version`. */
export const kilnVersion: string = packageManifest.version!;
