/**
 * The PID file: fwknopd's single-instance guard and what -K, -R and -S read.
 * Under Deno with `--allow-ffi` the daemon holds a POSIX lock on it, as
 * fwknopd does, and "is one running?" is a lock test: it needs no access to
 * /proc and sees the stock fwknopd too. Elsewhere the file's pid is checked
 * against /proc.
 *
 * @module
 */
import { existsSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { isDeno, lacksPermission } from "../runtime.ts";

type Locks = typeof import("./_pidlock_deno.ts");
let locks: Locks | undefined;

/** The FFI lock seam, when this process may use it. */
async function lockSeam(): Promise<Locks | undefined> {
  if (!isDeno || lacksPermission({ name: "ffi" })) return undefined;
  locks ??= await import("./_pidlock_deno.ts");
  return locks;
}

function procPid(path: string): number | undefined {
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

/** The pid of the running daemon (ours or fwknopd) for this pid file, if one runs. */
export async function runningPid(path: string): Promise<number | undefined> {
  const seam = await lockSeam();
  return seam === undefined ? procPid(path) : seam.lockHolder(path);
}

/**
 * Claims the PID file for this process (and holds its lock until exit).
 *
 * @throws {Error} when another live daemon holds it.
 */
export async function claimPidFile(path: string, pid: number): Promise<void> {
  const seam = await lockSeam();
  if (seam !== undefined) {
    const other = seam.lockPidFile(path, pid);
    if (other !== undefined) {
      throw new Error(`Another fwknopd is already running (pid ${other}, pid file ${path})`);
    }
    return;
  }
  const other = procPid(path);
  if (other !== undefined && other !== pid) {
    throw new Error(`Another fwknopd is already running (pid ${other}, pid file ${path})`);
  }
  writeFileSync(path, `${pid}\n`, { mode: 0o600 });
}

/** Removes the PID file if it still names this process, and drops the lock. */
export function releasePidFile(path: string, pid: number): void {
  try {
    if (Number(readFileSync(path, "utf8").trim()) === pid) unlinkSync(path);
  } catch {
    // already gone
  }
  locks?.unlockPidFile();
}
