/**
 * A rollback trap: the stock fwknopd refuses an access.conf that holds a
 * knock stanza (it knows no ENCRYPT_SEQUENCE or SHARED_SEQUENCE), so a
 * server that goes back to it would not start. Knock stanzas belong in the
 * file `KNOCK_ACCESS_FILE` names, which only fwknopd-ts reads; `-D` says so.
 *
 * @module
 */
import type { AccessStanza } from "../config/access_conf.ts";

/**
 * One warning per knock stanza found outside `KNOCK_ACCESS_FILE`, naming
 * its file and line.
 *
 * @param stanzas Every stanza loaded (SPA and knock, from every access file).
 * @param knockFile `KNOCK_ACCESS_FILE`, when set.
 * @returns The warnings (none when every knock stanza is in that file).
 */
export function knockTrapWarnings(
  stanzas: readonly AccessStanza[],
  knockFile: string | undefined,
): string[] {
  return stanzas.filter((s) => s.knock !== undefined && s.origin.file !== knockFile).map((s) =>
    `${s.origin.file}:${s.origin.line}: stanza #${s.index} is a knock stanza: the stock fwknopd ` +
    "refuses an access file that holds one (a rollback would not start); move it to the file " +
    "KNOCK_ACCESS_FILE names in fwknopd.conf"
  );
}
