/**
 * `statx(2)` and `realpath(3)` through libc over Deno's FFI (Linux), for
 * the two checks Deno's own file API cannot make: the facts of an open
 * descriptor that came from libc (the pid file, whose POSIX lock needs a
 * libc descriptor), and the owner and mode of the parents of the run
 * directory, which the daemon has no `--allow-read` for (`--allow-ffi`
 * reaches them, as it reaches any libc call); and the daemon's uid, which
 * the user unit runs without `--allow-sys` to ask Deno for.
 *
 * @module
 */
import { errnoText } from "./_errno_deno.ts";
import { libc } from "./libc.ts";

// deno-lint-ignore no-explicit-any
const D: any = (globalThis as any).Deno;

/** `AT_FDCWD`: a path relative to the working directory. */
export const AT_FDCWD = -100;
/** `AT_EMPTY_PATH`: stat the descriptor itself. */
export const AT_EMPTY_PATH = 0x1000;
/** `AT_SYMLINK_NOFOLLOW`: a link as the last component is not followed (lstat). */
export const AT_SYMLINK_NOFOLLOW = 0x100;
const STATX_BASIC_STATS = 0x7ff;
// struct statx: the same layout on every Linux architecture.
const STATX_LEN = 256;
const OFF_NLINK = 16;
const OFF_UID = 20;
const OFF_GID = 24;
const OFF_MODE = 28;
const OFF_INO = 32;
const OFF_SIZE = 40;
const OFF_DEV_MAJOR = 136;
const OFF_DEV_MINOR = 140;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const PATH_MAX = 4096;

/** What statx tells about one file. */
export interface StatxFacts {
  dev: bigint;
  ino: bigint;
  uid: number;
  gid: number;
  nlink: number;
  /** Permission bits with the file type bits. */
  mode: number;
  size: number;
  isFile: boolean;
  isDir: boolean;
  isLink: boolean;
}

const cstr = (s: string) => new TextEncoder().encode(`${s}\0`);

/**
 * statx(2) of `path` relative to `dirfd` (the one reader both seams use).
 *
 * @returns The facts, or `null` when statx fails (errno says why).
 * @throws {Error} when this libc has no statx.
 */
export function statxFacts(dirfd: number, path: string, flags: number): StatxFacts | null {
  const buf = new Uint8Array(STATX_LEN);
  const statx = libc().statx;
  if (statx === null) throw new Error("Cannot stat: this libc has no statx");
  if (statx(dirfd, cstr(path), flags, STATX_BASIC_STATS, buf) !== 0) return null;
  const v = new DataView(buf.buffer);
  const mode = v.getUint16(OFF_MODE, true);
  const fmt = mode & S_IFMT;
  return {
    nlink: v.getUint32(OFF_NLINK, true),
    uid: v.getUint32(OFF_UID, true),
    gid: v.getUint32(OFF_GID, true),
    mode,
    ino: v.getBigUint64(OFF_INO, true),
    size: Number(v.getBigUint64(OFF_SIZE, true)),
    dev: (BigInt(v.getUint32(OFF_DEV_MAJOR, true)) << 32n) |
      BigInt(v.getUint32(OFF_DEV_MINOR, true)),
    isFile: fmt === S_IFREG,
    isDir: fmt === S_IFDIR,
    isLink: fmt === S_IFLNK,
  };
}

function call(dirfd: number, path: string, flags: number): StatxFacts {
  const f = statxFacts(dirfd, path, flags);
  if (f === null) {
    throw new Error(`Cannot stat "${path === "" ? `fd ${dirfd}` : path}": ${errnoText()}`);
  }
  return f;
}

/**
 * The facts of an open libc descriptor (fstat).
 *
 * @throws {Error} with errno's text when statx fails.
 */
export function statFd(fd: number): StatxFacts {
  return call(fd, "", AT_EMPTY_PATH);
}

/**
 * The facts of a path; the last component is not followed when `follow` is false (lstat).
 *
 * @throws {Error} naming the path when statx fails.
 */
export function statPath(path: string, follow: boolean): StatxFacts {
  return call(AT_FDCWD, path, follow ? 0 : AT_SYMLINK_NOFOLLOW);
}

/**
 * The absolute path without links (realpath(3) into a buffer of PATH_MAX).
 *
 * @throws {Error} naming the path when it fails.
 */
export function realPath(path: string): string {
  const out = new Uint8Array(PATH_MAX);
  if (libc().realpath(cstr(path), out) === null) {
    throw new Error(`Cannot resolve "${path}": ${errnoText()}`);
  }
  return new TextDecoder().decode(out.subarray(0, out.indexOf(0)));
}

/** This process's uid (getuid(2)), which Deno tells only with `--allow-sys`. */
export function getuid(): number {
  return libc().getuid();
}

/** Whether this runtime can use these calls (Deno on Linux with FFI). */
export function available(): boolean {
  return D?.build?.os === "linux" && typeof D?.dlopen === "function";
}
