/**
 * The fleet status file: the running daemon writes its Redis connection
 * state and stream lag to `FWKNOP_RUN_DIR/fleet.status` every few seconds;
 * `fwknopd-ts -S` reads it (a second process cannot see the daemon's
 * connection otherwise).
 *
 * @module
 */
import { readText } from "../sys/files.ts";
import type { FleetStatus } from "./propagate.ts";
import { replaceOwnFile } from "../sys/nofollow.ts";

/** The status file in a run directory. */
export function statusPath(runDir: string): string {
  return `${runDir}/fleet.status`;
}

/**
 * Writes the status atomically (a reader never sees half a file), through
 * `<path>.tmp`, 0600; a link planted at either name is replaced, never
 * written through.
 *
 * @param path The status file.
 * @param s The status.
 * @throws {Error} naming the file when it cannot be written.
 */
export function writeStatus(path: string, s: FleetStatus): void {
  replaceOwnFile(path, JSON.stringify(s) + "\n");
}

/**
 * The status as `-S` prints it.
 *
 * @param path The status file.
 * @param nowMs The clock.
 * @returns Lines, or `undefined` when there is no status file (no fleet mode).
 */
export function statusLines(path: string, nowMs = Date.now()): string[] | undefined {
  let s: FleetStatus;
  try {
    s = JSON.parse(readText(path)) as FleetStatus;
  } catch {
    return undefined;
  }
  const ago = (ms: number) => `${Math.max(0, Math.round((nowMs - ms) / 1000))} s`;
  const lines = [
    s.up
      ? `Fleet: gateway ${s.gateway}, Redis at ${s.redis} connected (for ${ago(s.since)})`
      : `Fleet: gateway ${s.gateway}, Redis at ${s.redis} DOWN for ${ago(s.since)}: ${
        s.error ?? "unknown"
      }`,
  ];
  for (const [stream, lag] of Object.entries(s.lagMs)) {
    lines.push(`  stream ${stream}: ${lag} ms behind`);
  }
  lines.push(
    `  grants applied from the fleet: ${s.applied}, published: ${s.published}, waiting to publish: ${s.pendingPublish}`,
  );
  return lines;
}
