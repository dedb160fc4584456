/**
 * Kernel LOG lines from the systemd journal: `journalctl` followed from now
 * (`-f -n 0`) in JSON, filtered to the kernel's transport, started as argv
 * (lib/sys/line_process.ts). Each record is checked again here
 * (journal_record.ts): `_TRANSPORT=kernel` and facility 0.
 *
 * @module
 */
import { spawnLines } from "../lib/sys/line_process.ts";
import { kernelJournalMessage, MAX_JOURNAL_LINE } from "./journal_record.ts";
import type { LogSource } from "./log_source.ts";
import { parseLogLine } from "./log_line.ts";

/** Where journalctl is, on Debian and most others. */
export const JOURNALCTL = "/usr/bin/journalctl";

/**
 * The journalctl argv: follow from now, JSON, kernel records only.
 *
 * @param exe The journalctl program.
 * @param dir A journal directory (`--directory`) instead of the system journal.
 * @returns The argv.
 */
export function journalArgv(exe: string, dir?: string): string[] {
  return [
    exe,
    "--follow",
    "--lines=0",
    "--output=json",
    "--no-pager",
    ...(dir === undefined ? [] : [`--directory=${dir}`]),
    "_TRANSPORT=kernel",
  ];
}

/**
 * Knocks from the journal.
 *
 * @param exe The journalctl program.
 * @param dir A journal directory, or `undefined` for the system journal.
 * @returns The source; its iterator throws when journalctl exits on its own.
 */
export function journalSource(exe = JOURNALCTL, dir?: string): LogSource {
  let closed = false;
  let refused = 0;
  let proc: ReturnType<typeof spawnLines> | undefined;
  return {
    get refused() {
      return refused;
    },
    async *packets() {
      proc = spawnLines(journalArgv(exe, dir), MAX_JOURNAL_LINE);
      if (closed) proc.close();
      for await (const line of proc.lines()) {
        const msg = kernelJournalMessage(line);
        if (msg === undefined) continue;
        const pkt = parseLogLine(msg);
        if (pkt !== undefined) yield pkt;
        else if (msg.includes("IN=")) refused++;
      }
      const code = await proc.exited;
      if (!closed) {
        const why = proc.stderr.trim().split("\n").pop() ?? "";
        // Quoted: journalctl's words are not ours to print raw.
        throw new Error(
          `journalctl exited with code ${code}${why === "" ? "" : `: ${JSON.stringify(why)}`}`,
        );
      }
    },
    close() {
      closed = true;
      proc?.close();
    },
  };
}
