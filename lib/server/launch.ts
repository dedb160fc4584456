/**
 * The packaged launcher's planner (`/usr/sbin/fwknopd-ts`, see
 * scripts/build_deb.ts): reads the command line and the configuration it
 * names, and prints how to run the daemon with the Deno permissions that
 * configuration needs and no more. It runs no firewall and starts nothing;
 * the shell launcher then runs the daemon in the foreground, or detaches it
 * itself (so the daemon never holds run access to `deno`, which amounts to
 * every permission).
 *
 * Output, one line of shell words (single-quoted): `fg|bg PIDFILE FLAG...
 * SERVER [--daemon-child -f --syslog-enable]`; the launcher appends the
 * user's arguments. A configuration error exits with EX_CONFIG (78), which
 * the systemd unit does not restart on.
 *
 * @module
 */
import { getopt } from "../cli/getopt.ts";
import { RuntimeError, UsageError } from "../cli/errors.ts";
import { ConfigError } from "../config/lexer.ts";
import { args as processArgs, setExitCode, writeErr, writeOut } from "../sys/runtime.ts";
import { type ServerFlags, serverFlags } from "./flags.ts";
import { load } from "./load.ts";
import { SERVER_OPTIONS } from "./options.ts";
import { type Need, needsContext, permissionFlags, permissionNeeds } from "./permissions.ts";

/** sysexits.h's EX_CONFIG: the configuration is wrong; systemd must not retry. */
export const EX_CONFIG = 78;

/** What the launcher does. */
export interface LaunchPlan {
  /** `fg`: run in this process; `bg`: detach, then wait for the pid file. */
  mode: "fg" | "bg";
  pidFile: string;
  /** The Deno permission flags. */
  flags: string[];
  /** Arguments the launcher puts after the server script (before the user's). */
  extra: string[];
}

/** Whether the command line starts the daemon (rather than a one-shot command). */
function startsDaemon(f: ServerFlags): boolean {
  return !(f.help || f.version || f.keyGen || f.keyGenFile !== undefined || f.kill ||
    f.restart || f.status || f.dumpConfig || f.exitParseConfig || f.fwList || f.fwListAll ||
    f.fwFlush || f.qr !== undefined);
}

/**
 * Works the plan out.
 *
 * @param args The user's arguments to fwknopd-ts.
 * @returns The plan.
 * @throws {ConfigError} for a configuration mistake; {UsageError} for a wrong option.
 */
export function launchPlan(args: string[]): LaunchPlan {
  const f = serverFlags(getopt(args, SERVER_OPTIONS, "fwknopd-ts").options);
  if (f.help || f.version || f.keyGen || f.keyGenFile !== undefined) {
    // Nothing to load: the key generator may write the file it is given.
    const write = f.keyGenFile === undefined ? [] : [`--allow-write=${f.keyGenFile}`];
    return { mode: "fg", pidFile: "", flags: ["--allow-read", ...write], extra: [] };
  }
  const loaded = load(f);
  const c = loaded.config;
  const background = startsDaemon(f) && !f.foreground;
  const needs: Need[] = permissionNeeds(c, needsContext(f, loaded));
  if (f.kill || f.restart) needs.push({ kind: "run", scope: "kill", why: "signals" });
  return {
    mode: background ? "bg" : "fg",
    pidFile: c.get("FWKNOP_PID_FILE")!,
    flags: permissionFlags(needs),
    extra: background ? ["--daemon-child", "-f", "--syslog-enable"] : [],
  };
}

/** One shell word: single-quoted, a quote inside as `'\''`. */
export function shellWord(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * The plan as the shell launcher reads it.
 *
 * @param server The daemon's entry file.
 */
export function planLine(p: LaunchPlan, server: string): string {
  return [p.mode, p.pidFile, ...p.flags, server, ...p.extra].map(shellWord).join(" ");
}

/** Prints the plan, or the error and the exit code the launcher passes on. */
function main(): number {
  const server = new URL("../../server.ts", import.meta.url).pathname;
  try {
    writeOut(planLine(launchPlan(processArgs()), server) + "\n");
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      writeErr(`Configuration error: ${e.message}\n`);
      return EX_CONFIG;
    }
    if (e instanceof UsageError) {
      writeErr(`${e.message}\n`);
      return 2;
    }
    if (e instanceof RuntimeError) {
      writeErr(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) setExitCode(main());
