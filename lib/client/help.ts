/**
 * `fwknop-ts --help`.
 *
 * @module
 */
import { optionRows } from "../cli/help_rows.ts";
import { CLIENT_OPTIONS } from "./options.ts";
import { CLIENT_VERSION } from "./settings.ts";
import { VERSION } from "../version.ts";

/** The program's own version (from `lib/version.ts`). */
export const FWKNOP_TS_VERSION: string = VERSION;

/** The `-V` line. */
export function versionLine(): string {
  return `fwknop-ts client ${FWKNOP_TS_VERSION} (compatible with fwknop ${CLIENT_VERSION}), FKO protocol version 3.0.0\n`;
}

/** The `--help` text. */
export function helpText(): string {
  const rows = optionRows(CLIENT_OPTIONS);
  return [
    `fwknop-ts client ${FWKNOP_TS_VERSION}: Single Packet Authorization, wire-compatible with fwknop ${CLIENT_VERSION}`,
    "",
    "Usage: fwknop-ts -A <port list> [-s|-R|-a <ip>] -D <spa_server> [options]",
    "",
    ...rows,
    "",
    "Long options may be shortened to any unique prefix. Settings can also come from",
    "~/.fwknoprc stanzas (see docs/client.md). Exit codes: 0 ok, 1 runtime error, 2 usage error.",
    "",
  ].join("\n");
}
