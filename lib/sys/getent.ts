/**
 * `getent`, for user and group names from sources other than the local
 * files (LDAP, sssd). Synchronous: used while a configuration loads. Under
 * Deno through `Deno.Command` (Deno's `node:child_process` would load its
 * whole Node layer, several MiB resident in the daemon), wrapped in
 * coreutils' `timeout` when it is there; under Node with `execFileSync`.
 * Either way a lookup that hangs (an LDAP server gone) ends after 5 s.
 *
 * @module
 */
import { isDeno } from "./runtime.ts";

// deno-lint-ignore no-explicit-any
const nodeCp: any = isDeno ? undefined : await import("node:child_process");
// deno-lint-ignore no-explicit-any
const DenoNs: any = (globalThis as any).Deno;

const TIMEOUT_S = 5;
/** getent's exit status for "not found". */
const NOT_FOUND = 2;
/** coreutils `timeout`'s exit status when the time ran out. */
const TIMED_OUT = 124;

/** One run: its exit code and first output line. */
interface Answer {
  code: number;
  line: string;
}

function viaDeno(argv: string[]): Answer {
  const run = (a: string[]) => {
    const out = new DenoNs.Command(a[0], {
      args: a.slice(1),
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return { code: out.code as number, line: new TextDecoder().decode(out.stdout).split("\n")[0]! };
  };
  try {
    return run(["timeout", String(TIMEOUT_S), ...argv]);
  } catch (e) {
    // No coreutils timeout here, or not in --allow-run: getent alone, so an
    // error names getent, the program asked for.
    const missing = e instanceof DenoNs.errors.NotFound || (e as Error).name === "NotCapable";
    if (!missing) throw e;
    return run(argv);
  }
}

function viaNode(argv: string[]): Answer {
  try {
    const out = nodeCp.execFileSync(argv[0], argv.slice(1), {
      stdio: ["ignore", "pipe", "ignore"],
      timeout: TIMEOUT_S * 1000,
      encoding: "utf8",
    });
    return { code: 0, line: String(out).split("\n")[0]! };
  } catch (e) {
    const status = (e as { status?: unknown }).status;
    if (typeof status === "number") return { code: status, line: "" };
    if ((e as { code?: unknown }).code === "ETIMEDOUT") return { code: TIMED_OUT, line: "" };
    throw e;
  }
}

/** Runs getent; throws when it could not run at all. */
function ask(db: "passwd" | "group", name: string): Answer {
  const argv = ["getent", db, "--", name];
  return isDeno ? viaDeno(argv) : viaNode(argv);
}

/**
 * Asks `getent <db> <name>` for the entry itself.
 *
 * @param db `passwd` or `group`.
 * @param name The name.
 * @returns The entry's first line (`name:x:uid:gid:...`), false when getent
 * says not found (exit 2), `unknown` when it could not run (not installed,
 * not permitted, timed out).
 */
export function getentEntry(
  db: "passwd" | "group",
  name: string,
): string | false | { unknown: string } {
  let a: Answer;
  try {
    a = ask(db, name);
  } catch (e) {
    return { unknown: `cannot run getent: ${(e as Error).message}` };
  }
  if (a.code === 0) return a.line;
  if (a.code === NOT_FOUND) return false;
  if (a.code === TIMED_OUT) {
    return { unknown: `getent did not answer within ${TIMEOUT_S} s` };
  }
  return { unknown: `cannot run getent: it exited with status ${a.code}` };
}

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
  const e = getentEntry(db, name);
  return typeof e === "string" ? true : e;
}
