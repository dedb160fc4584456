/**
 * The PID file: fwknopd's single-instance guard and what -K, -R and -S read.
 * Under Deno with `--allow-ffi` the daemon holds a POSIX lock on it, as
 * fwknopd does, and "is one running?" is a lock test: it needs no access to
 * /proc and sees the stock fwknopd too. Elsewhere the file's pid is checked
 * against /proc.
 *
 * @module
 */
import { exists, readText, removeFile } from "../sys/files.ts";
import { isDeno, lacksPermission } from "../sys/runtime.ts";
import { ownUid, replaceOwnFile } from "../sys/nofollow.ts";
import { RuntimeError } from "../cli/errors.ts";
import { type PidOwner, pidOwner, readCmdline } from "./pid_owner.ts";

type Locks = typeof import("../sys/_pidlock_deno.ts");
let locks: Locks | undefined;

/** The FFI lock seam, when this process may use it. */
async function lockSeam(): Promise<Locks | undefined> {
  if (!isDeno || lacksPermission({ name: "ffi" })) return undefined;
  locks ??= await import("../sys/_pidlock_deno.ts");
  return locks;
}

function procPid(path: string): number | undefined {
  if (!exists(path)) return undefined;
  const pid = Number(readText(path).trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    // A live process that is a fwknopd (ours or the stock one): guards against pid reuse.
    const cmdline = readCmdline(pid);
    return /fwknopd|server\.ts/.test(cmdline) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The pid of the running daemon (ours or fwknopd) for this pid file, if one runs. */
export async function runningPid(path: string): Promise<number | undefined> {
  const seam = await lockSeam();
  return seam === undefined ? procPid(path) : seam.lockHolder(path);
}

/**
 * Who the running daemon for this pid file is (fwknopd-ts, the stock
 * fwknopd, another program), read from /proc through the FFI seam when
 * allowed (no read permission on /proc needed), else node:fs.
 *
 * @param pid The pid `runningPid` returned.
 * @returns Its kind and command line.
 */
export async function runningOwner(pid: number): Promise<PidOwner> {
  const seam = await lockSeam();
  return pidOwner(pid, seam?.procCmdline);
}

/**
 * Claims the PID file for this process (and holds its lock until exit). The
 * file is never opened through a link: a link, a file with other links or
 * one owned by another uid is refused (FFI), or replaced (elsewhere).
 *
 * @param path `FWKNOP_PID_FILE`.
 * @param pid This process's pid.
 * @returns A warning naming the file when the pid could not be written (a
 *   full disk): the daemon runs on, and under FFI the lock still guards.
 * @throws {RuntimeError} when another live daemon holds it, or it cannot be opened.
 */
export async function claimPidFile(path: string, pid: number): Promise<string | undefined> {
  const seam = await lockSeam();
  if (seam !== undefined) {
    const other = seam.lockPidFile(path, ownUid());
    if (other !== undefined) {
      throw new RuntimeError(`Another fwknopd is already running (pid ${other}, pid file ${path})`);
    }
    const failed = seam.writeHeldPid(pid);
    return failed === undefined
      ? undefined
      : `Cannot write the pid file "${path}": ${failed}; the lock still marks this daemon`;
  }
  const other = procPid(path);
  if (other !== undefined && other !== pid) {
    throw new RuntimeError(`Another fwknopd is already running (pid ${other}, pid file ${path})`);
  }
  try {
    replaceOwnFile(path, `${pid}\n`);
  } catch (e) {
    return `${(e as Error).message}; -K and -S will not find this daemon`;
  }
  return undefined;
}

/** Removes the PID file if it still names this process, and drops the lock. */
export function releasePidFile(path: string, pid: number): void {
  try {
    if (Number(readText(path).trim()) === pid) removeFile(path);
  } catch {
    // already gone
  }
  locks?.unlockPidFile();
}
