/**
 * knockd's `one_time_sequences` in the daemon: a sequence that opened is
 * burned in its file before anything opens (fail closed), and the stanza
 * moves to the file's next unused sequence, or is disabled when none is left.
 *
 * @module
 */
import { steps } from "../../knock/knockd_conf.ts";
import { burn, readOneTime } from "../../knock/one_time.ts";
import type { KnockStanza } from "../../knock/watcher.ts";
import type { Logger } from "./log.ts";

/**
 * Burns a stanza's current one-time sequence and loads the next one.
 *
 * @param s The knock stanza (changed in place: its sequence and one-time line).
 * @param tag The log tag (`[SRC] (stanza #N)`).
 * @param log Where the lines go.
 * @returns `false` when the sequence could not be marked used: nothing may open.
 */
export function burnOneTime(s: KnockStanza, tag: string, log: Logger): boolean {
  const used = s.oneTime;
  if (used === undefined) {
    log.log("error", `${tag} The one-time sequence changed meanwhile; the sequence opens nothing`);
    return false;
  }
  let line = used.line;
  try {
    const r = burn(used);
    if (r.burned === "gone") {
      log.log(
        "warning",
        `${tag} One-time sequence of ${used.file} is no longer unused in the file; counted as used`,
      );
    } else line = r.line;
  } catch (e) {
    log.log("error", `${tag} ${(e as Error).message}; the sequence opens nothing`);
    return false;
  }
  advance(s, used.file, line, tag, log);
  return true;
}

/** Moves a stanza to the file's next unused sequence; a bad or missing one disables it. */
function advance(s: KnockStanza, file: string, usedLine: number, tag: string, log: Logger): void {
  try {
    const next = readOneTime(file);
    if (next !== undefined) {
      s.sequence = steps(next.text, file, next.line);
      s.oneTime = next;
      log.log(
        "info",
        `${tag} One-time sequence of ${file} line ${usedLine} used; next is line ${next.line}`,
      );
      return;
    }
    log.log("warning", `${tag} No more sequences left in the one time sequences file ${file}`);
  } catch (e) {
    log.log("error", `${tag} Cannot read the next sequence of ${file}: ${(e as Error).message}`);
  }
  s.sequence = [];
  delete s.oneTime;
}
