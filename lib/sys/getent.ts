/**
 * `getent`, for user and group names from sources other than the local
 * files (LDAP, sssd). Synchronous: used while a configuration loads.
 *
 * @module
 */
import { execFileSync } from "node:child_process";

/**
 * Asks `getent <db> <name>`.
 *
 * @returns true when found, false when getent says not found (exit 2),
 * `unknown` when it could not run (not installed, not permitted, timed out).
 */
export function getent(
  db: "passwd" | "group",
  name: string,
): boolean | { unknown: string } {
  try {
    execFileSync("getent", [db, "--", name], { stdio: "ignore", timeout: 5_000 });
    return true;
  } catch (e) {
    // getent exits 2 for "not found"; anything else means it did not answer.
    if ((e as { status?: unknown }).status === 2) return false;
    return { unknown: `cannot run getent: ${(e as Error).message}` };
  }
}

/**
 * Asks `getent <db> <name>` for the entry itself.
 *
 * @param db `passwd` or `group`.
 * @param name The name.
 * @returns The entry's first line (`name:x:uid:gid:...`), false when getent
 * says not found (exit 2), `unknown` when it could not run.
 */
export function getentEntry(
  db: "passwd" | "group",
  name: string,
): string | false | { unknown: string } {
  try {
    const out = execFileSync("getent", [db, "--", name], {
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 5_000,
      encoding: "utf8",
    });
    return out.split("\n")[0]!;
  } catch (e) {
    if ((e as { status?: unknown }).status === 2) return false;
    return { unknown: `cannot run getent: ${(e as Error).message}` };
  }
}
