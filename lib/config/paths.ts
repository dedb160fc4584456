/**
 * The daemon's default folders, as fwknopd's `./configure` fixes them at
 * build time. The checkout uses fwknopd's own (`/etc/fwknop`, `/run/fwknop`),
 * so fwknopd-ts reads an existing installation unchanged; the Debian package
 * (scripts/build_deb.ts) replaces this file with its own folders
 * (`/etc/fwknop-ts`, `/run/fwknop-ts`), so it coexists with fwknop-server.
 *
 * @module
 */

/** Where fwknopd.conf and access.conf are found by default. */
export const DEFAULT_CONF_DIR = "/etc/fwknop";

/** Where the pid file and the digest cache live by default (FWKNOP_RUN_DIR). */
export const DEFAULT_RUN_DIR = "/run/fwknop";
