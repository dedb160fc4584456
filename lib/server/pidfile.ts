/**
 * The PID file: written at start, checked so that two daemons never run on
 * one configuration, used by -K, -R and -S.
 *
 * @module
 */
import { existsSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";

/** The pid recorded in the file if that process is still alive. */
export function runningPid(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  const pid = Number(readFileSync(path, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    // A live process that is a fwknopd (ours or the stock one): guards against pid reuse.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return /fwknopd|server\.ts/.test(cmdline) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Claims the PID file for this process.
 *
 * @throws {Error} when another live daemon holds it.
 */
export function claimPidFile(path: string, pid: number): void {
  const other = runningPid(path);
  if (other !== undefined && other !== pid) {
    throw new Error(`Another fwknopd is already running (pid ${other}, pid file ${path})`);
  }
  writeFileSync(path, `${pid}\n`, { mode: 0o600 });
}

/** Removes the PID file if it still names this process. */
export function releasePidFile(path: string, pid: number): void {
  try {
    if (Number(readFileSync(path, "utf8").trim()) === pid) unlinkSync(path);
  } catch {
    // already gone
  }
}
