/**
 * libc's `errno`, its name and message over Deno's FFI, for the seams that
 * call libc directly (files, the pid lock, raw sends, the recvmmsg UDP
 * server, netlink). `errno` is
 * per thread, and FFI calls run on the calling thread, so it can be read
 * right after the call that failed.
 *
 * @module
 */

import { libc } from "./libc.ts";

// deno-lint-ignore no-explicit-any
const D: any = (globalThis as any).Deno;

/** The calling thread's `errno`. */
export function lastErrno(): number {
  return new D.UnsafePointerView(libc().__errno_location()).getInt32();
}

/**
 * @param e An `errno` value.
 * @returns Its message and number, such as `Address already in use (errno 98)`.
 */
export function errnoText(e: number = lastErrno()): string {
  return `${new D.UnsafePointerView(libc().strerror(e)).getCString()} (errno ${e})`;
}

/** errno numbers the seams test for (Linux). */
export const EINTR = 4;
export const EAGAIN = 11;
export const ELOOP = 40;
export const ENOBUFS = 105;

/** Linux errno numbers and their names (what `node:fs` puts in `code`). */
const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  4: "EINTR",
  5: "EIO",
  6: "ENXIO",
  9: "EBADF",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  16: "EBUSY",
  17: "EEXIST",
  18: "EXDEV",
  20: "ENOTDIR",
  21: "EISDIR",
  22: "EINVAL",
  23: "ENFILE",
  24: "EMFILE",
  26: "ETXTBSY",
  27: "EFBIG",
  28: "ENOSPC",
  30: "EROFS",
  36: "ENAMETOOLONG",
  39: "ENOTEMPTY",
  40: "ELOOP",
  75: "EOVERFLOW",
  122: "EDQUOT",
};

/** An errno's name, `E<number>` for one not listed. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `E${errno}`;
}

/**
 * The error of a failed libc call, shaped as `node:fs`'s: `code` is the
 * errno name, the message `ENOSPC: No space left on device (errno 28), write`.
 */
export function errnoError(syscall: string, path?: string, errno = lastErrno()): Error {
  const code = errnoName(errno);
  const where = path === undefined ? syscall : `${syscall} '${path}'`;
  return Object.assign(new Error(`${code}: ${errnoText(errno)}, ${where}`), {
    code,
    errno,
    syscall,
    ...(path === undefined ? {} : { path }),
  });
}
