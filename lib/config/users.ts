/**
 * Whether a user or group name exists, as fwknopd checks CMD_EXEC_USER,
 * CMD_EXEC_GROUP and CMD_SUDO_EXEC_USER at load (getpwnam/getgrnam):
 * `/etc/passwd` and `/etc/group` first, then `getent` for names from other
 * sources (LDAP, sssd). Works under Deno and Node.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { getent } from "../sys/getent.ts";

/** What the lookup found: yes, no, or that it could not look. */
export type Lookup = "found" | "missing" | { unknown: string };

function inFile(path: string, name: string): boolean | { unknown: string } {
  try {
    return readFileSync(path, "utf8").split("\n").some((l) => l.split(":")[0] === name);
  } catch (e) {
    return { unknown: `cannot read ${path}: ${(e as Error).message}` };
  }
}

/**
 * Looks a user (`passwd`) or group name up.
 *
 * @param db `passwd` or `group`.
 * @param name The name (a number is taken as an id and not looked up).
 * @returns What was found.
 */
export function lookupName(db: "passwd" | "group", name: string): Lookup {
  if (/^\d+$/.test(name)) return "found";
  const f = inFile(`/etc/${db}`, name);
  if (f === true) return "found";
  const g = getent(db, name);
  if (g === true) return "found";
  if (f === false && g === false) return "missing";
  return typeof f === "object" ? f : g as { unknown: string };
}
