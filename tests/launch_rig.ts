/**
 * The daemon as the packaged launcher starts it, for tests: `deno run
 * --no-prompt` with the given permission flags (the launcher's plan, or a
 * hand-written set), the checkout's deno.json and lock, then `server.ts -f
 * -c CONF -a ACCESS`, in a namespace and under `timeout -s KILL` so a hung
 * daemon cannot outlive the test.
 *
 * @module
 */
import type { Background, Netns } from "./netns.ts";

const SERVER = new URL("../server.ts", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;

/** The daemon's configuration files. */
export interface DaemonFiles {
  /** fwknopd.conf. */
  conf: string;
  /** access.conf. */
  access: string;
}

/**
 * Starts the daemon in the foreground in `ns`.
 *
 * @param ns The namespace.
 * @param flags Deno's permission flags.
 * @param files Its configuration files.
 * @param secs When `timeout` kills it (SIGKILL) at the latest.
 * @returns The running daemon (`timeout`'s process; the daemon is its child).
 */
export function launchDaemon(
  ns: Netns,
  flags: readonly string[],
  files: DaemonFiles,
  secs: number,
): Background {
  return ns.spawn([
    "timeout",
    "-s",
    "KILL",
    String(secs),
    "deno",
    "run",
    "--no-prompt",
    `--config=${ROOT}deno.json`,
    `--lock=${ROOT}deno.dev.lock`,
    ...flags,
    SERVER,
    "-f",
    "-c",
    files.conf,
    "-a",
    files.access,
  ]);
}
