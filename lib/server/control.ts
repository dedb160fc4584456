/**
 * `-K`, `-R`, `-S` (signals to the running daemon) and detaching into the
 * background.
 *
 * @module
 */
import { RuntimeError } from "../cli/errors.ts";
import { isDeno, isPermissionError } from "../sys/runtime.ts";
import { run as exec } from "../sys/exec.ts";
import { kill, spawnDetached } from "../sys/process.ts";
import { statusLines } from "../fleet/status.ts";
import type { ServerFlags } from "./flags.ts";
import { runningOwner, runningPid } from "./pidfile.ts";
import type { PidOwner } from "./pid_owner.ts";

/** Where the daemon's own output goes. */
export interface ServerIo {
  out(text: string): void;
  err(text: string): void;
}

/**
 * Sends a signal. Deno allows signals only with unrestricted `--allow-run`;
 * with `--allow-run=kill` the `kill` program sends it instead (argv, no shell).
 *
 * @throws {RuntimeError} when neither is allowed, naming both ways.
 */
async function signal(pid: number, sig: "SIGTERM" | "SIGHUP" | "SIGKILL"): Promise<void> {
  try {
    kill(pid, sig);
    return;
  } catch (e) {
    if (!isPermissionError(e)) throw e;
  }
  const r = await exec(["kill", "-s", sig.slice(3), String(pid)]);
  if (r.code !== 0) {
    throw new RuntimeError(
      `Cannot signal fwknopd-ts (pid ${pid}): Deno needs --allow-run, or --allow-run=kill to use the kill program${
        r.stderr.trim() === "" ? "" : ` (${r.stderr.trim()})`
      }`,
    );
  }
}

/** The line for a pid file held by a process that is not fwknopd-ts. */
function notOurs(pid: number, o: PidOwner, pidFile: string): string {
  const what = o.kind === "stock" ? "the stock fwknopd" : "a process that is not fwknopd-ts";
  return `No running fwknopd-ts detected: ${pidFile} is held by ${what} (pid=${pid}: ${o.cmdline})`;
}

/** `-S`: 0 when fwknopd-ts runs (or a holder /proc cannot name), 1 otherwise. */
function status(
  pid: number | undefined,
  owner: PidOwner | undefined,
  pidFile: string,
  io: ServerIo,
  fleetStatusFile: string | undefined,
): number {
  if (pid === undefined) {
    io.out("No running fwknopd-ts detected.\n");
    return 1;
  }
  if (owner!.kind === "stock" || owner!.kind === "other") {
    io.out(`${notOurs(pid, owner!, pidFile)}.\n`);
    return 1;
  }
  io.out(
    owner!.kind === "ours"
      ? `Detected fwknopd-ts is running (pid=${pid}).\n`
      : `Detected a daemon holding ${pidFile} (pid=${pid}); cannot tell whether it is fwknopd-ts: ${
        owner!.reason
      }\n`,
  );
  // Fleet mode: the daemon's Redis state and stream lag, from its status file.
  const fleet = fleetStatusFile === undefined ? undefined : statusLines(fleetStatusFile);
  if (fleet !== undefined) io.out(fleet.join("\n") + "\n");
  return 0;
}

/**
 * Carries out `-S`, `-K` or `-R`.
 *
 * @returns The exit code, or `undefined` when none of them was asked for.
 */
export async function control(
  f: ServerFlags,
  pidFile: string,
  io: ServerIo,
  fleetStatusFile?: string,
): Promise<number | undefined> {
  const pid = await runningPid(pidFile);
  const owner = pid === undefined ? undefined : await runningOwner(pid);
  if (f.status) return status(pid, owner, pidFile, io, fleetStatusFile);
  if (!f.kill && !f.restart) return undefined;
  if (pid === undefined) {
    io.err("No running fwknopd-ts detected.\n");
    return 1;
  }
  if (owner!.kind === "stock" || owner!.kind === "other") {
    io.err(`${notOurs(pid, owner!, pidFile)}; not signalling it.\n`);
    return 1;
  }
  if (f.restart) {
    await signal(pid, "SIGHUP");
    io.out(`Sent restart signal to fwknopd-ts (pid=${pid}).\n`);
    return 0;
  }
  await signal(pid, "SIGTERM");
  for (let i = 0; i < 40 && (await runningPid(pidFile)) === pid; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if ((await runningPid(pidFile)) === pid) await signal(pid, "SIGKILL");
  io.out(`Killed fwknopd-ts (pid=${pid})\n`);
  return 0;
}

/**
 * Starts the daemon again as a detached child and waits until it owns the
 * pid file.
 *
 * @param script The daemon's entry file.
 * @param args The command line to pass on.
 * @param permissions The child's Deno permission flags (see `childPermissionFlags`).
 * @returns 0 once the child runs.
 * @throws {RuntimeError} under Node, or when the child does not start.
 */
export async function daemonize(
  script: string,
  args: string[],
  pidFile: string,
  io: ServerIo,
  permissions: readonly string[],
): Promise<number> {
  if (!isDeno) {
    throw new RuntimeError("Cannot detach under Node: run with -f (systemd Type=simple)");
  }
  let child: { pid: number };
  try {
    // The child holds what this process holds, never more (not -A).
    child = spawnDetached([
      ...permissions,
      script,
      "--daemon-child",
      "-f",
      "--syslog-enable",
      ...args,
    ]);
  } catch (e) {
    // Starting itself needs --allow-read and --allow-run for the deno program.
    throw new RuntimeError(
      `Cannot start the daemon in the background: ${
        (e as Error).message
      }; add that permission, or run it with -f (systemd Type=simple)`,
    );
  }
  for (let i = 0; i < 100; i++) {
    const pid = await runningPid(pidFile);
    if (pid === child.pid) {
      io.out(`fwknopd-ts started in the background (pid ${pid}); it logs to syslog\n`);
      return 0;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new RuntimeError("The background daemon did not start: run with -f to see why");
}
