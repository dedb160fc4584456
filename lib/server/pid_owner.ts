/**
 * Who holds the pid file: fwknopd-ts, the stock fwknopd (both may use
 * /run/fwknop/fwknopd.pid), or another program. `-S`, `-K` and `-R` ask
 * before they report or signal, so a stock fwknopd is never reported, or
 * stopped, as fwknopd-ts.
 *
 * @module
 */
import { readLatin1 } from "../sys/files.ts";

/** What a pid's command line says it is. */
export type OwnerKind = "ours" | "stock" | "other" | "unknown";

/** The owner of a pid, with its command line for messages. */
export interface PidOwner {
  /** fwknopd-ts, the stock fwknopd, another program, or not known. */
  kind: OwnerKind;
  /** The command line, NUL separators as spaces (absent when unreadable). */
  cmdline?: string;
  /** Why the command line could not be read (kind `unknown`). */
  reason?: string;
}

/** Program and script names that are fwknopd-ts: the Deno entry, the npm bin, an installed name. */
const OURS = /^(?:server\.ts|fwknopd-ts(?:\.js)?)$/;
/** The stock daemon's program name. */
const STOCK = "fwknopd";
/** The longest command line kept for a message. */
const MAX_CMDLINE = 200;

function base(arg: string): string {
  return arg.slice(arg.lastIndexOf("/") + 1);
}

/**
 * Classifies a command line as read from `/proc/<pid>/cmdline`.
 *
 * @param raw The NUL-separated arguments.
 * @returns `stock` when the program is `fwknopd`, `ours` when the program
 *   or a script argument is fwknopd-ts, else `other`.
 * @example
 * ```ts
 * import { classifyCmdline } from "./pid_owner.ts";
 * classifyCmdline("/usr/sbin/fwknopd\0-f\0"); // "stock"
 * classifyCmdline("deno\0run\0-A\0/opt/fwknop-ts/server.ts\0-f\0"); // "ours"
 * ```
 */
export function classifyCmdline(raw: string): Exclude<OwnerKind, "unknown"> {
  const argv = raw.split("\0").filter((a) => a !== "");
  if (argv.length === 0) return "other";
  if (base(argv[0]!) === STOCK) return "stock";
  // deno run [flags] .../server.ts, node .../bin/fwknopd-ts.js, or an installed fwknopd-ts.
  return argv.some((a) => OURS.test(base(a))) ? "ours" : "other";
}

/** Reads /proc/<pid>/cmdline through the file seam (where the FFI seam is not allowed). */
export function readCmdline(pid: number): string {
  return readLatin1(`/proc/${pid}/cmdline`);
}

/**
 * Reads and classifies a pid's command line.
 *
 * @param pid A live process's pid.
 * @param read Reads the raw command line (FFI or node:fs; tests pass their own).
 * @returns Its kind and command line, or `unknown` with the reason when
 *   /proc cannot be read (hidepid, another OS).
 */
export function pidOwner(pid: number, read: (pid: number) => string = readCmdline): PidOwner {
  let raw: string;
  try {
    raw = read(pid);
  } catch (e) {
    return { kind: "unknown", reason: (e as Error).message };
  }
  const text = raw.split("\0").filter((a) => a !== "").join(" ");
  const cmdline = text.length > MAX_CMDLINE ? `${text.slice(0, MAX_CMDLINE)}...` : text;
  return { kind: classifyCmdline(raw), cmdline };
}
