/**
 * Whether stderr is connected to the systemd journal: systemd sets
 * `JOURNAL_STREAM=<device>:<inode>` for a service whose output goes there,
 * and the variable is only trusted when those numbers are stderr's own (a
 * child that inherited the variable but writes elsewhere must not add
 * priority prefixes to a terminal or a file).
 *
 * @module
 */
import { stderrIdentity } from "../sys/files.ts";
import { env, lacksPermission } from "../sys/runtime.ts";

/**
 * @param stream The value of `JOURNAL_STREAM`, if any.
 * @param stat stderr's device and inode.
 * @returns `true` when the value names exactly that file.
 */
export function matchesJournalStream(
  stream: string | undefined,
  stat: { dev: number; ino: number },
): boolean {
  const m = /^(\d+):(\d+)$/.exec(stream ?? "");
  return m !== null && Number(m[1]) === stat.dev && Number(m[2]) === stat.ino;
}

/** Whether this process's stderr goes to the systemd journal. */
export function stderrIsJournal(): boolean {
  if (lacksPermission({ name: "env", variable: "JOURNAL_STREAM" })) return false;
  const stream = env("JOURNAL_STREAM");
  if (stream === undefined) return false;
  try {
    const id = stderrIdentity();
    return id !== undefined && matchesJournalStream(stream, id);
  } catch {
    return false;
  }
}
