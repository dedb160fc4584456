/**
 * The one libc handle over Deno's FFI, with every function the seams call.
 * Opened once, on first use, by the platform's name for libc (`libs.ts`).
 * Functions that only Linux has are optional: on another platform they are
 * `null` and the seam that needs them says so.
 *
 * @module
 */
import { dlopenFirst, libNames } from "./libs.ts";

/** The libc functions the seams use, with their C signatures. */
export const LIBC_SYMBOLS = {
  // sockets (UDP server, raw sends)
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  recvmmsg: {
    parameters: ["i32", "buffer", "u32", "i32", "pointer"],
    result: "i32",
    optional: true,
  },
  sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "isize" },
  // waiting (runs on another thread: the event loop goes on)
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  // files (the pid file's lock, run-directory checks, the daemon's own files: fd.ts)
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  fcntl: { parameters: ["i32", "i32", "buffer"], result: "i32" },
  ftruncate: { parameters: ["i32", "i64"], result: "i32" },
  pwrite: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
  pread: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
  fsync: { parameters: ["i32"], result: "i32" },
  fdatasync: { parameters: ["i32"], result: "i32" },
  fchmod: { parameters: ["i32", "u32"], result: "i32" },
  fchown: { parameters: ["i32", "u32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32", optional: true },
  realpath: { parameters: ["buffer", "buffer"], result: "pointer" },
  getuid: { parameters: [], result: "u32" },
  // errors
  strerror: { parameters: ["i32"], result: "pointer" },
  __errno_location: { parameters: [], result: "pointer", optional: true },
} as const;

/** Linux `open()` flags, for every seam that calls it. */
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
/** `O_NOFOLLOW`: 0o400000 on x86_64, 0o100000 on aarch64. */
export const O_NOFOLLOW =
  (globalThis as { Deno?: { build: { arch: string } } }).Deno?.build.arch === "aarch64"
    ? 0o100000
    : 0o400000;

// deno-lint-ignore no-explicit-any
let handle: any;

/**
 * libc's functions, loading the library on the first call.
 *
 * @throws {Error} naming `--allow-ffi` when Deno refuses, or the loader's error.
 */
// deno-lint-ignore no-explicit-any
export function libc(): any {
  if (handle === undefined) {
    try {
      handle = dlopenFirst(libNames("c"), LIBC_SYMBOLS);
    } catch (e) {
      throw new Error(
        `Cannot load libc through FFI (run Deno with --allow-ffi): ${(e as Error).message}`,
      );
    }
  }
  return handle;
}
