/**
 * The pid file's lock through libc over Deno's FFI: fwknopd holds a POSIX
 * record lock on its pid file (`lockf(F_TLOCK)`) for its whole life, so a
 * lock test (`fcntl(F_GETLK)`) tells whether a daemon, ours or the stock
 * one, is running and which pid it has, without reading /proc.
 *
 * @module
 */
import { ELOOP, errnoText, lastErrno } from "./_errno_deno.ts";
import { refusal } from "./nofollow.ts";
import { statFd, statPath } from "./_stat_deno.ts";
import { RuntimeError } from "../cli/errors.ts";
import { libc, O_CLOEXEC, O_CREAT, O_NOFOLLOW, O_RDONLY, O_RDWR } from "./libc.ts";

const F_GETLK = 5;
const F_SETLK = 6;
const F_WRLCK = 1;
const F_UNLCK = 2;
// struct flock { short l_type; short l_whence; off_t l_start; off_t l_len; pid_t l_pid; } on LP64.
const FLOCK_LEN = 32;
const L_PID_OFF = 24;

function wholeFile(type: number): Uint8Array {
  const fl = new Uint8Array(FLOCK_LEN);
  new DataView(fl.buffer).setInt16(0, type, true); // whence SEEK_SET, start 0, len 0: all of it
  return fl;
}

/** The fd holding our lock, kept open for the daemon's life. */
let held: number | undefined;

const cstr = (path: string) => new TextEncoder().encode(`${path}\0`);

/** Opens the pid file (creating it 0600), never through a link, and checks it. */
function openChecked(path: string, uid: number | undefined): number {
  const l = libc();
  const fd: number = l.open(cstr(path), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600);
  if (fd < 0) {
    const e = lastErrno();
    const why = e === ELOOP ? "it is a symbolic link" : errnoText(e);
    throw new RuntimeError(`Cannot open the pid file "${path}": ${why}`);
  }
  let why: string | undefined;
  try {
    why = refusal(statFd(fd), statPath(path, false), uid);
  } catch (e) {
    why = `cannot check it: ${(e as Error).message}`;
  }
  if (why !== undefined) {
    l.close(fd);
    throw new RuntimeError(`Cannot open the pid file "${path}": ${why}`);
  }
  return fd;
}

/**
 * Takes the lock on the pid file (opened without following a link, and
 * checked before anything is written); `writeHeldPid` then writes the pid.
 *
 * @param path The pid file.
 * @param uid Our uid, for the owner check (`undefined`: none).
 * @returns `undefined` when taken, else the pid of the process that holds it.
 * @throws {RuntimeError} when the file cannot be opened, or is a link or not ours.
 */
export function lockPidFile(path: string, uid?: number): number | undefined {
  const l = libc();
  const fd = openChecked(path, uid);
  if (l.fcntl(fd, F_SETLK, wholeFile(F_WRLCK)) !== 0) {
    const other = holder(fd);
    l.close(fd);
    return other ?? -1;
  }
  held = fd;
  return undefined;
}

/**
 * Writes our pid into the pid file we hold.
 *
 * @param pid Our pid.
 * @returns `undefined` when written and flushed, else the error (a full disk).
 */
export function writeHeldPid(pid: number): string | undefined {
  if (held === undefined) return "the pid file is not held";
  const l = libc();
  const text = new TextEncoder().encode(`${pid}\n`);
  if (l.ftruncate(held, 0n) !== 0) return errnoText();
  const n = Number(l.pwrite(held, text, BigInt(text.length), 0n));
  if (n < 0) return errnoText();
  if (n !== text.length) return `wrote ${n} of ${text.length} bytes`;
  if (l.fsync(held) !== 0) return errnoText();
  return undefined;
}

function holder(fd: number): number | undefined {
  const fl = wholeFile(F_WRLCK);
  if (libc().fcntl(fd, F_GETLK, fl) !== 0) return undefined;
  const v = new DataView(fl.buffer);
  return v.getInt16(0, true) === F_UNLCK ? undefined : v.getInt32(L_PID_OFF, true);
}

/**
 * The pid of the process holding the pid file's lock, if any.
 *
 * @returns The pid, or `undefined` when nobody holds it (or there is no file).
 */
export function lockHolder(path: string): number | undefined {
  const l = libc();
  const fd: number = l.open(cstr(path), O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0);
  if (fd < 0) return undefined;
  try {
    return holder(fd);
  } finally {
    l.close(fd);
  }
}

/** Longest command line read: Linux caps /proc/<pid>/cmdline reads at a page for others anyway. */
const MAX_CMDLINE_READ = 4096;

/**
 * A process's command line from /proc through libc, so `-S` names the
 * lock holder with the permissions it documents (no `--allow-read=/proc`).
 *
 * @param pid The lock holder's pid.
 * @returns The NUL-separated arguments.
 * @throws {Error} with the system's reason when /proc cannot be read.
 */
export function procCmdline(pid: number): string {
  const l = libc();
  const fd: number = l.open(cstr(`/proc/${pid}/cmdline`), O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) throw new Error(`Cannot read /proc/${pid}/cmdline: ${errnoText()}`);
  try {
    const buf = new Uint8Array(MAX_CMDLINE_READ);
    const n = Number(l.pread(fd, buf, BigInt(buf.length), 0n));
    if (n < 0) throw new Error(`Cannot read /proc/${pid}/cmdline: ${errnoText()}`);
    return new TextDecoder("latin1").decode(buf.subarray(0, n));
  } finally {
    l.close(fd);
  }
}

/** Releases our lock (closing the fd releases it). */
export function unlockPidFile(): void {
  if (held !== undefined) libc().close(held);
  held = undefined;
}
