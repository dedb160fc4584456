/**
 * Whether a user or group name exists, as fwknopd checks CMD_EXEC_USER,
 * CMD_EXEC_GROUP and CMD_SUDO_EXEC_USER at load (getpwnam/getgrnam):
 * `/etc/passwd` and `/etc/group` first, then `getent` for names from other
 * sources (LDAP, sssd). Works under Deno and Node.
 *
 * @module
 */
import { readText } from "../sys/files.ts";
import { getent, getentEntry } from "../sys/getent.ts";

/** What the lookup found: yes, no, or that it could not look. */
export type Lookup = "found" | "missing" | { unknown: string };

function inFile(path: string, name: string): boolean | { unknown: string } {
  try {
    return readText(path).split("\n").some((l) => l.split(":")[0] === name);
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

/** What a CMD_EXEC_GROUP name stands for. */
export type GroupLookup =
  /** A group of that name: the name is used as it is. */
  | { group: string }
  /** No such group, but a user of that name: that user's primary group id. */
  | { userGid: number }
  | "missing"
  | { unknown: string };

/** The primary gid of a user from `/etc/passwd` text, if the user is listed there. */
function passwdGid(text: string, name: string): number | undefined {
  for (const l of text.split("\n")) {
    const f = l.split(":");
    if (f[0] === name && f.length >= 4 && /^\d{1,10}$/.test(f[3]!)) return Number(f[3]);
  }
  return undefined;
}

/**
 * A user's primary gid: `/etc/passwd`, then `getent passwd`. fwknopd 2.6.10
 * runs a CMD_EXEC_USER command with this gid when CMD_EXEC_GROUP is unset.
 *
 * @param name The user name.
 * @returns The gid, `missing`, or why it could not look.
 */
export function userGid(name: string): number | "missing" | { unknown: string } {
  let local: number | undefined;
  let failed: { unknown: string } | undefined;
  try {
    local = passwdGid(readText("/etc/passwd"), name);
  } catch (e) {
    failed = { unknown: `cannot read /etc/passwd: ${(e as Error).message}` };
  }
  if (local !== undefined) return local;
  const g = getentEntry("passwd", name);
  if (typeof g === "string") return passwdGid(g, name) ?? "missing";
  if (g === false) return failed ?? "missing";
  return g;
}

/**
 * Looks up a CMD_EXEC_GROUP or CMD_SUDO_EXEC_GROUP name: a group of that
 * name first (what the variable says), else a user of that name, standing
 * for the user's primary group. fwknopd 2.6.10 reads these variables with
 * getpwnam() and takes the user's gid, so `CMD_EXEC_GROUP nobody` works on
 * Debian, where no group `nobody` exists (the group is `nogroup`).
 *
 * @param name The name (a number is taken as a gid and not looked up).
 * @returns The group, the user's gid, or why neither was found.
 */
export function lookupGroup(name: string): GroupLookup {
  const g = lookupName("group", name);
  if (g === "found") return { group: name };
  const u = userGid(name);
  if (typeof u === "number") return { userGid: u };
  if (u === "missing") return g;
  return typeof g === "object" ? g : u;
}
