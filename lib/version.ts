/**
 * The one version of fwknop-ts, read by the client, the daemon, the man
 * pages and the npm build. `deno.json` repeats it (JSON cannot import);
 * `tests/version_test.ts` checks the two are equal.
 *
 * @module
 */

/** The release of fwknop-ts (semver). */
export const VERSION = "0.1.0";
