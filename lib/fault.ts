/**
 * The fault seam, for tests (as fwknop uses libfiu): `FWKNOP_TS_FAULTS`
 * names the faults to inject, each optionally with how many times
 * (`replay-write:1,firewall`). The daemon reads it only when Deno lets it
 * read that variable: the documented permissions do not, so a production
 * run never injects anything.
 *
 * Faults: `replay-write` (the digest file refuses a record), `firewall`
 * (every firewall command fails), `capture` (the capture fails as if its
 * interface went away).
 *
 * @module
 */
import { env } from "./sys/runtime.ts";

/** The fault names. */
export type FaultName = "replay-write" | "firewall" | "capture";

let armed: Map<string, number> | undefined;

function parse(): Map<string, number> {
  const m = new Map<string, number>();
  for (const part of (env("FWKNOP_TS_FAULTS") ?? "").split(",")) {
    const [name, times] = part.trim().split(":");
    if (name) m.set(name, times === undefined ? Infinity : Number(times));
  }
  return m;
}

/**
 * Whether a fault fires now (and counts it down).
 *
 * @param name The fault.
 */
export function fault(name: FaultName): boolean {
  armed ??= parse();
  const left = armed.get(name) ?? 0;
  if (left <= 0) return false;
  armed.set(name, left - 1);
  return true;
}
